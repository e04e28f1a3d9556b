//! Throughput of the XOR-popcount stability kernel (ALGORITHMS §a.3), behind `flatmin bench kernels`.
//!
//! The metric is the one of the criterion benchmark `benches/kernels.rs`: Gbit/s = N·P bits of the
//! pattern matrix processed per second by one call of [`stabilities_with`] on one core. The calls are
//! timed in batches of about [`BATCH_TARGET`]; the reported `gbit_per_s` uses the median batch (what a
//! criterion run reports, within noise), and `gbit_per_s_best` the fastest batch, which on a machine
//! shared with other jobs is the better estimate of the unloaded speed (a batch of a few hundred
//! microseconds often runs without being descheduled).

use crate::error::{Error, Result};
use flatmin_core::bits::kernel::{stabilities_with, Backend};
use flatmin_core::bits::{last_word_mask, words_for, Patterns, Spins};
use flatmin_core::rng::rng_from_seed;
use rand_core::RngCore;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The (N, P) sizes of the throughput targets: L2-resident, about the L2 size, beyond L2.
pub const STANDARD_SIZES: [(usize, usize); 3] = [(1001, 700), (8192, 1000), (65536, 1000)];

/// Aimed duration of one timed batch of calls.
pub const BATCH_TARGET: Duration = Duration::from_micros(300);

/// Largest pattern matrix the command agrees to allocate (bytes).
pub const MAX_PATTERN_BYTES: usize = 1 << 30;

/// One measured (backend, N, P) point.
#[derive(Clone, Debug, serde::Serialize)]
pub struct KernelThroughput {
    /// Backend name ([`Backend::name`]).
    pub backend: String,
    /// Bits per pattern N.
    pub n: usize,
    /// Number of patterns P.
    pub p: usize,
    /// N·P / (median time per call), in Gbit/s.
    pub gbit_per_s: f64,
    /// N·P / (fastest batch's time per call), in Gbit/s.
    pub gbit_per_s_best: f64,
    /// Median time per call in nanoseconds.
    pub ns_per_call: f64,
    /// Size of the pattern matrix in bytes (P·⌈N/64⌉·8): compare with the caches.
    pub pattern_bytes: usize,
    /// Number of timed batches.
    pub batches: usize,
    /// Calls per batch.
    pub calls_per_batch: usize,
}

/// Random packed words (`rows` rows of `n` bits), padding clean.
fn random_words(seed: u64, n: usize, rows: usize) -> Vec<u64> {
    let mut rng = rng_from_seed(seed);
    let nw = words_for(n);
    let mut v: Vec<u64> = (0..nw * rows).map(|_| rng.next_u64()).collect();
    for row in v.chunks_exact_mut(nw) {
        row[nw - 1] &= last_word_mask(n);
    }
    v
}

/// Validates a size: N ≥ 1, P ≥ 1, pattern matrix at most [`MAX_PATTERN_BYTES`].
pub fn check_size(n: usize, p: usize) -> Result<usize> {
    if n == 0 || p == 0 {
        return Err(Error::Input(format!(
            "N and P must be at least 1 (got N={n}, P={p})"
        )));
    }
    if n > i32::MAX as usize {
        return Err(Error::Input(format!(
            "N={n} exceeds the i32 range of a stability"
        )));
    }
    let bytes = words_for(n)
        .checked_mul(p)
        .and_then(|w| w.checked_mul(8))
        .filter(|&b| b <= MAX_PATTERN_BYTES)
        .ok_or_else(|| {
            Error::Input(format!(
                "N={n}, P={p} needs more than {} MiB of patterns",
                MAX_PATTERN_BYTES >> 20
            ))
        })?;
    Ok(bytes)
}

/// Measures every backend of `backends` at one size, for about `budget` each. Patterns and weights are
/// random from `seed` (the speed does not depend on the bits). Unavailable backends are an input error:
/// the kernel would silently run the portable code under their name.
pub fn kernel_throughput(
    backends: &[Backend],
    n: usize,
    p: usize,
    seed: u64,
    budget: Duration,
) -> Result<Vec<KernelThroughput>> {
    let pattern_bytes = check_size(n, p)?;
    if let Some(b) = backends.iter().find(|b| !b.is_available()) {
        let avail: Vec<&str> = Backend::available().map(Backend::name).collect();
        return Err(Error::Input(format!(
            "backend {b} is not available on this CPU (available: {})",
            avail.join(", ")
        )));
    }
    let w_words = random_words(seed, n, 1);
    let x_words = random_words(seed.wrapping_add(1), n, p);
    let w = Spins::new(n, &w_words)?;
    let xi = Patterns::new(n, p, &x_words)?;
    let mut out = vec![0i32; p];
    let mut results = Vec::with_capacity(backends.len());
    for &b in backends {
        // Warm up (caches, CPU detection, frequency) and size the batches.
        let t0 = Instant::now();
        let mut warm = 0usize;
        while warm < 3 || t0.elapsed() < budget / 10 {
            stabilities_with(b, black_box(&w), black_box(&xi), &mut out)?;
            black_box(&out);
            warm += 1;
        }
        let per_call = t0.elapsed().as_secs_f64() / warm as f64;
        let calls = ((BATCH_TARGET.as_secs_f64() / per_call).round() as usize).max(1);
        let mut times = Vec::new();
        let start = Instant::now();
        while times.len() < 5 || start.elapsed() < budget {
            let t = Instant::now();
            for _ in 0..calls {
                stabilities_with(b, black_box(&w), black_box(&xi), &mut out)?;
                black_box(&out);
            }
            times.push(t.elapsed().as_secs_f64() / calls as f64);
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let bits = (n * p) as f64;
        results.push(KernelThroughput {
            backend: b.name().to_string(),
            n,
            p,
            gbit_per_s: bits / median / 1e9,
            gbit_per_s_best: bits / times[0] / 1e9,
            ns_per_call: median * 1e9,
            pattern_bytes,
            batches: times.len(),
            calls_per_batch: calls,
        });
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_every_available_backend() {
        let all: Vec<Backend> = Backend::available().collect();
        let r = kernel_throughput(&all, 129, 9, 1, Duration::from_millis(2)).unwrap();
        assert_eq!(r.len(), all.len());
        for t in &r {
            assert!(
                t.gbit_per_s > 0.0 && t.gbit_per_s_best >= t.gbit_per_s,
                "{t:?}"
            );
            assert_eq!(t.pattern_bytes, 9 * 3 * 8);
        }
    }

    #[test]
    fn bad_sizes_are_input_errors() {
        assert!(
            kernel_throughput(&[Backend::Portable], 0, 5, 1, Duration::ZERO)
                .unwrap_err()
                .is_input()
        );
        assert!(check_size(1 << 40, 1 << 20).unwrap_err().is_input());
    }
}
