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

// Batched ±1 products. `gemm_standin` has exactly the API of `crate::bits::gemm`; switching to the
// real kernels is this one line: `use crate::bits::gemm;` (then the stand-in can be deleted).
use gemm_standin as gemm;

/// Stand-in for `crate::bits::gemm` (same signatures), row by row over the popcount kernel.
#[allow(dead_code)]
mod gemm_standin {
    use crate::bits::{kernel, Patterns, PatternsMut};
    use crate::error::{Result, ShapeError};

    /// `out[r·P + μ] = a_r · b_μ` for `a` R×N and `b` P×N.
    pub fn dot_matrix(a: &Patterns<'_>, b: &Patterns<'_>, out: &mut [i32]) -> Result<()> {
        if a.n() != b.n() {
            return Err(ShapeError::LengthMismatch {
                expected: a.n(),
                got: b.n(),
            });
        }
        let (r, p) = (a.p(), b.p());
        if out.len() != r * p {
            return Err(ShapeError::LengthMismatch {
                expected: r * p,
                got: out.len(),
            });
        }
        if p == 0 {
            return Ok(());
        }
        for (row, o) in a.rows().zip(out.chunks_exact_mut(p)) {
            kernel::stabilities(&row, b, o)?;
        }
        Ok(())
    }

    /// `out` (P×R bits): bit of `sign(a_r · b_μ)` with `sign(0) = +1`.
    pub fn sign_matrix(
        a: &Patterns<'_>,
        b: &Patterns<'_>,
        out: &mut PatternsMut<'_>,
    ) -> Result<()> {
        if a.n() != b.n() {
            return Err(ShapeError::LengthMismatch {
                expected: a.n(),
                got: b.n(),
            });
        }
        if out.p() != b.p() || out.n() != a.p() {
            return Err(ShapeError::LengthMismatch {
                expected: b.p() * a.p(),
                got: out.p() * out.n(),
            });
        }
        let mut buf = [0i32; 64];
        for mu in 0..b.p() {
            let x = b.row(mu);
            let mut row = out.row_mut(mu);
            let words = row.words_mut();
            words.iter_mut().for_each(|w| *w = 0);
            let mut r0 = 0;
            while r0 < a.p() {
                let len = (a.p() - r0).min(64);
                for (k, v) in buf[..len].iter_mut().enumerate() {
                    *v = kernel::dot(&a.row(r0 + k), &x)? as i32;
                }
                for (k, &v) in buf[..len].iter().enumerate() {
                    if v < 0 {
                        let i = r0 + k;
                        words[i / 64] |= 1u64 << (i % 64);
                    }
                }
                r0 += len;
            }
        }
        Ok(())
    }
}

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
        let mut cur_n = w0.p();
        pack_signs(acc, cur_n, p, &mut buf_a[..p * words_for(cur_n)]);
        let mut cur_is_a = true;
        for (l, w) in self.layers.iter().enumerate().skip(1) {
            let (src, dst) = if cur_is_a {
                (&*buf_a, &mut *buf_b)
            } else {
                (&*buf_b, &mut *buf_a)
            };
            let act = Patterns::new(cur_n, p, &src[..p * words_for(cur_n)])?;
            if l + 1 == nl {
                let h = &mut ints[..w.p() * p];
                gemm::dot_matrix(w, &act, h)?;
                return decide(h, w.p(), p, out);
            }
            let next_words = p * words_for(w.p());
            let mut next = PatternsMut::new(w.p(), p, &mut dst[..next_words])?;
            gemm::sign_matrix(w, &act, &mut next)?;
            cur_n = w.p();
            cur_is_a = !cur_is_a;
        }
        Ok(())
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
        if n == 0 {
            return Err(ShapeError::ZeroLength);
        }
        if !pixels.len().is_multiple_of(n) {
            return Err(ShapeError::LengthMismatch {
                expected: pixels.len() / n * n,
                got: pixels.len(),
            });
        }
        let p = pixels.len() / n;
        let need = Self::len_for(n, p);
        if out.len() != need {
            return Err(ShapeError::LengthMismatch {
                expected: need,
                got: out.len(),
            });
        }
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
