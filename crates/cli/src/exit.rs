//! Exit codes (documented in the README) and the CLI's error type.

use std::fmt;

/// Success.
pub const OK: u8 = 0;
/// Unexpected failure (I/O, bad answer from the hub, startup failure).
pub const FAILURE: u8 = 1;
/// Bad command line (clap's own code).
pub const USAGE: u8 = 2;
/// Not logged in, or the token/credentials were refused (HTTP 401).
pub const UNAUTHENTICATED: u8 = 3;
/// The role does not allow it (HTTP 403).
pub const FORBIDDEN: u8 = 4;
/// No such thing (HTTP 404).
pub const NOT_FOUND: u8 = 5;
/// The hub refused the input (HTTP 400, 409, 413, 415, 422).
pub const INVALID: u8 = 6;
/// The hub could not be reached.
pub const UNREACHABLE: u8 = 7;
/// The hub failed (HTTP 5xx).
pub const SERVER: u8 = 8;
/// The lock could not be reached through the hub (HTTP 503/504: no broker
/// link, lock offline or not answering, no manufacturer key).
pub const LOCK_UNREACHABLE: u8 = 9;
/// A confirmation was declined (or needed and no terminal to ask).
pub const ABORTED: u8 = 10;
/// With `--wait`: the lock refused the operation, or it failed.
pub const OP_FAILED: u8 = 11;
/// Too many failed logins: the hub asks to wait (HTTP 429, the wait is printed).
pub const TOO_MANY: u8 = 12;

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    /// Process exit code.
    pub code: u8,
    /// What to tell the user (never a secret).
    pub message: String,
}

impl CliError {
    /// A new error.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Maps an HTTP status to an exit code.
pub fn for_status(status: u16) -> u8 {
    match status {
        401 => UNAUTHENTICATED,
        403 => FORBIDDEN,
        404 => NOT_FOUND,
        400 | 409 | 413 | 415 | 405 | 422 => INVALID,
        429 => TOO_MANY,
        503 | 504 => LOCK_UNREACHABLE,
        500..=599 => SERVER,
        _ => FAILURE,
    }
}

/// The exit code for any error: a [`CliError`]'s own, else [`FAILURE`].
pub fn code_of(e: &anyhow::Error) -> u8 {
    e.downcast_ref::<CliError>().map_or(FAILURE, |c| c.code)
}
