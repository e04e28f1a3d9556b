//! `flatmin figure NAME`: reproduce a figure of the papers into `<out>/<name>/`
//! (data CSV, meta.json with every parameter, SVG).

use super::{input_error, print_json, print_line, Global};
use flatmin_host::experiments::{self, FigureOpts};
use std::path::PathBuf;

/// Arguments of `flatmin figure`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Figures: run `flatmin figure list` to see every figure with a one-line description."
)]
pub struct Args {
    /// Figure name (`2`, `3`, …, `sbp`), `all` for every figure, or `list`.
    pub name: String,
    /// Parent output directory; figure NAME is written to OUT/figure-NAME/.
    #[arg(long, short, default_value = "figures")]
    pub out: PathBuf,
    /// Coarse grids and few samples: a fast smoke run, not for publication.
    #[arg(long)]
    pub quick: bool,
    /// Base seed for anything random (per-sample seeds are derived from it).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Runs `flatmin figure`.
pub fn run(a: Args, g: &Global) -> anyhow::Result<()> {
    if a.name == "list" {
        for f in experiments::FIGURES {
            print_line(&format!("{:>4}  {}", f.name, f.about))?;
        }
        return Ok(());
    }
    let selected: Vec<_> = if a.name == "all" {
        experiments::FIGURES.iter().collect()
    } else {
        vec![experiments::figure(&a.name).ok_or_else(|| {
            let names: Vec<_> = experiments::FIGURES.iter().map(|f| f.name).collect();
            input_error(format!(
                "unknown figure {:?}; known: {}, all, list",
                a.name,
                names.join(", ")
            ))
        })?]
    };
    let opts = FigureOpts {
        out: a.out,
        quick: a.quick,
        quiet: g.quiet,
        threads: g.threads,
        seed: a.seed,
    };
    let mut reports = Vec::new();
    for f in selected {
        let r = (f.run)(&opts)?;
        if !g.json {
            print_line(&format!("figure {}: {}", r.name, r.dir.display()))?;
        }
        reports.push(r);
    }
    if g.json {
        print_json(&reports)?;
    }
    Ok(())
}
