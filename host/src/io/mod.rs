//! Instance I/O: the text format of ALGORITHMS §a.4, plus ±1 strings.
//!
//! ```text
//! # comment lines start with '#', blank lines are ignored
//! N P kappa                        e.g. "21 13 0.0"
//! <P lines of exactly N chars in {'+','-'}>    pattern ξ^μ (raw, not gauged)
//! <1 line of exactly P chars in {'+','-'}>     labels y_μ
//! R <N chars>                      optional reference configurations (0 or more lines)
//! ```
//!
//! A committee machine (issue 15; K odd hidden units, output = majority of their signs) has the
//! header `N P kappa K ARCH` with ARCH `fc` (every unit sees all N inputs, K·N weights) or `tree`
//! (unit k sees inputs k·N/K … (k+1)·N/K − 1, N weights; K must divide N), and κ = 0 (no margin on
//! the output). Its references come in groups of K `R` lines of n = N (fc) or N/K (tree) characters,
//! one line per hidden unit. A perceptron file (K = 1) is exactly the three-field format above, so
//! every K = 1 file is unchanged; `N P kappa 1 fc` is read as a perceptron.
//! Readers reject anything else with the file, the line number and the reason; writers emit the same
//! format. Files are written atomically (temporary file + rename), so a failed write leaves nothing.

use crate::error::{Error, Result};
use flatmin_core::bits::{words_for, Patterns, PatternsMut, Spins, SpinsMut};
use flatmin_core::bp::committee::{self, Architecture, CommitteeInstance};
use flatmin_core::instance::{self, Instance};
use flatmin_core::stability;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The largest instance `generate` accepts, in bits (N·P): 2³⁴ bits is 2 GiB packed and a 16 GB
/// text file, far beyond any experiment of the papers.
pub const MAX_INSTANCE_BITS: u128 = 1 << 34;

/// Stabilities, margin and errors of one configuration on an instance (`flatmin instance stats`;
/// the fields of the fixtures' `*.answers.json`, ALGORITHMS §a.2).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// Which reference line (1-based, `R1` = 1), or `None` for a configuration given otherwise.
    #[serde(rename = "ref")]
    pub reference: Option<usize>,
    /// N.
    pub n: usize,
    /// P.
    pub p: usize,
    /// The margin κ the errors are counted at.
    pub kappa: f64,
    /// The integer threshold T(κ) = ⌈κ√N − 10⁻⁹⌉.
    pub t: i32,
    /// Integer stabilities s_μ = Σᵢ wᵢ ξ^μ_i of the gauged patterns, in pattern order.
    pub stabilities: Vec<i32>,
    /// min_μ s_μ / √N (`None` when P = 0).
    pub margin: Option<f64>,
    /// Why `margin` is null (output conventions §3), absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_reason: Option<&'static str>,
    /// #{μ : s_μ < T(κ)}.
    pub errors_kappa: usize,
    /// #{μ : s_μ < 0}, the training errors.
    pub errors0: usize,
}

/// An instance as stored in a file: raw patterns, labels, margin, optional reference configurations.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceFile {
    /// N, the number of weights.
    pub n: usize,
    /// P, the number of patterns.
    pub p: usize,
    /// The margin κ of the header.
    pub kappa: f64,
    /// Raw (ungauged) patterns, P rows of `words_for(N)` words.
    pub patterns: Vec<u64>,
    /// Labels, `words_for(P)` words (bit μ set ⇔ y_μ = −1).
    pub labels: Vec<u64>,
    /// Reference configurations (the `R` lines), each `words_for(N)` words.
    pub refs: Vec<Vec<u64>>,
    /// Comment lines (without the leading '#'), kept for round trips.
    pub comments: Vec<String>,
    /// `Some` for a committee machine with K > 1 hidden units (header `N P kappa K ARCH`); `None`
    /// for a perceptron. For a committee each entry of `refs` holds K rows of `words_for(n_in)` words.
    pub committee: Option<Committee>,
}

/// The committee part of an instance file: K (odd, 3 ≤ K ≤ 255 in a file; K = 1 is a perceptron)
/// and the architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committee {
    /// K, the number of hidden units.
    pub k: usize,
    /// Fully connected or tree.
    pub arch: Architecture,
}

impl Committee {
    /// `fc` or `tree`, the header's and the CLI's name of the architecture.
    pub fn arch_name(&self) -> &'static str {
        arch_name(self.arch)
    }
    /// Inputs per hidden unit n: N (fully connected) or N/K (tree).
    pub fn n_in(&self, n: usize) -> usize {
        match self.arch {
            Architecture::FullyConnected => n,
            Architecture::Tree => n / self.k,
        }
    }
    /// Number of weights K·n: K·N (fully connected) or N (tree).
    pub fn num_weights(&self, n: usize) -> usize {
        self.k * self.n_in(n)
    }
}

/// `fc` or `tree`.
pub fn arch_name(arch: Architecture) -> &'static str {
    match arch {
        Architecture::FullyConnected => "fc",
        Architecture::Tree => "tree",
    }
}

/// Checks K and the architecture for N (a committee with K ≥ 1; K = 1 is the perceptron): K odd in
/// 1..=255, and for the tree K divides N. The messages name no flag (callers add it).
pub fn check_committee(n: usize, k: usize, arch: Architecture) -> std::result::Result<(), String> {
    if k == 0 || k.is_multiple_of(2) || k > committee::MAX_K {
        return Err(format!(
            "the number of hidden units K must be odd, 1 <= K <= {} (the output is the majority \
             of K signs)",
            committee::MAX_K
        ));
    }
    if arch == Architecture::Tree && !n.is_multiple_of(k) {
        return Err(format!(
            "tree committee: K = {k} must divide N = {n} (each hidden unit sees N/K inputs)"
        ));
    }
    Ok(())
}

/// Parses a string of N characters in {'+','-'} into packed words.
pub fn parse_spins(s: &str, n: usize) -> std::result::Result<Vec<u64>, String> {
    let s = s.trim();
    if s.chars().count() != n {
        return Err(format!(
            "expected {n} characters in {{+,-}}, found {}",
            s.chars().count()
        ));
    }
    let mut words = vec![0u64; words_for(n)];
    for (i, c) in s.chars().enumerate() {
        match c {
            '+' => {}
            '-' => words[i / 64] |= 1u64 << (i % 64),
            other => {
                return Err(format!(
                    "character {} is {other:?}, expected '+' or '-'",
                    i + 1
                ))
            }
        }
    }
    Ok(words)
}

/// Formats packed spins as a string of '+' and '-'.
pub fn spins_to_string(words: &[u64], n: usize) -> String {
    (0..n)
        .map(|i| {
            if (words[i / 64] >> (i % 64)) & 1 == 1 {
                '-'
            } else {
                '+'
            }
        })
        .collect()
}

/// Checks N·P against [`MAX_INSTANCE_BITS`] and returns the zeroed buffers of a generated
/// instance: (words per pattern, P patterns, packed labels).
fn instance_buffers(n: usize, p: usize) -> Result<(usize, Vec<u64>, Vec<u64>)> {
    if (n as u128) * (p as u128) > MAX_INSTANCE_BITS {
        return Err(Error::Input(format!(
            "instance too large: N·P = {n}·{p} exceeds 2^34 bits"
        )));
    }
    let nw = words_for(n);
    Ok((nw, vec![0u64; p * nw], vec![0u64; words_for(p)]))
}

impl InstanceFile {
    /// Generates a random (or teacher–student) instance with P = ⌊αN + ½⌋ from `seed`
    /// (the core's documented stream). The teacher, if any, is stored as reference R1.
    pub fn generate(n: usize, alpha: f64, kappa: f64, teacher: bool, seed: u64) -> Result<Self> {
        if !kappa.is_finite() {
            return Err(Error::Input("kappa must be finite".into()));
        }
        let p = instance::num_patterns(alpha, n)?;
        let (nw, mut patterns, mut labels) = instance_buffers(n, p)?;
        let mut refs = Vec::new();
        {
            let mut pm = PatternsMut::new(n, p, &mut patterns)?;
            if teacher {
                let mut t = vec![0u64; nw];
                instance::generate_teacher(
                    seed,
                    &mut SpinsMut::new(n, &mut t)?,
                    &mut pm,
                    &mut labels,
                )?;
                refs.push(t);
            } else {
                instance::generate_random(seed, &mut pm, &mut labels)?;
            }
        }
        let kind = if teacher { "teacher-student" } else { "random" };
        let comments = vec![format!(
            " flatmin {} instance: N={n} alpha={alpha} kappa={kappa} seed={seed} (xoshiro256++){}",
            kind,
            if teacher { "; R1 = teacher" } else { "" }
        )];
        Ok(InstanceFile {
            n,
            p,
            kappa,
            patterns,
            labels,
            refs,
            comments,
            committee: None,
        })
    }

    /// Generates a random (or teacher) committee-machine instance with K hidden units and
    /// P = ⌊α·W + ½⌋ patterns, W the number of weights (K·N fully connected, N tree: α is the load
    /// per weight, the convention of the authors' code), from `seed` (the core's
    /// [`committee::generate`] stream). The teacher committee, if any, is stored as reference R1 (K
    /// lines). K = 1 is exactly [`InstanceFile::generate`] (the same bytes).
    pub fn generate_committee(
        n: usize,
        k: usize,
        arch: Architecture,
        alpha: f64,
        teacher: bool,
        seed: u64,
    ) -> Result<Self> {
        check_committee(n, k, arch).map_err(Error::Input)?;
        if k == 1 {
            return Self::generate(n, alpha, 0.0, teacher, seed);
        }
        let c = Committee { k, arch };
        let n_in = c.n_in(n);
        let p = instance::num_patterns(alpha, c.num_weights(n))?;
        let (_, mut patterns, mut labels) = instance_buffers(n, p)?;
        let mut refs = Vec::new();
        {
            let mut pm = PatternsMut::new(n, p, &mut patterns)?;
            if teacher {
                let mut t = vec![0u64; k * words_for(n_in)];
                committee::generate(
                    seed,
                    k,
                    arch,
                    Some(&mut PatternsMut::new(n_in, k, &mut t)?),
                    &mut pm,
                    &mut labels,
                )?;
                refs.push(t);
            } else {
                committee::generate(seed, k, arch, None, &mut pm, &mut labels)?;
            }
        }
        let kind = if teacher { "teacher" } else { "random" };
        let comments =
            vec![format!(
            " flatmin {kind} committee instance: N={n} K={k} arch={} alpha={alpha} (P/weights, {} \
             weights) seed={seed} (xoshiro256++){}",
            c.arch_name(),
            c.num_weights(n),
            if teacher { "; R1 = teacher (K lines)" } else { "" }
        )];
        Ok(InstanceFile {
            n,
            p,
            kappa: 0.0,
            patterns,
            labels,
            refs,
            comments,
            committee: Some(c),
        })
    }

    /// K (1 for a perceptron).
    pub fn k(&self) -> usize {
        self.committee.map_or(1, |c| c.k)
    }

    /// Parses the text format; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let err = |line: usize, msg: String| Error::Parse {
            file: path.to_path_buf(),
            line,
            msg,
        };
        let mut comments = Vec::new();
        // Errors about a missing line point at the last line of the file (where it ends).
        let last_line = text.lines().count().max(1);
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| {
                if let Some(c) = l.trim_start().strip_prefix('#') {
                    comments.push(c.to_string());
                    false
                } else {
                    !l.trim().is_empty()
                }
            })
            .collect::<Vec<_>>()
            .into_iter();
        let (hl, header) = lines
            .next()
            .ok_or_else(|| err(last_line, "empty file: no header line 'N P kappa'".into()))?;
        let fields: Vec<&str> = header.split_whitespace().collect();
        if fields.len() != 3 && fields.len() != 5 {
            return Err(err(
                hl,
                format!(
                    "header must be 'N P kappa' (perceptron) or 'N P kappa K fc|tree' (committee), \
                     found {} fields",
                    fields.len()
                ),
            ));
        }
        let n: usize = fields[0]
            .parse()
            .map_err(|_| err(hl, format!("N = {:?} is not a positive integer", fields[0])))?;
        if n == 0 {
            return Err(err(hl, "N must be at least 1".into()));
        }
        let p: usize = fields[1]
            .parse()
            .map_err(|_| err(hl, format!("P = {:?} is not an integer", fields[1])))?;
        let kappa: f64 = fields[2]
            .parse()
            .map_err(|_| err(hl, format!("kappa = {:?} is not a number", fields[2])))?;
        if !kappa.is_finite() {
            return Err(err(hl, "kappa must be finite".into()));
        }
        let committee = if fields.len() == 5 {
            let k: usize = fields[3].parse().map_err(|_| {
                err(
                    hl,
                    format!("K = {:?} is not a positive odd integer", fields[3]),
                )
            })?;
            let arch = match fields[4] {
                "fc" => Architecture::FullyConnected,
                "tree" => Architecture::Tree,
                other => {
                    return Err(err(
                        hl,
                        format!("architecture {other:?}: expected 'fc' or 'tree'"),
                    ))
                }
            };
            check_committee(n, k, arch).map_err(|m| err(hl, format!("K = {k}: {m}")))?;
            if k > 1 && kappa != 0.0 {
                return Err(err(
                    hl,
                    format!(
                        "kappa = {kappa}: a committee instance has kappa = 0 (no margin on the \
                         output majority)"
                    ),
                ));
            }
            (k > 1).then_some(Committee { k, arch })
        } else {
            None
        };
        let nw = words_for(n);
        // Never trust P for an allocation before the lines are there (a typo like "21 9999999999 0").
        let remaining = lines.len();
        if remaining < p {
            return Err(err(
                last_line,
                format!("file ends after {remaining} of {p} pattern lines"),
            ));
        }
        // Nor N: the capacity is bounded by what the text holds (each pattern line has N characters;
        // found by fuzzing: "18446074423444044 1 0" tried to reserve 2^48 words).
        let mut patterns = Vec::with_capacity(p.saturating_mul(nw).min(text.len() / 64 + 1));
        for mu in 0..p {
            let (ln, l) = lines.next().ok_or_else(|| {
                err(
                    last_line,
                    format!("file ends after {mu} of {p} pattern lines"),
                )
            })?;
            let w = parse_spins(l, n).map_err(|m| err(ln, format!("pattern {}: {m}", mu + 1)))?;
            patterns.extend_from_slice(&w);
        }
        let (ll, l) = lines
            .next()
            .ok_or_else(|| err(last_line, "file ends before the label line".into()))?;
        let labels = parse_spins(l, p).map_err(|m| err(ll, format!("labels: {m}")))?;
        let labels = if p == 0 { Vec::new() } else { labels };
        let mut refs: Vec<Vec<u64>> = Vec::new();
        // A committee reference is K consecutive R lines of n_in characters, one per hidden unit.
        let (rows, len) = committee.map_or((1, n), |c| (c.k, c.n_in(n)));
        let mut partial: Vec<u64> = Vec::new();
        let mut in_group = 0;
        let mut last_r = hl;
        for (ln, l) in lines {
            last_r = ln;
            let rest = l.strip_prefix('R').ok_or_else(|| {
                err(
                    ln,
                    "unexpected line: only 'R <config>' lines may follow the labels".into(),
                )
            })?;
            if !rest.starts_with(char::is_whitespace) {
                return Err(err(
                    ln,
                    "expected 'R' followed by a space and N characters".into(),
                ));
            }
            let row = parse_spins(rest, len).map_err(|m| {
                if rows == 1 {
                    err(ln, format!("reference R{}: {m}", refs.len() + 1))
                } else {
                    err(
                        ln,
                        format!(
                            "reference R{} hidden unit {}: {m}",
                            refs.len() + 1,
                            in_group + 1
                        ),
                    )
                }
            })?;
            partial.extend_from_slice(&row);
            in_group += 1;
            if in_group == rows {
                refs.push(std::mem::take(&mut partial));
                in_group = 0;
            }
        }
        if in_group != 0 {
            return Err(err(
                last_r,
                format!(
                    "a committee reference is K = {rows} R lines (one per hidden unit); the last \
                     one has {in_group}"
                ),
            ));
        }
        Ok(InstanceFile {
            n,
            p,
            kappa,
            patterns,
            labels,
            refs,
            comments,
            committee,
        })
    }

    /// Reads and parses a file.
    pub fn read(path: &Path) -> Result<Self> {
        // An input file that cannot be read (missing, unreadable, not UTF-8) is the caller's mistake,
        // so it is reported as bad input (exit code 2), with the path.
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Input(format!(
                "{}: cannot read instance file: {e}",
                path.display()
            ))
        })?;
        Self::parse(&text, path)
    }

    /// The text format.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for c in &self.comments {
            s.push('#');
            s.push_str(c);
            s.push('\n');
        }
        match self.committee {
            None => s.push_str(&format!("{} {} {}\n", self.n, self.p, self.kappa)),
            Some(c) => s.push_str(&format!(
                "{} {} {} {} {}\n",
                self.n,
                self.p,
                self.kappa,
                c.k,
                c.arch_name()
            )),
        }
        let nw = words_for(self.n);
        for mu in 0..self.p {
            s.push_str(&spins_to_string(
                &self.patterns[mu * nw..(mu + 1) * nw],
                self.n,
            ));
            s.push('\n');
        }
        s.push_str(&spins_to_string(&self.labels, self.p));
        s.push('\n');
        let (rows, len) = self
            .committee
            .map_or((1, self.n), |c| (c.k, c.n_in(self.n)));
        let rw = words_for(len);
        for r in &self.refs {
            for u in 0..rows {
                s.push_str("R ");
                s.push_str(&spins_to_string(&r[u * rw..(u + 1) * rw], len));
                s.push('\n');
            }
        }
        s
    }

    /// Writes the text format atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_text().as_bytes())
    }

    /// The gauged patterns (ξ^μ ← y_μ ξ^μ), as the algorithms use them.
    pub fn gauged_patterns(&self) -> Result<Vec<u64>> {
        let mut g = self.patterns.clone();
        instance::gauge(&mut PatternsMut::new(self.n, self.p, &mut g)?, &self.labels)?;
        Ok(g)
    }

    /// Reference `k` (1-based, as `R1`, `R2`, … in file order) of a perceptron file.
    pub fn reference(&self, k: usize) -> Result<Spins<'_>> {
        self.perceptron_only()?;
        if k == 0 || k > self.refs.len() {
            return Err(Error::Input(match self.refs.len() {
                0 => format!("reference {k} does not exist: the file has no reference lines (R …)"),
                1 => format!("reference {k} does not exist: the file has one reference line (R1)"),
                m => format!(
                    "reference {k} does not exist: the file has {m} reference lines (R1..R{m})"
                ),
            }));
        }
        Ok(Spins::new(self.n, &self.refs[k - 1])?)
    }
}

impl InstanceFile {
    /// Stabilities, margin and errors of the configuration `w` (`words_for(N)` words); `kappa`
    /// overrides the header's margin when given. `reference` is only recorded in the result.
    pub fn stats(&self, w: &[u64], kappa: Option<f64>, reference: Option<usize>) -> Result<Stats> {
        let problem = Problem::from_file(self, kappa)?;
        let inst = problem.instance()?;
        let w = Spins::new(self.n, w)?;
        let mut s = vec![0i32; self.p];
        inst.stabilities(&w, &mut s)?;
        let th = inst.threshold;
        Ok(Stats {
            reference,
            n: self.n,
            p: self.p,
            kappa: th.kappa,
            t: th.t,
            margin: (self.p > 0).then(|| stability::margin(&s, self.n)),
            margin_reason: (self.p == 0).then_some("no patterns (P = 0): the minimum is empty"),
            errors_kappa: th.errors(&s),
            errors0: stability::errors(&s, 0),
            stabilities: s,
        })
    }

    /// [`InstanceFile::stats`] of reference `k` (1-based).
    pub fn reference_stats(&self, k: usize, kappa: Option<f64>) -> Result<Stats> {
        let w = self.reference(k)?;
        self.stats(w.words(), kappa, Some(k))
    }
}

impl InstanceFile {
    /// An error for a committee file given to a perceptron-only command.
    pub fn perceptron_only(&self) -> Result<()> {
        match self.committee {
            None => Ok(()),
            Some(c) => Err(Error::Input(format!(
                "the instance is a committee machine (K = {}, {}): this command handles perceptrons \
                 (K = 1) only; committees are solved by `flatmin solve --algo fbp|rbp`",
                c.k,
                c.arch_name()
            ))),
        }
    }

    /// The K, architecture and inputs per unit of the file (K = 1 fully connected for a
    /// perceptron).
    pub fn shape(&self) -> (usize, Architecture, usize) {
        match self.committee {
            None => (1, Architecture::FullyConnected, self.n),
            Some(c) => (c.k, c.arch, c.n_in(self.n)),
        }
    }

    /// Errors of the committee `w` (K rows of `words_for(n_in)` words; K = 1: a perceptron at κ = 0)
    /// on the raw patterns and labels, by a plain forward pass written independently of the core's
    /// packed one: unpacked ±1 sums per hidden unit, τ = sign(s) with sign(0) = +1, output = sign of
    /// Σ τ, compared with the label y_μ (no gauge). For a perceptron file the header's κ applies
    /// through [`InstanceFile::stats`]; this pass is the committee's (κ = 0).
    pub fn forward_errors(&self, w: &[u64]) -> Result<usize> {
        let votes = self.forward_votes(w)?;
        Ok((0..self.p)
            .filter(|&mu| {
                let out = if votes[mu] > 0 { 1 } else { -1 };
                out != spin_at(&self.labels, mu)
            })
            .count())
    }

    /// The output votes Σ_u τ_u of committee weights `w` (K rows of `words_for(n_in)` words, as
    /// [`InstanceFile::forward_errors`]) on every pattern, by the same unpacked forward pass:
    /// τ = sign(s) with sign(0) = +1 per hidden unit (no label, no gauge).
    pub fn forward_votes(&self, w: &[u64]) -> Result<Vec<i32>> {
        let (k, arch, n_in) = self.shape();
        let rw = words_for(n_in);
        if w.len() != k * rw {
            return Err(Error::Input(format!(
                "weights: expected {k} rows of {n_in} weights, got {} words",
                w.len()
            )));
        }
        let nw = words_for(self.n);
        Ok((0..self.p)
            .map(|mu| {
                let x = &self.patterns[mu * nw..(mu + 1) * nw];
                (0..k)
                    .map(|u| {
                        let off = if arch == Architecture::Tree {
                            u * n_in
                        } else {
                            0
                        };
                        let row = &w[u * rw..(u + 1) * rw];
                        let s: i32 = (0..n_in)
                            .map(|i| spin_at(row, i) * spin_at(x, off + i))
                            .sum();
                        if s >= 0 {
                            1
                        } else {
                            -1
                        }
                    })
                    .sum()
            })
            .collect())
    }
}

/// A gauged committee instance owning its memory (K > 1 or K = 1).
#[derive(Clone, Debug)]
pub struct CommitteeProblem {
    /// N (pattern length).
    pub n: usize,
    /// P.
    pub p: usize,
    /// K.
    pub k: usize,
    /// Architecture.
    pub arch: Architecture,
    /// Gauged patterns.
    pub gauged: Vec<u64>,
}

impl CommitteeProblem {
    /// Gauges a file's patterns (a perceptron file is K = 1).
    pub fn from_file(f: &InstanceFile) -> Result<Self> {
        let (k, arch, _) = f.shape();
        let mut g = f.patterns.clone();
        instance::gauge(&mut PatternsMut::new(f.n, f.p, &mut g)?, &f.labels)?;
        Ok(CommitteeProblem {
            n: f.n,
            p: f.p,
            k,
            arch,
            gauged: g,
        })
    }
    /// The core view.
    pub fn instance(&self) -> Result<CommitteeInstance<'_>> {
        Ok(CommitteeInstance::new(
            Patterns::new(self.n, self.p, &self.gauged)?,
            self.k,
            self.arch,
        )?)
    }
}

/// A gauged instance owning its memory, ready for the core algorithms.
#[derive(Clone, Debug)]
pub struct Problem {
    /// N.
    pub n: usize,
    /// P.
    pub p: usize,
    /// κ.
    pub kappa: f64,
    /// Gauged patterns.
    pub gauged: Vec<u64>,
}

impl Problem {
    /// Gauges a file's patterns; `kappa` overrides the header's margin when given. A committee file
    /// is refused ([`InstanceFile::perceptron_only`]).
    pub fn from_file(f: &InstanceFile, kappa: Option<f64>) -> Result<Self> {
        f.perceptron_only()?;
        Ok(Problem {
            n: f.n,
            p: f.p,
            kappa: kappa.unwrap_or(f.kappa),
            gauged: f.gauged_patterns()?,
        })
    }
    /// The core view.
    pub fn instance(&self) -> Result<Instance<'_>> {
        Ok(Instance::new(
            Patterns::new(self.n, self.p, &self.gauged)?,
            self.kappa,
        )?)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so readers
/// never see a partial file and a failure leaves nothing behind. Errors name `path` (never the
/// temporary file).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Error::Input(format!("{}: not a file path", path.display())))?;
    if path.is_dir() {
        return Err(Error::Input(format!(
            "{}: is a directory, expected a file path",
            path.display()
        )));
    }
    let tmp: PathBuf = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let cannot = |e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    };
    std::fs::write(&tmp, bytes).map_err(cannot)?;
    std::fs::rename(&tmp, path).map_err(cannot)
}

/// Parses a linear grid `A:B:N` (N values from A to B inclusive, each in the open interval (0, 1),
/// 1 ≤ N ≤ `max`) as given to `flag`; every malformed text is an [`Error::Input`] naming the flag,
/// never a panic and never an allocation above `max` values.
pub fn parse_grid(flag: &str, text: &str, max: usize) -> Result<Vec<f64>> {
    let bad = |what: String| Error::Input(format!("{flag} {text}: {what}"));
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 3 {
        return Err(bad("expected A:B:N, e.g. 0.001:0.3:50".into()));
    }
    let num = |s: &str, what: &str| -> Result<f64> {
        s.trim()
            .parse::<f64>()
            .map_err(|_| bad(format!("bad {what} {:?}", s)))
    };
    let a = num(parts[0], "start")?;
    let b = num(parts[1], "end")?;
    let n: usize = parts[2]
        .trim()
        .parse()
        .map_err(|_| bad(format!("bad count {:?}", parts[2])))?;
    if n == 0 || n > max {
        return Err(bad(format!(
            "the count must be between 1 and {max}, got {n}"
        )));
    }
    for v in [a, b] {
        if !(v > 0.0 && v < 1.0) {
            return Err(bad(format!("distances must lie in (0, 1), got {v}")));
        }
    }
    if n == 1 {
        return Ok(vec![a]);
    }
    // `a + (b − a)·i/(n − 1)` can round past an end when |b − a| is far below an ulp of `a`
    // (e.g. `.5:1e-67:2000` gave d = 0), so every point is clamped to the closed interval [a, b].
    let (lo, hi) = (a.min(b), a.max(b));
    Ok((0..n)
        .map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).clamp(lo, hi))
        .collect())
}

/// Spin i (±1) of packed ±1 words (bit 1 = −1).
pub(crate) fn spin_at(words: &[u64], i: usize) -> i32 {
    if (words[i / 64] >> (i % 64)) & 1 == 1 {
        -1
    } else {
        1
    }
}

/// The first line of every file `flatmin instance gen` writes starts with this.
pub const GENERATED_MARK: &str = "# flatmin ";

/// Whether the file at `path` was written by flatmin (its first line is flatmin's comment header).
/// Reads at most the first 256 bytes.
pub fn written_by_flatmin(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 256];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut len = 0;
    while len < head.len() {
        match f.read(&mut head[len..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => len += k,
        }
    }
    head[..len].starts_with(GENERATED_MARK.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_line_numbers() {
        let f = InstanceFile::generate(21, 0.6, 0.3, true, 5).unwrap();
        let text = f.to_text();
        let g = InstanceFile::parse(&text, Path::new("x")).unwrap();
        assert_eq!(f, g);
        let bad = "# c\n3 1 0\n+-x\n+\n";
        let e = InstanceFile::parse(bad, Path::new("bad.txt"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.txt:3:"), "{e}");
        let e = InstanceFile::parse("3 2 0\n+++\n", Path::new("t"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("1 of 2 pattern"), "{e}");
    }

    #[test]
    fn committee_round_trip_and_teacher_check() {
        for arch in [Architecture::FullyConnected, Architecture::Tree] {
            let f = InstanceFile::generate_committee(45, 3, arch, 0.3, true, 9).unwrap();
            let text = f.to_text();
            let g = InstanceFile::parse(&text, Path::new("c")).unwrap();
            assert_eq!(f, g);
            assert_eq!(g.k(), 3);
            assert_eq!(g.refs.len(), 1);
            // The teacher (R1, K rows) classifies every pattern, by the independent forward pass.
            assert_eq!(g.forward_errors(&g.refs[0]).unwrap(), 0);
            // A flipped teacher does not.
            let flipped: Vec<u64> = g.refs[0].iter().map(|w| !w).collect();
            assert_eq!(g.forward_errors(&flipped).unwrap(), g.p);
            assert!(
                Problem::from_file(&g, None).is_err(),
                "perceptron-only view refused"
            );
        }
        // K = 1 is the perceptron generator.
        assert_eq!(
            InstanceFile::generate_committee(21, 1, Architecture::Tree, 0.5, true, 4).unwrap(),
            InstanceFile::generate(21, 0.5, 0.0, true, 4).unwrap()
        );
        // "N P kappa 1 fc" is a perceptron.
        let f = InstanceFile::parse("3 1 0 1 fc\n+-+\n+\n", Path::new("x")).unwrap();
        assert_eq!(f.committee, None);
    }
}
