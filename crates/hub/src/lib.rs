//! Tumbler hub: the server that owns, operates and watches every lock.
//!
//! # Layout
//!
//! - [`config`]: what to run against, chosen from URLs (`sqlite://`,
//!   `postgres://`, `builtin`, `mqtt://`).
//! - [`clock`]: the [`Clock`] trait; time is passed in, never read in the core.
//! - [`secrets`]: random tokens, token hashes, argon2 password hashing.
//! - [`hashing`]: the bounded pool that runs password hashing (fixed
//!   workers with reused memory, a bounded queue that refuses when full).
//! - [`feeds`]: the HTTP edge that fetches rental reservation feeds
//!   (conditional requests, limits, backoff rule).
//! - [`hooks`]: webhooks, the pure part: event names, payloads, the
//!   Standard Webhooks signature, which URLs and addresses may be called.
//! - [`model`]: domain types (roles, states, records).
//! - [`hotel`]: hotel key cards at the hub: the front desk's vocabulary and
//!   its pure core (card images, local check-out instants, staff hours).
//! - [`settings`]: lock settings by name (Matter DoorLock names, kinds, ranges), one
//!   table for API, service, store and CLI.
//! - [`store`]: the database (SQLite or PostgreSQL, chosen from the URL at run
//!   time), one file per table family.
//! - [`service`]: the domain layer: authentication, authorisation (org scope
//!   and role), and every use case the HTTP API exposes.
//! - [`api`]: the axum router, one file per resource, the single
//!   [`api::ApiError`] and the OpenAPI document.
//! - [`http`]: the one router: API and web app, fallback, durable answers
//!   to changes ([`app`]).
//! - [`web`]: the web app at `/` (maud pages, vendored htmx, server-sent
//!   events), over the same service layer as [`api`].
//! - [`broker`]: the embedded MQTT broker (rumqttd) on loopback.
//! - [`mqtt`]: the hub's link to a broker (rumqttc): subscriptions to the
//!   locks' `up`/`status` topics and the publish path to `down`.
//! - [`plane`]: the lock plane over tumbler-control: claim, bindings,
//!   uplink handling (answers, telemetry, alerts, audit log, resets), the
//!   proto sender of operations, lifecycle (release, transfer,
//!   manufacturer reset).
//! - [`observe`]: the hub's metrics registry (Prometheus text at
//!   `/metrics`), one per hub, never process-wide.
//! - [`jobs`]: the background runner that claims pending operations through
//!   the database.
//! - [`webhook_worker`]: delivers webhooks from the outbox (signed, in
//!   order per lock, retried with backoff, failing endpoints disabled).
//! - [`op_ended`]: the in-process signal that an operation ended (wakes
//!   API calls waiting for an answer).
//! - [`server`]: wiring: [`app`], [`serve`], [`Hub::start`](server::Hub::start).

// The OpenAPI document's component table is one large `json!` literal.
#![recursion_limit = "256"]

pub mod api;
pub mod broker;
pub mod clock;
pub mod config;
pub mod feeds;
pub mod hashing;
pub mod hooks;
pub mod hotel;
pub mod http;
pub mod jobs;
pub mod model;
pub mod mqtt;
pub mod observe;
pub mod op_ended;
pub mod plane;
pub mod secrets;
pub mod server;
pub mod service;
pub mod settings;
pub mod store;
pub mod web;
pub mod webhook_worker;

pub use clock::{Clock, FixedClock, SystemClock};
pub use http::app;
pub use server::{serve, AppState, Hub};
/// The controller side of the protocol this hub is built on.
pub use tumbler_control as control;
