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
use crate::harness::{with_threads, OneShotMeta, OutDir};
use flatmin_core::special::h2;
use flatmin_core::theory::franz_parisi::{
    self as fp, FpError, FpProblem, FpQuadratureFast, FpSaddle,
};
use flatmin_core::theory::phases::{self, Phase};
use flatmin_core::theory::rs::{self, RsError, RsQuadrature};
use rayon::prelude::*;
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

/// Figure 2: d = (1 − q)/2 vs κ ∈ [0, κ_max(α)] for α ∈ {0.1, 0.3, 0.5, 0.7, 0.8}.
pub fn figure2(opts: &FigureOpts) -> Result<FigureReport> {
    let alphas = [0.1, 0.3, 0.5, 0.7, 0.8];
    let n = if opts.quick { 8 } else { 80 };
    let mut meta = OneShotMeta::new("figure-2");
    meta.param("alphas", alphas)
        .param("kappa_points", n)
        .param("kappa_range", "[0, kappa_max(alpha)]");
    meta.note("Paper Fig. 2: distance between typical kappa-margin solutions, RS (THEORY S2). The paper's alpha values were lost; chosen 0.1, 0.3, 0.5, 0.7, 0.8.");
    let quad = RsQuadrature::new();
    let curves: Vec<(f64, f64, Vec<rs::RsSaddle<f64>>)> = with_threads(opts.threads, || {
        alphas
            .par_iter()
            .map(|&a| -> Result<_> {
                let km = rs::kappa_max(&quad, a).map_err(numerics)?;
                let pts = linspace(0.0, km, n)
                    .into_iter()
                    .map(|k| rs::solve(&quad, a, k).map_err(numerics))
                    .collect::<Result<Vec<_>>>()?;
                Ok((a, km, pts))
            })
            .collect::<Result<Vec<_>>>()
    })??;
    let mut dir = OutDir::create(&opts.out.join("figure-2"), meta, &opts.one_shot())?;
    let mut rows = Vec::new();
    let mut chart = Chart::new(
        "Fig. 2: typical distance between κ-margin solutions (RS)",
        "margin κ",
        "distance d = (1 − q)/2",
    );
    let mut maxres = 0.0f64;
    for (a, km, pts) in &curves {
        for p in pts {
            rows.push(vec![*a, p.kappa, p.d, p.q, p.qhat, p.s]);
            maxres = maxres.max(p.residual);
        }
        chart = chart.with(Series::new(
            format!("α = {a} (κ_max = {km:.4})"),
            pts.iter().map(|p| (p.kappa, p.d)).collect(),
            Style::Line,
        ));
    }
    dir.write_csv(
        "data.csv",
        &["alpha", "kappa", "d", "q", "qhat", "s"],
        &rows,
    )?;
    dir.plot("figure-2.svg", &[chart], 1)?;
    dir.meta().converge("max_residual", maxres);
    let summary = json!({"d_at_kappa_max": curves.iter().map(|(a, km, p)| json!({"alpha": a, "kappa_max": km, "d": p.last().map(|s| s.d)})).collect::<Vec<_>>()});
    let meta = dir.finish(summary)?;
    Ok(FigureReport::one_shot("2", &opts.out, meta))
}

/// Distances of the FP figures: log-spaced below 0.02, linear above.
fn fp_grid(quick: bool, dmin: f64, dmax: f64) -> Vec<f64> {
    let (nl, nn) = if quick { (5, 6) } else { (30, 50) };
    let mut v = logspace(dmin, 0.02, nl);
    v.pop();
    v.extend(linspace(0.02, dmax, nn));
    v
}

fn write_fp_rows(curves: &[FpCurve]) -> (Vec<Vec<String>>, usize) {
    let mut rows = Vec::new();
    let mut failed = 0;
    for c in curves {
        for (d, r) in c.ds.iter().zip(&c.points) {
            let (phi, dphi, q1, p) = match r {
                Ok(s) => (s.phi, s.dphi_dd, s.q1, s.p),
                Err(_) => {
                    failed += 1;
                    (f64::NAN, f64::NAN, f64::NAN, f64::NAN)
                }
            };
            rows.push(vec![
                c.alpha.to_string(),
                c.kappa_ref.to_string(),
                c.kappa.to_string(),
                d.to_string(),
                phi.to_string(),
                dphi.to_string(),
                q1.to_string(),
                p.to_string(),
                h2(*d).to_string(),
                status(r).to_string(),
            ]);
        }
    }
    (rows, failed)
}

const FP_HEADER: [&str; 10] = [
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
];

fn series_of(c: &FpCurve, label: String, deriv: bool) -> Series {
    let pts =
        c.ds.iter()
            .zip(&c.points)
            .map(|(d, r)| match r {
                Ok(s) => (*d, if deriv { s.dphi_dd } else { s.phi }),
                Err(_) => (*d, f64::NAN),
            })
            .collect();
    Series::new(label, pts, Style::Line)
}

/// Figure 3: φ_FP(d) at α = 0.5, κ = 0 for κ̃ ∈ {0, 0.02, 0.033, 0.1, 0.2, κ_max = 0.418}, with H₂(d).
pub fn figure3(opts: &FigureOpts) -> Result<FigureReport> {
    let alpha = 0.5;
    let quad = RsQuadrature::new();
    let km = rs::kappa_max(&quad, alpha).map_err(numerics)?;
    let krefs: Vec<f64> = if opts.quick {
        vec![0.0, 0.1, km]
    } else {
        vec![0.0, 0.02, 0.033, 0.1, 0.2, km]
    };
    let ds = fp_grid(opts.quick, if opts.quick { 2e-3 } else { 1e-5 }, 0.5);
    let mut meta = OneShotMeta::new("figure-3");
    meta.param("alpha", alpha)
        .param("kappa", 0.0)
        .param("kappa_refs", &krefs)
        .param("d_points", ds.len());
    meta.note("Paper Fig. 3: Franz-Parisi local entropy around typical kappa_ref-margin references (THEORY S3). The paper's kappa_ref values were lost; chosen to show every phase at alpha = 0.5 (T3: kappa_min = 0.0289, kappa_LE = 0.0365): 0 (phase 1, isolated), 0.02 (phase 3, empty shell), 0.033 (phase 4, isolated balls), 0.1, 0.2 and kappa_max (phase 5, large-scale).");
    meta.note("Points where the RS branch followed from d* ends (THEORY S3.5) are written with status branch-ends and NaN values.");
    let curves: Vec<FpCurve> = with_threads(opts.threads, || {
        krefs
            .par_iter()
            .map(|&kr| fp_curve(alpha, kr, 0.0, &ds))
            .collect::<Result<Vec<_>>>()
    })??;
    let qf = FpQuadratureFast::new();
    let phases: Vec<Option<Phase>> = if opts.quick {
        vec![None; krefs.len()]
    } else {
        with_threads(opts.threads, || {
            krefs
                .par_iter()
                .map(|&kr| {
                    FpProblem::perceptron(&qf, alpha, kr, 0.0)
                        .ok()
                        .and_then(|p| phases::classify(&qf, &p).ok())
                        .map(|r| r.phase)
                })
                .collect()
        })?
    };
    let mut dir = OutDir::create(&opts.out.join("figure-3"), meta, &opts.one_shot())?;
    let (rows, failed) = write_fp_rows(&curves);
    {
        let mut w = dir.csv("data.csv", &FP_HEADER)?;
        for r in &rows {
            w.fields(r)?;
        }
        w.finish()?;
    }
    let label = |c: &FpCurve, ph: &Option<Phase>| match ph {
        Some(p) => format!("κ̃ = {:.4} (phase {})", c.kappa_ref, p.number()),
        None => format!("κ̃ = {:.4}", c.kappa_ref),
    };
    let h2s = Series::new(
        "H2(d)",
        ds.iter().map(|&d| (d, h2(d))).collect(),
        Style::Dashed,
    );
    let mut full = Chart::new(
        "Fig. 3: Franz–Parisi entropy, α = 0.5, κ = 0",
        "distance d",
        "local entropy φ_FP(d)",
    );
    let mut zoom = Chart::new("small distances", "distance d", "local entropy φ_FP(d)");
    zoom.x_log = true;
    zoom.x_range = Some((1e-5, 0.05));
    zoom.y_range = Some((-0.012, 0.12));
    for (c, ph) in curves.iter().zip(&phases) {
        full = full.with(series_of(c, label(c, ph), false));
        zoom = zoom.with(series_of(c, label(c, ph), false));
    }
    full = full.with(h2s.clone());
    zoom = zoom.with(h2s);
    full.hlines.push(0.0);
    zoom.hlines.push(0.0);
    dir.plot("figure-3.svg", &[full, zoom], 2)?;
    dir.meta().converge("points_not_computed", failed);
    let summary = json!({"curves": curves.iter().zip(&phases).map(|(c, p)| json!({"kappa_ref": c.kappa_ref, "d_star": c.max.d, "phi_star": c.max.phi, "phase": p.map(|p| p.number())})).collect::<Vec<_>>()});
    let meta = dir.finish(summary)?;
    Ok(FigureReport::one_shot("3", &opts.out, meta))
}

/// Figure 4: φ(d) and dφ/dd around max-margin references (κ̃ = κ_max(α), κ = 0) for
/// α ∈ {0.70, 0.72, 0.729, 0.74, 0.75}, across α_LE = 0.7290 (T3).
pub fn figure4(opts: &FigureOpts) -> Result<FigureReport> {
    let alphas: &[f64] = if opts.quick {
        &[0.70, 0.75]
    } else {
        &[0.70, 0.72, 0.729, 0.74, 0.75]
    };
    let n = if opts.quick { 6 } else { 70 };
    let ds = logspace(if opts.quick { 2e-3 } else { 1e-4 }, 0.1, n);
    let mut meta = OneShotMeta::new("figure-4");
    meta.param("alphas", alphas)
        .param("kappa", 0.0)
        .param("kappa_ref", "kappa_max(alpha)")
        .param("d_range", [1e-4, 0.1])
        .param("d_points", n);
    meta.note("Paper Fig. 4: local entropy and its derivative around typical max-margin solutions across alpha_LE = 0.7290 (T3, RS). The paper's alpha values were lost; chosen 0.70, 0.72, 0.729 (about alpha_LE), 0.74 (phase 4) and 0.75 (phase 3, beyond alpha_min = 0.7477).");
    let rsq = RsQuadrature::new();
    let curves: Vec<FpCurve> = with_threads(opts.threads, || {
        alphas
            .par_iter()
            .map(|&a| {
                let km = rs::kappa_max(&rsq, a).map_err(numerics)?;
                fp_curve(a, km, 0.0, &ds)
            })
            .collect::<Result<Vec<_>>>()
    })??;
    let mut dir = OutDir::create(&opts.out.join("figure-4"), meta, &opts.one_shot())?;
    let (rows, failed) = write_fp_rows(&curves);
    {
        let mut w = dir.csv("data.csv", &FP_HEADER)?;
        for r in &rows {
            w.fields(r)?;
        }
        w.finish()?;
    }
    let mut c1 = Chart::new(
        "Fig. 4: local entropy around max-margin solutions",
        "distance d",
        "local entropy φ_FP(d)",
    );
    let mut c2 = Chart::new("derivative", "distance d", "dφ_FP/dd");
    c1.x_log = true;
    c2.x_log = true;
    for c in &curves {
        let l = format!("alpha = {} (kappa_max = {:.4})", c.alpha, c.kappa_ref);
        c1 = c1.with(series_of(c, l.clone(), false));
        c2 = c2.with(series_of(c, l, true));
    }
    c1.hlines.push(0.0);
    c2.hlines.push(0.0);
    dir.plot("figure-4.svg", &[c1, c2], 2)?;
    dir.meta().converge("points_not_computed", failed);
    let summary = json!({"curves": curves.iter().map(|c| {
        let min_d = c.points.iter().filter_map(|r| r.as_ref().ok()).map(|s| s.dphi_dd).fold(f64::INFINITY, f64::min);
        json!({"alpha": c.alpha, "kappa_max": c.kappa_ref, "min_dphi_dd_on_grid": min_d})
    }).collect::<Vec<_>>()});
    let meta = dir.finish(summary)?;
    Ok(FigureReport::one_shot("4", &opts.out, meta))
}

/// Figure 5: RS entropy s(α, κ) vs κ for α ∈ {0.1, 0.3, 0.5, 0.7, 0.8} (up to α_GD(κ)), and κ_max(α).
pub fn figure5(opts: &FigureOpts) -> Result<FigureReport> {
    let alphas = [0.1, 0.3, 0.5, 0.7, 0.8];
    let nk = if opts.quick { 10 } else { 100 };
    let na = if opts.quick { 8 } else { 60 };
    let mut meta = OneShotMeta::new("figure-5");
    meta.param("alphas", alphas)
        .param("kappa_points", nk)
        .param("kappa_range", [0.0, 2.5])
        .param("alpha_points_kappa_max", na)
        .param("alpha_range_kappa_max", [0.05, 0.83]);
    meta.note("Paper Fig. 5: RS entropy of kappa-margin solutions (THEORY S2) and kappa_max(alpha), where it vanishes. Curves stop at alpha_GD(kappa), beyond which no RS solution with q < 1 exists. alpha values chosen (paper's lost).");
    let quad = RsQuadrature::new();
    let kappas = linspace(0.0, 2.5, nk);
    // (α, [(κ, s)]) curves and the (α, κ_max) line.
    type Curves = Vec<(f64, Vec<(f64, f64)>)>;
    let (curves, kmax): (Curves, Vec<(f64, f64)>) =
        with_threads(opts.threads, || -> Result<_> {
            let curves = alphas
                .par_iter()
                .map(|&a| {
                    let mut pts = Vec::new();
                    for &k in &kappas {
                        match rs::solve(&quad, a, k) {
                            Ok(s) => pts.push((k, s.s)),
                            Err(RsError::NoSolution { .. }) => break,
                            Err(e) => return Err(numerics(e)),
                        }
                    }
                    Ok((a, pts))
                })
                .collect::<Result<Vec<_>>>()?;
            let kmax = linspace(0.05, 0.83, na)
                .par_iter()
                .map(|&a| rs::kappa_max(&quad, a).map(|k| (a, k)).map_err(numerics))
                .collect::<Result<Vec<_>>>()?;
            Ok((curves, kmax))
        })??;
    let mut dir = OutDir::create(&opts.out.join("figure-5"), meta, &opts.one_shot())?;
    let mut rows = Vec::new();
    let mut c1 = Chart::new(
        "Fig. 5: RS entropy of κ-margin solutions",
        "margin κ",
        "entropy s_RS(α, κ)",
    );
    for (a, pts) in &curves {
        for &(k, s) in pts {
            rows.push(vec![*a, k, s]);
        }
        c1 = c1.with(Series::new(
            format!("alpha = {a}"),
            pts.clone(),
            Style::Line,
        ));
    }
    c1.hlines.push(0.0);
    dir.write_csv("data.csv", &["alpha", "kappa", "s"], &rows)?;
    dir.write_csv(
        "kappa_max.csv",
        &["alpha", "kappa_max"],
        &kmax.iter().map(|&(a, k)| vec![a, k]).collect::<Vec<_>>(),
    )?;
    let c2 = Chart::new("maximal margin", "load α = P/N", "κ_max(α)").with(Series::new(
        "kappa_max",
        kmax.clone(),
        Style::Line,
    ));
    dir.plot("figure-5.svg", &[c1, c2], 2)?;
    let alpha_km = rs::alpha_c(&quad, 0.0).map_err(numerics)?;
    dir.meta().converge("alpha_KM", alpha_km);
    let summary = json!({"alpha_km": alpha_km, "kappa_max": kmax.iter().map(|&(a, k)| json!([a, k])).collect::<Vec<_>>()});
    let meta = dir.finish(summary)?;
    Ok(FigureReport::one_shot("5", &opts.out, meta))
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
