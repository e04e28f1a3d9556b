//! Clipped Hebb (ALGORITHMS §d.5): w_i = sign0(Σ_μ ξ^μ_i) on gauged patterns. A sanity baseline that
//! solves only at tiny α. Memory: `counts: [i32; N]`, `stabilities: [i32; P]`.

use super::{evaluate, SolverOutcome};
use crate::bits::SpinsMut;
use crate::error::{Result, ShapeError};
use crate::instance::Instance;

/// Clipped Hebb into `w`; `counts` (N) and `stabilities` (P) are scratch.
pub fn clipped_hebb(
    inst: &Instance<'_>,
    w: &mut SpinsMut<'_>,
    counts: &mut [i32],
    stabilities: &mut [i32],
) -> Result<SolverOutcome> {
    let (n, p) = (inst.n(), inst.p());
    for (len, want) in [(w.len(), n), (counts.len(), n), (stabilities.len(), p)] {
        if len != want {
            return Err(ShapeError::LengthMismatch { expected: want, got: len });
        }
    }
    // counts[i] = #{μ : ξ^μ_i = −1}, read from the set bits.
    counts.fill(0);
    for row in inst.patterns.rows() {
        for (k, &word) in row.words().iter().enumerate() {
            let mut x = word;
            while x != 0 {
                counts[k * 64 + x.trailing_zeros() as usize] += 1;
                x &= x - 1;
            }
        }
    }
    for (i, &c) in counts.iter().enumerate() {
        // Σ_μ ξ^μ_i = P − 2c; sign0 maps 0 to +1.
        w.set(i, if p as i32 - 2 * c >= 0 { 1 } else { -1 });
    }
    evaluate(inst, &w.as_spins(), stabilities, 0, 0)
}
