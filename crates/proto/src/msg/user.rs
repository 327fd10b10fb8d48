//! Users: index, name, status, type and credential rule (Matter DoorLock user model).

use serde::{Deserialize, Serialize};

use super::ControllerId;

pub use tumbler_model::{CredentialRule, UserIndex, UserStatus, UserType};

/// Maximum length of a user name or a controller label, in bytes (UTF-8).
pub const NAME_MAX: usize = 32;

/// A short UTF-8 name (user name, controller label).
pub type Name = heapless::String<NAME_MAX>;

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
