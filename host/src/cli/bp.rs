//! Placeholder for the `bp` command family; its issue replaces this file with the real commands.

use super::Global;
use clap::Subcommand;

/// Commands of this family.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Not implemented yet.
    #[command(hide = true)]
    TodoBp,
}

/// Runs a command of this family.
pub fn run(cmd: Cmd, _g: &Global) -> anyhow::Result<()> {
    match cmd {
        Cmd::TodoBp => anyhow::bail!("not implemented yet"),
    }
}
