//! Belief propagation for the binary perceptron with margin κ and a reference field λ·w̃
//! (ALGORITHMS §b), its Bethe free entropy and local-entropy profiles (§b.6–b.7), and focusing BP
//! (§c) with its protocols; reinforced BP (§d.1) is a focusing protocol.
//!
//! # Model and representation (§b.1–b.2)
//! P_λ(w) ∝ exp(λ Σᵢ w̃ᵢ wᵢ) Πμ 1[s_μ(w) ≥ T(κ)] on gauged patterns. Messages are kept as fields
//! (log-ratios): the factor→variable fields `g[μ·N + i]` (a P×N matrix) and the totals
//! `H_i = λ w̃_i + Σ_μ g_{μ→i} + ux_i` (`ux` = focusing field, zero in plain BP). Cavity fields
//! `h_{i→μ} = H_i − g_{μ→i}` are recomputed on the fly; no other per-edge state exists.
//!
//! # Memory (caller-provided, no allocation)
//! Everything lives in a [`BpWorkspace`] that borrows one `&mut [T]` of
//! [`BpWorkspace::required_reals`]`(n, p, factor)` elements and one `&mut [u32]` of
//! [`BpWorkspace::required_perm`]`(n, p)` = P + N elements:
//!
//! | factor | reals |
//! |---|---|
//! | [`FactorKind::Gaussian`] | P·N + 4N + 538 (Chebyshev tables) |
//! | [`FactorKind::Exact`] | P·N + 4N + (N+1)(N+2) + 2(N+1) |
//!
//! For example N = 127, P = 64 in `f32`: 32.5 KB for the field matrix alone, so plain BP at that size
//! does not fit a 32 KiB Cortex-M RAM; N = 101, P = 50 in `f32` needs 21.8 KB + 0.6 KB of
//! permutation.
//!
//! # Schedule and convergence (§b.5)
//! Sequential: every sweep visits the P factor nodes (plus, in focusing BP, the N focusing nodes) in a
//! fresh uniform random order drawn from the caller's seeded generator. Updating a factor recomputes all
//! its outgoing fields from the current totals and then immediately updates the totals. Damping mixes
//! fields, `g ← (1−ρ) g_new + ρ g_old`. A sweep's residual is the largest |tanh g_new − tanh g_old|
//! over the messages it updated; a run converges when a sweep's residual is below `tol`. A run that
//! does not converge in `max_sweeps` is retried once, continuing from its messages, with damping
//! `retry_damping` (0.5 by default, as the fixtures' oracle), and is reported unconverged if that fails too.
//!
//! # Contradictions (§b.4)
//! The Gaussian factor can converge to a contradictory fixed point where a factor is violated by the
//! fully polarized cavity configuration (ln Z_μ ≈ −10⁴⁰). [`BetheStats::contradiction`] is set
//! when some ln Z_μ is not finite or is below `−contradiction_log_z` (default 100); such a fixed point
//! has no entropy to report.

pub mod bethe;
mod cheb;
pub mod committee;
pub mod factor;
pub mod focusing;
pub mod profile;

pub use bethe::BetheStats;
pub use focusing::{focusing_bp, FbpOutcome, FbpParams, Protocol, Step};
pub use profile::{local_entropy_profile, ProfilePoint};

use crate::bits::Spins;
use crate::error::{Result, ShapeError};
use crate::instance::Instance;
use crate::real::Real;
use crate::rng::{shuffle, uniform, Rng};

/// Which factor-node update to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FactorKind {
    /// Central-limit update, O(N) per factor (§b.4); the default for large N.
    Gaussian,
    /// Exact update by prefix/suffix convolutions in the log domain, O(N²) per factor (§b.3); for
    /// small N and tests.
    Exact,
}

/// Parameters of a BP run (§b.5).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BpParams<T> {
    /// Factor update.
    pub factor: FactorKind,
    /// Coupling λ ≥ 0 to the reference configuration (ignored without a reference).
    pub lambda: T,
    /// Damping ρ ∈ [0, 1).
    pub damping: T,
    /// Convergence threshold on max |tanh g_new − tanh g_old| per sweep.
    pub tol: T,
    /// Sweeps before giving up (or retrying).
    pub max_sweeps: usize,
    /// Damping of the single retry after a non-converged run (`None`: no retry).
    pub retry_damping: Option<T>,
    /// Field clamp G_max: |g| ≤ G_max and |ux| ≤ G_max.
    pub g_max: T,
    /// Initial factor magnetizations are uniform in (−r, r).
    pub init_range: T,
    /// A fixed point with some ln Z_μ < −this is reported as a contradiction.
    pub contradiction_log_z: T,
}

impl<T: Real> Default for BpParams<T> {
    /// Gaussian factor, λ = 0, no damping, tol 1e-8, 500 sweeps then one retry with damping 0.5 and
    /// 500 more, G_max = 50, init range 0.01, contradiction below ln Z_μ = −100.
    fn default() -> Self {
        BpParams {
            factor: FactorKind::Gaussian,
            lambda: T::ZERO,
            damping: T::ZERO,
            tol: T::from_f64(1e-8),
            max_sweeps: 500,
            retry_damping: Some(T::HALF),
            g_max: T::from_f64(50.0),
            init_range: T::from_f64(0.01),
            contradiction_log_z: T::from_f64(100.0),
        }
    }
}

impl<T: Real> BpParams<T> {
    /// Checks the parameter domains.
    pub fn validate(&self) -> Result<()> {
        let ok = |x: T| x.is_finite();
        if !(ok(self.lambda) && self.lambda >= T::ZERO) {
            return Err(ShapeError::InvalidParameter(
                "lambda must be finite and >= 0",
            ));
        }
        if !(ok(self.damping) && self.damping >= T::ZERO && self.damping < T::ONE) {
            return Err(ShapeError::InvalidParameter("damping must be in [0, 1)"));
        }
        if let Some(r) = self.retry_damping {
            if !(ok(r) && r >= T::ZERO && r < T::ONE) {
                return Err(ShapeError::InvalidParameter(
                    "retry damping must be in [0, 1)",
                ));
            }
        }
        if !(ok(self.tol) && self.tol > T::ZERO) {
            return Err(ShapeError::InvalidParameter("tol must be > 0"));
        }
        if !(ok(self.g_max) && self.g_max > T::ONE) {
            return Err(ShapeError::InvalidParameter("g_max must be > 1"));
        }
        if !(ok(self.init_range) && self.init_range >= T::ZERO && self.init_range < T::ONE) {
            return Err(ShapeError::InvalidParameter("init range must be in [0, 1)"));
        }
        if self.contradiction_log_z.is_nan() || self.contradiction_log_z <= T::ZERO {
            return Err(ShapeError::InvalidParameter(
                "contradiction threshold must be > 0",
            ));
        }
        Ok(())
    }
}

/// The focusing node of §c.1 for one step of a protocol: pol = tanh γ, r = y − 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Focus<T> {
    /// tanh γ ∈ [0, 1] (1 for γ = ∞: pure reinforcement).
    pub pol: T,
    /// y − 1 ≥ 0.
    pub r: T,
}

impl<T: Real> Focus<T> {
    /// Whether the focusing nodes do anything (r > 0 and pol > 0).
    #[inline]
    pub fn active(&self) -> bool {
        self.r > T::ZERO && self.pol > T::ZERO
    }
}

/// What a convergence loop did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Convergence {
    /// The last sweep's residual was below tol.
    pub converged: bool,
    /// Sweeps run in total (including a retry).
    pub sweeps: usize,
    /// Whether the damped retry was needed.
    pub damped_retry: bool,
    /// Residual of the last sweep, max |Δ tanh|.
    pub residual: f64,
}

/// Result of [`run_bp`]: convergence and the Bethe quantities at the fixed point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BpOutcome {
    /// Convergence report.
    pub convergence: Convergence,
    /// Bethe free entropy and the local-entropy quantities (meaningful only if converged and not
    /// contradictory).
    pub bethe: BetheStats,
}

/// BP state in caller-provided buffers (see the module docs for sizes).
#[derive(Debug)]
pub struct BpWorkspace<'a, T> {
    n: usize,
    p: usize,
    factor: FactorKind,
    g: &'a mut [T],
    h: &'a mut [T],
    ux: &'a mut [T],
    scratch: &'a mut [T],
    perm: &'a mut [u32],
    lambda: T,
}

impl<'a, T: Real> BpWorkspace<'a, T> {
    /// Scratch reals the factor update needs besides g, H, ux.
    pub const fn scratch_len(n: usize, factor: FactorKind) -> usize {
        match factor {
            FactorKind::Gaussian => 2 * n + factor::CHEB_TABLE_LEN,
            FactorKind::Exact => 2 * n + (n + 1) * (n + 2) + 2 * (n + 1),
        }
    }

    /// Reals needed: P·N (fields) + N (totals) + N (focusing fields) + scratch.
    pub const fn required_reals(n: usize, p: usize, factor: FactorKind) -> usize {
        p * n + 2 * n + Self::scratch_len(n, factor)
    }

    /// Permutation entries needed: P + N.
    pub const fn required_perm(n: usize, p: usize) -> usize {
        p + n
    }

    /// Splits `reals` (at least [`required_reals`](Self::required_reals)) and `perm` (at least
    /// [`required_perm`](Self::required_perm)) into a workspace for an N × P instance. The messages
    /// are zero until [`init`](Self::init).
    pub fn new(
        n: usize,
        p: usize,
        factor: FactorKind,
        reals: &'a mut [T],
        perm: &'a mut [u32],
    ) -> Result<Self> {
        if n == 0 {
            return Err(ShapeError::ZeroLength);
        }
        if n > u32::MAX as usize / 2 || p > u32::MAX as usize / 2 {
            return Err(ShapeError::InvalidParameter("N or P too large"));
        }
        let need = p
            .checked_mul(n)
            .and_then(|pn| pn.checked_add(2 * n + Self::scratch_len(n, factor)))
            .ok_or(ShapeError::InvalidParameter("P·N overflows"))?;
        if reals.len() < need {
            return Err(ShapeError::BufferTooSmall {
                needed: need,
                capacity: reals.len(),
            });
        }
        if perm.len() < p + n {
            return Err(ShapeError::BufferTooSmall {
                needed: p + n,
                capacity: perm.len(),
            });
        }
        let (g, rest) = reals.split_at_mut(p * n);
        let (h, rest) = rest.split_at_mut(n);
        let (ux, rest) = rest.split_at_mut(n);
        let scratch = &mut rest[..Self::scratch_len(n, factor)];
        g.fill(T::ZERO);
        h.fill(T::ZERO);
        ux.fill(T::ZERO);
        if factor == FactorKind::Gaussian {
            factor::fill_cheb_table(&mut scratch[2 * n..]);
        }
        let perm = &mut perm[..p + n];
        Ok(BpWorkspace {
            n,
            p,
            factor,
            g,
            h,
            ux,
            scratch,
            perm,
            lambda: T::ZERO,
        })
    }

    /// N.
    #[inline]
    pub fn n(&self) -> usize {
        self.n
    }
    /// P.
    #[inline]
    pub fn p(&self) -> usize {
        self.p
    }
    /// The factor update this workspace was sized for.
    #[inline]
    pub fn factor(&self) -> FactorKind {
        self.factor
    }
    /// The λ the totals currently include.
    #[inline]
    pub fn lambda(&self) -> T {
        self.lambda
    }
    /// Factor→variable fields, row-major P × N.
    #[inline]
    pub fn fields(&self) -> &[T] {
        self.g
    }
    /// Totals H_i (sign0(H) is the BP decision, tanh H the marginal).
    #[inline]
    pub fn totals(&self) -> &[T] {
        self.h
    }
    /// Focusing fields ux_i.
    #[inline]
    pub fn focusing_fields(&self) -> &[T] {
        self.ux
    }
    /// Marginal magnetization m_i = tanh H_i ([`ShapeError::IndexOutOfRange`] for i ≥ N).
    #[inline]
    pub fn magnetization(&self, i: usize) -> Result<T> {
        self.h
            .get(i)
            .map(|h| h.tanh())
            .ok_or(ShapeError::IndexOutOfRange {
                index: i,
                len: self.n,
            })
    }
    /// Writes all marginals m_i = tanh H_i into `out` (length N).
    pub fn magnetizations(&self, out: &mut [T]) -> Result<()> {
        if out.len() != self.n {
            return Err(ShapeError::LengthMismatch {
                expected: self.n,
                got: out.len(),
            });
        }
        for (o, &h) in out.iter_mut().zip(self.h.iter()) {
            *o = h.tanh();
        }
        Ok(())
    }

    fn check_instance(&self, inst: &Instance<'_>, reference: Option<&Spins<'_>>) -> Result<()> {
        if inst.n() != self.n {
            return Err(ShapeError::LengthMismatch {
                expected: self.n,
                got: inst.n(),
            });
        }
        if inst.p() != self.p {
            return Err(ShapeError::LengthMismatch {
                expected: self.p,
                got: inst.p(),
            });
        }
        if let Some(r) = reference {
            if r.len() != self.n {
                return Err(ShapeError::LengthMismatch {
                    expected: self.n,
                    got: r.len(),
                });
            }
        }
        Ok(())
    }

    /// Random initialization (§b.5): u_{μ→i} ~ U(−r, r), g = atanh u, focusing fields 0, totals
    /// consistent with λ·w̃ (no reference: no external field).
    pub fn init(
        &mut self,
        inst: &Instance<'_>,
        reference: Option<&Spins<'_>>,
        lambda: T,
        init_range: T,
        rng: &mut Rng,
    ) -> Result<()> {
        self.check_instance(inst, reference)?;
        random_fields(self.g, init_range, rng);
        self.ux.fill(T::ZERO);
        self.set_lambda(reference, lambda)
    }

    /// Recomputes the totals for a new λ, keeping the messages (warm start, §b.7). A reference of
    /// another length than N is a [`ShapeError::LengthMismatch`] (nothing is changed then).
    pub fn set_lambda(&mut self, reference: Option<&Spins<'_>>, lambda: T) -> Result<()> {
        if let Some(r) = reference {
            if r.len() != self.n {
                return Err(ShapeError::LengthMismatch {
                    expected: self.n,
                    got: r.len(),
                });
            }
        }
        let (n, p) = (self.n, self.p);
        for i in 0..n {
            let ext = match reference {
                Some(r) => lambda * T::from_i32(i32::from(r.get(i))),
                None => T::ZERO,
            };
            self.h[i] = ext + self.ux[i];
        }
        for mu in 0..p {
            let row = &self.g[mu * n..(mu + 1) * n];
            for (h, &g) in self.h.iter_mut().zip(row) {
                *h += g;
            }
        }
        self.lambda = lambda;
        Ok(())
    }

    /// One sequential sweep over the factors (and, if `focus` is active, the focusing nodes) in a
    /// fresh random order. Returns the residual max |Δ tanh| of the sweep, or NaN (nothing updated,
    /// no random number drawn) if `inst` is not N × P like the workspace: a NaN residual makes
    /// [`converge`](Self::converge) report the run unconverged.
    pub fn sweep(
        &mut self,
        inst: &Instance<'_>,
        damping: T,
        g_max: T,
        focus: Option<Focus<T>>,
        rng: &mut Rng,
    ) -> T {
        if self.check_instance(inst, None).is_err() {
            return T::from_f64(f64::NAN);
        }
        let focus = focus.filter(|f| f.active());
        let nodes = self.p + if focus.is_some() { self.n } else { 0 };
        let perm = &mut self.perm[..nodes];
        for (k, v) in perm.iter_mut().enumerate() {
            *v = k as u32;
        }
        shuffle(rng, perm);
        let theta = inst.threshold.t_par - 1;
        let t = inst.threshold.t;
        let level = crate::simd::Level::best();
        let mut residual = T::ZERO;
        for k in 0..nodes {
            let node = self.perm[k] as usize;
            let d = if node < self.p {
                let row = inst.patterns.row(node).words();
                let g = &mut self.g[node * self.n..(node + 1) * self.n];
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
                    FactorKind::Exact => {
                        factor::exact_update_raw(row, g, self.h, self.scratch, t, damping, g_max)
                    }
                }
            } else {
                let i = node - self.p;
                // `focus` is Some whenever nodes > p.
                let f = focus.unwrap_or(Focus {
                    pol: T::ZERO,
                    r: T::ZERO,
                });
                focusing::focus_update(&mut self.h[i], &mut self.ux[i], f, damping, g_max)
            };
            residual = residual.max(d);
        }
        residual
    }

    /// Sweeps until the residual is below `params.tol` or `params.max_sweeps` sweeps ran; then, if
    /// `params.retry_damping` is set and the run has not converged, once more with that damping.
    pub fn converge(
        &mut self,
        inst: &Instance<'_>,
        params: &BpParams<T>,
        focus: Option<Focus<T>>,
        rng: &mut Rng,
    ) -> Convergence {
        converge_with_retry(params, |damping| {
            self.sweep(inst, damping, params.g_max, focus, rng)
        })
    }

    /// Bethe free entropy and local-entropy quantities at the current messages (§b.6). `reference`
    /// and the workspace's λ define the external field; without a reference q = d = NaN.
    pub fn bethe(
        &mut self,
        inst: &Instance<'_>,
        reference: Option<&Spins<'_>>,
        contradiction_log_z: T,
    ) -> Result<BetheStats> {
        self.check_instance(inst, reference)?;
        Ok(bethe::bethe(self, inst, reference, contradiction_log_z))
    }
}

/// Plain BP (§b): initialize from `seed`, converge (with the damped retry), and evaluate the Bethe
/// quantities. The marginals stay in `ws` ([`BpWorkspace::magnetizations`]).
pub fn run_bp<T: Real>(
    inst: &Instance<'_>,
    ws: &mut BpWorkspace<'_, T>,
    params: &BpParams<T>,
    reference: Option<&Spins<'_>>,
    seed: u64,
) -> Result<BpOutcome> {
    params.validate()?;
    if ws.factor != params.factor {
        return Err(ShapeError::InvalidParameter(
            "workspace sized for another factor kind",
        ));
    }
    let mut rng = crate::rng::rng_from_seed(seed);
    ws.init(inst, reference, params.lambda, params.init_range, &mut rng)?;
    let convergence = ws.converge(inst, params, None, &mut rng);
    let bethe = ws.bethe(inst, reference, params.contradiction_log_z)?;
    Ok(BpOutcome { convergence, bethe })
}

/// The attempt / damped-retry loop of plain BP, shared by [`BpWorkspace::converge`] and
/// [`committee::CommitteeWorkspace::converge`]: `sweep(damping)` runs one sweep and returns its
/// residual; sweeps run until the residual is below `params.tol` or `params.max_sweeps` ran (a
/// non-finite residual ends the attempt); then, if `params.retry_damping` is set and the run has not
/// converged, once more with that damping (`damped_retry`). `sweeps` counts both attempts.
pub(crate) fn converge_with_retry<T: Real>(
    params: &BpParams<T>,
    mut sweep: impl FnMut(T) -> T,
) -> Convergence {
    let mut sweeps = 0;
    let mut residual = T::INFINITY;
    let mut attempt = |damping: T, sweeps: &mut usize, residual: &mut T| -> bool {
        for _ in 0..params.max_sweeps {
            *residual = sweep(damping);
            *sweeps += 1;
            if !residual.is_finite() {
                return false;
            }
            if *residual < params.tol {
                return true;
            }
        }
        false
    };
    let mut converged = attempt(params.damping, &mut sweeps, &mut residual);
    let mut damped_retry = false;
    if !converged {
        if let Some(rho) = params.retry_damping {
            damped_retry = true;
            converged = attempt(rho, &mut sweeps, &mut residual);
        }
    }
    Convergence {
        converged,
        sweeps,
        damped_retry,
        residual: residual.to_f64(),
    }
}

/// The random initial cavity fields of §b.5: g = atanh u with u ~ U(−r, r), drawn in slice order
/// (shared by the perceptron and committee workspaces, so K = 1 draws exactly the same stream).
pub(crate) fn random_fields<T: Real>(g: &mut [T], init_range: T, rng: &mut Rng) {
    for g in g.iter_mut() {
        let u = T::from_f64(2.0 * uniform(rng) - 1.0) * init_range;
        *g = u.atanh();
    }
}
