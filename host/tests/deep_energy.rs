//! Local energy of deep binary networks (DEEP §g.6) through the incremental first layer: every
//! perturbed network's error count must equal the plain packed evaluation of the explicitly
//! flipped network, for every flip probability including 0 and 1, on several architectures, and
//! the profile must not depend on the thread count.

use flatmin_core::rng::{derive_seed, rng_from_seed, uniform};
use flatmin_host::deep::data::TaskData;
use flatmin_host::deep::energy::local_energy;
use flatmin_host::deep::net::{count_errors, predict_reference, BinaryNet, PackedData};
use rand_core::RngCore;

/// Random pixels (with runs of 0 and 255, as in real images) and labels fitting `outs` outputs.
fn data(n: usize, p: usize, outs: usize, seed: u64) -> TaskData {
    let mut rng = rng_from_seed(seed);
    TaskData {
        n,
        pixels: (0..p * n)
            .map(|_| match rng.next_u32() % 4 {
                0 => 0,
                1 => 255,
                _ => rng.next_u32() as u8,
            })
            .collect(),
        labels: (0..p)
            .map(|_| {
                let r = rng.next_u32() as usize;
                if outs == 1 {
                    1 - 2 * (r % 2) as i32
                } else {
                    (r % outs) as i32
                }
            })
            .collect(),
    }
}

/// The documented noise of realisation `stream`: every weight of every layer, in layer and
/// row-major order, flipped independently with probability `p` by geometric skips
/// (gap = ⌊ln U / ln(1 − p)⌋, U = 1 − uniform), all of them for p ≥ 1, none for p = 0.
fn perturbed(net: &BinaryNet, p: f64, stream: u64) -> BinaryNet {
    let mut out = net.clone();
    let mut rng = rng_from_seed(stream);
    if p <= 0.0 {
        return out;
    }
    for w in out.weights.iter_mut() {
        let len = w.len();
        if p >= 1.0 {
            w.iter_mut().for_each(|v| *v = -*v);
            continue;
        }
        let ln_q = (-p).ln_1p();
        let mut i = 0usize;
        loop {
            let u = 1.0 - uniform(&mut rng);
            let gap = (u.ln() / ln_q).floor();
            if gap >= (len - i) as f64 {
                break;
            }
            i += gap as usize;
            w[i] = -w[i];
            i += 1;
            if i >= len {
                break;
            }
        }
    }
    out
}

#[test]
fn incremental_local_energy_equals_explicit_flips_for_every_p() {
    let ps = [0.0, 0.003, 0.1, 0.45, 0.5, 0.62, 0.97, 1.0];
    let samples = 3;
    for (case, arch) in [
        vec![784, 31, 1],
        vec![300, 70, 21, 3],
        vec![129, 64, 65, 2, 1],
        vec![257, 10],
    ]
    .into_iter()
    .enumerate()
    {
        let outs = *arch.last().unwrap();
        // P across the 128-example blocks and the 512-example evaluation blocks.
        let p_all = [130, 700, 129, 513][case];
        let d = data(arch[0], p_all, outs, case as u64 + 40);
        let packed = PackedData::new(&d).unwrap();
        let net = BinaryNet::random(&arch, case as u64 + 7).unwrap();
        let seed = 1000 + case as u64;
        let pts = local_energy(&net, &packed, &ps, samples, seed, || {}).unwrap();
        let e0 = count_errors(&net.pack(), &packed).unwrap() as i64;
        for (j, (&p, pt)) in ps.iter().zip(&pts).enumerate() {
            let deltas: Vec<f64> = (0..samples)
                .map(|r| {
                    let w = perturbed(&net, p, derive_seed(seed, (j * samples + r) as u64));
                    let e = count_errors(&w.pack(), &packed).unwrap() as i64;
                    if r == 0 && case < 2 {
                        // The packed evaluation itself against the plain i64 forward pass.
                        let reference = predict_reference(&w, &d)
                            .iter()
                            .zip(&d.labels)
                            .filter(|(a, b)| a != b)
                            .count() as i64;
                        assert_eq!(e, reference);
                    }
                    (e - e0) as f64 / p_all as f64
                })
                .collect();
            let mean = deltas.iter().sum::<f64>() / samples as f64;
            assert_eq!(pt.p, p);
            assert_eq!(pt.mean, mean, "arch {arch:?} p {p}");
            if p == 0.0 {
                assert_eq!((pt.mean, pt.stderr), (0.0, 0.0));
            }
        }
        // Flipping every weight of a one-output network negates its output only when the number
        // of layers is odd; either way p = 1 is one deterministic network (stderr 0).
        assert_eq!(pts[ps.len() - 1].stderr, 0.0);
    }
}

#[test]
fn local_energy_is_the_same_on_one_and_two_threads() {
    let arch = [200, 40, 33, 1];
    let d = data(200, 400, 1, 5);
    let packed = PackedData::new(&d).unwrap();
    let net = BinaryNet::random(&arch, 6).unwrap();
    let ps = [0.0, 0.05, 0.3, 0.8];
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| local_energy(&net, &packed, &ps, 7, 99, || {}).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert!(
        one[2].mean > 0.0 || one[2].stderr > 0.0,
        "noise changes errors"
    );
}
