//! Packed ±1 matrix products (ALGORITHMS §a.3, issue 13): R row vectors `a` × P row vectors `b`.
//!
//! The entry `a[r]·b[μ] = N − 2·popcount(b(a[r]) XOR b(b[μ]))` of every pair, computed tile by tile:
//! a register tile of `RT` rows of `a` × `PT` rows of `b` loads each word of the tile's rows once and
//! uses it `PT` (resp. `RT`) times, so the XOR-popcount work is no longer bound by loads as the
//! single-vector [`super::kernel`] is. Around the register tile the driver blocks for the caches:
//!
//! * `k` (words of a row) in blocks of [`K_BLOCK`] words (2 KiB per row), so a pattern tile stays in
//!   L1 while it meets every weight row of the group;
//! * `a` in groups of [`R_GROUP`] rows (≤ 128 KiB per k-block, L2-resident), whose partial counts live
//!   in a stack array until `W` patterns (one or several pattern tiles) are complete and handed to
//!   the result's visitor in one piece (so its per-row loops run over `W` contiguous counts);
//! * every pattern tile is then streamed from memory once per weight group.
//!
//! Stack: the portable driver keeps 1 KiB of partial counts (firmware-sized, `W` = 4); the AVX-512
//! word tile 12 KiB (`W` = 48: with `W` = 6 the visitors cost 12 % of the product at R = 64,
//! P = 1000, N = 8192); the AVX-512 kernel for rows shorter than 64 words uses 30 KiB (a transposed
//! pattern block and its counts).
//!
//! Four results of the same product (the fused variants the callers need):
//! [`dot_matrix`] (the integers), [`sign_matrix`] (their signs packed into bits: the next layer's input
//! of a binary network), [`sign_rows`] (the same signs unit-major, 64 examples per word, straight
//! from the popcounts: on the AVX-512 lane tile by compares on the count vectors, no counts stored)
//! and [`count_below`] (per row of `a`, how many products fall below a threshold: error counts of R
//! weight vectors on gauged patterns).
//!
//! Backends are those of the single-vector kernel ([`Backend`]), chosen at run time, with bit-identical
//! results: `Portable` (scalar `count_ones`, 2×4 tile), `Popcnt` (the same with the instruction),
//! `Avx2` (nibble-lookup popcount with byte accumulators, 2×2 tile of 256-bit vectors), `Avx512`
//! (`vpopcntq`; rows of 64 words or more: 4×6 tile of 512-bit word vectors, 24 accumulators, 10 loads
//! per 24 XOR-popcount-adds; shorter rows: lanes are 8 patterns, copied word-major into a stack block,
//! and one broadcast weight word meets 8 patterns per instruction, 4 rows × 40 patterns per tile, no
//! horizontal reduction — 1.5–5× faster below N = 2048); [`Backend::Blocked`] (the default through
//! [`Backend::best`]) means the best of these on the running CPU. An unavailable backend runs the
//! portable code. The last word of every row is masked, so the result never depends on padding.
//!
//! Ceiling (issue 13, Zen 4): the AVX-512 tile's instruction mix (`vpxorq` + `vpopcntq` + `vpaddq`
//! per 512 bits, 2 × 256-bit halves each, `vpopcntq` on 2 of the 4 vector pipes) issues at
//! ≈ 1.5 cycles per 512-bit word even with no memory traffic: [`op_mix_probe`] measures 337–342
//! bits/cycle (≈ 1.22 Tbit/s at 3.6 GHz), and the product runs at ≈ 85 % of it (the rest: the
//! horizontal reduction of every tile, the tail chunk, the visitors). Byte popcounts (`vpopcntb` +
//! `vpaddb`) and 256-bit registers issue at the same rate. Adding 16 scalar `xor`/`popcnt`/`add`
//! products per 24 vector ones on the idle integer pipes raises the register-only rate to ≈ 368
//! bits/cycle ([`OpMix::Avx512Scalar`]; 32 saturate the 6-wide front end and gain nothing), but the
//! hybrid tiles tried (4 scalar products per 4 × 6 tile; 2 per tile in 13-pattern super-tiles, inline
//! assembly inner loop) were 17 % and 3–6 % slower than the vector tile in the whole product
//! (register spills around the loop, more tile calls), so they are not used.

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86;

use super::kernel::Backend;
use super::{last_word_mask, Patterns, PatternsMut, WORD_BITS};
use crate::error::{Result, ShapeError};

/// Words of a row per cache block (2 KiB): a 4-row pattern tile of one block is 8 KiB (L1).
pub const K_BLOCK: usize = 256;

/// Rows of `a` whose partial counts are kept while `W` patterns are processed (rounded down to a
/// multiple of the backend's `RT`; the stack array is `R_GROUP × W` `u32`).
pub const R_GROUP: usize = 64;

/// Checks the common shape of a product: same N, N within the i32 range of a product.
fn check_pair(a: &Patterns<'_>, b: &Patterns<'_>) -> Result<()> {
    if a.n() != b.n() {
        return Err(ShapeError::LengthMismatch {
            expected: a.n(),
            got: b.n(),
        });
    }
    if i32::try_from(a.n()).is_err() {
        return Err(ShapeError::InvalidParameter(
            "N exceeds the i32 range of a product",
        ));
    }
    Ok(())
}

/// All R·P products: `out[r·P + μ] = Σᵢ a[r]ᵢ b[μ]ᵢ` (R = `a.p()`, P = `b.p()`), best backend.
///
/// Errors: `LengthMismatch` when `a.n() != b.n()`; `BufferTooSmall` when `out.len() < R·P` (extra
/// entries are left untouched); `InvalidParameter` when N exceeds `i32::MAX`.
pub fn dot_matrix(a: &Patterns<'_>, b: &Patterns<'_>, out: &mut [i32]) -> Result<()> {
    dot_matrix_with(Backend::best(), a, b, out)
}

/// [`dot_matrix`] with a chosen backend (unavailable → portable; results identical).
///
/// Errors: as [`dot_matrix`].
pub fn dot_matrix_with(
    backend: Backend,
    a: &Patterns<'_>,
    b: &Patterns<'_>,
    out: &mut [i32],
) -> Result<()> {
    check_pair(a, b)?;
    let (r, p, n) = (a.p(), b.p(), a.n() as i32);
    let needed = r
        .checked_mul(p)
        .ok_or(ShapeError::InvalidParameter("R·P overflows"))?;
    if out.len() < needed {
        return Err(ShapeError::BufferTooSmall {
            needed,
            capacity: out.len(),
        });
    }
    run(backend, a, b, &mut |r0, mu0, nb, counts, stride| {
        for (i, row) in counts.chunks(stride).enumerate() {
            let o = &mut out[(r0 + i) * p + mu0..][..nb];
            for (d, &ones) in o.iter_mut().zip(row) {
                *d = n - 2 * ones as i32;
            }
        }
    });
    Ok(())
}

/// Signs of all products, packed: `out` is P × R (`out.n() = R = a.p()`, `out.p() = P = b.p()`), bit
/// (μ, r) encodes the sign of `a[r]·b[μ]` with sign(0) = +1 (bit 1 ⇔ −1, as everywhere in [`super`]):
/// row μ of `out` is the next layer's packed input when `a` are a binary layer's weights and `b` its
/// inputs. Best backend.
///
/// Errors: `LengthMismatch` when `a.n() != b.n()`, `out.n() != a.p()` or `out.p() != b.p()`;
/// `InvalidParameter` when N exceeds `i32::MAX`.
pub fn sign_matrix(a: &Patterns<'_>, b: &Patterns<'_>, out: &mut PatternsMut<'_>) -> Result<()> {
    sign_matrix_with(Backend::best(), a, b, out)
}

/// [`sign_matrix`] with a chosen backend.
///
/// Errors: as [`sign_matrix`].
pub fn sign_matrix_with(
    backend: Backend,
    a: &Patterns<'_>,
    b: &Patterns<'_>,
    out: &mut PatternsMut<'_>,
) -> Result<()> {
    check_pair(a, b)?;
    if out.n() != a.p() {
        return Err(ShapeError::LengthMismatch {
            expected: a.p(),
            got: out.n(),
        });
    }
    if out.p() != b.p() {
        return Err(ShapeError::LengthMismatch {
            expected: b.p(),
            got: out.p(),
        });
    }
    let n = a.n();
    let onw = out.nw;
    let words = &mut *out.words;
    words.fill(0);
    // a[r]·b[μ] = N − 2·ones < 0  ⇔  2·ones > N.
    run(backend, a, b, &mut |r0, mu0, nb, counts, stride| {
        for (i, row) in counts.chunks(stride).enumerate() {
            let r = r0 + i;
            for (j, &ones) in row.iter().enumerate().take(nb) {
                // Branch-free: the signs of random products are unpredictable.
                let neg = u64::from(2 * ones as usize > n);
                words[(mu0 + j) * onw + r / WORD_BITS] |= neg << (r % WORD_BITS);
            }
        }
    });
    Ok(())
}

/// Signs of all products, packed unit-major: `out[r·⌈P/64⌉ + k]` holds, in bit c, the sign of
/// `a[r]·b[64k + c]` (bit 1 ⇔ product < 0, sign(0) = +1, as [`sign_matrix`]; bits past P are 0).
/// The transpose of [`sign_matrix`]'s layout, straight from the popcounts (no integer products are
/// written): row r of `out` is unit r's sign over the examples, as a binary layer's evaluation by
/// 64-example words needs it. Best backend.
///
/// Errors: `LengthMismatch` when `a.n() != b.n()`; `BufferTooSmall` when `out.len() < R·⌈P/64⌉`
/// (extra entries untouched); `InvalidParameter` when N exceeds `i32::MAX`.
pub fn sign_rows(a: &Patterns<'_>, b: &Patterns<'_>, out: &mut [u64]) -> Result<()> {
    sign_rows_with(Backend::best(), a, b, out)
}

/// [`sign_rows`] with a chosen backend (unavailable → portable; results identical).
///
/// Errors: as [`sign_rows`].
pub fn sign_rows_with(
    backend: Backend,
    a: &Patterns<'_>,
    b: &Patterns<'_>,
    out: &mut [u64],
) -> Result<()> {
    check_pair(a, b)?;
    let (r, n) = (a.p(), a.n());
    let kw = b.p().div_ceil(WORD_BITS);
    let needed = r
        .checked_mul(kw)
        .ok_or(ShapeError::InvalidParameter("R·⌈P/64⌉ overflows"))?;
    if out.len() < needed {
        return Err(ShapeError::BufferTooSmall {
            needed,
            capacity: out.len(),
        });
    }
    let out = &mut out[..needed];
    out.fill(0);
    #[cfg(target_arch = "x86_64")]
    if x86::sign_rows(backend, a, b, out) {
        return Ok(());
    }
    // a[r]·b[μ] < 0  ⇔  2·ones > N. A visit covers at most 64 patterns (every backend's `W` ≤ 64),
    // so its bits of one row straddle at most two words.
    run(backend, a, b, &mut |r0, mu0, nb, counts, stride| {
        debug_assert!(nb <= WORD_BITS);
        for (i, row) in counts.chunks(stride).enumerate() {
            let m = neg_mask(&row[..nb], n);
            or_bits(&mut out[(r0 + i) * kw..], mu0, m, nb);
        }
    });
    Ok(())
}

/// ORs the `nb` ≤ 64 sign bits `m` of patterns `mu0 …` into a row of sign words (they straddle at
/// most two words).
#[inline(always)]
fn or_bits(row: &mut [u64], mu0: usize, m: u64, nb: usize) {
    let (k0, sh) = (mu0 / WORD_BITS, mu0 % WORD_BITS);
    row[k0] |= m << sh;
    if sh + nb > WORD_BITS {
        row[k0 + 1] |= m >> (WORD_BITS - sh);
    }
}

/// Bit j set ⇔ `2·counts[j] > n` (`counts.len() ≤ 64`), branch-free.
#[inline(always)]
fn neg_mask(counts: &[u32], n: usize) -> u64 {
    let mut m = 0u64;
    for (j, &ones) in counts.iter().enumerate() {
        m |= u64::from(2 * ones as usize > n) << j;
    }
    m
}

/// Per row of `a`, the number of rows of `b` whose product falls below `threshold`:
/// `out[r] = #{μ : a[r]·b[μ] < threshold}` (the error counts of R weight vectors on gauged patterns,
/// threshold `T`). Best backend.
///
/// Errors: `LengthMismatch` when `a.n() != b.n()`; `BufferTooSmall` when `out.len() < a.p()` (extra
/// entries untouched); `InvalidParameter` when N exceeds `i32::MAX` or P exceeds `u32::MAX`.
pub fn count_below(
    a: &Patterns<'_>,
    b: &Patterns<'_>,
    threshold: i32,
    out: &mut [u32],
) -> Result<()> {
    count_below_with(Backend::best(), a, b, threshold, out)
}

/// [`count_below`] with a chosen backend.
///
/// Errors: as [`count_below`].
pub fn count_below_with(
    backend: Backend,
    a: &Patterns<'_>,
    b: &Patterns<'_>,
    threshold: i32,
    out: &mut [u32],
) -> Result<()> {
    check_pair(a, b)?;
    if u32::try_from(b.p()).is_err() {
        return Err(ShapeError::InvalidParameter("P exceeds the u32 range"));
    }
    if out.len() < a.p() {
        return Err(ShapeError::BufferTooSmall {
            needed: a.p(),
            capacity: out.len(),
        });
    }
    let out = &mut out[..a.p()];
    out.fill(0);
    let n = a.n() as i64;
    let t = i64::from(threshold);
    run(backend, a, b, &mut |r0, _, nb, counts, stride| {
        for (o, row) in out[r0..].iter_mut().zip(counts.chunks(stride)) {
            for &ones in &row[..nb] {
                *o += u32::from(n - 2 * i64::from(ones) < t);
            }
        }
    });
    Ok(())
}

/// `visit(r0, μ0, nb, counts, stride)`: `counts[i·stride + j] = popcount(a[r0 + i] XOR b[μ0 + j])` over
/// the N valid bits, for `j < nb ≤ stride` and every whole row `i` of `counts` (entries past `nb` are
/// meaningless).
type Visit<'v> = dyn FnMut(usize, usize, usize, &[u32], usize) + 'v;

/// Runs the product with `backend` (validated shapes), calling `visit` once per (weight group,
/// pattern tile) with the complete counts of that block.
fn run(backend: Backend, a: &Patterns<'_>, b: &Patterns<'_>, visit: &mut Visit<'_>) {
    if a.p() == 0 || b.p() == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if x86::run(backend, a, b, visit) {
        return;
    }
    let _ = backend;
    drive::<2, 4, 4, _>(a, b, visit, tile_scalar::<2, 4>);
}

/// The cache-blocked loop around a register tile of `RT` rows of `a` × `PT` rows of `b`.
///
/// `tile(a_rows, b_rows, mask)` gets `RT` and `PT` slices of one equal length ≥ 1 (one k-block of the
/// rows; `mask` = the valid-bit mask of the block's last word, all ones unless it is the row's last
/// word) and returns the popcounts of the `RT × PT` XORs. Edge tiles repeat the last row (its results
/// are dropped), so every tile call is full size. The partial counts of a weight group are kept for
/// `W` patterns (a multiple of `PT`: `W / PT` pattern tiles) and handed to `visit` together, so that
/// the visitor's loops run over `W` contiguous counts per row (stack: `R_GROUP · W` `u32`). Requires
/// `R, P ≥ 1`, `RT ≤ R_GROUP`, `PT ≤ W`.
#[inline(always)]
fn drive<const RT: usize, const PT: usize, const W: usize, F>(
    a: &Patterns<'_>,
    b: &Patterns<'_>,
    visit: &mut Visit<'_>,
    mut tile: F,
) where
    F: FnMut(&[&[u64]; RT], &[&[u64]; PT], u64) -> [[u32; PT]; RT],
{
    let (rn, pn, nw) = (a.p(), b.p(), a.words_per_row());
    let (aw, bw) = (a.words(), b.words());
    let mask = last_word_mask(a.n());
    let mut acc = [[0u32; W]; R_GROUP];
    let group = R_GROUP - R_GROUP % RT;
    let width = W - W % PT;
    let mut rg = 0;
    while rg < rn {
        let rg_end = (rg + group).min(rn);
        let mut ps = 0;
        while ps < pn {
            let ps_end = (ps + width).min(pn);
            for row in acc[..rg_end - rg].iter_mut() {
                *row = [0; W];
            }
            let mut kb = 0;
            while kb < nw {
                let ke = (kb + K_BLOCK).min(nw);
                let m = if ke == nw { mask } else { !0 };
                let mut pt = ps;
                while pt < ps_end {
                    let nb = PT.min(ps_end - pt);
                    let brows: [&[u64]; PT] = core::array::from_fn(|j| {
                        let o = (pt + j.min(nb - 1)) * nw;
                        &bw[o + kb..o + ke]
                    });
                    let col = pt - ps;
                    let mut rt = rg;
                    while rt < rg_end {
                        let na = RT.min(rg_end - rt);
                        let arows: [&[u64]; RT] = core::array::from_fn(|i| {
                            let o = (rt + i.min(na - 1)) * nw;
                            &aw[o + kb..o + ke]
                        });
                        let t = tile(&arows, &brows, m);
                        for (ti, row) in t.iter().zip(&mut acc[rt - rg..rt - rg + na]) {
                            if nb == PT {
                                let dst: &mut [u32; PT] =
                                    (&mut row[col..col + PT]).try_into().unwrap();
                                for j in 0..PT {
                                    dst[j] += ti[j];
                                }
                            } else {
                                for (d, &x) in row[col..col + nb].iter_mut().zip(ti) {
                                    *d += x;
                                }
                            }
                        }
                        rt += RT;
                    }
                    pt += PT;
                }
                kb = ke;
            }
            visit(rg, ps, ps_end - ps, acc[..rg_end - rg].as_flattened(), W);
            ps = ps_end;
        }
        rg = rg_end;
    }
}

/// Scalar register tile: `count_ones` on words (the portable backend; compiled with `popcnt` for the
/// x86 `Popcnt` backend). Slices of equal length ≥ 1.
#[inline(always)]
fn tile_scalar<const RT: usize, const PT: usize>(
    a: &[&[u64]; RT],
    b: &[&[u64]; PT],
    mask: u64,
) -> [[u32; PT]; RT] {
    let len = a[0].len();
    let m = len - 1;
    let a: [&[u64]; RT] = core::array::from_fn(|i| &a[i][..len]);
    let b: [&[u64]; PT] = core::array::from_fn(|j| &b[j][..len]);
    let mut acc = [[0u32; PT]; RT];
    for k in 0..m {
        let bk: [u64; PT] = core::array::from_fn(|j| b[j][k]);
        for i in 0..RT {
            let ak = a[i][k];
            for j in 0..PT {
                acc[i][j] += (ak ^ bk[j]).count_ones();
            }
        }
    }
    for i in 0..RT {
        for j in 0..PT {
            acc[i][j] += ((a[i][m] ^ b[j][m]) & mask).count_ones();
        }
    }
    acc
}

/// XOR of all `words`, with the widest loads `backend` allows: a read-bandwidth probe for the
/// benchmarks (one load and one XOR per word, several independent accumulators, so the loop runs at
/// the speed the cache holding `words` delivers). 0 for an empty slice; results identical across
/// backends.
pub fn xor_fold_with(backend: Backend, words: &[u64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = x86::xor_fold(backend, words) {
        return x;
    }
    let _ = backend;
    let mut acc = [0u64; 8];
    let mut chunks = words.chunks_exact(8);
    for c in &mut chunks {
        for j in 0..8 {
            acc[j] ^= c[j];
        }
    }
    chunks.remainder().iter().fold(0, |x, &w| x ^ w) ^ acc.iter().fold(0, |x, &w| x ^ w)
}

/// The instruction mixes of [`op_mix_probe`]: the issue-rate ceiling of the XOR-popcount work on
/// this core, with no memory traffic (`flatmin bench gemm` reports it beside the product).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpMix {
    /// 24 dependent scalar `add`s per iteration: one per core cycle, the yardstick of the clock.
    AddChain,
    /// The AVX-512 tile's inner loop without its loads: 24 independent (`vpxorq`, `vpopcntq`,
    /// `vpaddq`) on 512-bit registers per iteration, 512 bits of work each.
    Avx512,
    /// [`OpMix::Avx512`] plus 16 scalar (`xor`, `popcnt`, `add`) word products per iteration on the
    /// integer pipes, 64 bits of work each: the best vector + scalar mix measured on Zen 4.
    Avx512Scalar,
}

impl OpMix {
    /// Work per iteration: `add`s for [`OpMix::AddChain`], XOR-popcount bits for the others.
    pub const fn work_per_iteration(self) -> u64 {
        match self {
            OpMix::AddChain => 24,
            OpMix::Avx512 => 24 * 512,
            OpMix::Avx512Scalar => 24 * 512 + 16 * 64,
        }
    }
}

/// Runs `iters` iterations of `mix` on registers only (inline assembly, so the instruction mix is
/// exactly the documented one) and returns the work done (`iters · mix.work_per_iteration()`), or
/// `None` (having done nothing) when this CPU lacks the instructions (`AddChain` needs x86-64, the
/// others AVX-512 VPOPCNTDQ). Timing it against [`OpMix::AddChain`] gives bits per cycle.
pub fn op_mix_probe(mix: OpMix, iters: u64) -> Option<u64> {
    #[cfg(target_arch = "x86_64")]
    if x86::op_mix(mix, iters) {
        return Some(iters.saturating_mul(mix.work_per_iteration()));
    }
    let _ = (mix, iters);
    None
}
