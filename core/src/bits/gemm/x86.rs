//! x86-64 register tiles of the packed matrix product: `popcnt` (scalar 2×4), AVX2 (2×2 tiles of
//! 256-bit vectors, nibble-lookup popcount, byte accumulators) and AVX-512 VPOPCNTDQ (4×4 tiles of
//! 512-bit vectors).
//!
//! Every kernel is a `#[target_feature]` function; [`run`] calls one only after
//! [`Backend::is_available`] reported its instruction set on this CPU and OS (the same cached detection
//! as the single-vector kernels), which is the safety argument of every call. Loads go through helpers
//! that take array references (in bounds by construction) or masked loads whose mask selects only
//! words inside the slice.
//!
//! Tile contract (from [`super::drive`]): all row slices of one call have the same length ≥ 1; `mask`
//! is the valid-bit mask of their last word.

use super::{drive, tile_scalar, Backend, Patterns};
use core::arch::x86_64::*;

/// Runs the product with `backend` if this CPU can (`Blocked` = the best x86 tile available); returns
/// `false` (having done nothing) when the portable code must run instead.
pub(super) fn run(
    backend: Backend,
    a: &Patterns<'_>,
    b: &Patterns<'_>,
    visit: &mut dyn FnMut(usize, usize, u32),
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
        Backend::Avx512 => unsafe { run_avx512(a, b, visit) },
        _ => return false,
    }
    true
}

#[target_feature(enable = "popcnt")]
fn run_popcnt(a: &Patterns<'_>, b: &Patterns<'_>, visit: &mut dyn FnMut(usize, usize, u32)) {
    drive::<2, 4, _>(a, b, visit, tile_scalar::<2, 4>);
}

// ---------------------------------------------------------------------------------------------------
// AVX-512 VPOPCNTDQ: 4 rows of `a` × 4 rows of `b`, 16 accumulators of 8 × u64; per 8 words, 8 loads
// for 16 XOR + `vpopcntq` + add. The block is split into whole 8-word chunks and a tail of 1..=8
// words ending with the last word, read with a masked load; the tail XOR is ANDed with a lane mask
// that applies `mask` to the last word (`vpternlogq` 0x28 = (A ^ B) & C).

#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn run_avx512(a: &Patterns<'_>, b: &Patterns<'_>, visit: &mut dyn FnMut(usize, usize, u32)) {
    drive::<4, 4, _>(a, b, visit, |ar, br, m| tile_avx512(ar, br, m));
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

/// The four horizontal sums of `a[0..4]` at once (a transposing reduction).
#[inline]
#[target_feature(enable = "avx512f")]
fn reduce4_512(a: [__m512i; 4]) -> [u32; 4] {
    let s01 = _mm512_add_epi64(
        _mm512_unpacklo_epi64(a[0], a[1]),
        _mm512_unpackhi_epi64(a[0], a[1]),
    );
    let s23 = _mm512_add_epi64(
        _mm512_unpacklo_epi64(a[2], a[3]),
        _mm512_unpackhi_epi64(a[2], a[3]),
    );
    let x = _mm512_shuffle_i64x2::<0b10_00_10_00>(s01, s23);
    let y = _mm512_shuffle_i64x2::<0b11_01_11_01>(s01, s23);
    let z = _mm512_add_epi64(x, y);
    let z = _mm512_shuffle_i64x2::<0b11_01_10_00>(z, z);
    let t = _mm256_add_epi64(_mm512_castsi512_si256(z), _mm512_extracti64x4_epi64::<1>(z));
    [
        _mm256_extract_epi64::<0>(t) as u32,
        _mm256_extract_epi64::<1>(t) as u32,
        _mm256_extract_epi64::<2>(t) as u32,
        _mm256_extract_epi64::<3>(t) as u32,
    ]
}

#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn tile_avx512(a: &[&[u64]; 4], b: &[&[u64]; 4], mask: u64) -> [[u32; 4]; 4] {
    let len = a[0].len();
    let body = 8 * ((len - 1) / 8);
    let t = len - body; // 1..=8
    let k = ((1u16 << t) - 1) as __mmask8;
    let lanes = _mm512_mask_set1_epi64(_mm512_set1_epi64(-1), 1 << (t - 1), mask as i64);
    let (a0, a1, a2, a3) = (&a[0][..len], &a[1][..len], &a[2][..len], &a[3][..len]);
    let (b0, b1, b2, b3) = (&b[0][..len], &b[1][..len], &b[2][..len], &b[3][..len]);
    let at = [
        load_tail8(k, &a0[body..]),
        load_tail8(k, &a1[body..]),
        load_tail8(k, &a2[body..]),
        load_tail8(k, &a3[body..]),
    ];
    let bt = [
        load_tail8(k, &b0[body..]),
        load_tail8(k, &b1[body..]),
        load_tail8(k, &b2[body..]),
        load_tail8(k, &b3[body..]),
    ];
    let mut acc = [[_mm512_setzero_si512(); 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            acc[i][j] =
                _mm512_popcnt_epi64(_mm512_ternarylogic_epi64::<0x28>(at[i], bt[j], lanes));
        }
    }
    let mut kk = 0;
    while kk < body {
        let bv = [
            load8(b0[kk..kk + 8].try_into().unwrap()),
            load8(b1[kk..kk + 8].try_into().unwrap()),
            load8(b2[kk..kk + 8].try_into().unwrap()),
            load8(b3[kk..kk + 8].try_into().unwrap()),
        ];
        let av = [
            load8(a0[kk..kk + 8].try_into().unwrap()),
            load8(a1[kk..kk + 8].try_into().unwrap()),
            load8(a2[kk..kk + 8].try_into().unwrap()),
            load8(a3[kk..kk + 8].try_into().unwrap()),
        ];
        for i in 0..4 {
            for j in 0..4 {
                let x = _mm512_xor_si512(av[i], bv[j]);
                acc[i][j] = _mm512_add_epi64(acc[i][j], _mm512_popcnt_epi64(x));
            }
        }
        kk += 8;
    }
    [
        reduce4_512(acc[0]),
        reduce4_512(acc[1]),
        reduce4_512(acc[2]),
        reduce4_512(acc[3]),
    ]
}

// ---------------------------------------------------------------------------------------------------
// AVX2: 2 rows of `a` × 2 rows of `b`, nibble-lookup popcount into byte counters (each ≤ 8 per step,
// flushed with `vpsadbw` every 31 steps: 31·8 = 248 ≤ 255).

/// Vectors of 4 words summed in bytes between two widenings.
const AVX2_FLUSH: usize = 31;

#[target_feature(enable = "avx2")]
fn run_avx2(a: &Patterns<'_>, b: &Patterns<'_>, visit: &mut dyn FnMut(usize, usize, u32)) {
    drive::<2, 2, _>(a, b, visit, |ar, br, m| tile_avx2(ar, br, m));
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
