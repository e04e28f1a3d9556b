//! x86-64 register tiles of the packed matrix product: `popcnt` (scalar 2×4), AVX2 (2×2 tiles of
//! 256-bit vectors, nibble-lookup popcount, byte accumulators) and AVX-512 VPOPCNTDQ (4×6 tiles of
//! 512-bit vectors); and the register-only instruction-mix probes of the benchmarks
//! ([`super::op_mix_probe`], inline assembly on registers only: no memory, no stack).
//!
//! Every kernel is a `#[target_feature]` function; [`run`] calls one only after
//! [`Backend::is_available`] reported its instruction set on this CPU and OS (the same cached detection
//! as the single-vector kernels), which is the safety argument of every call. Loads go through helpers
//! that take array references (in bounds by construction) or masked loads whose mask selects only
//! words inside the slice.
//!
//! Tile contract (from [`super::drive`]): all row slices of one call have the same length ≥ 1; `mask`
//! is the valid-bit mask of their last word.

use super::{drive, last_word_mask, tile_scalar, Backend, Patterns, Visit};
use core::arch::x86_64::*;

/// Runs the product with `backend` if this CPU can (`Blocked` = the best x86 tile available); returns
/// `false` (having done nothing) when the portable code must run instead.
pub(super) fn run(
    backend: Backend,
    a: &Patterns<'_>,
    b: &Patterns<'_>,
    visit: &mut Visit<'_>,
) -> bool {
    let chosen = match backend {
        Backend::Portable => return false,
        Backend::Blocked => {
            if Backend::Avx512.is_available() {
                Backend::Avx512
            } else if Backend::Avx2.is_available() {
                Backend::Avx2
            } else if Backend::Popcnt.is_available() {
                Backend::Popcnt
            } else {
                return false;
            }
        }
        other if other.is_available() => other,
        _ => return false,
    };
    match chosen {
        // SAFETY (all arms): the kernel's target features were detected on this CPU and OS just above.
        Backend::Popcnt => unsafe { run_popcnt(a, b, visit) },
        Backend::Avx2 => unsafe { run_avx2(a, b, visit) },
        Backend::Avx512 if a.words_per_row() < LANES_BELOW_WORDS => unsafe {
            run_avx512_lanes(a, b, visit)
        },
        Backend::Avx512 => unsafe { run_avx512(a, b, visit) },
        _ => return false,
    }
    true
}

#[target_feature(enable = "popcnt")]
fn run_popcnt(a: &Patterns<'_>, b: &Patterns<'_>, visit: &mut Visit<'_>) {
    drive::<2, 4, 4, _>(a, b, visit, tile_scalar::<2, 4>);
}

// ---------------------------------------------------------------------------------------------------
// AVX-512 VPOPCNTDQ: RT rows of `a` × PT rows of `b` (4 × 6: 24 accumulators of 8 × u64; per 8 words,
// 10 loads for 24 XOR + `vpopcntq` + add; 4 × 4 and 6 × 4 measured 2–5 % slower, 4 × 8 spills). The block is split into whole 8-word chunks and a tail of 1..=8
// words ending with the last word, read with a masked load; the tail XOR is ANDed with a lane mask
// that applies `mask` to the last word (`vpternlogq` 0x28 = (A ^ B) & C).

/// Register tile of the AVX-512 kernel: rows of `a` × rows of `b` (RT·PT accumulators, a multiple of 8;
/// RT + PT + RT·PT ≤ 32 registers).
const AVX512_RT: usize = 4;
const AVX512_PT: usize = 6;
/// Patterns per visit of the AVX-512 driver (8 tiles; partial counts 64 × 48 `u32` = 12 KiB).
const AVX512_W: usize = 48;

#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn run_avx512(a: &Patterns<'_>, b: &Patterns<'_>, visit: &mut Visit<'_>) {
    drive::<AVX512_RT, AVX512_PT, AVX512_W, _>(a, b, visit, |ar, br, m| tile_avx512(ar, br, m));
}

#[inline]
#[target_feature(enable = "avx512f")]
fn load8(x: &[u64; 8]) -> __m512i {
    // SAFETY: `x` is a valid reference to 64 readable bytes; `loadu` has no alignment requirement.
    unsafe { _mm512_loadu_si512(x.as_ptr().cast()) }
}

/// The first `t` words of `x` (`x.len() == t`, 1 ≤ t ≤ 8), zeros in the other lanes.
#[inline]
#[target_feature(enable = "avx512f")]
fn load_tail8(k: __mmask8, x: &[u64]) -> __m512i {
    debug_assert_eq!(x.len(), k.count_ones() as usize);
    // SAFETY: `k` enables exactly the first `x.len()` lanes, which lie inside `x`; masked-off lanes are
    // not accessed (AVX-512 masked loads suppress them, faults included).
    unsafe { _mm512_maskz_loadu_epi64(k, x.as_ptr().cast()) }
}

/// Pairwise sums of two vectors: 128-bit lane L of the result holds
/// `(x[2L] + x[2L+1], y[2L] + y[2L+1])`.
#[inline]
#[target_feature(enable = "avx512f")]
fn pair_sum(x: __m512i, y: __m512i) -> __m512i {
    _mm512_add_epi64(_mm512_unpacklo_epi64(x, y), _mm512_unpackhi_epi64(x, y))
}

/// Halves the number of partial sums: with 128-bit lanes `u = [u0, u1, u2, u3]`, `v = [v0, …]`, returns
/// `[u0 + u1, u2 + u3, v0 + v1, v2 + v3]`.
#[inline]
#[target_feature(enable = "avx512f")]
fn lane_sum(u: __m512i, v: __m512i) -> __m512i {
    _mm512_add_epi64(
        _mm512_shuffle_i64x2::<0b10_00_10_00>(u, v),
        _mm512_shuffle_i64x2::<0b11_01_11_01>(u, v),
    )
}

#[inline]
#[target_feature(enable = "avx512f")]
fn store8x32(x: &mut [u32; 8], v: __m256i) {
    // SAFETY: `x` is a valid mutable reference to 32 bytes; `storeu` has no alignment requirement.
    unsafe { _mm256_storeu_si256(x.as_mut_ptr().cast(), v) }
}

/// Horizontal sums of `RT·PT` accumulators (a multiple of 8), row-major, narrowed to u32 (every count
/// is ≤ N ≤ i32::MAX): a transposing tree of 21 vector operations per 8 sums.
#[inline]
#[target_feature(enable = "avx512f")]
fn reduce_tile<const RT: usize, const PT: usize>(acc: &[[__m512i; PT]; RT]) -> [[u32; PT]; RT] {
    let mut out = [[0u32; PT]; RT];
    for (x, o) in acc
        .as_flattened()
        .chunks_exact(8)
        .zip(out.as_flattened_mut().chunks_exact_mut(8))
    {
        let z0 = lane_sum(pair_sum(x[0], x[1]), pair_sum(x[2], x[3]));
        let z1 = lane_sum(pair_sum(x[4], x[5]), pair_sum(x[6], x[7]));
        store8x32(
            o.try_into().unwrap(),
            _mm512_cvtepi64_epi32(lane_sum(z0, z1)),
        );
    }
    out
}

#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn tile_avx512<const RT: usize, const PT: usize>(
    a: &[&[u64]; RT],
    b: &[&[u64]; PT],
    mask: u64,
) -> [[u32; PT]; RT] {
    let len = a[0].len();
    let body = 8 * ((len - 1) / 8);
    let t = len - body; // 1..=8
    let k = ((1u16 << t) - 1) as __mmask8;
    let lanes = _mm512_mask_set1_epi64(_mm512_set1_epi64(-1), 1 << (t - 1), mask as i64);
    let mut acc = [[_mm512_setzero_si512(); PT]; RT];
    let mut bt = [_mm512_setzero_si512(); PT];
    for j in 0..PT {
        bt[j] = load_tail8(k, &b[j][body..len]);
    }
    for i in 0..RT {
        let at = load_tail8(k, &a[i][body..len]);
        for j in 0..PT {
            acc[i][j] = _mm512_popcnt_epi64(_mm512_ternarylogic_epi64::<0x28>(at, bt[j], lanes));
        }
    }
    let nb = body / 8;
    // Whole 8-word chunks, every row cut to exactly `nb` of them (no bounds checks in the loop).
    let mut ac: [&[[u64; 8]]; RT] = [&[]; RT];
    for i in 0..RT {
        ac[i] = &a[i][..body].as_chunks::<8>().0[..nb];
    }
    let mut bc: [&[[u64; 8]]; PT] = [&[]; PT];
    for j in 0..PT {
        bc[j] = &b[j][..body].as_chunks::<8>().0[..nb];
    }
    for c in 0..nb {
        let mut bv = [_mm512_setzero_si512(); PT];
        for j in 0..PT {
            bv[j] = load8(&bc[j][c]);
        }
        for i in 0..RT {
            let av = load8(&ac[i][c]);
            for j in 0..PT {
                let x = _mm512_xor_si512(av, bv[j]);
                acc[i][j] = _mm512_add_epi64(acc[i][j], _mm512_popcnt_epi64(x));
            }
        }
    }
    reduce_tile(&acc)
}

// ---------------------------------------------------------------------------------------------------
// AVX-512, lane-transposed: lanes are *patterns*, not words. A block of 8 patterns is copied word-major
// into a stack buffer (`buf[k][lane] = b[μ0 + lane][k]`), a word of a weight row is broadcast to all 8
// lanes, and `vpopcntq(broadcast(a[r][k]) XOR buf[k])` adds word k of 8 products at once: no horizontal
// reduction, no lanes wasted on short rows (N = 64 uses all 8 lanes), 3 vector operations per 8 words
// of work as in the word-lane tile. Tile: LT_RT rows × LT_PB blocks of 8 patterns.

/// Rows shorter than this many words run on the lane-transposed tile, longer ones on the word tile.
/// Measured (R = 64, P = 1000, one Zen 4 core, best of batches, Tbit/s, word tile / lanes): N = 64:
/// 0.04 / 0.21; 256: 0.17 / 0.52; 784: 0.40 / 0.71; 2048: 0.74 / 0.85; 3072: 0.84 / 0.87;
/// 4096: 0.90 / 0.89; 5120: 0.96 / 0.89; 8192: 1.04 / 0.89.
const LANES_BELOW_WORDS: usize = 64;

/// Rows of `a` per register tile.
const LT_RT: usize = 4;
/// Blocks of 8 patterns per register tile (LT_RT·LT_PB accumulators + LT_PB pattern vectors ≤ 30).
const LT_PB: usize = 5;
/// Patterns per tile.
const LT_P: usize = 8 * LT_PB;
/// Words per k-block (the transposed block is LT_KB · LT_P words = 20 KiB).
const LT_KB: usize = 64;
/// Rows of `a` per group (partial counts: LT_RG · LT_P `u32` = 10 KiB).
const LT_RG: usize = 64;

#[inline]
#[target_feature(enable = "avx512f")]
fn load8x32(x: &[u32; 8]) -> __m256i {
    // SAFETY: `x` is a valid reference to 32 readable bytes; `loadu` has no alignment requirement.
    unsafe { _mm256_loadu_si256(x.as_ptr().cast()) }
}

/// One step of the lane-transposed tile: word `aw[i]` of each row against one transposed word `bv`.
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn lt_step_inner(s: &mut [[__m512i; LT_PB]; LT_RT], aw: [u64; LT_RT], bv: &[__m512i; LT_PB]) {
    for i in 0..LT_RT {
        let av = _mm512_set1_epi64(aw[i] as i64);
        for j in 0..LT_PB {
            s[i][j] = _mm512_add_epi64(s[i][j], _mm512_popcnt_epi64(_mm512_xor_si512(av, bv[j])));
        }
    }
}

/// Counts of one k-block: `rows` (LT_RT slices of `kl` ≥ 1 words) against the transposed block `buf`
/// (`kl · LT_PB` vectors); the last word of the rows is ANDed with `last_mask`. Lane l of vector
/// `[i][j]` is the count of row i and pattern 8j + l.
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn lt_counts(
    rows: &[&[u64]; LT_RT],
    buf: &[[u64; 8]],
    last_mask: u64,
) -> [[__m512i; LT_PB]; LT_RT] {
    let kl = rows[0].len();
    let m = kl - 1;
    let r: [&[u64]; LT_RT] = core::array::from_fn(|i| &rows[i][..kl]);
    let blocks = &buf[..kl * LT_PB].as_chunks::<LT_PB>().0[..kl];
    let mut s = [[_mm512_setzero_si512(); LT_PB]; LT_RT];
    // Every word but the last, unmasked (the mask is applied once, after the loop, instead of to
    // every weight word: +4 % at N = 2048, +2 % at N = 1001).
    for (k, blk) in blocks[..m].iter().enumerate() {
        let bv: [__m512i; LT_PB] = core::array::from_fn(|j| load8(&blk[j]));
        let aw: [u64; LT_RT] = core::array::from_fn(|i| r[i][k]);
        lt_step_inner(&mut s, aw, &bv);
    }
    let bv: [__m512i; LT_PB] = core::array::from_fn(|j| load8(&blocks[m][j]));
    let aw: [u64; LT_RT] = core::array::from_fn(|i| r[i][m] & last_mask);
    lt_step_inner(&mut s, aw, &bv);
    s
}

/// [`lt_counts`] added to the first `na` rows' counts in `acc` (row stride LT_P).
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn lt_tile(rows: &[&[u64]; LT_RT], buf: &[[u64; 8]], last_mask: u64, acc: &mut [u32], na: usize) {
    let s = lt_counts(rows, buf, last_mask);
    for (i, si) in s.iter().enumerate().take(na) {
        let row = &mut acc[i * LT_P..(i + 1) * LT_P];
        for (j, &v) in si.iter().enumerate() {
            let dst: &mut [u32; 8] = (&mut row[8 * j..8 * j + 8]).try_into().unwrap();
            let sum = _mm256_add_epi32(load8x32(dst), _mm512_cvtepi64_epi32(v));
            store8x32(dst, sum);
        }
    }
}

/// Fills `buf` with the transposed words `kb..kb + kl` of patterns `pt..pt + np` (zeros past `np`).
#[inline]
fn lt_transpose(
    buf: &mut [[u64; 8]],
    bw: &[u64],
    nw: usize,
    pt: usize,
    np: usize,
    kb: usize,
    kl: usize,
) {
    for (kk, blk) in buf[..kl * LT_PB].chunks_exact_mut(LT_PB).enumerate() {
        for (jb, lanes) in blk.iter_mut().enumerate() {
            for (l, x) in lanes.iter_mut().enumerate() {
                let mu = 8 * jb + l;
                *x = if mu < np {
                    bw[(pt + mu) * nw + kb + kk]
                } else {
                    0
                };
            }
        }
    }
}

/// [`super::sign_rows`] on the lane-transposed tile, the signs taken from the count vectors by
/// compares (no counts stored, no visitor): `true` when it ran (AVX-512 VPOPCNTDQ requested or
/// allowed, available, and rows short enough for one k-block), `false` to run the generic path.
/// `out` is R × `kw` words, zeroed.
pub(super) fn sign_rows(
    backend: Backend,
    a: &Patterns<'_>,
    b: &Patterns<'_>,
    out: &mut [u64],
) -> bool {
    let wanted = matches!(backend, Backend::Avx512 | Backend::Blocked);
    if !wanted || !Backend::Avx512.is_available() || a.words_per_row() >= LANES_BELOW_WORDS {
        return false;
    }
    // SAFETY: AVX-512F and VPOPCNTDQ were detected on this CPU and OS just above.
    unsafe { sign_rows_avx512_lanes(a, b, out) };
    true
}

// One k-block covers every row the lane-transposed tile takes.
const _: () = assert!(LANES_BELOW_WORDS <= LT_KB);

#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn sign_rows_avx512_lanes(a: &Patterns<'_>, b: &Patterns<'_>, out: &mut [u64]) {
    let (rn, pn, nw) = (a.p(), b.p(), a.words_per_row());
    if rn == 0 || pn == 0 {
        return;
    }
    let kw = pn.div_ceil(64);
    let (aw, bw) = (a.words(), b.words());
    let mask = last_word_mask(a.n());
    // 2·ones > N  ⇔  ones > ⌊N/2⌋.
    let half = _mm512_set1_epi64((a.n() / 2) as i64);
    let mut buf = [[0u64; 8]; LT_KB * LT_PB];
    let mut pt = 0;
    while pt < pn {
        let np = LT_P.min(pn - pt);
        lt_transpose(&mut buf, bw, nw, pt, np, 0, nw);
        let valid = if np == 64 { !0 } else { (1u64 << np) - 1 };
        let mut rt = 0;
        while rt < rn {
            let na = LT_RT.min(rn - rt);
            let mut rows: [&[u64]; LT_RT] = [&[]; LT_RT];
            for (i, row) in rows.iter_mut().enumerate() {
                let o = (rt + i.min(na - 1)) * nw;
                *row = &aw[o..o + nw];
            }
            let s = lt_counts(&rows, &buf, mask);
            for (i, si) in s.iter().enumerate().take(na) {
                let mut m = 0u64;
                for (j, &v) in si.iter().enumerate() {
                    m |= u64::from(_mm512_cmpgt_epu64_mask(v, half)) << (8 * j);
                }
                m &= valid;
                super::or_bits(&mut out[(rt + i) * kw..], pt, m, np);
            }
            rt += LT_RT;
        }
        pt += LT_P;
    }
}

#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn run_avx512_lanes(a: &Patterns<'_>, b: &Patterns<'_>, visit: &mut Visit<'_>) {
    let (rn, pn, nw) = (a.p(), b.p(), a.words_per_row());
    let (aw, bw) = (a.words(), b.words());
    let mask = last_word_mask(a.n());
    let mut buf = [[0u64; 8]; LT_KB * LT_PB];
    let mut acc = [0u32; LT_RG * LT_P];
    let mut pt = 0;
    while pt < pn {
        let np = LT_P.min(pn - pt);
        // One k-block covers a whole row (LANES_BELOW_WORDS ≤ LT_KB): the transposed block of
        // this pattern tile serves every row group.
        lt_transpose(&mut buf, bw, nw, pt, np, 0, nw);
        let mut rg = 0;
        while rg < rn {
            let rg_end = (rg + LT_RG).min(rn);
            let acc = &mut acc[..(rg_end - rg) * LT_P];
            acc.fill(0);
            let mut rt = rg;
            while rt < rg_end {
                let na = LT_RT.min(rg_end - rt);
                let mut rows: [&[u64]; LT_RT] = [&[]; LT_RT];
                for (i, row) in rows.iter_mut().enumerate() {
                    let o = (rt + i.min(na - 1)) * nw;
                    *row = &aw[o..o + nw];
                }
                lt_tile(&rows, &buf, mask, &mut acc[(rt - rg) * LT_P..], na);
                rt += LT_RT;
            }
            visit(rg, pt, np, acc, LT_P);
            rg = rg_end;
        }
        pt += LT_P;
    }
}

// ---------------------------------------------------------------------------------------------------
// AVX2: 2 rows of `a` × 2 rows of `b`, nibble-lookup popcount into byte counters (each ≤ 8 per step,
// flushed with `vpsadbw` every 31 steps: 31·8 = 248 ≤ 255).

/// Vectors of 4 words summed in bytes between two widenings.
const AVX2_FLUSH: usize = 31;

#[target_feature(enable = "avx2")]
fn run_avx2(a: &Patterns<'_>, b: &Patterns<'_>, visit: &mut Visit<'_>) {
    drive::<2, 2, 2, _>(a, b, visit, |ar, br, m| tile_avx2(ar, br, m));
}

#[inline]
#[target_feature(enable = "avx2")]
fn load4(x: &[u64; 4]) -> __m256i {
    // SAFETY: `x` is a valid reference to 32 readable bytes; `loadu` has no alignment requirement.
    unsafe { _mm256_loadu_si256(x.as_ptr().cast()) }
}

/// The first `x.len()` (1..=4) words of `x`, zeros in the other lanes; `k` has the sign bit set in
/// exactly those lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn load_tail4(k: __m256i, x: &[u64]) -> __m256i {
    debug_assert!(!x.is_empty() && x.len() <= 4);
    // SAFETY: the lane mask `k` selects exactly the first `x.len()` lanes, which lie inside `x`;
    // `vpmaskmovq` does not access (or fault on) masked-off lanes.
    unsafe { _mm256_maskload_epi64(x.as_ptr().cast(), k) }
}

#[inline]
#[target_feature(enable = "avx2")]
fn popcnt_bytes(table: __m256i, low: __m256i, x: __m256i) -> __m256i {
    let lo = _mm256_and_si256(x, low);
    let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(x), low);
    _mm256_add_epi8(
        _mm256_shuffle_epi8(table, lo),
        _mm256_shuffle_epi8(table, hi),
    )
}

#[inline]
#[target_feature(enable = "avx2")]
fn hsum256(v: __m256i) -> u32 {
    let s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
    (_mm_cvtsi128_si64(s) + _mm_extract_epi64::<1>(s)) as u32
}

#[inline]
#[target_feature(enable = "avx2")]
fn tile_avx2(a: &[&[u64]; 2], b: &[&[u64]; 2], mask: u64) -> [[u32; 2]; 2] {
    let len = a[0].len();
    let body = 4 * ((len - 1) / 4);
    let t = (len - body) as i64; // 1..=4
    let table = _mm256_broadcastsi128_si256(_mm_setr_epi8(
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
    ));
    let low = _mm256_set1_epi8(0x0f);
    let zero = _mm256_setzero_si256();
    let idx = _mm256_setr_epi64x(0, 1, 2, 3);
    let k = _mm256_cmpgt_epi64(_mm256_set1_epi64x(t), idx);
    let last = _mm256_cmpeq_epi64(_mm256_set1_epi64x(t - 1), idx);
    let lanes = _mm256_blendv_epi8(
        _mm256_set1_epi64x(-1),
        _mm256_set1_epi64x(mask as i64),
        last,
    );
    let (a0, a1) = (&a[0][..len], &a[1][..len]);
    let (b0, b1) = (&b[0][..len], &b[1][..len]);
    let at = [load_tail4(k, &a0[body..]), load_tail4(k, &a1[body..])];
    let bt = [load_tail4(k, &b0[body..]), load_tail4(k, &b1[body..])];
    let mut total = [[zero; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            let x = _mm256_and_si256(_mm256_xor_si256(at[i], bt[j]), lanes);
            total[i][j] = _mm256_sad_epu8(popcnt_bytes(table, low, x), zero);
        }
    }
    let mut start = 0;
    while start < body {
        let end = (start + 4 * AVX2_FLUSH).min(body);
        let mut bytes = [[zero; 2]; 2];
        let mut kk = start;
        while kk < end {
            let av = [
                load4(a0[kk..kk + 4].try_into().unwrap()),
                load4(a1[kk..kk + 4].try_into().unwrap()),
            ];
            let bv = [
                load4(b0[kk..kk + 4].try_into().unwrap()),
                load4(b1[kk..kk + 4].try_into().unwrap()),
            ];
            for i in 0..2 {
                for j in 0..2 {
                    let x = _mm256_xor_si256(av[i], bv[j]);
                    bytes[i][j] = _mm256_add_epi8(bytes[i][j], popcnt_bytes(table, low, x));
                }
            }
            kk += 4;
        }
        for i in 0..2 {
            for j in 0..2 {
                total[i][j] = _mm256_add_epi64(total[i][j], _mm256_sad_epu8(bytes[i][j], zero));
            }
        }
        start = end;
    }
    [
        [hsum256(total[0][0]), hsum256(total[0][1])],
        [hsum256(total[1][0]), hsum256(total[1][1])],
    ]
}

// ---------------------------------------------------------------------------------------------------
// Read-bandwidth probe: XOR of all words, eight independent 512-bit (or 256-bit) accumulators.

/// [`super::xor_fold_with`] on AVX-512 or AVX2 when `backend` asks for (or `Blocked` allows) one and
/// the CPU has it; `None` means "run the portable loop".
pub(super) fn xor_fold(backend: Backend, words: &[u64]) -> Option<u64> {
    let wide = matches!(backend, Backend::Avx512 | Backend::Blocked);
    if wide && Backend::Avx512.is_available() {
        // SAFETY: AVX-512F was detected on this CPU and OS just above (VPOPCNTDQ implies F).
        return Some(unsafe { xor_fold_avx512(words) });
    }
    if matches!(backend, Backend::Avx2 | Backend::Blocked) && Backend::Avx2.is_available() {
        // SAFETY: AVX2 was detected on this CPU and OS just above.
        return Some(unsafe { xor_fold_avx2(words) });
    }
    None
}

#[target_feature(enable = "avx512f")]
fn xor_fold_avx512(words: &[u64]) -> u64 {
    let mut acc = [_mm512_setzero_si512(); 8];
    let mut chunks = words.chunks_exact(64);
    for c in &mut chunks {
        for (j, a) in acc.iter_mut().enumerate() {
            *a = _mm512_xor_si512(*a, load8(c[8 * j..8 * j + 8].try_into().unwrap()));
        }
    }
    let mut v = acc[0];
    for a in &acc[1..] {
        v = _mm512_xor_si512(v, *a);
    }
    let mut lanes = [0u64; 8];
    for (j, l) in lanes.iter_mut().enumerate() {
        *l = _mm512_reduce_add_epi64(_mm512_maskz_mov_epi64(1 << j, v)) as u64;
    }
    chunks
        .remainder()
        .iter()
        .chain(lanes.iter())
        .fold(0, |x, &w| x ^ w)
}

#[target_feature(enable = "avx2")]
fn xor_fold_avx2(words: &[u64]) -> u64 {
    let mut acc = [_mm256_setzero_si256(); 8];
    let mut chunks = words.chunks_exact(32);
    for c in &mut chunks {
        for (j, a) in acc.iter_mut().enumerate() {
            *a = _mm256_xor_si256(*a, load4(c[4 * j..4 * j + 4].try_into().unwrap()));
        }
    }
    let mut v = acc[0];
    for a in &acc[1..] {
        v = _mm256_xor_si256(v, *a);
    }
    let lanes = [
        _mm256_extract_epi64::<0>(v) as u64,
        _mm256_extract_epi64::<1>(v) as u64,
        _mm256_extract_epi64::<2>(v) as u64,
        _mm256_extract_epi64::<3>(v) as u64,
    ];
    chunks
        .remainder()
        .iter()
        .chain(lanes.iter())
        .fold(0, |x, &w| x ^ w)
}

// ---------------------------------------------------------------------------------------------------
// Register-only instruction-mix probes (`super::op_mix_probe`): no memory operands, no stack.

/// Runs `iters` iterations of `mix`; `false` (having done nothing) when the CPU lacks the
/// instructions.
pub(super) fn op_mix(mix: super::OpMix, iters: u64) -> bool {
    let supported = mix == super::OpMix::AddChain
        || (Backend::Avx512.is_available() && Backend::Popcnt.is_available());
    if iters == 0 || !supported {
        return supported;
    }
    match mix {
        super::OpMix::AddChain => add_chain(iters),
        // SAFETY: AVX-512F, VPOPCNTDQ and POPCNT were detected on this CPU and OS just above.
        super::OpMix::Avx512 => unsafe { mix_avx512(iters) },
        // SAFETY: as above.
        super::OpMix::Avx512Scalar => unsafe { mix_avx512_scalar(iters) },
    }
    true
}

/// `iters ≥ 1` iterations of 24 dependent `add`s.
fn add_chain(iters: u64) {
    // SAFETY: register arithmetic only (x86-64 baseline); `iters ≥ 1`.
    unsafe {
        core::arch::asm!(
            "2:",
            ".rept 24",
            "add {x}, 1",
            ".endr",
            "dec {n}",
            "jnz 2b",
            x = inout(reg) 0u64 => _,
            n = inout(reg) iters => _,
            options(nomem, nostack),
        );
    }
}

// One (xor, popcnt, add) on zmm registers: sources zmm0-3, accumulators zmm4-27, temporaries
// zmm28-31 (independent chains, as in the tile).
macro_rules! mix_triplet {
    ($acc:literal, $tmp:literal, $a:literal, $b:literal) => {
        concat!(
            "vpxorq zmm",
            $tmp,
            ", zmm",
            $a,
            ", zmm",
            $b,
            "\n",
            "vpopcntq zmm",
            $tmp,
            ", zmm",
            $tmp,
            "\n",
            "vpaddq zmm",
            $acc,
            ", zmm",
            $acc,
            ", zmm",
            $tmp,
            "\n",
        )
    };
}
// One scalar word product: t = a ^ b; t = popcnt t; s += t (4 instructions, as with loads).
macro_rules! mix_scalar {
    () => {
        concat!(
            "mov {t}, {a}\n",
            "xor {t}, {b}\n",
            "popcnt {t}, {t}\n",
            "add {s}, {t}\n",
        )
    };
}
// 24 vector triplets; `$extra` (if any) after 16 of them, spread evenly.
macro_rules! mix_vector_body {
    ($($extra:expr)?) => {
        concat!(
            mix_triplet!(4, 28, 0, 2), $($extra,)?
            mix_triplet!(5, 29, 0, 3),
            mix_triplet!(6, 30, 1, 2), $($extra,)?
            mix_triplet!(7, 31, 1, 3), $($extra,)?
            mix_triplet!(8, 28, 0, 2),
            mix_triplet!(9, 29, 0, 3), $($extra,)?
            mix_triplet!(10, 30, 1, 2),
            mix_triplet!(11, 31, 1, 3), $($extra,)?
            mix_triplet!(12, 28, 0, 2), $($extra,)?
            mix_triplet!(13, 29, 0, 3), $($extra,)?
            mix_triplet!(14, 30, 1, 2), $($extra,)?
            mix_triplet!(15, 31, 1, 3),
            mix_triplet!(16, 28, 0, 2), $($extra,)?
            mix_triplet!(17, 29, 0, 3),
            mix_triplet!(18, 30, 1, 2), $($extra,)?
            mix_triplet!(19, 31, 1, 3), $($extra,)?
            mix_triplet!(20, 28, 0, 2),
            mix_triplet!(21, 29, 0, 3), $($extra,)?
            mix_triplet!(22, 30, 1, 2),
            mix_triplet!(23, 31, 1, 3), $($extra,)?
            mix_triplet!(24, 28, 0, 2), $($extra,)?
            mix_triplet!(25, 29, 0, 3), $($extra,)?
            mix_triplet!(26, 30, 1, 2), $($extra,)?
            mix_triplet!(27, 31, 1, 3),
        )
    };
}

/// # Safety
/// AVX-512F and VPOPCNTDQ are available; `iters ≥ 1`.
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
unsafe fn mix_avx512(iters: u64) {
    // SAFETY: register arithmetic only; the caller's contract.
    unsafe {
        core::arch::asm!(
            "2:",
            mix_vector_body!(),
            "dec {n}",
            "jnz 2b",
            n = inout(reg) iters => _,
            out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
            out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
            out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
            out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _,
            out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
            out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
            out("zmm24") _, out("zmm25") _, out("zmm26") _, out("zmm27") _,
            out("zmm28") _, out("zmm29") _, out("zmm30") _, out("zmm31") _,
            options(nomem, nostack),
        );
    }
}

/// # Safety
/// AVX-512F, VPOPCNTDQ and POPCNT are available; `iters ≥ 1`.
#[target_feature(enable = "avx512f,avx512vpopcntdq,popcnt")]
unsafe fn mix_avx512_scalar(iters: u64) {
    // SAFETY: register arithmetic only; the caller's contract.
    unsafe {
        core::arch::asm!(
            "2:",
            mix_vector_body!(mix_scalar!()),
            "dec {n}",
            "jnz 2b",
            n = inout(reg) iters => _,
            a = in(reg) 0x0123_4567_89ab_cdef_u64,
            b = in(reg) 0x0f0f_3333_5555_ffff_u64,
            s = inout(reg) 0u64 => _,
            t = out(reg) _,
            out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
            out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
            out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
            out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _,
            out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
            out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
            out("zmm24") _, out("zmm25") _, out("zmm26") _, out("zmm27") _,
            out("zmm28") _, out("zmm29") _, out("zmm30") _, out("zmm31") _,
            options(nomem, nostack),
        );
    }
}
