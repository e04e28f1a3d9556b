//! Simulated annealing on the error count E_κ (ALGORITHMS §d.4) \[REC\]: single-flip Metropolis with
//! β geometric from `beta_start` to `beta_end` over `sweeps` sweeps of N proposals; stops at E = 0.
//!
//! Proposals cost O(P/64): with the transposed pattern matrix (column j = P-bit vector of b(ξ^μ_j)),
//! flipping w_j moves s_μ by +2 exactly on the bits of `up_j = column_j XOR b(w_j)` and by −2
//! elsewhere. Only patterns at s = T_par − 2 (set A, fixed by +2) and s = T_par (set B, broken by −2)
//! change E, so ΔE = popcount(B ∧ ¬up_j) − popcount(A ∧ up_j). An accepted flip updates the P
//! stabilities and the two sets in O(P).
//!
//! **Cost grows fast with N; not a bug.** At α = 0.3 the default 10⁴-sweep schedule solves N = 201
//! (sweeps ≈ 5200–6200) but not N = 1001 (0/2, 5–9 errors left); with 10⁵ sweeps N = 401 solves 2/2
//! (58 000–63 000 sweeps) and N = 1001 1/2 (75 000 sweeps, 70 s; the other run ends with 5 errors)
//! (release, `flatmin solve --algo sa --n N --alpha 0.3 --seed 1|2 [--sa-sweeps 100000]`). Every
//! solution appears near β ≈ 3, at the same fraction of the schedule, so what is missing at large
//! N is a slower cooling, whose required length grows quickly with N. This is the documented
//! behaviour of local search on the error count of the binary perceptron: its typical solutions
//! are isolated (Huang & Kabashima, PRE 90, 052813, 2014) and "standard Simulated Annealing
//! procedures either require extremely long cooling procedures or just fail" (Baldassi, Ingrosso,
//! Lucibello, Saglietti, Zecchina, J. Stat. Mech. 2016, 023301). The incremental ΔE is checked
//! against full recounts in tests/solvers.rs. The default schedule is kept (a 10⁵-sweep failure
//! costs ≈ 80 s at N = 1001); pass more sweeps for larger N.
//!
//! Memory: `columns` (N·⌈P/64⌉ words, from [`crate::bits::Patterns::transpose_into`]),
//! `stabilities: [i32; P]`, `sets: [u64; 2⌈P/64⌉]`.

use super::{evaluate, SolverOutcome};
use crate::bits::{last_word_mask, words_for, Patterns, SpinsMut};
use crate::error::{Result, ShapeError};
use crate::instance::Instance;
use crate::rng::{below, rng_from_seed, uniform};

/// Annealing schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AnnealParams {
    /// Initial inverse temperature (> 0).
    pub beta_start: f64,
    /// Final inverse temperature (≥ beta_start).
    pub beta_end: f64,
    /// Sweeps of N proposals.
    pub sweeps: usize,
}

impl Default for AnnealParams {
    /// β from 0.5 to 10 over 10⁴ sweeps (§d.4).
    fn default() -> Self {
        AnnealParams {
            beta_start: 0.5,
            beta_end: 10.0,
            sweeps: 10_000,
        }
    }
}

/// Simulated annealing from a random start drawn from `seed`; the configuration ends in `w`.
pub fn anneal(
    inst: &Instance<'_>,
    columns: &Patterns<'_>,
    params: &AnnealParams,
    seed: u64,
    w: &mut SpinsMut<'_>,
    stabilities: &mut [i32],
    sets: &mut [u64],
) -> Result<SolverOutcome> {
    let (n, p) = (inst.n(), inst.p());
    if !(params.beta_start > 0.0
        && params.beta_end >= params.beta_start
        && params.beta_end.is_finite())
    {
        return Err(ShapeError::InvalidParameter(
            "need 0 < beta_start <= beta_end < inf",
        ));
    }
    if columns.n() != p || columns.p() != n {
        return Err(ShapeError::LengthMismatch {
            expected: n * words_for(p),
            got: columns.words().len(),
        });
    }
    let pw = words_for(p);
    for (len, want) in [(w.len(), n), (stabilities.len(), p), (sets.len(), 2 * pw)] {
        if len != want {
            return Err(ShapeError::LengthMismatch {
                expected: want,
                got: len,
            });
        }
    }
    let mut rng = rng_from_seed(seed);
    w.fill_random(&mut rng);
    let mut energy = inst.errors(&w.as_spins(), stabilities)?;
    if p == 0 || energy == 0 {
        return evaluate(inst, &w.as_spins(), stabilities, 0, 0);
    }
    let tp = inst.threshold.t_par;
    let (a, b) = sets.split_at_mut(pw);
    a.fill(0);
    b.fill(0);
    for (mu, &s) in stabilities.iter().enumerate() {
        if s == tp - 2 {
            a[mu / 64] |= 1 << (mu % 64);
        } else if s == tp {
            b[mu / 64] |= 1 << (mu % 64);
        }
    }
    let mask = last_word_mask(p);
    let ratio = if params.sweeps > 1 {
        libm::pow(
            params.beta_end / params.beta_start,
            1.0 / (params.sweeps - 1) as f64,
        )
    } else {
        1.0
    };
    let mut beta = params.beta_start;
    let mut steps = 0u64;
    for sweep in 1..=params.sweeps {
        for _ in 0..n {
            steps += 1;
            let j = below(&mut rng, n as u64) as usize;
            let col = columns.row(j).words();
            let flip_all = if w.get(j) < 0 { !0u64 } else { 0 };
            let mut de: i64 = 0;
            for k in 0..pw {
                let m = if k + 1 == pw { mask } else { !0 };
                let up = (col[k] ^ flip_all) & m;
                let down = !up & m;
                de += i64::from((b[k] & down).count_ones()) - i64::from((a[k] & up).count_ones());
            }
            if de > 0 && uniform(&mut rng) >= libm::exp(-beta * de as f64) {
                continue;
            }
            w.flip(j);
            for k in 0..pw {
                let m = if k + 1 == pw { mask } else { !0 };
                let up = (col[k] ^ flip_all) & m;
                let lo = k * 64;
                let hi = (lo + 64).min(p);
                let (mut na, mut nb) = (0u64, 0u64);
                for (bit, s) in stabilities[lo..hi].iter_mut().enumerate() {
                    *s += if (up >> bit) & 1 == 1 { 2 } else { -2 };
                    na |= u64::from(*s == tp - 2) << bit;
                    nb |= u64::from(*s == tp) << bit;
                }
                a[k] = na;
                b[k] = nb;
            }
            energy = (energy as i64 + de) as usize;
            if energy == 0 {
                return evaluate(inst, &w.as_spins(), stabilities, sweep, steps);
            }
        }
        beta *= ratio;
    }
    evaluate(inst, &w.as_spins(), stabilities, params.sweeps, steps)
}
