//! Pins the encoding of every shared type: the postcard byte of each variant (the wire and the
//! lock's flash items) equals its explicit discriminant, and its serde name is stable.
#![allow(clippy::unwrap_used)]

extern crate alloc;
extern crate std;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::*;

fn check<T: serde::Serialize>(cases: &[(T, u8, &str)]) {
    for (i, (v, code, name)) in cases.iter().enumerate() {
        assert_eq!(
            usize::from(*code),
            i,
            "discriminants follow declaration order"
        );
        assert_eq!(
            postcard::to_allocvec(v).unwrap(),
            vec![*code],
            "postcard byte of {name}"
        );
        let json: String = serde_json::to_string(v).unwrap();
        assert_eq!(json, std::format!("\"{name}\""), "serde name of {name}");
    }
}

#[test]
fn user_status_is_pinned() {
    use UserStatus as S;
    check(&[
        (S::Enabled, S::Enabled as u8, "Enabled"),
        (S::Disabled, S::Disabled as u8, "Disabled"),
    ]);
    assert_eq!(S::default(), S::Enabled);
}

#[test]
fn user_type_is_pinned() {
    use UserType as T;
    check(&[
        (T::Unrestricted, T::Unrestricted as u8, "Unrestricted"),
        (
            T::WeekDaySchedule,
            T::WeekDaySchedule as u8,
            "WeekDaySchedule",
        ),
        (
            T::YearDaySchedule,
            T::YearDaySchedule as u8,
            "YearDaySchedule",
        ),
        (T::OneTime, T::OneTime as u8, "OneTime"),
        (T::Expiring, T::Expiring as u8, "Expiring"),
        (T::NonAccess, T::NonAccess as u8, "NonAccess"),
        (T::RemoteOnly, T::RemoteOnly as u8, "RemoteOnly"),
        (T::Admin, T::Admin as u8, "Admin"),
        (T::Duress, T::Duress as u8, "Duress"),
    ]);
    assert_eq!(T::default(), T::Unrestricted);
}

#[test]
fn credential_rule_is_pinned() {
    use CredentialRule as R;
    check(&[
        (R::Single, R::Single as u8, "Single"),
        (R::TwoFactor, R::TwoFactor as u8, "TwoFactor"),
    ]);
    assert_eq!(R::default(), R::Single);
}

#[test]
fn credential_kind_is_pinned() {
    use CredentialKind as K;
    check(&[
        (K::Pin, K::Pin as u8, "Pin"),
        (K::Card, K::Card as u8, "Card"),
        (K::Fingerprint, K::Fingerprint as u8, "Fingerprint"),
        (K::AppKey, K::AppKey as u8, "AppKey"),
    ]);
    let names: [&str; 4] = core::array::from_fn(|i| K::ALL[i].name());
    assert_eq!(names, ["pin", "card", "fingerprint", "app_key"]);
    for k in K::ALL {
        assert_eq!(K::from_name(k.name()), Some(*k));
    }
    assert_eq!(K::from_name("Pin"), None);
}

#[test]
fn operating_mode_is_pinned() {
    use OperatingMode as M;
    check(&[
        (M::Normal, M::Normal as u8, "Normal"),
        (M::Vacation, M::Vacation as u8, "Vacation"),
        (M::Privacy, M::Privacy as u8, "Privacy"),
        (
            M::NoRemoteLockUnlock,
            M::NoRemoteLockUnlock as u8,
            "NoRemoteLockUnlock",
        ),
        (M::Passage, M::Passage as u8, "Passage"),
    ]);
    assert_eq!(M::default(), M::Normal);
}

#[test]
fn role_is_pinned() {
    check(&[
        (Role::Admin, Role::Admin as u8, "Admin"),
        (Role::User, Role::User as u8, "User"),
    ]);
}

#[test]
fn reset_trigger_is_pinned() {
    use ResetTrigger as T;
    check(&[
        (T::Button, T::Button as u8, "Button"),
        (T::Keypad, T::Keypad as u8, "Keypad"),
        (T::App, T::App as u8, "App"),
        (T::Manufacturer, T::Manufacturer as u8, "Manufacturer"),
    ]);
}

#[test]
fn volume_is_pinned() {
    use Volume as V;
    check(&[
        (V::Silent, V::Silent as u8, "Silent"),
        (V::Low, V::Low as u8, "Low"),
        (V::High, V::High as u8, "High"),
    ]);
    assert_eq!(V::default(), V::High);
}

#[test]
fn pin_is_a_length_prefixed_byte_string_and_redacted() {
    let pin = Pin::new(b"4711").unwrap();
    let bytes: Vec<u8> = postcard::to_allocvec(&pin).unwrap();
    assert_eq!(bytes, b"\x044711");
    assert_eq!(postcard::from_bytes::<Pin>(&bytes).unwrap(), pin);
    // The lock's former `serialize_bytes` encoding decodes to the same PIN.
    let legacy: Vec<u8> = postcard::to_allocvec(&serde_bytes_like(b"4711")).unwrap();
    assert_eq!(legacy, bytes);
    assert_eq!(std::format!("{pin:?}"), "Pin(<redacted>)");
    assert_eq!(pin.expose(), b"4711");
    assert_eq!(pin.as_bytes(), b"4711");
    assert!(Pin::new(&[b'1'; PIN_MAX]).is_some());
    assert!(Pin::new(&[b'1'; PIN_MAX + 1]).is_none());
}

/// Serialises like the lock's former hand-written `Pin` (`serialize_bytes`).
fn serde_bytes_like(b: &'static [u8]) -> impl serde::Serialize {
    struct B(&'static [u8]);
    impl serde::Serialize for B {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
    B(b)
}
