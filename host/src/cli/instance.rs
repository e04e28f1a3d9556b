//! `flatmin instance gen|stats`: write random or teacher–student instances in the text format of
//! ALGORITHMS §a.4, and print the stabilities, margin and errors of configurations on them (§a.2).

use super::{input_error, print_json, print_line, Global};
use clap::Subcommand;
use flatmin_core::bp::committee::Architecture;
use flatmin_host::io::{check_committee, parse_spins, InstanceFile, Stats};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Commands of this family.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Generate a random (or teacher–student) instance and write it in the text format.
    ///
    /// Patterns ξ^μ and labels y_μ are i.i.d. uniform ±1 (P = ⌊αN + ½⌋), drawn from xoshiro256++
    /// seeded with --seed, so the same command always writes the same file. With --teacher the labels
    /// are y_μ = sign(Σᵢ w*ᵢ ξ^μ_i) for a random teacher w*, stored as reference R1 (use odd N: the
    /// teacher is then a solution at κ = 0).
    ///
    /// With --k K (odd, K ≥ 3) the instance is for a committee machine of K hidden sign units whose
    /// output is their majority: fully connected (each unit sees all N inputs, K·N weights) or, with
    /// --tree, a tree (unit k sees its own N/K inputs, N weights; K must divide N). The load is then
    /// α = P/(number of weights), patterns per weight (the convention of the authors' focusing-BP
    /// code): P = ⌊α·K·N + ½⌋ (fully connected) or ⌊α·N + ½⌋ (tree). The header becomes
    /// `N P 0 K fc|tree`; a --teacher committee (labels = its majority vote) is R1, written as K
    /// lines `R …`, one per hidden unit. Committees have κ = 0. --k 1 writes the perceptron file.
    ///
    /// An existing FILE is replaced only if flatmin wrote it (its first line is flatmin's
    /// `# flatmin … instance` comment); any other file is kept (exit 2) unless --force is given.
    #[command(
        after_help = "Examples:\n  flatmin instance gen --n 1001 --alpha 0.5 --teacher --seed 7 -o teacher.txt\n  flatmin instance gen --n 335 --k 3 --alpha 0.3 --seed 1 -o committee.txt\n  flatmin instance gen --n 303 --k 3 --tree --alpha 0.3 --teacher -o tree.txt",
        allow_negative_numbers = true
    )]
    Gen(GenArgs),
    /// Print the stabilities, margin and errors of configurations on an instance.
    ///
    /// By default every reference line (R1, R2, …) of FILE is evaluated; --ref K picks one, and
    /// --weights evaluates a configuration given on the command line. Stabilities are the integers
    /// s_μ = Σᵢ wᵢ y_μ ξ^μ_i; the margin is min s_μ/√N; errors count s_μ < T(κ) with
    /// T(κ) = ⌈κ√N − 1e-9⌉, and errors0 count s_μ < 0. With --json: one object
    /// {"ref","n","p","kappa","t","stabilities","margin","errors_kappa","errors0"} for one
    /// configuration; with several, the same keys hold arrays (one entry per configuration). margin
    /// is null with a "margin_reason" when P = 0.
    ///
    /// A committee file (K > 1) has no output stabilities (the output is a majority vote); its
    /// statistics are {"ref","n","p","k","tree","n_in","num_weights","alpha","kappa",
    /// "labels_plus","label_balance","teacher","errors","agreement","vote_margin",
    /// "teacher_overlap"}: α = P/num_weights, label_balance = mean label, agreement = fraction of
    /// labels the configuration reproduces, vote_margin = min y_μ·Σ_k τ_k, teacher_overlap = the K
    /// overlaps w_k·t_k/n_in with R1 when the file says R1 is the teacher (else null with a
    /// reason). Without references or --weights only the instance's fields are filled (errors null
    /// with "errors_reason"). --weights takes K comma-separated rows of n_in characters.
    #[command(
        after_help = "Examples:\n  flatmin instance stats teacher.txt\n  flatmin instance stats teacher.txt --ref 1 --kappa 0.2 --json\n  flatmin instance stats small.txt --weights +-+--++",
        allow_negative_numbers = true
    )]
    Stats(StatsArgs),
}

/// Largest N of `instance gen` (the core's packed kernels take any N; this keeps a typo such as
/// `--n 10000000000` from allocating before the N·P check).
pub const MAX_GEN_N: usize = 1 << 24;

/// Arguments of `flatmin instance gen`.
#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// Number of weights N, 1 ≤ N ≤ 16777216 (odd N avoids zero stabilities); N·P ≤ 2^34.
    #[arg(long, value_name = "N")]
    pub n: usize,
    /// Load α > 0, patterns per weight: P = ⌊αW + ½⌋ ≥ 1 with W = N (perceptron, tree committee)
    /// or K·N (fully connected committee).
    #[arg(long, value_name = "A")]
    pub alpha: f64,
    /// Committee machine with K hidden units (odd, 1 ≤ K ≤ 255; 1 = perceptron).
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub k: usize,
    /// Tree committee: hidden unit k sees inputs k·N/K … (k+1)·N/K − 1 (K must divide N).
    #[arg(long)]
    pub tree: bool,
    /// Margin κ written in the header (the stabilities Δ = s/√N that count as correct are ≥ κ).
    #[arg(long, value_name = "K", default_value_t = 0.0)]
    pub kappa: f64,
    /// Teacher–student instance: labels from a random teacher, stored as reference R1.
    #[arg(long)]
    pub teacher: bool,
    /// Seed of the generator, an integer in 0..=2^64−1 (the same seed writes the same file on
    /// every machine).
    #[arg(long, value_name = "S", default_value_t = 0, value_parser = parse_seed)]
    pub seed: u64,
    /// Output file (written atomically: a temporary file renamed into place); `-` writes to
    /// standard output.
    #[arg(short, long = "out", visible_alias = "output", value_name = "FILE")]
    pub out: PathBuf,
    /// Replace FILE even if flatmin did not write it.
    #[arg(long)]
    pub force: bool,
}

/// Parses a seed: a non-negative integer below 2^64, with a message that says so.
pub fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("a seed is an integer in 0..=18446744073709551615, got {s:?}"))
}

/// Arguments of `flatmin instance stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Instance file (text format of ALGORITHMS §a.4).
    pub file: PathBuf,
    /// Evaluate only reference K (1-based: R1 is 1).
    #[arg(long = "ref", value_name = "K", conflicts_with = "weights")]
    pub reference: Option<usize>,
    /// Evaluate this configuration: N characters in {+,-} (weight i is character i); for a
    /// committee K comma-separated rows of n_in characters, one per hidden unit.
    #[arg(long, value_name = "+-+…", allow_hyphen_values = true)]
    pub weights: Option<String>,
    /// Count errors at this margin instead of the header's κ (a committee has κ = 0 only).
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub kappa: Option<f64>,
}

/// Runs a command of this family.
pub fn run(cmd: Cmd, g: &Global) -> anyhow::Result<()> {
    match cmd {
        Cmd::Gen(a) => gen(a, g),
        Cmd::Stats(a) => stats(a, g),
    }
}

#[derive(Serialize)]
struct GenReport<'a> {
    file: &'a Path,
    n: usize,
    p: usize,
    alpha: f64,
    kappa: f64,
    k: usize,
    tree: bool,
    teacher: bool,
    seed: u64,
}

fn gen(a: GenArgs, g: &Global) -> anyhow::Result<()> {
    if a.n == 0 || a.n > MAX_GEN_N {
        return Err(input_error(format!(
            "--n {}: N must be in 1..={MAX_GEN_N}",
            a.n
        )));
    }
    if !(a.alpha.is_finite() && a.alpha > 0.0) {
        return Err(input_error(format!(
            "--alpha {}: the load α = P/N (patterns per weight) must be a finite number > 0",
            a.alpha
        )));
    }
    if !a.kappa.is_finite() {
        return Err(input_error(format!("--kappa {}: must be finite", a.kappa)));
    }
    let arch = if a.tree {
        Architecture::Tree
    } else {
        Architecture::FullyConnected
    };
    check_committee(a.n, a.k, arch).map_err(|m| input_error(format!("--k {}: {m}", a.k)))?;
    if a.k > 1 && a.kappa != 0.0 {
        return Err(input_error(format!(
            "--kappa {}: a committee machine (--k {}) has kappa = 0 (no margin on the output majority)",
            a.kappa, a.k
        )));
    }
    let weights = match arch {
        Architecture::FullyConnected => a.k * a.n,
        Architecture::Tree => a.n,
    };
    let p = flatmin_core::instance::num_patterns(a.alpha, weights)?;
    if p == 0 {
        return Err(input_error(format!(
            "--alpha {} --n {}: P = ⌊αW + ½⌋ = 0 patterns ({weights} weights); an instance needs at \
             least one",
            a.alpha, a.n
        )));
    }
    let to_stdout = a.out.as_os_str() == "-";
    if !to_stdout {
        check_output_file(&a.out, a.force)?;
    }
    let f = if a.k == 1 {
        InstanceFile::generate(a.n, a.alpha, a.kappa, a.teacher, a.seed)?
    } else {
        InstanceFile::generate_committee(a.n, a.k, arch, a.alpha, a.teacher, a.seed)?
    };
    if to_stdout {
        // The instance itself is the output; --json does not apply.
        return print_line(f.to_text().trim_end());
    }
    f.write(&a.out)?;
    if g.json {
        print_json(&GenReport {
            file: &a.out,
            n: f.n,
            p: f.p,
            alpha: a.alpha,
            kappa: f.kappa,
            k: a.k,
            tree: a.tree && a.k > 1,
            teacher: a.teacher,
            seed: a.seed,
        })
    } else {
        let n_in = if a.tree { a.n / a.k } else { a.n };
        if !g.quiet && a.teacher && n_in & 1 == 0 {
            eprintln!(
                "flatmin: note: even {}: stabilities can be 0, which counts as correct (sign(0) = +1)",
                if a.tree && a.k > 1 { "N/K" } else { "N" }
            );
        }
        if a.k > 1 {
            return print_line(&format!(
                "wrote {}: committee K = {} ({}), N = {}, P = {} (alpha = {} patterns per weight, \
                 {weights} weights), {} instance, seed {}",
                a.out.display(),
                a.k,
                if a.tree { "tree" } else { "fully connected" },
                f.n,
                f.p,
                a.alpha,
                if a.teacher {
                    "teacher (R1 = teacher, K lines)"
                } else {
                    "random"
                },
                a.seed
            ));
        }
        print_line(&format!(
            "wrote {}: N = {}, P = {} (alpha = {}), kappa = {}, {} instance, seed {}",
            a.out.display(),
            f.n,
            f.p,
            a.alpha,
            f.kappa,
            if a.teacher {
                "teacher-student (R1 = teacher)"
            } else {
                "random"
            },
            a.seed
        ))
    }
}

/// Refuses an existing output file that flatmin did not write (unless `force`), and a path
/// whose directory does not exist, before any work.
pub fn check_output_file(path: &Path, force: bool) -> anyhow::Result<()> {
    if path.is_dir() {
        return Err(input_error(format!(
            "{}: is a directory, expected a file path",
            path.display()
        )));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            let why = if dir.exists() {
                format!("{} is not a directory", dir.display())
            } else {
                format!("directory {} does not exist", dir.display())
            };
            return Err(input_error(format!(
                "{}: cannot write: {why}",
                path.display()
            )));
        }
    }
    if path.exists() && !force && !flatmin_host::io::written_by_flatmin(path) {
        return Err(input_error(format!(
            "{}: exists and was not written by flatmin; not replacing it (use --force to replace)",
            path.display()
        )));
    }
    Ok(())
}

fn stats(a: StatsArgs, g: &Global) -> anyhow::Result<()> {
    if let Some(k) = a.kappa {
        if !k.is_finite() {
            return Err(input_error(format!("--kappa {k}: must be finite")));
        }
    }
    let f = InstanceFile::read(&a.file)?;
    if f.committee.is_some() {
        return committee_stats(&a, &f, g);
    }
    let all: Vec<Stats> = if let Some(w) = &a.weights {
        let words = parse_spins(w, f.n).map_err(|m| input_error(format!("--weights: {m}")))?;
        vec![f.stats(&words, a.kappa, None)?]
    } else if let Some(k) = a.reference {
        vec![f.reference_stats(k, a.kappa)?]
    } else if f.refs.is_empty() {
        return Err(input_error(format!(
            "{}: the file has no reference lines (R …); give --weights",
            a.file.display()
        )));
    } else {
        (1..=f.refs.len())
            .map(|k| f.reference_stats(k, a.kappa))
            .collect::<flatmin_host::Result<_>>()?
    };
    if g.json {
        // One configuration: an object of scalars (and its stabilities); several: the same keys
        // as columns (output conventions §2).
        return super::print_rows(&all);
    }
    let s0 = &all[0];
    let mut out = format!(
        "{}: N = {}, P = {}, alpha = {:.4}, kappa = {} (T = {})",
        a.file.display(),
        s0.n,
        s0.p,
        s0.p as f64 / s0.n as f64,
        s0.kappa,
        s0.t
    );
    for s in &all {
        let name = match s.reference {
            Some(k) => format!("R{k}"),
            None => "weights".to_string(),
        };
        let margin = match s.margin {
            Some(m) => format!("{m:.6}"),
            None => "none (P = 0)".to_string(),
        };
        let verdict = if s.errors_kappa == 0 {
            "a kappa-solution"
        } else {
            "not a kappa-solution"
        };
        out.push_str(&format!(
            "\n{name}: margin {margin}, {} errors at kappa = {}, {} errors at 0: {verdict}",
            s.errors_kappa, s.kappa, s.errors0
        ));
        const SHOWN: usize = 40;
        let stabs: Vec<String> = s
            .stabilities
            .iter()
            .take(SHOWN)
            .map(i32::to_string)
            .collect();
        let more = if s.p > SHOWN {
            format!(" … ({} more; --json prints all)", s.p - SHOWN)
        } else {
            String::new()
        };
        out.push_str(&format!("\n  stabilities: {}{more}", stabs.join(" ")));
    }
    print_line(&out)
}

/// `instance stats` of a committee file (K > 1): the instance's shape, load and label balance, and
/// for each configuration (every reference, --ref K, or --weights) its errors, agreement with the
/// labels, vote margin and overlaps with the teacher; without any configuration the instance only.
fn committee_stats(a: &StatsArgs, f: &InstanceFile, g: &Global) -> anyhow::Result<()> {
    use flatmin_host::experiments::instance_stats::{
        committee_stats as cstats, parse_committee_weights, CommitteeStats,
    };
    let c = f.committee.expect("a committee file");
    if let Some(k) = a.kappa.filter(|k| *k != 0.0) {
        return Err(input_error(format!(
            "--kappa {k}: a committee instance has kappa = 0 (no margin on the output majority)"
        )));
    }
    let n_in = c.n_in(f.n);
    let refs = f.refs.len();
    let all: Vec<CommitteeStats> = if let Some(w) = &a.weights {
        let words = parse_committee_weights(w, c.k, n_in)
            .map_err(|m| input_error(format!("--weights: {m}")))?;
        vec![cstats(f, Some(&words), None, "")?]
    } else if let Some(k) = a.reference {
        if k == 0 || k > refs {
            return Err(input_error(format!(
                "--ref {k}: reference {k} does not exist: the file has {refs} reference(s) (each \
                 K = {} R lines)",
                c.k
            )));
        }
        vec![cstats(f, Some(&f.refs[k - 1]), Some(k), "")?]
    } else if refs == 0 {
        vec![cstats(
            f,
            None,
            None,
            "no configuration: the file has no reference lines (R …); give --weights",
        )?]
    } else {
        (1..=refs)
            .map(|k| cstats(f, Some(&f.refs[k - 1]), Some(k), ""))
            .collect::<flatmin_host::Result<_>>()?
    };
    if g.json {
        return super::print_rows(&all);
    }
    let s0 = &all[0];
    let mut out = format!(
        "{}: committee K = {} ({}), N = {}, P = {}, {} weights (alpha = {:.4} patterns per weight), \
         labels: {} of {} are +1{}",
        a.file.display(),
        s0.k,
        c.arch_name(),
        s0.n,
        s0.p,
        s0.num_weights,
        s0.alpha,
        s0.labels_plus,
        s0.p,
        if s0.teacher { ", R1 = teacher" } else { "" }
    );
    for s in &all {
        let name = match s.reference {
            Some(k) => format!("R{k}"),
            None if a.weights.is_some() => "weights".to_string(),
            None => continue,
        };
        let errors = s.errors.unwrap_or(0);
        out.push_str(&format!(
            "\n{name}: {errors} errors, agreement {}, vote margin {}{}",
            s.agreement.map_or("-".into(), |x| format!("{x:.4}")),
            s.vote_margin.map_or("-".into(), |x| x.to_string()),
            s.teacher_overlap.as_ref().map_or(String::new(), |q| {
                let q: Vec<String> = q.iter().map(|x| format!("{x:.3}")).collect();
                format!(", overlaps with the teacher [{}]", q.join(", "))
            })
        ));
    }
    print_line(&out)
}
