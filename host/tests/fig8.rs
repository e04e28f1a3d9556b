//! The Fig. 8 study (DEEP §g.7) run as a user would: `flatmin figure 8 --quick` on the real
//! Fashion-MNIST (Debian `dataset-fashion-mnist`, installed by scripts/data-deps), its resume, and
//! `flatmin deep study` on self-made IDX files, with its bad inputs.

use flatmin_host::deep::data::Task;
use flatmin_host::deep::net::BinaryNet;
use flatmin_host::deep::overlap::{overlap, raw_overlap};
use flatmin_host::deep::train::{initial_net, TrainParams};
use flatmin_host::experiments::deep_fig8::figure8_params;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{bad_input, flatmin, ok_json, write_idx_set, FASHION};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flatmin-fig8-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

fn col<'a>(h: &[String], rows: &'a [Vec<String>], name: &str) -> Vec<&'a str> {
    let c = h.iter().position(|x| x == name).unwrap_or_else(|| {
        panic!("no column {name} in {h:?}");
    });
    rows.iter().map(|r| r[c].as_str()).collect()
}

#[test]
fn figure8_quick_on_fashion_mnist_and_resume() {
    assert!(
        Path::new(FASHION).join("train-images-idx3-ubyte.gz").is_file(),
        "Fashion-MNIST missing at {FASHION}: run scripts/data-deps (apt-get install dataset-fashion-mnist)"
    );
    let dir = tmp("figure");
    let args = [
        "figure",
        "8",
        "--quick",
        "-o",
        "out",
        "--json",
        "--quiet",
        "--threads",
        "2",
    ];
    let r = ok_json(&args, &dir);
    let fig = &r[0];
    assert_eq!(fig["name"], "8");
    assert_eq!(fig["computed"], 4, "{fig}");
    let d = dir.join("out/figure-8");
    for f in [
        "data.csv",
        "meta.json",
        "figure-8.svg",
        "overlap_vs_p.csv",
        "local_energy.csv",
    ] {
        assert!(d.join(f).is_file(), "{f} missing");
    }
    // One row per (P, network), each with its stored network.
    let (h, rows) = csv(&d.join("data.csv"));
    assert_eq!(rows.len(), 4);
    let ps = col(&h, &rows, "p");
    assert_eq!(ps, ["50", "50", "2000", "2000"]);
    let files = col(&h, &rows, "net_file");
    let errs = col(&h, &rows, "train_errors");
    let nets: Vec<BinaryNet> = files
        .iter()
        .map(|f| BinaryNet::load_npz(&d.join(f)).unwrap())
        .collect();
    assert_eq!(nets[0].arch, [784, 101, 101, 1]);
    // The stored network's exact train errors, evaluated again by `deep eval`, are the row's.
    for k in [0, 2] {
        let e = ok_json(
            &[
                "deep",
                "eval",
                files[k],
                "--task",
                "fashion-parity",
                "--p",
                ps[k],
                "--json",
            ],
            &d,
        );
        assert_eq!(e["train_errors"].to_string(), errs[k], "row {k}");
    }
    // The per-P overlaps are the matched overlaps of the stored pairs.
    let (oh, orows) = csv(&d.join("overlap_vs_p.csv"));
    assert_eq!(orows.len(), 2);
    for (k, (a, b)) in [(0, 1), (2, 3)].into_iter().enumerate() {
        let q = overlap(&nets[a], &nets[b]).unwrap();
        let got: f64 = col(&oh, &orows, "q")[k].parse().unwrap();
        assert!((got - q.q).abs() < 1e-12, "P row {k}: {got} vs {}", q.q);
        let l2: f64 = col(&oh, &orows, "q_layer_2")[k].parse().unwrap();
        assert!((l2 - q.q_layers[1]).abs() < 1e-12);
        let q0: f64 = col(&oh, &orows, "q_random")[k].parse().unwrap();
        assert!(q0 > 0.0 && q0 < 0.3, "random baseline {q0}");
        // flipped: the mean fraction of signs each network moved from its own initialisation,
        // rebuilt here from the row's seed and the figure's training parameters.
        let train = figure8_params(Task::FashionParity, true).train;
        let seeds = col(&h, &rows, "seed");
        let moved: f64 = [a, b]
            .iter()
            .map(|&i| {
                let params = TrainParams {
                    seed: seeds[i].parse().unwrap(),
                    ..train.clone()
                };
                let init = initial_net(&nets[i].arch, &params).unwrap();
                (1.0 - raw_overlap(&nets[i], &init).unwrap().q) / 2.0
            })
            .sum::<f64>()
            / 2.0;
        let got: f64 = col(&oh, &orows, "flipped")[k].parse().unwrap();
        assert!((got - moved).abs() < 1e-12, "flipped {got} vs {moved}");
        assert!(moved > 0.2, "training decides the signs: {moved}");
    }
    // Local energy: at the threshold P* (the largest P up to which every network has zero train
    // error) and/or the
    // contrast P above it, δE(0) = 0 and every profile has the 7 flip probabilities.
    let summary = &fig["summary"];
    let (eh, erows) = csv(&d.join("local_energy.csv"));
    assert!(!erows.is_empty());
    let roles = col(&eh, &erows, "role");
    let flips = col(&eh, &erows, "flip_p");
    let de = col(&eh, &erows, "delta_e");
    for k in 0..erows.len() {
        if flips[k] == "0" {
            assert_eq!(de[k], "0");
        }
    }
    match summary["p_star"].as_u64() {
        Some(p) => {
            assert!(roles.contains(&"threshold"));
            let all_zero = col(&oh, &orows, "all_zero");
            let opp = col(&oh, &orows, "p");
            let pos = opp.iter().position(|x| *x == p.to_string()).unwrap();
            assert_eq!(all_zero[pos], "true");
        }
        None => {
            assert!(summary["p_star_reason"].is_string(), "{summary}");
            assert!(!roles.contains(&"threshold"));
        }
    }
    assert_eq!(erows.len() % 7, 0);
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("meta.json")).unwrap()).unwrap();
    assert!(meta["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "nets"));
    assert_eq!(meta["params"]["ps"], serde_json::json!([50, 2000]));

    // Resume: the same command computes nothing new and leaves the data and networks as they were.
    let data_before = std::fs::read(d.join("data.csv")).unwrap();
    let net_before = std::fs::read(d.join(files[3])).unwrap();
    let r2 = ok_json(&args, &dir);
    assert_eq!(r2[0]["computed"], 0);
    assert_eq!(r2[0]["skipped"], 4);
    assert_eq!(std::fs::read(d.join("data.csv")).unwrap(), data_before);
    assert_eq!(std::fs::read(d.join(files[3])).unwrap(), net_before);
    assert_eq!(r2[0]["summary"]["per_p"], summary["per_p"]);
    // The same directory with other parameters: refused.
    bad_input(
        &[
            "figure", "8", "-o", "out", "--quick", "--task", "fashion", "--quiet",
        ],
        &dir,
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn deep_study_on_self_made_data_and_bad_inputs() {
    let dir = tmp("study");
    write_idx_set(&dir, 120, 50, 3);
    let d = dir.to_str().unwrap();
    let args = [
        "deep",
        "study",
        "--task",
        "fashion",
        "--arch",
        "784-16-16-10",
        "--ps",
        "40,120",
        "--seeds",
        "3",
        "--epochs",
        "20",
        "--batch",
        "20",
        "--lr",
        "2",
        "--flip-ps",
        "0:0.2:3",
        "--samples",
        "3",
        "--data",
        d,
        "-o",
        "run",
        "--json",
        "--quiet",
    ];
    let s = ok_json(&args, &dir);
    assert_eq!(s["task"], "fashion");
    assert_eq!(s["arch"], "784-16-16-10");
    let per_p = s["per_p"].as_array().unwrap();
    assert_eq!(per_p.len(), 2);
    assert_eq!(per_p[1]["networks"], 3);
    assert_eq!(per_p[0]["q_layers"].as_array().unwrap().len(), 3);
    let nets = std::fs::read_dir(dir.join("run/nets")).unwrap().count();
    assert_eq!(nets, 6);
    assert!(dir.join("run/deep-study.svg").is_file());
    // Rerun: nothing recomputed, the same summary.
    assert_eq!(ok_json(&args, &dir), s);
    // Two shards, merged, then the unsharded command draws: the same tables as the unsharded run.
    let sharded: Vec<&str> = args
        .iter()
        .map(|a| if *a == "run" { "sharded" } else { *a })
        .collect();
    for sh in ["0/2", "1/2"] {
        let mut a = vec!["--shard", sh];
        a.extend(sharded.iter().filter(|x| **x != "--json"));
        let out = flatmin(&a, &dir);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = flatmin(&["merge", "sharded"], &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ok_json(&sharded, &dir)["per_p"], s["per_p"]);
    let (h1, r1) = csv(&dir.join("sharded/data.csv"));
    let (h2, r2) = csv(&dir.join("run/data.csv"));
    for c in ["key", "seed", "train_errors", "test_error", "net_file"] {
        assert_eq!(col(&h1, &r1, c), col(&h2, &r2, c), "data.csv {c}");
    }
    for f in ["overlap_vs_p.csv", "local_energy.csv"] {
        assert_eq!(
            std::fs::read_to_string(dir.join("sharded").join(f)).unwrap(),
            std::fs::read_to_string(dir.join("run").join(f)).unwrap(),
            "{f}"
        );
    }
    // Bad inputs: one line, exit 2, nothing left behind.
    for (bad, what) in [
        (vec!["--seeds", "1"], "networks per P"),
        (vec!["--ps", "0,10"], "P = 0"),
        (vec!["--ps", "10,500"], "training set has 120"),
        (vec!["--arch", "784-16-1"], "needs 784 inputs and 10"),
        (vec!["--flip-ps", "0:2:3"], "flip-ps"),
        (vec!["--samples", "0"], "samples"),
    ] {
        let mut a: Vec<&str> = vec![
            "deep", "study", "--task", "fashion", "--epochs", "2", "--data", d, "-o", "bad",
        ];
        for (flag, value) in [("--arch", "784-16-16-10"), ("--ps", "40"), ("--seeds", "2")] {
            if !bad.contains(&flag) {
                a.extend([flag, value]);
            }
        }
        a.extend(bad.iter());
        let line = bad_input(&a, &dir);
        assert!(line.contains(what), "{bad:?}: {line}");
        assert!(!dir.join("bad").exists(), "{bad:?} left a directory");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
