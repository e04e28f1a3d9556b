//! Local-entropy profile around a reference configuration (ALGORITHMS §b.7, the procedure of the
//! paper's SM II.3): BP with field λ·w̃ over a schedule of λ values, each warm-started from the
//! previous fixed point, recording d(λ) and S(d(λ)) = φ − λq at each converged point.

use super::{BpParams, BpWorkspace};
use crate::bits::Spins;
use crate::error::{Result, ShapeError};
use crate::instance::Instance;
use crate::real::Real;
use crate::rng::rng_from_seed;

/// One point of a local-entropy profile.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProfilePoint {
    /// Coupling λ.
    pub lambda: f64,
    /// Overlap q with the reference.
    pub q: f64,
    /// Normalized distance d = (1 − q)/2.
    pub d: f64,
    /// Bethe free entropy φ(λ).
    pub phi: f64,
    /// Local entropy S(d) = φ − λq.
    pub s: f64,
    /// BP converged at this λ (possibly after the damped retry).
    pub converged: bool,
    /// Sweeps used at this λ.
    pub sweeps: usize,
    /// Contradictory fixed point (S meaningless).
    pub contradiction: bool,
}

/// Runs BP along `lambdas` (in the given order, typically decreasing from large λ or increasing
/// from 0) around `reference`, warm-starting each λ from the previous messages, and writes one
/// [`ProfilePoint`] per λ into `out` (`out.len() == lambdas.len()`). `params.lambda` is ignored.
/// Messages are initialized once from `seed`.
pub fn local_entropy_profile<T: Real>(
    inst: &Instance<'_>,
    ws: &mut BpWorkspace<'_, T>,
    params: &BpParams<T>,
    reference: &Spins<'_>,
    lambdas: &[T],
    seed: u64,
    out: &mut [ProfilePoint],
) -> Result<()> {
    params.validate()?;
    if ws.factor() != params.factor {
        return Err(ShapeError::InvalidParameter(
            "workspace sized for another factor kind",
        ));
    }
    if out.len() != lambdas.len() {
        return Err(ShapeError::LengthMismatch {
            expected: lambdas.len(),
            got: out.len(),
        });
    }
    if lambdas.iter().any(|&l| !(l.is_finite() && l >= T::ZERO)) {
        return Err(ShapeError::InvalidParameter(
            "lambdas must be finite and >= 0",
        ));
    }
    let Some(&first) = lambdas.first() else {
        return Ok(());
    };
    let mut rng = rng_from_seed(seed);
    ws.init(inst, Some(reference), first, params.init_range, &mut rng)?;
    for (&lambda, point) in lambdas.iter().zip(out.iter_mut()) {
        ws.set_lambda(Some(reference), lambda)?;
        let c = ws.converge(inst, params, None, &mut rng);
        let b = ws.bethe(inst, Some(reference), params.contradiction_log_z)?;
        *point = ProfilePoint {
            lambda: lambda.to_f64(),
            q: b.q,
            d: b.d,
            phi: b.phi,
            s: b.s,
            converged: c.converged,
            sweeps: c.sweeps,
            contradiction: b.contradiction,
        };
    }
    Ok(())
}
