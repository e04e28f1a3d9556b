//! The study runner through the real binary: a run killed with SIGKILL and rerun equals an
//! uninterrupted run and computes only the missing points; shards 0/2 + 1/2 + `flatmin merge` equal
//! the unsharded run row for row; a parameter mismatch is exit code 2; a second process on the same
//! directory fails at once (the lock); `--force`; and the Slurm array scripts of `scripts/slurm/`,
//! run with a stub `sbatch`, give the unsharded result.
//!
//! Tiny capacity studies (simulated annealing / SBPI / Hebb at N = 101) keep each test to seconds.
//! Rows are compared on every column except the wall-clock `seconds`, the only thing that may differ
//! between two runs.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_flatmin");

fn tmp(name: &str) -> PathBuf {
    common::tmp_dir("runner", name)
}

fn cmd(args: &[&str], cwd: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(cwd)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("SLURM_ARRAY_TASK_MIN");
    c
}

fn run(args: &[&str], cwd: &Path) -> Output {
    cmd(args, cwd).output().expect("run flatmin")
}

fn ok(args: &[&str], cwd: &Path) -> String {
    let out = run(args, cwd);
    assert!(
        out.status.success(),
        "flatmin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// data.csv without the wall-clock column.
fn rows(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("data.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let skip = header.iter().position(|h| *h == "seconds");
    std::iter::once(header.join(","))
        .chain(lines.map(|l| {
            l.split(',')
                .enumerate()
                .filter(|(i, _)| Some(*i) != skip)
                .map(|(_, f)| f)
                .collect::<Vec<_>>()
                .join(",")
        }))
        .collect()
}

fn data_lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("data.csv"))
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

fn meta(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap()
}

/// 12 annealing points of a few hundred milliseconds each (one thread).
fn slow(out: &str) -> Vec<String> {
    [
        "--quiet",
        "--threads",
        "1",
        "capacity",
        "--algo",
        "sa",
        "--sa-sweeps",
        "20000",
        "--n",
        "101",
        "--alphas",
        "0.3,0.4,0.5",
        "--samples",
        "4",
        "--out",
        out,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn wait_for_rows(dir: &Path, at_least: usize, child: &mut std::process::Child) {
    let start = Instant::now();
    while data_lines(dir) < at_least {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be interrupted"
        );
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigkill_then_rerun_equals_an_uninterrupted_run() {
    let dir = tmp("kill");
    ok(&args(&slow("whole")), &dir);
    let mut child = cmd(&args(&slow("killed")), &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_rows(&dir.join("killed"), 2, &mut child);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let m = meta(&dir.join("killed"));
    assert_eq!(m["sweep"]["complete"], false, "killed mid-run");
    let present = data_lines(&dir.join("killed"));
    assert!((2..12).contains(&present), "{present} points on disk");
    // The rerun computes only the missing points and ends equal to the uninterrupted run.
    ok(&args(&slow("killed")), &dir);
    let m = meta(&dir.join("killed"));
    assert_eq!(m["sweep"]["complete"], true);
    assert_eq!(m["sweep"]["computed_last_run"], 12 - present);
    assert_eq!(m["sweep"]["resumed"].as_array().unwrap().len(), 1);
    assert_eq!(rows(&dir.join("killed")), rows(&dir.join("whole")));
    assert_eq!(
        std::fs::read_to_string(dir.join("killed/success.csv"))
            .unwrap()
            .lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect::<Vec<_>>(),
        std::fs::read_to_string(dir.join("whole/success.csv"))
            .unwrap()
            .lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect::<Vec<_>>(),
        "success table equal but for mean_seconds"
    );
    let cl = m["command_line"].as_array().unwrap();
    assert!(cl.iter().any(|a| a == "capacity"), "{cl:?}");
    assert_eq!(m["quick"], false);
    std::fs::remove_dir_all(dir).unwrap();
}

fn fast(out: &str) -> Vec<String> {
    [
        "--quiet",
        "--threads",
        "2",
        "capacity",
        "--algo",
        "sbpi,hebb",
        "--n",
        "101",
        "--alphas",
        "0.3,0.5",
        "--samples",
        "3",
        "--out",
        out,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn shards_and_merge_equal_the_unsharded_run() {
    let dir = tmp("shards");
    ok(&args(&fast("whole")), &dir);
    for s in ["0/2", "1/2"] {
        let mut a = fast("sharded");
        a.insert(0, s.into());
        a.insert(0, "--shard".into());
        let text = ok(&args(&a), &dir);
        assert!(text.contains("flatmin merge"), "{text}");
    }
    assert!(!dir.join("sharded/success.csv").exists());
    let text = ok(&["merge", "sharded"], &dir);
    assert!(text.contains("12 of 12 points"), "{text}");
    assert_eq!(
        rows(&dir.join("sharded")),
        rows(&dir.join("whole")),
        "row for row"
    );
    // The unsharded rerun finds every point done and writes the tables and the chart.
    ok(&args(&fast("sharded")), &dir);
    assert_eq!(meta(&dir.join("sharded"))["sweep"]["computed_last_run"], 0);
    for f in ["success.csv", "capacity.svg"] {
        assert!(dir.join("sharded").join(f).is_file(), "{f}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn other_parameters_are_exit_2_and_force_replaces() {
    let dir = tmp("mismatch");
    ok(&args(&fast("run")), &dir);
    let before = std::fs::read_to_string(dir.join("run/data.csv")).unwrap();
    let mut other = fast("run");
    let i = other.iter().position(|a| a == "3").unwrap();
    other[i] = "2".into(); // --samples 2
    let line = common::bad_input(&args(&other), &dir);
    assert!(
        line.contains("different params") && line.contains("--force"),
        "{line}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("run/data.csv")).unwrap(),
        before,
        "nothing touched"
    );
    // A directory of files flatmin did not write is refused, even with --force.
    std::fs::create_dir_all(dir.join("mine")).unwrap();
    std::fs::write(dir.join("mine/thesis.tex"), "x").unwrap();
    let mut forced = fast("mine");
    forced.push("--force".into());
    let line = common::bad_input(&args(&forced), &dir);
    assert!(line.contains("thesis.tex"), "{line}");
    assert_eq!(
        std::fs::read_to_string(dir.join("mine/thesis.tex")).unwrap(),
        "x"
    );
    // --force replaces flatmin's own result.
    other.push("--force".into());
    ok(&args(&other), &dir);
    assert_eq!(meta(&dir.join("run"))["params"]["samples"], 2);
    // A quick figure does not silently replace a full one (nor the reverse).
    ok(
        &["--quiet", "figure", "2", "--quick", "--out", "figs"],
        &dir,
    );
    let line = common::bad_input(&["--quiet", "figure", "2", "--out", "figs"], &dir);
    assert!(line.contains("quick"), "{line}");
    ok(
        &["--quiet", "figure", "2", "--quick", "--out", "figs"],
        &dir,
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_second_process_on_the_same_directory_fails_at_once() {
    let dir = tmp("lock");
    let mut child = cmd(&args(&slow("run")), &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_rows(&dir.join("run"), 1, &mut child);
    let start = Instant::now();
    let line = common::bad_input(&args(&slow("run")), &dir);
    assert!(line.contains("in use by another flatmin process"), "{line}");
    assert!(start.elapsed() < Duration::from_secs(10), "fails at once");
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn slurm_array_scripts_with_a_stub_sbatch() {
    let dir = tmp("slurm");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // A stub sbatch: runs an array script once per task id (sequentially), anything else once.
    let stub = r#"#!/bin/bash
set -euo pipefail
script="${@: -1}"
range=$(sed -n 's/^#SBATCH --array=\([0-9]*-[0-9]*\).*/\1/p' "$script")
if [ -n "$range" ]; then
  lo=${range%-*}; hi=${range#*-}
  for i in $(seq "$lo" "$hi"); do
    SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=$((hi - lo + 1)) SLURM_ARRAY_TASK_MIN=$lo \
      bash "$script" >>"$SBATCH_LOG" 2>&1
  done
else
  bash "$script" >>"$SBATCH_LOG" 2>&1
fi
echo "4242"
"#;
    let sb = bin.join("sbatch");
    std::fs::write(&sb, stub).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&sb, std::fs::Permissions::from_mode(0o755)).unwrap();
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/slurm");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let vars = [
        ("FLATMIN", BIN.to_string()),
        ("OUT", "slurm-run".into()),
        ("ALGO", "sbpi,hebb".into()),
        ("N", "101".into()),
        ("ALPHAS", "0.3,0.5".into()),
        ("SAMPLES", "3".into()),
        ("SBATCH_LOG", dir.join("sbatch.log").display().to_string()),
        ("PATH", path),
    ];
    let out = Command::new("bash")
        .arg(scripts.join("submit.sh"))
        .current_dir(&dir)
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .output()
        .unwrap();
    let log = std::fs::read_to_string(dir.join("sbatch.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "submit.sh failed: {}\n{log}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 16 array tasks, each its own shard directory; then the merge job.
    let shards = std::fs::read_dir(dir.join("slurm-run"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("shard-")
        })
        .count();
    assert_eq!(shards, 16, "{log}");
    // The same study run once, unsharded.
    let mut whole = fast("whole");
    whole[2] = "1".into();
    ok(&args(&whole), &dir);
    assert_eq!(rows(&dir.join("slurm-run")), rows(&dir.join("whole")));
    assert!(dir.join("slurm-run/capacity.svg").is_file(), "{log}");
    std::fs::remove_dir_all(dir).unwrap();
}
