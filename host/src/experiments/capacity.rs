//! Solvers on instances and the algorithmic-threshold experiment (ALGORITHMS §c–d): [`solve`] runs one
//! algorithm on one instance (shared by `flatmin solve` and `flatmin capacity`); [`capacity`] measures
//! the success probability against α for each algorithm (rayon over samples, per-sample seeds
//! `derive_seed(base, i)`), written as `data.csv` + `meta.json` + `capacity.svg`.

use crate::error::{Error, Result};
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::{par_samples, with_threads, Meta, OutDir};
use crate::io::InstanceFile;
use flatmin_core::bits::{words_for, Patterns, SpinsMut};
use flatmin_core::bp::focusing::Runaway;
use flatmin_core::bp::{focusing_bp, BpWorkspace, FactorKind, FbpParams, Protocol};
use flatmin_core::instance::Instance;
use flatmin_core::solvers::{anneal, clipped_hebb, cpr, sbpi, AnnealParams, SbpiParams};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A solver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    /// Focusing BP (§c) with a protocol.
    Fbp,
    /// Reinforced BP (§d.1).
    Rbp,
    /// SBPI (§d.2).
    Sbpi,
    /// CP+R (§d.3).
    Cpr,
    /// Simulated annealing on the error count (§d.4).
    Sa,
    /// Clipped Hebb (§d.5).
    Hebb,
}

impl Algo {
    /// Every algorithm, in display order.
    pub const ALL: [Algo; 6] = [
        Algo::Fbp,
        Algo::Rbp,
        Algo::Sbpi,
        Algo::Cpr,
        Algo::Sa,
        Algo::Hebb,
    ];
    /// Command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Algo::Fbp => "fbp",
            Algo::Rbp => "rbp",
            Algo::Sbpi => "sbpi",
            Algo::Cpr => "cpr",
            Algo::Sa => "sa",
            Algo::Hebb => "hebb",
        }
    }
    /// Parses a command-line name.
    pub fn parse(s: &str) -> Result<Algo> {
        Algo::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                Error::Input(format!(
                    "unknown algorithm '{s}' (expected fbp, rbp, sbpi, cpr, sa or hebb)"
                ))
            })
    }
}

/// Named focusing protocols (§c.2, §c.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProtocolName {
    /// The §c.4 reconstruction of SM II.3: y = 7, γ_k = atanh(k/20), cap 5, then reinforcement.
    Paper,
    /// StandardReinforcement(0.01) ([SRC] default).
    Reinforcement,
    /// Scoping(0:0.1:10, y = 21) ([SRC] test suite).
    Scoping,
    /// PseudoReinforcement(0:0.01:0.99, x = ½).
    Pseudo,
}

impl ProtocolName {
    /// Command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ProtocolName::Paper => "paper",
            ProtocolName::Reinforcement => "reinforcement",
            ProtocolName::Scoping => "scoping",
            ProtocolName::Pseudo => "pseudo",
        }
    }
    /// Parses a command-line name.
    pub fn parse(s: &str) -> Result<ProtocolName> {
        [
            ProtocolName::Paper,
            ProtocolName::Reinforcement,
            ProtocolName::Scoping,
            ProtocolName::Pseudo,
        ]
        .into_iter()
        .find(|p| p.name() == s)
        .ok_or_else(|| {
            Error::Input(format!(
                "unknown protocol '{s}' (expected paper, reinforcement, scoping or pseudo)"
            ))
        })
    }
    /// The core protocol.
    pub fn protocol(self) -> Protocol<'static> {
        match self {
            ProtocolName::Paper => Protocol::PAPER,
            ProtocolName::Reinforcement => Protocol::DEFAULT,
            ProtocolName::Scoping => Protocol::SRC_SCOPING,
            ProtocolName::Pseudo => Protocol::PSEUDO,
        }
    }
}

/// Options of one solver run.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct SolveOpts {
    /// The algorithm.
    pub algo: Algo,
    /// fBP protocol.
    pub protocol: ProtocolName,
    /// fBP: BP sweeps per protocol step.
    pub max_sweeps_per_step: usize,
    /// fBP: run the whole protocol instead of stopping at the first solution.
    pub full_protocol: bool,
    /// fBP: test for a solution after every sweep, not only at the end of each step.
    pub sweep_check: bool,
    /// fBP: protocol to run from scratch (same seed) when `protocol` fails; `None`: none.
    pub fallback: Option<ProtocolName>,
    /// fBP: give up after this many consecutive runaway steps (residual ≥ 1.5, see
    /// `flatmin_core::bp::focusing::Runaway`); 0 never gives up.
    pub runaway_steps: usize,
    /// RBP: step dr of y = 1/(1 − t·dr).
    pub rbp_dr: f64,
    /// SBPI / CP+R: sweeps before giving up.
    pub max_sweeps: usize,
    /// SBPI: probability of the metaplastic rule.
    pub p_s: f64,
    /// CP+R: probability of the reinforcement rule per correct presentation.
    pub cpr_p_s: f64,
    /// Annealing sweeps.
    pub sa_sweeps: usize,
}

impl Default for SolveOpts {
    /// fBP with the §c.4 protocol, 10 sweeps per step, a solution test after every sweep, the
    /// runaway stop, and StandardReinforcement(0.01) as fallback. At N = 1001, κ = 0 this solved 8/8
    /// instances at α = 0.70 (median 142 sweeps), 17/20 at 0.74 and 11/20 at 0.75, against 14/20
    /// and 9/20 for the §c.4 protocol alone (table in `flatmin_core::bp::FbpParams::new`).
    fn default() -> Self {
        SolveOpts {
            algo: Algo::Fbp,
            protocol: ProtocolName::Paper,
            max_sweeps_per_step: 10,
            full_protocol: false,
            sweep_check: true,
            fallback: Some(ProtocolName::Reinforcement),
            runaway_steps: Runaway::DEFAULT.steps,
            rbp_dr: 1e-3,
            max_sweeps: 10_000,
            p_s: 0.3,
            cpr_p_s: 0.003,
            sa_sweeps: 10_000,
        }
    }
}

/// What one solver run produced.
#[derive(Clone, Debug, Serialize)]
pub struct SolveResult {
    /// The weights are a κ-solution.
    pub solved: bool,
    /// E_κ of the weights.
    pub errors: usize,
    /// min_μ s_μ/√N (null when P = 0).
    pub margin: Option<f64>,
    /// The weights as N characters in {'+','-'}.
    pub weights: String,
    /// BP sweeps (fBP, RBP), presentation sweeps (SBPI, CP+R), annealing sweeps (SA), 0 (Hebb).
    pub sweeps: usize,
    /// Wall-clock seconds of the solver proper.
    pub seconds: f64,
    /// fBP/RBP: protocol steps run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// fBP/RBP: the run was stopped because BP ran away.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ran_away: Option<bool>,
    /// Packed weights (not serialized).
    #[serde(skip)]
    pub words: Vec<u64>,
}

/// Runs one algorithm on one gauged instance from `seed`.
pub fn solve(inst: &Instance<'_>, opts: &SolveOpts, seed: u64) -> Result<SolveResult> {
    let (n, p) = (inst.n(), inst.p());
    let mut words = vec![0u64; words_for(n)];
    let mut stabs = vec![0i32; p];
    let start = Instant::now();
    let (solved, errors, margin, sweeps, steps, ran_away) = {
        let mut w = SpinsMut::new(n, &mut words)?;
        match opts.algo {
            Algo::Fbp | Algo::Rbp => {
                let f = FactorKind::Gaussian;
                let mut reals = vec![0.0f64; BpWorkspace::<f64>::required_reals(n, p, f)];
                let mut perm = vec![0u32; BpWorkspace::<f64>::required_perm(n, p)];
                let mut ws = BpWorkspace::new(n, p, f, &mut reals, &mut perm)?;
                let params = if opts.algo == Algo::Rbp {
                    if !(opts.rbp_dr > 0.0 && opts.rbp_dr < 1.0) {
                        return Err(Error::Input("--dr must be in (0, 1)".into()));
                    }
                    FbpParams::rbp(opts.rbp_dr)
                } else {
                    let mut p = FbpParams::new(opts.protocol.protocol());
                    p.bp.max_sweeps = opts.max_sweeps_per_step.max(1);
                    p.stop_at_solution = !opts.full_protocol;
                    p.check_every_sweep = opts.sweep_check;
                    p.fallback = opts.fallback.map(ProtocolName::protocol);
                    p.runaway = (opts.runaway_steps > 0).then_some(Runaway {
                        steps: opts.runaway_steps,
                        ..Runaway::DEFAULT
                    });
                    p
                };
                let o = focusing_bp(inst, &mut ws, &params, seed, &mut w, &mut stabs)?;
                (
                    o.solved,
                    o.errors,
                    o.margin,
                    o.sweeps,
                    Some(o.steps),
                    Some(o.ran_away),
                )
            }
            Algo::Sbpi | Algo::Cpr => {
                let p_s = if opts.algo == Algo::Sbpi {
                    opts.p_s
                } else {
                    opts.cpr_p_s
                };
                let params = SbpiParams {
                    p_s,
                    max_sweeps: opts.max_sweeps,
                    ..SbpiParams::default()
                };
                let (mut hidden, mut perm) = (vec![0i8; n], vec![0u32; p]);
                let f = if opts.algo == Algo::Sbpi { sbpi } else { cpr };
                let o = f(
                    inst,
                    &params,
                    seed,
                    &mut w,
                    &mut hidden,
                    &mut perm,
                    &mut stabs,
                )?;
                (o.solved, o.errors, o.margin, o.sweeps, None, None)
            }
            Algo::Sa => {
                if p == 0 {
                    let o = clipped_hebb(inst, &mut w, &mut vec![0i32; n], &mut stabs)?;
                    (o.solved, o.errors, o.margin, 0, None, None)
                } else {
                    let mut tbuf = vec![0u64; inst.patterns.transposed_len()];
                    let cols = inst.patterns.transpose_into(&mut tbuf)?;
                    let mut sets = vec![0u64; 2 * words_for(p)];
                    let params = AnnealParams {
                        sweeps: opts.sa_sweeps,
                        ..AnnealParams::default()
                    };
                    let o = anneal(inst, &cols, &params, seed, &mut w, &mut stabs, &mut sets)?;
                    (o.solved, o.errors, o.margin, o.sweeps, None, None)
                }
            }
            Algo::Hebb => {
                let o = clipped_hebb(inst, &mut w, &mut vec![0i32; n], &mut stabs)?;
                (o.solved, o.errors, o.margin, 0, None, None)
            }
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    Ok(SolveResult {
        solved,
        errors,
        margin: (p > 0).then_some(margin),
        weights: crate::io::spins_to_string(&words, n),
        sweeps,
        seconds,
        steps,
        ran_away,
        words,
    })
}

/// Parameters of the capacity experiment.
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
    /// Base seed: sample i at α index a uses instance seed derive_seed(base, a·samples + i) for every
    /// algorithm (the same instances for all algorithms).
    pub seed: u64,
    /// Solver options (the algorithm field is overridden).
    pub opts: SolveOpts,
}

/// One row of the capacity table.
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

/// Runs the capacity experiment into `<parent>/capacity/`. `progress(done, total)` after each finished sample.
pub fn capacity(
    params: &CapacityParams,
    parent: &Path,
    threads: Option<usize>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Vec<CapacityPoint>, PathBuf)> {
    capacity_into("capacity", params, parent, threads, progress)
}

/// Runs the capacity experiment, writing `<parent>/capacity/` (data.csv, meta.json, capacity.svg).
/// `progress` is called after each finished sample with (done, total).
fn capacity_into(
    dir_name: &str,
    params: &CapacityParams,
    parent: &Path,
    threads: Option<usize>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Vec<CapacityPoint>, PathBuf)> {
    if params.n == 0 {
        return Err(Error::Input("--n must be at least 1".into()));
    }
    if params.samples == 0 || params.alphas.is_empty() || params.algos.is_empty() {
        return Err(Error::Input(
            "need at least one algorithm, one alpha and one sample".into(),
        ));
    }
    if params.alphas.iter().any(|a| !(a.is_finite() && *a > 0.0)) {
        return Err(Error::Input("alphas must be finite and > 0".into()));
    }
    let mut meta = Meta::new("capacity");
    meta.param("params", params);
    meta.seeds.push(params.seed);
    meta.note("instance seed of sample i at alpha index a: derive_seed(seed, a*samples + i), shared by all algorithms");
    let mut out = OutDir::create(parent, dir_name, meta)?;
    let total = (params.algos.len() * params.alphas.len() * params.samples) as u64;
    let done = AtomicU64::new(0);
    let mut points = Vec::new();
    for &algo in &params.algos {
        for (ai, &alpha) in params.alphas.iter().enumerate() {
            let opts = SolveOpts {
                algo,
                ..params.opts
            };
            let base = params.seed;
            let runs = with_threads(threads, || {
                par_samples(params.samples, 0, |i, _| {
                    let iseed =
                        flatmin_core::rng::derive_seed(base, (ai * params.samples + i) as u64);
                    let file = InstanceFile::generate(params.n, alpha, params.kappa, false, iseed)?;
                    let g = file.gauged_patterns()?;
                    let inst = Instance::new(Patterns::new(file.n, file.p, &g)?, params.kappa)?;
                    let r = solve(&inst, &opts, iseed)?;
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                    Ok((r.solved, r.errors as f64 / file.p.max(1) as f64, r.seconds))
                })
            })??;
            let solved = runs.iter().filter(|r| r.0).count();
            let k = runs.len() as f64;
            points.push(CapacityPoint {
                algo,
                alpha,
                success: solved as f64 / k,
                solved,
                samples: runs.len(),
                mean_error_fraction: runs.iter().map(|r| r.1).sum::<f64>() / k,
                mean_seconds: runs.iter().map(|r| r.2).sum::<f64>() / k,
            });
        }
    }
    let mut csv = out.csv(
        "data.csv",
        &[
            "algo",
            "alpha",
            "success",
            "solved",
            "samples",
            "mean_error_fraction",
            "mean_seconds",
        ],
    )?;
    for pt in &points {
        csv.fields(&[
            pt.algo.name().to_string(),
            crate::harness::format_f64(pt.alpha),
            crate::harness::format_f64(pt.success),
            pt.solved.to_string(),
            pt.samples.to_string(),
            crate::harness::format_f64(pt.mean_error_fraction),
            crate::harness::format_f64(pt.mean_seconds),
        ])?;
    }
    csv.finish()?;
    let mut chart = Chart::new(
        format!(
            "Algorithmic threshold, N = {}, κ = {}",
            params.n, params.kappa
        ),
        "α = P/N",
        "success probability",
    );
    chart.y_range = Some((0.0, 1.0));
    for &algo in &params.algos {
        let pts = points
            .iter()
            .filter(|p| p.algo == algo)
            .map(|p| (p.alpha, p.success))
            .collect();
        chart = chart.with(Series::new(algo.name(), pts, Style::LineMarkers));
    }
    out.plot("capacity.svg", &[chart], 1)?;
    let dir = out.finish()?;
    Ok((points, dir))
}

/// Figure `capacity` (the algorithmic threshold): success probability against α at κ = 0 for fBP
/// (§c.4 protocol, StandardReinforcement as fallback: [`SolveOpts::default`]), RBP and SBPI; N = 1001 and 10 samples per point (quick: N = 201, 2 samples).
pub fn figure_capacity(opts: &super::FigureOpts) -> Result<super::FigureReport> {
    let (n, samples, alphas, algos) = if opts.quick {
        (201, 2, vec![0.5, 0.7], vec![Algo::Fbp, Algo::Sbpi])
    } else {
        (
            1001,
            10,
            vec![0.5, 0.6, 0.65, 0.7, 0.72, 0.74, 0.76, 0.78, 0.8],
            vec![Algo::Fbp, Algo::Rbp, Algo::Sbpi],
        )
    };
    let params = CapacityParams {
        algos,
        n,
        alphas,
        samples,
        kappa: 0.0,
        seed: opts.seed,
        opts: SolveOpts::default(),
    };
    let total = (params.algos.len() * params.alphas.len() * samples) as u64;
    let pb = crate::harness::progress::bar(total, "capacity", opts.quiet);
    let (points, dir) = capacity_into(
        "figure-capacity",
        &params,
        &opts.out,
        opts.threads,
        &|d, _| pb.set_position(d),
    )?;
    pb.finish_and_clear();
    Ok(super::FigureReport {
        name: "capacity".into(),
        dir,
        summary: serde_json::to_value(&points).map_err(|e| Error::Other(e.to_string()))?,
    })
}
