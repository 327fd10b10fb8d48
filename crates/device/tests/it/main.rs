//! The one integration-test binary of tumbler-device: hardware models, console, links, scenarios.

// Test helpers outside #[test] functions may unwrap, panic, print and wait for a real port too:
// a failure is a test failure, and the broker thread is outside any runtime.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::disallowed_methods
)]

mod at_most_once;
mod bad_input;
mod console_parse;
mod flash_damage;
mod fleet;
mod harness;
mod hotel;
mod hw;
mod local_link;
mod log_fetch;
mod mqtt_link;
mod outbox;
mod power_cut;
mod scenarios;
mod sim_smoke;
mod time_rule;
