//! 1RSB ansatz for the constrained replicas of the Franz–Parisi computation (THEORY §S4, paper SM II.2,
//! eqs. (28)–(31)).
//!
//! The reference stays RS ((q0, q̂0) = the equilibrium saddle of §S2 at (α, κ̃)); the constrained
//! replicas get a Parisi block structure with block size m: overlap q1 inside blocks, q0c between
//! blocks (conjugates q̂1, q̂0c); p, S as in §S3. With h = μ + c1 z1 + c2 z2,
//! μ = (p̂/√q̂0) z0 + Ŝ − p̂, c1 = √(q̂0c − p̂²/q̂0), c2 = √(q̂1 − q̂0c):
//!
//! ```text
//! φ_1RSB = 𝒢_S + α 𝒢_E
//! 𝒢_S = −Ŝ S + p̂ p − (q̂1/2)(1 − q1) − (m/2)(q̂1 q1 − q̂0c q0c) + E_w E_z1 (1/m) ln E_z2 (2cosh h)^m
//! 𝒢_E = E_E E_z1 (1/m) ln E_z2 H(A)^m,  A = (κ − a z0 − b x1 − √(q0c − a² − b²) z1 − √(q1 − q0c) z2)/√(1 − q1)
//! ```
//!
//! (E_w, E_E, a, b, A0 as in §S3.) For q0c = q1, q̂0c = q̂1 it is the RS functional of §S3 for every m.
//!
//! **Saddle-point equations** (derived here with the heat-equation identities of §S3.4; they reduce to
//! (E1)–(E5) at the RS point). Writing ⟨·⟩ for the average over z2 with weight (2cosh h)^m
//! (entropic) or H(A)^m (energetic), F' = g(A)/√(1−q1), F'' = −g(g − A)/(1−q1),
//! L' = ⟨F'⟩, L'' = ⟨F''⟩ + m(⟨F'²⟩ − ⟨F'⟩²):
//!
//! ```text
//! ∂𝒢_E/∂q1 = ((m−1)/2) E⟨F'²⟩,  ∂𝒢_E/∂q0c = −(m/2) E⟨F'⟩²          ⇒ q̂1 = α E⟨F'²⟩, q̂0c = α E⟨F'⟩²
//! ∂𝒢_E/∂p = E[L' z0]/√q0 − E[L' x1]/√(1−q0) + (b/√(1−q0) − a/√q0) E[L'']   ⇒ p̂ = −α ∂𝒢_E/∂p
//! S = E_w E_z1 ⟨tanh h⟩ (→ Ŝ),  q1 = E_w E_z1 ⟨tanh² h⟩,  q0c = E_w E_z1 ⟨tanh h⟩²,
//! p = E_w[tanh(√q̂0 z0) E_z1 ⟨tanh h⟩]
//! ```
//!
//! The map x = (q1, q0c, p) → (q̂1, q̂0c, p̂) → Ŝ → x' is iterated with damping ([`solve`], §S1.3)
//! from several non-RS starts ([`check`]); the verdict says whether any start converged to a point with
//! q0c < q1 (a non-RS solution). The paper found none; the spec's oracle did not solve these
//! equations (only checked the functional), so the saddle equations above are ours.
//!
//! The RS base point (q0c = q1, q̂0c = q̂1) is a fixed point of the same map; [`solve_rs`] finds it by
//! Newton (§S1.3) — an RS Franz–Parisi solver that overlaps the `franz_parisi` module's, kept here so
//! the 1RSB check is computed with one set of integrals.
//!
//! Quadrature: energetic (z0, x1, z1, z2) Gauss–Hermite × truncated-Gaussian Gauss–Legendre
//! (two panels, §S1.2) × Gauss–Hermite × Gauss–Hermite, sizes given by the const parameters of
//! [`OneRsbQuad`]; entropic (z0, z1, z2) trapezoid rules with step min(0.4, 0.25/c) on |z| ≤ 10
//! (the rule of [`crate::quad::GaussTrapezoid`]; a step 0.45/c left 2e-8 errors in p), inner z2
//! averages in log space (log-sum-exp). With these rules the RS base point reproduces the §S3.6
//! unit-test vector to ≤ 5e-9 in every component.

use crate::quad::{GaussHermite, GaussLegendre};
use crate::roots::{fixed_point, newton_fd, RootError, SolveError, SolveOptions};
use crate::special::{g, log_2cosh, log_h};
use crate::theory::franz_parisi::{
    self, FpError, FpProblem, FpQuadratureFast, WarmStart, FP_SOLVE,
};
use crate::theory::rs::{self, RsError, RsQuadrature};
use crate::ShapeError;
use core::fmt;

/// Why a 1RSB computation failed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OneRsbError {
    /// A parameter is out of its domain.
    Shape(ShapeError),
    /// The reference (equilibrium RS at κ̃) could not be computed.
    Reference(RsError),
    /// The Ŝ equation S = E⟨tanh h⟩ could not be solved.
    Root(RootError),
    /// The RS base point did not converge.
    RsBase(SolveError),
    /// A non-finite functional value.
    NonFinite,
    /// The RS Franz–Parisi solver used for the reduction check failed.
    FranzParisi(FpError),
}

impl fmt::Display for OneRsbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OneRsbError::Shape(e) => write!(f, "{e}"),
            OneRsbError::Reference(e) => write!(f, "reference RS saddle: {e}"),
            OneRsbError::Root(e) => write!(f, "Shat equation: {e}"),
            OneRsbError::RsBase(e) => write!(f, "RS Franz-Parisi base point: {e}"),
            OneRsbError::NonFinite => write!(f, "1RSB functional not finite"),
            OneRsbError::FranzParisi(e) => write!(f, "RS Franz-Parisi reference: {e}"),
        }
    }
}

impl core::error::Error for OneRsbError {}

impl OneRsbError {
    /// Whether the RS point to check does not exist (no reference or equilibrium RS saddle with
    /// q < 1, [`RsError::does_not_exist`]), as opposed to a bad parameter or a failure.
    pub fn does_not_exist(&self) -> bool {
        match self {
            OneRsbError::Reference(e) => e.does_not_exist(),
            OneRsbError::FranzParisi(e) => e.does_not_exist(),
            _ => false,
        }
    }
}

impl From<ShapeError> for OneRsbError {
    fn from(e: ShapeError) -> Self {
        OneRsbError::Shape(e)
    }
}

/// Quadrature sizes: `N0` Gauss–Hermite nodes in z0, `NX` Gauss–Legendre nodes per x1 panel, `N1`
/// and `N2` Gauss–Hermite nodes in z1 and z2 (energetic term).
#[derive(Clone, Debug)]
pub struct OneRsbQuad<const N0: usize, const NX: usize, const N1: usize, const N2: usize> {
    gh0: GaussHermite<N0>,
    glx: GaussLegendre<NX>,
    gh1: GaussHermite<N1>,
    gh2: GaussHermite<N2>,
}

/// Accurate rule (RS reduction checks, ~1e-10): 64 × 2·32 × 48 × 24.
pub type FineQuad = OneRsbQuad<64, 32, 48, 24>;
/// Fast rule for the saddle iteration (~1e-7): 32 × 2·16 × 24 × 16.
pub type FastQuad = OneRsbQuad<32, 16, 24, 16>;

impl<const N0: usize, const NX: usize, const N1: usize, const N2: usize>
    OneRsbQuad<N0, NX, N1, N2>
{
    /// Builds the rules.
    pub fn new() -> Self {
        OneRsbQuad {
            gh0: GaussHermite::new(),
            glx: GaussLegendre::new(),
            gh1: GaussHermite::new(),
            gh2: GaussHermite::new(),
        }
    }
}

impl<const N0: usize, const NX: usize, const N1: usize, const N2: usize> Default
    for OneRsbQuad<N0, NX, N1, N2>
{
    fn default() -> Self {
        Self::new()
    }
}

/// The problem: α, κ̃ (reference margin), κ (constrained margin), the distance d (S = 1 − 2d) and the
/// reference RS saddle (q0, q̂0).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Problem {
    /// α = M/N.
    pub alpha: f64,
    /// Reference margin κ̃.
    pub kappa_ref: f64,
    /// Constrained margin κ.
    pub kappa: f64,
    /// Overlap with the reference S = 1 − 2d.
    pub s: f64,
    /// Reference overlap q0 (RS equilibrium at κ̃).
    pub q0: f64,
    /// Its conjugate q̂0.
    pub qhat0: f64,
}

impl Problem {
    /// Sets up the problem at distance d ∈ (0, 1), solving the reference RS saddle (§S2).
    pub fn new(alpha: f64, kappa_ref: f64, kappa: f64, d: f64) -> Result<Self, OneRsbError> {
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(ShapeError::InvalidParameter("alpha must be finite and > 0").into());
        }
        if !(kappa_ref.is_finite() && kappa.is_finite()) {
            return Err(ShapeError::InvalidParameter("kappa and kappa_ref must be finite").into());
        }
        if !(d > 0.0 && d < 1.0) {
            return Err(ShapeError::InvalidParameter("d must be in (0, 1)").into());
        }
        let r =
            rs::solve(&RsQuadrature::new(), alpha, kappa_ref).map_err(OneRsbError::Reference)?;
        Ok(Problem {
            alpha,
            kappa_ref,
            kappa,
            s: 1.0 - 2.0 * d,
            q0: r.q,
            qhat0: r.qhat,
        })
    }
}

/// A point of the 1RSB functional (order parameters, conjugates, block size).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Point {
    /// Overlap inside blocks.
    pub q1: f64,
    /// Overlap between blocks (q0c ≤ q1; = q1 at the RS point).
    pub q0c: f64,
    /// Overlap with the other reference copies.
    pub p: f64,
    /// Conjugate of q1.
    pub qhat1: f64,
    /// Conjugate of q0c.
    pub qhat0c: f64,
    /// Conjugate of p.
    pub phat: f64,
    /// Conjugate of S.
    pub shat: f64,
    /// Parisi block size m > 0.
    pub m: f64,
}

/// The value of the functional and its two parts.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Value {
    /// Entropic term 𝒢_S^{(1)}.
    pub g_s: f64,
    /// Energetic term 𝒢_E^{(1)}.
    pub g_e: f64,
    /// φ_1RSB = 𝒢_S + α 𝒢_E.
    pub phi: f64,
}

/// Streaming log-sum-exp with three weighted means.
#[derive(Clone, Copy)]
struct Acc {
    m: f64,
    s: f64,
    a: [f64; 3],
}

impl Acc {
    fn new() -> Self {
        Acc {
            m: f64::NEG_INFINITY,
            s: 0.0,
            a: [0.0; 3],
        }
    }
    #[inline]
    fn push(&mut self, x: f64, v: [f64; 3]) {
        if x > self.m {
            let r = if self.m == f64::NEG_INFINITY {
                0.0
            } else {
                libm::exp(self.m - x)
            };
            self.s = self.s * r + 1.0;
            for (a, vi) in self.a.iter_mut().zip(v) {
                *a = *a * r + vi;
            }
            self.m = x;
        } else {
            let w = libm::exp(x - self.m);
            self.s += w;
            for (a, vi) in self.a.iter_mut().zip(v) {
                *a += w * vi;
            }
        }
    }
    fn log(&self) -> f64 {
        self.m + libm::log(self.s)
    }
    fn mean(&self, i: usize) -> f64 {
        self.a[i] / self.s
    }
}

/// Trapezoid rule for Dz on |z| ≤ 10 with step min(0.4, 0.25/c); a single node z = 0 when c = 0.
#[derive(Clone, Copy)]
struct Trap {
    h: f64,
    n: i32,
    norm: f64,
}

impl Trap {
    fn for_scale(c: f64) -> Self {
        if c.is_nan() || c <= 0.0 {
            return Trap {
                h: 0.0,
                n: 0,
                norm: 1.0,
            };
        }
        let h = (0.25 / c).min(0.4);
        let n = libm::floor(10.0 / h) as i32;
        let mut tot = 0.0;
        for k in -n..=n {
            let z = k as f64 * h;
            tot += libm::exp(-0.5 * z * z);
        }
        Trap {
            h,
            n,
            norm: 1.0 / tot,
        }
    }
    #[inline]
    fn node(&self, k: i32) -> (f64, f64) {
        let z = k as f64 * self.h;
        (z, self.norm * libm::exp(-0.5 * z * z))
    }
}

/// Entropic averages at fixed conjugates.
#[derive(Clone, Copy, Debug)]
struct Entropic {
    /// E_w E_z1 (1/m) ln E_z2 (2cosh h)^m.
    value: f64,
    /// E⟨tanh⟩ (= S at the saddle).
    t: f64,
    /// E⟨tanh²⟩ (→ q1).
    t2: f64,
    /// E⟨tanh⟩² (→ q0c).
    tsq: f64,
    /// E[tanh(√q̂0 z0)⟨tanh⟩] (→ p).
    pt: f64,
    /// d E⟨tanh⟩ / dŜ.
    dt: f64,
}

fn entropic(pb: &Problem, pt: &Point) -> Entropic {
    let sq0 = libm::sqrt(pb.qhat0.max(0.0));
    let coef0 = if sq0 > 0.0 { pt.phat / sq0 } else { 0.0 };
    let c1 = libm::sqrt(
        (pt.qhat0c
            - if sq0 > 0.0 {
                pt.phat * pt.phat / pb.qhat0
            } else {
                0.0
            })
        .max(0.0),
    );
    let c2 = libm::sqrt((pt.qhat1 - pt.qhat0c).max(0.0));
    let m = pt.m;
    let t0 = Trap::for_scale(sq0.max(coef0.abs()));
    let t1 = Trap::for_scale(c1);
    let t2r = Trap::for_scale(c2);
    let mut e = Entropic {
        value: 0.0,
        t: 0.0,
        t2: 0.0,
        tsq: 0.0,
        pt: 0.0,
        dt: 0.0,
    };
    for k0 in -t0.n..=t0.n {
        let (z0, w0) = t0.node(k0);
        let tz = libm::tanh(sq0 * z0);
        let w0 = w0 * (1.0 + tz);
        if w0 == 0.0 {
            continue;
        }
        let mu0 = coef0 * z0 + pt.shat - pt.phat;
        let (mut v, mut a1, mut a2, mut asq, mut ad) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for k1 in -t1.n..=t1.n {
            let (z1, w1) = t1.node(k1);
            let mu = mu0 + c1 * z1;
            let mut acc = Acc::new();
            for k2 in -t2r.n..=t2r.n {
                let (z2, w2) = t2r.node(k2);
                let hh = mu + c2 * z2;
                let th = libm::tanh(hh);
                acc.push(libm::log(w2) + m * log_2cosh(hh), [th, th * th, 0.0]);
            }
            let mt = acc.mean(0);
            let mt2 = acc.mean(1);
            v += w1 * acc.log() / m;
            a1 += w1 * mt;
            a2 += w1 * mt2;
            asq += w1 * mt * mt;
            // d⟨tanh⟩/dμ = ⟨sech²⟩ + m(⟨tanh²⟩ − ⟨tanh⟩²)
            ad += w1 * ((1.0 - mt2) + m * (mt2 - mt * mt));
        }
        e.value += w0 * v;
        e.t += w0 * a1;
        e.t2 += w0 * a2;
        e.tsq += w0 * asq;
        e.pt += w0 * tz * a1;
        e.dt += w0 * ad;
    }
    e
}

/// Energetic averages at fixed order parameters.
#[derive(Clone, Copy, Debug)]
struct Energetic {
    /// 𝒢_E.
    value: f64,
    /// E⟨F'²⟩ (q̂1 = α ·).
    f2: f64,
    /// E⟨F'⟩² (q̂0c = α ·).
    fsq: f64,
    /// ∂𝒢_E/∂p.
    d_p: f64,
    /// ∂𝒢_E/∂S.
    d_s: f64,
}

fn energetic<const N0: usize, const NX: usize, const N1: usize, const N2: usize>(
    quad: &OneRsbQuad<N0, NX, N1, N2>,
    pb: &Problem,
    pt: &Point,
) -> Energetic {
    let (q0, s, m) = (pb.q0, pb.s, pt.m);
    let sq0 = libm::sqrt(q0);
    let s0 = libm::sqrt(1.0 - q0);
    let a = pt.p / sq0;
    let b = (s - pt.p) / s0;
    let c0 = libm::sqrt((pt.q0c - a * a - b * b).max(0.0));
    let c1 = libm::sqrt((pt.q1 - pt.q0c).max(0.0));
    let den = libm::sqrt((1.0 - pt.q1).max(1e-300));
    let (n1, n2) = (if c0 > 0.0 { N1 } else { 1 }, if c1 > 0.0 { N2 } else { 1 });
    let (mut val, mut f2, mut fsq, mut ez0, mut ex1, mut el2) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for i0 in 0..N0 {
        let z0 = quad.gh0.nodes()[i0];
        let w0 = quad.gh0.weights()[i0];
        let a0 = (pb.kappa_ref - sq0 * z0) / s0;
        let lh0 = log_h(a0);
        let tstar = -a0 + libm::sqrt(a0 * a0 + 74.0);
        let tau = if b != 0.0 {
            (0.5 * tstar).min(10.0 * den / b.abs())
        } else {
            0.5 * tstar
        };
        for (lo, hi) in [(a0, a0 + tau), (a0 + tau, a0 + tstar)] {
            let half = 0.5 * (hi - lo);
            let mid = 0.5 * (hi + lo);
            for ix in 0..NX {
                let x1 = mid + half * quad.glx.nodes()[ix];
                let wx = w0
                    * quad.glx.weights()[ix]
                    * half
                    * libm::exp(-0.5 * x1 * x1 - 0.918_938_533_204_672_8 - lh0);
                for i1 in 0..n1 {
                    let (z1, w1) = if n1 == 1 {
                        (0.0, 1.0)
                    } else {
                        (quad.gh1.nodes()[i1], quad.gh1.weights()[i1])
                    };
                    let wv = a * z0 + b * x1 + c0 * z1;
                    let mut acc = Acc::new();
                    for i2 in 0..n2 {
                        let (z2, w2) = if n2 == 1 {
                            (0.0, 1.0)
                        } else {
                            (quad.gh2.nodes()[i2], quad.gh2.weights()[i2])
                        };
                        let aa = (pb.kappa - wv - c1 * z2) / den;
                        let gg = g(aa);
                        let f1 = gg / den;
                        acc.push(
                            libm::log(w2) + m * log_h(aa),
                            [f1, f1 * f1, -gg * (gg - aa) / (den * den)],
                        );
                    }
                    let w = wx * w1;
                    let l1 = acc.mean(0);
                    let l2 = acc.mean(1);
                    let lpp = acc.mean(2) + m * (l2 - l1 * l1);
                    val += w * acc.log() / m;
                    f2 += w * l2;
                    fsq += w * l1 * l1;
                    ez0 += w * l1 * z0;
                    ex1 += w * l1 * x1;
                    el2 += w * lpp;
                }
            }
        }
    }
    Energetic {
        value: val,
        f2,
        fsq,
        d_p: ez0 / sq0 - ex1 / s0 + (b / s0 - a / sq0) * el2,
        d_s: (ex1 - b * el2) / s0,
    }
}

fn check_point(pt: &Point) -> Result<(), OneRsbError> {
    let ok = pt.m.is_finite()
        && pt.m > 0.0
        && pt.q1 < 1.0
        && pt.q0c <= pt.q1
        && pt.qhat0c <= pt.qhat1
        && [pt.q1, pt.q0c, pt.p, pt.qhat1, pt.qhat0c, pt.phat, pt.shat]
            .iter()
            .all(|v| v.is_finite());
    if ok {
        Ok(())
    } else {
        Err(
            ShapeError::InvalidParameter("1RSB point: need m > 0, q0c <= q1 < 1, qhat0c <= qhat1")
                .into(),
        )
    }
}

/// φ_1RSB at a point (§S4), with the given quadrature.
pub fn value<const N0: usize, const NX: usize, const N1: usize, const N2: usize>(
    quad: &OneRsbQuad<N0, NX, N1, N2>,
    pb: &Problem,
    pt: &Point,
) -> Result<Value, OneRsbError> {
    check_point(pt)?;
    let en = entropic(pb, pt);
    let eg = energetic(quad, pb, pt);
    let g_s = -pt.shat * pb.s + pt.phat * pt.p
        - 0.5 * pt.qhat1 * (1.0 - pt.q1)
        - 0.5 * pt.m * (pt.qhat1 * pt.q1 - pt.qhat0c * pt.q0c)
        + en.value;
    let phi = g_s + pb.alpha * eg.value;
    if phi.is_finite() {
        Ok(Value {
            g_s,
            g_e: eg.value,
            phi,
        })
    } else {
        Err(OneRsbError::NonFinite)
    }
}

/// Solves S = E⟨tanh h⟩ for Ŝ (Newton with bisection safeguard, warm start `shat0`).
fn solve_shat(pb: &Problem, pt: &Point, shat0: f64) -> Result<(f64, Entropic), OneRsbError> {
    let mut p = *pt;
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut x = if shat0.is_finite() { shat0 } else { 0.0 };
    for _ in 0..100 {
        p.shat = x;
        let e = entropic(pb, &p);
        let r = e.t - pb.s;
        if r.abs() <= 1e-13 {
            return Ok((x, e));
        }
        if r > 0.0 {
            hi = hi.min(x);
        } else {
            lo = lo.max(x);
        }
        let mut nx = if e.dt > 0.0 { x - r / e.dt } else { f64::NAN };
        let inside = |v: f64| v.is_finite() && v > lo && v < hi;
        if !inside(nx) {
            nx = if lo.is_finite() && hi.is_finite() {
                0.5 * (lo + hi)
            } else if lo.is_finite() {
                lo + 1.0 + (lo - x).abs()
            } else {
                hi - 1.0 - (hi - x).abs()
            };
        }
        if (nx - x).abs() <= 1e-14 * (1.0 + x.abs()) {
            p.shat = nx;
            return Ok((nx, entropic(pb, &p)));
        }
        x = nx;
    }
    Err(OneRsbError::Root(RootError::MaxIterations {
        x,
        width: hi - lo,
    }))
}

/// One application of the saddle map at block size m: x = (q1, q0c, p) → conjugates → Ŝ → x'.
/// Returns the full point (conjugates consistent with the input x) and x'.
pub fn saddle_map<const N0: usize, const NX: usize, const N1: usize, const N2: usize>(
    quad: &OneRsbQuad<N0, NX, N1, N2>,
    pb: &Problem,
    x: [f64; 3],
    m: f64,
    shat_guess: f64,
) -> Result<(Point, [f64; 3]), OneRsbError> {
    let [q1, q0c, p] = x;
    if !(q1 < 1.0 && q0c <= q1 + 1e-15 && x.iter().all(|v| v.is_finite())) {
        return Err(ShapeError::InvalidParameter("1RSB map: need q0c <= q1 < 1").into());
    }
    let mut pt = Point {
        q1,
        q0c: q0c.min(q1),
        p,
        qhat1: 0.0,
        qhat0c: 0.0,
        phat: 0.0,
        shat: shat_guess,
        m,
    };
    let eg = energetic(quad, pb, &pt);
    pt.qhat1 = pb.alpha * eg.f2;
    pt.qhat0c = (pb.alpha * eg.fsq).min(pt.qhat1);
    pt.phat = -pb.alpha * eg.d_p;
    let (shat, en) = solve_shat(pb, &pt, shat_guess)?;
    pt.shat = shat;
    Ok((pt, [en.t2, en.tsq.min(en.t2), en.pt]))
}

/// A converged saddle point with its value and dφ/dd.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Saddle {
    /// The point.
    pub point: Point,
    /// Its value.
    pub value: Value,
    /// dφ/dd = 2(Ŝ − α ∂𝒢_E/∂S).
    pub dphi_dd: f64,
    /// max |T(x) − x| at the returned point.
    pub residual: f64,
    /// Map evaluations.
    pub evaluations: u32,
}

fn finish<const N0: usize, const NX: usize, const N1: usize, const N2: usize>(
    quad: &OneRsbQuad<N0, NX, N1, N2>,
    pb: &Problem,
    x: [f64; 3],
    m: f64,
    shat: f64,
    residual: f64,
    evaluations: u32,
) -> Result<Saddle, OneRsbError> {
    let (pt, _) = saddle_map(quad, pb, x, m, shat)?;
    let v = value(quad, pb, &pt)?;
    let eg = energetic(quad, pb, &pt);
    Ok(Saddle {
        point: pt,
        value: v,
        dphi_dd: 2.0 * (pt.shat - pb.alpha * eg.d_s),
        residual,
        evaluations,
    })
}

/// The RS Franz–Parisi saddle (q0c = q1, q̂0c = q̂1) as the fixed point of the same map restricted to
/// (q1, p), by Newton with a difference Jacobian (§S1.3) from `start` = (q1, p) (the annealed point
/// (S², S q0) when `None`).
pub fn solve_rs<const N0: usize, const NX: usize, const N1: usize, const N2: usize>(
    quad: &OneRsbQuad<N0, NX, N1, N2>,
    pb: &Problem,
    start: Option<[f64; 2]>,
    opts: &SolveOptions,
) -> Result<Saddle, OneRsbError> {
    let x0 = start.unwrap_or([pb.s * pb.s, pb.s * pb.q0]);
    let mut shat = 0.0;
    let sol = newton_fd(
        |x: &[f64; 2], out: &mut [f64; 2]| match saddle_map(quad, pb, [x[0], x[0], x[1]], 1.0, shat)
        {
            Ok((pt, y)) => {
                shat = pt.shat;
                *out = [y[0], y[2]];
                true
            }
            Err(_) => false,
        },
        x0,
        opts,
    )
    .map_err(OneRsbError::RsBase)?;
    finish(
        quad,
        pb,
        [sol.x[0], sol.x[0], sol.x[1]],
        1.0,
        shat,
        sol.residual,
        sol.evaluations,
    )
}

/// Solves the 1RSB saddle at block size m by damped iteration x ← γ T(x) + (1 − γ) x (§S1.3) from
/// `start` = (q1, q0c, p).
pub fn solve<const N0: usize, const NX: usize, const N1: usize, const N2: usize>(
    quad: &OneRsbQuad<N0, NX, N1, N2>,
    pb: &Problem,
    m: f64,
    start: [f64; 3],
    opts: &SolveOptions,
) -> Result<Saddle, (OneRsbError, [f64; 3])> {
    let mut shat = 0.0;
    let mut last = start;
    let r = fixed_point(
        |x: &[f64; 3], out: &mut [f64; 3]| match saddle_map(quad, pb, *x, m, shat) {
            Ok((pt, y)) => {
                shat = pt.shat;
                last = *x;
                *out = y;
                true
            }
            Err(_) => false,
        },
        start,
        opts,
    );
    match r {
        Ok(sol) => {
            finish(quad, pb, sol.x, m, shat, sol.residual, sol.evaluations).map_err(|e| (e, sol.x))
        }
        Err(e) => Err((OneRsbError::RsBase(e), last)),
    }
}

/// Outcome of one start of the 1RSB search.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StartOutcome {
    /// Block size m.
    pub m: f64,
    /// Start (q1, q0c, p).
    pub start: [f64; 3],
    /// Last iterate (q1, q0c, p).
    pub end: [f64; 3],
    /// Whether the damped iteration converged.
    pub converged: bool,
    /// q1 − q0c at the end (0 ⇔ RS).
    pub gap: f64,
    /// φ_1RSB at the end (NaN if not evaluated).
    pub phi: f64,
    /// Final residual (NaN if unknown).
    pub residual: f64,
    /// Map evaluations.
    pub evaluations: u32,
}

/// Maximum number of starts of [`check`].
pub const MAX_STARTS: usize = 12;

/// Verdict of the 1RSB search at one (α, κ̃, κ, d).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Verdict {
    /// The RS base point.
    pub rs: Saddle,
    /// φ_1RSB at the RS base point (q0c = q1, q̂0c = q̂1, m = 0.5) minus φ_RS of the independent RS
    /// Franz–Parisi solver [`crate::theory::franz_parisi::solve_at`] at the same (α, κ̃, κ, d)
    /// (reduction check, different code and quadrature: ≈ 1e-9).
    pub reduction_error: f64,
    /// Outcomes (the first `n_starts` entries are filled).
    pub starts: [StartOutcome; MAX_STARTS],
    /// Number of starts run.
    pub n_starts: usize,
    /// Whether any start converged to a point with q1 − q0c > `gap_tol`.
    pub non_rs_found: bool,
    /// Threshold on q1 − q0c used to call a solution non-RS.
    pub gap_tol: f64,
}

/// The 1RSB search (§S4): RS base point, then damped iteration at each m in `ms` from starts that
/// split q1 and q0c by ±δ around the RS value (δ ∈ `deltas`), at most [`MAX_STARTS`] runs.
pub fn check<const N0: usize, const NX: usize, const N1: usize, const N2: usize>(
    quad: &OneRsbQuad<N0, NX, N1, N2>,
    pb: &Problem,
    ms: &[f64],
    deltas: &[f64],
    opts: &SolveOptions,
) -> Result<Verdict, OneRsbError> {
    let rs = solve_rs(
        quad,
        pb,
        None,
        &SolveOptions {
            max_iter: 80,
            ..*opts
        },
    )?;
    let mut half = rs.point;
    half.m = 0.5;
    let fq = FpQuadratureFast::new();
    let fprob = FpProblem::perceptron(&fq, pb.alpha, pb.kappa_ref, pb.kappa)
        .map_err(OneRsbError::FranzParisi)?;
    let ws = WarmStart {
        q1: rs.point.q1,
        p: rs.point.p,
        shat: rs.point.shat,
    };
    let fp_rs = franz_parisi::solve_at(&fq, &fprob, 0.5 * (1.0 - pb.s), ws, &FP_SOLVE)
        .map_err(OneRsbError::FranzParisi)?;
    let reduction_error = value(quad, pb, &half)?.phi - fp_rs.phi;
    let empty = StartOutcome {
        m: f64::NAN,
        start: [f64::NAN; 3],
        end: [f64::NAN; 3],
        converged: false,
        gap: f64::NAN,
        phi: f64::NAN,
        residual: f64::NAN,
        evaluations: 0,
    };
    let mut starts = [empty; MAX_STARTS];
    let mut n = 0;
    let gap_tol = 1e-6;
    let mut non_rs = false;
    let (q1, p) = (rs.point.q1, rs.point.p);
    'outer: for &m in ms {
        for &dl in deltas {
            if n == MAX_STARTS {
                break 'outer;
            }
            if m.is_nan() || m <= 0.0 || !m.is_finite() {
                return Err(ShapeError::InvalidParameter("m must be finite and > 0").into());
            }
            let top = (q1 + dl).min(0.5 * (1.0 + q1));
            let start = [top, (q1 - dl).max(0.0), p];
            let out = match solve(quad, pb, m, start, opts) {
                Ok(s) => StartOutcome {
                    m,
                    start,
                    end: [s.point.q1, s.point.q0c, s.point.p],
                    converged: true,
                    gap: s.point.q1 - s.point.q0c,
                    phi: s.value.phi,
                    residual: s.residual,
                    evaluations: s.evaluations,
                },
                Err((e, last)) => {
                    let (residual, evaluations) = match e {
                        OneRsbError::RsBase(SolveError::NotConverged {
                            residual,
                            evaluations,
                        }) => (residual, evaluations),
                        _ => (f64::NAN, 0),
                    };
                    StartOutcome {
                        m,
                        start,
                        end: last,
                        converged: false,
                        gap: last[0] - last[1],
                        phi: f64::NAN,
                        residual,
                        evaluations,
                    }
                }
            };
            if out.converged && out.gap > gap_tol {
                non_rs = true;
            }
            starts[n] = out;
            n += 1;
        }
    }
    Ok(Verdict {
        rs,
        reduction_error,
        starts,
        n_starts: n,
        non_rs_found: non_rs,
        gap_tol,
    })
}
