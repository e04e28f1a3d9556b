//! Committee machines from the command line (issue 15, host side), run as a user would: `instance gen
//! --k K [--tree] [--teacher]` → `solve` round trips (fully connected and tree, fbp and rbp), every
//! reported solution re-checked here by a third forward pass written from the file text; a K = 1 file
//! byte-identical to the perceptron's; bad inputs (even K, tree with N % K ≠ 0, α = 0, sbpi on a
//! committee, malformed committee headers) exit 2 with one line and leave no file; `capacity --json`
//! is columnar; `capacity --k` and the `committee-capacity` figure (quick) run on the runner; pinned
//! digests of a generated committee instance and of one seeded solve.

mod common;
use common::{bad_input, entries, ok_json, ok_stdout as ok};
use flatmin_host::harness::runner::fnv1a64;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    common::tmp_dir("committee", name)
}

fn pm(c: char) -> i32 {
    match c {
        '+' => 1,
        '-' => -1,
        other => panic!("not a spin: {other:?}"),
    }
}

/// A committee file read directly from its text (no flatmin code): header, raw patterns, labels.
struct Text {
    n: usize,
    k: usize,
    tree: bool,
    patterns: Vec<Vec<i32>>,
    labels: Vec<i32>,
    refs: Vec<String>,
}

fn read_text(path: &Path) -> Text {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let h: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    let (n, p): (usize, usize) = (h[0].parse().unwrap(), h[1].parse().unwrap());
    let (k, tree) = if h.len() == 5 {
        (h[3].parse().unwrap(), h[4] == "tree")
    } else {
        (1, false)
    };
    let patterns: Vec<Vec<i32>> = (0..p)
        .map(|_| lines.next().unwrap().chars().map(pm).collect())
        .collect();
    let labels = lines.next().unwrap().chars().map(pm).collect();
    let refs = lines
        .map(|l| l.strip_prefix("R ").unwrap().to_string())
        .collect();
    Text {
        n,
        k,
        tree,
        patterns,
        labels,
        refs,
    }
}

/// Errors of committee `w` (K strings) on the raw text instance: majority of sign(s) with
/// sign(0) = +1 against the label.
fn errors(t: &Text, w: &[String]) -> usize {
    assert_eq!(w.len(), t.k);
    let n_in = if t.tree { t.n / t.k } else { t.n };
    t.patterns
        .iter()
        .zip(&t.labels)
        .filter(|(x, &y)| {
            let vote: i32 = w
                .iter()
                .enumerate()
                .map(|(u, row)| {
                    assert_eq!(row.chars().count(), n_in);
                    let off = if t.tree { u * n_in } else { 0 };
                    let s: i32 = row
                        .chars()
                        .enumerate()
                        .map(|(i, c)| pm(c) * x[off + i])
                        .sum();
                    if s >= 0 {
                        1
                    } else {
                        -1
                    }
                })
                .sum();
            (if vote > 0 { 1 } else { -1 }) != y
        })
        .count()
}

fn weights(v: &Value) -> Vec<String> {
    v["weights"]
        .as_array()
        .unwrap_or_else(|| panic!("weights is not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn gen_then_solve_round_trips_for_fc_and_tree() {
    let dir = tmp("round");
    // Fully connected, random labels: K = 3, N = 45, alpha = 0.2 per weight → P = 27.
    let gen = ok_json(
        &[
            "instance", "gen", "--n", "45", "--k", "3", "--alpha", "0.2", "--seed", "4", "-o",
            "fc.txt", "--json",
        ],
        &dir,
    );
    assert_eq!((gen["k"].as_u64(), gen["p"].as_u64()), (Some(3), Some(27)));
    let t = read_text(&dir.join("fc.txt"));
    assert_eq!((t.n, t.k, t.tree, t.patterns.len()), (45, 3, false, 27));
    for algo in ["fbp", "rbp"] {
        let v = ok_json(&["solve", "fc.txt", "--algo", algo, "--json"], &dir);
        assert_eq!(v["k"], 3, "{v}");
        assert_eq!(v["tree"], false);
        assert_eq!(v["algo"], algo);
        assert_eq!(v["solved"], true, "{algo}: {v}");
        let w = weights(&v);
        assert_eq!(
            errors(&t, &w),
            0,
            "{algo}: the printed solution is a solution"
        );
        assert_eq!(v["errors"], 0);
        for key in ["n", "p", "kappa", "seed", "margin", "sweeps", "seconds"] {
            assert!(v.get(key).is_some(), "{key} missing in {v}");
        }
    }
    // Tree with a teacher: K = 3, N = 45 (15 inputs per unit), alpha = 0.3 → P = 14; R1 is the
    // teacher, three lines, and it classifies every pattern.
    ok(
        &[
            "instance",
            "gen",
            "--n",
            "45",
            "--k",
            "3",
            "--tree",
            "--teacher",
            "--alpha",
            "0.3",
            "--seed",
            "2",
            "-o",
            "tree.txt",
        ],
        &dir,
    );
    let t = read_text(&dir.join("tree.txt"));
    assert_eq!((t.n, t.k, t.tree, t.patterns.len()), (45, 3, true, 14));
    assert_eq!(t.refs.len(), 3);
    assert_eq!(errors(&t, &t.refs), 0, "the teacher solves its instance");
    for algo in ["fbp", "rbp"] {
        let v = ok_json(&["solve", "tree.txt", "--algo", algo, "--json"], &dir);
        assert_eq!(
            (v["k"].as_u64(), v["tree"].as_bool()),
            (Some(3), Some(true))
        );
        assert_eq!(v["solved"], true, "{algo}: {v}");
        assert_eq!(errors(&t, &weights(&v)), 0);
    }
    // Text mode prints K weight lines.
    let text = ok(&["solve", "tree.txt"], &dir);
    assert_eq!(text.lines().count(), 1 + 3, "{text}");
    // `instance stats` has a committee version (issue 12 leftovers, item 6): the teacher R1
    // reproduces every label. Perceptron-only commands refuse a committee file with one line.
    let v = ok_json(&["instance", "stats", "tree.txt", "--json"], &dir);
    assert_eq!((v["k"].as_u64(), v["errors"].as_u64()), (Some(3), Some(0)));
    let line = bad_input(&["enumerate", "tree.txt"], &dir);
    assert!(line.contains("committee machine (K = 3"), "{line}");
    let line = bad_input(&["bp", "fc.txt"], &dir);
    assert!(line.contains("perceptrons (K = 1) only"), "{line}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn k1_file_is_the_perceptron_file() {
    let dir = tmp("k1");
    for teacher in [false, true] {
        let mut a = vec![
            "instance", "gen", "--n", "51", "--alpha", "0.4", "--seed", "3", "-o", "a.txt",
        ];
        let mut b = a.clone();
        b[9] = "b.txt";
        b.extend(["--k", "1"]);
        if teacher {
            a.push("--teacher");
            b.push("--teacher");
        }
        ok(&a, &dir);
        ok(&b, &dir);
        let (fa, fb) = (
            std::fs::read(dir.join("a.txt")).unwrap(),
            std::fs::read(dir.join("b.txt")).unwrap(),
        );
        assert_eq!(fa, fb, "--k 1 writes the perceptron file");
        // Digests of the files `flatmin instance gen` wrote before committees existed (main at
        // 3f2ad6e, same command).
        let pin = if teacher {
            0x0fd8_c13b_cf08_4385
        } else {
            0x2add_1f6d_3690_fa0e
        };
        assert_eq!(
            fnv1a64(&String::from_utf8(fa).unwrap()),
            pin,
            "teacher={teacher}"
        );
    }
    // And it is still solved as a perceptron: weights is one string, k = 1.
    let v = ok_json(&["solve", "a.txt", "--algo", "sbpi", "--json"], &dir);
    assert_eq!(v["k"], 1);
    assert!(v["weights"].is_string(), "{v}");
    assert!(v.get("tree").is_none());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_inputs_exit_2_with_one_line_and_no_file() {
    let dir = tmp("bad");
    let gen = |extra: &[&str]| {
        let mut a = vec![
            "instance", "gen", "--n", "45", "--alpha", "0.2", "-o", "x.txt",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (gen(&["--k", "4"]), "must be odd"),
        (gen(&["--k", "0"]), "must be odd"),
        (gen(&["--k", "7", "--tree"]), "must divide N = 45"),
        (
            {
                let mut a = gen(&["--k", "3"]);
                a[5] = "0".into();
                a
            },
            "--alpha 0",
        ),
        (gen(&["--k", "3", "--kappa", "0.5"]), "kappa = 0"),
    ];
    for (args, what) in &cases {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let line = bad_input(&a, &dir);
        assert!(line.contains(what), "{a:?}: {line}");
        assert!(entries(&dir).is_empty(), "{a:?} left {:?}", entries(&dir));
    }
    // Algorithms without a committee version.
    ok(
        &gen(&["--k", "3"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &dir,
    );
    for algo in ["sbpi", "cpr", "sa", "hebb"] {
        let line = bad_input(&["solve", "x.txt", "--algo", algo], &dir);
        assert!(line.contains("fbp or rbp"), "{line}");
    }
    let line = bad_input(
        &[
            "capacity", "--k", "3", "--algo", "fbp,sbpi", "--n", "21", "--alphas", "0.1", "-o",
            "cap",
        ],
        &dir,
    );
    assert!(line.contains("sbpi"), "{line}");
    let line = bad_input(
        &[
            "capacity", "--k", "2", "--n", "21", "--alphas", "0.1", "-o", "cap",
        ],
        &dir,
    );
    assert!(line.contains("odd"), "{line}");
    assert!(
        !dir.join("cap").exists(),
        "a refused study leaves no directory"
    );
    // Malformed committee headers and references: FILE:LINE: reason.
    let body = "+-+\n-++\n+-\n";
    let files = [
        ("3 2 0 3\n", "header must be", 2),
        ("3 2 0 4 fc\n", "must be odd", 2),
        ("3 2 0 x fc\n", "K = \"x\"", 2),
        ("3 2 0 3 ring\n", "architecture \"ring\"", 2),
        ("4 2 0 3 tree\n", "must divide N = 4", 2),
        ("3 2 0.5 3 fc\n", "kappa = 0", 2),
    ];
    for (i, (header, what, line_no)) in files.iter().enumerate() {
        let name = format!("h{i}.txt");
        let text = if header.starts_with("4 ") {
            format!("# c\n{header}+-+-\n-++-\n+-\n")
        } else {
            format!("# c\n{header}{body}")
        };
        std::fs::write(dir.join(&name), text).unwrap();
        let line = bad_input(&["solve", &name], &dir);
        assert!(line.contains(&format!("{name}:{line_no}:")), "{line}");
        assert!(line.contains(what), "{name}: {line}");
    }
    // A committee reference must have K lines of n characters.
    std::fs::write(
        dir.join("r.txt"),
        "3 2 0 3 fc\n+-+\n-++\n+-\nR +++\nR ---\n",
    )
    .unwrap();
    let line = bad_input(&["solve", "r.txt"], &dir);
    assert!(
        line.contains("r.txt:6:") && line.contains("K = 3 R lines"),
        "{line}"
    );
    std::fs::write(
        dir.join("r2.txt"),
        "6 2 0 3 tree\n+-+--+\n-++--+\n+-\nR ++\nR -\n",
    )
    .unwrap();
    let line = bad_input(&["solve", "r2.txt"], &dir);
    assert!(
        line.contains("r2.txt:6:") && line.contains("hidden unit 2"),
        "{line}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn capacity_json_is_columnar_for_perceptrons_and_committees() {
    let dir = tmp("capacity");
    let v = ok_json(
        &[
            "--quiet",
            "capacity",
            "--algo",
            "hebb,sbpi",
            "--n",
            "51",
            "--alphas",
            "0.2,0.4",
            "--samples",
            "2",
            "-o",
            "p",
            "--json",
        ],
        &dir,
    );
    let keys = [
        "algo",
        "alpha",
        "success",
        "solved",
        "samples",
        "mean_error_fraction",
        "mean_seconds",
    ];
    let check = |v: &Value, rows: usize| {
        let o = v
            .as_object()
            .unwrap_or_else(|| panic!("not an object: {v}"));
        let mut got: Vec<&str> = o.keys().map(String::as_str).collect();
        got.sort();
        let mut want = keys.to_vec();
        want.sort();
        assert_eq!(got, want);
        for k in keys {
            assert_eq!(o[k].as_array().unwrap().len(), rows, "{k}");
        }
    };
    check(&v, 4);
    assert_eq!(
        v["algo"],
        serde_json::json!(["hebb", "hebb", "sbpi", "sbpi"])
    );
    assert_eq!(v["alpha"], serde_json::json!([0.2, 0.4, 0.2, 0.4]));
    // The CSV has the same header.
    let csv = std::fs::read_to_string(dir.join("p/success.csv")).unwrap();
    assert_eq!(csv.lines().next().unwrap(), keys.join(","));
    // Committees on the runner: K = 3 fully connected, N = 21 (63 weights), P = 6.
    let v = ok_json(
        &[
            "--quiet",
            "capacity",
            "--k",
            "3",
            "--algo",
            "fbp,rbp",
            "--n",
            "21",
            "--alphas",
            "0.1",
            "--samples",
            "2",
            "-o",
            "c",
            "--json",
        ],
        &dir,
    );
    check(&v, 2);
    assert_eq!(v["success"], serde_json::json!([1.0, 1.0]), "{v}");
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("c/meta.json")).unwrap()).unwrap();
    assert_eq!(meta["params"]["k"], 3);
    assert!(meta["notes"]
        .to_string()
        .contains("committee machine K = 3"));
    let data = std::fs::read_to_string(dir.join("c/data.csv")).unwrap();
    assert!(
        data.lines().skip(1).all(|l| l.contains(",6,true,0,")),
        "{data}"
    );
    // A perceptron run records no k (its parameters are those of earlier versions).
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("p/meta.json")).unwrap()).unwrap();
    assert!(meta["params"].get("k").is_none() && meta["params"].get("tree").is_none());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn committee_capacity_figure_quick_on_the_runner() {
    let dir = tmp("figure");
    let list = ok(&["figure", "list"], &dir);
    assert!(list.contains("committee-capacity"), "{list}");
    let figure = || {
        ok_json(
            &[
                "--quiet",
                "figure",
                "committee-capacity",
                "--quick",
                "-o",
                "figs",
                "--json",
            ],
            &dir,
        )
    };
    let v = figure();
    let r = &v[0];
    assert_eq!(r["name"], "committee-capacity");
    assert_eq!(r["computed"], 16, "4 K × 2 alpha × 2 samples");
    assert_eq!(r["summary"]["k"], serde_json::json!([1, 3, 5, 7]));
    let a50 = r["summary"]["alpha_50"].as_array().unwrap();
    let why = r["summary"]["alpha_50_reason"].as_array().unwrap();
    for (a, w) in a50.iter().zip(why) {
        assert!(a.is_number() != w.is_string(), "value or reason: {a} {w}");
    }
    let fig = dir.join("figs/figure-committee-capacity");
    for f in [
        "data.csv",
        "success.csv",
        "meta.json",
        "figure-committee-capacity.svg",
    ] {
        assert!(fig.join(f).is_file(), "{f}");
    }
    let svg = std::fs::read_to_string(fig.join("figure-committee-capacity.svg")).unwrap();
    for k in [1, 3, 5, 7] {
        assert!(svg.contains(&format!("K = {k}")), "curve K = {k}");
    }
    let success = std::fs::read_to_string(fig.join("success.csv")).unwrap();
    assert_eq!(success.lines().count(), 1 + 8);
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(fig.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["quick"], true);
    assert!(
        meta["notes"].to_string().contains("K = 7 N = 15"),
        "grid in notes"
    );
    // A rerun resumes: nothing left to compute.
    let v = figure();
    assert_eq!(v[0]["computed"], 0);
    // Not part of `figure all` (its full run is far above a minute).
    assert!(flatmin_host::experiments::NOT_IN_ALL.contains(&"committee-capacity"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn pinned_committee_instance_and_solve() {
    // The peer's test size: N = 21, K = 5, alpha = 0.1 per weight (P = 11), seed 1.
    let dir = tmp("pin");
    ok(
        &[
            "instance", "gen", "--n", "21", "--k", "5", "--alpha", "0.1", "--seed", "1", "-o",
            "c.txt",
        ],
        &dir,
    );
    let text = std::fs::read_to_string(dir.join("c.txt")).unwrap();
    assert_eq!(text.lines().nth(1), Some("21 11 0 5 fc"));
    let digest = fnv1a64(&text);
    let v = ok_json(&["solve", "c.txt", "--seed", "3", "--json"], &dir);
    let w = weights(&v);
    assert_eq!(errors(&read_text(&dir.join("c.txt")), &w), 0);
    let wd = fnv1a64(&w.join("\n"));
    eprintln!(
        "PIN instance {digest:#018x} sweeps {} weights {wd:#018x}",
        v["sweeps"]
    );
    assert_eq!(digest, PIN_INSTANCE);
    assert_eq!(
        (v["solved"].as_bool(), v["sweeps"].as_u64()),
        (Some(true), Some(PIN_SWEEPS))
    );
    assert_eq!(wd, PIN_WEIGHTS);
    std::fs::remove_dir_all(dir).unwrap();
}
const PIN_INSTANCE: u64 = 0xbbcc_5249_8e02_06b1;
const PIN_SWEEPS: u64 = 7;
const PIN_WEIGHTS: u64 = 0x6be3_ca1b_3241_bc6a;
