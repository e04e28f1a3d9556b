//! `solve`, `capacity`: the solvers of ALGORITHMS §c–d on one instance, and the algorithmic threshold
//! (success probability against α).

use super::study::{run_study, shard_line};
use super::{input_error, print_json, print_line, Global};
use clap::{Args, Subcommand};
use flatmin_core::bp::committee::Architecture;
use flatmin_host::experiments::capacity::{
    success_columns, success_table, Capacity, CapacityParams,
};
use flatmin_host::experiments::solver::{self as cap, Algo, ProtocolName, SolveOpts};
use flatmin_host::io::InstanceFile;
use serde::Serialize;
use std::path::PathBuf;

/// Commands of this family.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Find a solution of one instance (a file, or a random instance from --n --alpha --seed) with
    /// focusing BP (fbp), reinforced BP (rbp), SBPI (sbpi), CP+R (cpr), simulated annealing (sa) or
    /// clipped Hebb (hebb).
    ///
    /// JSON: {"algo","n","p","kappa","k","seed","solved","errors","margin","weights":"+-…","sweeps",
    /// "seconds"}; errors = #{μ : s_μ < T(κ)} of the returned weights, margin = min_μ s_μ/√N
    /// (null with "margin_reason" when P = 0).
    ///
    /// A committee-machine file (written by `flatmin instance gen --k K [--tree]`; K is read from
    /// the file) is solved by fbp (BP damping 0.5) or rbp only: "k" is K, "tree" says whether it is
    /// a tree, "weights" is a list of K strings (one per hidden unit), errors = #{μ : the majority of
    /// the K hidden signs differs from y_μ} and margin = min_μ v_μ/√K over the output votes
    /// v_μ = Σ_k τ_{μk}. Every committee solution is re-checked by an independent forward pass on the
    /// raw patterns before it is printed.
    #[command(
        allow_negative_numbers = true,
        after_help = "Examples:\n  flatmin solve --n 1001 --alpha 0.6 --json\n  flatmin instance gen --n 335 --k 3 --alpha 0.3 -o c.txt && flatmin solve c.txt --algo fbp --json"
    )]
    Solve(SolveArgs),
    /// Success probability against α for each algorithm (the algorithmic-threshold figure): random
    /// instances, the same ones for every algorithm, one point per (algorithm, α, sample), run in
    /// parallel, resumable and shardable. Writes DIR/{data.csv (one row per instance), success.csv,
    /// meta.json, capacity.svg}.
    ///
    /// JSON (columnar, the keys of success.csv, one entry per algorithm and α):
    /// {"algo":[…],"alpha":[…],"success":[…],"solved":[…],"samples":[…],"mean_error_fraction":[…],
    /// "mean_seconds":[…]}.
    ///
    /// With --k K (odd) the instances are committee machines of K hidden units (fully connected, or
    /// --tree) with random labels, N inputs and α = P/(number of weights) (K·N fully connected, N
    /// tree: patterns per weight, the authors' convention); only fbp (BP damping 0.5) and rbp exist
    /// for K > 1, and every solution is re-checked by an independent forward pass.
    #[command(
        after_help = "Examples:\n  flatmin capacity --algo fbp,sbpi --n 1001 --alphas 0.6,0.7,0.75 --samples 10 -o cap\n  flatmin capacity --k 3 --n 335 --alphas 0.5,0.6,0.7 --samples 10 -o cap-k3"
    )]
    Capacity(CapacityArgs),
}

/// `--fallback`: a protocol, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fallback {
    /// No fallback.
    None,
    /// The §c.4 reconstruction.
    Paper,
    /// StandardReinforcement(0.01).
    Reinforcement,
    /// Scoping(0:0.1:10, y = 21).
    Scoping,
    /// PseudoReinforcement(0:0.01:0.99).
    Pseudo,
}

impl Fallback {
    fn protocol(self) -> Option<ProtocolName> {
        match self {
            Fallback::None => None,
            Fallback::Paper => Some(ProtocolName::Paper),
            Fallback::Reinforcement => Some(ProtocolName::Reinforcement),
            Fallback::Scoping => Some(ProtocolName::Scoping),
            Fallback::Pseudo => Some(ProtocolName::Pseudo),
        }
    }
}

impl From<Option<ProtocolName>> for Fallback {
    fn from(p: Option<ProtocolName>) -> Self {
        match p {
            None => Fallback::None,
            Some(ProtocolName::Paper) => Fallback::Paper,
            Some(ProtocolName::Reinforcement) => Fallback::Reinforcement,
            Some(ProtocolName::Scoping) => Fallback::Scoping,
            Some(ProtocolName::Pseudo) => Fallback::Pseudo,
        }
    }
}

/// Solver options shared by `solve` and `capacity`.
#[derive(Debug, Clone, Args)]
pub struct SolverFlags {
    /// fBP protocol: paper (the §c.4 reconstruction of SM II.3: y = 7, γ_k = atanh(k/20), cap 5, then
    /// reinforcement), reinforcement (StandardReinforcement(0.01)), scoping (Scoping(0:0.1:10, 21)),
    /// pseudo (PseudoReinforcement(0:0.01:0.99)). At N = 1001, κ = 0, paper solved 14/20 instances at
    /// α = 0.74 and 9/20 at 0.75, reinforcement 15/20 and 10/20 with ≈ 2.5× the sweeps; scoping
    /// and pseudo solved none of 5 hard instances at 0.75.
    #[arg(long, value_enum, default_value_t = SolveOpts::default().protocol, value_name = "NAME")]
    pub protocol: ProtocolName,
    /// fBP: at most this many BP sweeps per protocol step (ε = 1e-3; at most 100000). The paper's
    /// code uses 1000 and the spec's independent reference implementation 50, but near the
    /// threshold BP at large γ oscillates rather than converges, and more sweeps do not help: at
    /// N = 1001, α = 0.74, 10 solved 8/10 instances, 30 solved 6/10, 5 solved 4/10.
    #[arg(long, default_value_t = SolveOpts::default().max_sweeps_per_step, value_name = "N")]
    pub step_sweeps: usize,
    /// fBP: run the whole protocol instead of stopping at the first solution.
    #[arg(long)]
    pub full_protocol: bool,
    /// fBP: protocol to run from scratch (same seed) when --protocol fails, or none. Near the
    /// threshold the instances that paper and reinforcement fail on overlap only in part: at
    /// N = 1001 the pair solves more than either (see `flatmin_core::bp::FbpParams::new`), and it
    /// costs only the failures.
    #[arg(long, value_enum, default_value_t = Fallback::from(SolveOpts::default().fallback), value_name = "NAME")]
    pub fallback: Fallback,
    /// fBP: test for a solution only at the end of each protocol step (as the paper's code does), not after every
    /// sweep (the test costs < 1% of a sweep and saves ≈ 6% of the sweeps at α = 0.7).
    #[arg(long)]
    pub no_sweep_check: bool,
    /// fBP: give up after this many consecutive steps whose BP residual max|Δ tanh| is ≥ 1.5, i.e.
    /// whose messages flip between opposite polarized states; no such run was seen to recover, and
    /// finishing the protocol costs a failure ≈ 1000 more sweeps. 0 runs the whole protocol. RBP
    /// stops after 10 consecutive sweeps with residual ≥ 1.5 unless this is 0. Committees (K ≥ 3)
    /// with fewer than 1000 weights wait ⌈N·√(1000/(K·n))⌉ steps (small machines recover later).
    #[arg(long, default_value_t = SolveOpts::default().runaway_steps, value_name = "N")]
    pub runaway_steps: usize,
    /// RBP: step dr of the reinforcement y_t = 1/(1 − t·dr), one sweep per step.
    #[arg(long, default_value_t = SolveOpts::default().rbp_dr, value_name = "DR")]
    pub dr: f64,
    /// SBPI / CP+R: presentation sweeps before giving up (at most 10^7).
    #[arg(long, default_value_t = SolveOpts::default().max_sweeps, value_name = "N")]
    pub max_sweeps: usize,
    /// SBPI: probability of the metaplastic rule on barely correct patterns.
    #[arg(long, default_value_t = SolveOpts::default().p_s, value_name = "P")]
    pub ps: f64,
    /// CP+R: probability of the unsupervised reinforcement per presentation that is neither an
    /// error nor barely correct (must be small) [default: 0.51·α³/√N, 0.006 at N = 1001, α = 0.72].
    #[arg(long, value_name = "P")]
    pub cpr_ps: Option<f64>,
    /// Annealing: sweeps of N proposals (β from 0.5 to 10, geometric; at most 10^7).
    #[arg(long, default_value_t = SolveOpts::default().sa_sweeps, value_name = "N")]
    pub sa_sweeps: usize,
}

impl SolverFlags {
    fn opts(&self, algo: Algo) -> anyhow::Result<SolveOpts> {
        if !(0.0..=1.0).contains(&self.ps) || self.cpr_ps.is_some_and(|p| !(0.0..=1.0).contains(&p))
        {
            return Err(input_error("--ps and --cpr-ps must be in [0, 1]"));
        }
        for (flag, v, max) in [
            ("--step-sweeps", self.step_sweeps, 100_000),
            ("--max-sweeps", self.max_sweeps, 10_000_000),
            ("--sa-sweeps", self.sa_sweeps, 10_000_000),
        ] {
            if v > max {
                return Err(input_error(format!("{flag} {v}: at most {max}")));
            }
        }
        Ok(SolveOpts {
            algo,
            protocol: self.protocol,
            max_sweeps_per_step: self.step_sweeps,
            full_protocol: self.full_protocol,
            sweep_check: !self.no_sweep_check,
            fallback: self.fallback.protocol(),
            runaway_steps: self.runaway_steps,
            rbp_dr: self.dr,
            max_sweeps: self.max_sweeps,
            p_s: self.ps,
            cpr_p_s: self.cpr_ps,
            sa_sweeps: self.sa_sweeps,
        })
    }
}

/// Arguments of `solve`.
#[derive(Debug, Clone, Args)]
pub struct SolveArgs {
    /// Instance file (text format of ALGORITHMS §a.4); omit to generate one with --n --alpha --seed.
    #[arg(required_unless_present = "alpha", conflicts_with_all = ["n", "alpha"])]
    pub file: Option<PathBuf>,
    /// N of a generated random instance, 1 ≤ N ≤ 16777216 (N·P ≤ 2^34).
    #[arg(long, default_value_t = 1001, value_name = "N")]
    pub n: usize,
    /// α > 0 of a generated random instance (P = ⌊αN + ½⌋ ≥ 1).
    #[arg(long, value_name = "A")]
    pub alpha: Option<f64>,
    /// Seed of the generated instance and of the solver.
    #[arg(long, default_value_t = 0, value_name = "S", value_parser = super::instance::parse_seed)]
    pub seed: u64,
    /// Algorithm.
    #[arg(long, value_enum, default_value_t = Algo::Fbp, value_name = "ALGO")]
    pub algo: Algo,
    /// Margin κ (default: the file's, or 0).
    #[arg(long, value_name = "K")]
    pub kappa: Option<f64>,
    /// Solver options.
    #[command(flatten)]
    pub flags: SolverFlags,
}

/// Arguments of `capacity`.
#[derive(Debug, Clone, Args)]
pub struct CapacityArgs {
    /// Algorithms, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "fbp",
        value_name = "ALGO,…"
    )]
    pub algo: Vec<Algo>,
    /// N, inputs per pattern (odd for κ = 0), 1 ≤ N ≤ 100000.
    #[arg(long, default_value_t = 1001, value_name = "N")]
    pub n: usize,
    /// Committee machine with K hidden units (odd, 1 ≤ K ≤ 255; 1 = perceptron); α is then
    /// P/(K·N) (fully connected) or P/N (--tree).
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub k: usize,
    /// Tree committee (each hidden unit sees its own N/K inputs; K must divide N).
    #[arg(long)]
    pub tree: bool,
    /// α values, comma-separated.
    #[arg(long, value_delimiter = ',', required = true, value_name = "A,…")]
    pub alphas: Vec<f64>,
    /// Instances per (algorithm, α).
    #[arg(long, default_value_t = 10, value_name = "M")]
    pub samples: usize,
    /// Margin κ.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "K",
        allow_negative_numbers = true
    )]
    pub kappa: f64,
    /// Base seed (the instance of sample s at α is shared by every algorithm).
    #[arg(long, default_value_t = 0, value_name = "S", value_parser = super::instance::parse_seed)]
    pub seed: u64,
    /// Output directory (data.csv, success.csv, meta.json, capacity.svg); a rerun resumes.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace a result flatmin wrote in DIR with other parameters.
    #[arg(long)]
    pub force: bool,
    /// Solver options.
    #[command(flatten)]
    pub flags: SolverFlags,
}

/// Runs a command of this family.
pub fn run(cmd: Cmd, g: &Global) -> anyhow::Result<()> {
    match cmd {
        Cmd::Solve(a) => solve(a, g),
        Cmd::Capacity(a) => capacity(a, g),
    }
}

/// Output of `solve --json`.
#[derive(Serialize)]
struct SolveJson {
    algo: &'static str,
    n: usize,
    p: usize,
    kappa: f64,
    k: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    tree: Option<bool>,
    seed: u64,
    solved: bool,
    errors: usize,
    margin: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    margin_reason: Option<&'static str>,
    weights: serde_json::Value,
    sweeps: usize,
    seconds: f64,
}

fn solve(a: SolveArgs, g: &Global) -> anyhow::Result<()> {
    let algo = a.algo;
    let opts = a.flags.opts(algo)?;
    if let Some(k) = a.kappa {
        if !k.is_finite() {
            return Err(input_error(format!("--kappa {k}: must be finite")));
        }
    }
    let file = match (&a.file, a.alpha) {
        (Some(path), _) => InstanceFile::read(path)?,
        (None, Some(alpha)) => {
            if !(alpha.is_finite() && alpha > 0.0) {
                return Err(input_error(format!(
                    "--alpha {alpha}: the load α = P/N (patterns per weight) must be a finite number > 0"
                )));
            }
            if a.n == 0 || a.n > super::instance::MAX_GEN_N {
                return Err(input_error(format!(
                    "--n {}: N must be in 1..={}",
                    a.n,
                    super::instance::MAX_GEN_N
                )));
            }
            InstanceFile::generate(a.n, alpha, a.kappa.unwrap_or(0.0), false, a.seed)?
        }
        (None, None) => {
            return Err(input_error(
                "give an instance FILE or --alpha (with --n, --seed)",
            ))
        }
    };
    if let Some(c) = file.committee {
        if !algo.handles_committees() {
            return Err(algo.committee_error(c.k).into());
        }
    }
    let r = cap::solve_file(&file, a.kappa, &opts, a.seed)?;
    let committee = file.committee;
    let j = SolveJson {
        algo: algo.name(),
        n: file.n,
        p: file.p,
        kappa: a.kappa.unwrap_or(file.kappa),
        k: file.k(),
        tree: committee.map(|c| c.arch == Architecture::Tree),
        seed: a.seed,
        solved: r.solved,
        errors: r.errors,
        margin: r.margin,
        margin_reason: r
            .margin
            .is_none()
            .then_some("no patterns (P = 0): the minimum is empty"),
        weights: if committee.is_some() {
            r.weights.lines().collect::<Vec<_>>().into()
        } else {
            r.weights.clone().into()
        },
        sweeps: r.sweeps,
        seconds: r.seconds,
    };
    if g.json {
        print_json(&j)
    } else {
        print_line(&format!(
            "{}{}: solved = {}  errors = {}  margin = {}  sweeps = {}  seconds = {:.3}",
            algo.name(),
            committee.map_or(String::new(), |c| format!(
                " (committee K = {}, {})",
                c.k,
                c.arch_name()
            )),
            j.solved,
            j.errors,
            j.margin.map_or("-".into(), |m| format!("{m:.6}")),
            j.sweeps,
            j.seconds
        ))?;
        print_line(&r.weights)
    }
}

fn capacity(a: CapacityArgs, g: &Global) -> anyhow::Result<()> {
    let study = Capacity {
        name: "capacity".into(),
        params: CapacityParams {
            algos: a.algo.clone(),
            n: a.n,
            alphas: a.alphas.clone(),
            samples: a.samples,
            kappa: a.kappa,
            opts: a.flags.opts(Algo::Fbp)?,
            k: a.k,
            tree: a.tree,
        },
    };
    study.params.validate()?;
    let out = run_study(g, &study, a.out.clone(), a.seed, a.force)?;
    if out.is_shard() {
        return print_line(&shard_line(&out, &a.out));
    }
    let points = success_table(&study.params, &out.table)?;
    if g.json {
        print_json(&success_columns(&points))
    } else {
        print_line("algo  alpha   success  solved/samples  mean_error_fraction  mean_seconds")?;
        for p in &points {
            print_line(&format!(
                "{:<5} {:<7} {:<8.3} {:>3}/{:<11} {:<20.5} {:.3}",
                p.algo.name(),
                p.alpha,
                p.success,
                p.solved,
                p.samples,
                p.mean_error_fraction,
                p.mean_seconds
            ))?;
        }
        print_line(&format!("wrote {}", out.dir.display()))
    }
}
