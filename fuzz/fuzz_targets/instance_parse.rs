//! The instance text format (ALGORITHMS §a.4): any bytes give Ok or an error, never a panic or a
//! huge allocation; an accepted file survives a write/parse round trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(f) = flatmin_host::io::InstanceFile::parse(text, Path::new("fuzz.txt")) {
            let again = flatmin_host::io::InstanceFile::parse(&f.to_text(), Path::new("fuzz.txt"))
                .expect("a written instance parses");
            assert_eq!(f, again);
        }
    }
});
