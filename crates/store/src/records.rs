//! Pure encoders/decoders of the store's own records: the commit journal,
//! the meta (reset) record and the log-record header.
//!
//! All of them live *inside* sequential-storage items, which already carry a
//! length and CRCs; a record that passes those checks but does not decode
//! here is reported as corruption.

use crate::codec::{Reader, Writer};

/// One change in a group passed to [`crate::Store::commit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemOp<'a> {
    /// Store `value` under `key`, replacing any old value.
    Put(u32, &'a [u8]),
    /// Remove `key` (no-op if absent).
    Delete(u32),
}

impl ItemOp<'_> {
    /// The key this op touches.
    #[must_use]
    pub fn key(&self) -> u32 {
        match self {
            Self::Put(k, _) | Self::Delete(k) => *k,
        }
    }
}

/// Journal format version byte.
const JOURNAL_V1: u8 = 1;
/// Op tags inside a journal.
const TAG_PUT: u8 = 1;
/// Delete tag.
const TAG_DELETE: u8 = 2;

/// Encoded size of a journal holding `ops`.
pub(crate) fn journal_len(ops: &[ItemOp<'_>]) -> usize {
    3 + ops.iter().map(op_len).sum::<usize>()
}

/// First byte of a journal value that only names its chunks (a group too big
/// for one item): `[2][chunk count u16]`; chunk `i` is stored under
/// `CHUNK_BASE + i`, each an inline journal of a contiguous run of ops.
pub(crate) const JOURNAL_CHUNKED: u8 = 2;

/// Encoded size of one op inside a journal.
pub(crate) fn op_len(op: &ItemOp<'_>) -> usize {
    match op {
        ItemOp::Put(_, v) => 7 + v.len(),
        ItemOp::Delete(_) => 5,
    }
}

/// End (exclusive) of the longest run of ops starting at `start` whose
/// inline journal fits `max` bytes; `None` if not even one op fits.
pub(crate) fn next_chunk(ops: &[ItemOp<'_>], start: usize, max: usize) -> Option<usize> {
    let mut len = 3;
    let mut end = start;
    for op in ops.get(start..)? {
        if len + op_len(op) > max {
            break;
        }
        len += op_len(op);
        end += 1;
    }
    (end > start).then_some(end)
}

/// What a pending journal value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JournalHead {
    /// The ops follow inline.
    Inline,
    /// The ops are in this many chunk items.
    Chunked(u16),
}

/// Classifies a pending journal value; `None` if malformed.
pub(crate) fn journal_head(bytes: &[u8]) -> Option<JournalHead> {
    let mut r = Reader::new(bytes);
    match r.u8()? {
        JOURNAL_V1 => Some(JournalHead::Inline),
        JOURNAL_CHUNKED => {
            let n = r.u16()?;
            (r.is_empty() && n > 0).then_some(JournalHead::Chunked(n))
        }
        _ => None,
    }
}

/// Encodes a journal: version, count, then each op. `None` if it does not fit `out`.
pub(crate) fn encode_journal(ops: &[ItemOp<'_>], out: &mut [u8]) -> Option<usize> {
    let mut w = Writer::new(out);
    w.u8(JOURNAL_V1)?;
    w.u16(u16::try_from(ops.len()).ok()?)?;
    for op in ops {
        match op {
            ItemOp::Put(k, v) => {
                w.u8(TAG_PUT)?;
                w.u32(*k)?;
                w.u16(u16::try_from(v.len()).ok()?)?;
                w.bytes(v)?;
            }
            ItemOp::Delete(k) => {
                w.u8(TAG_DELETE)?;
                w.u32(*k)?;
            }
        }
    }
    Some(w.len())
}

/// Iterates the ops of an encoded journal. Yields `Err(())` once on malformed input.
pub(crate) struct JournalIter<'a> {
    /// Remaining input.
    r: Reader<'a>,
    /// Ops still to read.
    left: u16,
    /// Set after an error so iteration stops.
    failed: bool,
}

impl<'a> JournalIter<'a> {
    /// Starts decoding; `None` if the header is malformed.
    pub(crate) fn new(bytes: &'a [u8]) -> Option<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != JOURNAL_V1 {
            return None;
        }
        let left = r.u16()?;
        Some(Self {
            r,
            left,
            failed: false,
        })
    }
}

impl<'a> Iterator for JournalIter<'a> {
    type Item = Result<ItemOp<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if self.left == 0 {
            if self.r.is_empty() {
                return None;
            }
            self.failed = true;
            return Some(Err(()));
        }
        self.left -= 1;
        let op = (|| {
            let tag = self.r.u8()?;
            let key = self.r.u32()?;
            match tag {
                TAG_PUT => {
                    let len = self.r.u16()?;
                    Some(ItemOp::Put(key, self.r.bytes(usize::from(len))?))
                }
                TAG_DELETE => Some(ItemOp::Delete(key)),
                _ => None,
            }
        })();
        match op {
            Some(op) => Some(Ok(op)),
            None => {
                self.failed = true;
                Some(Err(()))
            }
        }
    }
}

/// The meta record (key [`META_KEY`] of the meta map).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta<'a> {
    /// Factory resets started so far (including one in progress).
    pub(crate) reset_counter: u32,
    /// `Some` while a factory reset is in progress.
    pub(crate) intent: Option<Intent<'a>>,
}

/// A factory reset that has been decided but maybe not finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Intent<'a> {
    /// Sequence number the reset record gets in the fresh log.
    pub(crate) first_seq: u32,
    /// The reset record written as the first log record.
    pub(crate) record: &'a [u8],
}

/// Key of the meta record in the meta map.
pub(crate) const META_KEY: u8 = 1;
/// Key of the recovery record in the meta map (absent until the first recovery).
pub(crate) const RECOVERY_KEY: u8 = 2;
/// Longest recovery reason kept (longer ones are cut).
pub(crate) const MAX_RECOVERY_REASON: usize = 64;
/// Recovery record format version byte.
const RECOVERY_V1: u8 = 1;

/// Encodes a recovery record: version, count, reason length, reason.
pub(crate) fn encode_recovery(count: u32, reason: &[u8], out: &mut [u8]) -> Option<usize> {
    let reason = reason.get(..reason.len().min(MAX_RECOVERY_REASON))?;
    let mut w = Writer::new(out);
    w.u8(RECOVERY_V1)?;
    w.u32(count)?;
    w.u16(u16::try_from(reason.len()).ok()?)?;
    w.bytes(reason)?;
    Some(w.len())
}

/// Decodes a recovery record into (count, reason); `None` if malformed.
pub(crate) fn decode_recovery(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let mut r = Reader::new(bytes);
    if r.u8()? != RECOVERY_V1 {
        return None;
    }
    let count = r.u32()?;
    let len = r.u16()?;
    let reason = r.bytes(usize::from(len).min(MAX_RECOVERY_REASON))?;
    Some((count, reason))
}
/// Meta format version byte.
const META_V1: u8 = 1;

/// Encodes a meta record.
pub(crate) fn encode_meta(m: &Meta<'_>, out: &mut [u8]) -> Option<usize> {
    let mut w = Writer::new(out);
    w.u8(META_V1)?;
    w.u32(m.reset_counter)?;
    match m.intent {
        None => w.u8(0)?,
        Some(i) => {
            w.u8(1)?;
            w.u32(i.first_seq)?;
            w.u16(u16::try_from(i.record.len()).ok()?)?;
            w.bytes(i.record)?;
        }
    }
    Some(w.len())
}

/// Decodes a meta record; `None` if malformed.
pub(crate) fn decode_meta(bytes: &[u8]) -> Option<Meta<'_>> {
    let mut r = Reader::new(bytes);
    if r.u8()? != META_V1 {
        return None;
    }
    let reset_counter = r.u32()?;
    let intent = match r.u8()? {
        0 => None,
        1 => {
            let first_seq = r.u32()?;
            let len = r.u16()?;
            Some(Intent {
                first_seq,
                record: r.bytes(usize::from(len))?,
            })
        }
        _ => return None,
    };
    if !r.is_empty() {
        return None;
    }
    Some(Meta {
        reset_counter,
        intent,
    })
}

/// Kind byte of a log record carrying an audit record.
pub(crate) const KIND_DATA: u8 = 1;
/// Kind byte of a log record that only carries the ring's bookkeeping (an ack).
pub(crate) const KIND_MARK: u8 = 2;
/// Bytes of [`LogHeader`] on flash.
pub(crate) const LOG_HEADER_LEN: usize = 17;

/// Bookkeeping every log record carries, so the newest record alone tells
/// the ring's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogHeader {
    /// [`KIND_DATA`] or [`KIND_MARK`].
    pub(crate) kind: u8,
    /// Data: this record's sequence number. Mark: the newest data sequence
    /// number handed out when it was written.
    pub(crate) seq: u32,
    /// Highest acknowledged sequence number (0 = none).
    pub(crate) acked: u32,
    /// Unacknowledged records lost to overflow so far.
    pub(crate) dropped: u32,
    /// Every unacked sequence number below `floor` is already counted in `dropped`.
    pub(crate) floor: u32,
}

impl LogHeader {
    /// Lowest data sequence number that can still follow this record in the ring.
    pub(crate) fn min_present(&self) -> u32 {
        if self.kind == KIND_DATA {
            self.seq
        } else {
            self.seq.saturating_add(1)
        }
    }
}

/// Encodes header + payload.
pub(crate) fn encode_log(h: &LogHeader, payload: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut w = Writer::new(out);
    w.u8(h.kind)?;
    w.u32(h.seq)?;
    w.u32(h.acked)?;
    w.u32(h.dropped)?;
    w.u32(h.floor)?;
    w.bytes(payload)?;
    Some(w.len())
}

/// Decodes header + payload; `None` if malformed.
pub(crate) fn decode_log(bytes: &[u8]) -> Option<(LogHeader, &[u8])> {
    let mut r = Reader::new(bytes);
    let kind = r.u8()?;
    if kind != KIND_DATA && kind != KIND_MARK {
        return None;
    }
    let h = LogHeader {
        kind,
        seq: r.u32()?,
        acked: r.u32()?,
        dropped: r.u32()?,
        floor: r.u32()?,
    };
    if kind == KIND_MARK && !r.is_empty() {
        return None;
    }
    Some((h, r.rest()))
}

/// One slot of the in-RAM key index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Item key.
    pub(crate) key: u32,
    /// Value length, or [`TOMBSTONE`] if the newest version is a deletion.
    pub(crate) len: u16,
    /// Position of the newest version in map iteration order (scratch for
    /// `for_each_item`).
    pub(crate) pos: u32,
}

/// `Entry::len` of a deleted key whose tombstone is still in the map.
pub(crate) const TOMBSTONE: u16 = u16::MAX;

/// Sorted, fixed-capacity index of every key the state map holds.
#[derive(Debug, Clone)]
pub(crate) struct Index<const N: usize> {
    /// Entries `0..len` are in use, sorted by key.
    slots: [Entry; N],
    /// Entries in use.
    len: usize,
}

impl<const N: usize> Index<N> {
    /// Empty index.
    pub(crate) const fn new() -> Self {
        Self {
            slots: [Entry {
                key: 0,
                len: 0,
                pos: 0,
            }; N],
            len: 0,
        }
    }

    /// Entries in use.
    pub(crate) fn entries(&self) -> &[Entry] {
        self.slots.get(..self.len).unwrap_or(&[])
    }

    /// Looks a key up.
    pub(crate) fn get(&self, key: u32) -> Option<&Entry> {
        let e = self.entries();
        e.binary_search_by_key(&key, |x| x.key)
            .ok()
            .and_then(|i| e.get(i))
    }

    /// Inserts or updates; `false` if full.
    pub(crate) fn set(&mut self, key: u32, len: u16, pos: u32) -> bool {
        match self.entries().binary_search_by_key(&key, |x| x.key) {
            Ok(i) => {
                if let Some(slot) = self.slots.get_mut(i) {
                    slot.len = len;
                    slot.pos = pos;
                }
                true
            }
            Err(i) => {
                if self.len >= N {
                    return false;
                }
                if let Some(tail) = self.slots.get_mut(i..=self.len) {
                    tail.rotate_right(1);
                }
                if let Some(slot) = self.slots.get_mut(i) {
                    *slot = Entry { key, len, pos };
                }
                self.len += 1;
                true
            }
        }
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }
}
