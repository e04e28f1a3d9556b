//! SBPI (Baldassi, Braunstein, Brunel, Zecchina, PNAS 104, 11079, 2007) and CP+R (Baldassi, J.
//! Stat. Phys. 136, 902, 2009), ALGORITHMS §d.2–d.3. The rules are from memory in the spec \[LIT\]
//! (no public implementation by the authors was found to compare with); the defaults are measured
//! here.
//!
//! Each synapse has an odd hidden state h_i ∈ [−(2K−1), 2K−1] and w_i = sign h_i (never 0).
//! Patterns are presented in a fresh random order each sweep, with s = s_μ(w) (one popcount dot
//! product), the margin T and the barely correct window T ≤ s ≤ T_par − 1 + θ_m (κ = 0, N odd,
//! θ_m = 1: s = 1):
//! * SBPI: error (s < T): h_i ← h_i + 2ξ_i for all i, clipped (the clipped perceptron step, CP);
//!   barely correct: with probability p_s, h_i ← h_i + 2ξ_i only where ξ_i h_i ≥ 1 (metaplastic: no
//!   sign changes);
//! * CP+R: error **or barely correct**: the CP step; otherwise, with probability p_s, h_i ← h_i + 2
//!   sign(h_i) for all i (the unsupervised reinforcement, clipped).
//!
//! Stops when E_κ = 0 after a sweep, or after `max_sweeps`. Memory: hidden `[i8; N]`, `perm: [u32;
//! P]`, `stabilities: [i32; P]`. Integer ranges: h in i16 during an update, clipped to ±(2K−1) ≤
//! ±125, no overflow; θ_m is added with saturation.
//!
//! **The hidden range must grow like √N** (SBPI and CP+R). With the spec's fixed K = 20 (±39) SBPI
//! failed at α = 0.6 for N = 951…1101 and 2001 although it solved N ≤ 901: the hidden states play
//! the role of the BP fields, whose spread grows like √N. Measured at α = 0.6, seeds 0–3, 10⁴
//! sweeps: at N = 1001, K ≤ 20 solved 0/4 and K ≥ 21 4/4; at N = 501, K = 10 0/4 and K = 15 4/4; at
//! N = 2001, K = 20 0/2 and K = 30 4/4; so K_min ≈ 0.66 √N. The default is K = ⌈√N⌉
//! ([`SbpiParams::auto_k`]), capped at 63 by the `i8` hidden states (enough up to N ≈ 9000).
//!
//! **Why CP+R stalled, and the fix.** With the CP step on errors only (the spec's §d.3, now
//! `theta_m: 0`) CP+R solved 4–7/10 at α = 0.4–0.6 and 1–3/10 at 0.65–0.72 (N = 1001, table below),
//! and up to α = 0.7 every failure ended with one error. No integer or sign bug: the unsupervised
//! reinforcement (≈ p_s·P events a sweep, each +2 on every |h_i|) outpaces the CP step of the last
//! error (2 a sweep on the synapses it needs), so every hidden state saturates at ±(2K−1) and the
//! run freezes (`cpr_errors_only_rule_freezes_with_one_error` in tests/solvers.rs shows it). Two
//! changes fix it, both measured:
//! 1. The CP step also on barely correct patterns (SBPI's window, θ_m = 1): patterns sitting at s =
//!    1 keep the hidden states moving and are pushed off the edge before the reinforcement locks
//!    them. Wider windows are worse near capacity (N = 1001, α = 0.72, 20 runs of 3000 sweeps:
//!    θ_m = 1 solved 18, θ_m = 3 at most 8, θ_m = 5 at most 3).
//! 2. The rate p_s = 0.51·α³/√N ([`SbpiParams::cpr_auto_p_s`]), a measured law: it must scale like
//!    1/√N (N = 301, α = 0.7: 0/20 at p_s = 0.006, 15/20 at 0.011; N = 2001, α = 0.7: 0/10 at
//!    0.006, 6/10 at 0.00425 in 3000 sweeps), and it must drop fast at small α, where few patterns
//!    are near the edge (N = 1001, α = 0.5: 24/30 solved at p_s = 0.006, 28/30 at 0.0042, 30/30 at
//!    0.0015; N = 2001, α = 0.5: 3/6 at 0.0030, 10/10 at 0.0014). The rate stays below the bound
//!    √(2/(πN)) of the 2009 abstract. The spec's \[REC\] p_s = 0.1–0.3 freezes at once.
//!
//! Measured thresholds (release build, `flatmin --threads 2 capacity --algo cpr,sbpi --n N --alphas
//! … --samples 10` (6 at N = 2001), κ = 0, 10⁴ sweeps, seed 0, solved/samples, machine shared with
//! 6 other builds). CP+R with the reinforcement cap γ = 0.5 (below) re-measured on the same
//! instances with `flatmin --threads 1 capacity --algo cpr --n N --alphas … --samples 10` (6 at
//! N = 2001; 33 s CPU for the three N):
//!
//! | N = 1001, α | 0.30 | 0.40 | 0.45 | 0.50 | 0.55 | 0.60 | 0.65 | 0.70 | 0.72 | 0.75 | 0.78 |
//! |---|---|---|---|---|---|---|---|---|---|---|---|
//! | CP+R, default (θ_m = 1, p_s = 0.51·α³/√N, cap γ = 0.5) | 10 | 10 | 10 | 10 | 10 | 10 | 10 | 10 | 10 | 2 | 0 |
//! | CP+R, the same before the cap (γ = 0, earlier run) | 10 | 10 | 10 | 10 | 9 | 10 | 9 | 10 | 10 | 2 | 0 |
//! | CP+R, errors only, p_s = 0.003 (before) | 10 | 6 | 6 | 7 | 5 | 4 | 1 | 3 | 1 | 0 | – |
//! | SBPI (K = 32, θ_m = 1, p_s = 0.3) | 10 | 10 | 10 | 10 | 10 | 10 | 10 | 10 | 10 | 4 | 0 |
//!
//! * N = 301 (K = 18), α = 0.3, 0.5, 0.6, 0.7, 0.75: CP+R 10, 10, 10, 6, 5 of 10 (the same before
//!   the cap); SBPI 10, 10, 10, 9, 4 of 10.
//! * N = 2001 (K = 45), α = 0.4, 0.5, 0.55, 0.6, 0.7, 0.75: CP+R 6, 6, 6, 6, 6, 0 of 6 (before the
//!   cap 6, 4, 6, 6, 6, 0); SBPI 6, 6, 6, 6, 6, 0 of 6.
//!
//! **The residual freeze, and the reinforcement cap (a deviation from §d.3).** With the two
//! changes above a run still froze with one error now and then below the threshold (N = 1001,
//! 100 instances each, `capacity --algo cpr --n 1001 --samples 100 --seed 1000`: 4 frozen runs at
//! α = 0.6, 1 at 0.65, 1 at 0.7). A frozen run (tests/solvers.rs `cpr_frozen_run_diagnosis`,
//! N = 1001, α = 0.6, p_s·P = 2.1): after 200 sweeps one error is left, at s = −1, no pattern is
//! barely correct, and 500 of the 1001 hidden states sit at ±(2K−1) = ±63; by 1000 sweeps all
//! 1001 do, and nothing changes to 10⁴ sweeps. The balance at the bound explains it: a synapse
//! whose sign the last error needs flipped gets one clipped-perceptron step of 2 towards the flip
//! per sweep (the error is presented once), and p_s·P ≈ 2.1 reinforcement steps of 2 back to the
//! bound, so it never leaves ±63. It happens more at small α, where the last patterns to fix are
//! few and no pattern sits at the edge (p_s falls like α³, but the clipped-perceptron drive falls
//! faster). The cure keeps the reinforcement below the clipped-perceptron drive: in each sweep
//! p = min(p_s, γ·(E + B)/P) with E + B the errors plus barely correct patterns of the previous
//! sweep ([`SbpiParams::cpr_balance`], γ = 0.5): with one error left, half a reinforcement
//! step per sweep against one clipped-perceptron step, so the needed synapses drift to their
//! flip. Early in a run E + B is in the tens to hundreds and the cap does not bind (p_s·P ≤ 4 up
//! to α = 0.72); it binds only in the last sweeps (the pinned N = 1001 run: 64 sweeps instead of
//! 63). The frozen run above then solves in 133 sweeps. SBPI needs no cap: its metaplastic
//! step acts only on barely correct patterns, so it stops when they are gone.
//!
//! Measured on the same 100 instances per α before and after the cap (release build,
//! `flatmin --threads 1 capacity --algo cpr --n 1001 --alphas 0.6,0.65,0.7,0.72 --samples 100
//! --seed 1000`, 10⁴ sweeps):
//!
//! | N = 1001, α | 0.60 | 0.65 | 0.70 | 0.72 |
//! |---|---|---|---|---|
//! | solved, no cap (γ = 0) | 96 | 99 | 98 | 98 |
//! | solved, cap γ = 0.5 (default) | 100 | 100 | 99 | 98 |
//! | frozen with one error left, no cap → cap | 4 → 0 | 1 → 0 | 1 → 0 | 0 → 0 |
//! | median sweeps of the solved runs, no cap → cap | 75.5 → 74 | 91 → 90.5 | 191.5 → 198 | 397.5 → 385 |
//!
//! The failures left (1 at α = 0.7, 2 at 0.72, the same instances with and without the cap) end
//! with 19–51 errors: the capacity, not a freeze. At the threshold, α = 0.75 (40 instances,
//! `--alphas 0.75 --samples 40 --seed 1000`): 22 solved without the cap, 21 with it; the one
//! instance that differs solved at sweep 8332 without the cap and ends with 10 errors with it;
//! no run froze with one error either way. In the threshold table above, the four CP+R failures
//! below α = 0.75 of the measurement before the cap (N = 1001: one each at α = 0.55 and 0.65;
//! N = 2001: two at α = 0.5) are solved runs in the one with it, and the counts at and above
//! α = 0.75 are unchanged. (The CLI has no flag for γ, so the γ = 0 rows are the earlier
//! measurement, not a rerun; its command gave no seed, and N = 301 reproduces it exactly.)
//!
//! The 50 % points at N = 1001 are α ≈ 0.74 (SBPI) and ≈ 0.73–0.74 (CP+R), at or above the
//! literature's α ≈ 0.65–0.7 for N ~ 10³ (PNAS 2007 for SBPI; the spec's recollection for CP+R,
//! whose 2009 paper studies generalization, not storage).
//!
//! **Tiny instances (N = 3, 5 with P = 2) end unsolved, by design of the rules.** Two synapses i, j
//! whose gauged columns agree up to a sign σ (ξ^μ_j = σ ξ^μ_i for every μ) receive identical
//! updates from all three rules (the clipped-perceptron step adds 2ξ^μ to both, the reinforcement
//! and the metaplastic step depend only on the sign of h and on ξ), so once clipping has made
//! σ h_i = h_j they never differ again. With P = 2 there are only two column classes up to sign,
//! and the solutions of such instances need two synapses of one class to differ, so the run cycles
//! among non-solutions (e.g. N = 3, seeds 1–4, 7–10 of `flatmin instance gen --n 3 --alpha 0.67`
//! all have solutions). It is not a hang: the run stops after `max_sweeps` sweeps (10⁴ sweeps of 2
//! presentations, well under a millisecond) and reports the failure (`solved: false`, the errors
//! left); tests/solvers.rs `sbpi_and_cpr_end_unsolved_on_tiny_tied_instances` pins that end state.
//! At N ~ 10³ and P ~ N, two equal columns have probability ~ N²·2^−P, so the effect is absent.

use super::{evaluate, SolverOutcome};
use crate::bits::{dot_words, SpinsMut};
use crate::error::{Result, ShapeError};
use crate::instance::Instance;
use crate::rng::{rng_from_seed, shuffle, uniform};

/// Parameters of SBPI and CP+R.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SbpiParams {
    /// K: hidden states are odd in [−(2K−1), 2K−1] (1 ≤ K ≤ 63), or 0 (the default) for
    /// [`SbpiParams::auto_k`]`(N)` = min(⌈√N⌉, 63). A fixed K fails above N ≈ 2.3·K² (see the
    /// module docs): the hidden range must grow like √N.
    pub k: u8,
    /// θ_m ≥ 0: the "barely correct" window on the integer scale, T ≤ s ≤ T_par − 1 + θ_m (κ = 0,
    /// N odd: s = 1 for θ_m = 1): SBPI's metaplastic rule and CP+R's clipped-perceptron step act
    /// there. θ_m = 0 empties the window (SBPI becomes the plain clipped perceptron; CP+R the
    /// errors-only rule of ALGORITHMS §d.3, which freezes, see the module docs).
    pub theta_m: i32,
    /// Probability p_s of the metaplastic (SBPI) or reinforcement (CP+R) rule.
    pub p_s: f64,
    /// Sweeps before giving up.
    pub max_sweeps: usize,
    /// CP+R only: γ ≥ 0, the cap on the unsupervised reinforcement. In a sweep the expected
    /// number of reinforcement events, p·P, is at most γ times the clipped-perceptron steps of the
    /// previous sweep (its errors plus barely correct patterns, E + B): p = min(p_s, γ·(E + B)/P).
    /// 0 switches the cap off (the rule of ALGORITHMS §d.3, which freezes with one error left now
    /// and then; module docs, "The residual freeze"). A deviation from §d.3. SBPI ignores it.
    pub cpr_balance: f64,
}

impl Default for SbpiParams {
    /// K = ⌈√N⌉ (`k: 0`), θ_m = 1, p_s = 0.3, 10⁴ sweeps, CP+R's reinforcement capped at
    /// γ = 0.5 of the previous sweep's clipped-perceptron steps.
    fn default() -> Self {
        SbpiParams {
            k: 0,
            theta_m: 1,
            p_s: 0.3,
            max_sweeps: 10_000,
            cpr_balance: Self::CPR_BALANCE,
        }
    }
}

impl SbpiParams {
    /// The largest K the `i8` hidden states hold (range ±125).
    pub const MAX_K: u8 = 63;

    /// The default number of hidden levels for N synapses: min(⌈√N⌉, 63), at least 1.
    pub fn auto_k(n: usize) -> u8 {
        let mut r = libm::sqrt(n as f64) as usize;
        while r * r < n {
            r += 1;
        }
        r.clamp(1, usize::from(Self::MAX_K)) as u8
    }

    /// CP+R's default reinforcement rate for P patterns on N synapses: p_s = c·α³/√N with
    /// c = [`SbpiParams::CPR_RATE`] and α = P/N (0.0060 at N = 1001, α = 0.72; 0.0020 at α = 0.5;
    /// below the bound √(2/(πN)) of Baldassi 2009 for α ≤ 1.1). A measured law, not a derivation
    /// (module docs): the rate must scale like 1/√N for CP+R to converge near α ≈ 0.7, and must
    /// fall steeply with α below that, or the reinforcement saturates every hidden state while one
    /// error is left.
    pub fn cpr_auto_p_s(n: usize, p: usize) -> f64 {
        let n = n.max(1) as f64;
        let alpha = p as f64 / n;
        Self::CPR_RATE * alpha * alpha * alpha / libm::sqrt(n)
    }

    /// The constant c of [`SbpiParams::cpr_auto_p_s`] = c·α³/√N.
    pub const CPR_RATE: f64 = 0.51;

    /// The default [`SbpiParams::cpr_balance`] γ = 0.5: with one error left and nothing barely
    /// correct, half a reinforcement event per sweep against one clipped-perceptron step, so a
    /// hidden state at the bound drifts towards the flip (module docs, "The residual freeze").
    pub const CPR_BALANCE: f64 = 0.5;

    /// CP+R's defaults for P patterns on N synapses: [`Default`] (K = ⌈√N⌉, θ_m = 1, 10⁴ sweeps)
    /// with p_s = [`SbpiParams::cpr_auto_p_s`]`(N, P)`.
    pub fn cpr_default(n: usize, p: usize) -> Self {
        SbpiParams {
            p_s: Self::cpr_auto_p_s(n, p).min(1.0),
            ..Self::default()
        }
    }

    /// The K a run on N synapses uses: `k`, or [`SbpiParams::auto_k`]`(N)` when `k` is 0.
    pub fn effective_k(&self, n: usize) -> u8 {
        if self.k == 0 {
            Self::auto_k(n)
        } else {
            self.k
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Rule {
    Sbpi,
    Cpr,
}

/// SBPI. `hidden` (N), `perm` (P) and `stabilities` (P) are scratch; the weights end in `w`.
pub fn sbpi(
    inst: &Instance<'_>,
    params: &SbpiParams,
    seed: u64,
    w: &mut SpinsMut<'_>,
    hidden: &mut [i8],
    perm: &mut [u32],
    stabilities: &mut [i32],
) -> Result<SolverOutcome> {
    run(Rule::Sbpi, inst, params, seed, w, hidden, perm, stabilities)
}

/// CP+R. Buffers as for [`sbpi`]; [`SbpiParams::cpr_default`] gives its measured defaults (the
/// [`Default`] p_s = 0.3 is SBPI's and freezes CP+R).
pub fn cpr(
    inst: &Instance<'_>,
    params: &SbpiParams,
    seed: u64,
    w: &mut SpinsMut<'_>,
    hidden: &mut [i8],
    perm: &mut [u32],
    stabilities: &mut [i32],
) -> Result<SolverOutcome> {
    run(Rule::Cpr, inst, params, seed, w, hidden, perm, stabilities)
}

#[allow(clippy::too_many_arguments)]
fn run(
    rule: Rule,
    inst: &Instance<'_>,
    params: &SbpiParams,
    seed: u64,
    w: &mut SpinsMut<'_>,
    hidden: &mut [i8],
    perm: &mut [u32],
    stabilities: &mut [i32],
) -> Result<SolverOutcome> {
    let (n, p) = (inst.n(), inst.p());
    if params.k > SbpiParams::MAX_K {
        return Err(ShapeError::InvalidParameter(
            "K must be in 1..=63 (or 0 for the default)",
        ));
    }
    if params.theta_m < 0 {
        return Err(ShapeError::InvalidParameter("theta_m must be >= 0"));
    }
    if !(0.0..=1.0).contains(&params.p_s) {
        return Err(ShapeError::InvalidParameter("p_s must be in [0, 1]"));
    }
    if !(params.cpr_balance.is_finite() && params.cpr_balance >= 0.0) {
        return Err(ShapeError::InvalidParameter(
            "cpr_balance must be finite and >= 0",
        ));
    }
    for (len, want) in [
        (w.len(), n),
        (hidden.len(), n),
        (perm.len(), p),
        (stabilities.len(), p),
    ] {
        if len != want {
            return Err(ShapeError::LengthMismatch {
                expected: want,
                got: len,
            });
        }
    }
    let hmax = 2 * i16::from(params.effective_k(n)) - 1;
    let mut rng = rng_from_seed(seed);
    w.fill_random(&mut rng);
    for (i, hi) in hidden.iter_mut().enumerate() {
        *hi = w.get(i);
    }
    for (k, v) in perm.iter_mut().enumerate() {
        *v = k as u32;
    }
    let t = inst.threshold.t;
    // Saturating: θ_m is caller input and may be as large as i32::MAX.
    let barely_top = inst
        .threshold
        .t_par
        .saturating_sub(1)
        .saturating_add(params.theta_m);
    let nw = inst.patterns.words_per_row();
    let mut steps = 0u64;
    // CP+R's reinforcement rate of this sweep: p_s, capped at γ·(E + B)/P from the previous
    // sweep (no cap in the first). The random draws are the same whatever the rate.
    let mut p_s = params.p_s;
    for sweep in 1..=params.max_sweeps {
        shuffle(&mut rng, perm);
        for &mu in perm.iter() {
            let row = inst.patterns.row(mu as usize).words();
            let s = dot_words(w.as_spins().words(), row, n) as i32;
            steps += 1;
            // CP+R applies the clipped-perceptron step to errors and to barely correct patterns
            // (the window SBPI uses for its metaplastic rule); SBPI to errors only.
            if s < t || (rule == Rule::Cpr && s <= barely_top) {
                // Clipped perceptron step on every synapse; refresh the signs word by word.
                let words = w.words_mut();
                for k in 0..nw {
                    let bits = row[k];
                    let lo = k * 64;
                    let hi_end = (lo + 64).min(n);
                    let mut neg = 0u64;
                    for (b, hv) in hidden[lo..hi_end].iter_mut().enumerate() {
                        let xi: i16 = if (bits >> b) & 1 == 1 { -2 } else { 2 };
                        let v = (i16::from(*hv) + xi).clamp(-hmax, hmax);
                        *hv = v as i8;
                        neg |= u64::from(v < 0) << b;
                    }
                    words[k] = neg;
                }
            } else if rule == Rule::Sbpi {
                if s <= barely_top && uniform(&mut rng) < params.p_s {
                    for (i, hv) in hidden.iter_mut().enumerate() {
                        let xi: i16 = if (row[i / 64] >> (i % 64)) & 1 == 1 {
                            -1
                        } else {
                            1
                        };
                        if xi * i16::from(*hv) >= 1 {
                            *hv = (i16::from(*hv) + 2 * xi).clamp(-hmax, hmax) as i8;
                        }
                    }
                }
            } else if uniform(&mut rng) < p_s {
                for hv in hidden.iter_mut() {
                    let d: i16 = if *hv < 0 { -2 } else { 2 };
                    *hv = (i16::from(*hv) + d).clamp(-hmax, hmax) as i8;
                }
            }
        }
        let out = evaluate(inst, &w.as_spins(), stabilities, sweep, steps)?;
        if out.solved || sweep == params.max_sweeps {
            return Ok(out);
        }
        if rule == Rule::Cpr && params.cpr_balance > 0.0 && p > 0 {
            // E + B: the patterns the clipped-perceptron step acts on.
            let steps_cp = stabilities
                .iter()
                .filter(|&&s| s < t || s <= barely_top)
                .count();
            p_s = params
                .p_s
                .min(params.cpr_balance * steps_cp as f64 / p as f64);
        }
    }
    // max_sweeps = 0: report the random start.
    evaluate(inst, &w.as_spins(), stabilities, 0, steps)
}
