//! `flatmin theory rs | kappa-max | alpha-c | fp | phases | thresholds`: replica theory of the binary
//! perceptron (THEORY §S2 RS entropy, §S3 Franz–Parisi local entropy, §S3.6 phases and table T3).

use super::{input_error, print_json, print_line, Global};
use flatmin_core::theory::franz_parisi::{
    self as fp, FpError, FpProblem, FpQuadratureFast, FpSaddle,
};
use flatmin_core::theory::phases::{self, PhaseReport};
use flatmin_core::theory::rs::{self, Perceptron, RsQuadrature};
use flatmin_host::experiments::theory_reasons::{
    no_fp_reason, no_rs_reason, scan_range_message, ALPHA_C_RANGE, KAPPA_MAX_RANGE,
};
use flatmin_host::Error;
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

/// The largest grid a `--d-range` may ask for (a perceptron FP point costs ≈ 7 ms, a committee
/// point ≈ 9 ms).
pub const MAX_GRID_POINTS: usize = 2000;

/// The most densities `thresholds --alphas` accepts.
pub const MAX_ALPHAS: usize = 100;

/// α = P/N is a density of patterns per weight: a finite number > 0.
pub fn check_alpha(alpha: f64) -> anyhow::Result<()> {
    check_alpha_flag("--alpha", alpha)
}

/// [`check_alpha`] for a value given with another flag (`--alphas`).
pub fn check_alpha_flag(flag: &str, alpha: f64) -> anyhow::Result<()> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(input_error(format!(
            "{flag} {alpha}: the constraint density α = P/N (patterns per weight) must be a finite number > 0"
        )));
    }
    Ok(())
}

/// Adds the top-level `"warning"` of output conventions §4 and prints it on stderr (always, also
/// with --quiet: it qualifies the result).
pub fn warn(v: &mut Value, msg: String) {
    eprintln!("flatmin: warning: {msg}");
    v["warning"] = Value::String(msg);
}

/// One query point (`single`) → its row as an object of scalars; a grid → the rows as columns
/// (output conventions §2).
pub fn point_or_columns(rows: Vec<Value>, single: bool) -> Value {
    if single {
        rows.into_iter().next().unwrap_or(Value::Null)
    } else {
        columnar(&rows)
    }
}

/// Turns rows of objects (one per grid point) into one object of columns with the same keys
/// (output conventions §2); a key missing from a row is null in its column.
pub fn columnar(rows: &[Value]) -> Value {
    let mut keys: Vec<String> = Vec::new();
    for r in rows {
        if let Value::Object(m) = r {
            for k in m.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    let mut out = serde_json::Map::new();
    for k in keys {
        let col: Vec<Value> = rows
            .iter()
            .map(|r| r.get(&k).cloned().unwrap_or(Value::Null))
            .collect();
        out.insert(k, Value::Array(col));
    }
    Value::Object(out)
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

fn check_finite(name: &str, v: f64) -> anyhow::Result<()> {
    if !v.is_finite() {
        return Err(input_error(format!("{name} must be finite, got {v}")));
    }
    Ok(())
}

fn numerics(e: impl std::fmt::Display) -> anyhow::Error {
    Error::Numerics(e.to_string()).into()
}

/// An RS failure: a bad parameter is the user's (exit 2), anything else a failed run (exit 1).
pub fn rs_err(e: rs::RsError) -> anyhow::Error {
    match e {
        rs::RsError::InvalidParameter(w) => input_error(format!("invalid parameter: {w}")),
        other => numerics(other),
    }
}

/// A scan for κ_max(α) or α_c(κ) that left its range: the user's value is outside what is
/// computed (exit 2, naming `flag`); other failures as [`rs_err`].
pub fn scan_err(e: rs::RsError, flag: &str, value: f64, what: &str, range: &str) -> anyhow::Error {
    match e {
        rs::RsError::NoBracket { at } => {
            input_error(scan_range_message(flag, value, what, range, at))
        }
        other => rs_err(other),
    }
}

/// Sets every key of `keys` to null and `<first key>_reason` to `reason` (output conventions §3:
/// the value does not exist).
pub fn set_missing(v: &mut Value, keys: &[&str], reason: &str) {
    for k in keys {
        v[*k] = Value::Null;
    }
    if let Some(first) = keys.first() {
        v[format!("{first}_reason")] = json!(reason);
    }
}

/// Parses `a:b:n` into n linearly spaced distances in (0, 1) (at most [`MAX_GRID_POINTS`]).
pub fn parse_d_range(s: &str) -> anyhow::Result<Vec<f64>> {
    let mut ds = flatmin_host::io::parse_grid("--d-range", s, MAX_GRID_POINTS)?;
    // a + (b − a)·i/(n − 1) can round past an end when the ends differ by orders of magnitude
    // (`0.5:1e-70:3` gave d = 0, found by the grid_parse fuzz target): keep every point between them.
    // The ends as given (parse_grid accepted them, so both parse and lie in (0, 1)).
    let ends: Vec<f64> = s
        .split(':')
        .take(2)
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    if let [a, b] = ends[..] {
        let (lo, hi) = (a.min(b), a.max(b));
        for d in &mut ds {
            *d = d.clamp(lo, hi);
        }
    }
    Ok(ds)
}

/// JSON object of one FP point: `d`, `s_fp` and the order parameters; where the point does not
/// exist, every value is null and `s_fp_reason` says why (the key is null otherwise).
pub fn fp_point_json(d: f64, r: &Result<FpSaddle, FpError>) -> Value {
    match r {
        Ok(s) => json!({
            "d": s.d, "s_fp": s.phi, "s_fp_reason": Value::Null, "dphi_dd": s.dphi_dd,
            "overlap": s.s_overlap, "q0": s.q0, "qhat0": s.qhat0, "q1": s.q1, "p": s.p,
            "qhat1": s.qhat1, "phat": s.phat, "shat": s.shat, "g_s": s.g_s, "g_e": s.g_e,
            "residual": s.residual, "evaluations": s.evaluations,
        }),
        Err(e) => json!({ "d": d, "s_fp": Value::Null, "s_fp_reason": e.to_string() }),
    }
}

/// A Franz–Parisi failure: a bad parameter is the user's (exit 2), anything else a failed run.
pub fn fp_cli_err(e: FpError) -> anyhow::Error {
    match e {
        FpError::InvalidParameter(w) => input_error(format!("invalid parameter: {w}")),
        FpError::Reference(r) | FpError::Equilibrium { error: r, .. }
            if matches!(r, rs::RsError::InvalidParameter(_)) =>
        {
            input_error(e.to_string())
        }
        other => numerics(other),
    }
}

/// `theory fp` where the curve does not exist (no RS reference at κ̃ or no RS equilibrium at κ,
/// [`FpError::does_not_exist`]): every point, `d_star` and `phi_star` are null with the reason
/// (output conventions §3), exit 0.
fn fp_does_not_exist(
    g: &Global,
    alpha: f64,
    kappa_ref: f64,
    kappa: f64,
    ds: &[f64],
    single: bool,
    e: &FpError,
) -> anyhow::Result<()> {
    let reason = no_fp_reason(e);
    if !g.json {
        print_line(&format!(
            "# alpha={alpha} kappa_ref={kappa_ref} kappa={kappa}: d*=null phi(d*)=null ({reason})"
        ))?;
        print_line("#           d            s_fp")?;
        for d in ds {
            print_line(&format!("{d:>14.8e}            null"))?;
        }
        return Ok(());
    }
    let rows: Vec<Value> = ds
        .iter()
        .map(|d| json!({"d": d, "s_fp": Value::Null, "s_fp_reason": reason}))
        .collect();
    let mut v = point_or_columns(rows, single);
    v["alpha"] = json!(alpha);
    v["kappa_ref"] = json!(kappa_ref);
    v["kappa"] = json!(kappa);
    set_missing(&mut v, &["d_star"], &reason);
    set_missing(&mut v, &["phi_star"], &reason);
    print_json(&v)
}

fn phase_json(r: &PhaseReport) -> Value {
    json!({
        "phase": r.phase.number(),
        "phase_name": r.phase.name(),
        "d_star": r.d_star,
        "phi_star": r.phi_star,
        "min_phi": r.min_phi.map(|(d, v)| json!({"d": d, "phi": v})),
        "min_phi_reason": r.min_phi.is_none().then_some("phi(d) has no interior local minimum on the computed branch"),
        "min_dphi_dd": r.min_dphi.map(|(d, v)| json!({"d": d, "dphi_dd": v})),
        "min_dphi_dd_reason": r.min_dphi.is_none().then_some("dphi/dd has no interior local minimum on the computed branch"),
        "dense_near_zero": r.dense_near_zero,
        "branch_end": r.branch_end,
        "branch_end_reason": r.branch_end.is_none().then_some("the RS branch reaches the smallest distance of the grid"),
        "points": r.computed,
    })
}

fn print_kv(pairs: &[(&str, String)]) -> anyhow::Result<()> {
    for (k, v) in pairs {
        print_line(&format!("{k:>12} = {v}"))?;
    }
    Ok(())
}

/// κ_min and κ_LE at α (κ̃ bracket [κ + 1e-3, κ_max(α)]); null plus a `_reason` where the bracket
/// holds no phase change (output conventions §3).
fn kappa_thresholds(
    quad: &FpQuadratureFast,
    alpha: f64,
    kappa: f64,
    kmax: f64,
    tol: f64,
) -> anyhow::Result<Value> {
    let lo = kappa + 1e-3;
    let mut v = json!({"alpha": alpha, "kappa": kappa, "kappa_max": kmax});
    for (key, r) in [
        (
            "kappa_min",
            phases::kappa_min(quad, Perceptron, alpha, kappa, lo, kmax, tol),
        ),
        (
            "kappa_le",
            phases::kappa_le(quad, Perceptron, alpha, kappa, lo, kmax, tol),
        ),
    ] {
        let reason = format!("{key}_reason");
        match r {
            Ok(t) => {
                v[key] = json!(t.value);
                v[reason] = Value::Null;
            }
            Err(phases::PhaseError::NoBracket {
                phase_lo, phase_hi, ..
            }) => {
                v[key] = Value::Null;
                v[reason] = json!(format!(
                    "no phase change between kappa_ref = {lo} (phase {phase_lo}) and kappa_max = {kmax} (phase {phase_hi})"
                ));
            }
            Err(e) if e.does_not_exist() => {
                v[key] = Value::Null;
                v[reason] = json!(no_fp_reason(&e));
            }
            Err(e) => return Err(numerics(e)),
        }
    }
    v["tol"] = json!(tol);
    Ok(v)
}

/// Runs a command of this family.
pub fn run(cmd: Cmd, g: &Global) -> anyhow::Result<()> {
    let rsq = RsQuadrature::new();
    match cmd {
        Cmd::Rs { alpha, kappa } => {
            check_alpha(alpha)?;
            check_finite("--kappa", kappa)?;
            let r = match rs::solve(&rsq, alpha, kappa) {
                Ok(r) => r,
                Err(e) if e.does_not_exist() => {
                    let mut v = json!({"alpha": alpha, "kappa": kappa});
                    let reason = no_rs_reason(alpha, kappa);
                    set_missing(
                        &mut v,
                        &["s", "q", "qhat", "d", "iterations", "residual"],
                        &reason,
                    );
                    return if g.json {
                        print_json(&v)
                    } else {
                        print_kv(&[
                            ("alpha", alpha.to_string()),
                            ("kappa", kappa.to_string()),
                            ("s", format!("null ({reason})")),
                        ])
                    };
                }
                Err(e) => return Err(rs_err(e)),
            };
            let mut v = json!({"alpha": alpha, "kappa": kappa, "s": r.s, "q": r.q, "qhat": r.qhat, "d": r.d,
                           "iterations": r.iterations, "residual": r.residual});
            if r.s < 0.0 {
                let ac = rs::alpha_c(&rsq, kappa)
                    .map(|a| format!(" = {a:.6}"))
                    .unwrap_or_default();
                warn(
                    &mut v,
                    format!(
                        "alpha = {alpha} is above alpha_c(kappa = {kappa}){ac}: the RS entropy s = {:.6} is negative, so typical instances have no kappa-solution and this RS saddle point is outside the physical region",
                        r.s
                    ),
                );
            }
            if g.json {
                print_json(&v)
            } else {
                print_kv(&[
                    ("alpha", alpha.to_string()),
                    ("kappa", kappa.to_string()),
                    ("s", format!("{:.10}", r.s)),
                    ("q", format!("{:.10}", r.q)),
                    ("qhat", format!("{:.10}", r.qhat)),
                    ("d", format!("{:.10}", r.d)),
                    ("iterations", r.iterations.to_string()),
                    ("residual", format!("{:.2e}", r.residual)),
                ])
            }
        }
        Cmd::KappaMax { alpha } => {
            check_alpha(alpha)?;
            let k = rs::kappa_max(&rsq, alpha)
                .map_err(|e| scan_err(e, "--alpha", alpha, "kappa_max(alpha)", KAPPA_MAX_RANGE))?;
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
            check_finite("--kappa", kappa)?;
            let a = rs::alpha_c(&rsq, kappa)
                .map_err(|e| scan_err(e, "--kappa", kappa, "alpha_c(kappa)", ALPHA_C_RANGE))?;
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
            check_alpha(alpha)?;
            check_finite("--kappa-ref", kappa_ref)?;
            check_finite("--kappa", kappa)?;
            let ds = match (d, d_range) {
                (Some(d), _) => {
                    if !(d > 0.0 && d < 1.0) {
                        return Err(input_error(format!("--d must lie in (0, 1), got {d}")));
                    }
                    vec![d]
                }
                (None, Some(r)) => parse_d_range(&r)?,
                (None, None) => return Err(input_error("give --d or --d-range")),
            };
            let quad = FpQuadratureFast::new();
            let solved = FpProblem::perceptron(&quad, alpha, kappa_ref, kappa).and_then(|prob| {
                let max = fp::maximum(&quad, &prob)?;
                Ok((prob, max))
            });
            let (prob, max) = match solved {
                Ok(pm) => pm,
                Err(e) if e.does_not_exist() => {
                    return fp_does_not_exist(g, alpha, kappa_ref, kappa, &ds, d.is_some(), &e)
                }
                Err(e) => return Err(fp_cli_err(e)),
            };
            let mut out = vec![Err(FpError::NotComputed); ds.len()];
            fp::curve(&quad, &prob, &max, &ds, &mut out).map_err(fp_cli_err)?;
            let warning = (max.phi < 0.0).then(|| {
                format!(
                    "phi(d*) = {:.6} < 0: at alpha = {alpha} typical instances have no kappa = {kappa} solution near a kappa_ref = {kappa_ref} reference, so this curve is outside the physical region",
                    max.phi
                )
            });
            if !g.json {
                if let Some(w) = &warning {
                    eprintln!("flatmin: warning: {w}");
                }
            }
            if g.json {
                let rows: Vec<Value> = ds
                    .iter()
                    .zip(&out)
                    .map(|(d, r)| fp_point_json(*d, r))
                    .collect();
                let mut v = point_or_columns(rows, d.is_some());
                v["alpha"] = json!(alpha);
                v["kappa_ref"] = json!(kappa_ref);
                v["kappa"] = json!(kappa);
                v["d_star"] = json!(max.d);
                v["phi_star"] = json!(max.phi);
                if let Some(w) = warning {
                    warn(&mut v, w);
                }
                print_json(&v)
            } else {
                print_line(&format!(
                    "# alpha={alpha} kappa_ref={kappa_ref} kappa={kappa}: d*={:.8} phi(d*)={:.8}",
                    max.d, max.phi
                ))?;
                print_line(
                    "#           d            s_fp         dphi_dd              q1               p",
                )?;
                for (d, r) in ds.iter().zip(&out) {
                    match r {
                        Ok(s) => print_line(&format!(
                            "{:>14.8e} {:>15.10} {:>15.8} {:>15.10} {:>15.10}",
                            s.d, s.phi, s.dphi_dd, s.q1, s.p
                        ))?,
                        Err(e) => print_line(&format!("{d:>14.8e} {e}"))?,
                    }
                }
                Ok(())
            }
        }
        Cmd::Phases {
            alpha,
            kappa,
            kappa_ref,
            tol,
        } => {
            check_alpha(alpha)?;
            check_finite("--kappa", kappa)?;
            if !(tol.is_finite() && tol > 0.0) {
                return Err(input_error(format!(
                    "--tol {tol}: must be a finite number > 0"
                )));
            }
            let quad = FpQuadratureFast::new();
            let v = if let Some(kr) = kappa_ref {
                check_finite("--kappa-ref", kr)?;
                let r = FpProblem::perceptron(&quad, alpha, kr, kappa)
                    .map_err(phases::PhaseError::Fp)
                    .and_then(|prob| phases::classify(&quad, &prob));
                let mut v = match r {
                    Ok(r) => phase_json(&r),
                    Err(e) if e.does_not_exist() => {
                        let mut v = json!({});
                        set_missing(&mut v, &["phase", "phase_name"], &no_fp_reason(&e));
                        v
                    }
                    Err(e) => return Err(numerics(e)),
                };
                v["alpha"] = json!(alpha);
                v["kappa"] = json!(kappa);
                v["kappa_ref"] = json!(kr);
                v
            } else {
                let kmax = rs::kappa_max(&rsq, alpha).map_err(|e| {
                    scan_err(e, "--alpha", alpha, "kappa_max(alpha)", KAPPA_MAX_RANGE)
                })?;
                let mut v = kappa_thresholds(&quad, alpha, kappa, kmax, tol)?;
                match phases::max_margin_phase(&quad, Perceptron, alpha, kappa) {
                    Ok((_, rep)) => v["max_margin_phase"] = phase_json(&rep),
                    Err(e) if e.does_not_exist() => {
                        set_missing(&mut v, &["max_margin_phase"], &no_fp_reason(&e))
                    }
                    Err(e) => return Err(numerics(e)),
                }
                v
            };
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
            if !(tol.is_finite() && tol > 0.0 && alpha_tol.is_finite() && alpha_tol > 0.0) {
                return Err(input_error(
                    "--tol and --alpha-tol must be finite numbers > 0",
                ));
            }
            if alphas.is_empty() || alphas.len() > MAX_ALPHAS {
                return Err(input_error(format!(
                    "--alphas: give 1 to {MAX_ALPHAS} densities, got {}",
                    alphas.len()
                )));
            }
            for a in &alphas {
                check_alpha_flag("--alphas", *a)?;
            }
            let quad = FpQuadratureFast::new();
            let mut rows = Vec::new();
            for &a in &alphas {
                if !g.quiet {
                    eprintln!("thresholds: alpha = {a}");
                }
                let kmax = rs::kappa_max(&rsq, a)
                    .map_err(|e| scan_err(e, "--alphas", a, "kappa_max(alpha)", KAPPA_MAX_RANGE))?;
                rows.push(kappa_thresholds(&quad, a, 0.0, kmax, tol)?);
            }
            let alpha_km = rs::alpha_c(&rsq, 0.0).map_err(numerics)?;
            // One row per density, as columns (output conventions §2).
            let mut v = columnar(&rows);
            v["kappa"] = json!(0.0);
            v["alpha_km"] = json!(alpha_km);
            if !no_alpha {
                if !g.quiet {
                    eprintln!("thresholds: alpha_LE, alpha_min");
                }
                let le = phases::alpha_le(&quad, Perceptron, 0.0, 0.70, 0.75, alpha_tol)
                    .map_err(numerics)?;
                let km_le = rs::kappa_max(&rsq, le.value).map_err(numerics)?;
                let amin = phases::alpha_min(&quad, Perceptron, 0.0, le.hi, 0.8, alpha_tol)
                    .map_err(numerics)?;
                v["alpha_le"] = json!(le.value);
                v["kappa_max_at_alpha_le"] = json!(km_le);
                v["alpha_min"] = json!(amin.value);
                v["alpha_tol"] = json!(alpha_tol);
            }
            if g.json {
                print_json(&v)
            } else {
                print_text(&v)
            }
        }
    }
}
