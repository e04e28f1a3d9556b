//! Criterion benchmarks of the exact enumeration (ALGORITHMS §e): one full pass over the 2^N
//! configurations of a random instance at α = 1/2, single thread, default low bits.
//! Throughput is declared in configurations (`Elements(2^N)`), so criterion reports configurations/s.
//!
//! The `enumerate_backends` group runs every available core backend (portable Gray-code loop, AVX2,
//! AVX-512) at the reference point N = 30, P = 15 (goal ≥ 2·10⁹ configurations/s on one
//! core). The `threads` group runs the host's parallel driver (rayon over top-bit chunks) with 1 and 2
//! threads on the same instance, to show the scaling. `flatmin bench enumerate` measures the same
//! with CPU time next to wall time (useful on a shared machine).
//!
//! Run: `cargo bench --bench enumerate` (add `-- N=27` to filter).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flatmin_core::bits::{words_for, Patterns, PatternsMut, Spins};
use flatmin_core::enumerate::{
    hist_err_len, hist_smin_len, scratch_len, Backend, Chunk, Enumerator, DEFAULT_LOW_BITS,
};
use flatmin_core::instance::{gauge, generate_random};

fn instance(n: usize, p: usize, seed: u64) -> Vec<u64> {
    let mut xi = vec![0u64; p * words_for(n)];
    let mut labels = vec![0u64; words_for(p)];
    let mut pm = PatternsMut::new(n, p, &mut xi).unwrap();
    generate_random(seed, &mut pm, &mut labels).unwrap();
    gauge(&mut pm, &labels).unwrap();
    xi
}

fn bench_enumerate(c: &mut Criterion) {
    let mut g = c.benchmark_group("enumerate");
    g.sample_size(10);
    for (n, p) in [(20usize, 10usize), (24, 12), (27, 13)] {
        let xi = instance(n, p, 1);
        let pats = Patterns::new(n, p, &xi).unwrap();
        let rw = [0u64];
        let r = Spins::new(n, &rw).unwrap();
        let mut scratch = vec![0u8; scratch_len(n, p, DEFAULT_LOW_BITS)];
        let e = Enumerator::new(&pats, &r, DEFAULT_LOW_BITS, &mut scratch).unwrap();
        let mut he = vec![0u64; hist_err_len(n, p)];
        let mut hs = vec![0u64; hist_smin_len(n)];
        g.throughput(Throughput::Elements(1u64 << n));
        g.bench_function(
            BenchmarkId::new("one_thread", format!("N={n},P={p}")),
            |b| {
                b.iter(|| {
                    he.fill(0);
                    hs.fill(0);
                    e.accumulate(Chunk::ALL, &mut he, &mut hs).unwrap();
                    hs[0]
                })
            },
        );
    }
    g.finish();
}

fn bench_backends(c: &mut Criterion) {
    let mut g = c.benchmark_group("enumerate_backends");
    g.sample_size(10);
    let (n, p) = (30usize, 15usize);
    let xi = instance(n, p, 1);
    let pats = Patterns::new(n, p, &xi).unwrap();
    let rw = [0u64];
    let r = Spins::new(n, &rw).unwrap();
    let mut scratch = vec![0u8; scratch_len(n, p, DEFAULT_LOW_BITS)];
    let e = Enumerator::new(&pats, &r, DEFAULT_LOW_BITS, &mut scratch).unwrap();
    let mut he = vec![0u64; hist_err_len(n, p)];
    let mut hs = vec![0u64; hist_smin_len(n)];
    g.throughput(Throughput::Elements(1u64 << n));
    for backend in Backend::available() {
        g.bench_function(
            BenchmarkId::new(backend.name(), format!("N={n},P={p}")),
            |b| {
                b.iter(|| {
                    he.fill(0);
                    hs.fill(0);
                    e.accumulate_with(backend, Chunk::ALL, &mut he, &mut hs)
                        .unwrap();
                    hs[0]
                })
            },
        );
    }
    g.finish();
}

fn bench_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("enumerate_threads");
    g.sample_size(10);
    let (n, p) = (27usize, 13usize);
    let problem = flatmin_host::io::Problem {
        n,
        p,
        kappa: 0.0,
        gauged: instance(n, p, 1),
    };
    let rw = [0u64];
    let r = Spins::new(n, &rw).unwrap();
    g.throughput(Throughput::Elements(1u64 << n));
    for threads in [1usize, 2] {
        g.bench_function(
            BenchmarkId::new(format!("threads={threads}"), format!("N={n},P={p}")),
            |b| {
                b.iter(|| {
                    flatmin_host::harness::with_threads(Some(threads), || {
                        flatmin_host::experiments::enumeration::tables(&problem, &r).unwrap()
                    })
                    .unwrap()
                    .hist_smin[0]
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench_enumerate, bench_backends, bench_threads);
criterion_main!(benches);
