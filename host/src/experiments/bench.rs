//! Speed measurements behind `flatmin bench`: the XOR-popcount stability kernel (ALGORITHMS §a.3,
//! `flatmin bench kernels`), the packed matrix product (`flatmin bench gemm`), exact enumeration (§e,
//! `flatmin bench enumerate`) and message passing (§b–c, `flatmin bench bp`).
//!
//! The metric is the one of the criterion benchmark `benches/kernels.rs`: Gbit/s = N·P bits of the
//! pattern matrix processed per second by one call of [`stabilities_with`] on one core. The calls are
//! timed in batches of about [`BATCH_TARGET`]; the reported `gbit_per_s` uses the median batch (what a
//! criterion run reports, within noise), and `gbit_per_s_best` the fastest batch, which on a machine
//! shared with other jobs is the better estimate of the unloaded speed (a batch of a few hundred
//! microseconds often runs without being descheduled).

use crate::error::{Error, Result};
use crate::io::InstanceFile;
use flatmin_core::bits::gemm;
use flatmin_core::bits::kernel::{stabilities_with, Backend};
use flatmin_core::bits::{last_word_mask, words_for, Patterns, Spins, SpinsMut};
use flatmin_core::bp::{factor, focusing_bp, BpWorkspace, FactorKind, FbpParams, Protocol};
use flatmin_core::instance::Instance;
use flatmin_core::rng::rng_from_seed;
use flatmin_core::simd::Level;
use rand_core::RngCore;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The (N, P) sizes of the issue's throughput targets: L2-resident, about the L2 size, beyond L2.
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

/// One measured backend of the packed matrix product (`flatmin bench gemm`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct GemmThroughput {
    /// Backend name ([`Backend::name`]); `blocked` is the default (the best tile on this CPU).
    pub backend: String,
    /// Weight rows R.
    pub r: usize,
    /// Pattern rows P.
    pub p: usize,
    /// Bits per row N.
    pub n: usize,
    /// R·P·N bits of XOR-popcount work per second at the median call, in Tbit/s.
    pub tbit_per_s: f64,
    /// The same at the fastest call.
    pub tbit_per_s_best: f64,
    /// Median seconds of one `dot_matrix` call.
    pub seconds: f64,
    /// Median thread CPU seconds of one call (= `seconds` on a quiet machine; without the time the
    /// thread waited for a core on a loaded one), wall time where the OS has no thread clock.
    pub cpu_seconds: f64,
    /// The same work as R calls of the single-vector kernel [`stabilities_with`] with the same
    /// backend, in Tbit/s (median).
    pub single_tbit_per_s: f64,
    /// `tbit_per_s / single_tbit_per_s`.
    pub speedup_vs_single: f64,
    /// Timed calls of each.
    pub calls: usize,
}

/// Largest R·P output the gemm benchmark allocates.
pub const MAX_GEMM_OUTPUT: usize = 1 << 28;

/// Measures [`gemm::dot_matrix_with`] (R × P products of N-bit rows, random from `seed`) for each of
/// `backends`, and the same work done by R single-vector calls, interleaved (gemm, single, gemm, …)
/// so both see the same machine load; about `budget` per backend. Unavailable backends are an input
/// error.
pub fn gemm_throughput(
    backends: &[Backend],
    r: usize,
    p: usize,
    n: usize,
    seed: u64,
    budget: Duration,
) -> Result<Vec<GemmThroughput>> {
    check_size(n, p)?;
    check_size(n, r)?;
    if r.checked_mul(p).is_none_or(|o| o > MAX_GEMM_OUTPUT) {
        return Err(Error::Input(format!(
            "R·P = {r}·{p} exceeds the benchmark's limit of {MAX_GEMM_OUTPUT} products"
        )));
    }
    if let Some(b) = backends.iter().find(|b| !b.is_available()) {
        let avail: Vec<&str> = Backend::available().map(Backend::name).collect();
        return Err(Error::Input(format!(
            "backend {b} is not available on this CPU (available: {})",
            avail.join(", ")
        )));
    }
    let a_words = random_words(seed, n, r);
    let b_words = random_words(seed.wrapping_add(1), n, p);
    let a = Patterns::new(n, r, &a_words)?;
    let b = Patterns::new(n, p, &b_words)?;
    let mut out = vec![0i32; r * p];
    let work = (r * p) as f64 * n as f64;
    let mut results = Vec::with_capacity(backends.len());
    for &bk in backends {
        // Interleave: one gemm call, then the single-vector version of the same work.
        let mut tg = Vec::new();
        let mut tc = Vec::new();
        let mut ts = Vec::new();
        let gemm_call = |out: &mut [i32]| -> Result<(f64, f64)> {
            let c = thread_cpu_seconds();
            let t = Instant::now();
            gemm::dot_matrix_with(bk, black_box(&a), black_box(&b), out)?;
            black_box(&*out);
            let wall = t.elapsed().as_secs_f64();
            let cpu = match (c, thread_cpu_seconds()) {
                (Some(c0), Some(c1)) => c1 - c0,
                _ => wall,
            };
            Ok((wall, cpu))
        };
        let single_call = |out: &mut [i32]| -> Result<f64> {
            let t = Instant::now();
            for (row, o) in a.rows().zip(out.chunks_exact_mut(p)) {
                stabilities_with(bk, black_box(&row), black_box(&b), o)?;
            }
            black_box(&*out);
            Ok(t.elapsed().as_secs_f64())
        };
        gemm_call(&mut out)?;
        single_call(&mut out)?;
        let start = Instant::now();
        while tg.len() < 5 || start.elapsed() < budget {
            let (wall, cpu) = gemm_call(&mut out)?;
            tg.push(wall);
            tc.push(cpu);
            ts.push(single_call(&mut out)?);
        }
        tg.sort_by(f64::total_cmp);
        tc.sort_by(f64::total_cmp);
        ts.sort_by(f64::total_cmp);
        let (mg, ms) = (tg[tg.len() / 2], ts[ts.len() / 2]);
        results.push(GemmThroughput {
            backend: bk.name().to_string(),
            r,
            p,
            n,
            tbit_per_s: work / mg / 1e12,
            tbit_per_s_best: work / tg[0] / 1e12,
            seconds: mg,
            cpu_seconds: tc[tc.len() / 2],
            single_tbit_per_s: work / ms / 1e12,
            speedup_vs_single: ms / mg,
            calls: tg.len(),
        });
    }
    Ok(results)
}

/// Read bandwidth of one core, measured with [`gemm::xor_fold_with`] on buffers that fit in L1 and in
/// L2 (sizes below), the yardstick of the XOR-popcount throughput.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Bandwidth {
    /// Buffer size of the L1 measurement (bytes).
    pub l1_bytes: usize,
    /// Buffer size of the L2 measurement (bytes).
    pub l2_bytes: usize,
    /// L1 read bandwidth in Tbit/s (median of repeated passes).
    pub l1_tbit_per_s: f64,
    /// L2 read bandwidth in Tbit/s.
    pub l2_tbit_per_s: f64,
    /// Default-backend gemm work rate divided by the L1 read bandwidth.
    pub gemm_vs_l1: f64,
    /// Default-backend gemm work rate divided by the L2 read bandwidth.
    pub gemm_vs_l2: f64,
    /// The single-vector kernel (default backend) on the same work, divided by the L2 bandwidth.
    pub single_vs_l2: f64,
}

/// Buffer of the L1 probe: 16 KiB, half of a 32 KiB L1D (Zen 4, most x86 cores since 2011).
pub const L1_PROBE_BYTES: usize = 16 << 10;
/// Buffer of the L2 probe: 512 KiB, half of a 1 MiB L2 (Zen 4), more than any L1.
pub const L2_PROBE_BYTES: usize = 512 << 10;

/// Read bandwidth in Tbit/s of a `bytes` buffer, about `budget` of repeated folds (median).
pub fn read_bandwidth(bytes: usize, budget: Duration) -> f64 {
    let words = random_words(7, 64, bytes / 8);
    let reps = (64 << 20) / bytes.max(1); // ≈ 64 MiB per timed batch
    let mut times = Vec::new();
    let _ = black_box(gemm::xor_fold_with(Backend::best(), &words));
    let start = Instant::now();
    while times.len() < 5 || start.elapsed() < budget {
        let t = Instant::now();
        for _ in 0..reps {
            black_box(gemm::xor_fold_with(Backend::best(), black_box(&words)));
        }
        times.push(t.elapsed().as_secs_f64() / reps as f64);
    }
    times.sort_by(f64::total_cmp);
    (bytes * 8) as f64 / times[times.len() / 2] / 1e12
}

/// The issue-rate ceiling of the XOR-popcount work on one core ([`gemm::op_mix_probe`]): the AVX-512
/// tile's instruction mix, and the vector + scalar mix, on registers only (no loads, no cache), timed
/// in thread CPU time against a chain of dependent `add`s (one per cycle). Medians of repeated
/// rounds; the three probes of a round run back to back, so the clock is the same for all three.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Ceiling {
    /// Core clock during the probes, in GHz (dependent adds per second).
    pub clock_ghz: f64,
    /// 24 × (`vpxorq`, `vpopcntq`, `vpaddq`) on 512-bit registers: bits of work per core cycle.
    pub avx512_bits_per_cycle: f64,
    /// The same in Tbit/s (at `clock_ghz`).
    pub avx512_tbit_per_s: f64,
    /// Plus 16 scalar (`xor`, `popcnt`, `add`) word products per 24 vector ones: bits per cycle.
    pub avx512_scalar_bits_per_cycle: f64,
    /// The same in Tbit/s.
    pub avx512_scalar_tbit_per_s: f64,
    /// Default-backend product rate (`tbit_per_s`, wall-clock median) over `avx512_tbit_per_s`.
    pub gemm_vs_avx512: f64,
    /// Rounds measured.
    pub rounds: usize,
}

/// Measures [`Ceiling`] for about `budget` (at least 5 rounds); `Err(reason)` when this CPU lacks
/// AVX-512 VPOPCNTDQ. `gemm_tbit_per_s` is the product's rate to compare with.
pub fn op_mix_ceiling(
    gemm_tbit_per_s: f64,
    budget: Duration,
) -> std::result::Result<Ceiling, String> {
    use gemm::OpMix;
    let run = |mix: OpMix, iters: u64| -> std::result::Result<f64, String> {
        let t = Instant::now();
        let c = thread_cpu_seconds();
        let work = gemm::op_mix_probe(mix, iters).ok_or_else(|| {
            format!("this CPU cannot run the {mix:?} probe (needs AVX-512 VPOPCNTDQ)")
        })?;
        let secs = match (c, thread_cpu_seconds()) {
            (Some(c0), Some(c1)) => c1 - c0,
            _ => t.elapsed().as_secs_f64(),
        };
        Ok(work as f64 / secs.max(1e-12))
    };
    run(OpMix::Avx512, 1000)?;
    run(OpMix::Avx512Scalar, 1000)?;
    let (mut clock, mut vec, mut hyb) = (Vec::new(), Vec::new(), Vec::new());
    let start = Instant::now();
    while clock.len() < 5 || start.elapsed() < budget {
        // ≈ 10 ms each at 3.5 GHz.
        let adds = run(OpMix::AddChain, 1_500_000)?;
        clock.push(adds);
        vec.push(run(OpMix::Avx512, 1_000_000)? / adds);
        hyb.push(run(OpMix::Avx512Scalar, 1_000_000)? / adds);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let rounds = clock.len();
    let (f, bv, bh) = (median(&mut clock), median(&mut vec), median(&mut hyb));
    Ok(Ceiling {
        clock_ghz: f / 1e9,
        avx512_bits_per_cycle: bv,
        avx512_tbit_per_s: bv * f / 1e12,
        avx512_scalar_bits_per_cycle: bh,
        avx512_scalar_tbit_per_s: bh * f / 1e12,
        gemm_vs_avx512: gemm_tbit_per_s / (bv * f / 1e12),
        rounds,
    })
}

/// numpy's float32 product of the same ±1 matrices, as reported by `benches/numpy_gemm.py`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct NumpyGemm {
    /// numpy version.
    pub numpy_version: String,
    /// BLAS numpy is linked against (numpy's config, as far as it tells).
    pub blas: String,
    /// Median seconds of one `A @ B.T`.
    pub seconds: f64,
    /// Median thread CPU seconds of one product (`time.thread_time`; one BLAS thread runs on the
    /// calling thread).
    pub cpu_seconds: f64,
    /// R·P·N / seconds, in Tbit/s.
    pub tbit_per_s: f64,
    /// Timed products.
    pub calls: usize,
    /// Σ of all R·P products (checked against flatmin's).
    pub sum: i64,
    /// Σ of the squared products (checked against flatmin's).
    pub sum_sq: i64,
}

/// The whole `flatmin bench gemm` report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GemmReport {
    /// R.
    pub r: usize,
    /// P.
    pub p: usize,
    /// N.
    pub n: usize,
    /// One entry per backend.
    pub backends: Vec<GemmThroughput>,
    /// numpy on one thread, `null` when it could not run.
    pub numpy: Option<NumpyGemm>,
    /// Why `numpy` is null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numpy_reason: Option<String>,
    /// Default backend (`blocked`, median) over numpy (median), wall time; null without numpy.
    pub vs_numpy: Option<f64>,
    /// The same in thread CPU time (robust to the machine's load); null without numpy.
    pub vs_numpy_cpu: Option<f64>,
    /// Why `vs_numpy` is null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_numpy_reason: Option<String>,
    /// The core's read bandwidth.
    pub bandwidth: Bandwidth,
    /// The instruction-issue ceiling of the XOR-popcount work; null without AVX-512 VPOPCNTDQ.
    pub ceiling: Option<Ceiling>,
    /// Why `ceiling` is null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ceiling_reason: Option<String>,
}

/// Runs numpy's product of the matrices in `a_words` (R × N) and `b_words` (P × N) through `script`
/// with `python`, one BLAS thread; the matrices go through two files in a fresh temporary directory
/// that is removed afterwards. Checks numpy's sums against `dots`.
fn run_numpy(
    python: &str,
    script: &std::path::Path,
    (r, p, n): (usize, usize, usize),
    a_words: &[u64],
    b_words: &[u64],
    dots: &[i32],
    budget: Duration,
) -> std::result::Result<NumpyGemm, String> {
    if !script.is_file() {
        return Err(format!("script {} not found", script.display()));
    }
    let dir = std::env::temp_dir().join(format!(
        "flatmin-bench-gemm-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    std::fs::create_dir(&dir).map_err(|e| format!("temporary directory: {e}"))?;
    let result = (|| {
        let write = |name: &str, w: &[u64]| {
            let bytes: Vec<u8> = w.iter().flat_map(|x| x.to_le_bytes()).collect();
            std::fs::write(dir.join(name), bytes).map_err(|e| format!("temporary file: {e}"))
        };
        write("a.bin", a_words)?;
        write("b.bin", b_words)?;
        let out = std::process::Command::new(python)
            .arg(script)
            .args([
                "--r",
                &r.to_string(),
                "--p",
                &p.to_string(),
                "--n",
                &n.to_string(),
            ])
            .args(["--a", &dir.join("a.bin").to_string_lossy()])
            .args(["--b", &dir.join("b.bin").to_string_lossy()])
            .args(["--time", &budget.as_secs_f64().to_string()])
            .env("OMP_NUM_THREADS", "1")
            .env("OPENBLAS_NUM_THREADS", "1")
            .env("MKL_NUM_THREADS", "1")
            .env("BLIS_NUM_THREADS", "1")
            .output()
            .map_err(|e| format!("cannot run {python}: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last().unwrap_or("").trim().to_string();
            return Err(format!("{python} {} failed: {last}", script.display()));
        }
        let np: NumpyGemm = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("unreadable output of {}: {e}", script.display()))?;
        let sum: i64 = dots.iter().map(|&d| i64::from(d)).sum();
        let sum_sq: i64 = dots.iter().map(|&d| i64::from(d) * i64::from(d)).sum();
        if (np.sum, np.sum_sq) != (sum, sum_sq) {
            return Err(format!(
                "numpy's products differ from flatmin's (sums {} vs {sum}, {} vs {sum_sq})",
                np.sum, np.sum_sq
            ));
        }
        Ok(np)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// `flatmin bench gemm`: [`gemm_throughput`] for `backends`, numpy (when `numpy` names interpreters,
/// tried in order, and the script) on the same matrices, and the L1/L2 read bandwidth, all in one run.
pub fn gemm_report(
    backends: &[Backend],
    r: usize,
    p: usize,
    n: usize,
    seed: u64,
    budget: Duration,
    numpy: Option<(&[&str], &std::path::Path)>,
) -> Result<GemmReport> {
    let rows = gemm_throughput(backends, r, p, n, seed, budget)?;
    let a_words = random_words(seed, n, r);
    let b_words = random_words(seed.wrapping_add(1), n, p);
    let (numpy, numpy_reason) = match numpy {
        None => (None, Some("skipped (--no-numpy)".to_string())),
        Some((pythons, script)) => {
            let mut dots = vec![0i32; r * p];
            gemm::dot_matrix(
                &Patterns::new(n, r, &a_words)?,
                &Patterns::new(n, p, &b_words)?,
                &mut dots,
            )?;
            // The first interpreter that runs the script wins; otherwise the reasons of all.
            let mut reasons = Vec::new();
            let mut found = None;
            for python in pythons {
                match run_numpy(python, script, (r, p, n), &a_words, &b_words, &dots, budget) {
                    Ok(np) => {
                        found = Some(np);
                        break;
                    }
                    Err(e) => reasons.push(e),
                }
            }
            match found {
                Some(np) => (Some(np), None),
                None => (None, Some(reasons.join("; "))),
            }
        }
    };
    let best = Backend::best().name();
    let default_row = rows.iter().find(|t| t.backend == best).or(rows.first());
    let (vs_numpy, vs_numpy_cpu, vs_numpy_reason) = match (&numpy, default_row) {
        (Some(np), Some(t)) => (
            Some(np.seconds / t.seconds),
            Some(np.cpu_seconds / t.cpu_seconds),
            None,
        ),
        (None, _) => (None, None, Some("numpy did not run".to_string())),
        (_, None) => (None, None, Some("no backend measured".to_string())),
    };
    let l1 = read_bandwidth(L1_PROBE_BYTES, budget / 4);
    let l2 = read_bandwidth(L2_PROBE_BYTES, budget / 4);
    let (g, s) = default_row.map_or((0.0, 0.0), |t| (t.tbit_per_s, t.single_tbit_per_s));
    let (ceiling, ceiling_reason) = match op_mix_ceiling(g, budget / 4) {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(e)),
    };
    Ok(GemmReport {
        r,
        p,
        n,
        backends: rows,
        numpy,
        numpy_reason,
        vs_numpy,
        vs_numpy_cpu,
        vs_numpy_reason,
        bandwidth: Bandwidth {
            l1_bytes: L1_PROBE_BYTES,
            l2_bytes: L2_PROBE_BYTES,
            l1_tbit_per_s: l1,
            l2_tbit_per_s: l2,
            gemm_vs_l1: g / l1,
            gemm_vs_l2: g / l2,
            single_vs_l2: s / l2,
        },
        ceiling,
        ceiling_reason,
    })
}

/// Largest N of `flatmin bench enumerate` (2^N configurations per run, several runs per backend).
pub const MAX_BENCH_ENUMERATE_N: usize = 34;

/// One measured (backend, threads) point of the exact enumeration (`flatmin bench enumerate`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct EnumerateSpeed {
    /// Core backend ([`flatmin_core::enumerate::Backend::name`]).
    pub backend: String,
    /// Worker threads of the rayon pool.
    pub threads: usize,
    /// 2^N / median wall time: configurations per second.
    pub configs_per_s: f64,
    /// 2^N / fastest wall time.
    pub configs_per_s_best: f64,
    /// Median wall time of one full enumeration, seconds.
    pub wall_seconds: f64,
    /// CPU time of the pool's threads in the median run (sum over threads), seconds; null off Unix.
    pub cpu_seconds: Option<f64>,
    /// 2^N per CPU-second of the median run: the speed each thread had while it ran (equal to
    /// `configs_per_s / threads` on an idle machine with perfect scaling); null off Unix.
    pub configs_per_cpu_s: Option<f64>,
    /// Timed runs.
    pub runs: usize,
}

/// The whole `flatmin bench enumerate` report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EnumerateBench {
    /// N.
    pub n: usize,
    /// P.
    pub p: usize,
    /// 2^N.
    pub configurations: u64,
    /// The backend [`crate::experiments::enumeration::tables`] uses on this CPU.
    pub best_backend: String,
    /// One thread, each requested backend (`portable` is the plain-Rust Gray-code baseline).
    pub backends: Vec<EnumerateSpeed>,
    /// The best backend on 1 and on 2 threads, interleaved run by run.
    pub threads: Vec<EnumerateSpeed>,
    /// Wall-time speedup of 2 threads over 1 (median runs).
    pub speedup_two_threads: f64,
    /// CPU-time throughput of 2 threads over that of 1: below 1 when the second thread costs extra
    /// work (merging, imbalance spinning, cache sharing); null off Unix.
    pub cpu_efficiency_two_threads: Option<f64>,
    /// Best backend over portable, one thread (median wall times).
    pub speedup_vs_portable: Option<f64>,
    /// Why `speedup_vs_portable` is null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speedup_vs_portable_reason: Option<String>,
    /// Runnable-thread load average (1 min) when the run started: the machine's load.
    pub load_average: Option<f64>,
    /// Why `load_average` is null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_average_reason: Option<String>,
    /// Logical CPUs of the machine.
    pub cpus: usize,
}

/// CPU time of the calling thread in seconds (`CLOCK_THREAD_CPUTIME_ID`; `None` off Unix).
fn thread_cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Some(t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The 1-minute load average (Linux `/proc/loadavg`).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One full enumeration on a fresh pool of `threads`: (wall seconds, CPU seconds of the pool threads).
fn time_enumeration(
    problem: &crate::io::Problem,
    reference: &Spins<'_>,
    backend: flatmin_core::enumerate::Backend,
    threads: usize,
) -> Result<(f64, Option<f64>)> {
    crate::harness::with_threads(Some(threads), || {
        let cpu = || -> Option<f64> {
            rayon::broadcast(|_| thread_cpu_seconds())
                .into_iter()
                .sum::<Option<f64>>()
        };
        let c0 = cpu();
        let t = Instant::now();
        let tables = crate::experiments::enumeration::tables_with(problem, reference, backend)?;
        let wall = t.elapsed().as_secs_f64();
        let c1 = cpu();
        black_box(&tables);
        let total: u64 = tables.hist_smin.iter().sum();
        if total != 1u64 << problem.n {
            return Err(Error::Other(format!(
                "enumeration counted {total} configurations instead of 2^{}",
                problem.n
            )));
        }
        Ok((wall, c0.zip(c1).map(|(a, b)| b - a)))
    })?
}

/// Medians of a list of (wall, cpu) runs as an [`EnumerateSpeed`].
fn enumerate_speed(
    backend: flatmin_core::enumerate::Backend,
    threads: usize,
    n: usize,
    runs: &[(f64, Option<f64>)],
) -> EnumerateSpeed {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (wall, cpu) = sorted[sorted.len() / 2];
    let configs = (1u64 << n) as f64;
    EnumerateSpeed {
        backend: backend.name().to_string(),
        threads,
        configs_per_s: configs / wall,
        configs_per_s_best: configs / sorted[0].0,
        wall_seconds: wall,
        cpu_seconds: cpu,
        configs_per_cpu_s: cpu.filter(|&c| c > 0.0).map(|c| configs / c),
        runs: runs.len(),
    }
}

/// `flatmin bench enumerate`: full exact enumerations of a random gauged instance (N, P, seed) around
/// a random reference, `repeats` times each: every backend of `backends` on one thread, then the best
/// backend on one and on two threads; runs interleaved (backend by backend, then 1, 2, 1, 2 threads) so
/// that all see the same machine load. Every run's histograms are checked to count all 2^N
/// configurations.
pub fn enumerate_bench(
    backends: &[flatmin_core::enumerate::Backend],
    n: usize,
    p: usize,
    seed: u64,
    repeats: usize,
) -> Result<EnumerateBench> {
    use flatmin_core::enumerate::{Backend as EnumBackend, MAX_P};
    use flatmin_core::instance::{gauge, generate_random};
    if !(1..=MAX_BENCH_ENUMERATE_N).contains(&n) {
        return Err(Error::Input(format!(
            "--n must be in 1..={MAX_BENCH_ENUMERATE_N}, got {n}"
        )));
    }
    if !(1..=MAX_P).contains(&p) {
        return Err(Error::Input(format!("--p must be in 1..={MAX_P}, got {p}")));
    }
    if !(1..=100).contains(&repeats) {
        return Err(Error::Input(format!(
            "--repeats must be in 1..=100, got {repeats}"
        )));
    }
    if let Some(b) = backends.iter().find(|b| !b.is_available()) {
        let avail: Vec<&str> = EnumBackend::available().map(EnumBackend::name).collect();
        return Err(Error::Input(format!(
            "enumeration backend {b} is not available on this CPU (available: {})",
            avail.join(", ")
        )));
    }
    let load = load_average();
    let mut xi = vec![0u64; p * words_for(n)];
    let mut labels = vec![0u64; words_for(p)];
    let mut pm = flatmin_core::bits::PatternsMut::new(n, p, &mut xi)?;
    generate_random(seed, &mut pm, &mut labels)?;
    gauge(&mut pm, &labels)?;
    let problem = crate::io::Problem {
        n,
        p,
        kappa: 0.0,
        gauged: xi,
    };
    let rw = [flatmin_core::rng::splitmix64(seed) & last_word_mask(n)];
    let reference = Spins::new(n, &rw)?;
    let best = EnumBackend::best();
    let mut single: Vec<Vec<(f64, Option<f64>)>> = vec![Vec::new(); backends.len()];
    let mut by_threads: [Vec<(f64, Option<f64>)>; 2] = [Vec::new(), Vec::new()];
    // Warm-up (page faults, frequency, detection).
    time_enumeration(&problem, &reference, best, 1)?;
    for _ in 0..repeats {
        for (b, runs) in backends.iter().zip(single.iter_mut()) {
            runs.push(time_enumeration(&problem, &reference, *b, 1)?);
        }
        for (t, runs) in by_threads.iter_mut().enumerate() {
            runs.push(time_enumeration(&problem, &reference, best, t + 1)?);
        }
    }
    let backends_out: Vec<EnumerateSpeed> = backends
        .iter()
        .zip(&single)
        .map(|(&b, runs)| enumerate_speed(b, 1, n, runs))
        .collect();
    let one = enumerate_speed(best, 1, n, &by_threads[0]);
    let two = enumerate_speed(best, 2, n, &by_threads[1]);
    let portable = backends_out
        .iter()
        .find(|s| s.backend == EnumBackend::Portable.name());
    let (speedup_vs_portable, speedup_vs_portable_reason) = match portable {
        Some(pt) => (Some(pt.wall_seconds / one.wall_seconds), None),
        None => (None, Some("portable was not measured (--backend)".into())),
    };
    Ok(EnumerateBench {
        n,
        p,
        configurations: 1u64 << n,
        best_backend: best.name().to_string(),
        speedup_two_threads: one.wall_seconds / two.wall_seconds,
        cpu_efficiency_two_threads: one
            .configs_per_cpu_s
            .zip(two.configs_per_cpu_s)
            .map(|(a, b)| b / a),
        speedup_vs_portable,
        speedup_vs_portable_reason,
        backends: backends_out,
        threads: vec![one, two],
        load_average: load,
        load_average_reason: load.is_none().then(|| "no /proc/loadavg".to_string()),
        cpus: std::thread::available_parallelism().map_or(1, |c| c.get()),
    })
}

/// Speed of the Gaussian BP factor updates at one vector level.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SweepSpeed {
    /// Vector level ([`Level::name`]).
    pub level: String,
    /// N.
    pub n: usize,
    /// P.
    pub p: usize,
    /// Median time of one sweep (all P factor updates) in milliseconds.
    pub ms_per_sweep: f64,
    /// Fastest sweep in milliseconds (closer to the unloaded speed on a shared machine).
    pub ms_per_sweep_best: f64,
    /// Edges (N·P) per second at the median, in millions.
    pub medges_per_s: f64,
    /// Timed sweeps.
    pub sweeps: usize,
}

/// Speed of focusing-BP solves.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FbpSpeed {
    /// N.
    pub n: usize,
    /// α.
    pub alpha: f64,
    /// Instances (seeds `seed`, `seed + 1`, …), one solve each.
    pub runs: usize,
    /// How many were solved.
    pub solved: usize,
    /// Median wall time of one solve in seconds.
    pub median_seconds: f64,
    /// Every solve's wall time, in seed order.
    pub seconds: Vec<f64>,
    /// Median number of BP sweeps.
    pub median_sweeps: f64,
}

/// The gauged random instance of `seed` at N, α (the stream of `flatmin instance gen`).
/// Largest BP problem `flatmin bench bp` agrees to build: N·P edges (one f64 message each, plus the
/// patterns: about 0.5 GiB at the limit).
pub const MAX_BENCH_BP_EDGES: usize = 1 << 26;

/// Largest number of focusing-BP solves of `flatmin bench bp --fbp-runs`.
pub const MAX_BENCH_FBP_RUNS: usize = 10_000;

/// Validates the size of a `flatmin bench bp` problem before anything is allocated: N ≥ 1, α finite
/// and ≥ 0, P = round(α·N) ≥ 1 and N·P at most [`MAX_BENCH_BP_EDGES`]; `flag` names α in the error.
/// Returns P.
pub fn check_bp_size(n: usize, alpha: f64, flag: &str) -> Result<usize> {
    if n == 0 {
        return Err(Error::Input("--n must be at least 1, got 0".into()));
    }
    let p = flatmin_core::instance::num_patterns(alpha, n)
        .map_err(|e| Error::Input(format!("{flag} {alpha}: {e}")))?;
    if p == 0 {
        return Err(Error::Input(format!(
            "{flag} {alpha}: no pattern at N = {n} (P = round(alpha·N) = 0)"
        )));
    }
    if (n as u128) * (p as u128) > MAX_BENCH_BP_EDGES as u128 {
        return Err(Error::Input(format!(
            "N·P = {n}·{p} exceeds the benchmark's limit of {MAX_BENCH_BP_EDGES} BP edges \
             (--n with {flag})"
        )));
    }
    Ok(p)
}

/// Validates the number of focusing-BP solves: 1..=[`MAX_BENCH_FBP_RUNS`].
pub fn check_fbp_runs(runs: usize) -> Result<()> {
    if runs == 0 || runs > MAX_BENCH_FBP_RUNS {
        return Err(Error::Input(format!(
            "--fbp-runs must be in 1..={MAX_BENCH_FBP_RUNS} (0 skips the solves), got {runs}"
        )));
    }
    Ok(())
}

fn random_instance(n: usize, alpha: f64, seed: u64) -> Result<(usize, Vec<u64>)> {
    let f = InstanceFile::generate(n, alpha, 0.0, false, seed)?;
    check_size(n, f.p)?;
    Ok((f.p, f.gauged_patterns()?))
}

/// A converged Gaussian-BP state (κ = 0, λ = 0) of a random instance, for timing factor updates: the
/// workload of `flatmin bench bp` and of the criterion benchmark `gaussian_factor_updates_*`.
#[derive(Clone, Debug)]
pub struct ConvergedBp {
    n: usize,
    p: usize,
    xi: Vec<u64>,
    g: Vec<f64>,
    h: Vec<f64>,
    scratch: Vec<f64>,
    theta: i32,
}

impl ConvergedBp {
    /// The random instance of `seed` at N, α (gauged), after 30 BP sweeps from the messages of
    /// `seed + 1` (BP converges in about 20 at N = 1001, α = 0.6).
    pub fn new(n: usize, alpha: f64, seed: u64) -> Result<Self> {
        check_bp_size(n, alpha, "--alpha")?;
        let (p, xi) = random_instance(n, alpha, seed)?;
        let inst = Instance::new(Patterns::new(n, p, &xi)?, 0.0)?;
        let f = FactorKind::Gaussian;
        let mut reals = vec![0.0f64; BpWorkspace::<f64>::required_reals(n, p, f)];
        let mut perm = vec![0u32; BpWorkspace::<f64>::required_perm(n, p)];
        let mut ws = BpWorkspace::new(n, p, f, &mut reals, &mut perm)?;
        let mut rng = rng_from_seed(seed.wrapping_add(1));
        ws.init(&inst, None, 0.0, 0.01, &mut rng)?;
        for _ in 0..30 {
            ws.sweep(&inst, 0.0, 50.0, None, &mut rng);
        }
        let (g, h) = (ws.fields().to_vec(), ws.totals().to_vec());
        let mut scratch = vec![0.0f64; BpWorkspace::<f64>::scratch_len(n, f)];
        factor::fill_cheb_table(&mut scratch[2 * n..]);
        let theta = inst.threshold.t_par - 1;
        Ok(ConvergedBp {
            n,
            p,
            xi,
            g,
            h,
            scratch,
            theta,
        })
    }

    /// P, the number of factors.
    pub fn p(&self) -> usize {
        self.p
    }

    /// One sweep: the P factor updates in row order at `level` (no damping, G_max = 50); returns
    /// the sweep's residual max |Δ tanh g|.
    pub fn sweep(&mut self, level: Level) -> f64 {
        let (n, words) = (self.n, words_for(self.n));
        let mut r = 0.0;
        let Ok(mut scratch) = factor::GaussianScratch::new(n, &mut self.scratch) else {
            return f64::NAN;
        };
        for mu in 0..self.p {
            let row = &self.xi[mu * words..(mu + 1) * words];
            let gm = &mut self.g[mu * n..(mu + 1) * n];
            r = factor::gaussian_update_with(
                level,
                row,
                gm,
                &mut self.h,
                &mut scratch,
                self.theta,
                0.0,
                50.0,
                r,
            )
            .unwrap_or(f64::NAN);
        }
        r
    }
}

/// Times sweeps of Gaussian BP (κ = 0, λ = 0) at each of `levels` on a random instance from `seed`,
/// about `budget` per level. The state is first converged with 30 sweeps, as in a BP run; each timed
/// sweep updates the P factors in row order with [`factor::gaussian_update_with`] (the levels give
/// bit-identical results, so they are timed on the same dynamics). Unavailable levels are an input
/// error.
pub fn bp_sweep_speed(
    levels: &[Level],
    n: usize,
    alpha: f64,
    seed: u64,
    budget: Duration,
) -> Result<Vec<SweepSpeed>> {
    if let Some(l) = levels.iter().find(|l| !l.is_available()) {
        return Err(Error::Input(format!(
            "vector level {} is not available on this CPU",
            l.name()
        )));
    }
    let state = ConvergedBp::new(n, alpha, seed)?;
    let p = state.p();
    let mut out = Vec::with_capacity(levels.len());
    for &level in levels {
        let mut st = state.clone();
        let mut sweep = || black_box(st.sweep(level));
        let t0 = Instant::now();
        while t0.elapsed() < budget / 10 {
            sweep();
        }
        let mut times = Vec::new();
        let start = Instant::now();
        while times.len() < 5 || start.elapsed() < budget {
            let t = Instant::now();
            sweep();
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        out.push(SweepSpeed {
            level: level.name().to_string(),
            n,
            p,
            ms_per_sweep: median * 1e3,
            ms_per_sweep_best: times[0] * 1e3,
            medges_per_s: (n * p) as f64 / median / 1e6,
            sweeps: times.len(),
        });
    }
    Ok(out)
}

/// Times `runs` focusing-BP solves with the default parameters ([`FbpParams::new`] with
/// [`Protocol::PAPER`], the `flatmin solve` default) at N, α on the random instances of seeds
/// `seed..seed + runs` (message seed = instance seed), one thread; `tick` is called after each solve
/// (progress).
pub fn fbp_solve_speed(
    n: usize,
    alpha: f64,
    runs: usize,
    seed: u64,
    mut tick: impl FnMut(),
) -> Result<FbpSpeed> {
    check_fbp_runs(runs)?;
    check_bp_size(n, alpha, "--fbp-alpha")?;
    let params = FbpParams::<f64>::new(Protocol::PAPER);
    let mut seconds = Vec::with_capacity(runs);
    let mut sweeps = Vec::with_capacity(runs);
    let mut solved = 0;
    for k in 0..runs as u64 {
        let s = seed.wrapping_add(k);
        let (p, xi) = random_instance(n, alpha, s)?;
        let inst = Instance::new(Patterns::new(n, p, &xi)?, 0.0)?;
        let f = FactorKind::Gaussian;
        let mut reals = vec![0.0f64; BpWorkspace::<f64>::required_reals(n, p, f)];
        let mut perm = vec![0u32; BpWorkspace::<f64>::required_perm(n, p)];
        let mut wbuf = vec![0u64; words_for(n)];
        let mut stabs = vec![0i32; p];
        let t = Instant::now();
        let mut ws = BpWorkspace::new(n, p, f, &mut reals, &mut perm)?;
        let mut w = SpinsMut::new(n, &mut wbuf)?;
        let o = focusing_bp(&inst, &mut ws, &params, s, &mut w, &mut stabs)?;
        seconds.push(t.elapsed().as_secs_f64());
        sweeps.push(o.sweeps as f64);
        solved += usize::from(o.solved);
        tick();
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        if v.len() % 2 == 1 {
            v[m]
        } else {
            0.5 * (v[m - 1] + v[m])
        }
    };
    Ok(FbpSpeed {
        n,
        alpha,
        runs,
        solved,
        median_seconds: median(&seconds),
        median_sweeps: median(&sweeps),
        seconds,
    })
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
    fn bp_speed_covers_every_level_and_fbp_solves() {
        let levels: Vec<Level> = Level::ALL
            .into_iter()
            .filter(|l| l.is_available())
            .collect();
        let r = bp_sweep_speed(&levels, 201, 0.5, 1, Duration::from_millis(5)).unwrap();
        assert_eq!(r.len(), levels.len());
        for s in &r {
            assert!(
                s.ms_per_sweep > 0.0 && s.ms_per_sweep_best <= s.ms_per_sweep,
                "{s:?}"
            );
            assert_eq!((s.n, s.p), (201, 101));
        }
        let f = fbp_solve_speed(201, 0.3, 2, 1, || {}).unwrap();
        assert_eq!((f.runs, f.seconds.len()), (2, 2));
        assert_eq!(f.solved, 2, "fBP solves N = 201 at α = 0.3");
        assert!(fbp_solve_speed(201, 0.3, 0, 1, || {})
            .unwrap_err()
            .is_input());
    }

    #[test]
    fn gemm_report_measures_every_backend_and_explains_missing_numpy() {
        let all: Vec<Backend> = Backend::available().collect();
        let missing = std::path::Path::new("/nonexistent/numpy_gemm.py");
        let r = gemm_report(
            &all,
            5,
            7,
            130,
            1,
            Duration::from_millis(2),
            Some((&["python3"], missing)),
        )
        .unwrap();
        assert_eq!(r.backends.len(), all.len());
        for t in &r.backends {
            assert!(t.tbit_per_s > 0.0 && t.single_tbit_per_s > 0.0, "{t:?}");
            assert_eq!((t.r, t.p, t.n), (5, 7, 130));
        }
        assert!(r.numpy.is_none() && r.vs_numpy.is_none());
        assert!(r.numpy_reason.unwrap().contains("not found"));
        assert!(r.bandwidth.l1_tbit_per_s > 0.0 && r.bandwidth.l2_tbit_per_s > 0.0);
        match (&r.ceiling, &r.ceiling_reason) {
            (Some(c), None) => assert!(
                c.clock_ghz > 0.1
                    && c.avx512_bits_per_cycle > 0.0
                    && c.avx512_scalar_bits_per_cycle > 0.0
                    && c.gemm_vs_avx512 > 0.0
                    && c.rounds >= 5,
                "{c:?}"
            ),
            (None, Some(why)) => {
                assert!(
                    !Backend::Avx512.is_available() && why.contains("AVX-512"),
                    "{why}"
                )
            }
            other => panic!("ceiling and its reason: {other:?}"),
        }
        assert!(gemm_throughput(&all, 0, 7, 130, 1, Duration::ZERO)
            .unwrap_err()
            .is_input());
    }

    #[test]
    fn enumerate_bench_measures_every_backend_and_both_thread_counts() {
        use flatmin_core::enumerate::Backend as E;
        let all: Vec<E> = E::available().collect();
        let r = enumerate_bench(&all, 12, 7, 3, 2).unwrap();
        assert_eq!((r.n, r.p, r.configurations), (12, 7, 4096));
        assert_eq!(r.backends.len(), all.len());
        assert_eq!(r.threads.len(), 2);
        assert_eq!((r.threads[0].threads, r.threads[1].threads), (1, 2));
        for s in r.backends.iter().chain(&r.threads) {
            assert!(
                s.configs_per_s > 0.0 && s.configs_per_s_best >= s.configs_per_s,
                "{s:?}"
            );
            assert_eq!(s.runs, 2);
        }
        assert!(r.speedup_two_threads > 0.0 && r.speedup_vs_portable.is_some());
        assert!(enumerate_bench(&all, 0, 7, 3, 1).unwrap_err().is_input());
        assert!(enumerate_bench(&all, 12, 256, 3, 1).unwrap_err().is_input());
        assert!(enumerate_bench(&all, 35, 7, 3, 1).unwrap_err().is_input());
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
