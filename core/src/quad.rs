//! Gaussian quadrature without allocation (THEORY §S1.2).
//!
//! * [`GaussHermite`]: probabilists' weight e^{−z²/2}, weights normalized to sum 1, so
//!   `gh.expect(f)` ≈ ∫Dz f(z). Nodes by Newton iteration on the orthonormal Hermite recurrence
//!   (Numerical Recipes `gauher`), into fixed arrays; exact for polynomials of degree ≤ 2N−1.
//! * [`GaussLegendre`]: nodes on [−1, 1] and `integrate(a, b, f)`.
//!
//! Construction costs O(N²) floating-point operations (microseconds); build once and reuse.

use crate::real::Real;

/// N-point Gauss–Hermite rule for the standard Gaussian measure Dz.
#[derive(Clone, Debug)]
pub struct GaussHermite<const N: usize> {
    nodes: [f64; N],
    weights: [f64; N],
}

impl<const N: usize> GaussHermite<N> {
    /// Computes the rule (N ≥ 1).
    pub fn new() -> Self {
        let mut x = [0.0f64; N];
        let mut w = [0.0f64; N];
        let n = N;
        let pim4 = 0.751_125_544_464_942_5_f64; // π^(−1/4)
        let mut z: f64 = 0.0;
        for i in 0..n.div_ceil(2) {
            z = match i {
                0 => {
                    libm::sqrt(2.0 * n as f64 + 1.0)
                        - 1.855_75 * libm::pow(2.0 * n as f64 + 1.0, -1.0 / 6.0)
                }
                1 => z - 1.14 * libm::pow(n as f64, 0.426) / z,
                2 => 1.86 * z - 0.86 * x[0],
                3 => 1.91 * z - 0.91 * x[1],
                _ => 2.0 * z - x[i - 2],
            };
            let mut pp = 1.0;
            for _ in 0..100 {
                let mut p1 = pim4;
                let mut p2 = 0.0;
                for j in 0..n {
                    let p3 = p2;
                    p2 = p1;
                    p1 = z * libm::sqrt(2.0 / (j as f64 + 1.0)) * p2
                        - libm::sqrt(j as f64 / (j as f64 + 1.0)) * p3;
                }
                pp = libm::sqrt(2.0 * n as f64) * p2;
                let z1 = z;
                z = z1 - p1 / pp;
                if (z - z1).abs() <= 3e-15 * (1.0 + z.abs()) {
                    break;
                }
            }
            x[i] = z;
            x[n - 1 - i] = -z;
            w[i] = 2.0 / (pp * pp);
            w[n - 1 - i] = w[i];
        }
        // physicists' (weight e^{−x²}) → probabilists' (Dz): z = √2 x, weight / √π, renormalized.
        let mut total = 0.0;
        for i in 0..n {
            x[i] *= core::f64::consts::SQRT_2;
            total += w[i];
        }
        for wi in w.iter_mut() {
            *wi /= total;
        }
        GaussHermite {
            nodes: x,
            weights: w,
        }
    }
    /// Nodes zₖ (descending).
    #[inline]
    pub fn nodes(&self) -> &[f64; N] {
        &self.nodes
    }
    /// Weights wₖ (sum 1).
    #[inline]
    pub fn weights(&self) -> &[f64; N] {
        &self.weights
    }
    /// ∫Dz f(z) ≈ Σₖ wₖ f(zₖ), evaluated in the caller's precision.
    #[inline]
    pub fn expect<T: Real, F: FnMut(T) -> T>(&self, mut f: F) -> T {
        let mut s = T::ZERO;
        for k in 0..N {
            s += T::from_f64(self.weights[k]) * f(T::from_f64(self.nodes[k]));
        }
        s
    }
}

impl<const N: usize> Default for GaussHermite<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// N-point Gauss–Legendre rule on [−1, 1].
#[derive(Clone, Debug)]
pub struct GaussLegendre<const N: usize> {
    nodes: [f64; N],
    weights: [f64; N],
}

impl<const N: usize> GaussLegendre<N> {
    /// Computes the rule (N ≥ 1).
    pub fn new() -> Self {
        let mut x = [0.0f64; N];
        let mut w = [0.0f64; N];
        let n = N;
        for i in 0..n.div_ceil(2) {
            let mut z = libm::cos(core::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5));
            let mut pp = 1.0;
            for _ in 0..100 {
                let mut p1 = 1.0;
                let mut p2 = 0.0;
                for j in 0..n {
                    let p3 = p2;
                    p2 = p1;
                    p1 = ((2.0 * j as f64 + 1.0) * z * p2 - j as f64 * p3) / (j as f64 + 1.0);
                }
                pp = n as f64 * (z * p1 - p2) / (z * z - 1.0);
                let z1 = z;
                z = z1 - p1 / pp;
                if (z - z1).abs() <= 1e-15 {
                    break;
                }
            }
            x[i] = -z;
            x[n - 1 - i] = z;
            w[i] = 2.0 / ((1.0 - z * z) * pp * pp);
            w[n - 1 - i] = w[i];
        }
        GaussLegendre {
            nodes: x,
            weights: w,
        }
    }
    /// Nodes on [−1, 1] (ascending).
    #[inline]
    pub fn nodes(&self) -> &[f64; N] {
        &self.nodes
    }
    /// Weights (sum 2).
    #[inline]
    pub fn weights(&self) -> &[f64; N] {
        &self.weights
    }
    /// ∫ₐᵇ f(x) dx.
    #[inline]
    pub fn integrate<T: Real, F: FnMut(T) -> T>(&self, a: T, b: T, mut f: F) -> T {
        let half = (b - a) * T::HALF;
        let mid = (b + a) * T::HALF;
        let mut s = T::ZERO;
        for k in 0..N {
            s += T::from_f64(self.weights[k]) * f(mid + half * T::from_f64(self.nodes[k]));
        }
        s * half
    }
}

impl<const N: usize> Default for GaussLegendre<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hermite_moments() {
        // E z^{2k} = (2k−1)!! under Dz.
        let gh = GaussHermite::<64>::new();
        let m0: f64 = gh.expect(|_| 1.0);
        let m2: f64 = gh.expect(|z: f64| z * z);
        let m4: f64 = gh.expect(|z: f64| z.powi(4));
        let m8: f64 = gh.expect(|z: f64| z.powi(8));
        assert!((m0 - 1.0).abs() < 1e-14);
        assert!((m2 - 1.0).abs() < 1e-13);
        assert!((m4 - 3.0).abs() < 1e-12);
        assert!((m8 - 105.0).abs() < 1e-10);
        let gh150 = GaussHermite::<150>::new();
        let c: f64 = gh150.expect(|z: f64| libm::cos(z));
        assert!(
            (c - libm::exp(-0.5)).abs() < 1e-13,
            "E cos z = e^(-1/2), got {c}"
        );
    }

    #[test]
    fn legendre_integrates_polynomials_and_exp() {
        let gl = GaussLegendre::<32>::new();
        let s: f64 = gl.integrate(0.0, 2.0, |x: f64| x.powi(5));
        assert!((s - 64.0 / 6.0).abs() < 1e-12);
        let e: f64 = gl.integrate(-1.0, 3.0, libm::exp);
        assert!((e - (libm::exp(3.0) - libm::exp(-1.0))).abs() < 1e-12);
    }
}
