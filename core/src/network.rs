//! Exact, bit-packed evaluation of deep binary networks (DEEP §g.3).
//!
//! A network has layers `n_0 → n_1 → … → n_L` with weights `W_l ∈ {±1}^{n_l × n_{l−1}}`, no biases.
//! Each `W_l` is a [`Patterns`] view with `p() = n_l` rows of `n() = n_{l−1}` spins.
//!
//! * Inputs are pixel bytes `b`, seen by the network as the odd integers `x = 2b − 255`.
//! * First layer, exactly in integers, by bit-plane decomposition: with `b = Σ_k 2^k b_k` and the plane
//!   `s_k = 1 − 2 b_k` packed as ±1 spins (bit 1 ⇔ −1, the §a.3 encoding, so the packed plane is
//!   literally bit k of every pixel), `Σ_i w_i x_i = −Σ_{k=0}^{7} 2^k (w · s_k)`. Eight ±1 matrix
//!   products per layer, no multiplication by pixel values. [`PixelPlanes`] holds the planes.
//! * Hidden layers: `a = sign(W a_prev)` with `sign(0) = +1`, on packed ±1 activations.
//! * Output: one unit → `sign(h)` (0 → +1, label ±1); C ≥ 2 units → `argmax` (ties → lowest index,
//!   label 0..C).
//!
//! All buffers are the caller's: [`Network::int_scratch_len`] `i32`s and [`Network::bit_scratch_len`]
//! `u64`s for P examples. Callers chunk large data sets into blocks of examples.
//!
//! The ±1 × ±1 products go through the batched kernels `dot_matrix` / `sign_matrix` (`a` R×N, `b` P×N,
//! `out[r·P + μ] = a_r · b_μ`; `sign_matrix` writes the P×R packed signs).

use crate::bits::{words_for, Patterns, PatternsMut, WORD_BITS};
use crate::error::{Result, ShapeError};

use crate::bits::gemm;

/// Largest supported number of weight layers.
pub const MAX_LAYERS: usize = 16;

/// Number of bit planes of a pixel byte.
pub const PLANES: usize = 8;

/// A borrowed binary network: `layers[l]` is `W_{l+1}` (rows = output units, n = inputs).
#[derive(Clone, Copy, Debug)]
pub struct Network<'a, 'b> {
    layers: &'b [Patterns<'a>],
}

impl<'a, 'b> Network<'a, 'b> {
    /// Checks that consecutive layers chain (`layers[l].n() == layers[l−1].p()`), that there are
    /// 1 … [`MAX_LAYERS`] layers and that every width is ≥ 1.
    pub fn new(layers: &'b [Patterns<'a>]) -> Result<Self> {
        if layers.is_empty() || layers.len() > MAX_LAYERS {
            return Err(ShapeError::InvalidParameter(
                "a network has 1 to 16 weight layers",
            ));
        }
        for (l, w) in layers.iter().enumerate() {
            if w.p() == 0 || w.n() == 0 {
                return Err(ShapeError::ZeroLength);
            }
            if l > 0 && w.n() != layers[l - 1].p() {
                return Err(ShapeError::LengthMismatch {
                    expected: layers[l - 1].p(),
                    got: w.n(),
                });
            }
        }
        if layers[0].n() > (i32::MAX as usize) / 255 / 2 {
            return Err(ShapeError::InvalidParameter(
                "input dimension too large for exact i32 sums",
            ));
        }
        Ok(Network { layers })
    }
    /// The weight layers.
    pub fn layers(&self) -> &'b [Patterns<'a>] {
        self.layers
    }
    /// Input dimension n_0.
    pub fn inputs(&self) -> usize {
        self.layers[0].n()
    }
    /// Output units n_L.
    pub fn outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].p()
    }
    /// Largest hidden width (0 for a single-layer network).
    pub fn max_hidden(&self) -> usize {
        self.layers[..self.layers.len() - 1]
            .iter()
            .map(|w| w.p())
            .max()
            .unwrap_or(0)
    }
    /// `i32` scratch needed to evaluate `p` examples: `max(2 n_1, n_L) · p`.
    pub fn int_scratch_len(&self, p: usize) -> usize {
        (2 * self.layers[0].p()).max(self.outputs()) * p
    }
    /// `u64` scratch needed to evaluate `p` examples: two packed activation blocks of the widest hidden
    /// layer.
    pub fn bit_scratch_len(&self, p: usize) -> usize {
        2 * p * words_for(self.max_hidden().max(1))
    }

    /// Predictions for the `planes.p()` examples: `±1` for one output unit, the class `0..C` otherwise.
    ///
    /// Errors: `LengthMismatch` when the planes' dimension differs from n_0 or `out.len()` from P,
    /// `BufferTooSmall` for short scratch.
    pub fn predict(
        &self,
        planes: &PixelPlanes<'_>,
        ints: &mut [i32],
        bits: &mut [u64],
        out: &mut [i32],
    ) -> Result<()> {
        let p = planes.p();
        if planes.n() != self.inputs() {
            return Err(ShapeError::LengthMismatch {
                expected: self.inputs(),
                got: planes.n(),
            });
        }
        if out.len() != p {
            return Err(ShapeError::LengthMismatch {
                expected: p,
                got: out.len(),
            });
        }
        let ni = self.int_scratch_len(p);
        let nb = self.bit_scratch_len(p);
        if ints.len() < ni {
            return Err(ShapeError::BufferTooSmall {
                needed: ni,
                capacity: ints.len(),
            });
        }
        if bits.len() < nb {
            return Err(ShapeError::BufferTooSmall {
                needed: nb,
                capacity: bits.len(),
            });
        }
        if p == 0 {
            return Ok(());
        }
        let nl = self.layers.len();
        // First layer: h = −Σ_k 2^k D_k, accumulated into `acc` (n_1 × P, unit-major).
        let w0 = &self.layers[0];
        let acc_len = w0.p() * p;
        let (acc, rest) = ints.split_at_mut(acc_len);
        first_layer(w0, planes, acc, &mut rest[..acc_len])?;
        if nl == 1 {
            return decide(acc, w0.p(), p, out);
        }
        let (buf_a, buf_b) = bits.split_at_mut(nb / 2);
        // Pack sign(h_1) as P rows of n_1 bits.
        pack_signs(acc, w0.p(), p, &mut buf_a[..p * words_for(w0.p())]);
        forward_packed(&self.layers[1..], p, ints, buf_a, buf_b, out)
    }

    /// Number of misclassified examples among `planes.p()` with the given labels (±1 for one output
    /// unit, `0..C` otherwise).
    ///
    /// Errors: as [`Network::predict`]; `LengthMismatch` when `labels.len() != P`. `out` is scratch of
    /// length P.
    pub fn count_errors(
        &self,
        planes: &PixelPlanes<'_>,
        labels: &[i32],
        ints: &mut [i32],
        bits: &mut [u64],
        out: &mut [i32],
    ) -> Result<u32> {
        if labels.len() != planes.p() {
            return Err(ShapeError::LengthMismatch {
                expected: planes.p(),
                got: labels.len(),
            });
        }
        self.predict(planes, ints, bits, out)?;
        Ok(out.iter().zip(labels).filter(|(a, b)| a != b).count() as u32)
    }
}

/// Runs `layers` (≥ 1, chained) on P packed ±1 inputs held in `src` (P rows of `layers[0].n()` bits)
/// and writes the predictions to `out`. `src` and `dst` alternate as the hidden activations; each must
/// hold P rows of the widest of the input and hidden widths. `ints` holds `n_L · P` outputs.
fn forward_packed(
    layers: &[Patterns<'_>],
    p: usize,
    ints: &mut [i32],
    src: &mut [u64],
    dst: &mut [u64],
    out: &mut [i32],
) -> Result<()> {
    let nl = layers.len();
    let (mut src, mut dst) = (src, dst);
    let mut cur_n = layers[0].n();
    for (l, w) in layers.iter().enumerate() {
        let act = Patterns::new(cur_n, p, &src[..p * words_for(cur_n)])?;
        if l + 1 == nl {
            let h = &mut ints[..w.p() * p];
            gemm::dot_matrix(w, &act, h)?;
            return decide(h, w.p(), p, out);
        }
        let mut next = PatternsMut::new(w.p(), p, &mut dst[..p * words_for(w.p())])?;
        gemm::sign_matrix(w, &act, &mut next)?;
        core::mem::swap(&mut src, &mut dst);
        cur_n = w.p();
    }
    Ok(())
}

fn first_layer(
    w0: &Patterns<'_>,
    planes: &PixelPlanes<'_>,
    acc: &mut [i32],
    tmp: &mut [i32],
) -> Result<()> {
    acc.iter_mut().for_each(|v| *v = 0);
    for k in 0..PLANES {
        let plane = planes.plane(k)?;
        gemm::dot_matrix(w0, &plane, tmp)?;
        for (a, &d) in acc.iter_mut().zip(tmp.iter()) {
            *a -= d << k;
        }
    }
    Ok(())
}

/// Packs `sign(h)` of a unit-major `units × p` block into P rows of `units` bits (bit 1 ⇔ h < 0).
fn pack_signs(h: &[i32], units: usize, p: usize, out: &mut [u64]) {
    let wpr = words_for(units);
    out.iter_mut().for_each(|w| *w = 0);
    for r in 0..units {
        let word = r / WORD_BITS;
        let bit = 1u64 << (r % WORD_BITS);
        for (mu, &v) in h[r * p..(r + 1) * p].iter().enumerate() {
            if v < 0 {
                out[mu * wpr + word] |= bit;
            }
        }
    }
}

fn decide(h: &[i32], units: usize, p: usize, out: &mut [i32]) -> Result<()> {
    if units == 1 {
        for (o, &v) in out.iter_mut().zip(&h[..p]) {
            *o = if v < 0 { -1 } else { 1 };
        }
    } else {
        for (mu, o) in out.iter_mut().enumerate() {
            let mut best = 0usize;
            let mut bv = h[mu];
            for c in 1..units {
                let v = h[c * p + mu];
                if v > bv {
                    bv = v;
                    best = c;
                }
            }
            *o = best as i32;
        }
    }
    Ok(())
}

/// The eight bit planes of P pixel vectors of dimension n: plane k is a P×n packed matrix whose bit
/// (μ, i) is bit k of pixel i of example μ. Stored plane-major: plane k at words
/// `k · P · words_for(n) ..`.
#[derive(Clone, Copy, Debug)]
pub struct PixelPlanes<'a> {
    n: usize,
    p: usize,
    words: &'a [u64],
}

/// The shape checks shared by [`PixelPlanes::pack`] and [`InputColumns::pack`]: `ZeroLength` for
/// n = 0, `LengthMismatch` when `pixels_len` is not a whole number of rows of n bytes or `out_len`
/// is not `len_for(n, P)`. Returns P = `pixels_len / n`.
fn check_pack(
    pixels_len: usize,
    n: usize,
    out_len: usize,
    len_for: fn(usize, usize) -> usize,
) -> Result<usize> {
    if n == 0 {
        return Err(ShapeError::ZeroLength);
    }
    if !pixels_len.is_multiple_of(n) {
        return Err(ShapeError::LengthMismatch {
            expected: pixels_len / n * n,
            got: pixels_len,
        });
    }
    let p = pixels_len / n;
    let need = len_for(n, p);
    if out_len != need {
        return Err(ShapeError::LengthMismatch {
            expected: need,
            got: out_len,
        });
    }
    Ok(p)
}

impl<'a> PixelPlanes<'a> {
    /// Words needed for P examples of dimension n.
    pub const fn len_for(n: usize, p: usize) -> usize {
        PLANES * p * words_for(n)
    }
    /// Packs `pixels` (P rows of n bytes, row-major) into `out` (exactly [`PixelPlanes::len_for`]
    /// words).
    ///
    /// Errors: `ZeroLength` for n = 0, `LengthMismatch` for inconsistent lengths.
    pub fn pack(pixels: &[u8], n: usize, out: &'a mut [u64]) -> Result<PixelPlanes<'a>> {
        let p = check_pack(pixels.len(), n, out.len(), Self::len_for)?;
        out.iter_mut().for_each(|w| *w = 0);
        let wpr = words_for(n);
        for (mu, px) in pixels.chunks_exact(n).enumerate() {
            for (i, &b) in px.iter().enumerate() {
                let word = mu * wpr + i / WORD_BITS;
                let bit = (i % WORD_BITS) as u32;
                for k in 0..PLANES {
                    out[k * p * wpr + word] |= u64::from((b >> k) & 1) << bit;
                }
            }
        }
        Ok(PixelPlanes { n, p, words: out })
    }
    /// Wraps already packed planes (as written by [`PixelPlanes::pack`]).
    ///
    /// Errors: `ZeroLength`, `LengthMismatch`, `DirtyPadding`.
    pub fn new(n: usize, p: usize, words: &'a [u64]) -> Result<Self> {
        if n == 0 {
            return Err(ShapeError::ZeroLength);
        }
        if words.len() != Self::len_for(n, p) {
            return Err(ShapeError::LengthMismatch {
                expected: Self::len_for(n, p),
                got: words.len(),
            });
        }
        // Each plane must be a valid pattern matrix (clean padding).
        for k in 0..PLANES {
            let s = k * p * words_for(n);
            Patterns::new(n, p, &words[s..s + p * words_for(n)])?;
        }
        Ok(PixelPlanes { n, p, words })
    }
    /// Input dimension n.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of examples P.
    pub fn p(&self) -> usize {
        self.p
    }
    /// The packed words.
    pub fn words(&self) -> &'a [u64] {
        self.words
    }
    /// Plane k (P×n).
    pub fn plane(&self, k: usize) -> Result<Patterns<'a>> {
        self.plane_block(k, 0, self.p)
    }
    /// Plane k restricted to examples `mu0 .. mu0 + len`.
    pub fn plane_block(&self, k: usize, mu0: usize, len: usize) -> Result<Patterns<'a>> {
        if k >= PLANES {
            return Err(ShapeError::IndexOutOfRange {
                index: k,
                len: PLANES,
            });
        }
        if mu0 + len > self.p {
            return Err(ShapeError::IndexOutOfRange {
                index: mu0 + len,
                len: self.p,
            });
        }
        let wpr = words_for(self.n);
        let s = (k * self.p + mu0) * wpr;
        Patterns::new(self.n, len, &self.words[s..s + len * wpr])
    }
}

// ---------------------------------------------------------------------------------------------
// Incremental first layer (local energy, DEEP §g.6).
//
// A perturbed network W' = W ⊕ F differs from W by a set F of flipped weights. Its first-layer
// pre-activations follow from the unperturbed ones H = W₁x (computed once) row by row:
//   h'_i = h_i − 2 Σ_{j∈F_i} W_ij x_j                 (few flips in row i), or
//   h'_i = −h_i + 2 Σ_{j∉F_i} W_ij x_j                (more than half of row i flipped),
// an add/subtract of |F_i| (resp. n − |F_i|) input columns x_j over the examples: the work is
// ∝ min(p, 1 − p) instead of the full product. With x = 2b − 255, Σ_A x − Σ_S x =
// 2(Σ_A b − Σ_S b) − 255(|A| − |S|): the columns are the pixel bytes b.
//
// Blocks of [`COL_BLOCK`] examples; a block column is four 256-bit vectors of 16 two-byte
// lanes, lane k of vector g holding example 32g + k (low byte) and example 32g + 16 + k (high
// byte). Summing the lanes as wrapping `u16` (`W`) and their high bytes (`H`) gives both examples'
// sums from three vector operations per vector and no byte widening: Σ high = `H`, Σ low =
// `W − 256·H` (mod 2¹⁶), exact as `i16` for up to [`I16_TERMS`] added and as many subtracted
// columns (|Σ| ≤ 128 · 255 < 2¹⁵); longer lists are summed in chunks widened to `i32`. The unit's
// h' of the block is compared with 0 in the same pass (sign masks, [`BLOCK_WORDS`] words per
// (unit, block)), transposed to the P × n₁ activation rows and passed to the hidden layers' packed
// products ([`gemm`]); everything stays exact integer arithmetic.
//
// Kernels: AVX-512BW (two groups per 512-bit vector) and AVX2, one generic code over their vector
// primitives ([`x86`]), and portable code; identical results (tested against each other). The
// perturbed networks of a batch ([`FirstLayerCache::count_errors_many`]) share each block: unit
// by unit, its `H` row is read once for all of them. One block of all columns (n · 128 bytes, 100 KB for n = 784) stays in L2
// while all n₁ units add their columns to it; the columns are cache-line aligned ([`Column`]) and
// the `H` rows of the units a few ahead are prefetched (`H` streams from memory). Measured on
// 784-501-501-1, P = 6000, p = 0.1: 32-example blocks (L1-resident, more loop overhead per byte)
// and 64-example blocks were no faster; unaligned columns and no prefetch were 1.3× slower.

/// Largest number of perturbed networks [`FirstLayerCache::count_errors_many`] evaluates in one
/// pass.
pub const MAX_BATCH: usize = 16;

/// Largest input dimension of the incremental first layer ([`RowFlips`], [`FirstLayerCache`]):
/// its column lists hold `u16` indices (half the cache footprint of `u32` ones).
pub const MAX_INPUTS: usize = 1 << 16;

/// Examples per block of the incremental first layer ([`InputColumns`], [`FirstLayerCache`]).
pub const COL_BLOCK: usize = 128;
/// Two-example lanes of one block column.
const LANES: usize = COL_BLOCK / 2;
/// Sign words per (unit, block).
const BLOCK_WORDS: usize = COL_BLOCK / WORD_BITS;

/// Lane and bit shift of example `t` (`t < COL_BLOCK`) in a block column.
#[inline(always)]
const fn lane_of(t: usize) -> (usize, u32) {
    let (g, r) = (t / 32, t % 32);
    (16 * g + r % 16, 8 * (r / 16) as u32)
}
/// Added (and as many subtracted) pixel columns summed in 16-bit lanes before widening:
/// 128 · 255 = 32 640 ≤ `i16::MAX`.
const I16_TERMS: usize = 128;
/// Vector level of the portable column sums (`H` where the x86 kernels of [`x86`] cannot run).
const INT16_LEVEL: crate::simd::Level = crate::simd::Level::Avx2;

/// One block column of [`InputColumns`]: [`COL_BLOCK`] pixel bytes as `COL_BLOCK / 2` 16-bit
/// lanes, cache-line aligned (a column never straddles two lines).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct Column(pub [u16; LANES]);

impl Default for Column {
    fn default() -> Self {
        Column([0; LANES])
    }
}

/// The first-layer inputs of P examples (pixel bytes b, seen as `x = 2b − 255`) as columns, in
/// blocks of [`COL_BLOCK`] examples: block `β`, column `j` is the [`Column`] at `β · n + j`; its
/// lane `16g + k` holds example `β·COL_BLOCK + 32g + k` in its low byte and example
/// `β·COL_BLOCK + 32g + 16 + k` in its high byte. The examples past P in the last block are 0
/// (never read into a result).
#[derive(Clone, Copy, Debug)]
pub struct InputColumns<'a> {
    n: usize,
    p: usize,
    x: &'a [Column],
}

impl<'a> InputColumns<'a> {
    /// Blocks of [`COL_BLOCK`] examples for P examples.
    pub const fn blocks(p: usize) -> usize {
        p.div_ceil(COL_BLOCK)
    }
    /// Columns needed for P examples of dimension n (saturates instead of overflowing).
    pub const fn len_for(n: usize, p: usize) -> usize {
        n.saturating_mul(Self::blocks(p))
    }
    /// Lays out `pixels` (P rows of n bytes) as columns in `out` (exactly [`InputColumns::len_for`]).
    ///
    /// Errors: `ZeroLength` for n = 0, `LengthMismatch` for inconsistent lengths.
    pub fn pack(pixels: &[u8], n: usize, out: &'a mut [Column]) -> Result<InputColumns<'a>> {
        let p = check_pack(pixels.len(), n, out.len(), Self::len_for)?;
        out.fill(Column::default());
        for (mu, px) in pixels.chunks_exact(n).enumerate() {
            let (b, t) = (mu / COL_BLOCK, mu % COL_BLOCK);
            let (k, shift) = lane_of(t);
            let block = &mut out[b * n..(b + 1) * n];
            for (c, &v) in block.iter_mut().zip(px) {
                c.0[k] |= u16::from(v) << shift;
            }
        }
        Ok(InputColumns { n, p, x: out })
    }
    /// Wraps columns laid out as by [`InputColumns::pack`].
    ///
    /// Errors: `ZeroLength`, `LengthMismatch`.
    pub fn new(n: usize, p: usize, x: &'a [Column]) -> Result<Self> {
        if n == 0 {
            return Err(ShapeError::ZeroLength);
        }
        if x.len() != Self::len_for(n, p) {
            return Err(ShapeError::LengthMismatch {
                expected: Self::len_for(n, p),
                got: x.len(),
            });
        }
        Ok(InputColumns { n, p, x })
    }
    /// Input dimension n.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of examples P.
    pub fn p(&self) -> usize {
        self.p
    }
    /// The n columns of block `b`.
    #[inline(always)]
    fn block(&self, b: usize) -> &'a [Column] {
        &self.x[b * self.n..(b + 1) * self.n]
    }
}

/// The flipped weights of one layer (`rows` × n), grouped by row as signed column lists for the
/// incremental first layer: row i contributes `h'_i = σ_i h_i + 2 (Σ_{j∈A_i} x_j − Σ_{j∈S_i} x_j)`
/// with `σ_i = +1`, `A_i`/`S_i` the flipped columns whose weight was −1/+1 when at most half of
/// the row is flipped, and `σ_i = −1`, `A_i`/`S_i` the *unflipped* columns whose weight is +1/−1
/// otherwise (so a row never costs more than n/2 columns).
#[derive(Clone, Copy, Debug)]
pub struct RowFlips<'a> {
    rows: usize,
    n: usize,
    offsets: &'a [u32],
    cols: &'a [u16],
    negate: &'a [u64],
}

impl<'a> RowFlips<'a> {
    /// Length of the `offsets` buffer of [`RowFlips::build`] for `rows` rows.
    pub const fn offsets_len(rows: usize) -> usize {
        2 * rows + 1
    }
    /// Length of the `negate` buffer of [`RowFlips::build`] for `rows` rows.
    pub const fn negate_len(rows: usize) -> usize {
        words_for(rows)
    }
    /// Groups `flips` — strictly increasing row-major indices `i · n + j` into the layer `w`
    /// (`w.p()` rows of n = `w.n()` weights, its values *before* the flips) — by row.
    /// `offsets` and `negate` must have [`RowFlips::offsets_len`] and [`RowFlips::negate_len`]
    /// entries; `cols` at least `flips.len()` (the lists never hold more entries than flips).
    ///
    /// Errors: `LengthMismatch` for wrong buffer lengths, `BufferTooSmall` for a short `cols`,
    /// `InvalidParameter` for unsorted or repeated indices or n > [`MAX_INPUTS`], `IndexOutOfRange` for an
    /// index past the layer.
    pub fn build(
        w: &Patterns<'_>,
        flips: &[u32],
        offsets: &'a mut [u32],
        cols: &'a mut [u16],
        negate: &'a mut [u64],
    ) -> Result<RowFlips<'a>> {
        let (rows, n) = (w.p(), w.n());
        if rows == 0 || n == 0 {
            return Err(ShapeError::ZeroLength);
        }
        if n > MAX_INPUTS || u32::try_from(flips.len()).is_err() {
            return Err(ShapeError::InvalidParameter(
                "a layer row must have at most 2^16 weights and a flip list fewer than 2^32",
            ));
        }
        for (len, want) in [
            (offsets.len(), Self::offsets_len(rows)),
            (negate.len(), Self::negate_len(rows)),
        ] {
            if len != want {
                return Err(ShapeError::LengthMismatch {
                    expected: want,
                    got: len,
                });
            }
        }
        if cols.len() < flips.len() {
            return Err(ShapeError::BufferTooSmall {
                needed: flips.len(),
                capacity: cols.len(),
            });
        }
        if flips.windows(2).any(|f| f[0] >= f[1]) {
            return Err(ShapeError::InvalidParameter(
                "flip indices must be strictly increasing",
            ));
        }
        let total = (rows as u64).saturating_mul(n as u64);
        if let Some(&last) = flips.last() {
            if u64::from(last) >= total {
                return Err(ShapeError::IndexOutOfRange {
                    index: last as usize,
                    len: total.min(usize::MAX as u64) as usize,
                });
            }
        }
        negate.fill(0);
        let mut k = 0usize;
        let mut o = 0usize;
        for i in 0..rows {
            let row0 = i as u64 * n as u64;
            let start = k;
            while k < flips.len() && u64::from(flips[k]) < row0 + n as u64 {
                k += 1;
            }
            let fi = &flips[start..k];
            let wrow = w.row(i);
            let wrow = wrow.words();
            // 1 ⇔ W_ij = −1 (bit 1).
            let minus = |j: usize| ((wrow[j / WORD_BITS] >> (j % WORD_BITS)) & 1) as usize;
            let col = |f: u32| (u64::from(f) - row0) as usize;
            if 2 * fi.len() > n {
                negate[i / WORD_BITS] |= 1u64 << (i % WORD_BITS);
                // σ = −1: the unflipped columns, +1 weights added, −1 weights subtracted.
                for want_minus in [0, 1] {
                    offsets[2 * i + want_minus] = o as u32;
                    let mut next = fi.iter().map(|&f| col(f)).peekable();
                    for j in 0..n {
                        if next.peek() == Some(&j) {
                            next.next();
                            continue;
                        }
                        if minus(j) == want_minus {
                            cols[o] = j as u16;
                            o += 1;
                        }
                    }
                }
            } else {
                // σ = +1: the flipped columns, −1 weights added, +1 weights subtracted. Branch-free
                // (the weights' signs are unpredictable): every column is written, kept or not.
                for want_minus in [1, 0] {
                    offsets[2 * i + 1 - want_minus] = o as u32;
                    for &f in fi {
                        let j = col(f);
                        if let Some(c) = cols.get_mut(o) {
                            *c = j as u16;
                        }
                        o += usize::from(minus(j) == want_minus);
                    }
                }
            }
        }
        offsets[2 * rows] = o as u32;
        Ok(RowFlips {
            rows,
            n,
            offsets,
            cols,
            negate,
        })
    }
    /// Rows of the layer.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Weights per row.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Columns summed over all rows (the work of one evaluation per example).
    pub fn terms(&self) -> usize {
        self.offsets[2 * self.rows] as usize
    }
    /// `(σ_i = −1, A_i, S_i)` of row i.
    #[inline(always)]
    fn row(&self, i: usize) -> (bool, &'a [u16], &'a [u16]) {
        let (a, s, e) = (
            self.offsets[2 * i] as usize,
            self.offsets[2 * i + 1] as usize,
            self.offsets[2 * i + 2] as usize,
        );
        (
            (self.negate[i / WORD_BITS] >> (i % WORD_BITS)) & 1 == 1,
            &self.cols[a..s],
            &self.cols[s..e],
        )
    }
}

/// The unperturbed first layer of a network on P examples, for evaluating many perturbations of
/// it incrementally: its weights `W₁`, the inputs as [`InputColumns`] and the pre-activations
/// `H = W₁ x` (block `β`, row i, example `β·COL_BLOCK + t` at `(β · n₁ + i) · COL_BLOCK + t`).
#[derive(Clone, Copy, Debug)]
pub struct FirstLayerCache<'a> {
    w: Patterns<'a>,
    x: InputColumns<'a>,
    h: &'a [i32],
}

impl<'a> FirstLayerCache<'a> {
    /// `i32`s of the pre-activation buffer for `rows` units on P examples (saturating).
    pub const fn h_len(rows: usize, p: usize) -> usize {
        rows.saturating_mul(InputColumns::blocks(p))
            .saturating_mul(COL_BLOCK)
    }
    /// Computes `H = W₁ x` exactly into `h` (exactly [`FirstLayerCache::h_len`] entries).
    ///
    /// Errors: `LengthMismatch` when `w.n() != x.n()` or `h` has the wrong length, `ZeroLength`
    /// for an empty layer, `InvalidParameter` for n > [`MAX_INPUTS`].
    pub fn new(w: Patterns<'a>, x: InputColumns<'a>, h: &'a mut [i32]) -> Result<Self> {
        if w.p() == 0 || w.n() == 0 {
            return Err(ShapeError::ZeroLength);
        }
        if w.n() != x.n() {
            return Err(ShapeError::LengthMismatch {
                expected: w.n(),
                got: x.n(),
            });
        }
        if w.n() > MAX_INPUTS {
            return Err(ShapeError::InvalidParameter(
                "the incremental first layer takes at most 2^16 inputs",
            ));
        }
        let need = Self::h_len(w.p(), x.p());
        if h.len() != need {
            return Err(ShapeError::LengthMismatch {
                expected: need,
                got: h.len(),
            });
        }
        base_with(SumLevel::best(), &w, &x, h);
        Ok(FirstLayerCache { w, x, h })
    }
    /// Units of the layer n₁.
    pub fn rows(&self) -> usize {
        self.w.p()
    }
    /// Number of examples P.
    pub fn p(&self) -> usize {
        self.x.p()
    }
    /// The unperturbed weights.
    pub fn weights(&self) -> Patterns<'a> {
        self.w
    }
    /// `i32` scratch of [`FirstLayerCache::predict`] with the layers `upper` above the first.
    pub fn int_scratch_len(&self, upper: &[Patterns<'_>]) -> usize {
        if upper.is_empty() {
            self.rows() * COL_BLOCK
        } else {
            chunked_int_len(upper, self.p())
        }
    }
    /// `u64` scratch of [`FirstLayerCache::predict`] with the layers `upper` above the first.
    pub fn bit_scratch_len(&self, upper: &[Patterns<'_>]) -> usize {
        self.bit_scratch_len_many(upper, 1)
    }
    /// Words per example of a packed activation row: the widest of the first layer and the hidden
    /// layers of `upper` (non-empty; its last layer is the output).
    fn act_words(&self, upper: &[Patterns<'_>]) -> usize {
        let widest = upper[..upper.len() - 1]
            .iter()
            .map(|w| w.p())
            .fold(self.rows(), usize::max);
        words_for(widest)
    }
    /// `u64` scratch of [`FirstLayerCache::count_errors_many`] for `r` perturbed networks whose
    /// layers above the first are shaped as `upper` (saturating): the sign words of one block of
    /// every network and `r + 1` activation buffers.
    pub fn bit_scratch_len_many(&self, upper: &[Patterns<'_>], r: usize) -> usize {
        let t = self.rows() * BLOCK_WORDS;
        if upper.is_empty() {
            return t;
        }
        t.saturating_mul(r)
            .max(chunked_sign_len(upper))
            .saturating_add(
                r.saturating_add(1)
                    .saturating_mul(self.p())
                    .saturating_mul(self.act_words(upper)),
            )
    }

    /// Predictions (as [`Network::predict`]) of the network whose first layer is this one's
    /// weights with `flips` applied and whose further layers are `upper` (possibly none), on the
    /// cached examples.
    ///
    /// Errors: `LengthMismatch` when `flips` is not of this layer's shape, `upper` does not chain
    /// onto it or `out.len() != P`; `BufferTooSmall` for short scratch; as [`Network::new`] for a
    /// malformed `upper`.
    pub fn predict(
        &self,
        flips: &RowFlips<'_>,
        upper: &[Patterns<'_>],
        ints: &mut [i32],
        bits: &mut [u64],
        out: &mut [i32],
    ) -> Result<()> {
        self.run_many(
            core::slice::from_ref(flips),
            &[upper],
            ints,
            bits,
            out,
            |_, _| {},
        )
    }

    /// Misclassified examples of the perturbed network (see [`FirstLayerCache::predict`]) with
    /// the given labels (±1 for one output unit, `0..C` otherwise); `out` is scratch of length P.
    ///
    /// Errors: as [`FirstLayerCache::predict`]; `LengthMismatch` when `labels.len() != P`.
    pub fn count_errors(
        &self,
        flips: &RowFlips<'_>,
        upper: &[Patterns<'_>],
        labels: &[i32],
        ints: &mut [i32],
        bits: &mut [u64],
        out: &mut [i32],
    ) -> Result<u32> {
        let mut e = [0u32];
        self.count_errors_many(
            core::slice::from_ref(flips),
            &[upper],
            labels,
            ints,
            bits,
            out,
            &mut e,
        )?;
        Ok(e[0])
    }

    /// [`FirstLayerCache::count_errors`] of R = `flips.len()` perturbed networks at once
    /// (1 ≤ R ≤ [`MAX_BATCH`]): network r has the first layer `flips[r]` and the further layers
    /// `upper[r]`, all shaped alike; its count goes to `errors[r]`. The cached pre-activations and
    /// input columns of each example block are read once for all R networks. `bits` needs
    /// [`FirstLayerCache::bit_scratch_len_many`] words, `ints` as for one network.
    ///
    /// Errors: as [`FirstLayerCache::count_errors`] for each network; `LengthMismatch` when
    /// `upper`, `flips` and `errors` differ in length or the networks differ in shape,
    /// `InvalidParameter` for R outside 1 ..= [`MAX_BATCH`].
    #[allow(clippy::too_many_arguments)]
    pub fn count_errors_many(
        &self,
        flips: &[RowFlips<'_>],
        upper: &[&[Patterns<'_>]],
        labels: &[i32],
        ints: &mut [i32],
        bits: &mut [u64],
        out: &mut [i32],
        errors: &mut [u32],
    ) -> Result<()> {
        if labels.len() != self.p() {
            return Err(ShapeError::LengthMismatch {
                expected: self.p(),
                got: labels.len(),
            });
        }
        if errors.len() != flips.len() {
            return Err(ShapeError::LengthMismatch {
                expected: flips.len(),
                got: errors.len(),
            });
        }
        self.run_many(flips, upper, ints, bits, out, |r, out| {
            if let Some(e) = errors.get_mut(r) {
                *e = out.iter().zip(labels).filter(|(a, b)| a != b).count() as u32;
            }
        })
    }

    /// The predictions of every network of the batch into `out`, passed to `done(r, out)` in turn.
    fn run_many(
        &self,
        flips: &[RowFlips<'_>],
        upper: &[&[Patterns<'_>]],
        ints: &mut [i32],
        bits: &mut [u64],
        out: &mut [i32],
        mut done: impl FnMut(usize, &[i32]),
    ) -> Result<()> {
        let (rows, p) = (self.rows(), self.p());
        let nr = flips.len();
        if nr == 0 || nr > MAX_BATCH {
            return Err(ShapeError::InvalidParameter(
                "a batch holds 1 to MAX_BATCH perturbed networks",
            ));
        }
        if upper.len() != nr {
            return Err(ShapeError::LengthMismatch {
                expected: nr,
                got: upper.len(),
            });
        }
        for f in flips {
            if f.rows() != rows || f.n() != self.w.n() {
                return Err(ShapeError::LengthMismatch {
                    expected: rows * self.w.n(),
                    got: f.rows() * f.n(),
                });
            }
        }
        let up0 = upper[0];
        for up in upper {
            if up.len() != up0.len() {
                return Err(ShapeError::LengthMismatch {
                    expected: up0.len(),
                    got: up.len(),
                });
            }
            for (w, w0) in up.iter().zip(up0) {
                if (w.n(), w.p()) != (w0.n(), w0.p()) {
                    return Err(ShapeError::LengthMismatch {
                        expected: w0.n() * w0.p(),
                        got: w.n() * w.p(),
                    });
                }
            }
        }
        if let Some(w) = up0.first() {
            if w.n() != rows {
                return Err(ShapeError::LengthMismatch {
                    expected: rows,
                    got: w.n(),
                });
            }
            Network::new(up0)?;
        }
        if out.len() != p {
            return Err(ShapeError::LengthMismatch {
                expected: p,
                got: out.len(),
            });
        }
        let (ni, nb) = (
            self.int_scratch_len(up0),
            self.bit_scratch_len_many(up0, nr),
        );
        if ints.len() < ni {
            return Err(ShapeError::BufferTooSmall {
                needed: ni,
                capacity: ints.len(),
            });
        }
        if bits.len() < nb {
            return Err(ShapeError::BufferTooSmall {
                needed: nb,
                capacity: bits.len(),
            });
        }
        if p == 0 {
            for r in 0..nr {
                done(r, out);
            }
            return Ok(());
        }
        let blocks = InputColumns::blocks(p);
        let h_block = |b: usize| &self.h[b * rows * COL_BLOCK..(b + 1) * rows * COL_BLOCK];
        if up0.is_empty() {
            // The first layer is the output: its pre-activations, block by block, then decisions.
            let h = &mut ints[..rows * COL_BLOCK];
            for (r, flips) in flips.iter().enumerate() {
                for b in 0..blocks {
                    let (xb, hb) = (self.x.block(b), h_block(b));
                    for (i, hv) in h.chunks_exact_mut(COL_BLOCK).enumerate() {
                        if let (Some(hv), Some(h0)) = (
                            hv.first_chunk_mut::<COL_BLOCK>(),
                            hb[i * COL_BLOCK..].first_chunk::<COL_BLOCK>(),
                        ) {
                            *hv = unit_values(xb, flips, i, h0);
                        }
                    }
                    let valid = (p - b * COL_BLOCK).min(COL_BLOCK);
                    decide(
                        h,
                        rows,
                        COL_BLOCK,
                        &mut out[b * COL_BLOCK..b * COL_BLOCK + valid],
                    )?;
                }
                done(r, out);
            }
            return Ok(());
        }
        let tl = (nr * rows * BLOCK_WORDS).max(chunked_sign_len(up0));
        let act_len = p * self.act_words(up0);
        let (t, rest) = bits[..nb].split_at_mut(tl);
        let (acts, dst) = rest.split_at_mut(nr * act_len);
        // Signs of each block for every network, transposed into the activation rows.
        for b in 0..blocks {
            let t = &mut t[..nr * rows * BLOCK_WORDS];
            block_signs(self.x.block(b), flips, h_block(b), t);
            let valid = (p - b * COL_BLOCK).min(COL_BLOCK);
            for (t, act) in t
                .chunks_exact(rows * BLOCK_WORDS)
                .zip(acts.chunks_exact_mut(act_len))
            {
                transpose_signs(
                    t,
                    rows,
                    BLOCK_WORDS,
                    valid,
                    &mut act[..p * words_for(rows)],
                    b * COL_BLOCK,
                );
            }
        }
        for (r, (up, src)) in upper.iter().zip(acts.chunks_exact_mut(act_len)).enumerate() {
            forward_chunked(up, p, ints, t, src, &mut dst[..act_len], out)?;
            done(r, out);
        }
        Ok(())
    }
}

/// Column `j` of a block (lanes as [`lane_of`]).
#[inline(always)]
fn column(xb: &[Column], j: usize) -> Option<&[u16; LANES]> {
    xb.get(j).map(|c| &c.0)
}

/// Wrapping lane sums `(W, H)` of `Σ_{j∈add} − Σ_{j∈sub}` over one block: `W` of the whole lanes,
/// `H` of their high bytes. At most [`I16_TERMS`] entries in each list keep [`unpack`] exact.
#[inline(always)]
fn lane_sums(xb: &[Column], add: &[u16], sub: &[u16]) -> ([u16; LANES], [u16; LANES]) {
    let (mut w, mut h) = ([0u16; LANES], [0u16; LANES]);
    for &j in add {
        if let Some(v) = column(xb, j as usize) {
            for k in 0..LANES {
                w[k] = w[k].wrapping_add(v[k]);
                h[k] = h[k].wrapping_add(v[k] >> 8);
            }
        }
    }
    for &j in sub {
        if let Some(v) = column(xb, j as usize) {
            for k in 0..LANES {
                w[k] = w[k].wrapping_sub(v[k]);
                h[k] = h[k].wrapping_sub(v[k] >> 8);
            }
        }
    }
    (w, h)
}

/// The per-example sums (example order) of wrapping lane sums whose true values fit `i16`: the
/// high-byte example of lane L is `H_L`, the low-byte one `W_L − 256 H_L` (both mod 2¹⁶).
#[inline(always)]
fn unpack(w: &[u16; LANES], h: &[u16; LANES]) -> [i32; COL_BLOCK] {
    core::array::from_fn(|t| {
        let (l, shift) = lane_of(t);
        if shift == 0 {
            i32::from(w[l].wrapping_sub(h[l] << 8) as i16)
        } else {
            i32::from(h[l] as i16)
        }
    })
}

/// `Σ_{j∈add} b_j − Σ_{j∈sub} b_j` for the examples of one block (example order), exactly: 16-bit
/// lane sums of at most [`I16_TERMS`] added and [`I16_TERMS`] subtracted columns (each in
/// [−32 640, 32 640]), widened to `i32`.
#[inline(always)]
fn column_sums(xb: &[Column], add: &[u16], sub: &[u16]) -> [i32; COL_BLOCK] {
    if add.len() <= I16_TERMS && sub.len() <= I16_TERMS {
        let (w, h) = lane_sums(xb, add, sub);
        return unpack(&w, &h);
    }
    let mut acc = [0i32; COL_BLOCK];
    let (mut add, mut sub) = (add, sub);
    while !add.is_empty() || !sub.is_empty() {
        let ka = add.len().min(I16_TERMS);
        let ks = sub.len().min(I16_TERMS);
        let (w, h) = lane_sums(xb, &add[..ka], &sub[..ks]);
        for (a, d) in acc.iter_mut().zip(unpack(&w, &h)) {
            *a += d;
        }
        add = &add[ka..];
        sub = &sub[ks..];
    }
    acc
}

/// `H = W₁ x` (checked shapes) with a chosen kernel: AVX2 for both x86 levels, else portable.
fn base_with(level: SumLevel, w: &Patterns<'_>, x: &InputColumns<'_>, h: &mut [i32]) {
    #[cfg(target_arch = "x86_64")]
    if level != SumLevel::Portable && SumLevel::best() != SumLevel::Portable {
        let len = w.p() * COL_BLOCK;
        for (b, hb) in h.chunks_exact_mut(len).enumerate() {
            // SAFETY: AVX2 was detected on this CPU and OS.
            #[allow(unsafe_code)]
            unsafe {
                x86::base_block(x.block(b), w, hb)
            };
        }
        return;
    }
    let _ = level;
    crate::simd::run(INT16_LEVEL, BaseKernel { w, x, h });
}

/// `H = W₁ x` block by block (run at [`INT16_LEVEL`]).
struct BaseKernel<'k, 'a> {
    w: &'k Patterns<'a>,
    x: &'k InputColumns<'a>,
    h: &'k mut [i32],
}

impl crate::simd::Kernel for BaseKernel<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        let (rows, n) = (self.w.p(), self.w.n());
        for b in 0..InputColumns::blocks(self.x.p()) {
            let xb = self.x.block(b);
            for i in 0..rows {
                let wrow = self.w.row(i);
                let wrow = wrow.words();
                let mut acc = [0i32; COL_BLOCK];
                for j0 in (0..n).step_by(I16_TERMS) {
                    let (mut sw, mut sh) = ([0u16; LANES], [0u16; LANES]);
                    for j in j0..(j0 + I16_TERMS).min(n) {
                        // m = 0 for W = +1, 0xFFFF for W = −1: (v ^ m) − m = W·v (mod 2¹⁶).
                        let m = 0u16
                            .wrapping_sub(((wrow[j / WORD_BITS] >> (j % WORD_BITS)) & 1) as u16);
                        if let Some(v) = column(xb, j) {
                            for k in 0..LANES {
                                sw[k] = sw[k].wrapping_add((v[k] ^ m).wrapping_sub(m));
                                sh[k] = sh[k].wrapping_add(((v[k] >> 8) ^ m).wrapping_sub(m));
                            }
                        }
                    }
                    for (a, d) in acc.iter_mut().zip(unpack(&sw, &sh)) {
                        *a += d;
                    }
                }
                // Σ_j W_ij x_j = 2 Σ_j W_ij b_j − 255 Σ_j W_ij.
                let minus: u32 = wrow.iter().map(|w| w.count_ones()).sum();
                let c = 255 * (n as i32 - 2 * minus as i32);
                for (h, &a) in self.h[(b * rows + i) * COL_BLOCK..][..COL_BLOCK]
                    .iter_mut()
                    .zip(&acc)
                {
                    *h = 2 * a - c;
                }
            }
        }
    }
}

/// Bit c of word k set ⇔ `v[64k + c] < 0`.
#[inline(always)]
fn sign_bits(v: &[i32; COL_BLOCK], t: &mut [u64]) {
    for (w, v) in t.iter_mut().zip(v.chunks_exact(WORD_BITS)) {
        if let Some(v) = v.first_chunk::<WORD_BITS>() {
            *w = sign_word(v);
        }
    }
}

/// The perturbed pre-activations of unit i on one block (portable):
/// h' = σh + 4(Σ_A b − Σ_S b) − 510(|A| − |S|), with σh = (h ^ m) − m. Wrapping: the terms may
/// leave the i32 range for huge n, the exact result does not.
#[inline(always)]
fn unit_values(
    xb: &[Column],
    flips: &RowFlips<'_>,
    i: usize,
    h: &[i32; COL_BLOCK],
) -> [i32; COL_BLOCK] {
    let (neg, add, sub) = flips.row(i);
    let s = column_sums(xb, add, sub);
    let m = -i32::from(neg);
    let c = 510i32.wrapping_mul((add.len() as i32).wrapping_sub(sub.len() as i32));
    core::array::from_fn(|u| {
        (h[u] ^ m)
            .wrapping_sub(m)
            .wrapping_add(s[u].wrapping_mul(4))
            .wrapping_sub(c)
    })
}

/// The sign masks of every unit on one block (`hb`: the block's `H`, rows × [`COL_BLOCK`]) of
/// each perturbation `flips[r]` into `t` (network r at `r · rows · BLOCK_WORDS`, [`BLOCK_WORDS`]
/// words per unit): unit by unit, its `H` row read once for every network. AVX-512BW or AVX2
/// where the CPU has it, else portable; identical results.
fn block_signs(xb: &[Column], flips: &[RowFlips<'_>], hb: &[i32], t: &mut [u64]) {
    block_signs_with(SumLevel::best(), xb, flips, hb, t);
}

/// The kernels of the column sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SumLevel {
    /// Portable code (run at the baseline target).
    Portable,
    /// x86-64 AVX2.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Avx2,
    /// x86-64 AVX-512F + BW.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Avx512,
}

impl SumLevel {
    /// The fastest kernel this CPU runs (detections cached).
    fn best() -> SumLevel {
        #[cfg(target_arch = "x86_64")]
        return x86::level();
        #[cfg(not(target_arch = "x86_64"))]
        SumLevel::Portable
    }
    /// Whether this CPU runs `self`.
    #[cfg(test)]
    fn is_available(self) -> bool {
        matches!(
            (self, SumLevel::best()),
            (SumLevel::Portable, _) | (_, SumLevel::Avx512) | (SumLevel::Avx2, SumLevel::Avx2)
        )
    }
}

/// [`block_signs`] with a chosen kernel (one the CPU runs; otherwise the portable code runs).
fn block_signs_with(
    level: SumLevel,
    xb: &[Column],
    flips: &[RowFlips<'_>],
    hb: &[i32],
    t: &mut [u64],
) {
    let level = if level == SumLevel::Avx512 && SumLevel::best() != SumLevel::Avx512 {
        SumLevel::best()
    } else if level == SumLevel::Avx2 && SumLevel::best() == SumLevel::Portable {
        SumLevel::Portable
    } else {
        level
    };
    #[cfg(target_arch = "x86_64")]
    match level {
        SumLevel::Avx512 => {
            // SAFETY: AVX-512F/BW were detected on this CPU and OS.
            #[allow(unsafe_code)]
            unsafe {
                x86::block_signs_avx512(xb, flips, hb, t)
            };
            return;
        }
        SumLevel::Avx2 => {
            // SAFETY: AVX2 was detected on this CPU and OS.
            #[allow(unsafe_code)]
            unsafe {
                x86::block_signs_avx2(xb, flips, hb, t)
            };
            return;
        }
        SumLevel::Portable => {}
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = level;
    let rows = hb.len() / COL_BLOCK;
    for (i, h) in hb.chunks_exact(COL_BLOCK).enumerate() {
        for (r, f) in flips.iter().enumerate() {
            let at = (r * rows + i) * BLOCK_WORDS;
            if let (Some(h), Some(w)) = (
                h.first_chunk::<COL_BLOCK>(),
                t.get_mut(at..at + BLOCK_WORDS),
            ) {
                sign_bits(&unit_values(xb, f, i, h), w);
            }
        }
    }
}

/// The x86 column sums, written once ([`x86::block_signs_on`], [`x86::add_sums`]) over the vector
/// primitives of a backend (trait `Lanes`: AVX2 with 256-bit vectors, AVX-512BW with 512-bit
/// ones, the same lane layout) and compiled into one `#[target_feature]` entry point per backend.
///
/// Safety: a backend's primitives take a token (`Avx2`, `Avx512`) that only its entry points
/// create, and [`block_signs_with`] / [`base_with`] call an entry point only after
/// [`SumLevel::best`] detected its instruction sets on this CPU and OS. Vector loads take
/// `&[u16; W]` / `&[i32; D]` references, so every access is in bounds by construction.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use super::{
        Column, Patterns, RowFlips, SumLevel, BLOCK_WORDS, COL_BLOCK, I16_TERMS, LANES, WORD_BITS,
    };
    use core::arch::x86_64::*;

    /// Units between the `H` rows being prefetched and the ones being used.
    const PREFETCH_UNITS: usize = 4;

    /// The widest kernel this CPU runs (the detections are cached).
    pub(super) fn level() -> SumLevel {
        if crate::simd::Level::Avx2.is_available() {
            if crate::simd::Level::Avx512.is_available() && avx512bw() {
                SumLevel::Avx512
            } else {
                SumLevel::Avx2
            }
        } else {
            SumLevel::Portable
        }
    }

    #[cfg(feature = "std")]
    fn avx512bw() -> bool {
        std::is_x86_feature_detected!("avx512bw")
    }

    #[cfg(not(feature = "std"))]
    fn avx512bw() -> bool {
        // Only asked after AVX-512F was found (so CPUID leaf 7 exists and the OS saves the ZMM
        // state): AVX-512BW is CPUID.(EAX=7, ECX=0):EBX bit 30.
        __cpuid_count(7, 0).ebx & (1 << 30) != 0
    }

    /// The vector operations in which the AVX-512BW and AVX2 kernels differ: a vector holds `W`
    /// 16-bit lanes or `D = W / 2` 32-bit lanes. A value of an implementing type is a token that
    /// the CPU and OS run the backend's instruction sets (created only in its entry points);
    /// every method is `#[inline(always)]`, so it compiles into that entry point, with its
    /// features.
    trait Lanes<const W: usize, const D: usize>: Copy {
        /// A vector.
        type V: Copy;
        /// All bits 0.
        fn zero(self) -> Self::V;
        /// Every 32-bit lane `x`.
        fn splat32(self, x: i32) -> Self::V;
        /// `W` 16-bit lanes.
        fn load16(self, c: &[u16; W]) -> Self::V;
        /// `D` 32-bit lanes.
        fn load32(self, c: &[i32; D]) -> Self::V;
        /// Stores `D` 32-bit lanes.
        fn store32(self, c: &mut [i32; D], v: Self::V);
        /// Lane-wise wrapping 16-bit `a + b`.
        fn add16(self, a: Self::V, b: Self::V) -> Self::V;
        /// Lane-wise wrapping 16-bit `a − b`.
        fn sub16(self, a: Self::V, b: Self::V) -> Self::V;
        /// Every 16-bit lane shifted right (logical) by 8.
        fn shr8_16(self, a: Self::V) -> Self::V;
        /// Every 16-bit lane shifted left by 8.
        fn shl8_16(self, a: Self::V) -> Self::V;
        /// Lane-wise wrapping 32-bit `a + b`.
        fn add32(self, a: Self::V, b: Self::V) -> Self::V;
        /// Lane-wise wrapping 32-bit `a − b`.
        fn sub32(self, a: Self::V, b: Self::V) -> Self::V;
        /// Every 32-bit lane shifted left by 1.
        fn shl1_32(self, a: Self::V) -> Self::V;
        /// Every 32-bit lane shifted left by 2.
        fn shl2_32(self, a: Self::V) -> Self::V;
        /// Bit-wise `a ^ b`.
        fn xor(self, a: Self::V, b: Self::V) -> Self::V;
        /// The examples of the lane sums `lo` (low-byte examples) and `hi` (high-byte examples)
        /// of one vector, sign-extended to 32 bits, as four vectors of consecutive examples.
        fn widen(self, lo: Self::V, hi: Self::V) -> [Self::V; 4];
        /// Bit k set ⇔ 32-bit lane k is negative.
        fn neg_mask(self, a: Self::V) -> u64;
    }

    /// AVX2: 16 × u16 / 8 × i32; exists only inside [`block_signs_avx2`] and [`base_block`].
    #[derive(Clone, Copy)]
    struct Avx2(());

    // SAFETY (every block of this impl): an `Avx2` exists only inside the AVX2 entry points,
    // which run only where AVX2 is available (see `Lanes`); loads and stores take references to
    // 32 bytes and have no alignment requirement.
    impl Lanes<16, 8> for Avx2 {
        type V = __m256i;
        #[inline(always)]
        fn zero(self) -> __m256i {
            unsafe { _mm256_setzero_si256() }
        }
        #[inline(always)]
        fn splat32(self, x: i32) -> __m256i {
            unsafe { _mm256_set1_epi32(x) }
        }
        #[inline(always)]
        fn load16(self, c: &[u16; 16]) -> __m256i {
            unsafe { _mm256_loadu_si256(c.as_ptr().cast()) }
        }
        #[inline(always)]
        fn load32(self, c: &[i32; 8]) -> __m256i {
            unsafe { _mm256_loadu_si256(c.as_ptr().cast()) }
        }
        #[inline(always)]
        fn store32(self, c: &mut [i32; 8], v: __m256i) {
            unsafe { _mm256_storeu_si256(c.as_mut_ptr().cast(), v) }
        }
        #[inline(always)]
        fn add16(self, a: __m256i, b: __m256i) -> __m256i {
            unsafe { _mm256_add_epi16(a, b) }
        }
        #[inline(always)]
        fn sub16(self, a: __m256i, b: __m256i) -> __m256i {
            unsafe { _mm256_sub_epi16(a, b) }
        }
        #[inline(always)]
        fn shr8_16(self, a: __m256i) -> __m256i {
            unsafe { _mm256_srli_epi16::<8>(a) }
        }
        #[inline(always)]
        fn shl8_16(self, a: __m256i) -> __m256i {
            unsafe { _mm256_slli_epi16::<8>(a) }
        }
        #[inline(always)]
        fn add32(self, a: __m256i, b: __m256i) -> __m256i {
            unsafe { _mm256_add_epi32(a, b) }
        }
        #[inline(always)]
        fn sub32(self, a: __m256i, b: __m256i) -> __m256i {
            unsafe { _mm256_sub_epi32(a, b) }
        }
        #[inline(always)]
        fn shl1_32(self, a: __m256i) -> __m256i {
            unsafe { _mm256_slli_epi32::<1>(a) }
        }
        #[inline(always)]
        fn shl2_32(self, a: __m256i) -> __m256i {
            unsafe { _mm256_slli_epi32::<2>(a) }
        }
        #[inline(always)]
        fn xor(self, a: __m256i, b: __m256i) -> __m256i {
            unsafe { _mm256_xor_si256(a, b) }
        }
        /// One 256-bit vector is one group of 32 examples: low bytes examples 0..16, high bytes
        /// 16..32.
        #[inline(always)]
        fn widen(self, lo: __m256i, hi: __m256i) -> [__m256i; 4] {
            unsafe {
                [
                    _mm256_cvtepi16_epi32(_mm256_castsi256_si128(lo)),
                    _mm256_cvtepi16_epi32(_mm256_extracti128_si256::<1>(lo)),
                    _mm256_cvtepi16_epi32(_mm256_castsi256_si128(hi)),
                    _mm256_cvtepi16_epi32(_mm256_extracti128_si256::<1>(hi)),
                ]
            }
        }
        #[inline(always)]
        fn neg_mask(self, a: __m256i) -> u64 {
            u64::from(unsafe { _mm256_movemask_ps(_mm256_castsi256_ps(a)) } as u32)
        }
    }

    /// AVX-512BW: 32 × u16 / 16 × i32; exists only inside [`block_signs_avx512`].
    #[derive(Clone, Copy)]
    struct Avx512(());

    // SAFETY (every block of this impl): an `Avx512` exists only inside the AVX-512 entry point,
    // which runs only where AVX-512F/BW are available (see `Lanes`); loads and stores take
    // references to 64 bytes and have no alignment requirement.
    impl Lanes<32, 16> for Avx512 {
        type V = __m512i;
        #[inline(always)]
        fn zero(self) -> __m512i {
            unsafe { _mm512_setzero_si512() }
        }
        #[inline(always)]
        fn splat32(self, x: i32) -> __m512i {
            unsafe { _mm512_set1_epi32(x) }
        }
        #[inline(always)]
        fn load16(self, c: &[u16; 32]) -> __m512i {
            unsafe { _mm512_loadu_si512(c.as_ptr().cast()) }
        }
        #[inline(always)]
        fn load32(self, c: &[i32; 16]) -> __m512i {
            unsafe { _mm512_loadu_si512(c.as_ptr().cast()) }
        }
        #[inline(always)]
        fn store32(self, c: &mut [i32; 16], v: __m512i) {
            unsafe { _mm512_storeu_si512(c.as_mut_ptr().cast(), v) }
        }
        #[inline(always)]
        fn add16(self, a: __m512i, b: __m512i) -> __m512i {
            unsafe { _mm512_add_epi16(a, b) }
        }
        #[inline(always)]
        fn sub16(self, a: __m512i, b: __m512i) -> __m512i {
            unsafe { _mm512_sub_epi16(a, b) }
        }
        #[inline(always)]
        fn shr8_16(self, a: __m512i) -> __m512i {
            unsafe { _mm512_srli_epi16::<8>(a) }
        }
        #[inline(always)]
        fn shl8_16(self, a: __m512i) -> __m512i {
            unsafe { _mm512_slli_epi16::<8>(a) }
        }
        #[inline(always)]
        fn add32(self, a: __m512i, b: __m512i) -> __m512i {
            unsafe { _mm512_add_epi32(a, b) }
        }
        #[inline(always)]
        fn sub32(self, a: __m512i, b: __m512i) -> __m512i {
            unsafe { _mm512_sub_epi32(a, b) }
        }
        #[inline(always)]
        fn shl1_32(self, a: __m512i) -> __m512i {
            unsafe { _mm512_slli_epi32::<1>(a) }
        }
        #[inline(always)]
        fn shl2_32(self, a: __m512i) -> __m512i {
            unsafe { _mm512_slli_epi32::<2>(a) }
        }
        #[inline(always)]
        fn xor(self, a: __m512i, b: __m512i) -> __m512i {
            unsafe { _mm512_xor_si512(a, b) }
        }
        /// One 512-bit vector is two groups of 32 examples (lanes 0..16 the first, 16..32 the
        /// second, as two 256-bit vectors).
        #[inline(always)]
        fn widen(self, lo: __m512i, hi: __m512i) -> [__m512i; 4] {
            unsafe {
                [
                    _mm512_cvtepi16_epi32(_mm512_castsi512_si256(lo)),
                    _mm512_cvtepi16_epi32(_mm512_castsi512_si256(hi)),
                    _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64::<1>(lo)),
                    _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64::<1>(hi)),
                ]
            }
        }
        #[inline(always)]
        fn neg_mask(self, a: __m512i) -> u64 {
            u64::from(unsafe { _mm512_cmplt_epi32_mask(a, _mm512_setzero_si512()) })
        }
    }

    /// Asks for the cache line of `x` (into L1).
    #[inline(always)]
    fn prefetch(x: &i32) {
        // SAFETY: SSE is part of the x86-64 baseline, and a prefetch never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const i32).cast()) }
    }

    /// Wrapping lane sums `(W, H)` of `Σ_add − Σ_sub` (lists of at most [`I16_TERMS`]) over the
    /// block columns `xc`, `V` vectors per column. Indices past the block are skipped (never the
    /// case for a built [`RowFlips`]).
    #[inline(always)]
    fn lane_sums<B: Lanes<W, D>, const W: usize, const D: usize, const V: usize>(
        isa: B,
        xc: &[Column],
        add: &[u16],
        sub: &[u16],
    ) -> ([B::V; V], [B::V; V]) {
        let mut w = [isa.zero(); V];
        let mut h = w;
        for &j in add {
            if let Some(c) = xc.get(j as usize) {
                let (v, _) = c.0.as_chunks::<W>();
                for g in 0..V {
                    let v = isa.load16(&v[g]);
                    w[g] = isa.add16(w[g], v);
                    h[g] = isa.add16(h[g], isa.shr8_16(v));
                }
            }
        }
        for &j in sub {
            if let Some(c) = xc.get(j as usize) {
                let (v, _) = c.0.as_chunks::<W>();
                for g in 0..V {
                    let v = isa.load16(&v[g]);
                    w[g] = isa.sub16(w[g], v);
                    h[g] = isa.sub16(h[g], isa.shr8_16(v));
                }
            }
        }
        (w, h)
    }

    /// `acc += Σ_add − Σ_sub` per example as `i32` (examples `D·q … D·q + D − 1` in `acc[q]`,
    /// `Q = 4V` vectors), any list lengths (chunks of [`I16_TERMS`]).
    #[inline(always)]
    fn add_sums<B: Lanes<W, D>, const W: usize, const D: usize, const V: usize, const Q: usize>(
        isa: B,
        acc: &mut [B::V; Q],
        xc: &[Column],
        add: &[u16],
        sub: &[u16],
    ) {
        let (mut add, mut sub) = (add, sub);
        loop {
            let ka = add.len().min(I16_TERMS);
            let ks = sub.len().min(I16_TERMS);
            let (w, h) = lane_sums::<B, W, D, V>(isa, xc, &add[..ka], &sub[..ks]);
            for (g, (w, h)) in w.into_iter().zip(h).enumerate() {
                // Low-byte examples W − 256 H, high-byte examples H (exact as i16).
                let lo = isa.sub16(w, isa.shl8_16(h));
                for (a, q) in acc[4 * g..4 * g + 4].iter_mut().zip(isa.widen(lo, h)) {
                    *a = isa.add32(*a, q);
                }
            }
            add = &add[ka..];
            sub = &sub[ks..];
            if add.is_empty() && sub.is_empty() {
                return;
            }
        }
    }

    /// As the portable [`super::block_signs`] (see there), on the backend `isa`.
    #[inline(always)]
    fn block_signs_on<
        B: Lanes<W, D>,
        const W: usize,
        const D: usize,
        const V: usize,
        const Q: usize,
    >(
        isa: B,
        xb: &[Column],
        flips: &[RowFlips<'_>],
        hb: &[i32],
        t: &mut [u64],
    ) {
        const { assert!(W * V == LANES && D * Q == COL_BLOCK && Q == 4 * V && 2 * D == W) };
        let rows = hb.len() / COL_BLOCK;
        for (i, h) in hb.chunks_exact(COL_BLOCK).enumerate() {
            // `H` streams from memory: fetch a later unit's rows while this one sums its columns.
            if let Some(ahead) = hb.get((i + PREFETCH_UNITS) * COL_BLOCK..) {
                ahead.iter().take(COL_BLOCK).step_by(16).for_each(prefetch);
            }
            let (h, _) = h.as_chunks::<D>();
            for (r, f) in flips.iter().enumerate() {
                let at = (r * rows + i) * BLOCK_WORDS;
                let Some(w) = t.get_mut(at..at + BLOCK_WORDS) else {
                    continue;
                };
                let (neg, add, sub) = f.row(i);
                let mut s = [isa.zero(); Q];
                add_sums::<B, W, D, V, Q>(isa, &mut s, xb, add, sub);
                let m = isa.splat32(-i32::from(neg));
                let c = isa.splat32(
                    510i32.wrapping_mul((add.len() as i32).wrapping_sub(sub.len() as i32)),
                );
                for (k, w) in w.iter_mut().enumerate() {
                    let mut bits = 0u64;
                    for q in 0..WORD_BITS / D {
                        let j = WORD_BITS / D * k + q;
                        // h' = σh + 4Σ − c, σh = (h ^ m) − m.
                        let hv = isa.sub32(isa.xor(isa.load32(&h[j]), m), m);
                        let v = isa.sub32(isa.add32(hv, isa.shl2_32(s[j])), c);
                        bits |= isa.neg_mask(v) << (D * q);
                    }
                    *w = bits;
                }
            }
        }
    }

    /// [`block_signs_on`] with AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) fn block_signs_avx2(
        xb: &[Column],
        flips: &[RowFlips<'_>],
        hb: &[i32],
        t: &mut [u64],
    ) {
        block_signs_on::<_, 16, 8, 4, 16>(Avx2(()), xb, flips, hb, t);
    }

    /// [`block_signs_on`] with AVX-512BW.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) fn block_signs_avx512(
        xb: &[Column],
        flips: &[RowFlips<'_>],
        hb: &[i32],
        t: &mut [u64],
    ) {
        block_signs_on::<_, 32, 16, 2, 8>(Avx512(()), xb, flips, hb, t);
    }

    /// `H = W₁ x` on one block (`hb`: rows × [`COL_BLOCK`]) with AVX2: per row, chunks of
    /// [`I16_TERMS`] columns split (branch-free) into the +1 and −1 weights.
    #[target_feature(enable = "avx2")]
    pub(super) fn base_block(xb: &[Column], w: &Patterns<'_>, hb: &mut [i32]) {
        let isa = Avx2(());
        let n = w.n();
        let (mut plus, mut minus) = ([0u16; I16_TERMS], [0u16; I16_TERMS]);
        for (i, hv) in hb.chunks_exact_mut(COL_BLOCK).enumerate() {
            let wrow = w.row(i);
            let wrow = wrow.words();
            let mut acc = [isa.zero(); COL_BLOCK / 8];
            for j0 in (0..n).step_by(I16_TERMS) {
                let (mut np, mut nm) = (0usize, 0usize);
                for j in j0..(j0 + I16_TERMS).min(n) {
                    let bit = ((wrow[j / WORD_BITS] >> (j % WORD_BITS)) & 1) as usize;
                    minus[nm] = j as u16;
                    plus[np] = j as u16;
                    nm += bit;
                    np += 1 - bit;
                }
                add_sums::<_, 16, 8, 4, 16>(isa, &mut acc, xb, &plus[..np], &minus[..nm]);
            }
            // Σ_j W_ij x_j = 2 Σ_j W_ij b_j − 255 Σ_j W_ij.
            let nminus: u32 = wrow.iter().map(|w| w.count_ones()).sum();
            let c = isa.splat32(255 * (n as i32 - 2 * nminus as i32));
            let (hv, _) = hv.as_chunks_mut::<8>();
            for (a, h) in acc.iter().zip(hv) {
                isa.store32(h, isa.sub32(isa.shl1_32(*a), c));
            }
        }
    }
}

/// Writes the sign bits `t` (`rows` units × `kw` words: bit c of word k of unit i is example
/// `k · 64 + c`) into the activation rows `mu0 .. mu0 + valid` of `act` (`words_for(rows)` words
/// per example; bits past `rows` are 0), by 64 × 64 bit transposes.
#[inline(always)]
fn transpose_signs(t: &[u64], rows: usize, kw: usize, valid: usize, act: &mut [u64], mu0: usize) {
    let wpr = words_for(rows);
    let mut tile = [0u64; WORD_BITS];
    for g in 0..wpr {
        for k in 0..kw {
            for (r, w) in tile.iter_mut().enumerate() {
                let i = g * WORD_BITS + r;
                *w = if i < rows { t[i * kw + k] } else { 0 };
            }
            transpose64(&mut tile);
            let m0 = mu0 + k * WORD_BITS;
            for (c, &w) in tile
                .iter()
                .enumerate()
                .take(valid.saturating_sub(k * WORD_BITS))
            {
                act[(m0 + c) * wpr + g] = w;
            }
        }
    }
}

/// Examples per product of a hidden layer in [`forward_chunked`] (a multiple of 64).
const HIDDEN_CHUNK: usize = 320;

/// `i32` scratch of [`forward_chunked`] for P examples: the output layer's products (the hidden
/// layers write sign words only).
fn chunked_int_len(layers: &[Patterns<'_>], p: usize) -> usize {
    layers[layers.len() - 1].p() * p
}

/// `u64` scratch of [`forward_chunked`] beside its two activation buffers: the sign words of one
/// chunk of the widest hidden layer.
fn chunked_sign_len(layers: &[Patterns<'_>]) -> usize {
    layers[..layers.len() - 1]
        .iter()
        .map(|w| w.p() * (HIDDEN_CHUNK / WORD_BITS))
        .max()
        .unwrap_or(0)
}

/// As [`forward_packed`], but each hidden layer by [`HIDDEN_CHUNK`] examples at a time: their
/// unit-major sign words straight from the product's popcounts ([`gemm::sign_rows`], no integer
/// products written), moved into the activation rows by 64 × 64 bit transposes (instead of one
/// scattered bit write per product). Same results.
fn forward_chunked(
    layers: &[Patterns<'_>],
    p: usize,
    ints: &mut [i32],
    t: &mut [u64],
    src: &mut [u64],
    dst: &mut [u64],
    out: &mut [i32],
) -> Result<()> {
    let nl = layers.len();
    let (mut src, mut dst) = (src, dst);
    let mut cur_n = layers[0].n();
    for (l, w) in layers.iter().enumerate() {
        if l + 1 == nl {
            let act = Patterns::new(cur_n, p, &src[..p * words_for(cur_n)])?;
            let h = &mut ints[..w.p() * p];
            gemm::dot_matrix(w, &act, h)?;
            return decide(h, w.p(), p, out);
        }
        let (rows, wpr_in) = (w.p(), words_for(cur_n));
        let next = &mut dst[..p * words_for(rows)];
        for mu0 in (0..p).step_by(HIDDEN_CHUNK) {
            let cnt = HIDDEN_CHUNK.min(p - mu0);
            let chunk = Patterns::new(cur_n, cnt, &src[mu0 * wpr_in..(mu0 + cnt) * wpr_in])?;
            let kw = cnt.div_ceil(WORD_BITS);
            let t = &mut t[..rows * kw];
            gemm::sign_rows(w, &chunk, t)?;
            transpose_signs(t, rows, kw, cnt, next, mu0);
        }
        core::mem::swap(&mut src, &mut dst);
        cur_n = rows;
    }
    Ok(())
}

/// Bit c set ⇔ `v[c] < 0`.
#[inline(always)]
fn sign_word(v: &[i32; WORD_BITS]) -> u64 {
    let mut m = 0u64;
    for (c, &v) in v.iter().enumerate() {
        m |= u64::from(v < 0) << c;
    }
    m
}

/// In-place transpose of a 64 × 64 bit matrix (row r = word r, column c = bit c): afterwards bit
/// c of word r is the former bit r of word c. Recursive block swaps (Hacker's Delight §7-3).
#[inline(always)]
fn transpose64(a: &mut [u64; WORD_BITS]) {
    let mut j = 32usize;
    let mut m: u64 = 0x0000_0000_FFFF_FFFF;
    while j != 0 {
        let mut k = 0usize;
        while k < WORD_BITS {
            let t = ((a[k] >> j) ^ a[k + j]) & m;
            a[k] ^= t << j;
            a[k + j] ^= t;
            k = (k + j + 1) & !j;
        }
        j >>= 1;
        m ^= m << j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{below, rng_from_seed, uniform};
    use rand_core::RngCore;
    use std::vec;
    use std::vec::Vec;

    /// The `(offsets, cols, negate)` buffers of [`RowFlips::build`] for each flip list of a layer
    /// with `rows` rows.
    fn flip_bufs(rows: usize, lists: &[&[u32]]) -> Vec<(Vec<u32>, Vec<u16>, Vec<u64>)> {
        lists
            .iter()
            .map(|f| {
                (
                    vec![0u32; RowFlips::offsets_len(rows)],
                    vec![0u16; f.len()],
                    vec![0u64; RowFlips::negate_len(rows)],
                )
            })
            .collect()
    }

    /// [`RowFlips::build`] of every flip list of `w0` in its buffers ([`flip_bufs`]).
    fn build_flips<'b>(
        w0: &Patterns<'_>,
        lists: &[&[u32]],
        bufs: &'b mut [(Vec<u32>, Vec<u16>, Vec<u64>)],
    ) -> Vec<RowFlips<'b>> {
        lists
            .iter()
            .zip(bufs.iter_mut())
            .map(|(f, (o, c, n))| RowFlips::build(w0, f, o, c, n).unwrap())
            .collect()
    }

    #[test]
    fn transpose64_is_the_bit_transpose() {
        let mut rng = rng_from_seed(7);
        let a: [u64; 64] = core::array::from_fn(|_| rng.next_u64());
        let mut t = a;
        transpose64(&mut t);
        for (r, &tr) in t.iter().enumerate() {
            for (c, &ac) in a.iter().enumerate() {
                assert_eq!((tr >> c) & 1, (ac >> r) & 1, "({r}, {c})");
            }
        }
    }

    /// The 16-bit lane sums at their worst case: columns of 255 added (or subtracted) and columns
    /// of 0 on the other side, for list lengths around the 128-term chunk, and a column whose two
    /// halves differ (examples k and 16 + k share a lane).
    #[test]
    fn column_sums_are_exact_at_the_i16_limit() {
        let n = 700;
        let mut xb = vec![Column::default(); n];
        for j in (0..n).filter(|j| j % 3 != 0) {
            xb[j] = Column([0xFFFF; LANES]);
        }
        let full: Vec<u16> = (0..n as u16).filter(|j| j % 3 != 0).collect();
        let empty: Vec<u16> = (0..n as u16).filter(|j| j % 3 == 0).collect();
        for (na, ns) in [
            (0, 129),
            (129, 0),
            (127, 2),
            (1, 200),
            (128, 128),
            (300, 200),
            (0, 0),
        ] {
            let s = column_sums(&xb, &full[..na], &empty[..ns]);
            assert!(s.iter().all(|&a| a == 255 * na as i32), "+{na} −{ns} terms");
            let s = column_sums(&xb, &empty[..ns], &full[..na]);
            assert!(
                s.iter().all(|&a| a == -255 * na as i32),
                "+{ns} −{na} terms"
            );
        }
        // Example t of column 0 holds t · 8 − 1 (mod 256), of column 1 200.
        let mut xb = vec![Column::default(); 2];
        for t in 0..COL_BLOCK {
            let b = u16::from((t * 8).wrapping_sub(1) as u8);
            let (l, shift) = lane_of(t);
            xb[0].0[l] |= b << shift;
            xb[1].0[l] |= 200 << shift;
        }
        for reps in [1usize, 100, 128, 129, 300] {
            let add = vec![0u16; reps];
            let sub = vec![1u16; reps / 2];
            let s = column_sums(&xb, &add, &sub);
            for (t, &v) in s.iter().enumerate() {
                let b = i32::from((t * 8).wrapping_sub(1) as u8);
                assert_eq!(
                    v,
                    reps as i32 * b - (reps / 2) as i32 * 200,
                    "t {t} reps {reps}"
                );
            }
        }
    }

    /// A random network: packed layers (bit 1 ⇔ −1).
    fn random_layers(arch: &[usize], rng: &mut crate::rng::Rng) -> Vec<Vec<u64>> {
        arch.windows(2)
            .map(|s| {
                let wpr = words_for(s[0]);
                let mut w = vec![0u64; s[1] * wpr];
                for r in 0..s[1] {
                    for c in 0..s[0] {
                        w[r * wpr + c / 64] |= (rng.next_u64() & 1) << (c % 64);
                    }
                }
                w
            })
            .collect()
    }

    fn views<'a>(arch: &[usize], words: &'a [Vec<u64>]) -> Vec<Patterns<'a>> {
        arch.windows(2)
            .zip(words)
            .map(|(s, w)| Patterns::new(s[0], s[1], w).unwrap())
            .collect()
    }

    /// Every column-sum kernel this CPU runs (portable, AVX2, AVX-512BW) gives the same `H` (equal
    /// to a direct i32 sum) and the same sign words, bit for bit: random layers, widths across the
    /// 128-term chunks, P not a multiple of the block, flip probabilities from 0 to 1.
    #[test]
    fn every_kernel_gives_the_same_signs() {
        let mut rng = rng_from_seed(77);
        let levels: Vec<SumLevel> = [SumLevel::Portable, SumLevel::Avx2, SumLevel::Avx512]
            .into_iter()
            .filter(|l| l.is_available())
            .collect();
        for (n, rows, p) in [(1, 3, 5), (37, 70, 131), (300, 9, 257), (785, 65, 129)] {
            let pixels: Vec<u8> = (0..p * n)
                .map(|_| match rng.next_u32() % 4 {
                    0 => 0,
                    1 => 255,
                    _ => rng.next_u32() as u8,
                })
                .collect();
            let w = random_layers(&[n, rows], &mut rng).remove(0);
            let w0 = Patterns::new(n, rows, &w).unwrap();
            let mut xs = vec![Column::default(); InputColumns::len_for(n, p)];
            let x = InputColumns::pack(&pixels, n, &mut xs).unwrap();
            let hs: Vec<Vec<i32>> = levels
                .iter()
                .map(|&l| {
                    let mut h = vec![0; FirstLayerCache::h_len(rows, p)];
                    base_with(l, &w0, &x, &mut h);
                    h
                })
                .collect();
            let wpr = words_for(n);
            for (mu, px) in pixels.chunks_exact(n).enumerate() {
                for i in 0..rows {
                    let want: i32 = (0..n)
                        .map(|j| {
                            let x = 2 * i32::from(px[j]) - 255;
                            if (w[i * wpr + j / 64] >> (j % 64)) & 1 == 1 {
                                -x
                            } else {
                                x
                            }
                        })
                        .sum();
                    let (b, t) = (mu / COL_BLOCK, mu % COL_BLOCK);
                    assert_eq!(hs[0][(b * rows + i) * COL_BLOCK + t], want);
                }
            }
            for (l, h) in levels.iter().zip(&hs) {
                assert_eq!(h, &hs[0], "H of {l:?}");
            }
            let all: Vec<Vec<u32>> = [0.0, 0.002, 0.1, 0.5, 0.7, 1.0]
                .iter()
                .map(|&pf| {
                    (0..(n * rows) as u32)
                        .filter(|_| pf >= 1.0 || uniform(&mut rng) < pf)
                        .collect()
                })
                .collect();
            let lists: Vec<&[u32]> = all.iter().map(Vec::as_slice).collect();
            let mut bufs = flip_bufs(rows, &lists);
            let rfs = build_flips(&w0, &lists, &mut bufs);
            let len = rows * BLOCK_WORDS;
            for b in 0..InputColumns::blocks(p) {
                let hb = &hs[0][b * rows * COL_BLOCK..(b + 1) * rows * COL_BLOCK];
                // One network at a time (portable) and all at once (every level).
                let mut want = vec![0u64; rfs.len() * len];
                for (rf, t) in rfs.iter().zip(want.chunks_exact_mut(len)) {
                    let one = core::slice::from_ref(rf);
                    block_signs_with(SumLevel::Portable, x.block(b), one, hb, t);
                }
                for &l in &levels {
                    let mut t = vec![0u64; rfs.len() * len];
                    block_signs_with(l, x.block(b), &rfs, hb, &mut t);
                    assert_eq!(t, want, "{l:?} n {n} P {p} block {b}");
                    let mut t = vec![0u64; len];
                    block_signs_with(l, x.block(b), &rfs[2..3], hb, &mut t);
                    assert_eq!(t, want[2 * len..3 * len], "{l:?} n {n} P {p} block {b}");
                }
            }
        }
    }

    /// Plain predictions of the packed evaluation (the reference of the incremental one).
    fn full_predict(arch: &[usize], words: &[Vec<u64>], pixels: &[u8]) -> Vec<i32> {
        let pats = views(arch, words);
        let net = Network::new(&pats).unwrap();
        let p = pixels.len() / arch[0];
        let mut pw = vec![0u64; PixelPlanes::len_for(arch[0], p)];
        let planes = PixelPlanes::pack(pixels, arch[0], &mut pw).unwrap();
        let mut ints = vec![0i32; net.int_scratch_len(p)];
        let mut bits = vec![0u64; net.bit_scratch_len(p)];
        let mut out = vec![0i32; p];
        net.predict(&planes, &mut ints, &mut bits, &mut out)
            .unwrap();
        out
    }

    /// A perturbed network of a test: first-layer flips, all layers, its predictions.
    type Perturbed = (Vec<u32>, Vec<Vec<u64>>, Vec<i32>);

    /// Incremental == full evaluation of the perturbed network, on random networks (depth 1–3,
    /// one or several outputs, widths across word boundaries), P across block boundaries, inputs
    /// including the extremes 0 and 255, and flip probabilities 0, 1 and in between (rows both
    /// below and above half flipped, and rows with more than 128 summed columns).
    #[test]
    fn incremental_first_layer_equals_full_evaluation() {
        let mut rng = rng_from_seed(20261129);
        for case in 0..24 {
            let n0 = [1, 37, 300, 785][case % 4];
            let depth = 1 + case % 3;
            let mut arch = vec![n0];
            for _ in 0..depth - 1 {
                arch.push(1 + below(&mut rng, 140) as usize);
            }
            arch.push(if case % 2 == 0 {
                1
            } else {
                2 + below(&mut rng, 9) as usize
            });
            let p = [1, 127, 128, 300][case / 6 % 4];
            let pixels: Vec<u8> = (0..p * n0)
                .map(|_| match case % 5 {
                    0 => 255,
                    1 => [0, 255][(rng.next_u32() & 1) as usize],
                    _ => rng.next_u32() as u8,
                })
                .collect();
            let mut base = random_layers(&arch, &mut rng);
            if case % 5 == 0 {
                // All inputs 255 and a constant first layer: every summed column has the same
                // sign, the worst case of the i16 partial sums.
                let wpr = words_for(n0);
                for r in 0..arch[1] {
                    for c in 0..n0 {
                        let bit = 1u64 << (c % 64);
                        let w = &mut base[0][r * wpr + c / 64];
                        *w = if case % 2 == 0 { *w & !bit } else { *w | bit };
                    }
                }
            }
            let mut xs = vec![Column::default(); InputColumns::len_for(n0, p)];
            let x = InputColumns::pack(&pixels, n0, &mut xs).unwrap();
            let mut hs = vec![0i32; FirstLayerCache::h_len(arch[1], p)];
            let w0 = Patterns::new(n0, arch[1], &base[0]).unwrap();
            let cache = FirstLayerCache::new(w0, x, &mut hs).unwrap();
            let upper = views(&arch[1..], &base[1..]);
            let mut ints = vec![0i32; cache.int_scratch_len(&upper)];
            let mut bits = vec![0u64; cache.bit_scratch_len(&upper)];
            // Every perturbation of the case, for the batched evaluation below.
            let mut batch: Vec<Perturbed> = Vec::new();
            for &pf in &[0.0, 1.0, 0.01, 0.1, 0.45, 0.5, 0.55, 0.9] {
                let total = n0 * arch[1];
                let flips: Vec<u32> = (0..total as u32)
                    .filter(|_| pf >= 1.0 || uniform(&mut rng) < pf)
                    .collect();
                let mut flipped = base.clone();
                let wpr = words_for(n0);
                for &f in &flips {
                    let (r, c) = (f as usize / n0, f as usize % n0);
                    flipped[0][r * wpr + c / 64] ^= 1 << (c % 64);
                }
                // The upper layers perturbed too (every other case), as the local energy does.
                if depth > 1 && batch.len() % 2 == 1 {
                    for l in 1..depth {
                        let wpr = words_for(arch[l]);
                        for r in 0..arch[l + 1] {
                            for c in 0..arch[l] {
                                if uniform(&mut rng) < pf {
                                    flipped[l][r * wpr + c / 64] ^= 1 << (c % 64);
                                }
                            }
                        }
                    }
                }
                let want = full_predict(&arch, &flipped, &pixels);
                let upper = views(&arch[1..], &flipped[1..]);
                let mut off = vec![0u32; RowFlips::offsets_len(arch[1])];
                let mut cols = vec![0u16; flips.len()];
                let mut neg = vec![0u64; RowFlips::negate_len(arch[1])];
                let rf = RowFlips::build(&w0, &flips, &mut off, &mut cols, &mut neg).unwrap();
                assert!(
                    2 * rf.terms() <= total,
                    "at most half of every row is summed"
                );
                let mut out = vec![0i32; p];
                cache
                    .predict(&rf, &upper, &mut ints, &mut bits, &mut out)
                    .unwrap();
                assert_eq!(out, want, "case {case} arch {arch:?} P {p} flip prob {pf}");
                let labels = want.clone();
                let e = cache
                    .count_errors(&rf, &upper, &labels, &mut ints, &mut bits, &mut out)
                    .unwrap();
                assert_eq!(e, 0);
                batch.push((flips, flipped, want));
            }
            // All perturbations at once (and the first few): the counts of the single evaluations.
            let labels = batch[2].2.clone();
            for len in [batch.len(), 3, 1] {
                let nets = &batch[..len];
                let lists: Vec<&[u32]> = nets.iter().map(|(f, _, _)| f.as_slice()).collect();
                let mut bufs = flip_bufs(arch[1], &lists);
                let rfs = build_flips(&w0, &lists, &mut bufs);
                let uppers: Vec<Vec<Patterns<'_>>> = nets
                    .iter()
                    .map(|(_, w, _)| views(&arch[1..], &w[1..]))
                    .collect();
                let ups: Vec<&[Patterns<'_>]> = uppers.iter().map(Vec::as_slice).collect();
                let mut bits = vec![0u64; cache.bit_scratch_len_many(&upper, len)];
                let mut out = vec![0i32; p];
                let mut errors = vec![0u32; len];
                cache
                    .count_errors_many(
                        &rfs,
                        &ups,
                        &labels,
                        &mut ints,
                        &mut bits,
                        &mut out,
                        &mut errors,
                    )
                    .unwrap();
                let want: Vec<u32> = nets
                    .iter()
                    .map(|(_, _, w)| w.iter().zip(&labels).filter(|(a, b)| a != b).count() as u32)
                    .collect();
                assert_eq!(
                    errors, want,
                    "case {case} arch {arch:?} P {p}, batch of {len}"
                );
            }
        }
    }

    #[test]
    fn incremental_first_layer_rejects_bad_shapes() {
        let mut rng = rng_from_seed(3);
        let arch = [70, 9, 1];
        let words = random_layers(&arch, &mut rng);
        let w0 = Patterns::new(70, 9, &words[0]).unwrap();
        let (mut off, mut cols, mut neg) = (vec![0u32; 19], vec![0u16; 4], vec![0u64; 1]);
        for (flips, err) in [
            (
                &[5u32, 3][..],
                ShapeError::InvalidParameter("flip indices must be strictly increasing"),
            ),
            (
                &[3, 3],
                ShapeError::InvalidParameter("flip indices must be strictly increasing"),
            ),
            (
                &[630],
                ShapeError::IndexOutOfRange {
                    index: 630,
                    len: 630,
                },
            ),
            (
                &[1, 2, 3, 4, 5],
                ShapeError::BufferTooSmall {
                    needed: 5,
                    capacity: 4,
                },
            ),
        ] {
            assert_eq!(
                RowFlips::build(&w0, flips, &mut off, &mut cols, &mut neg).unwrap_err(),
                err
            );
        }
        assert!(matches!(
            RowFlips::build(&w0, &[1], &mut off[..18], &mut cols, &mut neg),
            Err(ShapeError::LengthMismatch { .. })
        ));
        // Rows longer than the u16 column indices reach.
        let wide = vec![0u64; words_for(MAX_INPUTS + 1)];
        let wide = Patterns::new(MAX_INPUTS + 1, 1, &wide).unwrap();
        assert!(matches!(
            RowFlips::build(&wide, &[], &mut off[..3], &mut cols, &mut neg),
            Err(ShapeError::InvalidParameter(_))
        ));
        let pixels = vec![7u8; 70 * 3];
        let mut xs = vec![Column::default(); InputColumns::len_for(70, 3)];
        assert!(InputColumns::pack(&pixels[1..], 70, &mut xs).is_err());
        let x = InputColumns::pack(&pixels, 70, &mut xs).unwrap();
        let short = vec![Column::default(); InputColumns::len_for(70, 3) - 1];
        assert!(matches!(
            InputColumns::new(70, 3, &short),
            Err(ShapeError::LengthMismatch { .. })
        ));
        let mut hs = vec![0i32; FirstLayerCache::h_len(9, 3)];
        assert!(FirstLayerCache::new(w0, x, &mut hs[1..]).is_err());
        let cache = FirstLayerCache::new(w0, x, &mut hs).unwrap();
        let rf = RowFlips::build(&w0, &[], &mut off, &mut cols, &mut neg).unwrap();
        let upper = views(&arch[1..], &words[1..]);
        let mut ints = vec![0i32; cache.int_scratch_len(&upper)];
        let mut bits = vec![0u64; cache.bit_scratch_len(&upper)];
        let mut out = vec![0i32; 3];
        // Upper layers that do not chain onto the first.
        let other = random_layers(&[8, 1], &mut rng);
        let wrong = [Patterns::new(8, 1, &other[0]).unwrap()];
        assert!(cache
            .predict(&rf, &wrong, &mut ints, &mut bits, &mut out)
            .is_err());
        assert!(matches!(
            cache.predict(&rf, &upper, &mut ints, &mut bits[1..], &mut out),
            Err(ShapeError::BufferTooSmall { .. })
        ));
        assert!(cache
            .predict(&rf, &upper, &mut ints, &mut bits, &mut out[1..])
            .is_err());
        // Flips of another layer shape.
        let w1 = Patterns::new(9, 1, &words[1]).unwrap();
        let (mut o1, mut c1, mut n1) = (vec![0u32; 3], vec![0u16; 0], vec![0u64; 1]);
        let rf1 = RowFlips::build(&w1, &[], &mut o1, &mut c1, &mut n1).unwrap();
        assert!(cache
            .predict(&rf1, &upper, &mut ints, &mut bits, &mut out)
            .is_err());
        cache
            .predict(&rf, &upper, &mut ints, &mut bits, &mut out)
            .unwrap();
        assert_eq!(out, full_predict(&arch, &words, &pixels));
        // Batches: empty or too large, lists of different lengths, networks of different shapes,
        // scratch for fewer networks.
        let labels = out.clone();
        let mut errors = [0u32; MAX_BATCH + 1];
        let rfs = [rf; MAX_BATCH + 1];
        let ups = [&upper[..]; MAX_BATCH + 1];
        let mut big = vec![0u64; cache.bit_scratch_len_many(&upper, MAX_BATCH + 1)];
        for len in [0, MAX_BATCH + 1] {
            assert!(matches!(
                cache.count_errors_many(
                    &rfs[..len],
                    &ups[..len],
                    &labels,
                    &mut ints,
                    &mut big,
                    &mut out,
                    &mut errors[..len]
                ),
                Err(ShapeError::InvalidParameter(_))
            ));
        }
        let mut run =
            |rfs: &[RowFlips<'_>], ups: &[&[Patterns<'_>]], nerr: usize, bits: &mut [u64]| {
                cache.count_errors_many(
                    rfs,
                    ups,
                    &labels,
                    &mut ints,
                    bits,
                    &mut out,
                    &mut errors[..nerr],
                )
            };
        assert!(run(&rfs[..2], &ups[..3], 2, &mut big).is_err());
        assert!(run(&rfs[..2], &ups[..2], 3, &mut big).is_err());
        assert!(run(&rfs[..2], &[&upper[..], &wrong[..]], 2, &mut big).is_err());
        assert!(run(&[rf, rf1], &ups[..2], 2, &mut big).is_err());
        assert!(matches!(
            run(&rfs[..3], &ups[..3], 3, &mut bits),
            Err(ShapeError::BufferTooSmall { .. })
        ));
        run(&rfs[..3], &ups[..3], 3, &mut big).unwrap();
        assert_eq!(errors[..3], [0, 0, 0]);
    }
}
