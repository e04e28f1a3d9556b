//! Solve with BP: a random binary-perceptron instance (N = 101, α = 0.5, seed 7) in fixed-size buffers,
//! solved by reinforced BP (ALGORITHMS §d.1) in `f32`, and the solution verified with the popcount
//! kernel. Exit 0 only if it is solved and verified. (`solve` does the same with SBPI at N = 127; this
//! one shows that float message passing, too, gives the same bits on x86-64, M3 and M4F.)
//!
//! Memory: the BP workspace holds P·N + 4N `f32` fields (22 KiB at N = 101, P = 51); they are
//! `static mut` buffers that `#[entry]` hands over as `&'static mut`, so they show up in
//! the static RAM that the linker checks against the 32 KiB of the M4F memory map.
#![no_std]
#![no_main]

use flatmin_core::bits::{kernel, words_for, PatternBuf, SpinBuf};
use flatmin_core::bp::{focusing_bp, BpWorkspace, FactorKind, FbpParams};
use flatmin_core::instance::{gauge, generate_random, num_patterns, Instance};
use flatmin_core::stability::{margin, min_stability, Threshold};
use flatmin_firmware::{finish, Meter};

const N: usize = 101;
const P: usize = 51; // ⌊αN + ½⌋ at α = 0.5
const NW: usize = words_for(N);
const SEED: u64 = 7;
const BP_SEED: u64 = 1;
const REALS: usize = BpWorkspace::<f32>::required_reals(N, P, FactorKind::Gaussian);

#[cortex_m_rt::entry]
fn main() -> ! {
    static mut FIELDS: [f32; REALS] = [0.0; REALS];
    static mut PERM: [u32; N + P] = [0; N + P];
    let meter = Meter::start();

    // The instance: P = ⌊αN + ½⌋ random patterns and labels from the seed, gauged.
    assert_eq!(num_patterns(0.5, N), Ok(P));
    let mut xi = PatternBuf::<{ P * NW }>::new(N, P).unwrap();
    let mut labels = [0u64; words_for(P)];
    generate_random(SEED, &mut xi.as_patterns_mut(), &mut labels).unwrap();
    gauge(&mut xi.as_patterns_mut(), &labels).unwrap();
    let inst = Instance::new(xi.as_patterns(), 0.0).unwrap();
    defmt::println!("xi {=[?]}", inst.patterns.words());

    // Reinforced BP in f32: one sweep per step, reinforcement y = 1/(1 − t·dr).
    let mut ws = BpWorkspace::<f32>::new(N, P, FactorKind::Gaussian, FIELDS, PERM).unwrap();
    let params = FbpParams::<f32>::rbp(0.01);
    let mut w = SpinBuf::<NW>::new(N).unwrap();
    let mut stabs = [0i32; P];
    let out = focusing_bp(
        &inst,
        &mut ws,
        &params,
        BP_SEED,
        &mut w.as_spins_mut(),
        &mut stabs,
    )
    .unwrap();
    defmt::println!("solved {=bool}", out.solved);
    defmt::println!("steps {=usize}", out.steps);
    defmt::println!("sweeps {=usize}", out.sweeps);
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
