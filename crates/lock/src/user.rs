//! Users and their credentials: the per-user-slot data (one persisted item
//! per slot), credential kinds, and the PIN type that carries a clear PIN
//! into the lock (it is hashed at once and never stored or returned).

use core::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::config::{
    CREDENTIALS_PER_USER, MAX_CARD_UID, NAME_LEN, WEEK_DAY_SCHEDULES_PER_USER,
    YEAR_DAY_SCHEDULES_PER_USER,
};
use crate::schedule::{WeekDaySchedule, YearDaySchedule};

/// A user slot index, `1..=MAX_USERS` (Matter user index).
pub type UserIndex = u16;

/// A paired controller's slot id, `1..=MAX_CONTROLLERS` (like a Matter fabric index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ControllerId(pub u8);

/// User status (Matter `UserStatusEnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum UserStatus {
    /// Credentials open the door (subject to type and schedules).
    #[default]
    Enabled,
    /// Credentials are kept but open nothing.
    Disabled,
}

/// User type (Matter `UserTypeEnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum UserType {
    /// Any time.
    #[default]
    Unrestricted,
    /// Only inside one of the user's week-day schedules (local time).
    WeekDaySchedule,
    /// Only inside one of the user's year-day schedules (UTC window).
    YearDaySchedule,
    /// Opens once; the user slot is cleared after that use.
    OneTime,
    /// Valid for `Settings::expiring_user_min` after its first use.
    Expiring,
    /// Never opens (e.g. a credential kept for notifications).
    NonAccess,
    /// Its credentials work only through a remote operation (PIN with a remote unlock).
    RemoteOnly,
    /// Admin/programming user: always opens and may program at the keypad.
    Admin,
    /// Opens, and raises a silent duress alarm event.
    Duress,
}

/// How many factors a user must present.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CredentialRule {
    /// Any one credential.
    #[default]
    Single,
    /// A card (or fingerprint) and a PIN of the same user within
    /// [`crate::config::TWO_FACTOR_WINDOW_MS`], in either order.
    CardAndPin,
}

/// Credential kinds (Matter `CredentialTypeEnum` subset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialType {
    /// Keypad PIN.
    Pin,
    /// RFID card.
    Card,
    /// Fingerprint template slot.
    Fingerprint,
    /// A paired controller's public key.
    AppKey,
}

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

/// A PIN in the clear as typed or as sent by a controller (proto decrypts
/// it). Holds up to 16 bytes so over-long input still reaches the lock's
/// validation; zeroized on drop; `Debug` is redacted.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pin(heapless::Vec<u8, 16>);

impl Pin {
    /// Wraps the bytes (ASCII digits expected); `None` if longer than 16 bytes.
    pub fn new(bytes: &[u8]) -> Option<Pin> {
        heapless::Vec::from_slice(bytes).ok().map(Pin)
    }
    /// The bytes (for hashing).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

impl Serialize for Pin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Pin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: heapless::Vec<u8, 16> = Deserialize::deserialize(d)?;
        Ok(Pin(v))
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
