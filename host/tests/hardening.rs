//! Bad input, output conventions and pinned outputs of the `flatmin` binary, run as a user would
//! (issue "Hardening"; README "Output conventions"). Each test names the item it guards.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_flatmin");

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flatmin-hard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn flatmin(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .output()
        .expect("run flatmin")
}

fn ok(args: &[&str], cwd: &Path) -> Output {
    let out = flatmin(args, cwd);
    assert!(
        out.status.success(),
        "flatmin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn ok_json(args: &[&str], cwd: &Path) -> Value {
    let out = ok(args, cwd);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "flatmin {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Exit code 2, nothing on stdout, exactly one stderr line `flatmin: error: …` in which no
/// `: `-separated part is repeated, within a few seconds (no allocation or work before the check).
fn bad_input(args: &[&str], cwd: &Path) -> String {
    let t = Instant::now();
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
        elapsed < Duration::from_secs(10),
        "{args:?}: rejected only after {elapsed:?}"
    );
    line
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// FNV-1a 64 of a byte string.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Item 1: every user-given size is checked against its documented limit before any work.
#[test]
fn sizes_are_checked_before_work() {
    let dir = tmp("sizes");
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "theory",
                "committee",
                "fp",
                "--act",
                "sign",
                "--alpha",
                "0.5",
                "--kappa-ref",
                "0",
                "--d-range",
                "0.001:0.3:1000000000",
            ],
            "between 1 and 2000",
        ),
        (
            &[
                "theory",
                "fp",
                "--alpha",
                "0.5",
                "--kappa-ref",
                "0",
                "--d-range",
                "0.001:0.3:100000",
            ],
            "between 1 and 2000",
        ),
        (
            &[
                "theory",
                "sbp",
                "tuples",
                "--y",
                "1000000000",
                "--alpha",
                "0.3",
                "--kappa",
                "1",
                "--d",
                "0.2",
            ],
            "1..=10000",
        ),
        (
            &["--threads", "100000", "enumerate", "x.txt"],
            "between 1 and 1024",
        ),
        (
            &["--threads", "0", "enumerate", "x.txt"],
            "between 1 and 1024",
        ),
        (
            &["theory", "thresholds", "--alphas", &["0.5"; 101].join(",")],
            "1 to 100",
        ),
        (
            &[
                "instance",
                "gen",
                "--n",
                "100000000000",
                "--alpha",
                "0.5",
                "-o",
                "big.txt",
            ],
            "N must be in",
        ),
        (
            &[
                "instance", "gen", "--n", "16777216", "--alpha", "100", "-o", "big.txt",
            ],
            "exceeds 2^34",
        ),
        (
            &["solve", "--n", "100000000000", "--alpha", "0.5"],
            "N must be in",
        ),
        (
            &["local-energy", "x.txt", "--p-steps", "100000000"],
            "at most 10000",
        ),
        (
            &["local-energy", "x.txt", "--samples", "100000000000"],
            "between 1 and 10000000",
        ),
    ];
    std::fs::write(dir.join("x.txt"), "3 1 0\n+-+\n+\nR +++\n").unwrap();
    for (args, want) in cases {
        let line = bad_input(args, &dir);
        assert!(line.contains(want), "{args:?}: {line}");
    }
    assert_eq!(entries(&dir), ["x.txt"], "rejected runs wrote nothing");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 1: negative numbers are values where meaningful, rejected with a physics message (or a
/// clear one) where not, and clap's wrong `-- -5` advice never appears.
#[test]
fn negative_numbers() {
    let dir = tmp("negative");
    let v = ok_json(
        &[
            "theory", "rs", "--alpha", "0.5", "--kappa", "-0.5", "--json",
        ],
        &dir,
    );
    assert_eq!(v["kappa"], -0.5);
    assert!(v["s"].as_f64().unwrap() > 0.0);
    let v = ok_json(&["theory", "alpha-c", "--kappa", "-1", "--json"], &dir);
    assert!(v["alpha_c"].as_f64().unwrap() > 0.833);
    ok(
        &[
            "instance", "gen", "--n", "21", "--alpha", "0.5", "--kappa", "-0.2", "-o", "k.txt",
        ],
        &dir,
    );
    for (args, want) in [
        (
            &["theory", "rs", "--alpha", "-1"][..],
            "density α = P/N (patterns per weight) must be a finite number > 0",
        ),
        (&["theory", "kappa-max", "--alpha", "-1"], "density α = P/N"),
        (
            &[
                "instance", "gen", "--n", "21", "--alpha", "-1", "-o", "x.txt",
            ],
            "load α = P/N",
        ),
        (
            &[
                "instance", "gen", "--n", "21", "--alpha", "0.5", "--seed", "-1", "-o", "x.txt",
            ],
            "a seed is an integer in 0..=18446744073709551615",
        ),
        (
            &["solve", "--alpha", "0.5", "--seed", "-1"],
            "a seed is an integer",
        ),
        (&["theory", "sbp", "alpha-1m", "--kappa", "-5"], "kappa"),
    ] {
        let line = bad_input(args, &dir);
        assert!(line.contains(want), "{args:?}: {line}");
        assert!(
            !line.contains("'-- "),
            "{args:?}: wrong clap advice: {line}"
        );
    }
    // A misspelt flag keeps clap's useful suggestion, on the one line.
    let line = bad_input(&["theory", "rs", "--alpha", "0.5", "--kapa", "1"], &dir);
    assert!(line.contains("'--kappa'"), "{line}");
    assert_eq!(entries(&dir), ["k.txt"]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 1: an unwritable output is one line naming the user's path, exit 2, and no temporary
/// file; `instance gen --alpha 0` writes nothing; a file flatmin did not write is never replaced
/// without --force.
#[test]
fn outputs_are_never_lost_or_partial() {
    let dir = tmp("outputs");
    let gen = |out: &str| {
        vec![
            "instance", "gen", "--n", "21", "--alpha", "0.5", "--seed", "1", "-o",
        ]
        .into_iter()
        .chain([out])
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let line = bad_input(&args(&gen("missing/x.txt")), &dir);
    assert!(line.contains("missing/x.txt"), "{line}");
    assert!(!line.contains(".tmp-"), "internal temp file named: {line}");
    std::fs::create_dir(dir.join("sub")).unwrap();
    let line = bad_input(&args(&gen("sub")), &dir);
    assert!(line.contains("sub: is a directory"), "{line}");
    // A P = 0 instance is an input no other command accepts: not written.
    for alpha in ["0", "0.01"] {
        let line = bad_input(
            &[
                "instance", "gen", "--n", "21", "--alpha", alpha, "-o", "zero.txt",
            ],
            &dir,
        );
        assert!(line.contains("α"), "{line}");
    }
    // A user's file is kept…
    std::fs::write(dir.join("mine.txt"), "my notes\n").unwrap();
    let line = bad_input(&args(&gen("mine.txt")), &dir);
    assert!(
        line.contains("mine.txt") && line.contains("--force"),
        "{line}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("mine.txt")).unwrap(),
        "my notes\n"
    );
    // …unless --force; a file flatmin wrote is replaced (the same command, rerun).
    let mut forced = gen("mine.txt");
    forced.push("--force".into());
    ok(&args(&forced), &dir);
    let first = std::fs::read(dir.join("mine.txt")).unwrap();
    assert!(first.starts_with(b"# flatmin random instance"));
    ok(&args(&gen("mine.txt")), &dir);
    assert_eq!(std::fs::read(dir.join("mine.txt")).unwrap(), first);
    assert_eq!(entries(&dir), ["mine.txt", "sub"]);
    assert!(entries(&dir.join("sub")).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 2: a value outside the physical region is printed with a warning (JSON field and one
/// stderr line, text mode too), exit 0.
#[test]
fn rs_above_alpha_c_warns() {
    let dir = tmp("warn");
    let out = ok(&["theory", "rs", "--alpha", "0.9", "--json"], &dir);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["s"].as_f64().unwrap() < 0.0);
    let w = v["warning"].as_str().expect("a warning field");
    assert!(w.contains("above alpha_c") && w.contains("0.833"), "{w}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("flatmin: warning: "), "{err}");
    let out = ok(&["theory", "rs", "--alpha", "0.9"], &dir);
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("flatmin: warning: "));
    // Below α_c: no warning.
    let out = ok(&["theory", "rs", "--alpha", "0.5", "--json"], &dir);
    assert!(out.stderr.is_empty());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("warning").is_none());
    let v = ok_json(
        &[
            "theory",
            "committee",
            "rs",
            "--act",
            "sign",
            "--alpha",
            "3",
            "--json",
        ],
        &dir,
    );
    assert!(v["s"].as_f64().unwrap() >= 0.0 || v["warning"].is_string());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 3: scalar JSON for one point, columnar JSON for a grid, with the same keys; `null` plus a
/// `<key>_reason` for values that do not exist; `--json` never implicit.
#[test]
fn one_output_convention() {
    let dir = tmp("conventions");
    let one = ok_json(
        &[
            "theory",
            "fp",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "0.3",
            "--d",
            "0.1",
            "--json",
        ],
        &dir,
    );
    assert!(one["d"].is_number() && one["s_fp"].is_number(), "{one}");
    let grid = ok_json(
        &[
            "theory",
            "fp",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "0.3",
            "--d-range",
            "0.05:0.1:2",
            "--json",
        ],
        &dir,
    );
    assert_eq!(grid["d"].as_array().unwrap().len(), 2);
    assert_eq!(grid["s_fp"].as_array().unwrap().len(), 2);
    for k in one.as_object().unwrap().keys() {
        assert!(grid.get(k).is_some(), "key {k} missing from the grid form");
    }
    assert!((grid["s_fp"][1].as_f64().unwrap() - one["s_fp"].as_f64().unwrap()).abs() < 1e-9);
    let c1 = ok_json(
        &[
            "theory",
            "committee",
            "fp",
            "--act",
            "sign",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "0",
            "--d",
            "0.1",
            "--json",
        ],
        &dir,
    );
    assert!(c1["s_fp"].is_number(), "{c1}");
    let cg = ok_json(
        &[
            "theory",
            "committee",
            "fp",
            "--act",
            "sign",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "0",
            "--d-range",
            "0.05:0.1:2",
            "--json",
        ],
        &dir,
    );
    assert!(
        cg.is_object() && cg["s_fp"].as_array().unwrap().len() == 2,
        "{cg}"
    );
    // No JSON unless asked for.
    let text = ok(&["theory", "rs", "--alpha", "0.5"], &dir);
    assert!(!String::from_utf8_lossy(&text.stdout)
        .trim_start()
        .starts_with('{'));

    // instance/bp/solve/flatness keys are lowercase snake_case; no Rust Debug text.
    ok(
        &[
            "instance",
            "gen",
            "--n",
            "15",
            "--alpha",
            "0.4",
            "--teacher",
            "--seed",
            "3",
            "-o",
            "t.txt",
        ],
        &dir,
    );
    let mut docs = vec![
        ok_json(&["instance", "stats", "t.txt", "--json"], &dir),
        ok_json(&["bp", "t.txt", "--json"], &dir),
        ok_json(&["flatness", "t.txt", "--json"], &dir),
        ok_json(&["flatness", "t.txt", "--exact-max-n", "5", "--json"], &dir),
        ok_json(&["enumerate", "t.txt", "--json"], &dir),
        ok_json(
            &[
                "solve", "--n", "21", "--alpha", "0.3", "--algo", "sbpi", "--json",
            ],
            &dir,
        ),
    ];
    docs.push(one);
    for d in &docs {
        for (k, v) in d.as_object().unwrap() {
            assert!(
                k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "key {k:?} is not snake_case in {d}"
            );
            if v.is_null() && !k.ends_with("_reason") {
                assert!(
                    d.get(format!("{k}_reason")).is_some_and(Value::is_string),
                    "null {k:?} without a reason in {d}"
                );
            }
        }
    }
    let bp = &docs[1];
    assert!(bp["q"].is_null() && bp["q_reason"].is_string());
    let flat = &docs[3];
    assert!(
        flat["f"].is_null() && flat["f_reason"].is_string(),
        "{flat}"
    );
    for args in [
        &["flatness", "t.txt"][..],
        &["flatness", "t.txt", "--exact-max-n", "5"],
    ] {
        let text = String::from_utf8(ok(args, &dir).stdout).unwrap();
        assert!(!text.contains("Some(") && !text.contains("None"), "{text}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 2: phases report thresholds that do not exist as null plus a reason (never
/// `{"none": …}`), and print text unless --json.
#[test]
fn phases_use_null_and_reason() {
    let dir = tmp("phases");
    // A coarse tolerance keeps the bisections short; the output shape is what is tested.
    let v = ok_json(
        &[
            "theory", "phases", "--alpha", "0.4", "--tol", "0.1", "--json",
        ],
        &dir,
    );
    for key in ["kappa_min", "kappa_le"] {
        let x = &v[key];
        assert!(!x.is_object(), "{key}: {x}");
        let reason = &v[format!("{key}_reason")];
        assert!(
            x.is_number() && reason.is_null() || x.is_null() && reason.is_string(),
            "{key}: {x} / {reason}"
        );
    }
    let text = String::from_utf8(
        ok(
            &["theory", "phases", "--alpha", "0.4", "--tol", "0.1"],
            &dir,
        )
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains("kappa_max = ") && !text.trim_start().starts_with('{'),
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 3: help texts say what things are, without the spec's internal tags.
#[test]
fn help_texts_have_no_internal_tags() {
    let dir = tmp("help");
    for cmd in [
        &["theory", "rs"][..],
        &["theory", "fp"],
        &["theory", "phases"],
        &["theory", "thresholds"],
        &["theory", "committee", "fp"],
        &["theory", "sbp", "tuples"],
        &["theory", "fp-1rsb"],
        &["instance", "gen"],
        &["instance", "stats"],
        &["bp"],
        &["solve"],
        &["enumerate"],
        &["local-energy"],
        &["flatness"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let text = String::from_utf8(ok(&args, &dir).stdout).unwrap();
        for bad in ["[SRC]", "the oracle", "the issue's", "[LIT", "[REC]"] {
            assert!(!text.contains(bad), "{cmd:?} --help mentions {bad:?}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 5: pinned outputs of the binary. The literals were computed by running the current code
/// once; they pin behaviour (the instance stream, fBP and SBPI), so a change of any of them fails
/// here and must be a conscious decision.
#[test]
fn pinned_binary_outputs() {
    let dir = tmp("pinned");
    // Instance file: first pattern words through the library, digest of the file's bytes.
    let f = flatmin_host::io::InstanceFile::generate(101, 0.5, 0.0, true, 7).unwrap();
    assert_eq!(
        (f.patterns[0], f.patterns[1], f.labels[0], f.refs[0][0]),
        PIN_INSTANCE_WORDS
    );
    ok(
        &[
            "instance",
            "gen",
            "--n",
            "101",
            "--alpha",
            "0.5",
            "--teacher",
            "--seed",
            "7",
            "-o",
            "t.txt",
        ],
        &dir,
    );
    let bytes = std::fs::read(dir.join("t.txt")).unwrap();
    assert_eq!(bytes, f.to_text().into_bytes());
    assert_eq!(fnv1a(&bytes), PIN_INSTANCE_FNV);
    // fBP and SBPI on generated instances: sweeps and a digest of the weights string.
    for (algo, alpha, seed, want) in [("fbp", "0.6", "3", PIN_FBP), ("sbpi", "0.6", "4", PIN_SBPI)]
    {
        let v = ok_json(
            &[
                "solve", "--n", "301", "--alpha", alpha, "--seed", seed, "--algo", algo, "--json",
            ],
            &dir,
        );
        let got = (
            v["solved"].as_bool().unwrap(),
            v["sweeps"].as_u64().unwrap(),
            fnv1a(v["weights"].as_str().unwrap().as_bytes()),
        );
        assert_eq!(got, want, "{algo}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

const PIN_INSTANCE_WORDS: (u64, u64, u64, u64) = (
    13_236_943_193_235_544_178,
    44_612_190_524,
    938_099_729_884_231,
    1_021_219_803_524_665_661,
);
const PIN_INSTANCE_FNV: u64 = 14_366_495_867_440_103_370;
const PIN_FBP: (bool, u64, u64) = (true, 111, 12_378_413_316_968_284_158);
const PIN_SBPI: (bool, u64, u64) = (true, 27, 9_330_060_326_807_304_884);

/// The committed fuzz corpus (fuzz/corpus/, grown by `scripts/fuzz` with cargo-fuzz on nightly),
/// replayed on stable: every input of every target gives a value or an error, never a panic, and
/// the properties the fuzz targets assert hold.
#[test]
fn fuzz_corpus_replays() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut total = 0;
    for target in ["instance_parse", "grid_parse", "shard_parse", "spins_parse"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(target))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{target}: empty corpus");
        for file in files {
            let data = std::fs::read(&file).unwrap();
            total += 1;
            let Ok(text) = std::str::from_utf8(&data) else {
                continue;
            };
            match target {
                "instance_parse" => {
                    if let Ok(f) = flatmin_host::io::InstanceFile::parse(text, Path::new("x")) {
                        let again =
                            flatmin_host::io::InstanceFile::parse(&f.to_text(), Path::new("x"))
                                .unwrap();
                        assert_eq!(f, again, "{file:?}");
                    }
                }
                "grid_parse" => {
                    if let Ok(v) = flatmin_host::io::parse_grid("--d-range", text, 2000) {
                        assert!(!v.is_empty() && v.len() <= 2000, "{file:?}");
                        assert!(v.iter().all(|d| *d > 0.0 && *d < 1.0), "{file:?}");
                    }
                }
                "shard_parse" => {
                    let _ = text.parse::<flatmin_host::harness::shard::Shard>();
                }
                _ => {
                    let n = usize::from(data[0]);
                    if let Ok(w) = flatmin_host::io::parse_spins(&text[1..], n) {
                        assert_eq!(w.len(), n.div_ceil(64), "{file:?}");
                    }
                }
            }
        }
    }
    assert!(total >= 30, "{total} corpus files");
}
