//! Run-time selection of the vector width for the hot floating-point loops (the Gaussian factor
//! update of BP, [`crate::bp::factor::gaussian_update`]).
//!
//! The core is portable code; a default `cargo build --release` targets baseline x86-64 (SSE2, two
//! f64 lanes). On x86-64 the same source is additionally compiled with AVX2 (four lanes) and with
//! AVX-512F/VL/DQ, and the widest level the running CPU and OS support is picked at run time
//! (detected once, cached; the same detection as [`crate::bits::kernel`]).
//!
//! **Bit-identical results at every level.** A level only lets LLVM use wider registers for the same
//! IEEE-754 operations in the same order: Rust never contracts `a * b + c` into a fused multiply-add
//! and never reassociates floating-point sums, so a wider vector computes lane by lane exactly what
//! the scalar code computes. Kernels that want a fused multiply-add ask for it with `mul_add`:
//! one FMA instruction at the AVX2 and AVX-512 levels (which require FMA), libm's correctly
//! rounded software `fma` at the baseline: the same single rounding, the same bits (the baseline,
//! only run by CPUs without AVX2 and FMA, is then much slower in those kernels). A run therefore gives the same numbers on every x86-64 machine (and the
//! f32 path the same numbers as on a Cortex-M, whose firmware test compares them); the unit tests of
//! `bp::factor` check the equality bit for bit.
//!
//! All `unsafe` of this module is the call of a `#[target_feature]` function after the detection
//! said the CPU has the feature.

/// A vector instruction level for the floating-point loops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Level {
    /// The build's baseline target (SSE2 on x86-64; everything on other architectures).
    Baseline,
    /// x86-64 AVX2 and FMA (256-bit vectors).
    Avx2,
    /// x86-64 AVX-512F + VL + DQ (512-bit vectors, mask registers).
    Avx512,
}

impl Level {
    /// Every level, in increasing width.
    pub const ALL: [Level; 3] = [Level::Baseline, Level::Avx2, Level::Avx512];

    /// Short name (benchmark ids, `--json` output).
    pub const fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    /// Whether the running CPU (and OS) can execute this level.
    pub fn is_available(self) -> bool {
        let (avx2, avx512) = crate::bits::kernel::float_vector_features();
        match self {
            Level::Baseline => true,
            Level::Avx2 => avx2,
            Level::Avx512 => avx2 && avx512,
        }
    }

    /// The widest available level: the one [`crate::bp::factor::gaussian_update`] uses.
    pub fn best() -> Level {
        if Level::Avx512.is_available() {
            Level::Avx512
        } else if Level::Avx2.is_available() {
            Level::Avx2
        } else {
            Level::Baseline
        }
    }
}

/// A computation that can be compiled at several vector levels: its `run` must be
/// `#[inline(always)]` (and everything hot it calls too), so that it is inlined into, and compiled
/// with the features of, each level's wrapper.
pub(crate) trait Kernel {
    /// The result.
    type Output;
    /// Runs the computation. `FMA`: the code runs where fused multiply-add instructions exist (the
    /// AVX2 and AVX-512 levels, which require FMA), so [`mul_add`]`::<FMA>` is one instruction.
    /// Only this module's level wrappers pass `true`.
    fn run<const FMA: bool>(self) -> Self::Output;
}

/// a·b + c with one rounding (IEEE fusedMultiplyAdd), the same bits at every level: on x86-64 the
/// FMA instruction when `FMA` (only inside the AVX2/AVX-512 wrappers, which run on CPUs with FMA:
/// see [`Kernel::run`]), else libm's correctly rounded `fma` (a library call: the baseline level,
/// which only CPUs without AVX2 and FMA run, pays for the identical bits); on AArch64 the NEON
/// instruction always; elsewhere libm's. Loops over it vectorize where it is an instruction.
#[inline(always)]
pub(crate) fn mul_add<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use core::arch::x86_64::{_mm_cvtsd_f64, _mm_fmadd_sd, _mm_set_sd};
        // SAFETY: `FMA` is true only in code compiled into `x86::run_avx2`/`x86::run_avx512`, which
        // `run` calls only after the detection found FMA (with AVX2) on this CPU and OS.
        #[allow(unsafe_code)]
        return unsafe { _mm_cvtsd_f64(_mm_fmadd_sd(_mm_set_sd(a), _mm_set_sd(b), _mm_set_sd(c))) };
    }
    // AArch64 with NEON (every AArch64 target but the soft-float ones) has a fused multiply-add:
    // one instruction at every level.
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    {
        use core::arch::aarch64::{vdup_n_f64, vfma_f64, vget_lane_f64};
        // SAFETY: the build enables NEON (the cfg above), so these instructions exist; they
        // compute on values only.
        #[allow(unsafe_code)]
        unsafe {
            vget_lane_f64::<0>(vfma_f64(vdup_n_f64(c), vdup_n_f64(a), vdup_n_f64(b)))
        }
    }
    #[cfg(not(all(target_arch = "aarch64", target_feature = "neon")))]
    libm::fma(a, b, c)
}

/// Runs `k` at `level`, or at the baseline if the CPU cannot execute `level`.
#[inline(always)]
pub(crate) fn run<K: Kernel>(level: Level, k: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    {
        match level {
            Level::Avx512 if level.is_available() => {
                // SAFETY: `is_available` checked AVX2, FMA and AVX-512F/VL/DQ on this CPU and OS.
                #[allow(unsafe_code)]
                return unsafe { x86::run_avx512(k) };
            }
            Level::Avx2 | Level::Avx512 if Level::Avx2.is_available() => {
                // SAFETY: `is_available` checked AVX2 and FMA on this CPU and OS.
                #[allow(unsafe_code)]
                return unsafe { x86::run_avx2(k) };
            }
            _ => {}
        }
    }
    let _ = level;
    k.run::<false>()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Kernel;

    /// `k.run()` compiled with AVX2 and FMA.
    #[target_feature(enable = "avx,avx2,fma")]
    pub(super) fn run_avx2<K: Kernel>(k: K) -> K::Output {
        k.run::<true>()
    }

    /// `k.run()` compiled with AVX2, FMA and AVX-512F/VL/DQ.
    #[target_feature(enable = "avx,avx2,fma,avx512f,avx512vl,avx512dq")]
    pub(super) fn run_avx512<K: Kernel>(k: K) -> K::Output {
        k.run::<true>()
    }
}
