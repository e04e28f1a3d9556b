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

// ---------------------------------------------------------------------------------------------------
// The packed matrix product (`bits::gemm`): every backend and every fused variant against the naive
// product of the `i8` spins, at shapes around every word (64 bits), AVX2 vector (256), AVX-512 vector
// (512), register tile (R, P around 2 and 4), weight group (R around 64) and k-block (N around
// 256·64 = 16384) boundary, zero rows included.

use flatmin_core::bits::gemm;
use flatmin_core::error::ShapeError;

/// Packs `rows` rows of `n` signs (row-major) into words.
fn pack(n: usize, rows: usize, signs: &[i8]) -> Vec<u64> {
    let mut words = vec![0u64; words_for(n) * rows];
    let mut pm = PatternsMut::new(n, rows, &mut words).unwrap();
    for r in 0..rows {
        pm.row_mut(r)
            .set_from_signs(&signs[r * n..(r + 1) * n])
            .unwrap();
    }
    words
}

/// R × N weights and P × N patterns with −1 densities `qa`, `qb`; checks the three products of every
/// backend (and of the default one) against the naive sums, the threshold `t` for `count_below`.
fn check_gemm(
    n: usize,
    r: usize,
    p: usize,
    seed: u64,
    qa: f64,
    qb: f64,
    t: i32,
) -> Result<(), TestCaseError> {
    let a_signs = random_signs(seed, n * r, qa);
    let b_signs = random_signs(seed ^ 0x5851_f42d_4c95_7f2d, n * p, qb);
    let (aw, bw) = (pack(n, r, &a_signs), pack(n, p, &b_signs));
    let a = Patterns::new(n, r, &aw).unwrap();
    let b = Patterns::new(n, p, &bw).unwrap();
    let mut expect = vec![0i32; r * p];
    for i in 0..r {
        for mu in 0..p {
            expect[i * p + mu] =
                naive_dot(&a_signs[i * n..(i + 1) * n], &b_signs[mu * n..(mu + 1) * n]) as i32;
        }
    }
    let expect_below: Vec<u32> = (0..r)
        .map(|i| (0..p).filter(|&mu| expect[i * p + mu] < t).count() as u32)
        .collect();
    for backend in Backend::ALL {
        let ctx = format!("backend {backend}, N={n}, R={r}, P={p}");
        // One spare entry: it must stay untouched.
        let mut out = vec![i32::MIN; r * p + 1];
        gemm::dot_matrix_with(backend, &a, &b, &mut out).unwrap();
        prop_assert_eq!(&out[..r * p], &expect[..], "dot_matrix, {}", &ctx);
        prop_assert_eq!(out[r * p], i32::MIN, "spare entry written, {}", &ctx);

        let mut below = vec![u32::MAX; r];
        gemm::count_below_with(backend, &a, &b, t, &mut below).unwrap();
        prop_assert_eq!(&below, &expect_below, "count_below t={}, {}", t, &ctx);

        if r > 0 {
            // Start dirty: sign_matrix must overwrite every bit.
            let mut sw = vec![!0u64; words_for(r) * p];
            let mut sm = PatternsMut::new(r, p, &mut sw).unwrap();
            gemm::sign_matrix_with(backend, &a, &b, &mut sm).unwrap();
            let s = sm.as_patterns();
            for mu in 0..p {
                for i in 0..r {
                    let want = if expect[i * p + mu] < 0 { -1 } else { 1 };
                    prop_assert_eq!(s.get(mu, i), want, "sign ({}, {}), {}", mu, i, &ctx);
                }
            }
            prop_assert!(Patterns::new(r, p, &sw).is_ok(), "padding, {}", &ctx);
        }

        // Unit-major sign words: dirty start (every bit must be overwritten, padding zeroed), one
        // spare word that must stay untouched.
        let kw = p.div_ceil(64);
        let mut rows = vec![!0u64; r * kw + 1];
        gemm::sign_rows_with(backend, &a, &b, &mut rows).unwrap();
        prop_assert_eq!(
            rows[r * kw],
            !0u64,
            "sign_rows spare word written, {}",
            &ctx
        );
        for i in 0..r {
            for k in 0..kw {
                let want = (0..64)
                    .filter(|&c| k * 64 + c < p && expect[i * p + k * 64 + c] < 0)
                    .fold(0u64, |m, c| m | 1 << c);
                prop_assert_eq!(
                    rows[i * kw + k],
                    want,
                    "sign_rows ({}, word {}), {}",
                    i,
                    k,
                    &ctx
                );
            }
        }
    }
    let mut out = vec![0i32; r * p];
    gemm::dot_matrix(&a, &b, &mut out).unwrap();
    prop_assert_eq!(&out, &expect, "default backend {}", Backend::best());
    Ok(())
}

/// N around word, vector and k-block boundaries.
const GEMM_NS: [usize; 14] = [
    1, 2, 63, 64, 65, 127, 128, 129, 255, 256, 511, 512, 513, 1001,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Arbitrary shapes: any N up to 1100, R up to 70 (past one weight group), P up to 11.
    #[test]
    fn gemm_equals_the_naive_product(
        n in 1usize..1100,
        r in 0usize..70,
        p in 0usize..12,
        seed in any::<u64>(),
        qa in density(),
        qb in density(),
        t_frac in -1.0..1.0f64,
    ) {
        let t = (t_frac * n as f64) as i32;
        check_gemm(n, r, p, seed, qa, qb, t)?;
    }
}

/// Every listed N with R, P around the register tiles (1..=9) once, deterministically; products of
/// exactly 0 occur at even N with ±1 densities 1/2 (sign(0) = +1 checked).
#[test]
fn gemm_tile_boundaries() {
    for (k, &n) in GEMM_NS.iter().enumerate() {
        for r in [0usize, 1, 2, 3, 4, 5, 8, 9] {
            for p in [0usize, 1, 3, 4, 5, 9] {
                let seed = (k * 100 + r * 10 + p) as u64;
                check_gemm(n, r, p, seed, 0.5, 0.5, 0).unwrap();
            }
        }
    }
    // The saturated extremes (every XOR bit set / none).
    check_gemm(8192, 5, 6, 1, 1.0, 0.0, 0).unwrap();
    check_gemm(8193, 6, 5, 2, 1.0, 1.0, 8193).unwrap();
}

/// R around the weight group (64) and N around the k-block (16384 bits) and past two of them.
#[test]
fn gemm_cache_block_boundaries() {
    for r in [63usize, 64, 65, 129] {
        check_gemm(200, r, 5, r as u64, 0.5, 0.5, -3).unwrap();
    }
    for n in [16383usize, 16384, 16385, 32769] {
        check_gemm(n, 5, 5, n as u64, 0.5, 0.5, 2).unwrap();
    }
    check_gemm(16448, 65, 3, 9, 0.3, 0.6, 0).unwrap();
}

/// P around the AVX-512 word tile's visit width (48 patterns = 8 tiles of 6) and its multiples, at
/// rows long enough for that tile (N ≥ 4096), R inside and past a weight group; N = 8192 (whole
/// 512-bit chunks, no padding) and N = 4097 (a 1-bit last word).
#[test]
fn gemm_visit_width_boundaries() {
    for (k, &p) in [47usize, 48, 49, 96, 97].iter().enumerate() {
        check_gemm(4097, 5, p, 40 + k as u64, 0.5, 0.5, 1).unwrap();
    }
    check_gemm(4097, 65, 49, 50, 0.4, 0.5, -2).unwrap();
    check_gemm(8192, 9, 49, 51, 0.5, 0.5, 0).unwrap();
}

/// `sign_rows` (and the other products) with P around the visit widths (40 patterns on the
/// lane-transposed AVX-512 tile of short rows, 48 on the word tile) and the 64-pattern sign words,
/// so that visits straddle output words; R past a weight group.
#[test]
fn gemm_sign_rows_word_boundaries() {
    for (k, &p) in [39usize, 40, 41, 63, 64, 65, 79, 80, 81, 121, 128, 129, 200]
        .iter()
        .enumerate()
    {
        check_gemm(501, 65, p, 60 + k as u64, 0.5, 0.5, 0).unwrap();
        check_gemm(64, 3, p, 80 + k as u64, 0.5, 0.5, 0).unwrap();
    }
    check_gemm(4097, 5, 129, 99, 0.5, 0.5, 0).unwrap();
    // The widest rows of the lane-transposed tile (63 words) and the narrowest of the word tile.
    check_gemm(4032, 9, 81, 97, 0.5, 0.5, 0).unwrap();
    check_gemm(4033, 9, 81, 98, 0.5, 0.5, 0).unwrap();
}

/// The instruction-mix probes of the benchmarks do the work they report, and exist exactly where
/// their instructions do.
#[test]
fn op_mix_probe_reports_its_work() {
    use gemm::OpMix;
    let x86 = cfg!(target_arch = "x86_64");
    // 24 dependent `add`s per iteration of the assembly loop (x86.rs, `op_mix`), 10 iterations.
    assert_eq!(
        gemm::op_mix_probe(OpMix::AddChain, 10),
        x86.then_some(10 * 24)
    );
    let avx512 = x86 && Backend::Avx512.is_available() && Backend::Popcnt.is_available();
    for mix in [OpMix::Avx512, OpMix::Avx512Scalar] {
        let want = avx512.then_some(7 * mix.work_per_iteration());
        assert_eq!(gemm::op_mix_probe(mix, 7), want, "{mix:?}");
        assert_eq!(gemm::op_mix_probe(mix, 0), avx512.then_some(0), "{mix:?}");
    }
    // The loops' bodies in x86.rs: 24 `mix_triplet!`s of 512 bits (`mix_vector_body!`), and with
    // the scalar mix 16 `mix_scalar!` word products of 64 bits beside them.
    assert_eq!(OpMix::Avx512.work_per_iteration(), 24 * 512);
    assert_eq!(OpMix::Avx512Scalar.work_per_iteration(), 24 * 512 + 16 * 64);
}

#[test]
fn gemm_shape_errors_are_results() {
    let aw = [0u64; 6];
    let bw = [0u64; 4];
    let a = Patterns::new(100, 3, &aw).unwrap();
    let b = Patterns::new(100, 2, &bw).unwrap();
    let b65 = Patterns::new(65, 2, &bw).unwrap();
    let mut out = [0i32; 6];
    assert!(gemm::dot_matrix(&a, &b65, &mut out).is_err(), "N mismatch");
    assert_eq!(
        gemm::dot_matrix(&a, &b, &mut out[..5]),
        Err(ShapeError::BufferTooSmall {
            needed: 6,
            capacity: 5
        })
    );
    let mut counts = [0u32; 2];
    assert!(gemm::count_below(&a, &b, 0, &mut counts).is_err());
    assert!(gemm::count_below(&a, &b65, 0, &mut [0u32; 3]).is_err());
    let mut sw = [0u64; 3];
    let mut wrong_r = PatternsMut::new(2, 3, &mut sw).unwrap();
    assert!(
        gemm::sign_matrix(&a, &b, &mut wrong_r).is_err(),
        "out.n != R"
    );
    let mut sw = [0u64; 3];
    let mut wrong_p = PatternsMut::new(3, 3, &mut sw).unwrap();
    assert!(
        gemm::sign_matrix(&a, &b, &mut wrong_p).is_err(),
        "out.p != P"
    );
    let mut sw = [0u64; 2];
    let mut ok = PatternsMut::new(3, 2, &mut sw).unwrap();
    assert!(gemm::sign_matrix(&a, &b, &mut ok).is_ok());
    let mut rows = [0u64; 3];
    assert!(gemm::sign_rows(&a, &b65, &mut rows).is_err(), "N mismatch");
    assert_eq!(
        gemm::sign_rows(&a, &b, &mut rows[..2]),
        Err(ShapeError::BufferTooSmall {
            needed: 3,
            capacity: 2
        })
    );
    assert!(gemm::sign_rows(&a, &b, &mut rows).is_ok());
}

/// The read-bandwidth probe of the benchmarks is the XOR of all words on every backend.
#[test]
fn xor_fold_is_the_xor_of_all_words() {
    let mut rng = rng_from_seed(3);
    for len in [0usize, 1, 7, 8, 31, 32, 33, 63, 64, 65, 1000] {
        let words: Vec<u64> = (0..len)
            .map(|_| rand_core::RngCore::next_u64(&mut rng))
            .collect();
        let want = words.iter().fold(0, |x, &w| x ^ w);
        for b in Backend::ALL {
            assert_eq!(
                gemm::xor_fold_with(b, &words),
                want,
                "backend {b}, len {len}"
            );
        }
    }
}
