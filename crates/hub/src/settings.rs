//! Lock settings as the hub names them: one table ([`SETTINGS`]) of API name, Matter
//! DoorLock attribute, kind and range, used by the API, the service, the stored copy of
//! what a lock reported and the CLI. Names are written once here and pinned by a test;
//! the wire record (`tumbler_proto::Settings`) is converted field by field, never by
//! reflection.

use serde_json::{Map, Value};
use tumbler_control::proto::{OperatingMode, Settings, Volume};

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// A whole number in `min..=max`, in `unit`.
    Number {
        /// Smallest.
        min: u32,
        /// Largest.
        max: u32,
        /// `seconds`, `codes`.
        unit: &'static str,
    },
    /// `true` or `false`.
    Bool,
    /// One of the names.
    Choice(&'static [&'static str]),
}

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingSpec {
    /// The API and CLI name (stable, stored).
    pub name: &'static str,
    /// The Matter DoorLock attribute, where one exists.
    pub matter: Option<&'static str>,
    /// Its values.
    pub kind: SettingKind,
    /// The change the lock accepts only at the door (keypad admin menu), if any.
    pub door_only: Option<&'static str>,
    /// One line for people.
    pub about: &'static str,
}

/// The operating mode's name: it travels by its own operation (`set_operating_mode`).
pub const OPERATING_MODE: &str = "operating_mode";

const VOLUMES: &[&str] = &["silent", "low", "high"];
const MODES: &[&str] = &[
    "normal",
    "vacation",
    "privacy",
    "no_remote_lock_unlock",
    "passage",
];

/// Every setting a person reads and changes, in display order.
pub const SETTINGS: &[SettingSpec] = &[
    SettingSpec {
        name: "auto_relock_time",
        matter: Some("AutoRelockTime"),
        kind: SettingKind::Number {
            min: 0,
            max: 86_400,
            unit: "seconds",
        },
        door_only: None,
        about: "seconds after an unlock before the bolt relocks; 0 = never",
    },
    SettingSpec {
        name: "sound_volume",
        matter: Some("SoundVolume"),
        kind: SettingKind::Choice(VOLUMES),
        door_only: None,
        about: "beep volume",
    },
    SettingSpec {
        name: "wrong_code_entry_limit",
        matter: Some("WrongCodeEntryLimit"),
        kind: SettingKind::Number {
            min: 1,
            max: 20,
            unit: "codes",
        },
        door_only: None,
        about: "wrong codes before the keypad is disabled",
    },
    SettingSpec {
        name: "user_code_temporary_disable_time",
        matter: Some("UserCodeTemporaryDisableTime"),
        kind: SettingKind::Number {
            min: 1,
            max: 3600,
            unit: "seconds",
        },
        door_only: None,
        about: "first lockout time after the wrong-code limit (doubles on repeats)",
    },
    SettingSpec {
        name: "reset_button_hold_time",
        matter: None,
        kind: SettingKind::Number {
            min: 3,
            max: 30,
            unit: "seconds",
        },
        door_only: None,
        about: "how long the reset button is held for a factory reset",
    },
    SettingSpec {
        name: "app_reset_allowed",
        matter: None,
        kind: SettingKind::Bool,
        door_only: Some("true"),
        about: "whether an admin app (or the hub) may factory-reset the lock",
    },
    SettingSpec {
        name: "enable_local_programming",
        matter: Some("EnableLocalProgramming"),
        kind: SettingKind::Bool,
        door_only: Some("true"),
        about: "keypad programming and the keypad factory reset",
    },
    SettingSpec {
        name: "require_pin_for_remote_operation",
        matter: Some("RequirePINforRemoteOperation"),
        kind: SettingKind::Bool,
        door_only: Some("false"),
        about: "a remote lock or unlock must carry a valid PIN",
    },
    SettingSpec {
        name: "enable_one_touch_locking",
        matter: Some("EnableOneTouchLocking"),
        kind: SettingKind::Bool,
        door_only: None,
        about: "`#` alone at the keypad locks without a code",
    },
    SettingSpec {
        name: "enable_inside_status_led",
        matter: Some("EnableInsideStatusLED"),
        kind: SettingKind::Bool,
        door_only: None,
        about: "the inside LED shows the bolt state",
    },
    SettingSpec {
        name: OPERATING_MODE,
        matter: Some("OperatingMode"),
        kind: SettingKind::Choice(MODES),
        door_only: None,
        about: "normal, vacation (admins only at the door), privacy, passage (stays open)",
    },
];

/// The setting called `name`.
pub fn spec(name: &str) -> Option<&'static SettingSpec> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// Every name, comma separated (for error messages).
pub fn names() -> String {
    SETTINGS
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl SettingSpec {
    /// Its range in words: `0..=86400 seconds`, `true or false`, `one of low, high`.
    pub fn range(&self) -> String {
        match self.kind {
            SettingKind::Number { min, max, unit } => format!("{min}..={max} {unit}"),
            SettingKind::Bool => "true or false".into(),
            SettingKind::Choice(c) => format!("one of {}", c.join(", ")),
        }
    }

    /// Checks a JSON value; `Err` says what is allowed.
    pub fn check(&self, v: &Value) -> Result<Value, String> {
        let bad = || format!("{}: {}", self.name, self.range());
        match self.kind {
            SettingKind::Number { min, max, .. } => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| (min..=max).contains(n))
                .map(Value::from)
                .ok_or_else(bad),
            SettingKind::Bool => v.as_bool().map(Value::from).ok_or_else(bad),
            SettingKind::Choice(c) => v
                .as_str()
                .filter(|s| c.contains(s))
                .map(Value::from)
                .ok_or_else(bad),
        }
    }

    /// Parses a value typed on a command line (`60`, `true`, `low`), then checks it.
    pub fn parse_text(&self, text: &str) -> Result<Value, String> {
        let t = text.trim();
        let v = match self.kind {
            SettingKind::Number { .. } => t.parse::<u64>().map(Value::from).ok(),
            SettingKind::Bool => match t {
                "true" | "on" | "yes" => Some(Value::Bool(true)),
                "false" | "off" | "no" => Some(Value::Bool(false)),
                _ => None,
            },
            SettingKind::Choice(_) => Some(Value::from(t)),
        };
        v.map_or_else(
            || Err(format!("{}: {}", self.name, self.range())),
            |v| self.check(&v),
        )
    }
}

fn volume_name(v: Volume) -> &'static str {
    match v {
        Volume::Silent => "silent",
        Volume::Low => "low",
        _ => "high",
    }
}

fn volume(name: &str) -> Option<Volume> {
    Some(match name {
        "silent" => Volume::Silent,
        "low" => Volume::Low,
        "high" => Volume::High,
        _ => return None,
    })
}

/// An operating mode by its setting name.
pub fn operating_mode(name: &str) -> Option<OperatingMode> {
    Some(match name {
        "normal" => OperatingMode::Normal,
        "vacation" => OperatingMode::Vacation,
        "privacy" => OperatingMode::Privacy,
        "no_remote_lock_unlock" => OperatingMode::NoRemoteLockUnlock,
        "passage" => OperatingMode::Passage,
        _ => return None,
    })
}

/// A wire settings record as named values (every setting but the operating mode).
pub fn to_named(s: &Settings) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_owned(), v);
    };
    put("auto_relock_time", s.auto_relock_s.into());
    put("sound_volume", volume_name(s.volume).into());
    put("wrong_code_entry_limit", s.wrong_code_limit.into());
    put("user_code_temporary_disable_time", s.disable_time_s.into());
    put("reset_button_hold_time", s.reset_hold_s.into());
    put("app_reset_allowed", s.app_reset_allowed.into());
    put("enable_local_programming", s.local_programming.into());
    put(
        "require_pin_for_remote_operation",
        s.require_pin_for_remote.into(),
    );
    put("enable_one_touch_locking", s.one_touch_locking.into());
    put("enable_inside_status_led", s.status_led.into());
    m
}

/// Sets one named, already checked value on a wire record; false for the operating mode
/// or a value of the wrong shape (nothing changed then).
pub fn apply(s: &mut Settings, name: &str, v: &Value) -> bool {
    let num = || v.as_u64();
    let flag = v.as_bool();
    match name {
        "auto_relock_time" => num()
            .and_then(|n| u32::try_from(n).ok())
            .map(|n| s.auto_relock_s = n),
        "sound_volume" => v.as_str().and_then(volume).map(|x| s.volume = x),
        "wrong_code_entry_limit" => num()
            .and_then(|n| u8::try_from(n).ok())
            .map(|n| s.wrong_code_limit = n),
        "user_code_temporary_disable_time" => num()
            .and_then(|n| u16::try_from(n).ok())
            .map(|n| s.disable_time_s = n),
        "reset_button_hold_time" => num()
            .and_then(|n| u8::try_from(n).ok())
            .map(|n| s.reset_hold_s = n),
        "app_reset_allowed" => flag.map(|b| s.app_reset_allowed = b),
        "enable_local_programming" => flag.map(|b| s.local_programming = b),
        "require_pin_for_remote_operation" => flag.map(|b| s.require_pin_for_remote = b),
        "enable_one_touch_locking" => flag.map(|b| s.one_touch_locking = b),
        "enable_inside_status_led" => flag.map(|b| s.status_led = b),
        _ => None,
    }
    .is_some()
}

/// A wire record from stored named values (as written by [`to_named`]); `None` if a
/// setting is missing or malformed.
pub fn from_named(m: &Map<String, Value>) -> Option<Settings> {
    let mut s = Settings::default();
    for spec in SETTINGS.iter().filter(|x| x.name != OPERATING_MODE) {
        if !apply(&mut s, spec.name, m.get(spec.name)?) {
            return None;
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored and API names never follow a Rust rename.
    #[test]
    fn names_are_pinned() {
        let pinned: Vec<(&str, Option<&str>)> =
            SETTINGS.iter().map(|s| (s.name, s.matter)).collect();
        assert_eq!(
            pinned,
            vec![
                ("auto_relock_time", Some("AutoRelockTime")),
                ("sound_volume", Some("SoundVolume")),
                ("wrong_code_entry_limit", Some("WrongCodeEntryLimit")),
                (
                    "user_code_temporary_disable_time",
                    Some("UserCodeTemporaryDisableTime")
                ),
                ("reset_button_hold_time", None),
                ("app_reset_allowed", None),
                ("enable_local_programming", Some("EnableLocalProgramming")),
                (
                    "require_pin_for_remote_operation",
                    Some("RequirePINforRemoteOperation")
                ),
                ("enable_one_touch_locking", Some("EnableOneTouchLocking")),
                ("enable_inside_status_led", Some("EnableInsideStatusLED")),
                ("operating_mode", Some("OperatingMode")),
            ]
        );
    }

    #[test]
    fn named_round_trip_and_checks() {
        let s = Settings {
            volume: Volume::Silent,
            status_led: false,
            auto_relock_s: 86_400,
            ..Settings::default()
        };
        assert_eq!(from_named(&to_named(&s)), Some(s));
        let relock = spec("auto_relock_time").unwrap_or(&SETTINGS[0]);
        assert_eq!(relock.parse_text("60"), Ok(Value::from(60)));
        assert_eq!(
            relock.parse_text("86401"),
            Err("auto_relock_time: 0..=86400 seconds".into())
        );
        let vol = spec("sound_volume").unwrap_or(&SETTINGS[0]);
        assert_eq!(
            vol.parse_text("loud"),
            Err("sound_volume: one of silent, low, high".into())
        );
        for m in MODES {
            assert!(operating_mode(m).is_some(), "{m}");
        }
    }
}
