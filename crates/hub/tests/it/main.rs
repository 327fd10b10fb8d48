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
mod auth_limits;
mod broker_auth;
mod claim_denial;
mod config;
mod doctor_e2e;
mod flash_damage_e2e;
mod hostile_mqtt;
mod hotel_e2e;
mod hub_e2e;
mod invariants;
mod jobs;
mod lock_e2e;
mod observe;
mod offline_e2e;
mod openapi;
mod operations_wait;
mod orgs;
mod presence_e2e;
mod rentals_e2e;
mod replace_e2e;
mod reset_sweep;
mod schemathesis;
mod secrets_in_logs;
mod settings_e2e;
mod store_conformance;
mod tidy;
mod web;
mod web_admin;
mod web_lock;
mod web_people;
mod web_recover;
mod web_rentals;
mod webhooks_e2e;
