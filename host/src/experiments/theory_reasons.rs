//! The words of the replica-theory front ends (`flatmin theory …` and the Python `flatmin.theory`)
//! for values that do not exist and for scans that leave their range (output conventions §3 and
//! §6), written once so both say the same thing.

use flatmin_core::theory::rs;

/// The range `theory kappa-max` computes κ_max(α) in.
pub const KAPPA_MAX_RANGE: &str = "-20 <= kappa <= 20";

/// The range `theory alpha-c` computes α_c(κ) in.
pub const ALPHA_C_RANGE: &str = "1e-9 < alpha <= 1e6";

/// Why the RS saddle of the perceptron does not exist at (α, κ) ([`rs::RsError::does_not_exist`]),
/// for `"s_reason"`.
pub fn no_rs_reason(alpha: f64, kappa: f64) -> String {
    format!(
        "no RS saddle point with q < 1 at alpha = {alpha}, kappa = {kappa}: alpha is at or above \
         alpha_GD(kappa) = {:.6}, where the RS entropy is -infinity (no kappa-solutions)",
        rs::alpha_gd(kappa)
    )
}

/// Why the RS saddle of a committee does not exist (`e` says where), for `"s_reason"`.
pub fn no_committee_rs_reason(alpha: f64, e: &rs::RsError) -> String {
    format!("{e}: the RS entropy is -infinity there (no kappa-solutions at alpha = {alpha})")
}

/// Why a Franz–Parisi curve does not exist ([`FpError::does_not_exist`]), for `"s_fp_reason"`,
/// `"d_star_reason"` and `"phi_star_reason"`.
pub fn no_fp_reason(e: &impl core::fmt::Display) -> String {
    format!("the Franz-Parisi entropy does not exist: {e}")
}

/// The message of a κ_max / α_c scan that left its range (`at`, the last point probed): the
/// user's value `flag value` is outside what is computed.
pub fn scan_range_message(flag: &str, value: f64, what: &str, range: &str, at: f64) -> String {
    format!(
        "{flag} {value}: {what} lies outside the computed range {range} (the scan for the zero of \
         the RS entropy reached {at})"
    )
}
