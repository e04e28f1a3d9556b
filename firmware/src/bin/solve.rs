//! Solve: a random binary-perceptron instance (N = 127, α = 0.5, seed 7) generated in fixed-size
//! buffers. Logs the gauged patterns bit for bit, the clipped-Hebb weights and their stabilities.
#![no_std]
#![no_main]

use flatmin_core::bits::{PatternBuf, SpinBuf};
use flatmin_core::instance::{gauge, generate_random, num_patterns, Instance};
use flatmin_core::stability::margin;
use flatmin_firmware::{finish, Meter};

const N: usize = 127;
const NW: usize = flatmin_core::bits::words_for(N);
const P_MAX: usize = 64;
const SEED: u64 = 7;

#[cortex_m_rt::entry]
fn main() -> ! {
    let meter = Meter::start();
    let p = num_patterns(0.5, N).unwrap();
    let mut xi = PatternBuf::<{ P_MAX * NW }>::new(N, p).unwrap();
    let mut labels = [0u64; flatmin_core::bits::words_for(P_MAX)];
    generate_random(SEED, &mut xi.as_patterns_mut(), &mut labels).unwrap();
    gauge(&mut xi.as_patterns_mut(), &labels).unwrap();
    let inst = Instance::new(xi.as_patterns(), 0.0).unwrap();
    defmt::println!("n {=usize}", inst.n());
    defmt::println!("p {=usize}", inst.p());
    defmt::println!("xi {=[?]}", inst.patterns.words());

    // Clipped Hebb (ALGORITHMS §d.5): w_i = sign0(Σ_μ ξ^μ_i).
    let mut w = SpinBuf::<NW>::new(N).unwrap();
    let mut sums = [0i32; N];
    for row in inst.patterns.rows() {
        for (i, s) in sums.iter_mut().enumerate() {
            *s += i32::from(row.get(i));
        }
    }
    w.as_spins_mut().set_from_signs(&sums).unwrap();
    let mut stabs = [0i32; P_MAX];
    let errors = inst.errors(&w.as_spins(), &mut stabs[..p]).unwrap();
    defmt::println!("hebb {=[?]}", w.as_spins().words());
    defmt::println!("hebb_stabilities {=[?]}", &stabs[..p]);
    defmt::println!("hebb_errors {=usize}", errors);
    defmt::println!("hebb_margin {=f64}", margin(&stabs[..p], N));
    finish(meter, true)
}
