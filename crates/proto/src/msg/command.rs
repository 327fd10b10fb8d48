//! Commands a controller sends to the lock, each carried in a [`Request`] with an id.

use serde::{Deserialize, Serialize};

use super::{
    ControllerId, Credential, CredentialSlot, HolidaySchedule, HotelDoor, Name, OfflineCodes,
    OperatingMode, Pin, Role, Settings, TimeRule, UnixTime, UserIndex, UserRecord, WeekDaySchedule,
    YearDaySchedule,
};
use crate::keys::PublicKeyBytes;
use crate::reset_token::{ResetNonce, ResetToken};

/// A command id, unique per controller (the controller counts up). The lock answers a
/// repeated id from its cache instead of executing it again (see [`crate::Dedup`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CommandId(pub u64);

/// A command with its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Id chosen by the controller; repeated ids are deduplicated by the lock.
    pub id: CommandId,
    /// What to do.
    pub command: Command,
}

/// Everything a controller can ask a lock to do. Admin-only commands are classified
/// by [`Command::required_role`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Command {
    /// Lock the door (PIN if the lock requires one for remote operation).
    Lock {
        /// PIN, when `require_pin_for_remote` is set.
        pin: Option<Pin>,
    },
    /// Unlock the door.
    Unlock {
        /// PIN, when `require_pin_for_remote` is set.
        pin: Option<Pin>,
    },
    /// Unlock, then relock after `timeout_s` seconds.
    UnlockWithTimeout {
        /// Seconds before relocking.
        timeout_s: u16,
        /// PIN, when `require_pin_for_remote` is set.
        pin: Option<Pin>,
    },
    /// Read one user (answered by [`super::CommandResult::User`]).
    GetUser {
        /// User slot.
        index: UserIndex,
    },
    /// Create or replace a user.
    SetUser(UserRecord),
    /// Remove a user with all their credentials and schedules; `None` clears every user.
    ClearUser {
        /// User slot, or all.
        index: Option<UserIndex>,
    },
    /// Create or replace a credential owned by a user.
    SetCredential {
        /// Where the credential goes.
        slot: CredentialSlot,
        /// Owner.
        user: UserIndex,
        /// The credential data.
        credential: Credential,
    },
    /// Remove a credential.
    ClearCredential {
        /// Which credential.
        slot: CredentialSlot,
    },
    /// Set a user's week-day schedule in slot `slot` (1-based).
    SetWeekDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot of that user.
        slot: u8,
        /// The window.
        schedule: WeekDaySchedule,
    },
    /// Read a user's week-day schedule.
    GetWeekDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
    },
    /// Clear a user's week-day schedule.
    ClearWeekDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
    },
    /// Set a user's year-day schedule.
    SetYearDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
        /// The window.
        schedule: YearDaySchedule,
    },
    /// Read a user's year-day schedule.
    GetYearDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
    },
    /// Clear a user's year-day schedule.
    ClearYearDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Schedule slot.
        slot: u8,
    },
    /// Set a lock-wide holiday schedule.
    SetHolidaySchedule {
        /// Holiday slot.
        slot: u8,
        /// The window and its mode.
        schedule: HolidaySchedule,
    },
    /// Read a holiday schedule.
    GetHolidaySchedule {
        /// Holiday slot.
        slot: u8,
    },
    /// Clear a holiday schedule.
    ClearHolidaySchedule {
        /// Holiday slot.
        slot: u8,
    },
    /// Read the settings.
    GetSettings,
    /// Replace the settings.
    SetSettings(Settings),
    /// Change the operating mode.
    SetOperatingMode(OperatingMode),
    /// Set the lock's clock and the site's time-zone rule.
    SetTime {
        /// Current UTC time.
        now: UnixTime,
        /// Time-zone rule.
        rule: TimeRule,
    },
    /// Soft reset: restart, keeping everything persistent.
    Reboot,
    /// Factory reset from an admin controller (needs `app_reset_allowed`).
    FactoryReset,
    /// Ask the lock for a fresh nonce to bind a manufacturer reset token to.
    IssueResetNonce,
    /// Factory reset authorised by the manufacturer (token bound to serial, nonce, expiry).
    ManufacturerReset(ResetToken),
    /// Pair another controller (the lock answers with its id).
    PairController {
        /// The new controller's X25519 public key.
        public_key: PublicKeyBytes,
        /// Its rights.
        role: Role,
        /// A human label ("Alice's phone").
        label: Name,
    },
    /// Remove a controller; its envelopes are rejected from then on.
    UnpairController {
        /// Which controller.
        controller: ControllerId,
    },
    /// Ask for audit records from `from_seq` on (answered by [`super::Up::Log`] messages).
    LogFetch {
        /// First sequence number wanted.
        from_seq: u64,
    },
    /// Acknowledge that the hub durably stored every record up to and including `up_to_seq`.
    LogAck {
        /// Highest stored sequence number.
        up_to_seq: u64,
    },
    /// Ask for a status message now.
    GetStatus,
    /// Ask for the per-slot digests starting at a user slot.
    GetSlotDigests {
        /// First user slot.
        from_user: UserIndex,
    },
    /// Ask for the capabilities.
    GetCapabilities,
    /// Ask for a signed self-check report bound to `challenge`.
    RequestSelfCheck {
        /// Fresh random bytes from the asker, echoed in the signed report.
        challenge: [u8; 16],
    },
    /// Make the lock a hotel door (it checks the property's signed cards offline), or an
    /// ordinary lock again with `None`. The door's card memory (newest stay, deny list)
    /// starts empty.
    SetHotelDoor(Option<HotelDoor>),
    /// Refuse hotel card `number` from now on (a lost card, told to an online lock).
    DenyCard {
        /// The card's number, as printed in the card's body.
        number: u32,
    },
    /// Give the lock its offline-code secret and epoch, or turn offline codes off with
    /// `None`. A new epoch (or secret) revokes every earlier code.
    SetOfflineCodes(Option<OfflineCodes>),
    /// Refuse one offline code from now on (by its id: form and start, `tumbler-offline`).
    DenyOfflineCode {
        /// The code's id.
        id: u64,
    },
}

/// The nonce type reused by [`Command::IssueResetNonce`]'s answer.
pub type IssuedNonce = ResetNonce;

impl Command {
    /// The role a controller needs for this command. `User` controllers may operate
    /// the lock and read non-personal state; everything that changes who can get in,
    /// the lock's configuration, its pairing or its existence needs `Admin`.
    pub fn required_role(&self) -> Role {
        match self {
            Command::Lock { .. }
            | Command::Unlock { .. }
            | Command::UnlockWithTimeout { .. }
            | Command::GetStatus
            | Command::GetCapabilities
            | Command::GetSettings
            | Command::RequestSelfCheck { .. } => Role::User,
            Command::GetUser { .. }
            | Command::SetUser(_)
            | Command::ClearUser { .. }
            | Command::SetCredential { .. }
            | Command::ClearCredential { .. }
            | Command::SetWeekDaySchedule { .. }
            | Command::GetWeekDaySchedule { .. }
            | Command::ClearWeekDaySchedule { .. }
            | Command::SetYearDaySchedule { .. }
            | Command::GetYearDaySchedule { .. }
            | Command::ClearYearDaySchedule { .. }
            | Command::SetHolidaySchedule { .. }
            | Command::GetHolidaySchedule { .. }
            | Command::ClearHolidaySchedule { .. }
            | Command::SetSettings(_)
            | Command::SetOperatingMode(_)
            | Command::SetTime { .. }
            | Command::Reboot
            | Command::FactoryReset
            | Command::IssueResetNonce
            | Command::ManufacturerReset(_)
            | Command::PairController { .. }
            | Command::UnpairController { .. }
            | Command::LogFetch { .. }
            | Command::LogAck { .. }
            | Command::GetSlotDigests { .. }
            | Command::SetHotelDoor(_)
            | Command::DenyCard { .. }
            | Command::SetOfflineCodes(_)
            | Command::DenyOfflineCode { .. } => Role::Admin,
        }
    }

    /// Whether a controller with `role` may run this command.
    pub fn allowed_for(&self, role: Role) -> bool {
        role == Role::Admin || self.required_role() == Role::User
    }
}
