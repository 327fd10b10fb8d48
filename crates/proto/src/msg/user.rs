//! Users: index, name, status, type and credential rule (Matter DoorLock user model).

use serde::{Deserialize, Serialize};

use super::ControllerId;

/// Maximum length of a user name or a controller label, in bytes (UTF-8).
pub const NAME_MAX: usize = 32;

/// A short UTF-8 name (user name, controller label).
pub type Name = heapless::String<NAME_MAX>;

/// A user slot on the lock, 1-based (1..=max_users from [`super::Capabilities`]).
pub type UserIndex = u16;

/// Whether a user may currently use their credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserStatus {
    /// Credentials work (subject to the user type and schedules).
    Enabled,
    /// Kept on the lock, but no credential of this user opens the door.
    Disabled,
}

/// What kind of access a user has (Matter `UserTypeEnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum UserType {
    /// Always allowed.
    Unrestricted,
    /// Allowed during the user's week-day schedules.
    WeekDaySchedule,
    /// Allowed during the user's year-day schedules.
    YearDaySchedule,
    /// One successful use, then disabled.
    OneTime,
    /// Allowed until the end of the user's year-day schedule, then removed.
    Expiring,
    /// Known to the lock but never allowed in (e.g. logged for audit).
    NonAccess,
    /// Only remote operation (through a controller), no local credential.
    RemoteOnly,
    /// Programming / admin user: may program the lock at the keypad.
    Admin,
    /// Opens the door but raises a silent duress alarm.
    Duress,
}

/// How many credential factors a user must present.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CredentialRule {
    /// Any one of the user's credentials.
    Single,
    /// Two different credentials of the user (e.g. card + PIN).
    TwoFactor,
}

/// A user as set by [`super::Command::SetUser`] and read by [`super::Command::GetUser`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Slot, 1-based.
    pub index: UserIndex,
    /// Display name.
    pub name: Name,
    /// Enabled or disabled.
    pub status: UserStatus,
    /// Kind of access.
    pub user_type: UserType,
    /// Single or two-factor.
    pub credential_rule: CredentialRule,
    /// Controller that created the user (Matter: creator fabric); set by the lock, ignored on set.
    pub created_by: Option<ControllerId>,
    /// Controller that last changed the user; set by the lock, ignored on set.
    pub modified_by: Option<ControllerId>,
}
