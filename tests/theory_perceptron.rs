//! Replica theory of the binary perceptron against THEORY.md §S2–S3 and table T3 (issue 3).
//!
//! Every reference value is written next to its source (spec section/table, all [oracle] unless marked
//! [lit]) and its tolerance. Tolerances: the spec prints 8 significant digits for the RS table (we ask
//! 5e-8, i.e. rounding of the last printed digit plus quadrature), fewer for the FP profiles (we ask
//! half a unit of the last printed digit plus 1e-6).

#[path = "data/special_mpmath.rs"]
mod data_special_mpmath;

use flatmin_core::special::{erfcx, g, gauss_density, h, h2, log_h};
use flatmin_core::theory::rs::{self, Perceptron, RsError, RsQuadrature};

/// THEORY §S2 reference table: (α, κ, q, q̂, s, d).
const RS_TABLE: [(f64, f64, f64, f64, f64, f64); 13] = [
    (0.3, 0.0, 0.19083792, 0.28597865, 0.47482893, 0.40458104),
    (0.3, 0.5, 0.39642089, 1.01176125, 0.28895089, 0.30178956),
    (0.3, 1.0, 0.81806174, 18.4200229, -0.15402685, 0.09096913),
    (0.5, 0.0, 0.32238536, 0.66803499, 0.31439007, 0.33880732),
    (0.5, 0.25, 0.47979316, 1.59820456, 0.15716255, 0.26010342),
    (0.5, 0.5, 0.72092178, 7.37423050, -0.10932939, 0.13953911),
    (0.6, 0.0, 0.39104950, 0.98229958, 0.22778496, 0.30447525),
    (0.6, 0.25, 0.59194554, 3.04605700, 0.01448577, 0.20402723),
    (0.7, 0.0, 0.46257052, 1.45359136, 0.13539967, 0.26871474),
    (0.7, 0.25, 0.71918475, 7.27368489, -0.16027348, 0.14040762),
    (0.8, 0.0, 0.53794216, 2.21531606, 0.03530572, 0.23102892),
    (0.8, 0.25, 0.87465670, 39.7032361, -0.42344045, 0.06267165),
    (0.1, 0.0, 0.06343494, 0.07214476, 0.62277921, 0.46828253),
];

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:.10}, want {want:.10} (tol {tol:e})"
    );
}

#[test]
fn rs_table_s2() {
    let quad = RsQuadrature::new();
    for &(a, k, q, qh, s, d) in &RS_TABLE {
        let r = rs::solve(&quad, a, k).unwrap();
        let tag = format!("S2 table (α={a}, κ={k})");
        close(r.q, q, 5e-8, &format!("{tag} q"));
        // q̂ printed with 9 significant digits: relative 5e-8
        close(r.qhat, qh, 5e-8 * qh.max(1.0), &format!("{tag} q̂"));
        close(r.s, s, 5e-8, &format!("{tag} s"));
        close(r.d, d, 5e-8, &format!("{tag} d"));
        // check C3: residual |q(q̂(q)) − q| ≤ 1e-15 (we allow 1e-14)
        assert!(r.residual <= 1e-14, "{tag} residual {}", r.residual);
    }
}

/// FP curve at the given distances by continuation from the maximum (§S1.3).
fn fp_curve(
    alpha: f64,
    kref: f64,
    kappa: f64,
    ds: &[f64],
) -> (FpSaddle, Vec<Result<FpSaddle, FpError>>) {
    let quad = FpQuadratureFast::new();
    let prob = FpProblem::perceptron(&quad, alpha, kref, kappa).unwrap();
    let max = fp::maximum(&quad, &prob).unwrap();
    let mut out = vec![Err(FpError::NotComputed); ds.len()];
    fp::curve(&quad, &prob, &max, ds, &mut out).unwrap();
    (max, out)
}

/// Compares (d, φ, dφ/dd) triples; tolerances = half a unit of the last printed digit + 1e-6.
fn check_profile(tag: &str, out: &[Result<FpSaddle, FpError>], want: &[(f64, f64, f64, f64, f64)]) {
    for (o, &(d, phi, tphi, dphi, tdphi)) in out.iter().zip(want) {
        let s = o.as_ref().unwrap_or_else(|e| panic!("{tag} d={d}: {e}"));
        close(s.phi, phi, tphi, &format!("{tag} φ(d={d})"));
        if tdphi > 0.0 {
            close(s.dphi_dd, dphi, tdphi, &format!("{tag} dφ/dd(d={d})"));
        }
    }
}

#[test]
fn fp_profile_isolated_kappa_equal_kref() {
    // THEORY §S3.6 FP profiles, (α, κ̃, κ) = (0.5, 0, 0) [oracle]: d* = 0.338807, φ* = 0.31439007;
    // d: φ / dφ/dd = 0.0015: −0.00846/0.370; 0.004227: −0.00519/1.678; 0.007097: +0.00019/2.005;
    // 0.02: 0.02760/2.124; 0.1269: 0.19832/1.155; 0.45: 0.28254/−0.587.
    let want = [
        (0.0015, -0.00846, 6e-6, 0.370, 6e-4),
        (0.004227, -0.00519, 6e-6, 1.678, 6e-4),
        (0.007097, 0.00019, 6e-6, 2.005, 6e-4),
        (0.02, 0.02760, 6e-6, 2.124, 6e-4),
        // d printed with 4 digits (0.1269 ± 5e-5): φ tolerance widened by |dφ/dd|·5e-5 = 5.8e-5.
        (0.1269, 0.19832, 6.4e-5, 1.155, 6e-4),
        (0.45, 0.28254, 6e-6, -0.587, 6e-4),
    ];
    let ds: Vec<f64> = want.iter().map(|w| w.0).collect();
    let (max, out) = fp_curve(0.5, 0.0, 0.0, &ds);
    // §S3.5: κ = κ̃ ⇒ d* = (1 − q0)/2 = 0.338807 and φ(d*) = s_eq = 0.31439007.
    close(max.d, 0.338807, 6e-7, "d* (0.5,0,0)");
    close(max.phi, 0.31439007, 5e-9, "φ(d*) (0.5,0,0)");
    close(max.q1, max.q0, 1e-9, "κ = κ̃: q1 = q0");
    close(max.qhat1, max.qhat0, 1e-8, "κ = κ̃: q̂1 = q̂0");
    check_profile("(0.5,0,0)", &out, &want);
    // φ < 0 on ≈ [1.1e-3, 6.9e-3] (isolated solutions, phase 1).
    assert!(out[0].as_ref().unwrap().phi < 0.0 && out[1].as_ref().unwrap().phi < 0.0);
}

#[test]
fn fp_branch_ends_below_turning_point() {
    // THEORY §S3.5: (0.5, 0, 0) — the RS branch from d* turns back at d ≈ 1.1e-3; below it report
    // "RS branch ends" rather than values.
    let (_, out) = fp_curve(0.5, 0.0, 0.0, &[2e-3, 5e-4, 1e-4]);
    assert!(out[0].is_ok(), "{:?}", out[0]);
    for o in &out[1..] {
        assert!(matches!(o, Err(FpError::BranchEnds { .. })), "{o:?}");
    }
}

use flatmin_core::theory::phases::{self, Phase};

#[test]
fn rs_two_solvers_agree_and_bounds() {
    // §S2 checks C3/C4: Brent and the damped fixed point agree (oracle: 1e-13); s ≤ s_ann = ln 2 + α ln H(κ).
    let quad = RsQuadrature::new();
    for &(a, k, ..) in &RS_TABLE {
        let b = rs::solve(&quad, a, k).unwrap();
        let f = rs::solve_fixed_point(&quad, &Perceptron, a, k, 1e-14, 5000).unwrap();
        close(
            f.q,
            b.q,
            1e-12,
            &format!("C3 (α={a}, κ={k}) q: fixed point vs Brent"),
        );
        close(f.s, b.s, 1e-12, &format!("C3 (α={a}, κ={k}) s"));
        let s_ann = std::f64::consts::LN_2 + a * log_h(k);
        assert!(
            b.s <= s_ann,
            "C4 s ≤ s_ann at (α={a}, κ={k}): {} > {s_ann}",
            b.s
        );
    }
}

#[test]
fn rs_f32_matches_f64() {
    // The firmware computes RS in f32 with the same quadrature: stated bound 2e-5 absolute on q and s.
    let quad = RsQuadrature::new();
    for &(a, k, q, _, s, _) in &RS_TABLE[..9] {
        let r = rs::solve(&quad, a as f32, k as f32).unwrap();
        close(r.q as f64, q, 2e-5, &format!("f32 (α={a}, κ={k}) q"));
        close(r.s as f64, s, 2e-5, &format!("f32 (α={a}, κ={k}) s"));
    }
}

#[test]
fn rs_alpha_gd_and_no_solution() {
    // §S2: α_GD(κ) = 2/(π I(κ)): κ=0 1.2732395, 0.25 0.8687586, 0.5 0.6119221, 0.75 0.4438701, 1.0 0.3307700.
    for (k, want) in [
        (0.0, 1.2732395),
        (0.25, 0.8687586),
        (0.5, 0.6119221),
        (0.75, 0.4438701),
        (1.0, 0.3307700),
    ] {
        close(rs::alpha_gd(k), want, 5e-8, &format!("α_GD({k})"));
    }
    // §S2: (0.5,0.75), (0.6,0.75), (0.7,0.5), (0.8,0.5) have no RS solution: an error, not NaN.
    let quad = RsQuadrature::new();
    for (a, k) in [(0.5, 0.75), (0.6, 0.75), (0.7, 0.5), (0.8, 0.5)] {
        assert!(
            matches!(rs::solve(&quad, a, k), Err(RsError::NoSolution { .. })),
            "(α={a}, κ={k}) must fail"
        );
    }
    // Just below α_GD the solution exists, with q → 1 (q̂ ≈ α I/(1 − q)² asymptotics).
    for k in [0.0f64, 0.5] {
        let r = rs::solve(&quad, 0.97 * rs::alpha_gd(k), k).unwrap();
        assert!(
            r.q > 0.9 && r.q < 1.0 && r.s.is_finite(),
            "(0.97 α_GD, κ={k}): q = {}",
            r.q
        );
    }
}

#[test]
fn rs_kappa_max_table_and_alpha_km() {
    // §S2 κ_max table [oracle] and d(κ_max).
    let quad = RsQuadrature::new();
    let table = [
        (0.05, 3.365671),
        (0.1, 2.214273),
        (0.2, 1.327704),
        (0.3, 0.895392),
        (0.4, 0.618418),
        (0.5, 0.418062),
        (0.6, 0.262728),
        (0.7, 0.136762),
        (0.72, 0.114244),
        (0.73, 0.103273),
        (0.75, 0.081879),
        (0.8, 0.031341),
    ];
    for (a, km) in table {
        close(
            rs::kappa_max(&quad, a).unwrap(),
            km,
            6e-7,
            &format!("κ_max({a})"),
        );
    }
    for (a, d) in [
        (0.1, 0.096395),
        (0.3, 0.156007),
        (0.5, 0.186417),
        (0.6, 0.197575),
        (0.7, 0.207123),
        (0.75, 0.211430),
        (0.8, 0.215476),
    ] {
        let km = rs::kappa_max(&quad, a).unwrap();
        close(
            rs::solve(&quad, a, km).unwrap().d,
            d,
            6e-7,
            &format!("d(κ_max) at α={a}"),
        );
    }
    // α_KM = 0.8330786 [oracle]; [lit] 0.833 (Krauth–Mézard 1989); κ_max(0.833) ≈ 0.
    close(rs::alpha_c(&quad, 0.0).unwrap(), 0.8330786, 6e-8, "α_KM");
    assert!(rs::kappa_max(&quad, 0.833f64).unwrap().abs() < 1e-4);
}

#[test]
fn rs_small_alpha_and_spherical_limit() {
    // §S2 small α: s = ln 2 + α ln H(κ) − α² g(κ)⁴/4 + O(α³), q ≈ α g(κ)².
    let quad = RsQuadrature::new();
    for k in [0.0f64, 0.5, 1.0] {
        for a in [1e-3f64, 2e-3] {
            let r = rs::solve(&quad, a, k).unwrap();
            let gk = g(k);
            let pred = std::f64::consts::LN_2 + a * log_h(k) - a * a * gk.powi(4) / 4.0;
            // O(α³) remainder: |Δ| ≤ 10 α³ g⁶ (coefficient bound chosen generously)
            close(
                r.s,
                pred,
                10.0 * a.powi(3) * gk.powi(6).max(1.0),
                &format!("small-α s (α={a}, κ={k})"),
            );
            close(
                r.q,
                a * gk * gk,
                5.0 * a * a * gk.powi(4).max(1.0),
                &format!("small-α q (α={a}, κ={k})"),
            );
        }
    }
    // Spherical perceptron (§S2): α(q → 1) → 1/I(κ) = Gardner capacity: 2 (κ=0), 0.961205 (0.5), 0.519572 (1).
    for (k, cap) in [(0.0, 2.0), (0.5, 0.961205), (1.0, 0.519572)] {
        close(
            1.0 / rs::gardner_integral(k),
            cap,
            6e-7,
            &format!("1/I({k})"),
        );
        let a = rs::spherical_alpha_of_q(&quad, k, 1.0 - 1e-8);
        // the approach is O(√(1 − q)): tolerance 1e-3 at 1 − q = 1e-8
        close(a, cap, 1e-3, &format!("spherical α(q→1) at κ={k}"));
    }
}

/// Relative error, or absolute when the reference is 0.
fn rel(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

/// Special-function accuracy table (tests/data_special_mpmath.rs, mpmath 50+ digits).
///
/// Stated bounds (f64): ln H relative ≤ 1e-12 on [−40, 1e4] (issue 3); g relative ≤ 1e-12; erfcx relative
/// ≤ 1e-12 on [−26, 1e4] (below −26 it overflows, as the true value does). f32: ln H relative ≤ 2e-5 or
/// absolute ≤ 1e-6 for |x| ≤ 40 (rounding of x²/2 dominates).
#[test]
fn special_accuracy_table() {
    let mut worst = [0.0f64; 3];
    for &(x, lh, gg, ex) in data_special_mpmath::SPECIAL_TABLE {
        let e = [
            rel(log_h(x), lh),
            rel(g(x), gg),
            if ex.is_finite() {
                rel(erfcx(x), ex)
            } else {
                0.0
            },
        ];
        // entries written as 0 underflowed (|value| < 1e-300): only require |got| < 1e-300
        for (k, (err, want)) in e.iter().zip([lh, gg, ex]).enumerate() {
            let err = if want == 0.0 {
                if (*err) < 1e-300 {
                    0.0
                } else {
                    *err
                }
            } else {
                *err
            };
            assert!(
                err <= 1e-12,
                "special fn #{k} at x = {x}: relative error {err:e}"
            );
            worst[k] = worst[k].max(err);
        }
        if x.abs() <= 40.0 {
            let l32 = log_h(x as f32) as f64;
            assert!(
                rel(l32, lh) <= 2e-5 || (l32 - lh).abs() <= 1e-6,
                "f32 log_h({x}) = {l32}, want {lh}"
            );
        }
    }
    eprintln!(
        "worst relative errors: ln H {:e}, g {:e}, erfcx {:e}",
        worst[0], worst[1], worst[2]
    );
    // H and G consistency with ln H
    for x in [-3.0f64, 0.0, 2.0, 6.0] {
        close(
            h(x).ln(),
            log_h(x),
            1e-14 * log_h(x).abs().max(1.0),
            "ln(H) vs log_h",
        );
        close(g(x), gauss_density(x) / h(x), 1e-13 * g(x), "g = G/H");
    }
}

use flatmin_core::theory::franz_parisi::{
    self as fp, FpError, FpProblem, FpQuadratureFast, FpQuadratureSpec, FpSaddle, WarmStart,
    FP_SOLVE,
};

#[test]
fn fp_full_saddle_vector_s3_6() {
    // THEORY §S3.6 (0.6, 0.2, 0.1) at d = 0.03, unit-test vector [oracle]: q0 = 0.54439299,
    // q̂0 = 2.29903428; q1 = 0.89464906, p = 0.54030403, q̂1 = 0.85600514, p̂ = 1.15448471,
    // Ŝ = 2.84745843; 𝒢_S = 0.15335715, 𝒢_E = −0.19959691, φ = 0.03359901, dφ/dd = 1.02416626.
    // Tolerance: 6e-9 (half a unit of the 8th decimal + quadrature), spec quadrature (64 × 2·32 × 48).
    let quad = FpQuadratureSpec::new();
    let prob = FpProblem::perceptron(&quad, 0.6, 0.2, 0.1).unwrap();
    let max = fp::maximum(&quad, &prob).unwrap();
    let s = fp::solve_at(&quad, &prob, 0.03, WarmStart::from(&max), &FP_SOLVE).unwrap();
    let want = [
        ("q0", s.q0, 0.54439299),
        ("q̂0", s.qhat0, 2.29903428),
        ("q1", s.q1, 0.89464906),
        ("p", s.p, 0.54030403),
        ("q̂1", s.qhat1, 0.85600514),
        ("p̂", s.phat, 1.15448471),
        ("Ŝ", s.shat, 2.84745843),
        ("𝒢_S", s.g_s, 0.15335715),
        ("𝒢_E", s.g_e, -0.19959691),
        ("φ", s.phi, 0.03359901),
        ("dφ/dd", s.dphi_dd, 1.02416626),
    ];
    for (name, got, w) in want {
        close(got, w, 6e-9, &format!("(0.6,0.2,0.1) d=0.03 {name}"));
    }
    assert!(s.residual <= 1e-12, "residual {}", s.residual);
    // The fast rules used by curves/phases/figures agree to 1e-9.
    let qf = FpQuadratureFast::new();
    let sf = fp::solve_at(&qf, &prob, 0.03, WarmStart::from(&s), &FP_SOLVE).unwrap();
    close(sf.phi, s.phi, 1e-9, "fast vs spec quadrature φ");
    close(sf.dphi_dd, s.dphi_dd, 1e-8, "fast vs spec quadrature dφ/dd");
    // §S3.5: φ(d*) = s_eq(0.6, 0.1) = 0.15506583, dφ/dd(d*) = 0.
    close(max.phi, 0.15506583, 6e-9, "φ(d*) = s_eq(0.6, 0.1)");
    let seq = rs::solve(&quad.rs, 0.6, 0.1).unwrap().s;
    close(max.phi, seq, 1e-11, "φ(d*) = s_eq (our RS)");
    assert!(max.dphi_dd.abs() < 1e-9);
    // SPEC DISAGREEMENT (reported): the spec prints d* = 0.250392; we find d* = (1 − p*)/2 = 0.2503864 with
    // both quadratures, while every other number of this profile (including the full saddle vector above,
    // and d* of the other profiles) agrees. Asserted at the 1e-5 level only.
    close(
        max.d,
        0.250392,
        1e-5,
        "d* (0.6,0.2,0.1) [spec value disputed]",
    );
    close(max.d, 0.2503864, 1e-6, "d* (0.6,0.2,0.1) ours");
    // Independent check of our d*: the constrained solver (S fixed, Ŝ from E1) gives dφ/dd = 0 at our d*,
    // and dφ/dd ≈ −2.9e-5 (slope × 5.6e-6) at the spec's value.
    let at = |d: f64| {
        fp::solve_at(&quad, &prob, d, WarmStart::from(&max), &FP_SOLVE)
            .unwrap()
            .dphi_dd
    };
    assert!(at(max.d).abs() < 1e-8, "dφ/dd at our d*: {}", at(max.d));
    assert!(
        at(0.250392) < -1e-5,
        "dφ/dd at the spec's d*: {}",
        at(0.250392)
    );
}

#[test]
fn fp_profile_dense_reference() {
    // §S3.6 (0.5, 0.2, 0) [oracle]: d* = 0.312111; d=0.0015: 0.01117/6.243; 0.02: 0.06865/2.224;
    // 0.1592: 0.25468/0.803 (0.1592 printed with 4 digits: φ tol widened by 0.803·5e-5).
    let want = [
        (0.0015, 0.01117, 6e-6, 6.243, 6e-4),
        (0.02, 0.06865, 6e-6, 2.224, 6e-4),
        (0.1592, 0.25468, 4.6e-5, 0.803, 6e-4),
    ];
    let ds: Vec<f64> = want.iter().map(|w| w.0).collect();
    let (max, out) = fp_curve(0.5, 0.2, 0.0, &ds);
    // ours 0.3121104: 1 unit of the printed 6th digit off (cf. the d* disagreement of (0.6,0.2,0.1))
    close(max.d, 0.312111, 1e-6, "d* (0.5,0.2,0)");
    check_profile("(0.5,0.2,0)", &out, &want);
    // φ(d*) = s_eq(0.5, 0) = 0.31439007 (§S2 table)
    close(max.phi, 0.31439007, 5e-9, "φ(d*) (0.5,0.2,0)");
}

#[test]
fn fp_profile_max_margin_references() {
    // §S3.6 (0.7, κ_max = 0.136762, 0) [oracle]: d* = 0.242388, φ* = 0.13539967; d=0.007097: 0.01882/0.846;
    // 0.01191: 0.02255/0.747; 0.06231: 0.06299/0.777 (monotonic, α < α_LE).
    let quad = RsQuadrature::new();
    let km = rs::kappa_max(&quad, 0.7).unwrap();
    let want = [
        (0.007097, 0.01882, 6e-6, 0.846, 6e-4),
        (0.01191, 0.02255, 6e-6, 0.747, 6e-4),
        (0.06231, 0.06299, 6e-6, 0.777, 6e-4),
    ];
    let ds: Vec<f64> = want.iter().map(|w| w.0).collect();
    let (max, out) = fp_curve(0.7, km, 0.0, &ds);
    close(max.d, 0.242388, 6e-7, "d* (0.7,κ_max,0)");
    close(max.phi, 0.13539967, 5e-9, "φ* (0.7,κ_max,0)");
    check_profile("(0.7,κ_max,0)", &out, &want);
    // (0.75, κ_max = 0.081879, 0): d=0.007097: −0.00021; 0.01191: −0.00124 (phase 3, α > α_LE).
    let km = rs::kappa_max(&quad, 0.75).unwrap();
    let want = [
        (0.007097, -0.00021, 6e-6, 0.0, 0.0),
        (0.01191, -0.00124, 6e-6, 0.0, 0.0),
    ];
    let (_, out) = fp_curve(0.75, km, 0.0, &[0.007097, 0.01191]);
    check_profile("(0.75,κ_max,0)", &out, &want);
}

#[test]
fn fp_profile_phase4_example() {
    // §S3.6 (0.5, 0.03, 0) (phase 4: φ > 0, non-monotonic at very small d) [oracle]:
    // 9.779e-5: 0.00069580/2.172; 2.0913e-4: 0.00072411/−0.7735; 4.4721e-4: 0.00046600/−1.0397;
    // 9.5635e-4: 0.00018157/−0.1114; 2.0451e-3: 0.00071997/0.9377.
    // φ tolerance = half a unit of φ's last digit (5e-9) + |dφ/dd| × half a unit of d's last printed digit.
    let want = [
        (9.779e-5, 0.00069580, 5e-9 + 2.172 * 5e-9, 2.172, 6e-4),
        (2.0913e-4, 0.00072411, 5e-9 + 0.7735 * 5e-9, -0.7735, 6e-5),
        (4.4721e-4, 0.00046600, 5e-9 + 1.0397 * 5e-9, -1.0397, 6e-5),
        (9.5635e-4, 0.00018157, 5e-9 + 0.1114 * 5e-9, -0.1114, 6e-5),
        (2.0451e-3, 0.00071997, 5e-9 + 0.9377 * 5e-8, 0.9377, 6e-5),
    ];
    let ds: Vec<f64> = want.iter().map(|w| w.0).collect();
    let (_, out) = fp_curve(0.5, 0.03, 0.0, &ds);
    check_profile("(0.5,0.03,0)", &out, &want);
}

#[test]
fn fp_limits_and_bounds() {
    let quad = FpQuadratureFast::new();
    // §S3.5 dense: α=0.5, κ̃=0.3, κ=0: φ/H2(d) = 1 − 1.3e-11 at d = 1e-5 (we ask |φ/H2 − 1| ≤ 1e-9).
    let (_, out) = fp_curve(0.5, 0.3, 0.0, &[1e-5]);
    let s = out[0].as_ref().unwrap();
    assert!(
        (s.phi / h2(1e-5) - 1.0).abs() <= 1e-9,
        "φ/H2 − 1 = {:e}",
        s.phi / h2(1e-5) - 1.0
    );
    // §S3.1/§S3.5: φ ≤ φ_ann ≤ H2(d) along a curve (phase-1 and phase-5 references).
    let ds = [0.002, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4];
    for kr in [0.0, 0.2] {
        let prob = FpProblem::perceptron(&quad, 0.5, kr, 0.0).unwrap();
        let (_, out) = fp_curve(0.5, kr, 0.0, &ds);
        for (d, r) in ds.iter().zip(&out) {
            let s = r.as_ref().unwrap();
            let ann = fp::annealed(&quad, &prob, *d);
            assert!(
                s.phi <= ann + 1e-12,
                "φ ≤ φ_ann at κ̃={kr}, d={d}: {} > {ann}",
                s.phi
            );
            assert!(ann <= h2(*d) + 1e-12, "φ_ann ≤ H2 at κ̃={kr}, d={d}");
        }
    }
    // §S3.5 α → 0: φ_FP(d) = H2(d). At α = 1e-4 the energetic correction is O(α): |φ − H2| ≤ 10 α.
    let (_, out) = fp_curve(1e-4, 0.0, 0.0, &[0.05, 0.2, 0.4]);
    for (d, r) in [0.05, 0.2, 0.4].iter().zip(&out) {
        let s = r.as_ref().unwrap();
        close(s.phi, h2(*d), 1e-3, &format!("α→0: φ(d={d}) = H2(d)"));
    }
}

use flatmin_core::theory::phases::PhaseReport;

fn classify(alpha: f64, kref: f64) -> PhaseReport {
    let quad = FpQuadratureFast::new();
    let prob = FpProblem::perceptron(&quad, alpha, kref, 0.0).unwrap();
    phases::classify(&quad, &prob).unwrap()
}

#[test]
fn phases_of_the_spec_examples() {
    // §S3.6: (0.5, κ̃=0) phase 1 (isolated, φ < 0 near 0); (0.5, 0.2) phase 5 and dense near 0;
    // (0.5, 0.03) phase 4; (0.7, κ_max) phase 5 (α < α_LE); (0.75, κ_max) phase 3 (α > α_min).
    let r = classify(0.5, 0.0);
    assert_eq!(r.phase, Phase::Isolated);
    assert!(!r.dense_near_zero);
    let r = classify(0.5, 0.2);
    assert_eq!(r.phase, Phase::LargeScale);
    assert!(r.dense_near_zero);
    let r = classify(0.5, 0.03);
    assert_eq!(r.phase, Phase::IsolatedBalls, "{r:?}");
    let quad = RsQuadrature::new();
    let r = classify(0.7, rs::kappa_max(&quad, 0.7).unwrap());
    assert_eq!(r.phase, Phase::LargeScale, "{r:?}");
    let r = classify(0.75, rs::kappa_max(&quad, 0.75).unwrap());
    assert_eq!(r.phase, Phase::EmptyShell, "{r:?}");
    // T3 note: φ < 0 for d ≈ 0.007–0.02 at α = 0.75 (the refined minimum lies inside).
    let (d, v) = r.min_phi.unwrap();
    assert!(v < 0.0 && d > 0.007 && d < 0.02, "min φ at d = {d}: {v}");
}

/// T3 thresholds at α: (α, κ_min, κ_LE) [oracle, RS, κ = 0, bisection tolerance 5e-4 in κ̃].
const T3: [(f64, f64, f64); 3] = [
    (0.5, 0.0289, 0.0365),
    (0.6, 0.0428, 0.0547),
    (0.7, 0.0657, 0.0870),
];

/// Bisection on a bracket of ±1e-3 around the reference (its ends are classified, so the threshold
/// provably lies inside), to the spec's tolerance 5e-4; the result must agree within 1e-3 (the two
/// bisection tolerances added).
#[test]
fn t3_kappa_min_and_kappa_le() {
    let quad = FpQuadratureFast::new();
    for (a, kmin, kle) in T3 {
        let t =
            phases::kappa_min(&quad, Perceptron, a, 0.0, kmin - 1e-3, kmin + 1e-3, 5e-4).unwrap();
        close(t.value, kmin, 1e-3, &format!("T3 κ_min({a})"));
        let t = phases::kappa_le(&quad, Perceptron, a, 0.0, kle - 1e-3, kle + 1e-3, 5e-4).unwrap();
        close(t.value, kle, 1e-3, &format!("T3 κ_LE({a})"));
    }
}

/// T3 headline: α_LE = 0.7290 ± 0.0001 (κ_max(α_LE) = 0.1044), and α_min = 0.74771 ± 1e-4. Bisection in
/// α on ±3e-4 brackets to 1e-4.
#[test]
fn t3_alpha_le_and_alpha_min() {
    let quad = FpQuadratureFast::new();
    let t = phases::alpha_le(&quad, Perceptron, 0.0, 0.7287, 0.7293, 1e-4).unwrap();
    close(t.value, 0.7290, 2e-4, "T3 α_LE");
    close(
        rs::kappa_max(&quad.rs, t.value).unwrap(),
        0.1044,
        2e-4,
        "T3 κ_max(α_LE)",
    );
    let t = phases::alpha_min(&quad, Perceptron, 0.0, 0.7474, 0.7480, 1e-4).unwrap();
    close(t.value, 0.74771, 2e-4, "T3 α_min");
}

/// Figures 2–5 in quick mode write data.csv + meta.json + SVG through the harness (smoke test; the full
/// figures are produced by `flatmin figure 2|3|4|5`).
#[test]
fn figures_quick_smoke() {
    use flatmin_host::experiments::{self, FigureOpts};
    let dir = std::env::temp_dir().join(format!("flatmin-theory-figs-{}", std::process::id()));
    let opts = FigureOpts {
        quick: true,
        threads: Some(1),
        seed: 1,
        ..FigureOpts::new(dir.clone())
    };
    for name in ["2", "5", "4"] {
        let fig = experiments::figure(name).unwrap();
        let rep = (fig.run)(&opts).unwrap();
        for f in ["data.csv", "meta.json", &format!("figure-{name}.svg")] {
            assert!(rep.dir.join(f).is_file(), "figure {name}: missing {f}");
        }
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(rep.dir.join("meta.json")).unwrap())
                .unwrap();
        assert!(
            !meta["notes"].as_array().unwrap().is_empty(),
            "figure {name}: meta.json notes record the parameter choice"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fp_dense_region_shrinks_for_small_kappa_ref() {
    // T3 note: for κ̃ just above 0 the dense region shrinks to tiny d (α = 0.6, κ̃ = 0.01: "φ ≥ 0 only for
    // d ≲ 5e-6"). The branch must be followed through the transient growth of q̂1 down to d = 1e-6.
    // We find φ > 0 below d ≈ 1.1e-5 (the spec's "≲ 5e-6" is approximate) and φ < 0 at 3e-5.
    let (_, out) = fp_curve(0.6, 0.01, 0.0, &[3e-5, 2e-6, 1e-6]);
    let phi: Vec<f64> = out.iter().map(|r| r.as_ref().unwrap().phi).collect();
    assert!(phi[0] < 0.0, "φ(3e-5) = {}", phi[0]);
    assert!(
        phi[1] > 0.0 && phi[2] > 0.0,
        "φ(2e-6) = {}, φ(1e-6) = {}",
        phi[1],
        phi[2]
    );
    let r = classify(0.6, 0.01);
    assert_eq!(r.phase, Phase::EmptyShell);
    assert!(r.dense_near_zero && r.branch_end.is_none(), "{r:?}");
}
