//! Keyed hashing used by the lock: PIN hashes, digests, key derivation.
//! Built on RustCrypto `hmac` + `sha2`; no primitive is implemented here.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroize;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 over the concatenation of `parts`.
pub(crate) fn hmac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail; fall back to a
    // fixed value rather than panic if a future version changes that.
    let Ok(mut m) = <HmacSha256 as KeyInit>::new_from_slice(key) else {
        return [0; 32];
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// The lock's operational secrets; rotated (fresh from the rng) at every
/// factory reset, zeroized on drop.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct OpKeys {
    /// Key of the PIN hashes.
    pub pin_secret: [u8; 32],
    /// Seed of the operational identity (proto binds envelopes to it) and of the digest key.
    pub op_seed: [u8; 32],
}

impl OpKeys {
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> OpKeys {
        let mut k = OpKeys {
            pin_secret: [0; 32],
            op_seed: [0; 32],
        };
        rng.fill_bytes(&mut k.pin_secret);
        rng.fill_bytes(&mut k.op_seed);
        k
    }
    pub fn pin_hash(&self, pin: &[u8]) -> [u8; 32] {
        hmac(&self.pin_secret, &[b"tumbler/pin/v1", pin])
    }
    pub fn digest_key(&self) -> [u8; 32] {
        hmac(&self.op_seed, &[b"tumbler/digest-key/v1"])
    }
}

impl Drop for OpKeys {
    fn drop(&mut self) {
        self.pin_secret.zeroize();
        self.op_seed.zeroize();
    }
}

impl core::fmt::Debug for OpKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("OpKeys(<redacted>)")
    }
}
