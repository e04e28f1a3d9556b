//! Stabilities, margin, errors and the integer threshold T(κ) (ALGORITHMS §a.2).
//!
//! The integer stability of pattern μ is `s_μ = Σᵢ wᵢ ξ^μ_i` (gauged patterns); the paper's stability is
//! Δ_μ = s_μ/√N. A κ-margin solution has Δ_μ ≥ κ for all μ, i.e. `s_μ ≥ T(κ)` with
//! `T(κ) = ⌈κ√N − 10⁻⁹⌉` (the guard makes κ√N landing on an integer deterministic). Since
//! `s_μ ≡ N (mod 2)`, `s ≥ T ⇔ s ≥ T_par` where `T_par` is T rounded up to N's parity. For κ = 0 and
//! even N, s = 0 counts as correct (sign(0) = +1).

use crate::error::{Result, ShapeError};

/// The integer threshold of a margin κ at size N.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Threshold {
    /// The margin κ.
    pub kappa: f64,
    /// N.
    pub n: usize,
    /// T(κ) = ⌈κ√N − 10⁻⁹⌉.
    pub t: i32,
    /// T rounded up to the parity of N (the smallest reachable stability that satisfies s ≥ T).
    pub t_par: i32,
}

impl Threshold {
    /// T(κ) at size N. κ must be finite; N ≥ 1.
    pub fn new(kappa: f64, n: usize) -> Result<Self> {
        if n == 0 {
            return Err(ShapeError::ZeroLength);
        }
        if !kappa.is_finite() {
            return Err(ShapeError::InvalidParameter("kappa must be finite"));
        }
        let raw = libm::ceil(kappa * libm::sqrt(n as f64) - 1e-9);
        if raw.abs() > i32::MAX as f64 / 2.0 {
            return Err(ShapeError::InvalidParameter("kappa·sqrt(N) out of range"));
        }
        let t = raw as i32;
        Ok(Threshold {
            kappa,
            n,
            t,
            t_par: parity_threshold(t, n),
        })
    }

    /// Whether a stability satisfies the margin.
    #[inline]
    pub fn satisfied(&self, s: i32) -> bool {
        s >= self.t
    }

    /// Number of stabilities below T (the energy E_κ).
    #[inline]
    pub fn errors(&self, stabilities: &[i32]) -> usize {
        errors(stabilities, self.t)
    }
}

/// `t` rounded up to the parity of `n` (`s ≡ n mod 2` for every reachable stability).
#[inline]
pub const fn parity_threshold(t: i32, n: usize) -> i32 {
    if (t - n as i32).rem_euclid(2) == 0 {
        t
    } else {
        t + 1
    }
}

/// #{μ : s_μ < t}.
#[inline]
pub fn errors(stabilities: &[i32], t: i32) -> usize {
    stabilities.iter().filter(|&&s| s < t).count()
}

/// The smallest stability, or `None` when P = 0.
#[inline]
pub fn min_stability(stabilities: &[i32]) -> Option<i32> {
    stabilities.iter().copied().min()
}

/// Margin κ(w) = min_μ s_μ / √N (+∞ when P = 0).
#[inline]
pub fn margin(stabilities: &[i32], n: usize) -> f64 {
    match min_stability(stabilities) {
        Some(s) => s as f64 / libm::sqrt(n as f64),
        None => f64::INFINITY,
    }
}

/// The k-th smallest stability (k = 1 is the minimum), by partial selection in `scratch`
/// (`scratch.len() == stabilities.len()`). Used by the level-set bounds of ALGORITHMS §f.3.
pub fn kth_smallest(stabilities: &[i32], k: usize, scratch: &mut [i32]) -> Result<i32> {
    if scratch.len() != stabilities.len() {
        return Err(ShapeError::LengthMismatch {
            expected: stabilities.len(),
            got: scratch.len(),
        });
    }
    if k == 0 || k > stabilities.len() {
        return Err(ShapeError::IndexOutOfRange {
            index: k,
            len: stabilities.len(),
        });
    }
    scratch.copy_from_slice(stabilities);
    let (_, kth, _) = scratch.select_nth_unstable(k - 1);
    Ok(*kth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_match_fixtures() {
        // fixtures/README.md: N = 15 and N = 21 at κ = 0.3 have T = 2; N15 has T_parity = 3.
        let t = Threshold::new(0.3, 15).unwrap();
        assert_eq!((t.t, t.t_par), (2, 3));
        assert_eq!(Threshold::new(0.3, 21).unwrap().t, 2);
        assert_eq!(Threshold::new(0.0, 15).unwrap().t, 0);
        // κ√N exactly integral: κ = 1, N = 16 → T = 4 (the 1e-9 guard does not push it to 5).
        assert_eq!(Threshold::new(1.0, 16).unwrap().t, 4);
        assert!(Threshold::new(f64::NAN, 3).is_err());
    }

    #[test]
    fn errors_and_margin() {
        let s = [3, -1, 5, 1];
        assert_eq!(errors(&s, 0), 1);
        assert_eq!(errors(&s, 2), 2);
        assert_eq!(margin(&s, 4), -0.5);
        let mut scratch = [0; 4];
        assert_eq!(kth_smallest(&s, 2, &mut scratch), Ok(1));
    }
}
