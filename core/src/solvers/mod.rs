//! Baseline solvers of the binary perceptron (ALGORITHMS §d), all on the packed kernels and in
//! caller-provided buffers: SBPI and CP+R ([`sbpi()`], §d.2–d.3), simulated annealing on the error count
//! ([`annealing`], §d.4) and clipped Hebb ([`hebb`], §d.5). Reinforced BP (§d.1) is a focusing protocol
//! in [`crate::bp`] ([`crate::bp::FbpParams::rbp`]).
//!
//! Every solver writes its configuration into a caller [`crate::bits::SpinsMut`] and returns a
//! [`SolverOutcome`]: solved or not, errors left, margin, sweeps.
//!
//! Measured algorithmic thresholds at N = 1001, κ = 0 (release builds; details, commands and the
//! causes of the earlier failures in each module):
//!
//! | solver | measured (50 % of instances solved) | literature |
//! |---|---|---|
//! | SBPI, K = ⌈√N⌉ | α ≈ 0.74 (10/10 from 0.3 to 0.72, 4/10 at 0.75, 0/10 at 0.78; 10⁴ sweeps) | ≈ 0.65–0.7 at N ~ 10³ (Baldassi, Braunstein, Brunel, Zecchina, PNAS 2007) |
//! | CP+R, K = ⌈√N⌉, CP step on errors and barely correct patterns, p_s = 0.51·α³/√N | α ≈ 0.73 (9–10/10 from 0.3 to 0.72, 2/10 at 0.75, 0/10 at 0.78; before the fix 4–7/10 at 0.4–0.6, see [`mod@sbpi`]) | ≈ 0.65–0.7 at N ~ 10³ (recalled; Baldassi, J. Stat. Phys. 2009 studies generalization) |
//! | annealing, 10⁴ sweeps | below 0.3 (0/2 at α = 0.3; 10⁵ sweeps: 1/2) | "extremely long cooling … or just fail" (Baldassi et al., J. Stat. Mech. 2016) |
//! | clipped Hebb | α ≈ 0.09 (20/20 up to 0.05, 13/20 at 0.08, 7/20 at 0.1) | solves only at α → 0 |
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
