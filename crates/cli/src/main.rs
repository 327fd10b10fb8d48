//! The `tumbler` binary.
fn main() {}
