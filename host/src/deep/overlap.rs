//! Symmetry-aware overlap of two binary networks (DEEP §g.5): hidden units matched layer by layer from
//! the input with an exact assignment (Kuhn–Munkres of the `pathfinding` crate, O(n³)), sign reversals
//! fixed by the sign of the matched row overlap, permutation and signs carried into the next layer's
//! columns; the output layer is not permuted.
//!
//! Permuting hidden units never changes the function. Reversing a unit's sign changes it only where its
//! pre-activation is exactly 0 (there `sign(0) = +1` on both sides while the outgoing column flipped);
//! with odd fan-ins (odd hidden widths such as the default 501, and an odd number of inputs) that
//! never happens. With n_0 = 784 the first hidden layer's integer sums are even and can be 0, so a
//! matched network may differ from the original on the rare inputs with such a tie; the overlaps
//! themselves are unaffected.

use crate::deep::net::BinaryNet;
use crate::error::{Error, Result};
use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

/// Overlaps after matching.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Overlap {
    /// Overall overlap, weighted by the number of weights of each layer.
    pub q: f64,
    /// Per-layer overlaps `⟨W_l^A, W_l^B⟩ / (n_l n_{l−1})`.
    pub q_layers: Vec<f64>,
}

/// Hidden-unit relabelling of one layer: unit `i` of the matched network is `signs[i]` · unit
/// `perm[i]` of the original.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relabel {
    /// Permutation.
    pub perm: Vec<usize>,
    /// Signs ±1.
    pub signs: Vec<i8>,
}

/// Applies hidden-unit relabellings (one per hidden layer) to a network; the function it computes is
/// unchanged. `relabels.len()` must be the number of hidden layers.
pub fn apply_relabel(net: &BinaryNet, relabels: &[Relabel]) -> Result<BinaryNet> {
    let nl = net.depth();
    if relabels.len() + 1 != nl {
        return Err(Error::Input(format!(
            "{} relabellings for {} hidden layers",
            relabels.len(),
            nl - 1
        )));
    }
    let mut out = net.clone();
    out.latent = None;
    for (l, rl) in relabels.iter().enumerate() {
        let rows = net.arch[l + 1];
        let mut seen = vec![false; rows];
        if rl.perm.len() != rows
            || rl.signs.len() != rows
            || rl
                .perm
                .iter()
                .any(|&j| j >= rows || std::mem::replace(&mut seen[j], true))
            || rl.signs.iter().any(|&s| s != 1 && s != -1)
        {
            return Err(Error::Input(format!("layer {l}: not a signed permutation")));
        }
        // Rows of layer l.
        let cols = net.arch[l];
        let src = out.weights[l].clone();
        for i in 0..rows {
            let (j, s) = (rl.perm[i], rl.signs[i]);
            for c in 0..cols {
                out.weights[l][i * cols + c] = s * src[j * cols + c];
            }
        }
        // Columns of layer l + 1.
        let next_rows = net.arch[l + 2];
        let src = out.weights[l + 1].clone();
        for r in 0..next_rows {
            for i in 0..rows {
                out.weights[l + 1][r * rows + i] = rl.signs[i] * src[r * rows + rl.perm[i]];
            }
        }
    }
    Ok(out)
}

fn check_same_arch(a: &BinaryNet, b: &BinaryNet) -> Result<()> {
    if a.arch != b.arch {
        return Err(Error::Input(format!(
            "the networks have different architectures ({} and {})",
            crate::deep::net::arch_string(&a.arch),
            crate::deep::net::arch_string(&b.arch)
        )));
    }
    Ok(())
}

/// The relabelling of B's hidden units that best aligns B with A, layer by layer (§g.5).
pub fn matching(a: &BinaryNet, b: &BinaryNet) -> Result<Vec<Relabel>> {
    check_same_arch(a, b)?;
    let nl = a.depth();
    let mut relabels: Vec<Relabel> = Vec::new();
    // B with the relabellings found so far applied to rows and to the next layer's columns.
    let mut cur = b.clone();
    for l in 0..nl - 1 {
        let (rows, cols) = (a.arch[l + 1], a.arch[l]);
        let wa = &a.weights[l];
        let wb = &cur.weights[l];
        // C = W_A W_Bᵀ as integers.
        let mut c = vec![0i64; rows * rows];
        for i in 0..rows {
            let ra = &wa[i * cols..(i + 1) * cols];
            for j in 0..rows {
                let rb = &wb[j * cols..(j + 1) * cols];
                c[i * rows + j] = ra
                    .iter()
                    .zip(rb)
                    .map(|(&x, &y)| i32::from(x * y))
                    .sum::<i32>()
                    .into();
            }
        }
        let weights = Matrix::from_vec(rows, rows, c.iter().map(|v| v.abs()).collect())
            .map_err(|e| Error::Other(format!("assignment matrix: {e}")))?;
        let (_, assign) = kuhn_munkres(&weights);
        let signs: Vec<i8> = (0..rows)
            .map(|i| if c[i * rows + assign[i]] < 0 { -1 } else { 1 })
            .collect();
        let rl = Relabel {
            perm: assign,
            signs,
        };
        // Apply this layer's relabelling to cur (rows of l, columns of l + 1), identity elsewhere.
        let mut step: Vec<Relabel> = (0..nl - 1)
            .map(|k| Relabel {
                perm: (0..a.arch[k + 1]).collect(),
                signs: vec![1; a.arch[k + 1]],
            })
            .collect();
        step[l] = rl.clone();
        cur = apply_relabel(&cur, &step)?;
        relabels.push(rl);
    }
    Ok(relabels)
}

/// B with its hidden units relabelled to match A: `apply_relabel(b, &matching(a, b)?)` (applying the
/// per-layer steps in order is exactly what [`matching`] did while searching).
pub fn matched(a: &BinaryNet, b: &BinaryNet) -> Result<BinaryNet> {
    let rl = matching(a, b)?;
    apply_relabel(b, &rl)
}

/// Raw overlaps (no matching): per layer and weighted overall.
pub fn raw_overlap(a: &BinaryNet, b: &BinaryNet) -> Result<Overlap> {
    check_same_arch(a, b)?;
    let mut q_layers = Vec::new();
    let mut num = 0i64;
    let mut den = 0usize;
    for (wa, wb) in a.weights.iter().zip(&b.weights) {
        let s: i64 = wa.iter().zip(wb).map(|(&x, &y)| i64::from(x * y)).sum();
        q_layers.push(s as f64 / wa.len() as f64);
        num += s;
        den += wa.len();
    }
    Ok(Overlap {
        q: num as f64 / den as f64,
        q_layers,
    })
}

/// Overlaps of A and B after matching B's hidden units to A's.
pub fn overlap(a: &BinaryNet, b: &BinaryNet) -> Result<Overlap> {
    raw_overlap(a, &matched(a, b)?)
}
