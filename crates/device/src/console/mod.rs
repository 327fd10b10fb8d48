//! The console: what a person at the door can do, as text commands.
//!
//! # Layout
//! - [`command`]: parsing one line (`1234#`, `hold-reset 12s`, `card 04a1b2c3`, …) into a
//!   [`Command`], with a clear message for anything else.
//! - [`card_file`]: hotel key card files for `card @PATH` (read, size-checked, the UID).
//! - [`client`]: attaching to a running lock over its local link and relaying lines.

pub mod card_file;
pub mod client;
pub mod command;

pub use command::{parse, parse_duration, Command, ParseError, HELP};
