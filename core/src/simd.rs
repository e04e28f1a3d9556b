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
//! the scalar code computes. A run therefore gives the same numbers on every x86-64 machine (and the
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
    /// x86-64 AVX2 (256-bit vectors).
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
    /// Runs the computation.
    fn run(self) -> Self::Output;
}

/// Runs `k` at `level`, or at the baseline if the CPU cannot execute `level`.
#[inline(always)]
pub(crate) fn run<K: Kernel>(level: Level, k: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    {
        match level {
            Level::Avx512 if level.is_available() => {
                // SAFETY: `is_available` checked AVX2 and AVX-512F/VL/DQ on this CPU and OS.
                #[allow(unsafe_code)]
                return unsafe { x86::run_avx512(k) };
            }
            Level::Avx2 | Level::Avx512 if Level::Avx2.is_available() => {
                // SAFETY: `is_available` checked AVX2 on this CPU and OS.
                #[allow(unsafe_code)]
                return unsafe { x86::run_avx2(k) };
            }
            _ => {}
        }
    }
    let _ = level;
    k.run()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Kernel;

    /// `k.run()` compiled with AVX2.
    #[target_feature(enable = "avx,avx2")]
    pub(super) fn run_avx2<K: Kernel>(k: K) -> K::Output {
        k.run()
    }

    /// `k.run()` compiled with AVX2 and AVX-512F/VL/DQ.
    #[target_feature(enable = "avx,avx2,avx512f,avx512vl,avx512dq")]
    pub(super) fn run_avx512<K: Kernel>(k: K) -> K::Output {
        k.run()
    }
}
