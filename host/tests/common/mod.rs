//! Helpers shared by the deep-network tests (deep.rs, fig8.rs): the binary, hand-made IDX data sets.
#![allow(dead_code)]

use flatmin_core::rng::{below, rng_from_seed};
use rand_core::RngCore;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_flatmin");
pub const FASHION: &str = "/usr/share/datasets/fashion-mnist";

pub fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(data);
    v
}

/// A small learnable Fashion-like IDX set: class c lights up band c of the image, plus noise.
pub fn write_idx_set(dir: &Path, train: usize, test: usize, seed: u64) {
    let mut rng = rng_from_seed(seed);
    for (split, count) in [("train", train), ("t10k", test)] {
        let mut px = Vec::new();
        let mut lab = Vec::new();
        for _ in 0..count {
            let c = below(&mut rng, 10) as usize;
            lab.push(c as u8);
            for i in 0..784 {
                let band = (i / 28) * 10 / 28 == c;
                let noise = (rng.next_u32() % 90) as u8;
                px.push(if band { 160 + noise } else { noise });
            }
        }
        std::fs::write(
            dir.join(format!("{split}-images-idx3-ubyte")),
            idx(0x803, &[count as u32, 28, 28], &px),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{split}-labels-idx1-ubyte")),
            idx(0x801, &[count as u32], &lab),
        )
        .unwrap();
    }
}

pub fn flatmin(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("FLATMIN_DATA")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("SLURM_ARRAY_TASK_MIN")
        .output()
        .expect("run flatmin")
}

pub fn ok_json(args: &[&str], cwd: &Path) -> Value {
    let out = flatmin(args, cwd);
    assert!(
        out.status.success(),
        "flatmin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn bad_input(args: &[&str], cwd: &Path) -> String {
    let out = flatmin(args, cwd);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "flatmin {args:?}: {err}");
    let line = err.trim_end().to_string();
    assert!(
        line.starts_with("flatmin: error: ") && !line.contains('\n'),
        "not one clear line: {err:?}"
    );
    line
}

/// A fresh empty directory `$TMP/flatmin-{prefix}-{pid}-{name}`.
pub fn tmp_dir(prefix: &str, name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("flatmin-{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs flatmin and asserts success.
pub fn ok(args: &[&str], cwd: &Path) -> Output {
    let out = flatmin(args, cwd);
    assert!(
        out.status.success(),
        "flatmin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs flatmin, asserts success, returns stdout as text.
pub fn ok_stdout(args: &[&str], cwd: &Path) -> String {
    String::from_utf8(ok(args, cwd).stdout).unwrap()
}

/// Runs flatmin, asserts success, parses stdout as JSON (a failure names the command and the text).
pub fn ok_json_checked(args: &[&str], cwd: &Path) -> Value {
    let out = ok(args, cwd);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "flatmin {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Exit code 2, nothing on stdout, exactly one stderr line `flatmin: error: …` in which no
/// `: `-separated part is repeated, within 10 s (no allocation or work before the check).
pub fn bad_input_strict(args: &[&str], cwd: &Path) -> String {
    let t = std::time::Instant::now();
    let out = flatmin(args, cwd);
    let elapsed = t.elapsed();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "flatmin {args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
    let line = err.trim_end().to_string();
    assert!(
        line.starts_with("flatmin: error: ") && !line.contains('\n'),
        "{args:?}: not one clear line: {err:?}"
    );
    let parts: Vec<&str> = line["flatmin: error: ".len()..].split(": ").collect();
    for (i, a) in parts.iter().enumerate() {
        assert!(
            !parts[i + 1..].contains(a),
            "{args:?}: repeated message part {a:?} in {line:?}"
        );
    }
    assert!(
        elapsed < std::time::Duration::from_secs(10),
        "{args:?}: rejected only after {elapsed:?}"
    );
    line
}

/// The sorted names in a directory.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `&str` views of owned arguments.
pub fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
