//! Instance I/O.
