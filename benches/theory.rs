//! Criterion benchmarks of the replica theory (issue 3): a 100-point RS curve (target ≤ 50 ms), a
//! 100-point Franz–Parisi curve (target ≤ 1 s), one phase classification, and the two halves of the FP
//! functional. Run with `cargo bench --bench theory`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flatmin_core::theory::franz_parisi::{
    self as fp, FpError, FpProblem, FpQuadratureFast, FpQuadratureSpec,
};
use flatmin_core::theory::phases;
use flatmin_core::theory::rs::{self, RsQuadrature};
use std::hint::black_box;

fn rs_curve(c: &mut Criterion) {
    let quad = RsQuadrature::new();
    let kappas: Vec<f64> = (0..100).map(|i| 0.4 * i as f64 / 99.0).collect();
    let mut g = c.benchmark_group("rs");
    g.throughput(Throughput::Elements(100));
    g.bench_function("curve_100_kappa_alpha0.5_f64", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for &k in &kappas {
                acc += rs::solve(&quad, black_box(0.5f64), k).unwrap().s;
            }
            acc
        })
    });
    g.bench_function("curve_100_kappa_alpha0.5_f32", |b| {
        b.iter(|| {
            let mut acc = 0.0f32;
            for &k in &kappas {
                acc += rs::solve(&quad, black_box(0.5f32), k as f32).unwrap().s;
            }
            acc
        })
    });
    g.finish();
}

fn fp_curve(c: &mut Criterion) {
    let quad = FpQuadratureFast::new();
    let mut g = c.benchmark_group("franz_parisi");
    g.sample_size(10);
    for (alpha, kref) in [(0.5, 0.2), (0.5, 0.0)] {
        let prob = FpProblem::perceptron(&quad, alpha, kref, 0.0).unwrap();
        let max = fp::maximum(&quad, &prob).unwrap();
        // 100 points: 40 log-spaced in [2e-3, 0.05), 60 linear in [0.05, 0.45]
        let mut ds: Vec<f64> = (0..40)
            .map(|i| (2e-3f64.ln() + (0.05f64 / 2e-3).ln() * i as f64 / 40.0).exp())
            .collect();
        ds.extend((0..60).map(|i| 0.05 + 0.4 * i as f64 / 59.0));
        g.throughput(Throughput::Elements(ds.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("curve_100", format!("a{alpha}_kref{kref}_k0")),
            &ds,
            |b, ds| {
                b.iter(|| {
                    let mut out = vec![Err(FpError::NotComputed); ds.len()];
                    fp::curve(&quad, &prob, &max, ds, &mut out).unwrap()
                })
            },
        );
    }
    g.throughput(Throughput::Elements(1));
    let prob = FpProblem::perceptron(&quad, 0.6, 0.2, 0.1).unwrap();
    g.bench_function("energetic_fast_40x40x8", |b| {
        b.iter(|| fp::energetic(&quad, &prob, black_box(0.8946), 0.5403, 0.94))
    });
    let spec = FpQuadratureSpec::new();
    g.bench_function("energetic_spec_64x64x8", |b| {
        b.iter(|| fp::energetic(&spec, &prob, black_box(0.8946), 0.5403, 0.94))
    });
    g.bench_function("entropic", |b| {
        b.iter(|| {
            fp::entropic(
                &quad.rs.gl,
                prob.reference.qhat,
                black_box(0.856),
                1.1545,
                2.8475,
            )
        })
    });
    g.bench_function("maximum", |b| b.iter(|| fp::maximum(&quad, &prob).unwrap()));
    g.finish();
}

fn phase_classification(c: &mut Criterion) {
    let quad = FpQuadratureFast::new();
    let mut g = c.benchmark_group("phases");
    g.sample_size(10);
    g.throughput(Throughput::Elements(phases::GRID_LEN as u64));
    let prob = FpProblem::perceptron(&quad, 0.5, 0.033, 0.0).unwrap();
    g.bench_function("classify_a0.5_kref0.033", |b| {
        b.iter(|| phases::classify(&quad, &prob).unwrap())
    });
    g.finish();
}

criterion_group!(benches, rs_curve, fp_curve, phase_classification);
criterion_main!(benches);
