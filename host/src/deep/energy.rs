//! Local energy of a deep binary network (DEEP §g.6): `δE(p) = E_train(W ⊕ noise_p) − E_train(W)` as a
//! fraction of P, every weight of every layer flipped independently with probability p, R seeded noise
//! realisations per p, mean and standard error. Each perturbed network is evaluated exactly on the
//! packed data; realisations run in parallel on the current rayon pool, each with its own stream
//! (`derive_seed(seed, j·R + r)`), so results do not depend on the thread count.

use crate::deep::net::{count_errors, BinaryNet, PackedData};
use crate::error::{Error, Result};
use flatmin_core::rng::{derive_seed, rng_from_seed, uniform};
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
    let e0 = count_errors(&base, data)? as i64;
    let sizes: Vec<usize> = net.weights.iter().map(Vec::len).collect();
    let jobs: Vec<(usize, usize)> = (0..ps.len())
        .flat_map(|j| (0..samples).map(move |r| (j, r)))
        .collect();
    let deltas = jobs
        .par_iter()
        .map(|&(j, r)| {
            let p = ps[j];
            let mut w = base.clone();
            let mut rng = rng_from_seed(derive_seed(seed, (j * samples + r) as u64));
            if p > 0.0 {
                for (l, &len) in sizes.iter().enumerate() {
                    if p >= 1.0 {
                        (0..len).for_each(|i| w.flip(l, i));
                        continue;
                    }
                    // Geometric skips between flips: gap = floor(ln U / ln(1 − p)).
                    let ln_q = (-p).ln_1p();
                    let mut i = 0usize;
                    loop {
                        let u = 1.0 - uniform(&mut rng); // (0, 1]
                        let gap = (u.ln() / ln_q).floor();
                        if gap >= (len - i) as f64 {
                            break;
                        }
                        i += gap as usize;
                        w.flip(l, i);
                        i += 1;
                        if i >= len {
                            break;
                        }
                    }
                }
            }
            let e = count_errors(&w, data)? as i64;
            on_done();
            Ok((e - e0) as f64 / data.len() as f64)
        })
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
