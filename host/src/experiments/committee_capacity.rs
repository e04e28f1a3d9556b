//! Figure `committee-capacity` (issue 15): the success probability of focusing BP against the load
//! α = P/(number of weights) for fully connected committee machines with K = 1, 3, 5, 7 hidden units
//! at (nearly) the same number of weights K·N, on random-label instances. One point = one
//! (K, α, sample); the runner runs them in parallel, resumes, shards and merges; `finish` writes the
//! success table, one curve per K, and the 50 % crossing α_50 of each curve.
//!
//! The solver is `flatmin solve`'s default fBP ([`SolveOpts::default`]: the §c.4 protocol with
//! StandardReinforcement as fallback, 10 sweeps per step, the runaway stop); for K > 1 the committee
//! BP runs with damping 0.5 ([`super::solver::COMMITTEE_DAMPING`]) and every solution is re-checked
//! by an independent forward pass ([`super::capacity::solve_random`]). K = 1 is the perceptron run of
//! the `capacity` study, instance for instance.

use super::capacity::{crossing, result_fields, solve_random};
use super::solver::{Algo, SolveOpts};
use crate::error::{Error, Result};
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::runner::{point_seed, Field, Outputs, Seeds, Study, Table};
use serde::Serialize;
use serde_json::{json, Value};

/// One curve: K hidden units, N inputs, the α grid.
#[derive(Clone, Debug, Serialize)]
pub struct Curve {
    /// K (odd).
    pub k: usize,
    /// N, inputs per pattern (K·N weights).
    pub n: usize,
    /// Loads α = P/(K·N).
    pub alphas: Vec<f64>,
}

/// Parameters of the committee-capacity figure.
#[derive(Clone, Debug, Serialize)]
pub struct CommitteeCapacityParams {
    /// The curves.
    pub curves: Vec<Curve>,
    /// Instances per (K, α).
    pub samples: usize,
    /// Solver options (fbp).
    pub opts: SolveOpts,
}

/// The committee-capacity study.
#[derive(Clone, Debug)]
pub struct CommitteeCapacity {
    /// Parameters.
    pub params: CommitteeCapacityParams,
}

/// The seed of instance `sample` at (K, α).
pub fn instance_seed(base: u64, k: usize, alpha: f64, sample: usize) -> u64 {
    point_seed(base, &format!("committee;{k};{alpha};{sample}"))
}

const COLUMNS: [&str; 14] = [
    "k",
    "n",
    "weights",
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

const SUCCESS_COLUMNS: [&str; 10] = [
    "k",
    "n",
    "weights",
    "alpha",
    "success",
    "solved",
    "samples",
    "mean_error_fraction",
    "mean_sweeps",
    "mean_seconds",
];

impl CommitteeCapacity {
    /// The figure's grid. Full: K·N ≈ 1000 weights (K = 1, 3, 5, 7 with N = 1001, 335, 201, 143),
    /// α grids around each curve's threshold, 8 samples (160 solves). The grids come from probes of
    /// two instances each (`flatmin capacity --k K --samples 2`): K = 1 solved 2/2 at α = 0.74,
    /// K = 3 3/3 at 0.65 and 0/2 at 0.7, K = 5 2/2 at 0.6, K = 7 2/2 at 0.5 and 0/1 at 0.6. One
    /// solve costs ≈ 0.5 s CPU at K = 1 and 3–17 s at K = 3–7 (failures run ≈ 900 sweeps), so the
    /// full figure is ≈ 15–20 CPU minutes and not part of `figure all`. Quick: K·N ≈ 105 (N = 105, 35, 21, 15),
    /// α = 0.15 and 0.45, 2 samples.
    pub fn figure(quick: bool) -> Self {
        let (curves, samples) = if quick {
            (
                [(1, 105), (3, 35), (5, 21), (7, 15)]
                    .into_iter()
                    .map(|(k, n)| Curve {
                        k,
                        n,
                        alphas: vec![0.15, 0.45],
                    })
                    .collect(),
                2,
            )
        } else {
            (
                vec![
                    Curve {
                        k: 1,
                        n: 1001,
                        alphas: vec![0.65, 0.7, 0.73, 0.76, 0.8],
                    },
                    Curve {
                        k: 3,
                        n: 335,
                        alphas: vec![0.55, 0.6, 0.65, 0.7, 0.75],
                    },
                    Curve {
                        k: 5,
                        n: 201,
                        alphas: vec![0.5, 0.55, 0.6, 0.65, 0.7],
                    },
                    Curve {
                        k: 7,
                        n: 143,
                        alphas: vec![0.45, 0.5, 0.55, 0.6, 0.65],
                    },
                ],
                8,
            )
        };
        CommitteeCapacity {
            params: CommitteeCapacityParams {
                curves,
                samples,
                opts: SolveOpts::default(),
            },
        }
    }

    fn validate(&self) -> Result<()> {
        let p = &self.params;
        if p.samples == 0 || p.curves.is_empty() {
            return Err(Error::Input(
                "need at least one curve and one sample".into(),
            ));
        }
        if p.opts.algo != Algo::Fbp && p.opts.algo != Algo::Rbp {
            return Err(p.opts.algo.committee_error(3));
        }
        for c in &p.curves {
            crate::io::check_committee(
                c.n,
                c.k,
                flatmin_core::bp::committee::Architecture::FullyConnected,
            )
            .map_err(Error::Input)?;
            if c.alphas.is_empty() || c.alphas.iter().any(|a| !(a.is_finite() && *a > 0.0)) {
                return Err(Error::Input("alphas must be finite and > 0".into()));
            }
        }
        Ok(())
    }
}

/// One row of the success table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// K.
    pub k: usize,
    /// N.
    pub n: usize,
    /// α.
    pub alpha: f64,
    /// Solved count.
    pub solved: usize,
    /// Samples.
    pub samples: usize,
    /// Mean error fraction.
    pub mean_error_fraction: f64,
    /// Mean sweeps.
    pub mean_sweeps: f64,
    /// Mean solver seconds.
    pub mean_seconds: f64,
}

/// The success table (one row per K and α) of a (complete or partial) data table.
pub fn success_rows(p: &CommitteeCapacityParams, data: &Table) -> Result<Vec<Row>> {
    let k = data.f64s("k")?;
    let alpha = data.f64s("alpha")?;
    let solved = data.bools("solved")?;
    let frac = data.f64s("error_fraction")?;
    let sweeps = data.f64s("sweeps")?;
    let secs = data.f64s("seconds")?;
    let mut out = Vec::new();
    for c in &p.curves {
        for &al in &c.alphas {
            let idx: Vec<usize> = (0..k.len())
                .filter(|&i| k[i] == c.k as f64 && alpha[i] == al)
                .collect();
            if idx.is_empty() {
                continue;
            }
            let m = idx.len() as f64;
            let mean = |v: &[f64]| idx.iter().map(|&i| v[i]).sum::<f64>() / m;
            out.push(Row {
                k: c.k,
                n: c.n,
                alpha: al,
                solved: idx.iter().filter(|&&i| solved[i]).count(),
                samples: idx.len(),
                mean_error_fraction: mean(&frac),
                mean_sweeps: mean(&sweeps),
                mean_seconds: mean(&secs),
            });
        }
    }
    Ok(out)
}

impl Study for CommitteeCapacity {
    type Params = CommitteeCapacityParams;
    type Point = (usize, f64, usize);
    type Row = Vec<Field>;

    fn experiment(&self) -> String {
        "figure-committee-capacity".into()
    }
    fn params(&self) -> &CommitteeCapacityParams {
        &self.params
    }
    fn columns(&self) -> Vec<String> {
        COLUMNS.iter().map(|s| s.to_string()).collect()
    }
    fn points(&self) -> Result<Vec<Self::Point>> {
        self.validate()?;
        let mut pts = Vec::new();
        for c in &self.params.curves {
            for &a in &c.alphas {
                for s in 0..self.params.samples {
                    pts.push((c.k, a, s));
                }
            }
        }
        Ok(pts)
    }
    fn notes(&self) -> Vec<String> {
        let grid: Vec<String> = self
            .params
            .curves
            .iter()
            .map(|c| {
                format!(
                    "K = {} N = {} ({} weights) alpha = {:?}",
                    c.k,
                    c.n,
                    c.k * c.n,
                    c.alphas
                )
            })
            .collect();
        vec![
            format!(
                "fully connected committees, random labels, alpha = P/(K·N) (patterns per weight); \
                 grid: {}; {} samples per point",
                grid.join("; "),
                self.params.samples
            ),
            "instance of sample s at (K, alpha): seed point_seed(seed, \"committee;<K>;<alpha>;<s>\"); \
             the solver runs with the same seed; fbp = flatmin solve's default, BP damping 0.5 for \
             K > 1; every solution re-checked by an independent forward pass"
                .into(),
        ]
    }
    fn run_point(&self, point: &Self::Point, seeds: Seeds) -> Result<Vec<Vec<Field>>> {
        let (k, alpha, sample) = *point;
        let c = self
            .params
            .curves
            .iter()
            .find(|c| c.k == k)
            .ok_or_else(|| Error::Other(format!("no curve for K = {k}")))?;
        let iseed = instance_seed(seeds.base, k, alpha, sample);
        let (p, r) = solve_random(c.n, k, false, alpha, 0.0, iseed, &self.params.opts)?;
        Ok(vec![[
            Field::from(k),
            Field::from(c.n),
            Field::from(k * c.n),
            Field::F(alpha),
            Field::from(sample),
            Field::S(iseed.to_string()),
        ]
        .into_iter()
        .chain(result_fields(p, &r))
        .collect()])
    }
    fn finish(&self, data: &Table, out: &mut Outputs<'_>) -> Result<Value> {
        let p = &self.params;
        let rows = success_rows(p, data)?;
        let table: Vec<Vec<Field>> = rows
            .iter()
            .map(|r| {
                vec![
                    Field::from(r.k),
                    Field::from(r.n),
                    Field::from(r.k * r.n),
                    Field::F(r.alpha),
                    Field::F(r.solved as f64 / r.samples as f64),
                    Field::from(r.solved),
                    Field::from(r.samples),
                    Field::F(r.mean_error_fraction),
                    Field::F(r.mean_sweeps),
                    Field::F(r.mean_seconds),
                ]
            })
            .collect();
        out.csv("success.csv", &SUCCESS_COLUMNS, &table)?;
        let mut chart = Chart::new(
            "Committee machines (fully connected): fBP success vs load",
            "α = P/(K·N), patterns per weight",
            "success probability P_solve(α)",
        );
        chart.y_range = Some((-0.02, 1.02));
        let (mut ks, mut ns, mut a50, mut why) = (vec![], vec![], vec![], vec![]);
        for c in &p.curves {
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.k == c.k)
                .map(|r| (r.alpha, r.solved as f64 / r.samples as f64))
                .collect();
            let x = crossing(&pts, 0.5);
            ks.push(c.k);
            ns.push(c.n);
            a50.push(x.map_or(Value::Null, |a| json!(a)));
            why.push(match x {
                Some(_) => Value::Null,
                None if pts.iter().all(|q| q.1 >= 0.5) => {
                    json!("success >= 50% on the whole grid: the crossing lies above it")
                }
                None => {
                    json!("success < 50% at the smallest alpha: the crossing lies below the grid")
                }
            });
            chart = chart.with(Series::new(
                format!("K = {} (N = {})", c.k, c.n),
                pts,
                Style::LineMarkers,
            ));
        }
        let failures: usize = rows.iter().map(|r| r.samples - r.solved).sum();
        out.converge("unsolved_instances", failures);
        out.plot("figure-committee-capacity.svg", &[chart], 1)?;
        Ok(json!({
            "k": ks,
            "n": ns,
            "alpha_50": a50,
            "alpha_50_reason": why,
        }))
    }
}

/// Runs the figure (registered as `committee-capacity`).
pub fn figure(o: &super::FigureOpts<'_>) -> Result<super::FigureReport> {
    o.run("committee-capacity", &CommitteeCapacity::figure(o.quick))
}
