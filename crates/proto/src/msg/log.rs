//! Audit-log records and their hash chain. The chain is the lock's own: each record
//! carries the lock's hash of itself and of its predecessor, so the hub can check that
//! no record is missing, reordered or replaced (the envelope authenticates the fields).

use serde::{Deserialize, Serialize};

use super::{ControllerId, CredentialSlot, UnixTime, UserIndex};

/// Records per [`LogBatch`].
pub const LOG_BATCH_MAX: usize = 8;

/// Who did it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Actor {
    /// A user (by slot).
    User(UserIndex),
    /// A paired controller.
    Controller(ControllerId),
    /// The manufacturer (reset token).
    Manufacturer,
    /// Someone at the lock who is not a known user (wrong code, button, mechanical key).
    Local,
    /// The lock itself (auto-relock, schedule, boot).
    Lock,
    /// A hotel key card, by its number.
    Card(u32),
    /// An offline code, by its id (`tumbler-offline`: form and start).
    OfflineCode(u64),
}

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Action {
    /// Lock.
    Lock,
    /// Unlock.
    Unlock,
    /// User added/changed/removed.
    UserChange(UserIndex),
    /// Credential added/changed/removed.
    CredentialChange(CredentialSlot),
    /// Schedule change for a user.
    ScheduleChange(UserIndex),
    /// Settings changed.
    SettingsChange,
    /// Operating mode changed.
    ModeChange,
    /// Clock or time rule set.
    TimeSet,
    /// Controller paired.
    Pair(ControllerId),
    /// Controller removed.
    Unpair(ControllerId),
    /// Reboot.
    Reboot,
    /// Factory reset.
    FactoryReset,
    /// Keypad lockout began.
    Lockout,
    /// An alarm was raised.
    Alarm,
}

/// Through which channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Method {
    /// Keypad.
    Keypad,
    /// RFID card.
    Card,
    /// Fingerprint.
    Fingerprint,
    /// App/controller over the network.
    Remote,
    /// Reset or program button.
    Button,
    /// Mechanical key or thumb turn.
    Manual,
    /// The lock on its own.
    Auto,
}

/// How it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogOutcome {
    /// Succeeded.
    Ok,
    /// Refused with a reason code (the lock's [`super::OperationErrorCode`] or [`super::ErrorCode`] index).
    Denied(u8),
}

/// One audit record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogRecord {
    /// Sequence number, +1 per record, never reused (survives the ring wrapping).
    pub seq: u64,
    /// [`LogRecord::hash`] of the previous record (all zero for the first after a reset).
    pub prev_hash: [u8; 32],
    /// The lock's own hash of this record (over its full, on-flash encoding, which
    /// carries details the wire does not); the next record's `prev_hash`. The chain is
    /// the lock's: a controller checks that each record's `prev_hash` is its
    /// predecessor's `hash`, which exposes missing, reordered or replaced records; the
    /// fields themselves are authenticated by the envelope they travel in.
    pub hash: [u8; 32],
    /// The lock's time.
    pub time: UnixTime,
    /// Who.
    pub who: Actor,
    /// What.
    pub what: Action,
    /// How.
    pub how: Method,
    /// Result.
    pub result: LogOutcome,
}

impl LogRecord {
    /// The hash the next record must name in its `prev_hash` (the lock's hash of this
    /// record). Always `Some`; kept as an `Option` for callers written against the
    /// earlier encoding hash.
    pub fn chain_hash(&self) -> Option<[u8; 32]> {
        Some(self.hash)
    }

    /// Whether `next` directly follows `self` (next seq, matching prev hash).
    pub fn is_followed_by(&self, next: &LogRecord) -> bool {
        self.seq.checked_add(1) == Some(next.seq) && self.chain_hash() == Some(next.prev_hash)
    }
}

/// A batch of consecutive audit records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogBatch {
    /// Records, oldest first.
    pub records: heapless::Vec<LogRecord, LOG_BATCH_MAX>,
    /// Records lost to overflow so far (so a gap is explained, not silent).
    pub overflow: u32,
}
