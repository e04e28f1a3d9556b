//! `flatmin bench …`: speed of the kernels, in the units of the criterion benchmarks.

use super::{input_error, print_json, print_line, Global};
use clap::{Args, Subcommand};
use flatmin_core::bits::kernel::Backend;
use flatmin_host::experiments::bench::{kernel_throughput, KernelThroughput, STANDARD_SIZES};
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
}

/// Options of `flatmin bench kernels`.
#[derive(Debug, Args)]
pub struct KernelsArgs {
    /// Bits per pattern N (default 8192 when only --p is given; the three reference sizes when neither).
    #[arg(long, value_name = "N")]
    pub n: Option<usize>,
    /// Number of patterns P (default 1000 when only --n is given).
    #[arg(long, value_name = "P")]
    pub p: Option<usize>,
    /// Only this backend: portable, popcnt, avx2, avx512 or blocked (default: every available one).
    #[arg(long, value_name = "B")]
    pub backend: Option<String>,
    /// Seconds of timing per backend and size.
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub time: f64,
    /// Seed of the random weights and patterns (the speed does not depend on it).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Runs a command of this family.
pub fn run(cmd: Cmd, g: &Global) -> anyhow::Result<()> {
    match cmd {
        Cmd::Kernels(a) => kernels(a, g),
    }
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
