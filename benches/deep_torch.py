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
   evaluation (from two `deep local-energy` runs with R and 3R realisations, so loading cancels)
   against a numpy float32 matrix-product evaluation of the same +-1 network (noise on every weight,
   forward pass, error count), interleaved, median of max(5, --repeats); CPU time and wall time,
   and the mean dE/P of both sides as a sanity check. flatmin evaluates its realisations in
   batches of 4 (one pass over the cached first layer for the batch): keep R a multiple of 4.

Needs Debian's python3-torch and python3-numpy, with libopenblas0-pthread installed beside them (else
the reference BLAS runs, about 16x slower). Usage:

    /usr/bin/python3 benches/deep_torch.py --flatmin target/release/flatmin [--p 6000] [--repeats 3]
    /usr/bin/python3 benches/deep_torch.py --flatmin target/release/flatmin --skip-training [--net NET.npz]
"""

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time

# One BLAS thread for numpy: OpenBLAS reads this when numpy is imported, not later.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

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


def flatmin_energy_run(binary, net, p, samples, flip):
    """One `deep local-energy` run at one flip probability, one thread: (wall s, CPU s, mean dE)."""
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(
        [binary, "deep", "local-energy", net, "--task", "fashion-parity", "--p", str(p), "--ps",
         f"{flip}:{flip}:1", "--samples", str(samples), "--threads", "1", "--quiet", "--json"],
        check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    return wall, cpu, json.loads(r.stdout)[0]["mean"]


def numpy_forward_errors(ws, xf, yf):
    a = xf
    for l, w in enumerate(ws):
        h = a @ w.T
        a = np.where(h < 0, -1.0, 1.0).astype(np.float32) if l + 1 < len(ws) else h
    return int(np.sum(np.where(a[:, 0] < 0, -1.0, 1.0) != yf))


def numpy_eval(net_path, xf, yf, flip, reps, rng):
    """Per-evaluation (wall s, CPU s) of `reps` perturbed networks in numpy float32 (noise on every
    weight with probability `flip`, forward pass, error count), and their mean dE."""
    z = np.load(net_path)
    ws = [z[f"W{l}"].astype(np.float32) for l in range(len([k for k in z.files if k.startswith("W")]))]
    e0 = numpy_forward_errors(ws, xf, yf)
    c0, t0 = time.process_time(), time.perf_counter()
    de = 0
    for _ in range(reps):
        noisy = [np.where(rng.random(w.shape) < flip, -w, w) for w in ws]
        de += numpy_forward_errors(noisy, xf, yf) - e0
    return ((time.perf_counter() - t0) / reps, (time.process_time() - c0) / reps,
            de / reps / len(yf))


def local_energy_comparison(binary, net, xf, yf, p, samples, repeats, flip):
    """Interleaved: per repeat, flatmin with R and 3R realisations (their difference cancels
    start-up and loading) and numpy on max(3, R/4) perturbed networks. Medians over repeats."""
    rng = np.random.default_rng(0)
    r1, r3 = samples, 3 * samples
    fw, fc, nw, nc, fde, nde = [], [], [], [], [], []
    for _ in range(repeats):
        w1, c1, _ = flatmin_energy_run(binary, net, p, r1, flip)
        w3, c3, m3 = flatmin_energy_run(binary, net, p, r3, flip)
        fw.append((w3 - w1) / (r3 - r1))
        fc.append((c3 - c1) / (r3 - r1))
        fde.append(m3)
        w, c, d = numpy_eval(net, xf, yf, flip, max(3, samples // 4), rng)
        nw.append(w)
        nc.append(c)
        nde.append(d)
    med = statistics.median
    print(f"local energy, one perturbed-network evaluation (flip probability {flip}) on P={p}, "
          f"one thread, median of {repeats}:")
    for name, f, n in (("CPU time", fc, nc), ("wall time", fw, nw)):
        print(f"  {name:9}: flatmin {med(f) * 1e3:7.2f} ms ({1 / med(f):6.1f}/s)   numpy float32 "
              f"{med(n) * 1e3:7.2f} ms ({1 / med(n):5.1f}/s)   ratio numpy/flatmin {med(n) / med(f):.1f}")
    print(f"  goal (issue 14): ratio >= 20 on CPU time; flatmin needs <= {med(nc) / 20 * 1e3:.2f} ms here")
    print(f"  (runs, ms: flatmin cpu {[round(v * 1e3, 2) for v in fc]}, numpy cpu "
          f"{[round(v * 1e3, 1) for v in nc]}; mean dE/P flatmin {med(fde):.4f}, numpy {med(nde):.4f})")


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
    ap.add_argument("--samples", type=int, default=20,
                    help="local energy: flatmin runs R and 3R realisations (default 20)")
    ap.add_argument("--flip", type=float, default=0.1,
                    help="local energy: flip probability of the timed perturbations (default 0.1)")
    ap.add_argument("--net", help="local energy: time this network (.npz) instead of the trained one")
    ap.add_argument("--skip-training", action="store_true",
                    help="only the local-energy comparison (on --net, or a 2-epoch flatmin network)")
    a = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    xf, yf = load_parity(a.p)
    arch = [784, 501, 501, 1]
    tmp = tempfile.mkdtemp(prefix="flatmin-deep-bench-")
    tf, tt = [], []
    net = None
    hyper = ["--lr", str(a.lr), "--lr-final", str(a.lr), "--batch", str(a.batch), "--clip", str(a.clip),
             "--beta", str(a.beta), "--init-scale", str(a.init_scale), "--window", a.window]
    for r in range(0 if a.skip_training else a.repeats):
        s, net = flatmin_epoch_seconds(a.flatmin, a.p, 2, tmp, r, hyper)
        tf.append(s)
        tt.append(torch_epoch_seconds(xf, yf, arch, a.lr, a.batch, a.clip, a.beta, 2, r,
                                      a.init_scale, a.window))
    if tf:
        mf, mt = statistics.median(tf), statistics.median(tt)
        print(f"training, one epoch 784-501-501-1, P={a.p}, batch {a.batch}, init {a.init_scale}, "
              f"window {a.window}, one thread:")
        print(f"  flatmin {mf:.3f} s   pytorch {mt:.3f} s   ratio pytorch/flatmin {mt / mf:.2f}")
        print(f"  (runs: flatmin {[round(v, 3) for v in tf]}, pytorch {[round(v, 3) for v in tt]})")
    if a.net:
        net = a.net
    elif net is None:
        _, net = flatmin_epoch_seconds(a.flatmin, a.p, 2, tmp, "energy", hyper)
    # Local energy: medians of at least 5 interleaved repeats (the goal is a ratio, noise matters).
    local_energy_comparison(a.flatmin, net, xf, yf, a.p, a.samples, max(5, a.repeats), a.flip)


if __name__ == "__main__":
    main()
