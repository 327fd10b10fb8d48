//! Factory data (the partition no reset erases), factory reset records,
//! manufacturer reset tokens and the signed self-check report.
//!
//! Canonical signed bytes are defined here so the hub, the manufacturer's
//! tooling and tests all sign/verify exactly what the lock does.

use core::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::config::SERIAL_LEN;
use crate::output::BoltState;

/// What triggered a factory reset (the shared [`tumbler_model::ResetTrigger`]).
pub use tumbler_model::ResetTrigger;

/// The factory partition: never erased by any reset.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FactoryData {
    /// Serial number (printed on the label).
    pub serial: heapless::String<SERIAL_LEN>,
    /// Seed of the Ed25519 factory identity key (signs reset records and self-checks).
    pub identity_seed: [u8; 32],
    /// Setup code printed on the label (ASCII), input to the proto PAKE.
    pub setup_code: heapless::Vec<u8, 16>,
    /// Manufacturer Ed25519 public key (verifies reset tokens).
    pub manufacturer_pubkey: [u8; 32],
    /// Number of factory resets so far.
    pub reset_counter: u32,
}

impl FactoryData {
    /// Builds factory data; `serial` and `setup_code` are truncated to capacity.
    pub fn new(
        serial: &str,
        identity_seed: [u8; 32],
        setup_code: &[u8],
        manufacturer_pubkey: [u8; 32],
        reset_counter: u32,
    ) -> FactoryData {
        let mut s = heapless::String::new();
        for c in serial.chars() {
            if s.push(c).is_err() {
                break;
            }
        }
        let mut code = heapless::Vec::new();
        for b in setup_code {
            if code.push(*b).is_err() {
                break;
            }
        }
        FactoryData {
            serial: s,
            identity_seed,
            setup_code: code,
            manufacturer_pubkey,
            reset_counter,
        }
    }
    /// The factory identity public key.
    pub fn identity_public(&self) -> [u8; 32] {
        SigningKey::from_bytes(&self.identity_seed)
            .verifying_key()
            .to_bytes()
    }
    pub(crate) fn sign(&self, msg: &[u8]) -> [u8; 64] {
        SigningKey::from_bytes(&self.identity_seed)
            .sign(msg)
            .to_bytes()
    }
}

impl Drop for FactoryData {
    fn drop(&mut self) {
        self.identity_seed.zeroize();
        self.setup_code.as_mut_slice().zeroize();
    }
}

impl fmt::Debug for FactoryData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FactoryData")
            .field("serial", &self.serial)
            .field("identity_seed", &"<redacted>")
            .field("setup_code", &"<redacted>")
            .field("manufacturer_pubkey", &self.manufacturer_pubkey)
            .field("reset_counter", &self.reset_counter)
            .finish()
    }
}

/// The reset record body: what the factory key signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRecord {
    /// The reset counter after this reset.
    pub counter: u32,
    /// Trigger.
    pub trigger: ResetTrigger,
    /// UTC seconds, if the clock was set.
    pub utc_s: Option<i64>,
    /// Monotonic ms.
    pub mono_ms: u64,
    /// Sequence number the old log would have used next (records `0..last_seq` existed).
    pub next_seq: u32,
    /// Head of the old log's hash chain (hash of its last record).
    pub old_chain_head: [u8; 32],
}

/// Domain separator of the reset record signature.
pub const RESET_RECORD_DOMAIN: &[u8] = b"tumbler/lock/reset-record/v1";

/// A reset record with the factory identity key's signature over
/// `RESET_RECORD_DOMAIN || postcard(record)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedResetRecord {
    /// Body.
    pub record: ResetRecord,
    /// Ed25519 signature.
    #[serde(with = "sig_serde")]
    pub signature: [u8; 64],
}

/// Longest encoded [`SealedResetRecord`].
pub const MAX_RESET_RECORD: usize = 160;

fn signed_bytes<T: Serialize>(domain: &[u8], body: &T, buf: &mut [u8; 512]) -> Option<usize> {
    let dl = domain.len();
    buf.get_mut(..dl)?.copy_from_slice(domain);
    let used = postcard::to_slice(body, buf.get_mut(dl..)?).ok()?.len();
    Some(dl + used)
}

fn verify_sig(pubkey: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    let Ok(vk) = VerifyingKey::from_bytes(pubkey) else {
        return false;
    };
    vk.verify(msg, &Signature::from_bytes(sig)).is_ok()
}

impl SealedResetRecord {
    pub(crate) fn seal(record: ResetRecord, factory: &FactoryData) -> SealedResetRecord {
        let mut buf = [0u8; 512];
        let n = signed_bytes(RESET_RECORD_DOMAIN, &record, &mut buf).unwrap_or(0);
        SealedResetRecord {
            record,
            signature: factory.sign(buf.get(..n).unwrap_or(&[])),
        }
    }
    /// Verifies the signature with the factory identity public key.
    pub fn verify(&self, identity_pubkey: &[u8; 32]) -> bool {
        let mut buf = [0u8; 512];
        match signed_bytes(RESET_RECORD_DOMAIN, &self.record, &mut buf) {
            Some(n) => verify_sig(
                identity_pubkey,
                buf.get(..n).unwrap_or(&[]),
                &self.signature,
            ),
            None => false,
        }
    }
    /// Encodes (postcard); `None` if `buf` is too small (use [`MAX_RESET_RECORD`]).
    pub fn encode(&self, buf: &mut [u8]) -> Option<usize> {
        postcard::to_slice(self, buf).ok().map(|s| s.len())
    }
    /// Decodes.
    pub fn decode(bytes: &[u8]) -> Option<SealedResetRecord> {
        postcard::from_bytes(bytes).ok()
    }
    /// SHA-256 of the encoding; the first record of the new log chains to it.
    pub fn hash(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut buf = [0u8; MAX_RESET_RECORD];
        let n = self.encode(&mut buf).unwrap_or(0);
        Sha256::digest(buf.get(..n).unwrap_or(&[])).into()
    }
}

/// Domain separator of manufacturer reset tokens.
/// Must equal tumbler-proto's reset-token domain: the hub signs with proto, the
/// lock verifies here (cross-checked by a test in tumbler-device).
pub const MFR_TOKEN_DOMAIN: &[u8] = b"tumbler/v1 reset-token\0";

/// A manufacturer reset token: signature by the manufacturer key over
/// [`manufacturer_token_message`]`(serial, nonce, expiry_utc)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManufacturerToken {
    /// Nonce the lock issued (`IssueResetNonce`).
    pub nonce: [u8; 16],
    /// Expiry, UTC seconds.
    pub expiry_utc: i64,
    /// Ed25519 signature.
    #[serde(with = "sig_serde")]
    pub signature: [u8; 64],
}

/// The canonical signed bytes of a manufacturer token:
/// `MFR_TOKEN_DOMAIN || len(serial) as u8 || serial || nonce || expiry_utc (i64 big-endian)`.
pub fn manufacturer_token_message(
    serial: &str,
    nonce: &[u8; 16],
    expiry_utc: i64,
) -> heapless::Vec<u8, 128> {
    let mut m: heapless::Vec<u8, 128> = heapless::Vec::new();
    let s = serial.as_bytes();
    let s = s.get(..SERIAL_LEN.min(s.len())).unwrap_or(&[]);
    // Capacity 128 >= 34 + 1 + 32 + 16 + 8, so these cannot fail.
    let _ = m.extend_from_slice(MFR_TOKEN_DOMAIN);
    let _ = m.push(u8::try_from(s.len()).unwrap_or(0));
    let _ = m.extend_from_slice(s);
    let _ = m.extend_from_slice(nonce);
    let _ = m.extend_from_slice(&expiry_utc.to_be_bytes());
    m
}

/// Signs a manufacturer token (for the manufacturer's tooling, the hub's tests and ours).
pub fn sign_manufacturer_token(
    manufacturer_seed: &[u8; 32],
    serial: &str,
    nonce: [u8; 16],
    expiry_utc: i64,
) -> ManufacturerToken {
    let msg = manufacturer_token_message(serial, &nonce, expiry_utc);
    let signature = SigningKey::from_bytes(manufacturer_seed)
        .sign(&msg)
        .to_bytes();
    ManufacturerToken {
        nonce,
        expiry_utc,
        signature,
    }
}

impl ManufacturerToken {
    /// Whether the signature is valid for `serial` under `manufacturer_pubkey`.
    pub fn verify(&self, manufacturer_pubkey: &[u8; 32], serial: &str) -> bool {
        let msg = manufacturer_token_message(serial, &self.nonce, self.expiry_utc);
        verify_sig(manufacturer_pubkey, &msg, &self.signature)
    }
}

/// Domain separator of self-check reports.
pub const SELF_CHECK_DOMAIN: &[u8] = b"tumbler/lock/self-check/v1";

/// Self-check body: what the factory key signs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfCheckBody {
    /// Serial.
    pub serial: heapless::String<SERIAL_LEN>,
    /// Reset counter.
    pub reset_counter: u32,
    /// Caller's nonce.
    pub nonce: [u8; 16],
    /// Occupied user slots.
    pub users: u16,
    /// Stored credentials.
    pub credentials: u16,
    /// Paired controllers.
    pub controllers: u8,
    /// Setup mode.
    pub setup_mode: bool,
    /// Battery percent (`None`: not reported since power-on).
    pub battery_pct: Option<u8>,
    /// Battery above the reset threshold.
    pub battery_ok: bool,
    /// Motor not jammed.
    pub motor_ok: bool,
    /// Bolt state.
    pub bolt: BoltState,
    /// UTC seconds, if set.
    pub utc_s: Option<i64>,
    /// Monotonic ms.
    pub mono_ms: u64,
}

/// A signed self-check report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfCheckReport {
    /// Body.
    pub body: SelfCheckBody,
    /// Ed25519 signature by the factory identity key over `SELF_CHECK_DOMAIN || postcard(body)`.
    #[serde(with = "sig_serde")]
    pub signature: [u8; 64],
}

impl SelfCheckReport {
    pub(crate) fn sign(body: SelfCheckBody, factory: &FactoryData) -> SelfCheckReport {
        let mut buf = [0u8; 512];
        let n = signed_bytes(SELF_CHECK_DOMAIN, &body, &mut buf).unwrap_or(0);
        let signature = factory.sign(buf.get(..n).unwrap_or(&[]));
        SelfCheckReport { body, signature }
    }
    /// Verifies with the factory identity public key.
    pub fn verify(&self, identity_pubkey: &[u8; 32]) -> bool {
        let mut buf = [0u8; 512];
        match signed_bytes(SELF_CHECK_DOMAIN, &self.body, &mut buf) {
            Some(n) => verify_sig(
                identity_pubkey,
                buf.get(..n).unwrap_or(&[]),
                &self.signature,
            ),
            None => false,
        }
    }
    /// Whether the report shows a clean, unclaimed lock (a proven turnover).
    pub fn is_clean(&self) -> bool {
        let b = &self.body;
        b.users == 0
            && b.credentials == 0
            && b.controllers == 0
            && b.setup_mode
            && b.battery_ok
            && b.motor_ok
    }
}

mod sig_serde {
    //! serde for `[u8; 64]` (serde derives arrays only up to 32).
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let v: heapless::Vec<u8, 64> = Deserialize::deserialize(d)?;
        v.as_slice()
            .try_into()
            .map_err(|_| serde::de::Error::invalid_length(v.len(), &"64 bytes"))
    }
}
