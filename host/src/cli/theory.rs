//! `flatmin theory …`: the perceptron commands (rs, kappa-max, alpha-c, fp, phases, thresholds) and
//! the extensions (committee, fp-1rsb, sbp), each family in its own file.

use super::Global;
use clap::Subcommand;

/// Replica-theory commands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    #[command(flatten)]
    #[allow(missing_docs)]
    Perceptron(super::theory_perceptron::Cmd),
    #[command(flatten)]
    #[allow(missing_docs)]
    Ext(super::theory_ext::Cmd),
}

/// Runs a theory command.
pub fn run(cmd: Cmd, g: &Global) -> anyhow::Result<()> {
    match cmd {
        Cmd::Perceptron(c) => super::theory_perceptron::run(c, g),
        Cmd::Ext(c) => super::theory_ext::run(c, g),
    }
}
