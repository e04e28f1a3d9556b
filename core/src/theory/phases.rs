//! Phases of the Franz–Parisi curves and the thresholds κ_min, κ_LE, α_LE, α_min (THEORY §S3.6, T3).
//!
//! For fixed α and constrained margin κ (the paper's main case is κ = 0), the FP curve φ(d) around a
//! typical κ̃-margin reference is computed on d ∈ [1e-6, 0.98 d*] ([`phase_grid`]: 36 log-spaced points
//! below 0.05 d*, 24 linear above) and classified ([`classify`]):
//!
//! 1. κ̃ ≤ κ — [`Phase::Isolated`]: φ < 0 near d = 0 \[HK14\];
//! 2. κ̃ > κ — dense near d = 0 (φ ≈ H2(d)); a property shared by phases 3–5, reported as
//!    [`PhaseReport::dense_near_zero`] ([`Phase::Dense`] is never returned by the classifier);
//! 3. [`Phase::EmptyShell`]: the smallest interior local minimum of φ is < 0 (κ̃ < κ_min(α));
//! 4. [`Phase::IsolatedBalls`]: otherwise, if the smallest interior local minimum of dφ/dd is < 0
//!    (κ_min < κ̃ < κ_LE);
//! 5. [`Phase::LargeScale`]: otherwise (φ increasing up to d*, κ̃ > κ_LE).
//!
//! Each interior minimum whose grid value is positive is refined between its grid neighbours (root of
//! dφ/dd for φ, Brent minimization for dφ/dd): a negative grid value already decides the phase. Thresholds are found by bisection on the phase ([`kappa_min`],
//! [`kappa_le`], [`alpha_le`], [`alpha_min`]).

// `!(x > y)` is deliberate throughout: it is true for NaN, which must be rejected.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use super::franz_parisi::{
    self as fp, FpError, FpProblem, FpQuadrature, FpSaddle, WarmStart, FP_SOLVE,
};
use super::rs::{self, Kernel, RsError};
use crate::roots::{brent, brent_min};
use core::fmt;

/// Log-spaced grid points below 0.05 d*.
pub const GRID_LOG: usize = 36;
/// Linear grid points in [0.05 d*, 0.98 d*].
pub const GRID_LIN: usize = 24;
/// Total grid length.
pub const GRID_LEN: usize = GRID_LOG + GRID_LIN;
/// Smallest distance of the grid (the dense region can shrink to d ≲ 5e-6, T3 note).
pub const D_MIN: f64 = 1e-6;

/// The phases of §S3.6 (numbered as in the paper's main text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum Phase {
    /// 1: κ̃ = κ, isolated typical solutions (φ < 0 near d = 0).
    Isolated = 1,
    /// 2: κ̃ > κ, dense near d = 0 (a property of phases 3–5; never returned by [`classify`]).
    Dense = 2,
    /// 3: φ < 0 on an interval of d not containing 0 (empty spherical shell).
    EmptyShell = 3,
    /// 4: φ > 0 but dφ/dd has interior zeros (isolated balls, secondary maximum).
    IsolatedBalls = 4,
    /// 5: φ increasing up to d* (high-local-entropy, large-scale phase).
    LargeScale = 5,
}

impl Phase {
    /// The paper's number (1–5).
    pub fn number(self) -> u8 {
        self as u8
    }
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Isolated => "isolated",
            Phase::Dense => "dense",
            Phase::EmptyShell => "empty-shell",
            Phase::IsolatedBalls => "isolated-balls",
            Phase::LargeScale => "large-scale",
        }
    }
}

/// Why a classification or threshold search failed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PhaseError {
    /// The FP maximum or reference failed.
    Fp(FpError),
    /// κ_max(α) failed.
    Rs(RsError),
    /// Too few points of the curve could be computed to classify it.
    TooFewPoints {
        /// Points computed.
        computed: usize,
    },
    /// The bisection bracket does not contain a phase change (both ends have the same phase).
    NoBracket {
        /// Left end.
        lo: f64,
        /// Right end.
        hi: f64,
        /// Phase at the left end.
        phase_lo: u8,
        /// Phase at the right end.
        phase_hi: u8,
    },
}

impl fmt::Display for PhaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PhaseError::Fp(e) => write!(f, "{e}"),
            PhaseError::Rs(e) => write!(f, "{e}"),
            PhaseError::TooFewPoints { computed } => write!(f, "only {computed} points of the FP curve computed"),
            PhaseError::NoBracket { lo, hi, phase_lo, phase_hi } => write!(
                f,
                "no phase change in [{lo}, {hi}] (phase {phase_lo} at the left end, {phase_hi} at the right end)"
            ),
        }
    }
}

impl core::error::Error for PhaseError {}

impl PhaseError {
    /// Whether the classified curve does not exist (no RS reference or equilibrium with q < 1,
    /// [`FpError::does_not_exist`], [`RsError::does_not_exist`]), as opposed to a failure.
    pub fn does_not_exist(&self) -> bool {
        match self {
            PhaseError::Fp(e) => e.does_not_exist(),
            PhaseError::Rs(e) => e.does_not_exist(),
            _ => false,
        }
    }
}

impl From<FpError> for PhaseError {
    fn from(e: FpError) -> Self {
        PhaseError::Fp(e)
    }
}

impl From<RsError> for PhaseError {
    fn from(e: RsError) -> Self {
        PhaseError::Rs(e)
    }
}

/// The §S3.6 grid for a typical distance d*: 36 log-spaced points in [1e-6, 0.05 d*) and 24 linear
/// points in [0.05 d*, 0.98 d*], ascending.
pub fn phase_grid(d_star: f64) -> [f64; GRID_LEN] {
    let mut g = [0.0; GRID_LEN];
    let a = 0.05 * d_star;
    let (la, l0) = (libm::log(a), libm::log(D_MIN));
    for (i, v) in g.iter_mut().take(GRID_LOG).enumerate() {
        *v = libm::exp(l0 + (la - l0) * i as f64 / GRID_LOG as f64);
    }
    g[0] = D_MIN;
    let b = 0.98 * d_star;
    for i in 0..GRID_LIN {
        g[GRID_LOG + i] = a + (b - a) * i as f64 / (GRID_LIN - 1) as f64;
    }
    g
}

/// The result of [`classify`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaseReport {
    /// The phase (1, 3, 4 or 5).
    pub phase: Phase,
    /// Typical distance d* (maximum of φ).
    pub d_star: f64,
    /// φ(d*) = s_eq(α, κ).
    pub phi_star: f64,
    /// Smallest interior local minimum of φ: (d, φ), refined when the grid value is positive.
    pub min_phi: Option<(f64, f64)>,
    /// Smallest interior local minimum of dφ/dd: (d, dφ/dd), refined when the grid value is positive.
    pub min_dphi: Option<(f64, f64)>,
    /// φ > 0 at the smallest distance computed (the phase-2 "dense" property).
    pub dense_near_zero: bool,
    /// Smallest d reached when the RS branch ended before the grid's end (§S3.5).
    pub branch_end: Option<f64>,
    /// Grid points computed.
    pub computed: usize,
}

/// Classifies the FP curve of `prob` (§S3.6), writing the grid and the curve into `grid` and `curve`
/// (for plotting or inspection).
pub fn classify_into<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
    grid: &mut [f64; GRID_LEN],
    curve: &mut [Result<FpSaddle, FpError>; GRID_LEN],
) -> Result<PhaseReport, PhaseError> {
    let max = fp::maximum(quad, prob)?;
    *grid = phase_grid(max.d);
    let computed = fp::curve(quad, prob, &max, grid, curve)?;
    let mut branch_end = None;
    for r in curve.iter() {
        if let Err(FpError::BranchEnds { last_d, .. }) = r {
            branch_end = Some(*last_d);
        }
    }
    if computed < 5 {
        return Err(PhaseError::TooFewPoints { computed });
    }
    // valid points in ascending d
    let mut idx = [0usize; GRID_LEN];
    let mut n = 0;
    for (i, r) in curve.iter().enumerate() {
        if r.is_ok() {
            idx[n] = i;
            n += 1;
        }
    }
    let pt = |k: usize| -> &FpSaddle { curve[idx[k]].as_ref().expect("valid point") };
    let dense_near_zero = pt(0).phi > 0.0;
    // smallest interior local minimum of φ (refined: root of dφ/dd between the neighbours)
    let mut min_phi: Option<(f64, f64)> = None;
    let mut min_dphi: Option<(f64, f64)> = None;
    // Grid minima first; a minimum is refined only while its sign (the only thing the classification
    // uses) is still undecided, i.e. when its grid value is positive.
    for k in 1..n.saturating_sub(1) {
        let (l, m, r) = (pt(k - 1), pt(k), pt(k + 1));
        if m.phi <= l.phi && m.phi <= r.phi {
            let refined = if m.phi > 0.0 && !min_phi.is_some_and(|(_, v)| v < 0.0) {
                refine_phi_min(quad, prob, l, m, r)
            } else {
                (m.d, m.phi)
            };
            if min_phi.is_none_or(|(_, v)| refined.1 < v) {
                min_phi = Some(refined);
            }
        }
        if m.dphi_dd <= l.dphi_dd && m.dphi_dd <= r.dphi_dd {
            let refined = if m.dphi_dd > 0.0 && !min_dphi.is_some_and(|(_, v)| v < 0.0) {
                refine_dphi_min(quad, prob, l, m, r)
            } else {
                (m.d, m.dphi_dd)
            };
            if min_dphi.is_none_or(|(_, v)| refined.1 < v) {
                min_dphi = Some(refined);
            }
        }
    }
    let phase = if prob.kappa_ref <= prob.kappa {
        Phase::Isolated
    } else if min_phi.is_some_and(|(_, v)| v < 0.0) {
        Phase::EmptyShell
    } else if min_dphi.is_some_and(|(_, v)| v < 0.0) {
        Phase::IsolatedBalls
    } else {
        Phase::LargeScale
    };
    Ok(PhaseReport {
        phase,
        d_star: max.d,
        phi_star: max.phi,
        min_phi,
        min_dphi,
        dense_near_zero,
        branch_end,
        computed,
    })
}

/// [`classify_into`] with internal buffers.
pub fn classify<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
) -> Result<PhaseReport, PhaseError> {
    let mut grid = [0.0; GRID_LEN];
    let mut curve = [Err(FpError::NotComputed); GRID_LEN];
    classify_into(quad, prob, &mut grid, &mut curve)
}

fn nearest<'a>(l: &'a FpSaddle, m: &'a FpSaddle, r: &'a FpSaddle, d: f64) -> &'a FpSaddle {
    let mut best = m;
    for c in [l, r] {
        if libm::fabs(libm::log(c.d / d)) < libm::fabs(libm::log(best.d / d)) {
            best = c;
        }
    }
    best
}

fn eval_at<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
    l: &FpSaddle,
    m: &FpSaddle,
    r: &FpSaddle,
    d: f64,
) -> Option<FpSaddle> {
    let start = nearest(l, m, r, d);
    fp::solve_at(quad, prob, d, WarmStart::from(start), &FP_SOLVE).ok()
}

/// Refines a local minimum of φ: root of dφ/dd between the neighbours (falls back to the grid value).
fn refine_phi_min<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
    l: &FpSaddle,
    m: &FpSaddle,
    r: &FpSaddle,
) -> (f64, f64) {
    let (a, b) = if m.dphi_dd >= 0.0 { (l, m) } else { (m, r) };
    if !(a.dphi_dd <= 0.0 && b.dphi_dd >= 0.0) {
        return (m.d, m.phi);
    }
    let mut last: Option<FpSaddle> = None;
    let root = brent(
        |d: f64| match eval_at(quad, prob, l, m, r, d) {
            Some(s) => {
                last = Some(s);
                s.dphi_dd
            }
            None => f64::NAN,
        },
        a.d,
        b.d,
        1e-3 * m.d,
        30,
    );
    match (root, last) {
        (Ok(rt), Some(s)) if s.d == rt.x => (s.d, s.phi.min(m.phi)),
        (Ok(rt), _) => match eval_at(quad, prob, l, m, r, rt.x) {
            Some(s) => (s.d, s.phi.min(m.phi)),
            None => (m.d, m.phi),
        },
        _ => (m.d, m.phi),
    }
}

/// Refines a local minimum of dφ/dd by Brent minimization between the neighbours.
fn refine_dphi_min<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
    l: &FpSaddle,
    m: &FpSaddle,
    r: &FpSaddle,
) -> (f64, f64) {
    let (x, fx) = brent_min(
        |d| match eval_at(quad, prob, l, m, r, d) {
            Some(s) => s.dphi_dd,
            None => f64::NAN,
        },
        l.d,
        r.d,
        2e-3 * m.d,
        16,
    );
    if fx.is_finite() && fx < m.dphi_dd {
        (x, fx)
    } else {
        (m.d, m.dphi_dd)
    }
}

/// A threshold found by bisection, with its final bracket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    /// Midpoint of the final bracket.
    pub value: f64,
    /// Left end of the final bracket.
    pub lo: f64,
    /// Right end of the final bracket.
    pub hi: f64,
    /// Classifications performed.
    pub classifications: u32,
}

/// Bisection on a predicate that is true at `lo` and false at `hi`, to bracket width ≤ `tol`.
fn bisect<P: FnMut(f64) -> Result<(bool, u8), PhaseError>>(
    mut pred: P,
    lo: f64,
    hi: f64,
    tol: f64,
) -> Result<Threshold, PhaseError> {
    let (plo, phase_lo) = pred(lo)?;
    let (phi, phase_hi) = pred(hi)?;
    if !plo || phi {
        return Err(PhaseError::NoBracket {
            lo,
            hi,
            phase_lo,
            phase_hi,
        });
    }
    let (mut a, mut b) = (lo, hi);
    let mut count = 2;
    while b - a > tol {
        let m = 0.5 * (a + b);
        count += 1;
        if pred(m)?.0 {
            a = m;
        } else {
            b = m;
        }
    }
    Ok(Threshold {
        value: 0.5 * (a + b),
        lo: a,
        hi: b,
        classifications: count,
    })
}

fn phase_of<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    kernel: K,
    alpha: f64,
    kappa_ref: f64,
    kappa: f64,
) -> Result<Phase, PhaseError> {
    let prob = FpProblem::new(quad, kernel, alpha, kappa_ref, kappa)?;
    Ok(classify(quad, &prob)?.phase)
}

/// κ_min(α): the reference margin below which the FP curve has an empty shell (phase 3), by bisection
/// in κ̃ on [lo, hi] to width `tol` (§S3.6: 5e-4). Phase 3 must hold at `lo` and not at `hi`.
pub fn kappa_min<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    kernel: K,
    alpha: f64,
    kappa: f64,
    lo: f64,
    hi: f64,
    tol: f64,
) -> Result<Threshold, PhaseError> {
    bisect(
        |kr| {
            let p = phase_of(quad, kernel, alpha, kr, kappa)?;
            Ok((p == Phase::EmptyShell, p.number()))
        },
        lo,
        hi,
        tol,
    )
}

/// κ_LE(α): the reference margin above which the FP curve is monotonic (phase 5), by bisection in κ̃ on
/// [lo, hi] to width `tol`. Phase 5 must hold at `hi` and not at `lo`.
pub fn kappa_le<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    kernel: K,
    alpha: f64,
    kappa: f64,
    lo: f64,
    hi: f64,
    tol: f64,
) -> Result<Threshold, PhaseError> {
    bisect(
        |kr| {
            let p = phase_of(quad, kernel, alpha, kr, kappa)?;
            Ok((p != Phase::LargeScale, p.number()))
        },
        lo,
        hi,
        tol,
    )
}

/// Phase of the max-margin reference κ̃ = κ_max(α) (constrained margin κ).
pub fn max_margin_phase<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    kernel: K,
    alpha: f64,
    kappa: f64,
) -> Result<(f64, PhaseReport), PhaseError> {
    let km = rs::kappa_max_kernel(&quad.rs, &kernel, alpha)?;
    let prob = FpProblem::new(quad, kernel, alpha, km, kappa)?;
    Ok((km, classify(quad, &prob)?))
}

/// α_LE: the largest α at which the large-scale phase exists, κ_LE(α) = κ_max(α) (§S3.6): bisection in α
/// on [lo, hi] (phase 5 at `lo` with κ̃ = κ_max(lo), not at `hi`) to width `tol`.
pub fn alpha_le<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    kernel: K,
    kappa: f64,
    lo: f64,
    hi: f64,
    tol: f64,
) -> Result<Threshold, PhaseError> {
    bisect(
        |a| {
            let p = max_margin_phase(quad, kernel, a, kappa)?.1.phase;
            Ok((p == Phase::LargeScale, p.number()))
        },
        lo,
        hi,
        tol,
    )
}

/// α_min (our name, T3): the largest α at which the max-margin reference has no empty shell
/// (κ_min(α) = κ_max(α)): bisection in α on [lo, hi] to width `tol`.
pub fn alpha_min<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    kernel: K,
    kappa: f64,
    lo: f64,
    hi: f64,
    tol: f64,
) -> Result<Threshold, PhaseError> {
    bisect(
        |a| {
            let p = max_margin_phase(quad, kernel, a, kappa)?.1.phase;
            Ok((p != Phase::EmptyShell, p.number()))
        },
        lo,
        hi,
        tol,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_shape() {
        let g = phase_grid(0.3);
        assert_eq!(g[0], D_MIN);
        assert!((g[GRID_LOG] - 0.015).abs() < 1e-15);
        assert!((g[GRID_LEN - 1] - 0.294).abs() < 1e-15);
        assert!(g.windows(2).all(|w| w[0] < w[1]));
    }
}
