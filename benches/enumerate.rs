//! Criterion benchmarks: enumerate (filled in by the issue that owns it).
fn main() {}
