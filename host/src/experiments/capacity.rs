//! The algorithmic threshold (ALGORITHMS §c–d): the success probability of each solver against α on
//! random instances. One point = one (algorithm, α, sample): the runner runs points in parallel,
//! appends each solved or failed instance to `data.csv` at once, and resumes after a kill. `finish`
//! aggregates the success table (`success.csv`) and draws the chart.

use super::solver::{random_problem, solve, Algo, SolveOpts};
use crate::error::{Error, Result};
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::runner::{point_seed, Field, Outputs, Seeds, Study, Table};
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
        if self.alphas.iter().any(|a| !(a.is_finite() && *a > 0.0)) {
            return Err(Error::Input("alphas must be finite and > 0".into()));
        }
        if !self.kappa.is_finite() {
            return Err(Error::Input("--kappa must be finite".into()));
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
        vec![
            "instance of sample s at alpha: seed point_seed(seed, \"instance;<alpha>;<s>\"), the same \
             instance for every algorithm; the solver runs with the same seed"
                .into(),
        ]
    }
    fn run_point(&self, point: &Self::Point, seeds: Seeds) -> Result<Vec<Vec<Field>>> {
        let (name, alpha, sample) = point;
        let algo = Algo::parse(name)?;
        let p = &self.params;
        let iseed = instance_seed(seeds.base, *alpha, *sample);
        let problem = random_problem(p.n, *alpha, p.kappa, iseed)?;
        let inst = problem.instance()?;
        let opts = SolveOpts { algo, ..p.opts };
        let r = solve(&inst, &opts, iseed)?;
        Ok(vec![vec![
            Field::from(name.as_str()),
            Field::F(*alpha),
            Field::from(*sample),
            Field::S(iseed.to_string()),
            Field::from(problem.p),
            Field::B(r.solved),
            Field::from(r.errors),
            Field::F(r.errors as f64 / problem.p.max(1) as f64),
            r.margin.into(),
            Field::from(r.sweeps),
            r.ran_away.into(),
            Field::F(r.seconds),
        ]])
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
        out.csv(
            "success.csv",
            &[
                "algo",
                "alpha",
                "success",
                "solved",
                "samples",
                "mean_error_fraction",
                "mean_seconds",
            ],
            &rows,
        )?;
        let p = &self.params;
        let mut chart = Chart::new(
            format!("Algorithmic threshold, N = {}, κ = {}", p.n, p.kappa),
            "α = P/N",
            "success probability P_solve(α)",
        );
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
