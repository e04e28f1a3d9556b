//! Criterion benchmarks: kernels (filled in by the issue that owns it).
fn main() {}
