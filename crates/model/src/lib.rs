//! # tumbler-model — the vocabulary the lock and the wire share
//!
//! `#![no_std]`, no heap. The types here mean the same thing on the lock
//! (`tumbler-lock`, which enforces them and persists them in its items) and on
//! the wire (`tumbler-proto`, which carries them to controllers), so both use
//! them directly and nothing translates between two mirrors. Types whose
//! meaning or shape genuinely differs (controller ids: `u8` slot on the lock,
//! `u32` on the wire; schedules; settings; bolt and door states; events) stay
//! in their own crate and `tumbler-device`'s bridge maps them.
//!
//! Encoding is part of the contract: the wire (postcard) and the lock's flash
//! items both encode an enum by its variant index, so every enum here has
//! explicit discriminants equal to that index, and `tests` pins both the
//! postcard bytes and the serde names. Never reorder or renumber; only append.
//!
//! # Layout
//! * [`user`] — [`UserIndex`], [`UserStatus`], [`UserType`], [`CredentialRule`].
//! * [`credential`] — [`CredentialKind`] and the clear [`Pin`] carrier.
//! * [`mode`] — [`OperatingMode`].
//! * [`role`] — [`Role`] of a paired controller.
//! * [`reset`] — [`ResetTrigger`] of a factory reset.
//! * [`volume`] — the beep [`Volume`] setting.
#![no_std]

pub mod credential;
pub mod mode;
pub mod reset;
pub mod role;
pub mod user;
pub mod volume;

pub use credential::{CredentialKind, Pin, PIN_MAX};
pub use mode::OperatingMode;
pub use reset::ResetTrigger;
pub use role::Role;
pub use user::{CredentialRule, UserIndex, UserStatus, UserType};
pub use volume::Volume;

#[cfg(test)]
mod tests;
