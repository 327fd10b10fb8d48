//! The names the hub stores and shows for what a lock reports: audit
//! actions (the kind of a stored event), refusal codes, operating modes and
//! reset triggers. Written out once here, never derived from a Rust variant
//! name, and pinned by the tests below: renaming a variant in the protocol
//! cannot silently change stored data or the alerts matched on it.

use tumbler_control::proto::{Action, ErrorCode, OperatingMode, ResetTokenError, ResetTrigger};

/// The stored kind of an event from an audit record.
pub fn action(a: Action) -> &'static str {
    match a {
        Action::Lock => "lock",
        Action::Unlock => "unlock",
        Action::UserChange(_) => "user_change",
        Action::CredentialChange(_) => "credential_change",
        Action::ScheduleChange(_) => "schedule_change",
        Action::SettingsChange => "settings_change",
        Action::ModeChange => "mode_change",
        Action::TimeSet => "time_set",
        Action::Pair(_) => "pair",
        Action::Unpair(_) => "unpair",
        Action::Reboot => "reboot",
        Action::FactoryReset => "factory_reset",
        Action::Lockout => "lockout",
        Action::Alarm => "alarm",
        _ => "unknown",
    }
}

/// Why the lock refused or failed a command: `wrong_pin`, or
/// `reset_token: wrong_nonce` for codes with a detail.
pub fn error_code(c: &ErrorCode) -> String {
    let name = match c {
        ErrorCode::AdminRequired => "admin_required",
        ErrorCode::InvalidArgument => "invalid_argument",
        ErrorCode::NotFound => "not_found",
        ErrorCode::CapacityExceeded => "capacity_exceeded",
        ErrorCode::DuplicatePin => "duplicate_pin",
        ErrorCode::PinRejected => "pin_rejected",
        ErrorCode::PinRequired => "pin_required",
        ErrorCode::WrongPin => "wrong_pin",
        ErrorCode::LockedOut => "locked_out",
        ErrorCode::ModeForbids => "mode_forbids",
        ErrorCode::AppResetDisabled => "app_reset_disabled",
        ErrorCode::LowBattery => "low_battery",
        ErrorCode::Jammed => "jammed",
        ErrorCode::ResetToken(e) => {
            let detail = match e {
                ResetTokenError::BadSignature => "bad_signature",
                ResetTokenError::WrongSerial => "wrong_serial",
                ResetTokenError::WrongNonce => "wrong_nonce",
                ResetTokenError::Expired => "expired",
                ResetTokenError::SerialTooLong => "serial_too_long",
                _ => "unknown",
            };
            return format!("reset_token: {detail}");
        }
        ErrorCode::Busy => "busy",
        ErrorCode::Unsupported => "unsupported",
        ErrorCode::Internal => "internal",
        ErrorCode::OnlyAtTheDoor => "only_at_the_door",
        _ => "unknown",
    };
    name.to_owned()
}

/// An operating mode as stored in a lock's telemetry.
pub fn operating_mode(m: OperatingMode) -> &'static str {
    match m {
        OperatingMode::Normal => "normal",
        OperatingMode::Vacation => "vacation",
        OperatingMode::Privacy => "privacy",
        OperatingMode::NoRemoteLockUnlock => "no_remote_lock_unlock",
        OperatingMode::Passage => "passage",
        _ => "unknown",
    }
}

/// What triggered a factory reset, as stored in the reset record.
pub fn reset_trigger(t: ResetTrigger) -> &'static str {
    match t {
        ResetTrigger::Button => "button",
        ResetTrigger::Keypad => "keypad",
        ResetTrigger::App => "app",
        ResetTrigger::Manufacturer => "manufacturer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tumbler_control::proto::{CredentialKind, CredentialSlot};

    /// The stored names, pinned: changing one changes stored data.
    #[test]
    fn names_are_pinned() {
        let slot = CredentialSlot {
            kind: CredentialKind::Pin,
            index: 0,
        };
        let actions = [
            (Action::Lock, "lock"),
            (Action::Unlock, "unlock"),
            (Action::UserChange(1), "user_change"),
            (Action::CredentialChange(slot), "credential_change"),
            (Action::ScheduleChange(1), "schedule_change"),
            (Action::SettingsChange, "settings_change"),
            (Action::ModeChange, "mode_change"),
            (Action::TimeSet, "time_set"),
            (Action::Reboot, "reboot"),
            (Action::FactoryReset, "factory_reset"),
            (Action::Lockout, "lockout"),
            (Action::Alarm, "alarm"),
        ];
        for (a, name) in actions {
            assert_eq!(action(a), name);
        }
        assert_eq!(error_code(&ErrorCode::WrongPin), "wrong_pin");
        assert_eq!(
            error_code(&ErrorCode::AppResetDisabled),
            "app_reset_disabled"
        );
        assert_eq!(
            error_code(&ErrorCode::ResetToken(ResetTokenError::WrongNonce)),
            "reset_token: wrong_nonce"
        );
        assert_eq!(
            operating_mode(OperatingMode::NoRemoteLockUnlock),
            "no_remote_lock_unlock"
        );
        assert_eq!(reset_trigger(ResetTrigger::Manufacturer), "manufacturer");
    }
}
