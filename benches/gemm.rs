//! Criterion benchmarks of the packed ±1 matrix product (`bits::gemm`, issue 13): R = 64 weight rows ×
//! P = 1000 patterns of N = 8192 bits, every available backend of [`gemm::dot_matrix_with`], the fused
//! variants (`count_below`, `sign_matrix`) on the default backend, and the same work as R calls of the
//! single-vector kernel (`kernel::stabilities`, default backend) for the ratio, and the issue-rate
//! ceiling of the tile's instruction mix on registers only (`gemm::op_mix_probe`).
//!
//! Throughput is declared as `Elements(R·P·N)`, so criterion's `Gelem/s` reads as Gbit/s of
//! XOR-popcount work (the targets: ≥ 1200 Gbit/s, ≥ 2× the single-vector kernel). Clock: the
//! benchmark thread's CPU time on Unix, as in `benches/kernels.rs` (`FLATMIN_BENCH_CLOCK=wall` for
//! wall time). numpy's float32 product of the same matrices runs in `flatmin bench gemm`
//! (benches/numpy_gemm.py), not here.
//!
//! Short run on a shared machine: `cargo bench --bench gemm -- --warm-up-time 1 --measurement-time 3`.

mod common;
use common::random_words;
use criterion::measurement::Measurement;
use criterion::{black_box, BenchmarkId, Criterion, Throughput};
use flatmin_core::bits::kernel::{self, Backend};
use flatmin_core::bits::{gemm, words_for, Patterns, PatternsMut};

const R: usize = 64;
const P: usize = 1000;
const N: usize = 8192;

fn products<M: Measurement>(c: &mut Criterion<M>) {
    let a_words = random_words(1, N, R);
    let b_words = random_words(2, N, P);
    let a = Patterns::new(N, R, &a_words).unwrap();
    let b = Patterns::new(N, P, &b_words).unwrap();
    let mut out = vec![0i32; R * P];
    let mut g = c.benchmark_group(format!("gemm/R{R}_P{P}_N{N}"));
    g.throughput(Throughput::Elements((R * P * N) as u64));
    for bk in Backend::available() {
        g.bench_with_input(
            BenchmarkId::new("dot_matrix", bk.name()),
            &bk,
            |bench, &bk| {
                bench.iter(|| {
                    gemm::dot_matrix_with(bk, black_box(&a), black_box(&b), &mut out).unwrap();
                    black_box(&out);
                })
            },
        );
    }
    g.bench_function("single_vector_x_R", |bench| {
        bench.iter(|| {
            for (row, o) in a.rows().zip(out.chunks_exact_mut(P)) {
                kernel::stabilities(black_box(&row), black_box(&b), o).unwrap();
            }
            black_box(&out);
        })
    });
    let mut counts = vec![0u32; R];
    g.bench_function("count_below", |bench| {
        bench.iter(|| {
            gemm::count_below(black_box(&a), black_box(&b), 0, &mut counts).unwrap();
            black_box(&counts);
        })
    });
    let mut sign_words = vec![0u64; words_for(R) * P];
    g.bench_function("sign_matrix", |bench| {
        bench.iter(|| {
            let mut s = PatternsMut::new(R, P, &mut sign_words).unwrap();
            gemm::sign_matrix(black_box(&a), black_box(&b), &mut s).unwrap();
            black_box(&sign_words);
        })
    });
    g.finish();
}

/// The issue-rate ceiling of the XOR-popcount work (`gemm::op_mix_probe`): the AVX-512 tile's
/// instruction mix on registers only, alone and with 16 scalar products per 24 vector ones, in the
/// same units (`Gelem/s` = Gbit/s of work); skipped without AVX-512 VPOPCNTDQ.
fn ceiling<M: Measurement>(c: &mut Criterion<M>) {
    use gemm::OpMix;
    const ITERS: u64 = 10_000;
    let mut g = c.benchmark_group("gemm/op_mix_ceiling");
    for mix in [OpMix::Avx512, OpMix::Avx512Scalar] {
        let Some(work) = gemm::op_mix_probe(mix, 1) else {
            continue;
        };
        g.throughput(Throughput::Elements(work * ITERS));
        g.bench_function(format!("{mix:?}"), |bench| {
            bench.iter(|| gemm::op_mix_probe(mix, black_box(ITERS)))
        });
    }
    g.finish();
}

fn run<M: Measurement>(mut c: Criterion<M>) {
    products(&mut c);
    ceiling(&mut c);
    c.final_summary();
}

bench_main!(run);
