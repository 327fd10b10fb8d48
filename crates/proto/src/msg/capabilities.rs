//! Capabilities and code constraints, discoverable by the hub (like TTLock's feature
//! value and Seam's code constraints).

use serde::{Deserialize, Serialize};

/// Which credential types the lock supports, as bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CredentialTypes(pub u8);

impl CredentialTypes {
    /// Keypad PINs.
    pub const PIN: u8 = 1 << 0;
    /// RFID cards.
    pub const CARD: u8 = 1 << 1;
    /// Fingerprints.
    pub const FINGERPRINT: u8 = 1 << 2;
    /// App keys.
    pub const APP_KEY: u8 = 1 << 3;

    /// Whether every bit in `bits` is set.
    pub fn contains(self, bits: u8) -> bool {
        self.0 & bits == bits
    }
}

/// Characters a PIN may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PinAlphabet {
    /// 0-9.
    Digits,
    /// 0-9, `*` and `#`.
    DigitsStarHash,
}

/// Trivial PIN patterns the lock refuses, as bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TrivialPinRules(pub u8);

impl TrivialPinRules {
    /// One digit repeated (`0000`).
    pub const REPEATED: u8 = 1 << 0;
    /// Ascending or descending run (`1234`, `4321`).
    pub const SEQUENTIAL: u8 = 1 << 1;
    /// The compatibility default PIN (`123456`) once an admin exists.
    pub const DEFAULT_PIN: u8 = 1 << 2;
}

/// Capabilities and code constraints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Capabilities {
    /// Supported credential types.
    pub credential_types: CredentialTypes,
    /// Number of user slots.
    pub max_users: u16,
    /// Credentials per user.
    pub max_credentials_per_user: u8,
    /// Week-day schedules per user.
    pub week_day_schedules_per_user: u8,
    /// Year-day schedules per user.
    pub year_day_schedules_per_user: u8,
    /// Holiday schedules.
    pub holiday_schedules: u8,
    /// Paired controllers.
    pub max_controllers: u8,
    /// Shortest PIN.
    pub pin_min_len: u8,
    /// Longest PIN.
    pub pin_max_len: u8,
    /// Allowed PIN characters.
    pub pin_alphabet: PinAlphabet,
    /// Forbidden trivial PINs.
    pub trivial_pins: TrivialPinRules,
    /// Whether two users may never share a PIN (always true for Tumbler).
    pub pins_unique: bool,
}
