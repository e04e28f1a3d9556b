//! Random and teacher–student instances, the gauge, and the instance view (ALGORITHMS §a.1–a.2).
//!
//! Generation is a fixed, documented stream of xoshiro256++ draws (see [`crate::rng`]), so the same
//! seed gives the same bits on the host and on a Cortex-M:
//! 1. teacher variant only: the teacher's `words_for(N)` words (last one masked);
//! 2. the P patterns, row by row, `words_for(N)` draws each (last masked);
//! 3. random variant only: the labels, `words_for(P)` draws (bit μ set ⇔ y_μ = −1, last masked).
//!    Teacher variant: y_μ = sign(Σᵢ w*ᵢ ξ^μ_i) with sign(0) = +1 (only possible for even N).
//!
//! Patterns are generated raw; [`gauge`] multiplies row μ by y_μ so that every label becomes +1. All
//! algorithms work on gauged patterns; labels are kept only for I/O.

use crate::bits::{dot_words, last_word_mask, words_for, Patterns, PatternsMut, Spins, SpinsMut};
use crate::error::{Result, ShapeError};
use crate::rng::rng_from_seed;
use crate::stability::Threshold;
use rand_core::RngCore;

/// P = ⌊αN + ½⌋ (ALGORITHMS §a.1).
pub fn num_patterns(alpha: f64, n: usize) -> Result<usize> {
    if n == 0 {
        return Err(ShapeError::ZeroLength);
    }
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(ShapeError::InvalidParameter(
            "alpha must be finite and >= 0",
        ));
    }
    let p = libm::floor(alpha * n as f64 + 0.5);
    if p > (u32::MAX as f64) {
        return Err(ShapeError::InvalidParameter("alpha·N too large"));
    }
    Ok(p as usize)
}

/// Label y_μ from packed label bits (bit set ⇔ −1).
#[inline]
pub fn label(labels: &[u64], mu: usize) -> i8 {
    if (labels[mu / 64] >> (mu % 64)) & 1 == 1 {
        -1
    } else {
        1
    }
}

fn check_labels(p: usize, labels: &[u64]) -> Result<()> {
    if labels.len() != words_for(p) {
        return Err(ShapeError::LengthMismatch {
            expected: words_for(p),
            got: labels.len(),
        });
    }
    Ok(())
}

fn fill_patterns<R: RngCore>(rng: &mut R, patterns: &mut PatternsMut<'_>) {
    for mu in 0..patterns.p() {
        patterns.row_mut(mu).fill_random(rng);
    }
}

/// A random storage instance: i.i.d. uniform raw patterns and labels from `seed` (ungauged).
pub fn generate_random(
    seed: u64,
    patterns: &mut PatternsMut<'_>,
    labels: &mut [u64],
) -> Result<()> {
    let p = patterns.p();
    check_labels(p, labels)?;
    let mut rng = rng_from_seed(seed);
    fill_patterns(&mut rng, patterns);
    for w in labels.iter_mut() {
        *w = rng.next_u64();
    }
    if let Some(last) = labels.last_mut() {
        *last &= last_word_mask(p);
    }
    Ok(())
}

/// A teacher–student instance: a uniform teacher, uniform raw patterns, labels y = sign(w*·ξ)
/// (sign(0) = +1). Use odd N so the teacher is a κ = 0 solution with margin ≥ 1/√N.
pub fn generate_teacher(
    seed: u64,
    teacher: &mut SpinsMut<'_>,
    patterns: &mut PatternsMut<'_>,
    labels: &mut [u64],
) -> Result<()> {
    let (n, p) = (patterns.n(), patterns.p());
    if teacher.len() != n {
        return Err(ShapeError::LengthMismatch {
            expected: n,
            got: teacher.len(),
        });
    }
    check_labels(p, labels)?;
    let mut rng = rng_from_seed(seed);
    teacher.fill_random(&mut rng);
    fill_patterns(&mut rng, patterns);
    labels.fill(0);
    let t = teacher.as_spins();
    let xi = patterns.as_patterns();
    for mu in 0..p {
        if dot_words(t.words(), xi.row(mu).words(), n) < 0 {
            labels[mu / 64] |= 1u64 << (mu % 64);
        }
    }
    Ok(())
}

/// Gauge in place: ξ^μ ← y_μ ξ^μ (padding stays zero). Applying it twice restores the raw patterns.
pub fn gauge(patterns: &mut PatternsMut<'_>, labels: &[u64]) -> Result<()> {
    check_labels(patterns.p(), labels)?;
    for mu in 0..patterns.p() {
        if label(labels, mu) < 0 {
            patterns.row_mut(mu).negate();
        }
    }
    Ok(())
}

/// A gauged instance: patterns (every label +1) and the margin threshold.
#[derive(Clone, Copy, Debug)]
pub struct Instance<'a> {
    /// Gauged patterns ξ^μ (P × N).
    pub patterns: Patterns<'a>,
    /// The margin κ and its integer threshold T(κ).
    pub threshold: Threshold,
}

impl<'a> Instance<'a> {
    /// Wraps gauged patterns with a margin κ.
    pub fn new(patterns: Patterns<'a>, kappa: f64) -> Result<Self> {
        Ok(Instance {
            patterns,
            threshold: Threshold::new(kappa, patterns.n())?,
        })
    }
    /// N.
    #[inline]
    pub fn n(&self) -> usize {
        self.patterns.n()
    }
    /// P.
    #[inline]
    pub fn p(&self) -> usize {
        self.patterns.p()
    }
    /// α = P/N.
    #[inline]
    pub fn alpha(&self) -> f64 {
        self.p() as f64 / self.n() as f64
    }
    /// All stabilities of `w` into `out` (length P), fastest kernel.
    pub fn stabilities(&self, w: &Spins<'_>, out: &mut [i32]) -> Result<()> {
        crate::bits::kernel::stabilities(w, &self.patterns, out)
    }
    /// E_κ(w): patterns with s_μ < T(κ). `scratch` (length P) receives the stabilities.
    pub fn errors(&self, w: &Spins<'_>, scratch: &mut [i32]) -> Result<usize> {
        self.stabilities(w, scratch)?;
        Ok(self.threshold.errors(scratch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_rounding() {
        assert_eq!(num_patterns(0.5, 15), Ok(8));
        assert_eq!(num_patterns(0.3, 15), Ok(5));
        assert_eq!(num_patterns(0.6, 1001), Ok(601));
        assert!(num_patterns(-1.0, 3).is_err());
    }

    #[test]
    fn teacher_is_solution_and_gauge_involutive() {
        let (n, p) = (101usize, 60usize);
        let mut t = [0u64; 2];
        let mut xi = [0u64; 120];
        let mut y = [0u64; 1];
        let mut tm = SpinsMut::new(n, &mut t).unwrap();
        let mut pm = PatternsMut::new(n, p, &mut xi).unwrap();
        generate_teacher(3, &mut tm, &mut pm, &mut y).unwrap();
        let raw = xi;
        let mut pm = PatternsMut::new(n, p, &mut xi).unwrap();
        gauge(&mut pm, &y).unwrap();
        let inst = Instance::new(pm.as_patterns(), 0.0).unwrap();
        let mut s = [0i32; 60];
        let tw = Spins::new(n, &t).unwrap();
        assert_eq!(inst.errors(&tw, &mut s).unwrap(), 0);
        let mut pm = PatternsMut::new(n, p, &mut xi).unwrap();
        gauge(&mut pm, &y).unwrap();
        assert_eq!(xi, raw);
    }
}
