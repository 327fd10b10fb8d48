//! The storage engine: mount/format/recover, group commits, the audit ring,
//! factory reset. All flash access goes through sequential-storage except
//! the factory partition (raw pages, written once) and the whole-region
//! erases of a factory reset.

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

/// How a commit records its group before applying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// One effective op: written directly, no journal.
    Direct,
    /// The whole group in the journal item.
    Inline,
    /// The group in this many chunk items, named by the journal item.
    Chunked(u16),
}
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

/// Stores the meta record from `encoded`.
async fn meta_put<F: NorFlash>(
    flash: &mut F,
    range: &Range<u32>,
    buf: &mut [u8],
    encoded: &[u8],
) -> Result<(), Low<F::Error>> {
    let mut map = meta_map(flash, range)?;
    map.store_item(buf, &META_KEY, &encoded).await?;
    Ok(())
}

/// Reads the meta record into `buf`; `Ok(None)` if absent.
async fn meta_get<'b, F: NorFlash>(
    flash: &mut F,
    range: &Range<u32>,
    buf: &'b mut [u8],
) -> Result<Option<&'b [u8]>, Low<F::Error>> {
    let mut map = meta_map(flash, range)?;
    Ok(map.fetch_item::<&[u8]>(buf, &META_KEY).await?)
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
    meta_put(flash, &layout.meta, scratch, enc).await?;
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
    /// An unmounted store value; fields are filled by `mount_inner`.
    fn blank(flash: F, layout: Layout) -> Self {
        Self {
            flash,
            layout,
            factory: [0; MAX_FACTORY_BYTES],
            factory_len: 0,
            reset_counter: 0,
            log: LogState::EMPTY,
            index: Index::new(),
            buf: Buf([0; BUF_LEN]),
            aux: Buf([0; BUF_LEN]),
            poisoned: false,
        }
    }

    /// Provisions a device: erases every region, writes an empty meta record,
    /// then the superblock with `factory` (the commit point: a cut before it
    /// leaves the flash "not formatted"), and mounts the result.
    pub fn format(flash: F, layout: Layout, factory: &[u8]) -> Result<Self, FormatError<F::Error>> {
        block_on(Self::format_async(flash, layout, factory))
    }

    /// Async body of [`Store::format`].
    async fn format_async(
        flash: F,
        layout: Layout,
        factory: &[u8],
    ) -> Result<Self, FormatError<F::Error>> {
        layout
            .validate(F::ERASE_SIZE as u32, flash.capacity() as u32)
            .map_err(FormatError::BadLayout)?;
        if factory.len() > MAX_FACTORY_BYTES {
            return Err(FormatError::FactoryTooLarge);
        }
        let mut store = Self::blank(flash, layout);
        let l = store.layout.clone();
        let flash_err = |e: Low<F::Error>| match e {
            Low::Flash(e) => FormatError::Flash(e),
            _ => FormatError::LogicBug,
        };
        let sb_len = superblock::encode(&l, factory, F::WRITE_SIZE, &mut store.aux.0)
            .ok_or(FormatError::FactoryTooLarge)?;
        if sb_len > (l.factory.end - l.factory.start) as usize {
            return Err(FormatError::FactoryTooLarge);
        }
        for r in [&l.factory, &l.meta, &l.state, &l.log] {
            store
                .flash
                .erase(r.start, r.end)
                .await
                .map_err(FormatError::Flash)?;
        }
        let n = records::encode_meta(
            &Meta {
                reset_counter: 0,
                intent: None,
            },
            &mut store.buf.0,
        )
        .ok_or(FormatError::LogicBug)?;
        {
            let (enc, scratch) = store.buf.0.split_at_mut(n);
            meta_put(&mut store.flash, &l.meta, scratch, enc)
                .await
                .map_err(flash_err)?;
        }
        let sb = store.aux.0.get(..sb_len).ok_or(FormatError::LogicBug)?;
        store
            .flash
            .write(l.factory.start, sb)
            .await
            .map_err(FormatError::Flash)?;
        store.mount_inner().await.map_err(|e| match e {
            MountError::Flash(e) => FormatError::Flash(e),
            _ => FormatError::LogicBug,
        })?;
        Ok(store)
    }

    /// Boots from flash: checks the superblock, finishes an interrupted
    /// factory reset or group commit, rebuilds the key index and the ring's
    /// bookkeeping. Never panics or hangs on any image; an unreadable image
    /// gives a [`MountError`] naming its recovery path.
    pub fn mount(flash: F, layout: Layout) -> Result<(Self, MountReport), MountError<F::Error>> {
        let mut store = Self::blank(flash, layout);
        let report = block_on(store.mount_inner())?;
        Ok((store, report))
    }

    /// Recovery path for [`MountError::StateLost`]: keeps the factory
    /// partition (and the reset counter if the meta region is readable),
    /// then performs a factory reset writing `reset_record` as the first log
    /// record. Fails if the factory partition itself is bad.
    pub fn recover(
        flash: F,
        layout: Layout,
        reset_record: &[u8],
    ) -> Result<(Self, MountReport), MountError<F::Error>> {
        let mut store = Self::blank(flash, layout);
        let report = block_on(store.recover_inner(reset_record))?;
        Ok((store, report))
    }

    /// Async body of [`Store::recover`].
    async fn recover_inner(
        &mut self,
        reset_record: &[u8],
    ) -> Result<MountReport, MountError<F::Error>> {
        let l = self.layout.clone();
        if reset_record.len() > MAX_RESET_RECORD
            || reset_record.len() + LOG_HEADER_LEN > max_item_data::<F>()
        {
            return Err(MountError::LogicBug);
        }
        self.factory_len =
            read_superblock(&mut self.flash, &l, &mut self.buf.0, &mut self.factory).await?;
        let counter = match meta_get(&mut self.flash, &l.meta, &mut self.buf.0).await {
            Ok(Some(bytes)) => records::decode_meta(bytes).map(|m| m.reset_counter),
            Ok(None) | Err(Low::Corrupt) | Err(Low::Full) => None,
            Err(Low::Flash(e)) => return Err(MountError::Flash(e)),
            Err(Low::Bug) => return Err(MountError::LogicBug),
        };
        let counter = match counter {
            Some(c) => c,
            None => {
                self.flash
                    .erase(l.meta.start, l.meta.end)
                    .await
                    .map_err(MountError::Flash)?;
                0
            }
        };
        let first_seq = match scan_log(&mut self.flash, &l.log, &mut self.buf.0).await {
            Ok(st) => st.status.next_seq,
            Err(Low::Flash(e)) => return Err(MountError::Flash(e)),
            Err(_) => 1,
        };
        let meta = Meta {
            reset_counter: counter.saturating_add(1),
            intent: Some(Intent {
                first_seq,
                record: reset_record,
            }),
        };
        let n = records::encode_meta(&meta, &mut self.aux.0).ok_or(MountError::LogicBug)?;
        let enc = self.aux.0.get(..n).ok_or(MountError::LogicBug)?;
        meta_put(&mut self.flash, &l.meta, &mut self.buf.0, enc)
            .await
            .map_err(mount_err(Region::Meta))?;
        let mut report = self.mount_inner().await?;
        report.outcome = MountOutcome::Recovered;
        Ok(report)
    }

    /// Async body of [`Store::mount`].
    async fn mount_inner(&mut self) -> Result<MountReport, MountError<F::Error>> {
        let l = self.layout.clone();
        self.poisoned = false;
        self.factory_len =
            read_superblock(&mut self.flash, &l, &mut self.buf.0, &mut self.factory).await?;

        // 1. Meta: reset counter and a possibly pending factory reset.
        let meta_bytes = meta_get(&mut self.flash, &l.meta, &mut self.aux.0)
            .await
            .map_err(mount_err(Region::Meta))?
            .ok_or(MountError::StateLost {
                region: Region::Meta,
            })?;
        let meta = records::decode_meta(meta_bytes).ok_or(MountError::StateLost {
            region: Region::Meta,
        })?;
        self.reset_counter = meta.reset_counter;
        let mut outcome = None;
        if let Some(intent) = meta.intent {
            finish_reset(
                &mut self.flash,
                &l,
                &mut self.buf.0,
                meta.reset_counter,
                intent,
            )
            .await
            .map_err(mount_err(Region::Meta))?;
            outcome = Some(MountOutcome::ResumedFactoryReset);
        }

        // 2. State: replay a pending journal, then index every key.
        let pending = {
            let mut map = state_map(&mut self.flash, &l.state).map_err(mount_err(Region::State))?;
            match map
                .fetch_item::<Option<&[u8]>>(&mut self.buf.0, &JOURNAL_KEY)
                .await
                .map_err(|e| mount_err(Region::State)(e.into()))?
            {
                Some(Some(j)) => {
                    let dst = self.aux.0.get_mut(..j.len()).ok_or(MountError::StateLost {
                        region: Region::State,
                    })?;
                    dst.copy_from_slice(j);
                    Some(j.len())
                }
                _ => None,
            }
        };
        let lost = || MountError::StateLost {
            region: Region::State,
        };
        if let Some(jlen) = pending {
            let journal = self.aux.0.get(..jlen).ok_or(MountError::LogicBug)?;
            let head = records::journal_head(journal).ok_or_else(lost)?;
            match head {
                JournalHead::Inline => {
                    replay(&mut self.flash, &l.state, &mut self.buf.0, journal)
                        .await
                        .map_err(mount_err(Region::State))?;
                }
                JournalHead::Chunked(n) => {
                    for c in 0..n {
                        let chunk = {
                            let mut map = state_map(&mut self.flash, &l.state)
                                .map_err(mount_err(Region::State))?;
                            map.fetch_item::<Option<&[u8]>>(
                                &mut self.aux.0,
                                &(CHUNK_BASE + u32::from(c)),
                            )
                            .await
                            .map_err(|e| mount_err(Region::State)(e.into()))?
                        };
                        let Some(Some(chunk)) = chunk else {
                            return Err(lost());
                        };
                        replay(&mut self.flash, &l.state, &mut self.buf.0, chunk)
                            .await
                            .map_err(mount_err(Region::State))?;
                    }
                }
            }
            state_put(
                &mut self.flash,
                &l.state,
                &mut self.buf.0,
                JOURNAL_KEY,
                None,
            )
            .await
            .map_err(mount_err(Region::State))?;
            if let JournalHead::Chunked(n) = head {
                for c in 0..n {
                    state_put(
                        &mut self.flash,
                        &l.state,
                        &mut self.buf.0,
                        CHUNK_BASE + u32::from(c),
                        None,
                    )
                    .await
                    .map_err(mount_err(Region::State))?;
                }
            }
            outcome.get_or_insert(MountOutcome::ResumedCommit);
        }
        let stale_chunks = self
            .rebuild_index()
            .await
            .map_err(mount_err(Region::State))?;
        if stale_chunks {
            // A cut during the clean-up after a chunked group: the journal
            // was already cleared, so the chunks are garbage. Drop them.
            for c in 0..MAX_CHUNKS {
                let key = CHUNK_BASE + u32::from(c);
                let live = {
                    let mut map =
                        state_map(&mut self.flash, &l.state).map_err(mount_err(Region::State))?;
                    matches!(
                        map.fetch_item::<Option<&[u8]>>(&mut self.buf.0, &key)
                            .await
                            .map_err(|e| mount_err(Region::State)(e.into()))?,
                        Some(Some(_))
                    )
                };
                if live {
                    state_put(&mut self.flash, &l.state, &mut self.buf.0, key, None)
                        .await
                        .map_err(mount_err(Region::State))?;
                }
            }
        }

        // 3. Log: bookkeeping from the newest record, drops from the oldest.
        self.log = scan_log(&mut self.flash, &l.log, &mut self.buf.0)
            .await
            .map_err(mount_err(Region::Log))?;

        let items = self.item_count();
        let outcome = outcome.unwrap_or(if items == 0 {
            MountOutcome::Fresh
        } else {
            MountOutcome::Restored
        });
        Ok(MountReport {
            outcome,
            items,
            reset_counter: self.reset_counter,
            log: self.log.status,
        })
    }

    /// Rebuilds the key index from one pass over the state map (oldest to
    /// newest, so the last version of each key wins). Returns whether any
    /// journal chunk is still live.
    async fn rebuild_index(&mut self) -> Result<bool, Low<F::Error>> {
        self.index.clear();
        let mut chunks_live = [false; MAX_CHUNKS as usize];
        let mut map = state_map(&mut self.flash, &self.layout.state)?;
        let mut it = map.fetch_all_items(&mut self.buf.0).await?;
        let mut pos: u32 = 0;
        while let Some((key, value)) = it.next::<Option<&[u8]>>(&mut self.buf.0).await? {
            pos = pos.saturating_add(1);
            if key == JOURNAL_KEY {
                continue;
            }
            if key >= CHUNK_BASE {
                let slot = chunks_live
                    .get_mut((key - CHUNK_BASE) as usize)
                    .ok_or(Low::Bug)?;
                *slot = value.is_some();
                continue;
            }
            if key > MAX_ITEM_KEY {
                return Err(Low::Corrupt);
            }
            let len = match value {
                Some(v) => u16::try_from(v.len()).map_err(|_| Low::Corrupt)?,
                None => TOMBSTONE,
            };
            if len != TOMBSTONE && usize::from(len) > MAX_VALUE_LEN {
                return Err(Low::Corrupt);
            }
            if !self.index.set(key, len, pos) {
                return Err(Low::Corrupt);
            }
        }
        Ok(chunks_live.iter().any(|c| *c))
    }

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

    /// Commits `ops` as one atomic group: after a power cut at any point,
    /// the next mount shows either none or all of them.
    ///
    /// One effective op is written directly (a sequential-storage item is
    /// atomic on its own). Several are written as a journal item holding the
    /// whole group, then applied item by item, then the journal is cleared;
    /// mount replays a journal that is still present. A group too big for one
    /// item ([`Store::max_group_bytes`]) is written as up to 255 chunk items
    /// first, and the journal item that names them is the commit point.
    /// Later ops in `ops` win over earlier ones on the same key.
    pub fn commit(&mut self, ops: &[ItemOp<'_>]) -> Result<(), CommitError<F::Error>> {
        block_on(self.commit_async(ops))
    }

    /// Async body of [`Store::commit`].
    async fn commit_async(&mut self, ops: &[ItemOp<'_>]) -> Result<(), CommitError<F::Error>> {
        if self.poisoned {
            return Err(CommitError::Poisoned);
        }
        // Validate everything before writing anything.
        let max_value = Self::max_value_len();
        let mut new_keys = 0usize;
        // Change in live bytes: the final version of each touched key
        // replaces its old version (deleted keys keep a small tombstone).
        let mut added = 0usize;
        let mut removed = 0usize;
        for (i, op) in ops.iter().enumerate() {
            let key = op.key();
            if key > MAX_ITEM_KEY {
                return Err(CommitError::ReservedKey(key));
            }
            if let ItemOp::Put(_, v) = op {
                if v.len() > max_value {
                    return Err(CommitError::ValueTooLarge(key));
                }
            }
            if ops.iter().skip(i + 1).any(|o| o.key() == key) {
                continue; // a later op on the same key decides its final value
            }
            match self.index.get(key) {
                None => new_keys += 1,
                Some(e) => removed += item_cost::<F>(entry_len(e.len)),
            }
            added += item_cost::<F>(match op {
                ItemOp::Put(_, v) => v.len(),
                ItemOp::Delete(_) => 0,
            });
        }
        if self.index.entries().len() + new_keys > MAX_ITEMS {
            return Err(CommitError::TooManyItems);
        }
        // A delete of an absent key alone changes nothing: write nothing.
        let effective: usize = ops
            .iter()
            .filter(|op| match op {
                ItemOp::Put(..) => true,
                ItemOp::Delete(k) => ops.len() > 1 || self.contains(*k),
            })
            .count();
        if effective == 0 {
            return Ok(());
        }
        let max_group = Self::max_group_bytes();
        let (plan, journal_cost) = if effective <= 1 {
            (Plan::Direct, 0)
        } else if records::journal_len(ops) <= max_group {
            (
                Plan::Inline,
                item_cost::<F>(records::journal_len(ops)) + item_cost::<F>(0),
            )
        } else {
            let (mut chunks, mut cost, mut start) = (0u16, 0usize, 0usize);
            while start < ops.len() {
                let end =
                    records::next_chunk(ops, start, max_group).ok_or(CommitError::GroupTooLarge)?;
                let sub = ops.get(start..end).ok_or(CommitError::LogicBug)?;
                cost += item_cost::<F>(records::journal_len(sub)) + item_cost::<F>(0);
                chunks += 1;
                start = end;
            }
            if chunks > MAX_CHUNKS {
                return Err(CommitError::GroupTooLarge);
            }
            (Plan::Chunked(chunks), cost + 2 * item_cost::<F>(3))
        };
        if !self.has_room(added, removed, journal_cost) {
            return Err(CommitError::Full);
        }
        let l = self.layout.clone();
        let r = async {
            match plan {
                Plan::Direct => {}
                Plan::Inline => {
                    let n = records::encode_journal(ops, &mut self.aux.0).ok_or(Low::Bug)?;
                    let j = self.aux.0.get(..n).ok_or(Low::Bug)?;
                    state_put(
                        &mut self.flash,
                        &l.state,
                        &mut self.buf.0,
                        JOURNAL_KEY,
                        Some(j),
                    )
                    .await?;
                }
                Plan::Chunked(chunks) => {
                    // Chunks first; the journal item naming them is the commit point.
                    let mut start = 0usize;
                    for c in 0..chunks {
                        let end = records::next_chunk(ops, start, max_group).ok_or(Low::Bug)?;
                        let sub = ops.get(start..end).ok_or(Low::Bug)?;
                        let n = records::encode_journal(sub, &mut self.aux.0).ok_or(Low::Bug)?;
                        let j = self.aux.0.get(..n).ok_or(Low::Bug)?;
                        let key = CHUNK_BASE + u32::from(c);
                        state_put(&mut self.flash, &l.state, &mut self.buf.0, key, Some(j)).await?;
                        start = end;
                    }
                    let [lo, hi] = chunks.to_le_bytes();
                    let head = [JOURNAL_CHUNKED, lo, hi];
                    state_put(
                        &mut self.flash,
                        &l.state,
                        &mut self.buf.0,
                        JOURNAL_KEY,
                        Some(&head),
                    )
                    .await?;
                }
            }
            for op in ops {
                let (key, value) = match op {
                    ItemOp::Put(k, v) => (*k, Some(*v)),
                    ItemOp::Delete(k) => (*k, None),
                };
                if effective == 1 && value.is_none() && !self.contains(key) {
                    continue;
                }
                state_put(&mut self.flash, &l.state, &mut self.buf.0, key, value).await?;
                let len = match value {
                    Some(v) => u16::try_from(v.len()).map_err(|_| Low::Bug)?,
                    None => TOMBSTONE,
                };
                if !self.index.set(key, len, 0) {
                    return Err(Low::Bug);
                }
            }
            if plan != Plan::Direct {
                state_put(
                    &mut self.flash,
                    &l.state,
                    &mut self.buf.0,
                    JOURNAL_KEY,
                    None,
                )
                .await?;
            }
            if let Plan::Chunked(chunks) = plan {
                // Clean-up only: a cut here leaves garbage chunks that the
                // next mount deletes.
                for c in 0..chunks {
                    let key = CHUNK_BASE + u32::from(c);
                    state_put(&mut self.flash, &l.state, &mut self.buf.0, key, None).await?;
                }
            }
            Ok(())
        }
        .await;
        r.map_err(|e| {
            self.poisoned = true;
            match e {
                Low::Flash(e) => CommitError::Flash(e),
                Low::Full => CommitError::Full,
                Low::Corrupt => CommitError::Corrupt,
                Low::Bug => CommitError::LogicBug,
            }
        })
    }

    /// Conservative capacity check for a commit that adds `added` and frees
    /// `removed` bytes of live items, with `journal` bytes of journal items.
    ///
    /// sequential-storage keeps one page free for garbage collection and
    /// wastes the tail of a page when the next item does not fit, so only
    /// `(pages - 2)` pages, three quarters full, count as usable.
    fn has_room(&self, added: usize, removed: usize, journal: usize) -> bool {
        let page = F::ERASE_SIZE;
        let pages = ((self.layout.state.end - self.layout.state.start) as usize) / page.max(1);
        let usable = pages.saturating_sub(2) * page.saturating_sub(2 * F::WRITE_SIZE) * 3 / 4;
        let live: usize = self
            .index
            .entries()
            .iter()
            .map(|e| item_cost::<F>(entry_len(e.len)))
            .sum();
        let journal = journal.max(item_cost::<F>(0));
        (live + added).saturating_sub(removed) + journal <= usable
    }

    /// Appends one audit record to the ring and returns its sequence number.
    ///
    /// Costs one queue item (17-byte header + `record`). If the ring is full
    /// the oldest page is erased first; unacknowledged records lost that way
    /// are counted in [`LogStatus::dropped`] (persisted: every record carries
    /// the count, and mount re-derives drops not yet written down).
    pub fn log_append(&mut self, record: &[u8]) -> Result<u32, LogError<F::Error>> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        if record.len() > MAX_LOG_RECORD || record.len() + LOG_HEADER_LEN > max_item_data::<F>() {
            return Err(LogError::RecordTooLarge);
        }
        let seq = self.log.status.next_seq;
        let h = self.log.header(KIND_DATA, seq);
        self.push_log(&h, record)?;
        self.log.status.next_seq = seq.saturating_add(1);
        Ok(seq)
    }

    /// Acknowledges every record up to and including `upto_seq` (the hub has
    /// them). A no-op if already acknowledged; costs one 17-byte record otherwise.
    pub fn log_ack(&mut self, upto_seq: u32) -> Result<(), LogError<F::Error>> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        if upto_seq >= self.log.status.next_seq {
            return Err(LogError::AckBeyondEnd);
        }
        if upto_seq <= self.log.status.acked_upto {
            return Ok(());
        }
        let mut h = self
            .log
            .header(KIND_MARK, self.log.status.next_seq.saturating_sub(1));
        h.acked = upto_seq;
        self.push_log(&h, &[])?;
        self.log.status.acked_upto = upto_seq;
        Ok(())
    }

    /// Pushes one log record and then accounts for any records the push evicted.
    fn push_log(&mut self, h: &LogHeader, payload: &[u8]) -> Result<(), LogError<F::Error>> {
        let l = self.layout.clone();
        let r = block_on(async {
            let n = records::encode_log(h, payload, &mut self.aux.0).ok_or(Low::Bug)?;
            let rec = self.aux.0.get(..n).ok_or(Low::Bug)?;
            {
                let mut q = log_queue(&mut self.flash, &l.log)?;
                q.push(rec, true).await?;
            }
            log_oldest(&mut self.flash, &l.log, &mut self.buf.0).await
        });
        match r {
            Ok(oldest) => {
                let next = if h.kind == KIND_DATA {
                    h.seq.saturating_add(1)
                } else {
                    self.log.status.next_seq
                };
                self.log.reconcile(oldest.unwrap_or(next));
                Ok(())
            }
            Err(e) => {
                self.poisoned = true;
                Err(match e {
                    Low::Flash(e) => LogError::Flash(e),
                    Low::Full | Low::Corrupt => LogError::Corrupt,
                    Low::Bug => LogError::LogicBug,
                })
            }
        }
    }

    /// Calls `f(seq, record)` for every retained audit record with
    /// `seq >= from_seq`, oldest first. Use `from_seq = acked_upto + 1` to
    /// upload, `0` to rebuild a hash chain.
    pub fn for_each_log_record(
        &mut self,
        from_seq: u32,
        mut f: impl FnMut(u32, &[u8]),
    ) -> Result<(), ReadError<F::Error>> {
        if self.poisoned {
            return Err(ReadError::Poisoned);
        }
        let l = self.layout.clone();
        block_on(async {
            let mut q = log_queue(&mut self.flash, &l.log)?;
            let mut it = q.iter().await?;
            while let Some(entry) = it.next(&mut self.buf.0).await? {
                let (h, payload) = records::decode_log(&entry).ok_or(Low::Corrupt)?;
                if h.kind == KIND_DATA && h.seq >= from_seq {
                    f(h.seq, payload);
                }
            }
            Ok(())
        })
        .map_err(|e| read_err(e, Region::Log))
    }

    /// Factory reset: records the intent (new reset counter + `reset_record`)
    /// in the meta region — the commit point — then erases the state and
    /// log regions, writes `reset_record` as the first record of the fresh
    /// log (sequence numbers continue), and clears the intent. A cut after
    /// the intent is finished by the next [`Store::mount`]; a cut before it
    /// leaves everything as it was. The factory partition is never touched.
    pub fn factory_reset(&mut self, reset_record: &[u8]) -> Result<(), ResetError<F::Error>> {
        if self.poisoned {
            return Err(ResetError::Poisoned);
        }
        if reset_record.len() > MAX_RESET_RECORD
            || reset_record.len() + LOG_HEADER_LEN > max_item_data::<F>()
        {
            return Err(ResetError::RecordTooLarge);
        }
        let l = self.layout.clone();
        let counter = self.reset_counter.saturating_add(1);
        let intent = Intent {
            first_seq: self.log.status.next_seq,
            record: reset_record,
        };
        let r = block_on(async {
            let n = records::encode_meta(
                &Meta {
                    reset_counter: counter,
                    intent: Some(intent),
                },
                &mut self.aux.0,
            )
            .ok_or(Low::Bug)?;
            let enc = self.aux.0.get(..n).ok_or(Low::Bug)?;
            meta_put(&mut self.flash, &l.meta, &mut self.buf.0, enc).await?;
            finish_reset(&mut self.flash, &l, &mut self.buf.0, counter, intent).await
        });
        match r {
            Ok(st) => {
                self.log = st;
                self.index.clear();
                self.reset_counter = counter;
                Ok(())
            }
            Err(e) => {
                self.poisoned = true;
                Err(match e {
                    Low::Flash(e) => ResetError::Flash(e),
                    Low::Full | Low::Corrupt => ResetError::Corrupt(Region::Meta),
                    Low::Bug => ResetError::LogicBug,
                })
            }
        }
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
