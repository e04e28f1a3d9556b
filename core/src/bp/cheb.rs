//! The per-factor Chebyshev interpolant shared by the Gaussian factor updates of the perceptron
//! ([`super::factor`]) and of the committee machine's hidden units ([`super::committee`]).
//!
//! A Gaussian factor update sends every edge i the field ξ_i F(ξ_i m_{i→μ}) of one smooth function F
//! on [−1, 1] per factor (F depends on the factor's cavity mean and variance, and for the committee
//! on the hidden unit's τ message). Each update evaluates F at K Chebyshev nodes (the caller's
//! job: the node values differ between the two models), and this module turns them into an
//! interpolant ([`coefficients`]: accepted only when its last two coefficients are below the rounding
//! level 256 ε·scale; [`coefficients_tol`] with a caller's tolerance, which the committee loosens),
//! converts it to monomial form when that is well conditioned
//! ([`to_monomial`]), evaluates it on every edge in fixed-width blocks with the commit (sign ξ,
//! clamp, damping, totals) fused in ([`cheb_all`]), and takes the residual with block-wise skipping
//! ([`residual_pass`]). All of it is `#[inline(always)]`, so it is compiled at each caller's vector
//! level ([`crate::simd`]); the operations and their order do not depend on the level.

use super::factor::clamp;
use crate::real::Real;

/// The 64 pattern bits from bit `bit` of a packed row (bit 1 ⇔ ξ = −1), any alignment; words
/// past the end read as 0. For `bit` a multiple of 64 this is `row[bit / 64]`.
#[inline(always)]
pub(crate) fn word_at(row: &[u64], bit: usize) -> u64 {
    let (q, r) = (bit / 64, bit % 64);
    let lo = row.get(q).copied().unwrap_or(0) >> r;
    if r == 0 {
        lo
    } else {
        lo | (row.get(q + 1).copied().unwrap_or(0) << (64 - r))
    }
}

/// Edges per block of the residual pre-check of [`super::factor::gaussian_update`].
const RES_BLOCK: usize = 16;

/// max |new − old| over a block of at most [`RES_BLOCK`] edges: branch-free on full blocks (lane-wise
/// maxima over a fixed-size array, which vectorizes), a plain loop on the tail.
#[inline(always)]
fn block_max_change<T: Real>(new: &[T], old: &[T]) -> T {
    let max = |a: T, b: T| if b > a { b } else { a };
    if let (Ok(nb), Ok(ob)) = (
        <&[T; RES_BLOCK]>::try_from(new),
        <&[T; RES_BLOCK]>::try_from(old),
    ) {
        let mut acc = [T::ZERO; RES_BLOCK];
        for l in 0..RES_BLOCK {
            acc[l] = (nb[l] - ob[l]).abs();
        }
        lane_max(acc)
    } else {
        new.iter()
            .zip(old)
            .fold(T::ZERO, |m, (&a, &b)| max(m, (a - b).abs()))
    }
}

/// The largest of `L` lanes (a power of two) by a pairwise tree, `max(a, b) = if b > a { b } else
/// { a }` (branch-free and vectorizable; the maximum is exact, so the result does not depend on the
/// order).
#[inline(always)]
pub(crate) fn lane_max<T: Real, const L: usize>(mut acc: [T; L]) -> T {
    const { assert!(L.is_power_of_two()) };
    let mut w = L / 2;
    while w > 0 {
        for l in 0..w {
            acc[l] = if acc[l + w] > acc[l] {
                acc[l + w]
            } else {
                acc[l]
            };
        }
        w /= 2;
    }
    acc[0]
}

/// Number of Chebyshev nodes of the per-factor interpolant of the Gaussian update (the largest
/// interpolant; fewer nodes are tried first, see [`super::factor::gaussian_update`]).
pub const CHEB_K: usize = 16;

/// Nodes of the first interpolant tried by the perceptron when σ² < [`super::factor::WIDE_VAR`] (focusing BP mostly needs ≤ 10
/// coefficients there).
pub const CHEB_K_MID: usize = 12;

/// Nodes of the first interpolant tried by the perceptron when σ² ≥ [`super::factor::WIDE_VAR`] (plain BP at N = 1001 needs ≤ 8
/// coefficients).
pub const CHEB_K_WIDE: usize = 10;

/// Length of the Chebyshev table ([`fill_cheb_table`]): K(K+1) for K = [`CHEB_K`], [`CHEB_K_MID`]
/// and [`CHEB_K_WIDE`].
pub const CHEB_TABLE_LEN: usize =
    CHEB_K * (CHEB_K + 1) + CHEB_K_MID * (CHEB_K_MID + 1) + CHEB_K_WIDE * (CHEB_K_WIDE + 1);

/// Fills one K-node part of the table: `t[k] = x_k = cos(π(k+½)/K)`, then `t[K + k·K + j] = T_j(x_k)`
/// (node-major: the K values T_0 … T_{K−1} at one node are contiguous, so [`coefficients`] runs
/// over j in vector lanes).
fn fill_cheb_part<T: Real>(t: &mut [T], k: usize) {
    for i in 0..k {
        let x = T::from_f64(libm::cos(
            core::f64::consts::PI * (i as f64 + 0.5) / k as f64,
        ));
        t[i] = x;
        let mut t0 = T::ONE;
        let mut t1 = x;
        for j in 0..k {
            t[k + i * k + j] = t0;
            let t2 = T::TWO * x * t1 - t0;
            t0 = t1;
            t1 = t2;
        }
    }
}

/// Fills the Chebyshev table used by [`super::factor::gaussian_update`] (length [`CHEB_TABLE_LEN`]): the
/// [`CHEB_K`]-node part, the [`CHEB_K_MID`]-node part, then the [`CHEB_K_WIDE`]-node part, each as
/// nodes x_k followed by T_j(x_k) node by node.
/// A slice shorter than [`CHEB_TABLE_LEN`] is left untouched (no panic); [`super::factor::GaussianScratch::new`]
/// sizes and fills the table itself.
pub fn fill_cheb_table<T: Real>(table: &mut [T]) {
    if table.len() < CHEB_TABLE_LEN {
        return;
    }
    let (big, rest) = table.split_at_mut(CHEB_K * (CHEB_K + 1));
    let (mid, wide) = rest.split_at_mut(CHEB_K_MID * (CHEB_K_MID + 1));
    fill_cheb_part(big, CHEB_K);
    fill_cheb_part(mid, CHEB_K_MID);
    fill_cheb_part(wide, CHEB_K_WIDE);
}

/// Chebyshev interpolant on `K` nodes from the values `f[k]` = F(x_k) at the nodes of `part` (one
/// part of the table, [`fill_cheb_table`]) and `scale` (the size of the quantities F is a difference
/// of, e.g. max |ln H|): the coefficients (zero-padded to [`CHEB_K`]), the number of them to keep
/// and the tolerance, or `None` if the last two coefficients are not below the rounding level
/// 256 ε·scale (F too sharp for K nodes).
#[inline(always)]
pub(crate) fn coefficients<T: Real, const K: usize>(
    f: &[T; K],
    scale: T,
    part: &[T],
) -> Option<([T; CHEB_K], usize, T)> {
    coefficients_tol::<T, K, false, false>(f, rounding_tol(scale), part)
}

/// The rounding level 256 ε·scale at which [`coefficients`] accepts an interpolant.
#[inline(always)]
pub(crate) fn rounding_tol<T: Real>(scale: T) -> T {
    T::from_f64(256.0) * T::EPSILON * scale
}

/// [`coefficients`] with the acceptance tolerance `tol` given by the caller (the perceptron's is the
/// rounding level 256 ε·scale; the committee's hidden factor accepts a looser one, see
/// [`super::committee`]): `None` unless the last two coefficients sum to at most `tol`; the top
/// coefficients whose sum stays below `tol` are dropped. `FUSED`, `FMA`: as [`cheb_all`].
#[inline(always)]
pub(crate) fn coefficients_tol<T: Real, const K: usize, const FUSED: bool, const FMA: bool>(
    f: &[T; K],
    tol: T,
    part: &[T],
) -> Option<([T; CHEB_K], usize, T)> {
    if K < 3 || K > CHEB_K || part.len() < K * (K + 1) {
        return None;
    }
    // c_j = (2/K) Σ_k f_k T_j(x_k), the sum over k in order for every j (the K sums side by side
    // in vector lanes; the table is node-major, see `fill_cheb_part`).
    let tk = &part[K..K * (K + 1)];
    let mut acc = [T::ZERO; K];
    for (&fk, row) in f.iter().zip(tk.chunks_exact(K)) {
        for (a, &t) in acc.iter_mut().zip(row) {
            *a = madd::<T, FUSED, FMA>(fk, t, *a);
        }
    }
    let mut c = [T::ZERO; CHEB_K];
    let norm = T::TWO / T::from_usize(K);
    for (cj, &a) in c[..K].iter_mut().zip(&acc) {
        *cj = a * norm;
    }
    c[0] *= T::HALF;
    let tail = c[K - 1].abs() + c[K - 2].abs();
    if !(tail.is_finite() && tail <= tol) {
        return None;
    }
    // Drop the negligible top coefficients (their sum stays below tol).
    let mut deg = K;
    let mut dropped = T::ZERO;
    while deg > 2 && dropped + c[deg - 1].abs() <= tol {
        dropped += c[deg - 1].abs();
        deg -= 1;
    }
    Some((c, deg, tol))
}

/// Clenshaw evaluation of g = ξ F(ξ m) on one block of up to `L` edges (`xm.len()` ≤ L): the L
/// recurrences run side by side so they overlap (and vectorize). `bits`: the block's pattern bits
/// from bit 0 (1 ⇔ ξ = −1); `xm`: the signed cavity magnetizations ξ m; `c[..deg]`: Chebyshev
/// coefficients; the fields go to `out`.
#[inline(always)]
fn cheb_block<T: Real, const L: usize, const FUSED: bool, const FMA: bool>(
    bits: u64,
    xm: &mut [T],
    g: &mut [T],
    h: &mut [T],
    fit: &Fit<T>,
    dmax: &mut [T; L],
) {
    let len = xm.len().min(g.len()).min(h.len()).min(L);
    let (c, deg) = (&fit.c, fit.deg.min(CHEB_K));
    let mut xs = [T::ZERO; L];
    xs[..len].copy_from_slice(&xm[..len]);
    // vals[l] = the interpolant at xs[l]: Horner on the monomial coefficients when they are well
    // conditioned (see `to_monomial`), Clenshaw on the Chebyshev coefficients otherwise.
    let mut vals = [T::ZERO; L];
    if let Some(a) = &fit.mono {
        let mut p = [a[deg - 1]; L];
        for &aj in a[..deg - 1].iter().rev() {
            for l in 0..L {
                p[l] = madd::<T, FUSED, FMA>(p[l], xs[l], aj);
            }
        }
        vals = p;
    } else {
        let mut x2 = [T::ZERO; L];
        for l in 0..L {
            x2[l] = xs[l] + xs[l];
        }
        let mut b1 = [T::ZERO; L];
        let mut b2 = [T::ZERO; L];
        for &cj in c[1..deg].iter().rev() {
            for l in 0..L {
                let b0 = x2[l] * b1[l] - b2[l] + cj;
                b2[l] = b1[l];
                b1[l] = b0;
            }
        }
        for l in 0..L {
            vals[l] = xs[l] * b1[l] - b2[l] + c[0];
        }
    }
    // Commit: clamp, damp, totals (the arithmetic of the perceptron's `commit`); the old fields go to `xm`.
    let (g_max, damping) = (fit.g_max, fit.damping);
    let keep = T::ONE - damping;
    for l in 0..len {
        let v = vals[l];
        let v = clamp(if (bits >> l) & 1 == 1 { -v } else { v }, g_max);
        let old = g[l];
        let new = if damping > T::ZERO {
            madd::<T, FUSED, FMA>(keep, v, damping * old)
        } else {
            v
        };
        h[l] = (h[l] - old) + new;
        g[l] = new;
        xm[l] = old;
        let d = (new - old).abs();
        dmax[l] = if d > dmax[l] { d } else { dmax[l] };
    }
}

/// A factor's interpolant and the commit parameters, for [`cheb_block`].
pub(crate) struct Fit<T> {
    /// Chebyshev coefficients.
    pub c: [T; CHEB_K],
    /// Number of them used.
    pub deg: usize,
    /// The monomial form ([`to_monomial`]) when well conditioned.
    pub mono: Option<[T; CHEB_K]>,
    /// Damping ρ of the commit.
    pub damping: T,
    /// Clamp |g| ≤ G_max of the commit.
    pub g_max: T,
}

/// Monomial coefficients of the Chebyshev polynomials: `CHEB_MONOMIALS[j][k]` is the coefficient of
/// x^k in T_j (T_{j+1} = 2x T_j − T_{j−1}; integers below 2²⁴, exact in f32 and f64).
const CHEB_MONOMIALS: [[f64; CHEB_K]; CHEB_K] = {
    let mut t = [[0.0f64; CHEB_K]; CHEB_K];
    t[0][0] = 1.0;
    t[1][1] = 1.0;
    let mut j = 2;
    while j < CHEB_K {
        let mut k = 0;
        while k < CHEB_K {
            let shifted = if k > 0 { 2.0 * t[j - 1][k - 1] } else { 0.0 };
            t[j][k] = shifted - t[j - 2][k];
            k += 1;
        }
        j += 1;
    }
    t
};

/// The monomial coefficients a_j (Σ_j a_j x^j = Σ_j c_j T_j(x), j < `deg`) if they can be used
/// without losing accuracy, else `None`. The conversion and Horner's rule on [−1, 1] err by at most
/// about (2·deg + K)·ε·Σ_j |c_j|·‖T_j‖₁ with ‖T_j‖₁ ≤ (1 + √2)^j; this must stay below a quarter of
/// the interpolation tolerance `tol`. It does whenever the coefficients fall faster than (1 + √2)^−j, i.e. for σ ≳ 2 (plain BP
/// and most of focusing BP); Horner then needs two operations per degree instead of Clenshaw's three.
#[inline(always)]
pub(crate) fn to_monomial<T: Real>(c: &[T; CHEB_K], deg: usize, tol: T) -> Option<[T; CHEB_K]> {
    let deg = deg.min(CHEB_K);
    let mut bound = T::ZERO;
    let mut norm = T::ONE;
    let growth = T::from_f64(1.0 + core::f64::consts::SQRT_2);
    for &cj in &c[..deg] {
        bound += cj.abs() * norm;
        norm *= growth;
    }
    // Conversion (≤ K terms per coefficient) and Horner (2·deg roundings) each err by at most
    // about ε·bound per term.
    let terms = T::from_usize(2 * deg + CHEB_K);
    let err = bound * T::EPSILON * terms;
    if err.is_nan() || err > tol * T::from_f64(0.25) {
        return None;
    }
    // a = Σ_j c_j T_j with the monomial coefficients of T_j from the table (exact integers).
    let mut a = [T::ZERO; CHEB_K];
    a[0] = c[0];
    if deg > 1 {
        a[1] = c[1];
    }
    for (&cj, tj) in c.iter().zip(&CHEB_MONOMIALS).take(deg).skip(2) {
        for k in 0..CHEB_K {
            a[k] += cj * T::from_f64(tj[k]);
        }
    }
    Some(a)
}

/// a·b + c: in f64 with one rounding when `FUSED` ([`crate::simd::mul_add`]`::<FMA>`), else (and
/// for f32) as a product and a sum.
#[inline(always)]
fn madd<T: Real, const FUSED: bool, const FMA: bool>(a: T, b: T, c: T) -> T {
    if FUSED && T::EPSILON.to_f64() < 1e-10 {
        T::from_f64(crate::simd::mul_add::<FMA>(
            a.to_f64(),
            b.to_f64(),
            c.to_f64(),
        ))
    } else {
        a * b + c
    }
}

/// Clenshaw and commit on every edge of a factor, `L` edges per block (full blocks take the
/// fixed-width path, then the tail): new fields into `g`, totals into `h`, old fields into `xm`.
/// `FUSED`: Horner's steps and the damping as fused multiply-adds (the committee; the perceptron
/// keeps products and sums), `FMA` as [`crate::simd::Kernel::run`].
/// Returns max |new − old| over the edges (NaN changes ignored): where it does not exceed the
/// running residual, [`residual_pass`] would skip every edge, so the caller skips it.
/// The factor's pattern bits start at bit `off` of `row` (0 for the perceptron; a tree committee's
/// hidden unit k starts at k·n).
#[inline(always)]
pub(crate) fn cheb_all<T: Real, const L: usize, const FUSED: bool, const FMA: bool>(
    row: &[u64],
    off: usize,
    xm: &mut [T],
    g: &mut [T],
    h: &mut [T],
    fit: &Fit<T>,
) -> T {
    const { assert!(64 % L == 0) };
    let n = xm.len().min(g.len()).min(h.len());
    let full = n - n % L;
    let mut dmax = [T::ZERO; L];
    // Full blocks as their own loop, so that their length L is known at compile time (one loop
    // over all blocks with a computed length measured 27 % slower per committee sweep), then the
    // tail.
    for i0 in (0..full).step_by(L) {
        let bits = word_at(row, off + i0);
        let r = i0..i0 + L;
        cheb_block::<T, L, FUSED, FMA>(
            bits,
            &mut xm[r.clone()],
            &mut g[r.clone()],
            &mut h[r],
            fit,
            &mut dmax,
        );
    }
    if full < n {
        let bits = word_at(row, off + full);
        let r = full..n;
        cheb_block::<T, L, FUSED, FMA>(
            bits,
            &mut xm[r.clone()],
            &mut g[r.clone()],
            &mut h[r],
            fit,
            &mut dmax,
        );
    }
    lane_max(dmax)
}

/// max(`residual`, max |tanh g − tanh old|) over the edges of a factor (`g`: new fields, `old`:
/// old fields). Since |Δ tanh| ≤ |Δg|, a block of edges whose largest |Δg| (a branch-free,
/// vectorized max) does not exceed the residual so far is skipped; tanh is evaluated only inside
/// the other blocks, edge by edge in order (the same result as a running residual edge by edge).
#[inline(always)]
pub(crate) fn residual_pass<T: Real>(g: &[T], old: &[T], mut residual: T) -> T {
    let n = g.len().min(old.len());
    let mut i0 = 0;
    while i0 < n {
        let end = (i0 + RES_BLOCK).min(n);
        let (gb, ob) = (&g[i0..end], &old[i0..end]);
        if block_max_change(gb, ob) > residual {
            for (&new, &old) in gb.iter().zip(ob) {
                if (new - old).abs() > residual {
                    residual = (new.tanh() - old.tanh()).abs().max(residual);
                }
            }
        }
        i0 = end;
    }
    residual
}
