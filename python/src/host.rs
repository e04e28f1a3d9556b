//! Every call into `flatmin-host` (instance files, the solvers' driver, enumeration on all cores, the
//! figures). Nothing else in this crate names `flatmin_host`, so a change of the host library's API is
//! a local fix here. Functions return host errors or JSON values and never touch Python objects, so
//! they run with the GIL released.

use flatmin_core::bits::Spins;
use flatmin_core::bp::committee::Architecture;
use flatmin_core::instance::Instance;
use flatmin_core::stability::Threshold;
use flatmin_host::experiments::enumeration as en;
use flatmin_host::experiments::solver::{self as cap, Algo, ProtocolName, SolveOpts};
use flatmin_host::io::{self, InstanceFile, Problem};
pub use flatmin_host::io::{check_committee, Committee};
use pyo3::exceptions::{PyFileNotFoundError, PyRuntimeError, PyValueError};
use pyo3::PyErr;
use serde_json::Value;
use std::path::Path;

/// The host's error as a Python exception: bad input → `ValueError`, a missing file →
/// `FileNotFoundError`, a failed run → `RuntimeError`; the message is the CLI's.
pub fn err(e: flatmin_host::Error) -> PyErr {
    // A missing file is also bad input (exit 2 in the CLI), so test it first.
    if let flatmin_host::Error::Io { error, .. } = &e {
        if error.kind() == std::io::ErrorKind::NotFound {
            return PyFileNotFoundError::new_err(e.to_string());
        }
    }
    if e.is_input() {
        return PyValueError::new_err(e.to_string());
    }
    PyRuntimeError::new_err(e.to_string())
}

/// The largest N `Instance.random` generates (`flatmin instance gen`'s limit).
pub const MAX_GEN_N: usize = 1 << 24;

/// The largest N enumerated exactly.
pub const MAX_ENUMERATE_N: usize = en::MAX_ENUMERATE_N;

/// The most flip probabilities / Monte-Carlo samples of `local_energy` (the CLI's limits).
pub const MAX_P_STEPS: usize = 10_000;
/// See [`MAX_P_STEPS`].
pub const MAX_SAMPLES: u64 = 10_000_000;

/// An instance: the file's content plus its gauged patterns, computed once (a perceptron's; a
/// committee machine's are gauged by the solver that takes it).
#[derive(Clone, Debug)]
pub struct Data {
    file: InstanceFile,
    problem: Option<Problem>,
}

impl Data {
    fn new(file: InstanceFile) -> Result<Self, PyErr> {
        let problem = match file.committee {
            None => Some(Problem::from_file(&file, None).map_err(err)?),
            Some(_) => None,
        };
        Ok(Data { file, problem })
    }

    /// The committee part (K > 1), `None` for a perceptron.
    pub fn committee(&self) -> Option<Committee> {
        self.file.committee
    }

    /// K (1 for a perceptron).
    pub fn k(&self) -> usize {
        self.file.k()
    }

    /// The CLI's error for a committee given to a perceptron-only function.
    pub fn perceptron_only(&self) -> Result<(), PyErr> {
        self.file.perceptron_only().map_err(err)
    }

    /// Reads an instance file (ALGORITHMS §a.4).
    pub fn read(path: &Path) -> Result<Self, PyErr> {
        match InstanceFile::read(path) {
            Ok(f) => Data::new(f),
            Err(e) if !path.exists() => Err(PyFileNotFoundError::new_err(e.to_string())),
            Err(e) => Err(err(e)),
        }
    }

    /// `flatmin instance gen [--k K [--tree]]`: P = ⌊αW + ½⌋ patterns from `seed` (W = N, or K·N
    /// for a fully connected committee); the teacher (if any) is R1. The checks and messages are
    /// the CLI's.
    #[allow(clippy::too_many_arguments)]
    pub fn generate(
        n: usize,
        alpha: f64,
        kappa: f64,
        teacher: bool,
        seed: u64,
        k: usize,
        tree: bool,
    ) -> Result<Self, PyErr> {
        if n == 0 || n > MAX_GEN_N {
            return Err(PyValueError::new_err(format!(
                "--n {n}: N must be in 1..={MAX_GEN_N}"
            )));
        }
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(PyValueError::new_err(format!(
                "--alpha {alpha}: the load α = P/N (patterns per weight) must be a finite number > 0"
            )));
        }
        if !kappa.is_finite() {
            return Err(PyValueError::new_err(format!(
                "--kappa {kappa}: must be finite"
            )));
        }
        let arch = if tree {
            Architecture::Tree
        } else {
            Architecture::FullyConnected
        };
        check_committee(n, k, arch).map_err(|m| PyValueError::new_err(format!("--k {k}: {m}")))?;
        if k > 1 && kappa != 0.0 {
            return Err(PyValueError::new_err(format!(
                "--kappa {kappa}: a committee machine (--k {k}) has kappa = 0 (no margin on the output majority)"
            )));
        }
        let weights = match arch {
            Architecture::FullyConnected => k * n,
            Architecture::Tree => n,
        };
        let p = flatmin_core::instance::num_patterns(alpha, weights).map_err(err_core)?;
        if p == 0 {
            return Err(PyValueError::new_err(format!(
                "--alpha {alpha} --n {n}: P = ⌊αW + ½⌋ = 0 patterns ({weights} weights); an instance needs at \
                 least one"
            )));
        }
        let f = if k == 1 {
            InstanceFile::generate(n, alpha, kappa, teacher, seed)
        } else {
            InstanceFile::generate_committee(n, k, arch, alpha, teacher, seed)
        };
        Data::new(f.map_err(err)?)
    }

    /// An instance from packed raw patterns (P rows of `words_for(N)`), labels and references.
    /// `committee`: K and the architecture of a committee machine (K > 1; κ must be 0, each
    /// reference K rows of `words_for(n_in)` words).
    pub fn from_parts(
        n: usize,
        p: usize,
        kappa: f64,
        patterns: Vec<u64>,
        labels: Vec<u64>,
        refs: Vec<Vec<u64>>,
        committee: Option<Committee>,
    ) -> Result<Self, PyErr> {
        if n == 0 {
            return Err(PyValueError::new_err("N must be at least 1"));
        }
        if !kappa.is_finite() {
            return Err(PyValueError::new_err("kappa must be finite"));
        }
        if let Some(c) = committee {
            check_committee(n, c.k, c.arch)
                .map_err(|m| PyValueError::new_err(format!("--k {}: {m}", c.k)))?;
            if kappa != 0.0 {
                return Err(PyValueError::new_err(format!(
                    "--kappa {kappa}: a committee machine (--k {}) has kappa = 0 (no margin on the output majority)",
                    c.k
                )));
            }
        }
        let committee = committee.filter(|c| c.k > 1);
        Data::new(InstanceFile {
            n,
            p,
            kappa,
            patterns,
            labels: if p == 0 { Vec::new() } else { labels },
            refs,
            comments: vec![match committee {
                None => {
                    format!(" flatmin instance from arrays (Python): N={n} P={p} kappa={kappa}")
                }
                Some(c) => format!(
                    " flatmin committee instance from arrays (Python): N={n} P={p} K={} arch={}",
                    c.k,
                    c.arch_name()
                ),
            }],
            committee,
        })
    }

    /// Writes the text format atomically. An existing file is replaced only if flatmin wrote it (its
    /// first line starts with `# flatmin `) or `force` (output conventions §8).
    pub fn write(&self, path: &Path, force: bool) -> Result<(), PyErr> {
        if path.is_dir() {
            return Err(PyValueError::new_err(format!(
                "{}: is a directory, expected a file path",
                path.display()
            )));
        }
        if path.exists() && !force && !written_by_flatmin(path) {
            return Err(PyValueError::new_err(format!(
                "{}: exists and was not written by flatmin; not replacing it (use force=True to replace)",
                path.display()
            )));
        }
        self.file.write(path).map_err(err)
    }

    /// The text format.
    pub fn to_text(&self) -> String {
        self.file.to_text()
    }

    /// N.
    pub fn n(&self) -> usize {
        self.file.n
    }
    /// P.
    pub fn p(&self) -> usize {
        self.file.p
    }
    /// κ of the header.
    pub fn kappa(&self) -> f64 {
        self.file.kappa
    }
    /// Raw patterns, P rows of `words_for(N)` words.
    pub fn patterns(&self) -> &[u64] {
        &self.file.patterns
    }
    /// Gauged patterns ξ^μ y_μ, P rows of `words_for(N)` words (a perceptron's; for a committee
    /// the CLI's perceptron-only error).
    pub fn gauged(&self) -> Result<&[u64], PyErr> {
        Ok(&self.problem()?.gauged)
    }
    /// Labels (bit μ set ⇔ y_μ = −1).
    pub fn labels(&self) -> &[u64] {
        &self.file.labels
    }
    /// Reference configurations.
    pub fn refs(&self) -> &[Vec<u64>] {
        &self.file.refs
    }
    /// Comment lines.
    pub fn comments(&self) -> &[String] {
        &self.file.comments
    }

    /// The whole instance file (its committee part, references and comments).
    pub fn file(&self) -> &InstanceFile {
        &self.file
    }

    /// Reference `k` (1-based), with the CLI's error for a missing one.
    pub fn reference(&self, k: usize) -> Result<&[u64], PyErr> {
        Ok(self.file.reference(k).map_err(err)?.words())
    }

    /// The core view of the gauged instance at margin `kappa` (the header's when `None`).
    pub fn instance(&self, kappa: Option<f64>) -> Result<Instance<'_>, PyErr> {
        if let Some(k) = kappa {
            if !k.is_finite() {
                return Err(PyValueError::new_err("--kappa must be finite"));
            }
        }
        let pats = flatmin_core::bits::Patterns::new(self.n(), self.p(), self.gauged()?)
            .map_err(err_core)?;
        Instance::new(pats, kappa.unwrap_or(self.kappa())).map_err(err_core)
    }

    /// `flatmin instance stats --json` of configuration `w` (packed), as JSON with snake_case keys.
    pub fn stats(
        &self,
        w: &[u64],
        kappa: Option<f64>,
        reference: Option<usize>,
    ) -> Result<Value, PyErr> {
        if let Some(k) = kappa {
            if !k.is_finite() {
                return Err(PyValueError::new_err("--kappa must be finite"));
            }
        }
        let s = self.file.stats(w, kappa, reference).map_err(err)?;
        serde_json::to_value(&s).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// The problem with the gauged patterns, for the host's studies (a perceptron's; for a
    /// committee the CLI's perceptron-only error).
    fn problem(&self) -> Result<&Problem, PyErr> {
        match &self.problem {
            Some(p) => Ok(p),
            None => Err(self
                .file
                .perceptron_only()
                .map_err(err)
                .err()
                .unwrap_or_else(|| {
                    PyRuntimeError::new_err("internal: a perceptron instance without its problem")
                })),
        }
    }

    /// `flatmin instance stats --json` of a committee file: the instance and configuration `w`
    /// (K rows of `words_for(n_in)` words), or the instance only.
    pub fn committee_stats(
        &self,
        w: Option<&[u64]>,
        reference: Option<usize>,
    ) -> Result<Value, PyErr> {
        use flatmin_host::experiments::instance_stats::committee_stats;
        let s = committee_stats(
            &self.file,
            w,
            reference,
            "no configuration: the file has no reference lines (R …); give ref",
        )
        .map_err(err)?;
        serde_json::to_value(&s).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }
}

/// Whether `path` starts with the mark flatmin puts on the files it writes (`# flatmin `).
fn written_by_flatmin(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 10];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == *b"# flatmin "
}

fn err_core(e: flatmin_core::ShapeError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Options of `flatmin solve` (its flags, same names and defaults).
#[derive(Clone, Debug)]
pub struct SolveArgs {
    /// --algo.
    pub algo: String,
    /// --protocol.
    pub protocol: String,
    /// --step-sweeps.
    pub step_sweeps: usize,
    /// --full-protocol.
    pub full_protocol: bool,
    /// --fallback ("none" for none).
    pub fallback: String,
    /// not --no-sweep-check.
    pub sweep_check: bool,
    /// --runaway-steps.
    pub runaway_steps: usize,
    /// --dr.
    pub dr: f64,
    /// --max-sweeps.
    pub max_sweeps: usize,
    /// --ps.
    pub ps: f64,
    /// --cpr-ps (`None`: 0.51·α³/√N).
    pub cpr_ps: Option<f64>,
    /// --sa-sweeps.
    pub sa_sweeps: usize,
}

/// `flatmin solve --json`: `{"solved","errors","margin","weights","sweeps","seconds", …}` (weights as
/// the CLI's ±1 string; the caller converts it).
pub fn solve(data: &Data, a: &SolveArgs, kappa: Option<f64>, seed: u64) -> Result<Value, PyErr> {
    let algo = Algo::parse(&a.algo).map_err(err)?;
    if !(0.0..=1.0).contains(&a.ps) || a.cpr_ps.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
        return Err(PyValueError::new_err("--ps and --cpr-ps must be in [0, 1]"));
    }
    let opts = SolveOpts {
        algo,
        protocol: ProtocolName::parse(&a.protocol).map_err(err)?,
        max_sweeps_per_step: a.step_sweeps,
        full_protocol: a.full_protocol,
        sweep_check: a.sweep_check,
        fallback: match a.fallback.as_str() {
            "none" => None,
            name => Some(ProtocolName::parse(name).map_err(err)?),
        },
        runaway_steps: a.runaway_steps,
        rbp_dr: a.dr,
        max_sweeps: a.max_sweeps,
        p_s: a.ps,
        cpr_p_s: a.cpr_ps,
        sa_sweeps: a.sa_sweeps,
    };
    if let Some(k) = kappa {
        if !k.is_finite() {
            return Err(PyValueError::new_err(format!(
                "--kappa {k}: must be finite"
            )));
        }
    }
    if let Some(c) = data.committee() {
        if !algo.handles_committees() {
            return Err(err(algo.committee_error(c.k)));
        }
    }
    // The CLI's path (`flatmin solve FILE`): a committee's weights are re-checked by an
    // independent forward pass there.
    let r = cap::solve_file(&data.file, kappa, &opts, seed).map_err(err)?;
    let mut v = to_json(&r)?;
    v["algo"] = algo.name().into();
    v["n"] = data.n().into();
    v["p"] = data.p().into();
    v["kappa"] = kappa.unwrap_or(data.kappa()).into();
    v["k"] = data.k().into();
    if let Some(c) = data.committee() {
        // `flatmin solve --json` of a committee: "tree" and the K weight rows as strings.
        v["tree"] = (c.arch == Architecture::Tree).into();
        v["weights"] = r.weights.lines().collect::<Vec<_>>().into();
    }
    v["seed"] = seed.into();
    Ok(v)
}

/// How the reference of an enumeration / flatness study is chosen (the CLI's `--ref`, `--weights`,
/// `--random-ref`, `--seed`).
#[derive(Clone, Debug)]
pub enum RefChoice {
    /// Reference line k (1-based).
    Line(usize),
    /// Packed weights given by the caller.
    Weights(Vec<u64>),
    /// R1 if the file has references, else a uniformly random κ-solution from the seed.
    Default,
    /// A uniformly random κ-solution from the seed.
    Random,
}

/// The reference and its label, as the CLI chooses them.
fn choose_reference(
    data: &Data,
    r: &RefChoice,
    kappa: f64,
    seed: u64,
) -> Result<(Vec<u64>, String), PyErr> {
    Ok(match r {
        RefChoice::Line(k) => (data.reference(*k)?.to_vec(), format!("R{k}")),
        RefChoice::Weights(w) => (w.clone(), "weights".into()),
        RefChoice::Default if !data.refs().is_empty() => (data.refs()[0].clone(), "R1".into()),
        RefChoice::Default | RefChoice::Random => {
            let t = Threshold::new(kappa, data.n()).map_err(err_core)?.t;
            match en::random_solution(data.problem()?, t, seed).map_err(err)? {
                Some(w) => (w, format!("random κ-solution (seed {seed})")),
                None => {
                    return Err(PyValueError::new_err(format!(
                        "the instance has no κ = {kappa} solution to use as reference"
                    )))
                }
            }
        }
    })
}

fn to_json(v: &impl serde::Serialize) -> Result<Value, PyErr> {
    serde_json::to_value(v).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// `flatmin enumerate --json` (histograms, counts by distance, local entropy, the reference).
pub fn enumerate(
    data: &Data,
    r: &RefChoice,
    kappa: Option<f64>,
    seed: u64,
) -> Result<Value, PyErr> {
    data.perceptron_only()?;
    let kappa = match kappa {
        Some(k) if !k.is_finite() => return Err(PyValueError::new_err("--kappa must be finite")),
        Some(k) => k,
        None => data.kappa(),
    };
    if data.n() > en::MAX_ENUMERATE_N {
        return Err(PyValueError::new_err(format!(
            "exact enumeration of N = {} is out of reach (2^N configurations); the limit is N = {}",
            data.n(),
            en::MAX_ENUMERATE_N
        )));
    }
    let (w, label) = choose_reference(data, r, kappa, seed)?;
    let spins = Spins::new(data.n(), &w).map_err(err_core)?;
    let tables = en::tables(data.problem()?, &spins).map_err(err)?;
    let report = en::enumerate_report(&tables, kappa).map_err(err)?;
    let mut v = to_json(&report)?;
    v["reference"] = io::spins_to_string(&w, data.n()).into();
    v["reference_source"] = label.into();
    Ok(v)
}

/// `flatmin flatness --json`.
pub fn flatness(
    data: &Data,
    r: &RefChoice,
    radius: Option<usize>,
    exact_max_n: usize,
    seed: u64,
) -> Result<Value, PyErr> {
    data.perceptron_only()?;
    let n = data.n();
    let (w, label) = choose_reference(data, r, data.kappa(), seed)?;
    let exact = n <= exact_max_n.min(en::MAX_ENUMERATE_N);
    let radius = radius.unwrap_or(if exact { n } else { n.min(20) });
    let spins = Spins::new(n, &w).map_err(err_core)?;
    let report = en::flatness_report(data.problem()?, &spins, radius, exact).map_err(err)?;
    let mut v = to_json(&report)?;
    v["reference"] = io::spins_to_string(&w, n).into();
    v["reference_source"] = label.into();
    Ok(v)
}

/// `flatmin local-energy --json`.
#[allow(clippy::too_many_arguments)]
pub fn local_energy(
    data: &Data,
    r: &RefChoice,
    p_max: f64,
    p_steps: usize,
    samples: u64,
    exact: bool,
    fixed: bool,
    seed: u64,
) -> Result<Value, PyErr> {
    data.perceptron_only()?;
    if p_steps > MAX_P_STEPS {
        return Err(PyValueError::new_err(format!(
            "--p-steps {p_steps}: at most {MAX_P_STEPS} flip probabilities"
        )));
    }
    let ps = en::p_grid(p_max, p_steps).map_err(err)?;
    if !exact && !(1..=MAX_SAMPLES).contains(&samples) {
        return Err(PyValueError::new_err(format!(
            "--samples {samples}: must be between 1 and {MAX_SAMPLES}"
        )));
    }
    let (w, _label) = choose_reference(data, r, data.kappa(), seed)?;
    let spins = Spins::new(data.n(), &w).map_err(err_core)?;
    let curve = if exact {
        en::local_energy_exact(data.problem()?, &spins, &ps)
    } else {
        en::local_energy_mc(data.problem()?, &spins, &ps, samples, fixed, seed)
    }
    .map_err(err)?;
    to_json(&curve)
}

/// `flatmin figure NAME -o OUT [--quick] --json`: runs one figure study into `OUT/<name>/` and
/// returns its report (`name`, `dir`, `summary`). The seed default is the CLI's.
pub fn figure(name: &str, out: &Path, quick: bool, seed: u64) -> Result<Value, PyErr> {
    use flatmin_host::experiments::{self, FigureOpts};
    let f = experiments::figure(name).ok_or_else(|| {
        let names: Vec<_> = experiments::FIGURES.iter().map(|f| f.name).collect();
        PyValueError::new_err(format!(
            "unknown figure {name:?}; known: {}",
            names.join(", ")
        ))
    })?;
    let opts = FigureOpts {
        quick,
        seed,
        ..FigureOpts::new(out)
    };
    let r = (f.run)(&opts).map_err(err)?;
    to_json(&r)
}

/// The figures' names and one-line descriptions (`flatmin figure list`).
pub fn figure_list() -> Vec<(&'static str, &'static str)> {
    flatmin_host::experiments::FIGURES
        .iter()
        .map(|f| (f.name, f.about))
        .collect()
}

/// The λ schedule of the paper's local-entropy profiles (`flatmin local-entropy` default).
pub fn default_lambdas() -> Vec<f64> {
    flatmin_host::experiments::profile::DEFAULT_LAMBDAS.to_vec()
}
