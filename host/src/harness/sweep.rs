//! Sweeps: many independent points written as they finish, resumable, shardable.
//!
//! A sweep is a list of points (parameter sets such as `(alpha, n)`), each with a stable text key
//! ([`SweepPoint::key`]). [`Sweep::run`] calls the experiment's closure once per point, in parallel
//! over points with rayon (`--threads`), and appends the point's rows to `<dir>/data.csv` as soon as the
//! point finishes, as one block written with a single `write` call. The file starts with two columns
//! the harness owns, `point` (the index in the full point list) and `key`, then the experiment's columns.
//!
//! * **Resume.** A rerun into the same directory reads `data.csv` and skips every point whose key is
//!   present, so a killed sweep (SIGKILL, a cluster time limit, a crash at point 37) loses only the
//!   points that were running. A trailing partial line (a write cut short) is dropped on reopen; a
//!   failed append is truncated away. A rerun with different parameters, seeds, columns or shard layout
//!   is rejected (exit code 2) rather than mixed with the old data.
//! * **Seeds.** Point `key` gets the seed `derive_seed(seed, fnv1a64(key))` ([`point_seed`]), so
//!   results depend neither on the thread count, nor on the order points run in, nor on which shard
//!   runs them, nor on other points added to the grid later. Inside a point, draw per-sample seeds
//!   with [`crate::harness::par_samples`] or [`crate::harness::sample_seed`]`(point_seed, s)`.
//! * **Shards.** With a [`Shard`] `i/n` (`--shard`, or the SLURM array variables, see
//!   [`crate::harness::shard`]) only the points with `index % n == i` run, into
//!   `<dir>/shard-<i>-of-<n>/`; `flatmin merge <dir>` joins the shards into `<dir>/data.csv` +
//!   `meta.json`, after which an unsharded rerun finds every point done and only draws the plots.
//! * **Finish.** When every point (of the shard) is present, `data.csv` is rewritten in point order
//!   (atomically), so the file does not depend on the order points finished in, and `meta.json` gets
//!   its end time. The returned [`SweepData`] holds every row, computed now or earlier.
//!
//! **Why not an [`OutDir`](crate::harness::OutDir).** A one-shot result is staged in a hidden
//! directory and renamed into place only when whole: a failed run leaves nothing, and a half-written
//! figure never replaces a good one. A sweep wants the opposite: its partial results are the point, since
//! they are what a rerun resumes from. So a sweep writes into its final directory from the start, and
//! keeps it honest differently: `data.csv` is append-only and only ever holds whole points,
//! `meta.json` says `"complete": false` until the last point is in, and every file that is not
//! append-only (`meta.json`, the reordered `data.csv`, plots) is replaced atomically (temporary file +
//! rename). One process per directory: shards use separate directories for this reason.
//!
//! # Example
//!
//! ```no_run
//! use flatmin_host::harness::{par_samples, plot, sweep::{Sweep, SweepOpts}, Meta};
//! use flatmin_host::experiments::FigureOpts;
//!
//! fn figure_x(opts: &FigureOpts) -> flatmin_host::Result<()> {
//!     let mut meta = Meta::new("figure-x");
//!     meta.param("samples", 16);
//!     let points: Vec<(f64, usize)> = [0.3, 0.5, 0.7]
//!         .iter()
//!         .flat_map(|&a| [101usize, 201].map(move |n| (a, n)))
//!         .collect();
//!     let sweep = Sweep::open(
//!         &opts.out.join("figure-x"),
//!         &["alpha", "n", "mean", "std"],
//!         meta,
//!         &SweepOpts::for_figure(opts)?,
//!     )?;
//!     let mut data = sweep.run(&points, |&(alpha, n), seed| {
//!         // 16 samples in parallel, seeds derived from (point seed, sample index).
//!         let xs = par_samples(16, seed, |_s, sample_seed| Ok((sample_seed % 100) as f64))?;
//!         let mean = xs.iter().sum::<f64>() / xs.len() as f64;
//!         Ok(vec![vec![alpha, n as f64, mean, 0.0]])
//!     })?;
//!     if !data.is_shard() {
//!         let mean = data.f64s("mean")?;
//!         let alpha = data.f64s("alpha")?;
//!         let series = plot::Series::new("mean", alpha.into_iter().zip(mean).collect(), plot::Style::Markers);
//!         data.plot("figure-x.svg", &[plot::Chart { series: vec![series], ..Default::default() }], 1)?;
//!     }
//!     Ok(())
//! }
//! ```

use crate::error::{Error, Result};
use crate::harness::shard::Shard;
use crate::harness::{csv_field, format_f64, parse_csv, progress, rfc3339, with_threads, Meta};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// The data table of a sweep (and of a one-shot [`OutDir`](crate::harness::OutDir), by convention).
pub const DATA_FILE: &str = "data.csv";
/// The metadata file.
pub const META_FILE: &str = "meta.json";
/// The columns the harness puts before the experiment's own: point index and point key.
pub const KEY_COLUMNS: [&str; 2] = ["point", "key"];

/// A point of a sweep: anything with a stable, unique text key (one line, no line breaks).
///
/// Implemented for numbers, strings and tuples of them (keys joined by `;`, numbers in shortest
/// round-trip form, e.g. `(0.5, 101)` → `"0.5;101"`). Implement it for your own parameter struct
/// when a tuple gets unwieldy; never change a key once data exist, or resumes recompute the point.
pub trait SweepPoint: Sync {
    /// The point's key.
    fn key(&self) -> String;
}

macro_rules! display_key {
    ($($t:ty),*) => {$(
        impl SweepPoint for $t {
            fn key(&self) -> String {
                format!("{self}")
            }
        }
    )*};
}
display_key!(f64, f32, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, bool, String, &str);

macro_rules! tuple_key {
    ($($name:ident),+) => {
        impl<$($name: SweepPoint),+> SweepPoint for ($($name,)+) {
            #[allow(non_snake_case)]
            fn key(&self) -> String {
                let ($($name,)+) = self;
                [$($name.key()),+].join(";")
            }
        }
    };
}
tuple_key!(A);
tuple_key!(A, B);
tuple_key!(A, B, C);
tuple_key!(A, B, C, D);
tuple_key!(A, B, C, D, E);

/// A row of results: numbers (NaN is written as an empty field) or preformatted text fields.
pub trait CsvRow {
    /// The row's fields.
    fn to_fields(&self) -> Vec<String>;
}

impl CsvRow for Vec<f64> {
    fn to_fields(&self) -> Vec<String> {
        self.iter().map(|&v| format_f64(v)).collect()
    }
}

impl<const K: usize> CsvRow for [f64; K] {
    fn to_fields(&self) -> Vec<String> {
        self.iter().map(|&v| format_f64(v)).collect()
    }
}

impl CsvRow for Vec<String> {
    fn to_fields(&self) -> Vec<String> {
        self.clone()
    }
}

/// FNV-1a, 64 bit: a fixed, platform-independent hash of a point key.
pub fn fnv1a64(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The seed of the point with key `key` in a sweep with base seed `base`.
pub fn point_seed(base: u64, key: &str) -> u64 {
    flatmin_core::rng::derive_seed(base, fnv1a64(key))
}

/// How a sweep runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepOpts {
    /// Worker threads (all cores when `None`).
    pub threads: Option<usize>,
    /// No progress bar.
    pub quiet: bool,
    /// Base seed; point seeds are derived from it and the point key.
    pub seed: u64,
    /// Run only this shard (a shard `0/1` is the whole sweep).
    pub shard: Option<Shard>,
}

impl SweepOpts {
    /// Options with the shard of this process (`--shard` or the SLURM array variables).
    pub fn from_process(threads: Option<usize>, quiet: bool, seed: u64) -> Result<Self> {
        Ok(SweepOpts {
            threads,
            quiet,
            seed,
            shard: Shard::from_process()?,
        })
    }
    /// Options of a figure run, with the shard of this process.
    pub fn for_figure(o: &crate::experiments::FigureOpts) -> Result<Self> {
        Self::from_process(o.threads, o.quiet, o.seed)
    }
}

/// A sweep directory opened for running (see the module doc).
#[derive(Debug)]
pub struct Sweep {
    dir: PathBuf,
    header: Vec<String>,
    meta: Meta,
    opts: SweepOpts,
    shard: Option<Shard>,
    existing: Vec<Vec<String>>,
    resumed: Vec<Value>,
    /// Keys of an earlier meta.json that [`Meta`] does not produce (e.g. `shards` after a merge).
    extra: serde_json::Map<String, Value>,
}

fn meta_value(meta: &Meta) -> Result<Value> {
    serde_json::to_value(meta).map_err(|e| Error::Other(e.to_string()))
}

fn write_json_atomic(path: &Path, value: &Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Other(e.to_string()))?;
    crate::io::write_atomic(path, (text + "\n").as_bytes())
}

/// Writes a CSV table atomically.
pub(crate) fn write_table(path: &Path, header: &[String], rows: &[Vec<String>]) -> Result<()> {
    let mut text = String::new();
    for r in std::iter::once(header).chain(rows.iter().map(|r| r.as_slice())) {
        let line: Vec<String> = r.iter().map(|f| csv_field(f)).collect();
        text.push_str(&line.join(","));
        text.push('\n');
    }
    crate::io::write_atomic(path, text.as_bytes())
}

/// A sweep directory as found on disk (for resume and merge).
#[derive(Debug)]
pub(crate) struct SweepDir {
    pub dir: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub meta: Value,
    pub shard: Option<Shard>,
    pub complete: bool,
    pub points_in_shard: usize,
}

impl SweepDir {
    pub fn points_done(&self) -> usize {
        self.rows
            .iter()
            .map(|r| r[1].as_str())
            .collect::<HashSet<_>>()
            .len()
    }
}

fn read_meta(dir: &Path) -> Result<Option<Value>> {
    let path = dir.join(META_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::Parse {
                file: path,
                line: e.line(),
                msg: format!("not a valid meta.json: {e}"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Reads `data.csv` (ignoring a trailing partial line) and checks its shape.
fn read_data(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let whole = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    let mut records = parse_csv(whole, path)?.into_iter();
    let (_, header) = records.next().ok_or_else(|| Error::Parse {
        file: path.to_path_buf(),
        line: 1,
        msg: "no header line".into(),
    })?;
    if header.len() < 2 || header[..2] != KEY_COLUMNS {
        return Err(Error::Input(format!(
            "{}: not a sweep table (its first columns are not `point,key`)",
            path.display()
        )));
    }
    let mut rows = Vec::new();
    for (line, r) in records {
        if r.len() != header.len() {
            return Err(Error::Parse {
                file: path.to_path_buf(),
                line,
                msg: format!("{} fields, the header has {}", r.len(), header.len()),
            });
        }
        rows.push(r);
    }
    Ok((header, rows))
}

/// Reads a finished or unfinished sweep directory (read only).
pub(crate) fn read_sweep_dir(dir: &Path) -> Result<SweepDir> {
    let meta = read_meta(dir)?.ok_or_else(|| {
        Error::Input(format!(
            "{}: not a sweep directory (no {META_FILE})",
            dir.display()
        ))
    })?;
    let data = dir.join(DATA_FILE);
    let (header, rows) = if data.exists() {
        read_data(&data)?
    } else {
        return Err(Error::Input(format!(
            "{}: not a sweep directory (no {DATA_FILE})",
            dir.display()
        )));
    };
    let sweep = &meta["sweep"];
    if !sweep.is_object() {
        return Err(Error::Input(format!(
            "{}: not a sweep directory (its meta.json has no \"sweep\" block)",
            dir.display()
        )));
    }
    let shard = match &sweep["shard"] {
        Value::Null => None,
        v => Some(
            serde_json::from_value::<(usize, usize)>(json!([v["index"], v["count"]]))
                .ok()
                .and_then(|(i, n)| Shard::new(i, n).ok())
                .ok_or_else(|| {
                    Error::Input(format!("{}: malformed shard in meta.json", dir.display()))
                })?,
        ),
    };
    Ok(SweepDir {
        dir: dir.to_path_buf(),
        header,
        rows,
        shard,
        complete: sweep["complete"].as_bool().unwrap_or(false),
        points_in_shard: sweep["points_in_shard"].as_u64().unwrap_or(0) as usize,
        meta,
    })
}

impl Sweep {
    /// Opens (creating, or resuming) the sweep directory `dir` — or `dir/shard-<i>-of-<n>/` when
    /// `opts.shard` has more than one shard — for a table with the experiment's columns `header`
    /// (the harness adds `point` and `key` in front).
    ///
    /// Fails with [`Error::Input`] when the directory holds data of a different sweep (other columns,
    /// experiment, parameters, seeds or shard), and with [`Error::Other`] for a bad header.
    pub fn open(dir: &Path, header: &[&str], mut meta: Meta, opts: &SweepOpts) -> Result<Self> {
        let shard = opts.shard.filter(|s| s.count > 1);
        let dir = match shard {
            Some(s) => dir.join(s.dir_name()),
            None => dir.to_path_buf(),
        };
        if header.is_empty() {
            return Err(Error::Other("a sweep needs at least one column".into()));
        }
        let mut full: Vec<String> = KEY_COLUMNS.iter().map(|s| s.to_string()).collect();
        for h in header {
            if full.iter().any(|f| f == h) {
                return Err(Error::Other(format!(
                    "sweep column {h:?} is duplicated or reserved (point, key)"
                )));
            }
            full.push(h.to_string());
        }
        if !meta.seeds.contains(&opts.seed) {
            meta.seeds.push(opts.seed);
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let data = dir.join(DATA_FILE);
        let mut existing = Vec::new();
        let mut resumed = Vec::new();
        let mut extra = serde_json::Map::new();
        match read_meta(&dir)? {
            Some(old) => {
                let new = meta_value(&meta)?;
                if !old["sweep"].is_object() {
                    return Err(Error::Input(format!(
                        "{} holds results that are not a sweep (no \"sweep\" block in {META_FILE}); \
                         use another output directory or remove it",
                        dir.display()
                    )));
                }
                for key in ["experiment", "params", "seeds"] {
                    if old[key] != new[key] {
                        return Err(Error::Input(format!(
                            "{} holds a sweep with different {key} ({} there, {} now); \
                             use another output directory or remove it",
                            dir.display(),
                            old[key],
                            new[key]
                        )));
                    }
                }
                let old_shard = &old["sweep"]["shard"];
                let new_shard = json!(shard);
                if *old_shard != new_shard {
                    return Err(Error::Input(format!(
                        "{} holds a different shard layout ({old_shard} there, {new_shard} now)",
                        dir.display()
                    )));
                }
                if let Some(s) = old["started"].as_str() {
                    meta.started = s.to_string();
                }
                if let Some(r) = old["sweep"]["resumed"].as_array() {
                    resumed = r.clone();
                }
                resumed.push(json!(rfc3339(SystemTime::now())));
                if let Value::Object(map) = old {
                    extra = map
                        .into_iter()
                        .filter(|(k, _)| k != "sweep" && new.get(k).is_none())
                        .collect();
                }
                if data.exists() {
                    recover_partial_line(&data)?;
                    let (h, rows) = read_data(&data)?;
                    if h != full {
                        return Err(Error::Input(format!(
                            "{} has columns {} but this sweep writes {}; \
                             use another output directory or remove it",
                            data.display(),
                            h.join(","),
                            full.join(",")
                        )));
                    }
                    existing = rows;
                } else {
                    write_table(&data, &full, &[])?;
                }
            }
            None => {
                if data.exists() {
                    return Err(Error::Input(format!(
                        "{} exists without {META_FILE}: not a sweep directory this harness \
                         wrote; use another output directory or remove it",
                        data.display()
                    )));
                }
                // meta.json first: data.csv without meta.json is never a sweep of ours.
                let mut v = meta_value(&meta)?;
                v["sweep"] = json!({ "points": null, "shard": shard, "complete": false });
                write_json_atomic(&dir.join(META_FILE), &v)?;
                write_table(&data, &full, &[])?;
            }
        }
        Ok(Sweep {
            dir,
            header: full,
            meta,
            opts: *opts,
            shard,
            existing,
            resumed,
            extra,
        })
    }

    /// The directory the sweep writes into (the shard directory when sharded).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The shard this sweep runs, if sharded.
    pub fn shard(&self) -> Option<Shard> {
        self.shard
    }

    /// Keys of the points already present in `data.csv`.
    pub fn done_keys(&self) -> HashSet<&str> {
        self.existing.iter().map(|r| r[1].as_str()).collect()
    }

    fn write_meta(
        &self,
        points: usize,
        in_shard: usize,
        done: usize,
        finished: bool,
    ) -> Result<Value> {
        let mut meta = self.meta.clone();
        if finished {
            meta.finished = Some(rfc3339(SystemTime::now()));
        }
        for f in [DATA_FILE, META_FILE] {
            if !meta.files.iter().any(|x| x == f) {
                meta.files.push(f.to_string());
            }
        }
        let mut v = meta_value(&meta)?;
        for (k, x) in &self.extra {
            v[k] = x.clone();
        }
        v["sweep"] = json!({
            "points": points,
            "shard": self.shard,
            "points_in_shard": in_shard,
            "points_done": done,
            "complete": finished,
            "resumed": self.resumed,
            "seed_rule": "point seed = derive_seed(seed, fnv1a64(key)); sample s of a point: derive_seed(point seed, s)",
        });
        write_json_atomic(&self.dir.join(META_FILE), &v)?;
        Ok(v)
    }

    /// Runs every point of the sweep (of the shard) that is not in `data.csv` yet, calling
    /// `f(point, point_seed)`, which returns the point's rows (at least one; each with as many fields as
    /// the experiment's header). Points run in parallel on `opts.threads` threads; each finished point
    /// is appended to `data.csv` at once. On the first error no new point starts, the points already
    /// running are finished and written, and the error is returned: a rerun resumes from there.
    ///
    /// When every point is present, `data.csv` is rewritten in point order, `meta.json` records the end
    /// time, and the whole table is returned.
    pub fn run<P, R, F>(self, points: &[P], f: F) -> Result<SweepData>
    where
        P: SweepPoint,
        R: CsvRow,
        F: Fn(&P, u64) -> Result<Vec<R>> + Sync + Send,
    {
        let keys: Vec<String> = points.iter().map(SweepPoint::key).collect();
        let mut index_of: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            if k.contains(['\n', '\r']) {
                return Err(Error::Other(format!(
                    "sweep point key {k:?} contains a line break"
                )));
            }
            if index_of.insert(k.as_str(), i).is_some() {
                return Err(Error::Other(format!("duplicate sweep point key {k:?}")));
            }
        }
        let selected: Vec<usize> = (0..points.len())
            .filter(|&i| self.shard.is_none_or(|s| s.selects(i)))
            .collect();
        let mut done: HashSet<&str> = HashSet::new();
        for r in &self.existing {
            match index_of.get(r[1].as_str()) {
                Some(&i) if self.shard.is_none_or(|s| s.selects(i)) => {
                    done.insert(r[1].as_str());
                }
                _ => {
                    return Err(Error::Input(format!(
                        "{} holds point {:?}, which is not in this sweep's point list{}; \
                         use another output directory or remove it",
                        self.dir.join(DATA_FILE).display(),
                        r[1],
                        if self.shard.is_some() {
                            " (of this shard)"
                        } else {
                            ""
                        }
                    )))
                }
            }
        }
        let todo: Vec<usize> = selected
            .iter()
            .copied()
            .filter(|&i| !done.contains(keys[i].as_str()))
            .collect();
        self.write_meta(points.len(), selected.len(), done.len(), false)?;

        let path = self.dir.join(DATA_FILE);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let appender = Mutex::new(Appender {
            path: path.clone(),
            file,
        });
        let pb = progress::bar(
            selected.len() as u64,
            &self.meta.experiment,
            self.opts.quiet,
        );
        pb.set_position(done.len() as u64);
        let width = self.header.len() - KEY_COLUMNS.len();
        let base = self.opts.seed;
        let result = with_threads(self.opts.threads, || {
            todo.par_iter().try_for_each(|&i| {
                let key = &keys[i];
                let rows = f(&points[i], point_seed(base, key)).map_err(|e| match e {
                    Error::Numerics(m) => Error::Numerics(format!("point {key}: {m}")),
                    Error::Other(m) => Error::Other(format!("point {key}: {m}")),
                    e => e,
                })?;
                if rows.is_empty() {
                    return Err(Error::Other(format!("point {key} produced no rows")));
                }
                let mut block = String::new();
                for r in &rows {
                    let fields = r.to_fields();
                    if fields.len() != width {
                        return Err(Error::Other(format!(
                            "point {key}: a row has {} fields, the sweep has {width} columns",
                            fields.len()
                        )));
                    }
                    block.push_str(&i.to_string());
                    block.push(',');
                    block.push_str(&csv_field(key));
                    for v in &fields {
                        block.push(',');
                        block.push_str(&csv_field(v));
                    }
                    block.push('\n');
                }
                appender
                    .lock()
                    .map_err(|_| Error::Other("sweep writer poisoned".into()))?
                    .append(block.as_bytes())?;
                pb.inc(1);
                Ok(())
            })
        })?;
        pb.finish_and_clear();
        let computed = todo.len();
        let skipped = selected.len() - todo.len();
        result?;

        // Every point is in: rewrite in point order (stable within a point) and finish the metadata.
        let (_, mut rows) = read_data(&path)?;
        let mut order: Vec<(usize, usize)> = Vec::with_capacity(rows.len());
        for (k, r) in rows.iter_mut().enumerate() {
            let i = *index_of.get(r[1].as_str()).ok_or_else(|| {
                Error::Other(format!("{}: unexpected point {:?}", path.display(), r[1]))
            })?;
            r[0] = i.to_string();
            order.push((i, k));
        }
        order.sort_unstable();
        let rows: Vec<Vec<String>> = order
            .into_iter()
            .map(|(_, k)| std::mem::take(&mut rows[k]))
            .collect();
        write_table(&path, &self.header, &rows)?;
        let meta = self.write_meta(points.len(), selected.len(), selected.len(), true)?;
        Ok(SweepData {
            dir: self.dir,
            shard: self.shard,
            header: self.header,
            rows,
            meta,
            computed,
            skipped,
        })
    }
}

fn recover_partial_line(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if bytes.last().is_some_and(|&b| b != b'\n') {
        let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        f.set_len(keep as u64).map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}

#[derive(Debug)]
struct Appender {
    path: PathBuf,
    file: File,
}

impl Appender {
    /// Appends one point's block with a single write; on failure the file is cut back to where it was,
    /// so it never holds part of a point.
    fn append(&mut self, block: &[u8]) -> Result<()> {
        let len = self
            .file
            .metadata()
            .map_err(|e| Error::io(&self.path, e))?
            .len();
        if let Err(e) = self.file.write_all(block).and_then(|_| self.file.flush()) {
            let _ = self.file.set_len(len);
            return Err(Error::io(&self.path, e));
        }
        Ok(())
    }
}

/// The finished table of a sweep (or of one shard), in point order.
#[derive(Clone, Debug)]
pub struct SweepData {
    /// The directory (the shard directory when sharded).
    pub dir: PathBuf,
    /// The shard, when sharded.
    pub shard: Option<Shard>,
    /// Column names, starting with `point` and `key`.
    pub header: Vec<String>,
    /// Every row, as text fields (empty for NaN).
    pub rows: Vec<Vec<String>>,
    /// Points computed by this run.
    pub computed: usize,
    /// Points found done by an earlier run.
    pub skipped: usize,
    meta: Value,
}

impl SweepData {
    /// Whether this is one shard of a sweep (then the plots wait for `flatmin merge`).
    pub fn is_shard(&self) -> bool {
        self.shard.is_some()
    }

    /// The index of a column.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Other(format!("no column {name:?} in the sweep table")))
    }

    /// A column as numbers (an empty field is NaN).
    pub fn f64s(&self, name: &str) -> Result<Vec<f64>> {
        let c = self.column(name)?;
        self.rows
            .iter()
            .map(|r| {
                let s = r[c].trim();
                if s.is_empty() {
                    Ok(f64::NAN)
                } else {
                    s.parse().map_err(|_| {
                        Error::Other(format!("column {name:?}: {s:?} is not a number"))
                    })
                }
            })
            .collect()
    }

    /// The metadata as written to `meta.json`.
    pub fn meta(&self) -> &Value {
        &self.meta
    }

    /// Records a convergence entry (saved by [`SweepData::save_meta`], [`SweepData::plot`] or
    /// [`SweepData::write_json`]).
    pub fn converge(&mut self, key: &str, value: impl serde::Serialize) -> &mut Self {
        self.meta["convergence"][key] = serde_json::to_value(value).unwrap_or(Value::Null);
        self
    }

    /// Adds a note (saved like [`SweepData::converge`]).
    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        if let Some(notes) = self.meta["notes"].as_array_mut() {
            notes.push(Value::String(text.into()));
        }
        self
    }

    fn add_file(&mut self, name: &str) {
        if let Some(files) = self.meta["files"].as_array_mut() {
            if !files.iter().any(|f| f == name) {
                files.push(Value::String(name.to_string()));
            }
        }
    }

    /// Rewrites `meta.json` (atomically).
    pub fn save_meta(&self) -> Result<()> {
        write_json_atomic(&self.dir.join(META_FILE), &self.meta)
    }

    /// Renders charts into an SVG file in the sweep directory (atomically) and records it in
    /// `meta.json`.
    pub fn plot(
        &mut self,
        name: &str,
        charts: &[super::plot::Chart],
        columns: usize,
    ) -> Result<()> {
        let path = self.dir.join(name);
        let tmp = self
            .dir
            .join(format!(".{name}.tmp-{}.svg", std::process::id()));
        if let Err(e) = super::plot::write_svg(&tmp, charts, columns) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(&path, e)
        })?;
        self.add_file(name);
        self.save_meta()
    }

    /// Writes a JSON file into the sweep directory (atomically) and records it in `meta.json`.
    pub fn write_json(&mut self, name: &str, value: &impl serde::Serialize) -> Result<()> {
        let v = serde_json::to_value(value).map_err(|e| Error::Other(e.to_string()))?;
        write_json_atomic(&self.dir.join(name), &v)?;
        self.add_file(name);
        self.save_meta()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable() {
        assert_eq!((0.5, 101usize).key(), "0.5;101");
        assert_eq!((0.1 + 0.2).key(), "0.30000000000000004");
        assert_eq!(("bp", 3u32, -1i64).key(), "bp;3;-1");
        // FNV-1a 64 reference values (Fowler–Noll–Vo test vectors: "" and "a").
        assert_eq!(fnv1a64(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
