//! Benchmarks of THEORY §S5 (a committee Franz–Parisi curve) and §S6 (an SBP pair-entropy curve).
//! Throughput is in curve points (saddle points or Σ2 evaluations).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use flatmin_core::theory::committee::{self, Activation};
use flatmin_core::theory::franz_parisi::{self, FpError, FpQuadratureFast};
use flatmin_core::theory::sbp::Sbp;

/// Committee (ReLU and sign) FP curve around typical max-margin solutions at α = 0.5: 10 points of
/// d ∈ [0.01, 0.28] by continuation from d* (the maximum and the reference are solved once, outside).
fn committee_fp_curve(c: &mut Criterion) {
    let quad = FpQuadratureFast::new();
    let ds: Vec<f64> = (0..10).map(|i| 0.01 + 0.03 * i as f64).collect();
    let mut group = c.benchmark_group("committee_fp_curve");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ds.len() as u64));
    for act in [Activation::Relu, Activation::Sign] {
        let kmax = committee::kappa_max(&quad.rs, act, 0.5).unwrap();
        let prob = committee::fp_problem(&quad, act, 0.5, kmax, 0.0).unwrap();
        let max = committee::fp_maximum(&quad, &prob).unwrap();
        let name = if act == Activation::Sign {
            "sign"
        } else {
            "relu"
        };
        group.bench_function(format!("{name}_alpha0.5_10pts"), |b| {
            let mut out = vec![Err(FpError::NotComputed); ds.len()];
            b.iter(|| {
                franz_parisi::curve(&quad, &prob, &max, black_box(&ds), &mut out).unwrap();
            })
        });
    }
    group.finish();
}

/// SBP pair entropy Σ2(d) at κ = 1, α = 1 on 200 points of d ∈ (0, ½], and α_gap(κ = 1) (300-point scan
/// plus golden section).
fn sbp_pair_entropy_curve(c: &mut Criterion) {
    let sbp = Sbp::new();
    let ds: Vec<f64> = (1..=200).map(|i| 0.5 * i as f64 / 200.0).collect();
    let mut group = c.benchmark_group("sbp_pair_entropy");
    group.throughput(Throughput::Elements(ds.len() as u64));
    group.bench_function("sigma2_kappa1_alpha1_200pts", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for &d in &ds {
                acc += sbp.sigma2(black_box(d), 1.0, 1.0).unwrap();
            }
            acc
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("alpha_gap_kappa1", |b| {
        b.iter(|| sbp.alpha_gap(black_box(1.0)).unwrap())
    });
    group.bench_function("tuple_entropy_y1600", |b| {
        b.iter(|| sbp.tuple_entropy(black_box(1600), 1.0, 1.0, 0.05).unwrap())
    });
    group.finish();
}

criterion_group!(benches, committee_fp_curve, sbp_pair_entropy_curve);
criterion_main!(benches);
