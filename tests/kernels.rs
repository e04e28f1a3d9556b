//! Property tests of the XOR-popcount kernels (ALGORITHMS §a.3, validation table row
//! "Σ w x via popcount = direct sum, every N incl. 64k±1": exact).
//!
//! Reference: the naive sum Σᵢ wᵢ ξ^μ_i over `i8` spins ±1, computed before packing, so it shares no
//! code with the kernels. Tolerance: none (integers, exact). Every backend is checked, the unavailable
//! ones too (they must fall back to the portable code and still be exact), at
//! N ∈ {1, 63, 64, 65, 127, 128, 129, 1001, 8192, 65537} and random P, including the all-(+1) and
//! all-(−1) extremes that saturate the per-byte counters of the AVX2 kernel.

use flatmin_core::bits::kernel::{self, Backend};
use flatmin_core::bits::{words_for, Patterns, PatternsMut, Spins, SpinsMut};
use flatmin_core::rng::{rng_from_seed, uniform};
use proptest::prelude::*;

/// The sizes the spec names (§a.3) plus the large ones.
const NS: [usize; 10] = [1, 63, 64, 65, 127, 128, 129, 1001, 8192, 65537];

/// ±1 spins, −1 with probability `q` (q = 0 and q = 1 give the constant vectors).
fn random_signs(seed: u64, len: usize, q: f64) -> Vec<i8> {
    let mut rng = rng_from_seed(seed);
    (0..len)
        .map(|_| if uniform(&mut rng) < q { -1 } else { 1 })
        .collect()
}

fn naive_dot(a: &[i8], b: &[i8]) -> i64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| i64::from(x) * i64::from(y))
        .sum()
}

/// Builds w and ξ, and checks every backend against the naive sums.
fn check_all_backends(
    n: usize,
    p: usize,
    seed: u64,
    qw: f64,
    qx: f64,
) -> Result<(), TestCaseError> {
    let w_signs = random_signs(seed, n, qw);
    let x_signs = random_signs(seed ^ 0x9e37_79b9_7f4a_7c15, n * p, qx);
    let nw = words_for(n);

    let mut w_words = vec![0u64; nw];
    SpinsMut::new(n, &mut w_words)
        .unwrap()
        .set_from_signs(&w_signs)
        .unwrap();
    let mut x_words = vec![0u64; nw * p];
    {
        let mut pm = PatternsMut::new(n, p, &mut x_words).unwrap();
        for mu in 0..p {
            pm.row_mut(mu)
                .set_from_signs(&x_signs[mu * n..(mu + 1) * n])
                .unwrap();
        }
    }
    let w = Spins::new(n, &w_words).unwrap();
    let xi = Patterns::new(n, p, &x_words).unwrap();

    let expect: Vec<i32> = x_signs
        .chunks_exact(n)
        .map(|row| naive_dot(&w_signs, row) as i32)
        .collect();
    for b in Backend::ALL {
        let mut out = vec![i32::MIN; p];
        kernel::stabilities_with(b, &w, &xi, &mut out).unwrap();
        prop_assert_eq!(
            &out,
            &expect,
            "backend {} (runs as {}), N={}, P={}",
            b,
            b.effective(),
            n,
            p
        );
        for (mu, &e) in expect.iter().enumerate().take(3) {
            let d = kernel::dot_with(b, &w, &xi.row(mu)).unwrap();
            prop_assert_eq!(d, i64::from(e), "dot, backend {}, N={}", b, n);
            let h = kernel::hamming_with(b, &w, &xi.row(mu)).unwrap();
            prop_assert_eq!(h as i64, (n as i64 - i64::from(e)) / 2, "hamming, {}", b);
        }
    }
    let mut out = vec![0i32; p];
    kernel::stabilities(&w, &xi, &mut out).unwrap();
    prop_assert_eq!(&out, &expect, "best backend {}", Backend::best());
    Ok(())
}

/// Density of −1 entries: the two constant extremes, or random.
fn density() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 1 => Just(1.0), 4 => 0.0..=1.0f64]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every N of the list, P up to ~40 (fewer at N = 65537 to keep the naive sum cheap).
    #[test]
    fn every_backend_equals_the_naive_sum(
        ni in 0..NS.len(),
        p_frac in 0.0..1.0f64,
        seed in any::<u64>(),
        qw in density(),
        qx in density(),
    ) {
        let n = NS[ni];
        let p_max = if n > 10_000 { 9 } else { 41 };
        let p = (p_frac * p_max as f64) as usize;
        check_all_backends(n, p, seed, qw, qx)?;
    }

    /// Arbitrary N (any tail length, any number of AVX2 flush blocks and AVX-512 chunks).
    #[test]
    fn arbitrary_sizes(n in 1usize..3000, p in 0usize..13, seed in any::<u64>(), qw in density(), qx in density()) {
        check_all_backends(n, p, seed, qw, qx)?;
    }
}

/// Each listed N once deterministically with P = 7 (a blocked group of four plus a remainder of three),
/// so every size is covered on every run, whatever proptest draws.
#[test]
fn every_listed_size_once() {
    for (i, &n) in NS.iter().enumerate() {
        check_all_backends(n, 7, 1000 + i as u64, 0.5, 0.5).unwrap();
        check_all_backends(n, 5, 2000 + i as u64, 1.0, 0.0).unwrap();
    }
}

#[test]
fn shape_errors_are_results() {
    let w_words = [0u64; 2];
    let x_words = [0u64; 6];
    let w = Spins::new(100, &w_words).unwrap();
    let xi = Patterns::new(100, 3, &x_words).unwrap();
    let mut out = [0i32; 2];
    assert!(
        kernel::stabilities(&w, &xi, &mut out).is_err(),
        "out too short"
    );
    let w65 = Spins::new(65, &w_words).unwrap();
    let mut out3 = [0i32; 3];
    assert!(
        kernel::stabilities(&w65, &xi, &mut out3).is_err(),
        "N mismatch"
    );
    assert!(kernel::dot(&w, &w65).is_err());
    assert!(kernel::hamming(&w, &w65).is_err());
}

#[test]
fn detection_is_consistent() {
    // Backend::best is available and the listed names parse back.
    assert!(Backend::best().is_available());
    for b in Backend::available() {
        assert_eq!(Backend::from_name(b.name()), Some(b));
        assert_eq!(b.effective(), b);
    }
    #[cfg(target_arch = "x86_64")]
    {
        assert_eq!(
            Backend::Popcnt.is_available(),
            std::is_x86_feature_detected!("popcnt")
        );
        assert_eq!(
            Backend::Avx512.is_available(),
            std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512vpopcntdq")
        );
    }
}
