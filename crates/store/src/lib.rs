//! Power-cut-safe persistence for the Tumbler lock over `embedded-storage-async` NOR flash.
//!
//! # Layout
//! - [`store`]: [`Store`] — mount/format/recover, atomic group commits of
//!   items ([`ItemOp`]), the audit ring (`log_append`/`log_ack`), the
//!   resumable factory reset. Built on sequential-storage (a map for items
//!   and for the meta record, a queue for the log).
//! - [`layout`]: [`Layout`], the four flash regions (factory, meta, state, log).
//! - [`error`]: one small error enum per operation.
//! - `records`: the store's own record encodings (journal, meta, log header) and the key index.
//! - `superblock`: the factory partition (magic, version, layout, factory bytes, CRC).
//! - `codec`: bounds-checked byte reader/writer.
//! - `sim_flash` (feature `std`): `SimFlash`, the test flash with power cuts.
//! - `file_flash` (feature `std`): `FileFlash`, one image file per lock.
//!
//! The on-flash format is specified in `docs/design/flash-format.md`.
//!
//! # Example
//! ```
//! use tumbler_store::{ItemOp, Layout, SimFlash, Store};
//! let layout = Layout::contiguous(4096, 1, 2, 4, 4);
//! let mut flash = SimFlash::new(layout.end() as usize);
//! let mut store = Store::format(&mut flash, layout.clone(), b"serial=42").unwrap();
//! store.commit(&[ItemOp::Put(7, b"user"), ItemOp::Put(8, b"pin")]).unwrap();
//! let seq = store.log_append(b"unlocked").unwrap();
//! store.log_ack(seq).unwrap();
//! drop(store);
//! let (mut store, report) = Store::mount(&mut flash, layout).unwrap();
//! assert_eq!(report.items, 2);
//! assert_eq!(store.get(7).unwrap(), Some(&b"user"[..]));
//! ```
#![no_std]

#[cfg(feature = "std")]
extern crate std;

mod codec;
pub mod error;
#[cfg(feature = "std")]
pub mod file_flash;
pub mod layout;
mod records;
#[cfg(feature = "std")]
pub mod sim_flash;
pub mod store;
mod superblock;

pub use error::{CommitError, FormatError, LogError, MountError, ReadError, Region, ResetError};
#[cfg(feature = "std")]
pub use file_flash::{FileFlash, FileFlashError};
pub use layout::{Layout, LayoutError};
pub use records::ItemOp;
#[cfg(feature = "std")]
pub use sim_flash::{FlashStats, SimFlash, SimFlashError};
pub use store::{LogStatus, MountOutcome, MountReport, Store};
pub use superblock::FORMAT_VERSION;

/// Re-export of the flash traits the store is generic over.
pub use embedded_storage_async::nor_flash;

/// Largest item value in bytes (smaller on flashes with pages under 1 KiB + overhead).
pub const MAX_VALUE_LEN: usize = 1024;
/// Most distinct keys (live items plus deleted keys whose tombstone is still
/// stored) the in-RAM index holds.
pub const MAX_ITEMS: usize = 512;
/// Highest key the lock may use; keys above it are reserved for the store.
pub const MAX_ITEM_KEY: u32 = 0xFFFF_FEFF;
/// Largest audit record in bytes.
pub const MAX_LOG_RECORD: usize = 1024;
/// Largest factory-reset record in bytes.
pub const MAX_RESET_RECORD: usize = 1024;
/// Largest factory payload in bytes.
pub const MAX_FACTORY_BYTES: usize = 1024;
