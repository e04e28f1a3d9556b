#!/usr/bin/env python3
"""Side-by-side speed of `flatmin deep` and PyTorch / numpy on the same work (issue "Deep binary
networks", Speed section). Not a test: run by hand, on an otherwise idle machine if possible.

1. Training: one epoch of a BinaryNet 784-501-501-1 on the first P = 6000 Fashion-MNIST parity
   examples, one thread, the same model, loss, batch and optimiser on both sides (DEEP §g.4): latent
   U(-eps*c, eps*c) weights, forward with their signs, hidden sign with the straight-through window
   |h_j| <= RMS_batch(h_j) (`--window batch`, flatmin's default) or |h|/sqrt(fan_in) <= 1
   (`--window scaled`), logistic loss ln(1+exp(-beta*y*u)) on u = h/sqrt(fan_in), plain SGD (the
   learning rate of the epoch from the geometric schedule lr -> lr_final), latent clip to [-c, c],
   inputs (2b-255)/255. Median seconds per epoch of each side, interleaved, and the ratio.
2. Local energy: perturbed-network evaluations per second on the same network and P: flatmin's exact
   packed evaluation (from two `deep local-energy` runs with R and 3R realisations, so loading cancels)
   against a numpy float32 matrix-product evaluation of the same +-1 network.

Needs Debian's python3-torch and python3-numpy, with libopenblas0-pthread installed beside them (else
the reference BLAS runs, about 16x slower). Usage:

    /usr/bin/python3 benches/deep_torch.py --flatmin target/release/flatmin [--p 6000] [--repeats 3]
"""

import argparse
import gzip
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_parity(p):
    x = read_idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz"))[:p].reshape(p, -1)
    y = read_idx(os.path.join(FASHION, "train-labels-idx1-ubyte.gz"))[:p]
    xf = (2.0 * x.astype(np.float32) - 255.0) / 255.0
    yf = np.where(y % 2 == 0, 1.0, -1.0).astype(np.float32)
    return xf, yf


def torch_epoch_seconds(xf, yf, arch, lr, batch, clip, beta, epochs, seed, init=1.0, window="batch"):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    x = torch.from_numpy(xf)
    y = torch.from_numpy(yf)
    latent = [(torch.rand(arch[i + 1], arch[i]) * 2 - 1) * (init * clip) for i in range(len(arch) - 1)]
    scales = [1.0 / arch[i] ** 0.5 for i in range(len(arch) - 1)]

    class SignSTE(torch.autograd.Function):
        @staticmethod
        def forward(ctx, u):
            ctx.save_for_backward(u)
            return torch.where(u < 0, -torch.ones_like(u), torch.ones_like(u))

        @staticmethod
        def backward(ctx, g):
            (u,) = ctx.saved_tensors
            if window == "batch":
                thr = u.pow(2).mean(dim=0, keepdim=True).sqrt()
                return g * (u.abs() <= thr).to(g.dtype)
            return g * (u.abs() <= 1).to(g.dtype)

    times = []
    p = x.shape[0]
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(p)
        for s in range(0, p, batch):
            idx = perm[s: s + batch]
            a = x[idx]
            ws = [torch.where(l < 0, -1.0, 1.0).requires_grad_(True) for l in latent]
            for l, w in enumerate(ws):
                u = (a @ w.t()) * scales[l]
                a = SignSTE.apply(u) if l + 1 < len(ws) else u
            m = beta * y[idx] * a[:, 0]
            loss = torch.nn.functional.softplus(-m).mean()
            loss.backward()
            with torch.no_grad():
                for l, w in zip(latent, ws):
                    l.sub_(lr * w.grad).clamp_(-clip, clip)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def flatmin_epoch_seconds(binary, p, epochs, out_dir, tag, hyper):
    out = os.path.join(out_dir, f"bench-{tag}.npz")
    for f in (out, out[:-4] + ".json"):
        if os.path.exists(f):
            os.remove(f)
    r = subprocess.run(
        [binary, "deep", "train", "--task", "fashion-parity", "--p", str(p), "--epochs", str(epochs),
         "--seed", "1", "--threads", "1", "--quiet", "--json", "--save", out] + hyper,
        check=True, capture_output=True, text=True)
    return json.loads(r.stdout)["seconds"] / epochs, out


def flatmin_energy_seconds(binary, net, p, samples):
    t0 = time.perf_counter()
    subprocess.run(
        [binary, "deep", "local-energy", net, "--task", "fashion-parity", "--p", str(p), "--ps",
         "0.1:0.1:1", "--samples", str(samples), "--threads", "1", "--quiet", "--json"],
        check=True, capture_output=True)
    return time.perf_counter() - t0


def numpy_eval_seconds(net_path, xf, yf, reps):
    z = np.load(net_path)
    ws = [z[f"W{l}"].astype(np.float32) for l in range(len([k for k in z.files if k.startswith("W")]))]
    rng = np.random.default_rng(0)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        noisy = [np.where(rng.random(w.shape) < 0.1, -w, w) for w in ws]
        a = xf
        for l, w in enumerate(noisy):
            h = a @ w.T
            a = np.where(h < 0, -1.0, 1.0).astype(np.float32) if l + 1 < len(noisy) else h
        errors = int(np.sum(np.where(a[:, 0] < 0, -1.0, 1.0) != yf))
        times.append(time.perf_counter() - t0)
    return statistics.median(times), errors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flatmin", required=True)
    ap.add_argument("--p", type=int, default=6000)
    ap.add_argument("--repeats", type=int, default=3)
    # Defaults: flatmin's (host/src/deep/train.rs); the per-epoch cost does not depend on them.
    ap.add_argument("--lr", type=float, default=20.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--beta", type=float, default=4.0)
    ap.add_argument("--init-scale", type=float, default=0.01)
    ap.add_argument("--window", choices=["batch", "scaled"], default="batch")
    ap.add_argument("--samples", type=int, default=20)
    a = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    xf, yf = load_parity(a.p)
    arch = [784, 501, 501, 1]
    tmp = tempfile.mkdtemp(prefix="flatmin-deep-bench-")
    tf, tt = [], []
    net = None
    for r in range(a.repeats):
        hyper = ["--lr", str(a.lr), "--lr-final", str(a.lr), "--batch", str(a.batch), "--clip", str(a.clip),
                 "--beta", str(a.beta), "--init-scale", str(a.init_scale), "--window", a.window]
        s, net = flatmin_epoch_seconds(a.flatmin, a.p, 2, tmp, r, hyper)
        tf.append(s)
        tt.append(torch_epoch_seconds(xf, yf, arch, a.lr, a.batch, a.clip, a.beta, 2, r,
                                      a.init_scale, a.window))
    mf, mt = statistics.median(tf), statistics.median(tt)
    print(f"training, one epoch 784-501-501-1, P={a.p}, batch {a.batch}, init {a.init_scale}, window {a.window}, one thread:")
    print(f"  flatmin {mf:.3f} s   pytorch {mt:.3f} s   ratio pytorch/flatmin {mt / mf:.2f}")
    print(f"  (runs: flatmin {[round(v, 3) for v in tf]}, pytorch {[round(v, 3) for v in tt]})")
    # Local energy: per-evaluation cost from the difference of two run lengths.
    r1, r3 = a.samples, 3 * a.samples
    d = []
    for _ in range(a.repeats):
        d.append((flatmin_energy_seconds(a.flatmin, net, a.p, r3)
                  - flatmin_energy_seconds(a.flatmin, net, a.p, r1)) / (r3 - r1))
    fe = statistics.median(d)
    ne, _ = numpy_eval_seconds(net, xf, yf, max(3, a.repeats))
    print(f"local energy, one perturbed-network evaluation on P={a.p}, one thread:")
    print(f"  flatmin {fe * 1e3:.1f} ms ({1 / fe:.1f}/s)   numpy float32 {ne * 1e3:.1f} ms ({1 / ne:.1f}/s)"
          f"   ratio {ne / fe:.2f}")


if __name__ == "__main__":
    main()
