//! Baseline solvers of the binary perceptron (ALGORITHMS §d), all on the packed kernels and in
//! caller-provided buffers: SBPI and CP+R ([`sbpi()`], §d.2–d.3), simulated annealing on the error count
//! ([`annealing`], §d.4) and clipped Hebb ([`hebb`], §d.5). Reinforced BP (§d.1) is a focusing protocol
//! in [`crate::bp`] ([`crate::bp::FbpParams::rbp`]).
//!
//! Every solver writes its configuration into a caller [`crate::bits::SpinsMut`] and returns a
//! [`SolverOutcome`]: solved or not, errors left, margin, sweeps.
//!
//! Memory per solver (N weights, P patterns, packed patterns P·⌈N/64⌉ words not counted):
//!
//! | solver | buffers | N = 127, P = 64 |
//! |---|---|---|
//! | SBPI, CP+R | hidden `[i8; N]`, `perm: [u32; P]`, `stabilities: [i32; P]` | 0.6 KB |
//! | annealing | transposed columns N·⌈P/64⌉ words, `stabilities: [i32; P]`, `sets: [u64; 2⌈P/64⌉]` | 1.3 KB |
//! | clipped Hebb | `counts: [i32; N]`, `stabilities: [i32; P]` | 0.8 KB |

pub mod annealing;
pub mod hebb;
pub mod sbpi;

pub use annealing::{anneal, AnnealParams};
pub use hebb::clipped_hebb;
pub use sbpi::{cpr, sbpi, SbpiParams};

use crate::bits::Spins;
use crate::error::Result;
use crate::instance::Instance;
use crate::stability::{margin, min_stability};

/// What a solver did.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SolverOutcome {
    /// The returned configuration is a κ-solution.
    pub solved: bool,
    /// E_κ of the returned configuration.
    pub errors: usize,
    /// Its margin min_μ s_μ/√N (+∞ if P = 0).
    pub margin: f64,
    /// Its smallest integer stability (`i32::MAX` if P = 0).
    pub min_stability: i32,
    /// Sweeps run (one sweep = P presentations for SBPI/CP+R, N proposals for annealing).
    pub sweeps: usize,
    /// Elementary steps: presentations, proposals (0 for Hebb).
    pub steps: u64,
}

/// Evaluates `w` on the instance (stabilities into `stabs`) and fills an outcome.
pub(crate) fn evaluate(
    inst: &Instance<'_>,
    w: &Spins<'_>,
    stabs: &mut [i32],
    sweeps: usize,
    steps: u64,
) -> Result<SolverOutcome> {
    let errors = inst.errors(w, stabs)?;
    Ok(SolverOutcome {
        solved: errors == 0,
        errors,
        margin: margin(stabs, inst.n()),
        min_stability: min_stability(stabs).unwrap_or(i32::MAX),
        sweeps,
        steps,
    })
}
