//! Credentials: PIN, card UID, fingerprint slot, app key. PINs are secrets: redacted
//! `Debug`, zeroized on drop, and they only ever travel inside an encrypted envelope.

use serde::{Deserialize, Serialize};

pub use tumbler_model::{CredentialKind, Pin, PIN_MAX};

/// Longest card UID (ISO 14443 UIDs are 4, 7 or 10 bytes; some cards more).
pub const CARD_UID_MAX: usize = 16;

/// An RFID card UID.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CardUid(pub heapless::Vec<u8, CARD_UID_MAX>);

/// Where a credential lives: its kind and its 1-based slot among credentials of that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CredentialSlot {
    /// Kind of credential.
    pub kind: CredentialKind,
    /// 1-based index among credentials of that kind.
    pub index: u16,
}

/// A credential's data, as sent by [`super::Command::SetCredential`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Credential {
    /// A PIN (secret; the lock stores only a keyed hash).
    Pin(Pin),
    /// A card UID.
    Card(CardUid),
    /// A fingerprint template slot id in the sensor (enrolment happens at the sensor).
    Fingerprint {
        /// Sensor template slot.
        template: u16,
    },
    /// The Ed25519/X25519 public key of a phone.
    AppKey([u8; 32]),
}

impl Credential {
    /// The kind of this credential.
    pub fn kind(&self) -> CredentialKind {
        match self {
            Credential::Pin(_) => CredentialKind::Pin,
            Credential::Card(_) => CredentialKind::Card,
            Credential::Fingerprint { .. } => CredentialKind::Fingerprint,
            Credential::AppKey(_) => CredentialKind::AppKey,
        }
    }
}
