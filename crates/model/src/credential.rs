//! Credential kinds and the clear PIN carrier. A PIN is a secret: redacted `Debug`,
//! zeroized on drop; it travels only inside an encrypted envelope and the lock
//! hashes it on arrival (it is never stored or returned in the clear).

use core::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// Longest PIN that can be carried (the lock's own enrolment limits are settings, reported in
/// its capabilities). Longer than any accepted PIN so over-long input still reaches the lock's
/// validation and is refused there.
pub const PIN_MAX: usize = 16;

/// The kind of a credential (Matter `CredentialTypeEnum` subset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
#[non_exhaustive]
pub enum CredentialKind {
    /// Keypad PIN.
    Pin = 0,
    /// RFID card.
    Card = 1,
    /// Fingerprint template slot.
    Fingerprint = 2,
    /// Public key of a phone/app or paired controller.
    AppKey = 3,
}

impl CredentialKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [CredentialKind] = &[
        CredentialKind::Pin,
        CredentialKind::Card,
        CredentialKind::Fingerprint,
        CredentialKind::AppKey,
    ];

    /// The name people and the hub's database use (`pin`, `card`,
    /// `fingerprint`, `app_key`), written out here and pinned by a test.
    pub fn name(self) -> &'static str {
        match self {
            CredentialKind::Pin => "pin",
            CredentialKind::Card => "card",
            CredentialKind::Fingerprint => "fingerprint",
            CredentialKind::AppKey => "app_key",
        }
    }

    /// Parses [`CredentialKind::name`].
    pub fn from_name(s: &str) -> Option<CredentialKind> {
        CredentialKind::ALL.iter().copied().find(|k| k.name() == s)
    }
}

/// A PIN in the clear, as typed or as sent by a controller: ASCII bytes (digits expected).
/// Redacted in `Debug`, zeroized on drop. Encoded as a length-prefixed byte string.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin(heapless::Vec<u8, PIN_MAX>);

impl Pin {
    /// Wraps PIN bytes; `None` if longer than [`PIN_MAX`].
    pub fn new(bytes: &[u8]) -> Option<Self> {
        heapless::Vec::from_slice(bytes).ok().map(Pin)
    }

    /// The PIN bytes (handle with care: do not log).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The PIN bytes, for hashing (same as [`Pin::expose`]).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
    }
}
