//! Criterion benchmarks of message passing (ALGORITHMS §b–c): one Gaussian BP sweep at N = 1001,
//! α = 0.6 (target ≤ 2 ms; throughput in edges = P·N), one exact-factor sweep at N = 21, the P factor
//! updates of a converged N = 1001 state at each vector level of `flatmin_core::simd` (baseline
//! SSE2, AVX2, AVX-512; bit-identical results), and one focusing-BP solve at N = 1001, α = 0.7 with
//! the §c.4 protocol (target ≤ 0.7 s median), and the P factor updates of a polarized state (reinforced
//! BP at N = 1001, α = 0.78 after 600 of its 1000 steps: most factors have σ² < 10 and take the
//! direct formula) at each vector level.
//!
//! Run: `cargo bench --bench bp` (one thread; numbers are inflated by other load on a shared machine).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use flatmin_core::bits::{words_for, Patterns, SpinsMut};
use flatmin_core::bp::{factor, focusing_bp, BpWorkspace, FactorKind, FbpParams, Focus, Protocol};
use flatmin_core::instance::Instance;
use flatmin_core::rng::rng_from_seed;
use flatmin_core::simd::Level;
use flatmin_host::experiments::bench::ConvergedBp;
use flatmin_host::io::InstanceFile;

fn instance(n: usize, alpha: f64, seed: u64) -> (usize, Vec<u64>) {
    let f = InstanceFile::generate(n, alpha, 0.0, false, seed).unwrap();
    (f.p, f.gauged_patterns().unwrap())
}

fn sweep(c: &mut Criterion, name: &str, n: usize, alpha: f64, factor: FactorKind) {
    let (p, xi) = instance(n, alpha, 1);
    let inst = Instance::new(Patterns::new(n, p, &xi).unwrap(), 0.0).unwrap();
    let mut reals = vec![0.0f64; BpWorkspace::<f64>::required_reals(n, p, factor)];
    let mut perm = vec![0u32; BpWorkspace::<f64>::required_perm(n, p)];
    let mut ws = BpWorkspace::new(n, p, factor, &mut reals, &mut perm).unwrap();
    let mut rng = rng_from_seed(2);
    ws.init(&inst, None, 0.0, 0.01, &mut rng).unwrap();
    let mut g = c.benchmark_group("bp_sweep");
    g.throughput(Throughput::Elements((n * p) as u64));
    g.bench_function(name, |b| {
        b.iter(|| ws.sweep(&inst, 0.0, 50.0, None, &mut rng))
    });
    g.finish();
}

/// All P factor updates of a converged N = 1001, α = 0.6 state in row order, at each vector level the
/// CPU supports (the levels give bit-identical results; only the speed differs).
fn factor_levels(c: &mut Criterion) {
    let (n, alpha) = (1001, 0.6);
    let state = ConvergedBp::new(n, alpha, 1).unwrap();
    let mut grp = c.benchmark_group("gaussian_factor_updates_N1001_a0.6");
    grp.throughput(Throughput::Elements((n * state.p()) as u64));
    for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
        let mut st = state.clone();
        grp.bench_function(level.name(), |b| b.iter(|| st.sweep(level)));
    }
    grp.finish();
}

/// A polarized BP state: reinforced BP (γ = ∞, y = 1/(1 − k·dr), dr = 1e-3, one sweep per step) run
/// for `steps` steps on a random N × αN instance, then frozen. Returns (n, p, patterns, g, h, θ,
/// number of factors with cavity variance σ² < 10).
#[allow(clippy::type_complexity)]
fn polarized_state(
    n: usize,
    alpha: f64,
    steps: usize,
) -> (usize, usize, Vec<u64>, Vec<f64>, Vec<f64>, i32, usize) {
    let (p, xi) = instance(n, alpha, 1);
    let inst = Instance::new(Patterns::new(n, p, &xi).unwrap(), 0.0).unwrap();
    let f = FactorKind::Gaussian;
    let mut reals = vec![0.0f64; BpWorkspace::<f64>::required_reals(n, p, f)];
    let mut perm = vec![0u32; BpWorkspace::<f64>::required_perm(n, p)];
    let mut ws = BpWorkspace::new(n, p, f, &mut reals, &mut perm).unwrap();
    let mut rng = rng_from_seed(1);
    ws.init(&inst, None, 0.0, 0.01, &mut rng).unwrap();
    for k in 0..steps {
        let focus = Focus {
            pol: 1.0,
            r: 1.0 / (1.0 - k as f64 * 1e-3) - 1.0,
        };
        ws.sweep(&inst, 0.0, 50.0, Some(focus), &mut rng);
    }
    let (g, h) = (ws.fields().to_vec(), ws.totals().to_vec());
    let polarized = (0..p)
        .filter(|&mu| {
            let var: f64 = (0..n)
                .map(|i| 1.0 - (h[i] - g[mu * n + i]).tanh().powi(2))
                .sum();
            var < 10.0
        })
        .count();
    let theta = inst.threshold.t_par - 1;
    (n, p, xi, g, h, theta, polarized)
}

/// All P factor updates (row order, no damping, G_max = 50) of the polarized reinforced-BP state at
/// each vector level the CPU supports.
fn polarized_levels(c: &mut Criterion) {
    let (n, p, xi, g0, h0, theta, polarized) = polarized_state(1001, 0.78, 600);
    eprintln!("polarized state: {polarized} of {p} factors have sigma^2 < 10");
    let words = words_for(n);
    let mut grp = c.benchmark_group("gaussian_factor_updates_polarized_N1001_a0.78");
    grp.throughput(Throughput::Elements((n * p) as u64));
    for level in Level::ALL.into_iter().filter(|l| l.is_available()) {
        let (mut g, mut h) = (g0.clone(), h0.clone());
        let mut buf = vec![0.0f64; factor::GaussianScratch::<f64>::required(n)];
        let mut scratch = factor::GaussianScratch::new(n, &mut buf).unwrap();
        grp.bench_function(level.name(), |b| {
            b.iter(|| {
                let mut r = 0.0;
                for mu in 0..p {
                    r = factor::gaussian_update_with(
                        level,
                        &xi[mu * words..(mu + 1) * words],
                        &mut g[mu * n..(mu + 1) * n],
                        &mut h,
                        &mut scratch,
                        theta,
                        0.0,
                        50.0,
                        r,
                    )
                    .unwrap();
                }
                r
            })
        });
    }
    grp.finish();
}

fn bp_sweeps(c: &mut Criterion) {
    sweep(
        c,
        "gaussian_f64_N1001_a0.6",
        1001,
        0.6,
        FactorKind::Gaussian,
    );
    sweep(c, "exact_f64_N21_a0.5", 21, 0.5, FactorKind::Exact);
}

fn fbp_solve(c: &mut Criterion) {
    let n = 1001;
    let (p, xi) = instance(n, 0.7, 3);
    let inst = Instance::new(Patterns::new(n, p, &xi).unwrap(), 0.0).unwrap();
    let f = FactorKind::Gaussian;
    let mut reals = vec![0.0f64; BpWorkspace::<f64>::required_reals(n, p, f)];
    let mut perm = vec![0u32; BpWorkspace::<f64>::required_perm(n, p)];
    let mut wbuf = vec![0u64; words_for(n)];
    let mut stabs = vec![0i32; p];
    let params = FbpParams::<f64>::new(Protocol::PAPER);
    let mut g = c.benchmark_group("fbp_solve");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1));
    let mut seed = 0u64;
    g.bench_function("paper_scoping_N1001_a0.7", |b| {
        b.iter_batched(
            || {
                seed += 1;
                seed
            },
            |s| {
                let mut ws = BpWorkspace::new(n, p, f, &mut reals, &mut perm).unwrap();
                let mut w = SpinsMut::new(n, &mut wbuf).unwrap();
                focusing_bp(&inst, &mut ws, &params, s, &mut w, &mut stabs).unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(
    benches,
    bp_sweeps,
    factor_levels,
    polarized_levels,
    fbp_solve
);
criterion_main!(benches);
