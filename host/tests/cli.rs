//! The `flatmin` binary, run as a user would: instance round trips against the spec's fixtures,
//! exit codes and one-line errors, no partial files after failures, and `flatmin merge`.
//!
//! These tests live in the host package (not the root `tests/`) because Cargo gives the path of the
//! built binary, `CARGO_BIN_EXE_flatmin`, only to integration tests of the package that defines it.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{bad_input, entries, flatmin, ok_stdout as ok};

/// The spec's oracle fixtures, vendored at the workspace root (`tests/fixtures/`).
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

fn tmp(name: &str) -> PathBuf {
    common::tmp_dir("cli", name)
}

#[test]
fn teacher_instance_round_trip() {
    let dir = tmp("teacher");
    // ALGORITHMS §a.1: P = floor(alpha N + 0.5) = floor(50.5 + 0.5) = 51 for N = 101, alpha = 0.5;
    // the teacher labels its own patterns, so it has no error at kappa = 0 (N odd: no zero stability).
    let out = ok(
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
            "--json",
        ],
        &dir,
    );
    let gen: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (gen["n"].as_u64(), gen["p"].as_u64()),
        (Some(101), Some(51))
    );
    let s: Value =
        serde_json::from_str(&ok(&["instance", "stats", "t.txt", "--json"], &dir)).unwrap();
    assert_eq!(s["ref"], 1);
    assert_eq!(s["n"], 101);
    assert_eq!(s["p"], 51);
    assert_eq!(s["t"], 0);
    assert_eq!(s["errors0"], 0);
    assert_eq!(s["errors_kappa"], 0);
    let stabs: Vec<i64> = s["stabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(stabs.len(), 51);
    // §a.2: s ≡ N (mod 2), |s| ≤ N; the margin is min s / sqrt(N).
    assert!(stabs.iter().all(|&x| x > 0 && x % 2 == 1 && x <= 101));
    let min = *stabs.iter().min().unwrap() as f64;
    assert!((s["margin"].as_f64().unwrap() - min / 101f64.sqrt()).abs() < 1e-12);

    // The same seed writes the same bytes, to a file or to standard output.
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
            "u.txt",
        ],
        &dir,
    );
    let t = std::fs::read_to_string(dir.join("t.txt")).unwrap();
    assert_eq!(t, std::fs::read_to_string(dir.join("u.txt")).unwrap());
    // …and those bytes are pinned (FNV-1a 64, computed once by running this code; the same
    // literal is pinned in tests/hardening.rs): a change of the instance stream is never silent.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in t.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    assert_eq!(h, 14_366_495_867_440_103_370);
    let stdout = ok(
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
            "-",
        ],
        &dir,
    );
    assert_eq!(stdout, t);
    // A larger margin: errors counted at T(kappa) = ceil(0.5 sqrt(101) - 1e-9) = 6, stabilities unchanged.
    let s2: Value = serde_json::from_str(&ok(
        &[
            "instance", "stats", "t.txt", "--ref", "1", "--kappa", "0.5", "--json",
        ],
        &dir,
    ))
    .unwrap();
    assert_eq!(s2["t"], 6);
    assert_eq!(
        s2["errors_kappa"].as_u64().unwrap() as usize,
        stabs.iter().filter(|&&x| x < 6).count()
    );
    // --weights with the teacher's own string gives the same numbers, without a reference index.
    let teacher_line = t.lines().find_map(|l| l.strip_prefix("R ")).unwrap();
    let s3: Value = serde_json::from_str(&ok(
        &[
            "instance",
            "stats",
            "t.txt",
            "--weights",
            teacher_line,
            "--json",
        ],
        &dir,
    ))
    .unwrap();
    assert_eq!(s3["ref"], Value::Null);
    assert_eq!(s3["stabilities"], s["stabilities"]);
    // Text output names the file and says the teacher is a solution.
    let text = ok(&["instance", "stats", "t.txt"], &dir);
    assert!(text.starts_with("t.txt: N = 101, P = 51"), "{text}");
    assert!(
        text.contains("R1: margin") && text.contains("a kappa-solution"),
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn stats_match_the_fixture_answers() {
    // Reference: tests/fixtures/*.answers.json, the independent oracle's answers (fixtures README).
    let dir = tmp("fixtures");
    for name in [
        "N15_a30_k030",
        "N15_a50_k000",
        "N15_a60_k000",
        "N21_a30_k030",
    ] {
        let text = std::fs::read_to_string(fixture(&format!("{name}.answers.json"))).unwrap();
        let want: Value = serde_json::from_str(&text).unwrap();
        let file = fixture(&format!("{name}.txt"));
        let got: Value = serde_json::from_str(&ok(
            &["instance", "stats", file.to_str().unwrap(), "--json"],
            &dir,
        ))
        .unwrap();
        // Three references: the same keys as columns, one entry per reference.
        let refs = want["refs"].as_array().unwrap();
        assert_eq!(got["ref"].as_array().unwrap().len(), refs.len(), "{name}");
        for (k, w) in refs.iter().enumerate() {
            let ctx = format!("{name} R{}", k + 1);
            let g = |key: &str| got[key][k].clone();
            assert_eq!(g("ref"), k + 1, "{ctx}");
            for key in ["N", "P", "T"] {
                // The fixtures keep the spec's upper-case names; flatmin's JSON is snake_case.
                assert_eq!(g(&key.to_lowercase()), want[key], "{ctx} {key}");
            }
            assert_eq!(g("kappa").as_f64(), want["kappa"].as_f64(), "{ctx}");
            for key in ["stabilities", "errors_kappa", "errors0"] {
                assert_eq!(g(key), w[key], "{ctx} {key}");
            }
            let (gm, wm) = (g("margin").as_f64().unwrap(), w["margin"].as_f64().unwrap());
            assert!((gm - wm).abs() <= 1e-12, "{ctx}: margin {gm} vs {wm}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn malformed_files_name_file_and_line() {
    let dir = tmp("malformed");
    let cases = [
        (
            "char.txt",
            "# c\n3 2 0\n+-+\n+x-\n++\n",
            "char.txt:4: pattern 2: character 2 is 'x'",
        ),
        (
            "short.txt",
            "3 2 0\n+-+\n",
            "short.txt:2: file ends after 1 of 2 pattern lines",
        ),
        (
            "header.txt",
            "\n3 2\n",
            "header.txt:2: header must be 'N P kappa'",
        ),
        (
            "labels.txt",
            "3 1 0\n+-+\n+-\n",
            "labels.txt:3: labels: expected 1 characters",
        ),
        (
            "ref.txt",
            "3 1 0\n+-+\n+\nR ++\n",
            "ref.txt:4: reference R1: expected 3 characters",
        ),
        (
            "extra.txt",
            "3 1 0\n+-+\n+\n+++\n",
            "extra.txt:4: unexpected line",
        ),
        (
            "huge.txt",
            "3 99999999999999 0\n+-+\n",
            "huge.txt:2: file ends after 1 of",
        ),
    ];
    for (name, text, want) in cases {
        std::fs::write(dir.join(name), text).unwrap();
        let line = bad_input(&["instance", "stats", name, "--weights", "+++"], &dir);
        assert_eq!(
            &line["flatmin: error: ".len()..][..want.len()],
            want,
            "{name}: {line}"
        );
    }
    // A missing input file is bad input (exit code 2), reported with its path.
    let out = flatmin(&["instance", "stats", "nope.txt"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.txt"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_arguments_exit_2() {
    let dir = tmp("args");
    std::fs::write(dir.join("i.txt"), "3 1 0\n+-+\n+\nR +++\n").unwrap();
    for args in [
        &[
            "instance", "gen", "--alpha", "0.5", "--seed", "1", "-o", "x.txt",
        ][..], // no --n
        &[
            "instance", "gen", "--n", "0", "--alpha", "0.5", "--seed", "1", "-o", "x.txt",
        ],
        &[
            "instance", "gen", "--n", "21", "--alpha", "-1", "--seed", "1", "-o", "x.txt",
        ],
        &[
            "instance", "gen", "--n", "21", "--alpha", "NaN", "--seed", "1", "-o", "x.txt",
        ],
        &[
            "instance", "gen", "--n", "ten", "--alpha", "0.5", "--seed", "1", "-o", "x.txt",
        ],
        &["instance", "stats", "i.txt", "--ref", "2"],
        &["instance", "stats", "i.txt", "--ref", "0"],
        &["instance", "stats", "i.txt", "--weights", "++"],
        &[
            "instance",
            "stats",
            "i.txt",
            "--weights",
            "+-+",
            "--ref",
            "1",
        ],
        &["--shard", "2/2", "instance", "stats", "i.txt"],
        &["--threads", "x", "instance", "stats", "i.txt"],
        &["no-such-command"],
    ] {
        let out = flatmin(args, &dir);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Errors raised by flatmin itself are one line.
    bad_input(&["instance", "stats", "i.txt", "--ref", "2"], &dir);
    bad_input(
        &[
            "instance", "gen", "--n", "0", "--alpha", "0.5", "--seed", "1", "-o", "x.txt",
        ],
        &dir,
    );
    assert_eq!(entries(&dir), ["i.txt"], "failed runs wrote nothing");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unknown_figure_exits_2_and_writes_nothing() {
    let dir = tmp("figure");
    let line = bad_input(&["figure", "no-such-figure", "--out", "figs"], &dir);
    assert!(line.contains("unknown figure \"no-such-figure\""), "{line}");
    assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn failed_write_leaves_no_partial_file() {
    let dir = tmp("partial");
    // The output directory does not exist: the user's mistake (exit code 2), named in one line,
    // and nothing is left behind.
    let line = bad_input(
        &[
            "instance",
            "gen",
            "--n",
            "21",
            "--alpha",
            "0.5",
            "--seed",
            "1",
            "-o",
            "missing/x.txt",
        ],
        &dir,
    );
    assert!(line.contains("missing/x.txt"), "{line}");
    assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));
    // A file flatmin did not write is kept; --force replaces it whole (atomic rename), leaving no
    // temporary file.
    std::fs::write(dir.join("x.txt"), "old").unwrap();
    let gen = [
        "instance", "gen", "--n", "21", "--alpha", "0.5", "--seed", "1", "-o", "x.txt",
    ];
    bad_input(&gen, &dir);
    assert_eq!(std::fs::read_to_string(dir.join("x.txt")).unwrap(), "old");
    let mut forced = gen.to_vec();
    forced.push("--force");
    ok(&forced, &dir);
    assert_eq!(entries(&dir), ["x.txt"]);
    assert!(std::fs::read_to_string(dir.join("x.txt"))
        .unwrap()
        .contains("21 11 0"));
    std::fs::remove_dir_all(dir).unwrap();
}
