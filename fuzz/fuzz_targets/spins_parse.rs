//! `--weights +-…` / reference lines: any text gives packed words of the right length or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let n = usize::from(data[0]);
    if let Ok(text) = std::str::from_utf8(&data[1..]) {
        if let Ok(w) = flatmin_host::io::parse_spins(text, n) {
            assert_eq!(w.len(), n.div_ceil(64));
            assert_eq!(flatmin_host::io::spins_to_string(&w, n), text.trim());
        }
    }
});
