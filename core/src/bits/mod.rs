//! Bit-packed ±1 vectors and pattern matrices (ALGORITHMS §a.3).
//!
//! Encoding: the bit of a spin v ∈ {+1, −1} is b(v) = (1 − v)/2, so **bit 1 ⇔ −1**. Element i lives in
//! word i / 64, bit i % 64 (little-endian within the vector); a vector of N spins uses
//! [`words_for`]`(N)` = ⌈N/64⌉ `u64` words. **Padding bits past N are always zero**; every operation in
//! this module that can set them (negation, random fill, gauging) restores the invariant, and the
//! constructors that borrow caller memory check it.
//!
//! The central identity is Σᵢ wᵢ xᵢ = N − 2·popcount(b(w) XOR b(x)) over the N valid bits; the
//! [`kernel`] submodule evaluates it with the fastest backend the CPU offers.
//!
//! Three families of types:
//! * borrowed views over caller memory, for any N: [`Spins`] / [`SpinsMut`] (one vector) and
//!   [`Patterns`] / [`PatternsMut`] (P row vectors stored row-major, `words_for(N)` words per row);
//! * fixed-capacity owned buffers for firmware and stack use: [`SpinBuf`] and [`PatternBuf`], whose
//!   capacity in words is a const generic;
//! * the transposed matrix ([`Patterns::transpose_into`]): column j of the pattern matrix as a P-bit
//!   vector, for incremental algorithms that flip one weight at a time.

pub mod gemm;
pub mod kernel;

use crate::error::{Result, ShapeError};
use rand_core::RngCore;

/// Bits per storage word.
pub const WORD_BITS: usize = 64;

/// Number of `u64` words that hold `n` bits.
#[inline]
pub const fn words_for(n: usize) -> usize {
    n.div_ceil(WORD_BITS)
}

/// Mask of the valid bits of the last word of an `n`-bit vector (all ones when 64 divides `n`).
#[inline]
pub const fn last_word_mask(n: usize) -> u64 {
    let tail = n % WORD_BITS;
    if tail == 0 {
        !0
    } else {
        (1u64 << tail) - 1
    }
}

/// The bit that encodes spin `v` (`true` ⇔ −1). Any negative value counts as −1.
#[inline]
pub const fn bit_of(v: i8) -> bool {
    v < 0
}

/// The spin encoded by a bit.
#[inline]
pub const fn spin_of(bit: bool) -> i8 {
    if bit {
        -1
    } else {
        1
    }
}

/// Σᵢ aᵢ bᵢ over the first `n` spins of two packed vectors, by the popcount identity (portable).
///
/// `a` and `b` must hold at least `words_for(n)` words; the last word is masked, so dirty padding
/// cannot corrupt the result.
#[inline]
pub fn dot_words(a: &[u64], b: &[u64], n: usize) -> i64 {
    let nw = words_for(n);
    if nw == 0 {
        return 0;
    }
    let mut ones: u64 = 0;
    for k in 0..nw - 1 {
        ones += u64::from((a[k] ^ b[k]).count_ones());
    }
    ones += u64::from(((a[nw - 1] ^ b[nw - 1]) & last_word_mask(n)).count_ones());
    n as i64 - 2 * ones as i64
}

/// Hamming distance between the first `n` spins of two packed vectors.
#[inline]
pub fn hamming_words(a: &[u64], b: &[u64], n: usize) -> usize {
    let nw = words_for(n);
    if nw == 0 {
        return 0;
    }
    let mut d: usize = 0;
    for k in 0..nw - 1 {
        d += (a[k] ^ b[k]).count_ones() as usize;
    }
    d + ((a[nw - 1] ^ b[nw - 1]) & last_word_mask(n)).count_ones() as usize
}

fn check_vector(n: usize, len: usize) -> Result<()> {
    if n == 0 {
        return Err(ShapeError::ZeroLength);
    }
    let nw = words_for(n);
    if len != nw {
        return Err(ShapeError::LengthMismatch {
            expected: nw,
            got: len,
        });
    }
    Ok(())
}

fn padding_clean(words: &[u64], n: usize) -> bool {
    match words.last() {
        Some(&w) => w & !last_word_mask(n) == 0,
        None => true,
    }
}

/// A borrowed packed ±1 vector of length N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spins<'a> {
    n: usize,
    words: &'a [u64],
}

impl<'a> Spins<'a> {
    /// Wraps `words` (exactly `words_for(n)` of them, padding zero) as a vector of `n` spins.
    pub fn new(n: usize, words: &'a [u64]) -> Result<Self> {
        check_vector(n, words.len())?;
        if !padding_clean(words, n) {
            return Err(ShapeError::DirtyPadding);
        }
        Ok(Spins { n, words })
    }
    /// Number of spins N.
    #[inline]
    pub fn len(&self) -> usize {
        self.n
    }
    /// Always false (N ≥ 1 by construction); present for API symmetry with slices.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    /// The packed words.
    #[inline]
    pub fn words(&self) -> &'a [u64] {
        self.words
    }
    /// Spin i (±1). Panics if i ≥ N, like slice indexing.
    #[inline]
    pub fn get(&self, i: usize) -> i8 {
        assert!(i < self.n, "spin index out of range");
        spin_of((self.words[i / WORD_BITS] >> (i % WORD_BITS)) & 1 == 1)
    }
    /// Σᵢ selfᵢ otherᵢ, with the fastest available kernel backend ([`kernel::dot`]).
    #[inline]
    pub fn dot(&self, other: &Spins<'_>) -> Result<i64> {
        kernel::dot(self, other)
    }
    /// Hamming distance #{i : selfᵢ ≠ otherᵢ}, with the fastest available backend ([`kernel::hamming`]).
    #[inline]
    pub fn hamming(&self, other: &Spins<'_>) -> Result<usize> {
        kernel::hamming(self, other)
    }
    /// Overlap q = (1/N) Σᵢ selfᵢ otherᵢ.
    #[inline]
    pub fn overlap(&self, other: &Spins<'_>) -> Result<f64> {
        Ok(self.dot(other)? as f64 / self.n as f64)
    }
    /// Number of −1 entries.
    #[inline]
    pub fn count_negative(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
    /// Σᵢ selfᵢ.
    #[inline]
    pub fn sum(&self) -> i64 {
        self.n as i64 - 2 * self.count_negative() as i64
    }
    /// Iterator over the spins as ±1.
    pub fn iter(&self) -> impl Iterator<Item = i8> + '_ {
        (0..self.n).map(move |i| self.get(i))
    }
}

/// A mutably borrowed packed ±1 vector of length N.
#[derive(Debug, PartialEq, Eq)]
pub struct SpinsMut<'a> {
    n: usize,
    words: &'a mut [u64],
}

impl<'a> SpinsMut<'a> {
    /// Wraps `words` (exactly `words_for(n)` of them) as a vector of `n` spins. Dirty padding is
    /// cleared rather than rejected, since the caller is handing over the memory for writing.
    pub fn new(n: usize, words: &'a mut [u64]) -> Result<Self> {
        check_vector(n, words.len())?;
        let mut s = SpinsMut { n, words };
        s.clear_padding();
        Ok(s)
    }
    /// Number of spins N.
    #[inline]
    pub fn len(&self) -> usize {
        self.n
    }
    /// Always false (N ≥ 1 by construction).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    /// Read-only view.
    #[inline]
    pub fn as_spins(&self) -> Spins<'_> {
        Spins {
            n: self.n,
            words: self.words,
        }
    }
    /// The packed words (padding stays the caller's responsibility if written through this).
    #[inline]
    pub fn words_mut(&mut self) -> &mut [u64] {
        self.words
    }
    /// Spin i (±1). Panics if i ≥ N.
    #[inline]
    pub fn get(&self, i: usize) -> i8 {
        self.as_spins().get(i)
    }
    /// Sets spin i to `v` (negative → −1, otherwise +1). Panics if i ≥ N.
    #[inline]
    pub fn set(&mut self, i: usize, v: i8) {
        assert!(i < self.n, "spin index out of range");
        let bit = 1u64 << (i % WORD_BITS);
        if bit_of(v) {
            self.words[i / WORD_BITS] |= bit;
        } else {
            self.words[i / WORD_BITS] &= !bit;
        }
    }
    /// Flips spin i. Panics if i ≥ N.
    #[inline]
    pub fn flip(&mut self, i: usize) {
        assert!(i < self.n, "spin index out of range");
        self.words[i / WORD_BITS] ^= 1u64 << (i % WORD_BITS);
    }
    /// Sets every spin to +1.
    pub fn fill_plus(&mut self) {
        self.words.fill(0);
    }
    /// Negates every spin (global flip), keeping the padding zero.
    pub fn negate(&mut self) {
        for w in self.words.iter_mut() {
            *w = !*w;
        }
        self.clear_padding();
    }
    /// XORs in another vector's bits (elementwise product of spins).
    pub fn mul_assign(&mut self, other: &Spins<'_>) -> Result<()> {
        if other.n != self.n {
            return Err(ShapeError::LengthMismatch {
                expected: self.n,
                got: other.n,
            });
        }
        for (w, o) in self.words.iter_mut().zip(other.words) {
            *w ^= *o;
        }
        Ok(())
    }
    /// Copies another vector of the same length.
    pub fn copy_from(&mut self, other: &Spins<'_>) -> Result<()> {
        if other.n != self.n {
            return Err(ShapeError::LengthMismatch {
                expected: self.n,
                got: other.n,
            });
        }
        self.words.copy_from_slice(other.words);
        Ok(())
    }
    /// Fills with i.i.d. uniform ±1 spins: one `next_u64` per word, in word order, last word masked.
    /// This exact stream is part of the reproducibility contract (pinned in tests).
    pub fn fill_random<R: RngCore>(&mut self, rng: &mut R) {
        for w in self.words.iter_mut() {
            *w = rng.next_u64();
        }
        self.clear_padding();
    }
    /// Sets the spins from a sign slice (negative → −1, zero or positive → +1).
    pub fn set_from_signs<T: Copy + PartialOrd + Default>(&mut self, signs: &[T]) -> Result<()> {
        if signs.len() != self.n {
            return Err(ShapeError::LengthMismatch {
                expected: self.n,
                got: signs.len(),
            });
        }
        self.words.fill(0);
        let zero = T::default();
        for (i, &s) in signs.iter().enumerate() {
            if s < zero {
                self.words[i / WORD_BITS] |= 1u64 << (i % WORD_BITS);
            }
        }
        Ok(())
    }
    /// Restores the padding invariant.
    #[inline]
    pub fn clear_padding(&mut self) {
        if let Some(last) = self.words.last_mut() {
            *last &= last_word_mask(self.n);
        }
    }
}

/// A borrowed P × N matrix of packed ±1 rows (patterns), row-major, `words_for(N)` words per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Patterns<'a> {
    n: usize,
    p: usize,
    nw: usize,
    words: &'a [u64],
}

fn check_matrix(n: usize, p: usize, len: usize) -> Result<usize> {
    if n == 0 {
        return Err(ShapeError::ZeroLength);
    }
    let nw = words_for(n);
    let needed = nw
        .checked_mul(p)
        .ok_or(ShapeError::InvalidParameter("P·N overflows"))?;
    if len != needed {
        return Err(ShapeError::LengthMismatch {
            expected: needed,
            got: len,
        });
    }
    Ok(nw)
}

impl<'a> Patterns<'a> {
    /// Wraps `words` (exactly `p · words_for(n)` of them, every row's padding zero). P may be 0.
    pub fn new(n: usize, p: usize, words: &'a [u64]) -> Result<Self> {
        let nw = check_matrix(n, p, words.len())?;
        if !words.chunks_exact(nw).all(|row| padding_clean(row, n)) {
            return Err(ShapeError::DirtyPadding);
        }
        Ok(Patterns { n, p, nw, words })
    }
    /// Bits per row N.
    #[inline]
    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of rows P.
    #[inline]
    pub fn p(&self) -> usize {
        self.p
    }
    /// Words per row, `words_for(N)`.
    #[inline]
    pub fn words_per_row(&self) -> usize {
        self.nw
    }
    /// All words, row-major.
    #[inline]
    pub fn words(&self) -> &'a [u64] {
        self.words
    }
    /// Row μ. Panics if μ ≥ P.
    #[inline]
    pub fn row(&self, mu: usize) -> Spins<'a> {
        assert!(mu < self.p, "pattern index out of range");
        Spins {
            n: self.n,
            words: &self.words[mu * self.nw..(mu + 1) * self.nw],
        }
    }
    /// Iterator over the rows.
    pub fn rows(&self) -> impl Iterator<Item = Spins<'a>> + 'a {
        let n = self.n;
        self.words
            .chunks_exact(self.nw)
            .map(move |words| Spins { n, words })
    }
    /// Entry ξ^μ_i as ±1. Panics when out of range.
    #[inline]
    pub fn get(&self, mu: usize, i: usize) -> i8 {
        self.row(mu).get(i)
    }
    /// Words needed by [`Patterns::transpose_into`]: N rows of `words_for(P)` words.
    #[inline]
    pub fn transposed_len(&self) -> usize {
        self.n * words_for(self.p)
    }
    /// Writes the transposed matrix (N rows, each a P-bit vector: bit μ of row j = b(ξ^μ_j)) into
    /// `out` and returns it as a view. Requires P ≥ 1 and `out.len() == transposed_len()`.
    pub fn transpose_into<'b>(&self, out: &'b mut [u64]) -> Result<Patterns<'b>> {
        if self.p == 0 {
            return Err(ShapeError::ZeroLength);
        }
        let pw = words_for(self.p);
        let needed = self.n * pw;
        if out.len() != needed {
            return Err(ShapeError::LengthMismatch {
                expected: needed,
                got: out.len(),
            });
        }
        out.fill(0);
        for mu in 0..self.p {
            let row = &self.words[mu * self.nw..(mu + 1) * self.nw];
            let (dw, db) = (mu / WORD_BITS, mu % WORD_BITS);
            for (k, &word) in row.iter().enumerate() {
                let mut w = word;
                while w != 0 {
                    let b = w.trailing_zeros() as usize;
                    w &= w - 1;
                    let j = k * WORD_BITS + b;
                    out[j * pw + dw] |= 1u64 << db;
                }
            }
        }
        Ok(Patterns {
            n: self.p,
            p: self.n,
            nw: pw,
            words: out,
        })
    }
}

/// A mutably borrowed P × N pattern matrix.
#[derive(Debug, PartialEq, Eq)]
pub struct PatternsMut<'a> {
    n: usize,
    p: usize,
    nw: usize,
    words: &'a mut [u64],
}

impl<'a> PatternsMut<'a> {
    /// Wraps `words` (exactly `p · words_for(n)`) for writing; padding is cleared.
    pub fn new(n: usize, p: usize, words: &'a mut [u64]) -> Result<Self> {
        let nw = check_matrix(n, p, words.len())?;
        let mut m = PatternsMut { n, p, nw, words };
        for mu in 0..p {
            m.row_mut(mu).clear_padding();
        }
        Ok(m)
    }
    /// Read-only view.
    #[inline]
    pub fn as_patterns(&self) -> Patterns<'_> {
        Patterns {
            n: self.n,
            p: self.p,
            nw: self.nw,
            words: self.words,
        }
    }
    /// Bits per row N.
    #[inline]
    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of rows P.
    #[inline]
    pub fn p(&self) -> usize {
        self.p
    }
    /// Row μ for writing. Panics if μ ≥ P.
    #[inline]
    pub fn row_mut(&mut self, mu: usize) -> SpinsMut<'_> {
        assert!(mu < self.p, "pattern index out of range");
        SpinsMut {
            n: self.n,
            words: &mut self.words[mu * self.nw..(mu + 1) * self.nw],
        }
    }
}

/// A fixed-capacity owned spin vector: up to `64·NW` spins, no allocation (firmware, stack use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpinBuf<const NW: usize> {
    n: usize,
    words: [u64; NW],
}

impl<const NW: usize> SpinBuf<NW> {
    /// All-(+1) vector of `n` spins; fails if `n` is 0 or exceeds the capacity.
    pub fn new(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(ShapeError::ZeroLength);
        }
        if words_for(n) > NW {
            return Err(ShapeError::BufferTooSmall {
                needed: words_for(n),
                capacity: NW,
            });
        }
        Ok(SpinBuf { n, words: [0; NW] })
    }
    /// Read-only view.
    #[inline]
    pub fn as_spins(&self) -> Spins<'_> {
        Spins {
            n: self.n,
            words: &self.words[..words_for(self.n)],
        }
    }
    /// Mutable view.
    #[inline]
    pub fn as_spins_mut(&mut self) -> SpinsMut<'_> {
        let nw = words_for(self.n);
        SpinsMut {
            n: self.n,
            words: &mut self.words[..nw],
        }
    }
}

/// A fixed-capacity owned pattern matrix: P rows of N bits with P·⌈N/64⌉ ≤ `WORDS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternBuf<const WORDS: usize> {
    n: usize,
    p: usize,
    words: [u64; WORDS],
}

impl<const WORDS: usize> PatternBuf<WORDS> {
    /// All-(+1) P × N matrix; fails if it does not fit.
    pub fn new(n: usize, p: usize) -> Result<Self> {
        if n == 0 {
            return Err(ShapeError::ZeroLength);
        }
        let needed = words_for(n).saturating_mul(p);
        if needed > WORDS {
            return Err(ShapeError::BufferTooSmall {
                needed,
                capacity: WORDS,
            });
        }
        Ok(PatternBuf {
            n,
            p,
            words: [0; WORDS],
        })
    }
    /// Read-only view.
    #[inline]
    pub fn as_patterns(&self) -> Patterns<'_> {
        let nw = words_for(self.n);
        Patterns {
            n: self.n,
            p: self.p,
            nw,
            words: &self.words[..nw * self.p],
        }
    }
    /// Mutable view.
    #[inline]
    pub fn as_patterns_mut(&mut self) -> PatternsMut<'_> {
        let nw = words_for(self.n);
        PatternsMut {
            n: self.n,
            p: self.p,
            nw,
            words: &mut self.words[..nw * self.p],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_word_counts() {
        assert_eq!(words_for(1), 1);
        assert_eq!(words_for(64), 1);
        assert_eq!(words_for(65), 2);
        assert_eq!(last_word_mask(65), 0x1);
        assert_eq!(last_word_mask(64), !0);
        assert_eq!(last_word_mask(63), (1u64 << 63) - 1);
    }

    #[test]
    fn set_get_negate_keeps_padding() {
        for n in [1usize, 63, 64, 65, 127, 128, 129, 1001] {
            let mut words = [0u64; 16];
            let nw = words_for(n);
            let mut s = SpinsMut::new(n, &mut words[..nw]).unwrap();
            s.set(n - 1, -1);
            assert_eq!(s.get(n - 1), -1);
            s.negate();
            assert_eq!(s.get(n - 1), 1);
            assert_eq!(s.as_spins().sum(), n as i64 - 2 * (n as i64 - 1));
            assert!(
                Spins::new(n, &words[..nw]).is_ok(),
                "padding dirty after negate at N={n}"
            );
        }
    }

    #[test]
    fn transpose_round_trip() {
        let (n, p) = (70usize, 67usize);
        let mut words = [0u64; 67 * 2];
        let mut m = PatternsMut::new(n, p, &mut words).unwrap();
        for mu in 0..p {
            for i in 0..n {
                if (mu * 31 + i * 7) % 5 == 0 {
                    m.row_mut(mu).set(i, -1);
                }
            }
        }
        let pat = m.as_patterns();
        let mut t = [0u64; 70 * 2];
        let tr = pat.transpose_into(&mut t).unwrap();
        for mu in 0..p {
            for i in 0..n {
                assert_eq!(pat.get(mu, i), tr.get(i, mu));
            }
        }
    }

    #[test]
    fn shape_errors_not_panics() {
        assert_eq!(Spins::new(0, &[]), Err(ShapeError::ZeroLength));
        assert_eq!(
            Spins::new(65, &[0]),
            Err(ShapeError::LengthMismatch {
                expected: 2,
                got: 1
            })
        );
        assert_eq!(Spins::new(3, &[0b1000]), Err(ShapeError::DirtyPadding));
        assert!(SpinBuf::<1>::new(65).is_err());
        assert!(PatternBuf::<4>::new(65, 3).is_err());
    }
}
