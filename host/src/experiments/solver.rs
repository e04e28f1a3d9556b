//! The solvers every experiment calls (ALGORITHMS §c–d): [`solve`] runs one algorithm on one
//! instance (`flatmin solve`, the capacity and profile studies); [`random_problem`] draws the random
//! instance every study uses.

use crate::error::{Error, Result};
use crate::io::{CommitteeProblem, InstanceFile, Problem};
use flatmin_core::bits::{words_for, PatternsMut, SpinsMut};
use flatmin_core::bp::committee::{
    committee_rbp, Architecture, CommitteeInstance, CommitteeWorkspace,
};
use flatmin_core::bp::focusing::Runaway;
use flatmin_core::bp::{focusing_bp, BpWorkspace, FactorKind, FbpParams, Protocol};
use flatmin_core::instance::Instance;
use flatmin_core::solvers::{anneal, clipped_hebb, cpr, sbpi, AnnealParams, SbpiParams};
use serde::Serialize;
use std::time::Instant;

/// The random instance of every study: `P = ⌊αN + ½⌋` i.i.d. ±1 patterns with random labels (no
/// teacher), margin κ, drawn from `seed` (the same stream as `flatmin instance gen`), gauged.
pub fn random_problem(n: usize, alpha: f64, kappa: f64, seed: u64) -> Result<Problem> {
    let file = InstanceFile::generate(n, alpha, kappa, false, seed)?;
    Problem::from_file(&file, None)
}

/// The random committee instance of every committee study: K hidden units, architecture `arch`,
/// `P = ⌊α·W + ½⌋` random-label patterns (W = K·N fully connected, N tree), from `seed` (the stream
/// of `flatmin instance gen --k`); K = 1 is [`random_problem`]'s instance. Returns the file (for the
/// independent forward pass) and the gauged problem.
pub fn random_committee(
    n: usize,
    k: usize,
    arch: Architecture,
    alpha: f64,
    seed: u64,
) -> Result<(InstanceFile, CommitteeProblem)> {
    let file = InstanceFile::generate_committee(n, k, arch, alpha, false, seed)?;
    let problem = CommitteeProblem::from_file(&file)?;
    Ok((file, problem))
}

/// A solver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
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
    /// Whether the algorithm exists for committee machines (K > 1): focusing BP and RBP.
    pub fn handles_committees(self) -> bool {
        matches!(self, Algo::Fbp | Algo::Rbp)
    }
    /// The error for an algorithm that has no committee version.
    pub fn committee_error(self, k: usize) -> Error {
        Error::Input(format!(
            "--algo {}: no committee-machine version (K = {k}); committees are solved by fbp or rbp",
            self.name()
        ))
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ProtocolName {
    /// The §c.4 reconstruction of SM II.3: y = 7, γ_k = atanh(k/20), cap 5, then reinforcement.
    Paper,
    /// StandardReinforcement(0.01) (the reference implementation's default).
    Reinforcement,
    /// Scoping(0:0.1:10, y = 21) (the reference implementation's test suite).
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
    /// `flatmin_core::bp::focusing::Runaway`); 0 never gives up. Committee solves (K ≥ 3) scale it
    /// with `Runaway::for_weights` below 1000 weights.
    pub runaway_steps: usize,
    /// RBP: step dr of y = 1/(1 − t·dr).
    pub rbp_dr: f64,
    /// SBPI / CP+R: sweeps before giving up.
    pub max_sweeps: usize,
    /// SBPI: probability of the metaplastic rule.
    pub p_s: f64,
    /// CP+R: probability of the reinforcement rule per presentation beyond the barely correct
    /// window; `None`: `SbpiParams::cpr_auto_p_s(N, P)` = 0.51·α³/√N.
    pub cpr_p_s: Option<f64>,
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
            cpr_p_s: None,
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
    /// The weights as N characters in {'+','-'}; for a committee ([`solve_committee`]) K lines of n
    /// characters separated by `'\n'`, one per hidden unit.
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

/// The fBP parameters of `opts` for a protocol run (not `rbp`): the protocol, sweeps per step,
/// stop/check/fallback flags and the runaway stop; shared by [`solve`] and [`solve_committee`].
fn fbp_protocol_params(opts: &SolveOpts) -> FbpParams<'static, f64> {
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
                    // The runaway stop (residual >= 1.5 on 10 consecutive sweeps) loses no
                    // solution in 79 recorded runs at N = 1001 and cuts a failure from 1000
                    // sweeps to 344-699 (`Runaway::RBP` docs); `--runaway-steps 0` turns it off.
                    FbpParams {
                        runaway: (opts.runaway_steps > 0).then_some(Runaway::RBP),
                        ..FbpParams::rbp(opts.rbp_dr)
                    }
                } else {
                    fbp_protocol_params(opts)
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
                        .unwrap_or_else(|| SbpiParams::cpr_default(n, p).p_s)
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

/// The damping of committee BP in every focusing protocol: undamped BP does not solve committees
/// (see [`committee_rbp`]), and the authors' test settings use 0.5.
pub const COMMITTEE_DAMPING: f64 = 0.5;

/// Runs focusing BP (`opts.algo` = fbp, with `opts`' protocol, sweeps per step, solution test,
/// fallback and runaway stop, BP damping [`COMMITTEE_DAMPING`]) or reinforced BP ([`committee_rbp`])
/// on a gauged committee instance. `margin` is min_μ v_μ/√K over the output votes v_μ = Σ_k τ_{μk};
/// `weights` holds K lines. Other algorithms are [`Error::Input`] for K > 1; K = 1 runs the
/// perceptron solver of [`solve`] at κ = 0 (any algorithm).
pub fn solve_committee(
    inst: &CommitteeInstance<'_>,
    opts: &SolveOpts,
    seed: u64,
) -> Result<SolveResult> {
    let (k, n_in, p) = (inst.k(), inst.n_in(), inst.p());
    if k == 1 {
        let pi = Instance::new(inst.patterns, 0.0)?;
        return solve(&pi, opts, seed);
    }
    if !opts.algo.handles_committees() {
        return Err(opts.algo.committee_error(k));
    }
    let rw = words_for(n_in);
    let mut words = vec![0u64; k * rw];
    let mut votes = vec![0i32; p];
    let f = FactorKind::Gaussian;
    let mut reals = vec![0.0f64; CommitteeWorkspace::<f64>::required_reals(k, n_in, p, f)];
    let mut perm = vec![0u32; CommitteeWorkspace::<f64>::required_perm(k, n_in, p)];
    let params = if opts.algo == Algo::Rbp {
        if !(opts.rbp_dr > 0.0 && opts.rbp_dr < 1.0) {
            return Err(Error::Input("--dr must be in (0, 1)".into()));
        }
        FbpParams {
            runaway: (opts.runaway_steps > 0).then_some(Runaway::RBP),
            ..committee_rbp(opts.rbp_dr)
        }
    } else {
        let mut q = fbp_protocol_params(opts);
        q.bp.damping = COMMITTEE_DAMPING;
        q
    };
    let start = Instant::now();
    let o = {
        let mut ws = CommitteeWorkspace::new(inst, f, &mut reals, &mut perm)?;
        let mut w = PatternsMut::new(n_in, k, &mut words)?;
        focusing_bp(inst, &mut ws, &params, seed, &mut w, &mut votes)?
    };
    let seconds = start.elapsed().as_secs_f64();
    let weights = (0..k)
        .map(|u| crate::io::spins_to_string(&words[u * rw..(u + 1) * rw], n_in))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(SolveResult {
        solved: o.solved,
        errors: o.errors,
        margin: (p > 0).then_some(o.margin),
        weights,
        sweeps: o.sweeps,
        seconds,
        steps: Some(o.steps),
        ran_away: Some(o.ran_away),
        words,
    })
}

/// [`solve_committee`] on an instance file, with the reported solution re-checked by the file's
/// independent forward pass ([`InstanceFile::forward_errors`], on the raw patterns and labels): a
/// disagreement with the solver's own count is a failed run ([`Error::Numerics`]), never a wrong
/// `"solved": true`. K = 1 files go through [`solve`] at the header's (or `kappa`'s) margin.
pub fn solve_file(
    file: &InstanceFile,
    kappa: Option<f64>,
    opts: &SolveOpts,
    seed: u64,
) -> Result<SolveResult> {
    if file.committee.is_none() {
        let problem = Problem::from_file(file, kappa)?;
        return solve(&problem.instance()?, opts, seed);
    }
    if kappa.is_some_and(|k| k != 0.0) {
        return Err(Error::Input(
            "--kappa: a committee instance has kappa = 0 (no margin on the output majority)".into(),
        ));
    }
    let problem = CommitteeProblem::from_file(file)?;
    let r = solve_committee(&problem.instance()?, opts, seed)?;
    let check = file.forward_errors(&r.words)?;
    if check != r.errors {
        return Err(Error::Numerics(format!(
            "internal check failed: the solver reports {} errors, the independent forward pass {check}",
            r.errors
        )));
    }
    Ok(r)
}
