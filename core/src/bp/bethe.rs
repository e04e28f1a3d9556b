//! Bethe free entropy, overlap with the reference and local entropy at a BP fixed point
//! (ALGORITHMS §b.6).
//!
//! Φ_B = Σ_i ln Z_i + Σ_μ ln Z_μ − Σ_{(i,μ)} ln Z_{iμ}. With normalized messages the per-edge terms
//! combine: −ln 2cosh g_{μ→i} (from ln Z_i) − ln Z_{iμ} = ln cosh h_{i→μ} − ln cosh H_i, so
//!
//! Φ_B = Σ_i ln 2cosh H_i + Σ_{(i,μ)} [ln cosh(H_i − g_{μ→i}) − ln cosh H_i] + Σ_μ ln Z_μ,
//!
//! with ln Z_μ = ln Pr_cavity[S_μ ≥ T] (exact factor) or ln H((θ − μ_μ)/σ_μ) (Gaussian factor).
//! Then φ = Φ_B/N, q = (1/N) Σ w̃_i m_i, d = (1 − q)/2 and S = φ − λq. The formula is exact on a tree
//! (P = 1) and is meant for plain BP (the focusing fields, if any, enter H like an external field).
//! Sums are accumulated in f64 whatever the message type.

use super::{factor, BpWorkspace, FactorKind};
use crate::bits::Spins;
use crate::instance::Instance;
use crate::real::Real;
use crate::special::{log_2cosh, log_cosh};

/// Bethe quantities at a fixed point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BetheStats {
    /// φ = Φ_B / N.
    pub phi: f64,
    /// q = (1/N) Σ w̃_i m_i (NaN without a reference).
    pub q: f64,
    /// d = (1 − q)/2 (NaN without a reference).
    pub d: f64,
    /// Local entropy S = φ − λ q (= φ at λ = 0 or without a reference).
    pub s: f64,
    /// Self-overlap (1/N) Σ m_i².
    pub self_overlap: f64,
    /// The smallest ln Z_μ (0 when P = 0).
    pub min_log_z: f64,
    /// Some ln Z_μ is not finite or below −`contradiction_log_z`: a contradictory fixed point, whose
    /// φ and S are meaningless.
    pub contradiction: bool,
}

pub(super) fn bethe<T: Real>(
    ws: &mut BpWorkspace<'_, T>,
    inst: &Instance<'_>,
    reference: Option<&Spins<'_>>,
    contradiction_log_z: T,
) -> BetheStats {
    let (n, p) = (ws.n, ws.p);
    let mut phi = 0.0f64;
    let mut self_overlap = 0.0f64;
    let mut q = 0.0f64;
    for i in 0..n {
        let hi = ws.h[i];
        phi += log_2cosh(hi).to_f64();
        let m = hi.tanh().to_f64();
        self_overlap += m * m;
        if let Some(r) = reference {
            q += f64::from(r.get(i)) * m;
        }
    }
    let theta = inst.threshold.t_par - 1;
    let t = inst.threshold.t;
    let mut min_log_z = if p == 0 { 0.0 } else { f64::INFINITY };
    let mut contradiction = false;
    for mu in 0..p {
        let row = inst.patterns.row(mu).words();
        let g = &ws.g[mu * n..(mu + 1) * n];
        let mut edges = 0.0f64;
        for (&gi, &hi) in g.iter().zip(ws.h.iter()) {
            edges += (log_cosh(hi - gi) - log_cosh(hi)).to_f64();
        }
        let lz = match ws.factor {
            FactorKind::Gaussian => factor::gaussian_log_z_raw(row, g, ws.h, ws.scratch, theta),
            FactorKind::Exact => factor::exact_log_z_raw(row, g, ws.h, ws.scratch, t),
        };
        if !lz.is_finite() || lz < -contradiction_log_z {
            contradiction = true;
        }
        let lz = lz.to_f64();
        if lz < min_log_z || lz.is_nan() {
            min_log_z = lz;
        }
        phi += edges + lz;
    }
    let nf = n as f64;
    let phi = phi / nf;
    let lambda = ws.lambda.to_f64();
    let (q, d, s) = match reference {
        Some(_) => {
            let q = q / nf;
            (q, (1.0 - q) / 2.0, phi - lambda * q)
        }
        None => (f64::NAN, f64::NAN, phi),
    };
    BetheStats {
        phi,
        q,
        d,
        s,
        self_overlap: self_overlap / nf,
        min_log_z,
        contradiction,
    }
}
