//! `flatmin theory rs | kappa-max | alpha-c | fp | phases | thresholds`: replica theory of the binary
//! perceptron (THEORY §S2 RS entropy, §S3 Franz–Parisi local entropy, §S3.6 phases and table T3).

//!
//! The results (keys, nulls with reasons, warnings) come from [`flatmin_host::theory_json`], the
//! serializer the Python `flatmin.theory` shares; this file holds the flags and the text form.

use super::{input_error, print_json, print_line, Global};
use flatmin_core::theory::franz_parisi::FpQuadratureFast;
use flatmin_core::theory::rs::RsQuadrature;
use flatmin_host::theory_json::{self, check_alpha, check_finite, Thresholds, MAX_GRID_POINTS};
use serde_json::{json, Value};

/// Commands of this family.
#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// RS entropy s(α, κ) of κ-margin solutions and its saddle point (q, q̂), with the typical distance
    /// d = (1 − q)/2 between two solutions (THEORY §S2). Above α_c(κ) the entropy is negative: the
    /// values are printed with a warning (no solutions exist there). At and beyond α_GD(κ) no RS
    /// solution with q < 1 exists: the values are null with an "s_reason" (exit 0).
    ///
    /// JSON: {"alpha","kappa","s","q","qhat","d","iterations","residual"} (+ "warning" or
    /// "s_reason").
    #[command(allow_negative_numbers = true)]
    Rs {
        /// Constraint density α = M/N (patterns per weight), > 0.
        #[arg(long)]
        alpha: f64,
        /// Margin κ: every stability must be ≥ κ.
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        kappa: f64,
    },
    /// κ_max(α): the largest margin with non-negative RS entropy (paper Fig. 5), computed for
    /// −20 ≤ κ_max ≤ 20 (α ≳ 0.0017; a smaller α is refused). JSON: {"alpha","kappa_max"}.
    #[command(allow_negative_numbers = true)]
    KappaMax {
        /// Constraint density α = M/N, > 0.
        #[arg(long)]
        alpha: f64,
    },
    /// α_c(κ): the density where the RS entropy of κ-margin solutions vanishes
    /// (0.8330786 at κ = 0, Krauth–Mézard), computed for 10⁻⁹ < α_c ≤ 10⁶ (κ ≳ −4.7; a smaller κ
    /// is refused). JSON: {"kappa","alpha_c"}.
    #[command(allow_negative_numbers = true)]
    AlphaC {
        /// Margin κ.
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        kappa: f64,
    },
    /// Franz–Parisi local entropy φ(d) of κ-margin solutions at distance d from a typical κ̃-margin
    /// reference (THEORY §S3), with dφ/dd and all order parameters. Points are computed by
    /// continuation from the typical distance d*; where the RS branch ends the value is null with a
    /// reason. Where the curve does not exist at all (no RS reference at κ̃ or no RS equilibrium at
    /// κ: α at or above α_GD) every point, d_star and phi_star are null with reasons (exit 0).
    ///
    /// JSON: --d gives one object {"d","s_fp","dphi_dd",…}; --d-range gives the same keys as columns
    /// {"d":[…],"s_fp":[…],…} (null entries with "s_fp_reason" where the branch ended).
    #[command(allow_negative_numbers = true)]
    Fp {
        /// Constraint density α = M/N, > 0.
        #[arg(long)]
        alpha: f64,
        /// Margin κ̃ of the reference solution.
        #[arg(long, allow_negative_numbers = true)]
        kappa_ref: f64,
        /// Margin κ of the counted solutions.
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        kappa: f64,
        /// One normalized Hamming distance d in (0, 1).
        #[arg(long, conflicts_with = "d_range", required_unless_present = "d_range")]
        d: Option<f64>,
        /// A linear grid `a:b:n` of n distances from a to b (inclusive), 1 ≤ n ≤ 2000, e.g. 0.001:0.3:50.
        #[arg(long, value_name = "A:B:N")]
        d_range: Option<String>,
    },
    /// Phase of the Franz–Parisi curves at α (THEORY §S3.6): with --kappa-ref, classify that reference;
    /// otherwise report κ_max(α), κ_min(α), κ_LE(α) (bisection to --tol) and the phase of the
    /// max-margin reference. Thresholds that do not exist at α are null with a "<key>_reason".
    #[command(allow_negative_numbers = true)]
    Phases {
        /// Constraint density α = M/N, > 0.
        #[arg(long)]
        alpha: f64,
        /// Margin κ of the counted solutions (the paper's main case: 0).
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        kappa: f64,
        /// Classify only this reference margin κ̃.
        #[arg(long, allow_negative_numbers = true)]
        kappa_ref: Option<f64>,
        /// Bisection tolerance in κ̃.
        #[arg(long, default_value_t = 5e-4)]
        tol: f64,
    },
    /// Threshold table T3 (κ = 0): κ_max, κ_min, κ_LE at each α of --alphas, α_LE, α_min and α_KM.
    /// JSON: {"alpha":[…],"kappa_max":[…],"kappa_min":[…],"kappa_min_reason":[…],"kappa_le":[…],…,
    /// "alpha_km","alpha_le","kappa_max_at_alpha_le","alpha_min"}.
    /// Slow (a few minutes): each bisection step classifies a whole FP curve. At most 100 densities.
    #[command(allow_negative_numbers = true)]
    Thresholds {
        /// Comma-separated densities for the κ_min / κ_LE rows.
        #[arg(long, default_value = "0.5,0.6,0.7", value_delimiter = ',')]
        alphas: Vec<f64>,
        /// Bisection tolerance in κ̃.
        #[arg(long, default_value_t = 5e-4)]
        tol: f64,
        /// Bisection tolerance in α for α_LE and α_min.
        #[arg(long, default_value_t = 1e-4)]
        alpha_tol: f64,
        /// Skip α_LE and α_min (the slowest part).
        #[arg(long)]
        no_alpha: bool,
    },
}

/// Prints the `"warning"` of a result (output conventions §4) on stderr: always, also with
/// --quiet, because it qualifies the result.
pub fn print_warning(v: &Value) {
    if let Some(w) = theory_json::warning(v) {
        eprintln!("flatmin: warning: {w}");
    }
}

/// Text form of a JSON object: one `key = value` line per scalar, nested keys joined by '.'.
pub fn print_text(v: &Value) -> anyhow::Result<()> {
    fn walk(prefix: &str, v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, x, out);
                }
            }
            Value::String(s) => out.push(format!("{prefix} = {s}")),
            other => out.push(format!("{prefix} = {other}")),
        }
    }
    let mut lines = Vec::new();
    walk("", v, &mut lines);
    print_line(&lines.join("\n"))
}

/// Parses `a:b:n` into n linearly spaced distances in (0, 1) (at most [`MAX_GRID_POINTS`]).
pub fn parse_d_range(s: &str) -> anyhow::Result<Vec<f64>> {
    // parse_grid keeps every point between the ends given (rounding put d = 0 in `0.5:1e-70:3`).
    Ok(flatmin_host::io::parse_grid(
        "--d-range",
        s,
        MAX_GRID_POINTS,
    )?)
}

fn print_kv(pairs: &[(&str, String)]) -> anyhow::Result<()> {
    for (k, v) in pairs {
        print_line(&format!("{k:>12} = {v}"))?;
    }
    Ok(())
}

/// A number of a result for the text form (NaN where it is null).
fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// Entry `i` of a key of a `theory fp` result: the scalar of one point, or row `i` of a column.
fn at(v: &Value, key: &str, i: usize) -> Value {
    match &v[key] {
        Value::Array(col) => col.get(i).cloned().unwrap_or(Value::Null),
        x => x.clone(),
    }
}

/// Text form of `theory rs`.
fn rs_text(v: &Value) -> anyhow::Result<()> {
    // The numbers as Rust prints them (`kappa = 0`), not JSON's `0.0`.
    let mut kv = vec![
        ("alpha", num(&v["alpha"]).to_string()),
        ("kappa", num(&v["kappa"]).to_string()),
    ];
    if v["s"].is_null() {
        let reason = v["s_reason"].as_str().unwrap_or_default();
        kv.push(("s", format!("null ({reason})")));
        return print_kv(&kv);
    }
    kv.extend([
        ("s", format!("{:.10}", num(&v["s"]))),
        ("q", format!("{:.10}", num(&v["q"]))),
        ("qhat", format!("{:.10}", num(&v["qhat"]))),
        ("d", format!("{:.10}", num(&v["d"]))),
        ("iterations", v["iterations"].to_string()),
        ("residual", format!("{:.2e}", num(&v["residual"]))),
    ]);
    print_kv(&kv)
}

/// Text form of `theory fp` (a header with the maximum, one line per distance).
fn fp_text(v: &Value, n: usize) -> anyhow::Result<()> {
    let (alpha, kappa_ref, kappa) = (num(&v["alpha"]), num(&v["kappa_ref"]), num(&v["kappa"]));
    if v["d_star"].is_null() {
        let reason = v["d_star_reason"].as_str().unwrap_or_default();
        print_line(&format!(
            "# alpha={alpha} kappa_ref={kappa_ref} kappa={kappa}: d*=null phi(d*)=null ({reason})"
        ))?;
        print_line("#           d            s_fp")?;
        for i in 0..n {
            print_line(&format!("{:>14.8e}            null", num(&at(v, "d", i))))?;
        }
        return Ok(());
    }
    print_line(&format!(
        "# alpha={alpha} kappa_ref={kappa_ref} kappa={kappa}: d*={:.8} phi(d*)={:.8}",
        num(&v["d_star"]),
        num(&v["phi_star"])
    ))?;
    print_line("#           d            s_fp         dphi_dd              q1               p")?;
    for i in 0..n {
        let d = num(&at(v, "d", i));
        match at(v, "s_fp", i).as_f64() {
            Some(s_fp) => print_line(&format!(
                "{d:>14.8e} {s_fp:>15.10} {:>15.8} {:>15.10} {:>15.10}",
                num(&at(v, "dphi_dd", i)),
                num(&at(v, "q1", i)),
                num(&at(v, "p", i))
            ))?,
            None => print_line(&format!(
                "{d:>14.8e} {}",
                at(v, "s_fp_reason", i).as_str().unwrap_or_default()
            ))?,
        }
    }
    Ok(())
}

/// Runs a command of this family.
pub fn run(cmd: Cmd, g: &Global) -> anyhow::Result<()> {
    let rsq = RsQuadrature::new();
    match cmd {
        Cmd::Rs { alpha, kappa } => {
            let v = theory_json::rs(&rsq, alpha, kappa)?;
            print_warning(&v);
            if g.json {
                print_json(&v)
            } else {
                rs_text(&v)
            }
        }
        Cmd::KappaMax { alpha } => {
            let k = theory_json::kappa_max(&rsq, alpha)?;
            if g.json {
                print_json(&json!({"alpha": alpha, "kappa_max": k}))
            } else {
                print_kv(&[
                    ("alpha", alpha.to_string()),
                    ("kappa_max", format!("{k:.8}")),
                ])
            }
        }
        Cmd::AlphaC { kappa } => {
            let a = theory_json::alpha_c(&rsq, kappa)?;
            if g.json {
                print_json(&json!({"kappa": kappa, "alpha_c": a}))
            } else {
                print_kv(&[("kappa", kappa.to_string()), ("alpha_c", format!("{a:.8}"))])
            }
        }
        Cmd::Fp {
            alpha,
            kappa_ref,
            kappa,
            d,
            d_range,
        } => {
            check_alpha("--alpha", alpha)?;
            check_finite("--kappa-ref", kappa_ref)?;
            check_finite("--kappa", kappa)?;
            let ds = match (d, d_range) {
                (Some(d), _) => {
                    theory_json::check_fp_d(d)?;
                    vec![d]
                }
                (None, Some(r)) => parse_d_range(&r)?,
                (None, None) => return Err(input_error("give --d or --d-range")),
            };
            let quad = FpQuadratureFast::new();
            let v = theory_json::fp(&quad, alpha, kappa_ref, kappa, &ds, d.is_some())?;
            print_warning(&v);
            if g.json {
                print_json(&v)
            } else {
                fp_text(&v, ds.len())
            }
        }
        Cmd::Phases {
            alpha,
            kappa,
            kappa_ref,
            tol,
        } => {
            check_alpha("--alpha", alpha)?;
            check_finite("--kappa", kappa)?;
            theory_json::check_tol("--tol", tol)?;
            if let Some(kr) = kappa_ref {
                check_finite("--kappa-ref", kr)?;
            }
            let quad = FpQuadratureFast::new();
            let v = theory_json::phases(&quad, &rsq, alpha, kappa, kappa_ref, tol)?;
            if g.json {
                print_json(&v)
            } else {
                print_text(&v)
            }
        }
        Cmd::Thresholds {
            alphas,
            tol,
            alpha_tol,
            no_alpha,
        } => {
            theory_json::check_tol("--tol", tol)?;
            theory_json::check_tol("--alpha-tol", alpha_tol)?;
            theory_json::check_alphas("--alphas", &alphas)?;
            let quad = FpQuadratureFast::new();
            let t = Thresholds::compute(&quad, &rsq, &alphas, tol, alpha_tol, no_alpha, |what| {
                if !g.quiet {
                    eprintln!("thresholds: {what}");
                }
            })?;
            // One row per density, as columns (output conventions §2).
            let v = t.columns();
            if g.json {
                print_json(&v)
            } else {
                print_text(&v)
            }
        }
    }
}
