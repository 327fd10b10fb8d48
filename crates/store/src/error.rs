//! Error enums, one per operation. `E` is the flash back end's own error type.
//!
//! Every enum has a `LogicBug` variant that stands in for a panic: it means
//! this crate (or sequential-storage) broke one of its own invariants.

use crate::layout::LayoutError;

/// Which on-flash structure a corruption was found in.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// The meta region (reset counter, reset intent).
    Meta,
    /// The state region (items and the commit journal).
    State,
    /// The log region (audit ring).
    Log,
}

/// Why [`crate::Store::format`] failed. The flash may be half-formatted; it
/// stays "not formatted" until format succeeds, so simply run it again.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError<E> {
    /// The layout does not fit this flash.
    BadLayout(LayoutError),
    /// The factory bytes do not fit the factory partition (or exceed
    /// [`crate::MAX_FACTORY_BYTES`]).
    FactoryTooLarge,
    /// The flash reported an error.
    Flash(E),
    /// Internal invariant broken (would otherwise have been a panic).
    LogicBug,
}

/// Why [`crate::Store::mount`] failed, and what to do about it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountError<E> {
    /// The layout does not fit this flash.
    BadLayout(LayoutError),
    /// No superblock: the flash was never provisioned (or provisioning was
    /// cut before it finished). Recovery: [`crate::Store::format`].
    NotFormatted,
    /// The factory partition is damaged (bad magic or CRC). The device's
    /// identity is gone; no in-field recovery — it needs re-provisioning.
    FactoryCorrupt,
    /// The superblock was written by a newer or unknown format version.
    UnsupportedVersion {
        /// Version found on the flash.
        found: u16,
    },
    /// The superblock records a different layout than the one passed in.
    LayoutMismatch,
    /// The factory partition is intact but the given region cannot be read
    /// back. Recovery: [`crate::Store::recover`], which keeps the factory
    /// partition, wipes the operational state and leaves the lock in setup mode.
    StateLost {
        /// Region found corrupt.
        region: Region,
    },
    /// The flash reported an error.
    Flash(E),
    /// Internal invariant broken (would otherwise have been a panic).
    LogicBug,
}

/// Why [`crate::Store::commit`] failed. Input errors (`ReservedKey`,
/// `ValueTooLarge`, `GroupTooLarge`, `TooManyItems`, `Full`) are detected
/// before anything is written: the store is unchanged.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitError<E> {
    /// The key is reserved for the store's own use (see [`crate::MAX_ITEM_KEY`]).
    ReservedKey(u32),
    /// A value is longer than [`crate::MAX_VALUE_LEN`].
    ValueTooLarge(u32),
    /// The encoded group needs more than 255 journal chunks (only possible
    /// by repeating keys: 512 distinct full-size items fit).
    GroupTooLarge,
    /// More distinct keys (live or deleted) than [`crate::MAX_ITEMS`].
    TooManyItems,
    /// The state region cannot hold the result.
    Full,
    /// Part-way failure (flash error or power cut): the in-memory view may
    /// be stale. Drop the store and mount again; mount finishes or discards
    /// the group.
    Flash(E),
    /// The store was poisoned by an earlier part-way failure; mount again.
    Poisoned,
    /// The state region was found corrupt while writing.
    Corrupt,
    /// Internal invariant broken (would otherwise have been a panic).
    LogicBug,
}

/// Why a log operation ([`crate::Store::log_append`], [`crate::Store::log_ack`]) failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogError<E> {
    /// The record is longer than [`crate::MAX_LOG_RECORD`]. Nothing written.
    RecordTooLarge,
    /// `log_ack` named a sequence number that was never handed out. Nothing written.
    AckBeyondEnd,
    /// Part-way failure (flash error or power cut); mount again.
    Flash(E),
    /// The store was poisoned by an earlier part-way failure; mount again.
    Poisoned,
    /// The log region was found corrupt.
    Corrupt,
    /// Internal invariant broken (would otherwise have been a panic).
    LogicBug,
}

/// Why [`crate::Store::factory_reset`] failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetError<E> {
    /// The reset record is longer than [`crate::MAX_RESET_RECORD`]. Nothing written.
    RecordTooLarge,
    /// Part-way failure. If the intent was written, the next mount finishes the reset.
    Flash(E),
    /// The store was poisoned by an earlier part-way failure; mount again.
    Poisoned,
    /// A region was found corrupt while resetting.
    Corrupt(Region),
    /// Internal invariant broken (would otherwise have been a panic).
    LogicBug,
}

/// Why a read ([`crate::Store::get`], [`crate::Store::for_each_item`],
/// [`crate::Store::for_each_log_record`]) failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError<E> {
    /// The flash reported an error.
    Flash(E),
    /// The store was poisoned by an earlier part-way failure; mount again.
    Poisoned,
    /// The region was found corrupt.
    Corrupt(Region),
    /// Internal invariant broken (would otherwise have been a panic).
    LogicBug,
}

/// Errors of the sequential-storage layer, classified once so each
/// operation can map them into its own enum.
#[derive(Debug)]
pub(crate) enum Low<E> {
    /// Flash back-end error.
    Flash(E),
    /// Region full.
    Full,
    /// Corrupted beyond sequential-storage's repair, or our own record
    /// inside a valid item does not decode.
    Corrupt,
    /// Invariant broken.
    Bug,
}

impl<E> From<sequential_storage::Error<E>> for Low<E> {
    fn from(e: sequential_storage::Error<E>) -> Self {
        match e {
            sequential_storage::Error::Storage { value, .. } => Low::Flash(value),
            sequential_storage::Error::FullStorage => Low::Full,
            sequential_storage::Error::Corrupted { .. } => Low::Corrupt,
            sequential_storage::Error::SerializationError(_) => Low::Corrupt,
            _ => Low::Bug,
        }
    }
}

impl core::fmt::Display for Region {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Meta => "meta",
            Self::State => "state",
            Self::Log => "log",
        })
    }
}

impl core::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Unaligned => "a region is not aligned to erase pages",
            Self::TooSmall => "a region is smaller than its minimum",
            Self::Overlap => "two regions overlap",
            Self::OutOfBounds => "a region reaches past the end of the flash",
        })
    }
}

impl<E: core::fmt::Debug> core::fmt::Display for FormatError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BadLayout(e) => write!(f, "bad layout: {e}"),
            Self::FactoryTooLarge => f.write_str("factory bytes do not fit the factory partition"),
            Self::Flash(e) => write!(f, "flash error: {e:?}"),
            Self::LogicBug => f.write_str("internal logic bug in tumbler-store"),
        }
    }
}

impl<E: core::fmt::Debug> core::fmt::Display for MountError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BadLayout(e) => write!(f, "bad layout: {e}"),
            Self::NotFormatted => f.write_str("flash is not provisioned (format it)"),
            Self::FactoryCorrupt => f.write_str("factory partition is corrupted"),
            Self::UnsupportedVersion { found } => {
                write!(f, "unsupported flash format version {found}")
            }
            Self::LayoutMismatch => f.write_str("flash was provisioned with a different layout"),
            Self::StateLost { region } => write!(
                f,
                "{region} region unreadable; factory partition intact (recover to setup mode)"
            ),
            Self::Flash(e) => write!(f, "flash error: {e:?}"),
            Self::LogicBug => f.write_str("internal logic bug in tumbler-store"),
        }
    }
}

impl<E: core::fmt::Debug> core::fmt::Display for CommitError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::ReservedKey(k) => write!(f, "key {k:#x} is reserved"),
            Self::ValueTooLarge(k) => write!(f, "value of key {k:#x} is too large"),
            Self::GroupTooLarge => f.write_str("group too large for one commit"),
            Self::TooManyItems => f.write_str("too many distinct keys"),
            Self::Full => f.write_str("state region full"),
            Self::Flash(e) => write!(f, "flash error: {e:?} (mount again)"),
            Self::Poisoned => f.write_str("store poisoned by an earlier failure (mount again)"),
            Self::Corrupt => f.write_str("state region corrupt"),
            Self::LogicBug => f.write_str("internal logic bug in tumbler-store"),
        }
    }
}

impl<E: core::fmt::Debug> core::fmt::Display for LogError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::RecordTooLarge => f.write_str("audit record too large"),
            Self::AckBeyondEnd => f.write_str("ack beyond the newest sequence number"),
            Self::Flash(e) => write!(f, "flash error: {e:?} (mount again)"),
            Self::Poisoned => f.write_str("store poisoned by an earlier failure (mount again)"),
            Self::Corrupt => f.write_str("log region corrupt"),
            Self::LogicBug => f.write_str("internal logic bug in tumbler-store"),
        }
    }
}

impl<E: core::fmt::Debug> core::fmt::Display for ResetError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::RecordTooLarge => f.write_str("reset record too large"),
            Self::Flash(e) => write!(f, "flash error: {e:?} (mount again to finish the reset)"),
            Self::Poisoned => f.write_str("store poisoned by an earlier failure (mount again)"),
            Self::Corrupt(r) => write!(f, "{r} region corrupt"),
            Self::LogicBug => f.write_str("internal logic bug in tumbler-store"),
        }
    }
}

impl<E: core::fmt::Debug> core::fmt::Display for ReadError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Flash(e) => write!(f, "flash error: {e:?}"),
            Self::Poisoned => f.write_str("store poisoned by an earlier failure (mount again)"),
            Self::Corrupt(r) => write!(f, "{r} region corrupt"),
            Self::LogicBug => f.write_str("internal logic bug in tumbler-store"),
        }
    }
}

impl core::error::Error for LayoutError {}
impl<E: core::fmt::Debug> core::error::Error for FormatError<E> {}
impl<E: core::fmt::Debug> core::error::Error for MountError<E> {}
impl<E: core::fmt::Debug> core::error::Error for CommitError<E> {}
impl<E: core::fmt::Debug> core::error::Error for LogError<E> {}
impl<E: core::fmt::Debug> core::error::Error for ResetError<E> {}
impl<E: core::fmt::Debug> core::error::Error for ReadError<E> {}
