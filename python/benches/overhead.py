"""Calling overhead of the bindings: median time per call of flatmin.theory.rs and
flatmin.stabilities at N = 1001 (α = 0.5), to set beside the same work in Rust.

    python python/benches/overhead.py
"""

import statistics
import time

import numpy as np

import flatmin


def per_call(f, reps):
    t = time.perf_counter()
    for _ in range(reps):
        f()
    return (time.perf_counter() - t) / reps


def main():
    inst = flatmin.Instance.random(1001, 0.5, seed=1)
    w = np.where(np.arange(1001) % 3 == 0, -1, 1).astype(np.int8)
    rs_t, st_t = [], []
    for _ in range(15):
        rs_t.append(per_call(lambda: flatmin.theory.rs(0.5, 0.0), 200))
        st_t.append(per_call(lambda: flatmin.stabilities(inst, w), 2000))
    print(f"python theory.rs(0.5, 0): median {statistics.median(rs_t) * 1e6:.2f} us")
    print(f"python stabilities N=1001 P={inst.p}: median {statistics.median(st_t) * 1e6:.2f} us")


if __name__ == "__main__":
    main()
