"""Franz–Parisi local entropy around typical κ̃-margin references at α = 0.5 (paper Fig. 3).

    python fp_curves.py [--points 30] [--out fig3.png]

Plots s_FP(d) for a few reference margins with matplotlib if it is installed, otherwise prints the
curves as a table. Points past the end of the RS branch are NaN (the reason is in "s_fp_reason").
"""

import argparse

import numpy as np

import flatmin


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--points", type=int, default=30)
    ap.add_argument("--out", default=None, help="save the plot here instead of showing it")
    ap.add_argument("--no-plot", action="store_true", help="print the table even with matplotlib")
    args = ap.parse_args()

    alpha = args.alpha
    kmax = flatmin.theory.kappa_max(alpha)
    rs = flatmin.theory.rs(alpha, 0.0)
    ds = np.linspace(2e-3, rs["d"], args.points)  # up to the typical distance d* of κ = 0
    curves = {}
    for kref in [0.0, 0.1, kmax]:
        curves[kref] = flatmin.theory.fp(alpha, kappa_ref=kref, kappa=0.0, d=ds)

    try:
        if args.no_plot:
            raise ImportError
        import matplotlib

        if args.out:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"# Franz-Parisi local entropy s_fp(d), alpha = {alpha}, kappa = 0")
        print("# kappa_ref: " + "  ".join(f"{k:.6f}" for k in curves))
        print(f"{'d':>10} " + " ".join(f"{'s_fp':>12}" for _ in curves))
        for i, d in enumerate(ds):
            print(f"{d:10.5f} " + " ".join(f"{c['s_fp'][i]:12.6f}" for c in curves.values()))
        return
    for kref, c in curves.items():
        plt.plot(c["d"], c["s_fp"], label=f"κ̃ = {kref:.3f}")
    plt.xlabel("d")
    plt.ylabel("Franz–Parisi entropy")
    plt.title(f"α = {alpha}, κ = 0 (paper Fig. 3)")
    plt.legend()
    if args.out:
        plt.savefig(args.out)
        print(f"wrote {args.out}")
    else:
        plt.show()


if __name__ == "__main__":
    main()
