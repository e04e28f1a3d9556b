//! Local-entropy profiles (ALGORITHMS §b.7, the numerical validation of the paper's SM II.3):
//! [`local_entropy`] runs the warm-started λ schedule around one reference of one instance
//! ([`LocalEntropy`] is that as a study, for `local-entropy --out`); [`Profile`] draws random
//! instances, finds a reference solution on each with focusing BP (§c.4 protocol by default), runs the
//! BP profile around it (one point per sample, its rows one per λ) and `finish` reports mean ± std of
//! d and S at each λ over the samples (`profile.csv`) and the chart S(d) against the bound H₂(d).

use super::solver::{random_problem, solve, Algo, ProtocolName, SolveOpts};
use crate::error::{Error, Result};
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::runner::{Field, Outputs, Seeds, Study, Table};
use crate::io::Problem;
use flatmin_core::bits::Spins;
use flatmin_core::bp::{local_entropy_profile, BpParams, BpWorkspace, FactorKind, ProfilePoint};
use flatmin_core::instance::Instance;
use flatmin_core::special::h2;
use serde::Serialize;
use serde_json::{json, Value};

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
    let mut chart = Chart::new(title, "distance d from the reference", "local entropy S(d)");
    for s in series {
        chart = chart.with(s);
    }
    chart.with(Series::new("H₂(d)", bound, Style::Dashed))
}

const POINT_COLUMNS: [&str; 8] = [
    "lambda",
    "d",
    "s",
    "q",
    "phi",
    "converged",
    "contradiction",
    "sweeps",
];

fn point_row(p: &Point) -> Vec<Field> {
    vec![
        Field::F(p.lambda),
        Field::F(p.d),
        Field::F(p.s),
        Field::F(p.q),
        Field::F(p.phi),
        Field::B(p.converged),
        Field::B(p.contradiction),
        Field::from(p.sweeps),
    ]
}

fn points_of(data: &Table) -> Result<Vec<Point>> {
    let col = |n: &str| data.f64s(n);
    let (l, d, s, q, phi, sw) = (
        col("lambda")?,
        col("d")?,
        col("s")?,
        col("q")?,
        col("phi")?,
        col("sweeps")?,
    );
    let conv = data.bools("converged")?;
    let contra = data.bools("contradiction")?;
    Ok((0..l.len())
        .map(|i| Point {
            lambda: l[i],
            d: d[i],
            s: s[i],
            q: q[i],
            phi: phi[i],
            converged: conv[i],
            contradiction: contra[i],
            sweeps: sw[i] as usize,
        })
        .collect())
}

/// `local-entropy --out`: one profile around one reference, as a study of one point (the λ
/// schedule is warm-started, so it is one unit of work).
#[derive(Debug)]
pub struct LocalEntropy {
    /// Parameters as given on the command line (file, reference, κ, factor, tolerance, λ's, seed).
    pub params: Value,
    /// The instance.
    pub problem: Problem,
    /// The reference, packed.
    pub reference: Vec<u64>,
    /// λ schedule.
    pub lambdas: Vec<f64>,
    /// BP settings.
    pub bp: BpParams<f64>,
    /// BP seed.
    pub seed: u64,
}

impl Study for LocalEntropy {
    type Params = Value;
    type Point = &'static str;
    type Row = Vec<Field>;
    fn experiment(&self) -> String {
        "local-entropy".into()
    }
    fn params(&self) -> &Value {
        &self.params
    }
    fn columns(&self) -> Vec<String> {
        POINT_COLUMNS.iter().map(|s| s.to_string()).collect()
    }
    fn points(&self) -> Result<Vec<&'static str>> {
        Ok(vec!["profile"])
    }
    fn run_point(&self, _: &&'static str, _: Seeds) -> Result<Vec<Vec<Field>>> {
        let inst = self.problem.instance()?;
        let r = Spins::new(inst.n(), &self.reference)?;
        let pts = local_entropy(&inst, &r, &self.lambdas, &self.bp, self.seed)?;
        Ok(pts.iter().map(point_row).collect())
    }
    fn finish(&self, data: &Table, out: &mut Outputs<'_>) -> Result<Value> {
        let points = points_of(data)?;
        let bad = points
            .iter()
            .filter(|p| !p.converged || p.contradiction)
            .count();
        out.converge("unconverged_or_contradictory_points", bad);
        let good: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.converged && !p.contradiction)
            .map(|p| (p.d, p.s))
            .collect();
        let chart = entropy_chart(
            "Local entropy around the reference",
            vec![Series::new("BP S(d)", good, Style::LineMarkers)],
            &points,
        );
        out.plot("local-entropy.svg", &[chart], 1)?;
        Ok(Value::Null)
    }
}

/// Parameters of the profile study.
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
    /// λ schedule, warm-started in order.
    pub lambdas: Vec<f64>,
    /// fBP protocol for the references.
    pub protocol: ProtocolName,
    /// Run the whole fBP protocol (as SM II.3) instead of stopping at the first solution.
    pub full_protocol: bool,
    /// BP tolerance.
    pub tol: f64,
}

/// Largest N of the profile study.
pub const MAX_N: usize = 100_000;
/// Largest number of samples.
pub const MAX_SAMPLES: usize = 100_000;
/// Longest λ schedule.
pub const MAX_LAMBDAS: usize = 10_000;

impl ProfileParams {
    /// Checks sizes and ranges.
    pub fn validate(&self) -> Result<()> {
        if self.n == 0 || self.n > MAX_N {
            return Err(Error::Input(format!("--n must be in 1..={MAX_N}")));
        }
        if self.samples == 0 || self.samples > MAX_SAMPLES {
            return Err(Error::Input(format!(
                "--samples must be in 1..={MAX_SAMPLES}"
            )));
        }
        if self.lambdas.is_empty() || self.lambdas.len() > MAX_LAMBDAS {
            return Err(Error::Input(format!(
                "--lambdas needs 1..={MAX_LAMBDAS} values"
            )));
        }
        if self.lambdas.iter().any(|l| !(l.is_finite() && *l >= 0.0)) {
            return Err(Error::Input("--lambdas must be finite and >= 0".into()));
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(Error::Input("--alpha must be finite and > 0".into()));
        }
        if !self.kappa.is_finite() {
            return Err(Error::Input("--kappa must be finite".into()));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::Input("--tol must be > 0".into()));
        }
        Ok(())
    }
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

/// Mean ± std of d and S at each λ over the solved samples of a complete profile table; also the
/// number of samples fBP did not solve and of (sample, λ) points excluded as unconverged or
/// contradictory.
pub fn profile_rows(p: &ProfileParams, data: &Table) -> Result<(Vec<ProfileRow>, usize, usize)> {
    let solved = data.bools("solved")?;
    let sample = data.f64s("sample")?;
    let lambda = data.f64s("lambda")?;
    let (d, s) = (data.f64s("d")?, data.f64s("s")?);
    let conv = data.bools("converged")?;
    let contra = data.bools("contradiction")?;
    let mut unsolved = std::collections::BTreeSet::new();
    for i in 0..solved.len() {
        if !solved[i] {
            unsolved.insert(sample[i] as usize);
        }
    }
    let mut rows = Vec::new();
    let mut bad = 0usize;
    for &l in &p.lambdas {
        let (mut ds, mut ss) = (Vec::new(), Vec::new());
        for i in (0..lambda.len()).filter(|&i| solved[i] && lambda[i] == l) {
            if conv[i] && !contra[i] {
                ds.push(d[i]);
                ss.push(s[i]);
            } else {
                bad += 1;
            }
        }
        let (d_mean, d_std) = mean_std(&ds);
        let (s_mean, s_std) = mean_std(&ss);
        rows.push(ProfileRow {
            lambda: l,
            d_mean,
            d_std,
            s_mean,
            s_std,
            samples: ds.len(),
        });
    }
    Ok((rows, unsolved.len(), bad))
}

/// The profile study: one point per sample (instance, fBP reference, BP profile).
#[derive(Clone, Debug)]
pub struct Profile {
    /// Experiment name (`profile`, or `figure-profile`).
    pub name: String,
    /// Parameters.
    pub params: ProfileParams,
}

impl Study for Profile {
    type Params = ProfileParams;
    type Point = usize;
    type Row = Vec<Field>;
    fn experiment(&self) -> String {
        self.name.clone()
    }
    fn params(&self) -> &ProfileParams {
        &self.params
    }
    fn columns(&self) -> Vec<String> {
        ["sample", "solved", "margin"]
            .iter()
            .chain(POINT_COLUMNS.iter())
            .map(|s| s.to_string())
            .collect()
    }
    fn points(&self) -> Result<Vec<usize>> {
        self.params.validate()?;
        Ok((0..self.params.samples).collect())
    }
    fn notes(&self) -> Vec<String> {
        vec![
            "sample s: instance, fBP and BP seeded by its point seed; references are fBP \
              solutions (ALGORITHMS §c.4 reconstruction unless the protocol says otherwise); λ \
              schedule a reconstruction"
                .into(),
        ]
    }
    fn run_point(&self, &sample: &usize, seeds: Seeds) -> Result<Vec<Vec<Field>>> {
        let p = &self.params;
        let seed = seeds.point;
        let problem = random_problem(p.n, p.alpha, p.kappa, seed)?;
        let inst = problem.instance()?;
        let opts = SolveOpts {
            algo: Algo::Fbp,
            protocol: p.protocol,
            full_protocol: p.full_protocol,
            ..SolveOpts::default()
        };
        let r = solve(&inst, &opts, seed)?;
        let head = |rest: Vec<Field>| {
            let mut v = vec![Field::from(sample), Field::B(r.solved), r.margin.into()];
            v.extend(rest);
            v
        };
        if !r.solved {
            return Ok(vec![head(vec![Field::None; POINT_COLUMNS.len()])]);
        }
        let bp = BpParams::<f64> {
            factor: FactorKind::Gaussian,
            tol: p.tol,
            ..BpParams::default()
        };
        let pts = local_entropy(&inst, &Spins::new(p.n, &r.words)?, &p.lambdas, &bp, seed)?;
        Ok(pts.iter().map(|q| head(point_row(q))).collect())
    }
    fn finish(&self, data: &Table, out: &mut Outputs<'_>) -> Result<Value> {
        let p = &self.params;
        let (rows, unsolved, bad) = profile_rows(p, data)?;
        out.converge("fbp_unsolved_samples", unsolved);
        out.converge("excluded_points_unconverged_or_contradictory", bad);
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
        out.csv(
            "profile.csv",
            &[
                "lambda",
                "d_mean",
                "d_std",
                "s_mean",
                "s_std",
                "samples",
                "h2_d_mean",
            ],
            &table,
        )?;
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
                p.samples - unsolved
            ),
            rows.iter().map(|r| (r.d_mean, r.s_mean)).collect(),
            Style::LineMarkers,
        )
        .with_errors(rows.iter().map(|r| r.s_std).collect());
        let chart = entropy_chart(
            &format!(
                "Local entropy, N = {}, α = {}, κ = {}",
                p.n, p.alpha, p.kappa
            ),
            vec![series],
            &pts,
        );
        out.plot(&format!("{}.svg", self.name), &[chart], 1)?;
        Ok(json!({ "rows": rows, "fbp_unsolved_samples": unsolved }))
    }
}

/// Figure `profile` (SM II.3 validation, the points of the paper's Fig. 3): BP local-entropy profiles
/// around fBP solutions at N = 1001, α = 0.6, κ = 0, 10 samples (quick: N = 201, α = 0.5, 2 samples).
pub fn figure_profile(quick: bool) -> Profile {
    let (n, alpha, samples) = if quick {
        (201, 0.5, 2)
    } else {
        (1001, 0.6, 10)
    };
    Profile {
        name: "figure-profile".into(),
        params: ProfileParams {
            n,
            alpha,
            kappa: 0.0,
            samples,
            lambdas: DEFAULT_LAMBDAS.to_vec(),
            protocol: ProtocolName::Paper,
            full_protocol: false,
            tol: 1e-8,
        },
    }
}
