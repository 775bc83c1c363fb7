//! Placeholder while the CLI is wired.
fn main() {}
