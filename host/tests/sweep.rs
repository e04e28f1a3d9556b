//! The sweep harness on a toy sweep (no experiment uses sweeps yet): resume after a failure, a
//! partial last line, thread-count independence, shards + merge against an unsharded run, and the
//! rejection of mismatched reruns and shards.
//!
//! The toy point is an integer k; its row is (k, mean of 4 samples), each sample a uniform draw from
//! the stream of its derived seed. Expected values are not numbers but equalities between runs that
//! must agree by the harness's contract (module doc of `harness::sweep`).

use flatmin_core::rng::{rng_from_seed, uniform};
use flatmin_host::harness::shard::{merge, Shard};
use flatmin_host::harness::sweep::{Sweep, SweepOpts};
use flatmin_host::harness::{par_samples, Meta};
use flatmin_host::Error;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const POINTS: usize = 12;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flatmin-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn meta() -> Meta {
    let mut m = Meta::new("toy-sweep");
    m.param("samples", 4);
    m
}

fn opts(threads: usize, shard: Option<Shard>) -> SweepOpts {
    SweepOpts {
        threads: Some(threads),
        quiet: true,
        seed: 42,
        shard,
    }
}

/// Runs the toy sweep; point `fail` (if any) returns an error. Counts the points computed.
fn toy(
    dir: &Path,
    o: &SweepOpts,
    fail: Option<usize>,
    calls: &AtomicUsize,
) -> flatmin_host::Result<flatmin_host::harness::sweep::SweepData> {
    let points: Vec<usize> = (0..POINTS).collect();
    Sweep::open(dir, &["k", "mean"], meta(), o)?.run(&points, |&k, seed| {
        calls.fetch_add(1, Ordering::Relaxed);
        if Some(k) == fail {
            return Err(Error::Numerics("toy failure".into()));
        }
        let xs = par_samples(4, seed, |_, s| Ok(uniform(&mut rng_from_seed(s))))?;
        Ok(vec![vec![k as f64, xs.iter().sum::<f64>() / 4.0]])
    })
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn keys(data_csv: &str) -> Vec<String> {
    data_csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect()
}

#[test]
fn killed_sweep_resumes_without_recomputing() {
    let reference = tmp("resume-ref");
    let calls = AtomicUsize::new(0);
    let full = toy(&reference, &opts(1, None), None, &calls).unwrap();
    assert_eq!((full.computed, full.skipped), (POINTS, 0));

    // First run: point 7 fails. The points that finished are on disk, meta.json says incomplete.
    let dir = tmp("resume");
    let err = toy(&dir, &opts(1, None), Some(7), &AtomicUsize::new(0)).unwrap_err();
    assert!(err.to_string().contains("point 7: toy failure"), "{err}");
    let partial = read(&dir.join("data.csv"));
    let present = keys(&partial);
    assert!(present.contains(&"0".to_string()), "{partial}");
    assert!(!present.contains(&"7".to_string()), "{partial}");
    let meta: serde_json::Value = serde_json::from_str(&read(&dir.join("meta.json"))).unwrap();
    assert_eq!(meta["sweep"]["complete"], false);

    // A write cut short by a kill leaves a partial last line; the rerun drops it.
    let mut text = partial.clone();
    text.push_str("7,7,7,0.12");
    std::fs::write(dir.join("data.csv"), text).unwrap();

    // Rerun: only the missing points run, and the result equals the uninterrupted run byte for byte.
    let calls = AtomicUsize::new(0);
    let done = toy(&dir, &opts(2, None), None, &calls).unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), POINTS - present.len());
    assert_eq!(
        (done.computed, done.skipped),
        (POINTS - present.len(), present.len())
    );
    assert_eq!(
        read(&dir.join("data.csv")),
        read(&reference.join("data.csv"))
    );
    assert_eq!(done.rows, full.rows);
    let meta: serde_json::Value = serde_json::from_str(&read(&dir.join("meta.json"))).unwrap();
    assert_eq!(meta["sweep"]["complete"], true);
    assert_eq!(meta["sweep"]["resumed"].as_array().unwrap().len(), 1);
    assert!(meta["finished"].is_string());

    // A third run computes nothing.
    let calls = AtomicUsize::new(0);
    let again = toy(&dir, &opts(2, None), None, &calls).unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), 0);
    assert_eq!(again.rows, full.rows);
    for d in [reference, dir] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let (a, b) = (tmp("threads-1"), tmp("threads-2"));
    toy(&a, &opts(1, None), None, &AtomicUsize::new(0)).unwrap();
    toy(&b, &opts(2, None), None, &AtomicUsize::new(0)).unwrap();
    assert_eq!(read(&a.join("data.csv")), read(&b.join("data.csv")));
    for d in [a, b] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn shards_merge_into_the_unsharded_result() {
    let reference = tmp("shard-ref");
    toy(&reference, &opts(2, None), None, &AtomicUsize::new(0)).unwrap();
    let dir = tmp("shard");
    for i in 0..3 {
        let d = toy(
            &dir,
            &opts(1, Some(Shard::new(i, 3).unwrap())),
            None,
            &AtomicUsize::new(0),
        )
        .unwrap();
        assert!(d.is_shard());
        assert_eq!(d.dir, dir.join(format!("shard-{i}-of-3")));
        assert_eq!(d.computed, POINTS / 3);
        assert!(d.f64s("k").unwrap().iter().all(|&k| k as usize % 3 == i));
    }
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| dir.join(format!("shard-{i}-of-3")))
        .collect();

    // A missing shard is refused unless --partial.
    let e = merge(&shards[..2], &dir, false).unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("shard 2/3 is missing"),
        "{e}"
    );
    // The same shard twice is refused.
    let e = merge(&[shards[0].clone(), shards[0].clone()], &dir, true).unwrap_err();
    assert!(e.is_input() && e.to_string().contains("given twice"), "{e}");

    let r = merge(&shards, &dir, false).unwrap();
    assert!(r.complete);
    assert_eq!((r.points, r.points_done, r.rows), (POINTS, POINTS, POINTS));
    assert_eq!(
        read(&dir.join("data.csv")),
        read(&reference.join("data.csv"))
    );
    let meta: serde_json::Value = serde_json::from_str(&read(&dir.join("meta.json"))).unwrap();
    assert_eq!(meta["shards"].as_array().unwrap().len(), 3);
    assert_eq!(meta["sweep"]["complete"], true);
    assert_eq!(meta["params"]["samples"], 4);

    // The merged directory is a finished unsharded sweep: a rerun computes nothing.
    let calls = AtomicUsize::new(0);
    let d = toy(&dir, &opts(2, None), None, &calls).unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), 0);
    assert_eq!(d.skipped, POINTS);
    let meta: serde_json::Value = serde_json::from_str(&read(&dir.join("meta.json"))).unwrap();
    assert_eq!(
        meta["shards"].as_array().unwrap().len(),
        3,
        "the merge record survives"
    );
    for d in [reference, dir] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn mismatched_reruns_and_shards_are_rejected() {
    let dir = tmp("mismatch");
    toy(&dir, &opts(1, None), None, &AtomicUsize::new(0)).unwrap();
    let points: Vec<usize> = (0..POINTS).collect();
    let row = |_: &usize, _| Ok(vec![vec![0.0, 0.0]]);

    // Other parameters.
    let mut m = meta();
    m.param("samples", 8);
    let e = Sweep::open(&dir, &["k", "mean"], m, &opts(1, None)).unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("different params"),
        "{e}"
    );
    // Other seed.
    let o = SweepOpts {
        seed: 43,
        ..opts(1, None)
    };
    let e = Sweep::open(&dir, &["k", "mean"], meta(), &o).unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("different seeds"),
        "{e}"
    );
    // Other columns.
    let e = Sweep::open(&dir, &["k", "median"], meta(), &opts(1, None)).unwrap_err();
    assert!(e.is_input() && e.to_string().contains("columns"), "{e}");
    // A point list that does not contain the finished points.
    let fewer: Vec<usize> = (0..3).collect();
    let e = Sweep::open(&dir, &["k", "mean"], meta(), &opts(1, None))
        .unwrap()
        .run(&fewer, row)
        .unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("not in this sweep"),
        "{e}"
    );
    // Shards of different sweeps do not merge.
    let s0 = Shard::new(0, 2).unwrap();
    let s1 = Shard::new(1, 2).unwrap();
    let (a, b) = (tmp("mismatch-a"), tmp("mismatch-b"));
    Sweep::open(&a, &["k", "mean"], meta(), &opts(1, Some(s0)))
        .unwrap()
        .run(&points, row)
        .unwrap();
    let mut m = meta();
    m.param("samples", 8);
    Sweep::open(&b, &["k", "mean"], m, &opts(1, Some(s1)))
        .unwrap()
        .run(&points, row)
        .unwrap();
    let out = tmp("mismatch-out");
    let e = merge(&[a.join(s0.dir_name()), b.join(s1.dir_name())], &out, false).unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("different params"),
        "{e}"
    );
    assert!(!out.exists(), "a refused merge writes nothing");
    for d in [dir, a, b] {
        std::fs::remove_dir_all(d).unwrap();
    }
}
