"""Focusing BP on a random instance, then the BP local-entropy profile around its solution
(the paper's SM II.3 procedure on one sample).

    python fbp_profile.py [--n 1001] [--alpha 0.6] [--seed 0]
"""

import argparse

import numpy as np

import flatmin


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1001)
    ap.add_argument("--alpha", type=float, default=0.6)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    inst = flatmin.Instance.random(args.n, args.alpha, seed=args.seed)
    sol = flatmin.solve(inst, algo="fbp", seed=args.seed)
    w = sol["weights"]
    print(f"N = {inst.n}, P = {inst.p} (alpha = {inst.alpha:.3f}): fBP solved = {sol['solved']}, "
          f"{sol['errors']} errors, margin = {sol['margin']}, {sol['sweeps']} sweeps, "
          f"{sol['seconds']:.2f} s")
    s = flatmin.stabilities(inst, w)
    print(f"smallest stability {s.min()} (margin {s.min() / np.sqrt(inst.n):.4f})")

    prof = flatmin.local_entropy(inst, w, seed=args.seed)
    print(f"{'lambda':>8} {'d':>12} {'S(d)':>12} converged")
    for lam, d, ent, ok in zip(prof["lambda"], prof["d"], prof["s"], prof["converged"]):
        print(f"{lam:8.3f} {d:12.6f} {ent:12.6f} {ok}")


if __name__ == "__main__":
    main()
