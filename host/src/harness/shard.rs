//! Shards of a sweep and their merge (`flatmin merge`).
//!
//! A sweep of `P` points split into `n` shards: shard `i` (0-based) runs the points whose index in the
//! full point list satisfies `index % n == i`, into its own directory `<dir>/shard-<i>-of-<n>/` (see
//! [`crate::harness::runner`]). The shard is chosen by [`Shard::resolve`], in order:
//!
//! 1. `--shard i/n` on the command line (passed explicitly to the runner);
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
use crate::harness::runner::{
    read_data, write_table, MergedShard, Meta, SweepState, Table, DATA_FILE, META_FILE,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Shard `index` of `count` (0 ≤ index < count).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

    /// The shard to run: `cli` (`--shard`) if given, else the SLURM array variables, else none.
    pub fn resolve(cli: Option<Shard>) -> Result<Option<Self>> {
        match cli {
            Some(s) => Ok(Some(s)),
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
            let what = if d.exists() {
                "not a directory"
            } else {
                "no such directory"
            };
            return Err(Error::Input(format!("{}: {what}", d.display())));
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

/// A shard directory as found on disk.
#[derive(Debug)]
struct ShardDir {
    dir: PathBuf,
    meta: Meta,
    table: Table,
}

impl ShardDir {
    fn read(dir: &Path) -> Result<Self> {
        let meta = Meta::read(dir)?.ok_or_else(|| {
            Error::Input(format!(
                "{}: not a study directory (no {META_FILE})",
                dir.display()
            ))
        })?;
        let data = dir.join(DATA_FILE);
        if !data.exists() {
            return Err(Error::Input(format!(
                "{}: not a study directory (no {DATA_FILE})",
                dir.display()
            )));
        }
        let table = read_data(&data)?;
        Ok(ShardDir {
            dir: dir.to_path_buf(),
            meta,
            table,
        })
    }
    fn points_done(&self) -> usize {
        self.table
            .rows
            .iter()
            .map(|r| r[1].as_str())
            .collect::<HashSet<_>>()
            .len()
    }
}

fn differ(what: &str, a: &impl std::fmt::Debug, da: &Path, db: &Path) -> Error {
    Error::Input(format!(
        "incompatible shards: {} and {} have different {what} (first: {a:?})",
        da.display(),
        db.display()
    ))
}

/// Joins shard directories of one study into `out` (`data.csv` + `meta.json`, each written atomically;
/// other files in `out`, such as the shard directories themselves, are left alone). Rows are ordered by
/// point index, so the data equal an unsharded run's row for row. Unless `partial`, every shard `0..n`
/// must be present and complete.
pub fn merge(dirs: &[PathBuf], out: &Path, partial: bool) -> Result<MergeReport> {
    if dirs.is_empty() {
        return Err(Error::Input("no shard directories given".into()));
    }
    let mut shards: Vec<ShardDir> = dirs
        .iter()
        .map(|d| ShardDir::read(d))
        .collect::<Result<_>>()?;
    shards.sort_by_key(|s| s.meta.shard.map(|x| x.index));
    let first = &shards[0];
    for s in &shards[1..] {
        let (da, db) = (&first.dir, &s.dir);
        if s.table.header != first.table.header {
            return Err(differ("columns", &first.table.header.join(","), da, db));
        }
        let (a, b) = (&first.meta, &s.meta);
        if a.experiment != b.experiment {
            return Err(differ("experiment", &a.experiment, da, db));
        }
        if a.params != b.params {
            return Err(differ("params", &a.params.to_string(), da, db));
        }
        if a.seeds != b.seeds {
            return Err(differ("seeds", &a.seeds, da, db));
        }
        if a.quick != b.quick {
            return Err(differ("quick", &a.quick, da, db));
        }
        if a.sweep.points != b.sweep.points {
            return Err(differ("point counts", &a.sweep.points, da, db));
        }
    }
    // Shard numbering: every directory must be a shard of the same count, each index once.
    let mut by_index: BTreeMap<usize, usize> = BTreeMap::new();
    let mut count = None;
    for (k, s) in shards.iter().enumerate() {
        let sh = s.meta.shard.ok_or_else(|| {
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
        if let Some(s) = shards.iter().find(|s| !s.meta.sweep.complete) {
            return Err(Error::Input(format!(
                "{} is unfinished ({} of {} points); rerun that shard, or merge with --partial",
                s.dir.display(),
                s.points_done(),
                s.meta.sweep.points_in_shard
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
    // An existing result in `out` must be this study's (a merged one, or the unsharded run).
    if let Some(old) = Meta::read(out)? {
        let m = &first.meta;
        if old.experiment != m.experiment
            || old.params != m.params
            || old.seeds != m.seeds
            || old.quick != m.quick
            || old.shard.is_some()
        {
            return Err(Error::Input(format!(
                "{} holds another result ({}); merge into another directory with -o",
                out.display(),
                old.experiment
            )));
        }
    } else if out.join(DATA_FILE).exists() {
        return Err(Error::Input(format!(
            "{} exists without {META_FILE}: flatmin did not write it; merge into another \
             directory with -o",
            out.join(DATA_FILE).display()
        )));
    }
    // Union of the rows by point key; the same point in two shards must agree.
    let mut rows: Vec<(usize, usize, Vec<String>)> = Vec::new(); // (point index, order, row)
    let mut seen: BTreeMap<String, (usize, Vec<Vec<String>>)> = BTreeMap::new();
    for (k, s) in shards.iter().enumerate() {
        let mut blocks: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
        for r in &s.table.rows {
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
    let points = first.meta.sweep.points;
    let points_done = seen.len();
    let complete = points_done == points;

    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let table: Vec<Vec<String>> = rows.into_iter().map(|(_, _, r)| r).collect();
    let n_rows = table.len();
    let mut meta = first.meta.clone();
    meta.started = shards
        .iter()
        .map(|s| s.meta.started.clone())
        .min()
        .unwrap_or_default();
    meta.finished = if complete {
        shards.iter().filter_map(|s| s.meta.finished.clone()).max()
    } else {
        None
    };
    meta.seconds = shards.iter().map(|s| s.meta.seconds).sum();
    meta.merged = Some(rfc3339(SystemTime::now()));
    meta.shard = None;
    meta.shards = shards
        .iter()
        .map(|s| MergedShard {
            dir: s.dir.display().to_string(),
            shard: s.meta.shard,
            version: s.meta.version.clone(),
            started: s.meta.started.clone(),
            finished: s.meta.finished.clone(),
            points_done: s.points_done(),
            complete: s.meta.sweep.complete,
        })
        .collect();
    meta.files = vec![DATA_FILE.to_string(), META_FILE.to_string()];
    meta.sweep = SweepState {
        points,
        points_in_shard: points,
        points_done,
        complete,
        resumed: Vec::new(),
        computed_last_run: 0,
        seed_rule: first.meta.sweep.seed_rule.clone(),
    };
    write_table(&out.join(DATA_FILE), &first.table.header, &table)?;
    meta.write(out)?;
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
