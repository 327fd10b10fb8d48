//! Manufacturer reset tokens as the lock verifies them.

use tumbler_control::proto::*;
use tumbler_control::{issue_reset_token, IssueError, MAX_RESET_TOKEN_TTL_S};

use crate::fake_lock::{signing_key, SERIAL};

#[test]
fn issued_token_verifies_on_the_lock_until_expiry_only() {
    let key = signing_key(70);
    let nonce = ResetNonce([5; 16]);
    let now = 1_700_000_000;
    let token = issue_reset_token(&key, SERIAL, nonce, now, 300).unwrap();
    let public = key.verifying_key();
    assert_eq!(token.verify(&public, SERIAL, &nonce, now + 300), Ok(()));
    assert_eq!(
        token.verify(&public, SERIAL, &nonce, now + 301),
        Err(ResetTokenError::Expired)
    );
    assert_eq!(
        token.verify(&public, SERIAL, &ResetNonce([6; 16]), now),
        Err(ResetTokenError::WrongNonce)
    );
    assert_eq!(
        token.verify(&public, "TMB-OTHER", &nonce, now),
        Err(ResetTokenError::WrongSerial)
    );
    assert_eq!(
        token.verify(&signing_key(71).verifying_key(), SERIAL, &nonce, now),
        Err(ResetTokenError::BadSignature)
    );
}

#[test]
fn bad_parameters_are_refused() {
    let key = signing_key(72);
    let n = ResetNonce([0; 16]);
    assert_eq!(
        issue_reset_token(&key, SERIAL, n, 0, 0).unwrap_err(),
        IssueError::TtlOutOfRange
    );
    assert_eq!(
        issue_reset_token(&key, SERIAL, n, 0, MAX_RESET_TOKEN_TTL_S + 1).unwrap_err(),
        IssueError::TtlOutOfRange
    );
    assert_eq!(
        issue_reset_token(&key, SERIAL, n, u64::MAX, 1).unwrap_err(),
        IssueError::TimeOverflow
    );
    assert_eq!(
        issue_reset_token(&key, "", n, 0, 1).unwrap_err(),
        IssueError::BadSerial
    );
    let long = "x".repeat(SERIAL_MAX + 1);
    assert_eq!(
        issue_reset_token(&key, &long, n, 0, 1).unwrap_err(),
        IssueError::Token(ResetTokenError::SerialTooLong)
    );
}
