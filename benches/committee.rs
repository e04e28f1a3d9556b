//! Committee-machine BP (core `bp::committee`): criterion benchmark of one Gaussian BP sweep (fully
//! connected K = 3, N = 335 and K = 5, N = 201, i.e. ≈ 1000 weights, α = 0.3 per weight; tree K = 3,
//! N = 999; throughput in pattern × weight edges), and a command mode used by
//! `benches/rfbp_compare.py` to run flatmin on the peer's instance files.
//!
//! Run: `cargo bench --bench committee` (one thread; shared-machine numbers are inflated by load).
//!
//! Command mode (no criterion): `FLATMIN_COMMITTEE_FILE=F K=k [MODE=solve|sweeps] [SWEEPS=s]
//! [PROTOCOL=reinforcement|paper|scoping|pseudo] [DAMPING=d] [MAX_SWEEPS=m] [TOL=e] [SEED=s]
//! <bench binary>` reads the rFBP text format (line 1: the P labels ±1; then P lines of N inputs ±1,
//! whitespace-separated), gauges it, and either runs focusing BP (MODE=solve) or exactly SWEEPS plain
//! sweeps (MODE=sweeps), printing one JSON line. The fully connected architecture is used (as rFBP).

use criterion::{criterion_group, Criterion, Throughput};
use flatmin_core::bits::{words_for, Patterns, PatternsMut};
use flatmin_core::bp::committee::{generate, Architecture, CommitteeInstance, CommitteeWorkspace};
use flatmin_core::bp::{focusing_bp, FactorKind, FbpParams, Protocol};
use flatmin_core::instance::gauge;
use flatmin_core::rng::rng_from_seed;

fn instance(n: usize, p: usize, k: usize, arch: Architecture, seed: u64) -> Vec<u64> {
    let mut xi = vec![0u64; p * words_for(n)];
    let mut y = vec![0u64; words_for(p)];
    let mut pm = PatternsMut::new(n, p, &mut xi).unwrap();
    generate(seed, k, arch, None, &mut pm, &mut y).unwrap();
    gauge(&mut pm, &y).unwrap();
    xi
}

fn sweep(c: &mut Criterion, name: &str, n: usize, k: usize, arch: Architecture, alpha: f64) {
    let factor = FactorKind::Gaussian;
    let n_in = match arch {
        Architecture::FullyConnected => n,
        Architecture::Tree => n / k,
    };
    let p = (alpha * (k * n_in) as f64).round() as usize;
    let xi = instance(n, p, k, arch, 1);
    let inst = CommitteeInstance::new(Patterns::new(n, p, &xi).unwrap(), k, arch).unwrap();
    let mut reals = vec![0.0f64; CommitteeWorkspace::<f64>::required_reals(k, n_in, p, factor)];
    let mut perm = vec![0u32; CommitteeWorkspace::<f64>::required_perm(k, n_in, p)];
    let mut ws = CommitteeWorkspace::new(&inst, factor, &mut reals, &mut perm).unwrap();
    let mut rng = rng_from_seed(2);
    ws.init(&inst, None, 0.0, 0.01, &mut rng).unwrap();
    // Warm up into a typical state (damped, as the committee needs).
    for _ in 0..20 {
        ws.sweep(&inst, 0.5, 50.0, None, &mut rng);
    }
    let mut g = c.benchmark_group("committee_sweep");
    g.throughput(Throughput::Elements((p * k * n_in) as u64));
    g.bench_function(name, |b| {
        b.iter(|| ws.sweep(&inst, 0.5, 50.0, None, &mut rng))
    });
    g.finish();
}

fn sweeps(c: &mut Criterion) {
    sweep(
        c,
        "fc_K3_N335_a0.3",
        335,
        3,
        Architecture::FullyConnected,
        0.3,
    );
    sweep(
        c,
        "fc_K5_N201_a0.3",
        201,
        5,
        Architecture::FullyConnected,
        0.3,
    );
    sweep(c, "tree_K3_N999_a0.3", 999, 3, Architecture::Tree, 0.3);
}

criterion_group!(benches, sweeps);

fn env<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Reads the rFBP text format into (N, P, gauged patterns).
fn read_rfbp(path: &str) -> (usize, usize, Vec<u64>) {
    let text = std::fs::read_to_string(path).expect("read instance");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let parse = |l: &str| -> Vec<i32> {
        l.split_whitespace()
            .map(|x| x.parse::<f64>().expect("number") as i32)
            .collect()
    };
    let labels = parse(lines.next().expect("labels line"));
    let rows: Vec<Vec<i32>> = lines.map(parse).collect();
    let (p, n) = (rows.len(), rows[0].len());
    assert_eq!(labels.len(), p, "labels vs patterns");
    let nw = words_for(n);
    let mut xi = vec![0u64; p * nw];
    for (mu, r) in rows.iter().enumerate() {
        assert_eq!(r.len(), n);
        for (i, &v) in r.iter().enumerate() {
            // Gauged: ξ·y; bit 1 ⇔ −1.
            if v * labels[mu] < 0 {
                xi[mu * nw + i / 64] |= 1u64 << (i % 64);
            }
        }
    }
    (n, p, xi)
}

fn command_mode(path: &str) {
    let k: usize = env("K", 3);
    let (n, p, xi) = read_rfbp(path);
    let arch = Architecture::FullyConnected;
    let inst = CommitteeInstance::new(Patterns::new(n, p, &xi).unwrap(), k, arch).unwrap();
    let factor = FactorKind::Gaussian;
    let mut reals = vec![0.0f64; CommitteeWorkspace::<f64>::required_reals(k, n, p, factor)];
    let mut perm = vec![0u32; CommitteeWorkspace::<f64>::required_perm(k, n, p)];
    let mut ws = CommitteeWorkspace::new(&inst, factor, &mut reals, &mut perm).unwrap();
    let seed: u64 = env("SEED", 1);
    let damping: f64 = env("DAMPING", 0.5);
    let mode: String = env("MODE", "solve".to_string());
    if mode == "sweeps" {
        let s: usize = env("SWEEPS", 50);
        let mut rng = rng_from_seed(seed);
        ws.init(&inst, None, 0.0, 0.01, &mut rng).unwrap();
        let t = std::time::Instant::now();
        let mut r = 0.0;
        for _ in 0..s {
            r = ws.sweep(&inst, damping, 50.0, None, &mut rng);
        }
        println!(
            "{{\"mode\":\"sweeps\",\"sweeps\":{s},\"residual\":{r},\"seconds\":{}}}",
            t.elapsed().as_secs_f64()
        );
        return;
    }
    let proto = match env("PROTOCOL", "reinforcement".to_string()).as_str() {
        "paper" => Protocol::PAPER,
        "scoping" => Protocol::SRC_SCOPING,
        "pseudo" => Protocol::PSEUDO,
        _ => Protocol::DEFAULT,
    };
    let mut params = FbpParams::<f64>::new(proto);
    params.bp.damping = damping;
    params.bp.max_sweeps = env("MAX_SWEEPS", 10);
    params.bp.tol = env("TOL", 1e-3);
    params.runaway = None;
    let mut w = vec![0u64; k * words_for(n)];
    let mut votes = vec![0i32; p];
    let t = std::time::Instant::now();
    let out = focusing_bp(
        &inst,
        &mut ws,
        &params,
        seed,
        &mut PatternsMut::new(n, k, &mut w).unwrap(),
        &mut votes,
    )
    .unwrap();
    println!(
        "{{\"mode\":\"solve\",\"solved\":{},\"errors\":{},\"steps\":{},\"sweeps\":{},\"seconds\":{}}}",
        out.solved,
        out.errors,
        out.steps,
        out.sweeps,
        t.elapsed().as_secs_f64()
    );
}

fn main() {
    if let Ok(path) = std::env::var("FLATMIN_COMMITTEE_FILE") {
        command_mode(&path);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
