//! The operation model shared by the hub and the CLI: [`OpKind`] (what to do to a
//! lock, storable as JSON or postcard) → proto `Command`; [`OpState`], the pure
//! `pending → sent → applied | refused | failed` machine fed by acks, applied results
//! and clock ticks, with a [`RetryPolicy`]; and what a factory reset erases, for the
//! confirmation prompt.
//!
//! Driving one operation (hub job loop):
//! 1. create it `OpState::new(now)`; when the lock is online and
//!    `next_attempt_at(now) <= now`: seal (`Binding::seal_command` the first time,
//!    `Binding::reseal` with the same id on retries, so the lock deduplicates), persist
//!    binding + `step(Dispatched { id })`, then publish;
//! 2. feed every `Uplink::Ack` / `Uplink::Applied` with a matching id, and a `Tick`
//!    at `deadline(policy)`; on `Uplink::ResetDetected` feed `BindingStale`.

//!
//! # Layout
//! * `kind`: [`OpKind`] → proto `Command`, [`OpError`], [`SecretPin`].
//! * `name`: [`OpName`], the stable stored name of each kind.
//! * `state`: [`OpState`], [`OpInput`], [`RetryPolicy`], [`FailReason`].
//! * `reset`: [`FACTORY_RESET_ERASES`], [`FACTORY_RESET_KEEPS`], [`factory_reset_summary`].

mod kind;
mod name;
mod reset;
mod state;

pub use kind::{OpError, OpKind, SecretPin};
pub use name::OpName;
pub use reset::{factory_reset_summary, FACTORY_RESET_ERASES, FACTORY_RESET_KEEPS};
pub use state::{FailReason, OpInput, OpState, RetryPolicy};
