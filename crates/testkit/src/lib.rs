//! The one test kit of the workspace: a hub, its database, a broker and
//! simulated locks, each on `127.0.0.1:0` with temporary storage, for the
//! integration tests of every crate (hub, device, cli) and the load tool.
//!
//! # Layout
//!
//! - [`db`]: a fresh SQLite database or PostgreSQL schema per test
//!   (`TUMBLER_TEST_POSTGRES`; required under `CI=true`).
//! - [`hub`]: [`TestApp`] (app state without a socket) and [`TestHub`] (a
//!   whole hub with the built-in broker on port 0).
//! - [`http`]: one request through the hub's router, no socket.
//! - [`fixtures`]: organisations with one account per role, logins.
//! - [`broker`]: the shared embedded broker on a free port, the machine's
//!   Mosquitto (`TUMBLER_TEST_MQTT`; required under `CI=true`).
//! - [`net`]: a TCP proxy a test can cut (a network outage).
//! - [`mqtt`]: an observer client, waiting for a lock to come online.
//! - [`sim`]: [`SimLock`], a simulated lock booted from a fresh image.
//! - [`util`]: unique names and `eventually`.
//! - [`webhook`]: a webhook receiver that records, fails, is slow, restarts.
//!
//! Test helpers may unwrap, panic and wait on real ports: a failure here is
//! a test failure, and the shared broker runs on a thread outside any runtime.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::disallowed_methods
)]

pub mod broker;
pub mod db;
pub mod fixtures;
pub mod http;
pub mod hub;
pub mod mqtt;
pub mod net;
pub mod sim;
pub mod util;
pub mod web;
pub mod webhook;

pub use db::{drop_pg_schema, postgres_db, random_schema_name, sqlite_db, TestDb, TestkitError};
pub use hub::{test_epoch, HasState, TestApp, TestHub, TestHubOptions};
pub use sim::SimLock;
pub use util::{eventually, unique};

/// Whether this run is CI (`CI=true` or `CI=1`): a missing required service
/// (PostgreSQL, Mosquitto) is then a failure, never a skip.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}
