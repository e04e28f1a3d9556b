//! Experiments: one module per figure or study.
