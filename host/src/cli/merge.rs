//! Placeholder for `flatmin merge`; the harness issue replaces it.

use super::Global;

/// Arguments of `flatmin merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Shard directories to join.
    pub dirs: Vec<std::path::PathBuf>,
}

/// Runs `flatmin merge`.
pub fn run(_a: Args, _g: &Global) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
