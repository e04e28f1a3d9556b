//! Local energy of a deep binary network (DEEP §g.6): `δE(p) = E_train(W ⊕ noise_p) − E_train(W)` as a
//! fraction of P, every weight of every layer flipped independently with probability p, R seeded noise
//! realisations per p, mean and standard error. Each perturbed network is evaluated exactly on the
//! packed data; realisations run in parallel on the current rayon pool, each with its own stream
//! (`derive_seed(seed, j·R + r)`), so results do not depend on the thread count.

use crate::deep::net::{count_errors, BinaryNet, PackedData, PackedNet};
use crate::error::{Error, Result};
use flatmin_core::bits::{words_for, Patterns, WORD_BITS};
use flatmin_core::network::{Column, FirstLayerCache, InputColumns, RowFlips};
use flatmin_core::rng::{derive_seed, rng_from_seed, uniform, Rng};
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
    let deltas = jobs
        .par_iter()
        .map_init(
            || Scratch::new(&cache, &base, &pats[1..]),
            |s, &(j, r)| {
                let p = ps[j];
                let mut rng = rng_from_seed(derive_seed(seed, (j * samples + r) as u64));
                for (w, b) in s.upper.iter_mut().zip(&base.words[1..]) {
                    w.copy_from_slice(b);
                }
                s.flips.clear();
                if p > 0.0 {
                    let flips = &mut s.flips;
                    for_each_flip(sizes[0], p, &mut rng, |i| flips.push(i as u32));
                    for (l, w) in s.upper.iter_mut().enumerate() {
                        let cols = upper_arch[l];
                        let wpr = words_for(cols);
                        // (row, column) of the previous flip, advanced without a division per flip.
                        let (mut last, mut row, mut c) = (0usize, 0usize, 0usize);
                        for_each_flip(sizes[l + 1], p, &mut rng, |i| {
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
                if s.cols.len() < s.flips.len() {
                    s.cols.resize(s.flips.len(), 0);
                }
                let rf = RowFlips::build(&pats[0], &s.flips, &mut s.off, &mut s.cols, &mut s.neg)?;
                let upper = upper_arch
                    .windows(2)
                    .zip(&s.upper)
                    .map(|(a, w)| Patterns::new(a[0], a[1], w))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                let e = cache.count_errors(
                    &rf,
                    &upper,
                    &data.labels,
                    &mut s.ints,
                    &mut s.bits,
                    &mut s.out,
                )? as i64;
                on_done();
                Ok((e - e0) as f64 / p_all as f64)
            },
        )
        .collect::<Result<Vec<f64>>>()?;
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
/// U uniform in (0, 1]), one draw per flip plus one that ends the layer. No draws for p ≤ 0.
#[inline]
fn for_each_flip(len: usize, p: f64, rng: &mut Rng, mut flip: impl FnMut(usize)) {
    if p <= 0.0 || len == 0 {
        return;
    }
    if p >= 1.0 {
        (0..len).for_each(flip);
        return;
    }
    let ln_q = (-p).ln_1p();
    // Remaining indices as f64 (exact: a layer is far below 2⁵³ weights).
    let len_f = len as f64;
    let mut i = 0usize;
    loop {
        let u = 1.0 - uniform(rng); // (0, 1]
                                    // x = ln U / ln(1 − p) is finite and ≥ 0 (or −0); the gap is ⌊x⌋. For the integer
                                    // m = len − i, ⌊x⌋ ≥ m ⇔ x ≥ m, so x is compared directly (no float → u64 → float round
                                    // trip) and truncated only when it is below m, where `as usize` is exact: the same gaps,
                                    // the same draws as ⌊x⌋ computed first.
        let x = u.ln() / ln_q;
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

/// Per-thread buffers of one perturbed evaluation.
struct Scratch {
    /// Layers 2 … L of the perturbed network (packed).
    upper: Vec<Vec<u64>>,
    /// Flipped first-layer weights (row-major indices).
    flips: Vec<u32>,
    off: Vec<u32>,
    cols: Vec<u32>,
    neg: Vec<u64>,
    ints: Vec<i32>,
    bits: Vec<u64>,
    out: Vec<i32>,
}

impl Scratch {
    fn new(cache: &FirstLayerCache<'_>, base: &PackedNet, upper: &[Patterns<'_>]) -> Self {
        let rows = cache.rows();
        Scratch {
            upper: base.words[1..].to_vec(),
            flips: Vec::new(),
            off: vec![0; RowFlips::offsets_len(rows)],
            cols: Vec::new(),
            neg: vec![0; RowFlips::negate_len(rows)],
            ints: vec![0; cache.int_scratch_len(upper)],
            bits: vec![0; cache.bit_scratch_len(upper)],
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

    /// The comparison without the round trip draws the same flips and leaves the stream in the
    /// same state, at small and large p, short and long layers (gaps past the end included).
    #[test]
    fn flips_equal_the_reference_definition() {
        for (k, &p) in [1e-12, 1e-4, 0.01, 0.1, 0.3, 0.5, 0.9, 0.999_999, 1.0]
            .iter()
            .enumerate()
        {
            for &len in &[1usize, 2, 7, 64, 1000, 392_784] {
                let seed = (k * 10_000 + len) as u64;
                let (mut a, mut b) = (rng_from_seed(seed), rng_from_seed(seed));
                let mut got = Vec::new();
                for _ in 0..3 {
                    for_each_flip(len, p, &mut a, |i| got.push(i));
                }
                let want: Vec<usize> = (0..3)
                    .flat_map(|_| reference_flips(len, p, &mut b))
                    .collect();
                assert_eq!(got, want, "p={p}, len={len}");
                assert_eq!(
                    uniform(&mut a),
                    uniform(&mut b),
                    "stream state, p={p}, len={len}"
                );
            }
        }
    }
}
