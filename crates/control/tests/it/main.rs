//! The one integration-test binary of tumbler-control; each module covers one area and
//! drives a fake lock built from tumbler-proto's lock-side pieces.

// Test helpers outside #[test] fns are not covered by clippy.toml's allow-*-in-tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod binding;
mod claim;
mod driver;
mod fake_lock;
mod log;
mod manufacturer;
mod ops;
mod tz;
mod uplink;
