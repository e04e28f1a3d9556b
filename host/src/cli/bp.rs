//! `bp`, `local-entropy`, `profile`: belief propagation with margin and reference field, Bethe and local
//! entropy, and the paper's local-entropy profiles around focusing-BP solutions (ALGORITHMS §b–c).

use super::study::{run_opts, run_study, Bars};
use super::{input_error, print_json, print_line, Global};
use clap::{Args, Subcommand, ValueEnum};
use flatmin_core::bits::Spins;
use flatmin_core::bp::{run_bp, BpParams, BpWorkspace, FactorKind};
use flatmin_host::experiments::profile::{self as pr, Profile, ProfileParams, DEFAULT_LAMBDAS};
use flatmin_host::experiments::solver::ProtocolName;
use flatmin_host::harness::runner;
use flatmin_host::io::{InstanceFile, Problem};
use serde::Serialize;
use std::path::PathBuf;

/// Commands of this family.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Belief propagation on an instance file (ALGORITHMS §b): P(w) ∝ e^{λ w̃·w} Π_μ 1[s_μ ≥ T(κ)].
    ///
    /// Runs BP from random messages (seeded), sequential random schedule, then one retry with damping
    /// 0.5 if it does not converge, and evaluates the Bethe free entropy at the fixed point.
    /// JSON: {"phi","q","d","s","converged","sweeps","contradiction","m":[…]}: φ = Φ_Bethe/N,
    /// q = overlap with the reference (null without --ref, with "q_reason"), d = (1−q)/2,
    /// s = φ − λq, m = marginal magnetizations. "contradiction": the fixed point has a factor with
    /// ln Z_μ ≈ −∞ (s is then meaningless).
    #[command(allow_negative_numbers = true)]
    Bp(BpArgs),
    /// Local-entropy profile around a reference (ALGORITHMS §b.7): BP with field λ·w̃ along a λ schedule,
    /// each λ warm-started from the previous one.
    ///
    /// JSON: columns {"lambda":[…],"d":[…],"s":[…],"converged":[…]} (s is null at a contradictory
    /// fixed point, with "s_reason"). With --out DIR also writes DIR/{data.csv, meta.json,
    /// local-entropy.svg} (S(d) against H₂(d)).
    LocalEntropy(LocalEntropyArgs),
    /// The paper's numerical validation (SM II.3, ALGORITHMS §b.7–b.8): random instances, a reference
    /// solution on each from focusing BP, BP local-entropy profiles around it; mean ± std of d and S at
    /// each λ over the samples. Writes DIR/{data.csv (one row per sample and λ), profile.csv,
    /// meta.json, profile.svg}.
    ///
    /// JSON: columns {"lambda":[…],"d_mean":[…],"d_std":[…],"s_mean":[…],"s_std":[…],"samples":[…]};
    /// a mean over no sample is null with "<key>_reason".
    Profile(ProfileArgs),
}

/// Factor update.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FactorArg {
    /// Central-limit update, O(N) per factor (§b.4): for large N.
    Gauss,
    /// Exact update, O(N²) per factor (§b.3): for small N (tests, N ≲ 100).
    Exact,
}

impl FactorArg {
    fn kind(self) -> FactorKind {
        match self {
            FactorArg::Gauss => FactorKind::Gaussian,
            FactorArg::Exact => FactorKind::Exact,
        }
    }
}

/// Options shared by `bp` and `local-entropy`.
#[derive(Debug, Clone, Args)]
pub struct BpCommon {
    /// Instance file (text format of ALGORITHMS §a.4).
    pub file: PathBuf,
    /// Reference configuration: the K-th reference line of the file (1-based: R1, R2, …).
    #[arg(long = "ref", value_name = "K")]
    pub reference: Option<usize>,
    /// Factor update: gauss (default for N > 100) or exact (default for N ≤ 100).
    #[arg(long, value_enum)]
    pub factor: Option<FactorArg>,
    /// Margin κ (default: the file's).
    #[arg(long, value_name = "K")]
    pub kappa: Option<f64>,
    /// Seed of the initial messages and of the schedule.
    #[arg(long, default_value_t = 0, value_name = "S", value_parser = super::instance::parse_seed)]
    pub seed: u64,
    /// Convergence threshold on max |Δ tanh g| per sweep.
    #[arg(long, default_value_t = 1e-10, value_name = "EPS")]
    pub tol: f64,
    /// Sweeps before the damped retry (and again for the retry), 1 to 10^6.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub max_sweeps: usize,
    /// Damping ρ of the first attempt (g ← (1−ρ) g_new + ρ g_old).
    #[arg(long, default_value_t = 0.0, value_name = "RHO")]
    pub damping: f64,
}

/// Arguments of `bp`.
#[derive(Debug, Clone, Args)]
pub struct BpArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: BpCommon,
    /// Coupling λ ≥ 0 to the reference (needs --ref when > 0).
    #[arg(long, default_value_t = 0.0, value_name = "L")]
    pub lambda: f64,
}

/// Arguments of `local-entropy`.
#[derive(Debug, Clone, Args)]
pub struct LocalEntropyArgs {
    /// Shared options (--ref is required).
    #[command(flatten)]
    pub common: BpCommon,
    /// λ schedule, comma-separated, run in this order with warm starts (default: 10,5,4,3,…,0.05,0).
    #[arg(long, value_delimiter = ',', value_name = "L,…")]
    pub lambdas: Option<Vec<f64>>,
    /// Also write data.csv + meta.json + local-entropy.svg into DIR.
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace a result flatmin wrote in DIR with other parameters.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// Arguments of `profile`.
#[derive(Debug, Clone, Args)]
pub struct ProfileArgs {
    /// N (odd for κ = 0).
    #[arg(long, default_value_t = 1001, value_name = "N")]
    pub n: usize,
    /// α = P/N.
    #[arg(long, value_name = "A")]
    pub alpha: f64,
    /// Margin κ.
    #[arg(long, default_value_t = 0.0, value_name = "K")]
    pub kappa: f64,
    /// Samples (the paper used 10).
    #[arg(long, default_value_t = 10, value_name = "M")]
    pub samples: usize,
    /// Base seed (sample i uses derive_seed(seed, i)).
    #[arg(long, default_value_t = 0, value_name = "S", value_parser = super::instance::parse_seed)]
    pub seed: u64,
    /// λ schedule, comma-separated, warm-started in order.
    #[arg(long, value_delimiter = ',', value_name = "L,…")]
    pub lambdas: Option<Vec<f64>>,
    /// fBP protocol of the references: paper (§c.4 reconstruction), reinforcement, scoping, pseudo.
    #[arg(long, value_enum, default_value_t = flatmin_host::experiments::solver::SolveOpts::default().protocol, value_name = "NAME")]
    pub protocol: ProtocolName,
    /// Run the whole fBP protocol (as SM II.3 did) instead of stopping at the first solution.
    #[arg(long)]
    pub full_protocol: bool,
    /// BP convergence threshold.
    #[arg(long, default_value_t = 1e-8, value_name = "EPS")]
    pub tol: f64,
    /// Output directory (data.csv with one row per sample and λ, profile.csv, meta.json,
    /// profile.svg); a rerun resumes.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace a result flatmin wrote in DIR with other parameters.
    #[arg(long)]
    pub force: bool,
}

/// Runs a command of this family.
pub fn run(cmd: Cmd, g: &Global) -> anyhow::Result<()> {
    match cmd {
        Cmd::Bp(a) => bp(a, g),
        Cmd::LocalEntropy(a) => local_entropy(a, g),
        Cmd::Profile(a) => profile(a, g),
    }
}

struct Loaded {
    problem: Problem,
    reference: Option<Vec<u64>>,
    params: BpParams<f64>,
}

fn load(c: &BpCommon, lambda: f64) -> anyhow::Result<Loaded> {
    if let Some(k) = c.kappa {
        if !k.is_finite() {
            return Err(input_error("--kappa must be finite"));
        }
    }
    if !(1..=1_000_000).contains(&c.max_sweeps) {
        return Err(input_error(format!(
            "--max-sweeps {}: must be between 1 and 1000000",
            c.max_sweeps
        )));
    }
    let file = InstanceFile::read(&c.file)?;
    let problem = Problem::from_file(&file, c.kappa)?;
    let reference = match c.reference {
        Some(k) => Some(file.reference(k)?.words().to_vec()),
        None => None,
    };
    let factor = c.factor.map(FactorArg::kind).unwrap_or(if file.n <= 100 {
        FactorKind::Exact
    } else {
        FactorKind::Gaussian
    });
    let params = BpParams {
        factor,
        lambda,
        tol: c.tol,
        max_sweeps: c.max_sweeps,
        damping: c.damping,
        ..BpParams::default()
    };
    params
        .validate()
        .map_err(|e| input_error(format!("bad BP parameters: {e}")))?;
    Ok(Loaded {
        problem,
        reference,
        params,
    })
}

/// Output of `bp --json`.
#[derive(Serialize)]
struct BpJson {
    phi: f64,
    q: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    q_reason: Option<&'static str>,
    d: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    d_reason: Option<&'static str>,
    s: f64,
    converged: bool,
    sweeps: usize,
    contradiction: bool,
    m: Vec<f64>,
}

fn bp(a: BpArgs, g: &Global) -> anyhow::Result<()> {
    if a.lambda > 0.0 && a.common.reference.is_none() {
        return Err(input_error("--lambda > 0 needs a reference (--ref K)"));
    }
    let l = load(&a.common, a.lambda)?;
    let inst = l.problem.instance()?;
    let (n, p) = (inst.n(), inst.p());
    let mut reals = vec![0.0f64; BpWorkspace::<f64>::required_reals(n, p, l.params.factor)];
    let mut perm = vec![0u32; BpWorkspace::<f64>::required_perm(n, p)];
    let mut ws = BpWorkspace::new(n, p, l.params.factor, &mut reals, &mut perm)?;
    let r = match &l.reference {
        Some(w) => Some(Spins::new(n, w)?),
        None => None,
    };
    let out = run_bp(&inst, &mut ws, &l.params, r.as_ref(), a.common.seed)?;
    let mut m = vec![0.0; n];
    ws.magnetizations(&mut m)?;
    let b = out.bethe;
    let fin = |x: f64| x.is_finite().then_some(x);
    let no_ref = "no reference (--ref K): the overlap is undefined";
    let j = BpJson {
        phi: b.phi,
        q: fin(b.q),
        q_reason: fin(b.q).is_none().then_some(no_ref),
        d: fin(b.d),
        d_reason: fin(b.d).is_none().then_some(no_ref),
        s: b.s,
        converged: out.convergence.converged,
        sweeps: out.convergence.sweeps,
        contradiction: b.contradiction,
        m,
    };
    if g.json {
        print_json(&j)
    } else {
        print_line(&format!(
            "phi = {:.8}  q = {}  d = {}  s = {:.8}  converged = {} ({} sweeps{})  contradiction = {}",
            j.phi,
            j.q.map_or("-".into(), |x| format!("{x:.8}")),
            j.d.map_or("-".into(), |x| format!("{x:.8}")),
            j.s,
            j.converged,
            j.sweeps,
            if out.convergence.damped_retry { ", damped retry" } else { "" },
            j.contradiction
        ))
    }
}

/// One point of `local-entropy` (text output).
struct LeJson {
    lambda: f64,
    d: f64,
    s: Option<f64>,
    converged: bool,
}

/// `local-entropy --json`: a range of λ, so columns (README "Output conventions" 2); `s` is null at a
/// contradictory fixed point, with the reason in `s_reason` (present only when some `s` is null).
#[derive(Serialize)]
struct LeColumns {
    lambda: Vec<f64>,
    d: Vec<f64>,
    s: Vec<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    s_reason: Option<Vec<Option<&'static str>>>,
    converged: Vec<bool>,
}

impl LeColumns {
    fn new(points: &[LeJson]) -> Self {
        let reasons: Vec<Option<&'static str>> = points
            .iter()
            .map(|p| p.s.is_none().then_some("contradictory BP fixed point"))
            .collect();
        LeColumns {
            lambda: points.iter().map(|p| p.lambda).collect(),
            d: points.iter().map(|p| p.d).collect(),
            s: points.iter().map(|p| p.s).collect(),
            s_reason: reasons.iter().any(Option::is_some).then_some(reasons),
            converged: points.iter().map(|p| p.converged).collect(),
        }
    }
}

fn check_lambdas(ls: &[f64]) -> anyhow::Result<()> {
    if ls.is_empty() || ls.iter().any(|l| !(l.is_finite() && *l >= 0.0)) {
        return Err(input_error(
            "--lambdas must be a non-empty list of finite values >= 0",
        ));
    }
    Ok(())
}

fn local_entropy(a: LocalEntropyArgs, g: &Global) -> anyhow::Result<()> {
    let Some(k) = a.common.reference else {
        return Err(input_error("local-entropy needs a reference (--ref K)"));
    };
    let lambdas = a
        .lambdas
        .clone()
        .unwrap_or_else(|| DEFAULT_LAMBDAS.to_vec());
    check_lambdas(&lambdas)?;
    let l = load(&a.common, 0.0)?;
    let inst = l.problem.instance()?;
    let w = l
        .reference
        .as_ref()
        .ok_or_else(|| input_error("missing reference"))?;
    let r = Spins::new(inst.n(), w)?;
    let points = pr::local_entropy(&inst, &r, &lambdas, &l.params, a.common.seed)?;
    if let Some(dir) = &a.out {
        let study = pr::LocalEntropy {
            params: serde_json::json!({
                "file": a.common.file,
                "ref": k,
                "kappa": inst.threshold.kappa,
                "factor": format!("{:?}", l.params.factor).to_lowercase(),
                "seed": a.common.seed,
                "tol": a.common.tol,
                "max_sweeps": a.common.max_sweeps,
                "damping": a.common.damping,
                "lambdas": lambdas,
            }),
            problem: l.problem.clone(),
            reference: w.clone(),
            lambdas: lambdas.clone(),
            bp: l.params,
            seed: a.common.seed,
        };
        let bars = Bars::new(g.quiet);
        let mut o = run_opts(g, dir.clone(), a.common.seed, false, a.force, &bars)?;
        o.shard = None;
        runner::run(&study, &o)?;
    }
    let js: Vec<LeJson> = points
        .iter()
        .map(|p| LeJson {
            lambda: p.lambda,
            d: p.d,
            s: (!p.contradiction).then_some(p.s),
            converged: p.converged,
        })
        .collect();
    if g.json {
        print_json(&LeColumns::new(&js))
    } else {
        print_line("lambda        d             s             converged")?;
        for p in &js {
            print_line(&format!(
                "{:<13} {:<13.6e} {:<13} {}",
                p.lambda,
                p.d,
                p.s.map_or("contradiction".into(), |s| format!("{s:.6e}")),
                p.converged
            ))?;
        }
        Ok(())
    }
}

fn profile(a: ProfileArgs, g: &Global) -> anyhow::Result<()> {
    let lambdas = a
        .lambdas
        .clone()
        .unwrap_or_else(|| DEFAULT_LAMBDAS.to_vec());
    check_lambdas(&lambdas)?;
    let study = Profile {
        name: "profile".into(),
        params: ProfileParams {
            n: a.n,
            alpha: a.alpha,
            kappa: a.kappa,
            samples: a.samples,
            lambdas,
            protocol: a.protocol,
            full_protocol: a.full_protocol,
            tol: a.tol,
        },
    };
    study.params.validate()?;
    let out = run_study(g, &study, a.out.clone(), a.seed, a.force)?;
    if out.is_shard() {
        return print_line(&format!(
            "wrote shard {}: {} computed now; join with `flatmin merge {}`",
            out.dir.display(),
            out.computed,
            a.out.display()
        ));
    }
    let (rows, _, _) = pr::profile_rows(&study.params, &out.table)?;
    if g.json {
        print_json(&profile_columns(&rows))
    } else {
        print_line("lambda   d_mean       d_std        s_mean       s_std        samples")?;
        for r in &rows {
            print_line(&format!(
                "{:<8} {:<12.5e} {:<12.5e} {:<12.5e} {:<12.5e} {}",
                r.lambda, r.d_mean, r.d_std, r.s_mean, r.s_std, r.samples
            ))?;
        }
        print_line(&format!("wrote {}", out.dir.display()))
    }
}

/// `profile --json`: one column per key over the λ schedule (README "Output conventions" 2). A mean
/// or std over no sample does not exist: null, with the reason in `<key>_reason` (that column is
/// present only when some value is null).
fn profile_columns(rows: &[pr::ProfileRow]) -> serde_json::Value {
    let reason = |r: &pr::ProfileRow, x: f64| -> serde_json::Value {
        if x.is_finite() {
            serde_json::Value::Null
        } else if r.samples == 0 {
            "no sample converged without contradiction at this lambda".into()
        } else {
            "not a finite number".into()
        }
    };
    let mut rows_v = Vec::with_capacity(rows.len());
    for r in rows {
        let mut v = serde_json::json!({"lambda": r.lambda, "samples": r.samples});
        for (k, x) in [
            ("d_mean", r.d_mean),
            ("d_std", r.d_std),
            ("s_mean", r.s_mean),
            ("s_std", r.s_std),
        ] {
            v[k] = if x.is_finite() {
                x.into()
            } else {
                serde_json::Value::Null
            };
            v[format!("{k}_reason")] = reason(r, x);
        }
        rows_v.push(v);
    }
    let mut cols = flatmin_host::theory_json::columnar(&rows_v);
    if let serde_json::Value::Object(m) = &mut cols {
        m.retain(|k, col| {
            !(k.ends_with("_reason")
                && matches!(col, serde_json::Value::Array(a) if a.iter().all(serde_json::Value::is_null)))
        });
    }
    cols
}
