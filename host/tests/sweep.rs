//! The study runner on a toy study (library level): resume after a failure and a partial last line,
//! thread-count independence, shards + merge against an unsharded run, the rejection of mismatched
//! reruns and shards, --force, the lock, and progress reporting.
//!
//! The toy point is an integer k; its row is (k, mean of 4 samples), each sample a uniform draw from
//! the stream of its derived seed. Expected values are not numbers but equalities between runs that
//! must agree by the runner's contract (module doc of `harness::runner`).

use flatmin_core::rng::{rng_from_seed, uniform};
use flatmin_host::harness::runner::{self, Outcome, Progress, RunOpts, Seeds, Study};
use flatmin_host::harness::shard::{merge, Shard};
use flatmin_host::harness::{par_samples, runner::Outputs, runner::Table};
use flatmin_host::Error;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const POINTS: usize = 12;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flatmin-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[derive(Serialize)]
struct ToyParams {
    samples: usize,
    points: usize,
}

struct Toy {
    params: ToyParams,
    column: &'static str,
    fail: Option<usize>,
    calls: AtomicUsize,
}

fn toy_study(samples: usize, fail: Option<usize>) -> Toy {
    Toy {
        params: ToyParams {
            samples,
            points: POINTS,
        },
        column: "mean",
        fail,
        calls: AtomicUsize::new(0),
    }
}

impl Study for Toy {
    type Params = ToyParams;
    type Point = usize;
    type Row = Vec<f64>;
    fn experiment(&self) -> String {
        "toy".into()
    }
    fn params(&self) -> &ToyParams {
        &self.params
    }
    fn columns(&self) -> Vec<String> {
        vec!["k".into(), self.column.into()]
    }
    fn points(&self) -> flatmin_host::Result<Vec<usize>> {
        Ok((0..self.params.points).collect())
    }
    fn run_point(&self, &k: &usize, seeds: Seeds) -> flatmin_host::Result<Vec<Vec<f64>>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if Some(k) == self.fail {
            return Err(Error::Numerics("toy failure".into()));
        }
        let n = self.params.samples;
        let xs = par_samples(n, seeds.point, |_, s| Ok(uniform(&mut rng_from_seed(s))))?;
        Ok(vec![vec![k as f64, xs.iter().sum::<f64>() / n as f64]])
    }
    fn finish(
        &self,
        data: &Table,
        out: &mut Outputs<'_>,
    ) -> flatmin_host::Result<serde_json::Value> {
        let m = data.f64s("mean")?;
        out.csv("total.csv", &["sum"], &[vec![m.iter().sum::<f64>()]])?;
        Ok(serde_json::json!({"points": m.len()}))
    }
}

#[derive(Default)]
struct Count {
    started: AtomicUsize,
    done: AtomicUsize,
}
impl Progress for Count {
    fn start(&self, _: &str, _: u64, done: u64) {
        self.started.store(done as usize, Ordering::Relaxed);
    }
    fn point_done(&self, done: u64, _: u64) {
        self.done.fetch_max(done as usize, Ordering::Relaxed);
    }
}

fn opts<'a>(dir: &Path, threads: usize, shard: Option<Shard>, p: &'a dyn Progress) -> RunOpts<'a> {
    RunOpts {
        threads: Some(threads),
        seed: 42,
        shard,
        progress: p,
        ..RunOpts::new(dir)
    }
}

fn run(
    dir: &Path,
    study: &Toy,
    threads: usize,
    shard: Option<Shard>,
) -> flatmin_host::Result<Outcome> {
    runner::run(study, &opts(dir, threads, shard, &runner::Silent))
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

fn meta(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&dir.join("meta.json"))).unwrap()
}

#[test]
fn failed_study_resumes_without_recomputing() {
    let reference = tmp("resume-ref");
    let full = run(&reference, &toy_study(4, None), 1, None).unwrap();
    assert_eq!((full.computed, full.skipped), (POINTS, 0));
    assert!(reference.join("total.csv").is_file());

    // First run: point 7 fails. The points that finished are on disk, meta.json says incomplete.
    let dir = tmp("resume");
    let err = run(&dir, &toy_study(4, Some(7)), 1, None).unwrap_err();
    assert!(err.to_string().contains("point 7: toy failure"), "{err}");
    let partial = read(&dir.join("data.csv"));
    let present = keys(&partial);
    assert!(present.contains(&"0".to_string()), "{partial}");
    assert!(!present.contains(&"7".to_string()), "{partial}");
    assert_eq!(meta(&dir)["sweep"]["complete"], false);
    assert!(meta(&dir)["finished"].is_null());

    // A write cut short by a kill leaves a partial last line; the rerun drops it.
    let mut text = partial.clone();
    text.push_str("7,7,7,0.12");
    std::fs::write(dir.join("data.csv"), text).unwrap();

    // Rerun: only the missing points run, and the result equals the uninterrupted run byte for byte.
    let count = Count::default();
    let study = toy_study(4, None);
    let done = runner::run(&study, &opts(&dir, 2, None, &count)).unwrap();
    assert_eq!(study.calls.load(Ordering::Relaxed), POINTS - present.len());
    assert_eq!(
        (done.computed, done.skipped),
        (POINTS - present.len(), present.len())
    );
    assert_eq!(count.started.load(Ordering::Relaxed), present.len());
    assert_eq!(count.done.load(Ordering::Relaxed), POINTS);
    assert_eq!(
        read(&dir.join("data.csv")),
        read(&reference.join("data.csv"))
    );
    assert_eq!(
        read(&dir.join("total.csv")),
        read(&reference.join("total.csv"))
    );
    assert_eq!(done.table.rows, full.table.rows);
    let m = meta(&dir);
    assert_eq!(m["sweep"]["complete"], true);
    assert_eq!(m["sweep"]["resumed"].as_array().unwrap().len(), 1);
    assert!(m["finished"].is_string());
    assert_eq!(m["summary"]["points"], POINTS);
    assert!(m["command_line"].is_array() && m["quick"] == false);

    // A third run computes nothing.
    let study = toy_study(4, None);
    let again = run(&dir, &study, 2, None).unwrap();
    assert_eq!(study.calls.load(Ordering::Relaxed), 0);
    assert_eq!(again.table.rows, full.table.rows);
    for d in [reference, dir] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let (a, b) = (tmp("threads-1"), tmp("threads-2"));
    run(&a, &toy_study(4, None), 1, None).unwrap();
    run(&b, &toy_study(4, None), 2, None).unwrap();
    assert_eq!(read(&a.join("data.csv")), read(&b.join("data.csv")));
    for d in [a, b] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn shards_merge_into_the_unsharded_result() {
    let reference = tmp("shard-ref");
    run(&reference, &toy_study(4, None), 2, None).unwrap();
    let dir = tmp("shard");
    for i in 0..3 {
        let d = run(
            &dir,
            &toy_study(4, None),
            1,
            Some(Shard::new(i, 3).unwrap()),
        )
        .unwrap();
        assert!(d.is_shard());
        assert_eq!(d.dir, dir.join(format!("shard-{i}-of-3")));
        assert_eq!(d.computed, POINTS / 3);
        assert!(d
            .table
            .f64s("k")
            .unwrap()
            .iter()
            .all(|&k| k as usize % 3 == i));
        assert!(!d.dir.join("total.csv").exists(), "a shard is not finished");
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
    let m = meta(&dir);
    assert_eq!(m["shards"].as_array().unwrap().len(), 3);
    assert_eq!(m["sweep"]["complete"], true);
    assert_eq!(m["params"]["samples"], 4);

    // The merged directory is a complete unsharded study: a rerun computes nothing and finishes.
    let study = toy_study(4, None);
    let d = run(&dir, &study, 2, None).unwrap();
    assert_eq!(study.calls.load(Ordering::Relaxed), 0);
    assert_eq!(d.skipped, POINTS);
    assert_eq!(
        read(&dir.join("total.csv")),
        read(&reference.join("total.csv"))
    );
    assert_eq!(
        meta(&dir)["shards"].as_array().unwrap().len(),
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
    run(&dir, &toy_study(4, None), 1, None).unwrap();

    // Other parameters, seed, columns: bad input that names --force.
    let e = run(&dir, &toy_study(8, None), 1, None).unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("different params"),
        "{e}"
    );
    assert!(e.to_string().contains("--force"), "{e}");
    let o = RunOpts {
        seed: 43,
        ..opts(&dir, 1, None, &runner::Silent)
    };
    let e = runner::run(&toy_study(4, None), &o).unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("different seeds"),
        "{e}"
    );
    let mut other = toy_study(4, None);
    other.column = "median";
    let e = run(&dir, &other, 1, None).unwrap_err();
    assert!(e.is_input() && e.to_string().contains("columns"), "{e}");
    // A point list that does not contain the finished points.
    let mut fewer = toy_study(4, None);
    fewer.params.points = 3;
    let e = run(&dir, &fewer, 1, None).unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("different params"),
        "{e}"
    );

    // --force replaces only flatmin's files: with a foreign file in the directory it refuses.
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let forced = RunOpts {
        force: true,
        ..opts(&dir, 1, None, &runner::Silent)
    };
    let e = runner::run(&toy_study(8, None), &forced).unwrap_err();
    assert!(e.is_input() && e.to_string().contains("notes.txt"), "{e}");
    std::fs::remove_file(dir.join("notes.txt")).unwrap();
    let r = runner::run(&toy_study(8, None), &forced).unwrap();
    assert_eq!(r.computed, POINTS);
    assert_eq!(meta(&dir)["params"]["samples"], 8);

    // A directory with files flatmin did not write is refused, and nothing is added to it.
    let foreign = tmp("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("data.csv"), "x\n").unwrap();
    let e = run(&foreign, &toy_study(4, None), 1, None).unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("did not write"),
        "{e}"
    );
    assert_eq!(read(&foreign.join("data.csv")), "x\n");

    // Shards of different studies do not merge.
    let s0 = Shard::new(0, 2).unwrap();
    let s1 = Shard::new(1, 2).unwrap();
    let (a, b) = (tmp("mismatch-a"), tmp("mismatch-b"));
    run(&a, &toy_study(4, None), 1, Some(s0)).unwrap();
    run(&b, &toy_study(8, None), 1, Some(s1)).unwrap();
    let out = tmp("mismatch-out");
    let e = merge(&[a.join(s0.dir_name()), b.join(s1.dir_name())], &out, false).unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("different params"),
        "{e}"
    );
    assert!(!out.exists(), "a refused merge writes nothing");
    for d in [dir, a, b, foreign] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn a_locked_directory_is_refused_at_once() {
    let dir = tmp("lock");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = runner::DirLock::take(&dir).unwrap();
    let e = run(&dir, &toy_study(4, None), 1, None).unwrap_err();
    assert!(
        e.is_input() && e.to_string().contains("in use by another"),
        "{e}"
    );
    drop(lock);
    run(&dir, &toy_study(4, None), 1, None).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}
