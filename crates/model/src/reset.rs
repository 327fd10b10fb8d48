//! What triggered a factory reset (sealed into the reset record the factory key signs).

use serde::{Deserialize, Serialize};

/// What triggered a factory reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum ResetTrigger {
    /// Reset button held for the hold time.
    Button = 0,
    /// Admin PIN and the reset sequence at the keypad.
    Keypad = 1,
    /// Admin controller command.
    App = 2,
    /// Manufacturer reset token.
    Manufacturer = 3,
}
