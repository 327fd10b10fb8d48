//! Everything that can happen to a lock: physical stimuli at the door or
//! inside, hardware feedback, timer ticks, and already-authenticated remote
//! commands from paired controllers.

use serde::{Deserialize, Serialize};

use crate::config::{LABEL_LEN, MAX_CARD_PAYLOAD};
use crate::reset::ManufacturerToken;
use crate::schedule::{HolidaySchedule, WeekDaySchedule, YearDaySchedule};
use crate::settings::{OperatingMode, Setting, Settings};
use crate::time::TzRule;

use crate::user::{
    CardUid, ControllerId, CredentialType, NewCredential, Pin, UserFields, UserIndex,
};
/// Role of a paired controller (the shared [`tumbler_model::Role`]).
pub use tumbler_model::Role;

/// A keypad key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Key {
    /// A digit 0..=9 (values above 9 are ignored).
    Digit(u8),
    /// `*`: separates a PIN from a programming sequence.
    Star,
    /// `#`: submits the entry.
    Hash,
}

/// Motor feedback after a [`crate::output::MotorCommand`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MotorFeedback {
    /// The bolt reached the commanded position.
    Done,
    /// The motor stalled before reaching it.
    Jammed,
    /// Locking stopped short of fully thrown (bolt not fully locked).
    NotFullyLocked,
}

/// Identifier of a remote command, echoed in its [`crate::output::Reply`].
pub type CommandId = u32;

/// One input to [`crate::Lock::handle`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Input {
    /// Power came on (battery inserted, or after a reboot the driver
    /// performed). Drops RAM-only state; presses within
    /// [`crate::config::BOOT_MS`] are ignored.
    PowerOn,
    /// A keypad key press.
    Key(Key),
    /// An RFID card was presented.
    Card {
        /// Card UID.
        uid: CardUid,
        /// Optional signed card image (a hotel card, `tumbler-card`):
        /// checked offline when the lock is a hotel door ([`crate::hotel`]),
        /// ignored otherwise (the UID decides).
        payload: Option<heapless::Vec<u8, MAX_CARD_PAYLOAD>>,
    },
    /// The fingerprint sensor matched a template slot (`Some`) or nothing (`None`).
    Fingerprint(Option<u16>),
    /// The reset button (battery compartment) went down.
    ResetButtonDown,
    /// The reset button was released; the lock measures the hold itself.
    ResetButtonUp,
    /// The interior program button was pressed (opens keypad admin enrolment).
    ProgramButton,
    /// The interior thumb-turn moved the bolt by hand.
    ManualTurn {
        /// `true` if turned to locked.
        locked: bool,
    },
    /// Battery level in percent. The driver reports it right after
    /// [`Input::PowerOn`] and on every change; until the first report
    /// factory resets are refused (the level is unknown).
    Battery(u8),
    /// Door sensor.
    Door {
        /// `true` if the door is open.
        open: bool,
    },
    /// Motor feedback.
    Motor(MotorFeedback),
    /// Tamper switch tripped.
    Tamper,
    /// Timer tick: auto-relock, lockout expiry, keypad timeout, boot end…
    /// Drive it at [`crate::Lock::next_deadline`] or periodically.
    Tick,
    /// First admin pairing in setup mode; the proto layer already ran the
    /// PAKE on the setup code and passes the controller's key. Answered by
    /// a [`crate::output::Reply`] with id 0: `Paired(id)` or `NotInSetupMode`.
    PairFirstAdmin {
        /// Controller public key (Ed25519).
        pubkey: [u8; 32],
        /// Label shown in lists.
        label: heapless::String<LABEL_LEN>,
    },
    /// An authenticated command from a paired controller.
    Command {
        /// Sending controller.
        from: ControllerId,
        /// Command id for the reply.
        id: CommandId,
        /// Envelope counter; must exceed the controller's last one (replay guard).
        counter: u64,
        /// The command.
        cmd: Command,
    },
}

/// Remote commands. Admin-only unless marked otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Command {
    /// Lock the bolt (any role); `pin` is required when `RequirePINforRemoteOperation` is set,
    /// and checked like an unlock's when given.
    Lock {
        /// PIN (decrypted by proto).
        pin: Option<Pin>,
    },
    /// Unlock (any role); `pin` is required when `RequirePINforRemoteOperation` is set.
    Unlock {
        /// PIN (decrypted by proto).
        pin: Option<Pin>,
    },
    /// Unlock and relock after `timeout_s` seconds (any role).
    UnlockWithTimeout {
        /// Seconds until relock (1..=86400).
        timeout_s: u32,
        /// PIN, as for `Unlock`.
        pin: Option<Pin>,
    },
    /// Create or modify a user.
    SetUser {
        /// Slot.
        index: UserIndex,
        /// Fields.
        fields: UserFields,
    },
    /// Clear a user with its credentials and schedules.
    ClearUser {
        /// Slot.
        index: UserIndex,
    },
    /// Clear every user.
    ClearAllUsers,
    /// Set a credential slot of an existing user.
    SetCredential {
        /// Owner.
        user: UserIndex,
        /// Credential slot `0..CREDENTIALS_PER_USER`.
        slot: u8,
        /// The credential (PIN in clear).
        credential: NewCredential,
    },
    /// Clear one credential slot.
    ClearCredential {
        /// Owner.
        user: UserIndex,
        /// Slot.
        slot: u8,
    },
    /// Clear every credential of one kind.
    ClearCredentialsOfType(CredentialType),
    /// Clear every credential.
    ClearAllCredentials,
    /// Set a week-day schedule slot.
    SetWeekDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Slot.
        slot: u8,
        /// Schedule.
        schedule: WeekDaySchedule,
    },
    /// Clear a week-day schedule slot.
    ClearWeekDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Slot.
        slot: u8,
    },
    /// Set a year-day schedule slot.
    SetYearDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Slot.
        slot: u8,
        /// Schedule.
        schedule: YearDaySchedule,
    },
    /// Clear a year-day schedule slot.
    ClearYearDaySchedule {
        /// Owner.
        user: UserIndex,
        /// Slot.
        slot: u8,
    },
    /// Set a lock-wide holiday slot.
    SetHoliday {
        /// Slot.
        slot: u8,
        /// Schedule.
        schedule: HolidaySchedule,
    },
    /// Clear a holiday slot.
    ClearHoliday {
        /// Slot.
        slot: u8,
    },
    /// Change one setting.
    SetSetting(Setting),
    /// Change several settings at once, all or nothing (the operating mode in
    /// the record is ignored).
    SetSettings(Settings),
    /// Change the operating mode.
    SetOperatingMode(OperatingMode),
    /// Make the lock a hotel door (its cards are checked offline against
    /// the property's key), or an ordinary lock again with `None`. The
    /// door's card memory starts empty.
    SetHotelDoor(Option<crate::hotel::HotelDoor>),
    /// Refuse a hotel card from now on (a lost card).
    DenyCard {
        /// The card's number.
        number: u32,
    },
    /// Give the lock its offline-code secret and epoch (or turn offline codes
    /// off with `None`); a new epoch revokes every earlier code.
    SetOfflineCodes(Option<crate::offline::OfflineCodes>),
    /// Refuse an offline code from now on (by its id).
    DenyOfflineCode {
        /// The code's id (`tumbler-offline` `CodeId`).
        id: u64,
    },
    /// Set the real-time clock (UTC seconds); emitted as an effect for the driver.
    SetTime {
        /// UTC Unix seconds.
        utc_s: i64,
    },
    /// Set the site's time-zone rule.
    SetTimeRule(TzRule),
    /// Reboot (soft reset).
    Reboot,
    /// Factory reset (admin, only if `app_reset_allowed`).
    FactoryReset,
    /// Pair another controller.
    PairController {
        /// Its public key.
        pubkey: [u8; 32],
        /// Its role.
        role: Role,
        /// Label.
        label: heapless::String<LABEL_LEN>,
    },
    /// Unpair a controller (drops its slot and its app-key credentials).
    UnpairController(ControllerId),
    /// The controller has stored audit records up to and including `seq` (any role).
    LogAck {
        /// Highest stored sequence number.
        seq: u32,
    },
    /// Status report (any role).
    GetStatus,
    /// Digest of one user slot.
    GetUserDigest(UserIndex),
    /// Capabilities (any role).
    GetCapabilities,
    /// Signed self-check report, binding the caller's nonce.
    SelfCheck {
        /// Caller's freshness nonce.
        nonce: [u8; 16],
    },
    /// Issue a single-use nonce for a manufacturer reset token.
    IssueResetNonce,
    /// A manufacturer-signed reset token (any role: the signature is the authority).
    ManufacturerReset(ManufacturerToken),
}

impl Command {
    /// Whether a user-role controller may send this command.
    pub fn allowed_for_user_role(&self) -> bool {
        matches!(
            self,
            Command::Lock { .. }
                | Command::Unlock { .. }
                | Command::UnlockWithTimeout { .. }
                | Command::LogAck { .. }
                | Command::GetStatus
                | Command::GetCapabilities
                | Command::ManufacturerReset(_)
        )
    }
}
