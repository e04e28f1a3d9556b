//! Symmetric binary perceptron: first and second moments, pair and y-tuple entropies (THEORY §S6).
//!
//! Constraint |Δ^μ(W)| ≤ κ for every pattern, Δ^μ = W·ξ^μ/√N, W ∈ {±1}^N, M = αN patterns. Everything
//! here is an *annealed* (first-moment) count, which is a rigorous upper bound on the typical one:
//!
//! * §S6.1 [`Sbp::annealed_entropy`] s_ann = ln 2 + α ln P1(κ) and [`alpha_1m`] = −ln 2/ln P1(κ);
//! * §S6.2 the second moment Ψ2(q) = ln 2 + H2((1−q)/2) + α ln P2(q) ([`Sbp::psi2`]), the pair entropy
//!   Σ2(d) = Ψ2(1−2d) ([`Sbp::sigma2`]) and α_2M ([`Sbp::alpha_2m`]);
//! * §S6.3 the first-moment bound on pairs at distance d, α_pair(d, κ) ([`Sbp::alpha_pair`]), and its
//!   minimum over d, α_gap(κ) ([`Sbp::alpha_gap`]);
//! * §S6.4 the y-tuple entropy at fixed pairwise distance Σ_y(d) ([`Sbp::tuple_entropy`]), its
//!   combinatorial part B_y(q) ([`tuple_count_entropy`]) and the y → ∞ limit Σ_∞ ([`sigma_inf`]).
//!
//! Numerics (f64 only; these are host-side theory computations): every Gaussian probability of an
//! interval is evaluated on the side where it does not cancel ([`log_interval_prob`]); P2 uses the
//! three-panel Gauss–Legendre rule of §S6.2 (64 nodes per panel, boundary layers of width √(1−q²) at
//! ±κ); the y-tuple z-integral is summed in log space (log-sum-exp) over panels placed at the width of
//! its central peak and at the edges ±κ/√q ± 10√((1−q)/q) of the tuple probability. Optimizations over
//! d or q use a grid scan refined by golden-section search (relative tolerance 1e-10 in the abscissa,
//! so the optimal values are accurate to ~1e-12).
//!
//! Spec caveat (§S6.4): the mapping of these annealed bounds onto the named bounds of \[BDLZ20\] is
//! unverified; the formulas are the spec's re-derivation.

use crate::quad::GaussLegendre;
use crate::roots::{brent, RootError};
use crate::special::{gauss_density, h, h2, log_h};
use crate::ShapeError;
use core::f64::consts::LN_2;
use core::fmt;

/// Why an SBP computation failed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SbpError {
    /// A parameter is outside its domain (κ ≤ 0, α < 0, d outside its range, y = 0, NaN).
    Shape(ShapeError),
    /// A one-dimensional root search (the Legendre transform of B_y) failed.
    Root(RootError),
    /// A probability underflowed to 0 or a result is not finite (which quantity).
    NonFinite(&'static str),
}

impl fmt::Display for SbpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SbpError::Shape(e) => write!(f, "{e}"),
            SbpError::Root(e) => write!(f, "B_y Legendre transform: {e}"),
            SbpError::NonFinite(what) => write!(f, "{what} is not finite"),
        }
    }
}

impl core::error::Error for SbpError {}

impl From<ShapeError> for SbpError {
    fn from(e: ShapeError) -> Self {
        SbpError::Shape(e)
    }
}

impl From<RootError> for SbpError {
    fn from(e: RootError) -> Self {
        SbpError::Root(e)
    }
}

fn check_kappa(kappa: f64) -> Result<(), SbpError> {
    if kappa.is_finite() && kappa > 0.0 {
        Ok(())
    } else {
        Err(ShapeError::InvalidParameter("kappa must be finite and > 0").into())
    }
}

fn check_alpha(alpha: f64) -> Result<(), SbpError> {
    if alpha.is_finite() && alpha >= 0.0 {
        Ok(())
    } else {
        Err(ShapeError::InvalidParameter("alpha must be finite and >= 0").into())
    }
}

fn finite(x: f64, what: &'static str) -> Result<f64, SbpError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(SbpError::NonFinite(what))
    }
}

/// ln P(lo ≤ Z ≤ hi) for a standard Gaussian Z (lo ≤ hi), evaluated without cancellation: on the
/// right tail as ln H(lo) + ln(1 − e^{ln H(hi) − ln H(lo)}), on the left tail by symmetry, and as
/// ln(1 − H(hi) − H(−lo)) when the interval contains 0. Returns −∞ for an empty interval.
pub fn log_interval_prob(lo: f64, hi: f64) -> f64 {
    if hi <= lo {
        return f64::NEG_INFINITY;
    }
    if lo >= 0.0 {
        let a = log_h(lo);
        let b = log_h(hi);
        a + libm::log1p(-libm::exp(b - a))
    } else if hi <= 0.0 {
        log_interval_prob(-hi, -lo)
    } else {
        libm::log1p(-(h(hi) + h(-lo)))
    }
}

/// P(lo ≤ Z ≤ hi) for a standard Gaussian Z, as a difference of tail probabilities on the side where
/// neither is close to 1 (absolute error ~1e-17; use [`log_interval_prob`] when the logarithm of a
/// tiny probability is needed).
#[inline]
pub fn interval_prob(lo: f64, hi: f64) -> f64 {
    if hi <= lo {
        0.0
    } else if lo >= 0.0 {
        h(lo) - h(hi)
    } else if hi <= 0.0 {
        h(-hi) - h(-lo)
    } else {
        1.0 - h(hi) - h(-lo)
    }
}

/// P1(κ) = P(|Z| ≤ κ) = erf(κ/√2) (§S6, the one-pattern satisfaction probability).
pub fn p1(kappa: f64) -> Result<f64, SbpError> {
    check_kappa(kappa)?;
    Ok(libm::erf(kappa * core::f64::consts::FRAC_1_SQRT_2))
}

/// ln P1(κ), accurate for large κ (ln(1 − 2H(κ)) through log1p) and small κ (ln erf).
pub fn log_p1(kappa: f64) -> Result<f64, SbpError> {
    check_kappa(kappa)?;
    if kappa > 1.0 {
        Ok(libm::log1p(-2.0 * h(kappa)))
    } else {
        Ok(libm::log(libm::erf(
            kappa * core::f64::consts::FRAC_1_SQRT_2,
        )))
    }
}

/// Annealed entropy s_ann(α, κ) = ln 2 + α ln P1(κ) (§S6.1).
pub fn annealed_entropy(alpha: f64, kappa: f64) -> Result<f64, SbpError> {
    check_alpha(alpha)?;
    Ok(LN_2 + alpha * log_p1(kappa)?)
}

/// First-moment capacity α_1M(κ) = −ln 2/ln P1(κ) (§S6.1), the SAT/UNSAT threshold of the SBP.
pub fn alpha_1m(kappa: f64) -> Result<f64, SbpError> {
    finite(-LN_2 / log_p1(kappa)?, "alpha_1m")
}

/// The y → ∞ per-replica limit of the y-tuple entropy (§S6.4):
/// Σ_∞(d) = H2((1 − √q)/2) + α ln(1 − 2H(κ/√(1−q))), q = 1 − 2d, d ∈ (0, ½].
pub fn sigma_inf(alpha: f64, kappa: f64, d: f64) -> Result<f64, SbpError> {
    check_alpha(alpha)?;
    check_kappa(kappa)?;
    if !(d > 0.0 && d <= 0.5) {
        return Err(ShapeError::InvalidParameter("d must be in (0, 1/2]").into());
    }
    let q = 1.0 - 2.0 * d;
    let x = kappa / libm::sqrt(1.0 - q);
    finite(
        h2(0.5 * (1.0 - libm::sqrt(q))) + alpha * log_interval_prob(-x, x),
        "sigma_inf",
    )
}

/// Streaming log-sum-exp with a second moment: accumulates s = Σ e^{x_k}, t = Σ e^{x_k} v_k.
#[derive(Clone, Copy, Debug)]
struct Lse {
    m: f64,
    s: f64,
    t: f64,
}

impl Lse {
    fn new() -> Self {
        Lse {
            m: f64::NEG_INFINITY,
            s: 0.0,
            t: 0.0,
        }
    }
    #[inline]
    fn push(&mut self, x: f64, v: f64) {
        if x == f64::NEG_INFINITY {
            return;
        }
        if x > self.m {
            let r = libm::exp(self.m - x);
            self.s = self.s * r + 1.0;
            self.t = self.t * r + v;
            self.m = x;
        } else {
            let w = libm::exp(x - self.m);
            self.s += w;
            self.t += w * v;
        }
    }
    /// ln Σ e^{x_k}.
    fn log(&self) -> f64 {
        self.m + libm::log(self.s)
    }
    /// Σ e^{x_k} v_k / Σ e^{x_k}.
    fn mean(&self) -> f64 {
        self.t / self.s
    }
}

/// The Legendre-transform objective of B_y and its derivative in q̂:
/// f(q̂) = −q̂ y(y−1)q/2 − y q̂/2 + ln Σ_k C(y,k) e^{q̂(y−2k)²/2},
/// f'(q̂) = ⟨(y−2k)²⟩/2 − (y + y(y−1)q)/2.
fn tuple_objective(y: u32, q: f64, qhat: f64) -> (f64, f64) {
    let yf = y as f64;
    let mut acc = Lse::new();
    let mut lc = 0.0; // ln C(y, k)
    for k in 0..=y {
        if k > 0 {
            lc += libm::log((yf - k as f64 + 1.0) / k as f64);
        }
        let m = yf - 2.0 * k as f64;
        acc.push(lc + 0.5 * qhat * m * m, m * m);
    }
    let target = yf + yf * (yf - 1.0) * q;
    (acc.log() - 0.5 * qhat * target, 0.5 * (acc.mean() - target))
}

/// B_y(q) = (1/N) ln #{y-tuples of ±1 vectors with all pairwise overlaps q} (§S6.4), by its Legendre
/// transform min_{q̂ ≥ 0} f(q̂) (convex in q̂; the minimizer solves ⟨(y−2k)²⟩ = y + y(y−1)q, found by
/// Brent on the derivative). Returns (B_y, q̂*). q ∈ [0, 1); B_1 = ln 2, B_y(0) = y ln 2,
/// B_2(q) = ln 2 + H2((1−q)/2).
pub fn tuple_count_entropy(y: u32, q: f64) -> Result<(f64, f64), SbpError> {
    if y == 0 {
        return Err(ShapeError::InvalidParameter("y must be >= 1").into());
    }
    if !(0.0..1.0).contains(&q) {
        return Err(ShapeError::InvalidParameter("q must be in [0, 1)").into());
    }
    if y == 1 || q == 0.0 {
        return Ok((y as f64 * LN_2, 0.0));
    }
    let mut hi = 1.0;
    let mut it = 0;
    while tuple_objective(y, q, hi).1 <= 0.0 {
        hi *= 2.0;
        it += 1;
        if it > 60 {
            return Err(SbpError::NonFinite("B_y conjugate qhat"));
        }
    }
    let r = brent(
        |x: f64| tuple_objective(y, q, x).1,
        0.0,
        hi,
        1e-13 * hi.max(1.0),
        200,
    )?;
    let qhat = r.x;
    Ok((finite(tuple_objective(y, q, qhat).0, "B_y")?, qhat))
}

/// Golden-section minimization of a unimodal f on [a, b] to relative tolerance `tol` in x.
fn golden_min<F: FnMut(f64) -> f64>(mut f: F, mut a: f64, mut b: f64, tol: f64) -> (f64, f64) {
    const R: f64 = 0.618_033_988_749_894_9;
    let mut c = b - R * (b - a);
    let mut d = a + R * (b - a);
    let mut fc = f(c);
    let mut fd = f(d);
    for _ in 0..200 {
        if (b - a).abs() <= tol * (c.abs() + d.abs()) * 0.5 + 1e-300 {
            break;
        }
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - R * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + R * (b - a);
            fd = f(d);
        }
    }
    if fc < fd {
        (c, fc)
    } else {
        (d, fd)
    }
}

/// Grid scan of f over `n` points x_i = grid(i) (increasing), then golden-section refinement between
/// the neighbours of the smallest grid value. Returns (x*, f(x*)).
fn scan_min<F: FnMut(f64) -> f64, X: Fn(usize) -> f64>(mut f: F, n: usize, grid: X) -> (f64, f64) {
    let mut best = (0usize, f64::INFINITY);
    for i in 0..n {
        let v = f(grid(i));
        if v < best.1 {
            best = (i, v);
        }
    }
    let i = best.0;
    if i == 0 || i == n - 1 {
        return (grid(i), best.1);
    }
    let (x, v) = golden_min(&mut f, grid(i - 1), grid(i + 1), 1e-10);
    if v < best.1 {
        (x, v)
    } else {
        (grid(i), best.1)
    }
}

/// The result of α_2M(κ) (§S6.2).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Alpha2M {
    /// Largest α at which argmax_q Ψ2(q) is q = 0.
    pub alpha_2m: f64,
    /// The overlap q ∈ (0, 1] whose competition with q = 0 sets α_2M (q = 1 means α_2M = α_1M).
    pub q_critical: f64,
}

/// The minimum of α_pair over d (§S6.3).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AlphaGap {
    /// α_gap(κ) = min_d α_pair(d, κ).
    pub alpha_gap: f64,
    /// The minimizing distance d.
    pub d: f64,
}

/// Symmetric-binary-perceptron calculator: holds the Gauss–Legendre rule its integrals share.
/// Build once ([`Sbp::new`], a few microseconds) and reuse.
#[derive(Clone, Debug)]
pub struct Sbp {
    gl: GaussLegendre<64>,
}

impl Default for Sbp {
    fn default() -> Self {
        Self::new()
    }
}

impl Sbp {
    /// Builds the quadrature rule.
    pub fn new() -> Self {
        Sbp {
            gl: GaussLegendre::new(),
        }
    }

    /// P2(q) = P(|u1| ≤ κ, |u2| ≤ κ), corr(u1, u2) = q ∈ [−1, 1] (§S6.2); P2(−q) = P2(q), P2(±1) = P1.
    /// Three Gauss–Legendre panels [−κ, −κ+δ], [−κ+δ, κ−δ], [κ−δ, κ], δ = min(κ/3, 10√(1−q²)).
    pub fn p2(&self, q: f64, kappa: f64) -> Result<f64, SbpError> {
        Ok(libm::exp(self.log_p2(q, kappa)?))
    }

    /// ln P2(q) (see [`Sbp::p2`]).
    pub fn log_p2(&self, q: f64, kappa: f64) -> Result<f64, SbpError> {
        check_kappa(kappa)?;
        if !(-1.0..=1.0).contains(&q) {
            return Err(ShapeError::InvalidParameter("q must be in [-1, 1]").into());
        }
        let q = q.abs();
        let s2 = (1.0 - q) * (1.0 + q);
        if s2 <= 0.0 {
            return log_p1(kappa);
        }
        let s = libm::sqrt(s2);
        let delta = (kappa / 3.0).min(10.0 * s);
        let f =
            |u: f64| gauss_density(u) * interval_prob((-kappa - q * u) / s, (kappa - q * u) / s);
        let total = self.gl.integrate(-kappa, -kappa + delta, f)
            + self.gl.integrate(-kappa + delta, kappa - delta, f)
            + self.gl.integrate(kappa - delta, kappa, f);
        if total > 0.0 {
            Ok(libm::log(total))
        } else {
            Err(SbpError::NonFinite("P2"))
        }
    }

    /// Annealed entropy s_ann (§S6.1), same as the free function [`annealed_entropy`].
    pub fn annealed_entropy(&self, alpha: f64, kappa: f64) -> Result<f64, SbpError> {
        annealed_entropy(alpha, kappa)
    }

    /// Ψ2(q) = (1/N) ln E #{ordered pairs of solutions with overlap q}
    /// = ln 2 + H2((1−q)/2) + α ln P2(q) (§S6.2). Ψ2(0) = 2 s_ann, Ψ2(±1) = s_ann.
    pub fn psi2(&self, q: f64, alpha: f64, kappa: f64) -> Result<f64, SbpError> {
        check_alpha(alpha)?;
        let lp = self.log_p2(q, kappa)?;
        finite(LN_2 + h2(0.5 * (1.0 - q)) + alpha * lp, "Psi2")
    }

    /// Pair entropy at normalized Hamming distance d ∈ [0, 1]: Σ2(d) = Ψ2(1 − 2d) (§S6.2).
    pub fn sigma2(&self, d: f64, alpha: f64, kappa: f64) -> Result<f64, SbpError> {
        if !(0.0..=1.0).contains(&d) {
            return Err(ShapeError::InvalidParameter("d must be in [0, 1]").into());
        }
        self.psi2(1.0 - 2.0 * d, alpha, kappa)
    }

    /// α_2M(κ) (§S6.2): the largest α with argmax_q Ψ2(q) = 0. Since Ψ2(q) − Ψ2(0) =
    /// [H2((1−q)/2) − ln 2] + α [ln P2(q) − 2 ln P1] is affine in α with a negative first and a
    /// non-negative second bracket (P2(q) ≥ P1², Hermite expansion with squared coefficients), q beats
    /// q = 0 exactly when α > r(q) = (ln 2 − H2((1−q)/2))/(ln P2(q) − 2 ln P1); hence
    /// α_2M = min_{q ∈ (0,1]} r(q), r(1) = α_1M. Scanned on 400 points of q ∈ [0.005, 1], refined by
    /// golden section.
    pub fn alpha_2m(&self, kappa: f64) -> Result<Alpha2M, SbpError> {
        let lp1 = log_p1(kappa)?;
        let mut err = None;
        let mut r = |q: f64| -> f64 {
            match self.log_p2(q, kappa) {
                Ok(lp) => {
                    let den = lp - 2.0 * lp1;
                    if den > 0.0 {
                        (LN_2 - h2(0.5 * (1.0 - q))) / den
                    } else {
                        f64::INFINITY
                    }
                }
                Err(e) => {
                    err = Some(e);
                    f64::INFINITY
                }
            }
        };
        const N: usize = 400;
        let (q, a) = scan_min(&mut r, N, |i| {
            0.005 + (1.0 - 0.005) * i as f64 / (N - 1) as f64
        });
        if let Some(e) = err {
            return Err(e);
        }
        Ok(Alpha2M {
            alpha_2m: finite(a, "alpha_2m")?,
            q_critical: q,
        })
    }

    /// α_pair(d, κ) = −(ln 2 + H2(d))/ln P2(1 − 2d) (§S6.3): above it, pairs of solutions at distance
    /// d ∈ (0, 1] are absent w.h.p. (first moment). α_pair(0⁺) = α_pair(½) = α_1M.
    pub fn alpha_pair(&self, d: f64, kappa: f64) -> Result<f64, SbpError> {
        if !(0.0..=1.0).contains(&d) {
            return Err(ShapeError::InvalidParameter("d must be in [0, 1]").into());
        }
        let lp = self.log_p2(1.0 - 2.0 * d, kappa)?;
        finite(-(LN_2 + h2(d)) / lp, "alpha_pair")
    }

    /// α_gap(κ) = min_{d ∈ (0, ½)} α_pair(d, κ) and its minimizer (§S6.3). Scanned on 300 log-spaced
    /// points of d ∈ [1e-7, 0.5], refined by golden section.
    pub fn alpha_gap(&self, kappa: f64) -> Result<AlphaGap, SbpError> {
        check_kappa(kappa)?;
        let mut err = None;
        let f = |d: f64| match self.alpha_pair(d, kappa) {
            Ok(a) => a,
            Err(e) => {
                err = Some(e);
                f64::INFINITY
            }
        };
        const N: usize = 300;
        let (lo, hi) = (libm::log(1e-7), libm::log(0.5));
        let (d, a) = scan_min(f, N, |i| {
            libm::exp(lo + (hi - lo) * i as f64 / (N - 1) as f64)
        });
        if let Some(e) = err {
            return Err(e);
        }
        Ok(AlphaGap {
            alpha_gap: finite(a, "alpha_gap")?,
            d,
        })
    }

    /// ln ∫Dz P(z)^y, P(z) = P(|√q z + √(1−q) x| ≤ κ) (the energetic term of §S6.4, per pattern).
    /// The integrand is even and log-concave in z, peaked at 0 with curvature 1 + y c,
    /// c = −(ln P)''(0); panels (on z ≥ 0, doubled) at multiples of the peak width and at the edge
    /// κ/√q ± {3, 10}·√((1−q)/q), 64 Gauss–Legendre nodes each, summed with log-sum-exp.
    pub fn tuple_energetic(&self, y: u32, q: f64, kappa: f64) -> Result<f64, SbpError> {
        check_kappa(kappa)?;
        if y == 0 {
            return Err(ShapeError::InvalidParameter("y must be >= 1").into());
        }
        if !(0.0..1.0).contains(&q) {
            return Err(ShapeError::InvalidParameter("q must be in [0, 1)").into());
        }
        let yf = y as f64;
        let s = libm::sqrt(1.0 - q);
        let sq = libm::sqrt(q);
        if sq < 1e-150 {
            return finite(yf * log_p1(kappa)?, "tuple energetic term");
        }
        let log_p = |z: f64| log_interval_prob((-kappa - sq * z) / s, (kappa - sq * z) / s);
        let a = kappa / s;
        let c = (q / (s * s)) * 2.0 * a * gauss_density(a) / interval_prob(-a, a);
        let width = 1.0 / libm::sqrt(1.0 + yf * c);
        const L: f64 = 40.0;
        let edge = kappa / sq;
        let scale = s / sq;
        let mut bp = [0.0f64; 16];
        let mut n = 0;
        for m in [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0] {
            bp[n] = m * width;
            n += 1;
        }
        for m in [-10.0, -3.0, 0.0, 3.0, 10.0] {
            bp[n] = edge + m * scale;
            n += 1;
        }
        bp[n] = L;
        n += 1;
        for v in bp[..n].iter_mut() {
            *v = v.clamp(0.0, L);
        }
        bp[..n].sort_unstable_by(|x, y| x.total_cmp(y));
        let mut acc = Lse::new();
        let nodes = self.gl.nodes();
        let weights = self.gl.weights();
        for w in bp[..n].windows(2) {
            let (lo, hi) = (w[0], w[1]);
            if hi - lo <= 1e-14 * (1.0 + hi) {
                continue;
            }
            let half = 0.5 * (hi - lo);
            let mid = 0.5 * (hi + lo);
            for k in 0..nodes.len() {
                let z = mid + half * nodes[k];
                let lg = -0.5 * z * z - 0.918_938_533_204_672_8; // ln G(z)
                acc.push(libm::log(weights[k] * half) + lg + yf * log_p(z), 0.0);
            }
        }
        finite(LN_2 + acc.log(), "tuple energetic term")
    }

    /// y-tuple entropy at fixed pairwise distance d ∈ [0, ½] (§S6.4, annealed):
    /// Σ_y(d) = B_y(q) + α ln ∫Dz P(z)^y, q = 1 − 2d. Σ_1 = s_ann, Σ_2 = Σ2, Σ_y(0) = s_ann.
    pub fn tuple_entropy(&self, y: u32, alpha: f64, kappa: f64, d: f64) -> Result<f64, SbpError> {
        check_alpha(alpha)?;
        check_kappa(kappa)?;
        if !(0.0..=0.5).contains(&d) {
            return Err(ShapeError::InvalidParameter("d must be in [0, 1/2]").into());
        }
        if y == 0 {
            return Err(ShapeError::InvalidParameter("y must be >= 1").into());
        }
        if d == 0.0 {
            return annealed_entropy(alpha, kappa);
        }
        let q = 1.0 - 2.0 * d;
        let (b, _) = tuple_count_entropy(y, q)?;
        finite(b + alpha * self.tuple_energetic(y, q, kappa)?, "Sigma_y")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_probabilities_do_not_cancel() {
        // P(5 ≤ Z ≤ 6) = H(5) − H(6) = 2.8665157187919e-7 − 9.8658765e-10
        let p = interval_prob(5.0, 6.0);
        assert!((p - (2.866_515_718_791_939e-7 - 9.865_876_450_376_98e-10)).abs() < 1e-19);
        assert_eq!(interval_prob(-6.0, -5.0), p);
        assert!((interval_prob(-1.0, 1.0) - 0.682_689_492_137_085_9).abs() < 1e-15);
    }

    #[test]
    fn b_y_special_cases() {
        // B_2(q) = ln 2 + H2((1−q)/2) (exact pair count)
        for q in [0.1, 0.5, 0.9, 0.999] {
            let (b, _) = tuple_count_entropy(2, q).unwrap();
            assert!((b - (LN_2 + h2(0.5 * (1.0 - q)))).abs() < 1e-12, "q={q}");
        }
        assert_eq!(tuple_count_entropy(1, 0.3).unwrap().0, LN_2);
        assert!(tuple_count_entropy(0, 0.3).is_err());
    }
}
