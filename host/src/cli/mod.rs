//! Command-line definitions: one file per command family, each declaring its flags with their help
//! text, and the shared output helpers.

pub mod bench;
pub mod bp;
pub mod deep;
pub mod enumerate;
pub mod figure;
pub mod instance;
pub mod merge;
pub mod report;
pub mod solve;
pub mod study;
pub mod theory;
pub mod theory_ext;
pub mod theory_perceptron;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::io::Write;

/// flatmin: the geometry of solutions of binary neural networks.
///
/// Reproduces the replica theory (RS and Franz–Parisi local entropy, phases and thresholds), message
/// passing (BP, focusing BP) and exact enumeration of the binary perceptron (Baldassi et al., PRL 127,
/// 278301, 2021), tree committee machines, and the symmetric binary perceptron (Baldassi et al.,
/// J. Stat. Mech. 2020). Every experiment writes CSV + meta.json + SVG; every command has --json.
#[derive(Debug, Parser)]
#[command(
    name = "flatmin",
    version,
    about,
    long_about,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bars or chatter on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Worker threads, 1 ≤ N ≤ 1024 (default: all cores). Results never depend on it.
    #[arg(long, global = true, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Run only shard i of n of a study (the points whose index % n == i) into
    /// OUT/shard-i-of-n/; join the shards with `flatmin merge OUT`. Defaults to
    /// SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) of SLURM_ARRAY_TASK_COUNT inside a SLURM job
    /// array; --shard 0/1 runs the whole study.
    #[arg(long, global = true, value_name = "i/n")]
    pub shard: Option<flatmin_host::harness::shard::Shard>,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate instances and inspect their stabilities.
    #[command(subcommand)]
    Instance(instance::Cmd),
    /// Replica theory: RS entropy, Franz–Parisi local entropy, phases, committee machines, SBP.
    #[command(subcommand)]
    Theory(theory::Cmd),
    #[command(flatten)]
    #[allow(missing_docs)]
    Bp(bp::Cmd),
    #[command(flatten)]
    #[allow(missing_docs)]
    Solve(solve::Cmd),
    #[command(flatten)]
    #[allow(missing_docs)]
    Enumerate(enumerate::Cmd),
    /// Reproduce a figure of the papers (CSV + meta.json + SVG).
    Figure(figure::Args),
    /// Measure the speed of the kernels and algorithms.
    #[command(subcommand)]
    Bench(bench::Cmd),
    /// Join the shards of a sharded study.
    Merge(merge::Args),
    /// Rebuild DIR/report.html and DIR/report.md from the figures in DIR.
    Report(report::Args),
    /// Deep binary networks on real data: train, eval, overlap, local-energy (DEEP.md).
    #[command(subcommand)]
    Deep(deep::Cmd),
}

/// Parses the command line; `--help`/`--version` print and exit 0, and a usage error is one stderr
/// line `flatmin: error: …` (clap's tips folded in, except its `-- -5` advice, which is wrong for
/// flags whose value may be negative) with exit code 2.
pub fn parse() -> Cli {
    use clap::error::ErrorKind;
    use clap::{CommandFactory, FromArgMatches};
    let command = allow_negative_numbers(Cli::command());
    match command
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => {
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            eprintln!("flatmin: error: {}", one_line_clap_error(&e.to_string()));
            std::process::exit(2);
        }
    }
}

/// Every command accepts negative numbers as values (`--kappa -0.5`, README "Output conventions" 1):
/// where a negative value has no meaning, the flag's own check rejects it with the reason, instead
/// of clap's "unexpected argument '-0'". No flag of flatmin has a digit as its short name.
pub fn allow_negative_numbers(cmd: clap::Command) -> clap::Command {
    cmd.allow_negative_numbers(true)
        .mut_subcommands(allow_negative_numbers)
}

/// `--threads N`: an integer in 1..=[`MAX_THREADS`].
fn parse_threads(s: &str) -> Result<usize, String> {
    let range = format!("must be an integer between 1 and {MAX_THREADS}");
    match s.trim().parse::<i128>() {
        Ok(t) if (1..=MAX_THREADS as i128).contains(&t) => Ok(t as usize),
        Ok(_) => Err(range),
        Err(_) => Err(format!("{range}, got {s:?}")),
    }
}

/// Folds clap's rendered error (a message, tips, usage) into one line.
pub fn one_line_clap_error(text: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    // Lines right after an `error: …:` line (clap's list of missing arguments) belong to it.
    let mut listing = false;
    for line in text.lines().map(str::trim) {
        if listing && !line.is_empty() && !line.starts_with("Usage:") && !line.starts_with("tip:") {
            if let Some(last) = parts.last_mut() {
                if last.ends_with(':') {
                    last.push(' ');
                } else {
                    last.push_str(", ");
                }
                last.push_str(line);
            }
            continue;
        }
        listing = false;
        if let Some(first) = line.strip_prefix("error: ") {
            listing = first.ends_with(':');
            parts.push(first.to_string());
        } else if line.starts_with("[possible values:") {
            parts.push(line.to_string());
        } else if let Some(tip) = line.strip_prefix("tip: ") {
            if !tip.contains("'-- ") {
                parts.push(tip.to_string());
            }
        }
    }
    if parts.is_empty() {
        parts.push(
            text.lines()
                .next()
                .unwrap_or("invalid arguments")
                .to_string(),
        );
    }
    parts.join("; ")
}

/// Dispatches a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let g = cli.global;
    if let Some(t) = g.threads {
        if t == 0 || t > MAX_THREADS {
            return Err(input_error(format!(
                "--threads {t}: must be between 1 and {MAX_THREADS}"
            )));
        }
    }
    match cli.command {
        Command::Instance(c) => instance::run(c, &g),
        Command::Theory(c) => theory::run(c, &g),
        Command::Bp(c) => bp::run(c, &g),
        Command::Solve(c) => solve::run(c, &g),
        Command::Enumerate(c) => enumerate::run(c, &g),
        Command::Figure(a) => figure::run(a, &g),
        Command::Bench(c) => bench::run(c, &g),
        Command::Merge(a) => merge::run(a, &g),
        Command::Report(a) => report::run(a, &g),
        Command::Deep(c) => deep::run(c, &g),
    }
}

/// The most worker threads `--threads` accepts.
pub const MAX_THREADS: usize = 1024;

/// The exit code of an error: 2 for bad input (arguments, files), 1 for a failed run.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    let input = err.chain().any(|e| {
        e.downcast_ref::<flatmin_host::Error>()
            .is_some_and(|e| e.is_input())
            || e.downcast_ref::<flatmin_core::ShapeError>().is_some()
            || e.downcast_ref::<InputError>().is_some()
    });
    if input {
        2
    } else {
        1
    }
}

/// Whether an error is a closed stdout (e.g. `flatmin … | head`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A bad-input error raised by the command layer itself (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// Shorthand for a bad-input error.
pub fn input_error(msg: impl Into<String>) -> anyhow::Error {
    InputError(msg.into()).into()
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    print_line(&text)
}

/// Prints rows as JSON by the output conventions (§2): one row as an object of scalars, several as
/// one object of arrays with the same keys (columnar).
pub fn print_rows<T: Serialize>(rows: &[T]) -> anyhow::Result<()> {
    match rows {
        [one] => print_json(one),
        many => {
            let rows = many
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<Vec<_>, _>>()?;
            print_json(&flatmin_host::theory_json::columnar(&rows))
        }
    }
}

/// Prints one line on stdout (a closed pipe surfaces as an io::Error of kind BrokenPipe).
pub fn print_line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}
