//! The one integration-test binary of tumbler-proto; each module covers one area.

// Test helpers outside #[test] fns are not covered by clippy.toml's allow-*-in-tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod claim;
mod codec;
mod dedup;
mod envelope;
mod fixtures;
mod misc;
mod reset_token;
