//! Equilibrium RS entropy of κ-margin solutions (THEORY §S2), generic over [`Real`] and over the
//! effective-covariance [`Kernel`] of §S5.
//!
//! s(α, κ) = extr_{q, q̂} { G_S(q, q̂) + α G_E(q) } with
//! G_S = −(q̂/2)(1 − q) + ∫Dz ln 2cosh(√q̂ z) and G_E = ∫Dz ln H((κ − √q_e z)/√(Q_eff − q_e)),
//! q_e = k(q), Q_eff = k(1). The perceptron is the identity kernel ([`Perceptron`]: k(Q) = Q,
//! Q_eff = 1); the tree committee machines of §S5 are other kernels (the `theory::committee` module
//! builds on this one).
//!
//! Saddle point: q̂ is eliminated (q̂(q) = α k'(q) ∫Dz g(A)² / (Q_eff − q_e)) and F(q) = q(q̂(q)) − q,
//! q(q̂) = 1 − ∫Dz sech²(√q̂ z), is solved by Brent on (0, 1) ([`solve`]); a damped fixed point
//! ([`solve_fixed_point`]) is the independent second solver of check C3. Energetic integrals: 64-point
//! Gauss–Hermite while the transition width √(Q_eff − q_e)/√q_e of ln H(A(z)) is ≥ 0.25, otherwise
//! Gauss–Legendre panels around the kink (the q → 1 regime near α_GD); entropic integrals:
//! [`tanh_averages`] (trapezoid / localized rule of §S1.2).
//!
//! Derived quantities: [`kappa_max`] (s = 0 in κ), [`alpha_c`] (s = 0 in α; α_KM = 0.8330786 at κ = 0),
//! [`alpha_gd`] (no RS solution with q < 1 beyond it, reported as [`RsError::NoSolution`]).

// `!(x > y)` is deliberate throughout: it is true for NaN, which must be rejected.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use crate::quad::{tanh_averages, GaussHermite, GaussLegendre};
use crate::real::Real;
use crate::roots::{brent, RootError};
use crate::special::{g, gauss_density, h, log_h};
use core::fmt;

/// Effective-covariance map of §S5: two replicas whose weights have overlap Q produce outputs with
/// covariance k(Q); every energetic term of §S2/§S3 uses q_e = k(q) and Q_eff = k(1) in place of q and
/// 1, and every conjugate picks up the chain-rule factor k'(q).
///
/// The binary perceptron is [`Perceptron`] (k(Q) = Q). Implementations must be increasing on [0, 1]
/// with k(0) = 0.
pub trait Kernel: Copy + fmt::Debug {
    /// k(Q).
    fn k<T: Real>(&self, q: T) -> T;
    /// k'(Q).
    fn dk<T: Real>(&self, q: T) -> T;
    /// Q_eff = k(1), the effective self-overlap.
    fn q_eff<T: Real>(&self) -> T {
        self.k(T::ONE)
    }
    /// Short name for diagnostics and file metadata.
    fn name(&self) -> &'static str;
}

/// The binary perceptron: k(Q) = Q, k' = 1, Q_eff = 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Perceptron;

impl Kernel for Perceptron {
    #[inline]
    fn k<T: Real>(&self, q: T) -> T {
        q
    }
    #[inline]
    fn dk<T: Real>(&self, _q: T) -> T {
        T::ONE
    }
    #[inline]
    fn q_eff<T: Real>(&self) -> T {
        T::ONE
    }
    fn name(&self) -> &'static str {
        "perceptron"
    }
}

/// Why an RS computation failed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RsError {
    /// α, κ or a bracket is out of its domain (NaN, α ≤ 0, …).
    InvalidParameter(&'static str),
    /// No RS saddle with q < 1: F(q) = q(q̂(q)) − q stays positive up to q → 1, i.e. α ≥ α_GD(κ)
    /// (§S2); the RS entropy is −∞ there.
    NoSolution {
        /// α.
        alpha: f64,
        /// κ.
        kappa: f64,
        /// F at the largest q probed (positive).
        f_top: f64,
    },
    /// The 1-D root search failed.
    Root(RootError),
    /// The saddle iteration did not converge (damped fixed point).
    NotConverged {
        /// Last q.
        q: f64,
        /// |q(q̂(q)) − q| at the last iterate.
        residual: f64,
        /// Iterations used.
        iterations: u32,
    },
    /// A scan for a sign change of s (κ_max, α_c) found none in its range.
    NoBracket {
        /// Last parameter value probed.
        at: f64,
    },
}

impl fmt::Display for RsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RsError::InvalidParameter(w) => write!(f, "invalid parameter: {w}"),
            RsError::NoSolution { alpha, kappa, f_top } => write!(
                f,
                "no RS solution with q < 1 at alpha = {alpha}, kappa = {kappa} (alpha >= alpha_GD; F(q->1) = {f_top:e})"
            ),
            RsError::Root(e) => write!(f, "RS root search: {e}"),
            RsError::NotConverged { q, residual, iterations } => {
                write!(f, "RS saddle not converged: q = {q}, residual {residual:e} after {iterations} iterations")
            }
            RsError::NoBracket { at } => write!(f, "no sign change of the RS entropy found (scanned up to {at})"),
        }
    }
}

impl core::error::Error for RsError {}

impl RsError {
    /// Whether the error says the RS quantity does not exist (α ≥ α_GD(κ): no RS saddle with
    /// q < 1, the entropy is −∞), as opposed to a bad parameter or a numerical failure. Front ends
    /// report it as a value that does not exist (null plus a reason), not as a failed run.
    pub fn does_not_exist(&self) -> bool {
        matches!(self, RsError::NoSolution { .. })
    }
}

impl From<RootError> for RsError {
    fn from(e: RootError) -> Self {
        RsError::Root(e)
    }
}

/// Quadrature tables of the RS computation (64-point Gauss–Hermite and Gauss–Legendre, stored in f64
/// and converted on use, so the same tables serve `f32`). About 2 KiB; build once and reuse.
#[derive(Clone, Debug)]
pub struct RsQuadrature {
    /// Energetic integrals (§S1.2).
    pub gh: GaussHermite<64>,
    /// Localized inner averages and the panels of the q → 1 energetic rule.
    pub gl: GaussLegendre<64>,
    /// Panels of the q → 1 energetic rule.
    pub gl16: GaussLegendre<16>,
}

impl RsQuadrature {
    /// Computes the tables (a few tens of microseconds).
    pub fn new() -> Self {
        RsQuadrature {
            gh: GaussHermite::new(),
            gl: GaussLegendre::new(),
            gl16: GaussLegendre::new(),
        }
    }
}

impl Default for RsQuadrature {
    fn default() -> Self {
        Self::new()
    }
}

/// The RS saddle point and entropy at one (α, κ).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RsSaddle<T> {
    /// α = M/N.
    pub alpha: T,
    /// Margin κ.
    pub kappa: T,
    /// Typical overlap q between two κ-margin solutions.
    pub q: T,
    /// Its conjugate q̂.
    pub qhat: T,
    /// RS entropy s(α, κ) per weight (nats).
    pub s: T,
    /// Typical distance d = (1 − q)/2.
    pub d: T,
    /// Entropic term G_S.
    pub g_s: T,
    /// Energetic term G_E.
    pub g_e: T,
    /// Function evaluations of the solver.
    pub iterations: u32,
    /// |q(q̂(q)) − q| at the solution.
    pub residual: T,
}

/// Energetic averages at overlap q: (G_E(q), ∫Dz g(A)²) with A = (κ − √q_e z)/√(Q_eff − q_e).
///
/// Uses 64-point Gauss–Hermite when the kink width w = √(Q_eff − q_e)/√q_e of ln H(A(z)) is ≥ 0.25
/// and 3 Gauss–Legendre(16) panels per side of the kink at z* = κ/√q_e otherwise.
pub fn energetic<T: Real, K: Kernel>(quad: &RsQuadrature, kernel: &K, kappa: T, q: T) -> (T, T) {
    let qe = kernel.k(q);
    let qeff: T = kernel.q_eff();
    let sq = qe.max(T::ZERO).sqrt();
    let den = (qeff - qe).max(T::from_f64(1e-300)).sqrt();
    let inv_den = T::ONE / den;
    let mut ge = T::ZERO;
    let mut eg2 = T::ZERO;
    let w = if sq > T::ZERO { den / sq } else { T::INFINITY };
    if w >= T::from_f64(0.25) {
        for k in 0..64 {
            let z = T::from_f64(quad.gh.nodes()[k]);
            let wk = T::from_f64(quad.gh.weights()[k]);
            let a = (kappa - sq * z) * inv_den;
            ge += wk * log_h(a);
            let gg = g(a);
            eg2 += wk * gg * gg;
        }
        return (ge, eg2);
    }
    // Panels: [−L, z*−12w], [z*−12w, z*], [z*, z*+12w], [z*+12w, L], L = 10 (|z| > 10 carries < 1e-22).
    let l = T::from_f64(10.0);
    let zs = kappa / sq;
    let t = T::from_f64(12.0) * w;
    let pts = [
        -l,
        (zs - t).max(-l).min(l),
        zs.max(-l).min(l),
        (zs + t).max(-l).min(l),
        l,
    ];
    for i in 0..4 {
        let (a0, b0) = (pts[i], pts[i + 1]);
        if !(b0 > a0) {
            continue;
        }
        // long outer panels are split in two to keep the Gaussian factor resolved
        let pieces = if b0 - a0 > T::from_f64(4.0) { 3 } else { 1 };
        let step = (b0 - a0) / T::from_usize(pieces);
        for p in 0..pieces {
            let lo = a0 + step * T::from_usize(p);
            let hi = lo + step;
            let half = (hi - lo) * T::HALF;
            let mid = (hi + lo) * T::HALF;
            for k in 0..16 {
                let z = mid + half * T::from_f64(quad.gl16.nodes()[k]);
                let wk = T::from_f64(quad.gl16.weights()[k]) * half * gauss_density(z);
                let a = (kappa - sq * z) * inv_den;
                ge += wk * log_h(a);
                let gg = g(a);
                eg2 += wk * gg * gg;
            }
        }
    }
    (ge, eg2)
}

/// q̂(q) = α k'(q) ∫Dz g(A)² / (Q_eff − q_e) (saddle equation ∂/∂q = 0), with G_E(q).
pub fn qhat_of_q<T: Real, K: Kernel>(
    quad: &RsQuadrature,
    kernel: &K,
    alpha: T,
    kappa: T,
    q: T,
) -> (T, T) {
    let (ge, eg2) = energetic(quad, kernel, kappa, q);
    let qeff: T = kernel.q_eff();
    let den = (qeff - kernel.k(q)).max(T::from_f64(1e-300));
    (alpha * kernel.dk(q) * eg2 / den, ge)
}

/// Entropic averages at q̂: (q(q̂) = 1 − ∫Dz sech²(√q̂ z), ∫Dz ln 2cosh(√q̂ z)).
pub fn entropic<T: Real>(quad: &RsQuadrature, qhat: T) -> (T, T) {
    let a = tanh_averages(&quad.gl, T::ZERO, qhat.max(T::ZERO).sqrt());
    (T::ONE - a.sech2, a.log2cosh)
}

fn check_params<T: Real>(alpha: T, kappa: T) -> Result<(), RsError> {
    if !alpha.is_finite() || !(alpha > T::ZERO) {
        return Err(RsError::InvalidParameter("alpha must be finite and > 0"));
    }
    if !kappa.is_finite() {
        return Err(RsError::InvalidParameter("kappa must be finite"));
    }
    Ok(())
}

fn assemble<T: Real, K: Kernel>(
    quad: &RsQuadrature,
    kernel: &K,
    alpha: T,
    kappa: T,
    q: T,
    iterations: u32,
) -> RsSaddle<T> {
    let (qhat, ge) = qhat_of_q(quad, kernel, alpha, kappa, q);
    let (qn, l2c) = entropic(quad, qhat);
    let gs = -qhat * T::HALF * (T::ONE - q) + l2c;
    RsSaddle {
        alpha,
        kappa,
        q,
        qhat,
        s: gs + alpha * ge,
        d: (T::ONE - q) * T::HALF,
        g_s: gs,
        g_e: ge,
        iterations,
        residual: (qn - q).abs(),
    }
}

/// Largest q probed when bracketing F(q) = q(q̂(q)) − q: 1 − 1e-9 in f64, 1 − 1e-5 in f32.
fn q_top<T: Real>() -> T {
    if T::EPSILON.to_f64() < 1e-10 {
        T::from_f64(1.0 - 1e-9)
    } else {
        T::from_f64(1.0 - 1e-5)
    }
}

/// RS saddle point at (α, κ) for a kernel: Brent on F(q) = q(q̂(q)) − q over (0, 1) (§S2 "Method").
///
/// Errors: [`RsError::NoSolution`] when F > 0 up to q = 1 − 1e-9 (α ≥ α_GD(κ)); [`RsError::Root`] if
/// the root search fails. The returned residual is |q(q̂(q)) − q| (≈ 1e-16 in f64, 1e-7 in f32).
pub fn solve_kernel<T: Real, K: Kernel>(
    quad: &RsQuadrature,
    kernel: &K,
    alpha: T,
    kappa: T,
) -> Result<RsSaddle<T>, RsError> {
    check_params(alpha, kappa)?;
    let mut evals = 0u32;
    let mut f = |q: T| {
        evals += 1;
        let (qhat, _) = qhat_of_q(quad, kernel, alpha, kappa, q);
        entropic(quad, qhat).0 - q
    };
    let lo = T::from_f64(1e-12).max(T::EPSILON);
    let top = q_top::<T>();
    let ftop = f(top);
    if !(ftop < T::ZERO) {
        return Err(RsError::NoSolution {
            alpha: alpha.to_f64(),
            kappa: kappa.to_f64(),
            f_top: ftop.to_f64(),
        });
    }
    let xtol = if T::EPSILON.to_f64() < 1e-10 {
        T::from_f64(1e-15)
    } else {
        T::from_f64(2e-7)
    };
    match brent(&mut f, lo, top, xtol, 200) {
        Ok(root) => Ok(assemble(quad, kernel, alpha, kappa, root.x, evals)),
        // F < 0 already at q = 1e-12 (κ ≲ −4.8, where q(q̂) is far below 1e-12): the fixed point
        // lies in [0, 1e-12), where the map q ↦ q(q̂(q)) is a strong contraction; iterate it from
        // there (this was a failed root search before).
        Err(RootError::NoBracket { fa, .. }) if fa < 0.0 => {
            let mut q = lo;
            let mut iterations = evals;
            for _ in 0..100 {
                iterations += 1;
                let (qhat, _) = qhat_of_q(quad, kernel, alpha, kappa, q);
                let next = entropic(quad, qhat).0;
                let done = (next - q).abs() <= xtol * T::from_f64(1e-3);
                q = next;
                if done {
                    break;
                }
            }
            Ok(assemble(quad, kernel, alpha, kappa, q, iterations))
        }
        Err(e) => Err(e.into()),
    }
}

/// RS saddle point of the binary perceptron at (α, κ) ([`solve_kernel`] with [`Perceptron`]).
pub fn solve<T: Real>(quad: &RsQuadrature, alpha: T, kappa: T) -> Result<RsSaddle<T>, RsError> {
    solve_kernel(quad, &Perceptron, alpha, kappa)
}

/// The independent second solver of check C3: damped iteration q ← ½ q(q̂(q)) + ½ q from q = 0.5,
/// to |q(q̂(q)) − q| ≤ `tol`, at most `max_iter` iterations.
pub fn solve_fixed_point<T: Real, K: Kernel>(
    quad: &RsQuadrature,
    kernel: &K,
    alpha: T,
    kappa: T,
    tol: T,
    max_iter: u32,
) -> Result<RsSaddle<T>, RsError> {
    check_params(alpha, kappa)?;
    let mut q = T::HALF;
    let mut res = T::INFINITY;
    for it in 0..max_iter {
        let (qhat, _) = qhat_of_q(quad, kernel, alpha, kappa, q);
        let qn = entropic(quad, qhat).0;
        res = (qn - q).abs();
        if !res.is_finite() {
            break;
        }
        if res <= tol {
            return Ok(assemble(quad, kernel, alpha, kappa, q, it + 1));
        }
        q = T::HALF * (q + qn);
        if !(q < T::ONE) {
            break;
        }
    }
    Err(RsError::NotConverged {
        q: q.to_f64(),
        residual: res.to_f64(),
        iterations: max_iter,
    })
}

/// I(κ) = ∫_{−κ}^∞ Dt (t + κ)² = (1 + κ²) H(−κ) + κ G(κ).
pub fn gardner_integral<T: Real>(kappa: T) -> T {
    (T::ONE + kappa * kappa) * h(-kappa) + kappa * gauss_density(kappa)
}

/// α_GD(κ) = 2/(π I(κ)) for the binary perceptron: the RS solution with q < 1 exists only for
/// α < α_GD(κ) (§S2; α_GD(0) = 4/π).
pub fn alpha_gd<T: Real>(kappa: T) -> T {
    T::TWO / (T::PI * gardner_integral(kappa))
}

/// Spherical perceptron check of the energetic term (§S2): α(q) = q / ((1 − q) ∫Dz g(A)²), which tends
/// to Gardner's capacity 1/I(κ) as q → 1.
pub fn spherical_alpha_of_q<T: Real>(quad: &RsQuadrature, kappa: T, q: T) -> T {
    let (_, eg2) = energetic(quad, &Perceptron, kappa, q);
    q / ((T::ONE - q) * eg2)
}

/// Entropy value used by the scans: s if an RS solution exists, `None` if α ≥ α_GD(κ).
fn entropy_or_none<T: Real, K: Kernel>(
    quad: &RsQuadrature,
    kernel: &K,
    alpha: T,
    kappa: T,
) -> Result<Option<T>, RsError> {
    match solve_kernel(quad, kernel, alpha, kappa) {
        Ok(s) => Ok(Some(s.s)),
        Err(RsError::NoSolution { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Zero of a decreasing entropy x ↦ s(x): scan from `start` with `next(x, up)` (up when s(start) >
/// 0), shrink onto a point with an RS solution if the scan runs past α_GD, then Brent to `xtol`.
/// A start beyond α_GD (no RS solution, e.g. κ_max at α > 4/π or α_c at κ ≳ 4.6) first steps down,
/// towards fewer constraints, until a solution exists: the zero lies between that point and the
/// last one without a solution when s > 0 there, below it otherwise. Leaving [lower, upper] is
/// [`RsError::NoBracket`].
fn zero_of_entropy<T: Real, F: FnMut(T) -> Result<Option<T>, RsError>>(
    mut s: F,
    start: T,
    next: impl Fn(T, bool) -> T,
    lower: T,
    upper: T,
    xtol: T,
) -> Result<T, RsError> {
    let mut a = start;
    let mut no_solution_above = None;
    let s0 = loop {
        match s(a)? {
            Some(v) => break v,
            None => {
                no_solution_above = Some(a);
                a = next(a, false);
                if a < lower {
                    return Err(RsError::NoBracket { at: a.to_f64() });
                }
            }
        }
    };
    if s0 == T::ZERO {
        return Ok(a);
    }
    // s decreasing: if s0 > 0 move up, else move down.
    let up = s0 > T::ZERO;
    let mut b;
    let mut sb;
    match no_solution_above {
        Some(x) if up => {
            b = x;
            sb = None;
        }
        _ => loop {
            b = next(a, up);
            if b > upper || b < lower {
                return Err(RsError::NoBracket { at: b.to_f64() });
            }
            match s(b)? {
                Some(v) if (v > T::ZERO) == (s0 > T::ZERO) && v != T::ZERO => {
                    a = b;
                }
                Some(v) => {
                    sb = Some(v);
                    break;
                }
                None => {
                    sb = None;
                    break;
                }
            }
        },
    }
    // If b has no RS solution (only possible moving up in a decreasing-s direction), bisect until
    // it has one with s of the opposite sign.
    let mut guard = 0;
    while sb.is_none() {
        guard += 1;
        if guard > 60 {
            return Err(RsError::NoBracket { at: b.to_f64() });
        }
        let m = T::HALF * (a + b);
        match s(m)? {
            Some(v) if (v > T::ZERO) == (s0 > T::ZERO) => a = m,
            Some(v) => {
                b = m;
                sb = Some(v);
            }
            None => b = m,
        }
    }
    let mut err = None;
    let root = brent(
        |x: T| match s(x) {
            Ok(Some(v)) => v,
            Ok(None) => T::NEG_INFINITY,
            Err(e) => {
                err = Some(e);
                T::from_f64(f64::NAN)
            }
        },
        a,
        b,
        xtol,
        200,
    );
    if let Some(e) = err {
        return Err(e);
    }
    Ok(root?.x)
}

/// κ_max(α) for a kernel: the margin where the RS entropy vanishes (§S2, paper Fig. 5). Scan κ from 0 in
/// steps of 0.05 (downwards when s(α, 0) < 0 or does not exist, i.e. α > α_c(0)), then Brent to
/// 1e-10. [`RsError::NoBracket`] when κ_max lies outside [−20, 20] (α ≲ 0.0017 or α very large).
pub fn kappa_max_kernel<T: Real, K: Kernel>(
    quad: &RsQuadrature,
    kernel: &K,
    alpha: T,
) -> Result<T, RsError> {
    check_params(alpha, T::ZERO)?;
    let xtol = if T::EPSILON.to_f64() < 1e-10 {
        T::from_f64(1e-10)
    } else {
        T::from_f64(1e-5)
    };
    zero_of_entropy(
        |k| entropy_or_none(quad, kernel, alpha, k),
        T::ZERO,
        |k, up| {
            let step = T::from_f64(0.05);
            if up {
                k + step
            } else {
                k - step
            }
        },
        T::from_f64(-20.0),
        T::from_f64(20.0),
        xtol,
    )
}

/// κ_max(α) of the binary perceptron.
pub fn kappa_max<T: Real>(quad: &RsQuadrature, alpha: T) -> Result<T, RsError> {
    kappa_max_kernel(quad, &Perceptron, alpha)
}

/// α_c(κ) for a kernel: the α where the RS entropy of κ-margin solutions vanishes (scan α from 0.05 in
/// steps of 0.05 up to 2, doubling beyond, halving below 0.075; then Brent to 1e-10).
/// [`RsError::NoBracket`] when α_c lies outside (10⁻⁹, 10⁶] (κ ≲ −4.8 or κ very large).
pub fn alpha_c_kernel<T: Real, K: Kernel>(
    quad: &RsQuadrature,
    kernel: &K,
    kappa: T,
) -> Result<T, RsError> {
    check_params(T::ONE, kappa)?;
    let xtol = if T::EPSILON.to_f64() < 1e-10 {
        T::from_f64(1e-10)
    } else {
        T::from_f64(1e-5)
    };
    zero_of_entropy(
        |a| {
            if a <= T::ZERO {
                return Ok(None);
            }
            entropy_or_none(quad, kernel, a, kappa)
        },
        T::from_f64(0.05),
        |a, up| {
            // Steps of 0.05 up to α = 2 (the bracket of every α_c with κ ≳ −1), then doubling, so
            // α_c(κ = −4) ≈ 2·10⁴ is reached in a few dozen solves (linear steps took minutes);
            // halving below 0.075 (α_c(κ) < 0.05 for κ ≳ 3.2).
            let step = T::from_f64(0.05);
            match up {
                true if a < T::TWO => a + step,
                true => a + a,
                false if a > T::from_f64(0.075) => a - step,
                false => T::HALF * a,
            }
        },
        T::from_f64(1e-9),
        T::from_f64(1e6),
        xtol,
    )
}

/// α_c(κ) of the binary perceptron (α_c(0) = α_KM = 0.8330786).
pub fn alpha_c<T: Real>(quad: &RsQuadrature, kappa: T) -> Result<T, RsError> {
    alpha_c_kernel(quad, &Perceptron, kappa)
}

/// Evaluates the RS saddle along κ for fixed α into `out` (one result per κ).
pub fn curve_kappa<T: Real>(
    quad: &RsQuadrature,
    alpha: T,
    kappas: &[T],
    out: &mut [Result<RsSaddle<T>, RsError>],
) {
    for (k, o) in kappas.iter().zip(out.iter_mut()) {
        *o = solve(quad, alpha, *k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rs_reference_point_f64_and_f32() {
        // THEORY §S2 table row (0.5, 0): q = 0.32238536, q̂ = 0.66803499, s = 0.31439007 [oracle].
        let quad = RsQuadrature::new();
        let r = solve(&quad, 0.5f64, 0.0).unwrap();
        assert!((r.q - 0.32238536).abs() < 5e-9, "q = {}", r.q);
        assert!((r.qhat - 0.66803499).abs() < 5e-9, "qhat = {}", r.qhat);
        assert!((r.s - 0.31439007).abs() < 5e-9, "s = {}", r.s);
        assert!(r.residual < 1e-14);
        // f32: same saddle, stated bound 2e-5 absolute.
        let r32 = solve(&quad, 0.5f32, 0.0).unwrap();
        assert!((r32.q as f64 - 0.32238536).abs() < 2e-5, "q32 = {}", r32.q);
        assert!((r32.s as f64 - 0.31439007).abs() < 2e-5, "s32 = {}", r32.s);
    }

    #[test]
    fn no_rs_solution_beyond_alpha_gd() {
        // THEORY §S2: (0.7, 0.5) has no RS solution (α_GD(0.5) = 0.6119221).
        let quad = RsQuadrature::new();
        assert!(matches!(
            solve(&quad, 0.7f64, 0.5),
            Err(RsError::NoSolution { .. })
        ));
        assert!((alpha_gd(0.0f64) - 1.2732395).abs() < 1e-7);
    }
}
