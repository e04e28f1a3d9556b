//! Count: exact enumeration (ALGORITHMS §e) of a small teacher–student instance, N = 19, α = 0.5
//! (P = 10), seed 11. Every one of the 2^19 configurations is visited by the Gray-code enumerator;
//! the program logs the two histograms around the teacher, the κ = 0 solution counts by distance to
//! the teacher, their total, and one uniformly random solution.
#![no_std]
#![no_main]

use flatmin_core::bits::{words_for, PatternBuf, SpinBuf};
use flatmin_core::enumerate::{
    counts_by_distance, hist_err_len, hist_smin_len, random_solution, scratch_len, total_solutions,
    Chunk, Enumerator,
};
use flatmin_core::instance::{gauge, generate_teacher, num_patterns};
use flatmin_core::stability::Threshold;
use flatmin_firmware::{finish, Meter};

const N: usize = 19;
const P: usize = 10;
const LOW_BITS: usize = 8;
const SEED: u64 = 11;

#[cortex_m_rt::entry]
fn main() -> ! {
    let meter = Meter::start();
    assert_eq!(num_patterns(0.5, N), Ok(P));
    let mut teacher = SpinBuf::<{ words_for(N) }>::new(N).unwrap();
    let mut xi = PatternBuf::<{ P * words_for(N) }>::new(N, P).unwrap();
    let mut labels = [0u64; words_for(P)];
    generate_teacher(
        SEED,
        &mut teacher.as_spins_mut(),
        &mut xi.as_patterns_mut(),
        &mut labels,
    )
    .unwrap();
    gauge(&mut xi.as_patterns_mut(), &labels).unwrap();
    defmt::println!("xi {=[?]}", xi.as_patterns().words());
    defmt::println!("teacher {=u64}", teacher.as_spins().words()[0]);

    // One pass over the 2^N configurations around the teacher.
    let mut scratch = [0u8; scratch_len(N, P, LOW_BITS)];
    let e = Enumerator::new(
        &xi.as_patterns(),
        &teacher.as_spins(),
        LOW_BITS,
        &mut scratch,
    )
    .unwrap();
    let mut hist_err = [0u64; hist_err_len(N, P)];
    let mut hist_smin = [0u64; hist_smin_len(N)];
    e.accumulate(Chunk::ALL, &mut hist_err, &mut hist_smin)
        .unwrap();
    defmt::println!("hist_err {=[?]}", &hist_err[..]);
    defmt::println!("hist_smin {=[?]}", &hist_smin[..]);

    // κ = 0 solutions: by distance to the teacher, in total, and one drawn uniformly (seed 5).
    let t = Threshold::new(0.0, N).unwrap().t;
    let mut counts = [0u64; N + 1];
    counts_by_distance(&hist_smin, N, t, &mut counts).unwrap();
    let total = total_solutions(&hist_smin, N, t).unwrap();
    let typical = random_solution(&e, t, total, 5).unwrap();
    defmt::println!("counts {=[?]}", &counts[..]);
    defmt::println!("total {=u64}", total);
    defmt::println!("random_solution {=u64}", typical.unwrap_or(u64::MAX));

    // Checks (§e): every distance shell is complete, and the teacher (d = 0) is a solution.
    let shells_ok = (0..=N)
        .all(|d| hist_err[d * (P + 1)..(d + 1) * (P + 1)].iter().sum::<u64>() == binomial(N, d));
    finish(meter, shells_ok && counts[0] == 1 && typical.is_some())
}

/// C(n, k), exact for the small n here.
fn binomial(n: usize, k: usize) -> u64 {
    (0..k).fold(1u64, |c, i| c * (n - i) as u64 / (i + 1) as u64)
}
