//! The storage engine: mount/format/recover, group commits, the audit ring,
//! factory reset. All flash access goes through sequential-storage except
//! the factory partition (raw pages, written once) and the whole-region
//! erases of a factory reset.
//!
//! This file holds the [`Store`] value, its accessors and reads, and the
//! low-level helpers every part shares; one file per operation does the
//! writing: `mount` (format, mount, recover, index rebuild), `commit` (group
//! commits and the journal), `log` (the audit ring), `reset` (factory reset).

mod commit;
mod log;
mod mount;
mod reset;

use core::ops::Range;

use embassy_futures::block_on;
use embedded_storage_async::nor_flash::NorFlash;
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapStorage};
use sequential_storage::queue::{QueueConfig, QueueStorage};

use crate::error::{
    CommitError, FormatError, LogError, Low, MountError, ReadError, Region, ResetError,
};
use crate::layout::Layout;
use crate::records::{
    self, Index, Intent, ItemOp, JournalHead, JournalIter, LogHeader, Meta, JOURNAL_CHUNKED,
    KIND_DATA, KIND_MARK, LOG_HEADER_LEN, META_KEY, TOMBSTONE,
};
use crate::superblock::{self, Decoded};
use crate::{
    MAX_FACTORY_BYTES, MAX_ITEMS, MAX_ITEM_KEY, MAX_LOG_RECORD, MAX_RESET_RECORD, MAX_VALUE_LEN,
};

/// Key of the commit journal in the state map (reserved).
pub(crate) const JOURNAL_KEY: u32 = u32::MAX;
/// Key of journal chunk 0 (chunks `0..MAX_CHUNKS`, reserved).
pub(crate) const CHUNK_BASE: u32 = 0xFFFF_FF00;
/// Most chunks one group may use.
pub(crate) const MAX_CHUNKS: u16 = 255;

/// Size of each of the two working buffers.
pub(crate) const BUF_LEN: usize = 4096;

/// Word-aligned working buffer (some flash drivers need aligned sources).
#[repr(C, align(32))]
struct Buf([u8; BUF_LEN]);

/// What [`Store::mount`] found and did.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountOutcome {
    /// Normal boot: items were found and nothing was pending.
    Restored,
    /// No items are stored (freshly provisioned, or after a completed reset):
    /// the lock should be in setup mode.
    Fresh,
    /// A group commit was cut after its journal was written; mount applied it
    /// (the state is the "after" state of that commit).
    ResumedCommit,
    /// A factory reset was cut after its intent was written; mount finished it.
    ResumedFactoryReset,
    /// [`Store::recover`] wiped unreadable state; the lock is in setup mode.
    Recovered,
}

/// Summary of a successful mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountReport {
    /// What happened.
    pub outcome: MountOutcome,
    /// Live items.
    pub items: usize,
    /// Factory resets ever started on this device (survives resets).
    pub reset_counter: u32,
    /// State of the audit ring.
    pub log: LogStatus,
}

/// State of the audit ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogStatus {
    /// Sequence number the next [`Store::log_append`] returns.
    pub next_seq: u32,
    /// Highest acknowledged sequence number (0 = none).
    pub acked_upto: u32,
    /// Unacknowledged records lost to overflow since the last factory reset.
    pub dropped: u32,
    /// Lowest sequence number still retained (`== next_seq` when empty).
    /// Records `oldest_seq..next_seq` are all retained.
    pub oldest_seq: u32,
}

impl LogStatus {
    /// The empty ring of a freshly provisioned device.
    const EMPTY: Self = Self {
        next_seq: 1,
        acked_upto: 0,
        dropped: 0,
        oldest_seq: 1,
    };

    /// Retained records (acknowledged or not).
    #[must_use]
    pub fn retained(&self) -> u32 {
        self.next_seq.saturating_sub(self.oldest_seq)
    }

    /// Retained records not yet acknowledged.
    #[must_use]
    pub fn unacked(&self) -> u32 {
        self.next_seq
            .saturating_sub(self.oldest_seq.max(self.acked_upto.saturating_add(1)))
    }
}

/// RAM view of the ring: the public status plus the floor.
#[derive(Debug, Clone, Copy)]
struct LogState {
    /// Public part.
    status: LogStatus,
    /// Every unacked sequence number below this is already counted in `dropped`.
    floor: u32,
}

impl LogState {
    /// Empty ring.
    const EMPTY: Self = Self {
        status: LogStatus::EMPTY,
        floor: 1,
    };

    /// Header for the next record of `kind`.
    fn header(&self, kind: u8, seq: u32) -> LogHeader {
        LogHeader {
            kind,
            seq,
            acked: self.status.acked_upto,
            dropped: self.status.dropped,
            floor: self.floor,
        }
    }

    /// Accounts for records that vanished from the front of the ring: every
    /// unacked sequence number below `oldest` not counted yet is a drop.
    fn reconcile(&mut self, oldest: u32) {
        let lo = self.floor.max(self.status.acked_upto.saturating_add(1));
        if oldest > lo {
            self.status.dropped = self.status.dropped.saturating_add(oldest - lo);
            self.floor = oldest;
        }
        self.status.oldest_seq = oldest;
    }
}

/// The lock's persistent store over one NOR flash. See the crate docs.
///
/// Pass `&mut flash` as `F` to keep ownership of the flash (the
/// `embedded-storage-async` traits are implemented for `&mut F`).
pub struct Store<F: NorFlash> {
    /// The flash device.
    flash: F,
    /// Region map (validated, equal to the superblock's).
    layout: Layout,
    /// Copy of the factory payload (`..factory_len` valid).
    factory: [u8; MAX_FACTORY_BYTES],
    /// Valid bytes in `factory`.
    factory_len: usize,
    /// Factory resets started so far.
    reset_counter: u32,
    /// Recoveries of unreadable state so far (survives factory resets; meta region).
    recoveries: u32,
    /// Why the last recovery happened (`..recovery_reason_len` valid).
    recovery_reason: [u8; records::MAX_RECOVERY_REASON],
    /// Valid bytes in `recovery_reason`.
    recovery_reason_len: usize,
    /// Audit ring bookkeeping.
    log: LogState,
    /// Every key in the state map with its newest length (or tombstone).
    index: Index<MAX_ITEMS>,
    /// Working buffer handed to sequential-storage.
    buf: Buf,
    /// Second buffer: journal / meta encodings that must outlive a call using `buf`.
    aux: Buf,
    /// Set when an operation failed part-way: RAM may disagree with flash.
    poisoned: bool,
}

impl<F: NorFlash> core::fmt::Debug for Store<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Store")
            .field("layout", &self.layout)
            .field("reset_counter", &self.reset_counter)
            .field("log", &self.log.status)
            .field("items", &self.item_count())
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

/// The RAM-free sequential-storage cache: every lookup scans the region.
type Unc<K> = Cache<Uncached, Uncached, Uncached, K>;

/// The state map: `u32` item keys.
type StateMap<'f, F> = MapStorage<u32, &'f mut F, Unc<u32>>;
/// The meta map: `u8` keys.
type MetaMap<'f, F> = MapStorage<u8, &'f mut F, Unc<u8>>;

/// An uncached sequential-storage cache.
fn uncached<K>() -> Unc<K> {
    Cache::new_uncached()
}

/// sequential-storage's per-item overhead (header, padded) on this flash.
fn overhead<F: NorFlash>() -> usize {
    MapStorage::<u32, F, Unc<u32>>::item_overhead_size() as usize
}

/// Largest data length of one sequential-storage item on this flash.
fn max_item_data<F: NorFlash>() -> usize {
    let overhead = overhead::<F>();
    let raw = F::ERASE_SIZE
        .saturating_sub(2 * F::WRITE_SIZE)
        .saturating_sub(overhead);
    let raw = raw - raw % F::WRITE_SIZE.max(1);
    raw.min(BUF_LEN - F::WRITE_SIZE.max(1))
}

/// Bytes one state-map item with a `len`-byte value occupies (key 4 + tag 1).
fn item_cost<F: NorFlash>(len: usize) -> usize {
    let overhead = overhead::<F>();
    let w = F::WRITE_SIZE.max(1);
    overhead + (5 + len).div_ceil(w) * w
}

/// Opens the state map over `range`.
fn state_map<'f, F: NorFlash>(
    flash: &'f mut F,
    range: &Range<u32>,
) -> Result<StateMap<'f, F>, Low<F::Error>> {
    let cfg = MapConfig::try_new(range.clone()).map_err(|_| Low::Bug)?;
    Ok(MapStorage::new(flash, cfg, uncached::<u32>()))
}

/// Opens the meta map over `range`.
fn meta_map<'f, F: NorFlash>(
    flash: &'f mut F,
    range: &Range<u32>,
) -> Result<MetaMap<'f, F>, Low<F::Error>> {
    let cfg = MapConfig::try_new(range.clone()).map_err(|_| Low::Bug)?;
    Ok(MapStorage::new(flash, cfg, uncached::<u8>()))
}

/// Opens the log queue over `range`.
fn log_queue<'f, F: NorFlash>(
    flash: &'f mut F,
    range: &Range<u32>,
) -> Result<QueueStorage<&'f mut F, Unc<()>>, Low<F::Error>> {
    let cfg = QueueConfig::try_new(range.clone()).map_err(|_| Low::Bug)?;
    Ok(QueueStorage::new(flash, cfg, uncached::<()>()))
}

/// Stores one state item (`None` = tombstone).
async fn state_put<F: NorFlash>(
    flash: &mut F,
    range: &Range<u32>,
    buf: &mut [u8],
    key: u32,
    value: Option<&[u8]>,
) -> Result<(), Low<F::Error>> {
    let mut map = state_map(flash, range)?;
    map.store_item(buf, &key, &value).await?;
    Ok(())
}

/// Stores one record of the meta region (`META_KEY`, `records::RECOVERY_KEY`)
/// from `encoded`.
async fn meta_put<F: NorFlash>(
    flash: &mut F,
    range: &Range<u32>,
    buf: &mut [u8],
    key: u8,
    encoded: &[u8],
) -> Result<(), Low<F::Error>> {
    let mut map = meta_map(flash, range)?;
    map.store_item(buf, &key, &encoded).await?;
    Ok(())
}

/// Reads one record of the meta region into `buf`; `Ok(None)` if absent (the
/// recovery record: there never was a recovery).
async fn meta_get<'b, F: NorFlash>(
    flash: &mut F,
    range: &Range<u32>,
    buf: &'b mut [u8],
    key: u8,
) -> Result<Option<&'b [u8]>, Low<F::Error>> {
    let mut map = meta_map(flash, range)?;
    Ok(map.fetch_item::<&[u8]>(buf, &key).await?)
}

/// Scans the log ring and rebuilds its bookkeeping from the records.
async fn scan_log<F: NorFlash>(
    flash: &mut F,
    range: &Range<u32>,
    buf: &mut [u8],
) -> Result<LogState, Low<F::Error>> {
    let mut q = log_queue(flash, range)?;
    let mut it = q.iter().await?;
    let mut first: Option<u32> = None;
    let mut last: Option<LogHeader> = None;
    while let Some(entry) = it.next(buf).await? {
        let (h, _) = records::decode_log(&entry).ok_or(Low::Corrupt)?;
        if let Some(prev) = last {
            let ordered = if h.kind == KIND_DATA {
                h.seq > prev.seq
            } else {
                h.seq >= prev.seq
            };
            if !ordered {
                return Err(Low::Corrupt);
            }
        }
        first.get_or_insert(h.min_present());
        last = Some(h);
    }
    let Some(last) = last else {
        return Ok(LogState::EMPTY);
    };
    let next_seq = last.seq.checked_add(1).ok_or(Low::Corrupt)?;
    if last.acked >= next_seq || last.floor > next_seq || last.seq == 0 {
        return Err(Low::Corrupt);
    }
    let mut st = LogState {
        status: LogStatus {
            next_seq,
            acked_upto: last.acked,
            dropped: last.dropped,
            oldest_seq: next_seq,
        },
        floor: last.floor,
    };
    st.reconcile(first.unwrap_or(next_seq));
    Ok(st)
}

/// One past the highest sequence number any readable log record carries, reading past
/// records that do not decode or are out of order and stopping at an unreadable page (`1`
/// if nothing is readable). For [`Store::recover`], which must not restart the numbers lower
/// than it can know; [`scan_log`] is the strict reading a mount relies on.
async fn log_high_water<F: NorFlash>(
    flash: &mut F,
    range: &Range<u32>,
    buf: &mut [u8],
) -> Result<u32, Low<F::Error>> {
    let mut next: u32 = 1;
    let mut q = log_queue(flash, range)?;
    let mut it = match q.iter().await {
        Ok(it) => it,
        Err(e) => {
            return match Low::from(e) {
                Low::Flash(e) => Err(Low::Flash(e)),
                _ => Ok(next),
            }
        }
    };
    loop {
        match it.next(buf).await {
            Ok(Some(entry)) => {
                if let Some((h, _)) = records::decode_log(&entry) {
                    next = next.max(h.seq.saturating_add(1));
                }
            }
            Ok(None) => break,
            Err(e) => match Low::from(e) {
                Low::Flash(e) => return Err(Low::Flash(e)),
                _ => break,
            },
        }
    }
    Ok(next)
}

/// Lowest sequence number still in the ring (`None` if the ring is empty).
async fn log_oldest<F: NorFlash>(
    flash: &mut F,
    range: &Range<u32>,
    buf: &mut [u8],
) -> Result<Option<u32>, Low<F::Error>> {
    let mut q = log_queue(flash, range)?;
    let mut it = q.iter().await?;
    let Some(entry) = it.next(buf).await? else {
        return Ok(None);
    };
    let (h, _) = records::decode_log(&entry).ok_or(Low::Corrupt)?;
    Ok(Some(h.min_present()))
}

/// Steps 2–4 of a factory reset (idempotent, so mount can rerun them):
/// erase state and log, write the reset record as the first log record,
/// clear the intent. `record` must not alias `buf`.
async fn finish_reset<F: NorFlash>(
    flash: &mut F,
    layout: &Layout,
    buf: &mut [u8],
    reset_counter: u32,
    intent: Intent<'_>,
) -> Result<LogState, Low<F::Error>> {
    flash
        .erase(layout.state.start, layout.state.end)
        .await
        .map_err(Low::Flash)?;
    flash
        .erase(layout.log.start, layout.log.end)
        .await
        .map_err(Low::Flash)?;
    let seq = intent.first_seq.max(1);
    let mut st = LogState {
        status: LogStatus {
            next_seq: seq,
            acked_upto: seq - 1,
            dropped: 0,
            oldest_seq: seq,
        },
        floor: seq,
    };
    let h = st.header(KIND_DATA, seq);
    let n = records::encode_log(&h, intent.record, buf).ok_or(Low::Bug)?;
    {
        let rec = buf.get(..n).ok_or(Low::Bug)?;
        let mut q = log_queue(flash, &layout.log)?;
        // The ring was just erased: this push never evicts anything.
        q.push(rec, false).await?;
    }
    st.status.next_seq = seq.saturating_add(1);
    let n = records::encode_meta(
        &Meta {
            reset_counter,
            intent: None,
        },
        buf,
    )
    .ok_or(Low::Bug)?;
    let (enc, scratch) = buf.split_at_mut(n);
    meta_put(flash, &layout.meta, scratch, META_KEY, enc).await?;
    Ok(st)
}

/// Reads and checks the superblock against `layout`; copies the factory payload.
async fn read_superblock<F: NorFlash>(
    flash: &mut F,
    layout: &Layout,
    buf: &mut [u8],
    factory_out: &mut [u8; MAX_FACTORY_BYTES],
) -> Result<usize, MountError<F::Error>> {
    layout
        .validate(F::ERASE_SIZE as u32, flash.capacity() as u32)
        .map_err(MountError::BadLayout)?;
    let len = ((layout.factory.end - layout.factory.start) as usize).min(buf.len());
    let area = buf.get_mut(..len).ok_or(MountError::LogicBug)?;
    flash
        .read(layout.factory.start, area)
        .await
        .map_err(MountError::Flash)?;
    match superblock::decode(area) {
        Decoded::Blank => Err(MountError::NotFormatted),
        Decoded::Corrupt => Err(MountError::FactoryCorrupt),
        Decoded::Version(found) => Err(MountError::UnsupportedVersion { found }),
        Decoded::Valid { layout: l, factory } => {
            if &l != layout {
                return Err(MountError::LayoutMismatch);
            }
            let dst = factory_out
                .get_mut(..factory.len())
                .ok_or(MountError::FactoryCorrupt)?;
            dst.copy_from_slice(factory);
            Ok(factory.len())
        }
    }
}

/// Maps a low-level error met while mounting `region`.
fn mount_err<E>(region: Region) -> impl Fn(Low<E>) -> MountError<E> {
    move |e| match e {
        Low::Flash(e) => MountError::Flash(e),
        Low::Corrupt | Low::Full => MountError::StateLost { region },
        Low::Bug => MountError::LogicBug,
    }
}

impl<F: NorFlash> Store<F> {
    /// Number of live items.
    #[must_use]
    pub fn item_count(&self) -> usize {
        self.index
            .entries()
            .iter()
            .filter(|e| e.len != TOMBSTONE)
            .count()
    }

    /// Whether `key` holds a value (no flash access).
    #[must_use]
    pub fn contains(&self, key: u32) -> bool {
        self.index.get(key).is_some_and(|e| e.len != TOMBSTONE)
    }

    /// The factory bytes given to [`Store::format`].
    #[must_use]
    pub fn factory(&self) -> &[u8] {
        self.factory.get(..self.factory_len).unwrap_or(&[])
    }

    /// Factory resets ever started on this device.
    #[must_use]
    pub fn reset_counter(&self) -> u32 {
        self.reset_counter
    }

    /// Recoveries of unreadable state ever made on this device ([`Store::recover`]), and the
    /// reason given for the last one (empty if none). Kept in the meta region, so a factory
    /// reset does not clear it: a damaged flash stays distinguishable from a reset.
    #[must_use]
    pub fn recoveries(&self) -> (u32, &[u8]) {
        (
            self.recoveries,
            self.recovery_reason
                .get(..self.recovery_reason_len)
                .unwrap_or(&[]),
        )
    }

    /// State of the audit ring.
    #[must_use]
    pub fn log_status(&self) -> LogStatus {
        self.log.status
    }

    /// The layout in use.
    #[must_use]
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Gives the flash back (e.g. to remount it).
    pub fn into_flash(self) -> F {
        self.flash
    }

    /// The flash, for reading counters. Writing to it behind the store's back
    /// voids every guarantee.
    pub fn flash(&self) -> &F {
        &self.flash
    }

    /// The flash, mutably: for fault injection in tests (arming a power cut on a
    /// [`crate::SimFlash`] while the store is mounted). Writing through it bypasses
    /// the store; after an injected failure the store reports `Poisoned` until it
    /// is mounted again, exactly as after a real one.
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    /// Largest group journaled in a single item on this flash (see
    /// `docs/design/flash-format.md`); bigger groups are chunked.
    #[must_use]
    pub fn max_group_bytes() -> usize {
        max_item_data::<F>().saturating_sub(5)
    }

    /// Largest single value on this flash: [`MAX_VALUE_LEN`] or less on small pages.
    #[must_use]
    pub fn max_value_len() -> usize {
        MAX_VALUE_LEN.min(max_item_data::<F>().saturating_sub(5))
    }

    /// Reads the value of `key`, borrowed from the store's buffer.
    pub fn get(&mut self, key: u32) -> Result<Option<&[u8]>, ReadError<F::Error>> {
        if self.poisoned {
            return Err(ReadError::Poisoned);
        }
        if !self.contains(key) {
            return Ok(None);
        }
        let r = block_on(async {
            let mut map = state_map(&mut self.flash, &self.layout.state)?;
            map.fetch_item::<Option<&[u8]>>(&mut self.buf.0, &key)
                .await
                .map_err(Low::from)
        });
        match r {
            Ok(v) => Ok(v.flatten()),
            Err(e) => Err(read_err(e, Region::State)),
        }
    }

    /// Calls `f(key, value)` for every live item, in no particular order.
    pub fn for_each_item(
        &mut self,
        mut f: impl FnMut(u32, &[u8]),
    ) -> Result<(), ReadError<F::Error>> {
        if self.poisoned {
            return Err(ReadError::Poisoned);
        }
        block_on(async {
            // Pass 1 records where each key's newest version sits; pass 2
            // yields exactly those (two linear scans, no heap).
            let _stale_chunks = self.rebuild_index().await?;
            let mut map = state_map(&mut self.flash, &self.layout.state)?;
            let mut it = map.fetch_all_items(&mut self.buf.0).await?;
            let mut pos: u32 = 0;
            while let Some((key, value)) = it.next::<Option<&[u8]>>(&mut self.buf.0).await? {
                pos = pos.saturating_add(1);
                if let (Some(v), Some(e)) = (value, self.index.get(key)) {
                    if e.pos == pos && key != JOURNAL_KEY {
                        f(key, v);
                    }
                }
            }
            Ok(())
        })
        .map_err(|e| read_err(e, Region::State))
    }
}

/// Value length of an index entry (a tombstone counts as empty).
fn entry_len(len: u16) -> usize {
    if len == TOMBSTONE {
        0
    } else {
        usize::from(len)
    }
}

/// Applies every op of an inline journal (idempotent). `journal` must not alias `buf`.
async fn replay<F: NorFlash>(
    flash: &mut F,
    range: &Range<u32>,
    buf: &mut [u8],
    journal: &[u8],
) -> Result<(), Low<F::Error>> {
    let ops = JournalIter::new(journal).ok_or(Low::Corrupt)?;
    for op in ops {
        let op = op.map_err(|()| Low::Corrupt)?;
        let value = match op {
            ItemOp::Put(_, v) => Some(v),
            ItemOp::Delete(_) => None,
        };
        state_put(flash, range, buf, op.key(), value).await?;
    }
    Ok(())
}

/// Maps a low-level error met while reading `region`.
fn read_err<E>(e: Low<E>, region: Region) -> ReadError<E> {
    match e {
        Low::Flash(e) => ReadError::Flash(e),
        Low::Full | Low::Corrupt => ReadError::Corrupt(region),
        Low::Bug => ReadError::LogicBug,
    }
}
