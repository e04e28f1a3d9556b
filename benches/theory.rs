//! Criterion benchmarks: theory (filled in by the issue that owns it).
fn main() {}
