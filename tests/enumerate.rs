//! Exact enumeration (ALGORITHMS §e) against the oracle fixtures (vendored in `tests/fixtures`, format of
//! tests/fixtures/README.md) and against brute force. Every table must agree exactly; the Legendre pair to
//! 1e-12 (it is a log-sum-exp of exact integers).

use flatmin_core::bits::{words_for, Patterns, PatternsMut, Spins};
use flatmin_core::enumerate::{
    binomial, counts_by_distance, hist_err_len, hist_smin_len, legendre, local_entropy,
    random_solution, scratch_len, total_solutions, Backend, Chunk, Enumerator, DEFAULT_LOW_BITS,
};
use flatmin_core::instance::generate_random;
use flatmin_core::stability::Threshold;
use flatmin_host::io::InstanceFile;
use proptest::prelude::*;
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const NAMES: [&str; 4] = [
    "N15_a30_k030",
    "N15_a50_k000",
    "N15_a60_k000",
    "N21_a30_k030",
];

/// A fixture instance, gauged (ALGORITHMS §a.4), with its reference lines as configuration words.
struct Fixture {
    n: usize,
    p: usize,
    kappa: f64,
    xi: Vec<u64>,
    refs: Vec<u64>,
    answers: Value,
}

/// Reads a fixture through the project's own reader of the §a.4 format (`flatmin_host::io`); every
/// fixture has N ≤ 64, so a reference is one word.
fn load(name: &str) -> Fixture {
    let f = InstanceFile::read(std::path::Path::new(&format!("{FIXTURES}/{name}.txt"))).unwrap();
    let (n, p, kappa) = (f.n, f.p, f.kappa);
    let xi = f.gauged_patterns().unwrap();
    let refs = f.refs.iter().map(|r| r[0]).collect();
    let answers: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{FIXTURES}/{name}.answers.json")).unwrap(),
    )
    .unwrap();
    Fixture {
        n,
        p,
        kappa,
        xi,
        refs,
        answers,
    }
}

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn table(v: &Value) -> Vec<u64> {
    v.as_array().unwrap().iter().flat_map(u64s).collect()
}

fn enumerate(f: &Fixture, reference: u64, prefix_bits: u32) -> (Vec<u64>, Vec<u64>) {
    let pats = Patterns::new(f.n, f.p, &f.xi).unwrap();
    let rw = [reference];
    let mut scratch = vec![0u8; scratch_len(f.n, f.p, DEFAULT_LOW_BITS)];
    let e = Enumerator::new(
        &pats,
        &Spins::new(f.n, &rw).unwrap(),
        DEFAULT_LOW_BITS,
        &mut scratch,
    )
    .unwrap();
    let mut he = vec![0u64; hist_err_len(f.n, f.p)];
    let mut hs = vec![0u64; hist_smin_len(f.n)];
    for c in Chunk::split(prefix_bits) {
        e.accumulate(c, &mut he, &mut hs).unwrap();
    }
    (he, hs)
}

#[test]
fn histograms_equal_fixture_tables_exactly() {
    for name in NAMES {
        let f = load(name);
        assert_eq!(f.answers["N"].as_u64().unwrap() as usize, f.n);
        for (i, (&r, ans)) in f
            .refs
            .iter()
            .zip(f.answers["refs"].as_array().unwrap())
            .enumerate()
        {
            // fixture: refs[i].hist_err / hist_smin (oracle enumeration in C), exact.
            for b in [0, 3] {
                let (he, hs) = enumerate(&f, r, b);
                assert_eq!(
                    he,
                    table(&ans["hist_err"]),
                    "{name} ref {i} hist_err (prefix bits {b})"
                );
                assert_eq!(
                    hs,
                    table(&ans["hist_smin"]),
                    "{name} ref {i} hist_smin (prefix bits {b})"
                );
                // §e check: Σ_E hist_err[d][E] = C(N, d).
                for d in 0..=f.n {
                    let row: u64 = he[d * (f.p + 1)..(d + 1) * (f.p + 1)].iter().sum();
                    assert_eq!(row, binomial(f.n, d), "{name} ref {i} row sum at d = {d}");
                }
            }
        }
    }
}

#[test]
fn counts_entropy_and_legendre_equal_fixtures() {
    for name in NAMES {
        let f = load(name);
        let lambdas: Vec<f64> = f.answers["lambdas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        for (i, (&r, ans)) in f
            .refs
            .iter()
            .zip(f.answers["refs"].as_array().unwrap())
            .enumerate()
        {
            let (_, hs) = enumerate(&f, r, 0);
            for block in ans["by_kappa"].as_array().unwrap() {
                let kappa = block["kappa"].as_f64().unwrap();
                let t = Threshold::new(kappa, f.n).unwrap().t;
                assert_eq!(t as i64, block["T"].as_i64().unwrap(), "{name} T({kappa})");
                let mut counts = vec![0u64; f.n + 1];
                counts_by_distance(&hs, f.n, t, &mut counts).unwrap();
                assert_eq!(
                    counts,
                    u64s(&block["counts_by_distance"]),
                    "{name} ref {i} κ={kappa} counts"
                );
                let total = total_solutions(&hs, f.n, t).unwrap();
                assert_eq!(
                    total,
                    block["total_solutions"].as_u64().unwrap(),
                    "{name} ref {i} κ={kappa} total"
                );
                let mut s = vec![0.0; f.n + 1];
                local_entropy(&counts, f.n, &mut s).unwrap();
                for (d, (got, want)) in s
                    .iter()
                    .zip(block["local_entropy"].as_array().unwrap())
                    .enumerate()
                {
                    match want.as_f64() {
                        // fixture: null where the count is 0; we return −∞ there.
                        None => assert_eq!(*got, f64::NEG_INFINITY, "{name} ref {i} S({d})"),
                        Some(w) => assert!(
                            (got - w).abs() <= 1e-12,
                            "{name} ref {i} S({d}): {got} vs {w}"
                        ),
                    }
                }
                for (lam, want) in lambdas.iter().zip(block["legendre"].as_array().unwrap()) {
                    let got = legendre(&counts, f.n, *lam).unwrap();
                    for (g, key) in [(got.phi, "phi"), (got.q, "q"), (got.d, "d"), (got.s, "S")] {
                        let w = want[key].as_f64().unwrap();
                        assert!(
                            (g - w).abs() <= 1e-12,
                            "{name} ref {i} κ={kappa} λ={lam} {key}: {g} vs {w}"
                        );
                    }
                }
            }
            let _ = f.kappa;
        }
    }
}

/// Brute force: every configuration's stabilities from scratch, binned the same way.
fn brute(n: usize, p: usize, xi: &[u64], reference: u64) -> (Vec<u64>, Vec<u64>) {
    let pats = Patterns::new(n, p, xi).unwrap();
    let mut he = vec![0u64; hist_err_len(n, p)];
    let mut hs = vec![0u64; hist_smin_len(n)];
    for w in 0..1u64 << n {
        let d = (w ^ reference).count_ones() as usize;
        let s: Vec<i32> = (0..p)
            .map(|mu| {
                (0..n)
                    .map(|i| pats.get(mu, i) as i32 * if (w >> i) & 1 == 1 { -1 } else { 1 })
                    .sum()
            })
            .collect();
        he[d * (p + 1) + s.iter().filter(|&&x| x < 0).count()] += 1;
        hs[d * (2 * n + 1) + (s.iter().min().unwrap() + n as i32) as usize] += 1;
    }
    (he, hs)
}

#[test]
fn enumeration_equals_brute_force_up_to_n12() {
    // 40 seeded random instances, N = 1..=12, P = 1..=2N, random reference, random chunking.
    for seed in 0..40u64 {
        let n = 1 + (seed % 12) as usize;
        let p = 1 + ((seed * 7) % (2 * n as u64)) as usize;
        let xi = random_xi(n, p, seed);
        let reference = flatmin_core::rng::splitmix64(seed) & ((1u64 << n) - 1);
        let (be, bs) = brute(n, p, &xi, reference);
        let low = (seed % 9) as usize;
        // Prefix bits asked for (at most the enumerator's maximum are used).
        let b = seed as u32 % 4;
        let (he, hs) = run_backend(n, &xi, reference, low, b, Backend::best());
        assert_eq!(he, be, "seed {seed}: N={n} P={p} low={low} b={b}");
        assert_eq!(hs, bs, "seed {seed}: N={n} P={p} low={low} b={b}");
    }
}

#[test]
fn random_solution_is_a_solution_and_seed_deterministic() {
    let f = load("N15_a50_k000");
    let (_, hs) = enumerate(&f, 0, 0);
    let total = total_solutions(&hs, f.n, 0).unwrap();
    assert_eq!(
        total,
        f.answers["refs"][0]["by_kappa"][0]["total_solutions"]
            .as_u64()
            .unwrap()
    );
    let pats = Patterns::new(f.n, f.p, &f.xi).unwrap();
    let rw = [0u64];
    let mut scratch = vec![0u8; scratch_len(f.n, f.p, 5)];
    let e = Enumerator::new(&pats, &Spins::new(f.n, &rw).unwrap(), 5, &mut scratch).unwrap();
    let mut s = vec![0i32; f.p];
    for seed in 0..20 {
        let w = random_solution(&e, 0, total, seed).unwrap().unwrap();
        assert_eq!(Some(w), random_solution(&e, 0, total, seed).unwrap());
        let ws = [w];
        flatmin_core::bits::kernel::stabilities(&Spins::new(f.n, &ws).unwrap(), &pats, &mut s)
            .unwrap();
        assert!(s.iter().all(|&x| x >= 0), "seed {seed}: not a solution");
    }
}

#[test]
fn bad_shapes_are_errors_not_panics() {
    let f = load("N15_a30_k030");
    let pats = Patterns::new(f.n, f.p, &f.xi).unwrap();
    let rw = [0u64];
    let r = Spins::new(f.n, &rw).unwrap();
    let mut small = vec![0u8; 10];
    assert!(Enumerator::new(&pats, &r, 8, &mut small).is_err());
    let mut scratch = vec![0u8; scratch_len(f.n, f.p, 8)];
    let e = Enumerator::new(&pats, &r, 8, &mut scratch).unwrap();
    let mut he = vec![0u64; 3];
    let mut hs = vec![0u64; hist_smin_len(f.n)];
    assert!(e.accumulate(Chunk::ALL, &mut he, &mut hs).is_err());
    let mut he = vec![0u64; hist_err_len(f.n, f.p)];
    assert!(e
        .accumulate(
            Chunk {
                prefix_bits: 8,
                prefix: 0
            },
            &mut he,
            &mut hs
        )
        .is_err());
    assert!(e
        .accumulate(
            Chunk {
                prefix_bits: 2,
                prefix: 4
            },
            &mut he,
            &mut hs
        )
        .is_err());
    assert!(legendre(&[0; 16], 15, 0.5).is_err());
}

#[test]
fn host_parallel_tables_equal_fixtures_for_any_thread_count() {
    // The host splits the cube into top-bit chunks on a rayon pool; counts must not depend on it.
    use flatmin_host::experiments::enumeration::{random_solution as par_solution, tables};
    use flatmin_host::harness::with_threads;
    use flatmin_host::io::{InstanceFile, Problem};
    let file = InstanceFile::read(std::path::Path::new(&format!(
        "{FIXTURES}/N21_a30_k030.txt"
    )))
    .unwrap();
    let problem = Problem::from_file(&file, None).unwrap();
    let f = load("N21_a30_k030");
    for k in 1..=file.refs.len() {
        let w = file.reference(k).unwrap();
        let ans = &f.answers["refs"][k - 1];
        for threads in [1, 2, 3] {
            let t = with_threads(Some(threads), || tables(&problem, &w))
                .unwrap()
                .unwrap();
            assert_eq!(
                t.hist_err,
                table(&ans["hist_err"]),
                "R{k} hist_err, {threads} threads"
            );
            assert_eq!(
                t.hist_smin,
                table(&ans["hist_smin"]),
                "R{k} hist_smin, {threads} threads"
            );
        }
    }
    // The parallel random solution is the same configuration for any thread count, and a solution.
    let t = Threshold::new(f.kappa, f.n).unwrap().t;
    let a = with_threads(Some(1), || par_solution(&problem, t, 5))
        .unwrap()
        .unwrap()
        .unwrap();
    let b = with_threads(Some(2), || par_solution(&problem, t, 5))
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(a, b);
    // … and the same configuration as the single-threaded core draw.
    let pats = Patterns::new(f.n, f.p, &f.xi).unwrap();
    let zero = [0u64];
    let mut scratch = vec![0u8; scratch_len(f.n, f.p, DEFAULT_LOW_BITS)];
    let e = Enumerator::new(
        &pats,
        &Spins::new(f.n, &zero).unwrap(),
        DEFAULT_LOW_BITS,
        &mut scratch,
    )
    .unwrap();
    let total: u64 = e
        .canonical_chunks()
        .map(|c| e.solutions_in_chunk(c, t).unwrap())
        .sum();
    assert_eq!(random_solution(&e, t, total, 5).unwrap(), Some(a[0]));
    let mut s = vec![0i32; f.p];
    flatmin_core::bits::kernel::stabilities(&Spins::new(f.n, &a).unwrap(), &pats, &mut s).unwrap();
    assert!(
        s.iter().all(|&x| x >= t),
        "random κ-solution violates the margin: {s:?}"
    );
}

/// The pattern words of the seeded random instance (N, P, `seed`).
fn random_xi(n: usize, p: usize, seed: u64) -> Vec<u64> {
    let mut xi = vec![0u64; p * words_for(n)];
    let mut labels = vec![0u64; words_for(p)];
    generate_random(
        seed,
        &mut PatternsMut::new(n, p, &mut xi).unwrap(),
        &mut labels,
    )
    .unwrap();
    xi
}

/// Brute force by popcounts (`s_μ = N − 2·popcount(w XOR ξ^μ)`), fast enough for N ≤ 18.
fn brute_popcount(n: usize, xi: &[u64], reference: u64) -> (Vec<u64>, Vec<u64>) {
    let p = xi.len();
    let mut he = vec![0u64; hist_err_len(n, p)];
    let mut hs = vec![0u64; hist_smin_len(n)];
    for w in 0..1u64 << n {
        let d = (w ^ reference).count_ones() as usize;
        let (mut e, mut smin) = (0, i32::MAX);
        for &x in xi {
            let s = n as i32 - 2 * (w ^ x).count_ones() as i32;
            e += usize::from(s < 0);
            smin = smin.min(s);
        }
        he[d * (p + 1) + e] += 1;
        hs[d * (2 * n + 1) + (smin + n as i32) as usize] += 1;
    }
    (he, hs)
}

/// Pattern words of one of three families: 0 = random; 1 = every pattern equal (h_max spreads over
/// the whole range, so the vector backends' windows overflow often); 2 = ±copies of three patterns.
fn family_patterns(n: usize, p: usize, seed: u64, family: u8) -> Vec<u64> {
    let mut xi = random_xi(n, p, seed);
    let mask = (1u64 << n) - 1;
    match family {
        1 => xi.iter_mut().for_each(|x| *x = xi_first(seed, mask)),
        2 => {
            let base = [xi[0], xi[p / 2], xi[p - 1]];
            for (mu, x) in xi.iter_mut().enumerate() {
                *x = if mu % 2 == 0 {
                    base[mu % 3]
                } else {
                    !base[mu % 3] & mask
                };
            }
        }
        _ => {}
    }
    xi
}

fn xi_first(seed: u64, mask: u64) -> u64 {
    flatmin_core::rng::splitmix64(seed ^ 0x5eed) & mask
}

/// Histograms of `xi` around `reference` with `backend`, summed over the 2^b chunks of `b` prefix bits.
fn run_backend(
    n: usize,
    xi: &[u64],
    reference: u64,
    low: usize,
    b: u32,
    backend: Backend,
) -> (Vec<u64>, Vec<u64>) {
    let p = xi.len();
    let pats = Patterns::new(n, p, xi).unwrap();
    let rw = [reference];
    let mut scratch = vec![0u8; scratch_len(n, p, low)];
    let e = Enumerator::new(&pats, &Spins::new(n, &rw).unwrap(), low, &mut scratch).unwrap();
    let mut he = vec![0u64; hist_err_len(n, p)];
    let mut hs = vec![0u64; hist_smin_len(n)];
    for c in Chunk::split(b.min(e.max_prefix_bits())) {
        e.accumulate_with(backend, c, &mut he, &mut hs).unwrap();
    }
    (he, hs)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Every backend (forced; one the CPU lacks runs the portable loop) equals brute force for any N up
    /// to 18, P up to 40 (error counts beyond the 16-value window), any reference, any low bits and
    /// chunking (chunks with fewer free bits than a vector has lanes), three pattern families.
    #[test]
    fn every_backend_equals_brute_force(
        n in 1usize..=18,
        p in 1usize..=40,
        seed in any::<u64>(),
        rseed in any::<u64>(),
        low in 0usize..=10,
        b in 0u32..=14,
        family in 0u8..3,
    ) {
        let xi = family_patterns(n, p, seed, family);
        let reference = flatmin_core::rng::splitmix64(rseed) & ((1u64 << n) - 1);
        let (be, bs) = brute_popcount(n, &xi, reference);
        for backend in Backend::ALL {
            let (he, hs) = run_backend(n, &xi, reference, low, b, backend);
            prop_assert_eq!(&he, &be, "hist_err {} N={} P={} low={} b={}", backend, n, p, low, b);
            prop_assert_eq!(&hs, &bs, "hist_smin {} N={} P={} low={} b={}", backend, n, p, low, b);
        }
    }
}

/// Larger instances (N = 22, beyond brute force in a test budget): every backend equals the portable
/// Gray-code walk, for P around the vector backends' 16-value error window and a large P.
#[test]
fn every_backend_equals_portable_at_n22() {
    let n = 22;
    for (p, family, seed) in [
        (15usize, 0u8, 1u64),
        (16, 0, 2),
        (17, 1, 3),
        (70, 0, 4),
        (9, 2, 5),
    ] {
        let xi = family_patterns(n, p, seed, family);
        let reference = flatmin_core::rng::splitmix64(seed) & ((1 << n) - 1);
        let want = run_backend(n, &xi, reference, DEFAULT_LOW_BITS, 3, Backend::Portable);
        let total: u64 = want.0.iter().sum();
        assert_eq!(total, 1 << n);
        for backend in Backend::available() {
            for b in [0u32, 10] {
                let got = run_backend(n, &xi, reference, DEFAULT_LOW_BITS, b, backend);
                assert_eq!(got, want, "{backend} P={p} family={family} b={b}");
            }
        }
    }
}

#[test]
fn backend_names_round_trip_and_best_is_available() {
    for b in Backend::ALL {
        assert_eq!(Backend::from_name(b.name()), Some(b));
    }
    assert_eq!(Backend::from_name("sse9"), None);
    assert!(Backend::best().is_available());
    assert!(Backend::Portable.is_available());
}
