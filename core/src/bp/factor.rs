//! Factor-node updates of the perceptron constraint 1[Σ_j ξ_j w_j ≥ T] (ALGORITHMS §b.3–b.4).
//!
//! Both updates read the packed pattern row directly: the cavity mean Σ_j ξ_j m_j is the plain sum of
//! the cavity magnetizations minus twice their sum over the set bits of the row (bit 1 ⇔ ξ = −1),
//! iterated with `trailing_zeros`; the per-edge sign is a bit select. No unpacked ±1 matrix exists.
//!
//! * [`gaussian_update`]: central-limit update, O(N) per factor, with θ = T_par − 1 (continuity
//!   correction). Accuracy: that of [`crate::special::log_h`] (≤ 1e-12 relative in f64).
//! * [`exact_update`]: exact update by a suffix tail table and a running prefix distribution of the
//!   number of +1's among the x_j = ξ_j w_j, in the log domain (no underflow for polarized messages),
//!   O(N²) per factor.

use crate::real::Real;
use crate::special::log_h;

/// Variances below this are treated as a deterministic cavity sum (§b.4).
const TINY_VAR: f64 = 1e-300;

/// ξ_i as ±1 from the packed row.
#[inline(always)]
fn xi_of(row: &[u64], i: usize) -> bool {
    (row[i / 64] >> (i % 64)) & 1 == 1
}

/// e^x for x ≤ 0 in f64, branch-free so loops over it vectorize: round-to-nearest range reduction
/// x = k ln 2 + r (|r| ≤ ½ ln 2, Cody–Waite split of ln 2), degree-12 Taylor polynomial for e^r
/// (truncation ≤ 2e-16 relative; Estrin's scheme for its terms above r², which shortens the
/// dependency chain), scaling by 2^k through the exponent bits. Inputs below −708 return
/// e^−708 ≈ 3e-308 instead of a subnormal or 0. Relative error ≤ 4e-16 on [−708, 0].
#[inline(always)]
pub(crate) fn exp_nonpos_f64(x: f64) -> f64 {
    const LOG2E: f64 = core::f64::consts::LOG2_E;
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5·2⁵²: adding it rounds to an integer
    let x = if x < -708.0 { -708.0 } else { x };
    let t = x * LOG2E + MAGIC;
    let kf = t - MAGIC;
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    // High part 1/6 + r/24 + … + r⁹/12! by Estrin's scheme (short independent chains; its rounding
    // is damped by r³ ≤ 0.042), then the last three Horner steps in the same order as before.
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let q0 = 1.0 / 6.0 + r * (1.0 / 24.0);
    let q1 = 1.0 / 120.0 + r * (1.0 / 720.0);
    let q2 = 1.0 / 5_040.0 + r * (1.0 / 40_320.0);
    let q3 = 1.0 / 362_880.0 + r * (1.0 / 3_628_800.0);
    let q4 = 1.0 / 39_916_800.0 + r * (1.0 / 479_001_600.0);
    let hi = (q0 + q1 * r2) + (q2 + q3 * r2) * r4 + q4 * r8;
    let mut p = hi * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    let k = t.to_bits().wrapping_sub(MAGIC.to_bits());
    p * f64::from_bits(k.wrapping_add(1023) << 52)
}

/// e^x for x ≤ 0: the vectorizable [`exp_nonpos_f64`] for f64, `libm` otherwise (f32 on firmware).
#[inline(always)]
fn exp_nonpos<T: Real>(x: T) -> T {
    if T::EPSILON.to_f64() < 1e-10 {
        T::from_f64(exp_nonpos_f64(x.to_f64()))
    } else {
        x.exp()
    }
}

/// (tanh c, 1 − tanh² c) without cancellation: with e = exp(−2|c|), tanh|c| = (1−e)/(1+e) and
/// 1 − tanh² = 4e/(1+e)².
#[inline(always)]
pub(crate) fn tanh_var<T: Real>(c: T) -> (T, T) {
    let a = c.abs();
    let e = exp_nonpos(-(a + a));
    let inv = T::ONE / (T::ONE + e);
    let m = (T::ONE - e) * inv;
    let v = T::from_f64(4.0) * e * inv * inv;
    (if c < T::ZERO { -m } else { m }, v)
}

/// Σ_i ξ_i m_i for a packed row: Σ m − 2 Σ_{set bits} m.
#[inline]
pub(crate) fn signed_sum<T: Real>(row: &[u64], ms: &[T], total: T) -> T {
    // Two accumulators, alternating over the set bits, halve the serial addition chain.
    let mut neg = [T::ZERO; 2];
    for (k, &word) in row.iter().enumerate() {
        let mut w = word;
        while w != 0 {
            neg[0] += ms[k * 64 + w.trailing_zeros() as usize];
            w &= w - 1;
            if w == 0 {
                break;
            }
            neg[1] += ms[k * 64 + w.trailing_zeros() as usize];
            w &= w - 1;
        }
    }
    let neg = neg[0] + neg[1];
    total - (neg + neg)
}

/// Clamp |x| ≤ g_max.
#[inline(always)]
pub(crate) fn clamp<T: Real>(x: T, g_max: T) -> T {
    if x > g_max {
        g_max
    } else if x < -g_max {
        -g_max
    } else {
        x
    }
}

/// Applies damping, writes the new field, updates the total, and returns |Δ tanh|, evaluated only
/// when it can exceed `residual` (|Δ tanh| ≤ |Δg|).
#[inline(always)]
fn commit<T: Real>(g: &mut T, h: &mut T, cavity: T, new: T, damping: T, residual: T) -> T {
    let old = *g;
    let new = if damping > T::ZERO {
        (T::ONE - damping) * new + damping * old
    } else {
        new
    };
    *g = new;
    *h = cavity + new;
    let dg = (new - old).abs();
    if dg > residual {
        (new.tanh() - old.tanh()).abs().max(residual)
    } else {
        residual
    }
}

/// Cavity magnetizations and variances of one factor into `ms`, `vs`; returns (Σ m, Σ v).
#[inline]
fn cavity_moments<T: Real>(g: &[T], h: &[T], ms: &mut [T], vs: &mut [T]) -> (T, T) {
    let n = g.len();
    let (g, h, ms, vs) = (&g[..n], &h[..n], &mut ms[..n], &mut vs[..n]);
    for i in 0..n {
        let (mi, vi) = tanh_var(h[i] - g[i]);
        ms[i] = mi;
        vs[i] = vi;
    }
    (sum4(ms), sum4(vs))
}

/// Σ x with four interleaved accumulators (x₀ + x₄ + …, x₁ + x₅ + …, …), so the additions do
/// not form one serial dependency chain.
#[inline(always)]
fn sum4<T: Real>(x: &[T]) -> T {
    let mut acc = [T::ZERO; 4];
    let mut chunks = x.chunks_exact(4);
    for c in &mut chunks {
        for l in 0..4 {
            acc[l] += c[l];
        }
    }
    for (a, &r) in acc.iter_mut().zip(chunks.remainder()) {
        *a += r;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Number of Chebyshev nodes of the per-factor interpolant of the Gaussian update.
pub const CHEB_K: usize = 16;

/// Fills the Chebyshev table used by [`gaussian_update`]: `table[k] = x_k = cos(π(k+½)/K)` for
/// k < K, then `table[K + j·K + k] = T_j(x_k)`. Length `CHEB_K·(CHEB_K + 1)`.
pub fn fill_cheb_table<T: Real>(table: &mut [T]) {
    let k = CHEB_K;
    for i in 0..k {
        let x = T::from_f64(libm::cos(
            core::f64::consts::PI * (i as f64 + 0.5) / k as f64,
        ));
        table[i] = x;
        let mut t0 = T::ONE;
        let mut t1 = x;
        for j in 0..k {
            table[k + j * k + i] = t0;
            let t2 = T::TWO * x * t1 - t0;
            t0 = t1;
            t1 = t2;
        }
    }
}

/// The Gaussian update of one edge as a function of m̃ = ξ_i m_{i→μ} (times ξ_i gives g_{μ→i}):
/// F(m̃) = ½[ln H((b + m̃ − 1)/s) − ln H((b + m̃ + 1)/s)], s² = σ² − (1 − m̃²), b = θ − μ_μ.
#[inline]
fn edge_fn<T: Real>(base: T, var: T, mt: T) -> (T, T) {
    let s2 = var - (T::ONE - mt * mt);
    let inv = T::ONE / s2.sqrt();
    let a = log_h((base + mt - T::ONE) * inv);
    let b = log_h((base + mt + T::ONE) * inv);
    (T::HALF * (a - b), a.abs().max(b.abs()))
}

/// Clenshaw evaluation of g = ξ F(ξ m) on one block of up to `L` edges (`ms.len()` ≤ L): the L
/// recurrences run side by side so they overlap (and vectorize). `bits`: the block's pattern bits
/// from bit 0 (1 ⇔ ξ = −1); `c[..deg]`: Chebyshev coefficients; the fields go to `out`.
#[inline(always)]
fn cheb_block<T: Real, const L: usize>(
    bits: u64,
    ms: &[T],
    out: &mut [T],
    c: &[T; CHEB_K],
    deg: usize,
) {
    let len = ms.len().min(out.len()).min(L);
    let mut xs = [T::ZERO; L];
    let mut sg = [T::ZERO; L];
    for l in 0..len {
        let neg = (bits >> l) & 1 == 1;
        let m = ms[l];
        sg[l] = if neg { -T::ONE } else { T::ONE };
        xs[l] = if neg { -m } else { m };
    }
    let mut x2 = [T::ZERO; L];
    for l in 0..L {
        x2[l] = xs[l] + xs[l];
    }
    let mut b1 = [T::ZERO; L];
    let mut b2 = [T::ZERO; L];
    for &cj in c[1..deg.min(CHEB_K)].iter().rev() {
        for l in 0..L {
            let b0 = x2[l] * b1[l] - b2[l] + cj;
            b2[l] = b1[l];
            b1[l] = b0;
        }
    }
    for l in 0..len {
        out[l] = sg[l] * (xs[l] * b1[l] - b2[l] + c[0]);
    }
}

/// Gaussian (central-limit) update of factor μ (§b.4):
/// g_{μ→i} = ½[ln H((θ − μ\i − ξ_i)/σ\i) − ln H((θ − μ\i + ξ_i)/σ\i)], θ = T_par − 1.
///
/// Since μ\i = μ − ξ_i m_i and σ²\i = σ² − (1 − m_i²), g_{μ→i} = ξ_i F_μ(ξ_i m_i) for one smooth
/// function F_μ on [−1, 1] per factor. When σ² ≥ 2 and N > 4K, F_μ is evaluated exactly at K = 16
/// Chebyshev nodes and every edge uses the interpolant, provided its last two coefficients are below
/// 256 ε·max|ln H| (the rounding level of the direct formula); F_μ is analytic in a Bernstein ellipse
/// of size ≈ 2σ, so this holds except for strongly polarized factors, which take the direct formula.
///
/// `row`: packed pattern ξ^μ; `g`: its N fields (updated); `h`: the N totals (updated);
/// `scratch`: 2N reals then the table of [`fill_cheb_table`]. Returns the largest |Δ tanh g|.
pub fn gaussian_update<T: Real>(
    row: &[u64],
    g: &mut [T],
    h: &mut [T],
    scratch: &mut [T],
    theta: i32,
    damping: T,
    g_max: T,
) -> T {
    let n = g.len();
    let (ms, rest) = scratch.split_at_mut(n);
    let (vs, table) = rest.split_at_mut(n);
    let (sm, sv) = cavity_moments(g, h, ms, vs);
    let mean = signed_sum(row, ms, sm);
    let theta = T::from_i32(theta);
    let base = theta - mean;
    let mut residual = T::ZERO;
    if n > 4 * CHEB_K && sv >= T::TWO && table.len() >= CHEB_K * (CHEB_K + 1) {
        let (nodes, tj) = table.split_at(CHEB_K);
        let mut f = [T::ZERO; CHEB_K];
        let mut scale = T::ONE;
        for (fk, &x) in f.iter_mut().zip(nodes) {
            let (v, s) = edge_fn(base, sv, x);
            *fk = v;
            scale = scale.max(s);
        }
        let mut c = [T::ZERO; CHEB_K];
        let norm = T::TWO / T::from_usize(CHEB_K);
        for (j, cj) in c.iter_mut().enumerate() {
            let tjk = &tj[j * CHEB_K..(j + 1) * CHEB_K];
            let mut acc = T::ZERO;
            for (&fk, &t) in f.iter().zip(tjk) {
                acc += fk * t;
            }
            *cj = acc * norm;
        }
        c[0] *= T::HALF;
        let tail = c[CHEB_K - 1].abs() + c[CHEB_K - 2].abs();
        let tol = T::from_f64(256.0) * T::EPSILON * scale;
        if tail.is_finite() && tail <= tol {
            // Drop the negligible top coefficients (their sum stays below tol).
            let mut deg = CHEB_K;
            let mut dropped = T::ZERO;
            while deg > 2 && dropped + c[deg - 1].abs() <= tol {
                dropped += c[deg - 1].abs();
                deg -= 1;
            }
            // Pass 1: new fields into `vs`, Clenshaw on LANES independent edges at a time so the
            // recurrences overlap (and vectorize).
            const LANES: usize = 8;
            const _: () = assert!(64 % LANES == 0);
            // Full blocks take the fixed-width path (unrolled, vectorized), then the tail.
            let full = n - n % LANES;
            for i0 in (0..full).step_by(LANES) {
                let bits = row[i0 / 64] >> (i0 % 64);
                cheb_block::<T, LANES>(bits, &ms[i0..i0 + LANES], &mut vs[i0..i0 + LANES], &c, deg);
            }
            if full < n {
                let bits = row[full / 64] >> (full % 64);
                cheb_block::<T, LANES>(bits, &ms[full..n], &mut vs[full..n], &c, deg);
            }
            // Pass 2: clamp, damp, totals, branch-free so it vectorizes; the old fields go to `ms`
            // (no longer needed). Same arithmetic as `commit`.
            let (g, h, ms, vs) = (&mut g[..n], &mut h[..n], &mut ms[..n], &vs[..n]);
            if damping > T::ZERO {
                let keep = T::ONE - damping;
                for i in 0..n {
                    let old = g[i];
                    let new = keep * clamp(vs[i], g_max) + damping * old;
                    h[i] = (h[i] - old) + new;
                    g[i] = new;
                    ms[i] = old;
                }
            } else {
                for i in 0..n {
                    let old = g[i];
                    let new = clamp(vs[i], g_max);
                    h[i] = (h[i] - old) + new;
                    g[i] = new;
                    ms[i] = old;
                }
            }
            // Pass 3: the residual max |Δ tanh|, tanh evaluated only when it can grow
            // (|Δ tanh| ≤ |Δg|).
            for (&new, &old) in g.iter().zip(ms.iter()) {
                if (new - old).abs() > residual {
                    residual = (new.tanh() - old.tanh()).abs().max(residual);
                }
            }
            return residual;
        }
    }
    let tiny = T::from_f64(TINY_VAR);
    for i in 0..n {
        let xi = if xi_of(row, i) { -T::ONE } else { T::ONE };
        let mc = mean - xi * ms[i];
        let var = sv - vs[i];
        let cavity = h[i] - g[i];
        let new = if var <= tiny {
            // Deterministic cavity sum: p± = 1[mc ± ξ > θ].
            let pp = mc + xi > theta;
            let pm = mc - xi > theta;
            match (pp, pm) {
                (true, false) => g_max,
                (false, true) => -g_max,
                _ => T::ZERO,
            }
        } else {
            let inv = T::ONE / var.sqrt();
            let base = theta - mc;
            let a = log_h((base - xi) * inv);
            let b = log_h((base + xi) * inv);
            if a == T::NEG_INFINITY && b == T::NEG_INFINITY {
                T::ZERO
            } else {
                clamp(T::HALF * (a - b), g_max)
            }
        };
        residual = commit(&mut g[i], &mut h[i], cavity, new, damping, residual);
    }
    residual
}

/// ln Z_μ of the Gaussian factor: ln H((θ − μ_μ)/σ_μ) with the full cavity mean and variance
/// (−∞ for a violated deterministic sum). `scratch`: ≥ 2N reals.
pub fn gaussian_log_z<T: Real>(row: &[u64], g: &[T], h: &[T], scratch: &mut [T], theta: i32) -> T {
    let n = g.len();
    let (ms, rest) = scratch.split_at_mut(n);
    let vs = &mut rest[..n];
    let (sm, sv) = cavity_moments(g, h, ms, vs);
    let mean = signed_sum(row, ms, sm);
    let theta = T::from_i32(theta);
    if sv <= T::from_f64(TINY_VAR) {
        return if mean > theta {
            T::ZERO
        } else {
            T::NEG_INFINITY
        };
    }
    log_h((theta - mean) / sv.sqrt())
}

/// ln(eᵃ + eᵇ), exact at −∞.
#[inline(always)]
fn log_add<T: Real>(a: T, b: T) -> T {
    if a == T::NEG_INFINITY {
        return b;
    }
    if b == T::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// −ln(1 + eˣ) = ln σ(−x), stable.
#[inline(always)]
fn neg_softplus<T: Real>(x: T) -> T {
    if x > T::ZERO {
        -(x + (-x).exp().ln_1p())
    } else {
        -(x.exp().ln_1p())
    }
}

/// ⌈a/2⌉ for any sign.
#[inline(always)]
fn ceil_half(a: i64) -> i64 {
    -((-a).div_euclid(2))
}

/// Builds ln P(x_j = ±1) into `lp`, `lm` and the suffix tail table
/// `rt[k·(N+2) + c] = ln Pr[#{j ≥ k : x_j = +1} ≥ c]`, c = 0..=N+1.
fn suffix_table<T: Real>(row: &[u64], g: &[T], h: &[T], lp: &mut [T], lm: &mut [T], rt: &mut [T]) {
    let n = g.len();
    let w = n + 2;
    for j in 0..n {
        let c = h[j] - g[j];
        let a = if xi_of(row, j) { -c } else { c };
        // P(x_j = +1) = σ(2 ξ_j h_j).
        lp[j] = neg_softplus(-(a + a));
        lm[j] = neg_softplus(a + a);
    }
    let last = &mut rt[n * w..(n + 1) * w];
    last.fill(T::NEG_INFINITY);
    last[0] = T::ZERO;
    for k in (0..n).rev() {
        let (head, tail) = rt.split_at_mut((k + 1) * w);
        let next = &tail[..w];
        let cur = &mut head[k * w..];
        cur[0] = T::ZERO;
        for c in 1..w {
            let take = lp[k] + next[c - 1];
            cur[c] = log_add(take, lm[k] + next[c]);
        }
    }
}

/// ln Pr[#{j ≥ k : x_j = +1} ≥ c] from the suffix table, for any integer c.
#[inline(always)]
fn tail<T: Real>(rt: &[T], n: usize, k: usize, c: i64) -> T {
    if c <= 0 {
        T::ZERO
    } else if c as usize > n - k {
        T::NEG_INFINITY
    } else {
        rt[k * (n + 2) + c as usize]
    }
}

/// The five scratch arrays of the exact update: ln P(x=+1), ln P(x=−1), suffix table, two prefixes.
type ExactScratch<'s, T> = (
    &'s mut [T],
    &'s mut [T],
    &'s mut [T],
    &'s mut [T],
    &'s mut [T],
);

fn split_exact<T>(scratch: &mut [T], n: usize) -> ExactScratch<'_, T> {
    let (lp, rest) = scratch.split_at_mut(n);
    let (lm, rest) = rest.split_at_mut(n);
    let (rt, rest) = rest.split_at_mut((n + 1) * (n + 2));
    let (l0, rest) = rest.split_at_mut(n + 1);
    let l1 = &mut rest[..n + 1];
    (lp, lm, rt, l0, l1)
}

/// Exact update of factor μ (§b.3): p± = Pr[S_{μ\i} ± ξ_i ≥ T], g = ½(ln p₊ − ln p₋) (0 if both
/// vanish, a contradiction), clamped. `scratch`: ≥ 2N + (N+1)(N+2) + 2(N+1) reals.
/// Returns the largest |Δ tanh g|.
pub fn exact_update<T: Real>(
    row: &[u64],
    g: &mut [T],
    h: &mut [T],
    scratch: &mut [T],
    t: i32,
    damping: T,
    g_max: T,
) -> T {
    let n = g.len();
    let (lp, lm, rt, mut prev, mut next) = split_exact(scratch, n);
    suffix_table(row, g, h, lp, lm, rt);
    // prev[a] = ln Pr[#{j < i : x_j = +1} = a], a = 0..=i.
    prev.fill(T::NEG_INFINITY);
    prev[0] = T::ZERO;
    let base = i64::from(t) + n as i64 - 1;
    let mut residual = T::ZERO;
    for i in 0..n {
        let xi: i64 = if xi_of(row, i) { -1 } else { 1 };
        let need_p = ceil_half(base - xi);
        let need_m = ceil_half(base + xi);
        let mut lpp = T::NEG_INFINITY;
        let mut lpm = T::NEG_INFINITY;
        for (a, &la) in prev[..=i].iter().enumerate() {
            if la == T::NEG_INFINITY {
                continue;
            }
            lpp = log_add(lpp, la + tail(rt, n, i + 1, need_p - a as i64));
            lpm = log_add(lpm, la + tail(rt, n, i + 1, need_m - a as i64));
        }
        let cavity = h[i] - g[i];
        let new = if lpp == T::NEG_INFINITY && lpm == T::NEG_INFINITY {
            T::ZERO
        } else {
            clamp(T::HALF * (lpp - lpm), g_max)
        };
        // Extend the prefix with x_i (from the incoming cavity field, before the update).
        next[0] = prev[0] + lm[i];
        for a in 1..=i + 1 {
            let take = prev[a - 1] + lp[i];
            let skip = if a <= i {
                prev[a] + lm[i]
            } else {
                T::NEG_INFINITY
            };
            next[a] = log_add(take, skip);
        }
        core::mem::swap(&mut prev, &mut next);
        residual = commit(&mut g[i], &mut h[i], cavity, new, damping, residual);
    }
    residual
}

/// ln Z_μ of the exact factor: ln Pr_cavity[S_μ ≥ T]. `scratch` as for [`exact_update`].
pub fn exact_log_z<T: Real>(row: &[u64], g: &[T], h: &[T], scratch: &mut [T], t: i32) -> T {
    let n = g.len();
    let (lp, lm, rt, _, _) = split_exact(scratch, n);
    suffix_table(row, g, h, lp, lm, rt);
    tail(rt, n, 0, ceil_half(i64::from(t) + n as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast exponential against libm over the whole range it serves.
    #[test]
    fn fast_exp_matches_libm() {
        let mut worst = 0.0f64;
        for k in 0..=200_000 {
            let x = -708.0 * f64::from(k) / 200_000.0;
            let (a, b) = (exp_nonpos_f64(x), libm::exp(x));
            worst = worst.max(((a - b) / b).abs());
        }
        for x in [0.0, -1e-300, -1e-10, -0.5, -0.34657359027997264] {
            let (a, b) = (exp_nonpos_f64(x), libm::exp(x));
            worst = worst.max(((a - b) / b).abs());
        }
        assert!(worst < 4e-16, "worst relative error {worst:e}");
    }
}
