//! [`LogCursor`]: per-lock ingestion of the lock's audit log (`Up::Log` batches).
//! Accepts records by the lock's sequence number, drops repeats, holds records that
//! arrive ahead of a hole, reports holes ([`LogIssue::Gap`]: fetch them with
//! `Command::LogFetch`) and holes the lock itself explained by ring overflow
//! ([`LogIssue::Lost`]), verifies the hash chain with proto's `LogRecord` helpers and
//! says up to which sequence number to send `Command::LogAck`.
//!
//! Contract for the hub: store every record of [`LogIngest::accepted`] durably (with
//! its `chained` flag) **before** sending `LogAck { up_to_seq: ack_up_to }`, and persist
//! the cursor (serde) in the same transaction. Events (`Up::Event`) carry no sequence
//! number; their durable copy is the log record the lock appends for each.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tumbler_proto::{LogBatch, LogRecord};

/// Most records held ahead of a hole; beyond it records are dropped (and fetched
/// again once the hole is filled).
pub const MAX_PENDING_RECORDS: usize = 256;

const ZERO_HASH: [u8; 32] = [0u8; 32];

/// An inclusive range of sequence numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeqRange {
    /// First missing sequence number.
    pub first: u64,
    /// Last missing sequence number (inclusive).
    pub last: u64,
}

/// Something the hub should record or alert on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum LogIssue {
    /// Records missing between the newest contiguous record and a later one received:
    /// send `LogFetch { from_seq: first }`. If the lock no longer has them (its answer
    /// starts later without a higher overflow count), call [`LogCursor::give_up_gap`].
    Gap(SeqRange),
    /// Records the lock lost to ring overflow (its overflow count grew): gone for
    /// good, explained. The chain restarts, unverified, after them.
    Lost(SeqRange),
    /// A hole given up by [`LogCursor::give_up_gap`]: the lock no longer has those
    /// records and did not report an overflow. Alert.
    Abandoned(SeqRange),
    /// The record at `seq` does not chain from its predecessor (tampering or a lock
    /// bug): it is accepted but flagged `chained: false`. Alert.
    ChainBreak {
        /// The record that does not chain.
        seq: u64,
    },
    /// A different record for a sequence number already accepted or held: dropped.
    /// Alert (tampering or a lock bug).
    Conflict {
        /// The sequence number.
        seq: u64,
    },
    /// Too many records ahead of a hole: this one was dropped (fetch it again later).
    PendingFull {
        /// The dropped record's sequence number.
        seq: u64,
    },
}

/// A record to store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// The record.
    pub record: LogRecord,
    /// Whether its place in the hash chain was verified (follows the previous record,
    /// or starts a chain with an all-zero `prev_hash`).
    pub chained: bool,
}

/// What one batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogIngest {
    /// New records in sequence order: store them.
    pub accepted: Vec<Accepted>,
    /// Records already seen (repeats): nothing to do.
    pub duplicates: u32,
    /// Problems to record or alert on.
    pub issues: Vec<LogIssue>,
    /// After storing `accepted`, acknowledge up to here (`Command::LogAck`).
    pub ack_up_to: Option<u64>,
    /// A hole remains: ask for records from here (`Command::LogFetch`).
    pub fetch_from: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Head {
    seq: u64,
    hash: [u8; 32],
    /// The record itself: a different record under the same sequence number
    /// is a conflict even if it declares the same hash.
    #[serde(default)]
    record: Option<LogRecord>,
}

/// The hub's position in one lock's audit log. Serde: persist it with the records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogCursor {
    /// The newest record of the contiguous run accepted so far.
    head: Option<Head>,
    /// The lock's overflow count as last reported.
    overflow_seen: u32,
    /// Before the first record: the sequence number the log is known to start at
    /// (`None`: anchor on whatever arrives first).
    start: Option<u64>,
    /// Records received ahead of a hole, by sequence number (at most
    /// [`MAX_PENDING_RECORDS`]); all above `head`.
    pending: BTreeMap<u64, LogRecord>,
}

fn hash_of(r: &LogRecord) -> [u8; 32] {
    // `chain_hash` is `None` only for a record that cannot be encoded, which a decoded
    // record always can; an all-ones stand-in then simply never matches a prev_hash.
    r.chain_hash().unwrap_or([0xff; 32])
}

impl LogCursor {
    /// Nothing received yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Nothing received yet, and the log is known to continue at `first_seq` (e.g.
    /// `ResetRecord::last_seq + 1` for a lock claimed after a reset, or 1 for a new
    /// lock): earlier records are ignored, later ones wait for the missing ones.
    pub fn expecting(first_seq: u64) -> Self {
        LogCursor {
            start: Some(first_seq),
            ..Self::default()
        }
    }

    /// Sequence number of the newest contiguous record accepted.
    pub fn head_seq(&self) -> Option<u64> {
        self.head.map(|h| h.seq)
    }

    /// Number of records held ahead of a hole.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Ingest one batch from `Up::Log`.
    pub fn ingest(&mut self, batch: &LogBatch) -> LogIngest {
        let mut out = LogIngest::default();
        let overflow_grew = batch.overflow > self.overflow_seen;
        self.overflow_seen = self.overflow_seen.max(batch.overflow);
        let mut records: Vec<LogRecord> = batch.records.iter().copied().collect();
        records.sort_by_key(|r| r.seq);
        for r in records {
            self.one(r, &mut out);
        }
        if overflow_grew {
            // The lock says records were lost: whatever hole is left before the
            // records we hold is explained, not missing.
            self.skip_hole(&mut out, true);
        }
        self.finish(&mut out);
        out
    }

    /// Declare the current hole lost (the lock no longer has those records although
    /// it did not report an overflow — alert), and continue from the records held
    /// after it. Returns what that released; `None` when there is no hole.
    pub fn give_up_gap(&mut self) -> Option<LogIngest> {
        if self.pending.is_empty() {
            return None;
        }
        let mut out = LogIngest::default();
        self.skip_hole(&mut out, false);
        self.finish(&mut out);
        Some(out)
    }

    fn skip_hole(&mut self, out: &mut LogIngest, explained: bool) {
        let Some((&seq, _)) = self.pending.first_key_value() else {
            return;
        };
        let Some(first) = self.pending.remove(&seq) else {
            return;
        };
        let from = self
            .head
            .map(|h| h.seq.saturating_add(1))
            .or(self.start)
            .unwrap_or(seq);
        if seq > from {
            let range = SeqRange {
                first: from,
                last: seq - 1,
            };
            out.issues.push(if explained {
                LogIssue::Lost(range)
            } else {
                LogIssue::Abandoned(range)
            });
        }
        self.accept(first, false, out);
        self.drain(out);
    }

    fn one(&mut self, r: LogRecord, out: &mut LogIngest) {
        let Some(head) = self.head else {
            match self.start {
                Some(start) if r.seq < start => {
                    out.duplicates = out.duplicates.saturating_add(1);
                }
                Some(start) if r.seq > start => self.hold(r, out),
                _ => {
                    // First record: it starts a verified chain only if it says so
                    // (all-zero prev hash: the first record after a reset).
                    let chained = r.prev_hash == ZERO_HASH;
                    self.accept(r, chained, out);
                    self.drain(out);
                }
            }
            return;
        };
        if r.seq < head.seq {
            out.duplicates = out.duplicates.saturating_add(1);
        } else if r.seq == head.seq {
            if hash_of(&r) == head.hash && head.record.is_none_or(|h| h == r) {
                out.duplicates = out.duplicates.saturating_add(1);
            } else {
                out.issues.push(LogIssue::Conflict { seq: r.seq });
            }
        } else if Some(r.seq) == head.seq.checked_add(1) {
            let chained = r.prev_hash == head.hash;
            if !chained {
                out.issues.push(LogIssue::ChainBreak { seq: r.seq });
            }
            self.accept(r, chained, out);
            self.drain(out);
        } else {
            self.hold(r, out);
        }
    }

    /// Keep a record that arrived ahead of a hole.
    fn hold(&mut self, r: LogRecord, out: &mut LogIngest) {
        if let Some(held) = self.pending.get(&r.seq) {
            if *held == r {
                out.duplicates = out.duplicates.saturating_add(1);
            } else {
                out.issues.push(LogIssue::Conflict { seq: r.seq });
            }
        } else if self.pending.len() >= MAX_PENDING_RECORDS {
            out.issues.push(LogIssue::PendingFull { seq: r.seq });
        } else {
            self.pending.insert(r.seq, r);
        }
    }

    fn accept(&mut self, r: LogRecord, chained: bool, out: &mut LogIngest) {
        self.head = Some(Head {
            seq: r.seq,
            hash: hash_of(&r),
            record: Some(r),
        });
        out.accepted.push(Accepted { record: r, chained });
    }

    /// Move held records that are now contiguous into the run.
    fn drain(&mut self, out: &mut LogIngest) {
        while let Some(head) = self.head {
            // Anything held at or below the head was superseded (re-anchoring).
            while let Some((&seq, _)) = self.pending.first_key_value() {
                if seq > head.seq {
                    break;
                }
                self.pending.remove(&seq);
            }
            let Some(next_seq) = head.seq.checked_add(1) else {
                return;
            };
            let Some(next) = self.pending.remove(&next_seq) else {
                return;
            };
            let chained = next.prev_hash == head.hash;
            if !chained {
                out.issues.push(LogIssue::ChainBreak { seq: next.seq });
            }
            self.accept(next, chained, out);
        }
    }

    fn finish(&self, out: &mut LogIngest) {
        // Records already stored (a resend) are acknowledged again: the lock
        // keeps them until it hears so.
        if !out.accepted.is_empty() || out.duplicates > 0 {
            out.ack_up_to = self.head_seq();
        }
        let from = self.head.map(|h| h.seq.saturating_add(1)).or(self.start);
        if let (Some(from), Some((&first_held, _))) = (from, self.pending.first_key_value()) {
            if first_held > from {
                out.issues.push(LogIssue::Gap(SeqRange {
                    first: from,
                    last: first_held - 1,
                }));
                out.fetch_from = Some(from);
            }
        }
    }
}
