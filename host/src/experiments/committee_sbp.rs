//! Figures 6, 7 (tree committee machines, THEORY §S5) and the symmetric-binary-perceptron figure
//! (THEORY §S6): pair entropy against distance and the capacity bounds against κ.

use super::{FigureOpts, FigureReport};
use crate::error::{Error, Result};
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::{with_threads, OneShotMeta, OutDir};
use flatmin_core::special::h2;
use flatmin_core::theory::committee::{self, Activation};
use flatmin_core::theory::franz_parisi::{self, FpError, FpQuadratureFast};
use flatmin_core::theory::sbp::{self, Sbp, SbpError};
use rayon::prelude::*;

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
/// reference), α_pair(d) at κ = 1, and α_1M, α_2M, α_gap against κ.
pub fn figure_sbp(opts: &FigureOpts) -> Result<FigureReport> {
    let sbp = Sbp::new();
    let kappa = 1.0;
    let alphas = [1.0, 1.5, 1.7, 1.75, 1.8];
    let nd = if opts.quick { 25 } else { 200 };
    let nk = if opts.quick { 4 } else { 36 };
    let mut meta = OneShotMeta::new("figure-sbp");
    meta.param("kappa_pairs", kappa)
        .param("alphas", alphas)
        .param("d_points", nd)
        .param("kappa_points", nk)
        .param("quick", opts.quick)
        .note("THEORY §S6: annealed (first/second moment) quantities; the mapping onto the named bounds of BDLZ20 is unverified (spec caveat S6.4)")
        .note("Sigma2(d) = Psi2(1-2d); alpha_pair(d) = -(ln2 + H2(d))/ln P2(1-2d); alpha_gap = min_d alpha_pair");
    let mut out = OutDir::create(&opts.out.join("figure-sbp"), meta, &opts.one_shot())?;

    // d grid: log-spaced near 0 (the √d cost) then linear up to ½.
    let mut ds: Vec<f64> = Vec::with_capacity(nd);
    let nlog = nd / 3;
    for i in 0..nlog {
        ds.push(10f64.powf(-6.0 + 5.0 * i as f64 / nlog as f64));
    }
    ds.extend(linspace(0.1, 0.5, nd - nlog));
    let mut rows = Vec::new();
    let mut sigma_series: Vec<Vec<(f64, f64)>> = vec![Vec::new(); alphas.len()];
    let mut pair_series = Vec::new();
    for &d in &ds {
        let ap = sbp.alpha_pair(d, kappa).map_err(sbp_error)?;
        pair_series.push((d, ap));
        for (j, &alpha) in alphas.iter().enumerate() {
            let s2 = sbp.sigma2(d, alpha, kappa).map_err(sbp_error)?;
            sigma_series[j].push((d, s2));
            rows.push(vec![kappa, alpha, d, s2, ap]);
        }
    }
    out.write_csv(
        "data.csv",
        &["kappa", "alpha", "d", "sigma2", "alpha_pair"],
        &rows,
    )?;

    let kappas = linspace(0.25, 2.0, nk);
    let mut bounds = Vec::new();
    for &k in &kappas {
        bounds.push(sbp_bounds(&sbp, k)?);
    }
    let brows: Vec<Vec<f64>> = bounds
        .iter()
        .map(|b| vec![b.kappa, b.alpha_1m, b.alpha_2m, b.alpha_gap, b.d_gap])
        .collect();
    out.write_csv(
        "bounds.csv",
        &["kappa", "alpha_1m", "alpha_2m", "alpha_gap", "d_gap"],
        &brows,
    )?;

    let mut c1 = Chart::new(
        "SBP pair entropy, κ = 1",
        "distance d",
        "pair entropy Σ₂(d)",
    );
    c1.hlines.push(0.0);
    for (j, &alpha) in alphas.iter().enumerate() {
        c1 = c1.with(Series::new(
            format!("alpha = {alpha}"),
            sigma_series[j].clone(),
            Style::Line,
        ));
    }
    let s_ann = sbp::annealed_entropy(alphas[0], kappa).map_err(sbp_error)?;
    c1 = c1.with(Series::new(
        format!("s_ann + H2(d), alpha = {}", alphas[0]),
        ds.iter().map(|&d| (d, s_ann + h2(d))).collect(),
        Style::Dashed,
    ));
    let mut c2 = Chart::new("α_pair(d), κ = 1", "distance d", "α_pair(d)");
    c2.x_log = true;
    c2 = c2.with(Series::new("alpha_pair", pair_series, Style::Line));
    let c3 = Chart::new("SBP capacity bounds", "margin κ", "load α")
        .with(Series::new(
            "alpha_1M",
            bounds.iter().map(|b| (b.kappa, b.alpha_1m)).collect(),
            Style::Line,
        ))
        .with(Series::new(
            "alpha_2M",
            bounds.iter().map(|b| (b.kappa, b.alpha_2m)).collect(),
            Style::Markers,
        ))
        .with(Series::new(
            "alpha_gap",
            bounds.iter().map(|b| (b.kappa, b.alpha_gap)).collect(),
            Style::Dashed,
        ));
    out.plot("figure-sbp.svg", &[c1, c2, c3], 3)?;
    let summary = serde_json::json!({
        "kappa_pairs": kappa,
        "bounds": bounds,
    });
    let meta = out.finish(summary)?;
    Ok(FigureReport::one_shot("sbp", &opts.out, meta))
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
    opts: &FigureOpts,
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
    let mut meta = OneShotMeta::new(format!("figure-{number}"));
    meta.param("activation", name)
        .param("alphas", &alphas)
        .param("kappa", 0.0)
        .param("kappa_ref", "kappa_max(alpha)")
        .param("d_points", n)
        .param("quick", opts.quick)
        .note("THEORY §S5: tree committee machine, K -> infinity, binary weights; RS Franz-Parisi entropy around typical max-margin solutions, constrained margin 0")
        .note("quadrature FpQuadratureFast (40 x 2*20 x 28), agrees with the spec rule to ~1e-9 on phi");
    let mut out = OutDir::create(
        &opts.out.join(format!("figure-{number}")),
        meta,
        &opts.one_shot(),
    )?;
    let curves: Vec<Result<CommitteeCurve>> = with_threads(opts.threads, || {
        alphas
            .par_iter()
            .map(|&a| committee_curve(act, a, n))
            .collect()
    })?;
    let curves: Vec<CommitteeCurve> = curves.into_iter().collect::<Result<_>>()?;
    let mut rows = Vec::new();
    for c in &curves {
        for &(d, phi, dphi) in &c.points {
            rows.push(vec![c.alpha, c.kappa_ref, d, phi, dphi]);
        }
        out.meta().converge(
            &format!("alpha={}", c.alpha),
            serde_json::json!({"failed_points": c.failed, "d_star": c.d_star, "monotonic": c.monotonic}),
        );
    }
    out.write_csv(
        "data.csv",
        &["alpha", "kappa_ref", "d", "phi", "dphi_dd"],
        &rows,
    )?;
    let mut c1 = Chart::new(
        format!("committee ({name}): local entropy around max-margin solutions"),
        "distance d",
        "local entropy φ_FP(d)",
    );
    c1.x_log = true;
    c1.hlines.push(0.0);
    let mut c2 = Chart::new(
        format!("committee ({name}): derivative"),
        "distance d",
        "dφ_FP/dd",
    );
    c2.x_log = true;
    c2.hlines.push(0.0);
    for c in &curves {
        let label = format!("alpha = {} (kappa_ref = {:.4})", c.alpha, c.kappa_ref);
        c1 = c1.with(Series::new(
            label.clone(),
            c.points.iter().map(|p| (p.0, p.1)).collect(),
            Style::Line,
        ));
        c2 = c2.with(Series::new(
            label,
            c.points.iter().map(|p| (p.0, p.2)).collect(),
            Style::Line,
        ));
    }
    if let Some(c) = curves.first() {
        c1 = c1.with(Series::new(
            "H2(d)",
            c.points.iter().map(|p| (p.0, h2(p.0))).collect(),
            Style::Dashed,
        ));
    }
    c1.y_range = Some((-0.05, 0.4));
    out.plot(&format!("figure-{number}.svg"), &[c1, c2], 2)?;
    let summary =
        serde_json::json!(curves
        .iter()
        .map(|c| serde_json::json!({"alpha": c.alpha, "kappa_ref": c.kappa_ref, "d_star": c.d_star,
            "phi_star": c.phi_star, "monotonic": c.monotonic, "failed_points": c.failed}))
        .collect::<Vec<_>>());
    let meta = out.finish(summary)?;
    Ok(FigureReport::one_shot(number, &opts.out, meta))
}

/// Figure 6: ReLU tree committee, φ_FP and dφ/dd around max-margin solutions for α across the
/// monotonic → non-monotonic transition (T3: α_LE = 0.7725).
pub fn figure6(opts: &FigureOpts) -> Result<FigureReport> {
    committee_figure(
        opts,
        Activation::Relu,
        "6",
        &[0.6, 0.7, 0.75, 0.77, 0.78, 0.8],
    )
}

/// Figure 7: sign tree committee, same as figure 6 (T3: α_LE = 0.5577).
pub fn figure7(opts: &FigureOpts) -> Result<FigureReport> {
    committee_figure(
        opts,
        Activation::Sign,
        "7",
        &[0.4, 0.5, 0.54, 0.56, 0.58, 0.6],
    )
}
