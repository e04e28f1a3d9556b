//! Criterion benchmarks: bp (filled in by the issue that owns it).
fn main() {}
