//! The one runner every study goes through.
//!
//! A study ([`Study`]) is serializable parameters, a list of points with stable text keys
//! ([`SweepPoint`]), `run_point(point, seeds) → rows`, and a `finish` step that turns the whole table
//! into derived tables and charts. [`run`] owns everything else:
//!
//! * **The output directory.** `data.csv` (columns `point`, `key`, then the study's), `meta.json` (the
//!   typed [`Meta`]: experiment, version, command line, `quick`, parameters, seeds, shard, start and end
//!   time, seconds, convergence, notes, files) and whatever `finish` writes. Every file but `data.csv`
//!   is replaced atomically (temporary file + rename).
//! * **Resume.** Each finished point is appended to `data.csv` as one block and `fsync`ed before it is
//!   reported, so a run killed with SIGKILL loses only the points in flight; rerunning the same
//!   command computes only the missing points. A trailing partial line is dropped on reopen.
//! * **Refusal.** A directory holding a different study (other experiment, parameters, seeds, `quick`
//!   or shard) is bad input (exit code 2) naming `--force`; a directory with files flatmin did not
//!   write is refused even with `--force`. `--force` removes only the files the old `meta.json` lists.
//! * **One process per directory.** The runner holds an exclusive lock on `DIR/.flatmin.lock`
//!   (`File::try_lock`) while it runs; a second process on the same directory fails at once.
//! * **Seeds.** Point `key` gets `derive_seed(seed, fnv1a64(key))` ([`point_seed`]): results depend
//!   neither on the thread count, nor on the order points run in, nor on the shard.
//! * **Shards.** With [`RunOpts::shard`] `i/n` (n > 1) only points with `index % n == i` run, into
//!   `DIR/shard-i-of-n/`; [`crate::harness::shard::merge`] joins them into `DIR/data.csv`, row for row
//!   equal to an unsharded run; rerunning the unsharded command then finds every point done and only
//!   runs `finish` (tables, charts).
//! * **Threads and progress.** Points run in parallel on a rayon pool of [`RunOpts::threads`]; the
//!   caller's [`Progress`] hears of every finished point. The library never prints or draws.

use crate::error::{Error, Result};
use crate::harness::plot;
use crate::harness::shard::Shard;
use crate::harness::{csv_field, format_f64, parse_csv, rfc3339, with_threads};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

/// The data table of a study.
pub const DATA_FILE: &str = "data.csv";
/// The metadata file.
pub const META_FILE: &str = "meta.json";
/// The lock file held while a process runs in a directory.
pub const LOCK_FILE: &str = ".flatmin.lock";
/// The columns the runner puts before the study's own: point index and point key.
pub const KEY_COLUMNS: [&str; 2] = ["point", "key"];
/// How point and sample seeds are derived (recorded in `meta.json`).
pub const SEED_RULE: &str =
    "point seed = derive_seed(seed, fnv1a64(key)); sample s of a point: derive_seed(point seed, s)";

/// A point of a study: anything with a stable, unique one-line text key.
///
/// Implemented for numbers, strings and tuples of them (keys joined by `;`, numbers in shortest
/// round-trip form, e.g. `(0.5, 101)` → `"0.5;101"`). Never change a key once data exist, or resumes
/// recompute the point.
pub trait SweepPoint: Sync + Send {
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

/// FNV-1a, 64 bit: a fixed, platform-independent hash of a point key.
pub fn fnv1a64(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The seed of the point with key `key` in a run with base seed `base`.
pub fn point_seed(base: u64, key: &str) -> u64 {
    flatmin_core::rng::derive_seed(base, fnv1a64(key))
}

/// The seeds a point runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    /// The run's base seed (`--seed`), for things shared between points (e.g. the same instance for
    /// every algorithm: derive from `base` and a sub-key with [`point_seed`]).
    pub base: u64,
    /// The point's own seed, [`point_seed`]`(base, key)`.
    pub point: u64,
}

/// One field of a row: a number (NaN → empty), an integer, a boolean or text.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    /// A number, shortest round-trip form; NaN is an empty field.
    F(f64),
    /// An integer.
    I(i64),
    /// A boolean, `true`/`false`.
    B(bool),
    /// Text (quoted when needed).
    S(String),
    /// A missing value (empty field).
    None,
}

impl Field {
    fn text(&self) -> String {
        match self {
            Field::F(v) => format_f64(*v),
            Field::I(v) => v.to_string(),
            Field::B(v) => v.to_string(),
            Field::S(s) => s.clone(),
            Field::None => String::new(),
        }
    }
}

impl From<f64> for Field {
    fn from(v: f64) -> Self {
        Field::F(v)
    }
}
impl From<usize> for Field {
    fn from(v: usize) -> Self {
        Field::I(v as i64)
    }
}
impl From<u64> for Field {
    fn from(v: u64) -> Self {
        Field::I(v as i64)
    }
}
impl From<i32> for Field {
    fn from(v: i32) -> Self {
        Field::I(i64::from(v))
    }
}
impl From<bool> for Field {
    fn from(v: bool) -> Self {
        Field::B(v)
    }
}
impl From<&str> for Field {
    fn from(v: &str) -> Self {
        Field::S(v.to_string())
    }
}
impl From<String> for Field {
    fn from(v: String) -> Self {
        Field::S(v)
    }
}
impl<T: Into<Field>> From<Option<T>> for Field {
    fn from(v: Option<T>) -> Self {
        v.map_or(Field::None, Into::into)
    }
}

/// A row of results.
pub trait CsvRow {
    /// The row's fields as CSV text (unquoted).
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

impl CsvRow for Vec<Field> {
    fn to_fields(&self) -> Vec<String> {
        self.iter().map(Field::text).collect()
    }
}

/// The bookkeeping of a run's points, in `meta.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepState {
    /// Points of the whole study.
    pub points: usize,
    /// Points of this shard (= `points` when unsharded).
    pub points_in_shard: usize,
    /// Points present in `data.csv`.
    pub points_done: usize,
    /// Every point of the shard is present.
    pub complete: bool,
    /// Start times of the runs that resumed this directory.
    #[serde(default)]
    pub resumed: Vec<String>,
    /// Points the last run computed (the others were on disk already).
    #[serde(default)]
    pub computed_last_run: usize,
    /// How seeds are derived.
    pub seed_rule: String,
}

/// One shard joined by `flatmin merge`, recorded in the merged `meta.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergedShard {
    /// The shard directory.
    pub dir: String,
    /// Which shard.
    pub shard: Option<Shard>,
    /// flatmin version that wrote it.
    pub version: String,
    /// Its start time.
    pub started: String,
    /// Its end time.
    pub finished: Option<String>,
    /// Its points present.
    pub points_done: usize,
    /// Whether it was complete.
    pub complete: bool,
}

/// `meta.json`: everything needed to know what a directory holds and to redo it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Experiment name (`figure-3`, `capacity`, …).
    pub experiment: String,
    /// flatmin version.
    pub version: String,
    /// The command line that produced it (argv; the last run when resumed).
    pub command_line: Vec<String>,
    /// A `--quick` smoke run (coarse grids, few samples), not for publication.
    pub quick: bool,
    /// Every parameter, as given or defaulted.
    pub params: Value,
    /// Base seeds.
    pub seeds: Vec<u64>,
    /// The shard this directory holds (`null`: the whole study).
    pub shard: Option<Shard>,
    /// Start time of the first run (RFC 3339).
    pub started: String,
    /// End time (RFC 3339), `null` while points are missing.
    pub finished: Option<String>,
    /// Wall-clock seconds spent computing, summed over resumed runs (and shards, after a merge).
    pub seconds: f64,
    /// Convergence information (unconverged points, failures…).
    pub convergence: Map<String, Value>,
    /// Free-form notes: parameter choices, caveats.
    pub notes: Vec<String>,
    /// Files flatmin wrote here, relative to the directory (what `--force` may remove).
    pub files: Vec<String>,
    /// Points bookkeeping.
    pub sweep: SweepState,
    /// After `flatmin merge`: the shards joined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<MergedShard>,
    /// After `flatmin merge`: when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<String>,
    /// A small machine-readable summary written by the study's `finish` (key numbers).
    #[serde(default)]
    pub summary: Value,
}

impl Meta {
    /// Reads `dir/meta.json`; `Ok(None)` when there is none.
    pub fn read(dir: &Path) -> Result<Option<Meta>> {
        let path = dir.join(META_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                Error::Input(format!(
                    "{}: not a meta.json this flatmin version wrote ({e}); use another \
                         output directory",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }
    /// Writes `dir/meta.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Other(e.to_string()))?;
        crate::io::write_atomic(&dir.join(META_FILE), (text + "\n").as_bytes())
    }
    fn add_file(&mut self, name: &str) {
        if !self.files.iter().any(|f| f == name) {
            self.files.push(name.to_string());
        }
    }
    /// What makes two runs the same study: experiment, quick, parameters, seeds, shard.
    fn identity(&self) -> [(&'static str, Value); 5] {
        [
            ("experiment", Value::String(self.experiment.clone())),
            ("quick", Value::Bool(self.quick)),
            ("params", self.params.clone()),
            ("seeds", serde_json::json!(self.seeds)),
            ("shard", serde_json::json!(self.shard)),
        ]
    }
}

/// Progress of a run, reported to whoever called the runner (the binary draws bars; tests count).
pub trait Progress: Sync {
    /// The run starts: `total` points of which `done` are already on disk.
    fn start(&self, _label: &str, _total: u64, _done: u64) {}
    /// A point finished and is on disk; `done` of `total`.
    fn point_done(&self, _done: u64, _total: u64) {}
    /// The points are all done (or the run failed).
    fn finish(&self) {}
}

/// A [`Progress`] that reports nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;
impl Progress for Silent {}

/// How to run a study.
#[derive(Clone)]
pub struct RunOpts<'a> {
    /// The study's directory (a shard runs in `dir/shard-i-of-n/`).
    pub dir: PathBuf,
    /// Worker threads (all cores when `None`).
    pub threads: Option<usize>,
    /// Base seed.
    pub seed: u64,
    /// Run only this shard (`0/1` is the whole study).
    pub shard: Option<Shard>,
    /// A `--quick` smoke run (recorded in meta.json; the study chose its parameters accordingly).
    pub quick: bool,
    /// Replace an existing different result flatmin wrote (only the files its meta.json lists).
    pub force: bool,
    /// The command line, recorded in meta.json.
    pub command_line: Vec<String>,
    /// Progress reporting.
    pub progress: &'a dyn Progress,
}

impl std::fmt::Debug for RunOpts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOpts")
            .field("dir", &self.dir)
            .field("threads", &self.threads)
            .field("seed", &self.seed)
            .field("shard", &self.shard)
            .field("quick", &self.quick)
            .field("force", &self.force)
            .finish()
    }
}

impl<'a> RunOpts<'a> {
    /// Options for `dir` with everything else defaulted (all cores, seed 0, no shard, silent).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RunOpts {
            dir: dir.into(),
            threads: None,
            seed: 0,
            shard: None,
            quick: false,
            force: false,
            command_line: std::env::args().collect(),
            progress: &Silent,
        }
    }
}

/// A finished table: the header (starting with `point`, `key`) and every row as text fields.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, in point order.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The index of a column.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Other(format!("no column {name:?} in the table")))
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
    /// A column as text.
    pub fn strs(&self, name: &str) -> Result<Vec<&str>> {
        let c = self.column(name)?;
        Ok(self.rows.iter().map(|r| r[c].as_str()).collect())
    }
    /// The distinct values of a column in order of first appearance, each with its row indices.
    pub fn groups(&self, name: &str) -> Result<Vec<(String, Vec<usize>)>> {
        let c = self.column(name)?;
        let mut out: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            match out.iter_mut().find(|(k, _)| *k == r[c]) {
                Some((_, v)) => v.push(i),
                None => out.push((r[c].clone(), vec![i])),
            }
        }
        Ok(out)
    }
    /// A column of `true`/`false`.
    pub fn bools(&self, name: &str) -> Result<Vec<bool>> {
        Ok(self.strs(name)?.into_iter().map(|s| s == "true").collect())
    }
}

/// The `finish` step's access to the directory: derived tables, charts, JSON, convergence, notes.
#[derive(Debug)]
pub struct Outputs<'m> {
    dir: PathBuf,
    meta: &'m mut Meta,
}

impl Outputs<'_> {
    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// Writes a CSV table (atomically) and records it.
    pub fn csv<R: CsvRow>(&mut self, name: &str, header: &[&str], rows: &[R]) -> Result<()> {
        let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
        let rows: Vec<Vec<String>> = rows.iter().map(CsvRow::to_fields).collect();
        if let Some(r) = rows.iter().find(|r| r.len() != header.len()) {
            return Err(Error::Other(format!(
                "{name}: row has {} fields, header has {}",
                r.len(),
                header.len()
            )));
        }
        write_table(&self.dir.join(name), &header, &rows)?;
        self.meta.add_file(name);
        Ok(())
    }
    /// Renders charts into an SVG file (atomically) and records it.
    pub fn plot(&mut self, name: &str, charts: &[plot::Chart], columns: usize) -> Result<()> {
        let path = self.dir.join(name);
        let tmp = self
            .dir
            .join(format!(".{name}.tmp-{}.svg", std::process::id()));
        if let Err(e) = plot::write_svg(&tmp, charts, columns) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(&path, e)
        })?;
        self.meta.add_file(name);
        Ok(())
    }
    /// Writes a JSON file (atomically) and records it.
    pub fn json(&mut self, name: &str, value: &impl Serialize) -> Result<()> {
        let text = serde_json::to_string_pretty(value).map_err(|e| Error::Other(e.to_string()))?;
        crate::io::write_atomic(&self.dir.join(name), (text + "\n").as_bytes())?;
        self.meta.add_file(name);
        Ok(())
    }
    /// Records a convergence entry.
    pub fn converge(&mut self, key: &str, value: impl Serialize) -> &mut Self {
        self.meta.convergence.insert(
            key.to_string(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }
    /// Records a file or directory the study wrote itself (e.g. in `run_point`), so that it is
    /// flatmin's in this directory.
    pub fn record(&mut self, name: &str) -> &mut Self {
        self.meta.add_file(name);
        self
    }
    /// Adds a note (once).
    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        let t = text.into();
        if !self.meta.notes.contains(&t) {
            self.meta.notes.push(t);
        }
        self
    }
}

/// A study: parameters, points, what one point computes, and how the whole table is finished.
pub trait Study: Sync {
    /// The parameters (recorded in meta.json; a rerun with other parameters is refused).
    type Params: Serialize;
    /// A point.
    type Point: SweepPoint;
    /// A row of `data.csv`.
    type Row: CsvRow;
    /// Experiment name, also the stem of the chart file (`figure-3`, `capacity`).
    fn experiment(&self) -> String;
    /// The parameters.
    fn params(&self) -> &Self::Params;
    /// The study's columns of `data.csv` (the runner adds `point`, `key` in front).
    fn columns(&self) -> Vec<String>;
    /// Every point, in order (the order of `data.csv`).
    fn points(&self) -> Result<Vec<Self::Point>>;
    /// Computes one point: at least one row.
    fn run_point(&self, point: &Self::Point, seeds: Seeds) -> Result<Vec<Self::Row>>;
    /// Notes for meta.json (parameter choices, seed rules).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
    /// Turns the complete table into derived tables and charts; returns a small summary (key
    /// numbers) stored in meta.json. Not called for a shard.
    fn finish(&self, _data: &Table, _out: &mut Outputs<'_>) -> Result<Value> {
        Ok(Value::Null)
    }
}

/// A study written as closures: for figures whose points are curves of a theory computation.
pub struct FnStudy<P, F, G> {
    /// Experiment name.
    pub experiment: String,
    /// Parameters (recorded and compared on reruns).
    pub params: Value,
    /// The study's columns.
    pub columns: Vec<&'static str>,
    /// Every point, in order.
    pub points: Vec<P>,
    /// Notes for meta.json.
    pub notes: Vec<String>,
    /// `run_point`.
    pub run: F,
    /// `finish`.
    pub finish: G,
}

impl<P, F, G> Study for FnStudy<P, F, G>
where
    P: SweepPoint + Clone,
    F: Fn(&P, Seeds) -> Result<Vec<Vec<Field>>> + Sync,
    G: Fn(&Table, &mut Outputs<'_>) -> Result<Value> + Sync,
{
    type Params = Value;
    type Point = P;
    type Row = Vec<Field>;
    fn experiment(&self) -> String {
        self.experiment.clone()
    }
    fn params(&self) -> &Value {
        &self.params
    }
    fn columns(&self) -> Vec<String> {
        self.columns.iter().map(|s| s.to_string()).collect()
    }
    fn points(&self) -> Result<Vec<P>> {
        Ok(self.points.clone())
    }
    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
    fn run_point(&self, point: &P, seeds: Seeds) -> Result<Vec<Vec<Field>>> {
        (self.run)(point, seeds)
    }
    fn finish(&self, data: &Table, out: &mut Outputs<'_>) -> Result<Value> {
        (self.finish)(data, out)
    }
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The directory written (the shard directory when sharded).
    pub dir: PathBuf,
    /// Points computed by this run.
    pub computed: usize,
    /// Points found done by an earlier run.
    pub skipped: usize,
    /// The whole table (of the shard).
    pub table: Table,
    /// The metadata as written.
    pub meta: Meta,
}

impl Outcome {
    /// Whether this was one shard (no `finish`; join with `flatmin merge`).
    pub fn is_shard(&self) -> bool {
        self.meta.shard.is_some()
    }
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

/// Reads `data.csv` (ignoring a trailing partial line) and checks its shape.
pub(crate) fn read_data(path: &Path) -> Result<Table> {
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
            "{}: not a study table (its first columns are not `point,key`)",
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
    Ok(Table { header, rows })
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
        f.sync_all().map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}

/// Whether a directory entry is flatmin's own bookkeeping (lock, temporary files, shard directories).
fn is_ours(dir: &Path, name: &str) -> bool {
    name == LOCK_FILE
        || (name.starts_with('.') && name.contains(".tmp-"))
        || (name.starts_with("shard-") && dir.join(name).join(META_FILE).exists())
}

/// Entries of `dir` that flatmin did not write according to `listed`.
pub(crate) fn foreign_entries(dir: &Path, listed: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for e in entries {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name == META_FILE || listed.contains(&name) || is_ours(dir, &name) {
            continue;
        }
        out.push(name);
    }
    out.sort();
    Ok(out)
}

/// An exclusive lock on a directory, released when dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock on `dir` (which must exist), failing at once if another process holds it.
    pub fn take(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(DirLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Input(format!(
                "{} is in use by another flatmin process (it holds {LOCK_FILE}); wait for it to \
                 finish or use another output directory",
                dir.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }
}

/// Runs (or resumes) a study into `opts.dir` (see the module doc).
pub fn run<S: Study>(study: &S, opts: &RunOpts<'_>) -> Result<Outcome> {
    let started_at = Instant::now();
    let experiment = study.experiment();
    let params = serde_json::to_value(study.params()).map_err(|e| Error::Other(e.to_string()))?;
    let columns = study.columns();
    if columns.is_empty() {
        return Err(Error::Other("a study needs at least one column".into()));
    }
    let mut header: Vec<String> = KEY_COLUMNS.iter().map(|s| s.to_string()).collect();
    for h in &columns {
        if header.contains(h) {
            return Err(Error::Other(format!(
                "study column {h:?} is duplicated or reserved (point, key)"
            )));
        }
        header.push(h.clone());
    }
    let points = study.points()?;
    let keys: Vec<String> = points.iter().map(SweepPoint::key).collect();
    let mut index_of: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        if k.contains(['\n', '\r']) {
            return Err(Error::Other(format!(
                "point key {k:?} contains a line break"
            )));
        }
        if index_of.insert(k.as_str(), i).is_some() {
            return Err(Error::Other(format!("duplicate point key {k:?}")));
        }
    }
    if let Some(t) = opts.threads {
        if t == 0 || t > crate::harness::MAX_THREADS {
            return Err(Error::Input(format!(
                "--threads must be in 1..={}",
                crate::harness::MAX_THREADS
            )));
        }
    }
    let shard = opts.shard.filter(|s| s.count > 1);
    let dir = match shard {
        Some(s) => opts.dir.join(s.dir_name()),
        None => opts.dir.clone(),
    };
    let selected: Vec<usize> = (0..points.len())
        .filter(|&i| shard.is_none_or(|s| s.selects(i)))
        .collect();

    let now = rfc3339(SystemTime::now());
    let mut meta = Meta {
        experiment,
        version: crate::harness::VERSION.to_string(),
        command_line: opts.command_line.clone(),
        quick: opts.quick,
        params,
        seeds: vec![opts.seed],
        shard,
        started: now.clone(),
        finished: None,
        seconds: 0.0,
        convergence: Map::new(),
        notes: study.notes(),
        files: vec![DATA_FILE.to_string(), META_FILE.to_string()],
        sweep: SweepState {
            points: points.len(),
            points_in_shard: selected.len(),
            points_done: 0,
            complete: false,
            resumed: Vec::new(),
            computed_last_run: 0,
            seed_rule: SEED_RULE.to_string(),
        },
        shards: Vec::new(),
        merged: None,
        summary: Value::Null,
    };

    // The directory: new, ours to resume, ours to replace (--force), or refused.
    let created = !dir.exists();
    let parent_created = shard.is_some() && !opts.dir.exists();
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let cleanup = |e: Error| -> Error {
        if created {
            let _ = std::fs::remove_file(dir.join(LOCK_FILE));
            let _ = std::fs::remove_dir(&dir);
            if parent_created {
                let _ = std::fs::remove_dir(&opts.dir);
            }
        }
        e
    };
    let lock = DirLock::take(&dir).map_err(cleanup)?;
    let mut existing = Table {
        header: header.clone(),
        rows: Vec::new(),
    };
    let data = dir.join(DATA_FILE);
    match Meta::read(&dir).map_err(cleanup)? {
        Some(old) => {
            let differs = old
                .identity()
                .into_iter()
                .zip(meta.identity())
                .find(|(a, b)| a.1 != b.1)
                .map(|(a, b)| (a.0, a.1, b.1));
            let old_header = if data.exists() {
                recover_partial_line(&data)?;
                Some(read_data(&data)?)
            } else {
                None
            };
            let header_differs = old_header.as_ref().is_some_and(|t| t.header != header);
            if differs.is_some() || header_differs {
                if !opts.force {
                    let what = match differs {
                        Some((k, a, b)) => format!("a different {k} ({a} there, {b} now)"),
                        None => "a table with other columns".to_string(),
                    };
                    return Err(Error::Input(format!(
                        "{} holds another result: {what}; rerun the same command to resume it, \
                         use another --out, or --force to replace it",
                        dir.display()
                    )));
                }
                remove_listed(&dir, &old)?;
            } else {
                meta.started = old.started.clone();
                meta.seconds = old.seconds;
                meta.sweep.resumed = old.sweep.resumed.clone();
                meta.sweep.resumed.push(now);
                meta.shards = old.shards.clone();
                meta.merged = old.merged.clone();
                meta.convergence = old.convergence.clone();
                for f in &old.files {
                    meta.add_file(f);
                }
                if let Some(t) = old_header {
                    existing = t;
                }
            }
        }
        None => {
            let foreign = foreign_entries(&dir, &[])?;
            if !foreign.is_empty() {
                return Err(Error::Input(format!(
                    "{} holds files flatmin did not write ({}); use another --out",
                    dir.display(),
                    foreign.join(", ")
                )));
            }
        }
    }

    // Which points are done.
    let mut done: HashSet<&str> = HashSet::new();
    for r in &existing.rows {
        match index_of.get(r[1].as_str()) {
            Some(&i) if shard.is_none_or(|s| s.selects(i)) => {
                done.insert(r[1].as_str());
            }
            _ => {
                return Err(Error::Input(format!(
                    "{} holds point {:?}, which is not among this run's points; use another --out \
                     or --force",
                    data.display(),
                    r[1]
                )))
            }
        }
    }
    let todo: Vec<usize> = selected
        .iter()
        .copied()
        .filter(|&i| !done.contains(keys[i].as_str()))
        .collect();
    meta.sweep.points_done = done.len();
    // meta.json first: a data.csv without meta.json is never ours.
    meta.write(&dir)?;
    if !data.exists() || existing.rows.is_empty() {
        write_table(&data, &header, &existing.rows)?;
    }

    let file = OpenOptions::new()
        .append(true)
        .open(&data)
        .map_err(|e| Error::io(&data, e))?;
    let appender = Mutex::new(Appender {
        path: data.clone(),
        file,
    });
    let total = selected.len() as u64;
    let progress = opts.progress;
    let counter = AtomicU64::new(done.len() as u64);
    progress.start(&meta.experiment, total, done.len() as u64);
    let width = columns.len();
    let base = opts.seed;
    let result = with_threads(opts.threads, || {
        todo.par_iter().try_for_each(|&i| {
            let key = &keys[i];
            let seeds = Seeds {
                base,
                point: point_seed(base, key),
            };
            let rows = study.run_point(&points[i], seeds).map_err(|e| match e {
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
                        "point {key}: a row has {} fields, the study has {width} columns",
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
                .map_err(|_| Error::Other("data writer poisoned".into()))?
                .append(block.as_bytes())?;
            progress.point_done(counter.fetch_add(1, Ordering::Relaxed) + 1, total);
            Ok(())
        })
    });
    progress.finish();
    let computed = todo.len();
    let skipped = selected.len() - todo.len();
    meta.sweep.computed_last_run = computed;
    if let Err(e) = result.and_then(|r| r) {
        meta.seconds += started_at.elapsed().as_secs_f64();
        if let Ok(t) = read_data(&data) {
            meta.sweep.points_done = t
                .rows
                .iter()
                .map(|r| r[1].as_str())
                .collect::<HashSet<_>>()
                .len();
            meta.sweep.computed_last_run = meta.sweep.points_done - done.len();
        }
        let _ = meta.write(&dir);
        return Err(e);
    }

    // Every point is in: rewrite in point order (stable within a point).
    let mut table = read_data(&data)?;
    let mut order: Vec<(usize, usize)> = Vec::with_capacity(table.rows.len());
    for (k, r) in table.rows.iter_mut().enumerate() {
        let i = *index_of.get(r[1].as_str()).ok_or_else(|| {
            Error::Other(format!("{}: unexpected point {:?}", data.display(), r[1]))
        })?;
        r[0] = i.to_string();
        order.push((i, k));
    }
    order.sort_unstable();
    table.rows = order
        .into_iter()
        .map(|(_, k)| std::mem::take(&mut table.rows[k]))
        .collect();
    write_table(&data, &header, &table.rows)?;
    meta.sweep.points_done = selected.len();
    meta.sweep.complete = true;
    if shard.is_none() {
        let mut out = Outputs {
            dir: dir.clone(),
            meta: &mut meta,
        };
        let summary = study.finish(&table, &mut out)?;
        meta.summary = summary;
    }
    if computed > 0 || meta.finished.is_none() {
        meta.finished = Some(rfc3339(SystemTime::now()));
    }
    meta.seconds += started_at.elapsed().as_secs_f64();
    meta.write(&dir)?;
    drop(lock);
    Ok(Outcome {
        dir,
        computed,
        skipped,
        table,
        meta,
    })
}

/// Removes the files an old `meta.json` lists (and the meta.json) after checking that nothing else
/// would be lost; `--force`.
fn remove_listed(dir: &Path, old: &Meta) -> Result<()> {
    let foreign = foreign_entries(dir, &old.files)?;
    if !foreign.is_empty() {
        return Err(Error::Input(format!(
            "{} also holds files flatmin did not write ({}); --force replaces only flatmin's \
             files, move those first or use another --out",
            dir.display(),
            foreign.join(", ")
        )));
    }
    for f in &old.files {
        if f.contains('/') || f.contains("..") || f == META_FILE {
            continue;
        }
        let p = dir.join(f);
        if p.is_file() {
            std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        }
    }
    let p = dir.join(META_FILE);
    std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))
}

#[derive(Debug)]
struct Appender {
    path: PathBuf,
    file: File,
}

impl Appender {
    /// Appends one point's block with a single write and fsyncs it; on failure the file is cut back to
    /// where it was, so it never holds part of a point.
    fn append(&mut self, block: &[u8]) -> Result<()> {
        let len = self
            .file
            .metadata()
            .map_err(|e| Error::io(&self.path, e))?
            .len();
        if let Err(e) = self
            .file
            .write_all(block)
            .and_then(|_| self.file.sync_data())
        {
            let _ = self.file.set_len(len);
            return Err(Error::io(&self.path, e));
        }
        Ok(())
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
