//! x86-64 kernels of the exact enumeration: AVX2 (32 byte lanes) and AVX-512BW (64 byte lanes).
//!
//! ## Algorithm (see also the parent module docs)
//!
//! Stabilities are handled as Hamming distances `h_μ = popcount(w XOR ξ^μ)` (so `s_μ = N − 2h_μ`),
//! biased by `c = 128 − (⌊N/2⌋ + 1)` so that an error at κ = 0 (`s_μ < 0 ⇔ h_μ > N/2`) is exactly
//! "bit 7 of the byte is set". The `k = min(8, free bits)` low bits of a configuration are the vector
//! lanes: a table holds `popcount((v XOR ξ^μ) & low)` for every lane v and pattern μ, and the distance
//! of the high bits is one `popcnt` per pattern and middle configuration. No Gray code is needed:
//! every middle configuration is evaluated from scratch, which lets the walk visit them **grouped by
//! their distance to the reference** (all middle configurations with `c` bits different from the
//! reference, in Gosper order, for c = 0, 1, …). Within a group the distance `d_high` of the non-low
//! bits is constant, so a lane's counts can be accumulated *per lane* over many configurations and only
//! distributed to the distance rows `d_high + δ_lane` when the group ends.
//!
//! Per block of lanes and middle configuration: `x = h_high + table` (`vpaddb`), the running maximum
//! (`vpmaxub`, the smallest stability), and the error count (sign bit → `+1`). The two keys, the
//! error count E and the largest distance h_max, are then counted per lane in *nibble counters*: the
//! key's position in a 16-value window selects, through `vpshufb` on eight constant tables, a byte that
//! is 1 (key = 2j) or 16 (key = 2j+1) in table j, so eight byte additions count sixteen values, two
//! per byte. Nibbles hold 15 counts: after at most [`NIBBLE_BATCH`] middle configurations they are
//! flushed into per-lane byte counters in memory, and those (at most 255 counts) are summed into the
//! histograms, lane groups of equal distance at once, at the end of a distance group.
//!
//! Keys outside their window (a rare E when P ≥ 16, or a rare h_max: the window is centred on the
//! distribution of a uniformly random configuration, [`windows`]) are flagged by the same saturating
//! add that forms the table index (its bit 7, which also makes `vpshufb` return 0) and counted one by
//! one. The windows change the speed only, never a count.
//!
//! ## Safety
//!
//! The walk is written once, generic over the byte-vector primitives of a backend (trait `Lanes`,
//! `#[inline(always)]`), and compiled into one `#[target_feature]` entry point per backend;
//! [`accumulate`] calls one only after [`available`] reported the instruction sets on this CPU and
//! OS. A backend's primitives take a token that only its entry point creates, so they run only
//! there. Loads and stores take array references, so each pointer access is in bounds by
//! construction.

use super::{hist_err_stride, hist_smin_stride, Backend, MAX_P};
use core::arch::x86_64::*;

/// Middle configurations evaluated between two nibble flushes (a nibble counts to 15).
pub(super) const NIBBLE_BATCH: usize = 15;
/// Values of each key counted in registers (the rest goes the slow way).
const WINDOW: usize = 16;
/// Low bits (lanes) of the vector walk: 2^8 = 256 low configurations per middle configuration.
const VEC_LOW_BITS: usize = 8;
/// Byte counters: number of counted keys per lane, E window then h_max window.
const KEYS: usize = 2 * WINDOW;

/// Whether `backend` (`Avx2` or `Avx512`) can run on this CPU and OS.
pub(super) fn available(backend: Backend) -> bool {
    use crate::bits::kernel::Backend as K;
    let popcnt = K::Popcnt.is_available();
    match backend {
        Backend::Portable => true,
        Backend::Avx2 => popcnt && K::Avx2.is_available(),
        Backend::Avx512 => {
            // F + VL + DQ with the OS saving the ZMM and opmask state, plus BW (byte instructions).
            popcnt && crate::bits::kernel::float_vector_features().1 && avx512bw()
        }
    }
}

#[cfg(feature = "std")]
fn avx512bw() -> bool {
    std::is_x86_feature_detected!("avx512bw")
}

#[cfg(not(feature = "std"))]
fn avx512bw() -> bool {
    // Only asked after AVX-512F was found (so CPUID leaf 7 exists and the OS saves the ZMM state):
    // AVX-512BW is CPUID.(EAX=7, ECX=0):EBX bit 30.
    __cpuid_count(7, 0).ebx & (1 << 30) != 0
}

/// Smallest number of free (not prefix) bits of a chunk the vector walks take: below 2^12
/// configurations their set-up (tables of P·256 bytes, windows, per-distance flushes, a few
/// microseconds) costs more than the portable loop saves. Must be at least 6 (64 lanes).
pub(super) const MIN_FREE_BITS: usize = 12;

/// One enumeration job: the instance as pattern words and the reference, all sizes checked.
pub(super) struct Job<'a> {
    /// N (1..=62).
    pub n: usize,
    /// P pattern words (bit i = 1 ⇔ ξ_i = −1), 1 ≤ P ≤ 255.
    pub xi: &'a [u64],
    /// The reference configuration.
    pub reference: u64,
    /// Fixed top bits and their value.
    pub prefix_bits: u32,
    /// Value of the fixed top bits.
    pub prefix: u64,
}

/// Runs `job` with `backend` into the histograms; `false` (nothing done) when the backend is not
/// available or the chunk has fewer low configurations than the backend has lanes.
pub(super) fn accumulate(backend: Backend, job: &Job<'_>, he: &mut [u64], hs: &mut [u64]) -> bool {
    let free = job.n - job.prefix_bits as usize;
    if !available(backend) || free < MIN_FREE_BITS {
        return false;
    }
    match backend {
        // SAFETY: `available` checked AVX-512F/BW and popcnt on this CPU and OS just above.
        Backend::Avx512 => unsafe { walk_avx512(job, he, hs) },
        // SAFETY: `available` checked AVX2 and popcnt on this CPU and OS just above.
        Backend::Avx2 => unsafe { walk_avx2(job, he, hs) },
        Backend::Portable => return false,
    }
    true
}

/// The key windows: first counted error count `elo` and first counted largest distance `hlo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Windows {
    /// E counted in registers: `elo..elo + 16`.
    pub elo: u8,
    /// h_max counted in registers: `hlo..hlo + 16`.
    pub hlo: u8,
}

/// The windows that hold most configurations of a random instance: for a uniformly random w the
/// distances h_μ are independent Binomial(N, 1/2), so E ~ Binomial(P, q) with q = P(h > N/2) and
/// P(h_max ≤ x) = F(x)^P. Only the speed depends on this choice.
pub(super) fn windows(n: usize, p: usize) -> Windows {
    let mut pmf = [0.0f64; 64];
    pmf[0] = 1.0;
    for _ in 0..n {
        pmf[0] *= 0.5;
    }
    for i in 0..n {
        pmf[i + 1] = pmf[i] * (n - i) as f64 / (i + 1) as f64;
    }
    let t0 = n / 2 + 1;
    let q: f64 = pmf[t0..=n].iter().sum();
    let elo = if p < WINDOW {
        0
    } else {
        let centre = (p as f64 * q + 0.5) as usize;
        centre.saturating_sub(WINDOW / 2).min(p + 1 - WINDOW)
    };
    let pow = |x: f64| (0..p).fold(1.0, |acc, _| acc * x);
    let cdf = |x: isize| -> f64 {
        if x < 0 {
            0.0
        } else {
            pmf[..=(x as usize).min(n)].iter().sum()
        }
    };
    let mut hlo = 0usize;
    let mut best = -1.0;
    for h0 in 0..=(n + 1).saturating_sub(WINDOW) {
        let mass = pow(cdf((h0 + WINDOW - 1) as isize)) - pow(cdf(h0 as isize - 1));
        if mass > best {
            best = mass;
            hlo = h0;
        }
    }
    Windows {
        elo: elo as u8,
        hlo: hlo as u8,
    }
}

/// Next m-bit word with the same number of ones (Gosper's hack), in increasing order.
struct Combos {
    cur: u64,
    limit: u64,
    done: bool,
}

impl Combos {
    /// The `m`-bit words (m ≤ 62) with `c ≤ m` ones.
    fn new(m: usize, c: usize) -> Self {
        Combos {
            cur: (1u64 << c) - 1,
            limit: 1u64 << m,
            done: false,
        }
    }
}

impl Iterator for Combos {
    type Item = u64;
    #[inline]
    fn next(&mut self) -> Option<u64> {
        if self.done {
            return None;
        }
        let u = self.cur;
        if u == 0 {
            self.done = true;
        } else {
            let t = u | (u - 1);
            let next = (t + 1) | (((!t & (t + 1)) - 1) >> (u.trailing_zeros() + 1));
            if next >= self.limit {
                self.done = true;
            } else {
                self.cur = next;
            }
        }
        Some(u)
    }
}

/// Adds lane `t`'s keys that fell outside their window to the histograms one by one.
struct Outliers<'h> {
    he: &'h mut [u64],
    hs: &'h mut [u64],
    p: usize,
    n: usize,
    bias: u8,
}

impl Outliers<'_> {
    /// A configuration at distance `d` with error count `e` (if outside its window) and biased
    /// largest distance `hb` (if outside its window).
    #[inline(never)]
    fn add(&mut self, d: usize, e: Option<u8>, hb: Option<u8>) {
        if let Some(e) = e {
            self.he[d * hist_err_stride(self.p) + e as usize] += 1;
        }
        if let Some(hb) = hb {
            let hmax = (hb - self.bias) as usize;
            self.hs[d * hist_smin_stride(self.n) + 2 * self.n - 2 * hmax] += 1;
        }
    }
}

/// The table of `vpshufb` j: byte 2j → 1, byte 2j + 1 → 16, others 0 (one 128-bit lane, as two u64).
const fn nibble_table(j: usize) -> (i64, i64) {
    let pair: u64 = 1 | (16 << 8);
    if j < 4 {
        ((pair << (16 * j)) as i64, 0)
    } else {
        (0, (pair << (16 * (j - 4))) as i64)
    }
}

// ---------------------------------------------------------------------------------------------------
// The byte-vector primitives of each instruction set.

/// The byte-vector operations on `L` byte lanes in which the AVX-512BW and AVX2 walks differ; the
/// batch kernel ([`batch`]) and the walk ([`walk`]) are written once on top of them.
///
/// A value of an implementing type is a token that the CPU and OS support the instruction sets of
/// the backend: it is created only inside the backend's `#[target_feature]` entry point
/// ([`walk_avx512`], [`walk_avx2`]), which [`accumulate`] calls only after [`available`] said so.
/// Every method is `#[inline(always)]`, so it is compiled into that entry point, with its features.
trait Lanes<const L: usize>: Copy {
    /// A vector of `L` bytes.
    type V: Copy;
    /// Every byte 0.
    fn zero(self) -> Self::V;
    /// Every byte `b`.
    fn splat(self, b: u8) -> Self::V;
    /// Every 32-bit group `x`.
    fn splat_u32(self, x: u32) -> Self::V;
    /// The 128 bits `lo` (low half), `hi` (high half) in every 128-bit lane.
    fn splat_u128(self, lo: i64, hi: i64) -> Self::V;
    /// The `L` bytes of `x`.
    fn load(self, x: &[u8; L]) -> Self::V;
    /// Stores `v` into `x`.
    fn store(self, x: &mut [u8; L], v: Self::V);
    /// Byte-wise wrapping `a + b`.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// Byte-wise wrapping `a − b`.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// Byte-wise unsigned maximum.
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    /// Byte-wise unsigned saturating `a + b`.
    fn adds(self, a: Self::V, b: Self::V) -> Self::V;
    /// Bit-wise `a & b`.
    fn and(self, a: Self::V, b: Self::V) -> Self::V;
    /// Every 16-bit group shifted right by 4.
    fn shr4(self, a: Self::V) -> Self::V;
    /// `vpshufb`: byte i of the result is byte `index_i & 15` of the 128-bit lane of `table`, or 0
    /// where bit 7 of `index_i` is set.
    fn shuffle(self, table: Self::V, index: Self::V) -> Self::V;
    /// The lanes whose E (`ie`) or h_max (`ih`) is outside its window (bit 7 of the window index
    /// set), as bit masks (lane i → bit i); `None` when there is none, the common case.
    fn outside(self, ie: Self::V, ih: Self::V) -> Option<(u64, u64)>;
    /// Adds one pattern, whose biased distances are `x` (an error is bit 7 set), to the running
    /// tally `acc` (started at [`zero`](Self::zero)) from which [`errors`](Self::errors) gives the
    /// error counts.
    fn tally(self, acc: Self::V, x: Self::V) -> Self::V;
    /// The error counts of `p` patterns from their tally.
    fn errors(self, acc: Self::V, p: u8) -> Self::V;
}

/// AVX-512BW (with F) on 64 lanes; exists only inside [`walk_avx512`].
#[derive(Clone, Copy)]
struct Avx512(());

// SAFETY (every block of this impl): an `Avx512` exists only inside `walk_avx512`, which runs only
// where AVX-512F/BW are available (see `Lanes`); loads and stores take references to 64 bytes and
// have no alignment requirement.
impl Lanes<64> for Avx512 {
    type V = __m512i;
    #[inline(always)]
    fn zero(self) -> __m512i {
        unsafe { _mm512_setzero_si512() }
    }
    #[inline(always)]
    fn splat(self, b: u8) -> __m512i {
        unsafe { _mm512_set1_epi8(b as i8) }
    }
    #[inline(always)]
    fn splat_u32(self, x: u32) -> __m512i {
        unsafe { _mm512_set1_epi32(x as i32) }
    }
    #[inline(always)]
    fn splat_u128(self, lo: i64, hi: i64) -> __m512i {
        unsafe { _mm512_set4_epi64(hi, lo, hi, lo) }
    }
    #[inline(always)]
    fn load(self, x: &[u8; 64]) -> __m512i {
        unsafe { _mm512_loadu_si512(x.as_ptr().cast()) }
    }
    #[inline(always)]
    fn store(self, x: &mut [u8; 64], v: __m512i) {
        unsafe { _mm512_storeu_si512(x.as_mut_ptr().cast(), v) }
    }
    #[inline(always)]
    fn add(self, a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_add_epi8(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_sub_epi8(a, b) }
    }
    #[inline(always)]
    fn max(self, a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_max_epu8(a, b) }
    }
    #[inline(always)]
    fn adds(self, a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_adds_epu8(a, b) }
    }
    #[inline(always)]
    fn and(self, a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_and_si512(a, b) }
    }
    #[inline(always)]
    fn shr4(self, a: __m512i) -> __m512i {
        unsafe { _mm512_srli_epi16::<4>(a) }
    }
    #[inline(always)]
    fn shuffle(self, table: __m512i, index: __m512i) -> __m512i {
        unsafe { _mm512_shuffle_epi8(table, index) }
    }
    #[inline(always)]
    fn outside(self, ie: __m512i, ih: __m512i) -> Option<(u64, u64)> {
        let (oe, oh) = unsafe { (_mm512_movepi8_mask(ie), _mm512_movepi8_mask(ih)) };
        (oe | oh != 0).then_some((oe, oh))
    }
    /// Tallies the patterns *without* an error: `vpshufb` of a table of ones gives 1 where bit 7
    /// is clear, else 0 (a byte compare would give a mask register).
    #[inline(always)]
    fn tally(self, acc: __m512i, x: __m512i) -> __m512i {
        self.add(acc, self.shuffle(self.splat(1), x))
    }
    #[inline(always)]
    fn errors(self, acc: __m512i, p: u8) -> __m512i {
        self.sub(self.splat(p), acc)
    }
}

/// AVX2 on 32 lanes; exists only inside [`walk_avx2`].
#[derive(Clone, Copy)]
struct Avx2(());

// SAFETY (every block of this impl): an `Avx2` exists only inside `walk_avx2`, which runs only where
// AVX2 is available (see `Lanes`); loads and stores take references to 32 bytes and have no
// alignment requirement.
impl Lanes<32> for Avx2 {
    type V = __m256i;
    #[inline(always)]
    fn zero(self) -> __m256i {
        unsafe { _mm256_setzero_si256() }
    }
    #[inline(always)]
    fn splat(self, b: u8) -> __m256i {
        unsafe { _mm256_set1_epi8(b as i8) }
    }
    #[inline(always)]
    fn splat_u32(self, x: u32) -> __m256i {
        unsafe { _mm256_set1_epi32(x as i32) }
    }
    #[inline(always)]
    fn splat_u128(self, lo: i64, hi: i64) -> __m256i {
        unsafe { _mm256_set_epi64x(hi, lo, hi, lo) }
    }
    #[inline(always)]
    fn load(self, x: &[u8; 32]) -> __m256i {
        unsafe { _mm256_loadu_si256(x.as_ptr().cast()) }
    }
    #[inline(always)]
    fn store(self, x: &mut [u8; 32], v: __m256i) {
        unsafe { _mm256_storeu_si256(x.as_mut_ptr().cast(), v) }
    }
    #[inline(always)]
    fn add(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_add_epi8(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_sub_epi8(a, b) }
    }
    #[inline(always)]
    fn max(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_max_epu8(a, b) }
    }
    #[inline(always)]
    fn adds(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_adds_epu8(a, b) }
    }
    #[inline(always)]
    fn and(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_and_si256(a, b) }
    }
    #[inline(always)]
    fn shr4(self, a: __m256i) -> __m256i {
        unsafe { _mm256_srli_epi16::<4>(a) }
    }
    #[inline(always)]
    fn shuffle(self, table: __m256i, index: __m256i) -> __m256i {
        unsafe { _mm256_shuffle_epi8(table, index) }
    }
    /// One `vpmovmskb` of `ie | ih` tests both (two masks and their zero extension are slower).
    #[inline(always)]
    fn outside(self, ie: __m256i, ih: __m256i) -> Option<(u64, u64)> {
        let mask = |v| u64::from(unsafe { _mm256_movemask_epi8(v) } as u32);
        (mask(unsafe { _mm256_or_si256(ie, ih) }) != 0).then(|| (mask(ie), mask(ih)))
    }
    /// Tallies the errors: `0 > x as i8` ⇔ bit 7 set ⇔ an error, where the compare gives −1.
    #[inline(always)]
    fn tally(self, acc: __m256i, x: __m256i) -> __m256i {
        self.sub(acc, unsafe { _mm256_cmpgt_epi8(self.zero(), x) })
    }
    #[inline(always)]
    fn errors(self, acc: __m256i, _p: u8) -> __m256i {
        acc
    }
}

// ---------------------------------------------------------------------------------------------------
// The batch kernel and the walk, written once for both instruction sets.

/// Evaluates the `s.len() / P` middle configurations of `s` (biased high distances, each byte
/// replicated four times) on the `L` lanes of one block (`rows`: P table rows), adds the per-lane
/// window counts to `cnt` (E window in 0..16, h_max window in 16..32) and reports the keys outside
/// their window through `out(t, lane, e, hb)`. At most [`NIBBLE_BATCH`] configurations.
#[inline(always)]
fn batch<B: Lanes<L>, const L: usize>(
    b: B,
    rows: &[[u8; L]],
    s: &[u32],
    elo: u8,
    hlo_biased: u8,
    cnt: &mut [[u8; L]; KEYS],
    mut out: impl FnMut(usize, usize, Option<u8>, Option<u8>),
) {
    let p = rows.len();
    debug_assert!(s.len() <= NIBBLE_BATCH * p);
    let zero = b.zero();
    let lo4 = b.splat(0x0f);
    let sat = b.splat(0x70);
    let velo = b.splat(elo);
    let vhlo = b.splat(hlo_biased);
    let mut tables = [zero; 8];
    for (j, t) in tables.iter_mut().enumerate() {
        let (lo, hi) = nibble_table(j);
        *t = b.splat_u128(lo, hi);
    }
    let mut ce = [zero; 8];
    let mut ch = [zero; 8];
    for (t, st) in s.chunks_exact(p).enumerate() {
        let mut mx = zero;
        let mut acc = zero;
        for (row, &sv) in rows.iter().zip(st) {
            let x = b.add(b.splat_u32(sv), b.load(row));
            mx = b.max(mx, x);
            acc = b.tally(acc, x);
        }
        let ne = b.errors(acc, p as u8);
        // Window index, bit 7 set outside the window (vpshufb then gives 0).
        let ie = b.adds(b.sub(ne, velo), sat);
        let ih = b.adds(b.sub(mx, vhlo), sat);
        for j in 0..8 {
            ce[j] = b.add(ce[j], b.shuffle(tables[j], ie));
            ch[j] = b.add(ch[j], b.shuffle(tables[j], ih));
        }
        if let Some((oe, oh)) = b.outside(ie, ih) {
            let (mut neb, mut mxb) = ([0u8; L], [0u8; L]);
            b.store(&mut neb, ne);
            b.store(&mut mxb, mx);
            let mut bits = oe | oh;
            while bits != 0 {
                let l = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                out(
                    t,
                    l,
                    (oe >> l & 1 == 1).then_some(neb[l]),
                    (oh >> l & 1 == 1).then_some(mxb[l]),
                );
            }
        }
    }
    for j in 0..8 {
        for (c, base) in [(ce[j], 0), (ch[j], WINDOW)] {
            let even = b.and(c, lo4);
            let odd = b.and(b.shr4(c), lo4);
            let (x, y) = cnt.split_at_mut(base + 2 * j + 1);
            let (ca, cb) = (&mut x[base + 2 * j], &mut y[0]);
            b.store(ca, b.add(b.load(ca), even));
            b.store(cb, b.add(b.load(cb), odd));
        }
    }
}

/// Most lane bits of a backend (64 lanes): the lane groups by distance are 0..=6.
const MAX_LANE_BITS: usize = 6;

/// Most blocks of lanes per middle configuration: 2^[`VEC_LOW_BITS`] / 32 (AVX2).
const MAX_BLOCKS: usize = (1 << VEC_LOW_BITS) / 32;

/// Walks `job` on `L` lanes (2^[`VEC_LOW_BITS`] / L blocks of lanes per middle configuration) into
/// the histograms.
#[inline(always)]
fn walk<B: Lanes<L>, const L: usize>(isa: B, job: &Job<'_>, he: &mut [u64], hs: &mut [u64]) {
    const { assert!(L.is_power_of_two() && L >= 32 && L <= 1 << MAX_LANE_BITS) };
    let lane_bits = L.trailing_zeros() as usize;
    let n = job.n;
    let p = job.xi.len();
    let r = job.reference;
    let free = n - job.prefix_bits as usize;
    let k = free.min(VEC_LOW_BITS);
    let blocks = (1usize << k) / L;
    let low: u64 = (1 << k) - 1;
    let full: u64 = (1 << n) - 1;
    let high = full & !low;
    let bias = (128 - (n / 2 + 1)) as u8;
    // Table rows: rows[blk·P + μ][lane] = popcount((v XOR ξ^μ) & low), v = blk·L + lane.
    let mut table = [0u8; MAX_P << VEC_LOW_BITS];
    let rows = table.as_chunks_mut::<L>().0;
    for (blk, rb) in rows.chunks_exact_mut(p).take(blocks).enumerate() {
        for (row, &x) in rb.iter_mut().zip(job.xi) {
            for (lane, b) in row.iter_mut().enumerate() {
                *b = (((blk * L + lane) as u64 ^ x) & low).count_ones() as u8;
            }
        }
    }
    // Lane groups by distance of the lane bits to the reference, and block distances.
    let lane_ref = r & (L as u64 - 1);
    let mut groups = [[0u8; L]; MAX_LANE_BITS + 1];
    for lane in 0..L {
        groups[(lane as u64 ^ lane_ref).count_ones() as usize][lane] = 0xff;
    }
    let groups = &groups[..=lane_bits];
    let mut dblk = [0usize; MAX_BLOCKS];
    for (blk, d) in dblk.iter_mut().enumerate().take(blocks) {
        *d = (((blk * L) as u64 ^ r) & low & !(L as u64 - 1)).count_ones() as usize;
    }
    let win = windows(n, p);
    let hlo_biased = win.hlo + bias;
    let free_mask: u64 = (1 << free) - 1;
    let wpre = job.prefix << free;
    let d_pre = ((wpre ^ r) & full & !free_mask).count_ones() as usize;
    let m = free - k;
    let ref_mid = (r >> k) & ((1u64 << m) - 1);
    let mut s = [0u32; NIBBLE_BATCH * MAX_P];
    // Per-lane byte counters: cnt[blk][key][lane].
    let mut counters = [0u8; KEYS << VEC_LOW_BITS];
    let cnt = counters.as_chunks_mut::<L>().0.as_chunks_mut::<KEYS>().0;
    let mut outl = Outliers { he, hs, p, n, bias };
    for c in 0..=m {
        let d_high = d_pre + c;
        let mut combos = Combos::new(m, c);
        let mut pending = 0usize;
        loop {
            let mut b = 0;
            for (u, sb) in combos.by_ref().zip(s.chunks_exact_mut(p)) {
                let w = wpre | ((u ^ ref_mid) << k);
                for (sv, &x) in sb.iter_mut().zip(job.xi) {
                    let h = ((w ^ x) & high).count_ones() + bias as u32;
                    *sv = h * 0x0101_0101;
                }
                b += 1;
                if b == NIBBLE_BATCH {
                    break;
                }
            }
            if b == 0 {
                break;
            }
            if pending + b > 255 {
                flush(&mut cnt[..blocks], groups, &dblk, d_high, win, &mut outl);
                pending = 0;
            }
            for (blk, cb) in cnt.iter_mut().take(blocks).enumerate() {
                let base = d_high + dblk[blk];
                batch(
                    isa,
                    &rows[blk * p..(blk + 1) * p],
                    &s[..b * p],
                    win.elo,
                    hlo_biased,
                    cb,
                    |_t, lane, e, hb| {
                        let d = base + (lane as u64 ^ lane_ref).count_ones() as usize;
                        outl.add(d, e, hb)
                    },
                );
            }
            pending += b;
            if b < NIBBLE_BATCH {
                break;
            }
        }
        if pending > 0 {
            flush(&mut cnt[..blocks], groups, &dblk, d_high, win, &mut outl);
        }
    }
}

/// Adds the per-lane byte counters to the histograms (lanes grouped by distance) and clears them.
#[inline(always)]
fn flush<const L: usize>(
    cnt: &mut [[[u8; L]; KEYS]],
    groups: &[[u8; L]],
    dblk: &[usize],
    d_high: usize,
    win: Windows,
    o: &mut Outliers<'_>,
) {
    let (n, p) = (o.n, o.p);
    for (blk, cb) in cnt.iter_mut().enumerate() {
        for (v, c) in cb.iter_mut().enumerate() {
            // The key this counter counts, and its column (None past the table).
            let (col, hist, stride) = if v < WINDOW {
                let e = win.elo as usize + v;
                ((e <= p).then_some(e), &mut *o.he, hist_err_stride(p))
            } else {
                let h = win.hlo as usize + v - WINDOW;
                (
                    (h <= n).then(|| 2 * n - 2 * h),
                    &mut *o.hs,
                    hist_smin_stride(n),
                )
            };
            if let Some(col) = col {
                for (j, g) in groups.iter().enumerate() {
                    let sum: u32 = c.iter().zip(g).map(|(&a, &m)| (a & m) as u32).sum();
                    hist[(d_high + dblk[blk] + j) * stride + col] += sum as u64;
                }
            }
            *c = [0; L];
        }
    }
}

// The entry points: the walk compiled with each instruction set's features (so the primitives
// inline and the scalar `popcnt`s are single instructions), the only places the tokens are made.

/// [`walk`] with AVX-512BW on 64 lanes.
#[target_feature(enable = "avx512f,avx512bw,popcnt")]
fn walk_avx512(job: &Job<'_>, he: &mut [u64], hs: &mut [u64]) {
    walk::<_, 64>(Avx512(()), job, he, hs);
}

/// [`walk`] with AVX2 on 32 lanes.
#[target_feature(enable = "avx2,popcnt")]
fn walk_avx2(job: &Job<'_>, he: &mut [u64], hs: &mut [u64]) {
    walk::<_, 32>(Avx2(()), job, he, hs);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combos_visit_every_word_with_c_ones_once() {
        for m in 0..=10usize {
            for c in 0..=m {
                let v: Vec<u64> = Combos::new(m, c).collect();
                let want: Vec<u64> = (0..1u64 << m)
                    .filter(|u| u.count_ones() as usize == c)
                    .collect();
                assert_eq!(v, want, "m={m} c={c}");
            }
        }
    }

    #[test]
    fn windows_cover_the_bulk_and_stay_in_range() {
        let w = windows(30, 15);
        assert_eq!(w.elo, 0);
        // h_max of 15 Binomial(30, 1/2) lies in 12..28 with probability > 0.9999.
        assert!((10..=14).contains(&w.hlo), "{w:?}");
        for n in 1..=62 {
            for p in [1usize, 15, 16, 17, 100, 255] {
                let w = windows(n, p);
                assert!(
                    w.elo as usize + WINDOW <= (p + 1).max(WINDOW),
                    "{n} {p} {w:?}"
                );
                assert!(
                    w.hlo as usize + WINDOW <= (n + 1).max(WINDOW),
                    "{n} {p} {w:?}"
                );
            }
        }
    }
}
