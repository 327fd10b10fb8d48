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

/// In-memory NOR flash with power cuts; see the module docs for its contract.
#[derive(Debug, Clone)]
pub struct SimFlash {
    /// Cell contents.
    data: Vec<u8>,
    /// One flag per word: written since its last erase.
    written: Vec<bool>,
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
        let size = size.div_ceil(PAGE_SIZE) * PAGE_SIZE;
        Self {
            data: vec![0xFF; size],
            written: vec![false; size / WORD_SIZE],
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
        for (d, s) in f.data.iter_mut().zip(image) {
            *d = *s;
        }
        for (w, chunk) in f.written.iter_mut().zip(f.data.chunks(WORD_SIZE)) {
            *w = chunk.iter().any(|b| *b != 0xFF);
        }
        f
    }

    /// The raw cell contents.
    #[must_use]
    pub fn image(&self) -> &[u8] {
        &self.data
    }

    /// Mutable raw cells, for tests that corrupt the image on purpose.
    /// Changes bypass the write rules and the counters.
    pub fn image_mut(&mut self) -> &mut [u8] {
        &mut self.data
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
        if end > self.data.len() {
            return Err(SimFlashError::OutOfBounds);
        }
        Ok((start, end))
    }

    /// Blocking read (same contract as the async trait).
    pub fn read_blocking(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), SimFlashError> {
        if self.dead {
            return Err(SimFlashError::PowerCut);
        }
        let (start, end) = self.range(offset, bytes.len())?;
        bytes.copy_from_slice(
            self.data
                .get(start..end)
                .ok_or(SimFlashError::OutOfBounds)?,
        );
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
            for b in self.data.get_mut(page..erase_end).into_iter().flatten() {
                *b = 0xFF;
            }
            for w in self
                .written
                .get_mut(page / WORD_SIZE..erase_end / WORD_SIZE)
                .into_iter()
                .flatten()
            {
                *w = false;
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
        for word in start / WORD_SIZE..end / WORD_SIZE {
            if self.written.get(word).copied().unwrap_or(true) {
                return Err(SimFlashError::DoubleWrite {
                    address: (word * WORD_SIZE) as u32,
                });
            }
        }
        self.stats.writes += 1;
        for (i, src) in bytes.iter().enumerate() {
            if !self.spend() {
                return Err(SimFlashError::PowerCut);
            }
            let addr = start + i;
            if let Some(cell) = self.data.get_mut(addr) {
                *cell &= *src;
            }
            if let Some(w) = self.written.get_mut(addr / WORD_SIZE) {
                *w = true;
            }
            self.stats.bytes_written += 1;
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
        self.data.len()
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
