//! Solve: a random binary-perceptron instance (N = 127, α = 0.5, seed 7) in fixed-size buffers,
//! solved by SBPI (ALGORITHMS §d.2: K = 20, θ_m = 1, p_s = 0.3), and the solution verified with the
//! popcount kernel. Exit 0 only if it is solved and verified.
#![no_std]
#![no_main]

use flatmin_core::bits::{kernel, words_for, PatternBuf, SpinBuf};
use flatmin_core::instance::{gauge, generate_random, num_patterns, Instance};
use flatmin_core::solvers::sbpi::{sbpi, SbpiParams};
use flatmin_core::stability::{margin, min_stability, Threshold};
use flatmin_firmware::{finish, Meter};

const N: usize = 127;
const P: usize = 64; // ⌊αN + ½⌋ at α = 0.5
const NW: usize = words_for(N);
const SEED: u64 = 7;
const SOLVER_SEED: u64 = 1;

#[cortex_m_rt::entry]
fn main() -> ! {
    let meter = Meter::start();

    // The instance: P random patterns and labels from the seed, gauged (every label +1).
    assert_eq!(num_patterns(0.5, N), Ok(P));
    let mut xi = PatternBuf::<{ P * NW }>::new(N, P).unwrap();
    let mut labels = [0u64; words_for(P)];
    generate_random(SEED, &mut xi.as_patterns_mut(), &mut labels).unwrap();
    gauge(&mut xi.as_patterns_mut(), &labels).unwrap();
    let inst = Instance::new(xi.as_patterns(), 0.0).unwrap();
    defmt::println!("xi {=[?]}", inst.patterns.words());

    // SBPI: integer hidden states, one popcount dot product per presentation.
    let mut w = SpinBuf::<NW>::new(N).unwrap();
    let (mut hidden, mut perm, mut stabs) = ([0i8; N], [0u32; P], [0i32; P]);
    let params = SbpiParams::default();
    let out = sbpi(
        &inst,
        &params,
        SOLVER_SEED,
        &mut w.as_spins_mut(),
        &mut hidden,
        &mut perm,
        &mut stabs,
    )
    .unwrap();
    defmt::println!("solved {=bool}", out.solved);
    defmt::println!("sweeps {=usize}", out.sweeps);
    defmt::println!("steps {=u64}", out.steps);
    defmt::println!("w {=[?]}", w.as_spins().words());

    // Verify independently of the solver: the portable popcount kernel and the integer threshold.
    let mut s = [0i32; P];
    kernel::stabilities_with(
        kernel::Backend::Portable,
        &w.as_spins(),
        &inst.patterns,
        &mut s,
    )
    .unwrap();
    let errors = Threshold::new(0.0, N).unwrap().errors(&s);
    defmt::println!("errors {=usize}", errors);
    defmt::println!("min_stability {=i32}", min_stability(&s).unwrap());
    defmt::println!("margin {=f64}", margin(&s, N));
    finish(meter, out.solved && errors == 0 && s == stabs)
}
