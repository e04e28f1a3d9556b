"""Coefficients of the vectorized erfcx in core/src/special.rs (`ERFCX_POLY`), with mpmath at 60 digits.

phi(t) = erfcx(y)/t with t = 4/(4 + y), y >= 0, is smooth on (0, 1] (phi(0+) = 1/(4 sqrt(pi))).
One polynomial in z = t - 1/2 of degree 24: interpolation at the 25 Chebyshev nodes of [-1/2, 1/2],
converted to monomial coefficients at 60 digits and rounded to f64. Prints the Rust array and the
worst relative error of phi (f64 Horner, as the Rust code evaluates it) on 20000 points.
Run: python3 tests/data/gen_erfcx_poly.py
"""
import random
import mpmath as mp

mp.mp.dps = 60
DEG = 24


def erfcx(y):
    if y < 1000:
        with mp.workdps(80):
            return mp.erfc(y) * mp.exp(y * y)
    s, term = mp.mpf(0), mp.mpf(1)
    for k in range(14):  # asymptotic series, converged far below 1e-40 at y >= 1000
        s += term
        term *= -(2 * k + 1) / (2 * y * y)
    return s / (mp.sqrt(mp.pi) * y)


def phi(t):
    t = mp.mpf(t)
    return erfcx(4 * (1 - t) / t) / t


nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / (DEG + 1)) / 2 for k in range(DEG + 1)]
A = mp.matrix([[z ** j for j in range(DEG + 1)] for z in nodes])
c = mp.lu_solve(A, mp.matrix([phi(mp.mpf(1) / 2 + z) for z in nodes]))
coef = [float(c[j]) for j in range(DEG + 1)]


def horner(t):
    z = t - 0.5
    p = coef[DEG]
    for a in reversed(coef[:DEG]):
        p = p * z + a
    return p


random.seed(1)
pts = [random.random() for _ in range(10000)] + [4 / (4 + 10 ** random.uniform(-3, 300)) for _ in range(10000)]
worst = max(abs((horner(t) - phi(t)) / phi(t)) for t in pts)
print(f"// degree {DEG}, worst relative error of phi in f64: {float(worst):.3e}")
print("const ERFCX_POLY: [f64; %d] = [" % (DEG + 1))
for a in coef:
    print(f"    {a!r},")
print("];")
