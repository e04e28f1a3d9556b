//! Errors of the host library. [`Error::Input`] and [`Error::Parse`] are the caller's fault (the binary
//! exits with code 2); the others are failures of the run (exit code 1).

use std::path::PathBuf;

/// An error of the host library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: a parameter out of range, an unknown name, an inconsistent combination.
    #[error("{0}")]
    Input(String),
    /// A malformed input file: which file, which line (1-based), what is wrong. Displayed as
    /// `FILE:LINE: what`, or `FILE: what` when the problem is the file as a whole (line 0).
    #[error("{}{}: {msg}", file.display(), line_suffix(*line))]
    Parse {
        /// The file.
        file: PathBuf,
        /// 1-based line number (0 when the problem is the file as a whole).
        line: usize,
        /// What is wrong.
        msg: String,
    },
    /// A size or shape rejected by the core (displayed as the core's message, once).
    #[error(transparent)]
    Shape(#[from] flatmin_core::ShapeError),
    /// A numerical procedure did not converge or left its domain.
    #[error("{0}")]
    Numerics(String),
    /// An I/O failure, with the user's path involved (never a temporary file). The OS error is
    /// part of the message and not a separate cause, so `{:#}` does not repeat it.
    #[error("{}: {error}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// Anything else (plotting, serialization).
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Whether the error is the caller's fault (bad arguments or input files): exit code 2.
    ///
    /// An I/O error counts as the caller's when it is about the path itself (missing directory, no
    /// permission, read-only file system, a directory where a file is expected, …); a failure
    /// in the middle of a run (disk full, device error) is a failed run.
    pub fn is_input(&self) -> bool {
        match self {
            Error::Input(_) | Error::Parse { .. } | Error::Shape(_) => true,
            Error::Io { error, .. } => is_path_error(error),
            _ => false,
        }
    }
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }
}

/// Whether an I/O error is about the path the user gave (exit code 2) rather than a failure of
/// the device (exit code 1).
pub fn is_path_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::NotFound
            | K::PermissionDenied
            | K::AlreadyExists
            | K::NotADirectory
            | K::IsADirectory
            | K::ReadOnlyFilesystem
            | K::InvalidInput
            | K::InvalidFilename
            | K::DirectoryNotEmpty
    )
}

/// Result alias of the host library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `:LINE` of a [`Error::Parse`] message; nothing for line 0 (the file as a whole, e.g. a binary
/// file with a wrong header).
fn line_suffix(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}
