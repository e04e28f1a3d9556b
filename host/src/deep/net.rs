//! Binary networks in the host: architecture strings, ±1 weight matrices (optionally with their latent
//! real weights), exact packed evaluation through [`flatmin_core::network`] and the `.npz` file format
//! of DEEP §g.3.

use crate::deep::data::TaskData;
use crate::deep::npz;
use crate::error::{Error, Result};
use flatmin_core::bits::{words_for, Patterns, WORD_BITS};
use flatmin_core::network::{Network, PixelPlanes, MAX_LAYERS};
use rayon::prelude::*;
use std::path::Path;

/// Largest accepted layer width.
pub const MAX_WIDTH: usize = 65_536;
/// Largest accepted total number of weights (2²⁸).
pub const MAX_WEIGHTS: usize = 1 << 28;
/// Examples evaluated per block (bounds the scratch memory of a packed evaluation).
pub const EVAL_BLOCK: usize = 512;

/// Parses an architecture string `n_0-n_1-…-n_L` (at least two sizes).
pub fn parse_arch(s: &str) -> Result<Vec<usize>> {
    let bad = |why: &str| {
        Error::Input(format!(
            "--arch '{s}': {why} (expected sizes joined by '-', e.g. 784-501-501-1; 2 to {} sizes, each \
             1..={MAX_WIDTH}, at most {MAX_WEIGHTS} weights)",
            MAX_LAYERS + 1
        ))
    };
    let sizes: Vec<usize> = s
        .split('-')
        .map(|t| {
            t.trim()
                .parse::<usize>()
                .map_err(|_| bad("not a list of sizes"))
        })
        .collect::<Result<_>>()?;
    check_arch(&sizes).map_err(|e| bad(&e))?;
    Ok(sizes)
}

/// Checks an architecture against the documented limits.
pub fn check_arch(sizes: &[usize]) -> std::result::Result<(), String> {
    if sizes.len() < 2 || sizes.len() > MAX_LAYERS + 1 {
        return Err(format!("{} sizes", sizes.len()));
    }
    if let Some(&w) = sizes.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
        return Err(format!("width {w} out of range"));
    }
    let total: usize = sizes.windows(2).map(|w| w[0] * w[1]).sum();
    if total > MAX_WEIGHTS {
        return Err(format!("{total} weights"));
    }
    Ok(())
}

/// Formats an architecture as `n_0-…-n_L`.
pub fn arch_string(arch: &[usize]) -> String {
    arch.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join("-")
}

/// A binary network: `weights[l]` is `W_{l+1}`, row-major `(arch[l+1], arch[l])`, values ±1.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryNet {
    /// Layer sizes n_0 … n_L.
    pub arch: Vec<usize>,
    /// ±1 weights per layer.
    pub weights: Vec<Vec<i8>>,
    /// The latent real weights the network was trained with, when known (same shapes).
    pub latent: Option<Vec<Vec<f32>>>,
}

impl BinaryNet {
    /// Builds a network, checking shapes and values.
    pub fn new(arch: Vec<usize>, weights: Vec<Vec<i8>>) -> Result<Self> {
        check_arch(&arch).map_err(|e| Error::Input(format!("bad architecture: {e}")))?;
        if weights.len() != arch.len() - 1 {
            return Err(Error::Input(format!(
                "{} weight matrices for {} layers",
                weights.len(),
                arch.len() - 1
            )));
        }
        for (l, w) in weights.iter().enumerate() {
            if w.len() != arch[l] * arch[l + 1] {
                return Err(Error::Input(format!("layer {l}: wrong number of weights")));
            }
            if w.iter().any(|&v| v != 1 && v != -1) {
                return Err(Error::Input(format!("layer {l}: weights must be ±1")));
            }
        }
        Ok(BinaryNet {
            arch,
            weights,
            latent: None,
        })
    }
    /// I.i.d. uniform ±1 weights from a seed.
    pub fn random(arch: &[usize], seed: u64) -> Result<Self> {
        check_arch(arch).map_err(|e| Error::Input(format!("bad architecture: {e}")))?;
        let mut rng = flatmin_core::rng::rng_from_seed(seed);
        let weights = arch
            .windows(2)
            .map(|w| {
                (0..w[0] * w[1])
                    .map(|_| {
                        if rand_core::RngCore::next_u32(&mut rng) & 1 == 0 {
                            1
                        } else {
                            -1
                        }
                    })
                    .collect()
            })
            .collect();
        Ok(BinaryNet {
            arch: arch.to_vec(),
            weights,
            latent: None,
        })
    }
    /// Number of weight layers L.
    pub fn depth(&self) -> usize {
        self.weights.len()
    }
    /// Total number of weights.
    pub fn num_weights(&self) -> usize {
        self.weights.iter().map(Vec::len).sum()
    }
    /// The packed form used by the exact evaluation.
    pub fn pack(&self) -> PackedNet {
        let words = self
            .arch
            .windows(2)
            .zip(&self.weights)
            .map(|(s, w)| {
                let (cols, rows) = (s[0], s[1]);
                let wpr = words_for(cols);
                let mut out = vec![0u64; rows * wpr];
                for r in 0..rows {
                    for c in 0..cols {
                        if w[r * cols + c] < 0 {
                            out[r * wpr + c / WORD_BITS] |= 1u64 << (c % WORD_BITS);
                        }
                    }
                }
                out
            })
            .collect();
        PackedNet {
            arch: self.arch.clone(),
            words,
        }
    }
    /// Writes the network as `.npz` (arrays `W0…`, int8, and `latent0…`, float32, when present).
    pub fn save_npz(&self, path: &Path) -> Result<()> {
        let mut arrays: Vec<(String, npz::Array)> = Vec::new();
        for (l, w) in self.weights.iter().enumerate() {
            arrays.push((
                format!("W{l}"),
                npz::Array::I8 {
                    shape: vec![self.arch[l + 1], self.arch[l]],
                    data: w.clone(),
                },
            ));
        }
        if let Some(lat) = &self.latent {
            for (l, w) in lat.iter().enumerate() {
                arrays.push((
                    format!("latent{l}"),
                    npz::Array::F32 {
                        shape: vec![self.arch[l + 1], self.arch[l]],
                        data: w.clone(),
                    },
                ));
            }
        }
        npz::write(path, &arrays)
    }
    /// Reads a network from `.npz` (arrays `W0 … W{L−1}`, int8, ±1; `latent*` when present).
    pub fn load_npz(path: &Path) -> Result<Self> {
        let bad = |msg: String| Error::Parse {
            file: path.to_path_buf(),
            line: 0,
            msg,
        };
        let arrays = npz::read(path)?;
        let get = |name: &str| arrays.iter().find(|(n, _)| n == name).map(|(_, a)| a);
        let mut arch: Vec<usize> = Vec::new();
        let mut weights = Vec::new();
        for l in 0.. {
            let Some(a) = get(&format!("W{l}")) else {
                break;
            };
            let npz::Array::I8 { shape, data } = a else {
                return Err(bad(format!("W{l} must be int8")));
            };
            if shape.len() != 2 {
                return Err(bad(format!(
                    "W{l} must be 2-dimensional, has shape {shape:?}"
                )));
            }
            if l == 0 {
                arch.push(shape[1]);
            } else if shape[1] != arch[l] {
                return Err(bad(format!(
                    "W{l} has {} columns, but W{} has {} rows",
                    shape[1],
                    l - 1,
                    arch[l]
                )));
            }
            arch.push(shape[0]);
            if data.iter().any(|&v| v != 1 && v != -1) {
                return Err(bad(format!("W{l} has values other than ±1")));
            }
            weights.push(data.clone());
        }
        if weights.is_empty() {
            return Err(bad("no array W0 (expected W0 … W{L-1})".into()));
        }
        check_arch(&arch).map_err(|e| bad(format!("unsupported architecture: {e}")))?;
        let mut latent = Vec::new();
        for l in 0..weights.len() {
            match get(&format!("latent{l}")) {
                Some(npz::Array::F32 { shape, data }) if *shape == [arch[l + 1], arch[l]] => {
                    latent.push(data.clone())
                }
                Some(_) => {
                    return Err(bad(format!(
                        "latent{l} must be float32 of the shape of W{l}"
                    )))
                }
                None => break,
            }
        }
        let latent = (latent.len() == weights.len()).then_some(latent);
        Ok(BinaryNet {
            arch,
            weights,
            latent,
        })
    }
}

/// A network packed for [`flatmin_core::network`]: one `Patterns` word buffer per layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedNet {
    /// Layer sizes.
    pub arch: Vec<usize>,
    /// Packed rows of each layer (`arch[l+1]` rows of `words_for(arch[l])` words).
    pub words: Vec<Vec<u64>>,
}

impl PackedNet {
    /// Flips weight `i` (row-major index) of layer `l`.
    #[inline]
    pub fn flip(&mut self, l: usize, i: usize) {
        let cols = self.arch[l];
        let (r, c) = (i / cols, i % cols);
        self.words[l][r * words_for(cols) + c / WORD_BITS] ^= 1u64 << (c % WORD_BITS);
    }
    /// The layers as packed pattern views.
    pub fn patterns(&self) -> Result<Vec<Patterns<'_>>> {
        self.arch
            .windows(2)
            .zip(&self.words)
            .map(|(s, w)| Ok(Patterns::new(s[0], s[1], w)?))
            .collect()
    }
}

/// Examples packed once for repeated exact evaluation: blocks of [`EVAL_BLOCK`] examples as pixel bit
/// planes, with their labels.
#[derive(Clone, Debug)]
pub struct PackedData {
    /// Input dimension.
    pub n: usize,
    blocks: Vec<(usize, Vec<u64>)>,
    /// Labels (±1 or 0..C).
    pub labels: Vec<i32>,
}

impl PackedData {
    /// Packs a task's examples.
    pub fn new(data: &TaskData) -> Result<Self> {
        let n = data.n;
        let blocks = data
            .pixels
            .par_chunks(EVAL_BLOCK * n)
            .map(|px| {
                let p = px.len() / n;
                let mut words = vec![0u64; PixelPlanes::len_for(n, p)];
                PixelPlanes::pack(px, n, &mut words)?;
                Ok((p, words))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PackedData {
            n,
            blocks,
            labels: data.labels.clone(),
        })
    }
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// The pixel bytes again (P rows of n), read back from the bit planes.
    pub fn pixels(&self) -> Vec<u8> {
        let wpr = words_for(self.n);
        let mut out = vec![0u8; self.len() * self.n];
        let mut rows = out.chunks_exact_mut(self.n);
        for (p, words) in &self.blocks {
            for mu in 0..*p {
                let Some(row) = rows.next() else { return out };
                for (i, b) in row.iter_mut().enumerate() {
                    let (w, bit) = (mu * wpr + i / WORD_BITS, i % WORD_BITS);
                    *b = (0..flatmin_core::network::PLANES)
                        .map(|k| (((words[k * p * wpr + w] >> bit) & 1) as u8) << k)
                        .sum();
                }
            }
        }
        out
    }
}

fn check_compatible(net: &PackedNet, data: &PackedData) -> Result<()> {
    if net.arch[0] != data.n {
        return Err(Error::Input(format!(
            "the network takes {} inputs, the data has {} per example",
            net.arch[0], data.n
        )));
    }
    let outs = net.arch[net.arch.len() - 1];
    let ok = if outs == 1 {
        data.labels.iter().all(|&y| y == 1 || y == -1)
    } else {
        data.labels.iter().all(|&y| y >= 0 && (y as usize) < outs)
    };
    if !ok {
        return Err(Error::Input(format!(
            "the network has {outs} output unit{} but the task's labels do not fit (one unit: ±1 \
             labels of a two-class task; C units: classes 0..C)",
            if outs == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// Exact number of misclassified examples, one thread (the caller parallelises over networks).
pub fn count_errors(net: &PackedNet, data: &PackedData) -> Result<u64> {
    check_compatible(net, data)?;
    let pats = net.patterns()?;
    let network = Network::new(&pats)?;
    let mut ints = vec![0i32; network.int_scratch_len(EVAL_BLOCK)];
    let mut bits = vec![0u64; network.bit_scratch_len(EVAL_BLOCK)];
    let mut out = vec![0i32; EVAL_BLOCK];
    let mut errors = 0u64;
    let mut start = 0;
    for (p, words) in &data.blocks {
        let planes = PixelPlanes::new(data.n, *p, words)?;
        let labels = &data.labels[start..start + p];
        errors += u64::from(network.count_errors(
            &planes,
            labels,
            &mut ints,
            &mut bits,
            &mut out[..*p],
        )?);
        start += p;
    }
    Ok(errors)
}

/// Exact number of misclassified examples, blocks in parallel on the current rayon pool.
pub fn count_errors_par(net: &PackedNet, data: &PackedData) -> Result<u64> {
    check_compatible(net, data)?;
    let pats = net.patterns()?;
    let network = Network::new(&pats)?;
    let starts: Vec<usize> = data
        .blocks
        .iter()
        .scan(0, |s, (p, _)| {
            let v = *s;
            *s += p;
            Some(v)
        })
        .collect();
    let counts = data
        .blocks
        .par_iter()
        .zip(starts)
        .map(|((p, words), start)| {
            let planes = PixelPlanes::new(data.n, *p, words)?;
            let mut ints = vec![0i32; network.int_scratch_len(*p)];
            let mut bits = vec![0u64; network.bit_scratch_len(*p)];
            let mut out = vec![0i32; *p];
            Ok(u64::from(network.count_errors(
                &planes,
                &data.labels[start..start + p],
                &mut ints,
                &mut bits,
                &mut out,
            )?))
        })
        .collect::<Result<Vec<u64>>>()?;
    Ok(counts.iter().sum())
}

/// Plain integer forward pass (`x = 2b − 255`, i64 sums), the reference the packed evaluation is tested
/// against: predictions (±1 or classes) of every example.
pub fn predict_reference(net: &BinaryNet, data: &TaskData) -> Vec<i32> {
    let n0 = net.arch[0];
    data.pixels
        .chunks_exact(n0)
        .map(|px| {
            let mut a: Vec<i64> = px.iter().map(|&b| 2 * i64::from(b) - 255).collect();
            for (l, w) in net.weights.iter().enumerate() {
                let (cols, rows) = (net.arch[l], net.arch[l + 1]);
                let h: Vec<i64> = (0..rows)
                    .map(|r| (0..cols).map(|c| i64::from(w[r * cols + c]) * a[c]).sum())
                    .collect();
                if l + 1 < net.depth() {
                    a = h.iter().map(|&v| if v < 0 { -1 } else { 1 }).collect();
                } else {
                    a = h;
                }
            }
            if a.len() == 1 {
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
                best as i32
            }
        })
        .collect()
}
