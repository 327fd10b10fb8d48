//! Events the lock pushes (Matter DoorLock LockOperation / LockOperationError /
//! LockUserChange / DoorLockAlarm).

use serde::{Deserialize, Serialize};

use super::{ControllerId, CredentialSlot, UnixTime, UserIndex};

/// Lock operation kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LockOperationKind {
    /// Locked.
    Lock,
    /// Unlocked.
    Unlock,
    /// Unlatched (door pulled open).
    Unlatch,
}

/// Where an operation came from (Matter `OperationSourceEnum` subset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OperationSource {
    /// Keypad PIN.
    Keypad,
    /// RFID card.
    Card,
    /// Fingerprint.
    Fingerprint,
    /// A controller, remotely.
    Remote,
    /// Thumb turn or mechanical key.
    Manual,
    /// Auto-relock.
    Auto,
    /// A schedule (passage start/end).
    Schedule,
    /// Interior button.
    Button,
}

/// Why an operation failed (Matter `OperationErrorEnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OperationErrorCode {
    /// Unknown credential.
    InvalidCredential,
    /// The user is disabled.
    DisabledUser,
    /// Outside the user's schedule or forbidden by the mode.
    Restricted,
    /// Battery too low for the motor.
    InsufficientBattery,
    /// Keypad locked out.
    LockedOut,
    /// Motor failed.
    Jammed,
}

/// What changed about a user (Matter `LockDataTypeEnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum UserChangeKind {
    /// The user record.
    User,
    /// A credential.
    Credential(CredentialSlot),
    /// A week-day schedule slot.
    WeekDaySchedule(u8),
    /// A year-day schedule slot.
    YearDaySchedule(u8),
    /// A holiday schedule slot.
    HolidaySchedule(u8),
    /// The programming (admin) PIN.
    ProgrammingCode,
}

/// Add, clear or modify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserChangeOp {
    /// Added.
    Add,
    /// Cleared.
    Clear,
    /// Modified.
    Modify,
}

/// Alarm codes (Matter `AlarmCodeEnum` plus battery and reset refusals).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AlarmCode {
    /// Bolt jammed.
    LockJammed,
    /// The lock was factory reset.
    LockFactoryReset,
    /// Wrong-code limit reached; keypad disabled.
    WrongCodeEntryLimit,
    /// Front escutcheon removed / tamper switch.
    Tamper,
    /// Door forced open.
    ForcedOpen,
    /// Door left ajar.
    DoorAjar,
    /// Battery low.
    LowBattery,
    /// Battery critical: motor may not run.
    CriticalBattery,
    /// A duress user opened the door.
    Duress,
    /// A factory reset was refused because of low battery.
    ResetRefusedLowBattery,
}

/// How urgent an alarm is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// For the record.
    Info,
    /// Needs attention soon.
    Warning,
    /// Needs attention now.
    Critical,
}

impl AlarmCode {
    /// The severity the hub should show.
    pub fn severity(self) -> Severity {
        match self {
            AlarmCode::LockFactoryReset
            | AlarmCode::DoorAjar
            | AlarmCode::ResetRefusedLowBattery => Severity::Warning,
            AlarmCode::LowBattery => Severity::Warning,
            AlarmCode::LockJammed
            | AlarmCode::WrongCodeEntryLimit
            | AlarmCode::Tamper
            | AlarmCode::ForcedOpen
            | AlarmCode::CriticalBattery
            | AlarmCode::Duress => Severity::Critical,
        }
    }
}

/// Something that happened at the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Event {
    /// The bolt moved.
    LockOperation {
        /// Lock, unlock or unlatch.
        kind: LockOperationKind,
        /// From where.
        source: OperationSource,
        /// The user whose credential did it, if any.
        user: Option<UserIndex>,
        /// The controller that did it, if remote.
        controller: Option<ControllerId>,
        /// When.
        time: UnixTime,
    },
    /// An operation was refused or failed.
    OperationError {
        /// What was attempted.
        kind: LockOperationKind,
        /// From where.
        source: OperationSource,
        /// Why.
        error: OperationErrorCode,
        /// The user, if the credential was known.
        user: Option<UserIndex>,
        /// When.
        time: UnixTime,
    },
    /// A user, credential or schedule changed.
    UserChange {
        /// What changed.
        kind: UserChangeKind,
        /// Add, clear, modify.
        op: UserChangeOp,
        /// The user concerned.
        user: Option<UserIndex>,
        /// The controller that made the change (`None`: at the keypad).
        by: Option<ControllerId>,
        /// When.
        time: UnixTime,
    },
    /// An alarm.
    Alarm {
        /// Which.
        code: AlarmCode,
        /// When.
        time: UnixTime,
    },
}
