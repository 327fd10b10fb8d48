//! The one integration-test binary of tumbler-store; each module is a suite.
// Tests may unwrap, index and panic (house rules); helpers outside `#[test]`
// functions are not covered by clippy's test exemption, hence the allow.
// Explicit `drop(store)` marks where the "device" releases its flash.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::drop_non_drop,
    clippy::print_stdout
)]

mod basic;
mod common;
mod corrupt;
mod file_flash;
mod model;
mod power_cut;
