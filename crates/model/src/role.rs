//! A paired controller's rights on a lock.

use serde::{Deserialize, Serialize};

/// A controller's rights on a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Role {
    /// May do everything, including pairing others, users, settings and factory reset.
    Admin = 0,
    /// May operate the lock (lock/unlock) and read its status; nothing that changes who gets in.
    User = 1,
}
