//! Lock settings (one persisted item) with defaults, ranges and validation.

use serde::{Deserialize, Serialize};

use crate::config::{MAX_PIN_LEN, MIN_PIN_LEN};

pub use tumbler_model::{OperatingMode, Volume};

/// What a lock in setup mode (no admin yet) lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SetupPolicy {
    /// Default: nothing opens from outside; claim with the setup code or
    /// keypad enrolment after the program button.
    #[default]
    Secure,
    /// Vendor compatibility: [`crate::config::COMPAT_DEFAULT_PIN`] opens the
    /// door until the first admin is enrolled; a warning event is raised
    /// each time it is used.
    CompatDefaultPin,
}

/// All settings. Changed one at a time with [`Setting`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Seconds after an unlock before the bolt relocks; 0 = never.
    pub auto_relock_s: u32,
    /// Current operating mode.
    pub mode: OperatingMode,
    /// Wrong code entries before the keypad is disabled (1..=20).
    pub wrong_code_limit: u8,
    /// First temporary-disable time in seconds (1..=3600); doubles on each
    /// further lockout up to [`crate::config::LOCKOUT_MAX_FACTOR`] times.
    pub temp_disable_s: u16,
    /// Beep volume.
    pub volume: Volume,
    /// Whether programming at the keypad (incl. the keypad factory reset) is allowed.
    pub local_programming: bool,
    /// Whether an admin controller may factory-reset the lock.
    pub app_reset_allowed: bool,
    /// Hold time of the reset button for a factory reset, seconds (3..=30).
    pub reset_hold_s: u8,
    /// Setup-mode policy. Kept across factory resets (it governs the state after one).
    pub setup_policy: SetupPolicy,
    /// Whether a remote lock or unlock must carry a valid PIN (`RequirePINforRemoteOperation`).
    pub require_pin_for_remote: bool,
    /// Shortest PIN accepted at enrolment.
    pub pin_min_len: u8,
    /// Longest PIN accepted at enrolment.
    pub pin_max_len: u8,
    /// Refuse trivial PINs (all one digit, ascending/descending runs).
    pub forbid_trivial_pins: bool,
    /// Battery percentage below which factory resets are refused (0..=100).
    pub reset_battery_min_pct: u8,
    /// Battery percentage below which a low-battery alarm is raised.
    pub low_battery_pct: u8,
    /// Seconds the door may stay open before the door-ajar alarm.
    pub door_ajar_s: u16,
    /// Minutes an expiring user stays valid after first use.
    pub expiring_user_min: u16,
    /// Whether `#` alone at the keypad locks without a code (Matter `EnableOneTouchLocking`).
    pub one_touch_locking: bool,
    /// Whether the inside status LED shows the bolt state (Matter `EnableInsideStatusLED`).
    pub status_led: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auto_relock_s: 30,
            mode: OperatingMode::Normal,
            wrong_code_limit: 5,
            temp_disable_s: 60,
            volume: Volume::High,
            local_programming: true,
            app_reset_allowed: true,
            reset_hold_s: 10,
            setup_policy: SetupPolicy::Secure,
            require_pin_for_remote: false,
            pin_min_len: 4,
            pin_max_len: 8,
            forbid_trivial_pins: true,
            reset_battery_min_pct: 20,
            low_battery_pct: 25,
            door_ajar_s: 60,
            expiring_user_min: 24 * 60,
            one_touch_locking: true,
            status_led: true,
        }
    }
}

/// The settings item as written before one-touch locking and the LED were settings:
/// read at boot so a lock's stored settings survive the firmware update.
#[derive(Deserialize)]
struct SettingsV1 {
    auto_relock_s: u32,
    mode: OperatingMode,
    wrong_code_limit: u8,
    temp_disable_s: u16,
    volume: Volume,
    local_programming: bool,
    app_reset_allowed: bool,
    reset_hold_s: u8,
    setup_policy: SetupPolicy,
    require_pin_for_remote: bool,
    pin_min_len: u8,
    pin_max_len: u8,
    forbid_trivial_pins: bool,
    reset_battery_min_pct: u8,
    low_battery_pct: u8,
    door_ajar_s: u16,
    expiring_user_min: u16,
}

impl Settings {
    /// Decodes the settings item: the current layout, or the one before one-touch
    /// locking and the LED (those two then take their defaults).
    pub fn from_item(bytes: &[u8]) -> Option<Settings> {
        if let Ok(s) = postcard::from_bytes::<Settings>(bytes) {
            return Some(s);
        }
        let o: SettingsV1 = postcard::from_bytes(bytes).ok()?;
        let d = Settings::default();
        Some(Settings {
            auto_relock_s: o.auto_relock_s,
            mode: o.mode,
            wrong_code_limit: o.wrong_code_limit,
            temp_disable_s: o.temp_disable_s,
            volume: o.volume,
            local_programming: o.local_programming,
            app_reset_allowed: o.app_reset_allowed,
            reset_hold_s: o.reset_hold_s,
            setup_policy: o.setup_policy,
            require_pin_for_remote: o.require_pin_for_remote,
            pin_min_len: o.pin_min_len,
            pin_max_len: o.pin_max_len,
            forbid_trivial_pins: o.forbid_trivial_pins,
            reset_battery_min_pct: o.reset_battery_min_pct,
            low_battery_pct: o.low_battery_pct,
            door_ajar_s: o.door_ajar_s,
            expiring_user_min: o.expiring_user_min,
            one_touch_locking: d.one_touch_locking,
            status_led: d.status_led,
        })
    }
}

/// Why a [`Setting`] was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingError {
    /// The value is outside the documented range.
    OutOfRange,
}

/// One setting change, as sent by an admin controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Setting {
    /// See [`Settings::auto_relock_s`] (0..=86400).
    AutoRelockS(u32),
    /// See [`Settings::wrong_code_limit`].
    WrongCodeLimit(u8),
    /// See [`Settings::temp_disable_s`].
    TempDisableS(u16),
    /// See [`Settings::volume`].
    Volume(Volume),
    /// See [`Settings::local_programming`].
    LocalProgramming(bool),
    /// See [`Settings::app_reset_allowed`].
    AppResetAllowed(bool),
    /// See [`Settings::reset_hold_s`].
    ResetHoldS(u8),
    /// See [`Settings::setup_policy`].
    SetupPolicy(SetupPolicy),
    /// See [`Settings::require_pin_for_remote`].
    RequirePinForRemote(bool),
    /// Minimum and maximum PIN length (`MIN_PIN_LEN <= min <= max <= MAX_PIN_LEN`).
    PinLength {
        /// Shortest.
        min: u8,
        /// Longest.
        max: u8,
    },
    /// See [`Settings::forbid_trivial_pins`].
    ForbidTrivialPins(bool),
    /// See [`Settings::reset_battery_min_pct`].
    ResetBatteryMinPct(u8),
    /// See [`Settings::low_battery_pct`].
    LowBatteryPct(u8),
    /// See [`Settings::door_ajar_s`] (1..).
    DoorAjarS(u16),
    /// See [`Settings::expiring_user_min`] (1..).
    ExpiringUserMin(u16),
    /// See [`Settings::one_touch_locking`].
    OneTouchLocking(bool),
    /// See [`Settings::status_led`].
    StatusLed(bool),
}

impl Settings {
    /// Applies one change after checking its range; on error `self` is unchanged.
    pub fn apply(&mut self, s: Setting) -> Result<(), SettingError> {
        let ok = match s {
            Setting::AutoRelockS(v) => v <= 86_400,
            Setting::WrongCodeLimit(v) => (1..=20).contains(&v),
            Setting::TempDisableS(v) => (1..=3600).contains(&v),
            Setting::ResetHoldS(v) => (3..=30).contains(&v),
            Setting::PinLength { min, max } => {
                usize::from(min) >= MIN_PIN_LEN && min <= max && usize::from(max) <= MAX_PIN_LEN
            }
            Setting::ResetBatteryMinPct(v) | Setting::LowBatteryPct(v) => v <= 100,
            Setting::DoorAjarS(v) | Setting::ExpiringUserMin(v) => v >= 1,
            Setting::Volume(_)
            | Setting::LocalProgramming(_)
            | Setting::AppResetAllowed(_)
            | Setting::SetupPolicy(_)
            | Setting::RequirePinForRemote(_)
            | Setting::ForbidTrivialPins(_)
            | Setting::OneTouchLocking(_)
            | Setting::StatusLed(_) => true,
        };
        if !ok {
            return Err(SettingError::OutOfRange);
        }
        match s {
            Setting::AutoRelockS(v) => self.auto_relock_s = v,
            Setting::WrongCodeLimit(v) => self.wrong_code_limit = v,
            Setting::TempDisableS(v) => self.temp_disable_s = v,
            Setting::Volume(v) => self.volume = v,
            Setting::LocalProgramming(v) => self.local_programming = v,
            Setting::AppResetAllowed(v) => self.app_reset_allowed = v,
            Setting::ResetHoldS(v) => self.reset_hold_s = v,
            Setting::SetupPolicy(v) => self.setup_policy = v,
            Setting::RequirePinForRemote(v) => self.require_pin_for_remote = v,
            Setting::PinLength { min, max } => {
                self.pin_min_len = min;
                self.pin_max_len = max;
            }
            Setting::ForbidTrivialPins(v) => self.forbid_trivial_pins = v,
            Setting::ResetBatteryMinPct(v) => self.reset_battery_min_pct = v,
            Setting::LowBatteryPct(v) => self.low_battery_pct = v,
            Setting::DoorAjarS(v) => self.door_ajar_s = v,
            Setting::ExpiringUserMin(v) => self.expiring_user_min = v,
            Setting::OneTouchLocking(v) => self.one_touch_locking = v,
            Setting::StatusLed(v) => self.status_led = v,
        }
        Ok(())
    }

    /// Whether `s` loosens a guard that may be loosened only at the door
    /// (docs/design/threat-model.md "Loosened only at the door"): turning app
    /// reset or keypad programming back on, or dropping the PIN for remote
    /// operation. A remote controller may tighten these, never loosen them: a
    /// stolen admin phone or a compromised hub must not reopen the path to a
    /// remote wipe or a PIN-less remote unlock.
    pub fn loosens(&self, s: &Setting) -> bool {
        match *s {
            Setting::AppResetAllowed(v) => v && !self.app_reset_allowed,
            Setting::LocalProgramming(v) => v && !self.local_programming,
            Setting::RequirePinForRemote(v) => !v && self.require_pin_for_remote,
            _ => false,
        }
    }

    /// The one-setting changes that turn `self` into `want`, every field but
    /// the operating mode (changed by its own command).
    pub fn changes_to(&self, want: &Settings) -> heapless::Vec<Setting, 20> {
        let mut v = heapless::Vec::new();
        let mut push = |changed: bool, s: Setting| {
            if changed {
                // 17 kinds of change fit in 20.
                let _ = v.push(s);
            }
        };
        let (a, b) = (self, want);
        push(
            a.auto_relock_s != b.auto_relock_s,
            Setting::AutoRelockS(b.auto_relock_s),
        );
        push(
            a.wrong_code_limit != b.wrong_code_limit,
            Setting::WrongCodeLimit(b.wrong_code_limit),
        );
        push(
            a.temp_disable_s != b.temp_disable_s,
            Setting::TempDisableS(b.temp_disable_s),
        );
        push(a.volume != b.volume, Setting::Volume(b.volume));
        push(
            a.local_programming != b.local_programming,
            Setting::LocalProgramming(b.local_programming),
        );
        push(
            a.app_reset_allowed != b.app_reset_allowed,
            Setting::AppResetAllowed(b.app_reset_allowed),
        );
        push(
            a.reset_hold_s != b.reset_hold_s,
            Setting::ResetHoldS(b.reset_hold_s),
        );
        push(
            a.setup_policy != b.setup_policy,
            Setting::SetupPolicy(b.setup_policy),
        );
        push(
            a.require_pin_for_remote != b.require_pin_for_remote,
            Setting::RequirePinForRemote(b.require_pin_for_remote),
        );
        push(
            a.pin_min_len != b.pin_min_len || a.pin_max_len != b.pin_max_len,
            Setting::PinLength {
                min: b.pin_min_len,
                max: b.pin_max_len,
            },
        );
        push(
            a.forbid_trivial_pins != b.forbid_trivial_pins,
            Setting::ForbidTrivialPins(b.forbid_trivial_pins),
        );
        push(
            a.reset_battery_min_pct != b.reset_battery_min_pct,
            Setting::ResetBatteryMinPct(b.reset_battery_min_pct),
        );
        push(
            a.low_battery_pct != b.low_battery_pct,
            Setting::LowBatteryPct(b.low_battery_pct),
        );
        push(
            a.door_ajar_s != b.door_ajar_s,
            Setting::DoorAjarS(b.door_ajar_s),
        );
        push(
            a.expiring_user_min != b.expiring_user_min,
            Setting::ExpiringUserMin(b.expiring_user_min),
        );
        push(
            a.one_touch_locking != b.one_touch_locking,
            Setting::OneTouchLocking(b.one_touch_locking),
        );
        push(
            a.status_led != b.status_led,
            Setting::StatusLed(b.status_led),
        );
        v
    }
}
