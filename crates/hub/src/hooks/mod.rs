//! Webhooks, the pure part (a leaf: no store, no network): the event names
//! endpoints subscribe to ([`HookEvent`], stored and sent under these
//! names), the payloads built from what the hub stores (a lock's audit
//! record, an alert), the Standard Webhooks signature ([`sign`]) and the
//! check of an endpoint's URL and addresses ([`target`]).
//!
//! Delivery (outbox rows, retries, the HTTP client) is the webhook worker's;
//! the outbox rows are written by the store in the transaction that stores
//! the event or raises the alert.

pub mod sign;
pub mod target;

use serde_json::{json, Value};

use crate::model::AlertKind;

/// An event a webhook endpoint can subscribe to; sent as the payload's
/// `type`. Names are pinned (receivers match on them): append, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HookEvent {
    /// The bolt was thrown (who and how in `data`).
    LockLocked,
    /// The bolt was withdrawn (who and how in `data`).
    LockUnlocked,
    /// A person's access codes reached a door (confirmed by the lock's digest).
    AccessCodeSet,
    /// A person's access codes were removed from a door (confirmed).
    AccessCodeRemoved,
    /// A change of a person's access codes on a door failed (`data.error`).
    AccessCodeFailed,
    /// The lock was factory reset (its binding is stale).
    LockResetDetected,
    /// The lock went offline.
    LockOffline,
    /// The lock's battery is low or critical (`data.level`).
    LockBatteryLow,
    /// Reserved for the reservations feature.
    ReservationCreated,
    /// Reserved for the reservations feature.
    ReservationCancelled,
    /// Reserved for the hotel front desk.
    HotelCheckedIn,
    /// Reserved for the hotel front desk.
    HotelCheckedOut,
}

impl HookEvent {
    /// Every event, in declaration order.
    pub const ALL: &'static [HookEvent] = &[
        HookEvent::LockLocked,
        HookEvent::LockUnlocked,
        HookEvent::AccessCodeSet,
        HookEvent::AccessCodeRemoved,
        HookEvent::AccessCodeFailed,
        HookEvent::LockResetDetected,
        HookEvent::LockOffline,
        HookEvent::LockBatteryLow,
        HookEvent::ReservationCreated,
        HookEvent::ReservationCancelled,
        HookEvent::HotelCheckedIn,
        HookEvent::HotelCheckedOut,
    ];

    /// The stored and sent name.
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::LockLocked => "lock.locked",
            HookEvent::LockUnlocked => "lock.unlocked",
            HookEvent::AccessCodeSet => "access_code.set",
            HookEvent::AccessCodeRemoved => "access_code.removed",
            HookEvent::AccessCodeFailed => "access_code.failed",
            HookEvent::LockResetDetected => "lock.reset_detected",
            HookEvent::LockOffline => "lock.offline",
            HookEvent::LockBatteryLow => "lock.battery_low",
            HookEvent::ReservationCreated => "reservation.created",
            HookEvent::ReservationCancelled => "reservation.cancelled",
            HookEvent::HotelCheckedIn => "hotel.checked_in",
            HookEvent::HotelCheckedOut => "hotel.checked_out",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.as_str() == s)
    }
}

/// What a subscription to every event is stored as.
pub const EVERY_EVENT: &str = "*";

/// The lock a payload is about.
#[derive(Debug, Clone, Copy)]
pub struct LockRef<'a> {
    /// Hub id.
    pub id: i64,
    /// Serial.
    pub serial: &'a str,
    /// Name given at claim.
    pub name: &'a str,
}

/// An event ready for the outbox: its name, the id receivers deduplicate
/// by (the same on every retry and redelivery), and the JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The event.
    pub event: HookEvent,
    /// `webhook-id`: unique per event.
    pub msg_id: String,
    /// The body (`type`, `timestamp`, `data`).
    pub payload: Value,
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn body(event: HookEvent, at_ms: i64, data: Value) -> Value {
    json!({"type": event.as_str(), "timestamp": rfc3339(at_ms), "data": data})
}

/// Who acted, from the audit record's `who` as the hub stores it
/// (serde of the wire's `Actor`): `{"kind": "user", "user": 3}`, …
fn who(v: &Value) -> Value {
    match v {
        Value::String(s) => json!({"kind": s.to_lowercase()}),
        Value::Object(m) => match m.iter().next() {
            Some((k, id)) => {
                let kind = k.to_lowercase();
                json!({"kind": kind, kind.clone(): id})
            }
            None => Value::Null,
        },
        _ => Value::Null,
    }
}

/// The user slot in an audit record's `who`, if a user acted.
pub fn user_slot(data: &Value) -> Option<i64> {
    data.get("who")?.get("User")?.as_i64()
}

/// The event for a stored audit record (`kind` as `plane::names::action`
/// names it, `data` as the plane stores it), if it is one endpoints hear:
/// a successful lock or unlock. `person`: who holds the acting user slot
/// on this lock (id, name), when the hub knows.
pub fn for_lock_event(
    lock: LockRef<'_>,
    event_id: i64,
    kind: &str,
    at_ms: i64,
    data: &Value,
    person: Option<(i64, &str)>,
) -> Option<Outgoing> {
    let event = match kind {
        "lock" => HookEvent::LockLocked,
        "unlock" => HookEvent::LockUnlocked,
        _ => return None,
    };
    if data.get("result").and_then(Value::as_str) != Some("Ok") {
        return None;
    }
    let how = data
        .get("how")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    let mut who = who(data.get("who").unwrap_or(&Value::Null));
    if let (Some((id, name)), Some(m)) = (person, who.as_object_mut()) {
        m.insert("person_id".into(), id.into());
        m.insert("person_name".into(), name.into());
    }
    let payload = body(
        event,
        at_ms,
        json!({
            "lock": {"id": lock.id, "serial": lock.serial, "name": lock.name},
            "who": who,
            "how": how,
        }),
    );
    Some(Outgoing {
        event,
        msg_id: format!("msg_event_{event_id}"),
        payload,
    })
}

/// The event for an alert raised (or raised again) now, if endpoints hear
/// that kind.
pub fn for_alert(
    lock: Option<LockRef<'_>>,
    alert_id: i64,
    times: i64,
    kind: AlertKind,
    message: &str,
    at_ms: i64,
) -> Option<Outgoing> {
    let event = match kind {
        AlertKind::LockOffline => HookEvent::LockOffline,
        AlertKind::ResetDetected => HookEvent::LockResetDetected,
        AlertKind::BatteryLow | AlertKind::BatteryCritical => HookEvent::LockBatteryLow,
        _ => return None,
    };
    let level = match kind {
        AlertKind::BatteryCritical => Some("critical"),
        AlertKind::BatteryLow => Some("low"),
        _ => None,
    };
    let mut data = json!({
        "lock": lock.map(|l| json!({"id": l.id, "serial": l.serial, "name": l.name})),
        "alert_id": alert_id,
        "message": message,
    });
    if let (Some(level), Some(m)) = (level, data.as_object_mut()) {
        m.insert("level".into(), level.into());
    }
    Some(Outgoing {
        event,
        msg_id: format!("msg_alert_{alert_id}_{times}"),
        payload: body(event, at_ms, data),
    })
}

/// A person on a door, for [`for_door`].
#[derive(Debug, Clone, Copy)]
pub struct DoorRef<'a> {
    /// The person-on-door row.
    pub door: i64,
    /// Its change number.
    pub gen: i64,
    /// The user slot on the lock.
    pub slot: i64,
    /// Person id.
    pub person_id: i64,
    /// Person name.
    pub person_name: &'a str,
}

/// The event for a person's access codes settling on a door (`state` as
/// the hub stores a door state), if endpoints hear that state.
pub fn for_door(
    lock: LockRef<'_>,
    door: DoorRef<'_>,
    state: &str,
    error: Option<&str>,
    at_ms: i64,
) -> Option<Outgoing> {
    let event = match state {
        "set" => HookEvent::AccessCodeSet,
        "removed" => HookEvent::AccessCodeRemoved,
        "failed" => HookEvent::AccessCodeFailed,
        _ => return None,
    };
    let data = json!({
        "lock": {"id": lock.id, "serial": lock.serial, "name": lock.name},
        "person": {"id": door.person_id, "name": door.person_name},
        "user": door.slot,
        "error": error,
    });
    Some(Outgoing {
        event,
        msg_id: format!("msg_door_{}_{}_{state}", door.door, door.gen),
        payload: body(event, at_ms, data),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_pinned() {
        let names: Vec<&str> = HookEvent::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(
            names,
            [
                "lock.locked",
                "lock.unlocked",
                "access_code.set",
                "access_code.removed",
                "access_code.failed",
                "lock.reset_detected",
                "lock.offline",
                "lock.battery_low",
                "reservation.created",
                "reservation.cancelled",
                "hotel.checked_in",
                "hotel.checked_out",
            ]
        );
        for e in HookEvent::ALL {
            assert_eq!(HookEvent::parse(e.as_str()), Some(*e));
        }
    }

    #[test]
    fn an_unlock_at_the_keypad_says_who_and_how() {
        let lock = LockRef {
            id: 4,
            serial: "LK-1",
            name: "Front",
        };
        let data = json!({"who": {"User": 2}, "how": "Keypad", "result": "Ok", "what": "Unlock"});
        let out = for_lock_event(
            lock,
            77,
            "unlock",
            1_700_000_000_000,
            &data,
            Some((9, "Pat")),
        )
        .unwrap();
        assert_eq!(out.msg_id, "msg_event_77");
        assert_eq!(out.payload["type"], "lock.unlocked");
        assert_eq!(out.payload["timestamp"], "2023-11-14T22:13:20Z");
        assert_eq!(
            out.payload["data"]["who"],
            json!({"kind": "user", "user": 2, "person_id": 9, "person_name": "Pat"})
        );
        assert_eq!(user_slot(&data), Some(2));
        assert_eq!(out.payload["data"]["how"], "keypad");
        assert_eq!(out.payload["data"]["lock"]["serial"], "LK-1");
        // A refused unlock (wrong code) is no `lock.unlocked`.
        let denied = json!({"who": "Local", "how": "Keypad", "result": {"Denied": 3}});
        assert!(for_lock_event(lock, 78, "unlock", 0, &denied, None).is_none());
        assert!(for_lock_event(lock, 79, "settings_change", 0, &data, None).is_none());
    }
}
