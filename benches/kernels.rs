//! Criterion benchmarks of the XOR-popcount stability kernel (ALGORITHMS §a.3): every available
//! backend at (N, P) = (1001, 700), (8192, 1000), (65536, 1000), plus `dot` at N = 65536.
//!
//! Throughput is declared as `Elements(N·P)`, one element per bit of the pattern matrix, so
//! criterion's `Gelem/s` reads directly as Gbit/s (the unit of the targets: ≥ 150 Gbit/s at
//! (1001, 700) and ≥ 500 Gbit/s at (8192, 1000) on one Zen 4 core). Pattern memory is
//! P·⌈N/64⌉·8 bytes: 87.5 KiB (L2-resident), 1000 KiB (about the 1 MiB L2 of Zen 4) and 7.8 MiB
//! (beyond L2: L3/memory-bound).
//!
//! Clock: on Unix the time is the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), which
//! equals wall time on an idle machine but does not count the time the thread waits for a core when
//! other jobs share the machine (cache pollution by those jobs still counts). Set
//! `FLATMIN_BENCH_CLOCK=wall` for criterion's usual wall clock.
//!
//! Short run on a shared machine: `cargo bench --bench kernels -- --warm-up-time 1 --measurement-time 3`.
//!
//! Measured 2026-11-22 on the AMD EPYC (Zen 4) build host, default release build (no RUSTFLAGS),
//! thread CPU time, under load (2 cores shared by about 10 runnable jobs), Gbit/s:
//!
//! | (N, P) | portable | popcnt | avx2 | avx512 | blocked (AVX-512 inside) | target |
//! |---|---|---|---|---|---|---|
//! | (1001, 700) | 72 | 145 | 193 | 478 | 581 | ≥ 150 |
//! | (8192, 1000) | 83 | 157 | 266 | 463 | 513 | ≥ 500 |
//! | (65536, 1000) | 80 | 126 | 148 | 315 | 381 | (beyond L2) |
//!
//! The blocked kernel reaches about 900 Gbit/s at (8192, 100) (100 KiB, L2-resident); at P = 1000 the
//! 1000 KiB matrix does not stay in the 1 MiB L2 next to the other jobs, and at N = 65536 (7.8 MiB)
//! every call streams from L3: those two sizes are cache/memory-bound, not popcount-bound.

use criterion::measurement::{Measurement, WallTime};
use criterion::{black_box, BenchmarkId, Criterion, Throughput};
use flatmin_core::bits::kernel::{self, Backend};
use flatmin_core::bits::{last_word_mask, words_for, Patterns, Spins};
use flatmin_core::rng::rng_from_seed;
use rand_core::RngCore;

const SIZES: [(usize, usize); 3] = [(1001, 700), (8192, 1000), (65536, 1000)];

/// Random packed words with clean padding.
fn random_words(seed: u64, n: usize, rows: usize) -> Vec<u64> {
    let mut rng = rng_from_seed(seed);
    let nw = words_for(n);
    let mut v: Vec<u64> = (0..nw * rows).map(|_| rng.next_u64()).collect();
    for row in v.chunks_exact_mut(nw) {
        row[nw - 1] &= last_word_mask(n);
    }
    v
}

fn stabilities<M: Measurement>(c: &mut Criterion<M>) {
    for &(n, p) in &SIZES {
        let w_words = random_words(1, n, 1);
        let x_words = random_words(2, n, p);
        let w = Spins::new(n, &w_words).unwrap();
        let xi = Patterns::new(n, p, &x_words).unwrap();
        let mut out = vec![0i32; p];

        let mut g = c.benchmark_group(format!("stabilities/N{n}_P{p}"));
        g.throughput(Throughput::Elements((n * p) as u64));
        for b in Backend::available() {
            g.bench_with_input(BenchmarkId::from_parameter(b.name()), &b, |bench, &b| {
                bench.iter(|| {
                    kernel::stabilities_with(b, black_box(&w), black_box(&xi), &mut out).unwrap();
                    black_box(&out);
                })
            });
        }
        g.finish();
    }
}

fn dot<M: Measurement>(c: &mut Criterion<M>) {
    let n = 65536;
    let a_words = random_words(3, n, 1);
    let b_words = random_words(4, n, 1);
    let a = Spins::new(n, &a_words).unwrap();
    let bv = Spins::new(n, &b_words).unwrap();
    let mut g = c.benchmark_group(format!("dot/N{n}"));
    g.throughput(Throughput::Elements(n as u64));
    for b in Backend::available() {
        g.bench_with_input(BenchmarkId::from_parameter(b.name()), &b, |bench, &b| {
            bench.iter(|| kernel::dot_with(b, black_box(&a), black_box(&bv)).unwrap())
        });
    }
    g.finish();
}

/// The calling thread's CPU time (criterion measurement).
#[cfg(unix)]
struct ThreadCpuTime;

#[cfg(unix)]
static WALL: WallTime = WallTime;

#[cfg(unix)]
impl ThreadCpuTime {
    fn now() -> std::time::Duration {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
    }
}

#[cfg(unix)]
impl Measurement for ThreadCpuTime {
    type Intermediate = std::time::Duration;
    type Value = std::time::Duration;
    fn start(&self) -> Self::Intermediate {
        Self::now()
    }
    fn end(&self, i: Self::Intermediate) -> Self::Value {
        Self::now().saturating_sub(i)
    }
    fn add(&self, v1: &Self::Value, v2: &Self::Value) -> Self::Value {
        *v1 + *v2
    }
    fn zero(&self) -> Self::Value {
        std::time::Duration::ZERO
    }
    fn to_f64(&self, value: &Self::Value) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn criterion::measurement::ValueFormatter {
        // Same unit (nanoseconds) as the wall clock, so its formatter applies unchanged.
        WALL.formatter()
    }
}

fn run<M: Measurement>(mut c: Criterion<M>) {
    stabilities(&mut c);
    dot(&mut c);
    c.final_summary();
}

fn main() {
    let wall = std::env::var("FLATMIN_BENCH_CLOCK").is_ok_and(|v| v == "wall");
    #[cfg(unix)]
    if !wall {
        run(Criterion::default()
            .with_measurement(ThreadCpuTime)
            .configure_from_args());
        return;
    }
    let _ = wall;
    run(Criterion::default().configure_from_args());
}
