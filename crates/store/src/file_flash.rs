//! `FileFlash`: a NOR flash kept in one image file per lock (feature `std`).
//!
//! Same contract as [`SimFlash`] (erase to `0xFF`, AND-writes of whole
//! words, double writes rejected, [`PAGE_SIZE`] pages), and the same armed
//! power cuts ([`FileFlash::cut_power_after`]): a torn write reaches the file
//! as far as it got, so the next boot finds what a real cut leaves behind.
//! Every write and erase goes straight to the file with no user-space
//! buffering, so once an operation returns, killing the process loses
//! nothing; with [`FileFlash::set_durable`] each operation is also
//! `fsync`ed so an OS crash loses nothing either.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::vec;
use std::vec::Vec;

use embedded_storage_async::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

use crate::sim_flash::{FlashStats, SimFlash, SimFlashError, PAGE_SIZE, WORD_SIZE};

/// What went wrong with a file-backed flash operation.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFlashError {
    /// The flash rules were broken (bounds, alignment, double write).
    Flash(SimFlashError),
    /// The image file could not be written.
    Io(io::ErrorKind),
}

impl NorFlashError for FileFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::Flash(e) => e.kind(),
            Self::Io(_) => NorFlashErrorKind::Other,
        }
    }
}

/// NOR flash stored in an image file; see the module docs for its contract.
#[derive(Debug)]
pub struct FileFlash {
    /// In-memory mirror enforcing the flash rules; the file always equals it
    /// after each completed operation.
    mirror: SimFlash,
    /// The image file.
    file: File,
    /// `fsync` after every write/erase.
    durable: bool,
}

/// Makes `file` readable and writable by its owner only (mode 0600; a no-op off Unix).
fn owner_only(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o777 != 0o600 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

impl FileFlash {
    /// Creates (or truncates) the image file at `path`, `size` bytes of
    /// erased flash (`size` must be a multiple of [`PAGE_SIZE`]).
    pub fn create(path: impl AsRef<Path>, size: usize) -> io::Result<Self> {
        if size == 0 || !size.is_multiple_of(PAGE_SIZE) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "flash size must be a non-zero multiple of the page size",
            ));
        }
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(true);
        // The image holds the lock's secrets (setup code, keys): owner-only from the first
        // byte, whatever the umask.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut file = opts.open(path)?;
        owner_only(&file)?;
        file.write_all(&vec![0xFF; size])?;
        file.sync_all()?;
        Ok(Self {
            mirror: SimFlash::new(size),
            file,
            durable: false,
        })
    }

    /// Opens an existing image file; its length must be exactly `size`.
    pub fn open(path: impl AsRef<Path>, size: usize) -> io::Result<Self> {
        let mut file = OpenOptions::new().read(true).write(true).open(path)?;
        // An image an older build left readable by everyone is tightened on first use.
        owner_only(&file)?;
        let len = file.metadata()?.len();
        if len != size as u64 || !size.is_multiple_of(PAGE_SIZE) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "flash image has the wrong size",
            ));
        }
        let mut image = vec![0u8; size];
        file.read_exact(&mut image)?;
        Ok(Self {
            mirror: SimFlash::from_image(&image),
            file,
            durable: false,
        })
    }

    /// Opens `path` if it exists, otherwise creates it erased.
    pub fn open_or_create(path: impl AsRef<Path>, size: usize) -> io::Result<Self> {
        if path.as_ref().exists() {
            Self::open(path, size)
        } else {
            Self::create(path, size)
        }
    }

    /// When `true`, every write and erase is followed by `fsync`.
    pub fn set_durable(&mut self, durable: bool) {
        self.durable = durable;
    }

    /// Traffic counters since this handle was opened.
    #[must_use]
    pub fn stats(&self) -> FlashStats {
        self.mirror.stats()
    }

    /// A copy of the current image (same bytes as the file).
    #[must_use]
    pub fn image(&self) -> Vec<u8> {
        self.mirror.image()
    }

    /// Arms a power cut after `units` more units (bytes written + pages
    /// erased), as [`SimFlash::cut_power_after`].
    pub fn cut_power_after(&mut self, units: u64) {
        self.mirror.cut_power_after(units);
    }

    /// Whether the armed power cut has happened.
    #[must_use]
    pub fn power_was_cut(&self) -> bool {
        self.mirror.power_was_cut()
    }

    /// Copies `start..end` of the mirror to the file; after a power cut the
    /// torn range goes to the file first, then the cut is reported.
    fn settle(
        &mut self,
        r: Result<(), SimFlashError>,
        start: usize,
        end: usize,
    ) -> Result<(), FileFlashError> {
        if r == Err(SimFlashError::PowerCut) {
            self.persist(start, end)?;
        }
        r.map_err(FileFlashError::Flash)?;
        self.persist(start, end)
    }

    /// Copies `start..end` of the mirror to the file.
    fn persist(&mut self, start: usize, end: usize) -> Result<(), FileFlashError> {
        if end < start || end > self.mirror.size() {
            return Err(FileFlashError::Flash(SimFlashError::OutOfBounds));
        }
        let mut bytes = vec![0xFF; end - start];
        self.mirror.peek(start, &mut bytes);
        let io = |e: io::Error| FileFlashError::Io(e.kind());
        self.file.seek(SeekFrom::Start(start as u64)).map_err(io)?;
        self.file.write_all(&bytes).map_err(io)?;
        if self.durable {
            self.file.sync_data().map_err(io)?;
        }
        Ok(())
    }
}

impl ErrorType for FileFlash {
    type Error = FileFlashError;
}

impl ReadNorFlash for FileFlash {
    const READ_SIZE: usize = WORD_SIZE;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.mirror
            .read_blocking(offset, bytes)
            .map_err(FileFlashError::Flash)
    }

    fn capacity(&self) -> usize {
        self.mirror.size()
    }
}

impl NorFlash for FileFlash {
    const WRITE_SIZE: usize = WORD_SIZE;
    const ERASE_SIZE: usize = PAGE_SIZE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let r = self.mirror.erase_blocking(from, to);
        self.settle(r, from as usize, to as usize)
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let r = self.mirror.write_blocking(offset, bytes);
        self.settle(r, offset as usize, offset as usize + bytes.len())
    }
}

impl core::fmt::Display for FileFlashError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Flash(e) => write!(f, "{e}"),
            Self::Io(k) => write!(f, "image file I/O error: {k}"),
        }
    }
}

impl std::error::Error for FileFlashError {}
