//! The floating-point abstraction: numerics that firmware runs in `f32` are written once, generic over
//! [`Real`], and instantiated for `f32` and `f64`. Every transcendental goes through `libm`, so results do
//! not depend on the platform's libm (and are reproducible on Cortex-M).

use core::fmt::Debug;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real scalar type (`f32` or `f64`) with the elementary and special functions flatmin needs.
pub trait Real:
    Copy
    + Debug
    + Default
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Send
    + Sync
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// 2.
    const TWO: Self;
    /// 1/2.
    const HALF: Self;
    /// Machine epsilon.
    const EPSILON: Self;
    /// +∞.
    const INFINITY: Self;
    /// −∞.
    const NEG_INFINITY: Self;
    /// Largest finite value.
    const MAX: Self;
    /// π.
    const PI: Self;
    /// Name of the type, for diagnostics ("f32" / "f64").
    const NAME: &'static str;

    /// Converts from `f64` (rounding to nearest for `f32`).
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` (exact).
    fn to_f64(self) -> f64;
    /// Converts a count.
    #[inline]
    fn from_usize(n: usize) -> Self {
        Self::from_f64(n as f64)
    }
    /// Converts a signed integer.
    #[inline]
    fn from_i32(n: i32) -> Self {
        Self::from_f64(n as f64)
    }
    /// |x|.
    fn abs(self) -> Self;
    /// √x.
    fn sqrt(self) -> Self;
    /// eˣ.
    fn exp(self) -> Self;
    /// eˣ − 1.
    fn exp_m1(self) -> Self;
    /// ln x.
    fn ln(self) -> Self;
    /// ln(1 + x).
    fn ln_1p(self) -> Self;
    /// erf x.
    fn erf(self) -> Self;
    /// erfc x.
    fn erfc(self) -> Self;
    /// tanh x.
    fn tanh(self) -> Self;
    /// cosh x.
    fn cosh(self) -> Self;
    /// atanh x.
    fn atanh(self) -> Self;
    /// sin x.
    fn sin(self) -> Self;
    /// cos x.
    fn cos(self) -> Self;
    /// asin x.
    fn asin(self) -> Self;
    /// acos x.
    fn acos(self) -> Self;
    /// atan x.
    fn atan(self) -> Self;
    /// xʸ.
    fn powf(self, y: Self) -> Self;
    /// ⌊x⌋.
    fn floor(self) -> Self;
    /// ⌈x⌉.
    fn ceil(self) -> Self;
    /// Larger of two (NaN-ignoring, as `f64::max`).
    fn max(self, other: Self) -> Self;
    /// Smaller of two.
    fn min(self, other: Self) -> Self;
    /// Finite (not NaN, not ±∞).
    fn is_finite(self) -> bool;
    /// NaN.
    fn is_nan(self) -> bool;
    /// Fused x·a + b where available (libm `fma`, correctly rounded).
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// x².
    #[inline]
    fn sq(self) -> Self {
        self * self
    }
}

macro_rules! impl_real {
    ($t:ty, $name:literal, $abs:ident, $sqrt:ident, $exp:ident, $expm1:ident, $ln:ident, $ln1p:ident,
     $erf:ident, $erfc:ident, $tanh:ident, $cosh:ident, $atanh:ident, $sin:ident, $cos:ident, $asin:ident,
     $acos:ident, $atan:ident, $pow:ident, $floor:ident, $ceil:ident, $fma:ident) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const TWO: Self = 2.0;
            const HALF: Self = 0.5;
            const EPSILON: Self = <$t>::EPSILON;
            const INFINITY: Self = <$t>::INFINITY;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            const MAX: Self = <$t>::MAX;
            const PI: Self = core::f64::consts::PI as $t;
            const NAME: &'static str = $name;
            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn abs(self) -> Self {
                libm::$abs(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                libm::$sqrt(self)
            }
            #[inline]
            fn exp(self) -> Self {
                libm::$exp(self)
            }
            #[inline]
            fn exp_m1(self) -> Self {
                libm::$expm1(self)
            }
            #[inline]
            fn ln(self) -> Self {
                libm::$ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                libm::$ln1p(self)
            }
            #[inline]
            fn erf(self) -> Self {
                libm::$erf(self)
            }
            #[inline]
            fn erfc(self) -> Self {
                libm::$erfc(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                libm::$tanh(self)
            }
            #[inline]
            fn cosh(self) -> Self {
                libm::$cosh(self)
            }
            #[inline]
            fn atanh(self) -> Self {
                libm::$atanh(self)
            }
            #[inline]
            fn sin(self) -> Self {
                libm::$sin(self)
            }
            #[inline]
            fn cos(self) -> Self {
                libm::$cos(self)
            }
            #[inline]
            fn asin(self) -> Self {
                libm::$asin(self)
            }
            #[inline]
            fn acos(self) -> Self {
                libm::$acos(self)
            }
            #[inline]
            fn atan(self) -> Self {
                libm::$atan(self)
            }
            #[inline]
            fn powf(self, y: Self) -> Self {
                libm::$pow(self, y)
            }
            #[inline]
            fn floor(self) -> Self {
                libm::$floor(self)
            }
            #[inline]
            fn ceil(self) -> Self {
                libm::$ceil(self)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                if self.is_nan() || other > self {
                    other
                } else {
                    self
                }
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                if self.is_nan() || other < self {
                    other
                } else {
                    self
                }
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self {
                libm::$fma(self, a, b)
            }
        }
    };
}

impl_real!(
    f64, "f64", fabs, sqrt, exp, expm1, log, log1p, erf, erfc, tanh, cosh, atanh, sin, cos, asin,
    acos, atan, pow, floor, ceil, fma
);
impl_real!(
    f32, "f32", fabsf, sqrtf, expf, expm1f, logf, log1pf, erff, erfcf, tanhf, coshf, atanhf, sinf,
    cosf, asinf, acosf, atanf, powf, floorf, ceilf, fmaf
);
