//! `flatmin instance stats` of a committee-machine file (K > 1; issue 15): the instance's shape and
//! labels, and how a configuration of K hidden units (a reference or given weights) does on it.
//!
//! A perceptron file has the stability statistics of [`crate::io::Stats`]; for a committee the
//! stabilities of the output do not exist (the output is a majority vote, not a field), so the
//! statistics are the ones that make sense for K > 1: the load per weight, the label balance, the
//! training errors and the fraction of labels reproduced, the vote margin, and, when the file's R1
//! is the teacher that labelled it (`instance gen --teacher` says so in the header comment), the
//! overlap of each hidden unit with the teacher's.

use crate::error::{Error, Result};
use crate::io::InstanceFile;
use flatmin_core::bits::words_for;
use serde::Serialize;

/// Statistics of a committee instance and, optionally, of one configuration on it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommitteeStats {
    /// Which reference (1-based, a group of K `R` lines), or `None` for given weights or no
    /// configuration.
    #[serde(rename = "ref")]
    pub reference: Option<usize>,
    /// N, the pattern length.
    pub n: usize,
    /// P, the number of patterns.
    pub p: usize,
    /// K, the number of hidden units.
    pub k: usize,
    /// Tree committee (unit k sees its own N/K inputs) rather than fully connected.
    pub tree: bool,
    /// Inputs per hidden unit: N (fully connected) or N/K (tree).
    pub n_in: usize,
    /// Number of weights K·n_in.
    pub num_weights: usize,
    /// The load α = P/num_weights, patterns per weight.
    pub alpha: f64,
    /// The margin (always 0 for a committee).
    pub kappa: f64,
    /// Number of labels +1.
    pub labels_plus: usize,
    /// Mean label (#(+1) − #(−1))/P: 0 is balanced (`None` when P = 0).
    pub label_balance: Option<f64>,
    /// Why `label_balance` is null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_balance_reason: Option<&'static str>,
    /// Whether the file's R1 is the teacher that labelled it.
    pub teacher: bool,
    /// Training errors of the configuration: patterns whose committee output differs from the
    /// label (`None` without a configuration).
    pub errors: Option<usize>,
    /// Why `errors` (and the fields below) are null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors_reason: Option<String>,
    /// Fraction of labels the configuration reproduces, 1 − errors/P (for a teacher–student file
    /// the agreement with the teacher on the training patterns).
    pub agreement: Option<f64>,
    /// min over patterns of y_μ·Σ_k τ_k, the vote margin (odd; ≥ 1 means every label is
    /// reproduced).
    pub vote_margin: Option<i64>,
    /// Overlap q_k = w_k·t_k / n_in of each hidden unit with the teacher's (K values; `None`
    /// without a teacher or configuration). Units are compared in order (the committee is
    /// symmetric under permutations of its fully connected units; no matching is attempted).
    pub teacher_overlap: Option<Vec<f64>>,
    /// Why `teacher_overlap` is null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teacher_overlap_reason: Option<&'static str>,
}

/// Whether the file says its R1 is the teacher that labelled it (the header comment flatmin writes
/// for `instance gen --teacher`).
fn has_teacher(f: &InstanceFile) -> bool {
    !f.refs.is_empty() && f.comments.iter().any(|c| c.contains("R1 = teacher"))
}

fn spin(words: &[u64], i: usize) -> i64 {
    i64::from(crate::io::spin_at(words, i))
}

/// Statistics of committee file `f` (K > 1) and of configuration `w` (K rows of
/// `words_for(n_in)` words; `None`: the instance only, with `no_config` as the reason).
pub fn committee_stats(
    f: &InstanceFile,
    w: Option<&[u64]>,
    reference: Option<usize>,
    no_config: &str,
) -> Result<CommitteeStats> {
    let c = f
        .committee
        .ok_or_else(|| Error::Input("committee statistics of a perceptron file (K = 1)".into()))?;
    let (k, n_in) = (c.k, c.n_in(f.n));
    let rw = words_for(n_in);
    let labels_plus = (0..f.p).filter(|&mu| spin(&f.labels, mu) == 1).count();
    let teacher = has_teacher(f);
    let mut s = CommitteeStats {
        reference,
        n: f.n,
        p: f.p,
        k,
        tree: c.arch == flatmin_core::bp::committee::Architecture::Tree,
        n_in,
        num_weights: c.num_weights(f.n),
        alpha: f.p as f64 / c.num_weights(f.n) as f64,
        kappa: 0.0,
        labels_plus,
        label_balance: (f.p > 0).then(|| (2.0 * labels_plus as f64 - f.p as f64) / f.p as f64),
        label_balance_reason: (f.p == 0).then_some("no patterns (P = 0)"),
        teacher,
        errors: None,
        errors_reason: None,
        agreement: None,
        vote_margin: None,
        teacher_overlap: None,
        teacher_overlap_reason: None,
    };
    let Some(w) = w else {
        s.errors_reason = Some(no_config.to_string());
        s.teacher_overlap_reason = Some("no configuration");
        return Ok(s);
    };
    if w.len() != k * rw {
        return Err(Error::Input(format!(
            "weights: expected K = {k} rows of {n_in} weights"
        )));
    }
    let votes = f.forward_votes(w)?;
    let mut errors = 0usize;
    let mut vote_margin = i64::MAX;
    for (mu, &vote) in votes.iter().enumerate() {
        let (vote, y) = (i64::from(vote), spin(&f.labels, mu));
        errors += usize::from((if vote > 0 { 1 } else { -1 }) != y);
        vote_margin = vote_margin.min(y * vote);
    }
    s.errors = Some(errors);
    s.agreement = (f.p > 0).then(|| 1.0 - errors as f64 / f.p as f64);
    s.vote_margin = (f.p > 0).then_some(vote_margin);
    if f.p == 0 {
        s.errors_reason = Some("no patterns (P = 0): agreement and vote margin are empty".into());
    }
    if teacher {
        let t = &f.refs[0];
        s.teacher_overlap = Some(
            (0..k)
                .map(|u| {
                    let (a, b) = (&w[u * rw..(u + 1) * rw], &t[u * rw..(u + 1) * rw]);
                    (0..n_in).map(|i| spin(a, i) * spin(b, i)).sum::<i64>() as f64 / n_in as f64
                })
                .collect(),
        );
    } else {
        s.teacher_overlap_reason = Some(
            "the file names no teacher (R1 is the teacher only in `instance gen --teacher` files)",
        );
    }
    Ok(s)
}

/// Parses committee weights given on the command line: K rows of n_in characters in {+,-},
/// separated by commas, or one string of K·n_in characters (the rows one after the other).
pub fn parse_committee_weights(
    text: &str,
    k: usize,
    n_in: usize,
) -> std::result::Result<Vec<u64>, String> {
    let text = text.trim();
    let rows: Vec<String> = if text.contains(',') {
        text.split(',').map(|r| r.trim().to_string()).collect()
    } else {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() != k * n_in {
            return Err(format!(
                "expected K = {k} rows of {n_in} characters in {{+,-}}, comma-separated or \
                 concatenated ({} characters), found {}",
                k * n_in,
                chars.len()
            ));
        }
        chars.chunks(n_in).map(|c| c.iter().collect()).collect()
    };
    if rows.len() != k {
        return Err(format!(
            "expected K = {k} comma-separated rows of {n_in} characters, found {} rows",
            rows.len()
        ));
    }
    let mut out = Vec::with_capacity(k * words_for(n_in));
    for (u, r) in rows.iter().enumerate() {
        let words = crate::io::parse_spins(r, n_in).map_err(|m| format!("row {}: {m}", u + 1))?;
        out.extend_from_slice(&words);
    }
    Ok(out)
}
