//! `flatmin report DIR`: rebuild `DIR/report.html` and `DIR/report.md` from the figures in DIR.

use super::{print_json, print_line, Global};
use flatmin_host::experiments::report;
use std::path::PathBuf;

/// Arguments of `flatmin report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory `flatmin figure all --out DIR` wrote (holding figure-*/ directories).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// Runs `flatmin report`.
pub fn run(a: Args, g: &Global) -> anyhow::Result<()> {
    if a.dir.exists() && !a.dir.is_dir() {
        return Err(super::input_error(format!(
            "{}: not a directory",
            a.dir.display()
        )));
    }
    let w = report::write(&a.dir)?;
    if g.json {
        print_json(&w)
    } else {
        print_line(&format!(
            "wrote {} and {} ({} figures)",
            w.html.display(),
            w.markdown.display(),
            w.figures
        ))
    }
}
