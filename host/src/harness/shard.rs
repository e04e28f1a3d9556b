//! Shards of a sweep and their merge (`flatmin merge`).
//!
//! A sweep of `P` points split into `n` shards: shard `i` (0-based) runs the points whose index in the
//! full point list satisfies `index % n == i`, into its own directory `<dir>/shard-<i>-of-<n>/` (see
//! [`crate::harness::sweep`]). The shard is chosen by, in order:
//!
//! 1. `--shard i/n` on the command line (the binary calls [`set_cli_shard`]);
//! 2. the SLURM job-array variables: `i = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` (the minimum is 0
//!    when unset) and `n = SLURM_ARRAY_TASK_COUNT`, so `sbatch --array=0-15` or `--array=1-16` both give
//!    16 shards; pass `--shard 0/1` to run a whole sweep inside an array task;
//! 3. no sharding.
//!
//! [`merge`] joins shard directories into one complete sweep directory: same header, the union of the
//! rows in point order, and a `meta.json` that lists the shards. Shards that do not belong together
//! (different experiment, parameters, seeds, header, shard count, or the same shard twice) are rejected
//! as bad input.

use crate::error::{Error, Result};
use crate::harness::rfc3339;
use crate::harness::sweep::DATA_FILE;
use crate::harness::sweep::{read_sweep_dir, write_table, SweepDir, META_FILE};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

/// Shard `index` of `count` (0 ≤ index < count).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// Which shard, 0-based.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl Shard {
    /// Shard `index` of `count`; rejects `count == 0` and `index ≥ count`.
    pub fn new(index: usize, count: usize) -> Result<Self> {
        if count == 0 {
            return Err(Error::Input("shard count must be at least 1".into()));
        }
        if index >= count {
            return Err(Error::Input(format!(
                "shard index {index} out of range: shards are numbered 0..{} for {count} shards",
                count - 1
            )));
        }
        Ok(Shard { index, count })
    }

    /// Whether the point with this index in the full point list belongs to the shard.
    pub fn selects(&self, point: usize) -> bool {
        point % self.count == self.index
    }

    /// The shard's directory name inside the sweep directory: `shard-<i>-of-<n>`.
    pub fn dir_name(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }

    /// The shard given by the SLURM job-array variables, if they are set (see the module doc).
    pub fn from_slurm_env() -> Result<Option<Self>> {
        let get = |name: &str| -> Result<Option<usize>> {
            match std::env::var(name) {
                Ok(v) => v.trim().parse().map(Some).map_err(|_| {
                    Error::Input(format!("{name}={v:?} is not a non-negative integer"))
                }),
                Err(_) => Ok(None),
            }
        };
        let (Some(id), Some(count)) = (get("SLURM_ARRAY_TASK_ID")?, get("SLURM_ARRAY_TASK_COUNT")?)
        else {
            return Ok(None);
        };
        let min = get("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let index = id.checked_sub(min).ok_or_else(|| {
            Error::Input(format!(
                "SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}"
            ))
        })?;
        Shard::new(index, count).map(Some).map_err(|e| {
            Error::Input(format!(
                "from the SLURM array variables: {e}; use --shard i/n"
            ))
        })
    }

    /// The shard this process should run: `--shard` if the binary set one, else the SLURM variables,
    /// else none.
    pub fn from_process() -> Result<Option<Self>> {
        match CLI_SHARD.get() {
            Some(s) => Ok(Some(*s)),
            None => Self::from_slurm_env(),
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    /// Parses `i/n` (0-based `i`, e.g. `0/4` … `3/4`).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected i/n (e.g. 0/4), found {s:?}"))?;
        let i: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("shard index {i:?} is not a non-negative integer"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("shard count {n:?} is not a positive integer"))?;
        Shard::new(i, n).map_err(|e| e.to_string())
    }
}

static CLI_SHARD: OnceLock<Shard> = OnceLock::new();

/// Records the `--shard` of the command line for [`Shard::from_process`]. Called once by the binary;
/// later calls are ignored.
pub fn set_cli_shard(shard: Shard) {
    let _ = CLI_SHARD.set(shard);
}

/// What [`merge`] did.
#[derive(Clone, Debug, Serialize)]
pub struct MergeReport {
    /// The merged sweep directory.
    pub out: PathBuf,
    /// The shard directories that were joined, in shard order.
    pub shards: Vec<PathBuf>,
    /// Points of the full sweep.
    pub points: usize,
    /// Points present in the merged data.
    pub points_done: usize,
    /// Data rows written.
    pub rows: usize,
    /// Whether every point of the sweep is present.
    pub complete: bool,
}

/// The `shard-*` subdirectories of a sweep directory, sorted (empty when there are none).
pub fn shard_subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut subs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("shard-"))
        })
        .collect();
    subs.sort();
    subs
}

/// Expands the arguments of `flatmin merge`: a directory that contains `shard-*` subdirectories
/// stands for those subdirectories (a shard directory never contains any).
pub fn expand_shard_dirs(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for d in dirs {
        if !d.is_dir() {
            return Err(Error::Input(format!("{}: no such directory", d.display())));
        }
        let subs = shard_subdirs(d);
        if subs.is_empty() {
            out.push(d.clone());
        } else {
            out.extend(subs);
        }
    }
    Ok(out)
}

/// The default output of `flatmin merge` when `-o` is not given: the one directory given, when it
/// holds the shards, or the common parent of directories all named `shard-*`.
pub fn default_merge_out(dirs: &[PathBuf]) -> Option<PathBuf> {
    if let [d] = dirs {
        if !shard_subdirs(d).is_empty() {
            return Some(d.clone());
        }
    }
    let parents: Vec<Option<&Path>> = dirs
        .iter()
        .map(|d| {
            let named = d
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("shard-"));
            if named {
                d.parent()
            } else {
                None
            }
        })
        .collect();
    let first = parents.first().copied().flatten()?;
    if parents.iter().all(|p| *p == Some(first)) {
        Some(if first.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            first.to_path_buf()
        })
    } else {
        None
    }
}

fn same(a: &Value, b: &Value, what: &str, da: &Path, db: &Path) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(Error::Input(format!(
            "incompatible shards: {} and {} have different {what} ({a} vs {b})",
            da.display(),
            db.display()
        )))
    }
}

/// Joins shard directories of one sweep into `out` (`data.csv` + `meta.json`, each written atomically;
/// other files in `out`, such as the shard directories themselves, are left alone). Rows are ordered by
/// point index. Unless `partial`, every shard `0..n` must be present and complete.
pub fn merge(dirs: &[PathBuf], out: &Path, partial: bool) -> Result<MergeReport> {
    if dirs.is_empty() {
        return Err(Error::Input("no shard directories given".into()));
    }
    let mut shards: Vec<SweepDir> = dirs
        .iter()
        .map(|d| read_sweep_dir(d))
        .collect::<Result<_>>()?;
    shards.sort_by_key(|s| s.shard.map(|x| x.index));
    let first = &shards[0];
    for s in &shards[1..] {
        let (da, db) = (&first.dir, &s.dir);
        if s.header != first.header {
            return Err(Error::Input(format!(
                "incompatible shards: {} and {} have different columns ({} vs {})",
                da.display(),
                db.display(),
                first.header.join(","),
                s.header.join(",")
            )));
        }
        for key in ["experiment", "params", "seeds"] {
            same(&first.meta[key], &s.meta[key], key, da, db)?;
        }
        same(
            &first.meta["sweep"]["points"],
            &s.meta["sweep"]["points"],
            "point counts",
            da,
            db,
        )?;
    }
    // Shard numbering: every directory must be a shard of the same count, each index once.
    let mut by_index: BTreeMap<usize, usize> = BTreeMap::new();
    let mut count = None;
    for (k, s) in shards.iter().enumerate() {
        let sh = s.shard.ok_or_else(|| {
            Error::Input(format!(
                "{} is not a shard (its meta.json has no shard); merge joins shard-* directories",
                s.dir.display()
            ))
        })?;
        if *count.get_or_insert(sh.count) != sh.count {
            return Err(Error::Input(format!(
                "incompatible shards: {} is shard {sh} but other directories have {} shards",
                s.dir.display(),
                count.unwrap_or(0)
            )));
        }
        if let Some(&prev) = by_index.get(&sh.index) {
            return Err(Error::Input(format!(
                "shard {sh} given twice: {} and {}",
                shards[prev].dir.display(),
                s.dir.display()
            )));
        }
        by_index.insert(sh.index, k);
    }
    let count = count.unwrap_or(1);
    if !partial {
        if let Some(missing) = (0..count).find(|i| !by_index.contains_key(i)) {
            return Err(Error::Input(format!(
                "shard {missing}/{count} is missing (give every shard, or --partial)"
            )));
        }
        if let Some(s) = shards.iter().find(|s| !s.complete) {
            return Err(Error::Input(format!(
                "{} is unfinished ({} of {} points); rerun that shard, or merge with --partial",
                s.dir.display(),
                s.points_done(),
                s.points_in_shard
            )));
        }
    }
    let out_abs = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    for s in &shards {
        if std::path::absolute(&s.dir).unwrap_or_else(|_| s.dir.clone()) == out_abs {
            return Err(Error::Input(format!(
                "the merge output {} is one of the shards",
                out.display()
            )));
        }
    }
    // Union of the rows by point key; the same point in two shards must agree.
    let mut rows: Vec<(usize, usize, Vec<String>)> = Vec::new(); // (point index, order, row)
    let mut seen: BTreeMap<String, (usize, Vec<Vec<String>>)> = BTreeMap::new();
    for (k, s) in shards.iter().enumerate() {
        let mut blocks: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
        for r in &s.rows {
            blocks.entry(r[1].as_str()).or_default().push(r.clone());
        }
        for (key, block) in blocks {
            if let Some((other, prev)) = seen.get(key) {
                if *prev != block {
                    return Err(Error::Input(format!(
                        "incompatible shards: point {key:?} differs between {} and {}",
                        shards[*other].dir.display(),
                        s.dir.display()
                    )));
                }
                continue;
            }
            for r in &block {
                let index: usize = r[0].parse().map_err(|_| {
                    Error::Input(format!(
                        "{}: point index {:?} is not an integer",
                        s.dir.join(DATA_FILE).display(),
                        r[0]
                    ))
                })?;
                rows.push((index, rows.len(), r.clone()));
            }
            seen.insert(key.to_string(), (k, block));
        }
    }
    rows.sort_by_key(|&(i, order, _)| (i, order));
    let points = first.meta["sweep"]["points"].as_u64().unwrap_or(0) as usize;
    let points_done = seen.len();
    let complete = points_done == points;

    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let table: Vec<Vec<String>> = rows.into_iter().map(|(_, _, r)| r).collect();
    let n_rows = table.len();
    // meta.json: the first shard's, with the merge recorded.
    let mut meta = first.meta.clone();
    let started = shards
        .iter()
        .filter_map(|s| s.meta["started"].as_str())
        .min()
        .map(str::to_string);
    let finished = shards
        .iter()
        .filter_map(|s| s.meta["finished"].as_str())
        .max()
        .map(str::to_string);
    let list: Vec<Value> = shards
        .iter()
        .map(|s| {
            json!({
                "dir": s.dir.display().to_string(),
                "shard": s.shard,
                "version": s.meta["version"],
                "started": s.meta["started"],
                "finished": s.meta["finished"],
                "points_done": s.points_done(),
                "complete": s.complete,
            })
        })
        .collect();
    meta["started"] = json!(started);
    meta["finished"] = json!(if complete { finished } else { None });
    meta["merged"] = json!(rfc3339(SystemTime::now()));
    meta["shards"] = Value::Array(list);
    meta["files"] = json!([DATA_FILE, META_FILE]);
    meta["sweep"] = json!({
        "points": points,
        "shard": null,
        "points_in_shard": points,
        "points_done": points_done,
        "complete": complete,
    });
    write_table(&out.join(DATA_FILE), &first.header, &table)?;
    let text = serde_json::to_string_pretty(&meta).map_err(|e| Error::Other(e.to_string()))?;
    crate::io::write_atomic(&out.join(META_FILE), (text + "\n").as_bytes())?;
    Ok(MergeReport {
        out: out.to_path_buf(),
        shards: shards.iter().map(|s| s.dir.clone()).collect(),
        points,
        points_done,
        rows: n_rows,
        complete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_select() {
        let s: Shard = "1/3".parse().unwrap();
        assert_eq!(s, Shard { index: 1, count: 3 });
        assert_eq!(s.to_string(), "1/3");
        assert_eq!(s.dir_name(), "shard-1-of-3");
        let picked: Vec<usize> = (0..8).filter(|&p| s.selects(p)).collect();
        assert_eq!(picked, [1, 4, 7]);
        assert!("3/3".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert!("1".parse::<Shard>().is_err());
        assert!("a/2".parse::<Shard>().is_err());
    }

    #[test]
    fn default_out() {
        let d = |s: &str| PathBuf::from(s);
        assert_eq!(
            default_merge_out(&[d("x/shard-0-of-2"), d("x/shard-1-of-2")]),
            Some(d("x"))
        );
        assert_eq!(default_merge_out(&[d("a"), d("b")]), None);
        assert_eq!(
            default_merge_out(&[d("x/shard-0-of-2"), d("y/shard-1-of-2")]),
            None
        );
    }
}
