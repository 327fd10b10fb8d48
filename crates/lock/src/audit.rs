//! The audit log: append-only, sequence-numbered, hash-chained records kept
//! in a bounded RAM ring until a controller acknowledges them. Each record
//! carries the SHA-256 of the previous record's encoding, so gaps and edits
//! are detectable. When the ring is full of unacknowledged records the oldest
//! is dropped and counted (`lost`), reported in status and by an event.

use heapless::Deque;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{AUDIT_RING, AUDIT_SEQ_LEASE};
use crate::output::{OpError, Source};
use crate::user::{ControllerId, UserIndex};

/// Longest encoded audit record.
pub const MAX_AUDIT_RECORD: usize = 96;
/// First byte of every encoded audit record (format version 1).
pub const AUDIT_TAG: u8 = 0xA1;

/// Who acted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Who {
    /// Nobody identifiable (unknown credential, timer, button).
    Nobody,
    /// A user.
    User(UserIndex),
    /// A controller.
    Controller(ControllerId),
    /// A hotel key card, by its number (`tumbler-card`).
    Card(u32),
    /// An offline code, by its id (`tumbler-offline` `CodeId`: form and start).
    OfflineCode(u64),
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum What {
    /// Unlock (attempt).
    Unlock,
    /// Lock.
    Lock,
    /// User data changed.
    UserChange,
    /// Credential changed.
    CredentialChange,
    /// Schedule changed.
    ScheduleChange,
    /// Settings/mode/time rule changed.
    SettingsChange,
    /// Controller paired.
    Pair,
    /// Controller unpaired.
    Unpair,
    /// Keypad locked out.
    Lockout,
    /// Reboot.
    Reboot,
    /// Factory reset (first record of a new chain).
    FactoryReset,
    /// Admin enrolled at the keypad.
    Enrol,
}

/// Outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditResult {
    /// Succeeded.
    Ok,
    /// Refused.
    Denied(OpError),
}

/// One audit record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Sequence number, +1 per record; restarts at 0 after a factory reset.
    pub seq: u32,
    /// SHA-256 of the previous record's encoding (after a factory reset: of the sealed reset record).
    pub prev: [u8; 32],
    /// Who.
    pub who: Who,
    /// What.
    pub what: What,
    /// How.
    pub how: Source,
    /// Result.
    pub result: AuditResult,
    /// Lock monotonic time (ms).
    pub mono_ms: u64,
    /// UTC seconds if the clock is set.
    pub utc_s: Option<i64>,
}

/// Why audit bytes did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditDecodeError {
    /// Not a valid encoding.
    Malformed,
}

impl AuditRecord {
    /// Encodes into `buf`: the tag byte [`AUDIT_TAG`] then postcard. Returns
    /// the used prefix length, or `None` if `buf` is shorter than needed
    /// (use [`MAX_AUDIT_RECORD`]).
    pub fn encode(&self, buf: &mut [u8]) -> Option<usize> {
        let (tag, rest) = buf.split_first_mut()?;
        *tag = AUDIT_TAG;
        postcard::to_slice(self, rest).ok().map(|s| s.len() + 1)
    }
    /// Decodes bytes produced by [`AuditRecord::encode`]. Strict: the tag
    /// must match and every byte must be used, so other records a store
    /// keeps in the same ring are not mistaken for audit records.
    pub fn decode(bytes: &[u8]) -> Result<AuditRecord, AuditDecodeError> {
        match bytes.split_first() {
            Some((&AUDIT_TAG, rest)) => match postcard::take_from_bytes(rest) {
                Ok((rec, [])) => Ok(rec),
                _ => Err(AuditDecodeError::Malformed),
            },
            _ => Err(AuditDecodeError::Malformed),
        }
    }
    /// SHA-256 of the encoding: the next record's `prev`.
    pub fn hash(&self) -> [u8; 32] {
        let mut buf = [0u8; MAX_AUDIT_RECORD];
        let n = self.encode(&mut buf).unwrap_or(0);
        Sha256::digest(buf.get(..n).unwrap_or(&[])).into()
    }
}

/// Persisted log bookkeeping (item `Log`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LogMeta {
    /// Highest acknowledged sequence number.
    pub acked: Option<u32>,
    /// Unacknowledged records lost to ring overflow since the last factory reset.
    pub lost: u32,
    /// Breaks found in the stored chain at boot (undecodable record, or a
    /// record whose `prev` or `seq` does not follow), since the last factory reset.
    pub breaks: u32,
    /// Sequence floor: every number handed out is below it. Raised to `seq +
    /// AUDIT_SEQ_LEASE` (and the item written, before the record) when a record reaches it,
    /// so a boot that cannot read the log's tail still never hands a number out twice.
    pub reserved: u32,
    /// Every hole in the log below this sequence number is already counted in `lost`
    /// (a later boot that reads the same hole does not count it again).
    pub checked: u32,
}

/// The `Log` item as written before the sequence floor existed (decoded for old images).
#[derive(Deserialize)]
struct LogMetaV1 {
    acked: Option<u32>,
    lost: u32,
    breaks: u32,
}

impl LogMeta {
    /// Decodes the `Log` item, old (without the floor) or new encoding.
    pub(crate) fn from_item(bytes: &[u8]) -> Option<LogMeta> {
        if let Ok(m) = postcard::from_bytes::<LogMeta>(bytes) {
            return Some(m);
        }
        let v1: LogMetaV1 = postcard::from_bytes(bytes).ok()?;
        Some(LogMeta {
            acked: v1.acked,
            lost: v1.lost,
            breaks: v1.breaks,
            reserved: 0,
            checked: 0,
        })
    }
}

/// The RAM side of the log.
#[derive(Clone, Debug, Default)]
pub struct AuditLog {
    /// Unacknowledged records, oldest first.
    pub(crate) ring: Deque<AuditRecord, AUDIT_RING>,
    /// Sequence number of the next record.
    pub(crate) next_seq: u32,
    /// Hash of the last record (chain head).
    pub(crate) head: [u8; 32],
    /// Persisted bookkeeping.
    pub(crate) meta: LogMeta,
    /// Breaks found by `restore`, reported and persisted by the next `PowerOn`.
    pub(crate) unreported_breaks: u32,
    /// Records `restore` found missing (holes, a damaged tail), already added to
    /// `meta.lost`; reported and persisted by the next `PowerOn`.
    pub(crate) unreported_lost: u32,
}

impl AuditLog {
    /// A new chain whose first `prev` is `head`.
    pub fn new(head: [u8; 32]) -> AuditLog {
        AuditLog {
            ring: Deque::new(),
            next_seq: 0,
            head,
            meta: LogMeta::default(),
            unreported_breaks: 0,
            unreported_lost: 0,
        }
    }
    /// Appends a record; returns it, whether an unacknowledged record was lost, and whether the
    /// sequence floor moved (the `Log` item must then be written before the record).
    pub(crate) fn append(
        &mut self,
        who: Who,
        what: What,
        how: Source,
        result: AuditResult,
        mono_ms: u64,
        utc_s: Option<i64>,
    ) -> (AuditRecord, bool, bool) {
        let rec = AuditRecord {
            seq: self.next_seq,
            prev: self.head,
            who,
            what,
            how,
            result,
            mono_ms,
            utc_s,
        };
        self.next_seq = self.next_seq.wrapping_add(1);
        self.head = rec.hash();
        let reserve = rec.seq >= self.meta.reserved;
        if reserve {
            self.meta.reserved = rec.seq.saturating_add(AUDIT_SEQ_LEASE);
        }
        let mut lost = false;
        if self.ring.is_full() {
            self.ring.pop_front();
            self.meta.lost = self.meta.lost.saturating_add(1);
            lost = true;
        }
        // Cannot fail: a slot was freed above if needed.
        let _ = self.ring.push_back(rec);
        (rec, lost, reserve)
    }
    /// Drops records up to and including `seq`; returns whether the ack moved forward.
    pub(crate) fn ack(&mut self, seq: u32) -> bool {
        if seq >= self.next_seq || self.meta.acked.is_some_and(|a| a >= seq) {
            return false;
        }
        self.meta.acked = Some(seq);
        while self.ring.front().is_some_and(|r| r.seq <= seq) {
            self.ring.pop_front();
        }
        true
    }
    /// Unacknowledged records, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = &AuditRecord> {
        self.ring.iter()
    }
    /// The chain head (hash of the last record).
    pub fn head(&self) -> [u8; 32] {
        self.head
    }
    /// Next sequence number.
    pub fn next_seq(&self) -> u32 {
        self.next_seq
    }
    /// Persisted bookkeeping.
    pub fn meta(&self) -> LogMeta {
        self.meta
    }
}
