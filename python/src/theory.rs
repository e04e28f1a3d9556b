//! `flatmin.theory`: the replica theory (THEORY §S2–S6), mirroring `flatmin theory … --json`.

use crate::convert::{columnar, floats_arg, run_err, to_dict, value_err};
use flatmin_core::roots::SolveOptions;
use flatmin_core::theory::committee::{self, Activation};
use flatmin_core::theory::franz_parisi::{
    self as fpt, FpError, FpProblem, FpQuadratureFast, FpSaddle,
};
use flatmin_core::theory::one_rsb::{self, FastQuad, OneRsbError};
use flatmin_core::theory::phases::{self as ph, PhaseReport};
use flatmin_core::theory::rs::{self as rst, Perceptron, RsError, RsQuadrature};
use flatmin_core::theory::sbp::{self, Sbp, SbpError};
use flatmin_host::experiments::theory_reasons::{
    no_committee_rs_reason, no_fp_reason, no_rs_reason, scan_range_message, ALPHA_C_RANGE,
    KAPPA_MAX_RANGE,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The quadrature rules, built once per process (the CLI builds the same ones per command).
fn rs_quad() -> &'static RsQuadrature {
    static Q: OnceLock<RsQuadrature> = OnceLock::new();
    Q.get_or_init(RsQuadrature::new)
}

fn fp_quad() -> &'static FpQuadratureFast {
    static Q: OnceLock<FpQuadratureFast> = OnceLock::new();
    Q.get_or_init(FpQuadratureFast::new)
}

fn sbp_tables() -> &'static Sbp {
    static S: OnceLock<Sbp> = OnceLock::new();
    S.get_or_init(Sbp::new)
}

fn check_alpha(alpha: f64) -> PyResult<()> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(value_err(format!(
            "--alpha {alpha}: the constraint density α = P/N (patterns per weight) must be a finite number > 0"
        )));
    }
    Ok(())
}

/// Outside the physical region (output conventions §4): a top-level `"warning"` and a Python
/// `RuntimeWarning` with the same text.
fn warn(d: &Bound<'_, PyDict>, msg: String) -> PyResult<()> {
    let py = d.py();
    PyErr::warn(
        py,
        &py.get_type::<pyo3::exceptions::PyRuntimeWarning>(),
        &std::ffi::CString::new(msg.clone()).unwrap_or_default(),
        1,
    )?;
    d.set_item("warning", msg)
}

fn check_finite(name: &str, v: f64) -> PyResult<()> {
    if !v.is_finite() {
        return Err(value_err(format!("{name} must be finite, got {v}")));
    }
    Ok(())
}

/// A failed perceptron-theory computation (the CLI's exit code 1).
fn numerics(e: impl std::fmt::Display) -> PyErr {
    run_err(e)
}

/// Committee / SBP errors: bad parameters are the caller's (ValueError), the rest failed runs.
fn rs_err(e: RsError) -> PyErr {
    match e {
        RsError::InvalidParameter(w) => value_err(format!("invalid parameter: {w}")),
        other => run_err(other),
    }
}

/// A κ_max / α_c scan that left its range: the caller's value is outside what is computed
/// (ValueError, the CLI's exit 2 and message); other failures as [`rs_err`].
fn scan_err(e: RsError, flag: &str, value: f64, what: &str, range: &str) -> PyErr {
    match e {
        RsError::NoBracket { at } => value_err(scan_range_message(flag, value, what, range, at)),
        other => rs_err(other),
    }
}

/// Sets `keys` to null with `<first key>_reason` (output conventions §3).
fn set_missing(v: &mut Value, keys: &[&str], reason: &str) {
    for k in keys {
        v[*k] = Value::Null;
    }
    if let Some(first) = keys.first() {
        v[format!("{first}_reason")] = json!(reason);
    }
}

/// A perceptron Franz–Parisi failure: bad parameters are the caller's, the rest failed runs.
fn fp_err_numerics(e: FpError) -> PyErr {
    match e {
        FpError::InvalidParameter(_) => fp_err(e),
        FpError::Reference(RsError::InvalidParameter(_))
        | FpError::Equilibrium {
            error: RsError::InvalidParameter(_),
            ..
        } => value_err(e.to_string()),
        other => numerics(other),
    }
}

fn fp_err(e: FpError) -> PyErr {
    match e {
        FpError::InvalidParameter(w) => value_err(format!("invalid parameter: {w}")),
        FpError::Reference(r) => rs_err(r),
        FpError::Equilibrium {
            error: RsError::InvalidParameter(_),
            ..
        } => value_err(e.to_string()),
        other => run_err(other),
    }
}

/// The CLI's κ ≤ 7 guard of the SBP functions (same check, same message), as a ValueError.
fn sbp_kappa(kappa: f64) -> PyResult<()> {
    flatmin_host::experiments::committee_sbp::check_sbp_kappa(kappa).map_err(value_err)
}

fn sbp_err(e: SbpError) -> PyErr {
    match e {
        SbpError::Shape(s) => value_err(s),
        other => run_err(other),
    }
}

fn activation(act: &str) -> PyResult<Activation> {
    match act {
        "sign" => Ok(Activation::Sign),
        "relu" => Ok(Activation::Relu),
        other => Err(value_err(format!(
            "invalid value '{other}' for '--act <ACT>': possible values: sign, relu"
        ))),
    }
}

fn act_name(a: Activation) -> &'static str {
    match a {
        Activation::Sign => "sign",
        Activation::Relu => "relu",
    }
}

/// RS entropy of κ-margin solutions and its saddle point (THEORY §S2), as `flatmin theory rs --json`.
///
/// Returns ``{"alpha", "kappa", "s", "q", "qhat", "d", "iterations", "residual"}`` where ``s`` is the
/// entropy per weight, ``(q, qhat)`` the saddle point and ``d = (1 - q)/2`` the typical distance
/// between two solutions. Raises ``ValueError`` for α ≤ 0 or a non-finite κ; at and beyond
/// α_GD(κ), where no RS solution with q < 1 exists, the values are None with ``"s_reason"``.
#[pyfunction]
#[pyo3(signature = (alpha, kappa = 0.0))]
fn rs<'py>(py: Python<'py>, alpha: f64, kappa: f64) -> PyResult<Bound<'py, PyDict>> {
    check_alpha(alpha)?;
    check_finite("--kappa", kappa)?;
    let r = match py.detach(|| rst::solve(rs_quad(), alpha, kappa)) {
        Ok(r) => r,
        Err(e) if e.does_not_exist() => {
            let mut v = json!({"alpha": alpha, "kappa": kappa});
            set_missing(
                &mut v,
                &["s", "q", "qhat", "d", "iterations", "residual"],
                &no_rs_reason(alpha, kappa),
            );
            return to_dict(py, &v);
        }
        Err(e) => return Err(rs_err(e)),
    };
    let d = PyDict::new(py);
    d.set_item("alpha", alpha)?;
    d.set_item("kappa", kappa)?;
    d.set_item("s", r.s)?;
    d.set_item("q", r.q)?;
    d.set_item("qhat", r.qhat)?;
    d.set_item("d", r.d)?;
    d.set_item("iterations", r.iterations)?;
    d.set_item("residual", r.residual)?;
    if r.s < 0.0 {
        let ac = rst::alpha_c(rs_quad(), kappa)
            .map(|a| format!(" = {a:.6}"))
            .unwrap_or_default();
        warn(
            &d,
            format!(
                "alpha = {alpha} is above alpha_c(kappa = {kappa}){ac}: the RS entropy s = {:.6} is negative, so typical instances have no kappa-solution and this RS saddle point is outside the physical region",
                r.s
            ),
        )?;
    }
    Ok(d)
}

/// κ_max(α): the largest margin with non-negative RS entropy (paper Fig. 5), as a float.
#[pyfunction]
fn kappa_max(py: Python<'_>, alpha: f64) -> PyResult<f64> {
    check_alpha(alpha)?;
    py.detach(|| rst::kappa_max(rs_quad(), alpha))
        .map_err(|e| scan_err(e, "--alpha", alpha, "kappa_max(alpha)", KAPPA_MAX_RANGE))
}

/// α_c(κ): the density where the RS entropy of κ-margin solutions vanishes (0.8330786 at κ = 0,
/// Krauth–Mézard), as a float.
#[pyfunction]
#[pyo3(signature = (kappa = 0.0))]
fn alpha_c(py: Python<'_>, kappa: f64) -> PyResult<f64> {
    check_finite("--kappa", kappa)?;
    py.detach(|| rst::alpha_c(rs_quad(), kappa))
        .map_err(|e| scan_err(e, "--kappa", kappa, "alpha_c(kappa)", ALPHA_C_RANGE))
}

/// One FP point as JSON (`flatmin theory fp --json`): the order parameters, or `s_fp: null` with
/// `s_fp_reason`.
fn fp_point_json(d: f64, r: &Result<FpSaddle, FpError>) -> Value {
    match r {
        Ok(s) => json!({
            "d": s.d, "s_fp": s.phi, "s_fp_reason": Value::Null, "dphi_dd": s.dphi_dd, "overlap": s.s_overlap,
            "q0": s.q0, "qhat0": s.qhat0, "q1": s.q1, "p": s.p, "qhat1": s.qhat1, "phat": s.phat,
            "shat": s.shat, "g_s": s.g_s, "g_e": s.g_e, "residual": s.residual,
            "evaluations": s.evaluations,
        }),
        Err(e) => json!({ "d": d, "s_fp": Value::Null, "s_fp_reason": e.to_string() }),
    }
}

/// Rows → the scalar object (one query point) or the columnar object of arrays (several). The
/// `s_fp` column stays a float array (NaN where null) also when no point exists.
fn points_to_py<'py>(
    py: Python<'py>,
    rows: Vec<Value>,
    scalar: bool,
) -> PyResult<Bound<'py, PyDict>> {
    if scalar {
        let row = rows.into_iter().next().unwrap_or(Value::Null);
        return to_dict(py, &row);
    }
    let n = rows.len();
    let all_null = rows.iter().all(|r| r["s_fp"].is_null());
    let d = to_dict(py, &columnar(&rows))?;
    if all_null {
        d.set_item("s_fp", numpy::PyArray1::from_vec(py, vec![f64::NAN; n]))?;
    }
    Ok(d)
}

/// The most distances one call takes (the CLI's `--d-range` limit).
const MAX_GRID_POINTS: usize = 2000;

fn check_ds(ds: &[f64]) -> PyResult<()> {
    if ds.is_empty() || ds.len() > MAX_GRID_POINTS {
        return Err(value_err(format!(
            "d: the count must be between 1 and {MAX_GRID_POINTS}, got {}",
            ds.len()
        )));
    }
    if let Some(bad) = ds.iter().find(|d| !(**d > 0.0 && **d < 1.0)) {
        return Err(value_err(format!("--d must lie in (0, 1), got {bad}")));
    }
    Ok(())
}

/// Franz–Parisi local entropy φ(d) of κ-margin solutions at distance d from a typical κ̃-margin
/// reference (THEORY §S3), as `flatmin theory fp --json`.
///
/// ``d`` is a float in (0, 1) → a dict of scalars ``{"d", "s_fp", "s_fp_reason", "dphi_dd",
/// "overlap", "q0", "qhat0", "q1", "p", "qhat1", "phat", "shat", "g_s", "g_e", "residual",
/// "evaluations"}``; or a 1-D array of (at most 2000) distances → the same keys with numpy arrays
/// (columnar). Either way also ``"alpha"``, ``"kappa_ref"``, ``"kappa"`` and the maximum
/// ``"d_star"``, ``"phi_star"``. Points are computed by continuation from the typical distance d*;
/// a point past the end of the RS branch has ``s_fp = None`` (NaN in arrays) and its reason in
/// ``"s_fp_reason"`` (None where the point exists).
#[pyfunction]
#[pyo3(signature = (alpha, kappa_ref, kappa = 0.0, d = None))]
fn fp<'py>(
    py: Python<'py>,
    alpha: f64,
    kappa_ref: f64,
    kappa: f64,
    d: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    check_alpha(alpha)?;
    check_finite("--kappa-ref", kappa_ref)?;
    check_finite("--kappa", kappa)?;
    let d = d.ok_or_else(|| value_err("give --d or --d-range"))?;
    let (ds, scalar) = floats_arg(d, "d")?;
    check_ds(&ds)?;
    let (rows, max) = py.detach(|| -> PyResult<(Vec<Value>, Result<FpSaddle, String>)> {
        let quad = fp_quad();
        let solved = FpProblem::perceptron(quad, alpha, kappa_ref, kappa).and_then(|prob| {
            let max = fpt::maximum(quad, &prob)?;
            Ok((prob, max))
        });
        let (prob, max) = match solved {
            Ok(pm) => pm,
            // The curve does not exist (no RS reference or equilibrium): every point null.
            Err(e) if e.does_not_exist() => {
                let reason = no_fp_reason(&e);
                let rows = ds
                    .iter()
                    .map(|d| json!({"d": d, "s_fp": Value::Null, "s_fp_reason": reason}))
                    .collect();
                return Ok((rows, Err(reason)));
            }
            Err(e) => return Err(fp_err_numerics(e)),
        };
        let mut out = vec![Err(FpError::NotComputed); ds.len()];
        fpt::curve(quad, &prob, &max, &ds, &mut out).map_err(fp_err_numerics)?;
        Ok((
            ds.iter()
                .zip(&out)
                .map(|(d, r)| fp_point_json(*d, r))
                .collect(),
            Ok(max),
        ))
    })?;
    let d = points_to_py(py, rows, scalar)?;
    d.set_item("alpha", alpha)?;
    d.set_item("kappa_ref", kappa_ref)?;
    d.set_item("kappa", kappa)?;
    match max {
        Ok(max) => {
            d.set_item("d_star", max.d)?;
            d.set_item("phi_star", max.phi)?;
        }
        Err(reason) => {
            for key in ["d_star", "phi_star"] {
                d.set_item(key, py.None())?;
                d.set_item(format!("{key}_reason"), &reason)?;
            }
        }
    }
    Ok(d)
}

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

/// κ_min and κ_LE at α; a threshold the bracket does not hold is null plus a reason.
fn kappa_thresholds(
    quad: &FpQuadratureFast,
    alpha: f64,
    kappa: f64,
    kmax: f64,
    tol: f64,
) -> PyResult<Value> {
    let lo = kappa + 1e-3;
    let mut v = json!({"alpha": alpha, "kappa": kappa, "kappa_max": kmax, "tol": tol});
    let results = [
        (
            "kappa_min",
            ph::kappa_min(quad, Perceptron, alpha, kappa, lo, kmax, tol),
        ),
        (
            "kappa_le",
            ph::kappa_le(quad, Perceptron, alpha, kappa, lo, kmax, tol),
        ),
    ];
    for (key, r) in results {
        let reason = format!("{key}_reason");
        match r {
            Ok(t) => {
                v[key] = json!(t.value);
                v[reason] = Value::Null;
            }
            Err(ph::PhaseError::NoBracket {
                phase_lo, phase_hi, ..
            }) => {
                v[key] = Value::Null;
                v[reason] = format!(
                    "no phase change between kappa_ref = {lo} (phase {phase_lo}) and kappa_max = {kmax} (phase {phase_hi})"
                )
                .into();
            }
            Err(e) if e.does_not_exist() => {
                v[key] = Value::Null;
                v[reason] = no_fp_reason(&e).into();
            }
            Err(e) => return Err(numerics(e)),
        }
    }
    Ok(v)
}

/// Phase of the Franz–Parisi curves at α (THEORY §S3.6), as `flatmin theory phases --json`.
///
/// With ``kappa_ref``: classify that reference (``{"phase", "phase_name", "d_star", "phi_star",
/// "min_phi", "min_dphi_dd", "dense_near_zero", "branch_end", "points", "alpha", "kappa",
/// "kappa_ref"}``). Without: κ_max(α), κ_min(α), κ_LE(α) by bisection to ``tol`` and the phase of
/// the max-margin reference under ``"max_margin_phase"``.
#[pyfunction]
#[pyo3(signature = (alpha, kappa = 0.0, kappa_ref = None, tol = 5e-4))]
fn phases<'py>(
    py: Python<'py>,
    alpha: f64,
    kappa: f64,
    kappa_ref: Option<f64>,
    tol: f64,
) -> PyResult<Bound<'py, PyDict>> {
    check_alpha(alpha)?;
    check_finite("--kappa", kappa)?;
    if tol.is_nan() || tol <= 0.0 {
        return Err(value_err("--tol must be > 0"));
    }
    if let Some(kr) = kappa_ref {
        check_finite("--kappa-ref", kr)?;
    }
    let v = py.detach(|| -> PyResult<Value> {
        let quad = fp_quad();
        Ok(if let Some(kr) = kappa_ref {
            let r = FpProblem::perceptron(quad, alpha, kr, kappa)
                .map_err(ph::PhaseError::Fp)
                .and_then(|prob| ph::classify(quad, &prob));
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
            let kmax = rst::kappa_max(rs_quad(), alpha)
                .map_err(|e| scan_err(e, "--alpha", alpha, "kappa_max(alpha)", KAPPA_MAX_RANGE))?;
            let mut v = kappa_thresholds(quad, alpha, kappa, kmax, tol)?;
            match ph::max_margin_phase(quad, Perceptron, alpha, kappa) {
                Ok((_, rep)) => v["max_margin_phase"] = phase_json(&rep),
                Err(e) if e.does_not_exist() => {
                    set_missing(&mut v, &["max_margin_phase"], &no_fp_reason(&e))
                }
                Err(e) => return Err(numerics(e)),
            }
            v
        })
    })?;
    to_dict(py, &v)
}

/// Threshold table T3 (κ = 0), as `flatmin theory thresholds --json`: κ_max, κ_min, κ_LE at each
/// α of ``alphas`` (``"rows"``, a list of dicts), α_KM, and unless ``no_alpha`` α_LE, κ_max(α_LE) and
/// α_min. Slow (minutes with α_LE); the GIL is released meanwhile.
#[pyfunction]
#[pyo3(signature = (alphas = vec![0.5, 0.6, 0.7], tol = 5e-4, alpha_tol = 1e-4, no_alpha = false))]
fn thresholds<'py>(
    py: Python<'py>,
    alphas: Vec<f64>,
    tol: f64,
    alpha_tol: f64,
    no_alpha: bool,
) -> PyResult<Bound<'py, PyDict>> {
    if !(tol > 0.0 && alpha_tol > 0.0) {
        return Err(value_err("--tol and --alpha-tol must be > 0"));
    }
    for a in &alphas {
        check_alpha(*a)?;
    }
    let v = py.detach(|| -> PyResult<Value> {
        let quad = fp_quad();
        let rsq = rs_quad();
        let mut rows = Vec::new();
        for &a in &alphas {
            let kmax = rst::kappa_max(rsq, a)
                .map_err(|e| scan_err(e, "--alphas", a, "kappa_max(alpha)", KAPPA_MAX_RANGE))?;
            rows.push(kappa_thresholds(quad, a, 0.0, kmax, tol)?);
        }
        let alpha_km = rst::alpha_c(rsq, 0.0).map_err(numerics)?;
        let mut v = json!({"kappa": 0.0, "rows": rows, "alpha_km": alpha_km});
        if !no_alpha {
            let le =
                ph::alpha_le(quad, Perceptron, 0.0, 0.70, 0.75, alpha_tol).map_err(numerics)?;
            let km_le = rst::kappa_max(rsq, le.value).map_err(numerics)?;
            let amin =
                ph::alpha_min(quad, Perceptron, 0.0, le.hi, 0.8, alpha_tol).map_err(numerics)?;
            v["alpha_le"] = json!(le.value);
            v["kappa_max_at_alpha_le"] = json!(km_le);
            v["alpha_min"] = json!(amin.value);
            v["alpha_tol"] = json!(alpha_tol);
        }
        Ok(v)
    })?;
    to_dict(py, &v)
}

/// RS entropy of the tree committee machine (THEORY §S5) with activation ``act`` ("sign" or
/// "relu"), as `flatmin theory committee rs --json`: ``{"act", "alpha", "kappa", "s", "q", "qhat"}``.
#[pyfunction]
#[pyo3(signature = (act, alpha, kappa = 0.0))]
fn committee_rs<'py>(
    py: Python<'py>,
    act: &str,
    alpha: f64,
    kappa: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let act = activation(act)?;
    check_alpha(alpha)?;
    let r = match py.detach(|| committee::rs(&fp_quad().rs, act, alpha, kappa)) {
        Ok(r) => r,
        Err(e) if e.does_not_exist() => {
            let mut v = json!({"act": act_name(act), "alpha": alpha, "kappa": kappa});
            set_missing(
                &mut v,
                &["s", "q", "qhat"],
                &no_committee_rs_reason(alpha, &e),
            );
            return to_dict(py, &v);
        }
        Err(e) => return Err(rs_err(e)),
    };
    let v = json!({"act": act_name(act), "alpha": alpha, "kappa": kappa, "s": r.s, "q": r.q,
                   "qhat": r.qhat});
    let d = to_dict(py, &v)?;
    if r.s < 0.0 {
        warn(
            &d,
            format!(
                "the RS entropy s = {:.6} is negative at alpha = {alpha}, kappa = {kappa}: above the capacity, typical instances have no solution and this RS saddle point is outside the physical region",
                r.s
            ),
        )?;
    }
    Ok(d)
}

/// κ_max(α) of the tree committee machine with activation ``act`` (the ``"kappa_max"`` of
/// `flatmin theory committee kappa-max --json`), as a float.
#[pyfunction]
fn committee_kappa_max(py: Python<'_>, act: &str, alpha: f64) -> PyResult<f64> {
    let act = activation(act)?;
    check_alpha(alpha)?;
    py.detach(|| committee::kappa_max(&fp_quad().rs, act, alpha))
        .map_err(|e| scan_err(e, "--alpha", alpha, "kappa_max(alpha)", KAPPA_MAX_RANGE))
}

/// Franz–Parisi local entropy of the tree committee machine (`flatmin theory committee fp --json`):
/// ``{"d", "s_fp"}`` for a float ``d``, the same keys with arrays for an array of distances; a point
/// that failed has ``s_fp = None`` / NaN and its reason in ``"s_fp_reason"``.
#[pyfunction]
#[pyo3(signature = (act, alpha, kappa_ref, kappa = 0.0, d = None))]
fn committee_fp<'py>(
    py: Python<'py>,
    act: &str,
    alpha: f64,
    kappa_ref: f64,
    kappa: f64,
    d: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let act = activation(act)?;
    check_alpha(alpha)?;
    let d = d.ok_or_else(|| value_err("give exactly one of --d and --d-range"))?;
    let (ds, scalar) = floats_arg(d, "d")?;
    if let Some(bad) = ds.iter().find(|d| !(**d > 0.0 && **d < 1.0)) {
        return Err(value_err(format!("distance {bad} is outside (0, 1)")));
    }
    if ds.is_empty() {
        return Err(value_err("d must hold at least one distance"));
    }
    let rows = py.detach(|| -> PyResult<Vec<Value>> {
        let quad = fp_quad();
        let mut out = vec![Err(FpError::NotComputed); ds.len()];
        let solved = committee::fp_problem(quad, act, alpha, kappa_ref, kappa)
            .and_then(|prob| committee::fp_curve(quad, &prob, &ds, &mut out));
        match solved {
            Ok(_) => {}
            Err(e) if e.does_not_exist() => out.fill(Err(e)),
            Err(e) => return Err(fp_err(e)),
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
    })?;
    points_to_py(py, rows, scalar)
}

/// α_1M(κ) of the symmetric binary perceptron (the ``"alpha_1m"`` of `flatmin theory sbp alpha-1m`),
/// as a float.
#[pyfunction]
fn sbp_alpha_1m(py: Python<'_>, kappa: f64) -> PyResult<f64> {
    sbp_kappa(kappa)?;
    py.detach(|| sbp::alpha_1m(kappa)).map_err(sbp_err)
}

/// Annealed pair entropy σ₂(d) of the symmetric binary perceptron (`flatmin theory sbp pairs
/// --json`): ``{"alpha", "kappa", "d", "sigma2"}``, with arrays when ``d`` is an array.
#[pyfunction]
fn sbp_pairs<'py>(
    py: Python<'py>,
    alpha: f64,
    kappa: f64,
    d: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    sbp_kappa(kappa)?;
    let (ds, scalar) = floats_arg(d, "d")?;
    let s = sbp_tables();
    let rows = py.detach(|| -> PyResult<Vec<Value>> {
        ds.iter()
            .map(|&d| {
                let v = s.sigma2(d, alpha, kappa).map_err(sbp_err)?;
                Ok(json!({"d": d, "sigma2": v}))
            })
            .collect()
    })?;
    let d = points_to_py(py, rows, scalar)?;
    d.set_item("alpha", alpha)?;
    d.set_item("kappa", kappa)?;
    Ok(d)
}

/// α_pair(d; κ) of the symmetric binary perceptron: the density where the annealed pair entropy at
/// distance d vanishes (the ``"alpha_pair"`` of `flatmin theory sbp alpha-pair`), as a float.
#[pyfunction]
fn sbp_alpha_pair(py: Python<'_>, kappa: f64, d: f64) -> PyResult<f64> {
    sbp_kappa(kappa)?;
    let s = sbp_tables();
    py.detach(|| s.alpha_pair(d, kappa)).map_err(sbp_err)
}

/// The overlap-gap density of the symmetric binary perceptron (`flatmin theory sbp alpha-gap
/// --json`): ``{"kappa", "alpha_gap", "d"}``.
#[pyfunction]
fn sbp_alpha_gap<'py>(py: Python<'py>, kappa: f64) -> PyResult<Bound<'py, PyDict>> {
    sbp_kappa(kappa)?;
    let s = sbp_tables();
    let v = py.detach(|| s.alpha_gap(kappa)).map_err(sbp_err)?;
    to_dict(
        py,
        &json!({"kappa": kappa, "alpha_gap": v.alpha_gap, "d": v.d}),
    )
}

/// The most replicas of a tuple (the CLI's `--y` limit).
const MAX_Y: u32 = 10_000;

/// Annealed entropy of y-tuples of solutions at mutual distance d in the symmetric binary
/// perceptron (`flatmin theory sbp tuples --json`): ``{"y", "alpha", "kappa", "d", "sigma_y"}``.
#[pyfunction]
fn sbp_tuples<'py>(
    py: Python<'py>,
    y: u32,
    alpha: f64,
    kappa: f64,
    d: f64,
) -> PyResult<Bound<'py, PyDict>> {
    if y == 0 || y > MAX_Y {
        return Err(value_err(format!(
            "--y {y}: the tuple size must be in 1..={MAX_Y}"
        )));
    }
    sbp_kappa(kappa)?;
    let s = sbp_tables();
    let v = py
        .detach(|| s.tuple_entropy(y, alpha, kappa, d))
        .map_err(sbp_err)?;
    to_dict(
        py,
        &json!({"y": y, "alpha": alpha, "kappa": kappa, "d": d, "sigma_y": v}),
    )
}

fn one_rsb_err(e: OneRsbError) -> PyErr {
    match e {
        OneRsbError::Shape(s) => value_err(s),
        OneRsbError::Reference(r) => rs_err(r),
        other => run_err(other),
    }
}

/// 1RSB stability check of a Franz–Parisi point (THEORY §S4), as `flatmin theory fp-1rsb --json`:
/// the RS point (``"rs"``), the 1RSB functional's reduction error at m = 0.5, and one entry of
/// ``"starts"`` per (m, δ) start, each iterated to a fixed point; ``"non_rs_found"`` tells whether
/// any start converged away from the RS solution. Slow (seconds per start).
#[pyfunction]
#[pyo3(signature = (alpha, kappa_ref, d, kappa = 0.0, m = vec![0.3, 0.7], delta = vec![0.05, 0.2],
                    max_iter = 300, tol = 1e-9))]
#[allow(clippy::too_many_arguments)]
fn fp_1rsb<'py>(
    py: Python<'py>,
    alpha: f64,
    kappa_ref: f64,
    d: f64,
    kappa: f64,
    m: Vec<f64>,
    delta: Vec<f64>,
    max_iter: u32,
    tol: f64,
) -> PyResult<Bound<'py, PyDict>> {
    if m.len() * delta.len() > one_rsb::MAX_STARTS {
        return Err(value_err(format!(
            "at most {} starts (|m| x |delta|)",
            one_rsb::MAX_STARTS
        )));
    }
    if tol.is_nan() || tol <= 0.0 {
        return Err(value_err("--tol must be > 0"));
    }
    if !(1..=100_000).contains(&max_iter) {
        return Err(value_err(format!(
            "--max-iter {max_iter}: must be between 1 and 100000"
        )));
    }
    let value = py.detach(|| -> PyResult<Value> {
        static Q: OnceLock<FastQuad> = OnceLock::new();
        let quad = Q.get_or_init(FastQuad::new);
        let opts = SolveOptions {
            tol,
            max_iter,
            ..Default::default()
        };
        let checked = one_rsb::Problem::new(alpha, kappa_ref, kappa, d)
            .and_then(|pb| one_rsb::check(quad, &pb, &m, &delta, &opts));
        let v = match checked {
            Ok(v) => v,
            Err(e) if e.does_not_exist() => {
                let reason = no_fp_reason(&e);
                let mut value = json!({"alpha": alpha, "kappa_ref": kappa_ref, "kappa": kappa,
                                       "d": d, "starts": []});
                for key in ["rs", "reduction_error", "non_rs_found", "verdict"] {
                    set_missing(&mut value, &[key], &reason);
                }
                return Ok(value);
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
        let verdict = if v.non_rs_found {
            "non-RS solution found"
        } else {
            "no non-RS solution found"
        };
        Ok(json!({
            "alpha": alpha, "kappa_ref": kappa_ref, "kappa": kappa, "d": d,
            "rs": {"q1": p.q1, "p": p.p, "qhat1": p.qhat1, "phat": p.phat, "shat": p.shat,
                   "phi": v.rs.value.phi, "dphi_dd": v.rs.dphi_dd, "residual": v.rs.residual},
            "reduction_error": v.reduction_error,
            "gap_tol": v.gap_tol,
            "starts": starts,
            "non_rs_found": v.non_rs_found,
            "verdict": verdict,
        }))
    })?;
    to_dict(py, &value)
}

/// Adds the theory functions to the `flatmin.theory` module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add(
        "__doc__",
        "Replica theory of the binary perceptron, the tree committee machine and the symmetric \
         binary perceptron (THEORY §S2–S6). Each function mirrors `flatmin theory … --json`.",
    )?;
    m.add_function(wrap_pyfunction!(rs, m)?)?;
    m.add_function(wrap_pyfunction!(kappa_max, m)?)?;
    m.add_function(wrap_pyfunction!(alpha_c, m)?)?;
    m.add_function(wrap_pyfunction!(fp, m)?)?;
    m.add_function(wrap_pyfunction!(phases, m)?)?;
    m.add_function(wrap_pyfunction!(fp_1rsb, m)?)?;
    m.add_function(wrap_pyfunction!(thresholds, m)?)?;
    m.add_function(wrap_pyfunction!(committee_rs, m)?)?;
    m.add_function(wrap_pyfunction!(committee_kappa_max, m)?)?;
    m.add_function(wrap_pyfunction!(committee_fp, m)?)?;
    m.add_function(wrap_pyfunction!(sbp_alpha_1m, m)?)?;
    m.add_function(wrap_pyfunction!(sbp_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(sbp_alpha_pair, m)?)?;
    m.add_function(wrap_pyfunction!(sbp_alpha_gap, m)?)?;
    m.add_function(wrap_pyfunction!(sbp_tuples, m)?)?;
    Ok(())
}
