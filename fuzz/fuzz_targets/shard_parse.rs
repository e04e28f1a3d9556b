//! `--shard i/n`: any text gives a valid shard (i < n) or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = text.parse::<flatmin_host::harness::shard::Shard>();
    }
});
