//! Experiments: one module per figure or study. Each is a [`Study`] run by
//! [`crate::harness::runner`]; [`FIGURES`] is the registry `flatmin figure` runs. None prints.

pub mod bench;
pub mod capacity;
pub mod committee_capacity;
pub mod committee_sbp;
pub mod deep_fig8;
pub mod enumeration;
pub mod instance_stats;
pub mod local_energy;
pub mod perceptron_theory;
pub mod profile;
pub mod report;
pub mod solver;

use crate::error::Result;
use crate::harness::runner::{self, Progress, RunOpts, Study};
use crate::harness::shard::Shard;
use std::path::PathBuf;

/// Options shared by every figure.
#[derive(Clone)]
pub struct FigureOpts<'a> {
    /// Parent directory; each figure writes into `<out>/figure-<name>/`.
    pub out: PathBuf,
    /// Coarse grids and few samples: a smoke run for tests and quick looks.
    pub quick: bool,
    /// Worker threads (all cores when `None`).
    pub threads: Option<usize>,
    /// Base seed for anything random.
    pub seed: u64,
    /// Run only this shard of each figure's points.
    pub shard: Option<Shard>,
    /// Replace existing results flatmin wrote with other parameters.
    pub force: bool,
    /// The command line, for meta.json.
    pub command_line: Vec<String>,
    /// Progress reporting.
    pub progress: &'a dyn Progress,
    /// Task of the deep-network figure 8 (`None`: its default, fashion-parity).
    pub task: Option<String>,
}

impl std::fmt::Debug for FigureOpts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FigureOpts")
            .field("out", &self.out)
            .field("quick", &self.quick)
            .field("seed", &self.seed)
            .field("shard", &self.shard)
            .finish()
    }
}

impl FigureOpts<'static> {
    /// Options writing under `out`: full fidelity, all cores, seed 0, no shard, no `--force`,
    /// silent.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        FigureOpts {
            out: out.into(),
            quick: false,
            threads: None,
            seed: 0,
            shard: None,
            force: false,
            command_line: std::env::args().collect(),
            progress: &runner::Silent,
            task: None,
        }
    }
}

impl FigureOpts<'_> {
    /// The directory of figure `name`: `<out>/figure-<name>`.
    pub fn dir(&self, name: &str) -> PathBuf {
        self.out.join(format!("figure-{name}"))
    }
    /// Runs a study as figure `name` into [`FigureOpts::dir`].
    pub fn run<S: Study>(&self, name: &str, study: &S) -> Result<FigureReport> {
        let o = RunOpts {
            dir: self.dir(name),
            threads: self.threads,
            seed: self.seed,
            shard: self.shard,
            quick: self.quick,
            force: self.force,
            command_line: self.command_line.clone(),
            progress: self.progress,
        };
        let out = runner::run(study, &o)?;
        Ok(FigureReport {
            name: name.to_string(),
            shard: out.is_shard(),
            dir: out.dir,
            seconds: out.meta.seconds,
            computed: out.computed,
            skipped: out.skipped,
            summary: out.meta.summary,
        })
    }
}

/// What a figure produced.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FigureReport {
    /// Figure name (as in the registry).
    pub name: String,
    /// Output directory.
    pub dir: PathBuf,
    /// Only one shard was run (no charts yet; `flatmin merge`, then rerun).
    pub shard: bool,
    /// Seconds spent computing (summed over resumed runs).
    pub seconds: f64,
    /// Points computed now.
    pub computed: usize,
    /// Points found done.
    pub skipped: usize,
    /// A small machine-readable summary (key numbers of the figure).
    pub summary: serde_json::Value,
}

/// A registered figure.
#[derive(Clone, Copy, Debug)]
pub struct FigureSpec {
    /// Name used on the command line (`flatmin figure NAME`).
    pub name: &'static str,
    /// One line on what it shows.
    pub about: &'static str,
    /// Produces it.
    pub run: fn(&FigureOpts<'_>) -> Result<FigureReport>,
}

/// Every figure flatmin reproduces, in the order `flatmin figure all` runs them.
pub const FIGURES: &[FigureSpec] = &[
    FigureSpec {
        name: "2",
        about: "distance between typical kappa-margin solutions vs kappa (RS)",
        run: perceptron_theory::figure2,
    },
    FigureSpec {
        name: "3",
        about: "Franz-Parisi local entropy vs distance for several reference margins",
        run: perceptron_theory::figure3,
    },
    FigureSpec {
        name: "4",
        about: "local-entropy curves and derivatives around alpha_LE",
        run: perceptron_theory::figure4,
    },
    FigureSpec {
        name: "5",
        about: "RS entropy vs kappa at several alpha, and kappa_max(alpha)",
        run: perceptron_theory::figure5,
    },
    FigureSpec {
        name: "6",
        about: "tree committee (ReLU): local entropy and derivative around max-margin solutions",
        run: committee_sbp::figure6,
    },
    FigureSpec {
        name: "7",
        about: "tree committee (sign): local entropy and derivative around max-margin solutions",
        run: committee_sbp::figure7,
    },
    FigureSpec {
        name: "local-energy",
        about: "exact local energy around a typical and a max-margin solution (perceptron, enumeration)",
        run: local_energy::figure,
    },
    FigureSpec {
        name: "sbp",
        about: "symmetric binary perceptron: pair entropy vs distance and capacity bounds vs kappa",
        run: committee_sbp::figure_sbp,
    },
    FigureSpec {
        name: "capacity",
        about: "algorithmic threshold: success probability of fBP, RBP, SBPI vs alpha (N = 1001)",
        run: |o| o.run("capacity", &capacity::figure_capacity(o.quick)),
    },
    FigureSpec {
        name: "committee-capacity",
        about: "committee machines: fBP success probability vs alpha = P/(K·N) for K = 1, 3, 5, 7 at \
                K·N ≈ 1000 (not in `all`: too long)",
        run: committee_capacity::figure,
    },
    FigureSpec {
        name: "profile",
        about: "BP local-entropy profiles around fBP solutions, mean +- std (SM II.3, N = 1001)",
        run: |o| o.run("profile", &profile::figure_profile(o.quick)),
    },
    FigureSpec {
        name: "8",
        about: "deep binary networks (Fashion-MNIST parity, 784-501-501-1): matched overlap and train \
                error vs P, local energy at the first zero-error P (~10 min on 2 cores; not in `all`)",
        run: deep_fig8::figure8,
    },
];

/// Figures `flatmin figure all` skips (too long for it); run them by name.
pub const NOT_IN_ALL: &[&str] = &["8", "committee-capacity"];

/// Looks a figure up by name.
pub fn figure(name: &str) -> Option<&'static FigureSpec> {
    FIGURES.iter().find(|f| f.name == name)
}
