//! Exactness of the packed evaluation of deep binary networks (flatmin_core::network, DEEP §g.3)
//! against a plain i32 forward pass, on random networks and inputs, including the sign(0) = +1 and
//! argmax-tie conventions (small even widths make ties frequent).

use flatmin_core::bits::{words_for, Patterns};
use flatmin_core::network::{Network, PixelPlanes};
use flatmin_core::rng::{below, rng_from_seed};
use flatmin_core::ShapeError;
use rand_core::RngCore;

/// Plain forward pass: x = 2b − 255, i32 sums, sign(0) = +1, argmax ties → lowest index.
fn reference(arch: &[usize], w: &[Vec<i8>], px: &[u8]) -> (i32, usize) {
    let mut a: Vec<i32> = px.iter().map(|&b| 2 * i32::from(b) - 255).collect();
    let mut ties = 0;
    for (l, wl) in w.iter().enumerate() {
        let (cols, rows) = (arch[l], arch[l + 1]);
        let h: Vec<i32> = (0..rows)
            .map(|r| (0..cols).map(|c| i32::from(wl[r * cols + c]) * a[c]).sum())
            .collect();
        ties += h.iter().filter(|&&v| v == 0).count();
        a = if l + 1 < w.len() {
            h.iter().map(|&v| if v < 0 { -1 } else { 1 }).collect()
        } else {
            h
        };
    }
    let pred = if a.len() == 1 {
        if a[0] < 0 {
            -1
        } else {
            1
        }
    } else {
        let mut best = 0;
        for c in 1..a.len() {
            if a[c] > a[best] {
                best = c;
            }
        }
        if a.iter().filter(|&&v| v == a[best]).count() > 1 {
            ties += 1;
        }
        best as i32
    };
    (pred, ties)
}

fn pack(arch: &[usize], w: &[Vec<i8>]) -> Vec<Vec<u64>> {
    arch.windows(2)
        .zip(w)
        .map(|(s, wl)| {
            let wpr = words_for(s[0]);
            let mut out = vec![0u64; s[1] * wpr];
            for r in 0..s[1] {
                for c in 0..s[0] {
                    if wl[r * s[0] + c] < 0 {
                        out[r * wpr + c / 64] |= 1 << (c % 64);
                    }
                }
            }
            out
        })
        .collect()
}

#[test]
fn packed_evaluation_is_exact_on_random_networks() {
    let mut rng = rng_from_seed(20261129);
    let mut total_ties = 0;
    for case in 0..60 {
        let depth = 1 + below(&mut rng, 4) as usize;
        let mut arch = vec![1 + below(&mut rng, 150) as usize];
        for _ in 0..depth - 1 {
            // Small even widths give many sign(0) ties downstream.
            arch.push(if case % 3 == 0 {
                2 * (1 + below(&mut rng, 4) as usize)
            } else {
                1 + below(&mut rng, 130) as usize
            });
        }
        arch.push(if case % 2 == 0 {
            1
        } else {
            2 + below(&mut rng, 9) as usize
        });
        let w: Vec<Vec<i8>> = arch
            .windows(2)
            .map(|s| {
                (0..s[0] * s[1])
                    .map(|_| if rng.next_u32() & 1 == 0 { 1 } else { -1 })
                    .collect()
            })
            .collect();
        let p = 1 + below(&mut rng, 70) as usize;
        // Pixel values: full range, plus all-equal blocks (b = 127/128 and 0/255 extremes).
        let px: Vec<u8> = (0..p * arch[0])
            .map(|j| match (j / arch[0]) % 4 {
                0 => 255,
                1 => [127u8, 128][j % 2],
                _ => rng.next_u32() as u8,
            })
            .collect();
        let words = pack(&arch, &w);
        let pats: Vec<Patterns> = arch
            .windows(2)
            .zip(&words)
            .map(|(s, ws)| Patterns::new(s[0], s[1], ws).unwrap())
            .collect();
        let net = Network::new(&pats).unwrap();
        let mut planes = vec![0u64; PixelPlanes::len_for(arch[0], p)];
        let planes = PixelPlanes::pack(&px, arch[0], &mut planes).unwrap();
        let mut ints = vec![0i32; net.int_scratch_len(p)];
        let mut bits = vec![0u64; net.bit_scratch_len(p)];
        let mut out = vec![0i32; p];
        net.predict(&planes, &mut ints, &mut bits, &mut out)
            .unwrap();
        let mut want = Vec::new();
        for mu in 0..p {
            let (pred, ties) = reference(&arch, &w, &px[mu * arch[0]..(mu + 1) * arch[0]]);
            want.push(pred);
            total_ties += ties;
        }
        assert_eq!(out, want, "case {case}, arch {arch:?}");
        let labels: Vec<i32> = want
            .iter()
            .enumerate()
            .map(|(mu, &y)| {
                if mu % 3 == 0 {
                    if arch[arch.len() - 1] == 1 {
                        -y
                    } else {
                        (y + 1) % arch[arch.len() - 1] as i32
                    }
                } else {
                    y
                }
            })
            .collect();
        let errs = net
            .count_errors(&planes, &labels, &mut ints, &mut bits, &mut out)
            .unwrap();
        assert_eq!(errs as usize, p.div_ceil(3), "case {case}");
    }
    // The conventions were actually exercised.
    assert!(total_ties > 50, "only {total_ties} ties");
}

#[test]
fn shape_errors_not_panics() {
    let w0 = vec![0u64; 3];
    let w1 = vec![0u64; 2];
    let a = Patterns::new(10, 3, &w0).unwrap();
    let b = Patterns::new(4, 2, &w1).unwrap(); // expects 3 inputs
    assert!(matches!(
        Network::new(&[a, b]),
        Err(ShapeError::LengthMismatch {
            expected: 3,
            got: 4
        })
    ));
    assert!(Network::new(&[]).is_err());
    let layers = [a];
    let net = Network::new(&layers).unwrap();
    let mut pw = vec![0u64; PixelPlanes::len_for(9, 2)];
    let planes = PixelPlanes::pack(&[0u8; 18], 9, &mut pw).unwrap();
    let mut out = [0i32; 2];
    assert!(net
        .predict(&planes, &mut [0; 100], &mut [0; 10], &mut out)
        .is_err());
    let mut pw = vec![0u64; PixelPlanes::len_for(10, 2)];
    let planes = PixelPlanes::pack(&[0u8; 20], 10, &mut pw).unwrap();
    assert!(matches!(
        net.predict(&planes, &mut [0; 3], &mut [0; 10], &mut out),
        Err(ShapeError::BufferTooSmall { .. })
    ));
    assert!(PixelPlanes::pack(&[0u8; 21], 10, &mut [0u64; 16]).is_err());
}
