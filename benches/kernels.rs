//! Criterion benchmarks of the XOR-popcount stability kernel (ALGORITHMS §a.3): every available
//! backend at (N, P) = (1001, 700), (8192, 1000), (65536, 1000).
//!
//! Throughput is declared as `Elements(N·P)`, one element per bit of the pattern matrix, so
//! criterion's `Gelem/s` reads directly as Gbit/s (the unit of the targets: ≥ 150 Gbit/s at
//! (1001, 700) and ≥ 500 Gbit/s at (8192, 1000) on one Zen 4 core). Pattern memory is
//! P·⌈N/64⌉·8 bytes: 89.6 kB, 1.0 MB and 8.2 MB, i.e. L2-resident, at the L2 size of Zen 4 (1 MB),
//! and beyond L2 (L3/memory-bound) respectively.
//!
//! Short run on a shared machine: `cargo bench --bench kernels -- --warm-up-time 1 --measurement-time 3`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flatmin_core::bits::kernel::{self, Backend};
use flatmin_core::bits::{words_for, Patterns, Spins};
use flatmin_core::rng::rng_from_seed;
use rand_core::RngCore;

const SIZES: [(usize, usize); 3] = [(1001, 700), (8192, 1000), (65536, 1000)];

/// Random packed words with clean padding.
fn random_words(seed: u64, n: usize, rows: usize) -> Vec<u64> {
    let mut rng = rng_from_seed(seed);
    let nw = words_for(n);
    let mask = flatmin_core::bits::last_word_mask(n);
    let mut v: Vec<u64> = (0..nw * rows).map(|_| rng.next_u64()).collect();
    for row in v.chunks_exact_mut(nw) {
        row[nw - 1] &= mask;
    }
    v
}

fn stabilities(c: &mut Criterion) {
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

fn dot(c: &mut Criterion) {
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

criterion_group!(benches, stabilities, dot);
criterion_main!(benches);
