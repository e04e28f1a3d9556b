//! One-dimensional root finding (THEORY §S1.3): Brent's method on a sign-changing bracket.
//!
//! Multi-dimensional saddle-point solvers (Newton with a difference Jacobian, damped fixed point) live
//! beside it as the theory needs them. Every solver reports failure as an error with the last iterate
//! and residual, never as NaN.

// `!(x > y)` is deliberate throughout: it is true for NaN, which must be rejected.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

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

/// Brent's minimization of f on [a, b] (golden section + parabolic steps) to absolute tolerance
/// `xtol` in x, at most `max_iter` evaluations. Returns (x_min, f(x_min)); f may return NaN to signal
/// "undefined here", which is treated as +∞.
pub fn brent_min<F: FnMut(f64) -> f64>(
    mut f: F,
    a: f64,
    b: f64,
    xtol: f64,
    max_iter: u32,
) -> (f64, f64) {
    const CGOLD: f64 = 0.381_966_011_250_105_1;
    let mut ff = |x: f64| {
        let v = f(x);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    let (mut a, mut b) = if a < b { (a, b) } else { (b, a) };
    let mut x = a + CGOLD * (b - a);
    let (mut w, mut v) = (x, x);
    let mut fx = ff(x);
    let (mut fw, mut fv) = (fx, fx);
    let (mut d, mut e) = (0.0f64, 0.0f64);
    for _ in 0..max_iter {
        let xm = 0.5 * (a + b);
        let tol1 = xtol * 0.5 + 1e-15 * x.abs();
        let tol2 = 2.0 * tol1;
        if (x - xm).abs() <= tol2 - 0.5 * (b - a) {
            break;
        }
        let mut golden = true;
        if e.abs() > tol1 {
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            let etemp = e;
            e = d;
            if !(p.abs() >= (0.5 * q * etemp).abs() || p <= q * (a - x) || p >= q * (b - x)) {
                d = p / q;
                let u = x + d;
                if u - a < tol2 || b - u < tol2 {
                    d = if xm >= x { tol1 } else { -tol1 };
                }
                golden = false;
            }
        }
        if golden {
            e = if x >= xm { a - x } else { b - x };
            d = CGOLD * e;
        }
        let u = if d.abs() >= tol1 {
            x + d
        } else {
            x + if d >= 0.0 { tol1 } else { -tol1 }
        };
        let fu = ff(u);
        if fu <= fx {
            if u >= x {
                a = x;
            } else {
                b = x;
            }
            v = w;
            w = x;
            x = u;
            fv = fw;
            fw = fx;
            fx = fu;
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                v = w;
                w = u;
                fv = fw;
                fw = fu;
            } else if fu <= fv || v == x || v == w {
                v = u;
                fv = fu;
            }
        }
    }
    (x, fx)
}

/// Options of the multi-dimensional saddle-point solvers ([`newton_fd`], [`fixed_point`]).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SolveOptions {
    /// Convergence target on the max-norm of the residual T(x) − x.
    pub tol: f64,
    /// Iteration budget (Newton steps, or damped iterations).
    pub max_iter: u32,
    /// Relative forward-difference step of the Jacobian (THEORY §S1.3: 1e-7·max(1, |x|)).
    pub fd_step: f64,
    /// Damping γ of the fixed-point fallback x ← γ T(x) + (1 − γ) x (§S1.3: 0.5).
    pub damping: f64,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            tol: 1e-12,
            max_iter: 60,
            fd_step: 1e-7,
            damping: 0.5,
        }
    }
}

/// A converged multi-dimensional solution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Solution<T, const N: usize> {
    /// The fixed point x = T(x).
    pub x: [T; N],
    /// max |T(x) − x| at the returned point.
    pub residual: T,
    /// Evaluations of the map T used.
    pub evaluations: u32,
}

/// Why a multi-dimensional solve failed (carries the last iterate's residual).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SolveError {
    /// The budget ran out before the residual reached the tolerance.
    NotConverged {
        /// Best residual reached.
        residual: f64,
        /// Map evaluations used.
        evaluations: u32,
    },
    /// The map returned a non-finite value (or refused the point).
    NonFinite {
        /// Map evaluations used.
        evaluations: u32,
    },
    /// The difference Jacobian of T(x) − x is singular.
    SingularJacobian {
        /// Residual at the point where it happened.
        residual: f64,
    },
}

impl fmt::Display for SolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SolveError::NotConverged {
                residual,
                evaluations,
            } => {
                write!(f, "saddle point not converged: residual {residual:e} after {evaluations} evaluations")
            }
            SolveError::NonFinite { evaluations } => {
                write!(
                    f,
                    "saddle-point map not finite (after {evaluations} evaluations)"
                )
            }
            SolveError::SingularJacobian { residual } => {
                write!(f, "singular Jacobian (residual {residual:e})")
            }
        }
    }
}

impl core::error::Error for SolveError {}

fn max_norm<T: Real, const N: usize>(r: &[T; N]) -> T {
    let mut m = T::ZERO;
    for v in r {
        let a = v.abs();
        if !(a <= m) {
            m = a;
        }
    }
    m
}

/// Solves the linear system `a · x = b` in place (Gaussian elimination, partial pivoting); `false` if
/// singular.
pub fn solve_linear<T: Real, const N: usize>(a: &mut [[T; N]; N], b: &mut [T; N]) -> bool {
    for col in 0..N {
        let mut piv = col;
        for r in col + 1..N {
            if a[r][col].abs() > a[piv][col].abs() {
                piv = r;
            }
        }
        if !(a[piv][col].abs() > T::ZERO) || !a[piv][col].is_finite() {
            return false;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        for r in col + 1..N {
            let f = a[r][col] / a[col][col];
            let pivot_row = a[col];
            for (arc, &v) in a[r].iter_mut().zip(pivot_row.iter()).skip(col) {
                *arc -= f * v;
            }
            let v = b[col];
            b[r] -= f * v;
        }
    }
    for col in (0..N).rev() {
        let mut s = b[col];
        for c in col + 1..N {
            s -= a[col][c] * b[c];
        }
        b[col] = s / a[col][col];
    }
    true
}

/// Newton's method on R(x) = T(x) − x with a forward-difference Jacobian and backtracking
/// (THEORY §S1.3), for a small fixed dimension `N`.
///
/// `map(x, out)` writes T(x) into `out` and returns `false` if x is outside its domain (the step is
/// then shortened). After Newton fails (singular Jacobian or no decrease) the solver falls back to
/// damped iteration x ← γ T(x) + (1 − γ) x for the rest of the budget.
pub fn newton_fd<T: Real, F: FnMut(&[T; N], &mut [T; N]) -> bool, const N: usize>(
    mut map: F,
    x0: [T; N],
    opts: &SolveOptions,
) -> Result<Solution<T, N>, SolveError> {
    let tol = T::from_f64(opts.tol);
    let mut evals = 0u32;
    let mut x = x0;
    let Some(mut r) = residual(&mut map, &x, &mut evals) else {
        return Err(SolveError::NonFinite { evaluations: evals });
    };
    let mut rn = max_norm(&r);
    let mut newton_ok = true;
    let mut iter = 0u32;
    while iter < opts.max_iter {
        if rn <= tol {
            return Ok(Solution {
                x,
                residual: rn,
                evaluations: evals,
            });
        }
        iter += 1;
        if newton_ok {
            let jac = fd_jacobian(&mut map, &x, &r, opts.fd_step, &mut evals);
            let mut dx = r;
            for v in dx.iter_mut() {
                *v = -*v;
            }
            let Some(mut jac) = jac else {
                newton_ok = false;
                continue;
            };
            if !solve_linear(&mut jac, &mut dx) {
                newton_ok = false;
                continue;
            }
            match backtrack(&mut map, &x, &dx, rn, 12, &mut evals) {
                Some((xn, rnew, nn)) => {
                    x = xn;
                    r = rnew;
                    rn = nn;
                }
                None => newton_ok = false,
            }
        } else {
            let g = T::from_f64(opts.damping);
            let mut xn = x;
            for i in 0..N {
                xn[i] = x[i] + g * r[i];
            }
            let Some(rnew) = residual(&mut map, &xn, &mut evals) else {
                return Err(SolveError::NonFinite { evaluations: evals });
            };
            x = xn;
            r = rnew;
            rn = max_norm(&r);
        }
    }
    if rn <= tol {
        return Ok(Solution {
            x,
            residual: rn,
            evaluations: evals,
        });
    }
    Err(SolveError::NotConverged {
        residual: rn.to_f64(),
        evaluations: evals,
    })
}

/// R(x) = T(x) − x after one evaluation of `map` (counted in `evals`); `None` if x is outside the
/// map's domain or T(x) is not finite.
fn residual<T: Real, F: FnMut(&[T; N], &mut [T; N]) -> bool, const N: usize>(
    map: &mut F,
    x: &[T; N],
    evals: &mut u32,
) -> Option<[T; N]> {
    let mut tx = [T::ZERO; N];
    *evals += 1;
    if !map(x, &mut tx) || !tx.iter().all(|v| v.is_finite()) {
        return None;
    }
    let mut r = [T::ZERO; N];
    for i in 0..N {
        r[i] = tx[i] - x[i];
    }
    Some(r)
}

/// Backtracking along `dx`: the first of `tries` points x + λ·dx (λ = 1, ½, ¼, …) whose residual
/// norm is below `rn`, with its residual and norm; `None` if none is.
fn backtrack<T: Real, F: FnMut(&[T; N], &mut [T; N]) -> bool, const N: usize>(
    map: &mut F,
    x: &[T; N],
    dx: &[T; N],
    rn: T,
    tries: usize,
    evals: &mut u32,
) -> Option<([T; N], [T; N], T)> {
    let mut lam = T::ONE;
    for _ in 0..tries {
        let mut xn = *x;
        for i in 0..N {
            xn[i] += lam * dx[i];
        }
        if let Some(rnew) = residual(map, &xn, evals) {
            let nn = max_norm(&rnew);
            if nn < rn {
                return Some((xn, rnew, nn));
            }
        }
        lam *= T::HALF;
    }
    None
}

/// The forward-difference Jacobian of R at `x` (backward where the forward point is outside the
/// domain), `r` = R(x); `None` if both points of a column are.
fn fd_jacobian<T: Real, F: FnMut(&[T; N], &mut [T; N]) -> bool, const N: usize>(
    map: &mut F,
    x: &[T; N],
    r: &[T; N],
    step: f64,
    evals: &mut u32,
) -> Option<[[T; N]; N]> {
    let mut jac = [[T::ZERO; N]; N];
    for j in 0..N {
        let mut hstep = T::from_f64(step) * x[j].abs().max(T::ONE);
        let mut xp = *x;
        xp[j] += hstep;
        let mut txp = [T::ZERO; N];
        *evals += 1;
        if !map(&xp, &mut txp) || !txp.iter().all(|v| v.is_finite()) {
            hstep = -hstep;
            xp[j] = x[j] + hstep;
            *evals += 1;
            if !map(&xp, &mut txp) || !txp.iter().all(|v| v.is_finite()) {
                return None;
            }
        }
        for i in 0..N {
            jac[i][j] = ((txp[i] - xp[i]) - r[i]) / hstep;
        }
    }
    Some(jac)
}

/// Newton's method on R(x) = T(x) − x that starts from a known Jacobian `jac0` of R (e.g. the one of a
/// neighbouring continuation point), keeps it current with Broyden's rank-1 update after every accepted
/// step, and recomputes it by forward differences (step `opts.fd_step`) only when a step fails. Returns
/// the solution and the last Jacobian (to warm-start the next solve). Same failure semantics as
/// [`newton_fd`] (to which it reduces when `jac0` is `None`, apart from the Broyden updates).
#[allow(clippy::type_complexity)]
pub fn newton_broyden<T: Real, F: FnMut(&[T; N], &mut [T; N]) -> bool, const N: usize>(
    mut map: F,
    x0: [T; N],
    jac0: Option<[[T; N]; N]>,
    opts: &SolveOptions,
) -> Result<(Solution<T, N>, [[T; N]; N]), SolveError> {
    let tol = T::from_f64(opts.tol);
    let mut evals = 0u32;
    let mut x = x0;
    let Some(mut r) = residual(&mut map, &x, &mut evals) else {
        return Err(SolveError::NonFinite { evaluations: evals });
    };
    let mut rn = max_norm(&r);
    let (mut jac, mut fresh) = match jac0 {
        Some(j) => (j, false),
        None => (
            fd_jacobian(&mut map, &x, &r, opts.fd_step, &mut evals)
                .ok_or(SolveError::NonFinite { evaluations: evals })?,
            true,
        ),
    };
    let mut iter = 0u32;
    while rn > tol {
        iter += 1;
        if iter > opts.max_iter {
            return Err(SolveError::NotConverged {
                residual: rn.to_f64(),
                evaluations: evals,
            });
        }
        let mut a = jac;
        let mut dx = r;
        for v in dx.iter_mut() {
            *v = -*v;
        }
        let step = if solve_linear(&mut a, &mut dx) {
            let tries = if fresh { 12 } else { 1 };
            backtrack(&mut map, &x, &dx, rn, tries, &mut evals)
        } else {
            None
        };
        if let Some((xn, rnew, nn)) = step {
            // Broyden update: J += (Δr − J s) sᵀ / (sᵀ s), s = xn − x
            let mut sv = [T::ZERO; N];
            let mut ss = T::ZERO;
            for i in 0..N {
                sv[i] = xn[i] - x[i];
                ss += sv[i] * sv[i];
            }
            if ss > T::ZERO {
                for i in 0..N {
                    let mut js = T::ZERO;
                    for j in 0..N {
                        js += jac[i][j] * sv[j];
                    }
                    let u = (rnew[i] - r[i] - js) / ss;
                    for j in 0..N {
                        jac[i][j] += u * sv[j];
                    }
                }
            }
            x = xn;
            r = rnew;
            rn = nn;
            fresh = false;
        } else {
            if fresh {
                // A fresh difference Jacobian failed too: hand over to the damped iteration.
                let rest = SolveOptions {
                    max_iter: opts.max_iter.saturating_sub(iter).max(1) * 4,
                    ..*opts
                };
                let sol = fixed_point(&mut map, x, &rest).map_err(|e| match e {
                    SolveError::NotConverged {
                        residual,
                        evaluations,
                    } => SolveError::NotConverged {
                        residual,
                        evaluations: evaluations + evals,
                    },
                    other => other,
                })?;
                return Ok((
                    Solution {
                        evaluations: sol.evaluations + evals,
                        ..sol
                    },
                    jac,
                ));
            }
            jac = fd_jacobian(&mut map, &x, &r, opts.fd_step, &mut evals)
                .ok_or(SolveError::NonFinite { evaluations: evals })?;
            fresh = true;
        }
    }
    Ok((
        Solution {
            x,
            residual: rn,
            evaluations: evals,
        },
        jac,
    ))
}

/// Damped fixed-point iteration x ← γ T(x) + (1 − γ) x (THEORY §S1.3), `γ = opts.damping`.
pub fn fixed_point<T: Real, F: FnMut(&[T; N], &mut [T; N]) -> bool, const N: usize>(
    mut map: F,
    x0: [T; N],
    opts: &SolveOptions,
) -> Result<Solution<T, N>, SolveError> {
    let tol = T::from_f64(opts.tol);
    let g = T::from_f64(opts.damping);
    let mut x = x0;
    let mut rn = T::INFINITY;
    let mut evals = 0;
    for _ in 0..opts.max_iter {
        let Some(r) = residual(&mut map, &x, &mut evals) else {
            return Err(SolveError::NonFinite { evaluations: evals });
        };
        rn = max_norm(&r);
        if rn <= tol {
            return Ok(Solution {
                x,
                residual: rn,
                evaluations: evals,
            });
        }
        for i in 0..N {
            x[i] += g * r[i];
        }
    }
    Err(SolveError::NotConverged {
        residual: rn.to_f64(),
        evaluations: opts.max_iter,
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

    #[test]
    fn newton_and_fixed_point_solve_a_2d_map() {
        // T(x, y) = (cos y / 2, sin x / 3 + 0.2): a contraction with a unique fixed point.
        let map = |x: &[f64; 2], out: &mut [f64; 2]| {
            out[0] = libm::cos(x[1]) / 2.0;
            out[1] = libm::sin(x[0]) / 3.0 + 0.2;
            true
        };
        let opts = SolveOptions::default();
        let a = newton_fd(map, [0.0, 0.0], &opts).unwrap();
        let b = fixed_point(
            map,
            [0.0, 0.0],
            &SolveOptions {
                max_iter: 500,
                ..opts
            },
        )
        .unwrap();
        assert!(a.residual <= 1e-12 && b.residual <= 1e-12);
        assert!((a.x[0] - b.x[0]).abs() < 1e-11 && (a.x[1] - b.x[1]).abs() < 1e-11);
        assert!(a.evaluations < b.evaluations);
        // A map with no fixed point reports non-convergence with its residual.
        let shift = |x: &[f64; 1], out: &mut [f64; 1]| {
            out[0] = x[0] + 1.0;
            true
        };
        assert!(matches!(
            newton_fd(
                shift,
                [0.0],
                &SolveOptions {
                    max_iter: 5,
                    ..opts
                }
            ),
            Err(SolveError::NotConverged { .. })
        ));
    }

    #[test]
    fn brent_min_finds_a_parabola_minimum() {
        let (x, fx) = brent_min(|x| (x - 0.3) * (x - 0.3) + 1.0, 0.0, 1.0, 1e-8, 100);
        assert!((x - 0.3).abs() < 1e-7 && (fx - 1.0).abs() < 1e-12);
    }

    #[test]
    fn broyden_reuses_a_jacobian() {
        let map = |x: &[f64; 2], out: &mut [f64; 2]| {
            out[0] = libm::cos(x[1]) / 2.0;
            out[1] = libm::sin(x[0]) / 3.0 + 0.2;
            true
        };
        let opts = SolveOptions::default();
        let (a, jac) = newton_broyden(map, [0.0, 0.0], None, &opts).unwrap();
        let (b, _) = newton_broyden(map, [a.x[0] + 1e-3, a.x[1] - 1e-3], Some(jac), &opts).unwrap();
        assert!((a.x[0] - b.x[0]).abs() < 1e-11 && b.residual <= 1e-12);
        let c = newton_fd(map, [a.x[0] + 1e-3, a.x[1] - 1e-3], &opts).unwrap();
        assert!(
            b.evaluations < c.evaluations,
            "warm Jacobian: {} vs {} evaluations",
            b.evaluations,
            c.evaluations
        );
    }
}
