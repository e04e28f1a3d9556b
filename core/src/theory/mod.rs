//! Replica theory of the binary perceptron and its relatives (THEORY §S2–S6).

pub mod committee;
pub mod franz_parisi;
pub mod one_rsb;
pub mod phases;
pub mod rs;
pub mod sbp;
