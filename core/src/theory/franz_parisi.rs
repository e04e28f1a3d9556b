//! Franz–Parisi (local) entropy around typical κ̃-margin solutions, RS ansatz (THEORY §S3.1–§S3.5),
//! in `f64`, generic over the effective-covariance [`Kernel`] of §S5.
//!
//! φ_FP(d; α, κ̃, κ) = extr_{q1, p, q̂1, p̂, Ŝ} { 𝒢_S + α 𝒢_E } at overlap S = 1 − 2d with the reference
//! (q0, q̂0) = RS equilibrium at (α, κ̃) (§S2, [`super::rs`]).
//!
//! * [`FpProblem`]: α, κ̃, κ, the kernel and the reference saddle.
//! * [`entropic`] / [`energetic`]: the two halves of the functional and their derivatives at given order
//!   parameters (the committee machine of §S5 reuses them through its own [`Kernel`]).
//! * [`solve_at`]: the saddle at one distance (Newton with a difference Jacobian on the 2-D map
//!   (q1, p) → (q̂1, p̂) → Ŝ → (q1, p), §S3.4 and §S1.3).
//! * [`maximum`]: the unconstrained maximum S = p, Ŝ = p̂, where φ = s_eq(α, κ) (§S3.5).
//! * [`curve`]: a whole curve over a d grid by continuation from d* (steps |Δd| ≤ 0.02,
//!   d_{k+1}/d_k ≥ 1/1.6), reporting [`FpError::BranchEnds`] below the point where the RS branch
//!   followed from d* turns back (§S3.5, κ = κ̃ case) instead of unphysical values.
//!
//! Quadrature (§S1.2): energetic 𝒢_E = ∫Dz0 (1/H(A0)) ∫_{A0}^∞ Dx1 ∫Dz1 — Gauss–Hermite in z0 and z1,
//! two Gauss–Legendre panels [A0, A0+τ], [A0+τ, A0+t*] in x1 (the first one resolves the boundary layer
//! of width √(Q_eff − q1e)/|b|); entropic E_w — trapezoid in z0 (step for the tanh poles), inner averages
//! by [`crate::quad::tanh_averages`] (localized rule for large widths). The node counts are const generics of
//! [`FpQuadrature`]: [`FpQuadratureSpec`] = 64 × (2·32) × 48 as in the spec, [`FpQuadratureFast`] =
//! 40 × (2·20) × 28, which agrees with it to ≤ 1e-9 on φ at the spec's test vector. In both, the z1 rule
//! adapts to the smoothing width c/√(Q_eff − q1e) (8 nodes below 0.2, 16 below 0.6, `NZ1` above), and
//! the saddle-point map skips the value 𝒢_E (only derivatives are needed). Newton steps use a
//! Broyden-updated Jacobian carried along the continuation ([`crate::roots::newton_broyden`]).

// `!(x > y)` is deliberate throughout: it is true for NaN, which must be rejected.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use super::rs::{self, Kernel, RsError, RsQuadrature, RsSaddle};
use crate::quad::{tanh_averages_with, GaussHermite, GaussLegendre, GaussTrapezoid};
use crate::roots::{newton_broyden, newton_fd, SolveError, SolveOptions};
use crate::special::{g, log_h, log_h_and_g};
use core::fmt;

/// ln √(2π).
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_7;

/// Why a Franz–Parisi computation failed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FpError {
    /// α, κ̃, κ or d out of domain.
    InvalidParameter(&'static str),
    /// The reference (RS equilibrium at κ̃) could not be computed.
    Reference(RsError),
    /// The RS equilibrium of the constrained system at margin `kappa` (the starting point of the
    /// unconstrained maximum, §S3.5) could not be computed; the reference at κ̃ was fine.
    Equilibrium {
        /// Margin κ of the constrained system.
        kappa: f64,
        /// Why the RS solve failed.
        error: RsError,
    },
    /// The saddle-point iteration did not converge at distance `d`.
    NotConverged {
        /// Distance.
        d: f64,
        /// Best residual max|T(x) − x|.
        residual: f64,
        /// Map evaluations used.
        evaluations: u32,
    },
    /// The RS branch followed by continuation from d* ends (turning point) between `last_d`, the last
    /// distance where it was found, and `d` (§S3.5: below, the iteration only finds unphysical solutions
    /// with q1 → 1). No value is reported for `d`.
    BranchEnds {
        /// Requested distance.
        d: f64,
        /// Last distance on the branch.
        last_d: f64,
    },
    /// The solver converged to an unphysical point (q1 ∉ [0, 1), non-finite φ).
    Unphysical {
        /// Distance.
        d: f64,
        /// q1 found.
        q1: f64,
    },
    /// Placeholder of a curve slot that was not computed (bad grid or earlier failure).
    NotComputed,
}

impl fmt::Display for FpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FpError::InvalidParameter(w) => write!(f, "invalid parameter: {w}"),
            FpError::Reference(e) => write!(f, "reference RS saddle: {e}"),
            FpError::Equilibrium { kappa, error } => {
                write!(f, "RS equilibrium at kappa = {kappa} (the constrained system): {error}")
            }
            FpError::NotConverged { d, residual, evaluations } => write!(
                f,
                "Franz-Parisi saddle not converged at d = {d:e}: residual {residual:e} after {evaluations} evaluations"
            ),
            FpError::BranchEnds { d, last_d } => {
                write!(f, "RS branch ends: no solution continued from d* at d = {d:e} (last found at d = {last_d:e})")
            }
            FpError::Unphysical { d, q1 } => write!(f, "unphysical saddle at d = {d:e} (q1 = {q1})"),
            FpError::NotComputed => write!(f, "not computed"),
        }
    }
}

impl core::error::Error for FpError {}

impl FpError {
    /// Whether the Franz–Parisi entropy does not exist for this problem (as opposed to a bad
    /// parameter or a numerical failure): the reference RS saddle at κ̃ or the RS equilibrium at κ
    /// has no solution with q < 1 (α ≥ α_GD, [`RsError::does_not_exist`]). Front ends report every
    /// point as null with this error as the reason.
    pub fn does_not_exist(&self) -> bool {
        match self {
            FpError::Reference(e) | FpError::Equilibrium { error: e, .. } => e.does_not_exist(),
            _ => false,
        }
    }
}

impl From<RsError> for FpError {
    fn from(e: RsError) -> Self {
        FpError::Reference(e)
    }
}

/// Quadrature tables of the Franz–Parisi computation: `NZ0` Gauss–Hermite nodes in z0, `NX`
/// Gauss–Legendre nodes per x1 panel, `NZ1` Gauss–Hermite nodes in z1, plus the RS tables.
#[derive(Clone, Debug)]
pub struct FpQuadrature<const NZ0: usize, const NX: usize, const NZ1: usize> {
    /// Outer z0 rule of the energetic term.
    pub gh0: GaussHermite<NZ0>,
    /// x1 panel rule.
    pub glx: GaussLegendre<NX>,
    /// Inner z1 rule (used when the width c/√(Q_eff − q1e) of the z1 smoothing is ≥ 0.6).
    pub gh1: GaussHermite<NZ1>,
    /// Inner z1 rule for widths < 0.2.
    pub gh1_8: GaussHermite<8>,
    /// Inner z1 rule for widths in [0.2, 0.6).
    pub gh1_16: GaussHermite<16>,
    /// RS tables (reference saddle, inner localized averages).
    pub rs: RsQuadrature,
}

/// The spec's node counts (§S1.2): 64 × (2·32) × 48.
pub type FpQuadratureSpec = FpQuadrature<64, 32, 48>;
/// Cheaper node counts used by curves, phases and figures: 40 × (2·20) × 28.
pub type FpQuadratureFast = FpQuadrature<40, 20, 28>;

impl<const NZ0: usize, const NX: usize, const NZ1: usize> FpQuadrature<NZ0, NX, NZ1> {
    /// Computes the tables.
    pub fn new() -> Self {
        FpQuadrature {
            gh0: GaussHermite::new(),
            glx: GaussLegendre::new(),
            gh1: GaussHermite::new(),
            gh1_8: GaussHermite::new(),
            gh1_16: GaussHermite::new(),
            rs: RsQuadrature::new(),
        }
    }
}

impl<const NZ0: usize, const NX: usize, const NZ1: usize> Default for FpQuadrature<NZ0, NX, NZ1> {
    fn default() -> Self {
        Self::new()
    }
}

/// One Franz–Parisi problem: α, reference margin κ̃, constrained margin κ, kernel, and the reference
/// RS saddle (q0, q̂0) at (α, κ̃).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FpProblem<K: Kernel> {
    /// Effective-covariance kernel ([`rs::Perceptron`] for the binary perceptron).
    pub kernel: K,
    /// α.
    pub alpha: f64,
    /// Reference margin κ̃.
    pub kappa_ref: f64,
    /// Constrained margin κ.
    pub kappa: f64,
    /// RS equilibrium at (α, κ̃): q0 = reference.q, q̂0 = reference.qhat.
    pub reference: RsSaddle<f64>,
}

impl<K: Kernel> FpProblem<K> {
    /// Solves the reference RS saddle and builds the problem.
    pub fn new<const A: usize, const B: usize, const C: usize>(
        quad: &FpQuadrature<A, B, C>,
        kernel: K,
        alpha: f64,
        kappa_ref: f64,
        kappa: f64,
    ) -> Result<Self, FpError> {
        if !kappa.is_finite() {
            return Err(FpError::InvalidParameter("kappa must be finite"));
        }
        let reference = rs::solve_kernel(&quad.rs, &kernel, alpha, kappa_ref)?;
        Ok(FpProblem {
            kernel,
            alpha,
            kappa_ref,
            kappa,
            reference,
        })
    }
}

impl FpProblem<rs::Perceptron> {
    /// The binary perceptron problem.
    pub fn perceptron<const A: usize, const B: usize, const C: usize>(
        quad: &FpQuadrature<A, B, C>,
        alpha: f64,
        kappa_ref: f64,
        kappa: f64,
    ) -> Result<Self, FpError> {
        Self::new(quad, rs::Perceptron, alpha, kappa_ref, kappa)
    }
}

/// Entropic averages E_w[·] at (q̂1, p̂, Ŝ) (§S3.3–§S3.4).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entropic {
    /// E_w[tanh h] (= S at the saddle, eq. E1).
    pub tanh: f64,
    /// E_w[sech² h] (= dS/dŜ; 1 − q1 at the saddle, E3).
    pub sech2: f64,
    /// E_w[tanh(√q̂0 z0) tanh h] (= p at the saddle, E2).
    pub t0_tanh: f64,
    /// E_w[ln 2cosh h].
    pub log2cosh: f64,
}

/// E_w\[f\] = ∫Dz0 (1 + tanh(√q̂0 z0)) ∫Dz1 f(h), h = (p̂/√q̂0) z0 + √(q̂1 − p̂²/q̂0) z1 + Ŝ − p̂.
pub fn entropic(gl: &GaussLegendre<64>, qhat0: f64, qhat1: f64, phat: f64, shat: f64) -> Entropic {
    entropic_with(gl, qhat0, qhat1, phat, shat, true)
}

/// [`entropic`], optionally skipping E_w[ln 2cosh h] (set to 0).
pub fn entropic_with(
    gl: &GaussLegendre<64>,
    qhat0: f64,
    qhat1: f64,
    phat: f64,
    shat: f64,
    with_log: bool,
) -> Entropic {
    let c0 = libm::sqrt(qhat0.max(0.0));
    let beta = if c0 > 0.0 { phat / c0 } else { 0.0 };
    let c = libm::sqrt((qhat1 - beta * beta).max(0.0));
    // outer step: poles of tanh(c0 z0) and of the inner average as a function of z0 (scale β/max(1,c))
    let scale = c0.max(libm::fabs(beta) / c.max(1.0));
    // |z0| ≤ 9: the Gaussian weight beyond is < 1e-18
    let rule = GaussTrapezoid::with_step(GaussTrapezoid::step_for_scale(scale), 9.0);
    let mut e = Entropic {
        tanh: 0.0,
        sech2: 0.0,
        t0_tanh: 0.0,
        log2cosh: 0.0,
    };
    let shift = shat - phat;
    rule.for_each(|z0: f64, w: f64| {
        let t0 = libm::tanh(c0 * z0);
        let wt = w * (1.0 + t0);
        if wt < 1e-18 {
            return;
        }
        let a = tanh_averages_with(gl, beta * z0 + shift, c, with_log);
        e.tanh += wt * a.tanh;
        e.sech2 += wt * a.sech2;
        e.t0_tanh += wt * t0 * a.tanh;
        e.log2cosh += wt * a.log2cosh;
    });
    e
}

/// Energetic averages of §S3.3–§S3.4 at (q1, p, S) in effective variables (q1e = k(q1), …).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Energetic {
    /// 𝒢_E = E_E[ln H(A)].
    pub g_e: f64,
    /// E_E[g(A)²].
    pub e_g2: f64,
    /// ∂𝒢_E/∂p_e.
    pub d_pe: f64,
    /// ∂𝒢_E/∂S_e.
    pub d_se: f64,
    /// ∂𝒢_E/∂q1e = −E_E\[g²\]/(2(Q_eff − q1e)).
    pub d_q1e: f64,
}

/// 𝒢_E and its derivatives at (q1, p, S) for a kernel (§S3.4 with the §S5 substitutions).
pub fn energetic<K: Kernel, const NZ0: usize, const NX: usize, const NZ1: usize>(
    quad: &FpQuadrature<NZ0, NX, NZ1>,
    prob: &FpProblem<K>,
    q1: f64,
    p: f64,
    s: f64,
) -> Energetic {
    energetic_with(quad, prob, q1, p, s, true)
}

/// [`energetic`]; with `with_value = false` the value 𝒢_E is skipped (returned as 0), which saves one
/// logarithm per node in the saddle-point map (it needs only the derivatives).
pub fn energetic_with<K: Kernel, const NZ0: usize, const NX: usize, const NZ1: usize>(
    quad: &FpQuadrature<NZ0, NX, NZ1>,
    prob: &FpProblem<K>,
    q1: f64,
    p: f64,
    s: f64,
    with_value: bool,
) -> Energetic {
    let k = &prob.kernel;
    let qeff: f64 = k.q_eff();
    let q0e = k.k(prob.reference.q);
    let q1e = k.k(q1);
    let pe = k.k(p);
    let se = k.k(s);
    let sq0 = libm::sqrt(q0e.max(0.0));
    let d0 = libm::sqrt((qeff - q0e).max(1e-300));
    let a = pe / sq0;
    let b = (se - pe) / d0;
    let c = libm::sqrt((q1e - a * a - b * b).max(0.0));
    let d1sq = (qeff - q1e).max(1e-300);
    let d1 = libm::sqrt(d1sq);
    let inv_d1 = 1.0 / d1;
    let kref = prob.kappa_ref;
    let kap = prob.kappa;
    let (mut ge, mut eg2, mut fz0, mut fx1, mut fpp) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let glx = &quad.glx;
    // The z1 integrand is ln H / g of A = m − (c/d1) z1, entire and smooth on scale 1 in m: a narrow
    // smoothing width c/d1 needs few Gauss–Hermite nodes.
    let width = c * inv_d1;
    let (n1, w1s): (&[f64], &[f64]) = if width < 0.2 {
        (quad.gh1_8.nodes(), quad.gh1_8.weights())
    } else if width < 0.6 {
        (quad.gh1_16.nodes(), quad.gh1_16.weights())
    } else {
        (quad.gh1.nodes(), quad.gh1.weights())
    };
    for i0 in 0..NZ0 {
        let z0 = quad.gh0.nodes()[i0];
        let w0 = quad.gh0.weights()[i0];
        let a0 = (kref - sq0 * z0) / d0;
        let lnh0 = log_h(a0);
        let tstar = -a0 + libm::sqrt(a0 * a0 + 74.0);
        let layer = if b != 0.0 {
            10.0 * d1 / libm::fabs(b)
        } else {
            f64::INFINITY
        };
        let tau = (0.5 * tstar).min(layer);
        let panels = [(a0, a0 + tau), (a0 + tau, a0 + tstar)];
        let (mut pge, mut peg2, mut pfp, mut pfx1, mut pfpp) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(lo, hi) in &panels {
            let half = 0.5 * (hi - lo);
            let mid = 0.5 * (hi + lo);
            for j in 0..NX {
                let x1 = mid + half * glx.nodes()[j];
                let wx = glx.weights()[j] * half * libm::exp(-0.5 * x1 * x1 - LN_SQRT_2PI - lnh0);
                if wx == 0.0 {
                    continue;
                }
                let base = kap - a * z0 - b * x1;
                let (mut sl, mut sg2, mut sg, mut sgg) = (0.0, 0.0, 0.0, 0.0);
                for (&z1, &w1) in n1.iter().zip(w1s) {
                    let aa = (base - c * z1) * inv_d1;
                    let gg = if with_value {
                        let (lh, gg) = log_h_and_g(aa);
                        sl += w1 * lh;
                        gg
                    } else {
                        g(aa)
                    };
                    sg2 += w1 * gg * gg;
                    sg += w1 * gg;
                    sgg += w1 * gg * (gg - aa);
                }
                pge += wx * sl;
                peg2 += wx * sg2;
                pfp += wx * sg;
                pfx1 += wx * sg * x1;
                pfpp += wx * sgg;
            }
        }
        ge += w0 * pge;
        eg2 += w0 * peg2;
        fz0 += w0 * pfp * z0;
        fx1 += w0 * pfx1;
        fpp += w0 * pfpp;
    }
    // F' = g/d1, F'' = −g(g − A)/d1²
    let e_fz0 = fz0 * inv_d1;
    let e_fx1 = fx1 * inv_d1;
    let e_fpp = -fpp / d1sq;
    let d_pe = e_fz0 / sq0 - e_fx1 / d0 + (b / d0 - a / sq0) * e_fpp;
    let d_se = (e_fx1 - b * e_fpp) / d0;
    Energetic {
        g_e: ge,
        e_g2: eg2,
        d_pe,
        d_se,
        d_q1e: -eg2 / (2.0 * d1sq),
    }
}

/// The full Franz–Parisi saddle at one distance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FpSaddle {
    /// Normalized distance d = (1 − S)/2.
    pub d: f64,
    /// Overlap S = 1 − 2d with the reference.
    pub s_overlap: f64,
    /// Reference overlap q0 (RS equilibrium at κ̃).
    pub q0: f64,
    /// Reference conjugate q̂0.
    pub qhat0: f64,
    /// Overlap between constrained replicas.
    pub q1: f64,
    /// Overlap between a constrained replica and the other reference copies.
    pub p: f64,
    /// Conjugate of q1.
    pub qhat1: f64,
    /// Conjugate of p.
    pub phat: f64,
    /// Conjugate of S (Lagrange multiplier of the distance constraint).
    pub shat: f64,
    /// Entropic term 𝒢_S.
    pub g_s: f64,
    /// Energetic term 𝒢_E.
    pub g_e: f64,
    /// φ_FP = 𝒢_S + α 𝒢_E.
    pub phi: f64,
    /// dφ/dd = 2(Ŝ − α k'(S) ∂𝒢_E/∂S_e).
    pub dphi_dd: f64,
    /// max |T(x) − x| at the solution.
    pub residual: f64,
    /// Map evaluations used (each = one energetic and a few entropic integrals).
    pub evaluations: u32,
}

/// Conjugates from the energetic side: (q̂1, p̂) = (−2α k'(q1) ∂𝒢_E/∂q1e, −α k'(p) ∂𝒢_E/∂p_e).
fn conjugates<K: Kernel>(prob: &FpProblem<K>, q1: f64, p: f64, en: &Energetic) -> (f64, f64) {
    let k = &prob.kernel;
    (
        -2.0 * prob.alpha * k.dk(q1) * en.d_q1e,
        -prob.alpha * k.dk(p) * en.d_pe,
    )
}

/// Solves E_w[tanh h](Ŝ) = S for Ŝ by safeguarded Newton from `guess`; returns (Ŝ, averages at Ŝ
/// without the ln 2cosh term).
fn solve_shat(
    gl: &GaussLegendre<64>,
    qhat0: f64,
    qhat1: f64,
    phat: f64,
    s: f64,
    guess: f64,
) -> Option<(f64, Entropic)> {
    let mut x = if guess.is_finite() { guess } else { 0.0 };
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    for _ in 0..100 {
        let e = entropic_with(gl, qhat0, qhat1, phat, x, false);
        let f = e.tanh - s;
        if libm::fabs(f) <= 1e-15 {
            return Some((x, e));
        }
        if f < 0.0 {
            lo = lo.max(x);
        } else {
            hi = hi.min(x);
        }
        let mut xn = x - f / e.sech2;
        let inside = xn > lo && xn < hi && xn.is_finite();
        if !inside {
            xn = if lo.is_finite() && hi.is_finite() {
                0.5 * (lo + hi)
            } else if f < 0.0 {
                x + 1.0 + libm::fabs(x)
            } else {
                x - 1.0 - libm::fabs(x)
            };
        }
        if libm::fabs(xn - x) <= 1e-14 * (1.0 + libm::fabs(x)) {
            return Some((xn, entropic_with(gl, qhat0, qhat1, phat, xn, false)));
        }
        x = xn;
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn assemble<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
    s: f64,
    q1: f64,
    p: f64,
    shat_guess: f64,
    unconstrained: bool,
    residual: f64,
    evaluations: u32,
) -> Option<FpSaddle> {
    let (q0, qhat0) = (prob.reference.q, prob.reference.qhat);
    let en = energetic(quad, prob, q1, p, s);
    let (qhat1, phat) = conjugates(prob, q1, p, &en);
    let (shat, ew) = if unconstrained {
        (phat, entropic(&quad.rs.gl, qhat0, qhat1, phat, phat))
    } else {
        let (sh, _) = solve_shat(&quad.rs.gl, qhat0, qhat1, phat, s, shat_guess)?;
        (sh, entropic(&quad.rs.gl, qhat0, qhat1, phat, sh))
    };
    let g_s = -0.5 * qhat1 * (1.0 - q1) - shat * s + phat * p + ew.log2cosh;
    let phi = g_s + prob.alpha * en.g_e;
    let dphi_ds = -shat + prob.alpha * prob.kernel.dk(s) * en.d_se;
    Some(FpSaddle {
        d: 0.5 * (1.0 - s),
        s_overlap: s,
        q0,
        qhat0,
        q1,
        p,
        qhat1,
        phat,
        shat,
        g_s,
        g_e: en.g_e,
        phi,
        dphi_dd: -2.0 * dphi_ds,
        residual,
        evaluations,
    })
}

/// The saddle-point map T(q1, p) at overlap S (or with S = p, Ŝ = p̂ when `unconstrained`).
fn fp_map<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
    s: f64,
    unconstrained: bool,
    shat: &mut f64,
    x: &[f64; 2],
    out: &mut [f64; 2],
) -> bool {
    let (q1, p) = (x[0], x[1]);
    if !(q1 > 0.0 && q1 < 1.0 && p > -1.0 && p < 1.0) {
        return false;
    }
    let s = if unconstrained { p } else { s };
    let en = energetic_with(quad, prob, q1, p, s, false);
    let (qhat1, phat) = conjugates(prob, q1, p, &en);
    if !(qhat1.is_finite() && phat.is_finite()) {
        return false;
    }
    let qhat0 = prob.reference.qhat;
    let ew = if unconstrained {
        entropic_with(&quad.rs.gl, qhat0, qhat1, phat, phat, false)
    } else {
        match solve_shat(&quad.rs.gl, qhat0, qhat1, phat, s, *shat) {
            Some((sh, e)) => {
                *shat = sh;
                e
            }
            None => return false,
        }
    };
    out[0] = 1.0 - ew.sech2;
    out[1] = ew.t0_tanh;
    true
}

/// A warm start for [`solve_at`]: (q1, p, Ŝ) of a nearby solution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarmStart {
    /// q1.
    pub q1: f64,
    /// p.
    pub p: f64,
    /// Ŝ.
    pub shat: f64,
}

impl From<&FpSaddle> for WarmStart {
    fn from(s: &FpSaddle) -> Self {
        WarmStart {
            q1: s.q1,
            p: s.p,
            shat: s.shat,
        }
    }
}

fn check_solution(sol: FpSaddle) -> Result<FpSaddle, FpError> {
    let physical =
        sol.q1 >= 0.0 && 1.0 - sol.q1 > 1e-10 && sol.phi.is_finite() && sol.dphi_dd.is_finite();
    if !physical {
        return Err(FpError::Unphysical {
            d: sol.d,
            q1: sol.q1,
        });
    }
    Ok(sol)
}

/// Solver options used by the Franz–Parisi saddles (residual target 1e-12, §S3.4).
pub const FP_SOLVE: SolveOptions = SolveOptions {
    tol: 1e-12,
    max_iter: 40,
    fd_step: 1e-7,
    damping: 0.5,
};

/// The Franz–Parisi saddle at distance `d` ∈ (0, 1), from the warm start `start` (a nearby solution;
/// see [`curve`] for continuation).
pub fn solve_at<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
    d: f64,
    start: WarmStart,
    opts: &SolveOptions,
) -> Result<FpSaddle, FpError> {
    solve_at_jac(quad, prob, d, start, None, opts).map(|r| r.0)
}

/// Jacobian of T(x) − x in (q1, p), carried along a continuation.
type Jac = [[f64; 2]; 2];

/// [`solve_at`] starting from a known Jacobian (Broyden-updated Newton, [`newton_broyden`]).
fn solve_at_jac<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
    d: f64,
    start: WarmStart,
    jac: Option<Jac>,
    opts: &SolveOptions,
) -> Result<(FpSaddle, Jac), FpError> {
    if !(d > 0.0 && d < 1.0) {
        return Err(FpError::InvalidParameter("d must be in (0, 1)"));
    }
    let s = 1.0 - 2.0 * d;
    let mut shat = start.shat;
    let res = newton_broyden(
        |x, out| fp_map(quad, prob, s, false, &mut shat, x, out),
        [start.q1, start.p],
        jac,
        opts,
    );
    match res {
        Ok((sol, jac)) => {
            let mut full = assemble(
                quad,
                prob,
                s,
                sol.x[0],
                sol.x[1],
                shat,
                false,
                sol.residual,
                sol.evaluations,
            )
            .ok_or(FpError::NotConverged {
                d,
                residual: sol.residual,
                evaluations: sol.evaluations,
            })?;
            full.d = d;
            check_solution(full).map(|f| (f, jac))
        }
        Err(SolveError::NotConverged {
            residual,
            evaluations,
        }) => Err(FpError::NotConverged {
            d,
            residual,
            evaluations,
        }),
        Err(SolveError::NonFinite { evaluations }) => Err(FpError::NotConverged {
            d,
            residual: f64::INFINITY,
            evaluations,
        }),
        Err(SolveError::SingularJacobian { residual }) => Err(FpError::NotConverged {
            d,
            residual,
            evaluations: 0,
        }),
    }
}

/// The unconstrained maximum of φ_FP (§S3.5): S = p, Ŝ = p̂, φ(d*) = s_eq(α, κ), dφ/dd(d*) = 0,
/// d* = (1 − p*)/2. Started from q1 = q_eq(α, κ), p = √(q0 q1).
pub fn maximum<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
) -> Result<FpSaddle, FpError> {
    let eq = rs::solve_kernel(&quad.rs, &prob.kernel, prob.alpha, prob.kappa).map_err(|error| {
        FpError::Equilibrium {
            kappa: prob.kappa,
            error,
        }
    })?;
    let x0 = [eq.q, libm::sqrt(eq.q * prob.reference.q)];
    let mut dummy = 0.0;
    let sol = newton_fd(
        |x, out| fp_map(quad, prob, 0.0, true, &mut dummy, x, out),
        x0,
        &FP_SOLVE,
    )
    .map_err(|e| match e {
        SolveError::NotConverged {
            residual,
            evaluations,
        } => FpError::NotConverged {
            d: 0.5 * (1.0 - x0[1]),
            residual,
            evaluations,
        },
        SolveError::NonFinite { evaluations } => FpError::NotConverged {
            d: 0.5 * (1.0 - x0[1]),
            residual: f64::INFINITY,
            evaluations,
        },
        SolveError::SingularJacobian { residual } => FpError::NotConverged {
            d: 0.5 * (1.0 - x0[1]),
            residual,
            evaluations: 0,
        },
    })?;
    let p = sol.x[1];
    let full = assemble(
        quad,
        prob,
        p,
        sol.x[0],
        p,
        0.0,
        true,
        sol.residual,
        sol.evaluations,
    )
    .ok_or(FpError::NotConverged {
        d: 0.5 * (1.0 - p),
        residual: sol.residual,
        evaluations: sol.evaluations,
    })?;
    check_solution(full)
}

/// Evaluates φ_FP along the grid `ds` (any order, values in (0, 1)) into `out[i]` (same length), by
/// continuation from the maximum `max` (from [`maximum`]) as in §S1.3: steps |Δd| ≤ 0.02 and
/// d_{k+1}/d_k ≥ 1/1.6 towards 0. A failed step is retried with halved steps (down to 1/64); if the
/// branch cannot be followed further, every remaining point beyond is [`FpError::BranchEnds`].
/// Returns the number of points computed successfully.
pub fn curve<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
    max: &FpSaddle,
    ds: &[f64],
    out: &mut [Result<FpSaddle, FpError>],
) -> Result<usize, FpError> {
    if ds.len() != out.len() {
        return Err(FpError::InvalidParameter(
            "ds and out must have the same length",
        ));
    }
    for o in out.iter_mut() {
        *o = Err(FpError::NotComputed);
    }
    let mut ok = 0;
    // Two sweeps: downwards (targets < d*, visited in decreasing d) and upwards.
    for dir in [-1.0f64, 1.0] {
        let mut cur = *max;
        let mut ended: Option<f64> = None;
        loop {
            // next target in this direction
            let mut best: Option<usize> = None;
            for (i, &d) in ds.iter().enumerate() {
                if !matches!(out[i], Err(FpError::NotComputed)) {
                    continue;
                }
                let beyond = if dir < 0.0 { d < max.d } else { d >= max.d };
                if !beyond {
                    continue;
                }
                let closer = match best {
                    None => true,
                    Some(j) => {
                        if dir < 0.0 {
                            d > ds[j]
                        } else {
                            d < ds[j]
                        }
                    }
                };
                if closer {
                    best = Some(i);
                }
            }
            let Some(i) = best else { break };
            let target = ds[i];
            if !(target > 0.0 && target < 1.0) {
                out[i] = Err(FpError::InvalidParameter("d must be in (0, 1)"));
                continue;
            }
            if let Some(last) = ended {
                out[i] = Err(FpError::BranchEnds {
                    d: target,
                    last_d: last,
                });
                continue;
            }
            match follow(quad, prob, &cur, target) {
                Ok(sol) => {
                    cur = sol;
                    out[i] = Ok(sol);
                    ok += 1;
                }
                Err(e) => {
                    let last = match e {
                        FpError::BranchEnds { last_d, .. } => last_d,
                        _ => cur.d,
                    };
                    ended = Some(last);
                    out[i] = Err(FpError::BranchEnds {
                        d: target,
                        last_d: last,
                    });
                }
            }
        }
    }
    Ok(ok)
}

/// Exponent ν of the local growth q̂1 ∝ d^{−ν} above which the downward branch is declared ended.
pub const COLLAPSE_EXPONENT: f64 = 2.0;

/// The RS branch "ends" (§S3.5) for an isolated reference (κ̃ ≤ κ) when, going down in d, q̂1 (> 1)
/// grows faster than d^{−2}: the constrained replicas collapse (q1 → 1, q̂1 → ∞ at a finite d) and φ
/// turns down steeply. For (α, κ̃, κ) = (0.5, 0, 0) this happens at d ≈ 1.1e-3, where the spec's oracle
/// saw a turning point (our branch continues smoothly, with φ decreasing, until Newton fails near
/// d ≈ 4.5e-4). For κ̃ > κ the same growth is transient and the branch must be followed through it: it
/// reaches the dense region φ ≈ H2(d) at small d (e.g. α = 0.6, κ̃ = 0.01: φ(1e-6) > 0, T3 note), so the
/// test is not applied there.
fn collapses<K: Kernel>(prob: &FpProblem<K>, cur: &FpSaddle, next: &FpSaddle) -> bool {
    if prob.kappa_ref > prob.kappa || !(next.d < cur.d) || !(next.qhat1 > 1.0) || !(cur.qhat1 > 0.0)
    {
        return false;
    }
    let nu = libm::log(next.qhat1 / cur.qhat1) / libm::log(cur.d / next.d);
    nu > COLLAPSE_EXPONENT
}

/// Continuation from `from` to `target` with the step rules of §S1.3.
fn follow<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
    from: &FpSaddle,
    target: f64,
) -> Result<FpSaddle, FpError> {
    let mut cur = *from;
    let mut prev: Option<FpSaddle> = None;
    let mut jac: Option<Jac> = None;
    let mut shrink = 1.0f64;
    let mut guard = 0;
    while cur.d != target {
        guard += 1;
        if guard > 2000 {
            return Err(FpError::BranchEnds {
                d: target,
                last_d: cur.d,
            });
        }
        let mut step = target - cur.d;
        let maxstep = 0.02 * shrink;
        if libm::fabs(step) > maxstep {
            step = maxstep * step.signum();
        }
        if step < 0.0 {
            // ratio rule d_{k+1}/d_k ≥ 1/1.6 (scaled by the shrink factor)
            let minnext = cur.d * (1.0 - (1.0 - 1.0 / 1.6) * shrink);
            if cur.d + step < minnext {
                step = minnext - cur.d;
            }
        }
        let next = if libm::fabs(target - (cur.d + step)) < 1e-15 {
            target
        } else {
            cur.d + step
        };
        // linear extrapolation of (q1, p, Ŝ) from the last two points
        let mut ws = WarmStart::from(&cur);
        if let Some(pv) = prev {
            let t = (next - cur.d) / (cur.d - pv.d);
            if t.is_finite() && libm::fabs(t) <= 2.0 {
                let q1 = cur.q1 + t * (cur.q1 - pv.q1);
                let p = cur.p + t * (cur.p - pv.p);
                if q1 > 0.0 && q1 < 1.0 && p > -1.0 && p < 1.0 {
                    ws = WarmStart {
                        q1,
                        p,
                        shat: cur.shat + t * (cur.shat - pv.shat),
                    };
                }
            }
        }
        let attempt = solve_at_jac(quad, prob, next, ws, jac, &FP_SOLVE).and_then(|(sol, j)| {
            // leaving the branch: a jump of q1 much larger than the step warrants
            if libm::fabs(sol.q1 - cur.q1) > 0.1 + 20.0 * libm::fabs(next - cur.d) {
                Err(FpError::Unphysical {
                    d: next,
                    q1: sol.q1,
                })
            } else {
                Ok((sol, j))
            }
        });
        match attempt {
            Ok((sol, j)) => {
                jac = Some(j);
                if collapses(prob, &cur, &sol) {
                    return Err(FpError::BranchEnds {
                        d: target,
                        last_d: cur.d,
                    });
                }
                prev = Some(cur);
                cur = sol;
                if shrink < 1.0 {
                    shrink = (shrink * 2.0).min(1.0);
                }
            }
            Err(_) => {
                jac = None;
                shrink *= 0.5;
                if shrink < 1.0 / 64.0 {
                    return Err(FpError::BranchEnds {
                        d: target,
                        last_d: cur.d,
                    });
                }
            }
        }
    }
    Ok(cur)
}

/// Annealed bound φ_ann(d) = H2(d) + α E_ref[ln H((κ − S ũ)/√(1 − S²))] (§S3.5): the RS functional at
/// q̂1 = p̂ = 0, q1 = S², p = S q0 (perceptron kernel semantics; for a kernel the effective overlaps are
/// used inside [`energetic`]).
pub fn annealed<K: Kernel, const A: usize, const B: usize, const C: usize>(
    quad: &FpQuadrature<A, B, C>,
    prob: &FpProblem<K>,
    d: f64,
) -> f64 {
    let s = 1.0 - 2.0 * d;
    let en = energetic(quad, prob, s * s, s * prob.reference.q, s);
    crate::special::h2(d) + prob.alpha * en.g_e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maximum_equals_equilibrium_entropy() {
        // THEORY §S3.5: φ_FP(d*) = s_eq(α, κ); (0.6, 0.2, 0.1): φ* = 0.15506583 [oracle]. The spec's
        // d* = 0.250392 disagrees with ours (0.2503864) by 5.6e-6: see tests/theory_perceptron.rs.
        let quad = FpQuadratureFast::new();
        let prob = FpProblem::perceptron(&quad, 0.6, 0.2, 0.1).unwrap();
        let m = maximum(&quad, &prob).unwrap();
        assert!((m.phi - 0.15506583).abs() < 1e-8, "phi* = {}", m.phi);
        assert!((m.d - 0.250392).abs() < 1e-5, "d* = {}", m.d);
        assert!(m.dphi_dd.abs() < 1e-8, "dphi/dd(d*) = {}", m.dphi_dd);
    }
}
