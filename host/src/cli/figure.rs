//! `flatmin figure NAME`: reproduce a figure of the papers into `OUT/figure-NAME/`
//! (`data.csv`, `meta.json`, `figure-NAME.svg`); `figure all` ends with `OUT/report.html` and
//! `OUT/report.md`.

use super::study::{shard, Bars};
use super::{input_error, print_json, print_line, Global};
use flatmin_host::experiments::{self, report, FigureOpts};
use std::path::PathBuf;

/// Arguments of `flatmin figure`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Figures: run `flatmin figure list` to see every figure with a one-line description.\n\
    A rerun of the same command resumes (only missing points are computed); other parameters in an \
    existing directory are refused (exit code 2) unless --force."
)]
pub struct Args {
    /// Figure name (`2`, `3`, …, `sbp`), `all` for every figure, or `list`.
    pub name: String,
    /// Parent output directory; figure NAME is written to OUT/figure-NAME/.
    #[arg(long, short, default_value = "figures", value_name = "DIR")]
    pub out: PathBuf,
    /// Coarse grids and few samples: a fast smoke run, not for publication.
    #[arg(long)]
    pub quick: bool,
    /// Base seed for anything random (point seeds are derived from it and the point's key).
    #[arg(long, default_value_t = 0, value_name = "S", value_parser = super::instance::parse_seed)]
    pub seed: u64,
    /// Replace an existing figure that flatmin wrote with other parameters (only the files listed in
    /// its meta.json; foreign files are never touched).
    #[arg(long)]
    pub force: bool,
    /// Task of figure 8 (mnist-parity, fashion, fashion-parity, cifar10, cifar10-parity; default
    /// fashion-parity). MNIST and CIFAR-10 are read from $FLATMIN_DATA.
    #[arg(long, value_name = "T")]
    pub task: Option<String>,
}

/// Runs `flatmin figure`.
pub fn run(a: Args, g: &Global) -> anyhow::Result<()> {
    if a.name == "list" {
        if g.json {
            let list: Vec<_> = experiments::FIGURES
                .iter()
                .map(|f| serde_json::json!({"name": f.name, "about": f.about}))
                .collect();
            return print_json(&list);
        }
        for f in experiments::FIGURES {
            print_line(&format!("{:>12}  {}", f.name, f.about))?;
        }
        return Ok(());
    }
    let all = a.name == "all";
    let selected: Vec<_> = if all {
        experiments::FIGURES
            .iter()
            .filter(|f| !experiments::NOT_IN_ALL.contains(&f.name))
            .collect()
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
    if a.task.is_some() && a.name != "8" {
        return Err(input_error("--task applies to figure 8 only"));
    }
    let bars = Bars::new(g.quiet);
    let shard = shard(g)?;
    let opts = FigureOpts {
        out: a.out.clone(),
        quick: a.quick,
        threads: g.threads,
        seed: a.seed,
        shard,
        force: a.force,
        command_line: std::env::args().collect(),
        progress: &bars,
        task: a.task.clone(),
    };
    let mut reports = Vec::new();
    for f in selected {
        let r = (f.run)(&opts)?;
        if !g.json {
            print_line(&format!(
                "figure {}: {} ({:.1} s{})",
                r.name,
                r.dir.display(),
                r.seconds,
                if r.shard {
                    ", one shard: merge, then rerun to draw"
                } else {
                    ""
                }
            ))?;
        }
        reports.push(r);
    }
    let sharded = shard.is_some_and(|s| s.count > 1);
    if all && !sharded {
        let w = report::write(&a.out)?;
        if !g.json {
            print_line(&format!(
                "report: {} and {}",
                w.html.display(),
                w.markdown.display()
            ))?;
        }
    }
    if g.json {
        print_json(&reports)?;
    }
    Ok(())
}
