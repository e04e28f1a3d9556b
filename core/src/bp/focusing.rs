//! Focusing BP (ALGORITHMS §c): BP on y replicas coupled with strength γ to a center, reduced by
//! replica symmetry to one extra "focusing" factor per variable (§c.1); the protocols of §c.2 (and the
//! SM II.3 reconstruction of §c.4 as a preset); the driver of §c.3; reinforced BP (§d.1) as the
//! γ = ∞ protocol with one sweep per step.
//!
//! Focusing message: with hx_i = H_i − ux_i, pol = tanh γ, r = y − 1,
//! ux_i = atanh(pol · tanh(r · atanh(pol · tanh hx_i))), which is r·hx_i for γ = ∞; it is clamped at
//! ±G_max like every field.
//!
//! Memory: a [`BpWorkspace`] (P·N + 4N reals + P + N `u32`), the caller's output spins and P `i32`
//! stabilities.

use super::{BpParams, BpWorkspace, FactorKind, Focus};
use crate::bits::SpinsMut;
use crate::error::{Result, ShapeError};
use crate::instance::Instance;
use crate::real::Real;
use crate::rng::{rng_from_seed, Rng};
use crate::stability::{margin, min_stability};

/// One step of a focusing protocol: coupling γ (may be +∞) and number of replicas y ≥ 1.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Step {
    /// Coupling γ ≥ 0 (`f64::INFINITY` for pure reinforcement).
    pub gamma: f64,
    /// Number of replicas y ≥ 1.
    pub y: f64,
}

/// A sequence of (γ_k, y_k) (§c.2).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Protocol<'a> {
    /// γ = ∞, y = 1/(1 − x) for x = 0, dr, …, 1 − dr (the default, dr = 0.01).
    StandardReinforcement {
        /// Step of x.
        dr: f64,
    },
    /// Fixed y, γ = start, start + step, … ≤ stop (\[SRC\] test suite: 0:0.1:10, y = 21).
    Scoping {
        /// First γ.
        gamma_start: f64,
        /// Increment of γ.
        gamma_step: f64,
        /// Last γ (inclusive).
        gamma_stop: f64,
        /// Number of replicas.
        y: f64,
    },
    /// γ = atanh(ρˣ), y = 1 + ρ^{1−2x}/(1 − ρ) for ρ = start, start + step, … ≤ stop < 1.
    PseudoReinforcement {
        /// First ρ ≥ 0.
        rho_start: f64,
        /// Increment of ρ.
        rho_step: f64,
        /// Last ρ (inclusive, < 1).
        rho_stop: f64,
        /// The exponent x (½ in \[SRC\]).
        x: f64,
    },
    /// An explicit list of steps.
    FreeScoping(&'a [Step]),
    /// The SM II.3 reconstruction of §c.4 \[REC\]: y fixed, γ_k = atanh(k/K) for k = 0..=K with the last
    /// (infinite) step capped at `cap`; then, if still unsolved, reinforcement steps γ = ∞,
    /// y/(1 − t·dr) for t = 1, 2, … while t·dr < 1 (our continuation; the paper's is unknown).
    PaperScoping {
        /// K (20 in §c.4).
        steps: usize,
        /// y (7 in §c.4).
        y: f64,
        /// Cap of the last γ (5 in §c.4).
        cap: f64,
        /// Step of the reinforcement continuation (0.01).
        reinforce_dr: f64,
    },
}

impl Protocol<'_> {
    /// StandardReinforcement(0.01), the \[SRC\] default.
    pub const DEFAULT: Protocol<'static> = Protocol::StandardReinforcement { dr: 0.01 };
    /// The §c.4 reconstruction: y = 7, K = 20, cap 5, reinforcement continuation with dr = 0.01.
    pub const PAPER: Protocol<'static> = Protocol::PaperScoping {
        steps: 20,
        y: 7.0,
        cap: 5.0,
        reinforce_dr: 0.01,
    };
    /// The \[SRC\] test suite's Scoping(0:0.1:10, 21).
    pub const SRC_SCOPING: Protocol<'static> = Protocol::Scoping {
        gamma_start: 0.0,
        gamma_step: 0.1,
        gamma_stop: 10.0,
        y: 21.0,
    };
    /// PseudoReinforcement(0:0.01:0.99; x = ½).
    pub const PSEUDO: Protocol<'static> = Protocol::PseudoReinforcement {
        rho_start: 0.0,
        rho_step: 0.01,
        rho_stop: 0.99,
        x: 0.5,
    };

    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        let bad = |c: bool, m: &'static str| {
            if c {
                Err(ShapeError::InvalidParameter(m))
            } else {
                Ok(())
            }
        };
        match *self {
            Protocol::StandardReinforcement { dr } => {
                bad(!(dr > 0.0 && dr < 1.0), "dr must be in (0, 1)")
            }
            Protocol::Scoping {
                gamma_start,
                gamma_step,
                gamma_stop,
                y,
            } => {
                bad(
                    !(gamma_start >= 0.0 && gamma_step > 0.0 && gamma_stop.is_finite()),
                    "bad gamma range",
                )?;
                bad(!(y >= 1.0 && y.is_finite()), "y must be >= 1")
            }
            Protocol::PseudoReinforcement {
                rho_start,
                rho_step,
                rho_stop,
                x,
            } => {
                bad(
                    !(rho_start >= 0.0 && rho_step > 0.0 && rho_stop < 1.0),
                    "rho range must lie in [0, 1)",
                )?;
                bad(
                    !(x.is_finite() && x > 0.0 && x < 1.0),
                    "x must be in (0, 1)",
                )
            }
            Protocol::FreeScoping(steps) => {
                for s in steps {
                    bad(
                        !(s.gamma >= 0.0 && s.y >= 1.0 && s.y.is_finite()),
                        "each step needs gamma >= 0, y >= 1",
                    )?;
                }
                Ok(())
            }
            Protocol::PaperScoping {
                steps,
                y,
                cap,
                reinforce_dr,
            } => {
                bad(steps == 0, "K must be >= 1")?;
                bad(
                    !(y >= 1.0 && y.is_finite() && cap > 0.0),
                    "need y >= 1 and cap > 0",
                )?;
                bad(
                    !(reinforce_dr > 0.0 && reinforce_dr < 1.0),
                    "dr must be in (0, 1)",
                )
            }
        }
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        let count = |start: f64, step: f64, stop: f64| -> usize {
            if step <= 0.0 || stop < start {
                0
            } else {
                libm::floor((stop - start) / step + 1e-9) as usize + 1
            }
        };
        match *self {
            Protocol::StandardReinforcement { dr } => {
                if dr > 0.0 {
                    libm::round(1.0 / dr) as usize
                } else {
                    0
                }
            }
            Protocol::Scoping {
                gamma_start,
                gamma_step,
                gamma_stop,
                ..
            } => count(gamma_start, gamma_step, gamma_stop),
            Protocol::PseudoReinforcement {
                rho_start,
                rho_step,
                rho_stop,
                ..
            } => count(rho_start, rho_step, rho_stop),
            Protocol::FreeScoping(s) => s.len(),
            Protocol::PaperScoping {
                steps,
                reinforce_dr,
                ..
            } => steps + 1 + (libm::ceil(1.0 / reinforce_dr) as usize).saturating_sub(1),
        }
    }

    /// Whether the protocol has no steps.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Step k (`None` past the end).
    pub fn step(&self, k: usize) -> Option<Step> {
        if k >= self.len() {
            return None;
        }
        let kf = k as f64;
        Some(match *self {
            Protocol::StandardReinforcement { dr } => Step {
                gamma: f64::INFINITY,
                y: 1.0 / (1.0 - kf * dr),
            },
            Protocol::Scoping {
                gamma_start,
                gamma_step,
                y,
                ..
            } => Step {
                gamma: gamma_start + kf * gamma_step,
                y,
            },
            Protocol::PseudoReinforcement {
                rho_start,
                rho_step,
                x,
                ..
            } => {
                let rho = rho_start + kf * rho_step;
                Step {
                    gamma: libm::atanh(libm::pow(rho, x)),
                    y: 1.0 + libm::pow(rho, 1.0 - 2.0 * x) / (1.0 - rho),
                }
            }
            Protocol::FreeScoping(s) => s[k],
            Protocol::PaperScoping {
                steps,
                y,
                cap,
                reinforce_dr,
            } => {
                if k < steps {
                    Step {
                        gamma: libm::atanh(kf / steps as f64).min(cap),
                        y,
                    }
                } else if k == steps {
                    Step { gamma: cap, y }
                } else {
                    let t = (k - steps) as f64;
                    Step {
                        gamma: f64::INFINITY,
                        y: y / (1.0 - t * reinforce_dr),
                    }
                }
            }
        })
    }
}

/// Early stop of a focusing run whose BP has run away.
///
/// Near the algorithmic threshold BP at large γ stops having a stable fixed point: some variables'
/// cavity fields flip sign at every sweep and, amplified by the y − 1 replicas, their focusing
/// messages jump between ≈ ±γ, so a sweep's residual max |Δ tanh| sits at ≈ 2·tanh γ (2 once γ = ∞).
/// Measured at N = 1001, α = 0.74–0.75 (paper protocol, 10 sweeps per step), no run that reached
/// 4 consecutive steps with residual ≥ 1.5 ever solved afterwards: the errors climb from a handful
/// to hundreds, and the remaining ~100 reinforcement steps of a failure cost ≈ 1000 sweeps (≈ 100 s
/// on one core) for nothing. Stopping there makes a failure cost ≈ 200 sweeps instead.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Runaway {
    /// A step whose last sweep has residual ≥ this counts as runaway (the residual is at most 2).
    pub residual: f64,
    /// Give up after this many consecutive runaway steps.
    pub steps: usize,
}

impl Runaway {
    /// Residual ≥ 1.5 on 4 consecutive steps (the default of [`FbpParams::new`]).
    pub const DEFAULT: Runaway = Runaway {
        residual: 1.5,
        steps: 4,
    };

    /// For reinforced BP ([`FbpParams::rbp`], one sweep per step): residual ≥ 1.5 on 10 consecutive
    /// sweeps. Opt-in (`FbpParams { runaway: Some(Runaway::RBP), ..FbpParams::rbp(dr) }`);
    /// [`FbpParams::rbp`] itself keeps `None`, so its runs (and the firmware's) are unchanged.
    ///
    /// Measured at N = 1001, dr = 1e-3 (instances `InstanceFile::generate(1001, α, 0, false, s)`,
    /// solver seed s; the `rbp_residual_traces` harness of tests/bp.rs records every sweep's
    /// residual of the full 1000-step run), 79 runs:
    ///
    /// | α | solved | solved at step | largest residual before the solution | failures stopped at step |
    /// |---|---|---|---|---|
    /// | 0.60 (s = 1–12) | 12/12 | 551–688 | 0.11 | – |
    /// | 0.65 (s = 1–20) | 20/20 | 498–705 | 0.13 | – |
    /// | 0.70 (s = 1–20) | 19/20 | 437–689 | 0.21 | 699 |
    /// | 0.74 (s = 1–20) | 14/20 | 367–567 | 0.54 | 462–604 |
    /// | 0.76 (s = 1–3) | 0/3 | – | – | 345–546 |
    /// | 0.78 (s = 1–4) | 1/4 | 464 | 0.21 | 344–386 |
    ///
    /// No run that solved ever had a sweep with residual ≥ 0.6 before its solution, so the rule
    /// loses none of the 66 solutions; every one of the 13 failures ran away (residual ≈ 2 on every
    /// sweep) and is stopped after 344–699 sweeps instead of 1000 (mean saving 500 sweeps).
    pub const RBP: Runaway = Runaway {
        residual: 1.5,
        steps: 10,
    };

    /// Number of weights at which [`DEFAULT`](Self::DEFAULT) and [`RBP`](Self::RBP) were calibrated
    /// (N = 1001; committees at K·N ≈ 1000).
    pub const CALIBRATION_WEIGHTS: usize = 1000;

    /// The rule for a committee of `weights` = K·n weights ([`focusing_bp`] applies it to every
    /// committee, K ≥ 3): below [`CALIBRATION_WEIGHTS`](Self::CALIBRATION_WEIGHTS) the number of
    /// consecutive runaway steps grows as ⌈steps·√(1000/weights)⌉; at and above it the rule is
    /// unchanged.
    ///
    /// Why: the residual is a maximum over messages, and in a small machine every message is large
    /// (a pattern's field on a weight is O(1/√n)): single hidden units flip back and forth and the
    /// residual sits near 2 for several steps in runs that still solve, which at ≈ 1000 weights
    /// only happens in runs that have run away. Measured with `flatmin solve` (defaults: paper
    /// protocol, 10 sweeps per step, StandardReinforcement fallback, damping 0.5, solver seed 0) on
    /// K = 7, N = 15 (105 weights), instance seeds 1–6, solved per α = 0.3/0.4/0.5/0.6:
    ///
    /// | consecutive runaway steps | solved | sweeps of the failures at α = 2 |
    /// |---|---|---|
    /// | 4 (the fixed rule) | 1/6, 5/6, 4/6, 4/6 | – |
    /// | 8 | 6/6, 6/6, 4/6, 4/6 | 260–369 |
    /// | 13 (this rule at 105 weights) | 6/6, 6/6, 4/6, 4/6 | 380–545 |
    /// | 39 (⌈4·1000/105⌉, scaling with the work) | 6/6, 6/6, 4/6, 4/6 | 545–666 (never fires) |
    /// | no stop | 6/6, 6/6, 4/6, 4/6 | 545–666 |
    ///
    /// So the √ scaling loses none of these solutions and still gives up hopeless runs early,
    /// where the work-proportional 1000/weights never fires at this size.
    pub fn for_weights(self, weights: usize) -> Runaway {
        if weights == 0 || weights >= Self::CALIBRATION_WEIGHTS {
            return self;
        }
        let factor = libm::sqrt(Self::CALIBRATION_WEIGHTS as f64 / weights as f64);
        let steps = libm::ceil(self.steps as f64 * factor) as usize;
        Runaway { steps, ..self }
    }
}

/// Parameters of the focusing-BP driver (§c.3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FbpParams<'a, T> {
    /// The (γ, y) schedule.
    pub protocol: Protocol<'a>,
    /// BP settings of each step: `tol` (1e-3), `max_sweeps` per step, damping, G_max, init range.
    /// `lambda` must be 0; `retry_damping` applies per step.
    pub bp: BpParams<T>,
    /// Return at the first solution (\[SRC\] `outatzero`, default true); otherwise run the whole
    /// protocol and report the last step.
    pub stop_at_solution: bool,
    /// With `stop_at_solution`, test sign0(m) after every sweep rather than only at the end of each
    /// step (\[SRC\]). A test costs P·N/64 word operations, well under 1% of a sweep; it catches
    /// solutions that unconverged steps pass through (at N = 1001, α = 0.7: median 142 sweeps
    /// instead of 151 over 8 instances).
    pub check_every_sweep: bool,
    /// Give up once BP has run away (see [`Runaway`]; committees scale it to their size,
    /// [`Runaway::for_weights`]); `None` always runs the whole protocol.
    pub runaway: Option<Runaway>,
    /// If the protocol ends (or runs away) without a solution, start again from the same seed with
    /// this protocol (same BP settings); `None` (the default) does not.
    pub fallback: Option<Protocol<'a>>,
}

impl<'a, T: Real> FbpParams<'a, T> {
    /// fBP with a protocol and the \[SRC\] defaults (Gaussian factor, tol 1e-3, no damping, no retry,
    /// randfact 0.01, stop at the first solution) plus ours: at most 10 sweeps per step, a solution
    /// test after every sweep, [`Runaway::DEFAULT`], no fallback.
    ///
    /// Why 10 sweeps per step (\[SRC\] has 1000, the oracle 50): from γ ≈ 0.3 on, at α ≥ 0.7, most
    /// steps do not reach tol 1e-3 whatever the budget, because BP oscillates, and more sweeps there
    /// do not help; fewer do not either. Measured at N = 1001, κ = 0, one instance and solver seed per
    /// seed 1, 2, … (machine shared, one core), solved/instances:
    ///
    /// | protocol, sweeps per step | α = 0.70 | 0.74 | 0.75 | 0.76 | 0.77 |
    /// |---|---|---|---|---|---|
    /// | [`Protocol::PAPER`], 10 | 8/8 | 14/20 | 9/20 | 0/6 | 0/6 |
    /// | [`Protocol::PAPER`], 5 | – | 4/10 | 1/8 | – | – |
    /// | [`Protocol::PAPER`], 7 | 6/8 | 5/10 | – | – | – |
    /// | [`Protocol::PAPER`], 8 | 8/8 | 4/10 | – | – | – |
    /// | [`Protocol::PAPER`], 20 | – | 3/10 | 2/10 | – | – |
    /// | [`Protocol::PAPER`], 30 | – | 6/10 | – | – | – |
    /// | [`Protocol::PAPER`], 50 | – | – | 2/8 | – | – |
    /// | [`Protocol::PAPER`], 10 then more (≤ 100) while the residual decreases | – | 7/10 | 1/8 | – | – |
    /// | [`Protocol::DEFAULT`] (reinforcement), 10 | – | 15/20 | 10/20 | 1/6 | – |
    /// | [`Protocol::PAPER`] with [`Protocol::DEFAULT`] as `fallback`, 10 | 8/8 | 17/20 | 11/20 | 1/6 | – |
    ///
    /// With 10 instances a rate carries a binomial spread of about ±1.5, so of the sweep budgets
    /// only 10 against 5 and 20 is clearly resolved; the fallback row is the union of the two rows
    /// above it (same seeds), so its gain is exact. The paper protocol solves α = 0.7 in a median
    /// 142 sweeps (151 without the per-sweep test); reinforcement takes ≈ 2.5× more sweeps when it
    /// solves; a failure with the fallback costs ≈ 640 sweeps. Also tried without gain at α = 0.74
    /// or 0.75: y = 3, 11, 21; K = 15 (7/8 at α = 0.7), 40, 60 steps; damping 0.5 throughout or
    /// after 10 sweeps; restarts from other solver seeds (0 of 20 extra attempts on 5 hard
    /// instances); reinforcement with 50 sweeps per step as the fallback (1 of 6 hard instances at
    /// ≈ 25 s each); the \[SRC\] scoping and pseudo-reinforcement protocols.
    pub fn new(protocol: Protocol<'a>) -> Self {
        FbpParams {
            protocol,
            bp: BpParams {
                tol: T::from_f64(1e-3),
                max_sweeps: 10,
                retry_damping: None,
                ..BpParams::default()
            },
            stop_at_solution: true,
            check_every_sweep: true,
            runaway: Some(Runaway::DEFAULT),
            fallback: None,
        }
    }

    /// Reinforced BP (§d.1): StandardReinforcement(dr) with one sweep per step, never stopped early
    /// for runaway here (bit-identical to earlier versions and the firmware); [`Runaway::RBP`] is the
    /// measured opt-in stop the host uses.
    pub fn rbp(dr: f64) -> Self {
        let mut p = Self::new(Protocol::StandardReinforcement { dr });
        p.bp.max_sweeps = 1;
        p.check_every_sweep = false;
        p.runaway = None;
        p
    }

    /// Checks the parameters (BP settings, protocol, runaway rule).
    pub fn validate(&self) -> Result<()> {
        self.bp.validate()?;
        self.protocol.validate()?;
        if let Some(f) = self.fallback {
            f.validate()?;
        }
        if let Some(r) = self.runaway {
            if !(r.residual > 0.0 && r.steps >= 1) {
                return Err(ShapeError::InvalidParameter(
                    "runaway needs residual > 0 and steps >= 1",
                ));
            }
        }
        if self.bp.lambda != T::ZERO {
            return Err(ShapeError::InvalidParameter(
                "focusing BP runs at lambda = 0",
            ));
        }
        Ok(())
    }
}

/// What the focusing-BP driver did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FbpOutcome {
    /// sign0(m) at the returned step is a κ-solution.
    pub solved: bool,
    /// E_κ of the returned configuration.
    pub errors: usize,
    /// Its margin min_μ s_μ/√N (+∞ if P = 0).
    pub margin: f64,
    /// Its smallest integer stability (`i32::MAX` if P = 0).
    pub min_stability: i32,
    /// Protocol steps run.
    pub steps: usize,
    /// BP sweeps run in total.
    pub sweeps: usize,
    /// Steps whose BP did not reach the tolerance within `max_sweeps`.
    pub unconverged_steps: usize,
    /// The (last) run was stopped by the [`Runaway`] rule.
    pub ran_away: bool,
    /// The main protocol failed and the [`FbpParams::fallback`] protocol ran (`steps`, `sweeps` and
    /// `unconverged_steps` count both runs; the rest describes the fallback's).
    pub fell_back: bool,
}

/// What the focusing-BP driver ([`focusing_bp`]) needs from a BP engine: one driver runs the
/// protocols, the solution test after every sweep, the runaway stop and the fallback for every model.
///
/// An engine owns its messages (the totals of every weight variable and the focusing fields ux, one
/// per weight variable); a sweep visits its factor nodes and, with an active focus, its focusing
/// nodes, in a fresh random order drawn from `rng`, and returns the sweep's residual max |Δ tanh|.
pub trait FocusingEngine<T: Real> {
    /// The instance the engine runs on.
    type Problem<'p>;
    /// The configuration the driver writes (the BP decision sign0 of the totals).
    type Config<'c>;
    /// The factor update the engine was sized for.
    fn fbp_factor(&self) -> FactorKind;
    /// Checks the instance, the output configuration and the stabilities scratch against the
    /// engine's sizes.
    fn fbp_check(
        &self,
        problem: &Self::Problem<'_>,
        w: &Self::Config<'_>,
        stabilities: &[i32],
    ) -> Result<()>;
    /// Random initialization of the messages at λ = 0, focusing fields 0.
    fn fbp_init(&mut self, problem: &Self::Problem<'_>, init_range: T, rng: &mut Rng)
        -> Result<()>;
    /// One sweep with the focusing nodes `focus` (inactive: factor nodes only); returns the residual.
    fn fbp_sweep(
        &mut self,
        problem: &Self::Problem<'_>,
        damping: T,
        g_max: T,
        focus: Focus<T>,
        rng: &mut Rng,
    ) -> T;
    /// Writes the decision sign0(H) into `w`, fills `stabilities` (one entry per pattern) and
    /// returns the number of violated patterns.
    fn fbp_decide(
        &self,
        problem: &Self::Problem<'_>,
        w: &mut Self::Config<'_>,
        stabilities: &mut [i32],
    ) -> Result<usize>;
    /// (margin, smallest stability) of the stabilities [`fbp_decide`](Self::fbp_decide) left.
    fn fbp_quality(&self, problem: &Self::Problem<'_>, stabilities: &[i32]) -> (f64, i32);
    /// The number of weights the runaway rule is scaled to ([`Runaway::for_weights`]), or `None`
    /// to use the rule as given (the default: the perceptron, and committees with K = 1, which run
    /// the perceptron bit for bit).
    fn fbp_runaway_weights(&self) -> Option<usize> {
        None
    }
}

impl<T: Real> FocusingEngine<T> for BpWorkspace<'_, T> {
    type Problem<'p> = Instance<'p>;
    type Config<'c> = SpinsMut<'c>;
    fn fbp_factor(&self) -> FactorKind {
        self.factor()
    }
    fn fbp_check(&self, inst: &Instance<'_>, w: &SpinsMut<'_>, stabilities: &[i32]) -> Result<()> {
        if w.len() != inst.n() {
            return Err(ShapeError::LengthMismatch {
                expected: inst.n(),
                got: w.len(),
            });
        }
        if stabilities.len() != inst.p() {
            return Err(ShapeError::LengthMismatch {
                expected: inst.p(),
                got: stabilities.len(),
            });
        }
        Ok(())
    }
    fn fbp_init(&mut self, inst: &Instance<'_>, init_range: T, rng: &mut Rng) -> Result<()> {
        self.init(inst, None, T::ZERO, init_range, rng)
    }
    fn fbp_sweep(
        &mut self,
        inst: &Instance<'_>,
        damping: T,
        g_max: T,
        focus: Focus<T>,
        rng: &mut Rng,
    ) -> T {
        self.sweep(inst, damping, g_max, Some(focus), rng)
    }
    fn fbp_decide(
        &self,
        inst: &Instance<'_>,
        w: &mut SpinsMut<'_>,
        stabilities: &mut [i32],
    ) -> Result<usize> {
        w.set_from_signs(self.totals())?;
        inst.errors(&w.as_spins(), stabilities)
    }
    fn fbp_quality(&self, inst: &Instance<'_>, stabilities: &[i32]) -> (f64, i32) {
        (
            margin(stabilities, inst.n()),
            min_stability(stabilities).unwrap_or(i32::MAX),
        )
    }
}

/// One focusing-node update for variable i; returns |Δ tanh ux|.
#[inline]
pub(crate) fn focus_update<T: Real>(h: &mut T, ux: &mut T, f: Focus<T>, damping: T, g_max: T) -> T {
    let old = *ux;
    let hx = *h - old;
    let raw = if f.pol >= T::ONE {
        f.r * hx
    } else {
        (f.pol * (f.r * (f.pol * hx.tanh()).atanh()).tanh()).atanh()
    };
    let mut new = super::factor::clamp(raw, g_max);
    if damping > T::ZERO {
        new = (T::ONE - damping) * new + damping * old;
    }
    *ux = new;
    *h = hx + new;
    (new.tanh() - old.tanh()).abs()
}

/// Focusing BP (§c.3) on any [`FocusingEngine`] (the perceptron's [`BpWorkspace`], the committee
/// machine's [`super::committee::CommitteeWorkspace`]): initialize from `seed`, then for each protocol step converge BP with the
/// focusing nodes, write w = sign0(m) into `w`, and count E_κ(w) (`stabilities`: P entries of scratch,
/// left holding w's stabilities). Stops at the first solution if `stop_at_solution` (tested after
/// every sweep if `check_every_sweep`), and once BP has run away if `runaway` is set. If that run
/// ends without a solution and `fallback` is set, runs the fallback protocol from a fresh
/// initialization by the same `seed` (so exactly as a run with that protocol alone would go).
pub fn focusing_bp<T: Real, E: FocusingEngine<T>>(
    inst: &E::Problem<'_>,
    ws: &mut E,
    params: &FbpParams<'_, T>,
    seed: u64,
    w: &mut E::Config<'_>,
    stabilities: &mut [i32],
) -> Result<FbpOutcome> {
    params.validate()?;
    if ws.fbp_factor() != params.bp.factor {
        return Err(ShapeError::InvalidParameter(
            "workspace sized for another factor kind",
        ));
    }
    ws.fbp_check(inst, w, stabilities)?;
    let mut out = FbpOutcome {
        solved: false,
        errors: stabilities.len(),
        margin: f64::NEG_INFINITY,
        min_stability: i32::MIN,
        steps: 0,
        sweeps: 0,
        unconverged_steps: 0,
        ran_away: false,
        fell_back: false,
    };
    run_protocol(
        inst,
        ws,
        params,
        &params.protocol,
        seed,
        w,
        stabilities,
        &mut out,
    )?;
    if let (false, Some(fallback)) = (out.solved, params.fallback) {
        out.fell_back = true;
        out.ran_away = false;
        run_protocol(inst, ws, params, &fallback, seed, w, stabilities, &mut out)?;
    }
    Ok(out)
}

/// One run of `protocol` from a fresh initialization by `seed`, adding to `out`'s counters and
/// overwriting its description of the configuration.
#[allow(clippy::too_many_arguments)]
fn run_protocol<T: Real, E: FocusingEngine<T>>(
    inst: &E::Problem<'_>,
    ws: &mut E,
    params: &FbpParams<'_, T>,
    protocol: &Protocol<'_>,
    seed: u64,
    w: &mut E::Config<'_>,
    stabilities: &mut [i32],
    out: &mut FbpOutcome,
) -> Result<()> {
    let mut rng = rng_from_seed(seed);
    ws.fbp_init(inst, params.bp.init_range, &mut rng)?;
    let steps_before = out.steps;
    let check_sweeps = params.stop_at_solution && params.check_every_sweep;
    let mut runaway_steps = 0;
    let runaway = params
        .runaway
        .map(|r| ws.fbp_runaway_weights().map_or(r, |w| r.for_weights(w)));
    let mut k = 0;
    while let Some(step) = protocol.step(k) {
        k += 1;
        let pol = if step.gamma.is_infinite() {
            T::ONE
        } else {
            T::from_f64(libm::tanh(step.gamma))
        };
        let focus = Focus {
            pol,
            r: T::from_f64(step.y - 1.0),
        };
        // The loop of `BpWorkspace::converge` (same sweeps, same random stream), with the optional
        // solution test after each sweep.
        let bp = &params.bp;
        let mut residual = T::INFINITY;
        let mut converged = false;
        let mut found = false;
        let dampings = [Some(bp.damping), bp.retry_damping];
        'attempts: for damping in dampings.into_iter().flatten() {
            for _ in 0..bp.max_sweeps {
                residual = ws.fbp_sweep(inst, damping, bp.g_max, focus, &mut rng);
                out.sweeps += 1;
                if check_sweeps && ws.fbp_decide(inst, w, stabilities)? == 0 {
                    found = true;
                }
                if !residual.is_finite() {
                    break; // to the damped retry, as `converge` does
                }
                if residual < bp.tol {
                    converged = true;
                    break 'attempts;
                }
                if found {
                    break 'attempts;
                }
            }
        }
        out.steps = steps_before + k;
        if !converged {
            out.unconverged_steps += 1;
        }
        out.errors = ws.fbp_decide(inst, w, stabilities)?;
        out.solved = out.errors == 0;
        (out.margin, out.min_stability) = ws.fbp_quality(inst, stabilities);
        if out.solved && params.stop_at_solution {
            break;
        }
        if let Some(r) = runaway {
            if residual.to_f64() >= r.residual {
                runaway_steps += 1;
            } else {
                runaway_steps = 0;
            }
            if runaway_steps >= r.steps {
                out.ran_away = true;
                break;
            }
        }
    }
    Ok(())
}
