//! Benchmarks (being wired).
fn main() {}
