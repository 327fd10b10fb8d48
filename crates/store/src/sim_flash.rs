//! `SimFlash`: an in-memory NOR flash for tests, with power cuts and wear counters.
//!
//! Contract (the same as [`crate::FileFlash`]):
//! * pages of [`PAGE_SIZE`] bytes erase to `0xFF`; writes are whole
//!   [`WORD_SIZE`]-byte words, aligned, and AND bits into the cell;
//! * a word may be written once per erase: a second write to it is rejected
//!   with [`SimFlashError::DoubleWrite`] (this type does **not** implement
//!   `MultiwriteNorFlash`, and the store never needs it);
//! * [`SimFlash::cut_power_after`] arms a power cut after `n` *units*: every
//!   byte written is one unit and every page erase is one unit. The write
//!   that crosses the limit is torn (its first bytes land, the rest do not);
//!   an erase that hits the limit is torn too (the first half of the page is
//!   erased, the second half keeps its old contents). From then on every
//!   operation fails with [`SimFlashError::PowerCut`] until
//!   [`SimFlash::restore_power`].

use std::boxed::Box;
use std::collections::BTreeMap;
use std::vec;
use std::vec::Vec;

use embedded_storage_async::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// Erase-page size of [`SimFlash`] and [`crate::FileFlash`].
pub const PAGE_SIZE: usize = 4096;
/// Write granularity (one word) of [`SimFlash`] and [`crate::FileFlash`].
pub const WORD_SIZE: usize = 4;

/// What happened to a simulated flash operation.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimFlashError {
    /// Address range outside the device.
    OutOfBounds,
    /// Offset or length not a multiple of the word (write) or page (erase) size.
    NotAligned,
    /// A word was written twice without an erase in between.
    DoubleWrite {
        /// Address of the word.
        address: u32,
    },
    /// The simulated power cut happened (or had already happened).
    PowerCut,
}

impl NorFlashError for SimFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            Self::NotAligned => NorFlashErrorKind::NotAligned,
            Self::DoubleWrite { .. } | Self::PowerCut => NorFlashErrorKind::Other,
        }
    }
}

/// Wear and traffic counters of a flash back end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlashStats {
    /// Bytes programmed (torn writes count the bytes that landed).
    pub bytes_written: u64,
    /// Pages erased (a torn erase counts).
    pub pages_erased: u64,
    /// Write calls.
    pub writes: u64,
    /// Bytes read.
    pub bytes_read: u64,
}

impl FlashStats {
    /// Counter-wise difference `self - earlier` (saturating).
    #[must_use]
    pub fn since(&self, earlier: &FlashStats) -> FlashStats {
        FlashStats {
            bytes_written: self.bytes_written.saturating_sub(earlier.bytes_written),
            pages_erased: self.pages_erased.saturating_sub(earlier.pages_erased),
            writes: self.writes.saturating_sub(earlier.writes),
            bytes_read: self.bytes_read.saturating_sub(earlier.bytes_read),
        }
    }

    /// Power-cut units this traffic represents (bytes written + pages erased),
    /// i.e. how many distinct cut points [`SimFlash::cut_power_after`] can hit.
    #[must_use]
    pub fn cut_units(&self) -> u64 {
        self.bytes_written + self.pages_erased
    }
}

/// Bytes per chunk of [`SimFlash`]'s sparse image: 64 words, so a chunk's written flags fit
/// one `u64`. Small, so that a lock that has written a few records holds a few chunks.
const CHUNK: usize = 256;

/// One chunk of cells that is not in the erased, unwritten state.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Chunk {
    /// Cell contents.
    cells: [u8; CHUNK],
    /// Bit `i`: word `i` of the chunk was written since its last erase.
    written: u64,
}

impl Chunk {
    /// Erased cells, no word written.
    const ERASED: Chunk = Chunk {
        cells: [0xFF; CHUNK],
        written: 0,
    };
}

/// In-memory NOR flash with power cuts; see the module docs for its contract.
///
/// Sparse: erased, unwritten cells are implied; only [`CHUNK`]-byte chunks that hold a written
/// word (or cells changed through [`SimFlash::modify_image`]) take memory, so a fleet of
/// thousands of simulated locks holds what they wrote, not their whole flash.
#[derive(Debug, Clone)]
pub struct SimFlash {
    /// Device size in bytes (whole pages).
    size: usize,
    /// The chunks that differ from erased-and-unwritten, by chunk index (address / `CHUNK`).
    chunks: BTreeMap<usize, Box<Chunk>>,
    /// Units left before the armed power cut; `None` when not armed.
    budget: Option<u64>,
    /// True once the cut has happened, until `restore_power`.
    dead: bool,
    /// Traffic counters.
    stats: FlashStats,
}

impl SimFlash {
    /// A fully erased device of `size` bytes (rounded up to whole pages).
    #[must_use]
    pub fn new(size: usize) -> Self {
        Self {
            size: size.div_ceil(PAGE_SIZE) * PAGE_SIZE,
            chunks: BTreeMap::new(),
            budget: None,
            dead: false,
            stats: FlashStats::default(),
        }
    }

    /// A device holding `image` (length rounded up to whole pages with `0xFF`).
    /// Words that are not all `0xFF` count as written.
    #[must_use]
    pub fn from_image(image: &[u8]) -> Self {
        let mut f = Self::new(image.len().max(1));
        for (index, src) in image.chunks(CHUNK).enumerate() {
            if src.iter().all(|b| *b == 0xFF) {
                continue;
            }
            let mut chunk = Chunk::ERASED;
            for (d, s) in chunk.cells.iter_mut().zip(src) {
                *d = *s;
            }
            for (bit, word) in chunk.cells.chunks(WORD_SIZE).enumerate() {
                if word.iter().any(|b| *b != 0xFF) {
                    chunk.written |= 1 << bit;
                }
            }
            f.chunks.insert(index, Box::new(chunk));
        }
        f
    }

    /// Device size in bytes.
    #[must_use]
    pub fn size(&self) -> usize {
        self.size
    }

    /// A copy of the raw cell contents (the whole device).
    #[must_use]
    pub fn image(&self) -> Vec<u8> {
        let mut out = vec![0xFF; self.size];
        self.peek(0, &mut out);
        out
    }

    /// Copies the cells at `offset..` into `bytes` without the read rules or counters (what a
    /// flash programmer would dump); addresses past the end read as `0xFF`.
    pub fn peek(&self, offset: usize, bytes: &mut [u8]) {
        for (i, b) in bytes.iter_mut().enumerate() {
            let addr = offset.saturating_add(i);
            *b = self
                .chunks
                .get(&(addr / CHUNK))
                .and_then(|c| c.cells.get(addr % CHUNK))
                .copied()
                .unwrap_or(0xFF);
        }
    }

    /// Changes the raw cells through `f`, for tests that corrupt the image on purpose.
    /// Changes bypass the write rules and the counters, and leave the written flags as they were.
    pub fn modify_image<R>(&mut self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let mut image = self.image();
        let r = f(&mut image);
        for (index, src) in image.chunks(CHUNK).enumerate() {
            let written = self.chunks.get(&index).map_or(0, |c| c.written);
            if written == 0 && src.iter().all(|b| *b == 0xFF) {
                self.chunks.remove(&index);
                continue;
            }
            let chunk = self
                .chunks
                .entry(index)
                .or_insert_with(|| Box::new(Chunk::ERASED));
            for (d, s) in chunk.cells.iter_mut().zip(src) {
                *d = *s;
            }
        }
        r
    }

    /// Arms a power cut after `units` more units (bytes written + pages erased).
    pub fn cut_power_after(&mut self, units: u64) {
        self.budget = Some(units);
    }

    /// Whether the armed power cut has happened.
    #[must_use]
    pub fn power_was_cut(&self) -> bool {
        self.dead
    }

    /// Power comes back: disarms any pending cut and lets operations run again.
    pub fn restore_power(&mut self) {
        self.budget = None;
        self.dead = false;
    }

    /// Counters since creation (or the last [`SimFlash::reset_stats`]).
    #[must_use]
    pub fn stats(&self) -> FlashStats {
        self.stats
    }

    /// Zeroes the counters.
    pub fn reset_stats(&mut self) {
        self.stats = FlashStats::default();
    }

    /// Takes one unit from the budget; `false` means the power goes now.
    fn spend(&mut self) -> bool {
        match self.budget.as_mut() {
            None => true,
            Some(0) => {
                self.dead = true;
                self.budget = None;
                false
            }
            Some(n) => {
                *n -= 1;
                true
            }
        }
    }

    /// Checks `offset..offset+len` lies in the device; returns it as `usize`s.
    fn range(&self, offset: u32, len: usize) -> Result<(usize, usize), SimFlashError> {
        let start = offset as usize;
        let end = start.checked_add(len).ok_or(SimFlashError::OutOfBounds)?;
        if end > self.size {
            return Err(SimFlashError::OutOfBounds);
        }
        Ok((start, end))
    }

    /// Whether the word at byte address `addr` was written since its last erase.
    fn is_written(&self, addr: usize) -> bool {
        self.chunks
            .get(&(addr / CHUNK))
            .is_some_and(|c| c.written & (1 << ((addr % CHUNK) / WORD_SIZE)) != 0)
    }

    /// Blocking read (same contract as the async trait).
    pub fn read_blocking(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), SimFlashError> {
        if self.dead {
            return Err(SimFlashError::PowerCut);
        }
        let (start, _) = self.range(offset, bytes.len())?;
        // Chunk by chunk: the range may start and end inside chunks.
        let mut done = 0;
        while done < bytes.len() {
            let at = start + done;
            let n = (CHUNK - at % CHUNK).min(bytes.len() - done);
            let dst = bytes
                .get_mut(done..done + n)
                .ok_or(SimFlashError::OutOfBounds)?;
            match self.chunks.get(&(at / CHUNK)) {
                Some(c) => dst.copy_from_slice(
                    c.cells
                        .get(at % CHUNK..at % CHUNK + n)
                        .ok_or(SimFlashError::OutOfBounds)?,
                ),
                None => dst.fill(0xFF),
            }
            done += n;
        }
        self.stats.bytes_read += bytes.len() as u64;
        Ok(())
    }

    /// Blocking erase (same contract as the async trait).
    pub fn erase_blocking(&mut self, from: u32, to: u32) -> Result<(), SimFlashError> {
        if self.dead {
            return Err(SimFlashError::PowerCut);
        }
        if to < from {
            return Err(SimFlashError::OutOfBounds);
        }
        let (start, end) = self.range(from, (to - from) as usize)?;
        if start % PAGE_SIZE != 0 || end % PAGE_SIZE != 0 {
            return Err(SimFlashError::NotAligned);
        }
        for page in (start..end).step_by(PAGE_SIZE) {
            let alive = self.spend();
            self.stats.pages_erased += 1;
            let erase_end = if alive {
                page + PAGE_SIZE
            } else {
                page + PAGE_SIZE / 2
            };
            // Erased, unwritten cells are implied: erasing drops the chunks (a torn erase
            // ends on a chunk boundary, since `CHUNK` divides half a page).
            let doomed: Vec<usize> = self
                .chunks
                .range(page / CHUNK..erase_end / CHUNK)
                .map(|(k, _)| *k)
                .collect();
            for k in doomed {
                self.chunks.remove(&k);
            }
            if !alive {
                return Err(SimFlashError::PowerCut);
            }
        }
        Ok(())
    }

    /// Blocking write (same contract as the async trait).
    pub fn write_blocking(&mut self, offset: u32, bytes: &[u8]) -> Result<(), SimFlashError> {
        if self.dead {
            return Err(SimFlashError::PowerCut);
        }
        let (start, end) = self.range(offset, bytes.len())?;
        if !start.is_multiple_of(WORD_SIZE) || !bytes.len().is_multiple_of(WORD_SIZE) {
            return Err(SimFlashError::NotAligned);
        }
        // Reject double writes before touching anything: real parts would
        // program garbage; the simulation wants the bug to be loud.
        for addr in (start..end).step_by(WORD_SIZE) {
            if self.is_written(addr) {
                return Err(SimFlashError::DoubleWrite {
                    address: addr as u32,
                });
            }
        }
        self.stats.writes += 1;
        let mut i = 0;
        while i < bytes.len() {
            let addr = start + i;
            let in_chunk = (CHUNK - addr % CHUNK).min(bytes.len() - i);
            let src = bytes
                .get(i..i + in_chunk)
                .ok_or(SimFlashError::OutOfBounds)?;
            let mut chunk = self
                .chunks
                .remove(&(addr / CHUNK))
                .unwrap_or_else(|| Box::new(Chunk::ERASED));
            let mut cut = false;
            for (j, b) in src.iter().enumerate() {
                if !self.spend() {
                    cut = true;
                    break;
                }
                let at = addr % CHUNK + j;
                if let Some(cell) = chunk.cells.get_mut(at) {
                    *cell &= *b;
                }
                chunk.written |= 1 << (at / WORD_SIZE);
                self.stats.bytes_written += 1;
            }
            if *chunk != Chunk::ERASED {
                self.chunks.insert(addr / CHUNK, chunk);
            }
            if cut {
                return Err(SimFlashError::PowerCut);
            }
            i += in_chunk;
        }
        Ok(())
    }
}

impl ErrorType for SimFlash {
    type Error = SimFlashError;
}

impl ReadNorFlash for SimFlash {
    const READ_SIZE: usize = WORD_SIZE;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.read_blocking(offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.size
    }
}

impl NorFlash for SimFlash {
    const WRITE_SIZE: usize = WORD_SIZE;
    const ERASE_SIZE: usize = PAGE_SIZE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        self.erase_blocking(from, to)
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        self.write_blocking(offset, bytes)
    }
}

impl core::fmt::Display for SimFlashError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::OutOfBounds => f.write_str("address out of bounds"),
            Self::NotAligned => f.write_str("offset or length not aligned"),
            Self::DoubleWrite { address } => write!(f, "word at {address:#x} written twice"),
            Self::PowerCut => f.write_str("power cut"),
        }
    }
}

impl std::error::Error for SimFlashError {}
