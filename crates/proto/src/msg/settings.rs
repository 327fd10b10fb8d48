//! Lock settings and operating mode.

use serde::{Deserialize, Serialize};

pub use tumbler_model::{OperatingMode, Volume};

/// How a lock in setup mode may be claimed (DESIGN §2.2 "Setup mode").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SetupPolicy {
    /// Only by PAKE on the printed setup code (secure default).
    SetupCodeOnly,
    /// Setup code, or an admin enrolled at the keypad after pressing the interior program button.
    SetupCodeOrKeypadAdmin,
    /// Compatibility: a default PIN opens the door until the first admin is enrolled (warns).
    DefaultPinUntilAdmin,
}

/// All lock settings, read and written as one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Settings {
    /// Seconds after an unlock before relocking; 0 = never.
    pub auto_relock_s: u32,
    /// Wrong code entries before the keypad is disabled (default 5).
    pub wrong_code_limit: u8,
    /// Seconds the keypad stays disabled after the limit (default 60, escalating).
    pub disable_time_s: u16,
    /// Sound volume.
    pub volume: Volume,
    /// Whether programming at the keypad is allowed.
    pub local_programming: bool,
    /// Whether an admin controller may factory-reset the lock remotely.
    pub app_reset_allowed: bool,
    /// Seconds the reset button must be held for a factory reset (3..=30, default 10).
    pub reset_hold_s: u8,
    /// How the lock may be claimed in setup mode.
    pub setup_policy: SetupPolicy,
    /// Whether a remote lock or unlock requires a PIN (Matter `RequirePINforRemoteOperation`).
    pub require_pin_for_remote: bool,
    /// Whether `#` alone at the keypad locks without a code (Matter `EnableOneTouchLocking`).
    pub one_touch_locking: bool,
    /// Whether the inside status LED shows the bolt state (Matter `EnableInsideStatusLED`).
    pub status_led: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auto_relock_s: 30,
            wrong_code_limit: 5,
            disable_time_s: 60,
            volume: Volume::Low,
            local_programming: true,
            app_reset_allowed: true,
            reset_hold_s: 10,
            setup_policy: SetupPolicy::SetupCodeOnly,
            require_pin_for_remote: false,
            one_touch_locking: true,
            status_led: true,
        }
    }
}
