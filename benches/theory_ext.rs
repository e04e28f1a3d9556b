//! Criterion benchmarks: theory_ext (filled in by the issue that owns it).
fn main() {}
