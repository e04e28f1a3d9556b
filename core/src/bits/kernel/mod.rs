//! The XOR-popcount stability kernel and its backends (ALGORITHMS §a.3).
//!
//! `s_μ = N − 2·popcount(b(w) XOR b(ξ^μ))` for every pattern μ, counted over the N valid bits only
//! (the last XOR word is masked in every backend, so a broken padding invariant cannot change a
//! result; debug builds also assert the invariant). All backends give bit-identical integer results;
//! they differ only in speed:
//!
//! | backend | where | inner loop |
//! |---|---|---|
//! | [`Backend::Portable`] | everywhere | `u64::count_ones`, compiled for the baseline target |
//! | [`Backend::Popcnt`] | x86-64 with `popcnt` | the same loop with the hardware instruction |
//! | [`Backend::Avx2`] | x86-64 with AVX2 | nibble lookup (`vpshufb`) + `vpsadbw`, 256 bits per step |
//! | [`Backend::Avx512`] | x86-64 with AVX-512F + VPOPCNTDQ | `vpopcntq`, 512 bits per step |
//! | [`Backend::Blocked`] | everywhere | four patterns per pass over the weights, best popcount inside |
//!
//! [`Backend::best`] picks the fastest backend the running CPU supports. On x86-64 the choice is made at
//! run time (with the `std` feature through `is_x86_feature_detected!`, without it through `cpuid` and
//! `xgetbv`, which also check that the OS saves the AVX / AVX-512 register state), so a default
//! `cargo build --release` without `target-cpu=native` is already fast. The detection runs once and is
//! cached. [`stabilities_with`] lets benchmarks force any backend; forcing one the CPU cannot run falls
//! back to [`Backend::Portable`] and never executes an unsupported instruction. On other architectures
//! (Cortex-M firmware) only the portable code exists.
//!
//! The same machinery gives a fast [`dot`] / [`hamming`] between two vectors.
//!
//! All `unsafe` code of the crate lives in the private x86-64 submodule, each block with its `SAFETY`
//! argument.

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86;

/// Vector instruction sets of the running CPU for [`crate::simd`]: (AVX2 + FMA, AVX-512F+VL+DQ),
/// both including the OS support check; `(false, false)` off x86-64.
pub(crate) fn float_vector_features() -> (bool, bool) {
    #[cfg(target_arch = "x86_64")]
    {
        let f = x86::features();
        (f.avx2 && f.fma, f.avx512fp)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        (false, false)
    }
}

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
    /// x86-64 AVX2 (nibble lookup with `vpshufb`, byte sums with `vpsadbw`).
    Avx2,
    /// x86-64 AVX-512 VPOPCNTDQ (`vpopcntq` on 512-bit vectors).
    Avx512,
    /// Four patterns per pass over the weights (register blocking), with the best popcount the CPU
    /// offers inside (AVX-512, then AVX2, then `popcnt`, then portable).
    Blocked,
}

impl Backend {
    /// Every backend, in order of increasing sophistication.
    pub const ALL: [Backend; 5] = [
        Backend::Portable,
        Backend::Popcnt,
        Backend::Avx2,
        Backend::Avx512,
        Backend::Blocked,
    ];

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

    /// Whether the running CPU can execute this backend (detected once, then cached).
    pub fn is_available(self) -> bool {
        match self {
            Backend::Portable | Backend::Blocked => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Popcnt | Backend::Avx2 | Backend::Avx512 => x86::available(self),
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Popcnt | Backend::Avx2 | Backend::Avx512 => false,
        }
    }

    /// The backend that actually runs when `self` is requested: `self` if available, otherwise
    /// [`Backend::Portable`].
    pub fn effective(self) -> Backend {
        if self.is_available() {
            self
        } else {
            Backend::Portable
        }
    }

    /// The available backends, in the order of [`Backend::ALL`].
    pub fn available() -> impl Iterator<Item = Backend> {
        Backend::ALL.into_iter().filter(|b| b.is_available())
    }

    /// The fastest available backend.
    ///
    /// On x86-64 with any SIMD popcount this is [`Backend::Blocked`] (which runs the best popcount
    /// inside and loads each weight word once per four patterns); without one, and on every other
    /// architecture, [`Backend::Portable`].
    pub fn best() -> Backend {
        if Backend::Popcnt.is_available()
            || Backend::Avx2.is_available()
            || Backend::Avx512.is_available()
        {
            Backend::Blocked
        } else {
            Backend::Portable
        }
    }
}

impl core::fmt::Display for Backend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

fn check(w: &Spins<'_>, xi: &Patterns<'_>, out_len: usize) -> Result<()> {
    if w.len() != xi.n() {
        return Err(ShapeError::LengthMismatch {
            expected: xi.n(),
            got: w.len(),
        });
    }
    if out_len != xi.p() {
        return Err(ShapeError::LengthMismatch {
            expected: xi.p(),
            got: out_len,
        });
    }
    if i32::try_from(w.len()).is_err() {
        return Err(ShapeError::InvalidParameter(
            "N exceeds the i32 range of a stability",
        ));
    }
    Ok(())
}

/// All P stabilities `s_μ = Σᵢ wᵢ ξ^μ_i` with the best backend.
///
/// Errors: `LengthMismatch` when `w.len() != xi.n()` or `out.len() != xi.p()`.
pub fn stabilities(w: &Spins<'_>, xi: &Patterns<'_>, out: &mut [i32]) -> Result<()> {
    stabilities_with(Backend::best(), w, xi, out)
}

/// All P stabilities with a chosen backend. An unavailable backend falls back to
/// [`Backend::Portable`] (never executes an unsupported instruction).
///
/// Errors: as [`stabilities`].
pub fn stabilities_with(
    backend: Backend,
    w: &Spins<'_>,
    xi: &Patterns<'_>,
    out: &mut [i32],
) -> Result<()> {
    check(w, xi, out.len())?;
    let n = w.len();
    let mask = last_word_mask(n);
    debug_assert!(
        w.words().last().is_none_or(|l| l & !mask == 0)
            && xi
                .rows()
                .all(|r| r.words().last().is_none_or(|l| l & !mask == 0)),
        "padding bits past N must be zero (ALGORITHMS §a.3)"
    );
    rows_dispatch(backend, w.words(), xi.words(), mask, n, out);
    Ok(())
}

/// Σᵢ aᵢ bᵢ with the best backend (the popcount identity, last word masked).
///
/// Errors: `LengthMismatch` when the lengths differ.
pub fn dot(a: &Spins<'_>, b: &Spins<'_>) -> Result<i64> {
    dot_with(Backend::best(), a, b)
}

/// Σᵢ aᵢ bᵢ with a chosen backend (unavailable → portable).
///
/// Errors: `LengthMismatch` when the lengths differ.
pub fn dot_with(backend: Backend, a: &Spins<'_>, b: &Spins<'_>) -> Result<i64> {
    let d = hamming_with(backend, a, b)?;
    Ok(a.len() as i64 - 2 * d as i64)
}

/// Hamming distance #{i : aᵢ ≠ bᵢ} with the best backend.
///
/// Errors: `LengthMismatch` when the lengths differ.
pub fn hamming(a: &Spins<'_>, b: &Spins<'_>) -> Result<usize> {
    hamming_with(Backend::best(), a, b)
}

/// Hamming distance with a chosen backend (unavailable → portable).
///
/// Errors: `LengthMismatch` when the lengths differ.
pub fn hamming_with(backend: Backend, a: &Spins<'_>, b: &Spins<'_>) -> Result<usize> {
    if a.len() != b.len() {
        return Err(ShapeError::LengthMismatch {
            expected: a.len(),
            got: b.len(),
        });
    }
    Ok(pair_dispatch(backend, a.words(), b.words(), last_word_mask(a.len())) as usize)
}

/// Runs `backend` on validated slices: `w.len() = nw ≥ 1`, `pat.len() = nw · out.len()`,
/// `n ≤ i32::MAX`.
fn rows_dispatch(backend: Backend, w: &[u64], pat: &[u64], mask: u64, n: usize, out: &mut [i32]) {
    #[cfg(target_arch = "x86_64")]
    if x86::rows(backend, w, pat, mask, n, out) {
        return;
    }
    match backend {
        // Without x86 SIMD the blocked kernel still saves weight loads (Cortex-M, baseline x86).
        Backend::Blocked => blocked_rows(w, pat, mask, n, out),
        _ => portable_rows(w, pat, mask, n, out),
    }
}

/// Popcount of `(a XOR b)` over `a.len() = b.len() ≥ 1` words, last word masked.
fn pair_dispatch(backend: Backend, a: &[u64], b: &[u64], mask: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if let Some(ones) = x86::pair(backend, a, b, mask) {
        return ones;
    }
    let _ = backend;
    portable_row_ones(a, b, mask)
}

/// `N − 2·ones` (N ≤ i32::MAX is checked by the callers, ones ≤ N).
#[inline(always)]
fn stability(n: usize, ones: u64) -> i32 {
    n as i32 - 2 * ones as i32
}

/// popcount(w XOR row) over `w.len()` words, last word masked: four independent accumulators so a
/// hardware `popcnt` (when this is inlined into a `popcnt` function) is not latency-bound.
#[inline(always)]
fn portable_row_ones(w: &[u64], row: &[u64], mask: u64) -> u64 {
    let m = w.len() - 1;
    let (wb, rb) = (&w[..m], &row[..m]);
    let mut acc = [0u64; 4];
    let mut wc = wb.chunks_exact(4);
    let mut rc = rb.chunks_exact(4);
    for (a, b) in (&mut wc).zip(&mut rc) {
        for j in 0..4 {
            acc[j] += u64::from((a[j] ^ b[j]).count_ones());
        }
    }
    let mut ones = acc[0] + acc[1] + acc[2] + acc[3];
    for (a, b) in wc.remainder().iter().zip(rc.remainder()) {
        ones += u64::from((a ^ b).count_ones());
    }
    ones + u64::from(((w[m] ^ row[m]) & mask).count_ones())
}

/// One pattern at a time (the reference backend; also the body of the x86 `popcnt` backend).
#[inline(always)]
fn portable_rows(w: &[u64], pat: &[u64], mask: u64, n: usize, out: &mut [i32]) {
    for (row, s) in pat.chunks_exact(w.len()).zip(out.iter_mut()) {
        *s = stability(n, portable_row_ones(w, row, mask));
    }
}

/// Four patterns per pass over the weights with `count_ones` (portable blocked backend; also the body
/// of the x86 `popcnt` blocked kernel).
#[inline(always)]
fn blocked_rows(w: &[u64], pat: &[u64], mask: u64, n: usize, out: &mut [i32]) {
    let nw = w.len();
    let m = nw - 1;
    let mut blocks = pat.chunks_exact(4 * nw);
    let mut outs = out.chunks_exact_mut(4);
    for (blk, o) in (&mut blocks).zip(&mut outs) {
        let (r0, rest) = blk.split_at(nw);
        let (r1, rest) = rest.split_at(nw);
        let (r2, r3) = rest.split_at(nw);
        let (wb, r0b, r1b, r2b, r3b) = (&w[..m], &r0[..m], &r1[..m], &r2[..m], &r3[..m]);
        let mut a = [0u64; 4];
        for k in 0..m {
            let wk = wb[k];
            a[0] += u64::from((r0b[k] ^ wk).count_ones());
            a[1] += u64::from((r1b[k] ^ wk).count_ones());
            a[2] += u64::from((r2b[k] ^ wk).count_ones());
            a[3] += u64::from((r3b[k] ^ wk).count_ones());
        }
        let wl = w[m];
        a[0] += u64::from(((r0[m] ^ wl) & mask).count_ones());
        a[1] += u64::from(((r1[m] ^ wl) & mask).count_ones());
        a[2] += u64::from(((r2[m] ^ wl) & mask).count_ones());
        a[3] += u64::from(((r3[m] ^ wl) & mask).count_ones());
        for j in 0..4 {
            o[j] = stability(n, a[j]);
        }
    }
    portable_rows(w, blocks.remainder(), mask, n, outs.into_remainder());
}

#[cfg(test)]
mod tests {
    //! Internal checks the public API cannot reach: masking of dirty padding in every backend (the
    //! public entry points debug-assert clean padding), and the cached CPU detection.
    use super::*;
    use crate::bits::words_for;
    use crate::rng::rng_from_seed;
    use rand_core::RngCore;

    /// Naive ±1 sum over the N valid bits, read bit by bit (spec §a.3 definition).
    fn naive(w: &[u64], row: &[u64], n: usize) -> i32 {
        (0..n)
            .map(|i| {
                let a = (w[i / 64] >> (i % 64)) & 1;
                let b = (row[i / 64] >> (i % 64)) & 1;
                if a == b {
                    1
                } else {
                    -1
                }
            })
            .sum()
    }

    #[test]
    fn every_backend_masks_dirty_padding() {
        let mut rng = rng_from_seed(7);
        for n in [
            1usize, 63, 64, 65, 127, 128, 129, 200, 255, 257, 511, 513, 1001, 2047, 4097,
        ] {
            let nw = words_for(n);
            for p in [0usize, 1, 3, 4, 5, 9] {
                // Every word fully random: padding bits are dirty on purpose.
                let w: std::vec::Vec<u64> = (0..nw).map(|_| rng.next_u64()).collect();
                let pat: std::vec::Vec<u64> = (0..nw * p).map(|_| rng.next_u64()).collect();
                let expect: std::vec::Vec<i32> =
                    pat.chunks_exact(nw).map(|r| naive(&w, r, n)).collect();
                let mask = last_word_mask(n);
                let mut out = std::vec![0i32; p];
                blocked_rows(&w, &pat, mask, n, &mut out);
                assert_eq!(out, expect, "portable blocked N={n} P={p}");
                #[cfg(target_arch = "x86_64")]
                for inner in [Backend::Popcnt, Backend::Avx2, Backend::Avx512] {
                    let mut out = std::vec![0i32; p];
                    if x86::blocked_with_inner(inner, &w, &pat, mask, n, &mut out) {
                        assert_eq!(out, expect, "blocked with {inner} inside, N={n} P={p}");
                    }
                }
                for b in Backend::ALL {
                    let mut out = std::vec![0i32; p];
                    rows_dispatch(b, &w, &pat, mask, n, &mut out);
                    assert_eq!(out, expect, "backend {b} N={n} P={p}");
                    for (row, &e) in pat.chunks_exact(nw).zip(&expect) {
                        let ones = pair_dispatch(b, &w, row, last_word_mask(n));
                        assert_eq!(n as i32 - 2 * ones as i32, e, "pair, backend {b} N={n}");
                    }
                }
            }
        }
    }

    /// w = all −1 against ξ = all +1: every XOR bit is set, the per-byte counters of the AVX2 kernels
    /// reach their flush limit; every stability must be −N (Σᵢ (−1)(+1)).
    #[test]
    fn saturated_counts_every_variant() {
        for n in [7935usize, 7936, 7937, 7999, 8192, 16_000, 65_537] {
            let nw = words_for(n);
            let mut w = std::vec![!0u64; nw];
            w[nw - 1] &= last_word_mask(n);
            let p = 6;
            let pat = std::vec![0u64; nw * p];
            let expect = std::vec![-(n as i32); p];
            let mask = last_word_mask(n);
            #[cfg(target_arch = "x86_64")]
            for inner in [Backend::Popcnt, Backend::Avx2, Backend::Avx512] {
                let mut out = std::vec![0i32; p];
                if x86::blocked_with_inner(inner, &w, &pat, mask, n, &mut out) {
                    assert_eq!(out, expect, "blocked with {inner} inside, N={n}");
                }
            }
            for b in Backend::ALL {
                let mut out = std::vec![0i32; p];
                rows_dispatch(b, &w, &pat, mask, n, &mut out);
                assert_eq!(out, expect, "backend {b} N={n}");
                assert_eq!(
                    pair_dispatch(b, &w, &pat[..nw], mask),
                    n as u64,
                    "pair {b} N={n}"
                );
            }
        }
    }

    #[test]
    fn names_round_trip_and_fallback() {
        for b in Backend::ALL {
            assert_eq!(Backend::from_name(b.name()), Some(b));
            assert!(b.effective().is_available());
        }
        assert_eq!(Backend::from_name("sse9"), None);
        assert!(Backend::best().is_available());
        assert!(Backend::Portable.is_available() && Backend::Blocked.is_available());
    }

    /// The `cpuid`/`xgetbv` detection (used without `std`) agrees with std's detection.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn cpuid_detection_matches_std() {
        let f = x86::detect_cpuid();
        assert_eq!(f.popcnt, std::is_x86_feature_detected!("popcnt"));
        assert_eq!(f.avx2, std::is_x86_feature_detected!("avx2"));
        assert_eq!(f.fma, std::is_x86_feature_detected!("fma"));
        assert_eq!(
            f.avx512,
            std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512vpopcntdq")
        );
        assert_eq!(
            f.avx512fp,
            std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512vl")
                && std::is_x86_feature_detected!("avx512dq")
        );
    }
}
