//! Special functions of Gaussian integrals (THEORY §S1.1), generic over [`Real`].
//!
//! * [`h`]: H(x) = ∫ₓ^∞ Dz = ½ erfc(x/√2), evaluated on the side where erfc does not cancel.
//! * [`log_h`]: ln H(x), stable for large positive x through the scaled complementary error function
//!   (ln H(x) = ln(½ erfcx(x/√2)) − x²/2); never ln of an underflowed H.
//! * [`g`]: the inverse Mills ratio G(x)/H(x) = −d ln H/dx.
//! * [`erfcx`]: e^{x²} erfc(x); exp·erfc below 5, a continued fraction (backward recurrence, 9–19
//!   terms depending on x) from 5 on.
//! * [`log_h_f64`]: ln H(x) in f64 without branches or libm calls (one polynomial erfcx, a
//!   double-word exponential and a logarithm written out), so that loops over it vectorize at every
//!   level of [`crate::simd`] with bit-identical results; relative error ≤ 2e-15 (see its docs). Used
//!   by the direct path of the Gaussian BP factor update.
//! * [`log_2cosh`], [`log_cosh`], [`gauss_density`], [`h2`] (binary entropy in nats).
//!
//! Accuracy (f64, tested against the reference table of ALGORITHMS §b.4 and THEORY §S1.1): relative
//! error ≤ 1e-12 for ln H on [−40, 1e4]. In f32 the same code gives a relative error of a few 1e-6,
//! dominated by the rounding of x² in the exponent.

use crate::real::Real;

/// 1/√(2π).
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// √(2/π).
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// 1/√π.
const INV_SQRT_PI: f64 = 0.564_189_583_547_756_3;
/// 1/√2.
const INV_SQRT_2: f64 = core::f64::consts::FRAC_1_SQRT_2;

/// Standard Gaussian density G(x) = e^{−x²/2}/√(2π).
#[inline]
pub fn gauss_density<T: Real>(x: T) -> T {
    T::from_f64(INV_SQRT_2PI) * (-(x * x) * T::HALF).exp()
}

/// Scaled complementary error function erfcx(x) = e^{x²} erfc(x).
///
/// x ≥ 5: continued fraction erfcx(x) = (1/√π)/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated
/// backward from 19 terms at x = 5 down to 9 beyond 20 (converged to ≤ 1e-17 relative, see the
/// mpmath table in the tests; the spec's 60 terms are 3–6× more than needed). 0 ≤ x < 5: e^{x²}·erfc(x).
/// x < 0: 2e^{x²} − erfcx(−x) (overflows to +∞ for x ≲ −26.6 in f64, as the true value does).
pub fn erfcx<T: Real>(x: T) -> T {
    if x.is_nan() {
        return x;
    }
    if x < T::ZERO {
        return T::TWO * (x * x).exp() - erfcx(-x);
    }
    if x < T::from_f64(5.0) {
        return (x * x).exp() * x.erfc();
    }
    // Terms needed for ≤ 1e-17 relative (measured with mpmath): 17 at x = 5, 13 at 7, 10 at 10,
    // 7 at 20, 5 at 50; a margin of one or two terms is kept.
    let mut k = if x < T::from_f64(7.0) {
        19
    } else if x < T::from_f64(10.0) {
        15
    } else if x < T::from_f64(20.0) {
        12
    } else {
        9
    };
    let mut t = x;
    while k >= 1 {
        t = x + T::from_f64(k as f64 * 0.5) / t;
        k -= 1;
    }
    T::from_f64(INV_SQRT_PI) / t
}

/// H(x) = ½ erfc(x/√2), the Gaussian tail probability.
#[inline]
pub fn h<T: Real>(x: T) -> T {
    let y = x * T::from_f64(INV_SQRT_2);
    if x >= T::ZERO {
        T::HALF * y.erfc()
    } else {
        T::ONE - T::HALF * (-y).erfc()
    }
}

/// ln H(x), accurate for every x (no underflow for large positive x): ln(½ erfc(x/√2)) while erfc
/// is far from underflow (x/√2 < 5, H > 7e-13), ln(½ erfcx(x/√2)) − x²/2 beyond, ln(1 − H(−x)) by
/// `ln_1p` for x ≤ 0.
#[inline]
pub fn log_h<T: Real>(x: T) -> T {
    if x > T::ZERO {
        let y = x * T::from_f64(INV_SQRT_2);
        if y < T::from_f64(5.0) {
            (T::HALF * y.erfc()).ln()
        } else {
            (T::HALF * erfcx(y)).ln() - x * x * T::HALF
        }
    } else {
        (-T::HALF * (-x * T::from_f64(INV_SQRT_2)).erfc()).ln_1p()
    }
}

/// The inverse Mills ratio g(x) = G(x)/H(x) = −d/dx ln H(x) (≈ x + 1/x for large x, → 0⁺ for x → −∞).
#[inline]
pub fn g<T: Real>(x: T) -> T {
    if x > T::ZERO {
        T::from_f64(SQRT_2_OVER_PI) / erfcx(x * T::from_f64(INV_SQRT_2))
    } else {
        gauss_density(x) / h(x)
    }
}

/// (ln H(x), g(x)) sharing one erfcx/erfc evaluation (the hot loop of the Franz–Parisi energetic
/// integrals). Same branches and accuracy as [`log_h`] and [`g`].
#[inline]
pub fn log_h_and_g<T: Real>(x: T) -> (T, T) {
    if x > T::ZERO {
        let e = erfcx(x * T::from_f64(INV_SQRT_2));
        (
            (T::HALF * e).ln() - x * x * T::HALF,
            T::from_f64(SQRT_2_OVER_PI) / e,
        )
    } else {
        let hh = T::HALF * (-x * T::from_f64(INV_SQRT_2)).erfc();
        ((-hh).ln_1p(), gauss_density(x) / (T::ONE - hh))
    }
}

/// Monomial coefficients of φ(t) = erfcx(4(1 − t)/t)/t in z = t − ½ (degree 24), the interpolant of
/// φ at the 25 Chebyshev nodes of t ∈ [0, 1] computed with mpmath at 60 digits and rounded to f64 by
/// `python3 tests/data/gen_erfcx_poly.py` (worst relative error of φ evaluated by Horner in f64:
/// 3.7e-16 over 20000 points covering y = 0 … 1e300). φ is smooth on (0, 1] (the map t = 4/(4 + y)
/// sends y = ∞ to t = 0, where φ → 1/(4√π)), so one polynomial serves every y ≥ 0.
#[allow(clippy::excessive_precision, clippy::approx_constant)]
const ERFCX_POLY: [f64; 25] = [
    0.27399891525012277,
    0.488274364540441,
    0.7732087022652371,
    1.081707662626469,
    1.3234063515120429,
    1.3920874979194633,
    1.2221042385504812,
    0.8438417069021975,
    0.3911715618231291,
    0.03596273397610341,
    -0.11649348080173243,
    -0.09052813725262497,
    -0.0037225776706647,
    0.038626623184180066,
    0.01923095011957223,
    -0.0116616801808394,
    -0.013891703351621269,
    0.0024380257952373204,
    0.008319969657016917,
    3.6093047037428485e-05,
    -0.004773317275685753,
    -0.0003696869442981456,
    0.0024377441114606926,
    0.00016035956596327684,
    -0.0007810905020868027,
];

/// erfcx(y) = e^{y²} erfc(y) for y ≥ 0 (+∞ gives 0), f64, branch-free: t = 4/(4 + y), then
/// erfcx(y) = t·φ(t) with φ the polynomial `ERFCX_POLY` in t − ½. Relative error ≤ 1e-15 (the
/// polynomial's 4e-16 plus the rounding of t, amplified at most ≈ 4.5× near y = 0).
#[inline(always)]
pub fn erfcx_nonneg_f64(y: f64) -> f64 {
    let t = 4.0 / (4.0 + y);
    let z = t - 0.5;
    let mut p = ERFCX_POLY[ERFCX_POLY.len() - 1];
    for &a in ERFCX_POLY[..ERFCX_POLY.len() - 1].iter().rev() {
        p = p * z + a;
    }
    t * p
}

/// ln 2 in two parts: 32 significant bits (so k·LN2_HI is exact for |k| < 2²¹) and the rest.
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// ln x for a positive normal f64 (0 gives a finite value near −709, not −∞), branch-free:
/// x = 2ᵉ·m with m ∈ [√½, √2) read from the bits, f = m − 1 (exact), s = f/(2 + f),
/// ln m = 2 atanh s = f − f²/2 + s(f²/2 + R(s²)) with R(w) = Σ_{k=1}^{9} 2wᵏ/(2k + 1) (the Taylor
/// series of 2 atanh; |s| ≤ 0.172, so the first omitted term is below 2.3e-17 relative), and
/// ln x = e·ln 2 + ln m with ln 2 in two parts. Error ≤ 1 ulp (tested against libm).
#[inline(always)]
pub fn ln_pos_f64(x: f64) -> f64 {
    let (e, f, s) = ln_reduce(x);
    let w = s * s;
    let r = w
        * (2.0 / 3.0
            + w * (2.0 / 5.0
                + w * (2.0 / 7.0
                    + w * (2.0 / 9.0
                        + w * (2.0 / 11.0
                            + w * (2.0 / 13.0
                                + w * (2.0 / 15.0 + w * (2.0 / 17.0 + w * (2.0 / 19.0)))))))));
    ln_finish(e, f, s, r)
}

/// Range reduction of the branch-free logarithms ([`ln_pos_f64`], [`ln_pos_estrin_f64`]):
/// x = 2ᵉ·m, m ∈ [√½, √2) read from the bits, returns (e, f = m − 1 (exact), s = f/(2 + f)).
#[inline(always)]
fn ln_reduce(x: f64) -> (f64, f64, f64) {
    const MANT: u64 = (1 << 52) - 1;
    const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;
    const TWO52_BITS: u64 = 0x4330_0000_0000_0000; // 2⁵²
    let bits = x.to_bits();
    let mant = f64::from_bits((bits & MANT) | ONE_BITS); // [1, 2)
                                                         // The biased exponent as a float without an integer conversion: 2⁵² + e_biased, minus 2⁵² + 1023.
    let ef = f64::from_bits(TWO52_BITS | (bits >> 52)) - (4_503_599_627_370_496.0 + 1023.0);
    let big = mant > core::f64::consts::SQRT_2;
    let m = if big { mant * 0.5 } else { mant };
    let e = if big { ef + 1.0 } else { ef };
    let f = m - 1.0;
    (e, f, f / (2.0 + f))
}

/// ln x = e·ln 2 + f − f²/2 + s(f²/2 + r) from [`ln_reduce`]'s (e, f, s) and the series
/// r = R(s²) (ln 2 in two parts).
#[inline(always)]
fn ln_finish(e: f64, f: f64, s: f64, r: f64) -> f64 {
    let hfsq = 0.5 * f * f;
    e * LN2_HI - ((hfsq - (s * (hfsq + r) + e * LN2_LO)) - f)
}

/// erfcx(y) for y ≥ 0: [`erfcx_nonneg_f64`]'s polynomial
/// (`ERFCX_POLY`, degree 24 in z = t − ½, t = 4/(4 + y)) evaluated by Estrin's
/// scheme in fused multiply-adds ([`crate::simd::mul_add`], one instruction each where the CPU
/// has FMA) instead of Horner's rule: a dependency chain of 10 instead of 48 (the committee's L
/// values of a factor are few). |z| ≤ ½, so the rounding stays at a few ulp (tested against the
/// Horner form). The same bits at every vector level.
#[inline(always)]
pub(crate) fn erfcx_estrin_f64<const FMA: bool>(y: f64) -> f64 {
    use crate::simd::mul_add;
    let c = &ERFCX_POLY;
    let t = 4.0 / (4.0 + y);
    let z = t - 0.5;
    let z2 = z * z;
    let z4 = z2 * z2;
    let z8 = z4 * z4;
    let z16 = z8 * z8;
    let p = |i: usize| mul_add::<FMA>(c[i + 1], z, c[i]);
    let q = |i: usize| mul_add::<FMA>(p(i + 2), z2, p(i));
    let (q0, q1, q2) = (q(0), q(4), q(8));
    let (q3, q4, q5) = (q(12), q(16), q(20));
    let s0 = mul_add::<FMA>(mul_add::<FMA>(q3, z4, q2), z8, mul_add::<FMA>(q1, z4, q0));
    let s1 = mul_add::<FMA>(c[24], z8, mul_add::<FMA>(q5, z4, q4));
    t * mul_add::<FMA>(s1, z16, s0)
}

/// ln x for a positive normal f64: [`ln_pos_f64`]'s formula with its series
/// R(w) = Σ_{k=1}^{9} 2wᵏ/(2k + 1) evaluated by Estrin's scheme in fused multiply-adds
/// ([`crate::simd::mul_add`]; a chain of 4 instead of 9; error ≤ 2 ulp, tested against libm), the
/// same bits at every vector level. For the committee's interpolated L values (`bp::committee`).
#[inline(always)]
pub(crate) fn ln_pos_estrin_f64<const FMA: bool>(x: f64) -> f64 {
    use crate::simd::mul_add;
    let (e, f, s) = ln_reduce(x);
    let w = s * s;
    let w2 = w * w;
    let w4 = w2 * w2;
    let w8 = w4 * w4;
    let c = |k: f64| 2.0 / (2.0 * k + 1.0);
    let pair = |k: f64| mul_add::<FMA>(c(k + 1.0), w, c(k));
    let lo = mul_add::<FMA>(pair(3.0), w2, pair(1.0));
    let hi = mul_add::<FMA>(pair(7.0), w2, pair(5.0));
    let p = mul_add::<FMA>(c(9.0), w8, mul_add::<FMA>(hi, w4, lo));
    crate::special::ln_finish(e, f, s, w * p)
}

/// Range reduction shared by the branch-free exponentials ([`exp_dd_nonpos`],
/// [`crate::bp::factor`]'s `exp_nonpos_f64`, [`exp_nonpos_fast_f64`]): for a double-word argument
/// hi + lo (|lo| ≪ |hi|, hi + lo ≥ −708; pass lo = −0.0 for a single word, which every compiler
/// folds away since x + (−0.0) = x exactly) returns (t, r) with k = round((hi + lo)/ln 2) held in the
/// bits of t = (hi + lo)·log₂e + 1.5·2⁵² and r = ((hi − k ln2_hi) + lo) − k ln2_lo, |r| ≤ ½ ln 2 (ln 2
/// in two parts, Cody–Waite: k·ln2_hi is exact).
#[inline(always)]
fn exp_reduce(hi: f64, lo: f64) -> (f64, f64) {
    const LOG2E: f64 = core::f64::consts::LOG2_E;
    let t = (hi + lo) * LOG2E + EXP_MAGIC;
    let kf = t - EXP_MAGIC;
    let r = ((hi - kf * LN2_HI) + lo) - kf * LN2_LO;
    (t, r)
}

/// 1.5·2⁵²: adding it rounds to an integer held in the low mantissa bits.
const EXP_MAGIC: f64 = 6_755_399_441_055_744.0;

/// p·2ᵏ with k from the bits of t ([`exp_reduce`]), through the exponent bits (k ≥ −1021).
#[inline(always)]
fn exp_scale(p: f64, t: f64) -> f64 {
    let k = t.to_bits().wrapping_sub(EXP_MAGIC.to_bits());
    p * f64::from_bits(k.wrapping_add(1023) << 52)
}

/// e^(hi + lo) for hi + lo ∈ [−708, 0] (arguments as for [`exp_reduce`]): the reduction, the
/// degree-12 Taylor polynomial of e^r (|r| ≤ ½ ln 2: truncation ≤ 2e-16 relative; Estrin's scheme
/// for its terms above r², which shortens the dependency chain and whose rounding is damped by
/// r³ ≤ 0.042, then the last three Horner steps) and the scaling by 2ᵏ. Relative error ≤ 4e-16. The
/// one implementation behind [`exp_dd_nonpos`] and the perceptron BP's `exp_nonpos_f64`
/// ([`crate::bp::factor`]).
#[inline(always)]
pub(crate) fn exp_dd_core(hi: f64, lo: f64) -> f64 {
    let (t, r) = exp_reduce(hi, lo);
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let q0 = 1.0 / 6.0 + r * (1.0 / 24.0);
    let q1 = 1.0 / 120.0 + r * (1.0 / 720.0);
    let q2 = 1.0 / 5_040.0 + r * (1.0 / 40_320.0);
    let q3 = 1.0 / 362_880.0 + r * (1.0 / 3_628_800.0);
    let q4 = 1.0 / 39_916_800.0 + r * (1.0 / 479_001_600.0);
    let hi_part = (q0 + q1 * r2) + (q2 + q3 * r2) * r4 + q4 * r8;
    let mut p = hi_part * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    exp_scale(p, t)
}

/// e^(hi + lo) for hi + lo ≤ 0 given as a double-word argument (|lo| ≪ |hi|, hi − k·ln2_hi exact
/// for the integer k nearest (hi + lo)/ln 2), f64, branch-free ([`exp_dd_core`]). Returns 0 below
/// −708 (instead of a subnormal).
#[inline(always)]
fn exp_dd_nonpos(hi: f64, lo: f64) -> f64 {
    let under = hi + lo < -708.0;
    let (hi, lo) = if under { (-708.0, 0.0) } else { (hi, lo) };
    let v = exp_dd_core(hi, lo);
    if under {
        0.0
    } else {
        v
    }
}

/// Coefficients q₀ … q₇ of the degree-9 exponential of [`exp_nonpos_fast_f64`]:
/// e^r ≈ 1 + r(1 + r·q(r)), q interpolating (e^r − 1 − r)/r² at the 8 Chebyshev points of
/// [−½ ln 2, ½ ln 2] (computed in extended precision; near-minimax).
const EXP_FAST_Q: [f64; 8] = [
    0.4999999999995507,
    0.16666666666662583,
    0.041666666786337556,
    0.008333333344209489,
    0.0013888839090641068,
    0.0001984122458154818,
    2.4867883453757945e-05,
    2.7617576855151134e-06,
];

/// e^x for x ≤ 0 in f64, branch-free and cheaper than the perceptron's `exp_nonpos_f64`: the
/// reduction x = k ln 2 + r (|r| ≤ ½ ln 2; k by the round-to-integer constant, r with ln 2 in two
/// parts) and the scaling by 2ᵏ as [`exp_reduce`]/[`exp_scale`], but a degree-9 polynomial
/// ([`EXP_FAST_Q`], exact at r = 0: e^0 = 1) by Horner's rule in fused multiply-adds
/// ([`crate::simd::mul_add`]: 11 of them, one instruction each where the CPU has FMA; loops over
/// this function are throughput-bound, where Horner's fewer operations beat Estrin's shorter
/// chain). Relative error ≤ 1e-13 on [−708, 0] (7.4e-14 from the polynomial, measured against
/// extended precision, plus rounding; tested against libm). Inputs below −708 return e^−708 ≈
/// 3e-308. The same bits at every vector level. Used only where that accuracy is far more than
/// enough: the committee's Gaussian hidden factor ([`crate::bp::committee`], which states what the
/// error does to its messages).
#[inline(always)]
pub(crate) fn exp_nonpos_fast_f64<const FMA: bool>(x: f64) -> f64 {
    use crate::simd::mul_add;
    let x = if x < -708.0 { -708.0 } else { x };
    let t = mul_add::<FMA>(x, core::f64::consts::LOG2_E, EXP_MAGIC);
    let kf = t - EXP_MAGIC;
    let r = mul_add::<FMA>(-kf, LN2_LO, mul_add::<FMA>(-kf, LN2_HI, x));
    let c = &EXP_FAST_Q;
    let mut q = c[7];
    for &ci in c[..7].iter().rev() {
        q = mul_add::<FMA>(q, r, ci);
    }
    let p = mul_add::<FMA>(mul_add::<FMA>(q, r, 1.0), r, 1.0);
    exp_scale(p, t)
}

/// ln H(x) in f64 without branches or library calls, so that a loop over it vectorizes (every
/// vector level computes the same IEEE operations in the same order, hence bit-identical results).
///
/// With E = erfcx(|x|/√2) ([`erfcx_nonneg_f64`]) and H(|x|) = ½E·e^{−x²/2} (x² split exactly into
/// two parts, Veltkamp, so the exponential sees the exact argument; `exp_dd_nonpos`):
/// ln H(x) = ln(½E) − x²/2 for x > 0 and ln(1 − H(|x|)) (as ln u + ((1 − u) − H)/u, u = 1 − H, the
/// compensated log1p) for x ≤ 0; one logarithm ([`ln_pos_f64`]) serves both sides.
///
/// Accuracy: relative error ≤ 2e-15 against mpmath wherever |ln H| ≥ 1e-300, i.e. x ≥ −37
/// (measured 6.1e-16 on the mpmath table of tests/data, tests/bp.rs; ≤ 2e-15 from [`log_h`] on a
/// dense grid for x ≥ −2, while below −2 the scalar's libm erfc errs by up to 1.6e-13). Below
/// x ≈ −37.5, where |ln H| < 1e-306, it returns values of at most
/// that size or 0 (flushed instead of subnormal). x = +∞ gives −∞, −∞ gives 0, NaN gives NaN.
#[inline(always)]
pub fn log_h_f64(x: f64) -> f64 {
    let ax = f64::from_bits(x.to_bits() & !(1 << 63));
    let e = erfcx_nonneg_f64(ax * INV_SQRT_2);
    // x² = xh² + (2 xh xl + xl²) with xh² exact (xh: 26 significant bits).
    let xc = if ax < 40.0 { ax } else { 40.0 };
    let c = xc * 134_217_729.0; // 2²⁷ + 1
    let xh = c - (c - xc);
    let xl = xc - xh;
    let hi = -0.5 * (xh * xh);
    let lo = -0.5 * ((xh + xh) * xl + xl * xl);
    let tail = 0.5 * e * exp_dd_nonpos(hi, lo); // H(|x|) ≤ ½
    let u = 1.0 - tail;
    let corr = ((1.0 - u) - tail) / u;
    let pos = x > 0.0;
    let l = ln_pos_f64(if pos { 0.5 * e } else { u });
    if pos {
        l - x * x * 0.5
    } else {
        l + corr
    }
}

/// ln(2 cosh x) = |x| + ln(1 + e^{−2|x|}), without overflow.
#[inline]
pub fn log_2cosh<T: Real>(x: T) -> T {
    let a = x.abs();
    a + (-(a + a)).exp().ln_1p()
}

/// ln cosh x.
#[inline]
pub fn log_cosh<T: Real>(x: T) -> T {
    log_2cosh(x) - T::from_f64(core::f64::consts::LN_2)
}

/// Binary entropy H₂(d) = −d ln d − (1−d) ln(1−d) in nats (0 at d ∈ {0, 1}; NaN outside [0, 1]).
#[inline]
pub fn h2<T: Real>(d: T) -> T {
    if d.is_nan() || d < T::ZERO || d > T::ONE {
        return T::from_f64(f64::NAN);
    }
    let mut s = T::ZERO;
    if d > T::ZERO {
        s -= d * d.ln();
    }
    let e = T::ONE - d;
    if e > T::ZERO {
        s -= e * (-d).ln_1p();
    }
    s
}

/// The square roots of the entries of `xs`, in place, two at a time: on x86-64 by the SSE2
/// `sqrtpd` (`llvm.sqrt` on two lanes, which a wider vector level may merge further) instead of
/// one scalar `sqrtsd` per entry (libm's); IEEE square roots are correctly rounded, so the bits
/// are libm's. Elsewhere libm entry by entry.
#[inline(always)]
pub(crate) fn sqrt_f64_pairs(xs: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_cvtsd_f64, _mm_set_pd, _mm_sqrt_pd, _mm_unpackhi_pd};
        let mut pairs = xs.chunks_exact_mut(2);
        for p in &mut pairs {
            // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 CPU executes these (the
            // intrinsics compute on values only, no memory access).
            #[allow(unsafe_code)]
            let (lo, hi) = unsafe {
                let v = _mm_sqrt_pd(_mm_set_pd(p[1], p[0]));
                (_mm_cvtsd_f64(v), _mm_cvtsd_f64(_mm_unpackhi_pd(v, v)))
            };
            p[0] = lo;
            p[1] = hi;
        }
        for x in pairs.into_remainder() {
            *x = libm::sqrt(*x);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for x in xs.iter_mut() {
        *x = libm::sqrt(*x);
    }
}

/// [`ln_pos_f64`] of every entry of `xs`, in place, compiled at the widest vector level the CPU
/// runs ([`crate::simd`]): bit-identical to the scalar [`ln_pos_f64`] at every level (the same IEEE
/// operations lane by lane, no fused multiply-add), so a batch of logarithms gives the same numbers
/// on every machine at a fraction of the cost of one library call each.
pub fn ln_pos_f64_slice(xs: &mut [f64]) {
    struct Ln<'a>(&'a mut [f64]);
    impl crate::simd::Kernel for Ln<'_> {
        type Output = ();
        #[inline(always)]
        fn run<const FMA: bool>(self) {
            for x in self.0.iter_mut() {
                *x = ln_pos_f64(*x);
            }
        }
    }
    crate::simd::run(crate::simd::Level::best(), Ln(xs));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ALGORITHMS §b.4 reference table, ln H(x) = log_ndtr(−x) (scipy); target relative error 1e-12.
    #[allow(clippy::approx_constant)] // ln H(0) = −ln 2 is a table entry, kept as printed in the spec
    const LOG_H: [(f64, f64); 11] = [
        (-10.0, -7.61985302416047e-24),
        (-2.0, -0.023012909328963476),
        (0.0, -0.6931471805599453),
        (1.0, -1.8410216450092634),
        (2.5, -5.081648277278691),
        (5.0, -15.064998393988727),
        (10.0, -53.23128515051248),
        (20.0, -203.9171553710973),
        (40.0, -804.6084420137539),
        (100.0, -5005.524208694205),
        (1000.0, -500007.8266948122),
    ];

    #[test]
    fn log_h_reference_table() {
        for (x, want) in LOG_H {
            let got = log_h(x);
            let rel = ((got - want) / want).abs();
            assert!(
                rel <= 1e-12,
                "log_h({x}) = {got:e}, want {want:e}, rel {rel:e}"
            );
        }
    }

    #[test]
    fn mills_ratio_large_x() {
        // THEORY §S1.1: g(100) = 100.009998001.
        assert!((g(100.0) - 100.009998001).abs() < 1e-8);
        // derivative identity g = −d ln H/dx, central difference.
        for x in [-3.0, -0.5, 0.0, 0.7, 4.0, 9.0] {
            let e = 1e-5;
            let fd = -(log_h(x + e) - log_h(x - e)) / (2.0 * e);
            assert!((fd - g(x)).abs() < 1e-8 * (1.0 + g(x)), "x={x}");
        }
    }

    #[test]
    fn continuity_across_branch_points() {
        // The two erfcx branches agree where they meet (x = 5): exp·erfc vs the continued fraction.
        let direct = libm::exp(25.0) * libm::erfc(5.0);
        let cf = erfcx(5.0f64);
        assert!(((direct - cf) / cf).abs() < 1e-14);
        assert!((log_h(1e-300f64) - log_h(-1e-300f64)).abs() < 1e-15);
    }

    #[test]
    fn f32_log_h_bound() {
        for (x, want) in LOG_H.iter().take(9) {
            let got = log_h(*x as f32) as f64;
            let rel = ((got - want) / want).abs();
            // small-|value| entries compare absolutely
            assert!(
                rel <= 2e-5 || (got - want).abs() < 1e-7,
                "f32 log_h({x}) = {got}, want {want}"
            );
        }
    }

    /// The committee's cheaper exponential against libm over the whole range it serves
    /// (relative error ≤ 1e-13, exact at 0).
    #[test]
    fn exp_nonpos_fast_matches_libm() {
        let mut worst = 0.0f64;
        for k in 0..=400_000 {
            let x = -708.0 * f64::from(k) / 400_000.0;
            let (a, b) = (exp_nonpos_fast_f64::<false>(x), libm::exp(x));
            worst = worst.max(((a - b) / b).abs());
        }
        for k in 0..=100_000 {
            let x = -0.7 * f64::from(k) / 100_000.0;
            let (a, b) = (exp_nonpos_fast_f64::<false>(x), libm::exp(x));
            worst = worst.max(((a - b) / b).abs());
        }
        assert!(worst < 1e-13, "worst relative error {worst:e}");
        assert_eq!(exp_nonpos_fast_f64::<false>(0.0), 1.0);
        assert_eq!(
            exp_nonpos_fast_f64::<false>(-1000.0),
            exp_nonpos_fast_f64::<false>(-708.0)
        );
    }

    /// The Estrin form of erfcx agrees with the Horner form to a few ulp (relative 2e-15) from
    /// y = 0 to 1e300.
    #[test]
    fn erfcx_estrin_matches_horner() {
        let mut worst = 0.0f64;
        for k in 0..=100_000 {
            let y = if k <= 50_000 {
                30.0 * f64::from(k) / 50_000.0
            } else {
                10f64.powf(1.5 + 298.5 * f64::from(k - 50_000) / 50_000.0)
            };
            let (a, b) = (erfcx_estrin_f64::<false>(y), erfcx_nonneg_f64(y));
            worst = worst.max(((a - b) / b).abs());
        }
        assert!(worst < 2e-15, "worst relative difference {worst:e}");
    }

    /// The Estrin form of ln agrees with libm to 2 ulp over the normal range.
    #[test]
    fn ln_estrin_matches_libm() {
        let mut rng = crate::rng::rng_from_seed(3);
        let mut worst = 0.0f64;
        for k in 0..200_000 {
            let x = if k % 2 == 0 {
                0.25 + 4.0 * crate::rng::uniform(&mut rng)
            } else {
                10f64.powf(600.0 * crate::rng::uniform(&mut rng) - 300.0)
            };
            let (a, b) = (ln_pos_estrin_f64::<false>(x), libm::log(x));
            worst = worst.max((a - b).abs() / b.abs().max(f64::MIN_POSITIVE));
        }
        assert!(worst < 4.5e-16, "worst relative error {worst:e}");
    }

    /// The branch-free logarithm against libm over many binades and around 1 (≤ 1 ulp).
    #[test]
    fn ln_pos_f64_matches_libm() {
        let mut worst = 0.0f64;
        let mut check = |x: f64| {
            let (a, b) = (ln_pos_f64(x), libm::log(x));
            let ulp = f64::EPSILON * b.abs().max(f64::MIN_POSITIVE);
            worst = worst.max((a - b).abs() / ulp);
        };
        for k in 0..200_000 {
            check(libm::exp(-700.0 + 1400.0 * f64::from(k) / 200_000.0));
            check(0.5 + 1.5 * f64::from(k) / 200_000.0);
        }
        check(f64::MIN_POSITIVE);
        check(1.0 - f64::EPSILON);
        check(1.0 + 2.0 * f64::EPSILON);
        assert!(worst <= 1.0, "worst {worst} ulp");
        assert_eq!(ln_pos_f64(1.0), 0.0);
    }

    /// The branch-free ln H against the scalar [`log_h`] on a dense grid and at its special points:
    /// relative difference ≤ 2e-15 for x ≥ −2; below, ≤ 3e-13, which is the scalar's own error
    /// (libm's erfc far in the tail: at x = −36, log_h is off by 1.6e-13 and log_h_f64 by 2e-16
    /// from mpmath; tests/bp.rs checks log_h_f64 against the mpmath table).
    #[test]
    fn log_h_f64_matches_log_h() {
        let mut worst = 0.0f64;
        let mut at = 0.0;
        let mut grid = std::vec::Vec::new();
        for k in 0..=400_000 {
            grid.push(-37.0 + 74.0 * f64::from(k) / 400_000.0);
        }
        for k in 0..=20_000 {
            grid.push(libm::pow(10.0, 1.5 + 4.5 * f64::from(k) / 20_000.0));
        }
        for x in grid {
            let (a, b) = (log_h_f64(x), log_h(x));
            let rel = ((a - b) / b).abs() * if x < -2.0 { 2e-15 / 3e-13 } else { 1.0 };
            if rel > worst {
                worst = rel;
                at = x;
            }
        }
        assert!(
            worst <= 2e-15,
            "worst relative difference {worst:e} at x = {at}"
        );
        assert_eq!(log_h_f64(f64::INFINITY), f64::NEG_INFINITY);
        assert_eq!(log_h_f64(f64::NEG_INFINITY), 0.0);
        assert!(log_h_f64(f64::NAN).is_nan());
        assert!(log_h_f64(-40.0) <= 0.0 && log_h_f64(-40.0) > -1e-300);
        assert_eq!(log_h_f64(0.0), -core::f64::consts::LN_2);
    }

    #[test]
    fn binary_entropy() {
        assert_eq!(h2(0.0f64), 0.0);
        assert_eq!(h2(1.0f64), 0.0);
        assert!((h2(0.5f64) - core::f64::consts::LN_2).abs() < 1e-16);
        assert!(h2(-0.1f64).is_nan());
    }

    /// The batch logarithm equals the scalar one bit for bit (whatever vector level ran it), on
    /// (0, 1] uniforms as the local-energy noise draws them and across the binades.
    #[test]
    fn ln_pos_f64_slice_equals_the_scalar() {
        let mut rng = crate::rng::rng_from_seed(5);
        let mut xs: std::vec::Vec<f64> = (0..4099)
            .map(|k| match k % 3 {
                0 => 1.0 - crate::rng::uniform(&mut rng),
                1 => libm::exp(-745.0 * crate::rng::uniform(&mut rng)).max(f64::MIN_POSITIVE),
                _ => 1.0 + 1e6 * crate::rng::uniform(&mut rng),
            })
            .collect();
        xs.extend([
            1.0,
            f64::MIN_POSITIVE,
            2f64.powi(-53),
            1.0 - f64::EPSILON / 2.0,
        ]);
        let want: std::vec::Vec<u64> = xs.iter().map(|&x| ln_pos_f64(x).to_bits()).collect();
        ln_pos_f64_slice(&mut xs);
        let got: std::vec::Vec<u64> = xs.iter().map(|x| x.to_bits()).collect();
        assert_eq!(got, want);
    }
}
