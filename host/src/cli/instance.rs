//! `flatmin instance gen|stats`: write random or teacher–student instances in the text format of
//! ALGORITHMS §a.4, and print the stabilities, margin and errors of configurations on them (§a.2).

use super::{input_error, print_json, print_line, Global};
use clap::Subcommand;
use flatmin_host::io::{parse_spins, InstanceFile, Stats};
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
    #[command(
        after_help = "Example:\n  flatmin instance gen --n 1001 --alpha 0.5 --teacher --seed 7 -o teacher.txt"
    )]
    Gen(GenArgs),
    /// Print the stabilities, margin and errors of configurations on an instance.
    ///
    /// By default every reference line (R1, R2, …) of FILE is evaluated; --ref K picks one, and
    /// --weights evaluates a configuration given on the command line. Stabilities are the integers
    /// s_μ = Σᵢ wᵢ y_μ ξ^μ_i; the margin is min s_μ/√N; errors count s_μ < T(κ) with
    /// T(κ) = ⌈κ√N − 1e-9⌉, and errors0 count s_μ < 0. With --json: one object
    /// {"ref","N","P","kappa","T","stabilities","margin","errors_kappa","errors0"} per configuration
    /// (an array when there are several).
    #[command(
        after_help = "Examples:\n  flatmin instance stats teacher.txt\n  flatmin instance stats teacher.txt --ref 1 --kappa 0.2 --json\n  flatmin instance stats small.txt --weights +-+--++"
    )]
    Stats(StatsArgs),
}

/// Arguments of `flatmin instance gen`.
#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// Number of weights N (≥ 1; odd N avoids zero stabilities).
    #[arg(long, value_name = "N")]
    pub n: usize,
    /// Load α = P/N; P = ⌊αN + ½⌋ patterns.
    #[arg(long, value_name = "A")]
    pub alpha: f64,
    /// Margin κ written in the header (the stabilities Δ = s/√N that count as correct are ≥ κ).
    #[arg(
        long,
        value_name = "K",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    pub kappa: f64,
    /// Teacher–student instance: labels from a random teacher, stored as reference R1.
    #[arg(long)]
    pub teacher: bool,
    /// Seed of the generator (the same seed writes the same file on every machine).
    #[arg(long, value_name = "S")]
    pub seed: u64,
    /// Output file (written atomically: a temporary file renamed into place, replacing FILE);
    /// `-` writes to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

/// Arguments of `flatmin instance stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Instance file (text format of ALGORITHMS §a.4).
    pub file: PathBuf,
    /// Evaluate only reference K (1-based: R1 is 1).
    #[arg(long = "ref", value_name = "K", conflicts_with = "weights")]
    pub reference: Option<usize>,
    /// Evaluate this configuration: N characters in {+,-} (weight i is character i).
    #[arg(long, value_name = "+-+…", allow_hyphen_values = true)]
    pub weights: Option<String>,
    /// Count errors at this margin instead of the header's κ.
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
    #[serde(rename = "N")]
    n: usize,
    #[serde(rename = "P")]
    p: usize,
    alpha: f64,
    kappa: f64,
    teacher: bool,
    seed: u64,
}

fn gen(a: GenArgs, g: &Global) -> anyhow::Result<()> {
    if a.n == 0 {
        return Err(input_error("--n must be at least 1"));
    }
    if !a.alpha.is_finite() || a.alpha < 0.0 {
        return Err(input_error(format!(
            "--alpha must be a finite number ≥ 0, got {}",
            a.alpha
        )));
    }
    let f = InstanceFile::generate(a.n, a.alpha, a.kappa, a.teacher, a.seed)?;
    if a.output.as_os_str() == "-" {
        // The instance itself is the output; --json does not apply.
        return print_line(f.to_text().trim_end());
    }
    f.write(&a.output)?;
    if g.json {
        print_json(&GenReport {
            file: &a.output,
            n: f.n,
            p: f.p,
            alpha: a.alpha,
            kappa: f.kappa,
            teacher: a.teacher,
            seed: a.seed,
        })
    } else {
        if !g.quiet && a.teacher && a.n & 1 == 0 {
            eprintln!(
                "flatmin: note: even N: stabilities can be 0, which counts as correct (sign(0) = +1)"
            );
        }
        print_line(&format!(
            "wrote {}: N = {}, P = {} (alpha = {}), kappa = {}, {} instance, seed {}",
            a.output.display(),
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

fn stats(a: StatsArgs, g: &Global) -> anyhow::Result<()> {
    if let Some(k) = a.kappa {
        if !k.is_finite() {
            return Err(input_error("--kappa must be finite"));
        }
    }
    let f = InstanceFile::read(&a.file)?;
    let all: Vec<Stats> = if let Some(w) = &a.weights {
        let words = parse_spins(w, f.n).map_err(|m| input_error(format!("--weights: {m}")))?;
        vec![f.stats(&words, a.kappa, None)?]
    } else if let Some(k) = a.reference {
        vec![f.reference_stats(k, a.kappa)?]
    } else if f.refs.is_empty() {
        return Err(input_error(format!(
            "{}: the file has no reference lines (R ...); give --weights",
            a.file.display()
        )));
    } else {
        (1..=f.refs.len())
            .map(|k| f.reference_stats(k, a.kappa))
            .collect::<flatmin_host::Result<_>>()?
    };
    if g.json {
        return match all.as_slice() {
            [one] => print_json(one),
            many => print_json(&many),
        };
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
