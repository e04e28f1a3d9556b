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

/// Issue 12 leftovers, item 6: `instance stats` of a committee file (it was refused). The
/// statistics that exist for K > 1, under the output conventions: sizes, the load per weight, the
/// label balance, errors, agreement and vote margin of each configuration, and overlaps with the
/// teacher when the file names one; null plus a reason for what does not exist.
#[test]
fn committee_instance_stats() {
    let dir = tmp("committee_stats");
    let gen = |args: &[&str]| {
        let mut a = vec!["instance", "gen"];
        a.extend_from_slice(args);
        ok(&a, &dir);
    };
    gen(&[
        "--n",
        "33",
        "--k",
        "3",
        "--alpha",
        "0.2",
        "--teacher",
        "--seed",
        "4",
        "-o",
        "fc.txt",
    ]);
    let json = |args: &[&str]| -> Value {
        let mut a = vec!["instance", "stats"];
        a.extend_from_slice(args);
        a.push("--json");
        serde_json::from_str(&ok(&a, &dir)).unwrap()
    };
    let v = json(&["fc.txt"]);
    // P = ⌊0.2·99 + ½⌋ = 20 patterns on K·N = 99 weights.
    assert_eq!(
        (
            &v["n"],
            &v["p"],
            &v["k"],
            &v["tree"],
            &v["n_in"],
            &v["num_weights"]
        ),
        (
            &33.into(),
            &20.into(),
            &3.into(),
            &false.into(),
            &33.into(),
            &99.into()
        )
    );
    // (serde_json parses floats to within an ulp: compare with a tolerance.)
    let close = |x: &Value, y: f64| (x.as_f64().unwrap() - y).abs() < 1e-12;
    assert!(close(&v["alpha"], 20.0 / 99.0), "{}", v["alpha"]);
    assert_eq!(
        (&v["ref"], &v["teacher"], &v["kappa"]),
        (&1.into(), &true.into(), &0.0.into())
    );
    // The teacher labelled the patterns: every label reproduced, overlap 1 with itself.
    assert_eq!((&v["errors"], &v["agreement"]), (&0.into(), &1.0.into()));
    assert!(v["vote_margin"].as_i64().unwrap() >= 1);
    assert_eq!(v["teacher_overlap"], serde_json::json!([1.0, 1.0, 1.0]));
    // The label balance counts the file's label line.
    let text = std::fs::read_to_string(dir.join("fc.txt")).unwrap();
    let labels = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('R'))
        // The size line and the P = 20 pattern lines come first.
        .nth(21)
        .unwrap();
    assert_eq!(labels.len(), 20);
    let plus = labels.chars().filter(|&c| c == '+').count();
    assert_eq!(v["labels_plus"], plus);
    assert!(close(
        &v["label_balance"],
        (2.0 * plus as f64 - 20.0) / 20.0
    ));
    // Given weights: the teacher with hidden unit 1 negated (comma-separated rows). Its overlap
    // with the teacher is −1 there; the errors are those of an independent count here.
    let rows: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("R ")).collect();
    assert_eq!(rows.len(), 3);
    let flipped: String = rows[0]
        .chars()
        .map(|c| if c == '+' { '-' } else { '+' })
        .collect();
    let w = format!("{flipped},{},{}", rows[1], rows[2]);
    let g = json(&["fc.txt", "--weights", &w]);
    assert_eq!(g["ref"], Value::Null);
    assert_eq!(g["teacher_overlap"], serde_json::json!([-1.0, 1.0, 1.0]));
    let pats: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('R'))
        .skip(1)
        .take(20)
        .collect();
    let sign = |s: i32| if s >= 0 { 1 } else { -1 };
    let dot = |a: &str, b: &str| -> i32 {
        a.chars()
            .zip(b.chars())
            .map(|(x, y)| if x == y { 1 } else { -1 })
            .sum()
    };
    let mut errors = 0;
    for (mu, x) in pats.iter().enumerate() {
        let vote: i32 = [flipped.as_str(), rows[1], rows[2]]
            .iter()
            .map(|r| sign(dot(r, x)))
            .sum();
        let y = if labels.as_bytes()[mu] == b'+' { 1 } else { -1 };
        errors += usize::from(sign(vote) != y);
    }
    assert_eq!(g["errors"], errors);
    assert!(close(&g["agreement"], 1.0 - errors as f64 / 20.0));
    // A random committee without references: the instance only, errors null with a reason.
    gen(&[
        "--n", "21", "--k", "5", "--alpha", "0.1", "--seed", "0", "-o", "r.txt",
    ]);
    let r = json(&["r.txt"]);
    assert_eq!((&r["p"], &r["teacher"]), (&11.into(), &false.into()));
    for key in ["errors", "agreement", "vote_margin", "teacher_overlap"] {
        assert!(r[key].is_null(), "{key}: {r}");
    }
    assert!(r["errors_reason"]
        .as_str()
        .unwrap()
        .contains("give --weights"));
    assert!(r["teacher_overlap_reason"].is_string());
    // Tree committee: n_in = N/K, α = P/N.
    gen(&[
        "--n",
        "45",
        "--k",
        "3",
        "--tree",
        "--alpha",
        "0.3",
        "--teacher",
        "-o",
        "t.txt",
    ]);
    let t = json(&["t.txt"]);
    assert_eq!(
        (&t["tree"], &t["n_in"], &t["num_weights"]),
        (&true.into(), &15.into(), &45.into())
    );
    assert_eq!(t["errors"], 0);
    // Text mode: one summary line and one line per configuration.
    let out = ok(&["instance", "stats", "fc.txt"], &dir);
    assert!(
        out.contains("committee K = 3 (fc)") && out.contains("R1: 0 errors"),
        "{out}"
    );
    // Bad input: one line, exit 2.
    for (args, want) in [
        (
            &["instance", "stats", "fc.txt", "--ref", "2"][..],
            "--ref 2",
        ),
        (
            &["instance", "stats", "fc.txt", "--kappa", "0.5"],
            "kappa = 0",
        ),
        (
            &["instance", "stats", "fc.txt", "--weights", "+-+"],
            "K = 3 rows",
        ),
    ] {
        let line = bad_input(args, &dir);
        assert!(line.contains(want), "{args:?}: {line}");
    }
    assert_eq!(entries(&dir), ["fc.txt", "r.txt", "t.txt"]);
    std::fs::remove_dir_all(dir).unwrap();
}
