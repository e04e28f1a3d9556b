//! Local-entropy profiles (ALGORITHMS §b.7, the numerical validation of the paper's SM II.3):
//! [`local_entropy`] runs the warm-started λ schedule around one reference of one instance;
//! [`profile`] draws random instances, finds a reference solution on each with focusing BP (§c.4
//! protocol by default), runs the BP profile around it and reports mean ± std of d and S at each λ
//! over the samples, written as `data.csv` + `samples.csv` + `meta.json` + `profile.svg` (S(d)
//! against the bound H₂(d)).

use super::capacity::{solve, Algo, ProtocolName, SolveOpts};
use crate::error::{Error, Result};
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::{format_f64, par_samples, with_threads, Meta, OutDir};
use crate::io::InstanceFile;
use flatmin_core::bits::{Patterns, Spins};
use flatmin_core::bp::{local_entropy_profile, BpParams, BpWorkspace, FactorKind, ProfilePoint};
use flatmin_core::instance::Instance;
use flatmin_core::special::h2;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The default λ schedule [REC]: warm-started from large λ (d → 0) down to λ = 0.
pub const DEFAULT_LAMBDAS: [f64; 19] = [
    10.0, 5.0, 4.0, 3.0, 2.5, 2.0, 1.75, 1.5, 1.25, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05,
    0.0,
];

/// One point of a profile, as printed by `flatmin local-entropy --json`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Point {
    /// λ.
    pub lambda: f64,
    /// Normalized distance d = (1 − q)/2.
    pub d: f64,
    /// Local entropy S(d).
    #[serde(rename = "S")]
    pub s: f64,
    /// Overlap with the reference.
    pub q: f64,
    /// Bethe free entropy φ(λ).
    pub phi: f64,
    /// BP converged.
    pub converged: bool,
    /// Contradictory fixed point (S meaningless).
    pub contradiction: bool,
    /// Sweeps used.
    pub sweeps: usize,
}

impl From<ProfilePoint> for Point {
    fn from(p: ProfilePoint) -> Self {
        Point {
            lambda: p.lambda,
            d: p.d,
            s: p.s,
            q: p.q,
            phi: p.phi,
            converged: p.converged,
            contradiction: p.contradiction,
            sweeps: p.sweeps,
        }
    }
}

/// BP local-entropy profile around `reference` on one instance, warm-started along `lambdas`.
pub fn local_entropy(
    inst: &Instance<'_>,
    reference: &Spins<'_>,
    lambdas: &[f64],
    params: &BpParams<f64>,
    seed: u64,
) -> Result<Vec<Point>> {
    let (n, p) = (inst.n(), inst.p());
    let f = params.factor;
    let mut reals = vec![0.0f64; BpWorkspace::<f64>::required_reals(n, p, f)];
    let mut perm = vec![0u32; BpWorkspace::<f64>::required_perm(n, p)];
    let mut ws = BpWorkspace::new(n, p, f, &mut reals, &mut perm)?;
    let mut pts = vec![ProfilePoint::default(); lambdas.len()];
    local_entropy_profile(inst, &mut ws, params, reference, lambdas, seed, &mut pts)?;
    Ok(pts.into_iter().map(Point::from).collect())
}

/// Writes one profile as `<parent>/local_entropy/` (data.csv, meta.json, local_entropy.svg).
pub fn write_local_entropy(
    parent: &Path,
    points: &[Point],
    params: &[(&str, serde_json::Value)],
) -> Result<PathBuf> {
    let mut meta = Meta::new("local_entropy");
    for (k, v) in params {
        meta.param(k, v);
    }
    let unconverged = points
        .iter()
        .filter(|p| !p.converged || p.contradiction)
        .count();
    meta.converge("unconverged_or_contradictory_points", unconverged);
    let mut out = OutDir::create(parent, "local_entropy", meta)?;
    let rows: Vec<Vec<f64>> = points
        .iter()
        .map(|p| {
            vec![
                p.lambda,
                p.d,
                p.s,
                p.q,
                p.phi,
                f64::from(u8::from(p.converged)),
                f64::from(u8::from(p.contradiction)),
            ]
        })
        .collect();
    out.write_csv(
        "data.csv",
        &["lambda", "d", "S", "q", "phi", "converged", "contradiction"],
        &rows,
    )?;
    let good: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.converged && !p.contradiction)
        .map(|p| (p.d, p.s))
        .collect();
    let chart = entropy_chart(
        "Local entropy around the reference",
        vec![Series::new("BP S(d)", good, Style::LineMarkers)],
        points,
    );
    out.plot("local_entropy.svg", &[chart], 1)?;
    out.finish()
}

fn entropy_chart(title: &str, series: Vec<Series>, points: &[Point]) -> Chart {
    let dmax = points
        .iter()
        .map(|p| p.d)
        .filter(|d| d.is_finite())
        .fold(0.0f64, f64::max)
        .clamp(0.01, 0.5);
    let bound: Vec<(f64, f64)> = (0..=200)
        .map(|k| {
            let d = dmax * k as f64 / 200.0;
            (d, h2(d))
        })
        .collect();
    let mut chart = Chart::new(title, "distance d", "local entropy S(d)");
    for s in series {
        chart = chart.with(s);
    }
    chart.with(Series::new("H₂(d)", bound, Style::Dashed))
}

/// Parameters of the profile experiment.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileParams {
    /// N.
    pub n: usize,
    /// α.
    pub alpha: f64,
    /// κ of the instances and of BP.
    pub kappa: f64,
    /// Samples (the paper used 10).
    pub samples: usize,
    /// Base seed; sample i uses derive_seed(seed, i) for its instance, fBP and BP.
    pub seed: u64,
    /// λ schedule, warm-started in order.
    pub lambdas: Vec<f64>,
    /// fBP protocol for the references.
    pub protocol: ProtocolName,
    /// Run the whole fBP protocol (as SM II.3) instead of stopping at the first solution.
    pub full_protocol: bool,
    /// BP tolerance.
    pub tol: f64,
}

/// Mean and standard deviation over samples at one λ.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ProfileRow {
    /// λ.
    pub lambda: f64,
    /// Mean d.
    pub d_mean: f64,
    /// Std of d.
    pub d_std: f64,
    /// Mean S.
    pub s_mean: f64,
    /// Std of S.
    pub s_std: f64,
    /// Samples that entered the mean (converged, not contradictory).
    pub samples: usize,
}

fn mean_std(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let k = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / k;
    let v = if xs.len() > 1 {
        xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (k - 1.0)
    } else {
        0.0
    };
    (m, v.sqrt())
}

/// Runs the profile experiment into `<parent>/profile/`. `progress(done, total)` after each finished sample.
pub fn profile(
    params: &ProfileParams,
    parent: &Path,
    threads: Option<usize>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Vec<ProfileRow>, PathBuf)> {
    profile_into("profile", params, parent, threads, progress)
}

/// Runs the profile experiment into `<parent>/profile/`. `progress(done, total)` after each sample.
fn profile_into(
    dir_name: &str,
    params: &ProfileParams,
    parent: &Path,
    threads: Option<usize>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Vec<ProfileRow>, PathBuf)> {
    if params.n == 0 || params.samples == 0 || params.lambdas.is_empty() {
        return Err(Error::Input(
            "need N >= 1, at least one sample and one lambda".into(),
        ));
    }
    if !(params.alpha.is_finite() && params.alpha > 0.0) {
        return Err(Error::Input("--alpha must be finite and > 0".into()));
    }
    let mut meta = Meta::new("profile");
    meta.param("params", params);
    meta.seeds.push(params.seed);
    meta.note("sample i: instance, fBP and BP seeded by derive_seed(seed, i); references are fBP solutions (ALGORITHMS §c.4 reconstruction unless --protocol says otherwise); lambda schedule [REC]");
    let mut out = OutDir::create(parent, dir_name, meta)?;
    let done = AtomicU64::new(0);
    let total = params.samples as u64;
    let bp = BpParams::<f64> {
        factor: FactorKind::Gaussian,
        tol: params.tol,
        ..BpParams::default()
    };
    let samples = with_threads(threads, || {
        par_samples(params.samples, params.seed, |_, seed| {
            let file = InstanceFile::generate(params.n, params.alpha, params.kappa, false, seed)?;
            let g = file.gauged_patterns()?;
            let inst = Instance::new(Patterns::new(file.n, file.p, &g)?, params.kappa)?;
            let opts = SolveOpts {
                algo: Algo::Fbp,
                protocol: params.protocol,
                full_protocol: params.full_protocol,
                ..SolveOpts::default()
            };
            let r = solve(&inst, &opts, seed)?;
            let pts = if r.solved {
                Some(local_entropy(
                    &inst,
                    &Spins::new(file.n, &r.words)?,
                    &params.lambdas,
                    &bp,
                    seed,
                )?)
            } else {
                None
            };
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            Ok((r.solved, r.margin, pts))
        })
    })??;
    let unsolved = samples.iter().filter(|s| !s.0).count();
    out.meta().converge("fbp_unsolved_samples", unsolved);
    let mut rows = Vec::new();
    let mut bad = 0usize;
    for (k, &lambda) in params.lambdas.iter().enumerate() {
        let (mut ds, mut ss) = (Vec::new(), Vec::new());
        for pts in samples.iter().filter_map(|s| s.2.as_ref()) {
            let p = pts[k];
            if p.converged && !p.contradiction {
                ds.push(p.d);
                ss.push(p.s);
            } else {
                bad += 1;
            }
        }
        let (d_mean, d_std) = mean_std(&ds);
        let (s_mean, s_std) = mean_std(&ss);
        rows.push(ProfileRow {
            lambda,
            d_mean,
            d_std,
            s_mean,
            s_std,
            samples: ds.len(),
        });
    }
    out.meta()
        .converge("excluded_points_unconverged_or_contradictory", bad);
    let table: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            vec![
                r.lambda,
                r.d_mean,
                r.d_std,
                r.s_mean,
                r.s_std,
                r.samples as f64,
                h2(r.d_mean),
            ]
        })
        .collect();
    out.write_csv(
        "data.csv",
        &[
            "lambda",
            "d_mean",
            "d_std",
            "S_mean",
            "S_std",
            "samples",
            "H2_d_mean",
        ],
        &table,
    )?;
    let mut per = out.csv(
        "samples.csv",
        &[
            "sample",
            "solved",
            "margin",
            "lambda",
            "d",
            "S",
            "converged",
            "contradiction",
        ],
    )?;
    for (i, s) in samples.iter().enumerate() {
        let margin = s.1.map(format_f64).unwrap_or_default();
        match &s.2 {
            Some(pts) => {
                for p in pts {
                    per.fields(&[
                        i.to_string(),
                        s.0.to_string(),
                        margin.clone(),
                        format_f64(p.lambda),
                        format_f64(p.d),
                        format_f64(p.s),
                        p.converged.to_string(),
                        p.contradiction.to_string(),
                    ])?;
                }
            }
            None => per.fields(&[
                i.to_string(),
                "false".into(),
                margin,
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ])?,
        }
    }
    per.finish()?;
    let pts: Vec<Point> = rows
        .iter()
        .map(|r| Point {
            lambda: r.lambda,
            d: r.d_mean,
            s: r.s_mean,
            q: 1.0 - 2.0 * r.d_mean,
            phi: f64::NAN,
            converged: true,
            contradiction: false,
            sweeps: 0,
        })
        .collect();
    let series = Series::new(
        format!(
            "BP around fBP solutions (mean ± std, {} samples)",
            params.samples - unsolved
        ),
        rows.iter().map(|r| (r.d_mean, r.s_mean)).collect(),
        Style::LineMarkers,
    )
    .with_errors(rows.iter().map(|r| r.s_std).collect());
    let chart = entropy_chart(
        &format!(
            "Local entropy, N = {}, α = {}, κ = {}",
            params.n, params.alpha, params.kappa
        ),
        vec![series],
        &pts,
    );
    out.plot("profile.svg", &[chart], 1)?;
    let dir = out.finish()?;
    Ok((rows, dir))
}

/// Figure `profile` (SM II.3 validation, the points of the paper's Fig. 3): BP local-entropy profiles
/// around fBP solutions at N = 1001, α = 0.6, κ = 0, 10 samples (quick: N = 201, α = 0.5, 2 samples).
pub fn figure_profile(opts: &super::FigureOpts) -> Result<super::FigureReport> {
    let (n, alpha, samples) = if opts.quick {
        (201, 0.5, 2)
    } else {
        (1001, 0.6, 10)
    };
    let params = ProfileParams {
        n,
        alpha,
        kappa: 0.0,
        samples,
        seed: opts.seed,
        lambdas: DEFAULT_LAMBDAS.to_vec(),
        protocol: ProtocolName::Paper,
        full_protocol: false,
        tol: 1e-8,
    };
    let pb = crate::harness::progress::bar(samples as u64, "profile", opts.quiet);
    let (rows, dir) = profile_into(
        "figure-profile",
        &params,
        &opts.out,
        opts.threads,
        &|d, _| pb.set_position(d),
    )?;
    pb.finish_and_clear();
    Ok(super::FigureReport {
        name: "profile".into(),
        dir,
        summary: serde_json::to_value(&rows).map_err(|e| Error::Other(e.to_string()))?,
    })
}
