//! Chooses the memory map and passes the linker scripts.
//!
//! The linker arguments live here (not in `.cargo/config.toml`) so that a build started from any
//! directory, e.g. `cargo build --manifest-path firmware/Cargo.toml` from the repository root, links
//! the real image: without `-Tlink.x` the result is an empty ELF that "runs" and exits cleanly.
//!
//! Memory map: `FLATMIN_MEMORY_X=/path/to/memory.x` (a real board) wins; then the features
//! `lm3s6965evb` / `mps2-an386`; else the target: `thumbv7em-none-eabihf` → mps2-an386 (Cortex-M4F),
//! anything else → lm3s6965evb (Cortex-M3).
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let target = env::var("TARGET").unwrap_or_default();
    println!("cargo:rerun-if-env-changed=FLATMIN_MEMORY_X");
    println!("cargo:rerun-if-changed=memory");
    let memory = if let Some(custom) = env::var_os("FLATMIN_MEMORY_X") {
        println!(
            "cargo:rerun-if-changed={}",
            PathBuf::from(&custom).display()
        );
        fs::read(&custom).expect("FLATMIN_MEMORY_X: cannot read the file")
    } else {
        let lm3s = env::var_os("CARGO_FEATURE_LM3S6965EVB").is_some();
        let mps2 = env::var_os("CARGO_FEATURE_MPS2_AN386").is_some();
        let machine = match (lm3s, mps2) {
            (true, true) => panic!("features lm3s6965evb and mps2-an386 are exclusive"),
            (true, false) => "lm3s6965evb",
            (false, true) => "mps2-an386",
            (false, false) if target.starts_with("thumbv7em") => "mps2-an386",
            (false, false) => "lm3s6965evb",
        };
        fs::read(format!("memory/{machine}.x")).unwrap()
    };
    fs::write(out.join("memory.x"), memory).unwrap();
    println!("cargo:rustc-link-search={}", out.display());

    if target.starts_with("thumb") {
        println!("cargo:rustc-link-arg=--nmagic");
        println!("cargo:rustc-link-arg=-Tlink.x");
        println!("cargo:rustc-link-arg=-Tdefmt.x");
    }
}
