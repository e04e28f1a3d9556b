//! `flatmin theory committee …`, `flatmin theory fp-1rsb`, `flatmin theory sbp …`: the extensions of the
//! replica theory (THEORY §S4 1RSB check, §S5 tree committee machine, §S6 symmetric binary perceptron).

use super::{input_error, print_json, print_line, Global};
use clap::{Args, Subcommand};
use flatmin_core::theory::sbp::{self, Sbp, SbpError};
use serde_json::json;

/// Commands of this family.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Symmetric binary perceptron |W·ξ/√N| ≤ κ (THEORY §S6): annealed capacity, pair and tuple entropies.
    #[command(subcommand)]
    Sbp(SbpCmd),
}

/// `flatmin theory sbp …`.
#[derive(Debug, Subcommand)]
pub enum SbpCmd {
    /// First-moment capacity α_1M(κ) = −ln 2/ln P1(κ) (the SAT/UNSAT threshold). JSON: {"kappa","alpha_1m"}.
    #[command(name = "alpha-1m")]
    Alpha1m(KappaArg),
    /// Pair entropy Σ2(d) = (1/N) ln E #(pairs of solutions at distance d). JSON: {"d","sigma2"}.
    Pairs(PairsArgs),
    /// α_pair(d, κ): above it pairs at distance d are absent w.h.p. JSON: {"kappa","d","alpha_pair"}.
    #[command(name = "alpha-pair")]
    AlphaPair(KappaDArgs),
    /// α_gap(κ) = min_d α_pair(d, κ) and its minimizer. JSON: {"kappa","alpha_gap","d"}.
    #[command(name = "alpha-gap")]
    AlphaGap(KappaArg),
    /// y-tuple entropy Σ_y(d) at fixed pairwise distance d (annealed). JSON: {"sigma_y"}.
    Tuples(TuplesArgs),
}

/// The margin.
#[derive(Debug, Args)]
pub struct KappaArg {
    /// Margin κ > 0 of the constraint |Δ| ≤ κ.
    #[arg(long, allow_negative_numbers = true)]
    pub kappa: f64,
}

/// Margin and distance.
#[derive(Debug, Args)]
pub struct KappaDArgs {
    /// Margin κ > 0 of the constraint |Δ| ≤ κ.
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
    /// Margin κ > 0 of the constraint |Δ| ≤ κ.
    #[arg(long, allow_negative_numbers = true)]
    pub kappa: f64,
    /// Normalized Hamming distance d ∈ [0, 1] between the two solutions.
    #[arg(long, allow_negative_numbers = true)]
    pub d: f64,
}

/// Arguments of `sbp tuples`.
#[derive(Debug, Args)]
pub struct TuplesArgs {
    /// Number of solutions y ≥ 1 in the tuple (y = 1: s_ann, y = 2: Σ2).
    #[arg(long)]
    pub y: u32,
    /// Constraint density α = M/N ≥ 0.
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: f64,
    /// Margin κ > 0 of the constraint |Δ| ≤ κ.
    #[arg(long, allow_negative_numbers = true)]
    pub kappa: f64,
    /// Common pairwise normalized Hamming distance d ∈ [0, ½].
    #[arg(long, allow_negative_numbers = true)]
    pub d: f64,
}

fn sbp_err(e: SbpError) -> anyhow::Error {
    match e {
        SbpError::Shape(s) => input_error(s.to_string()),
        other => anyhow::Error::new(flatmin_host::Error::Numerics(other.to_string())),
    }
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
        Cmd::Sbp(c) => run_sbp(c, g),
    }
}

fn run_sbp(cmd: SbpCmd, g: &Global) -> anyhow::Result<()> {
    let s = Sbp::new();
    match cmd {
        SbpCmd::Alpha1m(a) => {
            let v = sbp::alpha_1m(a.kappa).map_err(sbp_err)?;
            emit(g, json!({"kappa": a.kappa, "alpha_1m": v}))
        }
        SbpCmd::Pairs(a) => {
            let v = s.sigma2(a.d, a.alpha, a.kappa).map_err(sbp_err)?;
            emit(g, json!({"d": a.d, "sigma2": v}))
        }
        SbpCmd::AlphaPair(a) => {
            let v = s.alpha_pair(a.d, a.kappa).map_err(sbp_err)?;
            emit(g, json!({"kappa": a.kappa, "d": a.d, "alpha_pair": v}))
        }
        SbpCmd::AlphaGap(a) => {
            let v = s.alpha_gap(a.kappa).map_err(sbp_err)?;
            emit(g, json!({"kappa": a.kappa, "alpha_gap": v.alpha_gap, "d": v.d}))
        }
        SbpCmd::Tuples(a) => {
            let v = s
                .tuple_entropy(a.y, a.alpha, a.kappa, a.d)
                .map_err(sbp_err)?;
            emit(g, json!({"sigma_y": v}))
        }
    }
}
