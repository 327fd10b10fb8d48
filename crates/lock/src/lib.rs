//! # tumbler-lock — the lock's brain
//!
//! One smart lock as a pure, deterministic state machine: `#![no_std]`, no
//! heap (the `alloc` feature, for simulators only, boxes occupied user slots), fixed
//! capacities ([`config`]), time and randomness passed in.
//! [`Lock::handle`] takes the time, one [`Input`] and an RNG and returns an
//! [`Output`]: items to persist, the audit record, and effects (motor,
//! signal, events, reply). See the crate README for the lock ↔ store contract.
//!
//! # Layout
//! * [`config`] — build-time capacities and timing constants.
//! * [`time`] — [`Now`] and the DST-aware time-zone rule [`TzRule`].
//! * [`user`] — users and their credentials; the user type, status, credential rule and kind
//!   and the clear [`Pin`] carrier are `tumbler-model`'s (shared with the wire), re-exported.
//! * [`schedule`] — week-day, year-day and holiday schedules.
//! * [`settings`] — [`Settings`], operating modes, setup policy.
//! * [`input`] — [`Input`] and remote [`Command`]s.
//! * [`output`] — [`Output`], [`Signal`], [`Event`], [`Reply`], errors, status.
//! * [`audit`] — the hash-chained audit log.
//! * [`hotel`] — hotel key cards at the reader (signed images checked offline with
//!   `tumbler-card`; the door's configuration and memory).
//! * [`offline`] — offline codes at the keypad (`tumbler-offline` checks them; the secret,
//!   epoch, used and denied codes).
//! * [`reset`] — factory data, sealed reset records, manufacturer tokens, self-check.
//! * [`persist`] — item keys, item sets, encode/restore errors.
//! * `lock` — the [`Lock`] state, accessors and persistence.
//! * `handle` — physical inputs and timers; `command` — remote commands (one file per
//!   concern: door, users, credentials, schedules, settings, controllers, resets, queries);
//!   `access` — the access decision; `crypto` — keyed hashes; `menu` — the keypad admin
//!   menu (`adminPIN*NN#`, door-side settings); `slots` — the user slots (reserved inline,
//!   or boxed one by one with the `alloc` feature, for simulators running many locks).
#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;

mod access;
pub mod audit;
mod command;
pub mod config;
mod crypto;
mod handle;
pub mod hotel;
pub mod input;
mod lock;
mod menu;
pub mod offline;
pub mod output;
pub mod persist;
pub mod reset;
pub mod schedule;
pub mod settings;
mod slots;
pub mod time;
pub mod user;

pub use audit::{AuditRecord, AuditResult, What, Who};
pub use input::{Command, CommandId, Input, Key, MotorFeedback, Role};
pub use lock::{Controller, Lock};
pub use output::{
    AlarmCode, BoltState, CommandError, DoorState, Event, MotorCommand, OpError, Output, Reply,
    ReplyData, Signal, Source, Status,
};
pub use persist::{EncodeError, ItemKey, ItemSet, RestoreError, MAX_ITEM_SIZE};
pub use reset::{FactoryData, ManufacturerToken, ResetTrigger, SealedResetRecord, SelfCheckReport};
pub use settings::{OperatingMode, Setting, Settings, SetupPolicy};
pub use time::{Now, TzRule};
/// The vocabulary shared with the wire (`tumbler-model`); its types are re-exported above.
pub use tumbler_model as model;
pub use user::{
    ControllerId, CredentialKind, CredentialRule, CredentialType, NewCredential, Pin, User,
    UserFields, UserIndex, UserStatus, UserType,
};
