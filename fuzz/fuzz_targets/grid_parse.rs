//! `--d-range A:B:N`: any text gives at most `max` values in (0, 1), or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(v) = flatmin_host::io::parse_grid("--d-range", text, 2000) {
            assert!(!v.is_empty() && v.len() <= 2000);
            assert!(v.iter().all(|d| *d > 0.0 && *d < 1.0));
        }
    }
});
