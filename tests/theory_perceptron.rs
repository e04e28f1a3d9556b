//! Replica theory of the binary perceptron against THEORY.md §S2–S3 and table T3 (issue 3).
//!
//! Every reference value is written next to its source (spec section/table, all [oracle] unless marked
//! [lit]) and its tolerance. Tolerances: the spec prints 8 significant digits for the RS table (we ask
//! 5e-8, i.e. rounding of the last printed digit plus quadrature), fewer for the FP profiles (we ask
//! half a unit of the last printed digit plus 1e-6).

use flatmin_core::special::h2;
use flatmin_core::theory::rs::{self, RsError, RsQuadrature};

/// THEORY §S2 reference table: (α, κ, q, q̂, s, d).
const RS_TABLE: [(f64, f64, f64, f64, f64, f64); 13] = [
    (0.3, 0.0, 0.19083792, 0.28597865, 0.47482893, 0.40458104),
    (0.3, 0.5, 0.39642089, 1.01176125, 0.28895089, 0.30178956),
    (0.3, 1.0, 0.81806174, 18.4200229, -0.15402685, 0.09096913),
    (0.5, 0.0, 0.32238536, 0.66803499, 0.31439007, 0.33880732),
    (0.5, 0.25, 0.47979316, 1.59820456, 0.15716255, 0.26010342),
    (0.5, 0.5, 0.72092178, 7.37423050, -0.10932939, 0.13953911),
    (0.6, 0.0, 0.39104950, 0.98229958, 0.22778496, 0.30447525),
    (0.6, 0.25, 0.59194554, 3.04605700, 0.01448577, 0.20402723),
    (0.7, 0.0, 0.46257052, 1.45359136, 0.13539967, 0.26871474),
    (0.7, 0.25, 0.71918475, 7.27368489, -0.16027348, 0.14040762),
    (0.8, 0.0, 0.53794216, 2.21531606, 0.03530572, 0.23102892),
    (0.8, 0.25, 0.87465670, 39.7032361, -0.42344045, 0.06267165),
    (0.1, 0.0, 0.06343494, 0.07214476, 0.62277921, 0.46828253),
];

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got:.10}, want {want:.10} (tol {tol:e})");
}

#[test]
fn rs_table_s2() {
    let quad = RsQuadrature::new();
    for &(a, k, q, qh, s, d) in &RS_TABLE {
        let r = rs::solve(&quad, a, k).unwrap();
        let tag = format!("S2 table (α={a}, κ={k})");
        close(r.q, q, 5e-8, &format!("{tag} q"));
        // q̂ printed with 9 significant digits: relative 5e-8
        close(r.qhat, qh, 5e-8 * qh.max(1.0), &format!("{tag} q̂"));
        close(r.s, s, 5e-8, &format!("{tag} s"));
        close(r.d, d, 5e-8, &format!("{tag} d"));
        // check C3: residual |q(q̂(q)) − q| ≤ 1e-15 (we allow 1e-14)
        assert!(r.residual <= 1e-14, "{tag} residual {}", r.residual);
    }
}
