//! Access, sans I/O: PIN rules, schedules in a site's time zone, the lock
//! operations that put a person on a door (or take them off), delivery
//! confirmation by slot digest, the per-door status machine, and the
//! verification report after a reset.
//!
//! Time and randomness are parameters. Schedule semantics follow the lock
//! (`tumbler-lock`): week-day windows are local wall-clock minutes
//! `[start, end)` on the masked days, year-day windows are UTC `[from, to)`.
//!
//! # Layout
//! * `pin`: [`PinPolicy`], [`PinError`], [`is_trivial`], generating a PIN.
//! * `schedule`: [`AccessSchedule`] (the owner's words) → [`CompiledSchedule`] (what
//!   the lock stores); parsing, compiling, describing.
//! * `plan`: [`plan_user`], [`plan_credential`], [`plan_revoke`], [`plan_digest_read`];
//!   confirmation by slot digest ([`slot_digest`], [`confirm_set`], [`confirm_removed`]).
//! * `door`: the per-door status machine ([`DoorState`], [`DoorEvent`], [`door_step`]).
//! * `verify`: the verification report after a reset ([`verify()`]).

mod door;
mod pin;
mod plan;
mod schedule;
mod verify;

pub use door::{door_step, BadTransition, DoorEvent, DoorState};
pub use pin::{is_trivial, PinError, PinPolicy};
pub use plan::{
    confirm_removed, confirm_set, plan_credential, plan_digest_read, plan_revoke, plan_user,
    slot_digest,
};
pub use schedule::{AccessSchedule, CompiledSchedule, ScheduleError, WeeklyWindow};
pub use verify::{
    verify, Check, ExpectedSlot, SelfCheckFacts, VerificationInput, VerificationReport,
};

/// Week-day schedule slots per user on a Tumbler lock.
pub const WEEK_DAY_SLOTS: u8 = 2;
/// Year-day schedule slots per user on a Tumbler lock.
pub const YEAR_DAY_SLOTS: u8 = 2;
/// Longest user name the lock keeps, in bytes.
pub const LOCK_NAME_LEN: usize = 16;
