//! Exact Gray-code enumeration of all 2^N configurations and its histograms (ALGORITHMS §e).
//!
//! For a gauged instance (patterns ξ^μ, every label +1) and a reference configuration w̃, one pass over
//! the 2^N configurations w fills two tables of exact counts:
//!
//! * `hist_err[d][E]`: configurations at Hamming distance d from w̃ with E errors at κ = 0
//!   (`E = #{μ : s_μ < 0}`), stored row-major with stride [`hist_err_stride`]`(P) = P + 1`, length
//!   [`hist_err_len`]`(N, P) = (N + 1)(P + 1)`;
//! * `hist_smin[d][s_min + N]`: the same configurations binned by their smallest stability, stride
//!   [`hist_smin_stride`]`(N) = 2N + 1`, length [`hist_smin_len`]`(N) = (N + 1)(2N + 1)`.
//!
//! Everything else of §e follows from these tables: the number of κ-solutions at every distance for
//! every κ at once ([`counts_by_distance`], `𝒩_κ(d) = Σ_{s_min ≥ T(κ)} hist_smin[d][·]`), totals
//! ([`total_solutions`]), the exact local entropy ([`local_entropy`]) and the exact Legendre pair
//! (φ, q, d, S) at a given λ ([`legendre`]). A uniformly random κ-solution (a typical reference) is the
//! k-th solution in enumeration order for a seeded uniform k ([`Enumerator::nth_solution`],
//! [`solution_index_from_seed`], [`random_solution`]).
//!
//! ## How the loop is organised (and why it is fast)
//!
//! A configuration is a `u64` whose bit i is 1 ⇔ wᵢ = −1 (the packing of ALGORITHMS §a.3), so
//! configurations are also valid one-word [`Spins`] for N ≤ 64.
//!
//! The N bits are split into `b` *prefix* bits (the top bits, fixed per [`Chunk`]), `m` Gray-code bits
//! and `k` *low* bits (the bottom bits, [`DEFAULT_LOW_BITS`] by default). The stability offsets of all
//! 2^k low configurations are tabulated once ([`Enumerator::new`], P·2^k bytes). The Gray code walks the
//! 2^m middle configurations; each step flips one bit j and updates the P stabilities by the
//! precomputed column `−2 w_j(old) ξ^μ_j` (§a.3, §e). For each middle configuration the 2^k low
//! configurations are evaluated in blocks of [`LANES`] at once: lanes are *configurations*, the loop runs
//! over μ, and the stabilities live in `u8` lanes biased by 128 (`s + 128`, exact because |s| ≤ N ≤ 127),
//! so the minimum is an unsigned byte minimum and "s < 0" is a byte compare. LLVM turns this into SSE2 /
//! AVX2 byte vectors without any `unsafe`. The histograms are then incremented once per configuration.
//!
//! ## Vector backends (x86-64)
//!
//! [`Enumerator::accumulate`] runs the fastest [`Backend`] of the CPU, chosen at run time like the
//! popcount kernels: AVX-512BW (64 configurations per vector), AVX2 (32), or the portable loop above.
//! The vector walks (submodule `x86`) count Hamming distances `h_μ = (N − s_μ)/2` in bytes biased so
//! that an error is bit 7, evaluate every middle configuration from scratch (one `popcnt` per pattern)
//! and visit the middle configurations grouped by their distance to the reference, so that a lane's
//! distance is constant for a whole group: the error count and the smallest stability are then counted
//! per lane in nibble counters (`vpshufb` of eight constant tables, two values per byte) and added to
//! the histograms once per group, not once per configuration, which was the wall of the portable loop
//! (two scalar increments per configuration). Keys outside a 16-value window (rare, see `x86`) are
//! counted one by one. Scratch and firmware memory are unchanged: the vector walks keep their tables
//! (P·256 bytes and 8 KiB of counters) on the stack. Same histograms, bit for bit, on every backend
//! (property tests against brute force with every backend forced). Measured on one Zen 4 core (thread
//! CPU time, N = 30, P = 15, `flatmin bench enumerate`): portable 5.7·10⁸, AVX2 2.4·10⁹, AVX-512
//! 2.5·10⁹ configurations/s (2.7·10⁹ for one whole-cube chunk).
//!
//! ## Work splitting
//!
//! [`Chunk`] `{prefix_bits: b, prefix: c}` is the sub-cube whose top b bits equal c. The 2^b chunks of
//! one b partition the cube, so a host can run them on any number of threads and add the histograms:
//! the counts are exact integers and do not depend on the thread count or the order.
//!
//! ## Memory (firmware)
//!
//! * scratch owned by the [`Enumerator`]: [`scratch_len`]`(N, P, k) = N·P + P·2^k + 4·2^k` bytes
//!   (N = 20, P = 10, k = 8: 3 784 bytes; k = 5: 648 bytes);
//! * per running chunk: [`MAX_P`] bytes of stabilities plus 2·[`LANES`] bytes on the stack;
//! * histograms: `(N+1)(P+1) + (N+1)(2N+1)` `u64` (N = 20, P = 10: 1 092 words = 8.7 KiB).
//!
//! Limits: N ≤ [`MAX_N`], 1 ≤ P ≤ [`MAX_P`] (error counts live in bytes). Complexity Θ(2^N · P) time.

use core::ops::ControlFlow;

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86;

use crate::bits::{Patterns, Spins};
use crate::error::{Result, ShapeError};
use crate::rng::{below, rng_from_seed};

/// Largest N accepted (configurations are `u64` and the loop counters must not overflow; in practice
/// N ≲ 34 is the limit of patience).
pub const MAX_N: usize = 62;
/// Largest P accepted (error counts are accumulated in bytes).
pub const MAX_P: usize = 255;
/// Default number of tabulated low bits k (table of P·2^k bytes).
pub const DEFAULT_LOW_BITS: usize = 8;
/// Largest number of low bits accepted.
pub const MAX_LOW_BITS: usize = 16;
/// Configurations evaluated together in the vectorised inner block.
pub const LANES: usize = 32;
/// Prefix bits of the canonical split ([`Enumerator::canonical_chunks`]): at most 2^10 chunks, enough
/// to balance any thread pool while each chunk stays long.
pub const CANONICAL_SPLIT_BITS: u32 = 10;

/// Row stride of `hist_err`: `P + 1` (E = 0..=P).
#[inline]
pub const fn hist_err_stride(p: usize) -> usize {
    p + 1
}

/// Length of `hist_err`: `(N + 1)(P + 1)`.
#[inline]
pub const fn hist_err_len(n: usize, p: usize) -> usize {
    (n + 1) * (p + 1)
}

/// Row stride of `hist_smin`: `2N + 1` (s_min = −N..=N at index s_min + N).
#[inline]
pub const fn hist_smin_stride(n: usize) -> usize {
    2 * n + 1
}

/// Length of `hist_smin`: `(N + 1)(2N + 1)`.
#[inline]
pub const fn hist_smin_len(n: usize) -> usize {
    (n + 1) * (2 * n + 1)
}

/// The number of low bits an [`Enumerator`] built with `low_bits` actually uses: `min(low_bits, N)`.
#[inline]
pub const fn effective_low_bits(n: usize, low_bits: usize) -> usize {
    if low_bits < n {
        low_bits
    } else {
        n
    }
}

/// Scratch bytes [`Enumerator::new`] needs: `N·P + P·2^k + 4·2^k` with `k = min(low_bits, N)`
/// (columns, low-bit offset table, per-low-configuration histogram offsets).
#[inline]
pub const fn scratch_len(n: usize, p: usize, low_bits: usize) -> usize {
    let k = effective_low_bits(n, low_bits);
    n * p + (p << k) + (4 << k)
}

/// An implementation of the histogram loop ([`Enumerator::accumulate_with`]).
///
/// Every backend fills the same histograms bit for bit; they differ only in speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Backend {
    /// The Gray-code walk of the module docs in plain Rust, compiled for the baseline target
    /// (everywhere; the only backend off x86-64).
    Portable,
    /// x86-64 AVX2 + `popcnt`: 32 configurations per vector, distance-grouped walk.
    Avx2,
    /// x86-64 AVX-512F/BW/VL/DQ + `popcnt`: 64 configurations per vector, distance-grouped walk.
    Avx512,
}

impl Backend {
    /// Every backend, in increasing width.
    pub const ALL: [Backend; 3] = [Backend::Portable, Backend::Avx2, Backend::Avx512];

    /// Short name (command line, benchmark ids, `--json`).
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Portable => "portable",
            Backend::Avx2 => "avx2",
            Backend::Avx512 => "avx512",
        }
    }

    /// Parses [`Backend::name`].
    pub fn from_name(s: &str) -> Option<Backend> {
        Backend::ALL.into_iter().find(|b| b.name() == s)
    }

    /// Whether the running CPU (and OS) can execute this backend (detected once, then cached).
    pub fn is_available(self) -> bool {
        match self {
            Backend::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 | Backend::Avx512 => x86::available(self),
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx2 | Backend::Avx512 => false,
        }
    }

    /// The available backends, in the order of [`Backend::ALL`].
    pub fn available() -> impl Iterator<Item = Backend> {
        Backend::ALL.into_iter().filter(|b| b.is_available())
    }

    /// The fastest available backend: what [`Enumerator::accumulate`] uses.
    pub fn best() -> Backend {
        if Backend::Avx512.is_available() {
            Backend::Avx512
        } else if Backend::Avx2.is_available() {
            Backend::Avx2
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

/// A sub-cube of the configuration space: the top `prefix_bits` bits of w equal `prefix`
/// (bit i of the prefix is weight `N − prefix_bits + i`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Chunk {
    /// Number of fixed top bits b.
    pub prefix_bits: u32,
    /// Their value c, `0 ≤ c < 2^b`.
    pub prefix: u64,
}

impl Chunk {
    /// The whole cube (no fixed bits).
    pub const ALL: Chunk = Chunk {
        prefix_bits: 0,
        prefix: 0,
    };

    /// The 2^b chunks that fix the top `prefix_bits` bits, in order of their prefix.
    pub fn split(prefix_bits: u32) -> impl Iterator<Item = Chunk> {
        (0..1u64 << prefix_bits).map(move |prefix| Chunk {
            prefix_bits,
            prefix,
        })
    }
}

/// Precomputed tables for enumerating one instance around one reference (see the module docs).
///
/// Read-only after construction: share one `&Enumerator` between threads and give each thread its
/// own histograms.
#[derive(Debug)]
pub struct Enumerator<'s> {
    n: usize,
    p: usize,
    k: usize,
    /// `cols[j·P + μ] = (−2 ξ^μ_j) as u8`: the stability change when w_j flips from +1 to −1.
    cols: &'s [u8],
    /// `low[μ·2^k + v] = Σ_{i<k, bit i of v} −2 ξ^μ_i`, as wrapping bytes.
    low: &'s [u8],
    /// Per low configuration v, two little-endian `u16` histogram offsets of its distance
    /// `δ_v` to the reference's low bits: `δ_v·(P+1)` (bytes 4v, 4v+1) and `δ_v·(2N+1) + N`
    /// (bytes 4v+2, 4v+3). Precomputed so the per-configuration update is two loads and two adds.
    lane_off: &'s [u8],
    reference: u64,
}

/// Sink for evaluated blocks of configurations (histograms, solution finder).
trait Visitor {
    /// Configurations `high | (v0 + l)` for `l < L` have smallest biased stability `mn[l]` and
    /// `neg[l]` errors at κ = 0; `d_high` is the distance of the non-low bits to the reference.
    fn block<const L: usize>(
        &mut self,
        high: u64,
        d_high: usize,
        v0: usize,
        mn: &[u8; L],
        neg: &[u8; L],
    ) -> ControlFlow<()>;
}

struct HistVisitor<'h, 'l> {
    err: &'h mut [u64],
    smin: &'h mut [u64],
    lane_off: &'l [u8],
    err_stride: usize,
    smin_stride: usize,
}

impl Visitor for HistVisitor<'_, '_> {
    #[inline(always)]
    fn block<const L: usize>(
        &mut self,
        _high: u64,
        d_high: usize,
        v0: usize,
        mn: &[u8; L],
        neg: &[u8; L],
    ) -> ControlFlow<()> {
        let off: &[u8] = &self.lane_off[4 * v0..4 * (v0 + L)];
        let base_e = d_high * self.err_stride;
        let base_s = d_high * self.smin_stride;
        for l in 0..L {
            let oe = u16::from_le_bytes([off[4 * l], off[4 * l + 1]]) as usize;
            let os = u16::from_le_bytes([off[4 * l + 2], off[4 * l + 3]]) as usize;
            self.err[base_e + oe + neg[l] as usize] += 1;
            // os includes +N and the biased s_min is ≥ 128 − N: non-negative before the subtraction.
            self.smin[base_s + os + mn[l] as usize - 128] += 1;
        }
        ControlFlow::Continue(())
    }
}

struct NthVisitor {
    /// Biased threshold: a solution has min ≥ `tb`.
    tb: u8,
    remaining: u64,
    found: Option<u64>,
}

impl Visitor for NthVisitor {
    #[inline(always)]
    fn block<const L: usize>(
        &mut self,
        high: u64,
        _d_high: usize,
        v0: usize,
        mn: &[u8; L],
        _neg: &[u8; L],
    ) -> ControlFlow<()> {
        let count = mn.iter().filter(|&&m| m >= self.tb).count() as u64;
        if count <= self.remaining {
            self.remaining -= count;
            return ControlFlow::Continue(());
        }
        for (l, &m) in mn.iter().enumerate() {
            if m >= self.tb {
                if self.remaining == 0 {
                    self.found = Some(high | (v0 + l) as u64);
                    return ControlFlow::Break(());
                }
                self.remaining -= 1;
            }
        }
        ControlFlow::Continue(())
    }
}

impl<'s> Enumerator<'s> {
    /// Tabulates the columns and the low-bit offsets of the gauged `patterns` around `reference`.
    ///
    /// `scratch.len()` must be at least [`scratch_len`]`(N, P, low_bits)` (the excess is unused);
    /// `low_bits ≤` [`MAX_LOW_BITS`] (it is capped at N). Errors: N = 0 or > [`MAX_N`], P = 0 or >
    /// [`MAX_P`], a reference of the wrong length, a short scratch.
    pub fn new(
        patterns: &Patterns<'_>,
        reference: &Spins<'_>,
        low_bits: usize,
        scratch: &'s mut [u8],
    ) -> Result<Self> {
        let (n, p) = (patterns.n(), patterns.p());
        if n == 0 {
            return Err(ShapeError::ZeroLength);
        }
        if n > MAX_N {
            return Err(ShapeError::InvalidParameter("enumeration needs N <= 62"));
        }
        if p == 0 || p > MAX_P {
            return Err(ShapeError::InvalidParameter(
                "enumeration needs 1 <= P <= 255",
            ));
        }
        if low_bits > MAX_LOW_BITS {
            return Err(ShapeError::InvalidParameter("low_bits must be <= 16"));
        }
        if reference.len() != n {
            return Err(ShapeError::LengthMismatch {
                expected: n,
                got: reference.len(),
            });
        }
        let needed = scratch_len(n, p, low_bits);
        if scratch.len() < needed {
            return Err(ShapeError::BufferTooSmall {
                needed,
                capacity: scratch.len(),
            });
        }
        let k = effective_low_bits(n, low_bits);
        let nv = 1usize << k;
        let (cols, rest) = scratch.split_at_mut(n * p);
        let (low, rest) = rest.split_at_mut(p << k);
        let lane_off = &mut rest[..4 * nv];
        for j in 0..n {
            for mu in 0..p {
                cols[j * p + mu] = (-2 * patterns.get(mu, j)) as u8;
            }
        }
        for mu in 0..p {
            let row = &mut low[mu << k..(mu + 1) << k];
            row[0] = 0;
            // Each v extends v without its top set bit by one column.
            for v in 1..nv {
                let top = usize::BITS - 1 - v.leading_zeros();
                let rest = v & !(1usize << top);
                row[v] = row[rest].wrapping_add(cols[top as usize * p + mu]);
            }
        }
        let reference = reference.words()[0];
        let low_mask = (1u64 << k) - 1;
        for (v, o) in lane_off.chunks_exact_mut(4).enumerate() {
            let d = ((v as u64 ^ reference) & low_mask).count_ones() as usize;
            // ≤ 16·256 and ≤ 16·125 + 62: both fit u16.
            let oe = (d * hist_err_stride(p)) as u16;
            let os = (d * hist_smin_stride(n) + n) as u16;
            o[..2].copy_from_slice(&oe.to_le_bytes());
            o[2..].copy_from_slice(&os.to_le_bytes());
        }
        Ok(Enumerator {
            n,
            p,
            k,
            cols,
            low,
            lane_off,
            reference,
        })
    }

    /// N.
    #[inline]
    pub fn n(&self) -> usize {
        self.n
    }

    /// P.
    #[inline]
    pub fn p(&self) -> usize {
        self.p
    }

    /// The number k of tabulated low bits.
    #[inline]
    pub fn low_bits(&self) -> usize {
        self.k
    }

    /// The largest `prefix_bits` a [`Chunk`] may have: `N − k` (the low bits are never fixed).
    #[inline]
    pub fn max_prefix_bits(&self) -> u32 {
        (self.n - self.k) as u32
    }

    /// The canonical split into chunks: prefix bits `min(CANONICAL_SPLIT_BITS, N − k)`, in prefix order.
    /// Use it for anything whose result depends on the order of the configurations (the k-th solution),
    /// so that results do not depend on how the chunks are scheduled or on the thread count.
    pub fn canonical_chunks(&self) -> impl Iterator<Item = Chunk> {
        Chunk::split(CANONICAL_SPLIT_BITS.min(self.max_prefix_bits()))
    }

    /// The reference as a configuration word (bit i = 1 ⇔ w̃ᵢ = −1).
    #[inline]
    pub fn reference(&self) -> u64 {
        self.reference
    }

    /// Adds the counts of every configuration of `chunk` to `hist_err` (length
    /// [`hist_err_len`]`(N, P)`) and `hist_smin` (length [`hist_smin_len`]`(N)`). The tables are
    /// *accumulated*, not cleared, so chunks can be summed into one pair of tables.
    ///
    /// Runs the fastest backend of this CPU ([`Backend::best`]).
    pub fn accumulate(
        &self,
        chunk: Chunk,
        hist_err: &mut [u64],
        hist_smin: &mut [u64],
    ) -> Result<()> {
        self.accumulate_with(Backend::best(), chunk, hist_err, hist_smin)
    }

    /// [`Enumerator::accumulate`] with a chosen backend (benchmarks, tests). A backend the CPU cannot
    /// run, and a vector backend on a chunk of fewer than 2^12 configurations (`N − prefix_bits < 12`,
    /// where its set-up costs more than it saves), run the portable loop instead; the counts are the
    /// same either way.
    pub fn accumulate_with(
        &self,
        backend: Backend,
        chunk: Chunk,
        hist_err: &mut [u64],
        hist_smin: &mut [u64],
    ) -> Result<()> {
        self.check_chunk(chunk)?;
        let (n, p) = (self.n, self.p);
        if hist_err.len() != hist_err_len(n, p) {
            return Err(ShapeError::LengthMismatch {
                expected: hist_err_len(n, p),
                got: hist_err.len(),
            });
        }
        if hist_smin.len() != hist_smin_len(n) {
            return Err(ShapeError::LengthMismatch {
                expected: hist_smin_len(n),
                got: hist_smin.len(),
            });
        }
        #[cfg(target_arch = "x86_64")]
        if backend != Backend::Portable {
            let mut xi = [0u64; MAX_P];
            for (mu, x) in xi[..p].iter_mut().enumerate() {
                // cols = −2ξ as a byte: 2 where ξ = −1 (bit 1 of the packing).
                *x = (0..n).fold(0u64, |acc, j| {
                    acc | (u64::from(self.cols[j * p + mu] == 2) << j)
                });
            }
            let job = x86::Job {
                n,
                xi: &xi[..p],
                reference: self.reference,
                prefix_bits: chunk.prefix_bits,
                prefix: chunk.prefix,
            };
            if x86::accumulate(backend, &job, hist_err, hist_smin) {
                return Ok(());
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = backend;
        let mut vis = HistVisitor {
            err: hist_err,
            smin: hist_smin,
            lane_off: self.lane_off,
            err_stride: hist_err_stride(p),
            smin_stride: hist_smin_stride(n),
        };
        let _ = self.walk(chunk, &mut vis);
        Ok(())
    }

    /// The `index`-th (0-based) configuration of `chunk`, in enumeration order, whose smallest
    /// stability is at least `t` (a κ-solution for `t = T(κ)`), as a configuration word; `None` when the
    /// chunk holds `index` or fewer such configurations. The order is fixed: chunks by prefix, then the
    /// Gray-code order of the middle bits, then the low bits in increasing order.
    pub fn nth_solution(&self, chunk: Chunk, t: i32, index: u64) -> Result<Option<u64>> {
        Ok(self.find_or_count(chunk, t, index)?.ok())
    }

    /// Number of configurations of `chunk` whose smallest stability is at least `t` (no histogram
    /// memory needed).
    pub fn solutions_in_chunk(&self, chunk: Chunk, t: i32) -> Result<u64> {
        Ok(self
            .find_or_count(chunk, t, u64::MAX)?
            .err()
            .unwrap_or(u64::MAX))
    }

    /// `Ok(w)`: the `index`-th solution of the chunk; `Err(count)`: the chunk has only `count`.
    fn find_or_count(
        &self,
        chunk: Chunk,
        t: i32,
        index: u64,
    ) -> Result<core::result::Result<u64, u64>> {
        self.check_chunk(chunk)?;
        let n = self.n as i32;
        if t > n {
            return Ok(Err(0));
        }
        let tb = (t.max(-n) + 128) as u8;
        let mut vis = NthVisitor {
            tb,
            remaining: index,
            found: None,
        };
        let _ = self.walk(chunk, &mut vis);
        Ok(vis.found.ok_or(index - vis.remaining))
    }

    fn check_chunk(&self, chunk: Chunk) -> Result<()> {
        if chunk.prefix_bits > self.max_prefix_bits() {
            return Err(ShapeError::InvalidParameter(
                "chunk prefix_bits exceeds N - low_bits",
            ));
        }
        if chunk.prefix >> chunk.prefix_bits != 0 {
            return Err(ShapeError::InvalidParameter(
                "chunk prefix does not fit in prefix_bits",
            ));
        }
        Ok(())
    }

    fn walk<V: Visitor>(&self, chunk: Chunk, vis: &mut V) -> ControlFlow<()> {
        if (1usize << self.k) >= LANES {
            self.walk_lanes::<LANES, V>(chunk, vis)
        } else {
            self.walk_lanes::<1, V>(chunk, vis)
        }
    }

    #[inline(always)]
    fn walk_lanes<const L: usize, V: Visitor>(&self, chunk: Chunk, vis: &mut V) -> ControlFlow<()> {
        let (n, p, k) = (self.n, self.p, self.k);
        let free = n - chunk.prefix_bits as usize;
        let m = free - k;
        let mut w: u64 = chunk.prefix << free;
        let full_mask = if n == 64 { !0 } else { (1u64 << n) - 1 };
        let high_mask = full_mask & !((1u64 << k) - 1);
        // Stabilities of (prefix, middle = 0, low = 0), biased by 128.
        let mut s = [0u8; MAX_P];
        for (mu, sm) in s[..p].iter_mut().enumerate() {
            let mut acc: i32 = 0;
            for j in 0..n {
                // ξ^μ_j = −cols/2; the spin is −1 where w has a 1.
                let xi = -((self.cols[j * p + mu] as i8) as i32) / 2;
                acc += if (w >> j) & 1 == 1 { -xi } else { xi };
            }
            *sm = (acc + 128) as u8;
        }
        let s = &mut s[..p];
        let steps: u64 = 1u64 << m;
        for t in 0..steps {
            if t > 0 {
                let j = k + t.trailing_zeros() as usize;
                let col = &self.cols[j * p..(j + 1) * p];
                if (w >> j) & 1 == 0 {
                    for (x, &c) in s.iter_mut().zip(col) {
                        *x = x.wrapping_add(c);
                    }
                } else {
                    for (x, &c) in s.iter_mut().zip(col) {
                        *x = x.wrapping_sub(c);
                    }
                }
                w ^= 1u64 << j;
            }
            let d_high = ((w ^ self.reference) & high_mask).count_ones() as usize;
            self.low_blocks::<L, V>(s, w, d_high, vis)?;
        }
        ControlFlow::Continue(())
    }

    #[inline(always)]
    fn low_blocks<const L: usize, V: Visitor>(
        &self,
        s: &[u8],
        high: u64,
        d_high: usize,
        vis: &mut V,
    ) -> ControlFlow<()> {
        let k = self.k;
        let nv = 1usize << k;
        let mut v0 = 0;
        while v0 < nv {
            let mut mn = [u8::MAX; L];
            let mut neg = [0u8; L];
            for (mu, &b) in s.iter().enumerate() {
                let base = (mu << k) + v0;
                let row: &[u8; L] = self.low[base..base + L]
                    .try_into()
                    .expect("block inside table");
                for l in 0..L {
                    let x = b.wrapping_add(row[l]);
                    mn[l] = mn[l].min(x);
                    neg[l] += (x < 128) as u8;
                }
            }
            vis.block::<L>(high, d_high, v0, &mn, &neg)?;
            v0 += L;
        }
        ControlFlow::Continue(())
    }
}

/// Number of configurations at each distance d (`out[d]`, length N + 1) whose smallest stability is at
/// least `t`: the κ-solutions at distance d for `t = T(κ)`, `𝒩_κ(d) = Σ_{s_min ≥ t} hist_smin[d][·]`
/// (§e). Works for every κ from one table.
pub fn counts_by_distance(hist_smin: &[u64], n: usize, t: i32, out: &mut [u64]) -> Result<()> {
    if hist_smin.len() != hist_smin_len(n) {
        return Err(ShapeError::LengthMismatch {
            expected: hist_smin_len(n),
            got: hist_smin.len(),
        });
    }
    if out.len() != n + 1 {
        return Err(ShapeError::LengthMismatch {
            expected: n + 1,
            got: out.len(),
        });
    }
    let stride = hist_smin_stride(n);
    let first = (t as i64 + n as i64).clamp(0, stride as i64) as usize;
    for (d, o) in out.iter_mut().enumerate() {
        *o = hist_smin[d * stride + first..(d + 1) * stride].iter().sum();
    }
    Ok(())
}

/// Total number of configurations with smallest stability ≥ `t` (Z(κ) for `t = T(κ)`).
pub fn total_solutions(hist_smin: &[u64], n: usize, t: i32) -> Result<u64> {
    if hist_smin.len() != hist_smin_len(n) {
        return Err(ShapeError::LengthMismatch {
            expected: hist_smin_len(n),
            got: hist_smin.len(),
        });
    }
    let stride = hist_smin_stride(n);
    let first = (t as i64 + n as i64).clamp(0, stride as i64) as usize;
    Ok(hist_smin
        .chunks_exact(stride)
        .map(|row| row[first..].iter().sum::<u64>())
        .sum())
}

/// Exact local entropy `S(d) = ln 𝒩(d) / N` for each distance (§e); `−∞` where the count is 0.
/// `out.len() == counts.len()`.
pub fn local_entropy(counts: &[u64], n: usize, out: &mut [f64]) -> Result<()> {
    if out.len() != counts.len() {
        return Err(ShapeError::LengthMismatch {
            expected: counts.len(),
            got: out.len(),
        });
    }
    for (o, &c) in out.iter_mut().zip(counts) {
        *o = if c == 0 {
            f64::NEG_INFINITY
        } else {
            libm::log(c as f64) / n as f64
        };
    }
    Ok(())
}

/// The exact Legendre pair of §e at one λ.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Legendre {
    /// λ.
    pub lambda: f64,
    /// φ(λ) = (1/N) ln Σ_d 𝒩(d) e^{λ(N − 2d)}.
    pub phi: f64,
    /// q(λ) = Σ_d (1 − 2d/N) w_d with the Boltzmann weights w_d ∝ 𝒩(d) e^{λ(N − 2d)}.
    pub q: f64,
    /// The normalized distance d = (1 − q)/2.
    pub d: f64,
    /// The local entropy S = φ − λq.
    pub s: f64,
}

/// The exact Legendre pair (φ, q, d, S) of the counts `𝒩(d)` (`counts.len() == N + 1`) at λ, computed
/// with a log-sum-exp (no overflow for any finite λ). Errors when every count is 0 (no solution: φ
/// would be −∞) or λ is not finite.
pub fn legendre(counts: &[u64], n: usize, lambda: f64) -> Result<Legendre> {
    if counts.len() != n + 1 {
        return Err(ShapeError::LengthMismatch {
            expected: n + 1,
            got: counts.len(),
        });
    }
    if !lambda.is_finite() {
        return Err(ShapeError::InvalidParameter("lambda must be finite"));
    }
    let nf = n as f64;
    let expo = |d: usize, c: u64| libm::log(c as f64) + lambda * (nf - 2.0 * d as f64);
    let max = counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(d, &c)| expo(d, c))
        .fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return Err(ShapeError::InvalidParameter(
            "no configuration to weigh: all counts are 0",
        ));
    }
    let (mut z, mut qz) = (0.0, 0.0);
    for (d, &c) in counts.iter().enumerate() {
        if c > 0 {
            let wgt = libm::exp(expo(d, c) - max);
            z += wgt;
            qz += wgt * (1.0 - 2.0 * d as f64 / nf);
        }
    }
    let phi = (max + libm::log(z)) / nf;
    let q = qz / z;
    Ok(Legendre {
        lambda,
        phi,
        q,
        d: (1.0 - q) / 2.0,
        s: phi - lambda * q,
    })
}

/// The index of the solution a seed selects among `total` solutions: uniform in `0..total`
/// (xoshiro256++ from `seed`, Lemire's exact bounded draw). Host and core use the same draw, so a
/// parallel search and [`random_solution`] pick the same configuration.
pub fn solution_index_from_seed(seed: u64, total: u64) -> u64 {
    below(&mut rng_from_seed(seed), total)
}

/// A uniformly random configuration with smallest stability ≥ `t` (a uniformly random κ-solution for
/// `t = T(κ)`, a typical reference, §e), chosen by `seed` among the `total` such configurations
/// (obtain `total` from [`total_solutions`]; a wrong `total` makes the draw non-uniform or returns
/// `None`). The index runs over [`Enumerator::canonical_chunks`] in order (the host's parallel search
/// picks the same configuration). Single-threaded second pass; `None` when there is no solution.
pub fn random_solution(
    enumerator: &Enumerator<'_>,
    t: i32,
    total: u64,
    seed: u64,
) -> Result<Option<u64>> {
    if total == 0 {
        return Ok(None);
    }
    let mut index = solution_index_from_seed(seed, total);
    for chunk in enumerator.canonical_chunks() {
        match enumerator.find_or_count(chunk, t, index)? {
            Ok(w) => return Ok(Some(w)),
            Err(count) => index -= count,
        }
    }
    Ok(None)
}

/// Binomial coefficient C(n, d) as an exact `u64` (n ≤ 62).
pub fn binomial(n: usize, d: usize) -> u64 {
    if d > n {
        return 0;
    }
    let d = d.min(n - d);
    let mut c: u128 = 1;
    for i in 0..d {
        // exact: c·(n−i) is divisible by (i+1) after the multiplication.
        c = c * (n - i) as u128 / (i + 1) as u128;
    }
    c as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bits::{words_for, PatternsMut};
    use crate::instance::generate_random;

    fn brute(n: usize, p: usize, xi: &[u64], reference: u64) -> (Vec<u64>, Vec<u64>) {
        let pats = Patterns::new(n, p, xi).unwrap();
        let mut he = vec![0u64; hist_err_len(n, p)];
        let mut hs = vec![0u64; hist_smin_len(n)];
        let mut s = vec![0i32; p];
        for w in 0..1u64 << n {
            let ws = [w];
            crate::bits::kernel::stabilities(&Spins::new(n, &ws).unwrap(), &pats, &mut s).unwrap();
            let d = (w ^ reference).count_ones() as usize;
            let e = s.iter().filter(|&&x| x < 0).count();
            let m = *s.iter().min().unwrap();
            he[d * (p + 1) + e] += 1;
            hs[d * (2 * n + 1) + (m + n as i32) as usize] += 1;
        }
        (he, hs)
    }

    #[test]
    fn matches_brute_force_with_chunks_and_low_bits() {
        for (seed, n, p) in [
            (1u64, 1usize, 1usize),
            (2, 4, 3),
            (3, 7, 5),
            (4, 10, 8),
            (5, 12, 9),
            (6, 11, 20),
        ] {
            let mut xi = vec![0u64; p * words_for(n)];
            let mut labels = vec![0u64; words_for(p)];
            generate_random(
                seed,
                &mut PatternsMut::new(n, p, &mut xi).unwrap(),
                &mut labels,
            )
            .unwrap();
            let reference = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7) & ((1u64 << n) - 1);
            let (be, bs) = brute(n, p, &xi, reference);
            let pats = Patterns::new(n, p, &xi).unwrap();
            let rw = [reference];
            let r = Spins::new(n, &rw).unwrap();
            for low in [0usize, 3, 5, 8] {
                let mut scratch = vec![0u8; scratch_len(n, p, low)];
                let e = Enumerator::new(&pats, &r, low, &mut scratch).unwrap();
                for b in 0..=e.max_prefix_bits().min(3) {
                    let mut he = vec![0u64; hist_err_len(n, p)];
                    let mut hs = vec![0u64; hist_smin_len(n)];
                    for c in Chunk::split(b) {
                        e.accumulate(c, &mut he, &mut hs).unwrap();
                    }
                    assert_eq!(he, be, "hist_err n={n} p={p} low={low} b={b}");
                    assert_eq!(hs, bs, "hist_smin n={n} p={p} low={low} b={b}");
                }
            }
        }
    }

    #[test]
    fn nth_solution_walks_all_solutions_once() {
        let (n, p) = (9usize, 4usize);
        let mut xi = vec![0u64; p];
        let mut labels = vec![0u64; 1];
        generate_random(
            11,
            &mut PatternsMut::new(n, p, &mut xi).unwrap(),
            &mut labels,
        )
        .unwrap();
        let pats = Patterns::new(n, p, &xi).unwrap();
        let rw = [0u64];
        let mut scratch = vec![0u8; scratch_len(n, p, 5)];
        let e = Enumerator::new(&pats, &Spins::new(n, &rw).unwrap(), 5, &mut scratch).unwrap();
        let mut he = vec![0u64; hist_err_len(n, p)];
        let mut hs = vec![0u64; hist_smin_len(n)];
        e.accumulate(Chunk::ALL, &mut he, &mut hs).unwrap();
        let total = total_solutions(&hs, n, 1).unwrap();
        let mut seen = std::collections::HashSet::new();
        let mut s = vec![0i32; p];
        for i in 0..total {
            let w = e.nth_solution(Chunk::ALL, 1, i).unwrap().unwrap();
            let ws = [w];
            crate::bits::kernel::stabilities(&Spins::new(n, &ws).unwrap(), &pats, &mut s).unwrap();
            assert!(s.iter().all(|&x| x >= 1));
            assert!(seen.insert(w));
        }
        assert_eq!(e.nth_solution(Chunk::ALL, 1, total).unwrap(), None);
    }

    #[test]
    fn binomials() {
        assert_eq!(binomial(15, 7), 6435);
        assert_eq!(binomial(62, 31), 465428353255261088);
        assert_eq!(binomial(3, 5), 0);
    }
}
