//! Manufacturer side of a remote factory reset: sign a reset token for one lock, one
//! nonce (issued by the lock in answer to `Command::IssueResetNonce`) and a short
//! validity. **Policy is the caller's job**: before calling [`issue_reset_token`] the
//! hub must have verified that the requester's organisation owns the lock (and record
//! an audit entry); this function only signs.

use tumbler_proto::{ResetNonce, ResetToken, ResetTokenError, SigningKey};

/// Longest validity a token may be issued with (one hour): a token is only useful
/// between the lock issuing its nonce and the reset, which is seconds.
pub const MAX_RESET_TOKEN_TTL_S: u64 = 3600;

/// Why a token was not issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{self:?}")]
pub enum IssueError {
    /// `ttl_s` is 0 or above [`MAX_RESET_TOKEN_TTL_S`].
    TtlOutOfRange,
    /// `now + ttl_s` overflows.
    TimeOverflow,
    /// The serial is empty.
    BadSerial,
    /// Signing refused (serial too long).
    Token(ResetTokenError),
}

/// Sign a reset token for `serial`, bound to the lock's `nonce`, valid until
/// `now + ttl_s` (inclusive, lock clock). Send it with `Command::ManufacturerReset`.
pub fn issue_reset_token(
    manufacturer_key: &SigningKey,
    serial: &str,
    nonce: ResetNonce,
    now: u64,
    ttl_s: u64,
) -> Result<ResetToken, IssueError> {
    if ttl_s == 0 || ttl_s > MAX_RESET_TOKEN_TTL_S {
        return Err(IssueError::TtlOutOfRange);
    }
    if serial.is_empty() {
        return Err(IssueError::BadSerial);
    }
    let expires_at = now.checked_add(ttl_s).ok_or(IssueError::TimeOverflow)?;
    ResetToken::sign(manufacturer_key, serial, nonce, expires_at).map_err(IssueError::Token)
}
