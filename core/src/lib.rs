//! # flatmin-core
//!
//! `no_std`, allocation-free numerics for the geometry of solutions of binary neural networks: the wide
//! flat minima of the binary perceptron (Baldassi, Lauditi, Malatesta, Perugini, Zecchina, PRL 127,
//! 278301, 2021) and the clustering of solutions of the symmetric binary perceptron (Baldassi, Della
//! Vecchia, Lucibello, Zecchina, J. Stat. Mech. 2020).
//!
//! The modules read top to bottom as the physics:
//!
//! | module | what | spec |
//! |---|---|---|
//! | [`bits`] | packed ±1 vectors, pattern matrices, popcount kernels and their backends | ALGORITHMS §a.3 |
//! | [`instance`] | random and teacher–student instances, gauge | ALGORITHMS §a.1 |
//! | [`stability`] | stabilities, the threshold T(κ), margin, errors | ALGORITHMS §a.2 |
//! | [`special`] | H, ln H, g = G/H, erfcx, ln 2cosh, H₂ | THEORY §S1.1 |
//! | [`quad`] | Gauss–Hermite, Gauss–Legendre and the other rules the integrands need | THEORY §S1.2 |
//! | [`roots`] | Brent; saddle-point solvers | THEORY §S1.3 |
//! | [`theory`] | replica theory: RS, Franz–Parisi, phases, 1RSB, committee, SBP | THEORY §S2–S6 |
//! | [`bp`] | belief propagation, Bethe entropy, focusing BP | ALGORITHMS §b–c |
//! | [`solvers`] | SBPI, CP+R, simulated annealing | ALGORITHMS §d |
//! | [`enumerate`] | exact Gray-code enumeration and its histograms | ALGORITHMS §e |
//! | [`flatness`] | local energy, maximal variation, distance to level sets | ALGORITHMS §f |
//! | [`network`] | exact bit-packed evaluation of deep binary networks (bit-plane first layer) | DEEP §g.3 |
//!
//! Conventions: everything sized by N or P lives in caller-provided slices (fixed-capacity wrappers such
//! as [`bits::SpinBuf`] serve firmware); fallible operations return `Result` with small error enums and
//! never panic on input; every random procedure takes an explicit seed ([`rng`]); numerics that
//! firmware runs are generic over [`real::Real`] (`f32`/`f64`).
//!
//! Features: `std` (run-time CPU feature detection for the kernels; the host enables it), `defmt`
//! (`defmt::Format` for public types, for firmware logging).
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod bits;
pub mod bp;
pub mod enumerate;
pub mod error;
pub mod flatness;
pub mod instance;
pub mod network;
pub mod quad;
pub mod real;
pub mod rng;
pub mod roots;
pub mod simd;
pub mod solvers;
pub mod special;
pub mod stability;
pub mod theory;

pub use error::{Result, ShapeError};
pub use real::Real;
