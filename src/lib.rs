//! Umbrella package of the flatmin workspace.
//!
//! It exists to own the cross-crate integration tests in `tests/` and the criterion benchmarks in
//! `benches/`. It re-exports the two library crates so that tests and benches can name them briefly.
pub use flatmin_core as core;
pub use flatmin_host as host;
