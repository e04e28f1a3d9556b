//! `flatmin theory committee …`, `flatmin theory fp-1rsb`, `flatmin theory sbp …`: the extensions of the
//! replica theory (THEORY §S4 1RSB check, §S5 tree committee machine, §S6 symmetric binary perceptron).

use super::theory_perceptron::{check_alpha, columnar, parse_d_range, scan_err, set_missing, warn};
use super::{input_error, print_json, print_line, Global};
use clap::{Args, Subcommand, ValueEnum};
use flatmin_core::roots::SolveOptions;
use flatmin_core::theory::committee::{self, Activation};
use flatmin_core::theory::franz_parisi::{FpError, FpQuadratureFast};
use flatmin_core::theory::one_rsb::{self, FastQuad, OneRsbError, Problem};
use flatmin_core::theory::rs::RsError;
use flatmin_core::theory::sbp::{self, Sbp, SbpError};
use flatmin_host::experiments::theory_reasons::{
    no_committee_rs_reason, no_fp_reason, KAPPA_MAX_RANGE,
};
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

fn rs_err(e: RsError) -> anyhow::Error {
    match e {
        RsError::InvalidParameter(w) => input_error(format!("invalid parameter: {w}")),
        other => anyhow::Error::new(flatmin_host::Error::Numerics(other.to_string())),
    }
}

fn fp_err(e: FpError) -> anyhow::Error {
    match e {
        FpError::InvalidParameter(w) => input_error(format!("invalid parameter: {w}")),
        FpError::Reference(r) => rs_err(r),
        FpError::Equilibrium {
            error: RsError::InvalidParameter(_),
            ..
        } => input_error(e.to_string()),
        other => anyhow::Error::new(flatmin_host::Error::Numerics(other.to_string())),
    }
}

fn one_rsb_err(e: OneRsbError) -> anyhow::Error {
    match e {
        OneRsbError::Shape(s) => input_error(s.to_string()),
        OneRsbError::Reference(r) => rs_err(r),
        other => anyhow::Error::new(flatmin_host::Error::Numerics(other.to_string())),
    }
}

/// The largest tuple size `sbp tuples --y` accepts (the cost grows linearly in y).
pub const MAX_Y: u32 = 10_000;

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
            check_alpha(a.alpha)?;
            let act: Activation = a.act.into();
            let r = match committee::rs(&quad.rs, act, a.alpha, a.kappa) {
                Ok(r) => r,
                Err(e) if e.does_not_exist() => {
                    let mut v = json!({"act": act_name(act), "alpha": a.alpha, "kappa": a.kappa});
                    set_missing(
                        &mut v,
                        &["s", "q", "qhat"],
                        &no_committee_rs_reason(a.alpha, &e),
                    );
                    return emit(g, v);
                }
                Err(e) => return Err(rs_err(e)),
            };
            let mut v = json!({"act": act_name(act), "alpha": a.alpha, "kappa": a.kappa, "s": r.s, "q": r.q, "qhat": r.qhat});
            if r.s < 0.0 {
                warn(
                    &mut v,
                    format!(
                        "the RS entropy s = {:.6} is negative at alpha = {}, kappa = {}: above the capacity, typical instances have no solution and this RS saddle point is outside the physical region",
                        r.s, a.alpha, a.kappa
                    ),
                );
            }
            emit(g, v)
        }
        CommitteeCmd::KappaMax(a) => {
            check_alpha(a.alpha)?;
            let act: Activation = a.act.into();
            let k = committee::kappa_max(&quad.rs, act, a.alpha).map_err(|e| {
                scan_err(e, "--alpha", a.alpha, "kappa_max(alpha)", KAPPA_MAX_RANGE)
            })?;
            emit(
                g,
                json!({"act": act_name(act), "alpha": a.alpha, "kappa_max": k}),
            )
        }
        CommitteeCmd::Fp(a) => {
            check_alpha(a.alpha)?;
            let ds = match (&a.d, &a.d_range) {
                (Some(d), None) => vec![*d],
                (None, Some(r)) => parse_d_range(r)?,
                _ => return Err(input_error("give exactly one of --d and --d-range")),
            };
            if let Some(bad) = ds.iter().find(|d| !(**d > 0.0 && **d < 1.0)) {
                return Err(input_error(format!("distance {bad} is outside (0, 1)")));
            }
            let mut out = vec![Err(FpError::NotComputed); ds.len()];
            let solved = committee::fp_problem(&quad, a.act.into(), a.alpha, a.kappa_ref, a.kappa)
                .and_then(|prob| committee::fp_curve(&quad, &prob, &ds, &mut out));
            match solved {
                Ok(_) => {}
                // No RS reference or equilibrium: every point is null with the reason (output
                // conventions §3), exit 0.
                Err(e) if e.does_not_exist() => out.fill(Err(e)),
                Err(e) => return Err(fp_err(e)),
            }
            let rows: Vec<serde_json::Value> = ds
                .iter()
                .zip(&out)
                .map(|(d, r)| match r {
                    Ok(s) => json!({"d": d, "s_fp": s.phi, "s_fp_reason": null}),
                    Err(e) if e.does_not_exist() => {
                        json!({"d": d, "s_fp": null, "s_fp_reason": no_fp_reason(e)})
                    }
                    Err(e) => json!({"d": d, "s_fp": null, "s_fp_reason": e.to_string()}),
                })
                .collect();
            if a.d.is_some() {
                emit(
                    g,
                    rows.into_iter().next().unwrap_or(serde_json::Value::Null),
                )
            } else if g.json {
                print_json(&columnar(&rows))
            } else {
                for r in rows {
                    emit(g, r)?;
                }
                Ok(())
            }
        }
    }
}

fn act_name(a: Activation) -> &'static str {
    match a {
        Activation::Sign => "sign",
        Activation::Relu => "relu",
    }
}

fn run_fp_1rsb(a: Fp1rsbArgs, g: &Global) -> anyhow::Result<()> {
    if a.m.len() * a.delta.len() > one_rsb::MAX_STARTS {
        return Err(input_error(format!(
            "at most {} starts (|m| x |delta|)",
            one_rsb::MAX_STARTS
        )));
    }
    if a.tol.is_nan() || a.tol <= 0.0 {
        return Err(input_error("--tol must be > 0"));
    }
    if !(1..=100_000).contains(&a.max_iter) {
        return Err(input_error(format!(
            "--max-iter {}: must be between 1 and 100000",
            a.max_iter
        )));
    }
    let quad = FastQuad::new();
    let opts = SolveOptions {
        tol: a.tol,
        max_iter: a.max_iter,
        ..Default::default()
    };
    let checked = Problem::new(a.alpha, a.kappa_ref, a.kappa, a.d)
        .and_then(|pb| one_rsb::check(&quad, &pb, &a.m, &a.delta, &opts));
    let v = match checked {
        Ok(v) => v,
        Err(e) if e.does_not_exist() => {
            // No RS point to check (output conventions §3): null plus the reason, exit 0.
            let reason = no_fp_reason(&e);
            let mut value = json!({"alpha": a.alpha, "kappa_ref": a.kappa_ref, "kappa": a.kappa,
                                   "d": a.d, "starts": []});
            set_missing(&mut value, &["rs"], &reason);
            set_missing(&mut value, &["reduction_error"], &reason);
            set_missing(&mut value, &["non_rs_found"], &reason);
            set_missing(&mut value, &["verdict"], &reason);
            return if g.json {
                print_json(&value)
            } else {
                print_line(&format!("verdict: null ({reason})"))
            };
        }
        Err(e) => return Err(one_rsb_err(e)),
    };
    let num = |x: f64| {
        if x.is_finite() {
            json!(x)
        } else {
            serde_json::Value::Null
        }
    };
    let starts: Vec<serde_json::Value> = v.starts[..v.n_starts]
        .iter()
        .map(|s| {
            json!({
                "m": s.m, "start": s.start, "end": s.end, "converged": s.converged,
                "gap": num(s.gap), "phi": num(s.phi), "residual": num(s.residual),
                "evaluations": s.evaluations,
            })
        })
        .collect();
    let p = v.rs.point;
    let verdict = if v.non_rs_found {
        "non-RS solution found"
    } else {
        "no non-RS solution found"
    };
    let value = json!({
        "alpha": a.alpha, "kappa_ref": a.kappa_ref, "kappa": a.kappa, "d": a.d,
        "rs": {"q1": p.q1, "p": p.p, "qhat1": p.qhat1, "phat": p.phat, "shat": p.shat,
               "phi": v.rs.value.phi, "dphi_dd": v.rs.dphi_dd, "residual": v.rs.residual},
        "reduction_error": v.reduction_error,
        "gap_tol": v.gap_tol,
        "starts": starts,
        "non_rs_found": v.non_rs_found,
        "verdict": verdict,
    });
    if g.json {
        print_json(&value)
    } else {
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
        print_line(&format!("verdict: {verdict}"))
    }
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
            let v = sbp::alpha_1m(a.kappa).map_err(sbp_err)?;
            emit(g, json!({"kappa": a.kappa, "alpha_1m": v}))
        }
        SbpCmd::Pairs(a) => {
            let v = s.sigma2(a.d, a.alpha, a.kappa).map_err(sbp_err)?;
            emit(
                g,
                json!({"alpha": a.alpha, "kappa": a.kappa, "d": a.d, "sigma2": v}),
            )
        }
        SbpCmd::AlphaPair(a) => {
            let v = s.alpha_pair(a.d, a.kappa).map_err(sbp_err)?;
            emit(g, json!({"kappa": a.kappa, "d": a.d, "alpha_pair": v}))
        }
        SbpCmd::AlphaGap(a) => {
            let v = s.alpha_gap(a.kappa).map_err(sbp_err)?;
            emit(
                g,
                json!({"kappa": a.kappa, "alpha_gap": v.alpha_gap, "d": v.d}),
            )
        }
        SbpCmd::Tuples(a) => {
            if a.y == 0 || a.y > MAX_Y {
                return Err(input_error(format!(
                    "--y {}: the tuple size must be in 1..={MAX_Y}",
                    a.y
                )));
            }
            let v = s
                .tuple_entropy(a.y, a.alpha, a.kappa, a.d)
                .map_err(sbp_err)?;
            emit(
                g,
                json!({"y": a.y, "alpha": a.alpha, "kappa": a.kappa, "d": a.d, "sigma_y": v}),
            )
        }
    }
}
