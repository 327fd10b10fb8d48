//! What one step of the lock produces: items to persist, the audit record,
//! and the effects (motor, signal to the person at the door, events for
//! controllers, the command reply).
//!
//! The driver must, in this order:
//! 0. if `persist.reset` is set and controllers are online, send the first
//!    event (`Event::ResetNotice`, with the sealed record) over the sessions
//!    it already has — the lock's operational keys are already the new ones,
//!    so the notice must go out before those sessions are dropped;
//! 1. if `persist.reset` is set, run the store's factory reset with that
//!    sealed record;
//! 2. commit every item in `persist.items` (encode each with
//!    [`crate::Lock::encode_item`]; `None` means delete) as one atomic group
//!    and append `audit`;
//! 3. only then move the motor, show the signal, send the other events and
//!    the reply, set the clock, and last, if `reboot`, reboot.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::audit::AuditRecord;
use crate::config::MAX_EVENTS;
use crate::input::CommandId;
use crate::persist::ItemSet;
use crate::reset::{ResetTrigger, SealedResetRecord, SelfCheckReport};
use crate::settings::OperatingMode;
use crate::user::{ControllerId, CredentialType, UserIndex};

/// Motor command for the bolt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MotorCommand {
    /// Throw the bolt.
    Lock,
    /// Retract the bolt.
    Unlock,
}

/// State of the bolt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum BoltState {
    /// Not known yet (after power-on, before any motor or manual feedback).
    #[default]
    Unknown,
    /// Fully thrown.
    Locked,
    /// Retracted.
    Unlocked,
    /// Motor is throwing it.
    Locking,
    /// Motor is retracting it.
    Unlocking,
    /// Motor stalled.
    Jammed,
    /// Locking stopped short.
    NotFullyLocked,
}

/// State of the door (from the door sensor and timers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DoorState {
    /// No sensor report yet.
    #[default]
    Unknown,
    /// Closed.
    Closed,
    /// Open.
    Open,
    /// Open longer than `Settings::door_ajar_s`.
    Ajar,
    /// Opened while the bolt was locked.
    Forced,
}

/// What the person at the door sees and hears.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Signal {
    /// A key press was taken.
    KeyClick,
    /// Access granted, bolt unlocking.
    Granted,
    /// Bolt locked.
    Locked,
    /// Access refused (wrong credential, schedule, mode…).
    Denied,
    /// The keypad is disabled after too many wrong codes.
    LockedOut,
    /// Programming window open (program button or admin menu).
    ProgramMode,
    /// A keypad enrolment succeeded.
    Enrolled,
    /// Rebooting.
    Rebooting,
    /// The reset button has been held long enough: releasing it resets.
    ResetArmed,
    /// Factory reset done.
    FactoryResetDone,
    /// Factory reset refused: battery too low.
    ResetRefusedLowBattery,
    /// Factory reset refused for another reason (not allowed, wrong admin PIN…).
    ResetRefused,
    /// The lock is in setup mode and waits to be claimed.
    SetupMode,
    /// The compatibility default PIN was used: the lock is unclaimed and insecure.
    DefaultPinWarning,
    /// Motor jammed.
    Jammed,
    /// Battery low.
    LowBattery,
    /// A keypad admin menu code changed a setting.
    SettingChanged,
}

impl Signal {
    /// Words for the pattern, for manuals, the simulator and tests.
    pub fn describe(&self) -> &'static str {
        match self {
            Signal::KeyClick => "short click, keypad backlight",
            Signal::Granted => "one long beep, green: access granted, unlocking",
            Signal::Locked => "one short beep, amber: locked",
            Signal::Denied => "two short beeps, red: access denied",
            Signal::LockedOut => {
                "long beep, red blinking: keypad disabled after too many wrong codes"
            }
            Signal::ProgramMode => "one beep, blue blinking: programming mode",
            Signal::Enrolled => "two beeps, blue: code enrolled",
            Signal::SettingChanged => "two beeps, green: setting changed",
            Signal::Rebooting => "one beep, all LEDs off then on: rebooting",
            Signal::ResetArmed => "fast beeps, red/green alternating: release now to factory reset",
            Signal::FactoryResetDone => "two beeps, green: factory reset done",
            Signal::ResetRefusedLowBattery => {
                "three short beeps, red: battery too low for factory reset"
            }
            Signal::ResetRefused => "three short beeps, red: factory reset refused",
            Signal::SetupMode => "slow blue pulse: setup mode, waiting to be claimed",
            Signal::DefaultPinWarning => {
                "two beeps, amber blinking: default PIN used, lock not yet secured"
            }
            Signal::Jammed => "long beep, red steady: bolt jammed",
            Signal::LowBattery => "four short beeps, red: battery low",
        }
    }
}

/// Where a lock operation came from (Matter `OperationSourceEnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// Keypad.
    Keypad,
    /// RFID reader.
    Rfid,
    /// Fingerprint sensor.
    Fingerprint,
    /// A remote command.
    Remote,
    /// The interior thumb-turn.
    Manual,
    /// A timer (auto-relock, timed unlock, passage mode).
    Auto,
    /// A physical button (reset or program).
    Button,
}

/// Lock operation kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockOp {
    /// Lock.
    Lock,
    /// Unlock.
    Unlock,
    /// Factory reset.
    FactoryReset,
    /// Reboot.
    Reboot,
}

/// Why an operation was refused (Matter `OperationErrorEnum`, extended).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OpError {
    /// No user holds this credential.
    InvalidCredential,
    /// The user is disabled.
    DisabledUser,
    /// Outside the user's schedules, past expiry, or the clock is unset.
    OutsideSchedule,
    /// The keypad/reader is disabled after too many wrong codes.
    LockedOut,
    /// The operating mode forbids it.
    ModeRestricted,
    /// The user type never opens this way (non-access, remote-only at the door).
    TypeRestricted,
    /// First factor accepted; waiting for the second.
    SecondFactorNeeded,
    /// The motor jammed.
    Jammed,
    /// Battery too low.
    LowBattery,
    /// The lock is still booting.
    Booting,
    /// The lock is in secure setup mode (unclaimed).
    SetupMode,
}

/// Reference to a credential slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRef {
    /// Credential kind.
    pub kind: CredentialType,
    /// Owner.
    pub user: UserIndex,
    /// Slot within the user.
    pub slot: u8,
}

/// What kind of data a change touched (Matter `LockDataTypeEnum` subset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataKind {
    /// A user record.
    User,
    /// A credential.
    Credential(CredentialType),
    /// A week-day schedule.
    WeekDaySchedule,
    /// A year-day schedule.
    YearDaySchedule,
    /// A holiday schedule.
    HolidaySchedule,
    /// A controller pairing.
    Controller,
    /// Settings or mode.
    Settings,
}

/// Kind of change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataOp {
    /// Added.
    Add,
    /// Cleared.
    Clear,
    /// Modified.
    Modify,
}

/// Alarm codes (Matter `AlarmCodeEnum`, extended with battery and ajar).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AlarmCode {
    /// Motor jammed.
    LockJammed,
    /// The lock was factory reset.
    LockFactoryReset,
    /// Wrong-code entry limit reached; keypad disabled.
    WrongCodeEntryLimit,
    /// Tamper switch.
    FrontEsceutcheonRemoved,
    /// Door opened while the bolt was locked.
    DoorForcedOpen,
    /// Door left open.
    DoorAjar,
    /// Battery low.
    LowBattery,
    /// Battery critical.
    CriticalBattery,
    /// A duress user opened the door (silent at the door).
    Duress,
}

/// Why a factory reset was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ResetRefusal {
    /// Battery below `Settings::reset_battery_min_pct`.
    LowBattery,
    /// Local programming is disabled (keypad reset).
    LocalProgrammingDisabled,
    /// App reset disabled by setting.
    AppResetDisabled,
}

/// Events for controllers (Matter DoorLock events in spirit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Event {
    /// A lock operation happened.
    LockOperation {
        /// Lock/unlock.
        op: LockOp,
        /// Source.
        source: Source,
        /// Acting user, if known.
        user: Option<UserIndex>,
        /// Credential used, if any.
        credential: Option<CredentialRef>,
    },
    /// A lock operation was refused.
    LockOperationError {
        /// Attempted operation.
        op: LockOp,
        /// Source.
        source: Source,
        /// Why.
        error: OpError,
        /// User, if the credential was recognised.
        user: Option<UserIndex>,
    },
    /// Users, credentials, schedules, settings or controllers changed.
    LockUserChange {
        /// What.
        kind: DataKind,
        /// How.
        op: DataOp,
        /// Which user slot (None = all or not user data).
        user: Option<UserIndex>,
        /// Which controller did it (None = keypad/lock itself).
        by: Option<ControllerId>,
    },
    /// An alarm.
    Alarm(AlarmCode),
    /// Bolt state changed.
    BoltState(BoltState),
    /// Door state changed.
    DoorState(DoorState),
    /// Operating mode changed (incl. holiday start/end).
    ModeChanged(OperatingMode),
    /// Emitted first when a factory reset starts, so online controllers
    /// learn of it before the wipe ("device reset locally").
    ResetNotice {
        /// Trigger.
        trigger: ResetTrigger,
        /// The new reset counter.
        counter: u32,
    },
    /// A factory reset was refused; nothing changed.
    ResetRefused {
        /// Trigger.
        trigger: ResetTrigger,
        /// Why.
        reason: ResetRefusal,
    },
    /// Setup mode with the compatibility default PIN is active and was used.
    DefaultPinWarning,
    /// At boot the stored audit log had breaks (a record that did not decode
    /// or did not chain); `breaks` is the total since the last factory reset.
    LogChainBroken {
        /// Breaks so far.
        breaks: u32,
    },
    /// Unacknowledged audit records were dropped from the RAM ring; `lost` is the total.
    LogOverflow {
        /// Records lost so far.
        lost: u32,
    },
}

/// Status report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Bolt.
    pub bolt: BoltState,
    /// Door.
    pub door: DoorState,
    /// Configured mode.
    pub mode: OperatingMode,
    /// Mode in force now (a holiday may override).
    pub effective_mode: OperatingMode,
    /// Battery percent (`None`: not reported since power-on).
    pub battery_pct: Option<u8>,
    /// Unclaimed.
    pub setup_mode: bool,
    /// Occupied user slots.
    pub users: u16,
    /// Stored credentials.
    pub credentials: u16,
    /// Paired controllers.
    pub controllers: u8,
    /// Change counter of users/credentials/schedules.
    pub version: u32,
    /// Overall digest (see [`crate::Lock::overall_digest`]).
    pub digest: [u8; 32],
    /// Remaining keypad lockout in ms (0 = none).
    pub lockout_remaining_ms: u64,
    /// Wrong code entries counted.
    pub wrong_codes: u8,
    /// Next audit sequence number.
    pub log_next_seq: u32,
    /// Highest acknowledged sequence number.
    pub log_acked: Option<u32>,
    /// Unacknowledged records lost to ring overflow (never silent).
    pub log_lost: u32,
    /// Breaks found in the stored log chain at boot.
    pub log_breaks: u32,
    /// Factory reset counter.
    pub reset_counter: u32,
    /// Whether the real-time clock is set.
    pub time_set: bool,
}

/// Capabilities (flag set + code constraints).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Bit flags, see the `CAP_*` constants.
    pub flags: u32,
    /// User slots.
    pub max_users: u16,
    /// Credential slots per user.
    pub credentials_per_user: u8,
    /// Week-day schedules per user.
    pub week_day_schedules: u8,
    /// Year-day schedules per user.
    pub year_day_schedules: u8,
    /// Holiday schedules.
    pub holidays: u8,
    /// Controllers.
    pub max_controllers: u8,
    /// PIN minimum length now.
    pub pin_min_len: u8,
    /// PIN maximum length now.
    pub pin_max_len: u8,
    /// Only digits 0-9.
    pub pin_digits_only: bool,
    /// Trivial PINs (0000, 1234, 4321…) refused.
    pub pin_forbid_trivial: bool,
    /// PINs unique across users.
    pub pin_unique: bool,
}

/// Capability flag: keypad PINs.
pub const CAP_PIN: u32 = 1 << 0;
/// Capability flag: RFID cards.
pub const CAP_RFID: u32 = 1 << 1;
/// Capability flag: fingerprint.
pub const CAP_FINGERPRINT: u32 = 1 << 2;
/// Capability flag: app keys.
pub const CAP_APP_KEY: u32 = 1 << 3;
/// Capability flag: week-day schedules.
pub const CAP_WEEK_DAY: u32 = 1 << 4;
/// Capability flag: year-day schedules.
pub const CAP_YEAR_DAY: u32 = 1 << 5;
/// Capability flag: holiday schedules.
pub const CAP_HOLIDAY: u32 = 1 << 6;
/// Capability flag: door sensor.
pub const CAP_DOOR_SENSOR: u32 = 1 << 7;
/// Capability flag: auto-relock.
pub const CAP_AUTO_RELOCK: u32 = 1 << 8;
/// Capability flag: two-factor users.
pub const CAP_TWO_FACTOR: u32 = 1 << 9;
/// Capability flag: DST time-zone rule on the lock.
pub const CAP_TZ_RULE: u32 = 1 << 10;
/// Capability flag: signed self-check.
pub const CAP_SELF_CHECK: u32 = 1 << 11;
/// Capability flag: manufacturer reset token.
pub const CAP_MFR_RESET: u32 = 1 << 12;
/// Capability flag: per-slot and overall digests.
pub const CAP_DIGEST: u32 = 1 << 13;

/// Successful reply payloads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ReplyData {
    /// Done; state in events.
    Done,
    /// Status.
    Status(Status),
    /// A user slot's digest and the change version.
    UserDigest {
        /// Slot digest (all zero for an empty slot).
        digest: [u8; 32],
        /// Change version.
        version: u32,
    },
    /// Capabilities.
    Capabilities(Capabilities),
    /// Signed self-check.
    SelfCheck(SelfCheckReport),
    /// Manufacturer reset nonce.
    ResetNonce([u8; 16]),
    /// Pairing done; the new controller's id.
    Paired(ControllerId),
    /// Factory reset performed; the sealed record.
    FactoryReset(SealedResetRecord),
}

/// Why a command was refused. The lock's state is unchanged when this is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CommandError {
    /// The sending controller is not paired (e.g. paired before a factory reset).
    UnknownController,
    /// The envelope counter is not above the last one seen (replay).
    Replay,
    /// A user-role controller sent an admin command.
    NotAdmin,
    /// A user, credential, schedule or controller index is out of range.
    IndexOutOfRange,
    /// The user slot is empty.
    UnknownUser,
    /// PIN shorter than the configured minimum.
    PinTooShort,
    /// PIN longer than the configured maximum.
    PinTooLong,
    /// PIN has a character other than 0-9.
    PinNotDigits,
    /// PIN is trivial (e.g. 1234, 0000) and trivial PINs are forbidden.
    PinTrivial,
    /// Another user (or slot) already has this PIN.
    DuplicatePin,
    /// Another slot already has this card, fingerprint or app key.
    DuplicateCredential,
    /// Card UID empty.
    BadCredential,
    /// No free slot.
    CapacityFull,
    /// Schedule end not after its start.
    ScheduleEndBeforeStart,
    /// Schedule days or minutes out of range.
    BadSchedule,
    /// Setting value out of range.
    BadSetting,
    /// Time-zone rule out of range.
    BadTimeRule,
    /// The operating mode forbids this remote operation.
    ModeRestricted,
    /// The acting user (by PIN or app key) may not open now: status, type or schedule.
    AccessDenied(OpError),
    /// `RequirePINforRemoteOperation` is set and no PIN was given.
    PinRequired,
    /// The PIN given with a remote operation is wrong or not usable now.
    WrongPin,
    /// The keypad is locked out (remote PIN checks obey it too).
    LockedOut,
    /// Battery too low (factory reset).
    BatteryTooLow,
    /// `app_reset_allowed` is off.
    AppResetDisabled,
    /// The setting change loosens a guard that may be loosened only at the
    /// door (keypad admin menu), never from a remote controller.
    OnlyAtTheDoor,
    /// Manufacturer token signature invalid.
    BadSignature,
    /// Manufacturer token expired or the clock is unset.
    TokenExpired,
    /// Manufacturer token nonce unknown, used or stale.
    BadNonce,
    /// The public key is already paired.
    AlreadyPaired,
    /// Not in setup mode (first-admin pairing).
    NotInSetupMode,
    /// The lock is still booting.
    Booting,
    /// Internal inconsistency; nothing was changed.
    LogicBug,
}

/// Reply to a remote command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The command's id.
    pub id: CommandId,
    /// Result.
    pub result: Result<ReplyData, CommandError>,
}

/// Items the step changed, and a factory reset if one happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Persist {
    /// Set when the step factory-reset the lock: the store must write this
    /// sealed record with its reset intent, erase every operational item and
    /// the log, store `record.counter` as the factory partition's reset
    /// counter, then commit `items` (the fresh state).
    pub reset: Option<SealedResetRecord>,
    /// Changed items.
    pub items: ItemSet,
}

/// Everything one step produces.
#[derive(Clone, Debug, Default)]
pub struct Output {
    /// Persistence work.
    pub persist: Persist,
    /// The audit record appended by this step.
    pub audit: Option<AuditRecord>,
    /// Motor command.
    pub motor: Option<MotorCommand>,
    /// Signal at the door.
    pub signal: Option<Signal>,
    /// Events for controllers, in order (a reset notice comes first).
    pub events: heapless::Vec<Event, MAX_EVENTS>,
    /// Reply to the command, if the input was a command.
    pub reply: Option<Reply>,
    /// The driver should set its real-time clock to this UTC second.
    pub set_clock: Option<i64>,
    /// The driver should reboot: re-mount the store, [`crate::Lock::restore`]
    /// and feed [`crate::Input::PowerOn`].
    pub reboot: bool,
}

impl Output {
    /// Adds an event. The buffer holds [`MAX_EVENTS`], more than any one
    /// step emits; returns `false` (event dropped) if that ever changes.
    pub(crate) fn event(&mut self, e: Event) -> bool {
        self.events.push(e).is_ok()
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}
