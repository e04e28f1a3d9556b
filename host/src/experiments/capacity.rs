//! The algorithmic threshold (ALGORITHMS §c–d): the success probability of each solver against α on
//! random instances. One point = one (algorithm, α, sample): the runner runs points in parallel,
//! appends each solved or failed instance to `data.csv` at once, and resumes after a kill. `finish`
//! aggregates the success table (`success.csv`) and draws the chart.

use super::solver::{random_committee, random_problem, solve, solve_committee, Algo, SolveOpts};
use crate::error::{Error, Result};
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::runner::{point_seed, Field, Outputs, Seeds, Study, Table};
use flatmin_core::bp::committee::Architecture;
use serde::Serialize;
use serde_json::{json, Value};

/// Parameters of the capacity study.
#[derive(Clone, Debug, Serialize)]
pub struct CapacityParams {
    /// Algorithms to compare.
    pub algos: Vec<Algo>,
    /// N.
    pub n: usize,
    /// α grid.
    pub alphas: Vec<f64>,
    /// Instances per (algorithm, α).
    pub samples: usize,
    /// Margin κ.
    pub kappa: f64,
    /// Solver options (the algorithm field is overridden per point).
    pub opts: SolveOpts,
    /// Committee machines with K hidden units (1: the perceptron; recorded only when > 1, so a
    /// perceptron run's parameters are those of earlier versions).
    #[serde(skip_serializing_if = "is_one")]
    pub k: usize,
    /// Tree committee (recorded only when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tree: bool,
}

fn is_one(k: &usize) -> bool {
    *k == 1
}

/// Solves one random instance of a capacity point: N inputs, K hidden units (K = 1: the
/// perceptron at margin κ, exactly the instance and solver run of earlier versions; K > 1: the
/// committee instance of [`random_committee`], fbp or rbp, every result re-checked by the
/// independent forward pass). Returns P and the result.
#[allow(clippy::too_many_arguments)]
pub fn solve_random(
    n: usize,
    k: usize,
    tree: bool,
    alpha: f64,
    kappa: f64,
    iseed: u64,
    opts: &SolveOpts,
) -> Result<(usize, super::solver::SolveResult)> {
    if k == 1 {
        let problem = random_problem(n, alpha, kappa, iseed)?;
        let inst = problem.instance()?;
        return Ok((problem.p, solve(&inst, opts, iseed)?));
    }
    let arch = if tree {
        Architecture::Tree
    } else {
        Architecture::FullyConnected
    };
    let (file, problem) = random_committee(n, k, arch, alpha, iseed)?;
    let r = solve_committee(&problem.instance()?, opts, iseed)?;
    let check = file.forward_errors(&r.words)?;
    if check != r.errors {
        return Err(Error::Numerics(format!(
            "internal check failed: the solver reports {} errors, the independent forward pass {check}",
            r.errors
        )));
    }
    Ok((problem.p, r))
}

/// Largest N of the capacity study (the instances are dense N × αN bit matrices).
pub const MAX_N: usize = 100_000;
/// Largest number of points (algorithms × α values × samples).
pub const MAX_POINTS: usize = 1_000_000;

impl CapacityParams {
    /// Checks sizes and ranges (bad input → [`Error::Input`]).
    pub fn validate(&self) -> Result<()> {
        if self.n == 0 || self.n > MAX_N {
            return Err(Error::Input(format!("--n must be in 1..={MAX_N}")));
        }
        if self.samples == 0 || self.alphas.is_empty() || self.algos.is_empty() {
            return Err(Error::Input(
                "need at least one algorithm, one alpha and one sample".into(),
            ));
        }
        let points = self
            .algos
            .len()
            .saturating_mul(self.alphas.len())
            .saturating_mul(self.samples);
        if points > MAX_POINTS {
            return Err(Error::Input(format!(
                "{points} points (algorithms × alphas × samples) exceed the limit {MAX_POINTS}"
            )));
        }
        if let Some(a) = self.alphas.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
            return Err(Error::Input(format!(
                "--alphas {a}: every alpha = P/N must be finite and > 0"
            )));
        }
        if !self.kappa.is_finite() {
            return Err(Error::Input("--kappa must be finite".into()));
        }
        if self.k != 1 || self.tree {
            let arch = if self.tree {
                Architecture::Tree
            } else {
                Architecture::FullyConnected
            };
            crate::io::check_committee(self.n, self.k, arch)
                .map_err(|m| Error::Input(format!("--k {}: {m}", self.k)))?;
            if let Some(a) = self.algos.iter().find(|a| !a.handles_committees()) {
                return Err(a.committee_error(self.k));
            }
            if self.kappa != 0.0 {
                return Err(Error::Input(format!(
                    "--kappa {}: a committee machine has kappa = 0 (no margin on the output majority)",
                    self.kappa
                )));
            }
            let w = if self.tree { self.n } else { self.k * self.n };
            if let Some(a) = self
                .alphas
                .iter()
                .find(|&&a| (a * w as f64 + 0.5).floor() < 1.0)
            {
                return Err(Error::Input(format!(
                    "--alphas {a}: P = ⌊α·{w} + ½⌋ = 0 patterns"
                )));
            }
        }
        Ok(())
    }
}

/// One row of the success table.
#[derive(Clone, Debug, Serialize)]
pub struct CapacityPoint {
    /// Algorithm.
    pub algo: Algo,
    /// α.
    pub alpha: f64,
    /// Fraction of solved instances.
    pub success: f64,
    /// Solved count.
    pub solved: usize,
    /// Samples.
    pub samples: usize,
    /// Mean errors left (fraction of P).
    pub mean_error_fraction: f64,
    /// Mean solver seconds.
    pub mean_seconds: f64,
}

/// The capacity study.
#[derive(Clone, Debug)]
pub struct Capacity {
    /// Experiment name (`capacity`, or `figure-capacity` for the figure).
    pub name: String,
    /// Parameters.
    pub params: CapacityParams,
}

/// The fields of one solve that end a data row of both capacity studies (this one and
/// [`super::committee_capacity`]): `p, solved, errors, error_fraction, margin, sweeps, ran_away,
/// seconds`.
pub(crate) fn result_fields(p: usize, r: &super::solver::SolveResult) -> [Field; 8] {
    [
        Field::from(p),
        Field::B(r.solved),
        Field::from(r.errors),
        Field::F(r.errors as f64 / p.max(1) as f64),
        r.margin.into(),
        Field::from(r.sweeps),
        r.ran_away.into(),
        Field::F(r.seconds),
    ]
}

/// The seed of instance `sample` at α, shared by every algorithm.
pub fn instance_seed(base: u64, alpha: f64, sample: usize) -> u64 {
    point_seed(base, &format!("instance;{alpha};{sample}"))
}

const COLUMNS: [&str; 12] = [
    "algo",
    "alpha",
    "sample",
    "instance_seed",
    "p",
    "solved",
    "errors",
    "error_fraction",
    "margin",
    "sweeps",
    "ran_away",
    "seconds",
];

impl Study for Capacity {
    type Params = CapacityParams;
    type Point = (String, f64, usize);
    type Row = Vec<Field>;

    fn experiment(&self) -> String {
        self.name.clone()
    }
    fn params(&self) -> &CapacityParams {
        &self.params
    }
    fn columns(&self) -> Vec<String> {
        COLUMNS.iter().map(|s| s.to_string()).collect()
    }
    fn points(&self) -> Result<Vec<Self::Point>> {
        self.params.validate()?;
        let p = &self.params;
        let mut pts = Vec::new();
        for a in &p.algos {
            for &alpha in &p.alphas {
                for s in 0..p.samples {
                    pts.push((a.name().to_string(), alpha, s));
                }
            }
        }
        Ok(pts)
    }
    fn notes(&self) -> Vec<String> {
        let mut v = vec![
            "instance of sample s at alpha: seed point_seed(seed, \"instance;<alpha>;<s>\"), the same \
             instance for every algorithm; the solver runs with the same seed"
                .into(),
        ];
        if self.params.k > 1 {
            v.push(format!(
                "committee machine K = {} ({}): alpha = P/(number of weights) = P/{}; fbp with BP \
                 damping 0.5; every solution re-checked by an independent forward pass",
                self.params.k,
                if self.params.tree {
                    "tree"
                } else {
                    "fully connected"
                },
                if self.params.tree {
                    self.params.n
                } else {
                    self.params.k * self.params.n
                }
            ));
        }
        v
    }
    fn run_point(&self, point: &Self::Point, seeds: Seeds) -> Result<Vec<Vec<Field>>> {
        let (name, alpha, sample) = point;
        let algo = Algo::parse(name)?;
        let p = &self.params;
        let iseed = instance_seed(seeds.base, *alpha, *sample);
        let opts = SolveOpts { algo, ..p.opts };
        let (num_p, r) = solve_random(p.n, p.k, p.tree, *alpha, p.kappa, iseed, &opts)?;
        Ok(vec![[
            Field::from(name.as_str()),
            Field::F(*alpha),
            Field::from(*sample),
            Field::S(iseed.to_string()),
        ]
        .into_iter()
        .chain(result_fields(num_p, &r))
        .collect()])
    }
    fn finish(&self, data: &Table, out: &mut Outputs<'_>) -> Result<Value> {
        let points = success_table(&self.params, data)?;
        let rows: Vec<Vec<Field>> = points
            .iter()
            .map(|p| {
                vec![
                    Field::from(p.algo.name()),
                    Field::F(p.alpha),
                    Field::F(p.success),
                    Field::from(p.solved),
                    Field::from(p.samples),
                    Field::F(p.mean_error_fraction),
                    Field::F(p.mean_seconds),
                ]
            })
            .collect();
        out.csv("success.csv", &SUCCESS_COLUMNS, &rows)?;
        let p = &self.params;
        let mut chart = if p.k > 1 {
            Chart::new(
                format!(
                    "Algorithmic threshold, {} committee K = {}, N = {}",
                    if p.tree { "tree" } else { "fully connected" },
                    p.k,
                    p.n
                ),
                "α = P/(number of weights)",
                "success probability P_solve(α)",
            )
        } else {
            Chart::new(
                format!("Algorithmic threshold, N = {}, κ = {}", p.n, p.kappa),
                "α = P/N",
                "success probability P_solve(α)",
            )
        };
        chart.y_range = Some((-0.02, 1.02));
        let mut halves = serde_json::Map::new();
        for &algo in &p.algos {
            let pts: Vec<(f64, f64)> = points
                .iter()
                .filter(|q| q.algo == algo)
                .map(|q| (q.alpha, q.success))
                .collect();
            halves.insert(
                format!("alpha_50_{}", algo.name()),
                crossing(&pts, 0.5).map_or(Value::Null, |a| json!(a)),
            );
            chart = chart.with(Series::new(algo.name(), pts, Style::LineMarkers));
        }
        let failures: usize = points.iter().map(|q| q.samples - q.solved).sum();
        out.converge("unsolved_instances", failures);
        out.plot(&format!("{}.svg", self.name), &[chart], 1)?;
        Ok(json!({ "points": points, "half_success": halves }))
    }
}

/// Where a success curve (sorted by α) first drops through `level`, by linear interpolation; `None`
/// when it never does.
pub fn crossing(pts: &[(f64, f64)], level: f64) -> Option<f64> {
    let mut v: Vec<(f64, f64)> = pts.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v.windows(2).find_map(|w| {
        let ((a0, s0), (a1, s1)) = (w[0], w[1]);
        (s0 >= level && s1 < level).then(|| a0 + (s0 - level) / (s0 - s1) * (a1 - a0))
    })
}

/// The success-table columns (`success.csv`'s header, and the keys of `capacity --json`).
pub const SUCCESS_COLUMNS: [&str; 7] = [
    "algo",
    "alpha",
    "success",
    "solved",
    "samples",
    "mean_error_fraction",
    "mean_seconds",
];

/// The success table as one object of arrays keyed by [`SUCCESS_COLUMNS`] (output conventions §2:
/// a range of points is columnar), e.g. `{"algo":["fbp","fbp"],"alpha":[0.5,0.7],…}`.
pub fn success_columns(points: &[CapacityPoint]) -> Value {
    json!({
        "algo": points.iter().map(|q| q.algo.name()).collect::<Vec<_>>(),
        "alpha": points.iter().map(|q| q.alpha).collect::<Vec<_>>(),
        "success": points.iter().map(|q| q.success).collect::<Vec<_>>(),
        "solved": points.iter().map(|q| q.solved).collect::<Vec<_>>(),
        "samples": points.iter().map(|q| q.samples).collect::<Vec<_>>(),
        "mean_error_fraction": points.iter().map(|q| q.mean_error_fraction).collect::<Vec<_>>(),
        "mean_seconds": points.iter().map(|q| q.mean_seconds).collect::<Vec<_>>(),
    })
}

/// The success table (one row per algorithm and α) of a complete capacity table.
pub fn success_table(p: &CapacityParams, data: &Table) -> Result<Vec<CapacityPoint>> {
    let algo = data.strs("algo")?;
    let alpha = data.f64s("alpha")?;
    let solved = data.bools("solved")?;
    let frac = data.f64s("error_fraction")?;
    let secs = data.f64s("seconds")?;
    let mut out = Vec::new();
    for &a in &p.algos {
        for &al in &p.alphas {
            let idx: Vec<usize> = (0..algo.len())
                .filter(|&i| algo[i] == a.name() && alpha[i] == al)
                .collect();
            if idx.is_empty() {
                continue;
            }
            let k = idx.len() as f64;
            let s = idx.iter().filter(|&&i| solved[i]).count();
            out.push(CapacityPoint {
                algo: a,
                alpha: al,
                success: s as f64 / k,
                solved: s,
                samples: idx.len(),
                mean_error_fraction: idx.iter().map(|&i| frac[i]).sum::<f64>() / k,
                mean_seconds: idx.iter().map(|&i| secs[i]).sum::<f64>() / k,
            });
        }
    }
    Ok(out)
}

/// Figure `capacity` (the algorithmic threshold): success probability against α at κ = 0 for fBP
/// (§c.4 protocol, StandardReinforcement as fallback: [`SolveOpts::default`]), RBP and SBPI; N = 1001
/// and 10 samples per point (quick: N = 201, 2 samples, fBP and SBPI).
pub fn figure_capacity(quick: bool) -> Capacity {
    let (n, samples, alphas, algos) = if quick {
        (201, 2, vec![0.5, 0.7], vec![Algo::Fbp, Algo::Sbpi])
    } else {
        (
            1001,
            10,
            vec![0.5, 0.6, 0.65, 0.7, 0.72, 0.74, 0.76, 0.78, 0.8],
            vec![Algo::Fbp, Algo::Rbp, Algo::Sbpi],
        )
    };
    Capacity {
        name: "figure-capacity".into(),
        params: CapacityParams {
            algos,
            n,
            alphas,
            samples,
            kappa: 0.0,
            opts: SolveOpts::default(),
            k: 1,
            tree: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_point_interpolates() {
        let pts = [(0.5, 1.0), (0.7, 1.0), (0.74, 0.8), (0.76, 0.2), (0.8, 0.0)];
        let a = crossing(&pts, 0.5).unwrap();
        assert!((a - 0.75).abs() < 1e-12, "{a}");
        assert_eq!(crossing(&[(0.5, 1.0), (0.6, 0.9)], 0.5), None);
    }
}
