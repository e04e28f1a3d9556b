//! Experiments: one module per figure or study. Each takes its parameters (and [`FigureOpts`] for the
//! figure registry), writes through [`crate::harness`], and returns data; none prints.

pub mod bench;
pub mod capacity;
pub mod committee_sbp;
pub mod enumeration;
pub mod local_energy;
pub mod perceptron_theory;
pub mod profile;

use crate::error::Result;
use std::path::PathBuf;

/// Options shared by every figure.
#[derive(Clone, Debug)]
pub struct FigureOpts {
    /// Parent directory; each figure writes into `<out>/<figure-name>/`.
    pub out: PathBuf,
    /// Coarse grids and few samples: a smoke run for tests and quick looks.
    pub quick: bool,
    /// No progress bars.
    pub quiet: bool,
    /// Worker threads (all cores when `None`).
    pub threads: Option<usize>,
    /// Base seed for anything random.
    pub seed: u64,
}

/// What a figure produced.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FigureReport {
    /// Figure name (as in the registry).
    pub name: String,
    /// Output directory.
    pub dir: PathBuf,
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
    pub run: fn(&FigureOpts) -> Result<FigureReport>,
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
        run: capacity::figure_capacity,
    },
    FigureSpec {
        name: "profile",
        about: "BP local-entropy profiles around fBP solutions, mean +- std (SM II.3, N = 1001)",
        run: profile::figure_profile,
    },
];

/// Looks a figure up by name.
pub fn figure(name: &str) -> Option<&'static FigureSpec> {
    FIGURES.iter().find(|f| f.name == name)
}
