//! Seeded randomness. Everything random in flatmin takes an explicit seed and draws from
//! xoshiro256++ ([`Rng`]), seeded with `seed_from_u64` (SplitMix64 expansion, as documented by
//! `rand_xoshiro`). Streams are identical on every platform, which the firmware tests rely on.
//!
//! Per-sample streams for parallel work come from [`derive_seed`]`(base, index)`, so results do not
//! depend on the number of threads or the order samples run in.

use rand_core::{RngCore, SeedableRng};

/// The generator used everywhere: xoshiro256++.
pub type Rng = rand_xoshiro::Xoshiro256PlusPlus;

/// A generator seeded from one `u64` (SplitMix64 expansion).
#[inline]
pub fn rng_from_seed(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

/// One SplitMix64 step (the finalizer of Steele, Lea & Flood 2014), a bijective mixer of `u64`.
#[inline]
pub const fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of sample `index` of a run with base seed `base`: `splitmix64(base ^ splitmix64(index))`.
/// Distinct indices give unrelated streams; the mapping is fixed forever (pinned in tests).
#[inline]
pub const fn derive_seed(base: u64, index: u64) -> u64 {
    splitmix64(base ^ splitmix64(index))
}

/// Uniform double in [0, 1) with 53 random bits.
#[inline]
pub fn uniform<R: RngCore>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform integer in [0, n) (Lemire's multiply-and-reject; exact, platform independent). `n = 0`
/// returns 0.
#[inline]
pub fn below<R: RngCore>(rng: &mut R, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(n);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

/// In-place Fisher–Yates shuffle (uniform permutation).
pub fn shuffle<T, R: RngCore>(rng: &mut R, xs: &mut [T]) {
    for i in (1..xs.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        xs.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64 against its published reference: the first output of the generator seeded with
    /// 0 is 0xE220A8397B1DCDAF (Steele, Lea & Flood 2014; the C reference `splitmix64.c`), i.e.
    /// the mixer applied to 0. This value is independent of flatmin.
    #[test]
    fn splitmix64_reference() {
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    }

    /// Pins the streams, as rand_xoshiro's `reference()` tests do. The literals were computed by
    /// running this code once (rand_xoshiro 0.7 `Xoshiro256PlusPlus::seed_from_u64`, flatmin's
    /// `derive_seed`, `uniform`, `below`, `shuffle`): they pin behaviour, so any change of
    /// generator, seeding or derivation fails here and must be a conscious decision (it changes
    /// every instance file and every seeded result).
    #[test]
    fn pinned_streams() {
        let mut r = rng_from_seed(0);
        let got = [r.next_u64(), r.next_u64(), r.next_u64(), r.next_u64()];
        assert_eq!(got, PIN_SEED0);
        let mut r = rng_from_seed(12345);
        assert_eq!([r.next_u64(), r.next_u64()], PIN_SEED12345);
        assert_eq!(
            [
                derive_seed(0, 0),
                derive_seed(1, 0),
                derive_seed(1, 1),
                derive_seed(42, 7)
            ],
            PIN_DERIVE
        );
        let mut r = rng_from_seed(3);
        assert_eq!(uniform(&mut r).to_bits(), PIN_UNIFORM_BITS);
        let b: [u64; 5] = core::array::from_fn(|_| below(&mut r, 1000));
        assert_eq!(b, PIN_BELOW);
        let mut xs = [0u32, 1, 2, 3, 4, 5, 6, 7];
        shuffle(&mut rng_from_seed(9), &mut xs);
        assert_eq!(xs, PIN_SHUFFLE);
    }

    const PIN_SEED0: [u64; 4] = [
        5_987_356_902_031_041_503,
        7_051_070_477_665_621_255,
        6_633_766_593_972_829_180,
        211_316_841_551_650_330,
    ];
    const PIN_SEED12345: [u64; 2] = [10_201_931_350_592_234_856, 3_780_764_549_115_216_544];
    const PIN_DERIVE: [u64; 4] = [
        12_035_550_249_420_947_055,
        627_405_149_472_732_430,
        16_860_738_450_190_168_606,
        7_974_615_062_405_353_404,
    ];
    const PIN_UNIFORM_BITS: u64 = 0x3faa_57d7_2372_32d0;
    const PIN_BELOW: [u64; 5] = [647, 867, 844, 626, 111];
    const PIN_SHUFFLE: [u32; 8] = [5, 2, 6, 0, 7, 1, 3, 4];

    #[test]
    fn derived_seeds_differ() {
        assert_ne!(derive_seed(1, 0), derive_seed(1, 1));
        assert_ne!(derive_seed(0, 1), derive_seed(1, 0));
    }

    #[test]
    fn below_is_in_range_and_shuffle_is_permutation() {
        let mut r = rng_from_seed(7);
        for n in [1u64, 2, 3, 1000, u64::MAX] {
            for _ in 0..100 {
                assert!(below(&mut r, n) < n);
            }
        }
        let mut xs = [0u32, 1, 2, 3, 4, 5, 6, 7];
        shuffle(&mut r, &mut xs);
        let mut s = xs;
        s.sort_unstable();
        assert_eq!(s, [0, 1, 2, 3, 4, 5, 6, 7]);
    }
}
