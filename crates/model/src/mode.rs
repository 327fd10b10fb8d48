//! The lock's operating mode.

use serde::{Deserialize, Serialize};

/// Operating mode (Matter DoorLock `OperatingModeEnum`).
///
/// * `Normal` — every valid credential of a user whose type and schedule allow it.
/// * `Vacation` — keypad, card and fingerprint users are refused except admins;
///   remote operations still work.
/// * `Privacy` — "do not disturb": every exterior credential and every remote
///   lock/unlock is refused, admins included; only the interior thumb-turn
///   (and the mechanical key) operate the bolt. Leaving it takes an admin
///   controller's `SetOperatingMode`.
/// * `NoRemoteLockUnlock` — remote lock/unlock refused; local credentials work.
/// * `Passage` — the bolt is unlocked on entering the mode and stays unlocked
///   (auto-relock suspended) until the mode changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
#[non_exhaustive]
pub enum OperatingMode {
    /// Normal operation.
    #[default]
    Normal = 0,
    /// Only admins at the door; remote operation still works.
    Vacation = 1,
    /// Nobody from outside, and no remote lock/unlock.
    Privacy = 2,
    /// No remote lock/unlock.
    NoRemoteLockUnlock = 3,
    /// Stays unlocked.
    Passage = 4,
}
