//! Python bindings of flatmin (`import flatmin`): the replica theory, instances, BP, the solvers,
//! exact enumeration and the flatness measures, as numpy arrays and plain dicts.
//!
//! Every result is the JSON object of the matching `flatmin … --json` command (snake_case keys, a
//! missing value as `None` plus a sibling `"<key>_reason"`), with two conversions: a list of numbers
//! becomes a numpy array (int64, or float64 with NaN for a missing entry), and a ±1 configuration
//! becomes an int8 array. The layer adds no numerics of its own: every number comes from
//! `flatmin-core` or `flatmin-host`. All calls into `flatmin-host` live in [`host`].

use pyo3::prelude::*;

mod convert;
mod host;
mod instance;
mod theory;

/// The extension module `flatmin._flatmin` (re-exported by the pure-Python package `flatmin`).
#[pymodule]
fn _flatmin(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<instance::Instance>()?;
    m.add_function(wrap_pyfunction!(instance::stats, m)?)?;
    m.add_function(wrap_pyfunction!(instance::stabilities, m)?)?;
    m.add_function(wrap_pyfunction!(instance::bp, m)?)?;
    m.add_function(wrap_pyfunction!(instance::local_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(instance::solve, m)?)?;
    m.add_function(wrap_pyfunction!(instance::enumerate, m)?)?;
    m.add_function(wrap_pyfunction!(instance::flatness, m)?)?;
    m.add_function(wrap_pyfunction!(instance::local_energy, m)?)?;
    m.add_function(wrap_pyfunction!(instance::figure, m)?)?;
    let t = PyModule::new(py, "theory")?;
    theory::register(&t)?;
    m.add_submodule(&t)?;
    Ok(())
}
