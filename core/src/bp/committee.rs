//! Belief propagation and focusing BP for the committee machine with K hidden units and binary
//! weights (issue 15; ALGORITHMS §h.2; the message structure of the authors' focusing-BP code
//! \[SRC\], re-derived here): fully connected (every hidden unit sees all N inputs, K·N weights) and
//! tree (hidden unit k sees its own n = N/K inputs, N weights, THEORY §S5).
//!
//! # Model
//! On gauged patterns (every label +1, [`crate::instance::gauge`]; valid because the majority of K
//! sign units, K odd, is odd in ξ) pattern μ is satisfied when the majority of the hidden outputs is
//! +1:
//!
//! τ_{μk} = +1 ⇔ s_{μk} = Σ_{i∈k} w_{ki} ξ^μ_{ki} ≥ T,  Σ_k τ_{μk} ≥ 1,
//!
//! with T = T(κ = 0) on the unit's n inputs ([`Threshold`]: s = 0 counts as +1 for even n, so the
//! gauge is exact only for odd n; use odd n). The weights live in a K × n matrix; the loads are
//! quoted per weight, α = P/(K·n) (the convention of \[SRC\]: for the fully connected machine
//! α = P/(K·N), for the tree α = P/N). A margin on the output is not supported (κ = 0).
//!
//! # Factor graph and messages (field representation, as the perceptron BP, §b.2)
//! Variables: the K·n weights w_{ki} (prior e^{λ w̃_{ki} w_{ki}} and, in focusing BP, the focusing
//! factor of §c.1) and, per pattern, the K hidden outputs τ_{μk}. Factors: per pattern and unit the
//! hidden factor 1[τ_{μk} = sign_T(s_{μk})], and per pattern the output factor 1[Σ_k τ_{μk} ≥ 1].
//! Every τ has degree 2, so its two variable→factor messages are the factor→variable messages of the
//! other side. The state is, all as fields (log-ratios, magnetization = tanh):
//! * `g[(μK + k)·n + i]` hidden factor (μ,k) → w_{ki} (P × K × n: P·K·N for the fully connected
//!   machine, P·N for the tree);
//! * `up[μK + k]` = U_{μk}, hidden factor → τ_{μk} (= τ → output factor);
//! * `down[μK + k]` = D_{μk}, output factor → τ_{μk} (= τ → hidden factor);
//! * totals `H_{ki} = λ w̃_{ki} + ux_{ki} + Σ_μ g_{μk→i}` and focusing fields ux_{ki}; cavity fields
//!   h_{ki→μ} = H_{ki} − g_{μk→i} are recomputed on the fly.
//!
//! # Hidden factor, Gaussian version (default; §b.4 with the τ side added)
//! With the cavity moments of unit k on pattern μ, μ_{μk} = Σ_i ξ_i tanh h_{i→μ},
//! σ²_{μk} = Σ_i (1 − tanh² h_{i→μ}), θ = T_par − 1 (continuity correction, as the perceptron), the
//! probability that the unit fires is p = Pr[s ≥ T] ≈ H((θ − μ)/σ), so
//!
//! U_{μk} = ½ [ln H((θ − μ)/σ) − ln H((μ − θ)/σ)].
//!
//! To a weight: with μ̄, σ̄² the moments without edge i and x_± = (θ − μ̄ ∓ ξ_i)/σ̄ (w_i = ±1), the
//! factor summed over τ with the τ message (1 ± tanh D)/2 is
//! Σ_τ ½(1 + τ t)·Pr[sign = τ | w_i] = ½(1 − t) + t·H(x_±), t = tanh D ≥ 0, hence
//!
//! g_{μk→i} = ½ [L(x_+) − L(x_−)],  L(x) = ln((1 − t)/2 + t·H(x)) (log-sum-exp of ln((1−t)/2) and
//! ln t + ln H(x), no cancellation), which is \[SRC\]'s `erfmix(H, m₊, m₋)` in field form.
//! For D → ∞ (t = 1) it is the perceptron update of §b.4 exactly; for D = 0 the unit receives no
//! information (g = 0).
//!
//! # Hidden factor, exact version (small n; ground truth)
//! The number c of +1's among x_j = ξ_j w_j (j ≠ i), P(x_j = +1) = σ(2ξ_j h_{j→μ}), has an exact
//! leave-one-out distribution from prefix distributions and one running suffix distribution in the
//! log domain (O(n²) per factor). s = 2c − (n − 1) + ξ_i w_i, so with c₀(w_i) = ⌈(T + n − 1 − ξ_i
//! w_i)/2⌉, Pr[τ = +1 | w_i] = Pr[c ≥ c₀], Pr[τ = −1 | w_i] = Pr[c ≤ c₀ − 1], and
//! g = ½[L₊ − L₋], L_± = ln((1+t)/2 · Pr[c ≥ c₀(±)] + (1−t)/2 · Pr[c ≤ c₀(±) − 1]); U from the full
//! count distribution.
//!
//! # Output factor (exact for every K, odd)
//! τ_k = +1 with probability σ(2U_k). Σ_{j≠k} τ_j is even (K − 1 even), so τ_k = +1 satisfies the
//! majority iff Σ_{j≠k} τ_j ≥ 0, τ_k = −1 iff Σ_{j≠k} τ_j ≥ 2; with c the number of +1's among the
//! others, D_k = ½[ln Pr[c ≥ (K−1)/2] − ln Pr[c ≥ (K+1)/2]] ≥ 0, by the same leave-one-out log-domain
//! count distributions (O(K²) per pattern). This is \[SRC\]'s `theta_node_update_exact!` on the
//! second layer with the output field fixed to the (gauged) label.
//!
//! # Schedule, damping, convergence, contradictions (as the perceptron BP, §b.5)
//! A sweep visits the P pattern nodes (and, with an active focus, the K·n focusing nodes) in a fresh
//! random order; a pattern node updates its K hidden factors (each from the current totals and its
//! current D) and then its output factor (from the new U's), as \[SRC\] `iterate!`. Every new field is
//! damped, g ← (1−ρ) g_new + ρ g_old (also U, D, ux), clamped at ±G_max (D ∈ [0, G_max]). The residual
//! is max |Δ tanh| over every message updated (g, U, D, ux). A fixed point with some ln Z_a below
//! −`contradiction_log_z` (or not finite) is reported as a contradiction ([`BetheStats`]).
//!
//! # K = 1
//! The output factor pins τ = +1 (D = +∞), so a hidden factor is a perceptron factor: the workspace
//! then runs the perceptron updates of [`super::factor`] themselves, with the perceptron's memory
//! layout, initialization stream and schedule, so focusing BP and BP with K = 1 are the perceptron's
//! bit for bit (tested).
//!
//! # Bethe free entropy (§b.6 extended)
//! Φ_B = Σ_{ki} ln 2cosh H_{ki} + Σ_{(μk,i)} [ln cosh(H_{ki} − g_{μk→i}) − ln cosh H_{ki}]
//!     + Σ_{μk} ln Z_{μk} + Σ_μ ln Z_μ − Σ_{μk} [ln cosh(U_{μk} + D_{μk}) − ln cosh U_{μk} − ln cosh D_{μk} − ln 2],
//!
//! ln Z_{μk} = ln((1+t)/2·p + (1−t)/2·(1−p)) with p the cavity firing probability (Gaussian or exact),
//! ln Z_μ = ln Pr[Σ_k τ_k ≥ 1] under the U's (exact); the last sum is the −ln Z of the degree-2
//! variables τ (their variable and two edge terms collapse into one). φ = Φ_B/(K·n),
//! q = (1/(K·n)) Σ w̃ m, S = φ − λq, as for the perceptron.
//!
//! What is exact and what is approximate: with the exact hidden factor and P = 1 the factor graph is
//! a tree, so the BP marginals and Φ_B are exact (tested against enumeration); for P ≥ 2 it has
//! loops and BP is approximate (for a fully connected machine also because BP breaks the K!
//! permutation symmetry of the hidden units: at a symmetry-broken fixed point Φ_B estimates the
//! entropy of one of the K! equivalent copies, i.e. ln(#solutions / K!) when the copies are
//! disjoint). The Gaussian hidden factor is a central-limit approximation even on a tree (good for
//! n in the hundreds); the output factor is exact in both. The local entropy around a reference
//! w̃ (field λ·w̃ on the weights) is computed by the same formula; it is meaningful where BP
//! converges without contradiction.
//!
//! # Focusing BP
//! [`CommitteeWorkspace`] implements [`FocusingEngine`], so [`super::focusing_bp`] runs the same four
//! protocols, reinforcement, solution test after every sweep, runaway stop and fallback as for the
//! perceptron: the focusing factor of §c.1 sits on each of the K·n weights; the decision is
//! sign0(H) written as K rows of a [`PatternsMut`] (K × n); the "stabilities" are the output votes
//! v_μ = Σ_k τ_{μk} (odd), an error is v_μ ≤ 0, `min_stability` is the smallest vote and `margin` is
//! min_μ v_μ/√K. Committees need damping: [`committee_rbp`] is RBP with damping 0.5. The runaway
//! rule is scaled to the machine's K·n weights
//! ([`super::focusing::Runaway::for_weights`]: ⌈steps·√(1000/(K·n))⌉ consecutive runaway steps
//! below the 1000 weights it was calibrated at).
//!
//! # API (for the host: `instance gen --k`, `solve --k`, `capacity --k`)
//! * [`generate`]`(seed, k, arch, teacher, patterns, labels)` fills raw patterns and labels (random
//!   or by a teacher committee, K × n weights); then [`crate::instance::gauge`].
//! * [`CommitteeInstance::new`]`(gauged_patterns, k, arch)`; [`CommitteeInstance::errors`] is the
//!   packed forward pass (votes per pattern).
//! * [`CommitteeWorkspace::required_reals`]`(k, n, p, factor)` / [`required_perm`](CommitteeWorkspace::required_perm)
//!   then [`CommitteeWorkspace::new`]; [`run_committee_bp`] (plain BP + Bethe, optional reference and
//!   λ) or [`super::focusing_bp`]`(&inst, &mut ws, &params, seed, &mut weights_k_rows, &mut votes)`.
//!
//! # Numerics of the Gaussian hidden factor (a decision, issue 15)
//! The Gaussian hidden factor is itself a central-limit approximation (its error on g is of
//! order 1/√n, tested against the exact factor), and BP stops at a residual of 1e-3 … 1e-6 in
//! tanh g. Its message update therefore computes g to a stated absolute accuracy instead of to
//! the last ulp, which the perceptron's update keeps (K = 1 runs the perceptron's code and is the
//! perceptron bit for bit; nothing here changes the perceptron):
//! * the interpolant of F(m̃) is accepted when its last two Chebyshev coefficients sum to at most
//!   max(256 ε·max|L|, [`FIT_TOL`] = 1e-11), and the top coefficients summing to at most that are
//!   dropped (the perceptron: 256 ε·max|L|), so a 10-node fit serves from σ² ≈ 100 (the old rule
//!   needed 12 nodes below σ² ≈ 300) with fewer terms in the Horner pass;
//! * the cavity magnetizations use a degree-9 exponential (`special::exp_nonpos_fast_f64`,
//!   relative error ≤ 1e-13 instead of 4e-16): m and 1 − m² move by ≤ 1e-13, μ and σ² by
//!   ≤ 1e-13·n;
//! * the interpolant's node values L use the same fast exponential in H, an Estrin-form ln and
//!   erfcx (shorter dependency chains; ≤ 1e-12 relative), and t = tanh D = (1 − e^{−2D})/(1 + e^{−2D})
//!   (absolute error ≈ ε);
//! * fused multiply-adds (`simd::mul_add`, one rounding instead of two) in the fast exponential
//!   (Horner's rule), the erfcx and ln polynomials (the erfcx also in U and the direct path), the
//!   exact split x² = fl(x²) + fma(x, x, −fl(x²)) inside H, the Chebyshev coefficients, the Horner
//!   commit and its damping: at least as accurate as the separate products and sums, one
//!   instruction each at the AVX2/AVX-512 levels and libm's correctly rounded software `fma` at
//!   the baseline, so every level still gives the same bits (tested,
//!   `every_vector_level_gives_the_same_bits`; the baseline pays for it in speed).
//!
//! Bound (tested, `fast_hidden_update_error_bound`): |g_fast − g_direct| ≤ 1e-10 (1 + |g|) for every
//! edge of random factors spanning n = 65 … 3001, σ² from ≈ 1 to ≈ 3000, (θ − μ)/σ from −40 to 40
//! and t from 1e-9 to 1 (g_direct: the per-edge formula with libm-accurate moments; measured worst
//! 1e-11). That is seven orders of magnitude below the BP tolerance and ten below the Gaussian
//! approximation's own error, so it moves no fixed point that matters; it does change seeded
//! trajectories in their last bits, which chaotic runs (far above capacity) amplify. U, the
//! direct per-edge path's L values and the Bethe free entropy keep the accurate functions.
//!
//! # Speed
//! The Gaussian hidden update interpolates its edge function F(m̃) per factor on 10, 12 or 16
//! Chebyshev nodes (the perceptron's interpolant code, `bp::cheb`, at the tolerance above; else
//! the direct formula) and runs at the CPU's vector level: a factor costs O(n) branch-free
//! arithmetic (one exponential and one division per edge for the cavity magnetization, with μ and
//! σ² summed in the same loop; a Horner evaluation with the commit fused in, which also keeps the
//! largest |Δg|, so the residual pass, which takes tanh only where |Δg| exceeds the running
//! residual, runs only when that maximum does) plus 20–32 vectorized evaluations of
//! L = ln(q + t·H) (whole 8-lane vectors and one 4-lane remainder) and O(1) scalar work (the τ
//! side, K square roots two at a time); the U's of a pattern's units are computed side by side
//! after their weight messages, and the output factor (O(K³) products in linear space, the count
//! fixed at compile time for K = 3, 5, 7, log domain only when a tail underflows) runs at the
//! vector level too.
//!
//! Measured on the project machine (AMD EPYC (Zen 4), 2 shared cores, load average ≈ 1.1; one
//! thread, f64, AVX-512, CPU time, medians of 9 instances, each the median of 3 interleaved runs)
//! against rFBP 1.0.4 with `benches/rfbp_compare.py --rfbp RFBP --flatmin BIN --k K --n N --alpha
//! 0.3 --instances 9 --repeats 3 --mode sweep`: one sweep at K = 5, N = 201, P = 302 takes 1.03 ms
//! (rFBP 12.85 ms, **12.5×**; instances 10.4–14.2×), at K = 3, N = 335, P = 301 0.79 ms (rFBP
//! 13.97 ms, **17.7×**; 15.2–19.1×). Session 4's build, same script: K = 5 8.6×, K = 3 12.3×.
//! Solves: see that script's docstring.
//!
//! What took a K = 5 sweep from 1.38 to ≈ 0.95 ms (interleaved A/B of the bench's sweep mode, 1500
//! sweeps, 5 pairs; the same bits unless said): the output factor's convolution with K fixed at
//! compile time (−5 %); the node values as 2 + ½ vectors instead of 3 padded, the square roots
//! before the divisions, max |L| by a tree (−4 %); μ and σ² summed in the magnetization loop
//! (−3.6 %); the U's side by side (−3 %); the square roots two at a time (−2.7 %); clamp as one
//! min and one max (−1.7 %); the output factor at the vector level (−1.1 %); the residual pass
//! skipped by the commit's max |Δg| (−3.4 %); and fused multiply-adds (the cavity exponential and
//! the node values −14.6 %, the Horner commit −4 %, the coefficients ≈ −1 %; new bits, same
//! bound). Tried and measured slower or ±0, not kept: the Horner commit's tail in blocks of 8
//! (+3.7 %: one latency-bound vector each), the τ side computed before the cavity pass (±0), the
//! tail block's copy without memcpy (±0). Earlier sessions: software-pipelining the K units
//! (+8 %), one fused cavity pass (+3 %), touching the next pattern ahead (+1.5 %), batching the K
//! units' L values (+8 %), the residual fused into the commit (+15 %).
//!
//! # Memory (caller-provided)
//! [`CommitteeWorkspace::required_reals`] reals (P·K·n fields + 2P·K + 2K·n + scratch) and
//! [`CommitteeWorkspace::required_perm`] = P + K·n `u32`.

use super::bethe::BetheStats;
use super::cheb::{
    cheb_all, coefficients_tol, lane_max, residual_pass, rounding_tol, to_monomial, word_at, Fit,
    CHEB_K, CHEB_K_MID, CHEB_K_WIDE, CHEB_TABLE_LEN,
};
use super::focusing::{FbpParams, FocusingEngine};
use super::{factor, BpOutcome, BpParams, BpWorkspace, Convergence, FactorKind, Focus};
use crate::bits::{words_for, Patterns, PatternsMut};
use crate::error::{Result, ShapeError};
use crate::real::Real;
use crate::rng::{rng_from_seed, shuffle, Rng};
use crate::simd::Level;
use crate::special::{log_2cosh, log_cosh, log_h};
use crate::stability::Threshold;
use rand_core::RngCore;

/// Largest K accepted (keeps the output factor's O(K²) scratch small).
pub const MAX_K: usize = 255;

/// Which inputs a hidden unit sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Architecture {
    /// Every hidden unit sees all N inputs (K·N weights; the machine of \[SRC\] and rFBP).
    FullyConnected,
    /// Hidden unit k sees inputs k·n … (k+1)·n − 1, n = N/K (N weights; THEORY §S5).
    Tree,
}

/// A gauged committee-machine instance: P × N patterns (every label +1), K and the architecture.
#[derive(Clone, Copy, Debug)]
pub struct CommitteeInstance<'a> {
    /// Gauged patterns ξ^μ (P × N).
    pub patterns: Patterns<'a>,
    k: usize,
    arch: Architecture,
    n_in: usize,
    threshold: Threshold,
}

impl<'a> CommitteeInstance<'a> {
    /// Wraps gauged patterns. K must be odd, 1 ≤ K ≤ [`MAX_K`]; for the tree, K must divide N.
    pub fn new(patterns: Patterns<'a>, k: usize, arch: Architecture) -> Result<Self> {
        let n = patterns.n();
        if n == 0 {
            return Err(ShapeError::ZeroLength);
        }
        if k == 0 || k.is_multiple_of(2) || k > MAX_K {
            return Err(ShapeError::InvalidParameter("K must be odd, 1 <= K <= 255"));
        }
        let n_in = match arch {
            Architecture::FullyConnected => n,
            Architecture::Tree => {
                if !n.is_multiple_of(k) {
                    return Err(ShapeError::InvalidParameter(
                        "tree committee: K must divide N",
                    ));
                }
                n / k
            }
        };
        if k.checked_mul(n_in)
            .is_none_or(|w| w > u32::MAX as usize / 2)
        {
            return Err(ShapeError::InvalidParameter("K·N too large"));
        }
        Ok(CommitteeInstance {
            patterns,
            k,
            arch,
            n_in,
            threshold: Threshold::new(0.0, n_in)?,
        })
    }
    /// K.
    #[inline]
    pub fn k(&self) -> usize {
        self.k
    }
    /// The architecture.
    #[inline]
    pub fn architecture(&self) -> Architecture {
        self.arch
    }
    /// Inputs per hidden unit n (N fully connected, N/K tree).
    #[inline]
    pub fn n_in(&self) -> usize {
        self.n_in
    }
    /// Pattern length N.
    #[inline]
    pub fn n(&self) -> usize {
        self.patterns.n()
    }
    /// P.
    #[inline]
    pub fn p(&self) -> usize {
        self.patterns.p()
    }
    /// Number of weights K·n.
    #[inline]
    pub fn num_weights(&self) -> usize {
        self.k * self.n_in
    }
    /// Load per weight α = P/(K·n).
    #[inline]
    pub fn alpha(&self) -> f64 {
        self.p() as f64 / self.num_weights() as f64
    }
    /// The hidden units' threshold T(0) on n inputs.
    #[inline]
    pub fn threshold(&self) -> Threshold {
        self.threshold
    }
    /// First input of unit k.
    #[inline]
    fn offset(&self, k: usize) -> usize {
        match self.arch {
            Architecture::FullyConnected => 0,
            Architecture::Tree => k * self.n_in,
        }
    }
    /// The K × n weight matrix shape check.
    fn check_weights(&self, w: &Patterns<'_>) -> Result<()> {
        if w.n() != self.n_in || w.p() != self.k {
            return Err(ShapeError::LengthMismatch {
                expected: self.num_weights(),
                got: w.n() * w.p(),
            });
        }
        Ok(())
    }
    /// Stability s_{μk} = Σ_i w_{ki} ξ^μ_{off(k)+i} of unit k on pattern μ.
    pub fn hidden_stability(&self, w: &Patterns<'_>, mu: usize, k: usize) -> Result<i32> {
        self.check_weights(w)?;
        if mu >= self.p() || k >= self.k {
            return Err(ShapeError::IndexOutOfRange {
                index: mu.max(k),
                len: self.p().min(self.k),
            });
        }
        Ok(dot_at(
            w.row(k).words(),
            self.patterns.row(mu).words(),
            self.offset(k),
            self.n_in,
        ))
    }
    /// The output votes v_μ = Σ_k τ_{μk} (odd, in −K..=K) of the committee `w` (K × n) into `votes`
    /// (length P); returns the number of errors #{μ : v_μ ≤ 0}.
    pub fn errors(&self, w: &Patterns<'_>, votes: &mut [i32]) -> Result<usize> {
        self.check_weights(w)?;
        if votes.len() != self.p() {
            return Err(ShapeError::LengthMismatch {
                expected: self.p(),
                got: votes.len(),
            });
        }
        let t = self.threshold.t;
        let mut errors = 0;
        for (mu, v) in votes.iter_mut().enumerate() {
            let row = self.patterns.row(mu).words();
            let mut sum = 0i32;
            for k in 0..self.k {
                let s = dot_at(w.row(k).words(), row, self.offset(k), self.n_in);
                sum += if s >= t { 1 } else { -1 };
            }
            *v = sum;
            if sum <= 0 {
                errors += 1;
            }
        }
        Ok(errors)
    }
}

/// Σ_i w_i x_{off+i} for packed ±1 vectors (bit 1 ⇔ −1): `w` holds n bits from bit 0, `x` from bit
/// `off` (any alignment).
fn dot_at(w: &[u64], x: &[u64], off: usize, n: usize) -> i32 {
    let nw = words_for(n);
    let mut diff = 0u32;
    for (j, &wj) in w.iter().enumerate().take(nw) {
        let bit = off + 64 * j;
        let (q, r) = (bit / 64, bit % 64);
        let mut xj = x.get(q).copied().unwrap_or(0) >> r;
        if r != 0 {
            xj |= x.get(q + 1).copied().unwrap_or(0) << (64 - r);
        }
        let mask = if j + 1 == nw {
            crate::bits::last_word_mask(n)
        } else {
            !0
        };
        diff += ((wj ^ xj) & mask).count_ones();
    }
    n as i32 - 2 * diff as i32
}

/// A random committee instance from `seed` (ungauged; apply [`crate::instance::gauge`] before
/// BP): the stream is, in order, (teacher variant) the teacher's K rows of n bits, the P pattern rows
/// of N bits, (random variant) the labels, exactly as [`crate::instance::generate_random`] /
/// [`crate::instance::generate_teacher`] (which it reproduces for K = 1). Teacher labels are the
/// majority vote of the teacher committee (hidden threshold T(0): sign(0) = +1; with odd n the teacher
/// is a solution of the gauged instance). `teacher`: K × n; `labels`: words_for(P).
pub fn generate(
    seed: u64,
    k: usize,
    arch: Architecture,
    teacher: Option<&mut PatternsMut<'_>>,
    patterns: &mut PatternsMut<'_>,
    labels: &mut [u64],
) -> Result<()> {
    let p = patterns.p();
    if labels.len() != words_for(p) {
        return Err(ShapeError::LengthMismatch {
            expected: words_for(p),
            got: labels.len(),
        });
    }
    // Shape check on an empty view of the patterns.
    let probe = CommitteeInstance::new(patterns.as_patterns(), k, arch)?;
    let n_in = probe.n_in();
    let mut rng = rng_from_seed(seed);
    match teacher {
        Some(t) => {
            if t.n() != n_in || t.p() != k {
                return Err(ShapeError::LengthMismatch {
                    expected: k * n_in,
                    got: t.n() * t.p(),
                });
            }
            for r in 0..k {
                t.row_mut(r).fill_random(&mut rng);
            }
            for mu in 0..p {
                patterns.row_mut(mu).fill_random(&mut rng);
            }
            let inst = CommitteeInstance::new(patterns.as_patterns(), k, arch)?;
            labels.fill(0);
            let tw = t.as_patterns();
            for mu in 0..p {
                let row = inst.patterns.row(mu).words();
                let mut sum = 0i32;
                for u in 0..k {
                    let s = dot_at(tw.row(u).words(), row, inst.offset(u), n_in);
                    sum += if s >= inst.threshold.t { 1 } else { -1 };
                }
                if sum < 0 {
                    labels[mu / 64] |= 1u64 << (mu % 64);
                }
            }
        }
        None => {
            for mu in 0..p {
                patterns.row_mut(mu).fill_random(&mut rng);
            }
            for w in labels.iter_mut() {
                *w = rng.next_u64();
            }
            if let Some(last) = labels.last_mut() {
                *last &= crate::bits::last_word_mask(p);
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Numerical helpers

#[inline]
fn log_add<T: Real>(a: T, b: T) -> T {
    if a == T::NEG_INFINITY {
        return b;
    }
    if b == T::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// ln σ(x) = −ln(1 + e^{−x}).
#[inline]
fn log_sigmoid<T: Real>(x: T) -> T {
    if x >= T::ZERO {
        -(-x).exp().ln_1p()
    } else {
        x - x.exp().ln_1p()
    }
}

/// Clamp x to [lo, hi] (lo ≤ hi; NaN stays NaN), as [`factor::clamp`]: two selects in sequence.
#[inline]
fn clamp<T: Real>(x: T, lo: T, hi: T) -> T {
    let y = if x > hi { hi } else { x };
    if y < lo {
        lo
    } else {
        y
    }
}

/// Damps `new` against `*slot`, stores it, returns max(`floor`, |Δ tanh|); the tanh's are taken
/// only when |Δ| > `floor` (|Δ tanh| ≤ |Δ|, so the result is the same).
#[inline]
fn damp_store<T: Real>(slot: &mut T, new: T, damping: T, floor: T) -> T {
    let old = *slot;
    let new = if damping > T::ZERO {
        (T::ONE - damping) * new + damping * old
    } else {
        new
    };
    *slot = new;
    if (new - old).abs() > floor {
        floor.max((new.tanh() - old.tanh()).abs())
    } else {
        floor
    }
}

#[inline(always)]
fn xi_of(row: &[u64], i: usize) -> bool {
    (row[i / 64] >> (i % 64)) & 1 == 1
}

#[inline]
fn ceil_half(a: i64) -> i64 {
    -((-a).div_euclid(2))
}

/// Leave-one-out count distributions of n independent ±1 items in the log domain.
struct Loo<'s, T> {
    n: usize,
    lp: &'s mut [T],
    lm: &'s mut [T],
    pre: &'s mut [T],
    r: &'s mut [T],
    rup: &'s mut [T],
    rlow: &'s mut [T],
    /// Items in the suffix.
    m: usize,
}

const fn loo_len(n: usize) -> usize {
    2 * n + n * (n + 1) / 2 + 3 * (n + 1)
}

impl<'s, T: Real> Loo<'s, T> {
    fn new(scratch: &'s mut [T], n: usize) -> Self {
        let (lp, rest) = scratch.split_at_mut(n);
        let (lm, rest) = rest.split_at_mut(n);
        let (pre, rest) = rest.split_at_mut(n * (n + 1) / 2);
        let (r, rest) = rest.split_at_mut(n + 1);
        let (rup, rest) = rest.split_at_mut(n + 1);
        let rlow = &mut rest[..n + 1];
        Loo {
            n,
            lp,
            lm,
            pre,
            r,
            rup,
            rlow,
            m: 0,
        }
    }
    /// Builds the prefix distributions L_j (items < j) for j < n, and an empty suffix.
    fn build(&mut self) {
        if self.n > 0 {
            self.pre[0] = T::ZERO;
        }
        for j in 1..self.n {
            let (prev, cur) = self.pre.split_at_mut(j * (j + 1) / 2);
            let prev = &prev[(j - 1) * j / 2..];
            let cur = &mut cur[..j + 1];
            let (lp, lm) = (self.lp[j - 1], self.lm[j - 1]);
            for a in 0..=j {
                let take = if a >= 1 {
                    prev[a - 1] + lp
                } else {
                    T::NEG_INFINITY
                };
                let skip = if a < j { prev[a] + lm } else { T::NEG_INFINITY };
                cur[a] = log_add(take, skip);
            }
        }
        self.r[0] = T::ZERO;
        self.m = 0;
        self.tails();
    }
    /// Tails of the current suffix distribution.
    fn tails(&mut self) {
        let m = self.m;
        self.rup[m] = self.r[m];
        for c in (0..m).rev() {
            self.rup[c] = log_add(self.rup[c + 1], self.r[c]);
        }
        self.rlow[0] = self.r[0];
        for c in 1..=m {
            self.rlow[c] = log_add(self.rlow[c - 1], self.r[c]);
        }
    }
    /// Adds item `i` to the suffix (items are pushed from the last to the first).
    fn push(&mut self, i: usize) {
        let (lp, lm) = (self.lp[i], self.lm[i]);
        let m = self.m;
        self.r[m + 1] = self.r[m] + lp;
        for c in (1..=m).rev() {
            self.r[c] = log_add(self.r[c] + lm, self.r[c - 1] + lp);
        }
        self.r[0] += lm;
        self.m = m + 1;
        self.tails();
    }
    #[inline]
    fn rup_at(&self, c: i64) -> T {
        if c <= 0 {
            T::ZERO
        } else if c as usize > self.m {
            T::NEG_INFINITY
        } else {
            self.rup[c as usize]
        }
    }
    #[inline]
    fn rlow_at(&self, c: i64) -> T {
        if c < 0 {
            T::NEG_INFINITY
        } else if c as usize >= self.m {
            T::ZERO
        } else {
            self.rlow[c as usize]
        }
    }
    /// ln Pr[#(+1 among items ≠ i) ≥ c0], with items > i in the suffix.
    fn upper(&self, i: usize, c0: i64) -> T {
        let l = &self.pre[i * (i + 1) / 2..i * (i + 1) / 2 + i + 1];
        let mut acc = T::NEG_INFINITY;
        for (a, &la) in l.iter().enumerate() {
            if la != T::NEG_INFINITY {
                acc = log_add(acc, la + self.rup_at(c0 - a as i64));
            }
        }
        acc
    }
    /// ln Pr[#(+1 among items ≠ i) ≤ c1].
    fn lower(&self, i: usize, c1: i64) -> T {
        let l = &self.pre[i * (i + 1) / 2..i * (i + 1) / 2 + i + 1];
        let mut acc = T::NEG_INFINITY;
        for (a, &la) in l.iter().enumerate() {
            if la != T::NEG_INFINITY {
                acc = log_add(acc, la + self.rlow_at(c1 - a as i64));
            }
        }
        acc
    }
}

/// The exponential of the committee's cavity pass ([`factor::cavity_moments_with`] in the message
/// update; the accurate [`factor::cavity_moments_at`] serves the Bethe free entropy):
/// [`crate::special::exp_nonpos_fast_f64`] in f64 (relative error ≤ 1e-13; see "Numerics of the
/// Gaussian hidden factor" in the module docs), `libm` otherwise.
struct FastExp<const FMA: bool>;

impl<const FMA: bool> factor::ExpNonpos for FastExp<FMA> {
    #[inline(always)]
    fn exp_f64(x: f64) -> f64 {
        crate::special::exp_nonpos_fast_f64::<FMA>(x)
    }
}

/// Absolute acceptance tolerance of the hidden factor's Chebyshev interpolant in f64 (the
/// perceptron's is the rounding level 256 ε·max|L| only): the interpolant is accepted when its last
/// two coefficients sum to at most max(256 ε·max|L|, [`FIT_TOL`]). Error bound and why it is
/// harmless: module docs, "Numerics of the Gaussian hidden factor".
pub const FIT_TOL: f64 = 1e-11;

/// Variance floor (a deterministic cavity sum).
#[inline]
fn var_floor<T: Real>() -> T {
    T::EPSILON * T::EPSILON
}

/// (ln((1+t)/2), ln((1−t)/2)) of the τ message with field D.
#[inline]
fn tau_logs<T: Real>(d: T) -> (T, T) {
    (log_sigmoid(d + d), log_sigmoid(-(d + d)))
}

/// ln((1+t)/2·p + (1−t)/2·(1−p)) from ln p, ln(1−p).
#[inline]
fn mix<T: Real>(ltp: T, ltm: T, lp: T, lq: T) -> T {
    log_add(ltp + lp, ltm + lq)
}

/// Cavity variance from which the 10-node interpolant ([`CHEB_K_WIDE`]) is tried first. F's
/// Chebyshev coefficients fall roughly like (2σ)^−j; at the tolerance [`FIT_TOL`] the 10-node
/// interpolant is accepted for ≈ 87 % of random factors at σ² = 100 and ≥ 99 % from σ² = 150
/// (θ − μ ~ N(0, 1.2²)·σ, t uniform or within 1e-8 of 1; at the old 256 ε·max|L| it took σ² ≳ 300).
pub const WIDE_VAR: f64 = 100.0;
/// Cavity variance from which the 12-node interpolant ([`CHEB_K_MID`]) is tried first (accepted for
/// ≥ 95 % of the same random factors from σ² = 40 at [`FIT_TOL`]); below it the 16-node one
/// ([`CHEB_K`]) is tried directly, and the 16-node one is the fallback of the others.
pub const MID_VAR: f64 = 30.0;
/// Cavity variance below which no interpolant is tried (F too sharp for 16 nodes; the direct
/// formula runs).
pub const MIN_FIT_VAR: f64 = 2.0;
/// Length of the Chebyshev table at the start of the Gaussian workspace's scratch (the perceptron's
/// table, [`super::factor::fill_cheb_table`]).
pub const CHEB_LEN: usize = CHEB_TABLE_LEN;

/// The edge function of the Gaussian hidden update: g_{μk→i} = ξ_i F(m̃), m̃ = ξ_i m_{i→μ},
/// F(m̃) = ½[L((b + m̃ − 1)/s) − L((b + m̃ + 1)/s)], s² = σ² − (1 − m̃²), b = θ − μ,
/// L(x) = ln((1−t)/2 + t H(x)). Returns (F, max |L|). (The reference of the unit tests.)
#[cfg(test)]
fn hidden_edge<T: Real>(b: T, var: T, mt: T, tau: &TauSide<T>) -> (T, T) {
    let sb = (var - (T::ONE - mt * mt)).max(var_floor()).sqrt();
    let lp = tau_mix_any::<T, false>(tau, (b + mt - T::ONE) / sb);
    let lm = tau_mix_any::<T, false>(tau, (b + mt + T::ONE) / sb);
    (T::HALF * (lp - lm), lp.abs().max(lm.abs()))
}

/// L(x) = ln((1−t)/2 + t H(x)): in f64 the branch-free [`tau_mix_lin_f64`] when q = (1−t)/2 is a
/// normal number far from underflow (q ≥ 1e-200, i.e. D ≤ 230: always with the default G_max), else
/// the branch-free log-domain [`tau_mix_f64`] (both vectorize); the scalar [`tau_mix`] otherwise
/// (f32 on firmware).
#[inline(always)]
fn tau_mix_any<T: Real, const FMA: bool>(tau: &TauSide<T>, x: T) -> T {
    if T::EPSILON.to_f64() < 1e-10 {
        if tau.lin {
            T::from_f64(tau_mix_lin_f64::<FMA>(
                tau.q.to_f64(),
                tau.t.to_f64(),
                x.to_f64(),
            ))
        } else {
            T::from_f64(tau_mix_f64(tau.ltm.to_f64(), tau.ln_t.to_f64(), x.to_f64()))
        }
    } else {
        tau_mix(tau, x)
    }
}

/// H(x) = ½ erfc(x/√2) in f64 without branches or library calls: H(|x|) = ½E·e^{−x²/2} with
/// E = erfcx(|x|/√2) ([`erfcx_estrin_f64`]) and x² split exactly (Veltkamp:
/// x² = x_h² + ℓ with x_h² exact), e^{−x²/2} = e^{−x_h²/2}·e^{−ℓ/2} (the first by
/// [`factor::exp_nonpos_f64`], the second by its second-order Taylor polynomial; relative error a
/// few ulp; |x| capped at 40, where H(40) ≈ 0 to the last subnormal), and H(x) = 1 − H(|x|) for
/// x ≤ 0. `FMA`: as [`crate::simd::Kernel::run`] (the erfcx polynomial in fused multiply-adds;
/// the same bits either way).
#[inline(always)]
fn h_f64<const FMA: bool>(x: f64) -> f64 {
    let ax = f64::from_bits(x.to_bits() & !(1 << 63));
    let e = crate::special::erfcx_estrin_f64::<FMA>(ax * core::f64::consts::FRAC_1_SQRT_2);
    let xc = if ax < 40.0 { ax } else { 40.0 };
    let c = xc * 134_217_729.0; // 2²⁷ + 1
    let xh = c - (c - xc);
    let xl = xc - xh;
    let hi = -0.5 * (xh * xh);
    let lo = -0.5 * ((xh + xh) * xl + xl * xl);
    // e^{lo} = 1 + lo + lo²/2 to 1e-21 (|lo| ≤ x_c²·2⁻²⁶ ≈ 2.4e-5).
    let ex = factor::exp_nonpos_f64(hi);
    let tail = 0.5 * e * (ex * (1.0 + lo * (1.0 + 0.5 * lo)));
    if x > 0.0 {
        tail
    } else {
        1.0 - tail
    }
}

/// H(x) for the interpolant's node values: [`h_f64`]'s formula in fused multiply-adds
/// ([`crate::simd::mul_add`]): erfcx by [`crate::special::erfcx_estrin_f64`], x² exactly as
/// h + ℓ with h = fl(x²) and ℓ = fma(x, x, −h) (|ℓ| ≤ ulp(x²)/2 ≤ 1e-13, so e^{−ℓ/2} = 1 − ℓ/2 to
/// 1e-27), e^{−h/2} by [`crate::special::exp_nonpos_fast_f64`] (relative error ≤ 1e-13). The same
/// bits at every vector level.
/// (U and the direct path keep [`h_f64`]'s split and exponential: one H for all, tried, changes
/// U's last bits and sends the seeded committee test `runaway_rule_scales_with_the_number_of_weights`
/// down another trajectory.)
#[inline(always)]
fn h_fit_f64<const FMA: bool>(x: f64) -> f64 {
    use crate::simd::mul_add;
    let ax = f64::from_bits(x.to_bits() & !(1 << 63));
    let e = crate::special::erfcx_estrin_f64::<FMA>(ax * core::f64::consts::FRAC_1_SQRT_2);
    let hx = -0.5 * if ax < 40.0 { ax } else { 40.0 }; // exact
    let xc = -2.0 * hx;
    let hi = hx * xc;
    let lo = mul_add::<FMA>(hx, xc, -hi);
    let ex = crate::special::exp_nonpos_fast_f64::<FMA>(hi);
    let tail = 0.5 * e * mul_add::<FMA>(ex, lo, ex);
    if x > 0.0 {
        tail
    } else {
        1.0 - tail
    }
}

/// L(x) = ln(q + t·H(x)) for the interpolant's node values: as [`tau_mix_lin_f64`] with
/// [`h_fit_f64`] and [`crate::special::ln_pos_estrin_f64`] in fused multiply-adds (absolute error
/// ≤ 1e-12·max(1, |L|), far below [`FIT_TOL`]; covered by the error-bound test of the update).
#[inline(always)]
fn tau_mix_fit_f64<const FMA: bool>(q: f64, t: f64, x: f64) -> f64 {
    crate::special::ln_pos_estrin_f64::<FMA>(crate::simd::mul_add::<FMA>(t, h_fit_f64::<FMA>(x), q))
}

/// L(x) = ln(q + t·H(x)) in f64, branch-free ([`h_f64`], [`crate::special::ln_pos_f64`]), for
/// q ≥ 1e-200 (so the argument is a normal number ≥ q and no cancellation occurs: both terms are
/// positive). Absolute error a few ulp (tested against the log-domain formula).
#[inline(always)]
fn tau_mix_lin_f64<const FMA: bool>(q: f64, t: f64, x: f64) -> f64 {
    crate::special::ln_pos_f64(q + t * h_f64::<FMA>(x))
}

/// L(x) = ln((1−t)/2 + t H(x)) = log-sum-exp of `ltm` = ln((1−t)/2) and `ln_t` + ln H(x), in f64
/// without branches or library calls (a loop over it vectorizes, and every vector level computes
/// the same operations in the same order): ln H by [`crate::special::log_h_f64`], then
/// hi + ln(1 + y), y = e^{lo − hi} ∈ (0, 1] by [`factor::exp_nonpos_f64`], and the compensated
/// ln(1 + y) = ln u + (y − (u − 1))/u, u = 1 + y, by [`crate::special::ln_pos_f64`]. Absolute error a
/// few ulp of max(|L|, 1) (tested against the log-domain formula).
#[inline(always)]
fn tau_mix_f64(ltm: f64, ln_t: f64, x: f64) -> f64 {
    let b = ln_t + crate::special::log_h_f64(x);
    let (hi, lo) = if ltm > b { (ltm, b) } else { (b, ltm) };
    let y = factor::exp_nonpos_f64(lo - hi);
    let u = 1.0 + y;
    hi + (crate::special::ln_pos_f64(u) + (y - (u - 1.0)) / u)
}

/// L(x) = ln((1−t)/2 + t H(x)) from ln((1−t)/2) and ln t: in linear space (one erfc, one ln) while
/// H(x) ≥ H(5) ≈ 3e-7 (no underflow, a sum of two positives), in the log domain beyond.
#[inline]
fn tau_mix<T: Real>(tau: &TauSide<T>, x: T) -> T {
    if x <= T::from_f64(5.0) {
        (tau.q + tau.t * crate::special::h(x)).ln()
    } else {
        log_add(tau.ltm, tau.ln_t + log_h(x))
    }
}

/// The τ side of a hidden factor: q = (1−t)/2, t = tanh D and their logarithms; `lin`: q ≥ 1e-200
/// (the linear-space L of [`tau_mix_lin_f64`] is accurate).
#[derive(Clone, Copy)]
struct TauSide<T> {
    q: T,
    t: T,
    ltm: T,
    ln_t: T,
    lin: bool,
}

impl<T: Real> TauSide<T> {
    /// From the field D ≥ 0. In f64 with q ≥ 1e-200 only q = e/(1 + e), e = e^{−2D}, and
    /// t = tanh D are needed ([`tau_mix_lin_f64`]); the logarithms are filled otherwise.
    #[inline(always)]
    fn new(d: T) -> Self {
        if T::EPSILON.to_f64() < 1e-10 {
            let df = d.to_f64();
            let e = factor::exp_nonpos_f64(-2.0 * df.abs());
            let q = e / (1.0 + e);
            if q >= 1e-200 {
                // tanh D = (1 − e)/(1 + e): for small D, 1 − e cancels, but its absolute error
                // stays ≈ ε, and L and g depend on t only through t·(H − ½)-like terms, so g
                // moves by ≈ ε at most (covered by the error-bound test).
                let t = (1.0 - e) / (1.0 + e);
                return TauSide {
                    q: T::from_f64(q),
                    t: T::from_f64(t),
                    ltm: T::NEG_INFINITY, // unused when `lin`
                    ln_t: T::NEG_INFINITY,
                    lin: true,
                };
            }
        }
        let (_, ltm) = tau_logs(d);
        let t = d.tanh();
        TauSide {
            q: ltm.exp(),
            t,
            ltm,
            ln_t: t.ln(),
            lin: false,
        }
    }
}

/// U = ½[ln H(x) − ln H(−x)], the field of a hidden unit's firing probability H(x): in f64 for
/// |x| < 30 from one tail H(|x|) ([`h_f64`]) and two [`crate::special::ln_pos_f64`]
/// (½[ln(1 − H(|x|)) − ln H(|x|)], sign by x), else by two [`log_h`].
#[inline(always)]
fn up_field<T: Real, const FMA: bool>(x: T) -> T {
    if T::EPSILON.to_f64() < 1e-10 && x.to_f64().abs() < 30.0 {
        return T::from_f64(up_field_near_f64::<FMA>(x.to_f64()));
    }
    T::HALF * (log_h(x) - log_h(-x))
}

/// [`up_field`] in f64 for |x| < 30, without branches (a loop over it vectorizes).
#[inline(always)]
fn up_field_near_f64<const FMA: bool>(x: f64) -> f64 {
    let tail = h_f64::<FMA>(x.abs());
    let d = 0.5 * (crate::special::ln_pos_f64(1.0 - tail) - crate::special::ln_pos_f64(tail));
    if x > 0.0 {
        -d
    } else {
        d
    }
}

/// Units whose U [`up_fields`] updates in one pass.
const UP_BATCH: usize = 8;

/// The U update of up to [`UP_BATCH`] hidden units of a pattern: U_k ← damped
/// clamp([`up_field`](x_k)) for the arguments `x` (from [`hidden_gaussian`]), the same values as
/// unit by unit, in f64 side by side in one vectorized pass (|x| ≥ 30 or NaN: [`up_field`] lane by
/// lane). Returns max(`floor`, residual).
struct UpFields<'a, T> {
    x: &'a [T; UP_BATCH],
    up: &'a mut [T],
    damping: T,
    g_max: T,
    floor: T,
}

impl<T: Real> crate::simd::Kernel for UpFields<'_, T> {
    type Output = T;
    #[inline(always)]
    fn run<const FMA: bool>(self) -> T {
        let UpFields {
            x,
            up,
            damping,
            g_max,
            floor,
        } = self;
        let mut new = [T::ZERO; UP_BATCH];
        if T::EPSILON.to_f64() < 1e-10 {
            for (nv, &xv) in new.iter_mut().zip(x) {
                *nv = T::from_f64(up_field_near_f64::<FMA>(xv.to_f64()));
            }
        }
        let mut residual = floor;
        for ((slot, &nv), &xv) in up.iter_mut().zip(&new).zip(x) {
            let nv = if T::EPSILON.to_f64() < 1e-10 && xv.to_f64().abs() < 30.0 {
                nv
            } else {
                up_field::<T, FMA>(xv)
            };
            residual = damp_store(slot, clamp(nv, -g_max, g_max), damping, residual);
        }
        residual
    }
}

/// Runs [`UpFields`] at `level`.
fn up_fields<T: Real>(
    level: Level,
    x: &[T; UP_BATCH],
    up: &mut [T],
    damping: T,
    g_max: T,
    floor: T,
) -> T {
    crate::simd::run(
        level,
        UpFields {
            x,
            up,
            damping,
            g_max,
            floor,
        },
    )
}

/// Chebyshev interpolant of F on `K` nodes (`part`: that part of the shared table), through
/// [`super::cheb::coefficients`]: the 2K values L((b + x_k ∓ 1)/s_k) side by side (a loop that
/// vectorizes in f64), then F = ½(L₋ − L₊) and scale max |L|.
#[inline(always)]
fn hidden_fit<T: Real, const K: usize, const FMA: bool>(
    b: T,
    var: T,
    tau: &TauSide<T>,
    part: &[T],
) -> Option<([T; CHEB_K], usize, T)> {
    if part.len() < K * (K + 1) {
        return None;
    }
    let nodes = &part[..K];
    // Arguments: x_k's two at [k] and [K + k]: the K square roots (in f64 two at a time), then the
    // 2K divisions in a loop of their own (which vectorizes).
    let mut sbs = [T::ONE; CHEB_K];
    if T::EPSILON.to_f64() < 1e-10 {
        let mut sq = [1.0f64; CHEB_K];
        for (q, &x) in sq[..K].iter_mut().zip(nodes) {
            *q = (var - (T::ONE - x * x)).max(var_floor()).to_f64();
        }
        crate::special::sqrt_f64_pairs(&mut sq[..K]);
        for (sb, &q) in sbs[..K].iter_mut().zip(&sq[..K]) {
            *sb = T::from_f64(q);
        }
    } else {
        for (sb, &x) in sbs[..K].iter_mut().zip(nodes) {
            *sb = (var - (T::ONE - x * x)).max(var_floor()).sqrt();
        }
    }
    let mut xs = [T::ZERO; 2 * CHEB_K];
    for k in 0..K {
        let x = nodes[k];
        xs[k] = (b + x - T::ONE) / sbs[k];
        xs[K + k] = (b + x + T::ONE) / sbs[k];
    }
    let mut ls = [T::ZERO; 2 * CHEB_K];
    if tau.lin && T::EPSILON.to_f64() < 1e-10 {
        // The f64 linear-space L, with the mode test hoisted out of the loop (which vectorizes):
        // whole 8-lane vectors, then a remaining 4 (2K = 20 for the 10-node interpolant) in a
        // loop of fixed length 4 (one 4-lane vector; a scalar remainder would cost more than a
        // fifth 8-lane vector did).
        let (q, t) = (tau.q.to_f64(), tau.t.to_f64());
        let m8 = 2 * K - (2 * K) % 8;
        for (lv, &x) in ls[..m8].iter_mut().zip(&xs[..m8]) {
            *lv = T::from_f64(tau_mix_fit_f64::<FMA>(q, t, x.to_f64()));
        }
        if m8 < 2 * K {
            let (lr, xr) = (&mut ls[m8..m8 + 4], &xs[m8..m8 + 4]);
            for j in 0..4 {
                lr[j] = T::from_f64(tau_mix_fit_f64::<FMA>(q, t, xr[j].to_f64()));
            }
        }
    } else {
        for (l, &x) in ls[..2 * K].iter_mut().zip(&xs[..2 * K]) {
            *l = tau_mix_any::<T, FMA>(tau, x);
        }
    }
    // F at the nodes, and max(1, max |L|) lane-wise and by `lane_max` (a NaN L makes F NaN and
    // the interpolant is refused whatever the scale).
    let mut f = [T::ZERO; K];
    let mut mx = [T::ONE; CHEB_K];
    let max = |a: T, b: T| if b > a { b } else { a };
    for k in 0..K {
        let (la, lb) = (ls[k], ls[K + k]);
        f[k] = T::HALF * (la - lb);
        mx[k] = max(T::ONE, max(la.abs(), lb.abs()));
    }
    let scale = lane_max(mx);
    let rounding = rounding_tol(scale);
    let tol = if T::EPSILON.to_f64() < 1e-10 {
        rounding.max(T::from_f64(FIT_TOL))
    } else {
        rounding
    };
    coefficients_tol::<T, K, true, FMA>(&f, tol, part)
}

/// The arguments of [`hidden_gaussian`] as a kernel run at the CPU's vector level.
struct HiddenGaussian<'a, T> {
    level: Level,
    row: &'a [u64],
    off: usize,
    g: &'a mut [T],
    h: &'a mut [T],
    d: T,
    cheb: &'a [T],
    scratch: &'a mut [T],
    theta: T,
    damping: T,
    g_max: T,
    floor: T,
}

impl<T: Real> crate::simd::Kernel for HiddenGaussian<'_, T> {
    type Output = (T, T);
    #[inline(always)]
    fn run<const FMA: bool>(self) -> (T, T) {
        hidden_gaussian_body::<T, FMA>(self)
    }
}

/// The Gaussian hidden-factor update of the messages to the weights (K ≥ 3). Returns
/// (max(`floor`, residual), x) with x = (θ − μ)/σ the argument of the unit's new U
/// ([`up_field`]; the caller updates U, for several units at once, see [`up_fields`]): a sweep
/// passes its running residual, so edges whose |Δg| does not exceed it need no tanh.
///
/// F(m̃) depends on the edge only through m̃ ∈ (−1, 1), so it is interpolated per factor on
/// Chebyshev nodes ([`CHEB_K_WIDE`] first when σ² ≥ [`WIDE_VAR`], [`CHEB_K_MID`] first when
/// σ² ≥ [`MID_VAR`], then [`CHEB_K`]: 2·10 to 2·16 evaluations of L per factor instead of 2n, side
/// by side so that they vectorize), accepted when the
/// interpolant's last two coefficients sum to at most max(256 ε·max|L|, [`FIT_TOL`]) (F smooth: σ²
/// well above 1; the bound this gives on g: module docs, "Numerics of the Gaussian hidden
/// factor"), and
/// evaluated with the commit fused in by the perceptron's blocked Horner/Clenshaw
/// ([`super::cheb`]); otherwise (σ² < [`MIN_FIT_VAR`], n ≤ 64 or no accurate interpolant) every edge
/// is evaluated directly, in f64 by the branch-free [`tau_mix_lin_f64`]. Runs at the CPU's widest vector
/// level ([`crate::simd`]; every level gives the same bits).
#[allow(clippy::too_many_arguments)]
fn hidden_gaussian<T: Real>(
    level: Level,
    row: &[u64],
    off: usize,
    g: &mut [T],
    h: &mut [T],
    d: T,
    cheb: &[T],
    scratch: &mut [T],
    theta: T,
    damping: T,
    g_max: T,
    floor: T,
) -> (T, T) {
    crate::simd::run(
        level,
        HiddenGaussian {
            level,
            row,
            off,
            g,
            h,
            d,
            cheb,
            scratch,
            theta,
            damping,
            g_max,
            floor,
        },
    )
}

#[inline(always)]
fn hidden_gaussian_body<T: Real, const FMA: bool>(a: HiddenGaussian<'_, T>) -> (T, T) {
    let HiddenGaussian {
        level,
        row,
        off,
        g,
        h,
        d,
        cheb,
        scratch,
        theta,
        damping,
        g_max,
        floor,
    } = a;
    let n = g.len().min(h.len());
    let (g, h) = (&mut g[..n], &mut h[..n]);
    let (xm, rest) = scratch.split_at_mut(n);
    let vs = &mut rest[..n];
    let (mean, var) = factor::cavity_moments_with::<T, FastExp<FMA>>(row, off, g, h, xm, vs);
    let s = var.max(var_floor()).sqrt();
    let x = (theta - mean) / s;
    let mut residual = floor;
    // τ side: t = tanh D ≥ 0; L(x) = ln((1−t)/2 + t H(x)).
    let tau = TauSide::new(d);
    if tau.t <= T::ZERO {
        // No information from the output: g = 0.
        for i in 0..n {
            let cav = h[i] - g[i];
            residual = damp_store(&mut g[i], T::ZERO, damping, residual);
            h[i] = cav + g[i];
        }
        return (residual, x);
    }
    let b = theta - mean;
    let fit = if n > 64 && var >= T::from_f64(MIN_FIT_VAR) && cheb.len() >= CHEB_TABLE_LEN {
        let (big, rest) = cheb.split_at(CHEB_K * (CHEB_K + 1));
        let (mid, wide) = rest.split_at(CHEB_K_MID * (CHEB_K_MID + 1));
        let first = if var >= T::from_f64(WIDE_VAR) {
            hidden_fit::<T, CHEB_K_WIDE, FMA>(b, var, &tau, wide)
        } else if var >= T::from_f64(MID_VAR) {
            hidden_fit::<T, CHEB_K_MID, FMA>(b, var, &tau, mid)
        } else {
            None
        };
        if first.is_some() {
            first
        } else {
            hidden_fit::<T, CHEB_K, FMA>(b, var, &tau, big)
        }
    } else {
        None
    };
    if let Some((c, deg, tol)) = fit {
        let fit = Fit {
            c,
            deg,
            mono: to_monomial(&c, deg, tol),
            damping,
            g_max,
        };
        let dmax = match level {
            Level::Avx512 => cheb_all::<T, 32, true, FMA>(row, off, xm, g, h, &fit),
            Level::Avx2 => cheb_all::<T, 16, true, FMA>(row, off, xm, g, h, &fit),
            Level::Baseline => cheb_all::<T, 8, true, FMA>(row, off, xm, g, h, &fit),
        };
        if dmax > residual {
            residual = residual_pass(g, xm, residual);
        }
        return (residual, x);
    }
    // Direct: σ̄ per edge (own loop: the square root does not vectorize), then F per edge, then
    // the commit (sign ξ per pattern word, clamp, damping, totals; old fields into `xm`).
    let floor_var = var_floor();
    for v in vs.iter_mut() {
        *v = (var - *v).max(floor_var).sqrt();
    }
    for i in 0..n {
        let (mt, sb) = (xm[i], vs[i]);
        let lp = tau_mix_any::<T, FMA>(&tau, (b + mt - T::ONE) / sb);
        let lm = tau_mix_any::<T, FMA>(&tau, (b + mt + T::ONE) / sb);
        vs[i] = T::HALF * (lp - lm);
    }
    let keep = T::ONE - damping;
    for (j, ((gc, hc), (vc, xc))) in g
        .chunks_mut(64)
        .zip(h.chunks_mut(64))
        .zip(vs.chunks(64).zip(xm.chunks_mut(64)))
        .enumerate()
    {
        let word = word_at(row, off + 64 * j);
        let len = gc.len().min(hc.len()).min(vc.len()).min(xc.len());
        for l in 0..len {
            let v = vc[l];
            let v = clamp(if (word >> l) & 1 == 1 { -v } else { v }, -g_max, g_max);
            let old = gc[l];
            let new = if damping > T::ZERO {
                keep * v + damping * old
            } else {
                v
            };
            hc[l] = (hc[l] - old) + new;
            gc[l] = new;
            xc[l] = old;
        }
    }
    (residual_pass(g, xm, residual), x)
}

/// ln Z of a Gaussian hidden factor with τ message D.
fn hidden_gaussian_log_z<T: Real>(
    row: &[u64],
    off: usize,
    g: &[T],
    h: &[T],
    d: T,
    scratch: &mut [T],
    theta: T,
) -> T {
    let n = g.len();
    let (xm, rest) = scratch.split_at_mut(n);
    let vs = &mut rest[..n];
    let (mean, var) = factor::cavity_moments_at(row, off, g, h, xm, vs);
    let s = var.max(var_floor()).sqrt();
    let x = (theta - mean) / s;
    let (ltp, ltm) = tau_logs(d);
    mix(ltp, ltm, log_h(x), log_h(-x))
}

/// Fills the item log-probabilities of a hidden factor (x_j = ξ_j w_j, P(+) = σ(2ξ_j h_j)).
fn hidden_items<T: Real>(row: &[u64], off: usize, g: &[T], h: &[T], loo: &mut Loo<'_, T>) {
    for j in 0..g.len() {
        let c = h[j] - g[j];
        let z = if xi_of(row, off + j) { -(c + c) } else { c + c };
        loo.lp[j] = log_sigmoid(z);
        loo.lm[j] = log_sigmoid(-z);
    }
    loo.build();
}

/// The exact hidden-factor update (K ≥ 3). Returns the residual.
#[allow(clippy::too_many_arguments)]
fn hidden_exact<T: Real>(
    row: &[u64],
    off: usize,
    g: &mut [T],
    h: &mut [T],
    up: &mut T,
    d: T,
    scratch: &mut [T],
    t: i32,
    damping: T,
    g_max: T,
) -> T {
    let n = g.len();
    let mut loo = Loo::new(scratch, n);
    hidden_items(row, off, g, h, &mut loo);
    let (ltp, ltm) = tau_logs(d);
    let base = i64::from(t) + n as i64 - 1;
    let mut residual = T::ZERO;
    for i in (0..n).rev() {
        let xi: i64 = if xi_of(row, off + i) { -1 } else { 1 };
        let cp = ceil_half(base - xi);
        let cm = ceil_half(base + xi);
        let lpl = mix(ltp, ltm, loo.upper(i, cp), loo.lower(i, cp - 1));
        let lmi = mix(ltp, ltm, loo.upper(i, cm), loo.lower(i, cm - 1));
        let new = if lpl == T::NEG_INFINITY && lmi == T::NEG_INFINITY {
            T::ZERO
        } else {
            clamp(T::HALF * (lpl - lmi), -g_max, g_max)
        };
        let cav = h[i] - g[i];
        residual = damp_store(&mut g[i], new, damping, residual);
        h[i] = cav + g[i];
        loo.push(i);
    }
    // Full distribution: s = 2c − n ≥ T ⇔ c ≥ ⌈(T + n)/2⌉.
    let c0 = ceil_half(i64::from(t) + n as i64);
    let lup = loo.rup_at(c0);
    let llow = loo.rlow_at(c0 - 1);
    let new_u = clamp(T::HALF * (lup - llow), -g_max, g_max);
    damp_store(up, new_u, damping, residual)
}

/// ln Z of an exact hidden factor with τ message D.
fn hidden_exact_log_z<T: Real>(
    row: &[u64],
    off: usize,
    g: &[T],
    h: &[T],
    d: T,
    scratch: &mut [T],
    t: i32,
) -> T {
    let n = g.len();
    let mut loo = Loo::new(scratch, n);
    hidden_items(row, off, g, h, &mut loo);
    for i in (0..n).rev() {
        loo.push(i);
    }
    let c0 = ceil_half(i64::from(t) + n as i64);
    let (ltp, ltm) = tau_logs(d);
    mix(ltp, ltm, loo.rup_at(c0), loo.rlow_at(c0 - 1))
}

/// Largest K for the linear-space output update.
const LINEAR_K: usize = 15;

/// The output-factor update in linear probability space (f64), for K ≤ [`LINEAR_K`]: for each k
/// the count distribution of the others by direct convolution (O(K²) per unit, K ≤ 15). Returns
/// `None` (nothing written) when a needed tail probability is below 1e-280 (then the log-domain
/// update runs instead). Runs at `level` ([`crate::simd`]: the K firing probabilities and the K
/// logarithms side by side; every level gives the same bits).
fn output_update_linear<T: Real>(
    level: Level,
    up: &[T],
    down: &mut [T],
    damping: T,
    g_max: T,
    floor: T,
) -> Option<T> {
    if !(3..=LINEAR_K).contains(&up.len()) || down.len() != up.len() {
        return None;
    }
    crate::simd::run(
        level,
        OutputLinear {
            up,
            down,
            damping,
            g_max,
            floor,
        },
    )
}

/// The arguments of [`output_update_linear`] as a kernel.
struct OutputLinear<'a, T> {
    up: &'a [T],
    down: &'a mut [T],
    damping: T,
    g_max: T,
    floor: T,
}

impl<T: Real> crate::simd::Kernel for OutputLinear<'_, T> {
    type Output = Option<T>;
    #[inline(always)]
    fn run<const FMA: bool>(self) -> Option<T> {
        // The common K with the count known at compile time: the loops unroll and the count
        // distribution stays in registers (the same operations in the same order: the same bits).
        match self.up.len() {
            3 => output_linear::<T, 3>(self),
            5 => output_linear::<T, 5>(self),
            7 => output_linear::<T, 7>(self),
            _ => output_linear::<T, LINEAR_K>(self),
        }
    }
}

/// [`output_update_linear`] for K = `CAP` (or, with `CAP` = [`LINEAR_K`], any K ≤ `CAP`): the new
/// D_j = ½ ln(Pr[c ≥ (K−1)/2] / Pr[c ≥ (K+1)/2]), c the number of +1's among the others. The
/// convolution always runs over all `CAP` − 1 others and all `CAP` counts (so that with `CAP` = K
/// every loop has a fixed length): the probabilities past K are 0 and the counts past the running
/// length are +0, so the extra steps compute x·1 + 0·p = x and 0·(1 − p) + 0·p = +0 and change no
/// bit. The K ratios are formed first and their logarithms taken in one loop (which vectorizes).
#[inline(always)]
fn output_linear<T: Real, const CAP: usize>(a: OutputLinear<'_, T>) -> Option<T> {
    let OutputLinear {
        up,
        down,
        damping,
        g_max,
        floor,
    } = a;
    let k = if CAP < LINEAR_K { CAP } else { up.len() };
    let (up, down) = (&up[..k], &mut down[..k]);
    let mut p = [0.0f64; LINEAR_K];
    for (pj, &u) in p[..k].iter_mut().zip(up) {
        let u = u.to_f64();
        // σ(2u) without overflow.
        let e = factor::exp_nonpos_f64(-2.0 * u.abs());
        *pj = if u >= 0.0 { 1.0 } else { e } / (1.0 + e);
    }
    let half = (k - 1) / 2;
    let mut ratio = [1.0f64; LINEAR_K];
    let mut ok = true;
    for (j, rj) in ratio[..k].iter_mut().enumerate() {
        let mut dist = [0.0f64; CAP];
        dist[0] = 1.0;
        for (l, &pl) in p[..CAP].iter().enumerate() {
            if l == j {
                continue;
            }
            for c in (1..CAP).rev() {
                dist[c] = dist[c] * (1.0 - pl) + dist[c - 1] * pl;
            }
            dist[0] *= 1.0 - pl;
        }
        // Pr[c ≥ half] and Pr[c ≥ half + 1] over the K − 1 others.
        let b: f64 = dist[half + 1..].iter().sum();
        let a = b + dist[half];
        ok &= b > 1e-280 && a.is_finite();
        *rj = a / b;
    }
    if !ok {
        return None;
    }
    let mut news = [0.0f64; LINEAR_K];
    for (nj, &rj) in news[..k].iter_mut().zip(&ratio[..k]) {
        *nj = 0.5 * crate::special::ln_pos_f64(rj);
    }
    let mut residual = floor;
    for (d, &nv) in down.iter_mut().zip(&news[..k]) {
        let new = clamp(T::from_f64(nv), T::ZERO, g_max);
        residual = damp_store(d, new, damping, residual);
    }
    Some(residual)
}

/// The exact output-factor update: D_k from the U's (linear space when safe, else log domain).
/// Returns the residual.
fn output_update<T: Real>(
    level: Level,
    up: &[T],
    down: &mut [T],
    scratch: &mut [T],
    damping: T,
    g_max: T,
    floor: T,
) -> T {
    if let Some(r) = output_update_linear(level, up, down, damping, g_max, floor) {
        return r;
    }
    let k = up.len();
    let mut loo = Loo::new(scratch, k);
    for (j, &u) in up.iter().enumerate() {
        loo.lp[j] = log_sigmoid(u + u);
        loo.lm[j] = log_sigmoid(-(u + u));
    }
    loo.build();
    let half = (k as i64 - 1) / 2;
    let mut residual = floor;
    for j in (0..k).rev() {
        let a = loo.upper(j, half);
        let b = loo.upper(j, half + 1);
        let new = if a == T::NEG_INFINITY {
            T::ZERO
        } else {
            clamp(T::HALF * (a - b), T::ZERO, g_max)
        };
        residual = damp_store(&mut down[j], new, damping, residual);
        loo.push(j);
    }
    residual
}

/// ln Pr[Σ τ ≥ 1] under the U's.
fn output_log_z<T: Real>(up: &[T], scratch: &mut [T]) -> T {
    let k = up.len();
    let mut loo = Loo::new(scratch, k);
    for (j, &u) in up.iter().enumerate() {
        loo.lp[j] = log_sigmoid(u + u);
        loo.lm[j] = log_sigmoid(-(u + u));
    }
    loo.build();
    for j in (0..k).rev() {
        loo.push(j);
    }
    loo.rup_at((k as i64 + 1) / 2)
}

// ---------------------------------------------------------------------------------------------
// Workspace

/// Committee BP state in caller-provided buffers (see the module docs).
#[derive(Debug)]
pub struct CommitteeWorkspace<'a, T> {
    k: usize,
    n_in: usize,
    n: usize,
    p: usize,
    arch: Architecture,
    factor: FactorKind,
    g: &'a mut [T],
    up: &'a mut [T],
    down: &'a mut [T],
    h: &'a mut [T],
    ux: &'a mut [T],
    scratch: &'a mut [T],
    perm: &'a mut [u32],
    lambda: T,
}

impl<'a, T: Real> CommitteeWorkspace<'a, T> {
    /// Scratch reals: K = 1 the perceptron's ([`BpWorkspace::scratch_len`]); otherwise 2n + the
    /// output factor's leave-one-out tables, plus, for the exact factor, the hidden ones.
    pub const fn scratch_len(k: usize, n_in: usize, factor: FactorKind) -> usize {
        if k == 1 {
            return BpWorkspace::<T>::scratch_len(n_in, factor);
        }
        let (table, hidden) = match factor {
            FactorKind::Gaussian => (CHEB_LEN, 2 * n_in),
            FactorKind::Exact => (0, loo_len(n_in)),
        };
        let out = loo_len(k);
        table + if hidden > out { hidden } else { out }
    }

    /// Reals needed for K units of n inputs and P patterns: P·K·n + 2P·K (K > 1) + 2K·n + scratch.
    pub const fn required_reals(k: usize, n_in: usize, p: usize, factor: FactorKind) -> usize {
        let tau = if k == 1 { 0 } else { 2 * p * k };
        p * k * n_in + tau + 2 * k * n_in + Self::scratch_len(k, n_in, factor)
    }

    /// Permutation entries needed: P + K·n.
    pub const fn required_perm(k: usize, n_in: usize, p: usize) -> usize {
        p + k * n_in
    }

    /// Splits the buffers into a workspace for `inst`'s shape.
    pub fn new(
        inst: &CommitteeInstance<'_>,
        factor: FactorKind,
        reals: &'a mut [T],
        perm: &'a mut [u32],
    ) -> Result<Self> {
        let (k, n_in, p) = (inst.k(), inst.n_in(), inst.p());
        let nw = k * n_in;
        let need = p
            .checked_mul(nw)
            .and_then(|x| x.checked_add(if k == 1 { 0 } else { 2 * p * k }))
            .and_then(|x| x.checked_add(2 * nw + Self::scratch_len(k, n_in, factor)))
            .ok_or(ShapeError::InvalidParameter("P·K·N overflows"))?;
        if reals.len() < need {
            return Err(ShapeError::BufferTooSmall {
                needed: need,
                capacity: reals.len(),
            });
        }
        if perm.len() < p + nw {
            return Err(ShapeError::BufferTooSmall {
                needed: p + nw,
                capacity: perm.len(),
            });
        }
        let (g, rest) = reals.split_at_mut(p * nw);
        let tau = if k == 1 { 0 } else { p * k };
        let (up, rest) = rest.split_at_mut(tau);
        let (down, rest) = rest.split_at_mut(tau);
        let (h, rest) = rest.split_at_mut(nw);
        let (ux, rest) = rest.split_at_mut(nw);
        let scratch = &mut rest[..Self::scratch_len(k, n_in, factor)];
        g.fill(T::ZERO);
        up.fill(T::ZERO);
        down.fill(T::ZERO);
        h.fill(T::ZERO);
        ux.fill(T::ZERO);
        if factor == FactorKind::Gaussian {
            if k == 1 {
                factor::fill_cheb_table(&mut scratch[2 * n_in..]);
            } else {
                factor::fill_cheb_table(&mut scratch[..CHEB_LEN]);
            }
        }
        Ok(CommitteeWorkspace {
            k,
            n_in,
            n: inst.n(),
            p,
            arch: inst.architecture(),
            factor,
            g,
            up,
            down,
            h,
            ux,
            scratch,
            perm: &mut perm[..p + nw],
            lambda: T::ZERO,
        })
    }

    /// Reals at the start of the scratch holding a constant table (K > 1, Gaussian).
    #[inline]
    fn table_len(&self) -> usize {
        if self.k > 1 && self.factor == FactorKind::Gaussian {
            CHEB_LEN
        } else {
            0
        }
    }
    /// K.
    #[inline]
    pub fn k(&self) -> usize {
        self.k
    }
    /// Inputs per unit n.
    #[inline]
    pub fn n_in(&self) -> usize {
        self.n_in
    }
    /// P.
    #[inline]
    pub fn p(&self) -> usize {
        self.p
    }
    /// The factor kind.
    #[inline]
    pub fn factor(&self) -> FactorKind {
        self.factor
    }
    /// Totals H_{ki}, unit-major (K × n).
    #[inline]
    pub fn totals(&self) -> &[T] {
        self.h
    }
    /// Weight fields g, P × K × n.
    #[inline]
    pub fn fields(&self) -> &[T] {
        self.g
    }
    /// Up fields U (hidden → τ), P × K (empty for K = 1).
    #[inline]
    pub fn up_fields(&self) -> &[T] {
        self.up
    }
    /// Down fields D (output → τ), P × K (empty for K = 1, where D = +∞).
    #[inline]
    pub fn down_fields(&self) -> &[T] {
        self.down
    }
    /// Focusing fields ux (K × n).
    #[inline]
    pub fn focusing_fields(&self) -> &[T] {
        self.ux
    }
    /// Marginals m_{ki} = tanh H_{ki} into `out` (K·n).
    pub fn magnetizations(&self, out: &mut [T]) -> Result<()> {
        if out.len() != self.h.len() {
            return Err(ShapeError::LengthMismatch {
                expected: self.h.len(),
                got: out.len(),
            });
        }
        for (o, &h) in out.iter_mut().zip(self.h.iter()) {
            *o = h.tanh();
        }
        Ok(())
    }

    fn check(&self, inst: &CommitteeInstance<'_>, reference: Option<&Patterns<'_>>) -> Result<()> {
        if inst.k() != self.k
            || inst.n_in() != self.n_in
            || inst.n() != self.n
            || inst.p() != self.p
            || inst.architecture() != self.arch
        {
            return Err(ShapeError::InvalidParameter(
                "workspace sized for another committee instance",
            ));
        }
        if let Some(r) = reference {
            inst.check_weights(r)?;
        }
        Ok(())
    }

    /// Random initialization: g = atanh U(−r, r) in the order (μ, k, i) (for K = 1 exactly the
    /// perceptron's draws), U = D = 0, ux = 0, totals consistent with λ·w̃.
    pub fn init(
        &mut self,
        inst: &CommitteeInstance<'_>,
        reference: Option<&Patterns<'_>>,
        lambda: T,
        init_range: T,
        rng: &mut Rng,
    ) -> Result<()> {
        self.check(inst, reference)?;
        super::random_fields(self.g, init_range, rng);
        self.up.fill(T::ZERO);
        self.down.fill(T::ZERO);
        self.ux.fill(T::ZERO);
        self.set_lambda(reference, lambda);
        Ok(())
    }

    /// Recomputes the totals for a new λ keeping the messages (warm start). `reference`: K × n.
    pub fn set_lambda(&mut self, reference: Option<&Patterns<'_>>, lambda: T) {
        let (nw, n_in) = (self.k * self.n_in, self.n_in);
        for j in 0..nw {
            let ext = match reference {
                Some(r) => lambda * T::from_i32(i32::from(r.get(j / n_in, j % n_in))),
                None => T::ZERO,
            };
            self.h[j] = ext + self.ux[j];
        }
        for mu in 0..self.p {
            let row = &self.g[mu * nw..(mu + 1) * nw];
            for (h, &g) in self.h.iter_mut().zip(row) {
                *h += g;
            }
        }
        self.lambda = lambda;
    }

    /// One sweep (see the module docs); returns the residual. The instance must be the one the
    /// workspace was made for (checked by [`init`](Self::init)).
    pub fn sweep(
        &mut self,
        inst: &CommitteeInstance<'_>,
        damping: T,
        g_max: T,
        focus: Option<Focus<T>>,
        rng: &mut Rng,
    ) -> T {
        let focus = focus.filter(|f| f.active());
        let nw = self.k * self.n_in;
        let nodes = self.p + if focus.is_some() { nw } else { 0 };
        let perm = &mut self.perm[..nodes];
        for (j, v) in perm.iter_mut().enumerate() {
            *v = j as u32;
        }
        shuffle(rng, perm);
        let th = inst.threshold();
        let theta = th.t_par - 1;
        let level = crate::simd::Level::best();
        let mut residual = T::ZERO;
        for j in 0..nodes {
            let node = self.perm[j] as usize;
            let d = if node < self.p {
                let mu = node;
                let row = inst.patterns.row(mu).words();
                if self.k == 1 {
                    let g = &mut self.g[mu * nw..(mu + 1) * nw];
                    match self.factor {
                        FactorKind::Gaussian => factor::gaussian_update_raw(
                            level,
                            row,
                            g,
                            self.h,
                            self.scratch,
                            theta,
                            damping,
                            g_max,
                            residual,
                        ),
                        FactorKind::Exact => factor::exact_update_raw(
                            row,
                            g,
                            self.h,
                            self.scratch,
                            th.t,
                            damping,
                            g_max,
                        ),
                    }
                } else {
                    self.pattern_update(inst, level, mu, row, damping, g_max, residual)
                }
            } else {
                let i = node - self.p;
                let f = focus.unwrap_or(Focus {
                    pol: T::ZERO,
                    r: T::ZERO,
                });
                super::focusing::focus_update(&mut self.h[i], &mut self.ux[i], f, damping, g_max)
            };
            residual = residual.max(d);
        }
        residual
    }

    /// The K hidden factors of pattern μ, then its output factor (K ≥ 3). Returns
    /// max(`floor`, residual) (`floor`: the sweep's running residual).
    #[allow(clippy::too_many_arguments)]
    fn pattern_update(
        &mut self,
        inst: &CommitteeInstance<'_>,
        level: Level,
        mu: usize,
        row: &[u64],
        damping: T,
        g_max: T,
        floor: T,
    ) -> T {
        let (k, n_in) = (self.k, self.n_in);
        let th = inst.threshold();
        let theta = T::from_i32(th.t_par - 1);
        let mut residual = floor;
        let (cheb, work) = self.scratch.split_at_mut(self.table_len());
        // The units in batches of UP_BATCH: each unit's messages to its weights, then (Gaussian)
        // the batch's U's in one pass; the units of a pattern are independent until the output
        // factor, so this is the unit-by-unit update (the residual is a maximum over the same
        // values).
        for u0 in (0..k).step_by(UP_BATCH) {
            let u1 = (u0 + UP_BATCH).min(k);
            let mut xu = [T::ZERO; UP_BATCH];
            for u in u0..u1 {
                let off = inst.offset(u);
                let base = (mu * k + u) * n_in;
                let g = &mut self.g[base..base + n_in];
                let h = &mut self.h[u * n_in..(u + 1) * n_in];
                let d = self.down[mu * k + u];
                let r = match self.factor {
                    FactorKind::Gaussian => {
                        let (r, x) = hidden_gaussian(
                            level, row, off, g, h, d, cheb, work, theta, damping, g_max, residual,
                        );
                        xu[u - u0] = x;
                        r
                    }
                    FactorKind::Exact => {
                        let up = &mut self.up[mu * k + u];
                        hidden_exact(row, off, g, h, up, d, work, th.t, damping, g_max)
                    }
                };
                residual = residual.max(r);
            }
            if self.factor == FactorKind::Gaussian {
                let up = &mut self.up[mu * k + u0..mu * k + u1];
                residual = up_fields(level, &xu, up, damping, g_max, residual);
            }
        }
        output_update(
            level,
            &self.up[mu * k..(mu + 1) * k],
            &mut self.down[mu * k..(mu + 1) * k],
            work,
            damping,
            g_max,
            residual,
        )
    }

    /// Sweeps until the residual is below `params.tol` or `params.max_sweeps` ran, then once more
    /// with `params.retry_damping` if set (one retry driver shared with
    /// [`BpWorkspace::converge`]).
    pub fn converge(
        &mut self,
        inst: &CommitteeInstance<'_>,
        params: &BpParams<T>,
        focus: Option<Focus<T>>,
        rng: &mut Rng,
    ) -> Convergence {
        super::converge_with_retry(params, |damping| {
            self.sweep(inst, damping, params.g_max, focus, rng)
        })
    }

    /// Bethe free entropy per weight and the local-entropy quantities at the current messages (see
    /// the module docs). `reference` (K × n) and the workspace's λ define the external field.
    pub fn bethe(
        &mut self,
        inst: &CommitteeInstance<'_>,
        reference: Option<&Patterns<'_>>,
        contradiction_log_z: T,
    ) -> Result<BetheStats> {
        self.check(inst, reference)?;
        let (k, n_in, p) = (self.k, self.n_in, self.p);
        let nw = k * n_in;
        let mut phi = 0.0f64;
        let mut self_overlap = 0.0f64;
        let mut q = 0.0f64;
        for j in 0..nw {
            let hj = self.h[j];
            phi += log_2cosh(hj).to_f64();
            let m = hj.tanh().to_f64();
            self_overlap += m * m;
            if let Some(r) = reference {
                q += f64::from(r.get(j / n_in, j % n_in)) * m;
            }
        }
        let th = inst.threshold();
        let theta = T::from_i32(th.t_par - 1);
        let mut min_log_z = if p == 0 { 0.0 } else { f64::INFINITY };
        let mut contradiction = false;
        let mut note = |lz: T, min_log_z: &mut f64| {
            if !lz.is_finite() || lz < -contradiction_log_z {
                contradiction = true;
            }
            let l = lz.to_f64();
            if l < *min_log_z || l.is_nan() {
                *min_log_z = l;
            }
            l
        };
        for mu in 0..p {
            let row = inst.patterns.row(mu).words();
            for u in 0..k {
                let base = (mu * k + u) * n_in;
                let g = &self.g[base..base + n_in];
                let h = &self.h[u * n_in..(u + 1) * n_in];
                let mut edges = 0.0f64;
                for (&gi, &hi) in g.iter().zip(h.iter()) {
                    edges += (log_cosh(hi - gi) - log_cosh(hi)).to_f64();
                }
                let off = inst.offset(u);
                let tl = self.table_len();
                let lz = if k == 1 {
                    match self.factor {
                        FactorKind::Gaussian => {
                            factor::gaussian_log_z_raw(row, g, h, self.scratch, th.t_par - 1)
                        }
                        FactorKind::Exact => factor::exact_log_z_raw(row, g, h, self.scratch, th.t),
                    }
                } else {
                    let d = self.down[mu * k + u];
                    match self.factor {
                        FactorKind::Gaussian => {
                            hidden_gaussian_log_z(row, off, g, h, d, &mut self.scratch[tl..], theta)
                        }
                        FactorKind::Exact => {
                            hidden_exact_log_z(row, off, g, h, d, &mut self.scratch[tl..], th.t)
                        }
                    }
                };
                phi += edges + note(lz, &mut min_log_z);
            }
            if k > 1 {
                let ups = &self.up[mu * k..(mu + 1) * k];
                let tl = self.table_len();
                let lz = output_log_z(ups, &mut self.scratch[tl..]);
                phi += note(lz, &mut min_log_z);
                for u in 0..k {
                    let (uu, dd) = (self.up[mu * k + u], self.down[mu * k + u]);
                    let tau = log_cosh(uu + dd)
                        - log_cosh(uu)
                        - log_cosh(dd)
                        - T::from_f64(core::f64::consts::LN_2);
                    phi -= tau.to_f64();
                }
            }
        }
        let nf = nw as f64;
        let phi = phi / nf;
        let lambda = self.lambda.to_f64();
        let (q, d, s) = match reference {
            Some(_) => {
                let q = q / nf;
                (q, (1.0 - q) / 2.0, phi - lambda * q)
            }
            None => (f64::NAN, f64::NAN, phi),
        };
        Ok(BetheStats {
            phi,
            q,
            d,
            s,
            self_overlap: self_overlap / nf,
            min_log_z,
            contradiction,
        })
    }
}

/// Plain committee BP: initialize from `seed`, converge (with the damped retry), evaluate the Bethe
/// quantities (reference K × n, field `params.lambda`). Marginals stay in `ws`.
pub fn run_committee_bp<T: Real>(
    inst: &CommitteeInstance<'_>,
    ws: &mut CommitteeWorkspace<'_, T>,
    params: &BpParams<T>,
    reference: Option<&Patterns<'_>>,
    seed: u64,
) -> Result<BpOutcome> {
    params.validate()?;
    if ws.factor != params.factor {
        return Err(ShapeError::InvalidParameter(
            "workspace sized for another factor kind",
        ));
    }
    let mut rng = rng_from_seed(seed);
    ws.init(inst, reference, params.lambda, params.init_range, &mut rng)?;
    let convergence = ws.converge(inst, params, None, &mut rng);
    let bethe = ws.bethe(inst, reference, params.contradiction_log_z)?;
    Ok(BpOutcome { convergence, bethe })
}

/// Reinforced BP for committees: [`FbpParams::rbp`] with damping 0.5. Undamped reinforcement (the
/// perceptron's setting) fails on committees: at K = 3, N = 201 (fully connected), α = 0.3 it
/// solved 0 of 4 instances; rFBP's notes report the same for damping 0.
pub fn committee_rbp<'a, T: Real>(dr: f64) -> FbpParams<'a, T> {
    let mut p = FbpParams::rbp(dr);
    p.bp.damping = T::HALF;
    p
}

impl<T: Real> FocusingEngine<T> for CommitteeWorkspace<'_, T> {
    type Problem<'p> = CommitteeInstance<'p>;
    /// K × n weights.
    type Config<'c> = PatternsMut<'c>;
    fn fbp_factor(&self) -> FactorKind {
        self.factor
    }
    fn fbp_check(
        &self,
        inst: &CommitteeInstance<'_>,
        w: &PatternsMut<'_>,
        stabilities: &[i32],
    ) -> Result<()> {
        self.check(inst, None)?;
        inst.check_weights(&w.as_patterns())?;
        if stabilities.len() != inst.p() {
            return Err(ShapeError::LengthMismatch {
                expected: inst.p(),
                got: stabilities.len(),
            });
        }
        Ok(())
    }
    fn fbp_init(
        &mut self,
        inst: &CommitteeInstance<'_>,
        init_range: T,
        rng: &mut Rng,
    ) -> Result<()> {
        self.init(inst, None, T::ZERO, init_range, rng)
    }
    fn fbp_sweep(
        &mut self,
        inst: &CommitteeInstance<'_>,
        damping: T,
        g_max: T,
        focus: Focus<T>,
        rng: &mut Rng,
    ) -> T {
        self.sweep(inst, damping, g_max, Some(focus), rng)
    }
    /// The stabilities are the output votes v_μ = Σ_k τ_{μk}; an error is v_μ ≤ 0.
    fn fbp_decide(
        &self,
        inst: &CommitteeInstance<'_>,
        w: &mut PatternsMut<'_>,
        stabilities: &mut [i32],
    ) -> Result<usize> {
        for u in 0..self.k {
            w.row_mut(u)
                .set_from_signs(&self.h[u * self.n_in..(u + 1) * self.n_in])?;
        }
        inst.errors(&w.as_patterns(), stabilities)
    }
    /// K·n for K ≥ 3: the runaway rule is scaled to the machine's size
    /// ([`super::focusing::Runaway::for_weights`]); K = 1 keeps the perceptron's rule (bit for bit).
    fn fbp_runaway_weights(&self) -> Option<usize> {
        (self.k > 1).then_some(self.k * self.n_in)
    }
    /// Margin = min_μ v_μ/√K (the output votes' analogue of s/√N), smallest vote.
    fn fbp_quality(&self, _inst: &CommitteeInstance<'_>, stabilities: &[i32]) -> (f64, i32) {
        (
            crate::stability::margin(stabilities, self.k),
            crate::stability::min_stability(stabilities).unwrap_or(i32::MAX),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng_from_seed;
    use crate::rng::uniform;

    /// The messages of a Gaussian hidden factor by the direct per-edge formula ([`hidden_edge`] on
    /// the accurate cavity moments), with ξ's sign and the clamp at ±`g_max` applied, and the
    /// moments (mean, var): the reference of the fast update's tests.
    fn direct_messages(
        row: &[u64],
        off: usize,
        g0: &[f64],
        h: &[f64],
        d: f64,
        theta: f64,
        g_max: f64,
    ) -> (std::vec::Vec<f64>, f64, f64) {
        let n = g0.len();
        let mut xm = std::vec![0.0; n];
        let mut vs = std::vec![0.0; n];
        let (mean, var) = factor::cavity_moments_at(row, off, g0, h, &mut xm, &mut vs);
        let tau = TauSide::new(d);
        let direct = (0..n)
            .map(|i| {
                let f = hidden_edge(theta - mean, var, xm[i], &tau).0;
                let f = if xi_of(row, off + i) { -f } else { f };
                f.clamp(-g_max, g_max)
            })
            .collect();
        (direct, mean, var)
    }

    /// The documented bound of the fast hidden update on every message and on U, relative to
    /// 1 + |value| (module docs, "Numerics of the Gaussian hidden factor").
    const FAST_G_BOUND: f64 = 1e-10;

    /// The largest |a − b| / (1 + |b|) over two message vectors (b the reference).
    fn worst_relative(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs() / (1.0 + y.abs()))
            .fold(0.0, f64::max)
    }

    /// One undamped fast update ([`hidden_gaussian`] at the best level, no floor) of copies of
    /// (g0, h): the new (g, h, U).
    #[allow(clippy::too_many_arguments)]
    fn fast_update(
        row: &[u64],
        off: usize,
        g0: &[f64],
        h: &[f64],
        d: f64,
        cheb: &[f64],
        theta: f64,
        g_max: f64,
    ) -> (std::vec::Vec<f64>, std::vec::Vec<f64>, f64) {
        let (mut g, mut hh) = (g0.to_vec(), h.to_vec());
        let mut s = std::vec![0.0f64; 2 * g0.len()];
        let (_, x) = hidden_gaussian(
            Level::best(),
            row,
            off,
            &mut g,
            &mut hh,
            d,
            cheb,
            &mut s,
            theta,
            0.0,
            g_max,
            0.0,
        );
        (g, hh, new_up(x, g_max))
    }

    /// The undamped U of one unit from its argument x, through the batched [`up_fields`].
    fn new_up(x: f64, g_max: f64) -> f64 {
        let mut xs = [0.0; UP_BATCH];
        xs[0] = x;
        let mut u = [0.0];
        up_fields(Level::best(), &xs, &mut u, 0.0, g_max, 0.0);
        u[0]
    }

    /// The linear-space output update equals the log-domain one.
    #[test]
    fn output_update_linear_matches_log_domain() {
        let mut rng = rng_from_seed(3);
        for k in [3usize, 5, 7, 15] {
            for scale in [0.1, 1.0, 5.0, 20.0] {
                let up: std::vec::Vec<f64> = (0..k)
                    .map(|_| scale * (2.0 * uniform(&mut rng) - 1.0))
                    .collect();
                let mut a = std::vec![0.0f64; k];
                let mut b = std::vec![0.0f64; k];
                let Some(_) = output_update_linear(Level::best(), &up, &mut a, 0.0, 50.0, 0.0)
                else {
                    continue;
                };
                let mut s = std::vec![0.0f64; loo_len(k)];
                let mut loo = Loo::new(&mut s, k);
                for (j, &u) in up.iter().enumerate() {
                    loo.lp[j] = log_sigmoid(u + u);
                    loo.lm[j] = log_sigmoid(-(u + u));
                }
                loo.build();
                let half = (k as i64 - 1) / 2;
                for j in (0..k).rev() {
                    b[j] = clamp(
                        0.5 * (loo.upper(j, half) - loo.upper(j, half + 1)),
                        0.0,
                        50.0,
                    );
                    loo.push(j);
                }
                for (x, y) in a.iter().zip(&b) {
                    assert!(
                        (x - y).abs() < 1e-9 * (1.0 + y.abs()),
                        "K {k} scale {scale}: {x} vs {y}"
                    );
                }
            }
        }
    }

    /// The linear-space τ mixture equals the log-domain one.
    #[test]
    fn tau_mix_linear_matches_log_domain() {
        for d in [1e-3, 0.1, 1.0, 5.0, 20.0, 50.0] {
            let tau = TauSide::<f64>::new(d);
            for k in 0..=200 {
                let x = -20.0 + 0.125 * k as f64;
                let a = tau_mix(&tau, x);
                let b = log_add(tau.ltm, tau.ln_t + log_h(x));
                assert!(
                    (a - b).abs() <= 1e-13 * (1.0 + b.abs()),
                    "d {d} x {x}: {a} vs {b}"
                );
            }
        }
    }

    /// The branch-free f64 L(x) (linear space and log domain), H(x) and U agree with the scalar
    /// library formulas.
    #[test]
    fn branch_free_tau_mix_h_and_up_field_match_scalar() {
        for d in [1e-4, 0.05, 0.3, 1.0, 5.0, 20.0, 50.0] {
            let tau = TauSide::<f64>::new(d);
            assert!(tau.lin);
            let (_, ltm) = tau_logs(d);
            let ln_t = libm::tanh(d).ln();
            for k in 0..=480 {
                let x = -30.0 + 0.125 * k as f64;
                let want = log_add(ltm, ln_t + log_h(x));
                let lin = tau_mix_lin_f64::<false>(tau.q, tau.t, x);
                let log = tau_mix_f64(ltm, ln_t, x);
                let tol = 4e-15 * want.abs().max(1.0);
                assert!(
                    (lin - want).abs() <= tol,
                    "lin d {d} x {x}: {lin} vs {want}"
                );
                assert!(
                    (log - want).abs() <= tol,
                    "log d {d} x {x}: {log} vs {want}"
                );
            }
        }
        for k in 0..=800 {
            let x = -40.0 + 0.1 * k as f64;
            let (a, b) = (h_f64::<false>(x), crate::special::h(x));
            if x <= 10.0 {
                // libm's erfc itself errs by ~2e-14 relative near x = 9 (against glibc), and by
                // more further out.
                assert!((a - b).abs() <= 6e-14 * b, "H({x}): {a} vs {b}");
            }
            if x <= 37.0 {
                // Against the mpmath-checked ln H of `special` (≤ 2e-15 relative in ln H).
                let (la, lb) = (a.ln(), crate::special::log_h_f64(x));
                assert!(
                    (la - lb).abs() <= 4e-15 * lb.abs().max(1.0),
                    "ln H({x}): {la} vs {lb}"
                );
            }
            let u = up_field::<f64, false>(x);
            let want = 0.5 * (log_h(x) - log_h(-x));
            assert!(
                (u - want).abs() <= 1e-13 * want.abs().max(1.0),
                "U({x}): {u} vs {want}"
            );
        }
        // Beyond the linear range of q (D > 230) the log domain is used.
        assert!(!TauSide::<f64>::new(300.0).lin);
    }

    /// The Gaussian hidden update of a unit whose inputs start at an unaligned bit (a tree
    /// committee's unit k ≥ 1) equals the direct per-edge formula with the same sign bits, on both
    /// the interpolant and the direct path.
    #[test]
    fn hidden_update_at_unaligned_offsets_matches_direct() {
        let mut rng = rng_from_seed(21);
        let mut cheb = std::vec![0.0f64; CHEB_LEN];
        factor::fill_cheb_table(&mut cheb);
        for (n, off, hs, d) in [
            (201, 37, 0.3, 1.0),
            (101, 101, 2.5, 3.0),
            (333, 130, 0.2, 0.4),
        ] {
            let words = words_for(off + n);
            let row: std::vec::Vec<u64> = (0..words).map(|_| rng.next_u64()).collect();
            let h: std::vec::Vec<f64> = (0..n)
                .map(|_| hs * (2.0 * uniform(&mut rng) - 1.0))
                .collect();
            let g0: std::vec::Vec<f64> = (0..n)
                .map(|_| 0.1 * (2.0 * uniform(&mut rng) - 1.0))
                .collect();
            let (direct, mean, var) = direct_messages(&row, off, &g0, &h, d, 0.0, 50.0);
            // Reference moments from the unpacked signs.
            let (mut m2, mut v2) = (0.0, 0.0);
            for i in 0..n {
                let m = libm::tanh(h[i] - g0[i]);
                m2 += if xi_of(&row, off + i) { -m } else { m };
                v2 += 1.0 - m * m;
            }
            assert!((mean - m2).abs() < 1e-12 * n as f64 && (var - v2).abs() < 1e-12 * n as f64);
            let (g, hh, _) = fast_update(&row, off, &g0, &h, d, &cheb, 0.0, 50.0);
            let worst = worst_relative(&g, &direct);
            assert!(worst <= FAST_G_BOUND, "n {n} off {off}: worst {worst}");
            for i in 0..n {
                assert!((hh[i] - (h[i] - g0[i] + g[i])).abs() < 1e-12);
            }
        }
    }

    /// A random factor of n edges: pattern bits, totals h uniform in ±`hs`, fields g uniform in
    /// ±0.1.
    fn random_factor(
        rng: &mut Rng,
        n: usize,
        hs: f64,
    ) -> (std::vec::Vec<u64>, std::vec::Vec<f64>, std::vec::Vec<f64>) {
        let row = (0..words_for(n)).map(|_| rng.next_u64()).collect();
        let h = (0..n).map(|_| hs * (2.0 * uniform(rng) - 1.0)).collect();
        let g0 = (0..n).map(|_| 0.1 * (2.0 * uniform(rng) - 1.0)).collect();
        (row, h, g0)
    }

    /// Every vector level gives the same bits for the hidden update (interpolated and direct), the
    /// U's and the output factor: the fused multiply-adds are one instruction at the AVX2/AVX-512
    /// levels and libm's correctly rounded software `fma` at the baseline.
    #[test]
    fn every_vector_level_gives_the_same_bits() {
        let mut rng = rng_from_seed(21);
        let mut cheb = std::vec![0.0f64; CHEB_LEN];
        factor::fill_cheb_table(&mut cheb);
        let levels: std::vec::Vec<Level> = Level::ALL
            .into_iter()
            .filter(|l| l.is_available())
            .collect();
        for (n, hs, d, damping) in [
            (201, 0.3, 0.5, 0.5),
            (335, 2.0, 3.0, 0.0),
            (1001, 0.1, 30.0, 0.5),
            (65, 0.5, 1.0, 0.5),
            (120, 0.01, 1e-6, 0.2),
        ] {
            let (row, h, g0) = random_factor(&mut rng, n, hs);
            let theta = 3.0 * (2.0 * uniform(&mut rng) - 1.0);
            let run = |level: Level| {
                let (mut g, mut hh) = (g0.clone(), h.clone());
                let mut s = std::vec![0.0f64; 2 * n];
                let (r, x) = hidden_gaussian(
                    level, &row, 0, &mut g, &mut hh, d, &cheb, &mut s, theta, damping, 50.0, 0.0,
                );
                let mut xs = [0.0; UP_BATCH];
                for (j, v) in xs.iter_mut().enumerate() {
                    *v = x + 0.7 * j as f64 - 2.0;
                }
                let mut up = [0.1; 5];
                let ru = up_fields(level, &xs, &mut up, damping, 50.0, 0.0);
                let mut down = [0.2; 5];
                let ro = output_update_linear(level, &up, &mut down, damping, 50.0, 0.0);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<std::vec::Vec<_>>();
                (
                    bits(&g),
                    bits(&hh),
                    [r.to_bits(), x.to_bits(), ru.to_bits()],
                    bits(&up),
                    bits(&down),
                    ro.map(f64::to_bits),
                )
            };
            let first = run(levels[0]);
            for &level in &levels[1..] {
                assert!(
                    run(level) == first,
                    "n {n}: {level:?} differs from {:?}",
                    levels[0]
                );
            }
        }
    }

    /// The interpolated Gaussian update equals the direct per-edge formula within [`FAST_G_BOUND`].
    #[test]
    fn interpolated_hidden_update_matches_direct() {
        let mut rng = rng_from_seed(8);
        let mut cheb = std::vec![0.0f64; CHEB_LEN];
        factor::fill_cheb_table(&mut cheb);
        let mut interpolated = 0;
        for (n, hs, d) in [
            (101, 0.3, 0.5),
            (301, 1.0, 2.0),
            (1001, 0.1, 0.05),
            (201, 3.0, 10.0),
            (65, 0.5, 40.0),
        ] {
            let (row, h, g0) = random_factor(&mut rng, n, hs);
            // Direct values from the pre-update cavities.
            let (direct, _, var) = direct_messages(&row, 0, &g0, &h, d, 0.0, 50.0);
            let (g, _, _) = fast_update(&row, 0, &g0, &h, d, &cheb, 0.0, 50.0);
            let worst = worst_relative(&g, &direct);
            assert!(worst <= FAST_G_BOUND, "n {n} hs {hs} d {d}: worst {worst}");
            if var > 4.0 {
                interpolated += 1;
            }
        }
        assert!(interpolated >= 3);
    }

    /// The error bound of the committee's fast Gaussian hidden update (cheap exponential in the
    /// cavity pass, interpolant accepted at [`FIT_TOL`]): over random factors spanning the whole
    /// (μ, σ, t) range — σ² from ≈ 1 to ≈ 3000 (n = 65 … 3001, cavity fields from unpolarized to
    /// saturated), the threshold offset (θ − μ)/σ from −40 to 40 (deep tails included), t = tanh D
    /// from 1e-9 to 1 − 1e-43 — every outgoing message satisfies |g_fast − g_direct| ≤ 1e-10 (1 + |g|),
    /// with g_direct the per-edge formula on moments from the accurate exponential. Also U.
    #[test]
    fn fast_hidden_update_error_bound() {
        let mut rng = rng_from_seed(1515);
        let mut cheb = std::vec![0.0f64; CHEB_LEN];
        factor::fill_cheb_table(&mut cheb);
        let (mut worst, mut worst_u, mut fitted, mut total) = (0.0f64, 0.0f64, 0usize, 0usize);
        let sizes = [65usize, 101, 201, 335, 601, 1001, 3001];
        for trial in 0..1400 {
            let n = sizes[trial % sizes.len()];
            let row: std::vec::Vec<u64> = (0..words_for(n)).map(|_| rng.next_u64()).collect();
            // A fraction `pol` of the edges saturated (|c| up to 30), the rest spread `hs`, with a
            // bias along ξ (so the mean ranges over ±n).
            let pol = uniform(&mut rng).powi(2);
            let hs = 10f64.powf(3.0 * uniform(&mut rng) - 2.0);
            let bias = 2.0 * uniform(&mut rng) - 1.0;
            let h: std::vec::Vec<f64> = (0..n)
                .map(|i| {
                    let xi = if xi_of(&row, i) { -1.0 } else { 1.0 };
                    let c = if uniform(&mut rng) < pol {
                        30.0 * uniform(&mut rng)
                    } else {
                        hs * uniform(&mut rng)
                    };
                    let s = if uniform(&mut rng) < 0.5 * (1.0 + bias) {
                        1.0
                    } else {
                        -1.0
                    };
                    xi * s * c
                })
                .collect();
            let g0: std::vec::Vec<f64> = (0..n)
                .map(|_| 0.3 * (2.0 * uniform(&mut rng) - 1.0))
                .collect();
            let h: std::vec::Vec<f64> = h.iter().zip(&g0).map(|(c, g)| c + g).collect();
            let mut xm = std::vec![0.0; n];
            let mut vs = std::vec![0.0; n];
            let (mean, var) = factor::cavity_moments_at(&row, 0, &g0, &h, &mut xm, &mut vs);
            let sd = var.max(var_floor()).sqrt();
            let z = if trial % 4 == 0 {
                80.0 * uniform(&mut rng) - 40.0
            } else {
                6.0 * uniform(&mut rng) - 3.0
            };
            let theta = mean + z * sd;
            let d = match trial % 3 {
                0 => 10f64.powf(-9.0 + 9.0 * uniform(&mut rng)),
                1 => 3.0 * uniform(&mut rng),
                _ => 50.0 * uniform(&mut rng),
            };
            let g_max = 50.0;
            let (direct, _, _) = direct_messages(&row, 0, &g0, &h, d, theta, g_max);
            let u_direct = up_field::<f64, false>((theta - mean) / sd).clamp(-g_max, g_max);
            let (g, _, u) = fast_update(&row, 0, &g0, &h, d, &cheb, theta, g_max);
            worst = worst.max(worst_relative(&g, &direct));
            worst_u = worst_u.max((u - u_direct).abs() / (1.0 + u_direct.abs()));
            total += 1;
            if n > 64 && var >= MIN_FIT_VAR {
                fitted += 1;
            }
        }
        assert!(
            worst <= FAST_G_BOUND,
            "worst |g_fast - g_direct|/(1 + |g|) = {worst:e}"
        );
        assert!(worst_u <= FAST_G_BOUND, "worst U error {worst_u:e}");
        // Most factors take the interpolant (the others the direct formula).
        assert!(fitted * 2 > total, "{fitted} of {total} interpolated");
    }

    /// At n = 301 the Gaussian hidden update approximates the exact one (same U and g to ~1e-2).
    #[test]
    fn gaussian_hidden_update_approximates_exact() {
        let n = 301;
        let mut rng = rng_from_seed(5);
        let row: std::vec::Vec<u64> = (0..words_for(n)).map(|_| rng.next_u64()).collect();
        for (hs, d) in [(0.3, 0.5), (1.0, 2.0), (0.1, 0.05), (2.0, 10.0)] {
            let h: std::vec::Vec<f64> = (0..n)
                .map(|_| hs * (2.0 * uniform(&mut rng) - 1.0) + 0.05)
                .collect();
            let g0: std::vec::Vec<f64> = (0..n)
                .map(|_| 0.01 * (2.0 * uniform(&mut rng) - 1.0))
                .collect();
            let mut ga = g0.clone();
            let mut ha = h.clone();
            let mut gb = g0.clone();
            let mut hb = h.clone();
            let mut ub = 0.0;
            let mut s1 = std::vec![0.0f64; 2 * n];
            let mut cheb = std::vec![0.0f64; CHEB_LEN];
            factor::fill_cheb_table(&mut cheb);
            let mut s2 = std::vec![0.0f64; loo_len(n)];
            let th = Threshold::new(0.0, n).unwrap();
            let (_, x) = hidden_gaussian(
                Level::best(),
                &row,
                0,
                &mut ga,
                &mut ha,
                d,
                &cheb,
                &mut s1,
                f64::from(th.t_par - 1),
                0.0,
                50.0,
                0.0,
            );
            let ua = new_up(x, 50.0);
            hidden_exact(
                &row, 0, &mut gb, &mut hb, &mut ub, d, &mut s2, th.t, 0.0, 50.0,
            );
            let worst = ga
                .iter()
                .zip(&gb)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            let scale = gb.iter().map(|b| b.abs()).fold(0.0, f64::max);
            assert!((ua - ub).abs() < 0.02 * (1.0 + ub.abs()), "U {ua} vs {ub}");
            assert!(
                worst < 0.05 * scale + 1e-6,
                "hs {hs} d {d}: worst {worst} scale {scale}; U {ua} {ub}"
            );
        }
    }
}
