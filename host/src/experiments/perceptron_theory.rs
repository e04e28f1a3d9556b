//! Figures 2–5 of Baldassi et al., PRL 127, 278301 (2021): replica theory of the binary perceptron
//! (THEORY §S2 RS entropy, §S3 Franz–Parisi local entropy, §S3.6 phases).
//!
//! * [`figure2`]: typical distance d = (1 − q)/2 between κ-margin solutions vs κ, several α.
//! * [`figure3`]: Franz–Parisi entropy φ(d) around typical κ̃-margin references (several κ̃, one per
//!   phase), with H₂(d).
//! * [`figure4`]: φ(d) and dφ/dd around max-margin references for α across α_LE ≈ 0.729.
//! * [`figure5`]: RS entropy vs κ at several α, and κ_max(α).
//!
//! The paper's exact parameter values were stripped from the seed text; the values used here are
//! chosen to show every phase and are recorded in each `meta.json` (notes).

use super::{FigureOpts, FigureReport};
use crate::error::{Error, Result};
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::runner::{Field, FnStudy, Outputs, Table};
use flatmin_core::special::h2;
use flatmin_core::theory::franz_parisi::{
    self as fp, FpError, FpProblem, FpQuadratureFast, FpSaddle,
};
use flatmin_core::theory::phases::{self, Phase};
use flatmin_core::theory::rs::{self, RsError, RsQuadrature};
use serde_json::json;

fn numerics(e: impl std::fmt::Display) -> Error {
    Error::Numerics(e.to_string())
}

fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![a];
    }
    (0..n)
        .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
        .collect()
}

fn logspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    linspace(a.ln(), b.ln(), n)
        .into_iter()
        .map(f64::exp)
        .collect()
}

/// A Franz–Parisi curve over `ds` (continuation from d*), with the maximum.
pub struct FpCurve {
    /// α.
    pub alpha: f64,
    /// κ̃.
    pub kappa_ref: f64,
    /// κ.
    pub kappa: f64,
    /// The maximum (d*, φ(d*) = s_eq).
    pub max: FpSaddle,
    /// Distances.
    pub ds: Vec<f64>,
    /// One result per distance.
    pub points: Vec<std::result::Result<FpSaddle, FpError>>,
}

/// Computes an FP curve (perceptron kernel, fast quadrature).
pub fn fp_curve(alpha: f64, kappa_ref: f64, kappa: f64, ds: &[f64]) -> Result<FpCurve> {
    let quad = FpQuadratureFast::new();
    let prob = FpProblem::perceptron(&quad, alpha, kappa_ref, kappa).map_err(numerics)?;
    let max = fp::maximum(&quad, &prob).map_err(numerics)?;
    let mut points = vec![Err(FpError::NotComputed); ds.len()];
    fp::curve(&quad, &prob, &max, ds, &mut points).map_err(numerics)?;
    Ok(FpCurve {
        alpha,
        kappa_ref,
        kappa,
        max,
        ds: ds.to_vec(),
        points,
    })
}

fn status(r: &std::result::Result<FpSaddle, FpError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(FpError::BranchEnds { .. }) => "branch-ends",
        Err(_) => "failed",
    }
}

/// Figure 2: d = (1 − q)/2 vs κ ∈ [0, κ_max(α)] for α ∈ {0.1, 0.3, 0.5, 0.7, 0.8}; one point per α.
pub fn figure2(opts: &FigureOpts<'_>) -> Result<FigureReport> {
    let alphas = vec![0.1, 0.3, 0.5, 0.7, 0.8];
    let n = if opts.quick { 8 } else { 80 };
    let study = FnStudy {
        experiment: "figure-2".into(),
        params: json!({"alphas": alphas, "kappa_points": n, "kappa_range": "[0, kappa_max(alpha)]"}),
        columns: vec!["alpha", "kappa_max", "kappa", "d", "q", "qhat", "s", "residual"],
        points: alphas,
        notes: vec!["Paper Fig. 2: distance between typical κ-margin solutions, RS (THEORY S2). The paper's α values were lost; chosen 0.1, 0.3, 0.5, 0.7, 0.8.".into()],
        run: move |&a: &f64, _| {
            let quad = RsQuadrature::new();
            let km = rs::kappa_max(&quad, a).map_err(numerics)?;
            linspace(0.0, km, n)
                .into_iter()
                .map(|k| {
                    let p = rs::solve(&quad, a, k).map_err(numerics)?;
                    Ok([a, km, p.kappa, p.d, p.q, p.qhat, p.s, p.residual]
                        .map(Field::F)
                        .to_vec())
                })
                .collect()
        },
        finish: |t: &Table, out: &mut Outputs<'_>| {
            let (alpha, km, kappa, d) = (t.f64s("alpha")?, t.f64s("kappa_max")?, t.f64s("kappa")?, t.f64s("d")?);
            let res = t.f64s("residual")?;
            let mut chart = Chart::new(
                "Fig. 2: typical distance between κ-margin solutions (RS)",
                "margin κ",
                "distance d = (1 − q)/2",
            );
            let mut at_max = Vec::new();
            for (_, idx) in t.groups("alpha")? {
                let i0 = idx[0];
                chart = chart.with(Series::new(
                    format!("α = {} (κ_max = {:.4})", alpha[i0], km[i0]),
                    idx.iter().map(|&i| (kappa[i], d[i])).collect(),
                    Style::Line,
                ));
                let last = idx[idx.len() - 1];
                at_max.push(json!({"alpha": alpha[i0], "kappa_max": km[i0], "d": d[last]}));
            }
            out.converge("max_residual", res.iter().copied().fold(0.0f64, f64::max));
            out.plot("figure-2.svg", &[chart], 1)?;
            Ok(json!({ "d_at_kappa_max": at_max }))
        },
    };
    opts.run("2", &study)
}

/// Distances of the FP figures: log-spaced below 0.02, linear above.
fn fp_grid(quick: bool, dmin: f64, dmax: f64) -> Vec<f64> {
    let (nl, nn) = if quick { (5, 6) } else { (30, 50) };
    let mut v = logspace(dmin, 0.02, nl);
    v.pop();
    v.extend(linspace(0.02, dmax, nn));
    v
}

const FP_COLUMNS: [&str; 13] = [
    "alpha",
    "kappa_ref",
    "kappa",
    "d",
    "phi",
    "dphi_dd",
    "q1",
    "p",
    "h2",
    "status",
    "d_star",
    "phi_star",
    "phase",
];

/// The rows of one FP curve (a failed point has empty numbers and its status).
fn fp_rows(c: &FpCurve, phase: Option<Phase>) -> Vec<Vec<Field>> {
    c.ds.iter()
        .zip(&c.points)
        .map(|(&d, r)| {
            let (phi, dphi, q1, p) = match r {
                Ok(s) => (s.phi, s.dphi_dd, s.q1, s.p),
                Err(_) => (f64::NAN, f64::NAN, f64::NAN, f64::NAN),
            };
            vec![
                Field::F(c.alpha),
                Field::F(c.kappa_ref),
                Field::F(c.kappa),
                Field::F(d),
                Field::F(phi),
                Field::F(dphi),
                Field::F(q1),
                Field::F(p),
                Field::F(h2(d)),
                Field::from(status(r)),
                Field::F(c.max.d),
                Field::F(c.max.phi),
                phase.map(|p| i32::from(p.number())).into(),
            ]
        })
        .collect()
}

/// A curve of an FP table: (label key, rows).
fn fp_series(t: &Table, idx: &[usize], label: String, deriv: bool) -> Result<Series> {
    let d = t.f64s("d")?;
    let y = t.f64s(if deriv { "dphi_dd" } else { "phi" })?;
    Ok(Series::new(
        label,
        idx.iter().map(|&i| (d[i], y[i])).collect(),
        Style::Line,
    ))
}

fn failed_points(t: &Table) -> Result<usize> {
    Ok(t.strs("status")?.iter().filter(|s| **s != "ok").count())
}

/// Figure 3: φ_FP(d) at α = 0.5, κ = 0 for κ̃ ∈ {0, 0.02, 0.033, 0.1, 0.2, κ_max = 0.418}, with H₂(d);
/// one point per κ̃.
pub fn figure3(opts: &FigureOpts<'_>) -> Result<FigureReport> {
    let alpha = 0.5;
    let km = rs::kappa_max(&RsQuadrature::new(), alpha).map_err(numerics)?;
    let krefs: Vec<f64> = if opts.quick {
        vec![0.0, 0.1, km]
    } else {
        vec![0.0, 0.02, 0.033, 0.1, 0.2, km]
    };
    let quick = opts.quick;
    let ds = fp_grid(quick, if quick { 2e-3 } else { 1e-5 }, 0.5);
    let h2s = Series::new(
        "H₂(d)",
        ds.iter().map(|&d| (d, h2(d))).collect(),
        Style::Dashed,
    );
    let study = FnStudy {
        experiment: "figure-3".into(),
        params: json!({"alpha": alpha, "kappa": 0.0, "kappa_refs": krefs, "d_points": ds.len(), "phases": !quick}),
        columns: FP_COLUMNS.to_vec(),
        points: krefs,
        notes: vec![
            "Paper Fig. 3: Franz-Parisi local entropy around typical kappa_ref-margin references (THEORY S3). The paper's kappa_ref values were lost; chosen to show every phase at alpha = 0.5 (T3: kappa_min = 0.0289, kappa_LE = 0.0365): 0 (phase 1, isolated), 0.02 (phase 3, empty shell), 0.033 (phase 4, isolated balls), 0.1, 0.2 and kappa_max (phase 5, large-scale).".into(),
            "Points where the RS branch followed from d* ends (THEORY S3.5) have status branch-ends and empty values.".into(),
        ],
        run: move |&kr: &f64, _| {
            let c = fp_curve(alpha, kr, 0.0, &ds)?;
            let phase = if quick {
                None
            } else {
                let qf = FpQuadratureFast::new();
                FpProblem::perceptron(&qf, alpha, kr, 0.0)
                    .ok()
                    .and_then(|p| phases::classify(&qf, &p).ok())
                    .map(|r| r.phase)
            };
            Ok(fp_rows(&c, phase))
        },
        finish: move |t: &Table, out: &mut Outputs<'_>| {
            let (kr, ph) = (t.f64s("kappa_ref")?, t.f64s("phase")?);
            let (ds, ps) = (t.f64s("d_star")?, t.f64s("phi_star")?);
            let mut full = Chart::new(
                "Fig. 3: Franz–Parisi entropy, α = 0.5, κ = 0",
                "distance d",
                "local entropy φ_FP(d)",
            );
            let mut zoom = Chart::new("small distances", "distance d", "local entropy φ_FP(d)");
            zoom.x_log = true;
            zoom.x_range = Some((1e-5, 0.05));
            zoom.y_range = Some((-0.012, 0.12));
            let mut curves = Vec::new();
            for (_, idx) in t.groups("kappa_ref")? {
                let i = idx[0];
                let label = if ph[i].is_nan() {
                    format!("κ̃ = {:.4}", kr[i])
                } else {
                    format!("κ̃ = {:.4} (phase {})", kr[i], ph[i])
                };
                full = full.with(fp_series(t, &idx, label.clone(), false)?);
                zoom = zoom.with(fp_series(t, &idx, label, false)?);
                curves.push(json!({"kappa_ref": kr[i], "d_star": ds[i], "phi_star": ps[i],
                    "phase": if ph[i].is_nan() { None } else { Some(ph[i] as u8) }}));
            }
            full = full.with(h2s.clone());
            zoom = zoom.with(h2s.clone());
            full.hlines.push(0.0);
            zoom.hlines.push(0.0);
            out.converge("points_not_computed", failed_points(t)?);
            out.plot("figure-3.svg", &[full, zoom], 2)?;
            Ok(json!({ "curves": curves }))
        },
    };
    opts.run("3", &study)
}

/// Figure 4: φ(d) and dφ/dd around max-margin references (κ̃ = κ_max(α), κ = 0) for
/// α ∈ {0.70, 0.72, 0.729, 0.74, 0.75}, across α_LE = 0.7290 (T3); one point per α.
pub fn figure4(opts: &FigureOpts<'_>) -> Result<FigureReport> {
    let alphas: Vec<f64> = if opts.quick {
        vec![0.70, 0.75]
    } else {
        vec![0.70, 0.72, 0.729, 0.74, 0.75]
    };
    let n = if opts.quick { 6 } else { 70 };
    let ds = logspace(if opts.quick { 2e-3 } else { 1e-4 }, 0.1, n);
    let study = FnStudy {
        experiment: "figure-4".into(),
        params: json!({"alphas": alphas, "kappa": 0.0, "kappa_ref": "kappa_max(alpha)",
            "d_range": [ds[0], 0.1], "d_points": n}),
        columns: FP_COLUMNS.to_vec(),
        points: alphas,
        notes: vec!["Paper Fig. 4: local entropy and its derivative around typical max-margin solutions across alpha_LE = 0.7290 (T3, RS). The paper's alpha values were lost; chosen 0.70, 0.72, 0.729 (about alpha_LE), 0.74 (phase 4) and 0.75 (phase 3, beyond alpha_min = 0.7477).".into()],
        run: move |&a: &f64, _| {
            let km = rs::kappa_max(&RsQuadrature::new(), a).map_err(numerics)?;
            Ok(fp_rows(&fp_curve(a, km, 0.0, &ds)?, None))
        },
        finish: |t: &Table, out: &mut Outputs<'_>| {
            let (alpha, kr, dphi) = (t.f64s("alpha")?, t.f64s("kappa_ref")?, t.f64s("dphi_dd")?);
            let mut c1 = Chart::new(
                "Fig. 4: local entropy around max-margin solutions",
                "distance d",
                "local entropy φ_FP(d)",
            );
            let mut c2 = Chart::new("derivative", "distance d", "dφ_FP/dd");
            c1.x_log = true;
            c2.x_log = true;
            let mut curves = Vec::new();
            for (_, idx) in t.groups("alpha")? {
                let i = idx[0];
                let l = format!("α = {} (κ_max = {:.4})", alpha[i], kr[i]);
                c1 = c1.with(fp_series(t, &idx, l.clone(), false)?);
                c2 = c2.with(fp_series(t, &idx, l, true)?);
                let min_d = idx.iter().map(|&j| dphi[j]).filter(|x| x.is_finite()).fold(f64::INFINITY, f64::min);
                curves.push(json!({"alpha": alpha[i], "kappa_max": kr[i], "min_dphi_dd_on_grid": min_d}));
            }
            c1.hlines.push(0.0);
            c2.hlines.push(0.0);
            out.converge("points_not_computed", failed_points(t)?);
            out.plot("figure-4.svg", &[c1, c2], 2)?;
            Ok(json!({ "curves": curves }))
        },
    };
    opts.run("4", &study)
}

/// Figure 5: RS entropy s(α, κ) vs κ for α ∈ {0.1, 0.3, 0.5, 0.7, 0.8} (up to α_GD(κ)), and κ_max(α).
/// Points: one entropy curve per α (`kind = s`) and one κ_max value per α of a grid
/// (`kind = kappa_max`).
pub fn figure5(opts: &FigureOpts<'_>) -> Result<FigureReport> {
    let alphas = [0.1, 0.3, 0.5, 0.7, 0.8];
    let nk = if opts.quick { 10 } else { 100 };
    let na = if opts.quick { 8 } else { 60 };
    let mut points: Vec<(String, f64)> = alphas.iter().map(|&a| ("s".to_string(), a)).collect();
    points.extend(
        linspace(0.05, 0.83, na)
            .into_iter()
            .map(|a| ("kappa_max".to_string(), a)),
    );
    let kappas = linspace(0.0, 2.5, nk);
    let study = FnStudy {
        experiment: "figure-5".into(),
        params: json!({"alphas": alphas, "kappa_points": nk, "kappa_range": [0.0, 2.5],
            "alpha_points_kappa_max": na, "alpha_range_kappa_max": [0.05, 0.83]}),
        columns: vec!["kind", "alpha", "kappa", "s"],
        points,
        notes: vec!["Paper Fig. 5: RS entropy of kappa-margin solutions (THEORY S2) and kappa_max(alpha), where it vanishes. Curves stop at alpha_GD(kappa), beyond which no RS solution with q < 1 exists. alpha values chosen (paper's lost). Rows of kind kappa_max hold kappa = kappa_max(alpha), s = 0.".into()],
        run: move |(kind, a): &(String, f64), _| {
            let quad = RsQuadrature::new();
            let row = |k: f64, s: f64| vec![Field::from(kind.as_str()), Field::F(*a), Field::F(k), Field::F(s)];
            if kind == "kappa_max" {
                let k = rs::kappa_max(&quad, *a).map_err(numerics)?;
                return Ok(vec![row(k, 0.0)]);
            }
            let mut rows = Vec::new();
            for &k in &kappas {
                match rs::solve(&quad, *a, k) {
                    Ok(s) => rows.push(row(k, s.s)),
                    Err(RsError::NoSolution { .. }) => break,
                    Err(e) => return Err(numerics(e)),
                }
            }
            if rows.is_empty() {
                rows.push(vec![Field::from("s"), Field::F(*a), Field::None, Field::None]);
            }
            Ok(rows)
        },
        finish: |t: &Table, out: &mut Outputs<'_>| {
            let kind = t.strs("kind")?;
            let (alpha, kappa, s) = (t.f64s("alpha")?, t.f64s("kappa")?, t.f64s("s")?);
            let mut c1 = Chart::new(
                "Fig. 5: RS entropy of κ-margin solutions",
                "margin κ",
                "entropy s_RS(α, κ)",
            );
            let mut kmax = Vec::new();
            for (_, idx) in t.groups("alpha")? {
                let curve: Vec<usize> = idx.iter().copied().filter(|&i| kind[i] == "s").collect();
                if let Some(&i) = curve.first() {
                    c1 = c1.with(Series::new(
                        format!("α = {}", alpha[i]),
                        curve.iter().map(|&j| (kappa[j], s[j])).filter(|p| p.0.is_finite()).collect(),
                        Style::Line,
                    ));
                }
            }
            for i in 0..kind.len() {
                if kind[i] == "kappa_max" {
                    kmax.push((alpha[i], kappa[i]));
                }
            }
            c1.hlines.push(0.0);
            out.csv(
                "kappa_max.csv",
                &["alpha", "kappa_max"],
                &kmax.iter().map(|&(a, k)| vec![a, k]).collect::<Vec<_>>(),
            )?;
            let c2 = Chart::new("maximal margin", "load α = P/N", "κ_max(α)")
                .with(Series::new("κ_max(α)", kmax.clone(), Style::Line));
            out.plot("figure-5.svg", &[c1, c2], 2)?;
            let alpha_km = rs::alpha_c(&RsQuadrature::new(), 0.0).map_err(numerics)?;
            out.converge("alpha_km", alpha_km);
            Ok(json!({"alpha_km": alpha_km, "kappa_max": kmax.iter().map(|&(a, k)| json!([a, k])).collect::<Vec<_>>()}))
        },
    };
    opts.run("5", &study)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids() {
        let g = fp_grid(true, 1e-5, 0.5);
        assert!(g.windows(2).all(|w| w[0] < w[1]));
        assert!((g[0] - 1e-5).abs() < 1e-18 && (g[g.len() - 1] - 0.5).abs() < 1e-15);
    }
}
