//! Figures 6, 7 (tree committee machines, THEORY §S5) and the symmetric-binary-perceptron figure
//! (THEORY §S6): pair entropy against distance and the capacity bounds against κ.

use super::{FigureOpts, FigureReport};
use crate::error::{Error, Result};
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::runner::{Field, FnStudy, Outputs, Table};
use flatmin_core::special::h2;
use flatmin_core::theory::committee::{self, Activation};
use flatmin_core::theory::franz_parisi::{self, FpError, FpQuadratureFast};
use flatmin_core::theory::sbp::{self, Sbp, SbpError};
use serde_json::json;

/// The largest SBP margin accepted (by `flatmin theory sbp …` and the Python `sbp_*` functions). At
/// κ = 8 the quadrature of ln P2 (a number within 10⁻¹⁵ of 0) has lost its precision: α_pair(d = 0.1)
/// comes out below its lower bound (ln 2 + H2(d))/(2(1 − P1)); up to κ = 7 it stays above it (within
/// 1 %, the expected joint-exceedance correction).
pub const SBP_MAX_KAPPA: f64 = 7.0;

/// Checks an SBP margin against [`SBP_MAX_KAPPA`]; the error is the one-line message of the CLI
/// (naming `--kappa` and the value).
pub fn check_sbp_kappa(kappa: f64) -> std::result::Result<(), String> {
    if kappa > SBP_MAX_KAPPA {
        return Err(format!(
            "--kappa {kappa}: at most {SBP_MAX_KAPPA} (beyond, 1 − P1(κ) < 3e-12 and the pair \
             probabilities lose double precision)"
        ));
    }
    Ok(())
}

/// Converts an SBP error: bad parameters are input errors, the rest numerical failures.
pub fn sbp_error(e: SbpError) -> Error {
    match e {
        SbpError::Shape(s) => Error::Shape(s),
        other => Error::Numerics(other.to_string()),
    }
}

/// One row of the capacity-bound table of the SBP figure.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct SbpBounds {
    /// Margin κ.
    pub kappa: f64,
    /// First-moment capacity α_1M(κ) (§S6.1).
    pub alpha_1m: f64,
    /// Second-moment threshold α_2M(κ) (§S6.2).
    pub alpha_2m: f64,
    /// α_gap(κ) = min_d α_pair(d, κ) (§S6.3).
    pub alpha_gap: f64,
    /// Minimizing distance.
    pub d_gap: f64,
}

/// Capacity bounds of the SBP at margin κ (§S6.1–S6.3).
pub fn sbp_bounds(sbp: &Sbp, kappa: f64) -> Result<SbpBounds> {
    let alpha_1m = sbp::alpha_1m(kappa).map_err(sbp_error)?;
    let a2 = sbp.alpha_2m(kappa).map_err(sbp_error)?;
    let gap = sbp.alpha_gap(kappa).map_err(sbp_error)?;
    Ok(SbpBounds {
        kappa,
        alpha_1m,
        alpha_2m: a2.alpha_2m,
        alpha_gap: gap.alpha_gap,
        d_gap: gap.d,
    })
}

fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n <= 1 {
        return vec![a];
    }
    (0..n)
        .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
        .collect()
}

/// The SBP figure: Σ2(d) at κ = 1 for several α (with H2(d) + s_ann, the "independent pairs"
/// reference), α_pair(d) at κ = 1, and α_1M, α_2M, α_gap against κ. Points: each distance d
/// (`kind = pairs`, one row per α) and each κ of the bounds (`kind = bounds`).
pub fn figure_sbp(opts: &FigureOpts<'_>) -> Result<FigureReport> {
    let kappa = 1.0;
    let alphas = [1.0, 1.5, 1.7, 1.75, 1.8];
    let nd = if opts.quick { 25 } else { 200 };
    let nk = if opts.quick { 4 } else { 36 };
    // d grid: log-spaced near 0 (the √d cost) then linear up to ½.
    let mut ds: Vec<f64> = Vec::with_capacity(nd);
    let nlog = nd / 3;
    for i in 0..nlog {
        ds.push(10f64.powf(-6.0 + 5.0 * i as f64 / nlog as f64));
    }
    ds.extend(linspace(0.1, 0.5, nd - nlog));
    let mut points: Vec<(String, f64)> = ds.iter().map(|&d| ("pairs".to_string(), d)).collect();
    points.extend(
        linspace(0.25, 2.0, nk)
            .into_iter()
            .map(|k| ("bounds".to_string(), k)),
    );
    let study = FnStudy {
        experiment: "figure-sbp".into(),
        params: json!({"kappa_pairs": kappa, "alphas": alphas, "d_points": nd, "kappa_points": nk}),
        columns: vec![
            "kind", "kappa", "alpha", "d", "sigma2", "alpha_pair", "alpha_1m", "alpha_2m",
            "alpha_gap", "d_gap",
        ],
        points,
        notes: vec![
            "THEORY §S6: annealed (first/second moment) quantities; the mapping onto the named bounds of BDLZ20 is unverified (spec caveat S6.4)".into(),
            "Sigma2(d) = Psi2(1-2d); alpha_pair(d) = -(ln2 + H2(d))/ln P2(1-2d); alpha_gap = min_d alpha_pair".into(),
        ],
        run: move |(kind, x): &(String, f64), _| {
            let sbp = Sbp::new();
            if kind == "bounds" {
                let b = sbp_bounds(&sbp, *x)?;
                return Ok(vec![vec![
                    Field::from("bounds"),
                    Field::F(b.kappa),
                    Field::None,
                    Field::None,
                    Field::None,
                    Field::None,
                    Field::F(b.alpha_1m),
                    Field::F(b.alpha_2m),
                    Field::F(b.alpha_gap),
                    Field::F(b.d_gap),
                ]]);
            }
            let d = *x;
            let ap = sbp.alpha_pair(d, kappa).map_err(sbp_error)?;
            alphas
                .iter()
                .map(|&alpha| {
                    let s2 = sbp.sigma2(d, alpha, kappa).map_err(sbp_error)?;
                    Ok(vec![
                        Field::from("pairs"),
                        Field::F(kappa),
                        Field::F(alpha),
                        Field::F(d),
                        Field::F(s2),
                        Field::F(ap),
                        Field::None,
                        Field::None,
                        Field::None,
                        Field::None,
                    ])
                })
                .collect()
        },
        finish: move |t: &Table, out: &mut Outputs<'_>| {
            let kind = t.strs("kind")?;
            let (kap, alpha, d) = (t.f64s("kappa")?, t.f64s("alpha")?, t.f64s("d")?);
            let (s2, ap) = (t.f64s("sigma2")?, t.f64s("alpha_pair")?);
            let (a1, a2, ag, dg) = (t.f64s("alpha_1m")?, t.f64s("alpha_2m")?, t.f64s("alpha_gap")?, t.f64s("d_gap")?);
            let mut bounds = Vec::new();
            let mut pair_series = Vec::new();
            let mut c1 = Chart::new("SBP pair entropy, κ = 1", "distance d", "pair entropy Σ₂(d)");
            c1.hlines.push(0.0);
            for &a in &alphas {
                c1 = c1.with(Series::new(
                    format!("α = {a}"),
                    (0..kind.len()).filter(|&i| kind[i] == "pairs" && alpha[i] == a).map(|i| (d[i], s2[i])).collect(),
                    Style::Line,
                ));
            }
            for i in 0..kind.len() {
                if kind[i] == "bounds" {
                    bounds.push(SbpBounds { kappa: kap[i], alpha_1m: a1[i], alpha_2m: a2[i], alpha_gap: ag[i], d_gap: dg[i] });
                } else if alpha[i] == alphas[0] {
                    pair_series.push((d[i], ap[i]));
                }
            }
            out.csv(
                "bounds.csv",
                &["kappa", "alpha_1m", "alpha_2m", "alpha_gap", "d_gap"],
                &bounds.iter().map(|b| vec![b.kappa, b.alpha_1m, b.alpha_2m, b.alpha_gap, b.d_gap]).collect::<Vec<_>>(),
            )?;
            let s_ann = sbp::annealed_entropy(alphas[0], kappa).map_err(sbp_error)?;
            c1 = c1.with(Series::new(
                format!("s_ann + H₂(d), α = {}", alphas[0]),
                pair_series.iter().map(|&(d, _)| (d, s_ann + h2(d))).collect(),
                Style::Dashed,
            ));
            let mut c2 = Chart::new("α_pair(d), κ = 1", "distance d", "α_pair(d)");
            c2.x_log = true;
            c2 = c2.with(Series::new("α_pair", pair_series, Style::Line));
            let c3 = Chart::new("SBP capacity bounds", "margin κ", "load α")
                .with(Series::new("α_1M", bounds.iter().map(|b| (b.kappa, b.alpha_1m)).collect(), Style::Line))
                .with(Series::new("α_2M", bounds.iter().map(|b| (b.kappa, b.alpha_2m)).collect(), Style::Markers))
                .with(Series::new("α_gap", bounds.iter().map(|b| (b.kappa, b.alpha_gap)).collect(), Style::Dashed));
            out.plot("figure-sbp.svg", &[c1, c2, c3], 3)?;
            Ok(json!({ "kappa_pairs": kappa, "bounds": bounds }))
        },
    };
    opts.run("sbp", &study)
}

/// One α of a committee local-entropy figure.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CommitteeCurve {
    /// Activation name.
    pub act: &'static str,
    /// α.
    pub alpha: f64,
    /// Reference margin κ̃ = κ_max(α).
    pub kappa_ref: f64,
    /// Distance of the maximum d*.
    pub d_star: f64,
    /// φ(d*) (= s_eq(α, 0)).
    pub phi_star: f64,
    /// (d, φ, dφ/dd) at the computed grid points.
    pub points: Vec<(f64, f64, f64)>,
    /// Grid points where no value was produced (RS branch ended / not converged).
    pub failed: usize,
    /// Whether dφ/dd > 0 on the whole grid (large-scale phase).
    pub monotonic: bool,
}

/// The Franz–Parisi curve of the committee around typical max-margin solutions (κ̃ = κ_max(α), κ = 0)
/// on `n` points of the §S3.6 grid shape (log-spaced below 0.05 d*, linear above, up to 0.98 d*).
pub fn committee_curve(act: Activation, alpha: f64, n: usize) -> Result<CommitteeCurve> {
    let quad = FpQuadratureFast::new();
    let fp = |e: FpError| match e {
        FpError::InvalidParameter(w) => Error::Input(w.into()),
        other => Error::Numerics(other.to_string()),
    };
    let kref =
        committee::kappa_max(&quad.rs, act, alpha).map_err(|e| Error::Numerics(e.to_string()))?;
    let prob = committee::fp_problem(&quad, act, alpha, kref, 0.0).map_err(fp)?;
    let max = committee::fp_maximum(&quad, &prob).map_err(fp)?;
    let nlog = (n * 3) / 5;
    let mut ds = Vec::with_capacity(n);
    let (lo, hi) = ((1e-6f64).ln(), (0.05 * max.d).ln());
    for i in 0..nlog {
        ds.push((lo + (hi - lo) * i as f64 / nlog as f64).exp());
    }
    ds.extend(linspace(0.05 * max.d, 0.98 * max.d, n - nlog));
    let mut out = vec![Err(FpError::NotComputed); ds.len()];
    franz_parisi::curve(&quad, &prob, &max, &ds, &mut out).map_err(fp)?;
    let mut points = Vec::new();
    let mut failed = 0;
    for (d, r) in ds.iter().zip(&out) {
        match r {
            Ok(s) => points.push((*d, s.phi, s.dphi_dd)),
            Err(_) => failed += 1,
        }
    }
    let monotonic = failed == 0 && points.iter().all(|p| p.2 > 0.0);
    Ok(CommitteeCurve {
        act: if act == Activation::Sign {
            "sign"
        } else {
            "relu"
        },
        alpha,
        kappa_ref: kref,
        d_star: max.d,
        phi_star: max.phi,
        points,
        failed,
        monotonic,
    })
}

fn committee_figure(
    opts: &FigureOpts<'_>,
    act: Activation,
    number: &str,
    alphas: &[f64],
) -> Result<FigureReport> {
    let n = if opts.quick { 12 } else { 60 };
    let alphas: Vec<f64> = if opts.quick {
        alphas.iter().copied().step_by(2).collect()
    } else {
        alphas.to_vec()
    };
    let name = if act == Activation::Sign {
        "sign"
    } else {
        "relu"
    };
    let study = FnStudy {
        experiment: format!("figure-{number}"),
        params: json!({"activation": name, "alphas": alphas, "kappa": 0.0,
            "kappa_ref": "kappa_max(alpha)", "d_points": n}),
        columns: vec![
            "alpha", "kappa_ref", "d", "phi", "dphi_dd", "d_star", "phi_star", "failed_points",
            "monotonic",
        ],
        points: alphas,
        notes: vec![
            "THEORY §S5: tree committee machine, K -> infinity, binary weights; RS Franz-Parisi entropy around typical max-margin solutions, constrained margin 0".into(),
            "quadrature FpQuadratureFast (40 x 2*20 x 28), agrees with the spec rule to ~1e-9 on phi".into(),
        ],
        run: move |&a: &f64, _| {
            let c = committee_curve(act, a, n)?;
            let row = |d: f64, phi: f64, dphi: f64| {
                vec![
                    Field::F(c.alpha),
                    Field::F(c.kappa_ref),
                    Field::F(d),
                    Field::F(phi),
                    Field::F(dphi),
                    Field::F(c.d_star),
                    Field::F(c.phi_star),
                    Field::from(c.failed),
                    Field::B(c.monotonic),
                ]
            };
            let mut rows: Vec<Vec<Field>> = c.points.iter().map(|&(d, p, dp)| row(d, p, dp)).collect();
            if rows.is_empty() {
                rows.push(row(f64::NAN, f64::NAN, f64::NAN));
            }
            Ok(rows)
        },
        finish: move |t: &Table, out: &mut Outputs<'_>| {
            let (alpha, kr, d) = (t.f64s("alpha")?, t.f64s("kappa_ref")?, t.f64s("d")?);
            let (phi, dphi) = (t.f64s("phi")?, t.f64s("dphi_dd")?);
            let (ds, ps, failed) = (t.f64s("d_star")?, t.f64s("phi_star")?, t.f64s("failed_points")?);
            let mono = t.bools("monotonic")?;
            let mut c1 = Chart::new(
                format!("committee ({name}): local entropy around max-margin solutions"),
                "distance d",
                "local entropy φ_FP(d)",
            );
            c1.x_log = true;
            c1.hlines.push(0.0);
            let mut c2 = Chart::new(format!("committee ({name}): derivative"), "distance d", "dφ_FP/dd");
            c2.x_log = true;
            c2.hlines.push(0.0);
            let mut summary = Vec::new();
            let mut first: Option<Vec<usize>> = None;
            for (_, idx) in t.groups("alpha")? {
                let i = idx[0];
                let label = format!("α = {} (κ̃ = {:.4})", alpha[i], kr[i]);
                let pts: Vec<usize> = idx.iter().copied().filter(|&j| d[j].is_finite()).collect();
                c1 = c1.with(Series::new(label.clone(), pts.iter().map(|&j| (d[j], phi[j])).collect(), Style::Line));
                c2 = c2.with(Series::new(label, pts.iter().map(|&j| (d[j], dphi[j])).collect(), Style::Line));
                out.converge(
                    &format!("alpha={}", alpha[i]),
                    json!({"failed_points": failed[i], "d_star": ds[i], "monotonic": mono[i]}),
                );
                summary.push(json!({"alpha": alpha[i], "kappa_ref": kr[i], "d_star": ds[i],
                    "phi_star": ps[i], "monotonic": mono[i], "failed_points": failed[i]}));
                first.get_or_insert(pts);
            }
            if let Some(pts) = first {
                c1 = c1.with(Series::new("H₂(d)", pts.iter().map(|&j| (d[j], h2(d[j]))).collect(), Style::Dashed));
            }
            c1.y_range = Some((-0.05, 0.4));
            out.plot(&format!("figure-{number}.svg"), &[c1, c2], 2)?;
            Ok(json!(summary))
        },
    };
    opts.run(number, &study)
}

/// Figure 6: ReLU tree committee, φ_FP and dφ/dd around max-margin solutions for α across the
/// monotonic → non-monotonic transition (T3: α_LE = 0.7725).
pub fn figure6(opts: &FigureOpts<'_>) -> Result<FigureReport> {
    committee_figure(
        opts,
        Activation::Relu,
        "6",
        &[0.6, 0.7, 0.75, 0.77, 0.78, 0.8],
    )
}

/// Figure 7: sign tree committee, same as figure 6 (T3: α_LE = 0.5577).
pub fn figure7(opts: &FigureOpts<'_>) -> Result<FigureReport> {
    committee_figure(
        opts,
        Activation::Sign,
        "7",
        &[0.4, 0.5, 0.54, 0.56, 0.58, 0.6],
    )
}
