//! The harness layer.
