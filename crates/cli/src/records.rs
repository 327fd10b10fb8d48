//! How the hub's records are shown as `key  value` lines: every field the
//! API sends, under its JSON name, from the typed answer.

use tumbler_hub::model::{Alert, Lock, Operation, Site};
use tumbler_hub::store::access::Person;

use crate::output::{json_of, opt, opt_json, opt_time, time, yes_no, Record};

impl Record for Lock {
    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("id", self.id.to_string()),
            ("serial", self.serial.clone()),
            ("org_id", opt(&self.org_id)),
            ("site_id", opt(&self.site_id)),
            ("name", self.name.clone()),
            ("claim_state", self.claim_state.to_string()),
            ("online", yes_no(self.online)),
            ("presence", self.presence.to_string()),
            ("presence_since", opt_time(self.presence_since)),
            ("last_seen_at", opt_time(self.last_seen_at)),
            ("battery_pct", opt(&self.battery_pct)),
            ("reset_counter", self.reset_counter.to_string()),
            ("last_event_seq", opt(&self.last_event_seq)),
            ("created_at", time(self.created_at)),
            ("telemetry", json_of(&self.telemetry)),
            ("log_epoch", self.log_epoch.to_string()),
            ("rejected_frames", self.rejected_frames.to_string()),
            ("stale_reason", opt_json(&self.stale_reason)),
            ("intent", opt(&self.intent)),
            ("transfer_to_org", opt(&self.transfer_to_org)),
            ("reported_capacity", json_of(&self.reported_capacity)),
        ]
    }
}

impl Record for Operation {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("id", self.id.to_string()),
            ("org_id", self.org_id.to_string()),
            ("lock_id", self.lock_id.to_string()),
            ("kind", self.kind.as_str().to_owned()),
            ("params", json_of(&self.params)),
            ("state", self.state.to_string()),
            ("attempts", self.attempts.to_string()),
            ("max_attempts", self.max_attempts.to_string()),
            ("error", opt(&self.error)),
            ("created_by", opt(&self.created_by)),
            ("created_at", time(self.created_at)),
            ("updated_at", time(self.updated_at)),
            ("claimed_by", opt(&self.claimed_by)),
            ("command_id", opt(&self.command_id)),
            ("result", opt_json(&self.result)),
            ("request_id", opt(&self.request_id)),
        ];
        // Sent only while the operation waits on a lock that cannot answer.
        if let Some(w) = &self.waiting {
            v.push(("waiting", w.clone()));
        }
        v
    }
}

impl Record for Site {
    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("id", self.id.to_string()),
            ("org_id", self.org_id.to_string()),
            ("name", self.name.clone()),
            ("time_zone", self.time_zone.clone()),
            ("created_at", time(self.created_at)),
        ]
    }
}

impl Record for Alert {
    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("id", self.id.to_string()),
            ("org_id", self.org_id.to_string()),
            ("lock_id", opt(&self.lock_id)),
            ("kind", self.kind.to_string()),
            ("severity", self.severity.to_string()),
            ("message", self.message.clone()),
            ("created_at", time(self.created_at)),
            ("times", self.times.to_string()),
            ("last_at", time(self.last_at)),
            ("cleared_at", opt_time(self.cleared_at)),
            ("acked_at", opt_time(self.acked_at)),
            ("acked_by", opt(&self.acked_by)),
        ]
    }
}

impl Record for Person {
    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("id", self.id.to_string()),
            ("org_id", self.org_id.to_string()),
            ("name", self.name.clone()),
            ("owner", yes_no(self.owner)),
            ("created_at", time(self.created_at)),
        ]
    }
}

/// Sample answers as the hub sends them, for the printing tests.
#[cfg(test)]
pub(crate) mod samples {
    use serde_json::{json, Value};

    /// A lock with every kind of field (nulls, times, nested records).
    pub(crate) fn lock() -> Value {
        json!({
            "id": 7, "serial": "L-7", "org_id": 1, "site_id": null, "name": "Front door",
            "claim_state": "reset_binding_stale", "online": true,
            "presence": "unresponsive", "presence_since": "2026-01-01T00:00:00.123Z",
            "last_seen_at": "2026-01-01T00:00:00.123Z", "battery_pct": null,
            "reset_counter": 2, "last_event_seq": 4294967298_i64,
            "created_at": "2026-01-01T00:00:00Z",
            "telemetry": {"bolt": "locked", "door": null, "mode": null, "setup_mode": false,
                "firmware": "1.2.3", "credential_version": 3, "credential_digest": "ab",
                "clock_skew_s": -2, "status_at": "2026-01-01T00:00:01Z"},
            "log_epoch": 1, "rejected_frames": 0, "stale_reason": {"trigger": "button"},
            "intent": "release", "transfer_to_org": null,
            "reported_capacity": {"max_users": 10, "creds_per_user": 2}
        })
    }

    /// A second lock: online no, battery and site known, nothing pending.
    pub(crate) fn lock2() -> Value {
        let mut l = lock();
        l["id"] = json!(12);
        l["site_id"] = json!(3);
        l["online"] = json!(false);
        l["presence"] = json!("offline");
        l["battery_pct"] = json!(55);
        l["last_seen_at"] = Value::Null;
        l["stale_reason"] = Value::Null;
        l["intent"] = Value::Null;
        l["reported_capacity"] = Value::Null;
        l["claim_state"] = json!("claimed");
        l
    }

    /// A refused operation.
    pub(crate) fn operation() -> Value {
        json!({
            "id": 1, "org_id": 1, "lock_id": 7, "kind": "unlock_with_timeout",
            "params": {"op": {"timeout_s": 5}}, "state": "refused", "attempts": 1,
            "max_attempts": 5, "error": "not_allowed", "created_by": null,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:02Z",
            "claimed_by": "w1", "command_id": 9, "result": {"ok": true},
            "request_id": "5f3a9c01e2d4b687"
        })
    }

    /// An open alert.
    pub(crate) fn alert() -> Value {
        json!({
            "id": 1, "org_id": 1, "lock_id": 7, "kind": "door_forced", "severity": "critical",
            "message": "door forced open", "created_at": "2026-01-01T00:00:00Z", "times": 2,
            "last_at": "2026-01-01T00:00:03Z", "cleared_at": null, "acked_at": null, "acked_by": null
        })
    }

    /// An acknowledged alert about no lock.
    pub(crate) fn alert2() -> Value {
        json!({
            "id": 2, "org_id": 1, "lock_id": null, "kind": "lock_offline", "severity": "warning",
            "message": "the lock went offline", "created_at": "2026-01-02T00:00:00Z",
            "times": 1, "last_at": "2026-01-02T00:00:00Z", "cleared_at": "2026-01-02T00:05:00Z",
            "acked_at": "2026-01-02T10:00:00.5Z", "acked_by": 3
        })
    }

    /// A site.
    pub(crate) fn site() -> Value {
        json!({
            "id": 1, "org_id": 1, "name": "Beach house", "time_zone": "Europe/Lisbon",
            "created_at": "2026-01-01T00:00:00Z"
        })
    }

    /// A person.
    pub(crate) fn person() -> Value {
        json!({
            "id": 1, "org_id": 1, "name": "Ann", "owner": true,
            "created_at": "2026-01-01T00:00:00Z"
        })
    }

    /// Reads a sample into a type.
    pub(crate) fn read<T: serde::de::DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::cell;
    use serde::Serialize;

    /// What the CLI printed before answers were typed: every key of the
    /// JSON object, sorted, each value through [`cell`].
    fn untyped(json: &serde_json::Value) -> String {
        let obj = json.as_object().unwrap();
        let w = obj.keys().map(|k| k.len()).max().unwrap_or(0);
        obj.iter()
            .map(|(k, v)| format!("{k:<w$}  {}\n", cell(v)))
            .collect()
    }

    /// The sample is what the hub writes for its type, and the typed
    /// record prints it as the untyped one did.
    fn same<T: Serialize + serde::de::DeserializeOwned + Record>(json: serde_json::Value) {
        let typed: T = super::samples::read(json.clone());
        assert_eq!(serde_json::to_value(&typed).unwrap(), json);
        assert_eq!(crate::output::record(&typed), untyped(&json));
    }

    #[test]
    fn records_print_as_the_json_did() {
        use super::samples::*;
        same::<Lock>(lock());
        same::<Lock>(lock2());
        same::<Operation>(operation());
        same::<Alert>(alert());
        same::<Alert>(alert2());
        same::<Site>(site());
        same::<Person>(person());
    }
}
