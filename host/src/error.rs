//! Errors of the host library. [`Error::Input`] and [`Error::Parse`] are the caller's fault (the binary
//! exits with code 2); the others are failures of the run (exit code 1).

use std::path::PathBuf;

/// An error of the host library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: a parameter out of range, an unknown name, an inconsistent combination.
    #[error("{0}")]
    Input(String),
    /// A malformed input file: which file, which line (1-based), what is wrong.
    #[error("{}:{line}: {msg}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// 1-based line number (0 when the problem is the file as a whole).
        line: usize,
        /// What is wrong.
        msg: String,
    },
    /// A size or shape rejected by the core.
    #[error("{0}")]
    Shape(#[from] flatmin_core::ShapeError),
    /// A numerical procedure did not converge or left its domain.
    #[error("{0}")]
    Numerics(String),
    /// An I/O failure, with the path involved.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Anything else (plotting, serialization).
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Whether the error is the caller's fault (bad arguments or input files): exit code 2.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            Error::Input(_) | Error::Parse { .. } | Error::Shape(_)
        )
    }
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias of the host library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
