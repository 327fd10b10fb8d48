//! Users: slot index, status, type and credential rule (Matter DoorLock user model).

use serde::{Deserialize, Serialize};

/// A user slot on the lock, 1-based (`1..=MAX_USERS`, the Matter user index).
pub type UserIndex = u16;

/// Whether a user may currently use their credentials (Matter `UserStatusEnum`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum UserStatus {
    /// Credentials open the door (subject to the user type and schedules).
    #[default]
    Enabled = 0,
    /// Kept on the lock, but no credential of this user opens the door.
    Disabled = 1,
}

/// What kind of access a user has (Matter `UserTypeEnum`). The lock enforces it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
#[non_exhaustive]
pub enum UserType {
    /// Any time.
    #[default]
    Unrestricted = 0,
    /// Only inside one of the user's week-day schedules (local time).
    WeekDaySchedule = 1,
    /// Only inside one of the user's year-day schedules (UTC window).
    YearDaySchedule = 2,
    /// Opens once; the lock clears the user slot after that use.
    OneTime = 3,
    /// Valid for the lock's `expiring_user_min` setting after its first use.
    Expiring = 4,
    /// Known to the lock but never opens (e.g. kept for notifications or audit).
    NonAccess = 5,
    /// Its credentials work only through a remote operation (a PIN with a remote unlock).
    RemoteOnly = 6,
    /// Admin/programming user: always opens and may program the lock at the keypad.
    Admin = 7,
    /// Opens, and raises a silent duress alarm.
    Duress = 8,
}

/// How many credential factors a user must present.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum CredentialRule {
    /// Any one of the user's credentials.
    #[default]
    Single = 0,
    /// Two factors: a card (or fingerprint) and a PIN of the same user within the lock's
    /// two-factor window, in either order.
    TwoFactor = 1,
}
