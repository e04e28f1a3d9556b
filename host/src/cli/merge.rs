//! `flatmin merge`: join the shard directories of a sharded study (see `harness::shard`).

use super::{input_error, print_json, print_line, Global};
use flatmin_host::harness::shard;
use std::path::PathBuf;

/// Arguments of `flatmin merge`.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Join the shards of a sharded study.\n\n\
        A study run with --shard i/n (or as a SLURM job array) writes shard i into \
        DIR/shard-<i>-of-<n>/. `flatmin merge DIR` joins every DIR/shard-* into DIR/data.csv and \
        DIR/meta.json: same columns, the union of the rows in point order (row for row what an \
        unsharded run writes), and the list of shards in meta.json. Shards of different studies (other \
        parameters, seeds, quick or columns), a shard given twice, a missing or an unfinished shard are \
        rejected (exit code 2; --partial accepts the last two). Rerunning the study's command without \
        --shard then finds every point done and only writes the derived tables and the chart.",
    after_help = "Examples:\n  flatmin merge figures/figure-3\n  flatmin merge run/shard-0-of-2 run/shard-1-of-2 -o run"
)]
pub struct Args {
    /// Shard directories to join, or a study directory holding shard-* subdirectories.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Output directory (default: the study directory holding the shards).
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Accept missing or unfinished shards (the merged study is then marked incomplete).
    #[arg(long)]
    pub partial: bool,
}

/// Runs `flatmin merge`.
pub fn run(a: Args, g: &Global) -> anyhow::Result<()> {
    let dirs = shard::expand_shard_dirs(&a.dirs)?;
    let out = match a.out {
        Some(o) => o,
        None => shard::default_merge_out(&a.dirs).ok_or_else(|| {
            input_error(
                "give the output directory with -o OUT (the shards are not all DIR/shard-*)",
            )
        })?,
    };
    let report = shard::merge(&dirs, &out, a.partial)?;
    if g.json {
        print_json(&report)
    } else {
        print_line(&format!(
            "merged {} shard(s) into {}: {} rows, {} of {} points{}",
            report.shards.len(),
            report.out.display(),
            report.rows,
            report.points_done,
            report.points,
            if report.complete { "" } else { " (incomplete)" }
        ))
    }
}
