//! Integration tests for tumbler-lock: one binary, one module per area.

// Test helpers outside `#[test]` functions may panic on broken expectations:
// that is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod harness;

mod access;
mod audit;
mod commands;
mod hotel;
mod lockout;
mod model;
mod offline;
mod persistence;
mod resets;
mod settings;
mod time;
