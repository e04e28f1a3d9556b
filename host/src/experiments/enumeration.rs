//! Exact enumeration on all cores, and the flatness / local-energy studies built on it
//! (ALGORITHMS §e, §f).
//!
//! The core enumerator ([`flatmin_core::enumerate`]) walks one sub-cube ("chunk", fixed top bits) at a
//! time; here the chunks run on a rayon pool and their histograms are summed. Counts are exact integers,
//! so the result does not depend on the number of threads. Random procedures derive one seed per
//! independent unit (per p value, per sample) with [`crate::harness::sample_seed`].

use crate::error::{Error, Result};
use crate::io::Problem;
use flatmin_core::bits::{words_for, Patterns, Spins};
use flatmin_core::enumerate::{
    self, hist_err_len, hist_err_stride, hist_smin_len, hist_smin_stride, scratch_len, Backend,
    Chunk, Enumerator, DEFAULT_LOW_BITS,
};
use flatmin_core::flatness::{self, McParams, Perturbation};
use flatmin_core::stability::Threshold;
use rayon::prelude::*;
use serde::Serialize;

/// Largest N the host enumerates (2^N · P work; N = 34 is hours on two cores).
pub const MAX_ENUMERATE_N: usize = 40;

/// The enumeration tables of one instance around one reference.
#[derive(Clone, Debug)]
pub struct Tables {
    /// N.
    pub n: usize,
    /// P.
    pub p: usize,
    /// `hist_err[d·(P+1) + E]` (see [`flatmin_core::enumerate`]).
    pub hist_err: Vec<u64>,
    /// `hist_smin[d·(2N+1) + s_min + N]`.
    pub hist_smin: Vec<u64>,
}

impl Tables {
    /// `hist_err` as rows (one per distance).
    pub fn hist_err_rows(&self) -> Vec<Vec<u64>> {
        self.hist_err
            .chunks_exact(hist_err_stride(self.p))
            .map(<[u64]>::to_vec)
            .collect()
    }
    /// `hist_smin` as rows (one per distance).
    pub fn hist_smin_rows(&self) -> Vec<Vec<u64>> {
        self.hist_smin
            .chunks_exact(hist_smin_stride(self.n))
            .map(<[u64]>::to_vec)
            .collect()
    }
    /// κ-solutions (smallest stability ≥ t) at each distance.
    pub fn counts(&self, t: i32) -> Result<Vec<u64>> {
        let mut c = vec![0u64; self.n + 1];
        enumerate::counts_by_distance(&self.hist_smin, self.n, t, &mut c)?;
        Ok(c)
    }
}

fn check_size(n: usize) -> Result<()> {
    if n > MAX_ENUMERATE_N {
        return Err(Error::Input(format!(
            "exact enumeration of N = {n} is out of reach (2^N configurations); the limit is N = {MAX_ENUMERATE_N}"
        )));
    }
    Ok(())
}

/// Enumerates all 2^N configurations of `problem` around `reference` on the current rayon pool, with
/// the fastest backend of this CPU ([`Backend::best`]).
pub fn tables(problem: &Problem, reference: &Spins<'_>) -> Result<Tables> {
    tables_with(problem, reference, Backend::best())
}

/// [`tables`] with a chosen core backend (benchmarks; the counts are the same with every backend).
///
/// Work splitting: the canonical split (up to 1024 equal chunks, each 2^(N−10) configurations) on the
/// rayon pool; each worker folds its chunks into its own pair of tables (separate heap blocks, no
/// false sharing), and the few per-worker tables are added at the end (a few thousand integers, no
/// serial tail worth the name).
pub fn tables_with(problem: &Problem, reference: &Spins<'_>, backend: Backend) -> Result<Tables> {
    check_size(problem.n)?;
    let (n, p) = (problem.n, problem.p);
    let pats = Patterns::new(n, p, &problem.gauged)?;
    let mut scratch = vec![0u8; scratch_len(n, p, DEFAULT_LOW_BITS)];
    let e = Enumerator::new(&pats, reference, DEFAULT_LOW_BITS, &mut scratch)?;
    // Up to 1024 chunks (the canonical split): enough to balance any pool, long enough to amortise.
    let chunks: Vec<Chunk> = e.canonical_chunks().collect();
    let (hist_err, hist_smin) = chunks
        .par_iter()
        .with_min_len(
            chunks
                .len()
                .div_ceil(256 * rayon::current_num_threads())
                .max(1),
        )
        .try_fold(
            || (vec![0u64; hist_err_len(n, p)], vec![0u64; hist_smin_len(n)]),
            |(mut he, mut hs), &c| {
                e.accumulate_with(backend, c, &mut he, &mut hs)?;
                Ok::<_, Error>((he, hs))
            },
        )
        .try_reduce(
            || (vec![0u64; hist_err_len(n, p)], vec![0u64; hist_smin_len(n)]),
            |(mut a, mut b), (c, d)| {
                a.iter_mut().zip(&c).for_each(|(x, y)| *x += y);
                b.iter_mut().zip(&d).for_each(|(x, y)| *x += y);
                Ok((a, b))
            },
        )?;
    Ok(Tables {
        n,
        p,
        hist_err,
        hist_smin,
    })
}

/// A uniformly random κ-solution (smallest stability ≥ t), selected by `seed`
/// ([`enumerate::solution_index_from_seed`]) among all of them, as packed words; `None` if there is
/// none. Two parallel passes: per-chunk counts, then the selected chunk is searched.
pub fn random_solution(problem: &Problem, t: i32, seed: u64) -> Result<Option<Vec<u64>>> {
    check_size(problem.n)?;
    let (n, p) = (problem.n, problem.p);
    let pats = Patterns::new(n, p, &problem.gauged)?;
    let zero = vec![0u64; words_for(n)];
    let origin = Spins::new(n, &zero)?;
    let mut scratch = vec![0u8; scratch_len(n, p, DEFAULT_LOW_BITS)];
    let e = Enumerator::new(&pats, &origin, DEFAULT_LOW_BITS, &mut scratch)?;
    // The canonical split fixes the order of the solutions, whatever the thread count.
    let chunks: Vec<Chunk> = e.canonical_chunks().collect();
    let per_chunk: Vec<u64> = chunks
        .par_iter()
        .map(|&c| Ok(e.solutions_in_chunk(c, t)?))
        .collect::<Result<_>>()?;
    let total: u64 = per_chunk.iter().sum();
    if total == 0 {
        return Ok(None);
    }
    let mut index = enumerate::solution_index_from_seed(seed, total);
    for (c, &count) in chunks.iter().zip(&per_chunk) {
        if index < count {
            let w = e
                .nth_solution(*c, t, index)?
                .ok_or_else(|| Error::Other("solution count changed between passes".into()))?;
            return Ok(Some(vec![w]));
        }
        index -= count;
    }
    Err(Error::Other("solution index past the total".into()))
}

/// What `flatmin enumerate --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct EnumerateReport {
    /// N.
    pub n: usize,
    /// P.
    pub p: usize,
    /// The κ the counts refer to.
    pub kappa: f64,
    /// Its integer threshold T(κ).
    pub t: i32,
    /// Total number of κ-solutions.
    pub total_solutions: u64,
    /// κ-solutions at each distance d from the reference.
    pub counts_by_distance: Vec<u64>,
    /// `hist_err[d][E]`: configurations at distance d with E errors at κ = 0.
    pub hist_err: Vec<Vec<u64>>,
    /// `hist_smin[d][s_min + N]`: the same, binned by the smallest stability.
    pub hist_smin: Vec<Vec<u64>>,
    /// ln(count)/N at each distance; null where the count is 0.
    pub local_entropy: Vec<Option<f64>>,
}

/// Builds the `enumerate` report from tables at margin κ.
pub fn enumerate_report(tables: &Tables, kappa: f64) -> Result<EnumerateReport> {
    let n = tables.n;
    let t = Threshold::new(kappa, n)?.t;
    let counts = tables.counts(t)?;
    let mut s = vec![0.0; n + 1];
    enumerate::local_entropy(&counts, n, &mut s)?;
    Ok(EnumerateReport {
        n,
        p: tables.p,
        kappa,
        t,
        total_solutions: counts.iter().sum(),
        counts_by_distance: counts,
        hist_err: tables.hist_err_rows(),
        hist_smin: tables.hist_smin_rows(),
        local_entropy: s.into_iter().map(|x| x.is_finite().then_some(x)).collect(),
    })
}

/// The local-energy curve: mean training error (fraction of P) against the flip probability p.
#[derive(Clone, Debug, Serialize)]
pub struct LocalEnergy {
    /// Flip probabilities.
    pub p: Vec<f64>,
    /// Mean training error at each p.
    pub error: Vec<f64>,
    /// Whether `error` is exact (enumeration) or Monte Carlo.
    pub exact: bool,
    /// Monte Carlo samples per point (0 when exact).
    pub samples: u64,
}

/// `steps` evenly spaced flip probabilities from 0 to `p_max`.
pub fn p_grid(p_max: f64, steps: usize) -> Result<Vec<f64>> {
    if !(0.0..=1.0).contains(&p_max) || steps == 0 {
        return Err(Error::Input(
            "need 0 <= --p-max <= 1 and --p-steps >= 1".into(),
        ));
    }
    if steps == 1 {
        return Ok(vec![0.0]);
    }
    Ok((0..steps)
        .map(|i| p_max * i as f64 / (steps - 1) as f64)
        .collect())
}

/// Exact local energy of `reference` at each p (enumeration; §f.1).
pub fn local_energy_exact(
    problem: &Problem,
    reference: &Spins<'_>,
    ps: &[f64],
) -> Result<LocalEnergy> {
    let t = tables(problem, reference)?;
    let error = ps
        .iter()
        .map(|&q| Ok(flatness::local_energy_exact(&t.hist_err, t.n, t.p, q)?))
        .collect::<Result<_>>()?;
    Ok(LocalEnergy {
        p: ps.to_vec(),
        error,
        exact: true,
        samples: 0,
    })
}

/// Monte Carlo local energy of `w` at each p, `samples` realizations per point, in parallel over the
/// points (point i uses seed `sample_seed(seed, i)`, so the numbers do not depend on the thread count).
/// `fixed` flips exactly round(pN) weights instead of each with probability p.
pub fn local_energy_mc(
    problem: &Problem,
    w: &Spins<'_>,
    ps: &[f64],
    samples: u64,
    fixed: bool,
    seed: u64,
) -> Result<LocalEnergy> {
    let (n, p) = (problem.n, problem.p);
    let pats = Patterns::new(n, p, &problem.gauged)?;
    let error = ps
        .par_iter()
        .enumerate()
        .map(|(i, &q)| {
            let mut ws = vec![0u64; words_for(n)];
            let mut st = vec![0i32; p];
            let pert = if fixed {
                Perturbation::Fixed(((q * n as f64).round() as usize).min(n))
            } else {
                Perturbation::Bernoulli(q)
            };
            let s = crate::harness::sample_seed(seed, i as u64);
            Ok(flatness::local_energy_mc(
                &pats,
                w,
                McParams {
                    t0: 0,
                    perturbation: pert,
                    samples,
                    seed: s,
                },
                &mut ws,
                &mut st,
            )?)
        })
        .collect::<Result<_>>()?;
    Ok(LocalEnergy {
        p: ps.to_vec(),
        error,
        exact: false,
        samples,
    })
}

/// What `flatmin flatness --json` prints (ALGORITHMS §f.2, §f.3; errors at κ = 0).
#[derive(Clone, Debug, Serialize)]
pub struct FlatnessReport {
    /// Errors of the reference at κ = 0.
    pub errors: u32,
    /// Its stabilities.
    pub stabilities: Vec<i32>,
    /// Closed form ⌊s_min/2⌋ + 1 (0 if the reference violates a pattern).
    pub robustness_radius: u32,
    /// Exact F(r) for r = 0..=radius (null when N is too large to enumerate).
    #[serde(rename = "F")]
    pub f: Option<Vec<u32>>,
    /// Exact D(ℓ) for ℓ = 1, 2, … (every reachable level; null when N is too large).
    #[serde(rename = "D")]
    pub d: Option<Vec<u32>>,
    /// Errors after r greedy worst-case flips, r = 0..=radius (greedy_worst[r] − E is a lower bound on F(r)).
    pub greedy_worst: Vec<u32>,
    /// Upper bound on F(r): #{μ : s_μ − 2r < 0} − E, r = 0..=radius.
    #[serde(rename = "F_upper")]
    pub f_upper: Vec<u32>,
    /// Lower bound on D(ℓ): ⌊s_(ℓ)/2⌋ + 1 over the satisfied patterns, ℓ = 1..=P − E.
    #[serde(rename = "D_lower")]
    pub d_lower: Vec<u32>,
    /// Exact max errors at each exact distance d (null when N is too large).
    #[serde(rename = "maxE_d")]
    pub max_e_d: Option<Vec<u32>>,
    /// Exact min errors at each exact distance d (null when N is too large).
    #[serde(rename = "minE_d")]
    pub min_e_d: Option<Vec<u32>>,
    /// Exact mean training error (fraction of P) on the sphere of radius d (null when N is too large).
    pub mean_err_at_distance: Option<Vec<f64>>,
}

/// Flatness of `w` up to radius `radius`; exact tables by enumeration when `exact`.
pub fn flatness_report(
    problem: &Problem,
    w: &Spins<'_>,
    radius: usize,
    exact: bool,
) -> Result<FlatnessReport> {
    let (n, p) = (problem.n, problem.p);
    if radius > n {
        return Err(Error::Input(format!("--radius {radius} exceeds N = {n}")));
    }
    let pats = Patterns::new(n, p, &problem.gauged)?;
    let mut stabs = vec![0i32; p];
    flatmin_core::bits::kernel::stabilities(w, &pats, &mut stabs)?;
    let e = flatmin_core::stability::errors(&stabs, 0) as u32;
    let mut ws = vec![0u64; words_for(n)];
    let mut st = vec![0i32; p];
    let mut greedy = vec![0u32; radius + 1];
    flatness::greedy_worst(&pats, w, 0, &mut ws, &mut st, &mut greedy)?;
    let f_upper = (0..=radius as u32)
        .map(|r| flatness::max_errors_upper_bound(&stabs, 0, r).saturating_sub(e))
        .collect();
    let mut d_lower = Vec::new();
    for l in 1..=(p - e as usize) {
        if let Some(b) = flatness::level_set_lower_bound(&stabs, 0, l, &mut st)? {
            d_lower.push(b);
        }
    }
    let mut report = FlatnessReport {
        errors: e,
        robustness_radius: flatness::robustness_radius(&stabs, 0),
        stabilities: stabs,
        f: None,
        d: None,
        greedy_worst: greedy,
        f_upper,
        d_lower,
        max_e_d: None,
        min_e_d: None,
        mean_err_at_distance: None,
    };
    if exact {
        let t = tables(problem, w)?;
        let (mut mx, mut mn) = (vec![0u32; n + 1], vec![0u32; n + 1]);
        flatness::errors_by_distance(&t.hist_err, n, p, &mut mx, &mut mn)?;
        let mut f = vec![0u32; n + 1];
        flatness::max_variation(&mx, &mut f)?;
        f.truncate(radius + 1);
        let mut d = vec![0u32; p];
        let levels = flatness::level_set_distances(&mx, &mut d);
        d.truncate(levels);
        let mut mean = vec![0.0; n + 1];
        flatness::mean_err_at_distance(&t.hist_err, n, p, &mut mean)?;
        report.f = Some(f);
        report.d = Some(d);
        report.max_e_d = Some(mx);
        report.min_e_d = Some(mn);
        report.mean_err_at_distance = Some(mean);
    }
    Ok(report)
}
