//! The lock's answers to a [`super::Request`]: a quick [`Ack`] and, later, the [`Applied`] result.

use serde::{Deserialize, Serialize};

use super::{
    Capabilities, CommandId, ControllerId, HolidaySchedule, Settings, SignedSelfCheck, SlotDigests,
    UserRecord, WeekDaySchedule, YearDaySchedule,
};
use crate::reset_token::{ResetNonce, ResetTokenError};

/// Why the lock refused or failed a command. A stable wire code, mapped by the hub to
/// its API errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The controller's role is `User` and the command needs `Admin`.
    AdminRequired,
    /// The command's arguments are out of range or inconsistent.
    InvalidArgument,
    /// The user, credential, schedule or controller does not exist.
    NotFound,
    /// No free slot left.
    CapacityExceeded,
    /// Another user already has this PIN.
    DuplicatePin,
    /// The PIN breaks the code constraints (length, alphabet, trivial pattern).
    PinRejected,
    /// Remote operation needs a PIN and none was given.
    PinRequired,
    /// The PIN given for remote operation is wrong.
    WrongPin,
    /// The keypad/remote PIN entry is locked out after too many wrong codes.
    LockedOut,
    /// The operating mode forbids this (privacy, no-remote, vacation…).
    ModeForbids,
    /// Remote factory reset is disabled by the `app_reset_allowed` setting.
    AppResetDisabled,
    /// Battery too low for the operation (reset, motor).
    LowBattery,
    /// The bolt jammed.
    Jammed,
    /// The manufacturer reset token was rejected.
    ResetToken(ResetTokenError),
    /// The lock is busy (e.g. booting, a reset in progress).
    Busy,
    /// The lock does not support this command.
    Unsupported,
    /// The lock hit an internal inconsistency; nothing was changed.
    Internal,
    /// The setting change loosens a guard that may be loosened only at the door
    /// (keypad admin menu), never remotely; nothing was changed.
    OnlyAtTheDoor,
}

/// The quick answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verdict {
    /// Will be applied; an [`Applied`] follows.
    Accepted,
    /// Not applied, and nothing changed.
    Refused(ErrorCode),
}

/// Quick acknowledgement of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ack {
    /// The request's id.
    pub id: CommandId,
    /// Accepted or refused.
    pub verdict: Verdict,
}

/// Data returned by an applied command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// No heap to box the big variant into; messages are short-lived stack values.
#[allow(clippy::large_enum_variant)]
#[non_exhaustive]
pub enum CommandResult {
    /// Done, nothing to return.
    Done,
    /// A user (`None`: slot empty).
    User(Option<UserRecord>),
    /// A week-day schedule (`None`: slot empty).
    WeekDay(Option<WeekDaySchedule>),
    /// A year-day schedule (`None`: slot empty).
    YearDay(Option<YearDaySchedule>),
    /// A holiday schedule (`None`: slot empty).
    Holiday(Option<HolidaySchedule>),
    /// The settings.
    Settings(Settings),
    /// A fresh reset nonce (valid until the lock issues another or reboots).
    ResetNonce(ResetNonce),
    /// The id the lock gave a newly paired controller.
    ControllerPaired(ControllerId),
    /// Per-slot digests.
    SlotDigests(SlotDigests),
    /// Capabilities and code constraints.
    Capabilities(Capabilities),
    /// A signed self-check report.
    SelfCheck(SignedSelfCheck),
}

/// How an accepted command ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    /// Applied (and durable).
    Ok(CommandResult),
    /// Failed while applying; nothing changed.
    Failed(ErrorCode),
}

/// The applied result of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The request's id.
    pub id: CommandId,
    /// Result.
    pub outcome: Outcome,
}
