//! Users and their credentials: the per-user-slot data (one persisted item
//! per slot), credential kinds, and the PIN type that carries a clear PIN
//! into the lock (it is hashed at once and never stored or returned).

use core::fmt;

use serde::{Deserialize, Serialize};

/// Credential kinds are the shared [`tumbler_model::CredentialKind`]; the lock's historical
/// name for it is kept.
pub use tumbler_model::CredentialKind as CredentialType;
pub use tumbler_model::{CredentialKind, CredentialRule, Pin, UserIndex, UserStatus, UserType};

use crate::config::{
    CREDENTIALS_PER_USER, MAX_CARD_UID, NAME_LEN, WEEK_DAY_SCHEDULES_PER_USER,
    YEAR_DAY_SCHEDULES_PER_USER,
};
use crate::schedule::{WeekDaySchedule, YearDaySchedule};

/// A paired controller's slot id, `1..=MAX_CONTROLLERS` (like a Matter fabric index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ControllerId(pub u8);

/// An RFID card UID (4, 7 or 10 bytes).
pub type CardUid = heapless::Vec<u8, MAX_CARD_UID>;

/// A credential as stored: a PIN only as its keyed hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredCredential {
    /// HMAC-SHA256 of the PIN under the lock's PIN secret.
    Pin([u8; 32]),
    /// Card UID.
    Card(CardUid),
    /// Fingerprint sensor template slot id.
    Fingerprint(u16),
    /// Ed25519 public key of a controller/phone.
    AppKey([u8; 32]),
}

impl fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoredCredential::Pin(_) => f.write_str("Pin(<hash>)"),
            StoredCredential::Card(u) => write!(f, "Card({u:02x?})"),
            StoredCredential::Fingerprint(s) => write!(f, "Fingerprint({s})"),
            StoredCredential::AppKey(k) => write!(f, "AppKey({:02x?}..)", k.get(..4)),
        }
    }
}

impl StoredCredential {
    /// This credential's kind.
    pub fn kind(&self) -> CredentialType {
        match self {
            StoredCredential::Pin(_) => CredentialType::Pin,
            StoredCredential::Card(_) => CredentialType::Card,
            StoredCredential::Fingerprint(_) => CredentialType::Fingerprint,
            StoredCredential::AppKey(_) => CredentialType::AppKey,
        }
    }
}

/// A credential to enrol, as carried by a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NewCredential {
    /// A PIN in the clear; hashed on arrival.
    Pin(Pin),
    /// A card UID.
    Card(CardUid),
    /// A fingerprint template slot.
    Fingerprint(u16),
    /// A controller public key.
    AppKey([u8; 32]),
}

impl NewCredential {
    /// This credential's kind.
    pub fn kind(&self) -> CredentialType {
        match self {
            NewCredential::Pin(_) => CredentialType::Pin,
            NewCredential::Card(_) => CredentialType::Card,
            NewCredential::Fingerprint(_) => CredentialType::Fingerprint,
            NewCredential::AppKey(_) => CredentialType::AppKey,
        }
    }
}

/// The user fields a controller sets (credentials and schedules have their own commands).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFields {
    /// Display name.
    pub name: heapless::String<NAME_LEN>,
    /// Enabled or disabled.
    pub status: UserStatus,
    /// Access type.
    pub user_type: UserType,
    /// Single or two-factor.
    pub rule: CredentialRule,
}

impl UserFields {
    /// An enabled user of the given type with a single-factor rule.
    pub fn new(name: &str, user_type: UserType) -> UserFields {
        let mut n = heapless::String::new();
        for c in name.chars() {
            if n.push(c).is_err() {
                break;
            }
        }
        UserFields {
            name: n,
            status: UserStatus::Enabled,
            user_type,
            rule: CredentialRule::Single,
        }
    }
}

/// One occupied user slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Name, status, type, rule.
    pub fields: UserFields,
    /// Controller that created the user; `None` = created at the keypad or
    /// its creator has been unpaired.
    pub creator: Option<ControllerId>,
    /// Controller that last changed the user; `None` = the keypad.
    pub modifier: Option<ControllerId>,
    /// Credential slots.
    pub credentials: [Option<StoredCredential>; CREDENTIALS_PER_USER],
    /// Week-day schedule slots.
    pub week_days: [Option<WeekDaySchedule>; WEEK_DAY_SCHEDULES_PER_USER],
    /// Year-day schedule slots.
    pub year_days: [Option<YearDaySchedule>; YEAR_DAY_SCHEDULES_PER_USER],
    /// First successful use (UTC), for expiring users.
    pub first_use_utc: Option<i64>,
}

impl User {
    /// A new user with no credentials or schedules.
    pub fn new(fields: UserFields, creator: Option<ControllerId>) -> User {
        User {
            fields,
            creator,
            modifier: creator,
            credentials: Default::default(),
            week_days: Default::default(),
            year_days: Default::default(),
            first_use_utc: None,
        }
    }
    /// Number of occupied credential slots.
    pub fn credential_count(&self) -> usize {
        self.credentials.iter().filter(|c| c.is_some()).count()
    }
}
