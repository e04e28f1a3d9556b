//! Baseline solvers (ALGORITHMS §d) on random κ = 0 instances: every reported outcome is checked
//! against an independent error count of the returned weights, and each solver reaches its
//! [LIT]-level regime on easy instances.

use flatmin_core::bits::{words_for, Patterns, SpinsMut};
use flatmin_core::bp::{focusing_bp, BpWorkspace, FactorKind, FbpParams};
use flatmin_core::instance::Instance;
use flatmin_core::solvers::{
    anneal, clipped_hebb, cpr, sbpi, AnnealParams, SbpiParams, SolverOutcome,
};
use flatmin_core::stability::{margin, min_stability};
use flatmin_host::io::InstanceFile;

fn random_instance(n: usize, alpha: f64, seed: u64) -> (usize, Vec<u64>) {
    let f = InstanceFile::generate(n, alpha, 0.0, false, seed).unwrap();
    (f.p, f.gauged_patterns().unwrap())
}

/// The outcome agrees with a fresh evaluation of the weights.
fn check_outcome(inst: &Instance<'_>, w: &[u64], out: &SolverOutcome) {
    let mut s = vec![0i32; inst.p()];
    let e = inst
        .errors(
            &flatmin_core::bits::Spins::new(inst.n(), w).unwrap(),
            &mut s,
        )
        .unwrap();
    assert_eq!(out.errors, e);
    assert_eq!(out.solved, e == 0);
    assert_eq!(out.min_stability, min_stability(&s).unwrap());
    assert_eq!(out.margin, margin(&s, inst.n()));
}

/// §d.2: SBPI solves random κ = 0 instances at N = 1001, α = 0.3 (capacity ≈ 0.6–0.7 [LIT]); and at
/// κ > 0 the margin is respected.
#[test]
fn sbpi_solves_easy_instances() {
    for &(n, alpha, kappa, seed) in &[
        (1001usize, 0.3, 0.0, 1u64),
        (501, 0.3, 0.0, 2),
        (501, 0.1, 0.5, 3),
    ] {
        let (p, xi) = random_instance(n, alpha, seed);
        let inst = Instance::new(Patterns::new(n, p, &xi).unwrap(), kappa).unwrap();
        let mut wb = vec![0u64; words_for(n)];
        let (mut hidden, mut perm, mut stabs) = (vec![0i8; n], vec![0u32; p], vec![0i32; p]);
        let out = sbpi(
            &inst,
            &SbpiParams::default(),
            seed,
            &mut SpinsMut::new(n, &mut wb).unwrap(),
            &mut hidden,
            &mut perm,
            &mut stabs,
        )
        .unwrap();
        eprintln!("SBPI N={n} alpha={alpha} kappa={kappa}: {out:?}");
        check_outcome(&inst, &wb, &out);
        assert!(out.solved);
        assert!(out.margin >= kappa);
        // Hidden states stay odd and inside ±(2K−1) with the default K = ⌈√N⌉ (32 at N = 1001,
        // 23 at N = 501); the weights are their signs.
        let k = SbpiParams::auto_k(n);
        assert_eq!(k, if n == 1001 { 32 } else { 23 });
        let hmax = 2 * i8::try_from(k).unwrap() - 1;
        for (i, &h) in hidden.iter().enumerate() {
            assert!(h % 2 != 0 && (-hmax..=hmax).contains(&h));
            assert_eq!(
                SpinsMut::new(n, &mut wb.clone()).unwrap().get(i),
                if h < 0 { -1 } else { 1 }
            );
        }
    }
}

fn run_sbpi(
    n: usize,
    alpha: f64,
    k: u8,
    seed: u64,
    max_sweeps: usize,
) -> (SolverOutcome, Vec<u64>) {
    let (p, xi) = random_instance(n, alpha, seed);
    let inst = Instance::new(Patterns::new(n, p, &xi).unwrap(), 0.0).unwrap();
    let mut wb = vec![0u64; words_for(n)];
    let (mut hidden, mut perm, mut stabs) = (vec![0i8; n], vec![0u32; p], vec![0i32; p]);
    let params = SbpiParams {
        k,
        max_sweeps,
        ..SbpiParams::default()
    };
    let out = sbpi(
        &inst,
        &params,
        seed,
        &mut SpinsMut::new(n, &mut wb).unwrap(),
        &mut hidden,
        &mut perm,
        &mut stabs,
    )
    .unwrap();
    check_outcome(&inst, &wb, &out);
    (out, wb)
}

/// The SBPI failures at α = 0.6 seen with a fixed K = 20 (N = 951…1101 and 2001) were the hidden
/// range not growing with N: at N = 1001 the runs fail with K ≤ 20 and solve with K ≥ 21
/// (measured over seeds 0–3: K = 15, 19, 20 solved 0/4; K = 21, 22, 25, 30, 40, 63 solved 4/4;
/// at N = 501 K = 10 solved 0/4 and K = 15 4/4; at N = 2001 K = 20 0/2 and K = 30 4/4), i.e.
/// K_min ≈ 0.66 √N. The default K = ⌈√N⌉ solves where K = 20 fails.
#[test]
fn sbpi_hidden_range_scales_with_sqrt_n() {
    assert_eq!(SbpiParams::auto_k(1), 1);
    assert_eq!(SbpiParams::auto_k(1001), 32);
    assert_eq!(SbpiParams::auto_k(1024), 32);
    assert_eq!(SbpiParams::auto_k(1025), 33);
    assert_eq!(SbpiParams::auto_k(1_000_000), SbpiParams::MAX_K);
    let (fixed, _) = run_sbpi(1001, 0.6, 20, 0, 1000);
    assert!(!fixed.solved, "K = 20 at N = 1001, alpha = 0.6: {fixed:?}");
    let (auto, _) = run_sbpi(1001, 0.6, 0, 0, 1000);
    assert!(auto.solved, "K = 32 at N = 1001, alpha = 0.6: {auto:?}");
    let (big, _) = run_sbpi(2001, 0.6, 0, 1, 1000);
    assert!(big.solved, "K = 45 at N = 2001, alpha = 0.6: {big:?}");
}

/// FNV-1a 64 of the little-endian bytes of packed words.
fn fnv1a(words: &[u64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Pinned runs: sweeps, presentations and a digest of the weights of seeded SBPI, CP+R and
/// annealing runs. The literals were computed by running this code once (they pin behaviour, not
/// a derivation): a change of the instance stream, the solver rules or their random draws fails
/// here and must be a conscious decision.
#[test]
fn pinned_solver_runs() {
    let (out, w) = run_sbpi(301, 0.5, 0, 11, 10_000);
    assert!(out.solved);
    assert_eq!((out.sweeps, out.steps, fnv1a(&w)), PIN_SBPI);

    let (n, seed) = (201usize, 12u64);
    let (p, xi) = random_instance(n, 0.3, seed);
    let inst = Instance::new(Patterns::new(n, p, &xi).unwrap(), 0.0).unwrap();
    let mut wb = vec![0u64; words_for(n)];
    let (mut hidden, mut perm, mut stabs) = (vec![0i8; n], vec![0u32; p], vec![0i32; p]);
    let params = SbpiParams {
        p_s: 0.003,
        ..SbpiParams::default()
    };
    let out = cpr(
        &inst,
        &params,
        seed,
        &mut SpinsMut::new(n, &mut wb).unwrap(),
        &mut hidden,
        &mut perm,
        &mut stabs,
    )
    .unwrap();
    check_outcome(&inst, &wb, &out);
    assert_eq!((out.solved, out.sweeps, out.steps, fnv1a(&wb)), PIN_CPR);

    let (n, seed) = (129usize, 13u64);
    let (p, xi) = random_instance(n, 0.2, seed);
    let pats = Patterns::new(n, p, &xi).unwrap();
    let inst = Instance::new(pats, 0.0).unwrap();
    let mut tbuf = vec![0u64; pats.transposed_len()];
    let cols = pats.transpose_into(&mut tbuf).unwrap();
    let mut wb = vec![0u64; words_for(n)];
    let mut stabs = vec![0i32; p];
    let mut sets = vec![0u64; 2 * words_for(p)];
    let out = anneal(
        &inst,
        &cols,
        &AnnealParams {
            sweeps: 500,
            ..AnnealParams::default()
        },
        seed,
        &mut SpinsMut::new(n, &mut wb).unwrap(),
        &mut stabs,
        &mut sets,
    )
    .unwrap();
    check_outcome(&inst, &wb, &out);
    assert_eq!((out.solved, out.sweeps, out.steps, fnv1a(&wb)), PIN_SA);
}

const PIN_SBPI: (usize, u64, u64) = (16, 2416, 15_960_686_390_132_488_407);
const PIN_CPR: (bool, usize, u64, u64) = (true, 12, 720, 9_296_977_261_582_888_978);
const PIN_SA: (bool, usize, u64, u64) = (true, 135, 17_333, 903_495_660_460_818_745);

/// §d.3: CP+R solves random κ = 0 instances at N = 1001, α = 0.3, with a reinforcement rate
/// p_s = 0.003 per correctly classified presentation. (The spec's [REC] p_s ∈ {0.1, 0.3} freezes the
/// hidden states: measured at N = 1001, seed 4, 2000 sweeps: p_s = 0.03 and 0.01 fail at α = 0.3 and
/// 0.5, p_s = 0.003 solves both — "the rate must be less than a bound", as the abstract says.)
#[test]
fn cpr_solves_easy_instances() {
    let (n, seed) = (1001usize, 4u64);
    let (p, xi) = random_instance(n, 0.3, seed);
    let inst = Instance::new(Patterns::new(n, p, &xi).unwrap(), 0.0).unwrap();
    let mut wb = vec![0u64; words_for(n)];
    let (mut hidden, mut perm, mut stabs) = (vec![0i8; n], vec![0u32; p], vec![0i32; p]);
    let params = SbpiParams {
        p_s: 0.003,
        ..SbpiParams::default()
    };
    let out = cpr(
        &inst,
        &params,
        seed,
        &mut SpinsMut::new(n, &mut wb).unwrap(),
        &mut hidden,
        &mut perm,
        &mut stabs,
    )
    .unwrap();
    eprintln!("CP+R: {out:?}");
    check_outcome(&inst, &wb, &out);
    assert!(out.solved);
}

/// §d.4: annealing solves a small easy instance (N = 201, α = 0.2), and the incremental bit-sliced
/// energy stays equal to a full recount (checked through the outcome on an unsolved run).
#[test]
fn annealing_solves_easy_and_reports_honestly() {
    for &(n, alpha, sweeps, seed) in &[
        (201usize, 0.2, 2000usize, 5u64),
        (201, 0.8, 20, 6),
        (129, 0.5, 50, 7),
    ] {
        let (p, xi) = random_instance(n, alpha, seed);
        let pats = Patterns::new(n, p, &xi).unwrap();
        let inst = Instance::new(pats, 0.0).unwrap();
        let mut tbuf = vec![0u64; pats.transposed_len()];
        let cols = pats.transpose_into(&mut tbuf).unwrap();
        let mut wb = vec![0u64; words_for(n)];
        let mut stabs = vec![0i32; p];
        let mut sets = vec![0u64; 2 * words_for(p)];
        let params = AnnealParams {
            sweeps,
            ..AnnealParams::default()
        };
        let out = anneal(
            &inst,
            &cols,
            &params,
            seed,
            &mut SpinsMut::new(n, &mut wb).unwrap(),
            &mut stabs,
            &mut sets,
        )
        .unwrap();
        eprintln!("SA N={n} alpha={alpha}: {out:?}");
        check_outcome(&inst, &wb, &out);
        if alpha <= 0.2 {
            assert!(out.solved);
        }
        if alpha >= 0.8 {
            assert!(
                !out.solved,
                "20 sweeps of annealing should not solve alpha = 0.8"
            );
        }
    }
}

/// §d.5: clipped Hebb equals sign0 of the column sums (computed here directly from the ±1 entries),
/// solves a tiny-α instance and fails at α = 0.5 (N = 1001).
#[test]
fn clipped_hebb_is_sign_of_column_sums() {
    for &(alpha, should_solve) in &[(0.005, true), (0.5, false)] {
        let n = 1001;
        let (p, xi) = random_instance(n, alpha, 8);
        let pats = Patterns::new(n, p, &xi).unwrap();
        let inst = Instance::new(pats, 0.0).unwrap();
        let mut wb = vec![0u64; words_for(n)];
        let (mut counts, mut stabs) = (vec![0i32; n], vec![0i32; p]);
        let out = clipped_hebb(
            &inst,
            &mut SpinsMut::new(n, &mut wb).unwrap(),
            &mut counts,
            &mut stabs,
        )
        .unwrap();
        check_outcome(&inst, &wb, &out);
        let w = flatmin_core::bits::Spins::new(n, &wb).unwrap();
        for i in 0..n {
            let sum: i32 = (0..p).map(|mu| i32::from(pats.get(mu, i))).sum();
            assert_eq!(w.get(i), if sum >= 0 { 1 } else { -1 });
        }
        assert_eq!(out.solved, should_solve, "alpha {alpha}: {out:?}");
    }
}

/// §d.1: reinforced BP (γ = ∞, one sweep per step) solves N = 1001, α = 0.5.
#[test]
fn reinforced_bp_solves_alpha_05() {
    let (n, seed) = (1001usize, 9u64);
    let (p, xi) = random_instance(n, 0.5, seed);
    let inst = Instance::new(Patterns::new(n, p, &xi).unwrap(), 0.0).unwrap();
    let f = FactorKind::Gaussian;
    let mut reals = vec![0.0f64; BpWorkspace::<f64>::required_reals(n, p, f)];
    let mut perm = vec![0u32; BpWorkspace::<f64>::required_perm(n, p)];
    let mut ws = BpWorkspace::new(n, p, f, &mut reals, &mut perm).unwrap();
    let mut wb = vec![0u64; words_for(n)];
    let mut stabs = vec![0i32; p];
    let out = focusing_bp(
        &inst,
        &mut ws,
        &FbpParams::rbp(1e-3),
        seed,
        &mut SpinsMut::new(n, &mut wb).unwrap(),
        &mut stabs,
    )
    .unwrap();
    eprintln!("RBP: {out:?}");
    assert!(out.solved);
    assert_eq!(out.sweeps, out.steps, "one sweep per step");
    let mut s = vec![0i32; p];
    assert_eq!(
        inst.errors(&flatmin_core::bits::Spins::new(n, &wb).unwrap(), &mut s)
            .unwrap(),
        0
    );
}
