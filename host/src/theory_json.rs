//! One serializer of the replica-theory results for both front ends, `flatmin theory … --json` and
//! the Python `flatmin.theory`: every key, every null with its `"<key>_reason"` (output conventions
//! §3) and every `"warning"` for a value outside the physical region (§4) is written here, once.
//!
//! Each function computes one command's result with `flatmin-core` and returns its JSON object, or
//! a host [`Error`]: [`Error::Input`] for what the caller can fix (the CLI's exit 2, Python's
//! `ValueError`), [`Error::Numerics`] for a failed run (exit 1, `RuntimeError`), with one message
//! for both. The front ends validate their own flags (grid counts, tolerances) with the checks
//! below, then call these; they only print (CLI) or convert to Python objects. The library never
//! prints: a warning is the top-level `"warning"` of the object ([`warning`] reads it), which the
//! CLI repeats on stderr and Python raises as a `RuntimeWarning`.

use crate::{Error, Result};
use flatmin_core::roots::SolveOptions;
use flatmin_core::theory::committee::{self, Activation};
use flatmin_core::theory::franz_parisi::{
    self as fp, FpError, FpProblem, FpQuadratureFast, FpSaddle,
};
use flatmin_core::theory::one_rsb::{self, FastQuad, OneRsbError};
use flatmin_core::theory::phases::{self, PhaseError, PhaseReport};
use flatmin_core::theory::rs::{self, Perceptron, RsError, RsQuadrature};
use flatmin_core::theory::sbp::{self, Sbp, SbpError};
use serde_json::{json, Value};

/// The most distances one Franz–Parisi call computes (`--d-range … :n`, or a Python array): a
/// perceptron point costs ≈ 7 ms, a committee point ≈ 9 ms.
pub const MAX_GRID_POINTS: usize = 2000;

/// The most densities `thresholds` takes.
pub const MAX_ALPHAS: usize = 100;

/// The largest tuple size of `sbp tuples` (the cost grows linearly in y).
pub const MAX_Y: u32 = 10_000;

/// The most iterations of one damped 1RSB run.
pub const MAX_1RSB_ITER: u32 = 100_000;

// ---------------------------------------------------------------------------------------------
// The words for values that do not exist and for scans that leave their range (conventions §3, §6).

/// The range `theory kappa-max` computes κ_max(α) in.
const KAPPA_MAX_RANGE: &str = "-20 <= kappa <= 20";

/// The range `theory alpha-c` computes α_c(κ) in.
const ALPHA_C_RANGE: &str = "1e-9 < alpha <= 1e6";

/// Why the RS saddle of the perceptron does not exist at (α, κ) ([`rs::RsError::does_not_exist`]),
/// for `"s_reason"`.
fn no_rs_reason(alpha: f64, kappa: f64) -> String {
    format!(
        "no RS saddle point with q < 1 at alpha = {alpha}, kappa = {kappa}: alpha is at or above \
         alpha_GD(kappa) = {:.6}, where the RS entropy is -infinity (no kappa-solutions)",
        rs::alpha_gd(kappa)
    )
}

/// Why the RS saddle of a committee does not exist (`e` says where), for `"s_reason"`.
fn no_committee_rs_reason(alpha: f64, e: &rs::RsError) -> String {
    format!("{e}: the RS entropy is -infinity there (no kappa-solutions at alpha = {alpha})")
}

/// Why a Franz–Parisi curve does not exist ([`FpError::does_not_exist`]), for `"s_fp_reason"`,
/// `"d_star_reason"` and `"phi_star_reason"`.
fn no_fp_reason(e: &impl core::fmt::Display) -> String {
    format!("the Franz-Parisi entropy does not exist: {e}")
}

/// The message of a κ_max / α_c scan that left its range (`at`, the last point probed): the
/// user's value `flag value` is outside what is computed.
fn scan_range_message(flag: &str, value: f64, what: &str, range: &str, at: f64) -> String {
    format!(
        "{flag} {value}: {what} lies outside the computed range {range} (the scan for the zero of \
         the RS entropy reached {at})"
    )
}

// ---------------------------------------------------------------------------------------------
// Checks of the caller's values (one message for both front ends).

fn input(msg: impl Into<String>) -> Error {
    Error::Input(msg.into())
}

fn numerics(e: impl std::fmt::Display) -> Error {
    Error::Numerics(e.to_string())
}

/// α = P/N given with `flag` (`--alpha`, `--alphas`) is a density of patterns per weight: a finite
/// number > 0.
pub fn check_alpha(flag: &str, alpha: f64) -> Result<()> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(input(format!(
            "{flag} {alpha}: the constraint density α = P/N (patterns per weight) must be a finite number > 0"
        )));
    }
    Ok(())
}

/// A parameter that must be a finite number (`--kappa`, `--kappa-ref`).
pub fn check_finite(flag: &str, v: f64) -> Result<()> {
    if !v.is_finite() {
        return Err(input(format!("{flag} must be finite, got {v}")));
    }
    Ok(())
}

/// A bisection tolerance given with `flag` (`--tol`, `--alpha-tol`): a finite number > 0.
pub fn check_tol(flag: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        return Err(input(format!("{flag} {v}: must be a finite number > 0")));
    }
    Ok(())
}

/// The densities of `thresholds` (`--alphas`): 1 to [`MAX_ALPHAS`] of them, each as [`check_alpha`].
pub fn check_alphas(flag: &str, alphas: &[f64]) -> Result<()> {
    if alphas.is_empty() || alphas.len() > MAX_ALPHAS {
        return Err(input(format!(
            "{flag}: give 1 to {MAX_ALPHAS} densities, got {}",
            alphas.len()
        )));
    }
    alphas.iter().try_for_each(|a| check_alpha(flag, *a))
}

/// One Franz–Parisi distance of the perceptron (`--d`) lies in (0, 1).
pub fn check_fp_d(d: f64) -> Result<()> {
    if !(d > 0.0 && d < 1.0) {
        return Err(input(format!("--d must lie in (0, 1), got {d}")));
    }
    Ok(())
}

/// The committee's distances lie in (0, 1).
pub fn check_committee_ds(ds: &[f64]) -> Result<()> {
    if let Some(bad) = ds.iter().find(|d| !(**d > 0.0 && **d < 1.0)) {
        return Err(input(format!("distance {bad} is outside (0, 1)")));
    }
    Ok(())
}

/// The tuple size of `sbp tuples`, 1 ≤ y ≤ [`MAX_Y`].
pub fn check_y(y: u32) -> Result<()> {
    if y == 0 || y > MAX_Y {
        return Err(input(format!(
            "--y {y}: the tuple size must be in 1..={MAX_Y}"
        )));
    }
    Ok(())
}

/// The options of `fp-1rsb`: at most [`one_rsb::MAX_STARTS`] starts (|m| × |δ|), `tol` > 0,
/// 1 ≤ `max_iter` ≤ [`MAX_1RSB_ITER`].
pub fn check_1rsb(m: usize, delta: usize, max_iter: u32, tol: f64) -> Result<()> {
    if m * delta > one_rsb::MAX_STARTS {
        return Err(input(format!(
            "at most {} starts (|m| x |delta|)",
            one_rsb::MAX_STARTS
        )));
    }
    if tol.is_nan() || tol <= 0.0 {
        return Err(input("--tol must be > 0"));
    }
    if !(1..=MAX_1RSB_ITER).contains(&max_iter) {
        return Err(input(format!(
            "--max-iter {max_iter}: must be between 1 and {MAX_1RSB_ITER}"
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Errors of the core, as the caller's (Input) or a failed run (Numerics).

/// An RS failure: a bad parameter is the caller's, anything else a failed run.
pub fn rs_err(e: RsError) -> Error {
    match e {
        RsError::InvalidParameter(w) => input(format!("invalid parameter: {w}")),
        other => numerics(other),
    }
}

/// A scan for κ_max(α) or α_c(κ) that left its range: the caller's value `flag value` is outside
/// what is computed; other failures as [`rs_err`].
pub fn scan_err(e: RsError, flag: &str, value: f64, what: &str, range: &str) -> Error {
    match e {
        RsError::NoBracket { at } => input(scan_range_message(flag, value, what, range, at)),
        other => rs_err(other),
    }
}

/// A perceptron Franz–Parisi failure: a bad parameter (of the problem, the reference or the
/// equilibrium) is the caller's, anything else a failed run.
pub fn fp_err(e: FpError) -> Error {
    match e {
        FpError::InvalidParameter(w) => input(format!("invalid parameter: {w}")),
        FpError::Reference(r) | FpError::Equilibrium { error: r, .. }
            if matches!(r, RsError::InvalidParameter(_)) =>
        {
            input(e.to_string())
        }
        other => numerics(other),
    }
}

/// A committee Franz–Parisi failure: as [`fp_err`], but a failed reference is reported as the RS
/// error itself ([`rs_err`]).
fn committee_fp_err(e: FpError) -> Error {
    match e {
        FpError::InvalidParameter(w) => input(format!("invalid parameter: {w}")),
        FpError::Reference(r) => rs_err(r),
        FpError::Equilibrium {
            error: RsError::InvalidParameter(_),
            ..
        } => input(e.to_string()),
        other => numerics(other),
    }
}

/// An SBP failure: a shape (a parameter outside its domain) is the caller's.
pub fn sbp_err(e: SbpError) -> Error {
    match e {
        SbpError::Shape(s) => input(s.to_string()),
        other => numerics(other),
    }
}

/// A 1RSB failure: a shape is the caller's, a failed reference as [`rs_err`].
fn one_rsb_err(e: OneRsbError) -> Error {
    match e {
        OneRsbError::Shape(s) => input(s.to_string()),
        OneRsbError::Reference(r) => rs_err(r),
        other => numerics(other),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON shapes (output conventions §2–§4).

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

/// Sets the top-level `"warning"` of output conventions §4 (a value outside the physical region).
pub fn set_warning(v: &mut Value, msg: String) {
    v["warning"] = Value::String(msg);
}

/// The `"warning"` of a result, if any (the CLI prints it on stderr, Python raises it as a
/// `RuntimeWarning`).
pub fn warning(v: &Value) -> Option<&str> {
    v.get("warning").and_then(Value::as_str)
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

/// One query point (`single`) → its row as an object of scalars; a grid → the rows as columns
/// (output conventions §2).
pub fn point_or_columns(rows: Vec<Value>, single: bool) -> Value {
    if single {
        rows.into_iter().next().unwrap_or(Value::Null)
    } else {
        columnar(&rows)
    }
}

// ---------------------------------------------------------------------------------------------
// The perceptron (THEORY §S2, §S3, §S3.6).

/// `theory rs`: `{"alpha","kappa","s","q","qhat","d","iterations","residual"}`; above α_c(κ) (s < 0)
/// with a `"warning"`; at and beyond α_GD(κ), where no RS saddle with q < 1 exists, the values are
/// null with `"s_reason"`. Checks α and κ.
pub fn rs(quad: &RsQuadrature, alpha: f64, kappa: f64) -> Result<Value> {
    check_alpha("--alpha", alpha)?;
    check_finite("--kappa", kappa)?;
    let mut v = json!({"alpha": alpha, "kappa": kappa});
    let r = match rs::solve(quad, alpha, kappa) {
        Ok(r) => r,
        Err(e) if e.does_not_exist() => {
            set_missing(
                &mut v,
                &["s", "q", "qhat", "d", "iterations", "residual"],
                &no_rs_reason(alpha, kappa),
            );
            return Ok(v);
        }
        Err(e) => return Err(rs_err(e)),
    };
    v["s"] = json!(r.s);
    v["q"] = json!(r.q);
    v["qhat"] = json!(r.qhat);
    v["d"] = json!(r.d);
    v["iterations"] = json!(r.iterations);
    v["residual"] = json!(r.residual);
    if r.s < 0.0 {
        let ac = rs::alpha_c(quad, kappa)
            .map(|a| format!(" = {a:.6}"))
            .unwrap_or_default();
        set_warning(
            &mut v,
            format!(
                "alpha = {alpha} is above alpha_c(kappa = {kappa}){ac}: the RS entropy s = {:.6} is negative, so typical instances have no kappa-solution and this RS saddle point is outside the physical region",
                r.s
            ),
        );
    }
    Ok(v)
}

/// `theory kappa-max`: κ_max(α), the largest margin with non-negative RS entropy (the
/// `"kappa_max"` of `{"alpha","kappa_max"}`).
pub fn kappa_max(quad: &RsQuadrature, alpha: f64) -> Result<f64> {
    check_alpha("--alpha", alpha)?;
    rs::kappa_max(quad, alpha)
        .map_err(|e| scan_err(e, "--alpha", alpha, "kappa_max(alpha)", KAPPA_MAX_RANGE))
}

/// `theory alpha-c`: α_c(κ), where the RS entropy vanishes (the `"alpha_c"` of
/// `{"kappa","alpha_c"}`).
pub fn alpha_c(quad: &RsQuadrature, kappa: f64) -> Result<f64> {
    check_finite("--kappa", kappa)?;
    rs::alpha_c(quad, kappa)
        .map_err(|e| scan_err(e, "--kappa", kappa, "alpha_c(kappa)", ALPHA_C_RANGE))
}

/// JSON object of one FP point: `d`, `s_fp` and the order parameters; where the point does not
/// exist, `s_fp` is null and `s_fp_reason` says why (the key is null otherwise).
fn fp_point_json(d: f64, r: &std::result::Result<FpSaddle, FpError>) -> Value {
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

/// `theory fp`: the Franz–Parisi curve at the distances `ds` (checked by the caller: 1 to
/// [`MAX_GRID_POINTS`] points in (0, 1)), one object of scalars when `single`, else columns; plus
/// `"alpha"`, `"kappa_ref"`, `"kappa"` and the maximum `"d_star"`, `"phi_star"`. Where the curve does
/// not exist (no RS reference at κ̃ or no RS equilibrium at κ) every point, `d_star` and `phi_star`
/// are null with reasons; φ(d*) < 0 adds a `"warning"`.
pub fn fp(
    quad: &FpQuadratureFast,
    alpha: f64,
    kappa_ref: f64,
    kappa: f64,
    ds: &[f64],
    single: bool,
) -> Result<Value> {
    let solved = FpProblem::perceptron(quad, alpha, kappa_ref, kappa).and_then(|prob| {
        let max = fp::maximum(quad, &prob)?;
        Ok((prob, max))
    });
    let (rows, max) = match solved {
        Ok((prob, max)) => {
            let mut out = vec![Err(FpError::NotComputed); ds.len()];
            fp::curve(quad, &prob, &max, ds, &mut out).map_err(fp_err)?;
            let rows = ds
                .iter()
                .zip(&out)
                .map(|(d, r)| fp_point_json(*d, r))
                .collect();
            (rows, Ok(max))
        }
        Err(e) if e.does_not_exist() => {
            let reason = no_fp_reason(&e);
            let rows = ds
                .iter()
                .map(|d| json!({"d": d, "s_fp": Value::Null, "s_fp_reason": reason}))
                .collect();
            (rows, Err(reason))
        }
        Err(e) => return Err(fp_err(e)),
    };
    let mut v = point_or_columns(rows, single);
    v["alpha"] = json!(alpha);
    v["kappa_ref"] = json!(kappa_ref);
    v["kappa"] = json!(kappa);
    match max {
        Ok(max) => {
            v["d_star"] = json!(max.d);
            v["phi_star"] = json!(max.phi);
            if max.phi < 0.0 {
                set_warning(
                    &mut v,
                    format!(
                        "phi(d*) = {:.6} < 0: at alpha = {alpha} typical instances have no kappa = {kappa} solution near a kappa_ref = {kappa_ref} reference, so this curve is outside the physical region",
                        max.phi
                    ),
                );
            }
        }
        Err(reason) => {
            set_missing(&mut v, &["d_star"], &reason);
            set_missing(&mut v, &["phi_star"], &reason);
        }
    }
    Ok(v)
}

/// The phase report of one reference (THEORY §S3.6).
fn phase_json(r: &PhaseReport) -> Value {
    json!({
        "phase": r.phase.number(),
        "phase_name": r.phase.name(),
        "d_star": r.d_star,
        "phi_star": r.phi_star,
        "min_phi": r.min_phi.map(|(d, v)| json!({"d": d, "phi": v})),
        "min_phi_reason": r.min_phi.is_none()
            .then_some("phi(d) has no interior local minimum on the computed branch"),
        "min_dphi_dd": r.min_dphi.map(|(d, v)| json!({"d": d, "dphi_dd": v})),
        "min_dphi_dd_reason": r.min_dphi.is_none()
            .then_some("dphi/dd has no interior local minimum on the computed branch"),
        "dense_near_zero": r.dense_near_zero,
        "branch_end": r.branch_end,
        "branch_end_reason": r.branch_end.is_none()
            .then_some("the RS branch reaches the smallest distance of the grid"),
        "points": r.computed,
    })
}

/// κ_min and κ_LE at α (κ̃ bracket [κ + 1e-3, κ_max(α)], bisection to `tol`); null plus a
/// `_reason` where the bracket holds no phase change or the curves do not exist.
fn kappa_thresholds(
    quad: &FpQuadratureFast,
    alpha: f64,
    kappa: f64,
    kmax: f64,
    tol: f64,
) -> Result<Value> {
    let lo = kappa + 1e-3;
    let mut v = json!({"alpha": alpha, "kappa": kappa, "kappa_max": kmax, "tol": tol});
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
            Err(PhaseError::NoBracket {
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
    Ok(v)
}

/// `theory phases`: with `kappa_ref`, the phase of that reference (`{"phase","phase_name",
/// "d_star","phi_star","min_phi","min_dphi_dd","dense_near_zero","branch_end","points","alpha",
/// "kappa","kappa_ref"}`, `phase` null with a reason where the curve does not exist); without,
/// κ_max(α), κ_min(α), κ_LE(α) (bisection to `tol`) and the `"max_margin_phase"`. The caller has
/// checked α, κ, κ̃ and `tol`.
pub fn phases(
    quad: &FpQuadratureFast,
    rsq: &RsQuadrature,
    alpha: f64,
    kappa: f64,
    kappa_ref: Option<f64>,
    tol: f64,
) -> Result<Value> {
    if let Some(kr) = kappa_ref {
        let r = FpProblem::perceptron(quad, alpha, kr, kappa)
            .map_err(PhaseError::Fp)
            .and_then(|prob| phases::classify(quad, &prob));
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
        return Ok(v);
    }
    let kmax = kappa_max(rsq, alpha)?;
    let mut v = kappa_thresholds(quad, alpha, kappa, kmax, tol)?;
    match phases::max_margin_phase(quad, Perceptron, alpha, kappa) {
        Ok((_, rep)) => v["max_margin_phase"] = phase_json(&rep),
        Err(e) if e.does_not_exist() => {
            set_missing(&mut v, &["max_margin_phase"], &no_fp_reason(&e))
        }
        Err(e) => return Err(numerics(e)),
    }
    Ok(v)
}

/// `theory thresholds` (table T3, κ = 0): one row per density (`{"alpha","kappa","kappa_max",
/// "kappa_min","kappa_min_reason","kappa_le","kappa_le_reason","tol"}`) and the common values.
#[derive(Clone, Debug)]
pub struct Thresholds {
    /// One row per density of `alphas`.
    pub rows: Vec<Value>,
    /// The common values: `"kappa"` (0), `"alpha_km"`, and unless `no_alpha` `"alpha_le"`,
    /// `"kappa_max_at_alpha_le"`, `"alpha_min"`, `"alpha_tol"`.
    pub common: Value,
}

impl Thresholds {
    /// Computes the table; `progress` hears what is being computed (the CLI prints it unless
    /// `--quiet`). The caller has checked the densities and tolerances.
    pub fn compute(
        quad: &FpQuadratureFast,
        rsq: &RsQuadrature,
        alphas: &[f64],
        tol: f64,
        alpha_tol: f64,
        no_alpha: bool,
        mut progress: impl FnMut(&str),
    ) -> Result<Self> {
        let mut rows = Vec::new();
        for &a in alphas {
            progress(&format!("alpha = {a}"));
            let kmax = rs::kappa_max(rsq, a)
                .map_err(|e| scan_err(e, "--alphas", a, "kappa_max(alpha)", KAPPA_MAX_RANGE))?;
            rows.push(kappa_thresholds(quad, a, 0.0, kmax, tol)?);
        }
        let alpha_km = rs::alpha_c(rsq, 0.0).map_err(numerics)?;
        let mut common = json!({"kappa": 0.0, "alpha_km": alpha_km});
        if !no_alpha {
            progress("alpha_LE, alpha_min");
            let le =
                phases::alpha_le(quad, Perceptron, 0.0, 0.70, 0.75, alpha_tol).map_err(numerics)?;
            let km_le = rs::kappa_max(rsq, le.value).map_err(numerics)?;
            let amin = phases::alpha_min(quad, Perceptron, 0.0, le.hi, 0.8, alpha_tol)
                .map_err(numerics)?;
            common["alpha_le"] = json!(le.value);
            common["kappa_max_at_alpha_le"] = json!(km_le);
            common["alpha_min"] = json!(amin.value);
            common["alpha_tol"] = json!(alpha_tol);
        }
        Ok(Thresholds { rows, common })
    }

    /// The rows as columns (output conventions §2) beside the common values: the form of the CLI
    /// and of Python.
    pub fn columns(&self) -> Value {
        let mut v = columnar(&self.rows);
        merge(&mut v, &self.common);
        v
    }
}

/// Copies the keys of the object `from` into the object `into`.
fn merge(into: &mut Value, from: &Value) {
    if let Value::Object(m) = from {
        for (k, x) in m {
            into[k.as_str()] = x.clone();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tree committee machine (THEORY §S5).

/// The JSON name of an activation (`"act"`).
pub fn act_name(a: Activation) -> &'static str {
    match a {
        Activation::Sign => "sign",
        Activation::Relu => "relu",
    }
}

/// `theory committee rs`: `{"act","alpha","kappa","s","q","qhat"}`; a negative entropy (above
/// capacity) with a `"warning"`; where no RS saddle exists the values are null with `"s_reason"`.
/// Checks α.
pub fn committee_rs(quad: &RsQuadrature, act: Activation, alpha: f64, kappa: f64) -> Result<Value> {
    check_alpha("--alpha", alpha)?;
    let mut v = json!({"act": act_name(act), "alpha": alpha, "kappa": kappa});
    let r = match committee::rs(quad, act, alpha, kappa) {
        Ok(r) => r,
        Err(e) if e.does_not_exist() => {
            set_missing(
                &mut v,
                &["s", "q", "qhat"],
                &no_committee_rs_reason(alpha, &e),
            );
            return Ok(v);
        }
        Err(e) => return Err(rs_err(e)),
    };
    v["s"] = json!(r.s);
    v["q"] = json!(r.q);
    v["qhat"] = json!(r.qhat);
    if r.s < 0.0 {
        set_warning(
            &mut v,
            format!(
                "the RS entropy s = {:.6} is negative at alpha = {alpha}, kappa = {kappa}: above the capacity, typical instances have no solution and this RS saddle point is outside the physical region",
                r.s
            ),
        );
    }
    Ok(v)
}

/// `theory committee kappa-max`: κ_max(α) of the committee (the `"kappa_max"` of
/// `{"act","alpha","kappa_max"}`). Checks α.
pub fn committee_kappa_max(quad: &RsQuadrature, act: Activation, alpha: f64) -> Result<f64> {
    check_alpha("--alpha", alpha)?;
    committee::kappa_max(quad, act, alpha)
        .map_err(|e| scan_err(e, "--alpha", alpha, "kappa_max(alpha)", KAPPA_MAX_RANGE))
}

/// `theory committee fp`: one row `{"d","s_fp","s_fp_reason"}` per distance of `ds` (checked by
/// the caller, [`check_committee_ds`]); `s_fp` null with the reason where the point or the whole
/// curve does not exist (the text form prints these rows; the JSON form is
/// [`committee_fp_json`]). The caller has checked α ([`check_alpha`]).
pub fn committee_fp(
    quad: &FpQuadratureFast,
    act: Activation,
    alpha: f64,
    kappa_ref: f64,
    kappa: f64,
    ds: &[f64],
) -> Result<Vec<Value>> {
    let mut out = vec![Err(FpError::NotComputed); ds.len()];
    let solved = committee::fp_problem(quad, act, alpha, kappa_ref, kappa)
        .and_then(|prob| committee::fp_curve(quad, &prob, ds, &mut out));
    match solved {
        Ok(_) => {}
        // No RS reference or equilibrium: every point is null with the reason, not an error.
        Err(e) if e.does_not_exist() => out.fill(Err(e)),
        Err(e) => return Err(committee_fp_err(e)),
    }
    Ok(ds
        .iter()
        .zip(&out)
        .map(|(d, r)| match r {
            Ok(s) => json!({"d": d, "s_fp": s.phi, "s_fp_reason": null}),
            Err(e) if e.does_not_exist() => {
                json!({"d": d, "s_fp": null, "s_fp_reason": no_fp_reason(e)})
            }
            Err(e) => json!({"d": d, "s_fp": null, "s_fp_reason": e.to_string()}),
        })
        .collect())
}

/// `theory committee fp --json`: the rows of [`committee_fp`] as one object of scalars when
/// `single`, else as columns, with the parameters `"act"`, `"alpha"`, `"kappa_ref"` and `"kappa"`
/// (as `committee rs` and the perceptron's `fp` carry theirs).
pub fn committee_fp_json(
    rows: Vec<Value>,
    single: bool,
    act: Activation,
    alpha: f64,
    kappa_ref: f64,
    kappa: f64,
) -> Value {
    let mut v = point_or_columns(rows, single);
    v["act"] = json!(act_name(act));
    v["alpha"] = json!(alpha);
    v["kappa_ref"] = json!(kappa_ref);
    v["kappa"] = json!(kappa);
    v
}

// ---------------------------------------------------------------------------------------------
// 1RSB check (THEORY §S4).

/// `theory fp-1rsb`: the RS point (`"rs"`), the reduction error, one entry of `"starts"` per
/// (m, δ) start, `"non_rs_found"` and the `"verdict"`; where no RS point exists these are null with
/// reasons (and `starts` empty). Also returns the core's verdict (for a text rendering). The
/// caller has checked the options ([`check_1rsb`]).
#[allow(clippy::too_many_arguments)]
pub fn fp_1rsb(
    quad: &FastQuad,
    alpha: f64,
    kappa_ref: f64,
    kappa: f64,
    d: f64,
    m: &[f64],
    delta: &[f64],
    max_iter: u32,
    tol: f64,
) -> Result<(Value, Option<one_rsb::Verdict>)> {
    let opts = SolveOptions {
        tol,
        max_iter,
        ..Default::default()
    };
    let checked = one_rsb::Problem::new(alpha, kappa_ref, kappa, d)
        .and_then(|pb| one_rsb::check(quad, &pb, m, delta, &opts));
    let v = match checked {
        Ok(v) => v,
        Err(e) if e.does_not_exist() => {
            let reason = no_fp_reason(&e);
            let mut value = json!({"alpha": alpha, "kappa_ref": kappa_ref, "kappa": kappa,
                                   "d": d, "starts": []});
            for key in ["rs", "reduction_error", "non_rs_found", "verdict"] {
                set_missing(&mut value, &[key], &reason);
            }
            return Ok((value, None));
        }
        Err(e) => return Err(one_rsb_err(e)),
    };
    let num = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
    let starts: Vec<Value> = v.starts[..v.n_starts]
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
    let value = json!({
        "alpha": alpha, "kappa_ref": kappa_ref, "kappa": kappa, "d": d,
        "rs": {"q1": p.q1, "p": p.p, "qhat1": p.qhat1, "phat": p.phat, "shat": p.shat,
               "phi": v.rs.value.phi, "dphi_dd": v.rs.dphi_dd, "residual": v.rs.residual},
        "reduction_error": v.reduction_error,
        "gap_tol": v.gap_tol,
        "starts": starts,
        "non_rs_found": v.non_rs_found,
        "verdict": verdict_text(v.non_rs_found),
    });
    Ok((value, Some(v)))
}

/// The `"verdict"` of `fp-1rsb`.
pub fn verdict_text(non_rs_found: bool) -> &'static str {
    if non_rs_found {
        "non-RS solution found"
    } else {
        "no non-RS solution found"
    }
}

// ---------------------------------------------------------------------------------------------
// Symmetric binary perceptron (THEORY §S6). The caller has checked κ
// (`experiments::committee_sbp::check_sbp_kappa`).

/// `theory sbp alpha-1m`: the `"alpha_1m"` of `{"kappa","alpha_1m"}`.
pub fn sbp_alpha_1m(kappa: f64) -> Result<f64> {
    sbp::alpha_1m(kappa).map_err(sbp_err)
}

/// `theory sbp pairs` at one distance: `{"alpha","kappa","d","sigma2"}`.
pub fn sbp_pairs(s: &Sbp, alpha: f64, kappa: f64, d: f64) -> Result<Value> {
    let v = s.sigma2(d, alpha, kappa).map_err(sbp_err)?;
    Ok(json!({"alpha": alpha, "kappa": kappa, "d": d, "sigma2": v}))
}

/// `theory sbp alpha-pair`: the `"alpha_pair"` of `{"kappa","d","alpha_pair"}`.
pub fn sbp_alpha_pair(s: &Sbp, kappa: f64, d: f64) -> Result<f64> {
    s.alpha_pair(d, kappa).map_err(sbp_err)
}

/// `theory sbp alpha-gap`: `{"kappa","alpha_gap","d"}`.
pub fn sbp_alpha_gap(s: &Sbp, kappa: f64) -> Result<Value> {
    let v = s.alpha_gap(kappa).map_err(sbp_err)?;
    Ok(json!({"kappa": kappa, "alpha_gap": v.alpha_gap, "d": v.d}))
}

/// `theory sbp tuples`: `{"y","alpha","kappa","d","sigma_y"}`. Checks y ([`check_y`]).
pub fn sbp_tuples(s: &Sbp, y: u32, alpha: f64, kappa: f64, d: f64) -> Result<Value> {
    check_y(y)?;
    let v = s.tuple_entropy(y, alpha, kappa, d).map_err(sbp_err)?;
    Ok(json!({"y": y, "alpha": alpha, "kappa": kappa, "d": d, "sigma_y": v}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rs_warns_above_alpha_c_and_is_null_beyond_alpha_gd() {
        let q = RsQuadrature::new();
        let v = rs(&q, 0.9, 0.0).unwrap();
        assert!(v["s"].as_f64().unwrap() < 0.0);
        assert!(warning(&v)
            .unwrap()
            .starts_with("alpha = 0.9 is above alpha_c(kappa = 0) = 0.833079"));
        let v = rs(&q, 0.5, 0.0).unwrap();
        assert!(v["s"].as_f64().unwrap() > 0.0 && warning(&v).is_none());
        let v = rs(&q, 5.0, 0.0).unwrap();
        for k in ["s", "q", "qhat", "d", "iterations", "residual"] {
            assert!(v[k].is_null(), "{k}");
        }
        assert!(v["s_reason"]
            .as_str()
            .unwrap()
            .contains("alpha_GD(kappa) = 1.273240"));
        assert!(matches!(rs(&q, -1.0, 0.0), Err(Error::Input(m)) if m.starts_with("--alpha -1: ")));
    }

    #[test]
    fn fp_without_a_curve_is_null_with_reasons_in_both_shapes() {
        let q = FpQuadratureFast::new();
        let one = fp(&q, 1.5, 0.0, 0.0, &[0.05], true).unwrap();
        assert!(one["s_fp"].is_null() && one["d_star"].is_null() && one["phi_star"].is_null());
        let reason = one["d_star_reason"].as_str().unwrap();
        assert!(reason.starts_with("the Franz-Parisi entropy does not exist: "));
        assert_eq!(one["s_fp_reason"].as_str(), Some(reason));
        assert_eq!(one["phi_star_reason"].as_str(), Some(reason));
        let grid = fp(&q, 1.5, 0.0, 0.0, &[0.05, 0.1], false).unwrap();
        assert_eq!(grid["d"], json!([0.05, 0.1]));
        assert_eq!(grid["s_fp"], json!([null, null]));
        assert_eq!(grid["kappa_ref"], json!(0.0));
    }

    #[test]
    fn one_point_is_an_object_and_a_grid_columns() {
        let rows = vec![json!({"d": 0.1, "s": 1}), json!({"d": 0.2, "x": true})];
        assert_eq!(
            point_or_columns(rows.clone(), false),
            json!({"d": [0.1, 0.2], "s": [1, null], "x": [null, true]})
        );
        assert_eq!(point_or_columns(rows, true), json!({"d": 0.1, "s": 1}));
        let mut v = json!({"alpha": 1.0});
        set_missing(&mut v, &["a", "b"], "why");
        assert_eq!(
            v,
            json!({"alpha": 1.0, "a": null, "b": null, "a_reason": "why"})
        );
    }
}
