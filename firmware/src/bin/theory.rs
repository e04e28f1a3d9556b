//! Theory: the replica-symmetric entropy of κ-margin solutions (THEORY §S2) at α = 0.5, κ = 0,
//! computed in `f32` with the core's quadrature and Brent solver. Reference: s_RS(0.5) = 0.3144,
//! q = 0.322 (ALGORITHMS §i); the host test also compares with the host's f64 and f32 values.
#![no_std]
#![no_main]

use flatmin_core::theory::rs::{solve, RsQuadrature};
use flatmin_firmware::{finish, Meter};

const ALPHA: f32 = 0.5;
const KAPPA: f32 = 0.0;

#[cortex_m_rt::entry]
fn main() -> ! {
    let meter = Meter::start();
    let quad = RsQuadrature::new();
    let ok = match solve::<f32>(&quad, ALPHA, KAPPA) {
        Ok(r) => {
            defmt::println!("s {=f32}", r.s);
            defmt::println!("q {=f32}", r.q);
            defmt::println!("qhat {=f32}", r.qhat);
            defmt::println!("evaluations {=u32}", r.iterations);
            defmt::println!("residual {=f32}", r.residual);
            // Against the tabulated value (§i: 0.3144, four digits).
            (r.s - 0.3144).abs() < 1e-4
        }
        Err(e) => {
            defmt::println!("error {}", e);
            false
        }
    };
    finish(meter, ok)
}
