//! Figures 6, 7 (tree committee machines) and the SBP figure. Owned by the theory-II issue.

use super::{FigureOpts, FigureReport};
use crate::error::{Error, Result};

/// Figure 6.
pub fn figure6(_: &FigureOpts) -> Result<FigureReport> {
    Err(Error::Other("figure 6 is not implemented yet".into()))
}
/// Figure 7.
pub fn figure7(_: &FigureOpts) -> Result<FigureReport> {
    Err(Error::Other("figure 7 is not implemented yet".into()))
}
/// The SBP figure.
pub fn figure_sbp(_: &FigureOpts) -> Result<FigureReport> {
    Err(Error::Other("figure sbp is not implemented yet".into()))
}
