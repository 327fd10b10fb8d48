//! The wire messages: what a controller sends down (`Down`) and what the lock sends up (`Up`).
//!
//! `tumbler-proto` does not depend on `tumbler-lock`, so the wire can stay stable while the
//! lock's internals change. The vocabulary both mean the same by (user type and status,
//! credential rule and kind, PIN, operating mode, role, reset trigger, volume) is
//! `tumbler-model`'s, shared with the lock and re-exported here with its encoding pinned;
//! every other type here is the wire's own shape of a lock capability. Field layouts are fixed-capacity
//! (`heapless`) so the lock can decode without a heap.
//!
//! One file per message group: [`command`] (requests and their ids),
//! [`reply`] (acknowledgements and applied results), [`user`], [`credential`],
//! [`schedule`], [`settings`], [`time`], [`status`], [`event`], [`log`], [`hotel`], [`offline`],
//! [`capabilities`], [`report`] (self-check, reset record and notice).

pub mod capabilities;
pub mod command;
pub mod credential;
pub mod event;
pub mod hotel;
pub mod log;
pub mod offline;
pub mod reply;
pub mod report;
pub mod schedule;
pub mod settings;
pub mod status;
pub mod time;
pub mod user;

use serde::{Deserialize, Serialize};

pub use capabilities::{Capabilities, CredentialTypes, PinAlphabet, TrivialPinRules};
pub use command::{Command, CommandId, Request};
pub use credential::{CardUid, Credential, CredentialKind, CredentialSlot, Pin};
pub use event::{
    AlarmCode, Event, LockOperationKind, OperationErrorCode, OperationSource, Severity,
    UserChangeKind, UserChangeOp,
};
pub use hotel::HotelDoor;
pub use log::{Action, Actor, LogBatch, LogOutcome, LogRecord, Method, LOG_BATCH_MAX};
pub use offline::OfflineCodes;
pub use reply::{Ack, Applied, CommandResult, ErrorCode, Outcome, Verdict};
pub use report::{
    LockStatement, ReportError, ResetNotice, ResetRecord, ResetTrigger, SelfCheckReport,
    SignedLockStatement, SignedResetRecord, SignedSelfCheck,
};
pub use schedule::{DaysMask, HolidaySchedule, WeekDaySchedule, YearDaySchedule};
pub use settings::{OperatingMode, Settings, SetupPolicy, Volume};
pub use status::{
    BoltState, CredentialDigest, DoorState, FirmwareVersion, SlotDigest, SlotDigests, Status,
    SLOT_DIGESTS_MAX,
};
pub use time::{DstRule, TimeRule, Transition};
pub use tumbler_model::Role;
pub use user::{CredentialRule, Name, UserIndex, UserRecord, UserStatus, UserType, NAME_MAX};

/// Identifier the lock assigns to a paired controller (hub, phone), like a Matter
/// fabric index. Assigned in increasing order and never reused until a factory
/// reset, so a removed controller's id stays recognisable as removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ControllerId(pub u32);

/// Unix time in seconds (UTC). The lock's own clock, set by [`Command::SetTime`].
pub type UnixTime = u64;

/// A message from a controller to the lock (published on `tumbler/v1/<serial>/down`, inside an envelope).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Down {
    /// A command with its id.
    Request(Request),
}

/// A message from the lock to a controller (published on `tumbler/v1/<serial>/up`, inside an envelope).
// `no_std` without a heap: no `Box`. A message lives on the stack for one send;
// the log batch (8 records with the lock's two hashes each) is the largest.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Up {
    /// Quick answer to a request: accepted (will be applied) or refused with a code.
    Ack(Ack),
    /// The applied result of an accepted request (or its failure while applying).
    Applied(Applied),
    /// Status and telemetry, pushed on change (battery-aware: no polling needed).
    Status(Status),
    /// Something happened at the lock.
    Event(Event),
    /// Audit-log records for the hub to store and acknowledge.
    Log(LogBatch),
    /// Sent before a local factory reset wipes the lock, when it can be.
    ResetNotice(ResetNotice),
}

/// A frame sent *without* an envelope (first byte [`crate::PROTOCOL_VERSION`], see
/// [`crate::frame_kind`]): the claim exchange, which runs before any link key exists,
/// and factory-key-signed announcements a lock can publish while it has no paired
/// controller (after a reset). Same type as [`crate::claim::ClaimMessage`].
pub type Plain = crate::claim::ClaimMessage;
