//! x86-64 backends of the XOR-popcount kernel: `popcnt`, AVX2 and AVX-512 VPOPCNTDQ, single-row and
//! blocked (four rows per pass over the weights), plus the cached run-time CPU detection.
//!
//! Every kernel is a `#[target_feature]` function; the dispatchers [`rows`] and [`pair`] call one only
//! after [`features`] reported its instruction set (CPU and OS support), which is the safety argument
//! of every call. Loads go through small helpers that take array references, so each pointer read is
//! in bounds by construction.
//!
//! Slice contract of every kernel (checked by the safe entry points in the parent module):
//! `w.len() = nw ≥ 1`, `pat.len() = nw · out.len()`, `N ≤ i32::MAX`; `mask` is the valid-bit mask of
//! the last word, applied to the last XOR word.

use super::{blocked_rows, portable_row_ones, portable_rows, stability, Backend};
use core::arch::x86_64::*;
use core::sync::atomic::{AtomicU8, Ordering};

/// The instruction sets the kernels need, as detected on the running CPU and OS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Features {
    /// `popcnt`.
    pub popcnt: bool,
    /// AVX2 with the OS saving the YMM state.
    pub avx2: bool,
    /// AVX-512F + AVX-512 VPOPCNTDQ with the OS saving the opmask and ZMM state.
    pub avx512: bool,
    /// AVX-512F + VL + DQ with the OS saving the opmask and ZMM state (the floating-point loops of
    /// [`crate::simd`]).
    pub avx512fp: bool,
    /// FMA (fused multiply-add on XMM/YMM) with the OS saving the YMM state.
    pub fma: bool,
}

const DONE: u8 = 1;
const POPCNT: u8 = 2;
const AVX2: u8 = 4;
const AVX512: u8 = 8;
const AVX512FP: u8 = 16;
const FMA: u8 = 32;

/// Detection result cache (0 = not yet detected). Plain load/store: racing threads compute the same
/// value, so no compare-and-swap is needed.
static CACHE: AtomicU8 = AtomicU8::new(0);

/// The detected features (detected on first use, then cached).
pub(super) fn features() -> Features {
    let mut bits = CACHE.load(Ordering::Relaxed);
    if bits & DONE == 0 {
        let f = detect();
        bits = DONE
            | if f.popcnt { POPCNT } else { 0 }
            | if f.avx2 { AVX2 } else { 0 }
            | if f.avx512 { AVX512 } else { 0 }
            | if f.avx512fp { AVX512FP } else { 0 }
            | if f.fma { FMA } else { 0 };
        CACHE.store(bits, Ordering::Relaxed);
    }
    Features {
        popcnt: bits & POPCNT != 0,
        avx2: bits & AVX2 != 0,
        avx512: bits & AVX512 != 0,
        avx512fp: bits & AVX512FP != 0,
        fma: bits & FMA != 0,
    }
}

#[cfg(feature = "std")]
fn detect() -> Features {
    let popcnt = std::is_x86_feature_detected!("popcnt");
    Features {
        popcnt,
        avx2: std::is_x86_feature_detected!("avx2"),
        avx512: std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512vpopcntdq"),
        avx512fp: std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512vl")
            && std::is_x86_feature_detected!("avx512dq"),
        fma: std::is_x86_feature_detected!("fma"),
    }
}

#[cfg(not(feature = "std"))]
fn detect() -> Features {
    detect_cpuid()
}

/// Detection without std: `cpuid` for what the CPU implements, `xgetbv` for what the OS enabled
/// (XCR0 bits 1–2 = SSE/AVX state for AVX2; bits 5–7 = opmask/ZMM state for AVX-512).
#[cfg(any(test, not(feature = "std")))]
pub(super) fn detect_cpuid() -> Features {
    let max_leaf = __cpuid(0).eax;
    let l1 = __cpuid(1);
    let popcnt = l1.ecx & (1 << 23) != 0;
    let osxsave = l1.ecx & (1 << 27) != 0;
    let avx = l1.ecx & (1 << 28) != 0;
    let mut f = Features {
        popcnt,
        avx2: false,
        avx512: false,
        avx512fp: false,
        fma: false,
    };
    if !(osxsave && avx) || max_leaf < 7 {
        return f;
    }
    // SAFETY: CPUID.1:ECX.OSXSAVE = 1 means XSAVE is supported and the OS enabled XGETBV
    // (CR4.OSXSAVE), so the instruction cannot fault.
    let xcr0 = unsafe { xgetbv0() };
    let l7 = __cpuid_count(7, 0);
    let avx_state = xcr0 & 0x6 == 0x6;
    let zmm_state = xcr0 & 0xE6 == 0xE6;
    f.avx2 = avx_state && l7.ebx & (1 << 5) != 0;
    // FMA: CPUID.1:ECX bit 12 (YMM state, as AVX).
    f.fma = avx_state && l1.ecx & (1 << 12) != 0;
    f.avx512 = avx_state && zmm_state && l7.ebx & (1 << 16) != 0 && l7.ecx & (1 << 14) != 0;
    // AVX-512F (EBX bit 16), DQ (bit 17), VL (bit 31).
    f.avx512fp = avx_state
        && zmm_state
        && l7.ebx & (1 << 16) != 0
        && l7.ebx & (1 << 17) != 0
        && l7.ebx & (1 << 31) != 0;
    f
}

#[cfg(any(test, not(feature = "std")))]
/// # Safety
/// The CPU must support XSAVE and the OS must have enabled it (CPUID.1:ECX.OSXSAVE).
#[target_feature(enable = "xsave")]
unsafe fn xgetbv0() -> u64 {
    _xgetbv(0)
}

/// Whether `b` (one of Popcnt/Avx2/Avx512) can run here.
pub(super) fn available(b: Backend) -> bool {
    let f = features();
    match b {
        Backend::Portable | Backend::Blocked => true,
        Backend::Popcnt => f.popcnt,
        Backend::Avx2 => f.avx2,
        Backend::Avx512 => f.avx512,
    }
}

/// Runs `backend` if this CPU can; returns `false` (having done nothing) otherwise, and for the
/// blocked backend when no x86 popcount is present (the caller then runs the portable code).
pub(super) fn rows(
    backend: Backend,
    w: &[u64],
    pat: &[u64],
    mask: u64,
    n: usize,
    out: &mut [i32],
) -> bool {
    let f = features();
    match backend {
        Backend::Portable => return false,
        // SAFETY (all arms): the kernel's target features were detected on this CPU and OS just above.
        Backend::Popcnt if f.popcnt => unsafe { rows_popcnt(w, pat, mask, n, out) },
        Backend::Avx2 if f.avx2 => unsafe { rows_avx2(w, pat, mask, n, out) },
        Backend::Avx512 if f.avx512 => unsafe { rows_avx512(w, pat, mask, n, out) },
        Backend::Blocked if f.avx512 => unsafe { blocked_avx512(w, pat, mask, n, out) },
        Backend::Blocked if f.avx2 => unsafe { blocked_avx2(w, pat, mask, n, out) },
        Backend::Blocked if f.popcnt => unsafe { blocked_popcnt(w, pat, mask, n, out) },
        _ => return false,
    }
    true
}

/// popcount(a XOR b), last word masked, with `backend` if this CPU can run it (`Blocked` uses the best
/// single-row kernel); `None` means "run the portable code".
pub(super) fn pair(backend: Backend, a: &[u64], b: &[u64], mask: u64) -> Option<u64> {
    let f = features();
    let use512 = f.avx512 && matches!(backend, Backend::Avx512 | Backend::Blocked);
    let use256 = f.avx2 && matches!(backend, Backend::Avx2 | Backend::Blocked);
    let usepop = f.popcnt && matches!(backend, Backend::Popcnt | Backend::Blocked);
    // SAFETY (all arms): the kernel's target features were detected on this CPU and OS just above.
    if use512 {
        Some(unsafe { pair_avx512(a, b, mask) })
    } else if use256 {
        Some(unsafe { pair_avx2(a, b, mask) })
    } else if usepop {
        Some(unsafe { pair_popcnt(a, b, mask) })
    } else {
        None
    }
}

/// Test hook: the blocked kernel with a chosen inner popcount (`Popcnt`, `Avx2` or `Avx512`), so the
/// variants that [`rows`] would not pick on this CPU are tested too. Returns `false` if unavailable.
#[cfg(test)]
pub(super) fn blocked_with_inner(
    inner: Backend,
    w: &[u64],
    pat: &[u64],
    mask: u64,
    n: usize,
    out: &mut [i32],
) -> bool {
    let f = features();
    match inner {
        // SAFETY (all arms): the kernel's target features were detected on this CPU and OS just above.
        Backend::Popcnt if f.popcnt => unsafe { blocked_popcnt(w, pat, mask, n, out) },
        Backend::Avx2 if f.avx2 => unsafe { blocked_avx2(w, pat, mask, n, out) },
        Backend::Avx512 if f.avx512 => unsafe { blocked_avx512(w, pat, mask, n, out) },
        _ => return false,
    }
    true
}

// ---------------------------------------------------------------------------------------------------
// popcnt: the portable loops, compiled with the hardware instruction.

#[target_feature(enable = "popcnt")]
fn rows_popcnt(w: &[u64], pat: &[u64], mask: u64, n: usize, out: &mut [i32]) {
    portable_rows(w, pat, mask, n, out)
}

#[target_feature(enable = "popcnt")]
fn blocked_popcnt(w: &[u64], pat: &[u64], mask: u64, n: usize, out: &mut [i32]) {
    blocked_rows(w, pat, mask, n, out)
}

#[target_feature(enable = "popcnt")]
fn pair_popcnt(a: &[u64], b: &[u64], mask: u64) -> u64 {
    portable_row_ones(a, b, mask)
}

// ---------------------------------------------------------------------------------------------------
// AVX2: nibble lookup. Each byte of popcount_bytes(x) is ≤ 8, so up to 31 of them can be summed in
// bytes (31·8 = 248 ≤ 255) before `vpsadbw` widens them to four u64 lanes.

/// Vectors of 4 words summed in bytes between two widenings.
const AVX2_FLUSH: usize = 31;

#[inline]
#[target_feature(enable = "avx2")]
fn load4(x: &[u64; 4]) -> __m256i {
    // SAFETY: `x` is a valid reference to 32 readable bytes; `loadu` has no alignment requirement.
    unsafe { _mm256_loadu_si256(x.as_ptr().cast()) }
}

/// The nibble-lookup constants.
#[derive(Clone, Copy)]
struct Lut {
    table: __m256i,
    low: __m256i,
}

#[inline]
#[target_feature(enable = "avx2")]
fn lut() -> Lut {
    let t = _mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    Lut {
        table: _mm256_broadcastsi128_si256(t),
        low: _mm256_set1_epi8(0x0f),
    }
}

/// Per-byte popcount of `x`.
#[inline]
#[target_feature(enable = "avx2")]
fn popcnt_bytes(l: Lut, x: __m256i) -> __m256i {
    let lo = _mm256_and_si256(x, l.low);
    let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(x), l.low);
    _mm256_add_epi8(
        _mm256_shuffle_epi8(l.table, lo),
        _mm256_shuffle_epi8(l.table, hi),
    )
}

#[inline]
#[target_feature(enable = "avx2")]
fn hsum256(v: __m256i) -> u64 {
    let s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
    (_mm_cvtsi128_si64(s) + _mm_extract_epi64::<1>(s)) as u64
}

/// The tail of a row for the AVX2 kernels: `t` = 1..=4 words starting at `4·nb`, ending with the
/// row's last word (same split as the AVX-512 kernels, with 4-word chunks).
#[derive(Clone, Copy)]
struct Tail256 {
    /// Whole 4-word chunks before the tail.
    nb: usize,
    /// `vpmaskmovq` lane mask: sign bit set in the tail's `t` lanes.
    k: __m256i,
    /// All ones, except `mask` in the lane of the row's last word.
    lanes: __m256i,
}

#[inline]
#[target_feature(enable = "avx2")]
fn tail256(nw: usize, mask: u64) -> Tail256 {
    let nb = (nw - 1) / 4;
    let t = (nw - 4 * nb) as i64; // 1..=4
    let idx = _mm256_setr_epi64x(0, 1, 2, 3);
    // Lane i is loaded iff i < t; lane t−1 carries the valid-bit mask.
    let k = _mm256_cmpgt_epi64(_mm256_set1_epi64x(t), idx);
    let last = _mm256_cmpeq_epi64(_mm256_set1_epi64x(t - 1), idx);
    let lanes = _mm256_blendv_epi8(
        _mm256_set1_epi64x(-1),
        _mm256_set1_epi64x(mask as i64),
        last,
    );
    Tail256 { nb, k, lanes }
}

/// The tail words of `x` (`x.len() = 4·nb + t`), zeros in the other lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn load_tail256(tl: Tail256, x: &[u64]) -> __m256i {
    let tail = &x[4 * tl.nb..];
    debug_assert!(!tail.is_empty() && tail.len() <= 4);
    // SAFETY: the lane mask `tl.k` selects exactly the first `tail.len()` lanes, which lie inside
    // `tail`; `vpmaskmovq` does not access (or fault on) masked-off lanes.
    unsafe { _mm256_maskload_epi64(tail.as_ptr().cast(), tl.k) }
}

/// Per-byte popcount of the masked tail XOR, widened to four u64 lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn popcnt_tail256(l: Lut, tl: Tail256, a: __m256i, b: __m256i) -> __m256i {
    let x = _mm256_and_si256(_mm256_xor_si256(a, b), tl.lanes);
    _mm256_sad_epu8(popcnt_bytes(l, x), _mm256_setzero_si256())
}

#[inline]
#[target_feature(enable = "avx2")]
fn row_ones_avx2(l: Lut, tl: Tail256, w: &[u64], wt: __m256i, row: &[u64]) -> u64 {
    let body = 4 * tl.nb;
    let zero = _mm256_setzero_si256();
    let mut total = popcnt_tail256(l, tl, wt, load_tail256(tl, row));
    for (wc, rc) in w[..body]
        .chunks(4 * AVX2_FLUSH)
        .zip(row[..body].chunks(4 * AVX2_FLUSH))
    {
        let mut bytes = zero;
        for (a, b) in wc.chunks_exact(4).zip(rc.chunks_exact(4)) {
            let (a, b) = (a.try_into().unwrap(), b.try_into().unwrap());
            bytes = _mm256_add_epi8(bytes, popcnt_bytes(l, _mm256_xor_si256(load4(a), load4(b))));
        }
        total = _mm256_add_epi64(total, _mm256_sad_epu8(bytes, zero));
    }
    hsum256(total)
}

#[target_feature(enable = "avx2")]
fn rows_avx2(w: &[u64], pat: &[u64], mask: u64, n: usize, out: &mut [i32]) {
    let (l, tl) = (lut(), tail256(w.len(), mask));
    let wt = load_tail256(tl, w);
    for (row, s) in pat.chunks_exact(w.len()).zip(out.iter_mut()) {
        *s = stability(n, row_ones_avx2(l, tl, w, wt, row));
    }
}

#[target_feature(enable = "avx2")]
fn pair_avx2(a: &[u64], b: &[u64], mask: u64) -> u64 {
    let (l, tl) = (lut(), tail256(a.len(), mask));
    row_ones_avx2(l, tl, a, load_tail256(tl, a), b)
}

#[target_feature(enable = "avx2")]
fn blocked_avx2(w: &[u64], pat: &[u64], mask: u64, n: usize, out: &mut [i32]) {
    let nw = w.len();
    let (l, tl) = (lut(), tail256(nw, mask));
    let wt = load_tail256(tl, w);
    let body = 4 * tl.nb;
    let zero = _mm256_setzero_si256();
    let mut blocks = pat.chunks_exact(4 * nw);
    let mut outs = out.chunks_exact_mut(4);
    for (blk, o) in (&mut blocks).zip(&mut outs) {
        let r: [&[u64]; 4] = [
            &blk[..nw],
            &blk[nw..2 * nw],
            &blk[2 * nw..3 * nw],
            &blk[3 * nw..],
        ];
        let mut total = [
            popcnt_tail256(l, tl, wt, load_tail256(tl, r[0])),
            popcnt_tail256(l, tl, wt, load_tail256(tl, r[1])),
            popcnt_tail256(l, tl, wt, load_tail256(tl, r[2])),
            popcnt_tail256(l, tl, wt, load_tail256(tl, r[3])),
        ];
        let mut start = 0;
        while start < body {
            let end = (start + 4 * AVX2_FLUSH).min(body);
            let mut bytes = [zero; 4];
            let mut k = start;
            while k < end {
                let wv = load4(w[k..k + 4].try_into().unwrap());
                for j in 0..4 {
                    let x = _mm256_xor_si256(wv, load4(r[j][k..k + 4].try_into().unwrap()));
                    bytes[j] = _mm256_add_epi8(bytes[j], popcnt_bytes(l, x));
                }
                k += 4;
            }
            for j in 0..4 {
                total[j] = _mm256_add_epi64(total[j], _mm256_sad_epu8(bytes[j], zero));
            }
            start = end;
        }
        for j in 0..4 {
            o[j] = stability(n, hsum256(total[j]));
        }
    }
    for (row, s) in blocks
        .remainder()
        .chunks_exact(nw)
        .zip(outs.into_remainder())
    {
        *s = stability(n, row_ones_avx2(l, tl, w, wt, row));
    }
}

// ---------------------------------------------------------------------------------------------------
// AVX-512 VPOPCNTDQ: 8 words per `vpopcntq`. The words are split into `nb` whole 8-word chunks and a
// tail of 1..=8 words that ends with the last word; the tail is read with a masked load and its XOR
// is ANDed with a lane mask that applies `mask` to the last word.

/// Software prefetch distance of the blocked AVX-512 kernel, in words (1 KiB ahead in each of the four
/// row streams): measured +10–20 % at (N, P) = (8192, 1000), where the patterns do not stay in L2.
const PREFETCH_WORDS: usize = 128;

#[inline]
#[target_feature(enable = "avx512f")]
fn load8(x: &[u64; 8]) -> __m512i {
    // SAFETY: `x` is a valid reference to 64 readable bytes; `loadu` has no alignment requirement.
    unsafe { _mm512_loadu_si512(x.as_ptr().cast()) }
}

/// The tail of a row: `t` = 1..=8 words starting at `8·nb`.
#[derive(Clone, Copy)]
struct Tail512 {
    /// Whole 8-word chunks before the tail.
    nb: usize,
    /// Load mask of the tail's `t` words.
    k: __mmask8,
    /// All ones, except `mask` in the lane of the row's last word.
    lanes: __m512i,
}

#[inline]
#[target_feature(enable = "avx512f")]
fn tail512(nw: usize, mask: u64) -> Tail512 {
    let nb = (nw - 1) / 8;
    let t = nw - 8 * nb; // 1..=8
    let k = (((1u16) << t) - 1) as __mmask8;
    let lanes = _mm512_mask_set1_epi64(_mm512_set1_epi64(-1), 1 << (t - 1), mask as i64);
    Tail512 { nb, k, lanes }
}

/// The `t` tail words of `x` (`x.len() = 8·nb + t`), zeros in the other lanes.
#[inline]
#[target_feature(enable = "avx512f")]
fn load_tail(tl: Tail512, x: &[u64]) -> __m512i {
    let tail = &x[8 * tl.nb..];
    debug_assert_eq!(tail.len(), tl.k.count_ones() as usize);
    // SAFETY: the load mask enables exactly the first `tail.len()` lanes, which lie inside `tail`;
    // masked-off lanes are not accessed (AVX-512 masked loads suppress them, faults included).
    unsafe { _mm512_maskz_loadu_epi64(tl.k, tail.as_ptr().cast()) }
}

/// popcount of `((a XOR b) AND lanes)` per lane: `vpternlogq` with truth table (A ^ B) & C = 0x28.
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn popcnt_tail(tl: Tail512, a: __m512i, b: __m512i) -> __m512i {
    _mm512_popcnt_epi64(_mm512_ternarylogic_epi64::<0x28>(a, b, tl.lanes))
}

#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn row_ones_avx512(tl: Tail512, w: &[u64], wt: __m512i, row: &[u64]) -> u64 {
    let body = 8 * tl.nb;
    let mut acc = popcnt_tail(tl, wt, load_tail(tl, row));
    for (a, b) in w[..body].chunks_exact(8).zip(row[..body].chunks_exact(8)) {
        let x = _mm512_xor_si512(load8(a.try_into().unwrap()), load8(b.try_into().unwrap()));
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
    }
    _mm512_reduce_add_epi64(acc) as u64
}

#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn rows_avx512(w: &[u64], pat: &[u64], mask: u64, n: usize, out: &mut [i32]) {
    let tl = tail512(w.len(), mask);
    let wt = load_tail(tl, w);
    for (row, s) in pat.chunks_exact(w.len()).zip(out.iter_mut()) {
        *s = stability(n, row_ones_avx512(tl, w, wt, row));
    }
}

#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn pair_avx512(a: &[u64], b: &[u64], mask: u64) -> u64 {
    let tl = tail512(a.len(), mask);
    row_ones_avx512(tl, a, load_tail(tl, a), b)
}

/// The four horizontal sums of `a[0..4]` at once (one transposing reduction instead of four).
#[inline]
#[target_feature(enable = "avx512f")]
fn reduce4_512(a: [__m512i; 4]) -> [u64; 4] {
    // 128-bit lane L of s01 holds (a0[2L] + a0[2L+1], a1[2L] + a1[2L+1]); likewise s23.
    let s01 = _mm512_add_epi64(
        _mm512_unpacklo_epi64(a[0], a[1]),
        _mm512_unpackhi_epi64(a[0], a[1]),
    );
    let s23 = _mm512_add_epi64(
        _mm512_unpacklo_epi64(a[2], a[3]),
        _mm512_unpackhi_epi64(a[2], a[3]),
    );
    // z = [s01.L0 + s01.L1, s01.L2 + s01.L3, s23.L0 + s23.L1, s23.L2 + s23.L3].
    let x = _mm512_shuffle_i64x2::<0b10_00_10_00>(s01, s23);
    let y = _mm512_shuffle_i64x2::<0b11_01_11_01>(s01, s23);
    let z = _mm512_add_epi64(x, y);
    // [z.L0, z.L2, z.L1, z.L3], then low half + high half = (a0, a1, a2, a3).
    let z = _mm512_shuffle_i64x2::<0b11_01_10_00>(z, z);
    let t = _mm256_add_epi64(_mm512_castsi512_si256(z), _mm512_extracti64x4_epi64::<1>(z));
    [
        _mm256_extract_epi64::<0>(t) as u64,
        _mm256_extract_epi64::<1>(t) as u64,
        _mm256_extract_epi64::<2>(t) as u64,
        _mm256_extract_epi64::<3>(t) as u64,
    ]
}

#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn blocked_avx512(w: &[u64], pat: &[u64], mask: u64, n: usize, out: &mut [i32]) {
    let nw = w.len();
    let tl = tail512(nw, mask);
    let wt = load_tail(tl, w);
    let body = 8 * tl.nb;
    let mut blocks = pat.chunks_exact(4 * nw);
    let mut outs = out.chunks_exact_mut(4);
    for (blk, o) in (&mut blocks).zip(&mut outs) {
        let r: [&[u64]; 4] = [
            &blk[..nw],
            &blk[nw..2 * nw],
            &blk[2 * nw..3 * nw],
            &blk[3 * nw..],
        ];
        let mut acc = [
            popcnt_tail(tl, wt, load_tail(tl, r[0])),
            popcnt_tail(tl, wt, load_tail(tl, r[1])),
            popcnt_tail(tl, wt, load_tail(tl, r[2])),
            popcnt_tail(tl, wt, load_tail(tl, r[3])),
        ];
        let mut k = 0;
        while k < body {
            let wv = load8(w[k..k + 8].try_into().unwrap());
            for j in 0..4 {
                // A hint (never faults, so the address may run past the slice): fetch 1 KiB ahead.
                _mm_prefetch::<_MM_HINT_T0>(r[j].as_ptr().wrapping_add(k + PREFETCH_WORDS).cast());
                let x = _mm512_xor_si512(wv, load8(r[j][k..k + 8].try_into().unwrap()));
                acc[j] = _mm512_add_epi64(acc[j], _mm512_popcnt_epi64(x));
            }
            k += 8;
        }
        let ones = reduce4_512(acc);
        for j in 0..4 {
            o[j] = stability(n, ones[j]);
        }
    }
    for (row, s) in blocks
        .remainder()
        .chunks_exact(nw)
        .zip(outs.into_remainder())
    {
        *s = stability(n, row_ones_avx512(tl, w, wt, row));
    }
}
