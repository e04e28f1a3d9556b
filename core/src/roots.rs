//! One-dimensional root finding (THEORY §S1.3): Brent's method on a sign-changing bracket.
//!
//! Multi-dimensional saddle-point solvers (Newton with a difference Jacobian, damped fixed point) live
//! beside it as the theory needs them. Every solver reports failure as an error with the last iterate
//! and residual, never as NaN.

use crate::real::Real;
use core::fmt;

/// A converged root.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Root<T> {
    /// The root estimate.
    pub x: T,
    /// f(x).
    pub fx: T,
    /// Function evaluations used.
    pub iterations: u32,
}

/// Why a root search failed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RootError {
    /// f(a) and f(b) have the same sign.
    NoBracket {
        /// f at the left end.
        fa: f64,
        /// f at the right end.
        fb: f64,
    },
    /// f returned NaN or ±∞ at x.
    NonFinite {
        /// Where.
        x: f64,
    },
    /// The iteration budget ran out.
    MaxIterations {
        /// Last iterate.
        x: f64,
        /// Width of the last bracket.
        width: f64,
    },
}

impl fmt::Display for RootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RootError::NoBracket { fa, fb } => {
                write!(f, "root not bracketed: f(a) = {fa:e}, f(b) = {fb:e}")
            }
            RootError::NonFinite { x } => write!(f, "function not finite at x = {x:e}"),
            RootError::MaxIterations { x, width } => {
                write!(f, "no convergence: last x = {x:e}, bracket width {width:e}")
            }
        }
    }
}

impl core::error::Error for RootError {}

/// Brent's method for f(x) = 0 on [a, b] with f(a)·f(b) ≤ 0, to absolute tolerance `xtol`.
pub fn brent<T: Real, F: FnMut(T) -> T>(
    mut f: F,
    a: T,
    b: T,
    xtol: T,
    max_iter: u32,
) -> Result<Root<T>, RootError> {
    let (mut a, mut b) = (a, b);
    let mut fa = f(a);
    let mut fb = f(b);
    if !fa.is_finite() {
        return Err(RootError::NonFinite { x: a.to_f64() });
    }
    if !fb.is_finite() {
        return Err(RootError::NonFinite { x: b.to_f64() });
    }
    if fa == T::ZERO {
        return Ok(Root {
            x: a,
            fx: fa,
            iterations: 2,
        });
    }
    if fb == T::ZERO {
        return Ok(Root {
            x: b,
            fx: fb,
            iterations: 2,
        });
    }
    if (fa > T::ZERO) == (fb > T::ZERO) {
        return Err(RootError::NoBracket {
            fa: fa.to_f64(),
            fb: fb.to_f64(),
        });
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    let two = T::TWO;
    let three = T::from_f64(3.0);
    for it in 0..max_iter {
        if (fb > T::ZERO) == (fc > T::ZERO) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = two * T::EPSILON * b.abs() + T::HALF * xtol;
        let xm = T::HALF * (c - b);
        if xm.abs() <= tol1 || fb == T::ZERO {
            return Ok(Root {
                x: b,
                fx: fb,
                iterations: it + 2,
            });
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = two * xm * s;
                q = T::ONE - s;
            } else {
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (two * xm * qq * (qq - r) - (b - a) * (r - T::ONE));
                q = (qq - T::ONE) * (r - T::ONE) * (s - T::ONE);
            }
            if p > T::ZERO {
                q = -q;
            }
            p = p.abs();
            let min1 = three * xm * q - (tol1 * q).abs();
            let min2 = (e * q).abs();
            if two * p < min1.min(min2) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        if d.abs() > tol1 {
            b += d;
        } else {
            b += if xm > T::ZERO { tol1 } else { -tol1 };
        }
        fb = f(b);
        if !fb.is_finite() {
            return Err(RootError::NonFinite { x: b.to_f64() });
        }
    }
    Err(RootError::MaxIterations {
        x: b.to_f64(),
        width: (c - b).abs().to_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brent_finds_roots_and_reports_failures() {
        let r = brent(|x: f64| x * x - 2.0, 0.0, 2.0, 1e-14, 100).unwrap();
        assert!((r.x - core::f64::consts::SQRT_2).abs() < 1e-13);
        let r = brent(|x: f64| libm::cos(x) - x, 0.0, 1.0, 1e-14, 100).unwrap();
        assert!((r.x - 0.739_085_133_215_160_6).abs() < 1e-13);
        assert!(matches!(
            brent(|x: f64| x * x + 1.0, -1.0, 1.0, 1e-12, 100),
            Err(RootError::NoBracket { .. })
        ));
        let r32 = brent(|x: f32| x * x - 2.0, 0.0, 2.0, 1e-6, 100).unwrap();
        assert!((r32.x - core::f32::consts::SQRT_2).abs() < 1e-6);
    }
}
