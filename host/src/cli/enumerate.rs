//! `enumerate`, `local-energy`, `flatness`: exact enumeration and the flatness measures
//! (ALGORITHMS §e, §f).

use super::{input_error, print_json, print_line, Global};
use clap::{Args, Subcommand};
use flatmin_core::bits::Spins;
use flatmin_core::stability::Threshold;
use flatmin_host::experiments::enumeration::{self as en, MAX_ENUMERATE_N};
use flatmin_host::harness::with_threads;
use flatmin_host::io::{self, InstanceFile, Problem};
use std::path::{Path, PathBuf};

/// Commands of this family.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Exact enumeration of all 2^N configurations (N ≲ 34): histograms by distance from a reference,
    /// κ-solution counts, local entropy (ALGORITHMS §e). Runs on all cores (--threads).
    ///
    /// JSON: {"total_solutions", "counts_by_distance":[…], "hist_err":[[…]], "hist_smin":[[…]],
    /// "local_entropy":[…], …}; hist_err[d][E] counts configurations at distance d with E errors at
    /// κ = 0, hist_smin[d][s_min + N] the same binned by the smallest stability.
    #[command(allow_negative_numbers = true)]
    Enumerate(EnumerateArgs),
    /// Local energy (ALGORITHMS §f.1): mean training error of the reference with each weight flipped
    /// with probability p, against p. Monte Carlo by default, exact from the enumeration with --exact.
    ///
    /// JSON: {"p":[…], "error":[…], "exact", "samples"}. With --out DIR also writes
    /// DIR/local_energy/{data.csv, meta.json, local_energy.svg}.
    #[command(allow_negative_numbers = true)]
    LocalEnergy(LocalEnergyArgs),
    /// Flatness of a reference (ALGORITHMS §f.2, §f.3): robustness radius, exact maximal variation F(r)
    /// and distance to level sets D(ℓ) (enumeration, N ≤ 30 by default), greedy worst case and bounds.
    ///
    /// JSON: {"robustness_radius", "f":[…], "d":[…], "greedy_worst":[…], "f_upper":[…],
    /// "d_lower":[…], "max_e_d":[…], "min_e_d":[…], "mean_err_at_distance":[…], …}; the exact
    /// columns are null with a "<key>_reason" when N is above --exact-max-n.
    #[command(allow_negative_numbers = true)]
    Flatness(FlatnessArgs),
}

/// How to pick the reference configuration.
#[derive(Debug, Clone, Args)]
pub struct RefArgs {
    /// Use the K-th reference line of the file (1-based: R1, R2, … in file order).
    #[arg(long = "ref", value_name = "K", conflicts_with_all = ["weights", "random_ref"])]
    pub reference: Option<usize>,
    /// Use this configuration: N characters in {'+','-'}.
    #[arg(long, value_name = "SPINS", conflicts_with = "random_ref")]
    pub weights: Option<String>,
    /// Draw a uniformly random κ-solution of the instance (by enumeration, seeded by --seed) as the
    /// reference: a typical solution.
    #[arg(long)]
    pub random_ref: bool,
    /// Seed for everything random (the random reference, Monte Carlo samples).
    #[arg(long, default_value_t = 0, value_name = "S", value_parser = super::instance::parse_seed)]
    pub seed: u64,
}

/// Arguments of `enumerate`.
#[derive(Debug, Clone, Args)]
pub struct EnumerateArgs {
    /// Instance file (text format of ALGORITHMS §a.4).
    pub file: PathBuf,
    /// Reference selection (default: R1 if the file has reference lines, else a random κ-solution).
    #[command(flatten)]
    pub reference: RefArgs,
    /// Count κ-solutions at this margin instead of the file's κ (the histograms do not depend on it).
    #[arg(long, value_name = "K")]
    pub kappa: Option<f64>,
}

/// Arguments of `local-energy`.
#[derive(Debug, Clone, Args)]
pub struct LocalEnergyArgs {
    /// Instance file (text format of ALGORITHMS §a.4).
    pub file: PathBuf,
    /// Reference selection (default: R1 if the file has reference lines, else a random κ-solution).
    #[command(flatten)]
    pub reference: RefArgs,
    /// Largest flip probability of the grid.
    #[arg(long, default_value_t = 0.5, value_name = "P")]
    pub p_max: f64,
    /// Number of evenly spaced flip probabilities from 0 to --p-max (1 to 10000).
    #[arg(long, default_value_t = 51, value_name = "K")]
    pub p_steps: usize,
    /// Monte Carlo realizations per point, 1 to 10^7 (ALGORITHMS §f.1 recommends 1000 for the
    /// perceptron).
    #[arg(long, default_value_t = 1000, value_name = "R")]
    pub samples: u64,
    /// Exact curve from the enumeration histogram instead of Monte Carlo (N ≤ 40, 2^N work).
    #[arg(long, conflicts_with = "fixed")]
    pub exact: bool,
    /// Fixed-distance variant: flip exactly round(pN) weights per realization.
    #[arg(long)]
    pub fixed: bool,
    /// Also write CSV + meta.json + SVG into DIR/local_energy/.
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace a result flatmin wrote in DIR/local_energy/ with other parameters (only the files its
    /// meta.json lists; foreign files are never touched).
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// Arguments of `flatness`.
#[derive(Debug, Clone, Args)]
pub struct FlatnessArgs {
    /// Instance file (text format of ALGORITHMS §a.4).
    pub file: PathBuf,
    /// Reference selection (default: R1 if the file has reference lines, else a random κ-solution).
    #[command(flatten)]
    pub reference: RefArgs,
    /// Largest radius r for F(r), the greedy worst case and the upper bound (default: N, or 20 when N
    /// is too large to enumerate).
    #[arg(long, value_name = "R")]
    pub radius: Option<usize>,
    /// Largest N for which the exact tables (F, D, maxE_d, …) are computed by enumeration (at most
    /// 40: 2^N configurations).
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub exact_max_n: usize,
}

/// Runs a command of this family.
pub fn run(cmd: Cmd, g: &Global) -> anyhow::Result<()> {
    match cmd {
        Cmd::Enumerate(a) => enumerate(a, g),
        Cmd::LocalEnergy(a) => local_energy(a, g),
        Cmd::Flatness(a) => flatness(a, g),
    }
}

/// The most flip probabilities `local-energy --p-steps` accepts.
pub const MAX_P_STEPS: usize = 10_000;
/// The most noise samples per probability `local-energy --samples` accepts.
pub const MAX_SAMPLES: u64 = 10_000_000;

struct Loaded {
    file: InstanceFile,
    problem: Problem,
    reference: Vec<u64>,
    label: String,
}

fn load(path: &Path, r: &RefArgs, kappa: Option<f64>) -> anyhow::Result<Loaded> {
    let file = InstanceFile::read(path)?;
    if let Some(k) = kappa {
        if !k.is_finite() {
            return Err(input_error("--kappa must be finite"));
        }
    }
    let problem = Problem::from_file(&file, kappa)?;
    let (reference, label) = if let Some(k) = r.reference {
        (file.reference(k)?.words().to_vec(), format!("R{k}"))
    } else if let Some(s) = &r.weights {
        let w = io::parse_spins(s, file.n).map_err(|e| input_error(format!("--weights: {e}")))?;
        (w, "weights".into())
    } else if !r.random_ref && !file.refs.is_empty() {
        (file.refs[0].clone(), "R1".into())
    } else {
        let t = Threshold::new(problem.kappa, problem.n)?.t;
        match en::random_solution(&problem, t, r.seed)? {
            Some(w) => (w, format!("random κ-solution (seed {})", r.seed)),
            None => {
                return Err(input_error(format!(
                    "the instance has no κ = {} solution to use as reference",
                    problem.kappa
                )))
            }
        }
    };
    Ok(Loaded {
        file,
        problem,
        reference,
        label,
    })
}

fn enumerate(a: EnumerateArgs, g: &Global) -> anyhow::Result<()> {
    let l = with_threads(g.threads, || load(&a.file, &a.reference, a.kappa))??;
    let w = Spins::new(l.problem.n, &l.reference)?;
    let tables = with_threads(g.threads, || en::tables(&l.problem, &w))??;
    let report = en::enumerate_report(&tables, l.problem.kappa)?;
    if g.json {
        let mut v = snake_keys(serde_json::to_value(&report)?);
        v["local_entropy_reason"] =
            "an entry is null where no κ-solution lies at that distance (log 0)".into();
        v["reference"] = io::spins_to_string(&l.reference, l.problem.n).into();
        v["reference_source"] = l.label.clone().into();
        print_json(&v)
    } else {
        print_line(&format!(
            "N = {}, P = {}, κ = {} (T = {}), reference {} = {}\ntotal κ-solutions: {}\ncounts by distance: {:?}",
            report.n,
            report.p,
            report.kappa,
            report.t,
            l.label,
            io::spins_to_string(&l.reference, l.problem.n),
            report.total_solutions,
            report.counts_by_distance
        ))
    }
}

fn local_energy(a: LocalEnergyArgs, g: &Global) -> anyhow::Result<()> {
    if a.p_steps > MAX_P_STEPS {
        return Err(input_error(format!(
            "--p-steps {}: at most {MAX_P_STEPS} flip probabilities",
            a.p_steps
        )));
    }
    let ps = en::p_grid(a.p_max, a.p_steps)?;
    if !a.exact && !(1..=MAX_SAMPLES).contains(&a.samples) {
        return Err(input_error(format!(
            "--samples {}: must be between 1 and {MAX_SAMPLES}",
            a.samples
        )));
    }
    if let Some(out) = &a.out {
        if out.exists() && !out.is_dir() {
            return Err(input_error(format!(
                "--out {}: exists and is not a directory",
                out.display()
            )));
        }
    }
    let l = with_threads(g.threads, || load(&a.file, &a.reference, None))??;
    let w = Spins::new(l.problem.n, &l.reference)?;
    let curve = with_threads(g.threads, || {
        if a.exact {
            en::local_energy_exact(&l.problem, &w, &ps)
        } else {
            en::local_energy_mc(&l.problem, &w, &ps, a.samples, a.fixed, a.reference.seed)
        }
    })??;
    let mut dir = None;
    if let Some(out) = &a.out {
        let params = [
            (
                "file",
                serde_json::Value::from(a.file.display().to_string()),
            ),
            ("n", l.file.n.into()),
            ("p", l.file.p.into()),
            (
                "reference",
                io::spins_to_string(&l.reference, l.problem.n).into(),
            ),
            ("reference_source", l.label.clone().into()),
            ("seed", a.reference.seed.into()),
            ("fixed_k", a.fixed.into()),
            ("p_max", a.p_max.into()),
            ("p_steps", a.p_steps.into()),
        ];
        dir = Some(flatmin_host::experiments::local_energy::write(
            out, &curve, &params, a.force,
        )?);
    }
    if g.json {
        let mut v = snake_keys(serde_json::to_value(&curve)?);
        if let Some(d) = &dir {
            v["out"] = d.display().to_string().into();
        }
        print_json(&v)
    } else {
        let mut text = String::from("p\terror\n");
        for (p, e) in curve.p.iter().zip(&curve.error) {
            text.push_str(&format!("{p:.4}\t{e:.6}\n"));
        }
        if let Some(d) = &dir {
            text.push_str(&format!("wrote {}", d.display()));
        }
        print_line(text.trim_end())
    }
}

fn flatness(a: FlatnessArgs, g: &Global) -> anyhow::Result<()> {
    if a.exact_max_n > MAX_ENUMERATE_N {
        return Err(input_error(format!(
            "--exact-max-n {}: at most {MAX_ENUMERATE_N} (exact enumeration visits 2^N configurations)",
            a.exact_max_n
        )));
    }
    let l = with_threads(g.threads, || load(&a.file, &a.reference, None))??;
    let n = l.problem.n;
    let exact = n <= a.exact_max_n.min(MAX_ENUMERATE_N);
    let radius = a.radius.unwrap_or(if exact { n } else { n.min(20) });
    let w = Spins::new(n, &l.reference)?;
    let report = with_threads(g.threads, || {
        en::flatness_report(&l.problem, &w, radius, exact)
    })??;
    if g.json {
        let mut v = snake_keys(serde_json::to_value(&report)?);
        let why = format!(
            "needs the exact enumeration, which runs only for N <= {} (--exact-max-n); N = {n}",
            a.exact_max_n.min(MAX_ENUMERATE_N)
        );
        for key in ["f", "d", "max_e_d", "min_e_d", "mean_err_at_distance"] {
            if v.get(key).is_some_and(serde_json::Value::is_null) {
                v[format!("{key}_reason")] = why.clone().into();
            }
        }
        v["reference"] = io::spins_to_string(&l.reference, n).into();
        v["reference_source"] = l.label.clone().into();
        print_json(&v)
    } else {
        let list = |x: &[u32]| x.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
        let exact = |x: &Option<Vec<u32>>| {
            x.as_deref().map_or_else(
                || "not computed (needs the exact enumeration: N > --exact-max-n)".to_string(),
                list,
            )
        };
        print_line(&format!(
            "reference {}: E = {}, robustness radius = {}\nF(r) = {}\nD(l) = {}\ngreedy worst = {}\nF upper bound = {}\nD lower bound = {}",
            l.label,
            report.errors,
            report.robustness_radius,
            exact(&report.f),
            exact(&report.d),
            list(&report.greedy_worst),
            list(&report.f_upper),
            list(&report.d_lower)
        ))
    }
}

/// Renames the top-level keys of a JSON object to lowercase snake_case (`F_upper` → `f_upper`,
/// `maxE_d` → `max_e_d`), output conventions §2.
fn snake_keys(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            serde_json::Value::Object(m.into_iter().map(|(k, x)| (snake(&k), x)).collect())
        }
        other => other,
    }
}

fn snake(key: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c);
        }
    }
    out
}
