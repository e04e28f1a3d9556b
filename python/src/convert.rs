//! Conversions shared by the bindings: errors, JSON values → Python objects, ±1 arrays ↔ packed words.

use numpy::ndarray::{Array2, ArrayView1, ArrayView2};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

/// Bad input (the CLI's exit code 2): `ValueError` with the CLI's message.
pub fn value_err(msg: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(msg.to_string())
}

/// A failed run (the CLI's exit code 1: no convergence, a numerical procedure left its domain).
pub fn run_err(msg: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(msg.to_string())
}

/// A core shape/parameter error: always the caller's input.
pub fn shape_err(e: flatmin_core::ShapeError) -> PyErr {
    value_err(e)
}

/// Converts a JSON value of a CLI report into Python: objects → dict, arrays of numbers → numpy
/// arrays (int64 when every entry is an integer, float64 otherwise, `null` → NaN), arrays of equally
/// long integer arrays → 2-D int64 arrays, anything else → list; scalars as themselves.
pub fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(a) => array_to_py(py, a)?,
        Value::Object(map) => {
            let d = PyDict::new(py);
            for (k, v) in map {
                d.set_item(k, to_py(py, v)?)?;
            }
            d.into_any()
        }
    })
}

fn array_to_py<'py>(py: Python<'py>, a: &[Value]) -> PyResult<Bound<'py, PyAny>> {
    let numeric = !a.is_empty()
        && a.iter().all(|x| x.is_number() || x.is_null())
        && a.iter().any(Value::is_number);
    if numeric {
        if a.iter().all(|x| x.as_i64().is_some()) {
            let v: Vec<i64> = a.iter().filter_map(Value::as_i64).collect();
            return Ok(PyArray1::from_vec(py, v).into_any());
        }
        let v: Vec<f64> = a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect();
        return Ok(PyArray1::from_vec(py, v).into_any());
    }
    // A table of integer rows of one length (the enumeration histograms).
    if let Some(Value::Array(first)) = a.first() {
        let cols = first.len();
        let rows: Option<Vec<&Vec<Value>>> = a
            .iter()
            .map(|r| match r {
                Value::Array(r) if r.len() == cols && r.iter().all(|x| x.as_i64().is_some()) => {
                    Some(r)
                }
                _ => None,
            })
            .collect();
        if let Some(rows) = rows.filter(|_| cols > 0) {
            let flat: Vec<i64> = rows
                .iter()
                .flat_map(|r| r.iter().filter_map(Value::as_i64))
                .collect();
            let arr = Array2::from_shape_vec((rows.len(), cols), flat).map_err(run_err)?;
            return Ok(PyArray2::from_owned_array(py, arr).into_any());
        }
    }
    let l = PyList::empty(py);
    for x in a {
        l.append(to_py(py, x)?)?;
    }
    Ok(l.into_any())
}

/// `to_py` of an object, as a dict.
pub fn to_dict<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyDict>> {
    Ok(to_py(py, v)?.cast_into::<PyDict>()?)
}

/// The snake_case form of a key of a host report (`maxE_d` → `max_e_d`, `F_upper` → `f_upper`,
/// `N` → `n`), so every key the Python API returns follows the output conventions.
pub fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 2);
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// Renames every key of a JSON object (recursively) to snake_case.
pub fn snake_keys(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (snake(&k), snake_keys(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(snake_keys).collect()),
        other => other,
    }
}

/// Borrows `obj` as a 1-D int8 numpy array, with a message that says how to get one.
pub fn i8_1d<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<PyReadonlyArray1<'py, i8>> {
    obj.extract::<PyReadonlyArray1<'py, i8>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a 1-D numpy array of dtype int8 with entries ±1 (got {}); \
             use numpy.asarray(x, dtype=numpy.int8)",
            describe(obj)
        ))
    })
}

/// Borrows `obj` as a 2-D int8 numpy array.
pub fn i8_2d<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<PyReadonlyArray2<'py, i8>> {
    obj.extract::<PyReadonlyArray2<'py, i8>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a 2-D numpy array of dtype int8 with entries ±1 (got {}); \
             use numpy.asarray(x, dtype=numpy.int8)",
            describe(obj)
        ))
    })
}

fn describe(obj: &Bound<'_, PyAny>) -> String {
    let ty = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    match (obj.getattr("dtype"), obj.getattr("ndim")) {
        (Ok(d), Ok(nd)) => format!("{ty} of dtype {d} with ndim {nd}"),
        _ => ty,
    }
}

/// Packs ±1 entries into words (bit set ⇔ −1), checking every entry.
pub fn pack_row(row: ArrayView1<'_, i8>, out: &mut [u64], what: &str) -> Result<(), String> {
    for w in out.iter_mut() {
        *w = 0;
    }
    for (i, &x) in row.iter().enumerate() {
        match x {
            1 => {}
            -1 => out[i / 64] |= 1u64 << (i % 64),
            other => {
                return Err(format!(
                    "{what}: entry {i} is {other}, every entry must be +1 or -1"
                ))
            }
        }
    }
    Ok(())
}

/// Packs a 1-D ±1 array of length `n`.
pub fn pack_1d(row: ArrayView1<'_, i8>, n: usize, what: &str) -> PyResult<Vec<u64>> {
    if row.len() != n {
        return Err(value_err(format!(
            "{what}: expected {n} entries (N), got {}",
            row.len()
        )));
    }
    let mut out = vec![0u64; flatmin_core::bits::words_for(n)];
    pack_row(row, &mut out, what).map_err(value_err)?;
    Ok(out)
}

/// Packs the rows of a 2-D ±1 array (rows × n) into `rows · words_for(n)` words.
pub fn pack_2d(a: ArrayView2<'_, i8>, what: &str) -> PyResult<Vec<u64>> {
    let (rows, n) = a.dim();
    let nw = flatmin_core::bits::words_for(n);
    let mut out = vec![0u64; rows * nw];
    for (r, row) in a.outer_iter().enumerate() {
        pack_row(
            row,
            &mut out[r * nw..(r + 1) * nw],
            &format!("{what} row {r}"),
        )
        .map_err(value_err)?;
    }
    Ok(out)
}

/// Unpacks `rows` rows of `n` spins into a rows × n int8 array.
pub fn unpack_2d(words: &[u64], rows: usize, n: usize) -> Array2<i8> {
    let nw = flatmin_core::bits::words_for(n);
    Array2::from_shape_fn((rows, n), |(r, i)| {
        if (words[r * nw + i / 64] >> (i % 64)) & 1 == 1 {
            -1
        } else {
            1
        }
    })
}

/// Unpacks `n` spins into an int8 vector.
pub fn unpack_1d(words: &[u64], n: usize) -> Vec<i8> {
    (0..n)
        .map(|i| {
            if (words[i / 64] >> (i % 64)) & 1 == 1 {
                -1
            } else {
                1
            }
        })
        .collect()
}

/// Parses a string of '+'/'-' (the CLI's spin strings) into an int8 vector.
pub fn spins_str_to_i8(s: &str) -> Vec<i8> {
    s.chars()
        .map(|c| if c == '-' { -1i8 } else { 1i8 })
        .collect()
}

/// Sets `dict[key]` to an int8 array, replacing a spin string.
pub fn set_spins(d: &Bound<'_, PyDict>, key: &str, spins: Vec<i8>) -> PyResult<()> {
    d.set_item(key, PyArray1::from_vec(d.py(), spins))
}

/// A float64 vector as a numpy array.
pub fn f64_array<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    PyArray1::from_vec(py, v)
}

/// Reads a float or a 1-D array of floats (anything numpy.asarray takes): `(values, was_scalar)`.
pub fn floats_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<(Vec<f64>, bool)> {
    let is_array = obj
        .getattr("ndim")
        .and_then(|d| d.extract::<usize>())
        .is_ok_and(|d| d > 0);
    if !is_array {
        if let Ok(x) = obj.extract::<f64>() {
            return Ok((vec![x], true));
        }
    }
    let np = obj.py().import("numpy")?;
    let arr = np.call_method1("asarray", (obj, "float64")).map_err(|_| {
        PyTypeError::new_err(format!("{name} must be a float or an array of floats"))
    })?;
    let ro = arr.extract::<numpy::PyReadonlyArrayDyn<'_, f64>>()?;
    let view = ro.as_array();
    match view.ndim() {
        0 => Ok((vec![view.iter().copied().next().unwrap_or(f64::NAN)], true)),
        1 => Ok((view.iter().copied().collect(), false)),
        k => Err(value_err(format!(
            "{name} must be a float or a 1-D array, got an array with {k} dimensions"
        ))),
    }
}

/// [`columnar`](flatmin_host::theory_json::columnar), then drops every `*_reason` column that is all `null` (no point failed).
pub fn columnar_clean(rows: &[Value]) -> Value {
    let mut v = flatmin_host::theory_json::columnar(rows);
    if let Value::Object(m) = &mut v {
        m.retain(|k, col| {
            !(k.ends_with("_reason")
                && matches!(col, Value::Array(a) if a.iter().all(Value::is_null)))
        });
    }
    v
}
