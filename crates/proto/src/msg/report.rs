//! Self-check report, reset record, reset notice and the lock's statement of its reset
//! state. The self-check, the reset record and the statement are signed with the lock's
//! factory identity key (Ed25519), which survives every reset, so a turnover or a reset
//! can be proven to a third party — and to a hub whose envelopes the lock can no longer
//! open.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::{FirmwareVersion, UnixTime};
use crate::keys::KeyId;
use crate::reset_token::Serial;

pub use tumbler_model::ResetTrigger;

/// The sealed record a lock writes before wiping.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResetRecord {
    /// Lock serial.
    pub serial: Serial,
    /// Reset counter after this reset.
    pub reset_counter: u32,
    /// Trigger.
    pub trigger: ResetTrigger,
    /// Lock time.
    pub time: UnixTime,
    /// Sequence number of the last audit record before the reset.
    pub last_seq: u64,
    /// Chain hash of the last audit record (digest of the old chain).
    pub log_digest: [u8; 32],
}

/// Sent to controllers before a local factory reset, when the lock is online.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResetNotice {
    /// The signed record of the reset about to happen.
    pub record: SignedResetRecord,
}

/// A signed self-check: proof that the lock is empty and healthy after a reset.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SelfCheckReport {
    /// Lock serial.
    pub serial: Serial,
    /// The asker's challenge (freshness).
    pub challenge: [u8; 16],
    /// Lock time.
    pub time: UnixTime,
    /// Reset counter.
    pub reset_counter: u32,
    /// Users on the lock.
    pub users: u16,
    /// Credentials on the lock.
    pub credentials: u16,
    /// Paired controllers.
    pub controllers: u8,
    /// In setup mode.
    pub setup_mode: bool,
    /// Battery charge.
    pub battery_percent: u8,
    /// Motor test passed.
    pub motor_ok: bool,
    /// Firmware.
    pub firmware: FirmwareVersion,
}

/// Errors signing or verifying a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportError {
    /// The signature does not verify under the given factory key.
    BadSignature,
    /// The report could not be encoded into the signing buffer (should not happen).
    LogicBug,
}

/// The lock's statement of its reset state, signed with the factory key: sent plain on
/// `up` at every boot and link (re)connect (`challenge` all zero) and in answer to a
/// controller's `StatementRequest` (its challenge echoed, proving freshness).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LockStatement {
    /// Lock serial.
    pub serial: Serial,
    /// The asker's challenge; all zero for an unsolicited (boot / connect) statement.
    pub challenge: [u8; 16],
    /// Reset counter (advanced by every factory reset, never goes back).
    pub reset_counter: u32,
    /// In setup mode (no controller paired).
    pub setup_mode: bool,
    /// Id of the lock's current operational public key (rotated by every reset).
    pub lock_key: KeyId,
}

impl LockStatement {
    /// The challenge of an unsolicited statement.
    pub const UNSOLICITED: [u8; 16] = [0; 16];
}

const SELF_CHECK_DOMAIN: &[u8] = b"tumbler/v1 self-check\0";
const STATEMENT_DOMAIN: &[u8] = b"tumbler/v1 lock-statement\0";
const RESET_RECORD_DOMAIN: &[u8] = b"tumbler/v1 reset-record\0";

/// Canonical signed bytes: domain label ‖ postcard(report), in a fixed buffer.
fn signed_bytes<T: Serialize>(
    domain: &[u8],
    value: &T,
    buf: &mut [u8; 256],
) -> Result<usize, ReportError> {
    let (head, tail) = buf.split_at_mut(domain.len());
    head.copy_from_slice(domain);
    let used = postcard::to_slice(value, tail)
        .map_err(|_| ReportError::LogicBug)?
        .len();
    Ok(domain.len() + used)
}

fn sign_value<T: Serialize>(
    domain: &[u8],
    value: &T,
    key: &SigningKey,
) -> Result<[u8; 64], ReportError> {
    let mut buf = [0u8; 256];
    let n = signed_bytes(domain, value, &mut buf)?;
    let msg = buf.get(..n).ok_or(ReportError::LogicBug)?;
    Ok(key.sign(msg).to_bytes())
}

fn verify_value<T: Serialize>(
    domain: &[u8],
    value: &T,
    sig: &[u8; 64],
    key: &VerifyingKey,
) -> Result<(), ReportError> {
    let mut buf = [0u8; 256];
    let n = signed_bytes(domain, value, &mut buf)?;
    let msg = buf.get(..n).ok_or(ReportError::LogicBug)?;
    key.verify_strict(msg, &Signature::from_bytes(sig))
        .map_err(|_| ReportError::BadSignature)
}

/// A self-check report with the factory key's signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SignedSelfCheck {
    /// The report.
    pub report: SelfCheckReport,
    /// Ed25519 signature over `"tumbler/v1 self-check\0" ‖ postcard(report)`.
    #[serde(with = "crate::serde_bytes64")]
    pub signature: [u8; 64],
}

impl SignedSelfCheck {
    /// Sign with the lock's factory identity key.
    pub fn sign(report: SelfCheckReport, factory_key: &SigningKey) -> Result<Self, ReportError> {
        let signature = sign_value(SELF_CHECK_DOMAIN, &report, factory_key)?;
        Ok(SignedSelfCheck { report, signature })
    }

    /// Verify against the lock's factory public key.
    pub fn verify(&self, factory_public: &VerifyingKey) -> Result<(), ReportError> {
        verify_value(
            SELF_CHECK_DOMAIN,
            &self.report,
            &self.signature,
            factory_public,
        )
    }
}

/// A reset record with the factory key's signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SignedResetRecord {
    /// The record.
    pub record: ResetRecord,
    /// Ed25519 signature over `"tumbler/v1 reset-record\0" ‖ postcard(record)`.
    #[serde(with = "crate::serde_bytes64")]
    pub signature: [u8; 64],
}

impl SignedResetRecord {
    /// Sign with the lock's factory identity key.
    pub fn sign(record: ResetRecord, factory_key: &SigningKey) -> Result<Self, ReportError> {
        let signature = sign_value(RESET_RECORD_DOMAIN, &record, factory_key)?;
        Ok(SignedResetRecord { record, signature })
    }

    /// Verify against the lock's factory public key.
    pub fn verify(&self, factory_public: &VerifyingKey) -> Result<(), ReportError> {
        verify_value(
            RESET_RECORD_DOMAIN,
            &self.record,
            &self.signature,
            factory_public,
        )
    }
}

/// A lock statement with the factory key's signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SignedLockStatement {
    /// The statement.
    pub statement: LockStatement,
    /// Ed25519 signature over `"tumbler/v1 lock-statement\0" ‖ postcard(statement)`.
    #[serde(with = "crate::serde_bytes64")]
    pub signature: [u8; 64],
}

impl SignedLockStatement {
    /// Sign with the lock's factory identity key.
    pub fn sign(statement: LockStatement, factory_key: &SigningKey) -> Result<Self, ReportError> {
        let signature = sign_value(STATEMENT_DOMAIN, &statement, factory_key)?;
        Ok(SignedLockStatement {
            statement,
            signature,
        })
    }

    /// Verify against the lock's factory public key.
    pub fn verify(&self, factory_public: &VerifyingKey) -> Result<(), ReportError> {
        verify_value(
            STATEMENT_DOMAIN,
            &self.statement,
            &self.signature,
            factory_public,
        )
    }
}
