//! Audit-log records and their hash chain. The chain hash is defined here, so the lock
//! (which appends) and the hub (which verifies gaps and tampering) compute the same thing.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
    /// [`LogRecord::chain_hash`] of the previous record (all zero for the first after a reset).
    pub prev_hash: [u8; 32],
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

/// Domain separation for the log chain hash.
const LOG_HASH_DOMAIN: &[u8] = b"tumbler/v1 log-record\0";

impl LogRecord {
    /// SHA-256 over a domain label and the record's postcard encoding; the next record's
    /// `prev_hash`. `None` only if the record cannot be encoded (never for valid records).
    pub fn chain_hash(&self) -> Option<[u8; 32]> {
        let mut buf = [0u8; 128];
        let bytes = postcard::to_slice(self, &mut buf).ok()?;
        let mut h = Sha256::new();
        h.update(LOG_HASH_DOMAIN);
        h.update(&*bytes);
        Some(h.finalize().into())
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
