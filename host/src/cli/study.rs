//! What the study commands share: progress bars (the runner reports, the binary draws) and the
//! runner options built from the global flags.

use super::Global;
use flatmin_host::harness::runner::{self, Outcome, Progress, RunOpts, Study};
use flatmin_host::harness::shard::Shard;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A progress bar over `len` steps labelled `label`; hidden when `quiet` or stderr is not a terminal.
pub fn bar(len: u64, label: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let pb = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} ({eta})")
    {
        pb.set_style(style);
    }
    pb.set_prefix(label.to_string());
    pb
}

/// Progress bars on stderr for the runner.
#[derive(Debug)]
pub struct Bars {
    quiet: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// Bars, hidden with `--quiet` or when stderr is not a terminal.
    pub fn new(quiet: bool) -> Self {
        Bars {
            quiet,
            bar: Mutex::new(None),
        }
    }
}

impl Progress for Bars {
    fn start(&self, label: &str, total: u64, done: u64) {
        let pb = bar(total, label, self.quiet);
        pb.set_position(done);
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(pb);
        }
    }
    fn point_done(&self, done: u64, _total: u64) {
        if let Ok(b) = self.bar.lock() {
            if let Some(pb) = b.as_ref() {
                pb.set_position(done);
            }
        }
    }
    fn finish(&self) {
        if let Ok(mut b) = self.bar.lock() {
            if let Some(pb) = b.take() {
                pb.finish_and_clear();
            }
        }
    }
}

/// The shard of this process: `--shard`, else the SLURM array variables.
pub fn shard(g: &Global) -> anyhow::Result<Option<Shard>> {
    Ok(Shard::resolve(g.shard)?)
}

/// Runner options for a study writing into `dir`.
pub fn run_opts<'a>(
    g: &Global,
    dir: PathBuf,
    seed: u64,
    quick: bool,
    force: bool,
    progress: &'a Bars,
) -> anyhow::Result<RunOpts<'a>> {
    Ok(RunOpts {
        dir,
        threads: g.threads,
        seed,
        shard: shard(g)?,
        quick,
        force,
        command_line: std::env::args().collect(),
        progress,
    })
}

/// Runs `study` into `dir` with the global flags (threads, shard, progress bars unless --quiet).
pub fn run_study<S: Study>(
    g: &Global,
    study: &S,
    dir: PathBuf,
    seed: u64,
    force: bool,
) -> anyhow::Result<Outcome> {
    let bars = Bars::new(g.quiet);
    let o = run_opts(g, dir, seed, false, force, &bars)?;
    Ok(runner::run(study, &o)?)
}

/// The line printed after a run that computed one shard: where it wrote, its points (computed now
/// and in all), and the `flatmin merge` command that joins the shards of `out`.
pub fn shard_line(run: &Outcome, out: &Path) -> String {
    format!(
        "wrote shard {}: {} points ({} computed now); join with `flatmin merge {}`",
        run.dir.display(),
        run.table.rows.len(),
        run.computed,
        out.display()
    )
}
