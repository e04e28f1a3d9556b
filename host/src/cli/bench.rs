//! `flatmin bench …`: speed of the kernels, of the matrix product, of exact enumeration and of message
//! passing, in the units of the criterion benchmarks.

use super::study::bar;
use super::{input_error, print_json, print_line, Global};
use clap::{Args, Subcommand};
use flatmin_core::bits::kernel::Backend;
use flatmin_core::simd::Level;
use flatmin_host::experiments::bench::{
    bp_sweep_speed, check_bp_size, check_fbp_runs, enumerate_bench, fbp_solve_speed, gemm_report,
    kernel_throughput, FbpSpeed, KernelThroughput, SweepSpeed, STANDARD_SIZES,
};
use std::time::Duration;

/// Commands of this family.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Throughput of the XOR-popcount stability kernel, every available backend side by side.
    ///
    /// Gbit/s = N·P pattern bits processed per second on one core (the metric of
    /// `cargo bench --bench kernels`). Without --n/--p it runs the three reference sizes
    /// (1001, 700), (8192, 1000) and (65536, 1000). Two numbers per backend: the median batch
    /// (gbit_per_s, comparable to the criterion estimate) and the fastest batch (gbit_per_s_best, closer to the
    /// unloaded speed when other jobs share the machine). --json prints
    /// [{"backend","n","p","gbit_per_s",…},…].
    Kernels(KernelsArgs),
    /// Speed of message passing: Gaussian BP sweeps at every vector level, then focusing-BP solves.
    ///
    /// A sweep = all P factor updates of Gaussian BP (κ = 0) at N, α (default the issue's reference
    /// point N = 1001, α = 0.6, target ≤ 2 ms), timed on a converged state at each vector level the
    /// CPU supports (baseline SSE2, AVX2, AVX-512: bit-identical results, the widest is what BP
    /// uses). Then --fbp-runs focusing-BP solves (the `flatmin solve` defaults) at N, --fbp-alpha
    /// (default 0.7, target ≤ 0.7 s median), one per instance seed. Median and fastest sweep, median
    /// solve time, one thread. --json prints {"sweeps":[{"level","n","p","ms_per_sweep",…}],"fbp":{…}}.
    Bp(BpArgs),
    /// Throughput of the packed ±1 matrix product (bits::gemm) against the single-vector kernel and
    /// numpy.
    ///
    /// Tbit/s = R·P·N bits of XOR-popcount work per second on one core (default R = 64, P = 1000,
    /// N = 8192), for every available backend, each interleaved call by call with the same work done
    /// by R calls of the single-vector kernel (ratio speedup_vs_single). Then, in the same run,
    /// benches/numpy_gemm.py times numpy's float32 product of the same ±1 matrices on one thread
    /// (ratio vs_numpy; skipped with a reason when python3 or numpy is missing), and a read-bandwidth
    /// probe measures the L1 and L2 bandwidth of this core, so the distance to the limit is visible.
    /// --json prints {"r","p","n","backends":[…],"numpy":{…}|null,"bandwidth":{…}}.
    Gemm(GemmArgs),
    /// Speed of exact enumeration (configurations/s), every backend on one core, then two threads.
    ///
    /// Full enumerations of all 2^N configurations of a random gauged instance (default N = 30,
    /// P = 15, where the speed goal of 2·10⁹ configurations/s per core is set; N at most 34, P at
    /// most 255) around a random reference, each repeated --repeats times and interleaved so all
    /// see the same load: every available core backend on one thread (portable = the plain-Rust
    /// Gray-code baseline, avx2, avx512), then the best
    /// backend on 1 and on 2 threads. Medians of wall time, plus the pool threads' CPU time (Unix),
    /// which shows whether a second thread costs extra work even when the machine is shared, and the
    /// 1-minute load average. --json prints {"n","p","configurations","best_backend","backends":[…],
    /// "threads":[…],"speedup_two_threads","cpu_efficiency_two_threads","speedup_vs_portable",
    /// "load_average","cpus"}.
    Enumerate(EnumerateBenchArgs),
}

/// Options of `flatmin bench enumerate`.
#[derive(Debug, Args)]
pub struct EnumerateBenchArgs {
    /// Number of weights N (1..=34; 2^N configurations per run).
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub n: usize,
    /// Number of patterns P (1..=255).
    #[arg(long, value_name = "P", default_value_t = 15)]
    pub p: usize,
    /// Only this backend on one thread: portable, avx2 or avx512 (default: every available one).
    #[arg(long, value_name = "B")]
    pub backend: Option<String>,
    /// Timed runs of each configuration (1..=100).
    #[arg(long, value_name = "R", default_value_t = 3)]
    pub repeats: usize,
    /// Seed of the random instance and reference (the speed does not depend on it).
    #[arg(long, default_value_t = 0, value_name = "S", value_parser = super::instance::parse_seed)]
    pub seed: u64,
}

/// Options of `flatmin bench gemm`.
#[derive(Debug, Args)]
pub struct GemmArgs {
    /// Weight rows R (at most 65536).
    #[arg(long, value_name = "R", default_value_t = 64)]
    pub r: usize,
    /// Pattern rows P (at most 1048576).
    #[arg(long, value_name = "P", default_value_t = 1000)]
    pub p: usize,
    /// Bits per row N (at most 2^24).
    #[arg(long, value_name = "N", default_value_t = 8192)]
    pub n: usize,
    /// Only this backend: portable, popcnt, avx2, avx512 or blocked (default: every available one).
    #[arg(long, value_name = "B")]
    pub backend: Option<String>,
    /// Seconds of timing per backend.
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    pub time: f64,
    /// Seed of the random matrices (the speed does not depend on it).
    #[arg(long, default_value_t = 0, value_name = "S", value_parser = super::instance::parse_seed)]
    pub seed: u64,
    /// Python interpreter with numpy for the comparison (default: python3, then /usr/bin/python3,
    /// where Debian's python3-numpy lives).
    #[arg(long, value_name = "PATH")]
    pub python: Option<String>,
    /// The numpy comparison script (default: benches/numpy_gemm.py of the source tree).
    #[arg(long, value_name = "PATH")]
    pub numpy_script: Option<std::path::PathBuf>,
    /// Skip the numpy comparison.
    #[arg(long)]
    pub no_numpy: bool,
}

/// Options of `flatmin bench bp`.
#[derive(Debug, Args)]
pub struct BpArgs {
    /// Number of variables N (N·P at most 2^26 for the sweeps and for the solves).
    #[arg(long, value_name = "N", default_value_t = 1001)]
    pub n: usize,
    /// Load α = P/N of the sweep benchmark.
    #[arg(long, value_name = "A", default_value_t = 0.6)]
    pub alpha: f64,
    /// Only this vector level: baseline, avx2, avx512 (default: every available one).
    #[arg(long, value_name = "L")]
    pub level: Option<String>,
    /// Seconds of sweep timing per level.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub time: f64,
    /// Load α of the focusing-BP solves.
    #[arg(long, value_name = "A", default_value_t = 0.7)]
    pub fbp_alpha: f64,
    /// Number of focusing-BP solves (0: skip them; at most 10000).
    #[arg(long, value_name = "R", default_value_t = 5)]
    pub fbp_runs: usize,
    /// Seed of the instances (fBP: seeds S, S+1, …).
    #[arg(long, default_value_t = 0, value_name = "S", value_parser = super::instance::parse_seed)]
    pub seed: u64,
}

/// Options of `flatmin bench kernels`.
#[derive(Debug, Args)]
pub struct KernelsArgs {
    /// Bits per pattern N (default 8192 when only --p is given; the three reference sizes when neither;
    /// the pattern matrix, N·P bits, at most 1 GiB).
    #[arg(long, value_name = "N")]
    pub n: Option<usize>,
    /// Number of patterns P (default 1000 when only --n is given; N·P bits at most 1 GiB).
    #[arg(long, value_name = "P")]
    pub p: Option<usize>,
    /// Only this backend: portable, popcnt, avx2, avx512 or blocked (default: every available one).
    #[arg(long, value_name = "B")]
    pub backend: Option<String>,
    /// Seconds of timing per backend and size.
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub time: f64,
    /// Seed of the random weights and patterns (the speed does not depend on it).
    #[arg(long, default_value_t = 0, value_name = "S", value_parser = super::instance::parse_seed)]
    pub seed: u64,
}

/// Runs a command of this family.
pub fn run(cmd: Cmd, g: &Global) -> anyhow::Result<()> {
    match cmd {
        Cmd::Kernels(a) => kernels(a, g),
        Cmd::Bp(a) => bp(a, g),
        Cmd::Gemm(a) => gemm(a, g),
        Cmd::Enumerate(a) => enumerate(a, g),
    }
}

fn enumerate(a: EnumerateBenchArgs, g: &Global) -> anyhow::Result<()> {
    use flatmin_core::enumerate::Backend as E;
    let backends: Vec<E> = match a.backend.as_deref() {
        None | Some("all") => E::available().collect(),
        Some(name) => vec![E::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = E::ALL.iter().map(|b| b.name()).collect();
            input_error(format!(
                "unknown enumeration backend {name:?} (expected one of: {}, all)",
                names.join(", ")
            ))
        })?],
    };
    let r = enumerate_bench(&backends, a.n, a.p, a.seed, a.repeats)?;
    if g.json {
        return print_json(&r);
    }
    print_line(&format!(
        "exact enumeration, N = {}, P = {}: 2^{} = {} configurations (best backend: {}, load average {})",
        r.n,
        r.p,
        r.n,
        r.configurations,
        r.best_backend,
        r.load_average
            .map_or_else(|| "unknown".to_string(), |l| format!("{l:.2}"))
    ))?;
    print_line(&format!(
        "{:<9} {:>7} {:>14} {:>14} {:>10} {:>10} {:>16}",
        "backend", "threads", "configs/s", "best", "wall s", "cpu s", "configs/cpu-s"
    ))?;
    for s in r.backends.iter().chain(&r.threads) {
        print_line(&format!(
            "{:<9} {:>7} {:>14.4e} {:>14.4e} {:>10.3} {:>10} {:>16}",
            s.backend,
            s.threads,
            s.configs_per_s,
            s.configs_per_s_best,
            s.wall_seconds,
            s.cpu_seconds
                .map_or_else(|| "-".into(), |c| format!("{c:.3}")),
            s.configs_per_cpu_s
                .map_or_else(|| "-".into(), |c| format!("{c:.4e}"))
        ))?;
    }
    print_line(&format!(
        "two threads: {:.2}x one thread (wall), CPU-time efficiency {}; best backend {} the portable loop",
        r.speedup_two_threads,
        r.cpu_efficiency_two_threads
            .map_or_else(|| "unknown".into(), |e| format!("{e:.2}")),
        r.speedup_vs_portable
            .map_or_else(|| "not compared with".into(), |s| format!("{s:.2}x"))
    ))?;
    Ok(())
}

fn bp(a: BpArgs, g: &Global) -> anyhow::Result<()> {
    let levels: Vec<Level> = match a.level.as_deref() {
        None | Some("all") => Level::ALL
            .into_iter()
            .filter(|l| l.is_available())
            .collect(),
        Some(name) => vec![Level::ALL
            .into_iter()
            .find(|l| l.name() == name)
            .ok_or_else(|| {
                input_error(format!(
                    "unknown vector level {name:?} (expected baseline, avx2, avx512 or all)"
                ))
            })?],
    };
    if !(a.time.is_finite() && a.time > 0.0 && a.time <= 600.0) {
        return Err(input_error(format!(
            "--time must be in (0, 600] seconds, got {}",
            a.time
        )));
    }
    for (name, x) in [("--alpha", a.alpha), ("--fbp-alpha", a.fbp_alpha)] {
        if !(x.is_finite() && x > 0.0 && x <= 10.0) {
            return Err(input_error(format!("{name} must be in (0, 10], got {x}")));
        }
    }
    // Every size is checked before the first sweep, so a bad --fbp-runs is not found only after the
    // sweep timing.
    check_bp_size(a.n, a.alpha, "--alpha")?;
    if a.fbp_runs > 0 {
        check_fbp_runs(a.fbp_runs)?;
        check_bp_size(a.n, a.fbp_alpha, "--fbp-alpha")?;
    }
    let sweeps = bp_sweep_speed(
        &levels,
        a.n,
        a.alpha,
        a.seed,
        Duration::from_secs_f64(a.time),
    )?;
    let fbp = if a.fbp_runs > 0 {
        let pb = bar(a.fbp_runs as u64, "fBP solves", g.quiet);
        let r = fbp_solve_speed(a.n, a.fbp_alpha, a.fbp_runs, a.seed, || pb.inc(1))?;
        pb.finish_and_clear();
        Some(r)
    } else {
        None
    };
    if g.json {
        #[derive(serde::Serialize)]
        struct Out {
            sweeps: Vec<SweepSpeed>,
            fbp: Option<FbpSpeed>,
        }
        return print_json(&Out { sweeps, fbp });
    }
    print_line(&format!(
        "Gaussian BP sweep, N = {}, alpha = {} (best level: {})",
        a.n,
        a.alpha,
        Level::best().name()
    ))?;
    print_line(&format!(
        "{:<9} {:>6} {:>12} {:>10} {:>12}",
        "level", "P", "ms/sweep", "best", "Medges/s"
    ))?;
    for s in &sweeps {
        print_line(&format!(
            "{:<9} {:>6} {:>12.3} {:>10.3} {:>12.1}",
            s.level, s.p, s.ms_per_sweep, s.ms_per_sweep_best, s.medges_per_s
        ))?;
    }
    if let Some(f) = &fbp {
        print_line(&format!(
            "focusing BP, N = {}, alpha = {}: {}/{} solved, median {:.3} s, median {} sweeps",
            f.n, f.alpha, f.solved, f.runs, f.median_seconds, f.median_sweeps
        ))?;
    }
    Ok(())
}

fn kernels(a: KernelsArgs, g: &Global) -> anyhow::Result<()> {
    let backends: Vec<Backend> = match a.backend.as_deref() {
        None | Some("all") => Backend::available().collect(),
        Some(name) => vec![Backend::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
            input_error(format!(
                "unknown backend {name:?} (expected one of: {}, all)",
                names.join(", ")
            ))
        })?],
    };
    if !(a.time.is_finite() && a.time > 0.0 && a.time <= 600.0) {
        return Err(input_error(format!(
            "--time must be in (0, 600] seconds, got {}",
            a.time
        )));
    }
    let sizes: Vec<(usize, usize)> = match (a.n, a.p) {
        (None, None) => STANDARD_SIZES.to_vec(),
        (n, p) => vec![(n.unwrap_or(8192), p.unwrap_or(1000))],
    };
    let budget = Duration::from_secs_f64(a.time);
    let mut all: Vec<KernelThroughput> = Vec::new();
    for &(n, p) in &sizes {
        all.extend(kernel_throughput(&backends, n, p, a.seed, budget)?);
    }
    if g.json {
        return print_json(&all);
    }
    let avail: Vec<&str> = Backend::available().map(Backend::name).collect();
    print_line(&format!(
        "available backends: {}; best: {}",
        avail.join(", "),
        Backend::best()
    ))?;
    print_line(&format!(
        "{:<9} {:>7} {:>6} {:>10} {:>10} {:>11} {:>10}",
        "backend", "N", "P", "Gbit/s", "best", "ns/call", "patterns"
    ))?;
    for t in &all {
        print_line(&format!(
            "{:<9} {:>7} {:>6} {:>10.1} {:>10.1} {:>11.0} {:>10}",
            t.backend,
            t.n,
            t.p,
            t.gbit_per_s,
            t.gbit_per_s_best,
            t.ns_per_call,
            human_bytes(t.pattern_bytes)
        ))?;
    }
    Ok(())
}

fn human_bytes(b: usize) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / (1 << 20) as f64)
    } else {
        format!("{:.1} KiB", b as f64 / 1024.0)
    }
}

fn gemm(a: GemmArgs, g: &Global) -> anyhow::Result<()> {
    let backends: Vec<Backend> = match a.backend.as_deref() {
        None | Some("all") => Backend::available().collect(),
        Some(name) => vec![Backend::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
            input_error(format!(
                "unknown backend {name:?} (expected one of: {}, all)",
                names.join(", ")
            ))
        })?],
    };
    if !(a.time.is_finite() && a.time > 0.0 && a.time <= 600.0) {
        return Err(input_error(format!(
            "--time must be in (0, 600] seconds, got {}",
            a.time
        )));
    }
    for (flag, v, max) in [
        ("--r", a.r, 1usize << 16),
        ("--p", a.p, 1 << 20),
        ("--n", a.n, 1 << 24),
    ] {
        if v == 0 || v > max {
            return Err(input_error(format!("{flag} must be in 1..={max}, got {v}")));
        }
    }
    let numpy_script = a.numpy_script.clone().unwrap_or_else(default_numpy_script);
    let pythons: Vec<&str> = match &a.python {
        Some(p) => vec![p.as_str()],
        None => vec!["python3", "/usr/bin/python3"],
    };
    let report = gemm_report(
        &backends,
        a.r,
        a.p,
        a.n,
        a.seed,
        Duration::from_secs_f64(a.time),
        (!a.no_numpy).then_some((pythons.as_slice(), numpy_script.as_path())),
    )?;
    if g.json {
        return print_json(&report);
    }
    print_line(&format!(
        "packed +-1 matrix product, R = {}, P = {}, N = {}, one core (best: {})",
        report.r,
        report.p,
        report.n,
        Backend::best()
    ))?;
    print_line(&format!(
        "{:<9} {:>10} {:>10} {:>12} {:>14} {:>9}",
        "backend", "Tbit/s", "best", "ms/call", "single Tbit/s", "speedup"
    ))?;
    for t in &report.backends {
        print_line(&format!(
            "{:<9} {:>10.3} {:>10.3} {:>12.2} {:>14.3} {:>8.2}x",
            t.backend,
            t.tbit_per_s,
            t.tbit_per_s_best,
            t.seconds * 1e3,
            t.single_tbit_per_s,
            t.speedup_vs_single
        ))?;
    }
    match &report.numpy {
        Some(np) => print_line(&format!(
            "numpy {} float32 matmul, one thread: {:.4} Tbit/s ({:.1} ms); default backend is {:.1}x numpy ({:.1}x in thread CPU time)",
            np.numpy_version,
            np.tbit_per_s,
            np.seconds * 1e3,
            report.vs_numpy.unwrap_or(f64::NAN),
            report.vs_numpy_cpu.unwrap_or(f64::NAN)
        ))?,
        None => print_line(&format!(
            "numpy: skipped ({})",
            report.numpy_reason.as_deref().unwrap_or("")
        ))?,
    }
    let bw = &report.bandwidth;
    print_line(&format!(
        "read bandwidth of this core: L1 {:.2} Tbit/s ({:.0} GB/s), L2 {:.2} Tbit/s ({:.0} GB/s); default backend = {:.2}x L1, {:.2}x L2",
        bw.l1_tbit_per_s,
        bw.l1_tbit_per_s * 125.0,
        bw.l2_tbit_per_s,
        bw.l2_tbit_per_s * 125.0,
        bw.gemm_vs_l1,
        bw.gemm_vs_l2
    ))?;
    match &report.ceiling {
        Some(c) => print_line(&format!(
            "issue ceiling on registers (no memory), {:.2} GHz: xor+vpopcntq+add {:.0} bits/cycle = {:.2} Tbit/s; with 16 scalar products per 24 vector ones {:.0} bits/cycle = {:.2} Tbit/s; default backend = {:.2}x the vector ceiling",
            c.clock_ghz,
            c.avx512_bits_per_cycle,
            c.avx512_tbit_per_s,
            c.avx512_scalar_bits_per_cycle,
            c.avx512_scalar_tbit_per_s,
            c.gemm_vs_avx512
        ))?,
        None => print_line(&format!(
            "issue ceiling: not measured ({})",
            report.ceiling_reason.as_deref().unwrap_or("")
        ))?,
    }
    Ok(())
}

/// benches/numpy_gemm.py of the source tree this binary was built from.
fn default_numpy_script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("benches")
        .join("numpy_gemm.py")
}
