//! The harness every experiment writes through: the study runner ([`runner`]: output directory,
//! `data.csv`, typed `meta.json`, resume, lock, shards, progress callbacks), shard merging
//! ([`shard`]), SVG plots ([`plot`]), and sample-level parallelism with per-sample seeds.
//!
//! Studies go through [`runner::run`]. A few results that are one unit of work computed in seconds
//! (theory curves) go through a one-shot [`OutDir`], which obeys the same directory rules (lock,
//! refusal of a different result, `--force`, typed meta.json) without points.

pub mod plot;
pub mod runner;
pub mod shard;

use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The crate version written into every metadata file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Seconds since the Unix epoch as an RFC 3339 UTC timestamp (`2026-11-22T10:47:18Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // civil-from-days (H. Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The metadata of a one-shot result being assembled: parameters, seeds, convergence, notes. It
/// becomes a [`runner::Meta`] when [`OutDir::finish`] writes it.
#[derive(Clone, Debug, Serialize)]
pub struct OneShotMeta {
    /// Experiment name (e.g. `"figure-3"`).
    pub experiment: String,
    /// Every parameter, as given or defaulted.
    pub params: Map<String, Value>,
    /// Seeds used.
    pub seeds: Vec<u64>,
    /// Convergence information (residuals, iterations, unconverged points…).
    pub convergence: Map<String, Value>,
    /// Free-form notes: parameter choices where the paper's values are lost, caveats.
    pub notes: Vec<String>,
}

impl OneShotMeta {
    /// Empty metadata for an experiment.
    pub fn new(experiment: impl Into<String>) -> Self {
        OneShotMeta {
            experiment: experiment.into(),
            params: Map::new(),
            seeds: Vec::new(),
            convergence: Map::new(),
            notes: Vec::new(),
        }
    }
    /// Records a parameter.
    pub fn param(&mut self, key: &str, value: impl Serialize) -> &mut Self {
        self.params.insert(
            key.to_string(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }
    /// Records a convergence entry.
    pub fn converge(&mut self, key: &str, value: impl Serialize) -> &mut Self {
        self.convergence.insert(
            key.to_string(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }
    /// Adds a note.
    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.notes.push(text.into());
        self
    }
}

/// How a one-shot result is written: quick flag, `--force`, command line (for meta.json).
#[derive(Clone, Debug, Default)]
pub struct OneShotOpts {
    /// A `--quick` run.
    pub quick: bool,
    /// Replace a different result flatmin wrote.
    pub force: bool,
    /// The command line.
    pub command_line: Vec<String>,
    /// When the computation started (for `seconds` in meta.json; default: at [`OutDir::create`]).
    pub started: Option<(SystemTime, std::time::Instant)>,
}

/// A one-shot output directory under construction (a result computed as one unit of work in seconds,
/// e.g. a theory curve): files are staged in a hidden directory next to the final one and moved into
/// place by [`OutDir::finish`], under the same rules as a study run by [`runner::run`]: the final
/// directory is locked, a different result there is refused unless `force` (which removes only the
/// files its meta.json lists), foreign files are never touched, and a failed run leaves nothing.
#[derive(Debug)]
pub struct OutDir {
    final_dir: PathBuf,
    staging: PathBuf,
    meta: OneShotMeta,
    opts: OneShotOpts,
    files: Vec<String>,
    old: Option<runner::Meta>,
    created: bool,
    lock: Option<runner::DirLock>,
    started: SystemTime,
    clock: std::time::Instant,
    done: bool,
}

impl OutDir {
    /// Starts `dir` (files staged in `<parent>/.<name>.partial-<pid>/` until [`OutDir::finish`]).
    pub fn create(dir: &Path, meta: OneShotMeta, opts: &OneShotOpts) -> Result<Self> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::Input(format!("{}: not a directory name", dir.display())))?;
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let created = !dir.exists();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut od = OutDir {
            final_dir: dir.to_path_buf(),
            staging: parent.join(format!(".{name}.partial-{}", std::process::id())),
            meta,
            opts: opts.clone(),
            files: Vec::new(),
            old: None,
            created,
            lock: None,
            started: opts.started.map_or_else(SystemTime::now, |s| s.0),
            clock: opts.started.map_or_else(std::time::Instant::now, |s| s.1),
            done: false,
        };
        od.lock = Some(runner::DirLock::take(dir)?);
        let candidate = od.runner_meta(None);
        match runner::Meta::read(dir)? {
            Some(old) => {
                let same = old.experiment == candidate.experiment
                    && old.params == candidate.params
                    && old.seeds == candidate.seeds
                    && old.quick == candidate.quick;
                if !same && !opts.force {
                    let what = if old.experiment != candidate.experiment {
                        format!(
                            "experiment {} (now {})",
                            old.experiment, candidate.experiment
                        )
                    } else if old.quick != candidate.quick {
                        format!("quick = {} (now {})", old.quick, candidate.quick)
                    } else {
                        "other parameters or seeds".into()
                    };
                    return Err(Error::Input(format!(
                        "{} holds another result ({what}); use another --out, or --force to \
                         replace it",
                        dir.display()
                    )));
                }
                let foreign = runner::foreign_entries(dir, &old.files)?;
                if !foreign.is_empty() {
                    return Err(Error::Input(format!(
                        "{} also holds files flatmin did not write ({}); use another --out",
                        dir.display(),
                        foreign.join(", ")
                    )));
                }
                od.old = Some(old);
            }
            None => {
                let foreign = runner::foreign_entries(dir, &[])?;
                if !foreign.is_empty() {
                    return Err(Error::Input(format!(
                        "{} holds files flatmin did not write ({}); use another --out",
                        dir.display(),
                        foreign.join(", ")
                    )));
                }
            }
        }
        if od.staging.exists() {
            std::fs::remove_dir_all(&od.staging).map_err(|e| Error::io(&od.staging, e))?;
        }
        std::fs::create_dir_all(&od.staging).map_err(|e| Error::io(&od.staging, e))?;
        Ok(od)
    }
    fn runner_meta(&self, finished: Option<String>) -> runner::Meta {
        let mut files = self.files.clone();
        if !files.iter().any(|f| f == runner::META_FILE) {
            files.push(runner::META_FILE.to_string());
        }
        runner::Meta {
            experiment: self.meta.experiment.clone(),
            version: VERSION.to_string(),
            command_line: self.opts.command_line.clone(),
            quick: self.opts.quick,
            params: Value::Object(self.meta.params.clone()),
            seeds: self.meta.seeds.clone(),
            shard: None,
            started: rfc3339(self.started),
            finished,
            seconds: self.clock.elapsed().as_secs_f64(),
            convergence: self.meta.convergence.clone(),
            notes: self.meta.notes.clone(),
            files,
            sweep: runner::SweepState {
                points: 1,
                points_in_shard: 1,
                points_done: 1,
                complete: true,
                resumed: Vec::new(),
                computed_last_run: 1,
                seed_rule: "one unit of work; seeds as in params".into(),
            },
            shards: Vec::new(),
            merged: None,
            summary: Value::Null,
        }
    }
    /// Where files are being written now (the staging directory).
    pub fn path(&self) -> &Path {
        &self.staging
    }
    /// Where the directory will be after [`OutDir::finish`].
    pub fn final_path(&self) -> &Path {
        &self.final_dir
    }
    /// The metadata, for adding parameters, convergence information and notes.
    pub fn meta(&mut self) -> &mut OneShotMeta {
        &mut self.meta
    }
    fn file(&mut self, name: &str) -> PathBuf {
        if !self.files.iter().any(|f| f == name) {
            self.files.push(name.to_string());
        }
        self.staging.join(name)
    }
    /// Opens a CSV table with a header row.
    pub fn csv(&mut self, name: &str, header: &[&str]) -> Result<CsvWriter> {
        let path = self.file(name);
        CsvWriter::create(&path, header)
    }
    /// Writes a whole numeric table.
    pub fn write_csv(&mut self, name: &str, header: &[&str], rows: &[Vec<f64>]) -> Result<()> {
        let mut w = self.csv(name, header)?;
        for r in rows {
            w.row(r)?;
        }
        w.finish()
    }
    /// Writes a JSON file.
    pub fn write_json(&mut self, name: &str, value: &impl Serialize) -> Result<()> {
        let path = self.file(name);
        let text = serde_json::to_string_pretty(value).map_err(|e| Error::Other(e.to_string()))?;
        std::fs::write(&path, text + "\n").map_err(|e| Error::io(&path, e))
    }
    /// Renders charts into an SVG file (see [`plot::write_svg`]).
    pub fn plot(&mut self, name: &str, charts: &[plot::Chart], columns: usize) -> Result<()> {
        let path = self.file(name);
        plot::write_svg(&path, charts, columns)
    }
    /// Writes `meta.json` (with `summary`), moves the files into place (replacing the old result's
    /// files) and returns the final metadata.
    pub fn finish(mut self, summary: Value) -> Result<runner::Meta> {
        let mut meta = self.runner_meta(Some(rfc3339(SystemTime::now())));
        meta.summary = summary;
        meta.write(&self.staging)?;
        if let Some(old) = &self.old {
            for f in &old.files {
                if f.contains('/') || f.contains("..") || self.files.contains(f) {
                    continue;
                }
                let p = self.final_dir.join(f);
                if p.is_file() && f != runner::META_FILE {
                    std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
                }
            }
        }
        for f in self
            .files
            .iter()
            .chain(std::iter::once(&runner::META_FILE.to_string()))
        {
            let (from, to) = (self.staging.join(f), self.final_dir.join(f));
            std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
        }
        let _ = std::fs::remove_dir_all(&self.staging);
        self.done = true;
        Ok(meta)
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.staging);
        if !self.done && self.created {
            self.lock = None;
            let _ = std::fs::remove_file(self.final_dir.join(runner::LOCK_FILE));
            let _ = std::fs::remove_dir(&self.final_dir);
        }
    }
}

/// A CSV writer (numbers in shortest round-trip form; strings quoted when needed).
#[derive(Debug)]
pub struct CsvWriter {
    path: PathBuf,
    out: BufWriter<File>,
    columns: usize,
}

/// A number as written in CSV files: shortest round-trip form, NaN as an empty field.
pub fn format_f64(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v}")
    }
}

/// Quotes a CSV field when it contains a comma, a quote or a line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl CsvWriter {
    /// Creates `path` and writes the header.
    pub fn create(path: &Path, header: &[&str]) -> Result<Self> {
        let f = File::create(path).map_err(|e| Error::io(path, e))?;
        let mut w = CsvWriter {
            path: path.to_path_buf(),
            out: BufWriter::new(f),
            columns: header.len(),
        };
        let line: Vec<String> = header.iter().map(|h| csv_field(h)).collect();
        writeln!(w.out, "{}", line.join(",")).map_err(|e| Error::io(path, e))?;
        Ok(w)
    }
    /// Writes a numeric row (NaN is written as an empty field).
    pub fn row(&mut self, values: &[f64]) -> Result<()> {
        let fields: Vec<String> = values.iter().map(|&v| format_f64(v)).collect();
        self.fields(&fields)
    }
    /// Writes a row of preformatted fields.
    pub fn fields(&mut self, fields: &[String]) -> Result<()> {
        if fields.len() != self.columns {
            return Err(Error::Other(format!(
                "{}: row has {} fields, header has {}",
                self.path.display(),
                fields.len(),
                self.columns
            )));
        }
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(self.out, "{}", line.join(",")).map_err(|e| Error::io(&self.path, e))
    }
    /// Flushes to disk.
    pub fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// Largest `--threads`.
pub const MAX_THREADS: usize = 1024;

/// Runs `f` on a rayon pool with `threads` workers (all cores when `None`; at most [`MAX_THREADS`]).
pub fn with_threads<R: Send>(threads: Option<usize>, f: impl FnOnce() -> R + Send) -> Result<R> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        if t == 0 || t > MAX_THREADS {
            return Err(Error::Input(format!(
                "--threads must be in 1..={MAX_THREADS}"
            )));
        }
        b = b.num_threads(t);
    }
    let pool = b.build().map_err(|e| Error::Other(e.to_string()))?;
    Ok(pool.install(f))
}

/// The seed of sample `index` of a run with base seed `base` (independent of thread count and order).
pub fn sample_seed(base: u64, index: u64) -> u64 {
    flatmin_core::rng::derive_seed(base, index)
}

/// Runs `count` samples in parallel on the current rayon pool (see [`with_threads`]) and returns their
/// results in sample order. Sample `s` gets the seed [`sample_seed`]`(seed, s)`, so the results do not
/// depend on the number of threads. The first error wins (samples not yet started are skipped).
pub fn par_samples<T, F>(count: usize, seed: u64, f: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(usize, u64) -> Result<T> + Sync + Send,
{
    use rayon::prelude::*;
    (0..count)
        .into_par_iter()
        .map(|s| f(s, sample_seed(seed, s as u64)))
        .collect()
}

/// Splits CSV text into records of fields (RFC 4180 quoting, as [`CsvWriter`] writes it). Returns
/// each record with the 1-based line number it starts on. `path` is only used in error messages.
pub fn parse_csv(text: &str, path: &Path) -> Result<Vec<(usize, Vec<String>)>> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        loop {
            match chars.next() {
                None => {
                    if quoted {
                        return Err(Error::Parse {
                            file: path.to_path_buf(),
                            line: start,
                            msg: "unterminated quoted field".into(),
                        });
                    }
                    fields.push(std::mem::take(&mut field));
                    break;
                }
                Some('"') if quoted => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        quoted = false;
                    }
                }
                Some('"') if field.is_empty() => quoted = true,
                Some(',') if !quoted => fields.push(std::mem::take(&mut field)),
                Some('\n') if !quoted => {
                    line += 1;
                    if field.ends_with('\r') {
                        field.pop();
                    }
                    fields.push(std::mem::take(&mut field));
                    break;
                }
                Some(c) => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
        }
        records.push((start, fields));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + std::time::Duration::from_secs(1_795_344_438)),
            "2026-11-22T10:47:18Z"
        );
    }

    #[test]
    fn csv_quoting_round_trips() {
        let fields = ["a", "b,c", "say \"hi\"", "two\nlines", ""];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        let text = format!("{}\nx,y,z,w,v\n", line.join(","));
        let recs = parse_csv(&text, Path::new("t.csv")).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].0, 1);
        assert_eq!(recs[0].1, fields);
        assert_eq!(recs[1].0, 3);
        assert_eq!(recs[1].1, ["x", "y", "z", "w", "v"]);
        let e = parse_csv("a,\"b\n", Path::new("t.csv")).unwrap_err();
        assert_eq!(e.to_string(), "t.csv:1: unterminated quoted field");
    }

    #[test]
    fn par_samples_ignores_thread_count() {
        let run = |t| {
            with_threads(Some(t), || par_samples(50, 7, |s, seed| Ok((s, seed))))
                .unwrap()
                .unwrap()
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one[3], (3, sample_seed(7, 3)));
    }

    #[test]
    fn failed_run_leaves_nothing() {
        let parent = std::env::temp_dir().join(format!("flatmin-harness-{}", std::process::id()));
        std::fs::create_dir_all(&parent).unwrap();
        let o = OneShotOpts::default();
        {
            let mut d = OutDir::create(&parent.join("x"), OneShotMeta::new("t"), &o).unwrap();
            d.write_csv("data.csv", &["a"], &[vec![1.0]]).unwrap();
        }
        assert!(std::fs::read_dir(&parent).unwrap().next().is_none());
        let mut d = OutDir::create(&parent.join("x"), OneShotMeta::new("t"), &o).unwrap();
        d.write_csv("data.csv", &["a", "b"], &[vec![1.0, f64::NAN]])
            .unwrap();
        d.finish(Value::Null).unwrap();
        let p = parent.join("x");
        assert_eq!(
            std::fs::read_to_string(p.join("data.csv")).unwrap(),
            "a,b\n1,\n"
        );
        assert!(p.join("meta.json").exists());
        // Another experiment in the same directory is refused; --force replaces it.
        let e = OutDir::create(&p, OneShotMeta::new("u"), &o).unwrap_err();
        assert!(e.is_input(), "{e}");
        let f = OneShotOpts { force: true, ..o };
        let d = OutDir::create(&p, OneShotMeta::new("u"), &f).unwrap();
        d.finish(Value::Null).unwrap();
        assert!(!p.join("data.csv").exists());
        std::fs::remove_dir_all(&parent).unwrap();
    }
}
