//! Local energy of a deep binary network (DEEP §g.6): `δE(p) = E_train(W ⊕ noise_p) − E_train(W)` as a
//! fraction of P, every weight of every layer flipped independently with probability p, R seeded noise
//! realisations per p, mean and standard error. Each perturbed network is evaluated exactly on the
//! packed data; realisations run in parallel on the current rayon pool, each with its own stream
//! (`derive_seed(seed, j·R + r)`), so results do not depend on the thread count.

use crate::deep::net::{count_errors, BinaryNet, PackedData, PackedNet};
use crate::error::{Error, Result};
use flatmin_core::bits::{words_for, Patterns, WORD_BITS};
use flatmin_core::network::{Column, FirstLayerCache, InputColumns, RowFlips, MAX_BATCH};
use flatmin_core::rng::{derive_seed, rng_from_seed, uniform, Rng};
use flatmin_core::special::ln_pos_f64_slice;
use rayon::prelude::*;

/// One point of the profile.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EnergyPoint {
    /// Flip probability.
    pub p: f64,
    /// Mean δE / P over the realisations.
    pub mean: f64,
    /// Standard error of the mean (sample standard deviation / √R; 0 when R = 1).
    pub stderr: f64,
}

/// Largest accepted number of realisations per point.
pub const MAX_SAMPLES: usize = 100_000;
/// Largest accepted number of grid points.
pub const MAX_POINTS: usize = 10_000;

/// The local-energy profile of `net` on `data` at the flip probabilities `ps`, `samples` realisations
/// each. `on_done` is called once per finished realisation (for progress).
pub fn local_energy(
    net: &BinaryNet,
    data: &PackedData,
    ps: &[f64],
    samples: usize,
    seed: u64,
    on_done: impl Fn() + Sync,
) -> Result<Vec<EnergyPoint>> {
    if samples == 0 || samples > MAX_SAMPLES {
        return Err(Error::Input(format!(
            "--samples {samples} out of range 1..={MAX_SAMPLES}"
        )));
    }
    if ps.is_empty() || ps.len() > MAX_POINTS {
        return Err(Error::Input(format!(
            "{} flip probabilities (1..={MAX_POINTS})",
            ps.len()
        )));
    }
    if let Some(p) = ps.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(Error::Input(format!("flip probability {p} outside [0, 1]")));
    }
    if data.is_empty() {
        return Err(Error::Input(
            "no training examples (--p must be ≥ 1)".into(),
        ));
    }
    let base = net.pack();
    // The unperturbed count through the plain packed evaluation (also checks that network and data
    // fit together); every perturbed network through the incremental first layer.
    let e0 = count_errors(&base, data)? as i64;
    let pats = base.patterns()?;
    let (n0, n1, p_all) = (net.arch[0], net.arch[1], data.len());
    let pixels = data.pixels();
    let mut xs = vec![Column::default(); InputColumns::len_for(n0, p_all)];
    let x = InputColumns::pack(&pixels, n0, &mut xs)?;
    drop(pixels);
    let mut hs = vec![0i32; FirstLayerCache::h_len(n1, p_all)];
    let cache = FirstLayerCache::new(pats[0], x, &mut hs)?;
    let upper_arch = &net.arch[1..];
    let sizes: Vec<usize> = net.weights.iter().map(Vec::len).collect();
    let jobs: Vec<(usize, usize)> = (0..ps.len())
        .flat_map(|j| (0..samples).map(move |r| (j, r)))
        .collect();
    const _: () = assert!(BATCH <= MAX_BATCH);
    let batch = BATCH;
    let deltas = jobs
        .par_chunks(batch)
        .map_init(
            || Scratch::new(&cache, &base, &pats[1..], batch),
            |s, chunk| {
                let Scratch {
                    nets,
                    ints,
                    bits,
                    out,
                } = s;
                for (n, &(j, r)) in nets.iter_mut().zip(chunk) {
                    let p = ps[j];
                    let mut rng = rng_from_seed(derive_seed(seed, (j * samples + r) as u64));
                    for (w, b) in n.upper.iter_mut().zip(&base.words[1..]) {
                        w.copy_from_slice(b);
                    }
                    n.flips.clear();
                    if p > 0.0 {
                        let mut gaps = Gaps::new(p);
                        let flips = &mut n.flips;
                        for_each_flip(sizes[0], p, &mut gaps, &mut rng, |i| flips.push(i as u32));
                        for (l, w) in n.upper.iter_mut().enumerate() {
                            let cols = upper_arch[l];
                            let wpr = words_for(cols);
                            // (row, column) of the previous flip, advanced without a division per
                            // flip.
                            let (mut last, mut row, mut c) = (0usize, 0usize, 0usize);
                            for_each_flip(sizes[l + 1], p, &mut gaps, &mut rng, |i| {
                                c += i - last;
                                last = i;
                                if c >= cols {
                                    row += c / cols;
                                    c %= cols;
                                }
                                w[row * wpr + c / WORD_BITS] ^= 1u64 << (c % WORD_BITS);
                            });
                        }
                    }
                    if n.cols.len() < n.flips.len() {
                        n.cols.resize(n.flips.len(), 0);
                    }
                }
                let mut rfs = Vec::with_capacity(chunk.len());
                let mut uppers = Vec::with_capacity(chunk.len());
                for n in nets.iter_mut().take(chunk.len()) {
                    let NetScratch {
                        upper,
                        flips,
                        off,
                        cols,
                        neg,
                    } = n;
                    rfs.push(RowFlips::build(&pats[0], flips, off, cols, neg)?);
                    uppers.push(
                        upper_arch
                            .windows(2)
                            .zip(upper.iter())
                            .map(|(a, w)| Patterns::new(a[0], a[1], w))
                            .collect::<std::result::Result<Vec<_>, _>>()?,
                    );
                }
                let ups: Vec<&[Patterns<'_>]> = uppers.iter().map(Vec::as_slice).collect();
                let mut errors = vec![0u32; chunk.len()];
                cache.count_errors_many(&rfs, &ups, &data.labels, ints, bits, out, &mut errors)?;
                Ok(errors
                    .into_iter()
                    .map(|e| {
                        on_done();
                        (i64::from(e) - e0) as f64 / p_all as f64
                    })
                    .collect::<Vec<f64>>())
            },
        )
        .collect::<Result<Vec<Vec<f64>>>>()?
        .concat();
    Ok(ps
        .iter()
        .enumerate()
        .map(|(j, &p)| {
            let d = &deltas[j * samples..(j + 1) * samples];
            let mean = d.iter().sum::<f64>() / samples as f64;
            let stderr = if samples > 1 {
                let var = d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (samples - 1) as f64;
                (var / samples as f64).sqrt()
            } else {
                0.0
            };
            EnergyPoint { p, mean, stderr }
        })
        .collect())
}

/// Calls `flip(i)` for every index `i < len` flipped with probability `p`, in increasing order:
/// every index for p ≥ 1, otherwise geometric skips between flips (gap = ⌊ln U / ln(1 − p)⌋,
/// U uniform in (0, 1]), one draw per flip plus one that ends the layer, taken from `gaps` (the
/// layers of one network share the stream). No draws for p ≤ 0 or p ≥ 1.
#[inline]
fn for_each_flip(len: usize, p: f64, gaps: &mut Gaps, rng: &mut Rng, mut flip: impl FnMut(usize)) {
    if p <= 0.0 || len == 0 {
        return;
    }
    if p >= 1.0 {
        (0..len).for_each(flip);
        return;
    }
    // Remaining indices as f64 (exact: a layer is far below 2⁵³ weights).
    let len_f = len as f64;
    let mut i = 0usize;
    loop {
        // x ≥ 0 (or −0) with ⌊x⌋ = the gap ([`Gaps::next`]). For the integer m = len − i,
        // ⌊x⌋ ≥ m ⇔ x ≥ m, so x is compared directly and truncated only when it is below m, where
        // `as usize` is exact.
        let x = gaps.next(rng);
        if x >= len_f - i as f64 {
            break;
        }
        i += x as usize;
        flip(i);
        i += 1;
        if i >= len {
            break;
        }
    }
}

/// Uniforms drawn ahead per batch of the geometric skips.
const GAP_BATCH: usize = 256;

/// The skips `x = ln U / ln(1 − p)` of one noise stream (U = 1 − uniform, in (0, 1]), a batch at
/// a time: the logarithms of [`GAP_BATCH`] uniforms by the vectorized, platform-independent
/// [`ln_pos_f64_slice`], each then divided by ln(1 − p) exactly as the scalar path divides.
///
/// Only ⌊x⌋ matters ([`for_each_flip`]), and it is the one of the library's `u.ln() / ln_q`: both
/// logarithms are within about one ulp of ln U (≤ 2 ulp apart) and the two quotients round the
/// same divisor, so the two x differ by at most ≈ 2⁻⁴⁹ x. Wherever the batch's x lies within
/// 2⁻³⁶ x (8192 times that) of an integer ≥ 1, or is not below 2⁵⁰, the scalar path recomputes
/// it (a few per million draws); elsewhere both x have the same integer part. The flips are
/// therefore the ones of one library `ln` per draw (tested against it); drawing a batch ahead
/// only consumes more of the realisation's own stream after its last flip.
struct Gaps {
    ln_q: f64,
    u: [f64; GAP_BATCH],
    /// x, or −1 where the scalar path decides.
    x: [f64; GAP_BATCH],
    next: usize,
}

impl Gaps {
    /// An empty batch for flip probability 0 < p < 1.
    fn new(p: f64) -> Self {
        Gaps {
            ln_q: (-p).ln_1p(),
            u: [0.0; GAP_BATCH],
            x: [0.0; GAP_BATCH],
            next: GAP_BATCH,
        }
    }

    /// The next skip x (≥ 0 or −0) of the stream.
    #[inline(always)]
    fn next(&mut self, rng: &mut Rng) -> f64 {
        if self.next == GAP_BATCH {
            for u in &mut self.u {
                *u = 1.0 - uniform(rng);
            }
            self.fill();
            self.next = 0;
        }
        let k = self.next;
        self.next += 1;
        let x = self.x[k];
        if x < 0.0 {
            self.u[k].ln() / self.ln_q
        } else {
            x
        }
    }

    /// The batch's x from its uniforms `u`.
    #[inline(never)]
    fn fill(&mut self) {
        /// 1.5 · 2⁵²: (v + R) − R rounds 0 ≤ v < 2⁵¹ to the nearest integer.
        const ROUND: f64 = 6_755_399_441_055_744.0;
        const LIMIT: f64 = (1u64 << 50) as f64;
        const TOL: f64 = 1.0 / (1u64 << 36) as f64;
        self.x = self.u;
        ln_pos_f64_slice(&mut self.x);
        let ln_q = self.ln_q;
        for x in &mut self.x {
            let v = *x / ln_q;
            let k = (v + ROUND) - ROUND;
            // u ∈ [2⁻⁵³, 1] and ln q finite and negative (0 < p < 1), so v is finite and ≥ 0.
            let near = v >= LIMIT || (k >= 1.0 && (v - k).abs() <= v * TOL);
            *x = if near { -1.0 } else { v };
        }
    }
}

/// Perturbed networks evaluated together ([`FirstLayerCache::count_errors_many`]): the cached
/// pre-activations and input columns of each example block are read once for all of them.
/// Measured on 784-501-501-1, P = 6000, p = 0.1 (CPU ms per network, medians of 5, load 6–7): 1 →
/// 6.1, 2 → 5.6, 4 → 5.4, 6 → 5.7, 8 → 5.6, 16 → 5.5 with `u32` column lists; 3 → 5.6, 4 → 5.5,
/// 6 → 5.8, 8 → 5.6 with the `u16` ones (beyond 4 the activation buffers and flip lists of the
/// batch crowd the 1 MB L2 cache).
const BATCH: usize = 4;

/// Per-thread buffers of one batch of perturbed evaluations.
struct Scratch {
    nets: Vec<NetScratch>,
    ints: Vec<i32>,
    bits: Vec<u64>,
    out: Vec<i32>,
}

/// The buffers of one perturbed network of a batch.
struct NetScratch {
    /// Layers 2 … L of the perturbed network (packed).
    upper: Vec<Vec<u64>>,
    /// Flipped first-layer weights (row-major indices).
    flips: Vec<u32>,
    off: Vec<u32>,
    cols: Vec<u16>,
    neg: Vec<u64>,
}

impl Scratch {
    fn new(
        cache: &FirstLayerCache<'_>,
        base: &PackedNet,
        upper: &[Patterns<'_>],
        batch: usize,
    ) -> Self {
        let rows = cache.rows();
        Scratch {
            nets: (0..batch)
                .map(|_| NetScratch {
                    upper: base.words[1..].to_vec(),
                    flips: Vec::new(),
                    off: vec![0; RowFlips::offsets_len(rows)],
                    cols: Vec::new(),
                    neg: vec![0; RowFlips::negate_len(rows)],
                })
                .collect(),
            ints: vec![0; cache.int_scratch_len(upper)],
            bits: vec![0; cache.bit_scratch_len_many(upper, batch)],
            out: vec![0; cache.p()],
        }
    }
}

/// Parses a grid `a:b:n` (n equally spaced points from a to b inclusive; n = 1 gives a).
pub fn parse_grid(s: &str) -> Result<Vec<f64>> {
    let bad = || {
        Error::Input(format!(
            "--ps '{s}': expected a:b:n with 0 ≤ a ≤ b ≤ 1 and 1 ≤ n ≤ {MAX_POINTS}"
        ))
    };
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    let a: f64 = parts[0].trim().parse().map_err(|_| bad())?;
    let b: f64 = parts[1].trim().parse().map_err(|_| bad())?;
    let n: usize = parts[2].trim().parse().map_err(|_| bad())?;
    if !(0.0..=1.0).contains(&a) || !(a..=1.0).contains(&b) || n == 0 || n > MAX_POINTS {
        return Err(bad());
    }
    Ok(if n == 1 {
        vec![a]
    } else {
        // Rounded to 12 decimals so that 0:0.3:31 gives 0.1, not 0.09999999999999999.
        (0..n)
            .map(|i| ((a + (b - a) * i as f64 / (n - 1) as f64) * 1e12).round() / 1e12)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flips as first defined: gap = ⌊x⌋ through a float → u64 → float round trip, compared
    /// with the remaining length.
    fn reference_flips(len: usize, p: f64, rng: &mut Rng) -> Vec<usize> {
        let mut v = Vec::new();
        if p <= 0.0 || len == 0 {
            return v;
        }
        if p >= 1.0 {
            return (0..len).collect();
        }
        let ln_q = (-p).ln_1p();
        let mut i = 0usize;
        loop {
            let u = 1.0 - uniform(rng);
            let gap = ((u.ln() / ln_q) as u64) as f64;
            if gap >= (len - i) as f64 {
                break;
            }
            i += gap as usize;
            v.push(i);
            i += 1;
            if i >= len {
                break;
            }
        }
        v
    }

    /// The flips of one network's layers from one stream: the batched sampler ([`for_each_flip`]
    /// with [`Gaps`]) and the reference (one library `ln` per draw).
    fn both_samplers(lens: &[usize], p: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
        let (mut a, mut b) = (rng_from_seed(seed), rng_from_seed(seed));
        let mut got = Vec::new();
        let mut gaps = Gaps::new(p);
        for (l, &len) in lens.iter().enumerate() {
            for_each_flip(len, p, &mut gaps, &mut a, |i| got.push(l << 40 | i));
        }
        let want = lens
            .iter()
            .enumerate()
            .flat_map(|(l, &len)| {
                reference_flips(len, p, &mut b)
                    .into_iter()
                    .map(move |i| l << 40 | i)
                    .collect::<Vec<_>>()
            })
            .collect();
        (got, want)
    }

    /// The batched sampler draws exactly the flips of the reference definition, over many
    /// (p, seed), layers sharing one stream (gaps past a layer's end included), p from the
    /// ones where every skip is recomputed by the scalar path (x ≥ 2⁵⁰) to nearly 1.
    #[test]
    fn batched_flips_equal_the_reference_definition() {
        let ps = [
            1e-300, 1e-15, 1e-9, 1e-4, 1e-3, 0.004, 0.01, 0.03, 0.07, 0.1, 0.13, 0.2, 0.3, 0.45,
            0.5, 0.6, 0.8, 0.9, 0.99, 0.999_999, 1.0,
        ];
        let mut total = 0usize;
        for (k, &p) in ps.iter().enumerate() {
            for seed in 0..60u64 {
                let lens = [1 + (seed as usize * 37) % 5000, 2510, 51, 1, 7];
                let (got, want) = both_samplers(&lens, p, (k as u64) << 32 | seed);
                assert_eq!(got, want, "p={p}, seed {seed}");
                total += got.len();
            }
        }
        // The coverage the docs claim (more than 10⁶ flips), so a change of the lengths above
        // cannot quietly shrink the comparison.
        assert!(total > 1_000_000, "{total} flips compared");
        // The benchmark's network (784-501-501-1) at p = 0.1 and 0.5.
        for (p, seed) in [(0.1, 1u64), (0.1, 2), (0.5, 3)] {
            let (got, want) = both_samplers(&[392_784, 251_001, 501], p, seed);
            assert_eq!(got, want, "p={p}, seed {seed}");
        }
    }

    /// Skips within a few ulps of an integer go through the scalar path (so their integer part is
    /// the library's), all others keep the batch's value, and x ≥ 2⁵⁰ goes to the scalar path.
    #[test]
    fn near_integer_skips_take_the_scalar_path() {
        let p = 0.1;
        let mut gaps = Gaps::new(p);
        let ln_q = gaps.ln_q;
        // U = (1 − p)^k rounded, and its neighbours: x within ulps of the integer k.
        let mut us = Vec::new();
        for k in 1..=36 {
            let u = (k as f64 * ln_q).exp();
            for d in -3i64..=3 {
                us.push(f64::from_bits((u.to_bits() as i64 + d) as u64));
            }
        }
        let crafted = us.len();
        us.resize(GAP_BATCH, 0.5);
        gaps.u.copy_from_slice(&us);
        gaps.fill();
        for (j, (&x, &u)) in gaps.x.iter().zip(&gaps.u).enumerate() {
            if j < crafted {
                assert_eq!(
                    x,
                    -1.0,
                    "u = {u} (x = {}) is near an integer",
                    u.ln() / ln_q
                );
            } else {
                assert_eq!(
                    x,
                    (0.5f64).ln() / ln_q,
                    "far from an integer: the batch's value"
                );
            }
        }
        // Through `next`: the scalar value where marked.
        let mut rng = rng_from_seed(0);
        gaps.next = 0;
        for j in 0..GAP_BATCH {
            let x = gaps.next(&mut rng);
            let exact = gaps.u[j].ln() / ln_q;
            assert_eq!(x.floor(), exact.floor());
            if gaps.x[j] < 0.0 {
                assert_eq!(x.to_bits(), exact.to_bits());
            }
        }
        let mut tiny = Gaps::new(1e-16);
        tiny.u = [0.25; GAP_BATCH];
        tiny.fill();
        assert!(tiny.x.iter().all(|&x| x == -1.0));
    }
}
