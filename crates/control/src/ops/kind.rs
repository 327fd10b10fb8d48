//! What to do to a lock: [`OpKind`] (storable as JSON or postcard) → proto `Command`,
//! and [`SecretPin`], a PIN kept only until it is delivered.

use core::fmt;

use serde::{Deserialize, Serialize};
use tumbler_proto::{
    Command, ControllerId, Credential, CredentialSlot, HolidaySchedule, HotelDoor, Name,
    OfflineCodes, OperatingMode, Pin, PublicKeyBytes, ResetToken, Role, Settings, TimeRule,
    UserIndex, UserRecord, WeekDaySchedule, YearDaySchedule,
};
use zeroize::Zeroize;

/// A PIN typed by a person, kept only until delivered. Redacted `Debug`, zeroized on
/// drop; serialises as a plain string (the hub's store must treat it as secret).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretPin(String);

impl SecretPin {
    /// Wrap a PIN.
    pub fn new(pin: impl Into<String>) -> Self {
        SecretPin(pin.into())
    }

    /// The PIN (do not log).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretPin(<redacted>)")
    }
}

impl Drop for SecretPin {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// An operation on one lock, as the hub queues it and the CLI names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OpKind {
    /// Lock the door.
    Lock {
        /// PIN when the lock requires one for remote operation.
        pin: Option<SecretPin>,
    },
    /// Unlock the door.
    Unlock {
        /// PIN when the lock requires one for remote operation.
        pin: Option<SecretPin>,
    },
    /// Unlock, relock after `timeout_s`.
    UnlockWithTimeout {
        /// Seconds before relocking.
        timeout_s: u16,
        /// PIN when required.
        pin: Option<SecretPin>,
    },
    /// Soft reset: restart, keep everything.
    Reboot,
    /// Factory reset from this (admin) controller. Destructive: see
    /// [`FACTORY_RESET_ERASES`](crate::ops::FACTORY_RESET_ERASES).
    FactoryReset,
    /// Ask for a factory-signed self-check bound to `challenge` (fresh random bytes).
    SelfCheck {
        /// Random challenge (from the hub's RNG).
        challenge: [u8; 16],
    },
    /// Ask the lock for a nonce to bind a manufacturer reset token to.
    IssueResetNonce,
    /// Factory reset authorised by the manufacturer (see [`crate::issue_reset_token`]).
    ManufacturerReset {
        /// The signed token.
        token: ResetToken,
    },
    /// Read a user slot.
    GetUser {
        /// Slot.
        index: UserIndex,
    },
    /// Create or replace a user.
    SetUser {
        /// The user.
        user: UserRecord,
    },
    /// Remove one user (or all: `None`) with their credentials and schedules.
    ClearUser {
        /// Slot, or every user.
        index: Option<UserIndex>,
    },
    /// Create or replace a credential.
    SetCredential {
        /// Where.
        slot: CredentialSlot,
        /// Owner.
        user: UserIndex,
        /// Data (a PIN in here is secret).
        credential: Credential,
    },
    /// Remove a credential.
    ClearCredential {
        /// Which.
        slot: CredentialSlot,
    },
    /// Set a week-day schedule.
    SetWeekDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
        /// Window.
        schedule: WeekDaySchedule,
    },
    /// Clear a week-day schedule.
    ClearWeekDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
    },
    /// Set a year-day schedule.
    SetYearDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
        /// Window.
        schedule: YearDaySchedule,
    },
    /// Clear a year-day schedule.
    ClearYearDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
    },
    /// Set a holiday schedule.
    SetHolidaySchedule {
        /// Slot.
        slot: u8,
        /// Window and mode.
        schedule: HolidaySchedule,
    },
    /// Clear a holiday schedule.
    ClearHolidaySchedule {
        /// Slot.
        slot: u8,
    },
    /// Read the settings.
    GetSettings,
    /// Replace the settings.
    SetSettings {
        /// New settings.
        settings: Settings,
    },
    /// Change the operating mode.
    SetOperatingMode {
        /// New mode.
        mode: OperatingMode,
    },
    /// Set the clock and time-zone rule (see [`crate::time_rule_for`]). The clock value
    /// is the `now` given to [`OpKind::to_command`] at sealing time, not when queued
    /// (an operation queued for an offline lock may leave hours later).
    SetTime {
        /// The site's rule.
        rule: TimeRule,
    },
    /// Pair another controller (a phone).
    PairController {
        /// Its X25519 public key.
        public_key: PublicKeyBytes,
        /// Its role.
        role: Role,
        /// Label (≤ 32 bytes).
        label: String,
    },
    /// Remove a controller.
    UnpairController {
        /// Which.
        controller: ControllerId,
    },
    /// Ask for audit records from `from_seq`.
    LogFetch {
        /// First wanted.
        from_seq: u64,
    },
    /// Acknowledge stored audit records.
    LogAck {
        /// Highest stored.
        up_to_seq: u64,
    },
    /// Ask for a status now.
    GetStatus,
    /// Ask for the capabilities.
    GetCapabilities,
    /// Ask for slot digests from a user slot.
    GetSlotDigests {
        /// First slot.
        from_user: UserIndex,
    },
    /// Make the lock a hotel door taking the property's signed cards (or an ordinary
    /// lock again: `None`); the door's card memory starts empty.
    SetHotelDoor {
        /// The property's public card key and the door's place.
        door: Option<HotelDoor>,
    },
    /// Refuse a hotel card from now on (a lost card).
    DenyCard {
        /// The card's number.
        number: u32,
    },
    /// Give the lock its offline-code secret and epoch (or turn offline codes off:
    /// `None`); a new epoch revokes every earlier code. Carries a secret.
    SetOfflineCodes {
        /// The secret and epoch.
        codes: Option<OfflineCodes>,
    },
    /// Refuse one offline code from now on.
    DenyOfflineCode {
        /// The code's id (`tumbler-offline` `CodeId`).
        id: u64,
    },
}

/// Why an [`OpKind`] cannot become a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{self:?}")]
pub enum OpError {
    /// The PIN is longer than the wire allows (16 bytes).
    PinTooLong,
    /// The label is longer than 32 bytes.
    LabelTooLong,
}

fn pin(p: &Option<SecretPin>) -> Result<Option<Pin>, OpError> {
    p.as_ref()
        .map(|p| Pin::new(p.expose().as_bytes()).ok_or(OpError::PinTooLong))
        .transpose()
}

impl OpKind {
    /// The proto command, built when it is sealed: `now` (hub clock, Unix seconds) is
    /// what `SetTime` sets the lock's clock to. Range checks (slots, PIN rules) are the
    /// lock's job; here only what the wire cannot carry is refused.
    pub fn to_command(&self, now: u64) -> Result<Command, OpError> {
        Ok(match self {
            OpKind::Lock { pin: p } => Command::Lock { pin: pin(p)? },
            OpKind::Unlock { pin: p } => Command::Unlock { pin: pin(p)? },
            OpKind::UnlockWithTimeout { timeout_s, pin: p } => Command::UnlockWithTimeout {
                timeout_s: *timeout_s,
                pin: pin(p)?,
            },
            OpKind::Reboot => Command::Reboot,
            OpKind::FactoryReset => Command::FactoryReset,
            OpKind::SelfCheck { challenge } => Command::RequestSelfCheck {
                challenge: *challenge,
            },
            OpKind::IssueResetNonce => Command::IssueResetNonce,
            OpKind::ManufacturerReset { token } => Command::ManufacturerReset(token.clone()),
            OpKind::GetUser { index } => Command::GetUser { index: *index },
            OpKind::SetUser { user } => Command::SetUser(user.clone()),
            OpKind::ClearUser { index } => Command::ClearUser { index: *index },
            OpKind::SetCredential {
                slot,
                user,
                credential,
            } => Command::SetCredential {
                slot: *slot,
                user: *user,
                credential: credential.clone(),
            },
            OpKind::ClearCredential { slot } => Command::ClearCredential { slot: *slot },
            OpKind::SetWeekDaySchedule {
                user,
                slot,
                schedule,
            } => Command::SetWeekDaySchedule {
                user: *user,
                slot: *slot,
                schedule: *schedule,
            },
            OpKind::ClearWeekDaySchedule { user, slot } => Command::ClearWeekDaySchedule {
                user: *user,
                slot: *slot,
            },
            OpKind::SetYearDaySchedule {
                user,
                slot,
                schedule,
            } => Command::SetYearDaySchedule {
                user: *user,
                slot: *slot,
                schedule: *schedule,
            },
            OpKind::ClearYearDaySchedule { user, slot } => Command::ClearYearDaySchedule {
                user: *user,
                slot: *slot,
            },
            OpKind::SetHolidaySchedule { slot, schedule } => Command::SetHolidaySchedule {
                slot: *slot,
                schedule: *schedule,
            },
            OpKind::ClearHolidaySchedule { slot } => Command::ClearHolidaySchedule { slot: *slot },
            OpKind::GetSettings => Command::GetSettings,
            OpKind::SetSettings { settings } => Command::SetSettings(*settings),
            OpKind::SetOperatingMode { mode } => Command::SetOperatingMode(*mode),
            OpKind::SetTime { rule } => Command::SetTime { now, rule: *rule },
            OpKind::PairController {
                public_key,
                role,
                label,
            } => Command::PairController {
                public_key: *public_key,
                role: *role,
                label: Name::try_from(label.as_str()).map_err(|_| OpError::LabelTooLong)?,
            },
            OpKind::UnpairController { controller } => Command::UnpairController {
                controller: *controller,
            },
            OpKind::LogFetch { from_seq } => Command::LogFetch {
                from_seq: *from_seq,
            },
            OpKind::LogAck { up_to_seq } => Command::LogAck {
                up_to_seq: *up_to_seq,
            },
            OpKind::GetStatus => Command::GetStatus,
            OpKind::GetCapabilities => Command::GetCapabilities,
            OpKind::GetSlotDigests { from_user } => Command::GetSlotDigests {
                from_user: *from_user,
            },
            OpKind::SetHotelDoor { door } => Command::SetHotelDoor(*door),
            OpKind::DenyCard { number } => Command::DenyCard { number: *number },
            OpKind::SetOfflineCodes { codes } => Command::SetOfflineCodes(codes.clone()),
            OpKind::DenyOfflineCode { id } => Command::DenyOfflineCode { id: *id },
        })
    }

    /// Whether the hub must ask for confirmation (naming what is erased) first.
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            OpKind::FactoryReset
                | OpKind::ManufacturerReset { .. }
                | OpKind::ClearUser { index: None }
                | OpKind::UnpairController { .. }
        )
    }

    /// Whether the operation carries a secret (PIN) the store must protect and drop
    /// once the operation is terminal.
    pub fn carries_secret(&self) -> bool {
        match self {
            OpKind::Lock { pin }
            | OpKind::Unlock { pin }
            | OpKind::UnlockWithTimeout { pin, .. } => pin.is_some(),
            OpKind::SetCredential { credential, .. } => matches!(credential, Credential::Pin(_)),
            OpKind::SetOfflineCodes { codes } => codes.is_some(),
            _ => false,
        }
    }
}
