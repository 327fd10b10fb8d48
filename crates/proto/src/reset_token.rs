//! Manufacturer reset token: a factory reset authorised by the manufacturer's Ed25519
//! key, bound to one lock (serial), one nonce the lock issued, and an expiry.
//!
//! Canonical signed bytes (fixed layout, independent of postcard):
//!
//! ```text
//! "tumbler/v1 reset-token\0"   23 bytes, domain separation
//! serial length                1 byte (≤ SERIAL_MAX)
//! serial                       UTF-8 bytes
//! nonce                        16 bytes, as issued by the lock (IssueResetNonce)
//! expires_at                   8 bytes, u64 big-endian Unix seconds
//! ```

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::msg::UnixTime;

/// Longest lock serial, in bytes.
pub const SERIAL_MAX: usize = 32;

/// A lock serial number (printed on the label, kept in the factory partition).
pub type Serial = heapless::String<SERIAL_MAX>;

const DOMAIN: &[u8] = b"tumbler/v1 reset-token\0";
const SIGNED_MAX: usize = DOMAIN.len() + 1 + SERIAL_MAX + 16 + 8;

/// A single-use nonce the lock issues for a manufacturer reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResetNonce(pub [u8; 16]);

impl ResetNonce {
    /// A fresh random nonce.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut n = [0u8; 16];
        rng.fill_bytes(&mut n);
        ResetNonce(n)
    }
}

/// Why a reset token was rejected (each its own variant, checked in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ResetTokenError {
    /// The signature does not verify under the manufacturer key (forged or altered).
    BadSignature,
    /// Genuine, but for another lock.
    WrongSerial,
    /// Genuine, but not bound to the nonce this lock issued (replayed or stale).
    WrongNonce,
    /// Genuine, but past its expiry.
    Expired,
    /// The serial is longer than [`SERIAL_MAX`] (signing side).
    SerialTooLong,
}

/// A manufacturer-signed reset authorisation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResetToken {
    /// The lock this token is for.
    pub serial: Serial,
    /// The nonce the lock issued.
    pub nonce: ResetNonce,
    /// Last valid second (inclusive), Unix time.
    pub expires_at: UnixTime,
    /// Ed25519 signature over the canonical bytes.
    #[serde(with = "crate::serde_bytes64")]
    pub signature: [u8; 64],
}

fn canonical(
    serial: &str,
    nonce: &ResetNonce,
    expires_at: UnixTime,
    buf: &mut [u8; SIGNED_MAX],
) -> Option<usize> {
    let s = serial.as_bytes();
    let len = u8::try_from(s.len())
        .ok()
        .filter(|l| usize::from(*l) <= SERIAL_MAX)?;
    let mut at = 0usize;
    for part in [
        DOMAIN,
        &[len][..],
        s,
        &nonce.0[..],
        &expires_at.to_be_bytes()[..],
    ] {
        let end = at.checked_add(part.len())?;
        buf.get_mut(at..end)?.copy_from_slice(part);
        at = end;
    }
    Some(at)
}

impl ResetToken {
    /// Sign a token (manufacturer / hub side). `nonce` is the one the lock issued.
    pub fn sign(
        manufacturer_key: &SigningKey,
        serial: &str,
        nonce: ResetNonce,
        expires_at: UnixTime,
    ) -> Result<Self, ResetTokenError> {
        let mut buf = [0u8; SIGNED_MAX];
        let n = canonical(serial, &nonce, expires_at, &mut buf)
            .ok_or(ResetTokenError::SerialTooLong)?;
        let msg = buf.get(..n).ok_or(ResetTokenError::SerialTooLong)?;
        let signature = manufacturer_key.sign(msg).to_bytes();
        let serial = Serial::try_from(serial).map_err(|_| ResetTokenError::SerialTooLong)?;
        Ok(ResetToken {
            serial,
            nonce,
            expires_at,
            signature,
        })
    }

    /// Verify (lock side): signature by the manufacturer, then serial, nonce, expiry.
    /// `now` is the lock's clock; the token is valid while `now <= expires_at`.
    pub fn verify(
        &self,
        manufacturer_public: &VerifyingKey,
        serial: &str,
        expected_nonce: &ResetNonce,
        now: UnixTime,
    ) -> Result<(), ResetTokenError> {
        let mut buf = [0u8; SIGNED_MAX];
        let n = canonical(&self.serial, &self.nonce, self.expires_at, &mut buf)
            .ok_or(ResetTokenError::BadSignature)?;
        let msg = buf.get(..n).ok_or(ResetTokenError::BadSignature)?;
        manufacturer_public
            .verify_strict(msg, &Signature::from_bytes(&self.signature))
            .map_err(|_| ResetTokenError::BadSignature)?;
        if self.serial.as_str() != serial {
            return Err(ResetTokenError::WrongSerial);
        }
        if !bool::from(self.nonce.0.ct_eq(&expected_nonce.0)) {
            return Err(ResetTokenError::WrongNonce);
        }
        if now > self.expires_at {
            return Err(ResetTokenError::Expired);
        }
        Ok(())
    }
}
