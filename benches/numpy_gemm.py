#!/usr/bin/env python3
"""numpy's float32 matrix product of packed ±1 matrices: the peer of `flatmin bench gemm`.

`flatmin bench gemm` writes its two random matrices (R × N and P × N, packed rows of ceil(N/64)
little-endian u64 words, bit 1 = -1) and runs this script in the same run, with one BLAS thread
(OMP/OPENBLAS/MKL/BLIS_NUM_THREADS=1). The script unpacks them to ±1 float32, times `A @ B.T`
(median over calls for about --time seconds, wall and thread CPU time) and prints one JSON object:
{"numpy_version","blas","seconds","cpu_seconds","tbit_per_s","calls","sum","sum_sq"}, where Tbit/s counts R·P·N
(the XOR-popcount work of the packed product) and sum / sum_sq are the sums of the R·P products and
of their squares, which flatmin checks against its own products (float32 is exact here: |a·b| ≤ N < 2^24).

Standalone: `python3 benches/numpy_gemm.py --r 64 --p 1000 --n 8192` draws its own random matrices.
"""

import argparse
import json
import os
import sys
import time

import numpy as np


def unpack(path, rows, n):
    words = (n + 63) // 64
    raw = np.fromfile(path, dtype="<u8")
    if raw.size != rows * words:
        sys.exit(f"{path}: expected {rows * words} words, found {raw.size}")
    bits = np.unpackbits(raw.view(np.uint8).reshape(rows, words * 8), axis=1, bitorder="little")
    return (1.0 - 2.0 * bits[:, :n]).astype(np.float32)


def blas_name():
    """The BLAS library actually loaded (after a product), else numpy's build configuration."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        if libs:
            return ",".join(sorted({os.path.realpath(x) for x in libs}))
    except OSError:
        pass
    try:
        cfg = np.show_config(mode="dicts")
        return cfg["Build Dependencies"]["blas"]["name"]
    except Exception:  # older numpy: no dict mode
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--r", type=int, default=64)
    ap.add_argument("--p", type=int, default=1000)
    ap.add_argument("--n", type=int, default=8192)
    ap.add_argument("--a", help="packed R x N matrix (default: random)")
    ap.add_argument("--b", help="packed P x N matrix (default: random)")
    ap.add_argument("--time", type=float, default=3.0, help="seconds of timing")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if args.a and args.b:
        a = unpack(args.a, args.r, args.n)
        b = unpack(args.b, args.p, args.n)
    else:
        rng = np.random.default_rng(args.seed)
        a = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(args.r, args.n))
        b = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(args.p, args.n))
    bt = np.ascontiguousarray(b.T)
    c = a @ bt  # warm-up
    times = []
    cpu_times = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < args.time:
        t = time.perf_counter()
        tc = time.thread_time()
        c = a @ bt
        cpu_times.append(time.thread_time() - tc)
        times.append(time.perf_counter() - t)
    times.sort()
    cpu_times.sort()
    med = times[len(times) // 2]
    ci = c.astype(np.int64)
    print(
        json.dumps(
            {
                "numpy_version": np.__version__,
                "blas": blas_name(),
                "seconds": med,
                "cpu_seconds": cpu_times[len(cpu_times) // 2],
                "tbit_per_s": args.r * args.p * args.n / med / 1e12,
                "calls": len(times),
                "sum": int(ci.sum()),
                "sum_sq": int((ci * ci).sum()),
            }
        )
    )


if __name__ == "__main__":
    main()
