//! `flatmin.theory`: the replica theory (THEORY §S2–S6), mirroring `flatmin theory … --json`.
//!
//! Every result is built by [`flatmin_host::theory_json`], the serializer the CLI calls too: keys,
//! nulls with reasons and warnings are written there once. This file parses the Python arguments
//! (floats or arrays), releases the GIL, and turns the JSON into dicts, a `"warning"` into a
//! `RuntimeWarning`.

use crate::convert::{floats_arg, to_dict, value_err};
use crate::host::err;
use flatmin_core::theory::committee::Activation;
use flatmin_core::theory::franz_parisi::FpQuadratureFast;
use flatmin_core::theory::one_rsb::FastQuad;
use flatmin_core::theory::rs::RsQuadrature;
use flatmin_core::theory::sbp::Sbp;
use flatmin_host::theory_json::{self as tj, check_alpha, check_finite, MAX_GRID_POINTS};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;
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

/// A result as a dict; its `"warning"` (outside the physical region, output conventions §4) also
/// raised as a Python `RuntimeWarning` with the same text.
fn warned_dict<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyDict>> {
    if let Some(msg) = tj::warning(v) {
        PyErr::warn(
            py,
            &py.get_type::<pyo3::exceptions::PyRuntimeWarning>(),
            &std::ffi::CString::new(msg).unwrap_or_default(),
            1,
        )?;
    }
    to_dict(py, v)
}

/// The CLI's κ ≤ 7 guard of the SBP functions (same check, same message), as a ValueError.
fn sbp_kappa(kappa: f64) -> PyResult<()> {
    flatmin_host::experiments::committee_sbp::check_sbp_kappa(kappa).map_err(value_err)
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

/// RS entropy of κ-margin solutions and its saddle point (THEORY §S2), as `flatmin theory rs --json`.
///
/// Returns ``{"alpha", "kappa", "s", "q", "qhat", "d", "iterations", "residual"}`` where ``s`` is the
/// entropy per weight, ``(q, qhat)`` the saddle point and ``d = (1 - q)/2`` the typical distance
/// between two solutions. Raises ``ValueError`` for α ≤ 0 or a non-finite κ; at and beyond
/// α_GD(κ), where no RS solution with q < 1 exists, the values are None with ``"s_reason"``.
#[pyfunction]
#[pyo3(signature = (alpha, kappa = 0.0))]
fn rs<'py>(py: Python<'py>, alpha: f64, kappa: f64) -> PyResult<Bound<'py, PyDict>> {
    let v = py.detach(|| tj::rs(rs_quad(), alpha, kappa)).map_err(err)?;
    warned_dict(py, &v)
}

/// κ_max(α): the largest margin with non-negative RS entropy (paper Fig. 5), as a float.
#[pyfunction]
fn kappa_max(py: Python<'_>, alpha: f64) -> PyResult<f64> {
    py.detach(|| tj::kappa_max(rs_quad(), alpha)).map_err(err)
}

/// α_c(κ): the density where the RS entropy of κ-margin solutions vanishes (0.8330786 at κ = 0,
/// Krauth–Mézard), as a float.
#[pyfunction]
#[pyo3(signature = (kappa = 0.0))]
fn alpha_c(py: Python<'_>, kappa: f64) -> PyResult<f64> {
    py.detach(|| tj::alpha_c(rs_quad(), kappa)).map_err(err)
}

/// A result of one query point (`scalar`) or a grid of points, as a dict. In a grid, the
/// `value_key` column stays a float array (NaN where null) also when no point exists.
fn points_to_py<'py>(
    py: Python<'py>,
    v: &Value,
    scalar: bool,
    value_key: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let d = warned_dict(py, v)?;
    if let (false, Value::Array(col)) = (scalar, &v[value_key]) {
        if col.iter().all(Value::is_null) {
            d.set_item(
                value_key,
                numpy::PyArray1::from_vec(py, vec![f64::NAN; col.len()]),
            )?;
        }
    }
    Ok(d)
}

/// The distances of one Franz–Parisi call: 1 to [`MAX_GRID_POINTS`] (the CLI's `--d-range` limit).
fn check_count(ds: &[f64]) -> PyResult<()> {
    if ds.is_empty() || ds.len() > MAX_GRID_POINTS {
        return Err(value_err(format!(
            "d: the count must be between 1 and {MAX_GRID_POINTS}, got {}",
            ds.len()
        )));
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
/// ``"s_fp_reason"`` (None where the point exists). Where φ(d*) < 0 (no solutions at α) the dict
/// has a ``"warning"``, also raised as a ``RuntimeWarning``.
#[pyfunction]
#[pyo3(signature = (alpha, kappa_ref, kappa = 0.0, d = None))]
fn fp<'py>(
    py: Python<'py>,
    alpha: f64,
    kappa_ref: f64,
    kappa: f64,
    d: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    check_alpha("--alpha", alpha).map_err(err)?;
    check_finite("--kappa-ref", kappa_ref).map_err(err)?;
    check_finite("--kappa", kappa).map_err(err)?;
    let d = d.ok_or_else(|| value_err("give --d or --d-range"))?;
    let (ds, scalar) = floats_arg(d, "d")?;
    check_count(&ds)?;
    for &x in &ds {
        tj::check_fp_d(x).map_err(err)?;
    }
    let v = py
        .detach(|| tj::fp(fp_quad(), alpha, kappa_ref, kappa, &ds, scalar))
        .map_err(err)?;
    points_to_py(py, &v, scalar, "s_fp")
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
    check_alpha("--alpha", alpha).map_err(err)?;
    check_finite("--kappa", kappa).map_err(err)?;
    tj::check_tol("--tol", tol).map_err(err)?;
    if let Some(kr) = kappa_ref {
        check_finite("--kappa-ref", kr).map_err(err)?;
    }
    let v = py
        .detach(|| tj::phases(fp_quad(), rs_quad(), alpha, kappa, kappa_ref, tol))
        .map_err(err)?;
    to_dict(py, &v)
}

/// Threshold table T3 (κ = 0), as `flatmin theory thresholds --json`: κ_max, κ_min, κ_LE at each
/// α of ``alphas`` (one list per key, the CLI's columns: ``"alpha"``, ``"kappa_max"``, …), α_KM, and
/// unless ``no_alpha`` α_LE, κ_max(α_LE) and α_min. Slow (minutes with α_LE); the GIL is released meanwhile.
#[pyfunction]
#[pyo3(signature = (alphas = vec![0.5, 0.6, 0.7], tol = 5e-4, alpha_tol = 1e-4, no_alpha = false))]
fn thresholds<'py>(
    py: Python<'py>,
    alphas: Vec<f64>,
    tol: f64,
    alpha_tol: f64,
    no_alpha: bool,
) -> PyResult<Bound<'py, PyDict>> {
    tj::check_tol("--tol", tol).map_err(err)?;
    tj::check_tol("--alpha-tol", alpha_tol).map_err(err)?;
    tj::check_alphas("--alphas", &alphas).map_err(err)?;
    let t = py
        .detach(|| {
            tj::Thresholds::compute(
                fp_quad(),
                rs_quad(),
                &alphas,
                tol,
                alpha_tol,
                no_alpha,
                |_| {},
            )
        })
        .map_err(err)?;
    to_dict(py, &t.columns())
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
    let v = py
        .detach(|| tj::committee_rs(&fp_quad().rs, act, alpha, kappa))
        .map_err(err)?;
    warned_dict(py, &v)
}

/// κ_max(α) of the tree committee machine with activation ``act`` (the ``"kappa_max"`` of
/// `flatmin theory committee kappa-max --json`), as a float.
#[pyfunction]
fn committee_kappa_max(py: Python<'_>, act: &str, alpha: f64) -> PyResult<f64> {
    let act = activation(act)?;
    py.detach(|| tj::committee_kappa_max(&fp_quad().rs, act, alpha))
        .map_err(err)
}

/// Franz–Parisi local entropy of the tree committee machine (`flatmin theory committee fp --json`):
/// ``{"act", "alpha", "kappa_ref", "kappa", "d", "s_fp"}`` for a float ``d``, the same keys with
/// arrays for ``d`` and ``s_fp`` for an array of (at most 2000) distances; a point that failed has
/// ``s_fp = None`` / NaN and its reason in ``"s_fp_reason"``.
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
    check_alpha("--alpha", alpha).map_err(err)?;
    let d = d.ok_or_else(|| value_err("give exactly one of --d and --d-range"))?;
    let (ds, scalar) = floats_arg(d, "d")?;
    tj::check_committee_ds(&ds).map_err(err)?;
    if ds.is_empty() {
        return Err(value_err("d must hold at least one distance"));
    }
    check_count(&ds)?;
    let rows = py
        .detach(|| tj::committee_fp(fp_quad(), act, alpha, kappa_ref, kappa, &ds))
        .map_err(err)?;
    let v = tj::committee_fp_json(rows, scalar, act, alpha, kappa_ref, kappa);
    points_to_py(py, &v, scalar, "s_fp")
}

/// α_1M(κ) of the symmetric binary perceptron (the ``"alpha_1m"`` of `flatmin theory sbp alpha-1m`),
/// as a float.
#[pyfunction]
fn sbp_alpha_1m(py: Python<'_>, kappa: f64) -> PyResult<f64> {
    sbp_kappa(kappa)?;
    py.detach(|| tj::sbp_alpha_1m(kappa)).map_err(err)
}

/// Annealed pair entropy σ₂(d) of the symmetric binary perceptron (`flatmin theory sbp pairs
/// --json`): ``{"alpha", "kappa", "d", "sigma2"}``, with arrays for ``d`` and ``sigma2`` when ``d``
/// is an array.
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
    let rows = py
        .detach(|| {
            ds.iter()
                .map(|&d| tj::sbp_pairs(s, alpha, kappa, d))
                .collect::<flatmin_host::Result<Vec<Value>>>()
        })
        .map_err(err)?;
    let d = points_to_py(py, &tj::point_or_columns(rows, scalar), scalar, "sigma2")?;
    // α and κ are the call's, one value each also for an array of distances.
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
    py.detach(|| tj::sbp_alpha_pair(s, kappa, d)).map_err(err)
}

/// The overlap-gap density of the symmetric binary perceptron (`flatmin theory sbp alpha-gap
/// --json`): ``{"kappa", "alpha_gap", "d"}``.
#[pyfunction]
fn sbp_alpha_gap<'py>(py: Python<'py>, kappa: f64) -> PyResult<Bound<'py, PyDict>> {
    sbp_kappa(kappa)?;
    let s = sbp_tables();
    let v = py.detach(|| tj::sbp_alpha_gap(s, kappa)).map_err(err)?;
    to_dict(py, &v)
}

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
    tj::check_y(y).map_err(err)?;
    sbp_kappa(kappa)?;
    let s = sbp_tables();
    let v = py
        .detach(|| tj::sbp_tuples(s, y, alpha, kappa, d))
        .map_err(err)?;
    to_dict(py, &v)
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
    tj::check_1rsb(m.len(), delta.len(), max_iter, tol).map_err(err)?;
    let (v, _) = py
        .detach(|| {
            static Q: OnceLock<FastQuad> = OnceLock::new();
            let quad = Q.get_or_init(FastQuad::new);
            tj::fp_1rsb(quad, alpha, kappa_ref, kappa, d, &m, &delta, max_iter, tol)
        })
        .map_err(err)?;
    to_dict(py, &v)
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
