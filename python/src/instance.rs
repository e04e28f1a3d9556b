//! `flatmin.Instance` and the functions on instances: stats, stabilities, BP, local entropy, the
//! solvers, exact enumeration, flatness and local energy.

use crate::convert::{
    columnar_clean, f64_array, i8_1d, i8_2d, pack_1d, pack_2d, run_err, set_spins, shape_err,
    snake_keys, spins_str_to_i8, to_dict, unpack_1d, unpack_2d, value_err,
};
use crate::host::{self, check_committee, Committee, Data, RefChoice, SolveArgs};
use flatmin_core::bits::{words_for, Spins};
use flatmin_core::bp::committee::Architecture;
use flatmin_core::bp::{
    local_entropy_profile, run_bp, BpParams, BpWorkspace, FactorKind, ProfilePoint,
};
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{json, Value};
use std::path::PathBuf;

/// A binary-perceptron instance: P patterns ξ^μ ∈ {±1}^N with labels y_μ, a margin κ and optional
/// reference configurations (the ``R`` lines of the file format, ALGORITHMS §a.4); or a committee
/// machine of ``k`` hidden units (``Instance.random(..., k=K, tree=...)`` or a committee file):
/// ``stats`` and ``solve`` (fbp, rbp) take it, the perceptron-only functions raise ``ValueError``
/// with the CLI's message.
///
/// Build one with ``Instance.read(path)``, ``Instance.random(n, alpha, seed)`` or
/// ``Instance(patterns, labels, kappa=0.0, refs=None)`` from int8 arrays of ±1. Attributes:
/// ``n``, ``p``, ``alpha``, ``kappa``, ``patterns`` (P×N int8, raw), ``labels`` (P int8),
/// ``refs`` (R×N int8), ``gauged_patterns`` (P×N int8, y_μ ξ^μ: what the algorithms see).
/// The patterns are packed once at construction; every function below uses that packed copy.
#[pyclass(frozen, module = "flatmin")]
pub struct Instance {
    pub(crate) data: Data,
}

#[pymethods]
impl Instance {
    /// Instance(patterns, labels=None, kappa=0.0, refs=None, k=1, tree=False): from a P×N int8
    /// array of ±1, P labels (int8 ±1, default all +1), the margin κ and an R×N int8 array of
    /// reference configurations. With ``k`` > 1 a committee machine of K hidden units (odd;
    /// ``tree=True``: unit k sees its own N/K inputs), κ = 0, and ``refs`` an (R·K)×n_in array: K
    /// rows (one per hidden unit, n_in = N or N/K inputs) per reference, as the file's R lines.
    #[new]
    #[pyo3(signature = (patterns, labels = None, kappa = 0.0, refs = None, k = 1, tree = false))]
    fn new(
        patterns: &Bound<'_, PyAny>,
        labels: Option<&Bound<'_, PyAny>>,
        kappa: f64,
        refs: Option<&Bound<'_, PyAny>>,
        k: usize,
        tree: bool,
    ) -> PyResult<Self> {
        let pats = i8_2d(patterns, "patterns")?;
        let view = pats.as_array();
        let (p, n) = view.dim();
        if n == 0 {
            return Err(value_err("patterns: N must be at least 1 (got 0 columns)"));
        }
        let packed = pack_2d(view, "patterns")?;
        let labels = match labels {
            Some(l) => {
                let l = i8_1d(l, "labels")?;
                if l.as_array().len() != p {
                    return Err(value_err(format!(
                        "labels: expected {p} entries (P), got {}",
                        l.as_array().len()
                    )));
                }
                pack_1d(l.as_array(), p, "labels")?
            }
            None => vec![0u64; words_for(p)],
        };
        let committee = Committee {
            k,
            arch: if tree {
                Architecture::Tree
            } else {
                Architecture::FullyConnected
            },
        };
        check_committee(n, k, committee.arch).map_err(|m| value_err(format!("--k {k}: {m}")))?;
        // Reference rows: N columns, or n_in per hidden unit and K rows per reference.
        let (cols, rows_per_ref) = (committee.n_in(n), k);
        let refs = match refs {
            Some(r) => {
                let r = i8_2d(r, "refs")?;
                let v = r.as_array();
                if v.dim().1 != cols {
                    return Err(value_err(if k == 1 {
                        format!("refs: expected {n} columns (N), got {}", v.dim().1)
                    } else {
                        format!(
                            "refs: expected {cols} columns (the inputs per hidden unit), got {}",
                            v.dim().1
                        )
                    }));
                }
                if v.dim().0 % rows_per_ref != 0 {
                    return Err(value_err(format!(
                        "refs: expected K = {k} rows per reference, got {} rows",
                        v.dim().0
                    )));
                }
                let words = pack_2d(v, "refs")?;
                words
                    .chunks(rows_per_ref * words_for(cols))
                    .map(<[u64]>::to_vec)
                    .collect()
            }
            None => Vec::new(),
        };
        Ok(Instance {
            data: Data::from_parts(
                n,
                p,
                kappa,
                packed,
                labels,
                refs,
                (k > 1).then_some(committee),
            )?,
        })
    }

    /// Reads an instance file (``flatmin instance gen`` writes them). Raises ``FileNotFoundError``
    /// for a missing file and ``ValueError`` naming the file and line for a malformed one.
    #[staticmethod]
    fn read(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let data = py.detach(|| Data::read(&path))?;
        Ok(Instance { data })
    }

    /// A random (or, with ``teacher=True``, teacher–student) instance with P = ⌊αN + ½⌋ from
    /// ``seed``: the same instance as ``flatmin instance gen --n N --alpha A --seed S``. The
    /// teacher is reference 1.
    ///
    /// ``k`` > 1 (odd): a committee machine of K hidden sign units, fully connected (K·N weights)
    /// or with ``tree=True`` a tree (unit k sees its own N/K inputs, N weights; K must divide N);
    /// α is then patterns per weight, P = ⌊α·weights + ½⌋, and κ = 0: the same file as
    /// ``flatmin instance gen --n N --k K [--tree] --alpha A [--teacher] --seed S``.
    #[staticmethod]
    #[pyo3(signature = (n, alpha, seed = 0, kappa = 0.0, teacher = false, k = 1, tree = false))]
    #[allow(clippy::too_many_arguments)]
    fn random(
        py: Python<'_>,
        n: usize,
        alpha: f64,
        seed: u64,
        kappa: f64,
        teacher: bool,
        k: usize,
        tree: bool,
    ) -> PyResult<Self> {
        let data = py.detach(|| Data::generate(n, alpha, kappa, teacher, seed, k, tree))?;
        Ok(Instance { data })
    }

    /// Writes the instance in the text format, atomically (a failed write leaves nothing). An
    /// existing file is replaced only if flatmin wrote it, or with ``force=True``.
    #[pyo3(signature = (path, force = false))]
    fn write(&self, py: Python<'_>, path: PathBuf, force: bool) -> PyResult<()> {
        py.detach(|| self.data.write(&path, force))
    }

    /// The instance in the text format, as a string.
    fn to_text(&self) -> String {
        self.data.to_text()
    }

    /// N, the number of weights.
    #[getter]
    fn n(&self) -> usize {
        self.data.n()
    }

    /// P, the number of patterns.
    #[getter]
    fn p(&self) -> usize {
        self.data.p()
    }

    /// α = P/N; for a committee P per weight, P/(K·N) (fully connected) or P/N (tree).
    #[getter]
    fn alpha(&self) -> f64 {
        let weights = self
            .data
            .committee()
            .map_or(self.data.n(), |c| c.num_weights(self.data.n()));
        self.data.p() as f64 / weights as f64
    }

    /// K, the number of hidden units (1 for a perceptron).
    #[getter]
    fn k(&self) -> usize {
        self.data.k()
    }

    /// Whether the committee is a tree (each hidden unit sees its own N/K inputs); False for a
    /// perceptron and a fully connected committee.
    #[getter]
    fn tree(&self) -> bool {
        self.data
            .committee()
            .is_some_and(|c| c.arch == Architecture::Tree)
    }

    /// The margin κ of the header.
    #[getter]
    fn kappa(&self) -> f64 {
        self.data.kappa()
    }

    /// The raw patterns ξ^μ as a P×N int8 array of ±1 (a new array on every access).
    #[getter]
    fn patterns<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<i8>> {
        PyArray2::from_owned_array(
            py,
            unpack_2d(self.data.patterns(), self.data.p(), self.data.n()),
        )
    }

    /// The gauged patterns y_μ ξ^μ as a P×N int8 array (what the algorithms see).
    #[getter]
    fn gauged_patterns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<i8>>> {
        let g = self
            .data
            .file()
            .gauged_patterns()
            .map_err(|e| value_err(e.to_string()))?;
        Ok(PyArray2::from_owned_array(
            py,
            unpack_2d(&g, self.data.p(), self.data.n()),
        ))
    }

    /// The labels y_μ as an int8 array of ±1.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i8>> {
        let p = self.data.p();
        if p == 0 {
            return PyArray1::from_vec(py, Vec::new());
        }
        PyArray1::from_vec(py, unpack_1d(self.data.labels(), p))
    }

    /// The reference configurations as an R×N int8 array (R = 0 when the file has none); for a
    /// committee an (R·K)×n_in array, K rows (one per hidden unit) per reference, as in the file.
    #[getter]
    fn refs<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<i8>> {
        let n = self.data.n();
        let (rows, cols) = self.data.committee().map_or((1, n), |c| (c.k, c.n_in(n)));
        let flat: Vec<u64> = self.data.refs().iter().flatten().copied().collect();
        PyArray2::from_owned_array(py, unpack_2d(&flat, self.data.refs().len() * rows, cols))
    }

    /// The file's comment lines (without the leading '#').
    #[getter]
    fn comments(&self) -> Vec<String> {
        self.data.comments().to_vec()
    }

    fn __repr__(&self) -> String {
        match self.data.committee() {
            None => format!(
                "flatmin.Instance(n={}, p={}, kappa={}, refs={})",
                self.data.n(),
                self.data.p(),
                self.data.kappa(),
                self.data.refs().len()
            ),
            Some(c) => format!(
                "flatmin.Instance(n={}, p={}, k={}, tree={}, refs={})",
                self.data.n(),
                self.data.p(),
                c.k,
                if c.arch == Architecture::Tree {
                    "True"
                } else {
                    "False"
                },
                self.data.refs().len()
            ),
        }
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Instance>() {
            Ok(o) => {
                let (a, b) = (&self.data, &o.get().data);
                a.n() == b.n()
                    && a.p() == b.p()
                    && a.committee() == b.committee()
                    && a.kappa() == b.kappa()
                    && a.patterns() == b.patterns()
                    && a.labels() == b.labels()
                    && a.refs() == b.refs()
            }
            Err(_) => false,
        }
    }
}

/// A reference given as ``ref=``: an int (1-based reference line, R1 = 1) or an int8 array of ±1.
enum RefArg {
    Line(usize),
    Weights(Vec<u64>),
}

fn ref_arg(data: &Data, r: &Bound<'_, PyAny>) -> PyResult<RefArg> {
    if let Ok(k) = r.extract::<i64>() {
        if k < 1 {
            return Err(value_err(format!(
                "reference {k} does not exist: the file has {} reference line(s) (R1..R{})",
                data.refs().len(),
                data.refs().len()
            )));
        }
        return Ok(RefArg::Line(k as usize));
    }
    if r.extract::<numpy::PyReadonlyArray1<'_, i8>>().is_err() && r.getattr("ndim").is_err() {
        return Err(PyTypeError::new_err(
            "ref must be an int (reference line, 1-based) or an int8 array of ±1",
        ));
    }
    let w = i8_1d(r, "ref")?;
    Ok(RefArg::Weights(pack_1d(w.as_array(), data.n(), "ref")?))
}

/// The packed words of a reference argument.
fn ref_words(data: &Data, r: &RefArg) -> PyResult<Vec<u64>> {
    match r {
        RefArg::Line(k) => Ok(data.reference(*k)?.to_vec()),
        RefArg::Weights(w) => Ok(w.clone()),
    }
}

/// `flatmin instance stats --ref K --json`: stabilities, margin and errors of a configuration.
///
/// ``ref`` is a reference line (int, 1-based; default 1) or an int8 array of ±1 (the CLI's
/// ``--weights``); ``kappa`` overrides the header's margin. Returns ``{"ref", "n", "p", "kappa",
/// "t", "stabilities" (int64 array), "margin", "errors_kappa", "errors0"}``; ``ref`` is None for a
/// given array; ``margin`` is None (with ``margin_reason``) when P = 0.
#[pyfunction]
#[pyo3(signature = (instance, r#ref = None, kappa = None))]
pub fn stats<'py>(
    py: Python<'py>,
    instance: &Bound<'py, Instance>,
    r#ref: Option<&Bound<'py, PyAny>>,
    kappa: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let data = &instance.get().data;
    if let Some(c) = data.committee() {
        return committee_stats(py, data, c, r#ref, kappa);
    }
    let r = match r#ref {
        Some(r) => ref_arg(data, r)?,
        None => RefArg::Line(1),
    };
    let w = ref_words(data, &r)?;
    let line = match r {
        RefArg::Line(k) => Some(k),
        RefArg::Weights(_) => None,
    };
    let mut v = snake_keys(py.detach(|| data.stats(&w, kappa, line))?);
    if v["margin"].is_null() {
        v["margin_reason"] = "no patterns (P = 0): the minimum is empty".into();
    }
    to_dict(py, &v)
}

/// `stats` of a committee (K > 1), as `flatmin instance stats FILE --json` of one configuration:
/// ``ref`` an int (reference, 1-based; default 1 when the file has one) or an int8 K×n_in array.
fn committee_stats<'py>(
    py: Python<'py>,
    data: &Data,
    c: Committee,
    r: Option<&Bound<'py, PyAny>>,
    kappa: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    if let Some(k) = kappa.filter(|k| *k != 0.0) {
        return Err(value_err(format!(
            "--kappa {k}: a committee instance has kappa = 0 (no margin on the output majority)"
        )));
    }
    let refs = data.refs().len();
    let n_in = c.n_in(data.n());
    let (w, line): (Option<Vec<u64>>, Option<usize>) = match r {
        None if refs == 0 => (None, None),
        None => (Some(data.refs()[0].clone()), Some(1)),
        Some(r) => {
            if let Ok(k) = r.extract::<i64>() {
                if k < 1 || k as usize > refs {
                    return Err(value_err(format!(
                        "--ref {k}: reference {k} does not exist: the file has {refs} reference(s) \
                         (each K = {} R lines)",
                        c.k
                    )));
                }
                (Some(data.refs()[k as usize - 1].clone()), Some(k as usize))
            } else {
                let a = i8_2d(r, "ref")?;
                let v = a.as_array();
                if v.dim() != (c.k, n_in) {
                    return Err(value_err(format!(
                        "ref: expected a K×n_in = {}×{n_in} int8 array (one row per hidden unit), got {}×{}",
                        c.k,
                        v.dim().0,
                        v.dim().1
                    )));
                }
                (Some(pack_2d(v, "ref")?), None)
            }
        }
    };
    let v = py.detach(|| data.committee_stats(w.as_deref(), line))?;
    to_dict(py, &v)
}

/// The integer stabilities s_μ = Σᵢ wᵢ y_μ ξ^μ_i of configuration ``w`` (int8 array of ±1, length
/// N) on every pattern, as an int32 array of length P. The margin is ``s.min() / sqrt(N)``.
#[pyfunction]
pub fn stabilities<'py>(
    py: Python<'py>,
    instance: &Bound<'py, Instance>,
    w: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray1<i32>>> {
    let data = &instance.get().data;
    let wa = i8_1d(w, "w")?;
    let words = pack_1d(wa.as_array(), data.n(), "w")?;
    let inst = data.instance(None)?;
    let spins = Spins::new(data.n(), &words).map_err(shape_err)?;
    let mut out = vec![0i32; data.p()];
    inst.stabilities(&spins, &mut out).map_err(shape_err)?;
    Ok(PyArray1::from_vec(py, out))
}

fn factor_kind(factor: Option<&str>, n: usize) -> PyResult<FactorKind> {
    match factor {
        None => Ok(if n <= 100 {
            FactorKind::Exact
        } else {
            FactorKind::Gaussian
        }),
        Some("gauss") => Ok(FactorKind::Gaussian),
        Some("exact") => Ok(FactorKind::Exact),
        Some(other) => Err(value_err(format!(
            "invalid value '{other}' for '--factor <FACTOR>': possible values: gauss, exact"
        ))),
    }
}

fn bp_params(
    factor: FactorKind,
    lambda: f64,
    tol: f64,
    max_sweeps: usize,
    damping: f64,
) -> PyResult<BpParams<f64>> {
    let params = BpParams {
        factor,
        lambda,
        tol,
        max_sweeps,
        damping,
        ..BpParams::default()
    };
    params
        .validate()
        .map_err(|e| value_err(format!("bad BP parameters: {e}")))?;
    Ok(params)
}

/// Belief propagation with margin κ and a reference field λ·w̃ (ALGORITHMS §b), as
/// `flatmin bp --json`.
///
/// ``ref`` is a reference line (int, 1-based) or an int8 array of ±1; ``lam`` > 0 needs one.
/// ``factor`` is "gauss" or "exact" (default: exact for N ≤ 100). Returns ``{"phi", "q", "d", "s",
/// "converged", "sweeps", "contradiction", "m"}``: Bethe free entropy φ, overlap q and distance d
/// with the reference (None with ``q_reason``/``d_reason`` without one), local entropy
/// S = φ − λq, and the magnetizations ``m`` (float64 array of length N).
#[pyfunction]
#[pyo3(signature = (instance, r#ref = None, lam = 0.0, factor = None, kappa = None, seed = 0,
                    tol = 1e-10, max_sweeps = 500, damping = 0.0))]
#[allow(clippy::too_many_arguments)]
pub fn bp<'py>(
    py: Python<'py>,
    instance: &Bound<'py, Instance>,
    r#ref: Option<&Bound<'py, PyAny>>,
    lam: f64,
    factor: Option<&str>,
    kappa: Option<f64>,
    seed: u64,
    tol: f64,
    max_sweeps: usize,
    damping: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let data = &instance.get().data;
    if lam > 0.0 && r#ref.is_none() {
        return Err(value_err("--lambda > 0 needs a reference (--ref K)"));
    }
    let reference = match r#ref {
        Some(r) => Some(ref_words(data, &ref_arg(data, r)?)?),
        None => None,
    };
    let params = bp_params(
        factor_kind(factor, data.n())?,
        lam,
        tol,
        max_sweeps,
        damping,
    )?;
    let inst = data.instance(kappa)?;
    let (v, m) = py.detach(|| -> PyResult<(Value, Vec<f64>)> {
        let (n, p) = (inst.n(), inst.p());
        let mut reals = vec![0.0f64; BpWorkspace::<f64>::required_reals(n, p, params.factor)];
        let mut perm = vec![0u32; BpWorkspace::<f64>::required_perm(n, p)];
        let mut ws =
            BpWorkspace::new(n, p, params.factor, &mut reals, &mut perm).map_err(shape_err)?;
        let r = match &reference {
            Some(w) => Some(Spins::new(n, w).map_err(shape_err)?),
            None => None,
        };
        let out = run_bp(&inst, &mut ws, &params, r.as_ref(), seed).map_err(shape_err)?;
        let mut m = vec![0.0; n];
        ws.magnetizations(&mut m).map_err(shape_err)?;
        let b = out.bethe;
        let mut v = json!({
            "phi": b.phi, "q": b.q, "d": b.d, "s": b.s,
            "converged": out.convergence.converged, "sweeps": out.convergence.sweeps,
            "contradiction": b.contradiction,
        });
        for (key, x) in [("q", b.q), ("d", b.d)] {
            if !x.is_finite() {
                v[key] = Value::Null;
                v[format!("{key}_reason")] = if r.is_none() {
                    "no reference (--ref K): the overlap is undefined".into()
                } else {
                    "not finite at this fixed point".into()
                };
            }
        }
        Ok((v, m))
    })?;
    let d = to_dict(py, &v)?;
    d.set_item("m", f64_array(py, m))?;
    Ok(d)
}

/// BP local-entropy profile around a reference (ALGORITHMS §b.7, the paper's SM II.3), as
/// `flatmin local-entropy --ref K --json`, columnar.
///
/// BP runs along ``lambdas`` (default: the paper's 19 values from 10 down to 0), each point
/// warm-started from the previous one. Returns ``{"lambda", "d", "s", "converged"}`` as arrays;
/// ``s`` is NaN where BP found a contradiction (reason in ``s_reason``).
#[pyfunction]
#[pyo3(signature = (instance, r#ref, lambdas = None, factor = None, kappa = None, seed = 0,
                    tol = 1e-10, max_sweeps = 500, damping = 0.0))]
#[allow(clippy::too_many_arguments)]
pub fn local_entropy<'py>(
    py: Python<'py>,
    instance: &Bound<'py, Instance>,
    r#ref: &Bound<'py, PyAny>,
    lambdas: Option<Vec<f64>>,
    factor: Option<&str>,
    kappa: Option<f64>,
    seed: u64,
    tol: f64,
    max_sweeps: usize,
    damping: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let data = &instance.get().data;
    let lambdas = lambdas.unwrap_or_else(host::default_lambdas);
    if lambdas.is_empty() || lambdas.iter().any(|l| !(l.is_finite() && *l >= 0.0)) {
        return Err(value_err(
            "--lambdas must be a non-empty list of finite values >= 0",
        ));
    }
    let w = ref_words(data, &ref_arg(data, r#ref)?)?;
    let params = bp_params(
        factor_kind(factor, data.n())?,
        0.0,
        tol,
        max_sweeps,
        damping,
    )?;
    let inst = data.instance(kappa)?;
    let rows = py.detach(|| -> PyResult<Vec<Value>> {
        let (n, p) = (inst.n(), inst.p());
        let mut reals = vec![0.0f64; BpWorkspace::<f64>::required_reals(n, p, params.factor)];
        let mut perm = vec![0u32; BpWorkspace::<f64>::required_perm(n, p)];
        let mut ws =
            BpWorkspace::new(n, p, params.factor, &mut reals, &mut perm).map_err(shape_err)?;
        let r = Spins::new(n, &w).map_err(shape_err)?;
        let mut pts = vec![ProfilePoint::default(); lambdas.len()];
        local_entropy_profile(&inst, &mut ws, &params, &r, &lambdas, seed, &mut pts)
            .map_err(shape_err)?;
        Ok(pts
            .iter()
            .map(|p| {
                let mut v =
                    json!({"lambda": p.lambda, "d": p.d, "s": p.s, "converged": p.converged});
                if p.contradiction {
                    v["s"] = Value::Null;
                    v["s_reason"] = "contradictory BP fixed point".into();
                }
                v
            })
            .collect())
    })?;
    to_dict(py, &columnar_clean(&rows))
}

/// Runs one solver on the instance, as `flatmin solve FILE --algo ALGO --json`.
///
/// ``algo`` is "fbp" (focusing BP), "rbp" (reinforced BP), "sbpi", "cpr", "sa" (simulated
/// annealing) or "hebb"; the other options are the CLI's flags with the same defaults. Returns
/// ``{"algo", "n", "p", "kappa", "k", "seed", "solved", "errors", "margin", "weights" (int8 array
/// of ±1), "sweeps", "seconds"}``. For a committee instance (K > 1; fbp and rbp only, as the CLI)
/// ``"k"`` is K, ``"tree"`` says the architecture and ``"weights"`` is the CLI's list of K strings
/// of '+'/'-', one per hidden unit; the solution is re-checked by an independent forward pass.
/// The GIL is released while it runs.
#[pyfunction]
#[pyo3(signature = (instance, algo = "fbp", seed = 0, kappa = None, protocol = "paper",
                    step_sweeps = 10, full_protocol = false, fallback = "reinforcement",
                    sweep_check = true, runaway_steps = 4, dr = 1e-3, max_sweeps = 10_000,
                    ps = 0.3, cpr_ps = None, sa_sweeps = 10_000))]
#[allow(clippy::too_many_arguments)]
pub fn solve<'py>(
    py: Python<'py>,
    instance: &Bound<'py, Instance>,
    algo: &str,
    seed: u64,
    kappa: Option<f64>,
    protocol: &str,
    step_sweeps: usize,
    full_protocol: bool,
    fallback: &str,
    sweep_check: bool,
    runaway_steps: usize,
    dr: f64,
    max_sweeps: usize,
    ps: f64,
    cpr_ps: Option<f64>,
    sa_sweeps: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let data = &instance.get().data;
    let args = SolveArgs {
        algo: algo.to_string(),
        protocol: protocol.to_string(),
        step_sweeps,
        full_protocol,
        fallback: fallback.to_string(),
        sweep_check,
        runaway_steps,
        dr,
        max_sweeps,
        ps,
        cpr_ps,
        sa_sweeps,
    };
    let mut v = py.detach(|| host::solve(data, &args, kappa, seed))?;
    // Exactly the keys of `flatmin solve --json`.
    if let Value::Object(m) = &mut v {
        m.retain(|k, _| {
            [
                "solved", "errors", "margin", "weights", "sweeps", "seconds", "algo", "n", "p",
                "kappa", "k", "tree", "seed",
            ]
            .contains(&k.as_str())
        });
    }
    if v["margin"].is_null() {
        v["margin_reason"] = "no patterns (P = 0): the minimum is empty".into();
    }
    // A perceptron's weights as an int8 array; a committee's as the CLI's list of K strings of
    // '+'/'-' (one per hidden unit).
    let weights = v["weights"].as_str().map(spins_str_to_i8);
    let d = to_dict(py, &v)?;
    if let Some(w) = weights {
        set_spins(&d, "weights", w)?;
    }
    Ok(d)
}

/// The reference choice of enumerate / flatness / local_energy (the CLI's ``--ref``,
/// ``--weights``, ``--random-ref``).
fn ref_choice(data: &Data, r: Option<&Bound<'_, PyAny>>, random_ref: bool) -> PyResult<RefChoice> {
    Ok(match r {
        Some(_) if random_ref => {
            return Err(value_err("give at most one of ref and random_ref"));
        }
        Some(r) => match ref_arg(data, r)? {
            RefArg::Line(k) => RefChoice::Line(k),
            RefArg::Weights(w) => RefChoice::Weights(w),
        },
        None if random_ref => RefChoice::Random,
        None => RefChoice::Default,
    })
}

/// Replaces the CLI's ±1 string `reference` by an int8 array.
fn finish_report<'py>(py: Python<'py>, v: Value) -> PyResult<Bound<'py, PyDict>> {
    let reference = v["reference"].as_str().map(spins_str_to_i8);
    let d = to_dict(py, &v)?;
    if let Some(r) = reference {
        set_spins(&d, "reference", r)?;
    }
    Ok(d)
}

/// Exact enumeration of all 2^N configurations around a reference (ALGORITHMS §e), as
/// `flatmin enumerate FILE --json`; N ≤ 40.
///
/// ``ref``: a reference line (int) or an int8 array; default R1, or a uniformly random κ-solution
/// drawn with ``seed`` when the file has no references (``random_ref=True`` forces that).
/// Returns ``{"n", "p", "kappa", "t", "total_solutions", "counts_by_distance" (int64[N+1]),
/// "hist_err" (int64[N+1, P+1]), "hist_smin" (int64[N+1, 2N+1]), "local_entropy" (float64[N+1],
/// NaN where no solution), "reference" (int8[N]), "reference_source"}``. Runs on all cores with the
/// GIL released.
#[pyfunction]
#[pyo3(signature = (instance, r#ref = None, kappa = None, random_ref = false, seed = 0))]
pub fn enumerate<'py>(
    py: Python<'py>,
    instance: &Bound<'py, Instance>,
    r#ref: Option<&Bound<'py, PyAny>>,
    kappa: Option<f64>,
    random_ref: bool,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let data = &instance.get().data;
    let choice = ref_choice(data, r#ref, random_ref)?;
    let v = py.detach(|| host::enumerate(data, &choice, kappa, seed))?;
    let mut v = snake_keys(v);
    v["local_entropy_reason"] =
        "an entry is null where no κ-solution lies at that distance (log 0)".into();
    finish_report(py, v)
}

/// Flatness of a configuration (ALGORITHMS §f), as `flatmin flatness FILE --json`.
///
/// Returns the errors, robustness radius, stabilities, greedy worst-case errors, the bounds
/// ``f_upper``/``d_lower`` and, when N ≤ ``exact_max_n`` (≤ 40), the exact tables ``f``, ``d``,
/// ``max_e_d``, ``min_e_d``, ``mean_err_at_distance`` (None with a ``*_reason`` otherwise).
#[pyfunction]
#[pyo3(signature = (instance, r#ref = None, radius = None, exact_max_n = 30, random_ref = false,
                    seed = 0))]
pub fn flatness<'py>(
    py: Python<'py>,
    instance: &Bound<'py, Instance>,
    r#ref: Option<&Bound<'py, PyAny>>,
    radius: Option<usize>,
    exact_max_n: usize,
    random_ref: bool,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let data = &instance.get().data;
    let choice = ref_choice(data, r#ref, random_ref)?;
    let v = py.detach(|| host::flatness(data, &choice, radius, exact_max_n, seed))?;
    let mut v = snake_keys(v);
    let n = data.n();
    for key in ["f", "d", "max_e_d", "min_e_d", "mean_err_at_distance"] {
        if v[key].is_null() {
            v[format!("{key}_reason")] = format!(
                "needs the exact enumeration, which runs only for N <= {} (--exact-max-n); N = {n}",
                exact_max_n.min(host::MAX_ENUMERATE_N)
            )
            .into();
        }
    }
    finish_report(py, v)
}

/// Local energy δE(p): the mean training-error fraction after flipping each weight of the reference
/// with probability p (ALGORITHMS §f.1), as `flatmin local-energy FILE --json`.
///
/// ``exact=True`` averages exactly by enumeration (N ≤ 40); otherwise ``samples`` Monte-Carlo
/// perturbations per p (``fixed=True``: exactly round(pN) flips). Returns ``{"p", "error"}``
/// (float64 arrays over the grid of ``p_steps`` values in [0, p_max]), ``"exact"``, ``"samples"``.
#[pyfunction]
#[pyo3(signature = (instance, r#ref = None, p_max = 0.5, p_steps = 51, samples = 1000,
                    exact = false, fixed = false, random_ref = false, seed = 0))]
#[allow(clippy::too_many_arguments)]
pub fn local_energy<'py>(
    py: Python<'py>,
    instance: &Bound<'py, Instance>,
    r#ref: Option<&Bound<'py, PyAny>>,
    p_max: f64,
    p_steps: usize,
    samples: u64,
    exact: bool,
    fixed: bool,
    random_ref: bool,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    if exact && fixed {
        return Err(value_err("give at most one of exact and fixed"));
    }
    let data = &instance.get().data;
    let choice = ref_choice(data, r#ref, random_ref)?;
    let v = py.detach(|| {
        host::local_energy(data, &choice, p_max, p_steps, samples, exact, fixed, seed)
    })?;
    to_dict(py, &snake_keys(v))
}

/// Reproduces one figure of the papers into ``out/<name>/`` (data CSV, meta.json, SVG), as
/// `flatmin figure NAME -o OUT --json`, and returns its report ``{"name", "dir", "summary"}``.
/// ``name="list"`` returns ``{name: description}`` of every figure instead.
#[pyfunction]
#[pyo3(signature = (name, out = PathBuf::from("figures"), quick = false, seed = 0))]
pub fn figure<'py>(
    py: Python<'py>,
    name: &str,
    out: PathBuf,
    quick: bool,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    if name == "list" {
        let d = PyDict::new(py);
        for (k, about) in host::figure_list() {
            d.set_item(k, about)?;
        }
        return Ok(d);
    }
    let v = py.detach(|| host::figure(name, &out, quick, seed))?;
    to_dict(py, &snake_keys(v)).map_err(|e| run_err(e.to_string()))
}
