//! Errors of the shape-checking layer: everything a caller can get wrong about sizes and parameters.
//!
//! Numerical failures (a saddle point that does not converge, BP that does not converge) have their own
//! enums in the modules that produce them, because they carry different diagnostics.

use core::fmt;

/// A caller-provided size, buffer or parameter is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ShapeError {
    /// N (the number of weights / bits per vector) is zero.
    ZeroLength,
    /// A slice has the wrong length.
    LengthMismatch {
        /// The length the operation needs.
        expected: usize,
        /// The length it got.
        got: usize,
    },
    /// A buffer is too small for the requested size.
    BufferTooSmall {
        /// Words (or elements) needed.
        needed: usize,
        /// Capacity available.
        capacity: usize,
    },
    /// Padding bits past N are not zero (breaks the §a.3 invariant).
    DirtyPadding,
    /// A numeric parameter is out of its domain (NaN, negative where it must not be, …).
    InvalidParameter(&'static str),
    /// An index is out of range.
    IndexOutOfRange {
        /// The index given.
        index: usize,
        /// The length of the indexed dimension.
        len: usize,
    },
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ShapeError::ZeroLength => write!(f, "N must be at least 1"),
            ShapeError::LengthMismatch { expected, got } => {
                write!(f, "length mismatch: expected {expected}, got {got}")
            }
            ShapeError::BufferTooSmall { needed, capacity } => {
                write!(f, "buffer too small: need {needed}, have {capacity}")
            }
            ShapeError::DirtyPadding => write!(f, "padding bits past N are not zero"),
            ShapeError::InvalidParameter(what) => write!(f, "invalid parameter: {what}"),
            ShapeError::IndexOutOfRange { index, len } => {
                write!(f, "index {index} out of range for length {len}")
            }
        }
    }
}

impl core::error::Error for ShapeError {}

/// Result alias for shape-checked operations.
pub type Result<T, E = ShapeError> = core::result::Result<T, E>;
