//! `flatmin theory committee …`, `flatmin theory fp-1rsb`, `flatmin theory sbp …`: the extensions of the
//! replica theory (THEORY §S4 1RSB check, §S5 tree committee machine, §S6 symmetric binary perceptron).
//!
//! The results (keys, nulls with reasons, warnings) come from [`flatmin_host::theory_json`], the
//! serializer the Python `flatmin.theory` shares; this file holds the flags and the text form.

use super::theory_perceptron::{parse_d_range, print_warning};
use super::{input_error, print_json, print_line, Global};
use clap::{Args, Subcommand, ValueEnum};
use flatmin_core::theory::committee::Activation;
use flatmin_core::theory::franz_parisi::FpQuadratureFast;
use flatmin_core::theory::one_rsb::FastQuad;
use flatmin_core::theory::sbp::Sbp;
use flatmin_host::theory_json::{self as tj, act_name, check_alpha};
use serde_json::json;

/// Commands of this family.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Tree committee machine, K → ∞, binary weights (THEORY §S5): RS entropy, κ_max, Franz–Parisi.
    #[command(subcommand)]
    Committee(CommitteeCmd),
    /// 1RSB check of the Franz–Parisi constrained replicas (THEORY §S4): RS base point, reduction check,
    /// damped 1RSB iteration from non-RS starts, and the verdict (the paper found no non-RS solution).
    /// Takes about 20 s per start in release builds.
    #[command(name = "fp-1rsb", allow_negative_numbers = true)]
    Fp1rsb(Fp1rsbArgs),
    /// Symmetric binary perceptron |W·ξ/√N| ≤ κ (THEORY §S6): annealed capacity, pair and tuple entropies.
    #[command(subcommand)]
    Sbp(SbpCmd),
}

/// Hidden activation of the committee.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ActArg {
    /// φ = sign: k(Q) = (2/π) arcsin Q, Q_eff = 1.
    Sign,
    /// φ = ReLU with ±1 output weights: Q_eff = (π−1)/(2π).
    Relu,
}

impl From<ActArg> for Activation {
    fn from(a: ActArg) -> Self {
        match a {
            ActArg::Sign => Activation::Sign,
            ActArg::Relu => Activation::Relu,
        }
    }
}

/// `flatmin theory committee …`.
#[derive(Debug, Subcommand)]
pub enum CommitteeCmd {
    /// RS saddle point and entropy of κ-margin solutions; a negative entropy (above capacity) is
    /// printed with a warning. JSON: {"act","alpha","kappa","s","q","qhat"} (+ "warning").
    #[command(allow_negative_numbers = true)]
    Rs(CommitteeRsArgs),
    /// Largest margin with non-negative RS entropy (units of the output preactivation Λ).
    /// JSON: {"act","alpha","kappa_max"}.
    #[command(name = "kappa-max", allow_negative_numbers = true)]
    KappaMax(CommitteeKmaxArgs),
    /// Franz–Parisi entropy at distance d from typical κ̃-margin solutions. JSON: {"d","s_fp",
    /// "s_fp_reason"}, scalars for --d, columns (arrays) for --d-range; s_fp is null with a reason
    /// where the RS branch ends.
    #[command(allow_negative_numbers = true)]
    Fp(CommitteeFpArgs),
}

/// Arguments of `committee rs`.
#[derive(Debug, Args)]
pub struct CommitteeRsArgs {
    /// Hidden activation.
    #[arg(long, value_enum)]
    pub act: ActArg,
    /// Patterns per weight α = M/N (> 0).
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Margin κ on the output preactivation Λ.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
    pub kappa: f64,
}

/// Arguments of `committee kappa-max`.
#[derive(Debug, Args)]
pub struct CommitteeKmaxArgs {
    /// Hidden activation.
    #[arg(long, value_enum)]
    pub act: ActArg,
    /// Patterns per weight α = M/N (> 0).
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: f64,
}

/// Arguments of `committee fp`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("dist").required(true).args(["d", "d_range"])))]
pub struct CommitteeFpArgs {
    /// Hidden activation.
    #[arg(long, value_enum)]
    pub act: ActArg,
    /// Patterns per weight α = M/N (> 0).
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Margin κ̃ of the reference solutions (use `committee kappa-max` for max-margin references).
    #[arg(long, allow_negative_numbers = true)]
    pub kappa_ref: f64,
    /// Margin κ of the counted solutions.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
    pub kappa: f64,
    /// One distance d ∈ (0, 1).
    #[arg(long, allow_negative_numbers = true)]
    pub d: Option<f64>,
    /// A linear grid of distances A:B:N (N points from A to B, 1 ≤ N ≤ 2000).
    #[arg(long, value_name = "A:B:N")]
    pub d_range: Option<String>,
}

/// Arguments of `fp-1rsb`.
#[derive(Debug, Args)]
pub struct Fp1rsbArgs {
    /// Patterns per weight α = M/N (> 0).
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Margin κ̃ of the reference solutions.
    #[arg(long, allow_negative_numbers = true)]
    pub kappa_ref: f64,
    /// Margin κ of the counted (constrained) solutions.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
    pub kappa: f64,
    /// Distance d ∈ (0, 1) from the reference.
    #[arg(long, allow_negative_numbers = true)]
    pub d: f64,
    /// Parisi block sizes m to try (comma-separated, each > 0).
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.3, 0.7])]
    pub m: Vec<f64>,
    /// Initial splits δ of the start (q1 + δ, q1 − δ) around the RS overlap (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.05, 0.2])]
    pub delta: Vec<f64>,
    /// Iteration budget of each damped run (damping 0.5), 1 to 100000 (≈ 70 ms per iteration).
    #[arg(long, default_value_t = 300)]
    pub max_iter: u32,
    /// Convergence target on max |T(x) − x|.
    #[arg(long, default_value_t = 1e-9)]
    pub tol: f64,
}

/// `flatmin theory sbp …`.
#[derive(Debug, Subcommand)]
pub enum SbpCmd {
    /// First-moment capacity α_1M(κ) = −ln 2/ln P1(κ) (the SAT/UNSAT threshold). JSON: {"kappa","alpha_1m"}.
    #[command(name = "alpha-1m", allow_negative_numbers = true)]
    Alpha1m(KappaArg),
    /// Pair entropy Σ2(d) = (1/N) ln E #(pairs of solutions at distance d). JSON: {"d","sigma2"}.
    #[command(allow_negative_numbers = true)]
    Pairs(PairsArgs),
    /// α_pair(d, κ): above it pairs at distance d are absent w.h.p. JSON: {"kappa","d","alpha_pair"}.
    #[command(name = "alpha-pair", allow_negative_numbers = true)]
    AlphaPair(KappaDArgs),
    /// α_gap(κ) = min_d α_pair(d, κ) and its minimizer. JSON: {"kappa","alpha_gap","d"}.
    #[command(name = "alpha-gap", allow_negative_numbers = true)]
    AlphaGap(KappaArg),
    /// y-tuple entropy Σ_y(d) at fixed pairwise distance d (annealed).
    /// JSON: {"y","alpha","kappa","d","sigma_y"}.
    #[command(allow_negative_numbers = true)]
    Tuples(TuplesArgs),
}

/// The margin.
#[derive(Debug, Args)]
pub struct KappaArg {
    /// Margin κ of the constraint |Δ| ≤ κ, 0 < κ ≤ 7 (beyond, 1 − P1(κ) < 3·10⁻¹² and the pair
    /// probabilities lose double precision).
    #[arg(long, allow_negative_numbers = true)]
    pub kappa: f64,
}

/// Margin and distance.
#[derive(Debug, Args)]
pub struct KappaDArgs {
    /// Margin κ of the constraint |Δ| ≤ κ, 0 < κ ≤ 7 (beyond, 1 − P1(κ) < 3·10⁻¹² and the pair
    /// probabilities lose double precision).
    #[arg(long, allow_negative_numbers = true)]
    pub kappa: f64,
    /// Normalized Hamming distance d ∈ [0, 1] between the two solutions.
    #[arg(long, allow_negative_numbers = true)]
    pub d: f64,
}

/// Arguments of `sbp pairs`.
#[derive(Debug, Args)]
pub struct PairsArgs {
    /// Constraint density α = M/N ≥ 0.
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Margin κ of the constraint |Δ| ≤ κ, 0 < κ ≤ 7 (beyond, 1 − P1(κ) < 3·10⁻¹² and the pair
    /// probabilities lose double precision).
    #[arg(long, allow_negative_numbers = true)]
    pub kappa: f64,
    /// Normalized Hamming distance d ∈ [0, 1] between the two solutions.
    #[arg(long, allow_negative_numbers = true)]
    pub d: f64,
}

/// Arguments of `sbp tuples`.
#[derive(Debug, Args)]
pub struct TuplesArgs {
    /// Number of solutions in the tuple, 1 ≤ y ≤ 10000 (y = 1: s_ann, y = 2: Σ2).
    #[arg(long)]
    pub y: u32,
    /// Constraint density α = M/N ≥ 0.
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Margin κ of the constraint |Δ| ≤ κ, 0 < κ ≤ 7 (beyond, 1 − P1(κ) < 3·10⁻¹² and the pair
    /// probabilities lose double precision).
    #[arg(long, allow_negative_numbers = true)]
    pub kappa: f64,
    /// Common pairwise normalized Hamming distance d ∈ [0, ½].
    #[arg(long, allow_negative_numbers = true)]
    pub d: f64,
}

fn emit(g: &Global, value: serde_json::Value) -> anyhow::Result<()> {
    if g.json {
        return print_json(&value);
    }
    if let serde_json::Value::Object(map) = &value {
        let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        print_line(&parts.join(", "))
    } else {
        print_line(&value.to_string())
    }
}

/// Runs a command of this family.
pub fn run(cmd: Cmd, g: &Global) -> anyhow::Result<()> {
    match cmd {
        Cmd::Committee(c) => run_committee(c, g),
        Cmd::Fp1rsb(a) => run_fp_1rsb(a, g),
        Cmd::Sbp(c) => run_sbp(c, g),
    }
}

fn run_committee(cmd: CommitteeCmd, g: &Global) -> anyhow::Result<()> {
    let quad = FpQuadratureFast::new();
    match cmd {
        CommitteeCmd::Rs(a) => {
            let v = tj::committee_rs(&quad.rs, a.act.into(), a.alpha, a.kappa)?;
            print_warning(&v);
            emit(g, v)
        }
        CommitteeCmd::KappaMax(a) => {
            let act: Activation = a.act.into();
            let k = tj::committee_kappa_max(&quad.rs, act, a.alpha)?;
            emit(
                g,
                json!({"act": act_name(act), "alpha": a.alpha, "kappa_max": k}),
            )
        }
        CommitteeCmd::Fp(a) => {
            check_alpha("--alpha", a.alpha)?;
            let ds = match (&a.d, &a.d_range) {
                (Some(d), None) => vec![*d],
                (None, Some(r)) => parse_d_range(r)?,
                _ => return Err(input_error("give exactly one of --d and --d-range")),
            };
            tj::check_committee_ds(&ds)?;
            let act: Activation = a.act.into();
            let rows = tj::committee_fp(&quad, act, a.alpha, a.kappa_ref, a.kappa, &ds)?;
            if a.d.is_some() || g.json {
                let single = a.d.is_some();
                let v = tj::committee_fp_json(rows, single, act, a.alpha, a.kappa_ref, a.kappa);
                emit(g, v)
            } else {
                for r in rows {
                    emit(g, r)?;
                }
                Ok(())
            }
        }
    }
}

fn run_fp_1rsb(a: Fp1rsbArgs, g: &Global) -> anyhow::Result<()> {
    tj::check_1rsb(a.m.len(), a.delta.len(), a.max_iter, a.tol)?;
    let quad = FastQuad::new();
    let (value, verdict) = tj::fp_1rsb(
        &quad,
        a.alpha,
        a.kappa_ref,
        a.kappa,
        a.d,
        &a.m,
        &a.delta,
        a.max_iter,
        a.tol,
    )?;
    if g.json {
        return print_json(&value);
    }
    let Some(v) = verdict else {
        // No RS point to check: null plus the reason.
        let reason = value["verdict_reason"].as_str().unwrap_or_default();
        return print_line(&format!("verdict: null ({reason})"));
    };
    let p = v.rs.point;
    print_line(&format!(
        "RS point: phi = {:.10}, dphi/dd = {:.8}, q1 = {:.8}, p = {:.8}",
        v.rs.value.phi, v.rs.dphi_dd, p.q1, p.p
    ))?;
    print_line(&format!(
        "1RSB functional at the RS point (m = 0.5) minus the RS Franz-Parisi solver: {:.2e}",
        v.reduction_error
    ))?;
    for s in &v.starts[..v.n_starts] {
        print_line(&format!(
            "m = {:.2}, start (q1, q0c) = ({:.4}, {:.4}): {} after {} maps, q1 - q0c = {:.3e}",
            s.m,
            s.start[0],
            s.start[1],
            if s.converged {
                "converged"
            } else {
                "NOT converged"
            },
            s.evaluations,
            s.gap
        ))?;
    }
    print_line(&format!("verdict: {}", tj::verdict_text(v.non_rs_found)))
}

fn run_sbp(cmd: SbpCmd, g: &Global) -> anyhow::Result<()> {
    let kappa = match &cmd {
        SbpCmd::Alpha1m(a) | SbpCmd::AlphaGap(a) => a.kappa,
        SbpCmd::Pairs(a) => a.kappa,
        SbpCmd::AlphaPair(a) => a.kappa,
        SbpCmd::Tuples(a) => a.kappa,
    };
    flatmin_host::experiments::committee_sbp::check_sbp_kappa(kappa).map_err(input_error)?;
    let s = Sbp::new();
    match cmd {
        SbpCmd::Alpha1m(a) => {
            let v = tj::sbp_alpha_1m(a.kappa)?;
            emit(g, json!({"kappa": a.kappa, "alpha_1m": v}))
        }
        SbpCmd::Pairs(a) => emit(g, tj::sbp_pairs(&s, a.alpha, a.kappa, a.d)?),
        SbpCmd::AlphaPair(a) => {
            let v = tj::sbp_alpha_pair(&s, a.kappa, a.d)?;
            emit(g, json!({"kappa": a.kappa, "d": a.d, "alpha_pair": v}))
        }
        SbpCmd::AlphaGap(a) => emit(g, tj::sbp_alpha_gap(&s, a.kappa)?),
        SbpCmd::Tuples(a) => emit(g, tj::sbp_tuples(&s, a.y, a.alpha, a.kappa, a.d)?),
    }
}
