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

mod common;
use common::random_words;
use criterion::measurement::Measurement;
use criterion::{black_box, BenchmarkId, Criterion, Throughput};
use flatmin_core::bits::kernel::{self, Backend};
use flatmin_core::bits::{Patterns, Spins};

const SIZES: [(usize, usize); 3] = [(1001, 700), (8192, 1000), (65536, 1000)];

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

fn run<M: Measurement>(mut c: Criterion<M>) {
    stabilities(&mut c);
    dot(&mut c);
    c.final_summary();
}

bench_main!(run);
