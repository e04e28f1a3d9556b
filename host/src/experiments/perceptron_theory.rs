//! Figures 2–5 of the paper (replica theory of the binary perceptron). Owned by the theory issue.

use super::{FigureOpts, FigureReport};
use crate::error::{Error, Result};

/// Figure 2.
pub fn figure2(_: &FigureOpts) -> Result<FigureReport> {
    Err(Error::Other("figure 2 is not implemented yet".into()))
}
/// Figure 3.
pub fn figure3(_: &FigureOpts) -> Result<FigureReport> {
    Err(Error::Other("figure 3 is not implemented yet".into()))
}
/// Figure 4.
pub fn figure4(_: &FigureOpts) -> Result<FigureReport> {
    Err(Error::Other("figure 4 is not implemented yet".into()))
}
/// Figure 5.
pub fn figure5(_: &FigureOpts) -> Result<FigureReport> {
    Err(Error::Other("figure 5 is not implemented yet".into()))
}
