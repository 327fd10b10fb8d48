//! Long-term keys. The lock's *operational* key and each controller's key are X25519
//! static keys (envelopes use static-static DH); the manufacturer and factory keys are
//! Ed25519 (`ed25519_dalek::SigningKey` / `VerifyingKey`, re-exported at the root).
//! Secrets have a redacted `Debug` and are zeroized on drop.

use core::fmt;

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

/// An X25519 public key as bytes.
pub type PublicKeyBytes = [u8; 32];

/// A short id of a public key: the first 4 bytes of SHA-256("tumbler/v1 key-id\0" ‖ key).
/// Used in envelope headers to tell "wrong key" apart from "tampered"; security rests
/// on the AEAD, not on this id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct KeyId(pub [u8; 4]);

impl KeyId {
    /// The id of a public key.
    pub fn of(public: &PublicKeyBytes) -> Self {
        let mut h = Sha256::new();
        h.update(b"tumbler/v1 key-id\0");
        h.update(public);
        let d = h.finalize();
        let mut id = [0u8; 4];
        for (o, i) in id.iter_mut().zip(d.iter()) {
            *o = *i;
        }
        KeyId(id)
    }
}

/// An X25519 static secret key: the lock's operational key or a controller's key.
/// Redacted `Debug`; the inner secret zeroizes on drop.
#[derive(Clone)]
pub struct StaticKey {
    secret: StaticSecret,
    public: PublicKeyBytes,
}

/// The lock's operational key: generated when the lock enters setup mode, rotated by
/// every factory reset (which is what cuts off every controller paired before).
pub type OperationalKey = StaticKey;

/// A controller's (hub's, phone's) long-term key.
pub type ControllerKey = StaticKey;

impl StaticKey {
    /// A fresh random key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_secret(StaticSecret::random_from_rng(rng))
    }

    /// Restore from the 32 secret bytes (as stored by [`StaticKey::to_bytes`]).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let bytes = Zeroizing::new(bytes);
        Self::from_secret(StaticSecret::from(*bytes))
    }

    fn from_secret(secret: StaticSecret) -> Self {
        let public = PublicKey::from(&secret).to_bytes();
        StaticKey { secret, public }
    }

    /// The secret bytes, for storage (zeroized when the returned value drops).
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.secret.to_bytes())
    }

    /// The public key.
    pub fn public(&self) -> PublicKeyBytes {
        self.public
    }

    /// The public key's id.
    pub fn key_id(&self) -> KeyId {
        KeyId::of(&self.public)
    }

    /// X25519 with a peer's public key; `None` if the result is all-zero (the peer key
    /// is a low-order point, which would make the "shared" secret public).
    pub(crate) fn agree(&self, peer: &PublicKeyBytes) -> Option<Zeroizing<[u8; 32]>> {
        let shared = self.secret.diffie_hellman(&PublicKey::from(*peer));
        if !shared.was_contributory() {
            return None;
        }
        Some(Zeroizing::new(shared.to_bytes()))
    }
}

impl fmt::Debug for StaticKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticKey")
            .field("public_id", &self.key_id())
            .field("secret", &"<redacted>")
            .finish()
    }
}
