//! Tree committee machine, K → ∞, binary weights, sign and ReLU activations (THEORY §S5).
//!
//! K hidden perceptrons on disjoint blocks of N/K binary weights; output σ = sign(Λ),
//! Λ = K^{−1/2} Σ_l c_l φ(λ_l). For K → ∞ the outputs of two replicas whose hidden units have overlap Q
//! are jointly Gaussian with covariance k(Q) = E\[φ(λ_a)φ(λ_b)\] − E\[φ\]² (paper SM III, eq. (37)), so the
//! whole replica computation is the perceptron's with every overlap replaced by its *effective* value
//! k(·) and every diagonal 1 by Q_eff = k(1). That is exactly the [`Kernel`] hook of
//! [`crate::theory::rs`]: [`Activation`] implements it, and the RS entropy, κ_max and s = 0 capacity of
//! the committee are the perceptron solvers run with this kernel ([`mod@rs`], [`kappa_max`], [`alpha_c`]).
//!
//! | activation | k(Q) | k'(Q) | Q_eff |
//! |---|---|---|---|
//! | sign | (2/π) arcsin Q | (2/π)/√(1 − Q²) | 1 |
//! | ReLU (c_l = ±1 halves) | [√(1−Q²) + Q(π − arccos Q) − 1]/(2π) | (π − arccos Q)/(2π) | (π−1)/(2π) |
//!
//! Margins are in units of Λ (not normalized by √Q_eff), as in the spec's tables.
//!
//! The Franz–Parisi entropy around κ̃-margin committee solutions is [`crate::theory::franz_parisi`] with
//! this kernel ([`fp_problem`], [`fp_maximum`], [`fp_curve`]); [`max_margin_phase`] classifies the
//! curve around the max-margin reference (κ̃ = κ_max(α), κ = 0) and [`transition`] bisects in α for the
//! monotonic → non-monotonic transition α_LE (T3: sign 0.5577, ReLU 0.7725), both through
//! [`crate::theory::phases`] with this kernel.

use crate::real::Real;
use crate::theory::franz_parisi::{self, FpError, FpProblem, FpQuadrature, FpSaddle};
use crate::theory::phases::{self, PhaseError, PhaseReport, Threshold};
use crate::theory::rs::{self, Kernel, RsError, RsQuadrature, RsSaddle};

/// Hidden-unit activation of the tree committee machine; as a [`Kernel`] it is the effective
/// covariance map of §S5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Activation {
    /// φ = sign, c_l = 1: k(Q) = (2/π) arcsin Q, Q_eff = 1.
    Sign,
    /// φ = max(0, ·), c_l = +1 on half the units and −1 on the other half (cancels the mean):
    /// k(Q) = [√(1−Q²) + Q(π − arccos Q) − 1]/(2π), Q_eff = (π − 1)/(2π) ≈ 0.3408451.
    Relu,
}

impl Activation {
    /// Parses `"sign"` or `"relu"`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sign" => Some(Activation::Sign),
            "relu" => Some(Activation::Relu),
            _ => None,
        }
    }
}

impl Kernel for Activation {
    #[inline]
    fn k<T: Real>(&self, q: T) -> T {
        let q = q.max(-T::ONE).min(T::ONE);
        match self {
            Activation::Sign => T::TWO / T::PI * q.asin(),
            Activation::Relu => {
                let s = ((T::ONE - q) * (T::ONE + q)).max(T::ZERO).sqrt();
                (s + q * (T::PI - q.acos()) - T::ONE) / (T::TWO * T::PI)
            }
        }
    }
    #[inline]
    fn dk<T: Real>(&self, q: T) -> T {
        let q = q.max(-T::ONE).min(T::ONE);
        match self {
            Activation::Sign => {
                let s2 = (T::ONE - q) * (T::ONE + q);
                if s2 > T::ZERO {
                    T::TWO / T::PI / s2.sqrt()
                } else {
                    T::INFINITY
                }
            }
            Activation::Relu => (T::PI - q.acos()) / (T::TWO * T::PI),
        }
    }
    #[inline]
    fn q_eff<T: Real>(&self) -> T {
        match self {
            Activation::Sign => T::ONE,
            Activation::Relu => (T::PI - T::ONE) / (T::TWO * T::PI),
        }
    }
    fn name(&self) -> &'static str {
        match self {
            Activation::Sign => "sign",
            Activation::Relu => "relu",
        }
    }
}

/// RS saddle point and entropy of the K → ∞ tree committee at (α, κ) (§S5: G_S unchanged,
/// G_E = ∫Dz ln H((κ − √q_e z)/√(Q_eff − q_e)), q̂ = α k'(q) E\[g²\]/(Q_eff − q_e)).
pub fn rs<T: Real>(
    quad: &RsQuadrature,
    act: Activation,
    alpha: T,
    kappa: T,
) -> Result<RsSaddle<T>, RsError> {
    rs::solve_kernel(quad, &act, alpha, kappa)
}

/// κ_max(α) of the committee: the margin (in units of Λ) where the RS entropy vanishes.
pub fn kappa_max<T: Real>(quad: &RsQuadrature, act: Activation, alpha: T) -> Result<T, RsError> {
    rs::kappa_max_kernel(quad, &act, alpha)
}

/// α at which the RS entropy of κ-margin committee solutions vanishes (§S5: 0.946952 sign,
/// 0.903986 ReLU at κ = 0).
pub fn alpha_c<T: Real>(quad: &RsQuadrature, act: Activation, kappa: T) -> Result<T, RsError> {
    rs::alpha_c_kernel(quad, &act, kappa)
}

/// The Franz–Parisi problem of the committee at (α, κ̃, κ) (reference: committee RS at κ̃).
pub fn fp_problem<const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    act: Activation,
    alpha: f64,
    kappa_ref: f64,
    kappa: f64,
) -> Result<FpProblem<Activation>, FpError> {
    FpProblem::new(quad, act, alpha, kappa_ref, kappa)
}

/// The unconstrained maximum of the committee Franz–Parisi entropy: φ(d*) = s_eq(α, κ) (§S5 check C7).
pub fn fp_maximum<const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<Activation>,
) -> Result<FpSaddle, FpError> {
    franz_parisi::maximum(quad, prob)
}

/// φ_FP of the committee on the grid `ds` (continuation from d*, see [`franz_parisi::curve`]); returns
/// the maximum and the number of points computed.
pub fn fp_curve<const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<Activation>,
    ds: &[f64],
    out: &mut [Result<FpSaddle, FpError>],
) -> Result<(FpSaddle, usize), FpError> {
    let max = franz_parisi::maximum(quad, prob)?;
    let n = franz_parisi::curve(quad, prob, &max, ds, out)?;
    Ok((max, n))
}

/// Phase (§S3.6) of the committee Franz–Parisi curve around typical max-margin solutions
/// (κ̃ = κ_max(α), constrained margin κ = 0): [`phases::max_margin_phase`] with this kernel.
/// Returns (κ_max(α), report); the curve is monotonic iff the phase is [`phases::Phase::LargeScale`].
pub fn max_margin_phase<const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    act: Activation,
    alpha: f64,
) -> Result<(f64, PhaseReport), PhaseError> {
    phases::max_margin_phase(quad, act, alpha, 0.0)
}

/// The monotonic → non-monotonic transition α_LE of the committee (κ = 0, κ̃ = κ_max(α)):
/// [`phases::alpha_le`] with this kernel, bisection on [lo, hi] to width `tol`
/// (T3: sign 0.5577, ReLU 0.7725).
pub fn transition<const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    act: Activation,
    lo: f64,
    hi: f64,
    tol: f64,
) -> Result<Threshold, PhaseError> {
    phases::alpha_le(quad, act, 0.0, lo, hi, tol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_vanish_at_zero_and_hit_q_eff_at_one() {
        for act in [Activation::Sign, Activation::Relu] {
            assert!(act.k(0.0f64).abs() < 1e-16);
            assert!((act.k(1.0f64) - act.q_eff::<f64>()).abs() < 1e-15);
        }
        assert!((Activation::Relu.q_eff::<f64>() - 0.340_845_1).abs() < 1e-7);
    }
}
