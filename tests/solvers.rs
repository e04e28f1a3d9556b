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

/// A solver of the table-driven helpers below, with its parameters.
#[derive(Clone, Copy, Debug)]
enum Solver {
    Sbpi(SbpiParams),
    Cpr(SbpiParams),
    Anneal(AnnealParams),
}

/// One run: its outcome (checked against a fresh evaluation), the packed weights and, for SBPI and
/// CP+R, the final hidden states.
struct Run {
    out: SolverOutcome,
    w: Vec<u64>,
    hidden: Vec<i8>,
}

/// Runs `solver` on the random instance (N, α, κ) of `seed`, with solver seed `seed`.
fn run(solver: Solver, n: usize, alpha: f64, kappa: f64, seed: u64) -> Run {
    let (p, xi) = random_instance(n, alpha, seed);
    let pats = Patterns::new(n, p, &xi).unwrap();
    let inst = Instance::new(pats, kappa).unwrap();
    let mut w = vec![0u64; words_for(n)];
    let mut stabs = vec![0i32; p];
    let mut hidden = Vec::new();
    let out = {
        let mut spins = SpinsMut::new(n, &mut w).unwrap();
        match solver {
            Solver::Sbpi(params) | Solver::Cpr(params) => {
                let f = if matches!(solver, Solver::Sbpi(_)) {
                    sbpi
                } else {
                    cpr
                };
                hidden = vec![0i8; n];
                let mut perm = vec![0u32; p];
                f(
                    &inst,
                    &params,
                    seed,
                    &mut spins,
                    &mut hidden,
                    &mut perm,
                    &mut stabs,
                )
                .unwrap()
            }
            Solver::Anneal(params) => {
                let mut tbuf = vec![0u64; pats.transposed_len()];
                let cols = pats.transpose_into(&mut tbuf).unwrap();
                let mut sets = vec![0u64; 2 * words_for(p)];
                anneal(
                    &inst, &cols, &params, seed, &mut spins, &mut stabs, &mut sets,
                )
                .unwrap()
            }
        }
    };
    check_outcome(&inst, &w, &out);
    Run { out, w, hidden }
}

fn sbpi_k(k: u8, max_sweeps: usize) -> Solver {
    Solver::Sbpi(SbpiParams {
        k,
        max_sweeps,
        ..SbpiParams::default()
    })
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
        let Run { out, w, hidden } =
            run(Solver::Sbpi(SbpiParams::default()), n, alpha, kappa, seed);
        eprintln!("SBPI N={n} alpha={alpha} kappa={kappa}: {out:?}");
        assert!(out.solved);
        assert!(out.margin >= kappa);
        // Hidden states stay odd and inside ±(2K−1) with the default K = ⌈√N⌉ (32 at N = 1001,
        // 23 at N = 501); the weights are their signs.
        let k = SbpiParams::auto_k(n);
        assert_eq!(k, if n == 1001 { 32 } else { 23 });
        check_hidden(n, k, &hidden, &w);
    }
}

/// Hidden states are odd, inside ±(2K−1), and the weights are their signs.
fn check_hidden(n: usize, k: u8, hidden: &[i8], w: &[u64]) {
    let hmax = 2 * i8::try_from(k).unwrap() - 1;
    let spins = flatmin_core::bits::Spins::new(n, w).unwrap();
    for (i, &h) in hidden.iter().enumerate() {
        assert!(h % 2 != 0 && (-hmax..=hmax).contains(&h));
        assert_eq!(spins.get(i), if h < 0 { -1 } else { 1 });
    }
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
    let fixed = run(sbpi_k(20, 1000), 1001, 0.6, 0.0, 0).out;
    assert!(!fixed.solved, "K = 20 at N = 1001, alpha = 0.6: {fixed:?}");
    let auto = run(sbpi_k(0, 1000), 1001, 0.6, 0.0, 0).out;
    assert!(auto.solved, "K = 32 at N = 1001, alpha = 0.6: {auto:?}");
    let big = run(sbpi_k(0, 1000), 2001, 0.6, 0.0, 1).out;
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

/// Pinned runs: solved, sweeps, presentations and a digest of the weights of seeded SBPI, CP+R and
/// annealing runs. The literals were computed by running this code once (they pin behaviour, not
/// a derivation): a change of the instance stream, the solver rules or their random draws fails
/// here and must be a conscious decision.
#[test]
fn pinned_solver_runs() {
    let cpr_old = SbpiParams {
        theta_m: 0,
        p_s: 0.003,
        cpr_balance: 0.0,
        ..SbpiParams::default()
    };
    // (name, solver, N, α, seed, pin)
    let table: [(&str, Solver, usize, f64, u64, Pin); 5] = [
        ("SBPI", sbpi_k(0, 10_000), 301, 0.5, 11, PIN_SBPI),
        (
            "CP+R",
            Solver::Cpr(SbpiParams::cpr_default(201, 60)),
            201,
            0.3,
            12,
            PIN_CPR,
        ),
        (
            "CP+R",
            Solver::Cpr(SbpiParams::cpr_default(1001, 601)),
            1001,
            0.6,
            21,
            PIN_CPR_1001,
        ),
        (
            "CP+R errors only",
            Solver::Cpr(cpr_old),
            201,
            0.3,
            12,
            PIN_CPR_OLD,
        ),
        (
            "SA",
            Solver::Anneal(AnnealParams {
                sweeps: 500,
                ..AnnealParams::default()
            }),
            129,
            0.2,
            13,
            PIN_SA,
        ),
    ];
    for (name, solver, n, alpha, seed, pin) in table {
        let r = run(solver, n, alpha, 0.0, seed);
        let got = (r.out.solved, r.out.sweeps, r.out.steps, fnv1a(&r.w));
        assert_eq!(got, pin, "{name} N={n} alpha={alpha} seed={seed}");
    }
}

/// (solved, sweeps, presentations or proposals, FNV-1a of the weights).
type Pin = (bool, usize, u64, u64);

// SBPI: unchanged by the CP+R fix (SBPI's rules and random draws did not change).
const PIN_SBPI: Pin = (true, 16, 2416, 15_960_686_390_132_488_407);
// CP+R with the barely correct window and p_s = 0.51·α³/√N (was (true, 12, 720,
// 9_296_977_261_582_888_978) with the errors-only rule and p_s = 0.003; that run is PIN_CPR_OLD).
const PIN_CPR: Pin = (true, 7, 420, 9_445_077_899_657_512_228);
// With the reinforcement cap γ = 0.5 (issue 12 leftovers, item 4); was (true, 63, 37_863,
// 15_790_551_605_586_197_986) without it: the cap binds in the last sweeps.
const PIN_CPR_1001: Pin = (true, 64, 38_464, 3_862_480_437_989_311_081);
const PIN_CPR_OLD: Pin = (true, 12, 720, 9_296_977_261_582_888_978);
const PIN_SA: Pin = (true, 135, 17_333, 903_495_660_460_818_745);

/// §d.3: CP+R with its defaults ([`SbpiParams::cpr_default`]: the clipped-perceptron step on
/// errors and barely correct patterns, reinforcement p_s = 0.51·α³/√N per other presentation)
/// solves random κ = 0 instances at N = 301 and 1001 up to α = 0.7.
#[test]
fn cpr_solves_instances_up_to_alpha_07() {
    for &(n, alpha, seed) in &[(1001usize, 0.3, 4u64), (1001, 0.7, 1000), (301, 0.6, 1000)] {
        let p = random_instance(n, alpha, seed).0;
        let Run { out, w, hidden } = run(
            Solver::Cpr(SbpiParams::cpr_default(n, p)),
            n,
            alpha,
            0.0,
            seed,
        );
        eprintln!("CP+R N={n} alpha={alpha}: {out:?}");
        assert!(out.solved, "CP+R N={n} alpha={alpha} seed={seed}: {out:?}");
        check_hidden(n, SbpiParams::auto_k(n), &hidden, &w);
    }
    // p_s = 0.51·α³/√N: 0.0060 at N = 1001, α = 0.72, below Baldassi 2009's bound √(2/(πN)).
    assert!((SbpiParams::cpr_auto_p_s(1001, 721) - 0.006_024).abs() < 1e-6);
    for n in [1usize, 301, 1001, 2001, 100_000] {
        let bound = (2.0 / (core::f64::consts::PI * n as f64)).sqrt();
        assert!(SbpiParams::cpr_auto_p_s(n, n) < bound);
    }
}

/// The CP+R stall of the issue report (4–5/10 solved at every α from 0.45 to 0.65, the failures
/// ending with one error): with the clipped-perceptron step on errors only (θ_m = 0, the rule as
/// ALGORITHMS §d.3 recalls it) the reinforcement saturates every hidden state while one error is
/// left, and the run freezes; the same instances solve with the barely correct window.
#[test]
fn cpr_errors_only_rule_freezes_with_one_error() {
    let old = SbpiParams {
        theta_m: 0,
        p_s: 0.003,
        max_sweeps: 300,
        cpr_balance: 0.0,
        ..SbpiParams::default()
    };
    for seed in [1001u64, 1004] {
        let (n, alpha) = (1001usize, 0.5);
        let frozen = run(Solver::Cpr(old), n, alpha, 0.0, seed);
        assert!(
            !frozen.out.solved && frozen.out.errors == 1,
            "{:?}",
            frozen.out
        );
        let (saturated, hmax) = saturated_hidden(&frozen.hidden, n);
        assert!(
            saturated > n / 3,
            "{saturated} of {n} hidden states at ±{hmax}"
        );
        let p = random_instance(n, alpha, seed).0;
        let fixed = run(
            Solver::Cpr(SbpiParams::cpr_default(n, p)),
            n,
            alpha,
            0.0,
            seed,
        )
        .out;
        assert!(fixed.solved, "seed {seed}: {fixed:?}");
    }
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
        let params = AnnealParams {
            sweeps,
            ..AnnealParams::default()
        };
        let out = run(Solver::Anneal(params), n, alpha, 0.0, seed).out;
        eprintln!("SA N={n} alpha={alpha}: {out:?}");
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

/// The host's `solve --algo cpr` (no `--cpr-ps`) runs CP+R with [`SbpiParams::cpr_default`]: the
/// same outcome and weights as the core call (and the pinned run); `--cpr-ps` overrides the rate.
#[test]
fn host_cpr_uses_the_scaled_default_rate() {
    use flatmin_host::experiments::solver::{solve, Algo, SolveOpts};
    let (n, alpha, seed) = (1001usize, 0.6, 21u64);
    let (p, xi) = random_instance(n, alpha, seed);
    let inst = Instance::new(Patterns::new(n, p, &xi).unwrap(), 0.0).unwrap();
    let opts = SolveOpts {
        algo: Algo::Cpr,
        ..SolveOpts::default()
    };
    let r = solve(&inst, &opts, seed).unwrap();
    let got = (r.solved, r.sweeps, fnv1a(&r.words));
    assert_eq!(got, (PIN_CPR_1001.0, PIN_CPR_1001.1, PIN_CPR_1001.3));
    let explicit = SolveOpts {
        cpr_p_s: Some(SbpiParams::cpr_auto_p_s(n, p)),
        ..opts
    };
    let r1 = solve(&inst, &explicit, seed).unwrap();
    assert_eq!((r1.solved, r1.sweeps, fnv1a(&r1.words)), got);
    let other = SolveOpts {
        cpr_p_s: Some(0.003),
        max_sweeps: 200,
        ..opts
    };
    let r2 = solve(&inst, &other, seed).unwrap();
    assert_ne!((r2.sweeps, fnv1a(&r2.words)), (got.1, got.2));
}

/// Issue 12 leftover: SBPI and CP+R "loop" on tiny instances (N = 3 and 5, P = 2). They do not
/// hang: each run ends after `max_sweeps` presentations with an honest failure, although the
/// instances are solvable (checked here by enumerating all 2^N configurations). The cause is the
/// rule, not a bug: two synapses whose gauged columns agree up to a sign σ (ξ^μ_j = σ ξ^μ_i for
/// every μ) receive the same clipped-perceptron step, the same reinforcement and the same
/// metaplastic step, so once clipping has made σ h_i = h_j they stay equal forever; with P = 2
/// there are only two column classes, and every solution needs two synapses of one class to
/// differ. The test checks that end state (every class synchronized) and that the run used all its
/// sweeps and no more.
#[test]
fn sbpi_and_cpr_end_unsolved_on_tiny_tied_instances() {
    for (n, alpha, seed) in [(3usize, 0.6667, 1u64), (5, 0.4, 1)] {
        let (p, xi) = random_instance(n, alpha, seed);
        assert_eq!(p, 2);
        let pats = Patterns::new(n, p, &xi).unwrap();
        // Solvable: some configuration has every stability ≥ 1 (N odd, κ = 0).
        let solutions = (0u64..1 << n)
            .filter(|&bits| {
                (0..p).all(|mu| {
                    (0..n)
                        .map(|i| {
                            let w = if (bits >> i) & 1 == 1 { -1 } else { 1 };
                            w * i32::from(pats.get(mu, i))
                        })
                        .sum::<i32>()
                        > 0
                })
            })
            .count();
        assert!(solutions > 0, "N = {n}: the instance is solvable");
        for solver in [
            Solver::Sbpi(SbpiParams::default()),
            Solver::Cpr(SbpiParams::cpr_default(n, p)),
        ] {
            let r = run(solver, n, alpha, 0.0, seed);
            assert!(!r.out.solved, "{solver:?} N = {n}: {:?}", r.out);
            let max_sweeps = SbpiParams::default().max_sweeps;
            assert_eq!(
                r.out.sweeps, max_sweeps,
                "{solver:?}: max_sweeps, then stop"
            );
            assert_eq!(r.out.steps, max_sweeps as u64 * p as u64);
            // Tied synapses (columns equal up to σ) end with σ h_i = h_j.
            for i in 0..n {
                for j in i + 1..n {
                    let sigma = i32::from(pats.get(0, i)) * i32::from(pats.get(0, j));
                    if (0..p)
                        .all(|mu| i32::from(pats.get(mu, j)) == sigma * i32::from(pats.get(mu, i)))
                    {
                        assert_eq!(
                            sigma * i32::from(r.hidden[i]),
                            i32::from(r.hidden[j]),
                            "{solver:?} N = {n}: synapses {i}, {j} tied"
                        );
                    }
                }
            }
        }
    }
}

/// Diagnosis of the residual CP+R freeze (issue 12 leftovers, item 4; run with `--ignored
/// --nocapture`): a frozen run of the capacity study at N = 1001, α = 0.6 (instance seed
/// 15878189183306591099 of `capacity --n 1001 --alphas 0.6,0.65,0.7 --samples 24 --seed 100`),
/// stopped after increasing numbers of sweeps: errors, hidden states at the bound, and the
/// stabilities at the edge. Asserts the state the sbpi.rs docs describe ("The residual freeze"):
/// without the cap, from 1000 sweeps on, one error at s = −1, no barely correct pattern and every
/// hidden state at the bound.
#[test]
#[ignore]
fn cpr_frozen_run_diagnosis() {
    let (n, alpha, seed) = (1001usize, 0.6, 15_878_189_183_306_591_099u64);
    let (p, xi) = random_instance(n, alpha, seed);
    let inst = Instance::new(Patterns::new(n, p, &xi).unwrap(), 0.0).unwrap();
    for (cpr_balance, max_sweeps) in [0.0, SbpiParams::CPR_BALANCE]
        .into_iter()
        .flat_map(|b| [50usize, 100, 200, 400, 1000, 3000, 10_000].map(|m| (b, m)))
    {
        let params = SbpiParams {
            max_sweeps,
            cpr_balance,
            ..SbpiParams::cpr_default(n, p)
        };
        let r = run(Solver::Cpr(params), n, alpha, 0.0, seed);
        let (at_bound, hmax) = saturated_hidden(&r.hidden, n);
        let mut s = vec![0i32; p];
        inst.stabilities(&flatmin_core::bits::Spins::new(n, &r.w).unwrap(), &mut s)
            .unwrap();
        let neg: Vec<i32> = s.iter().copied().filter(|&x| x < 0).collect();
        let edge = s.iter().filter(|&&x| x == 1).count();
        let mean_abs = r.hidden.iter().map(|h| f64::from(h.abs())).sum::<f64>() / n as f64;
        eprintln!(
            "balance {cpr_balance} sweeps {:>5}: solved {} errors {} (stabilities {neg:?}), barely \
             correct (s = 1) {edge}, hidden at ±{hmax}: {at_bound}/{n}, mean |h| {mean_abs:.1}, \
             p_s = {:.5}, p_s·P = {:.2}",
            r.out.sweeps,
            r.out.solved,
            r.out.errors,
            params.p_s,
            params.p_s * p as f64
        );
        if cpr_balance == 0.0 && max_sweeps >= 1000 {
            assert_eq!(
                (neg, edge, at_bound),
                (vec![-1], 0, n),
                "frozen at {max_sweeps}"
            );
        }
    }
}

/// Issue 12 leftovers, item 4: the residual CP+R freeze and its cure. On an instance of the
/// capacity study (N = 1001, α = 0.6) where CP+R froze with one error left, the uncapped rule
/// (`cpr_balance: 0`) sits at one error with its hidden states saturated; with the default cap
/// (the reinforcement at most γ = 0.5 of the previous sweep's clipped-perceptron steps) the same
/// run solves, in the pinned number of sweeps.
#[test]
fn cpr_reinforcement_cap_releases_the_frozen_run() {
    let (n, alpha, seed) = (1001usize, 0.6, 15_878_189_183_306_591_099u64);
    let p = random_instance(n, alpha, seed).0;
    let uncapped = SbpiParams {
        max_sweeps: 400,
        cpr_balance: 0.0,
        ..SbpiParams::cpr_default(n, p)
    };
    let frozen = run(Solver::Cpr(uncapped), n, alpha, 0.0, seed);
    assert!(
        !frozen.out.solved && frozen.out.errors == 1,
        "{:?}",
        frozen.out
    );
    let (saturated, hmax) = saturated_hidden(&frozen.hidden, n);
    assert!(saturated >= n / 2, "{saturated} of {n} at ±{hmax}");
    let capped = run(
        Solver::Cpr(SbpiParams::cpr_default(n, p)),
        n,
        alpha,
        0.0,
        seed,
    );
    // Pinned: the sweep count of the capped run (sbpi.rs docs, "The residual freeze": 133 sweeps).
    assert_eq!((capped.out.solved, capped.out.sweeps), (true, 133));
}

/// How many SBPI/CP+R hidden states sit at the bound ±(2K − 1) of an N-synapse run, and that bound.
fn saturated_hidden(hidden: &[i8], n: usize) -> (usize, i8) {
    let hmax = 2 * SbpiParams::auto_k(n) as i8 - 1;
    (hidden.iter().filter(|h| h.abs() == hmax).count(), hmax)
}
