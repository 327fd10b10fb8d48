//! The lock's beep volume (a setting the wire reads and writes as it is).

use serde::{Deserialize, Serialize};

/// Sound volume of the lock's beeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Volume {
    /// No sound (LED only).
    Silent = 0,
    /// Quiet.
    Low = 1,
    /// Loud.
    #[default]
    High = 2,
}
