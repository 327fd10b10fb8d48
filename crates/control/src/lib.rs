//! The controller side of the Tumbler lock protocol, sans I/O: everything a hub (or a
//! phone app) needs to claim and operate locks, so that the hub stays a thin shell of
//! HTTP + database + MQTT around it. No sockets, no clock, no database: time (`u64`
//! Unix seconds) and randomness (`rand_core::CryptoRng`) are parameters.
//!
//! # Layout
//! * [`claim`]: [`ClaimFlow`], the claim of a lock in setup mode driven frame by frame
//!   (SPAKE2 on the setup code, from `tumbler-proto`), ending in a [`Binding`].
//! * [`binding`]: [`Binding`], what the hub keeps per claimed lock (keys, counters,
//!   next command id, reset counter); versioned bytes for the database; sealing commands.
//! * [`uplink`]: [`Uplink`], the classification of everything arriving on a lock's `up`
//!   and `status` topics, with **reset detection** ([`Uplink::ResetDetected`]).
//! * [`log`]: [`LogCursor`], per-lock audit-log ingestion: dedup, gaps, hash chain, ack.
//! * [`ops`]: [`OpKind`] (operations shared by hub and CLI) → proto `Command`;
//!   [`OpState`], the pure `pending → sent → applied | refused | failed` machine with
//!   a [`RetryPolicy`]; what a factory reset erases.
//! * [`tz`]: IANA time zone → the lock's [`tumbler_proto::TimeRule`] for a year, and
//!   the reference evaluation of such a rule.
//! * [`manufacturer`]: issuing a manufacturer reset token.
//! * [`reset_reason`]: [`ResetReason`], the evidence a binding went stale on.

pub mod access;
pub mod binding;
pub mod claim;
pub mod log;
pub mod manufacturer;
pub mod ops;
pub mod reset_reason;
pub mod tz;
pub mod uplink;

pub use binding::{Binding, BindingError, SealCommandError, BINDING_FORMAT_VERSION};
pub use claim::{ClaimError, ClaimFlow, ClaimStep};
pub use log::{Accepted, LogCursor, LogIngest, LogIssue, SeqRange, MAX_PENDING_RECORDS};
pub use manufacturer::{issue_reset_token, IssueError, MAX_RESET_TOKEN_TTL_S};
pub use ops::{
    factory_reset_summary, FailReason, OpError, OpInput, OpKind, OpName, OpState, RetryPolicy,
    SecretPin, FACTORY_RESET_ERASES, FACTORY_RESET_KEEPS,
};
pub use tz::{rule_offset_minutes, time_rule_for, TzError};
pub use uplink::{route_topic, Availability, Channel, ResetReason, Uplink, UplinkError};

/// Re-export of the protocol crate, so the hub needs one dependency for the wire types.
pub use tumbler_proto as proto;
