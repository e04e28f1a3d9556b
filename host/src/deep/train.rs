//! BinaryNet-style SGD for deep binary networks (DEEP §g.4).
//!
//! * latent weights `W̃ ~ U(−ε·c, ε·c)` i.i.d. from the seed ([`init_latent`]); forward with
//!   `W = sign(W̃)` (0 → +1);
//! * hidden units: forward `sign(h)`, backward the straight-through window ([`Window`]): by default
//!   `|h_j| ≤ rms_j`, the unit's pre-activation relative to its root mean square over the mini-batch;
//!   `--window scaled` is the hard-tanh window `|h| / √n_in ≤ 1` of the first version;
//! * loss: cross-entropy of `β u_L`, `u_L = h_L / √n_{L−1}` (softmax for C outputs, logistic
//!   `ln(1 + e^{−β y u})` for one);
//! * plain SGD on the latent weights with the gradient of the binary ones, the learning rate decaying
//!   geometrically from `lr` (first epoch) to `lr_final` (last epoch), mini-batches from a seeded
//!   shuffle per epoch, the latent weights clipped to `[−c, c]` after each step; inputs
//!   `x / 255 = (2b − 255) / 255`, the exact evaluation's odd integers scaled.
//!
//! # Defaults [REC] (issue 14; measured on fashion-parity 784-501-501-1, seed 1, 100 epochs)
//! The first defaults (U(−1, 1) init, clip 1, constant lr 20, batch 128, scaled window) reached zero
//! train error by moving only a few per cent of the signs: the fraction of weights whose sign differs
//! from the initial network was 0.029 / 0.032 / 0.039 / 0.047 / 0.051 at P = 500 / 1000 / 2000 /
//! 4000 / 6000 (layer 1: 0.023…0.042, layer 2: 0.038…0.066, output: 0.42…0.46), train errors 0, 0,
//! 0, 0.007, 0.0098. Trained networks were random first layers with a trained read-out, and two of
//! them overlapped exactly as much as two random networks (Fig. 8 measured initialisations). Hence:
//! * **`init` ε = 0.01** (of the clip): the initial latent weights are tiny against one SGD step, so
//!   the signs are decided by training (BinaryNet initialises in ±1 with clip 1 but trains with Adam,
//!   whose per-step moves are a fixed fraction of the range whatever the gradient's size; plain SGD
//!   moves the first layer by ~10⁻³ per step, so a ±1 init freezes it). Measured: ε = 0.3 → 12 % of
//!   the signs flipped (P = 1000), ε = 0.1 → 27 %, ε = 0.01 → 42 % (≈ 49 % with the window below).
//! * **`window` = batch.** From a small init the hidden units align with the (uncentred) inputs and
//!   `|h| / √n_in` grows to a median of 5–7 (94–95 % of the hidden pre-activations outside the
//!   scaled window, against 23–42 % for the old defaults), so the scaled window closes and training
//!   stalls at 4–5 % train error at P = 1000 (ε = 0.01: lr 20 → 0.055; lr 5 → 0.038; lr 2 → 0.017).
//!   Normalising by the unit's batch RMS is BinaryNet's batch norm (before the sign) without the
//!   shift, and only in the backward pass: sign(h) is unchanged, the network has no batch norm and no
//!   bias (DEEP §g.1). With it, the train error at P = 1000 dropped to 0.032 (constant lr 20).
//! * **lr 20 → `lr_final` 0.2** (geometric over the epochs; BinaryNet decays its rate the same way):
//!   large early steps decide the signs, small late steps let the last errors be fixed (0.024).
//! * **batch 32**: at P = 1000 batch 128 gives only 8 steps per epoch; batch 32 × 100 epochs reached
//!   0 train errors (49.3 % of the signs flipped) in 41 s where batch 128 × 400 epochs still had 1
//!   error in 102 s. The same group's comparison runs used batch 128 with a large rate [SRC]; with
//!   plain SGD and no batch norm we need more steps per epoch, at ~1.3× the cost per epoch.
//! * **epochs 100, clip 1, β 4** unchanged (the figure's time budget; the clip only sets the range of
//!   the latent weights, and the dynamics depends on lr/clip and ε·clip/lr).
//!
//! With these defaults P = 6000 keeps 0.0058 train error (49.4 % flipped); P = 250…1000 reach zero
//! for all four networks of Fig. 8, P = 2000 for two of four: the algorithmic threshold of this
//! training is measured, not tuned.
//!
//! The f32 products run on `matrixmultiply` (pure Rust, run-time AVX/FMA dispatch, builds in seconds;
//! the `gemm` crate is ~1.5× faster on this kernel but takes ~30 s to build and its multi-threading
//! changes summation order). One network trains on one thread, so the result is bit-identical for a
//! seed whatever `--threads` is; studies run networks in parallel. Across machines the bytes may
//! differ: `matrixmultiply` picks its FMA/AVX/SSE kernel at run time and these round differently, so
//! bit-identity holds per CPU feature level (the exact evaluation of a given network is identical
//! everywhere).

use crate::deep::data::TaskData;
use crate::deep::net::BinaryNet;
use crate::error::{Error, Result};
use flatmin_core::rng::{derive_seed, rng_from_seed, shuffle, uniform};

/// Hyper-parameters of one training run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainParams {
    /// Epochs (passes over the P examples).
    pub epochs: usize,
    /// Learning rate on the latent weights (of the first epoch).
    pub lr: f32,
    /// Learning rate of the last epoch: the rate decays geometrically from `lr` to `lr_final` over the
    /// epochs (BinaryNet's schedule); `None` (files written before this field existed) = constant.
    #[serde(default)]
    pub lr_final: Option<f32>,
    /// Mini-batch size.
    pub batch: usize,
    /// Latent weights are clipped to `[−clip, clip]`.
    pub clip: f32,
    /// Inverse temperature of the loss on the scaled output pre-activations.
    pub beta: f32,
    /// Half-width of the latent initialisation relative to the clip: `W̃ ~ U(−init·clip, init·clip)`.
    /// Files written before this field existed were trained with 1 (U(−1, 1) with clip 1).
    #[serde(default = "legacy_init")]
    pub init: f32,
    /// Where the straight-through window of the hidden units is open (see [`Window`]). Files written
    /// before this field existed were trained with [`Window::Scaled`].
    #[serde(default = "legacy_window")]
    pub window: Window,
    /// Seed of the initialisation and of the mini-batch shuffles.
    pub seed: u64,
}

/// The straight-through window of a hidden unit: the backward pass lets the gradient through where
/// the unit's pre-activation is "small". The forward pass (`sign`) is the same for both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// `|h| / √n_in ≤ 1`: the hard-tanh window of the pre-activation scaled by the fan-in. Once the
    /// weights align with the (uncentred) inputs, |h| / √n_in grows to 5–7 for most units and the
    /// window closes on almost every gradient.
    Scaled,
    /// `|h_j| ≤ rms_j`: the window of unit j relative to the root mean square of its pre-activation
    /// over the mini-batch, i.e. the hard-tanh of a batch-normalised pre-activation without shift
    /// (BinaryNet puts batch norm before the sign). Positive scaling does not change `sign(h)`, so
    /// the network's function has no batch norm and no bias (DEEP §g.1); only the backward differs.
    Batch,
}

impl Window {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Window::Scaled => "scaled",
            Window::Batch => "batch",
        }
    }
    /// Parses a command-line name.
    pub fn from_name(s: &str) -> Result<Self> {
        match s {
            "scaled" => Ok(Window::Scaled),
            "batch" => Ok(Window::Batch),
            _ => Err(Error::Input(format!(
                "--window {s}: expected scaled or batch"
            ))),
        }
    }
}

fn legacy_window() -> Window {
    Window::Scaled
}

fn legacy_init() -> f32 {
    1.0
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            epochs: DEFAULT_EPOCHS,
            lr: DEFAULT_LR,
            lr_final: Some(DEFAULT_LR_FINAL),
            batch: DEFAULT_BATCH,
            clip: DEFAULT_CLIP,
            beta: DEFAULT_BETA,
            init: DEFAULT_INIT,
            window: DEFAULT_WINDOW,
            seed: 0,
        }
    }
}

/// Default epochs.
pub const DEFAULT_EPOCHS: usize = 100;
/// Default learning rate.
pub const DEFAULT_LR: f32 = 20.0;
/// Default learning rate of the last epoch.
pub const DEFAULT_LR_FINAL: f32 = 0.2;
/// Default mini-batch size (the same group's comparison runs used 128).
pub const DEFAULT_BATCH: usize = 32;
/// Default latent clip.
pub const DEFAULT_CLIP: f32 = 1.0;
/// Default inverse temperature.
pub const DEFAULT_BETA: f32 = 4.0;
/// Default latent initialisation half-width, relative to the clip.
pub const DEFAULT_INIT: f32 = 0.01;
/// Default straight-through window.
pub const DEFAULT_WINDOW: Window = Window::Batch;
/// Largest accepted number of epochs.
pub const MAX_EPOCHS: usize = 100_000;

impl TrainParams {
    /// The learning rate of epoch `epoch` (1-based): `lr · (lr_final / lr)^((epoch − 1) / (epochs − 1))`.
    pub fn lr_at(&self, epoch: usize) -> f32 {
        match self.lr_final {
            Some(f) if self.epochs > 1 && f != self.lr => {
                let t = (epoch.saturating_sub(1)) as f64 / (self.epochs - 1) as f64;
                (f64::from(self.lr) * (f64::from(f) / f64::from(self.lr)).powf(t)) as f32
            }
            _ => self.lr,
        }
    }

    /// Checks the documented ranges.
    pub fn check(&self) -> Result<()> {
        if self.epochs == 0 || self.epochs > MAX_EPOCHS {
            return Err(Error::Input(format!(
                "--epochs {} out of range 1..={MAX_EPOCHS}",
                self.epochs
            )));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::Input(format!("--lr {} must be > 0", self.lr)));
        }
        if let Some(f) = self.lr_final {
            if !(f.is_finite() && f > 0.0) {
                return Err(Error::Input(format!("--lr-final {f} must be > 0")));
            }
        }
        if self.batch == 0 || self.batch > 1 << 20 {
            return Err(Error::Input(format!(
                "--batch {} out of range 1..=1048576",
                self.batch
            )));
        }
        if !(self.clip.is_finite() && self.clip > 0.0) {
            return Err(Error::Input(format!("--clip {} must be > 0", self.clip)));
        }
        if !(self.beta.is_finite() && self.beta > 0.0) {
            return Err(Error::Input(format!("--beta {} must be > 0", self.beta)));
        }
        if !(self.init.is_finite() && self.init > 0.0 && self.init <= 1.0) {
            return Err(Error::Input(format!(
                "--init-scale {} out of range (0, 1] (latent weights start in ±init-scale·clip)",
                self.init
            )));
        }
        Ok(())
    }
}

/// `C (m×n, row-major, dense) = A · B + beta·C`, with A given by strides (rsa, csa) over an m×k view
/// and B by (rsb, csb) over a k×n view. Bounds are checked before the call into `matrixmultiply`.
#[allow(clippy::too_many_arguments)]
fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    rsa: usize,
    csa: usize,
    b: &[f32],
    rsb: usize,
    csb: usize,
    beta: f32,
    c: &mut [f32],
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(c.len() >= m * n, "sgemm: C too small");
    if k > 0 {
        assert!(
            (m - 1) * rsa + (k - 1) * csa < a.len(),
            "sgemm: A too small"
        );
        assert!(
            (k - 1) * rsb + (n - 1) * csb < b.len(),
            "sgemm: B too small"
        );
    }
    // SAFETY: every index the kernel touches, (i·rs + j·cs) for i < rows and j < cols of each view, was
    // checked above to lie inside the slice; C is a distinct &mut slice (no aliasing with A or B).
    #[allow(unsafe_code)]
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

#[inline]
fn sgn(v: f32) -> f32 {
    if v < 0.0 {
        -1.0
    } else {
        1.0
    }
}

/// The initial latent weights of a run: i.i.d. `U(−init·clip, init·clip)` from `derive_seed(seed, 0)`,
/// layer by layer, row-major (the draws do not depend on `init` or `clip`, only their scale does).
pub fn init_latent(arch: &[usize], params: &TrainParams) -> Vec<Vec<f32>> {
    let mut rng = rng_from_seed(derive_seed(params.seed, 0));
    let half = params.init * params.clip;
    arch.windows(2)
        .map(|s| {
            (0..s[0] * s[1])
                .map(|_| (2.0 * uniform(&mut rng) - 1.0) as f32 * half)
                .collect()
        })
        .collect()
}

/// The network training starts from (signs of [`init_latent`], with the latent weights attached):
/// what `flatmin deep train --save-init` writes, to measure how far training moved.
pub fn initial_net(arch: &[usize], params: &TrainParams) -> Result<BinaryNet> {
    params.check()?;
    crate::deep::net::check_arch(arch).map_err(|e| Error::Input(format!("bad --arch: {e}")))?;
    let latent = init_latent(arch, params);
    let weights = latent
        .iter()
        .map(|l| l.iter().map(|&v| if v < 0.0 { -1i8 } else { 1 }).collect())
        .collect();
    let mut net = BinaryNet::new(arch.to_vec(), weights)?;
    net.latent = Some(latent);
    Ok(net)
}

/// Per-epoch report passed to the progress callback.
#[derive(Clone, Copy, Debug)]
pub struct EpochReport {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's mini-batches.
    pub loss: f64,
    /// Training examples misclassified by the float forward pass during the epoch (before each
    /// step's update), a cheap running indicator; the exact count comes from the packed evaluation.
    pub running_errors: usize,
}

/// Trains a network of architecture `arch` on `data` (all its examples). `on_epoch` is called after
/// every epoch.
pub fn train(
    arch: &[usize],
    data: &TaskData,
    params: &TrainParams,
    mut on_epoch: impl FnMut(&EpochReport),
) -> Result<BinaryNet> {
    params.check()?;
    crate::deep::net::check_arch(arch).map_err(|e| Error::Input(format!("bad --arch: {e}")))?;
    if arch[0] != data.n {
        return Err(Error::Input(format!(
            "--arch starts with {} inputs, the data has {} per example",
            arch[0], data.n
        )));
    }
    let outs = arch[arch.len() - 1];
    let p = data.len();
    if p == 0 {
        return Err(Error::Input(
            "no training examples (--p must be ≥ 1)".into(),
        ));
    }
    let labels_ok = if outs == 1 {
        data.labels.iter().all(|&y| y == 1 || y == -1)
    } else {
        data.labels.iter().all(|&y| y >= 0 && (y as usize) < outs)
    };
    if !labels_ok {
        return Err(Error::Input(format!(
            "--arch ends with {outs} output unit{} but the task's labels need {}",
            if outs == 1 { "" } else { "s" },
            if outs == 1 {
                "more"
            } else {
                "one (two-class task)"
            }
        )));
    }
    let nl = arch.len() - 1;
    let mut latent = init_latent(arch, params);
    let mut wb: Vec<Vec<f32>> = latent
        .iter()
        .map(|l| l.iter().map(|&v| sgn(v)).collect())
        .collect();
    let scale: Vec<f32> = arch[..nl]
        .iter()
        .map(|&n| 1.0 / (n as f32).sqrt())
        .collect();
    let x = data.floats();
    let n0 = arch[0];
    let bmax = params.batch.min(p);
    // Activations a_l (B × arch[l]); pre-activations u_l (B × arch[l+1]).
    let mut acts: Vec<Vec<f32>> = arch[..nl].iter().map(|&n| vec![0.0; bmax * n]).collect();
    let mut pre: Vec<Vec<f32>> = arch[1..].iter().map(|&n| vec![0.0; bmax * n]).collect();
    let max_w = arch.iter().copied().max().unwrap_or(1);
    // Per hidden unit: the half-width of its straight-through window in this mini-batch.
    let mut thr: Vec<Vec<f32>> = arch[1..nl].iter().map(|&n| vec![1.0; n]).collect();
    let mut g_out = vec![0.0f32; bmax * max_w];
    let mut g_in = vec![0.0f32; bmax * max_w];
    let mut grad: Vec<f32> = vec![0.0; arch.windows(2).map(|s| s[0] * s[1]).max().unwrap_or(0)];
    let mut order: Vec<usize> = (0..p).collect();
    let mut shuffle_rng = rng_from_seed(derive_seed(params.seed, 1));
    for epoch in 1..=params.epochs {
        let lr = params.lr_at(epoch);
        shuffle(&mut shuffle_rng, &mut order);
        let mut loss_sum = 0.0f64;
        let mut batches = 0usize;
        let mut running_errors = 0usize;
        for chunk in order.chunks(params.batch) {
            let b = chunk.len();
            for (r, &mu) in chunk.iter().enumerate() {
                acts[0][r * n0..(r + 1) * n0].copy_from_slice(&x[mu * n0..(mu + 1) * n0]);
            }
            // Forward.
            for l in 0..nl {
                let (nin, nout) = (arch[l], arch[l + 1]);
                let u = &mut pre[l][..b * nout];
                sgemm(b, nin, nout, &acts[l], nin, 1, &wb[l], 1, nin, 0.0, u);
                let s = scale[l];
                u.iter_mut().for_each(|v| *v *= s);
                if l + 1 < nl {
                    let (head, tail) = acts.split_at_mut(l + 1);
                    let _ = head;
                    for (a, &v) in tail[0][..b * nout].iter_mut().zip(u.iter()) {
                        *a = sgn(v);
                    }
                    if params.window == Window::Batch {
                        let t = &mut thr[l];
                        t.iter_mut().for_each(|v| *v = 0.0);
                        for row in u.chunks_exact(nout) {
                            for (tv, &v) in t.iter_mut().zip(row) {
                                *tv += v * v;
                            }
                        }
                        let inv = 1.0 / b as f32;
                        t.iter_mut().for_each(|v| *v = (*v * inv).sqrt());
                    }
                }
            }
            // Loss and its gradient with respect to u_L (mean over the batch).
            let beta = params.beta;
            let u = &pre[nl - 1][..b * outs];
            let g = &mut g_out[..b * outs];
            let inv_b = 1.0 / b as f32;
            let mut loss = 0.0f64;
            for (r, &mu) in chunk.iter().enumerate() {
                let y = data.labels[mu];
                if outs == 1 {
                    let m = beta * y as f32 * u[r];
                    // ln(1 + e^{−m}), stable
                    loss += f64::from(if m > 0.0 {
                        (-m).exp().ln_1p()
                    } else {
                        -m + m.exp().ln_1p()
                    });
                    let sig = 1.0 / (1.0 + m.exp()); // σ(−m)
                    g[r] = -beta * y as f32 * sig * inv_b;
                    if (u[r] < 0.0) != (y < 0) {
                        running_errors += 1;
                    }
                } else {
                    let row = &u[r * outs..(r + 1) * outs];
                    let mx = row.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(beta * v));
                    let z: f32 = row.iter().map(|&v| (beta * v - mx).exp()).sum();
                    let yi = y as usize;
                    loss += f64::from(mx + z.ln() - beta * row[yi]);
                    let mut best = 0;
                    for c in 0..outs {
                        let pc = (beta * row[c] - mx).exp() / z;
                        g[r * outs + c] = beta * (pc - if c == yi { 1.0 } else { 0.0 }) * inv_b;
                        if row[c] > row[best] {
                            best = c;
                        }
                    }
                    if best != yi {
                        running_errors += 1;
                    }
                }
            }
            loss_sum += loss / b as f64;
            batches += 1;
            // Backward: g_out holds dL/du_l (B × nout).
            for l in (0..nl).rev() {
                let (nin, nout) = (arch[l], arch[l + 1]);
                let s = scale[l];
                // dL/dh = dL/du · s.
                g_out[..b * nout].iter_mut().for_each(|v| *v *= s);
                // dL/dA_l = G · W (B × nin), before W changes.
                if l > 0 {
                    sgemm(
                        b,
                        nout,
                        nin,
                        &g_out,
                        nout,
                        1,
                        &wb[l],
                        nin,
                        1,
                        0.0,
                        &mut g_in[..b * nin],
                    );
                }
                // dL/dW = Gᵀ · A_l (nout × nin).
                let gw = &mut grad[..nout * nin];
                sgemm(nout, b, nin, &g_out, 1, nout, &acts[l], nin, 1, 0.0, gw);
                let c = params.clip;
                for ((lat, wv), &gv) in latent[l].iter_mut().zip(wb[l].iter_mut()).zip(gw.iter()) {
                    *lat = (*lat - lr * gv).clamp(-c, c);
                    *wv = sgn(*lat);
                }
                if l > 0 {
                    // Straight-through hard-tanh window on u_{l−1} (B × nin).
                    let up = &pre[l - 1][..b * nin];
                    let t = &thr[l - 1];
                    for ((go, gi), uv) in g_out[..b * nin]
                        .chunks_exact_mut(nin)
                        .zip(g_in[..b * nin].chunks_exact(nin))
                        .zip(up.chunks_exact(nin))
                    {
                        for (((g, &gv), &v), &tv) in go.iter_mut().zip(gi).zip(uv).zip(t) {
                            *g = if v.abs() <= tv { gv } else { 0.0 };
                        }
                    }
                }
            }
        }
        on_epoch(&EpochReport {
            epoch,
            loss: loss_sum / batches.max(1) as f64,
            running_errors,
        });
    }
    let weights = wb
        .iter()
        .map(|w| w.iter().map(|&v| if v < 0.0 { -1i8 } else { 1 }).collect())
        .collect();
    let mut net = BinaryNet::new(arch.to_vec(), weights)?;
    net.latent = Some(latent);
    Ok(net)
}
