//! Integration tests for the hub: one binary, one module per area.
// Test helpers outside #[test] fns may unwrap and index: a failure is a test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod access_e2e;
mod api_authz;
mod api_flows;
mod api_input;
mod config;
mod hub_e2e;
mod jobs;
mod lock_e2e;
mod openapi;
mod reset_sweep;
mod secrets_in_logs;
mod store_conformance;
mod tidy;
