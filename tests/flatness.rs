//! Local energy and flatness (ALGORITHMS §f) against the oracle fixtures (fixtures/README.md): exact
//! curves to 1e-12, integer tables exactly; the bounds of §f.2–§f.3 against the exact tables; Monte
//! Carlo against the exact curve within its statistical error.

use flatmin_core::bits::{words_for, Patterns, Spins};
use flatmin_core::enumerate::{hist_err_len, hist_smin_len, scratch_len, Chunk, Enumerator};
use flatmin_core::flatness::{
    errors_by_distance, greedy_worst, hist_err_is_consistent, level_set_distances,
    level_set_lower_bound, local_energy_exact, local_energy_mc, max_errors_upper_bound,
    max_variation, mean_err_at_distance, robustness_radius, McParams, Perturbation,
};
use flatmin_host::io::{InstanceFile, Problem};
use serde_json::Value;
use std::path::Path;

const NAMES: [&str; 4] = [
    "N15_a30_k030",
    "N15_a50_k000",
    "N15_a60_k000",
    "N21_a30_k030",
];

struct Case {
    n: usize,
    p: usize,
    xi: Vec<u64>,
    file: InstanceFile,
    answers: Value,
}

fn load(name: &str) -> Case {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let file = InstanceFile::read(&dir.join(format!("{name}.txt"))).unwrap();
    let problem = Problem::from_file(&file, None).unwrap();
    let answers: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.answers.json"))).unwrap(),
    )
    .unwrap();
    Case {
        n: file.n,
        p: file.p,
        xi: problem.gauged,
        file,
        answers,
    }
}

fn hist_err(c: &Case, reference: &Spins<'_>) -> Vec<u64> {
    let pats = Patterns::new(c.n, c.p, &c.xi).unwrap();
    let mut scratch = vec![0u8; scratch_len(c.n, c.p, 8)];
    let e = Enumerator::new(&pats, reference, 8, &mut scratch).unwrap();
    let mut he = vec![0u64; hist_err_len(c.n, c.p)];
    let mut hs = vec![0u64; hist_smin_len(c.n)];
    e.accumulate(Chunk::ALL, &mut he, &mut hs).unwrap();
    assert!(
        hist_err_is_consistent(&he, c.n, c.p),
        "§e: Σ_E hist_err[d][E] = C(N,d)"
    );
    he
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn u32s(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{what}[{i}]: got {g}, fixture {w}, tol {tol}"
        );
    }
}

#[test]
fn exact_local_energy_and_mean_error_equal_fixtures() {
    for name in NAMES {
        let c = load(name);
        for (k, ans) in c.answers["refs"].as_array().unwrap().iter().enumerate() {
            let w = c.file.reference(k + 1).unwrap();
            let he = hist_err(&c, &w);
            // fixture: local_energy at local_energy_p (p = 0..0.5 step 0.01), exact, tol 1e-12.
            let ps = f64s(&ans["local_energy_p"]);
            let got: Vec<f64> = ps
                .iter()
                .map(|&q| local_energy_exact(&he, c.n, c.p, q).unwrap())
                .collect();
            close(
                &got,
                &f64s(&ans["local_energy"]),
                1e-12,
                &format!("{name} R{} local_energy", k + 1),
            );
            // fixture: mean_err_at_distance[d], tol 1e-12.
            let mut mean = vec![0.0; c.n + 1];
            mean_err_at_distance(&he, c.n, c.p, &mut mean).unwrap();
            close(
                &mean,
                &f64s(&ans["mean_err_at_distance"]),
                1e-12,
                &format!("{name} R{} mean_err", k + 1),
            );
        }
    }
}

#[test]
fn flatness_tables_equal_fixtures_exactly() {
    for name in NAMES {
        let c = load(name);
        for (k, ans) in c.answers["refs"].as_array().unwrap().iter().enumerate() {
            let w = c.file.reference(k + 1).unwrap();
            let he = hist_err(&c, &w);
            let fl = &ans["flatness"];
            let (mut mx, mut mn) = (vec![0u32; c.n + 1], vec![0u32; c.n + 1]);
            errors_by_distance(&he, c.n, c.p, &mut mx, &mut mn).unwrap();
            assert_eq!(mx, u32s(&fl["maxE_d"]), "{name} R{} maxE_d", k + 1);
            assert_eq!(mn, u32s(&fl["minE_d"]), "{name} R{} minE_d", k + 1);
            let mut f = vec![0u32; c.n + 1];
            max_variation(&mx, &mut f).unwrap();
            assert_eq!(f, u32s(&fl["F"]), "{name} R{} F", k + 1);
            let mut d = vec![0u32; c.p];
            let levels = level_set_distances(&mx, &mut d);
            assert_eq!(&d[..levels], &u32s(&fl["D"])[..], "{name} R{} D", k + 1);
            // fixture: robustness_radius = ⌊s_min/2⌋ + 1, or 0 when the reference violates.
            let stabs: Vec<i32> = ans["stabilities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap() as i32)
                .collect();
            let mut s = vec![0i32; c.p];
            flatmin_core::bits::kernel::stabilities(
                &w,
                &Patterns::new(c.n, c.p, &c.xi).unwrap(),
                &mut s,
            )
            .unwrap();
            assert_eq!(s, stabs, "{name} R{} stabilities", k + 1);
            assert_eq!(
                robustness_radius(&s, 0),
                ans["robustness_radius"].as_u64().unwrap() as u32,
                "{name} R{} radius",
                k + 1
            );
            // For a solution, D(1) (exact) equals the closed form (§f.3).
            if ans["errors0"].as_u64() == Some(0) {
                assert_eq!(
                    d[0],
                    robustness_radius(&s, 0),
                    "{name} R{} D(1) = closed form",
                    k + 1
                );
            }
        }
    }
}

#[test]
fn bounds_bracket_the_exact_flatness() {
    for name in NAMES {
        let c = load(name);
        let pats = Patterns::new(c.n, c.p, &c.xi).unwrap();
        for (k, ans) in c.answers["refs"].as_array().unwrap().iter().enumerate() {
            let w = c.file.reference(k + 1).unwrap();
            let fl = &ans["flatness"];
            let (f_exact, d_exact, max_e) = (u32s(&fl["F"]), u32s(&fl["D"]), u32s(&fl["maxE_d"]));
            let e0 = ans["errors0"].as_u64().unwrap() as u32;
            let mut s = vec![0i32; c.p];
            flatmin_core::bits::kernel::stabilities(&w, &pats, &mut s).unwrap();
            let mut scratch = vec![0i32; c.p];
            for r in 0..=c.n as u32 {
                // §f.2 upper bound: max_{d ≤ r} E ≤ #{s − 2r < 0}.
                let ub = max_errors_upper_bound(&s, 0, r);
                assert!(
                    f_exact[r as usize] + e0 <= ub,
                    "{name} R{} r={r}: F+E={} > bound {ub}",
                    k + 1,
                    f_exact[r as usize] + e0
                );
            }
            for (l, &dl) in d_exact.iter().enumerate() {
                // §f.3 lower bound from the ℓ-th smallest satisfied stability.
                let lb = level_set_lower_bound(&s, 0, l + 1, &mut scratch)
                    .unwrap()
                    .unwrap();
                assert!(
                    lb <= dl,
                    "{name} R{} ℓ={}: bound {lb} > D {dl}",
                    k + 1,
                    l + 1
                );
            }
            // Greedy: out[0] = E; each greedy configuration sits at distance exactly r, so its errors
            // are at most maxE_r and greedy − E is a lower bound on F(r) (§f.2).
            let mut ws = vec![0u64; words_for(c.n)];
            let mut st = vec![0i32; c.p];
            let fixture_greedy = u32s(&ans["greedy_worst"]);
            let mut g = vec![0u32; fixture_greedy.len()];
            greedy_worst(&pats, &w, 0, &mut ws, &mut st, &mut g).unwrap();
            assert_eq!(g[0], e0);
            for (r, &gr) in g.iter().enumerate() {
                assert!(
                    gr <= max_e[r],
                    "{name} R{} r={r}: greedy {gr} > maxE_r {}",
                    k + 1,
                    max_e[r]
                );
                assert!(gr.saturating_sub(e0) <= f_exact[r]);
            }
        }
    }
}

#[test]
fn monte_carlo_local_energy_agrees_with_exact_curve() {
    // N21_a30_k030 R1; R = 4000 realizations: the standard error of a mean of P-normalised error counts
    // is ≤ 0.5/√R ≈ 0.008; allow 5σ.
    let c = load("N21_a30_k030");
    let w = c.file.reference(1).unwrap();
    let he = hist_err(&c, &w);
    let pats = Patterns::new(c.n, c.p, &c.xi).unwrap();
    let mut ws = vec![0u64; words_for(c.n)];
    let mut st = vec![0i32; c.p];
    for (i, q) in [0.0, 0.05, 0.1, 0.2, 0.35, 0.5].into_iter().enumerate() {
        let exact = local_energy_exact(&he, c.n, c.p, q).unwrap();
        let mc = local_energy_mc(
            &pats,
            &w,
            McParams {
                t0: 0,
                perturbation: Perturbation::Bernoulli(q),
                samples: 4000,
                seed: i as u64,
            },
            &mut ws,
            &mut st,
        )
        .unwrap();
        assert!((mc - exact).abs() < 0.04, "p={q}: MC {mc} vs exact {exact}");
        // Same seed, same number.
        let again = local_energy_mc(
            &pats,
            &w,
            McParams {
                t0: 0,
                perturbation: Perturbation::Bernoulli(q),
                samples: 4000,
                seed: i as u64,
            },
            &mut ws,
            &mut st,
        )
        .unwrap();
        assert_eq!(mc, again);
        // Fixed-k: the exact sphere mean Ē(k) (fixture-checked above).
        let k = (q * c.n as f64).round() as usize;
        let mut mean = vec![0.0; c.n + 1];
        mean_err_at_distance(&he, c.n, c.p, &mut mean).unwrap();
        let mc_k = local_energy_mc(
            &pats,
            &w,
            McParams {
                t0: 0,
                perturbation: Perturbation::Fixed(k),
                samples: 4000,
                seed: 99 + i as u64,
            },
            &mut ws,
            &mut st,
        )
        .unwrap();
        assert!(
            (mc_k - mean[k]).abs() < 0.04,
            "k={k}: MC {mc_k} vs exact {}",
            mean[k]
        );
    }
}

#[test]
fn greedy_worst_equals_fixture_where_the_tie_break_is_determined() {
    // fixtures: refs[k].greedy_worst, r = 0..=8, compared exactly for 9 of the 12 references.
    // Excluded (found by an exhaustive search over every tie choice of the primary criterion):
    // * N15_a50_k000 R2, step 0: flips 1, 5 and 14 give the same error count and the same multiset of
    //   stabilities, and only 5 continues the fixture's sequence: the oracle's tie-break is not a
    //   function of the stabilities and the index order, so no such rule can reproduce it;
    // * N15_a50_k000 R1 and N15_a60_k000 R1, step 4: our tie-break (lowest new minimum) picks a flip
    //   that leaves the fixture's sequence; the fixture's choice there is not the lowest new minimum.
    // The spec (ALGORITHMS §f.2) does not pin the tie-break further; the bounds test above covers all 12.
    let determined: [(&str, &[usize]); 4] = [
        ("N15_a30_k030", &[1, 2, 3]),
        ("N15_a50_k000", &[3]),
        ("N15_a60_k000", &[2, 3]),
        ("N21_a30_k030", &[1, 2, 3]),
    ];
    for (name, refs) in determined {
        let c = load(name);
        let pats = Patterns::new(c.n, c.p, &c.xi).unwrap();
        for &k in refs {
            let ans = &c.answers["refs"][k - 1];
            let want = u32s(&ans["greedy_worst"]);
            let w = c.file.reference(k).unwrap();
            let mut ws = vec![0u64; words_for(c.n)];
            let mut st = vec![0i32; c.p];
            let mut got = vec![0u32; want.len()];
            greedy_worst(&pats, &w, 0, &mut ws, &mut st, &mut got).unwrap();
            assert_eq!(got, want, "{name} R{k} greedy_worst");
        }
    }
}
