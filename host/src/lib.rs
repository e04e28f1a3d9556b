//! # flatmin-host
//!
//! The experiment library behind the `flatmin` command: instance I/O, the harness every experiment
//! writes through (output directory, CSV, metadata, SVG plots, progress, sweeps), and one module per
//! figure or study. The library never prints; the binary parses arguments, calls it and prints.
#![deny(missing_docs)]

pub mod deep;
pub mod error;
pub mod experiments;
pub mod harness;
pub mod io;
pub mod theory_json;

pub use error::{Error, Result};
