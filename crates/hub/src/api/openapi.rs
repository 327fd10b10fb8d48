//! The OpenAPI 3.1 document at `/api/v1/openapi.json`, generated from
//! [`super::ROUTES`], the table the router is built from, so it cannot
//! forget a route.

use axum::Json;
use serde_json::{json, Map, Value};

use super::{RouteSpec, ROUTES};

fn obj(required: &[&str], props: Value) -> Value {
    json!({"type": "object", "required": required, "properties": props})
}

const TS: &str = "date-time";

/// Control characters (`char::is_control`), refused in names and logins.
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

/// A display name as `check_name` accepts it: something besides spaces,
/// at most 100 characters, no control characters.
fn name() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 100,
           "pattern": format!("^[^{CONTROL}]*[^\\s{CONTROL}][^{CONTROL}]*$")})
}

/// A login as `check_email` accepts it: `name@domain`, no spaces or
/// control characters.
fn email() -> Value {
    json!({"type": "string", "minLength": 3, "maxLength": 254,
           "pattern": format!("^[^@\\s{CONTROL}][^\\s{CONTROL}]*@[^\\s{CONTROL}]+$")})
}

/// An IANA time zone name (an unknown one is refused with 422).
fn time_zone() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_+/-]+$",
           "description": "IANA time zone, e.g. Europe/Paris"})
}

/// A lock serial (`model::is_valid_serial`).
fn serial() -> Value {
    json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"})
}

/// A lock's factory identity key.
fn factory_key() -> Value {
    json!({"type": "string", "pattern": "^[0-9A-Fa-f]{64}$", "description": "the lock's factory identity key, 64 hex digits"})
}

/// A row id.
fn id() -> Value {
    json!({"type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX})
}

/// A setup code as printed on a label: 8 digits (`check_setup_code`).
fn setup_code() -> Value {
    json!({"type": "string", "format": "password", "pattern": "^[0-9]{8}$"})
}

/// A site-local date.
fn date() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "a site-local date, YYYY-MM-DD"})
}

/// A local time of day `HH:MM` (out-of-range values are refused with 422).
fn hm() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{1,2}:[0-9]{2}$", "description": "a local time, HH:MM"})
}

/// A destructive operation's confirmation: the lock's serial.
fn confirm() -> Value {
    json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$", "description": "the lock's serial, to confirm"})
}

/// JSON body a route accepts, if any.
fn request_body(method: &str, path: &str) -> Option<Value> {
    let schema = match (method, path) {
        ("POST", "/api/v1/login") => obj(
            &["email", "password"],
            json!({"email": {"type": "string"}, "password": {"type": "string", "format": "password"}}),
        ),
        ("POST", "/api/v1/webhooks") => obj(
            &["url", "events"],
            json!({"url": {"type": "string", "minLength": 1, "maxLength": 2048, "description": "http(s) URL"}, "events": {"type": "array", "minItems": 1, "maxItems": 32, "items": {"type": "string", "description": "an event name (lock.unlocked, …) or *"}}}),
        ),
        ("PATCH", "/api/v1/webhooks/{id}") => {
            obj(&["enabled"], json!({"enabled": {"type": "boolean"}}))
        }
        ("POST", "/api/v1/tokens") => obj(
            &["label"],
            json!({"label": name(), "expires_in_days": nullable(json!({"type": "integer", "minimum": 1, "maximum": 3650}))}),
        ),
        ("POST", "/api/v1/credentials/{id}/replace") => {
            let mut o = obj(
                &[],
                json!({"uid": nullable(json!({"type": "string", "description": "a lost card's replacement, hex"})), "pin": nullable(json!({"type": "string", "format": "password", "description": "a PIN's replacement (default: generated, returned once)"}))}),
            );
            if let Some(m) = o.as_object_mut() {
                // A card's uid or a PIN, not both.
                m.insert("not".into(), json!({"required": ["uid", "pin"]}));
            }
            o
        }
        ("POST", "/api/v1/me/password") => obj(
            &["current_password", "new_password"],
            json!({"current_password": {"type": "string", "format": "password"},
                   "new_password": {"type": "string", "format": "password", "minLength": 8, "description": "8 to 1024 bytes"}}),
        ),
        ("PATCH", "/api/v1/org") => obj(&["name"], json!({"name": name()})),
        ("POST", "/api/v1/orgs") => obj(
            &["name", "owner_email"],
            json!({"name": name(), "owner_email": email(), "time_zone": nullable(time_zone())}),
        ),
        ("POST", "/api/v1/accounts") => obj(
            &["email", "name", "role", "password"],
            json!({"email": email(), "name": name(), "role": {"$ref": "#/components/schemas/Role"}, "password": {"type": "string", "format": "password", "minLength": 8}}),
        ),
        ("PATCH", "/api/v1/accounts/{id}") => obj(
            &["role"],
            json!({"role": {"$ref": "#/components/schemas/Role"}}),
        ),
        ("POST", "/api/v1/sites") => obj(
            &["name", "time_zone"],
            json!({"name": name(), "time_zone": time_zone()}),
        ),
        ("PATCH", "/api/v1/sites/{id}") => obj(
            &[],
            json!({"name": nullable(name()), "time_zone": nullable(time_zone())}),
        ),
        ("POST", "/api/v1/locks/{id}/operations") => obj(
            &["kind"],
            json!({"kind": {"type": "string", "enum": crate::service::operations::requestable_kinds()},
                   "pin": nullable(json!({"type": "string", "format": "password", "pattern": "^[0-9]{1,16}$", "description": "digits; kept in the hub's memory only until sealed"})),
                   "timeout_s": nullable(json!({"type": "integer", "minimum": 1, "maximum": 3600, "description": "unlock_with_timeout only"})),
                   "confirm": nullable(json!({"type": "string", "description": "factory_reset only: the lock's serial"}))}),
        ),
        ("POST", "/api/v1/locks/claim") => obj(
            &["serial", "setup_code", "site_id"],
            json!({"serial": serial(), "setup_code": setup_code(),
                   "site_id": id(), "label": nullable(name()),
                   "factory_key": nullable(factory_key())}),
        ),
        ("POST", "/api/v1/locks/{id}/reclaim") => obj(
            &["setup_code"],
            json!({"setup_code": setup_code(), "factory_key": nullable(factory_key())}),
        ),
        ("POST", "/api/v1/locks/{id}/transfer") => obj(
            &["to_org", "confirm"],
            json!({"to_org": id(), "confirm": confirm()}),
        ),
        ("POST", "/api/v1/locks/{id}/release")
        | ("POST", "/api/v1/locks/{id}/manufacturer-reset") => {
            obj(&["confirm"], json!({"confirm": confirm()}))
        }
        ("POST", "/api/v1/locks/{id}/holidays") => obj(
            &[],
            json!({"slot": {"type": "integer", "minimum": 0, "maximum": 3},
                   "from": nullable(json!({"type": "string", "description": "site local time, e.g. 2026-12-24T00:00 (refused with 422 when not one)"})),
                   "to": nullable(json!({"type": "string"})),
                   "mode": nullable(json!({"type": "string", "enum": ["vacation", "privacy", "passage", "normal"]})),
                   "clear": {"type": "boolean"}}),
        ),
        ("POST", "/api/v1/people") => obj(
            &["name"],
            json!({"name": name(), "owner": {"type": "boolean", "description": "kept through revoke-all-except-owners"}}),
        ),
        ("POST", "/api/v1/people/{id}/access") => {
            let cred = json!({"type": "object", "required": ["kind"], "additionalProperties": false, "properties": {
                "kind": {"type": "string", "enum": ["pin", "card", "fingerprint", "app_key"]},
                "pin": nullable(json!({"type": "string", "format": "password", "description": "never stored; sealed until delivered"})),
                "generate": {"type": "boolean", "description": "generate a PIN, returned once"},
                "uid": nullable(json!({"type": "string", "description": "card UID, hex"})),
                "template": nullable(json!({"type": "integer", "minimum": 0, "maximum": 65535, "description": "fingerprint template slot"})),
                "key": nullable(json!({"type": "string", "description": "app public key, hex"})),
                "label": nullable(name())}});
            obj(
                &["lock_ids"],
                json!({"lock_ids": {"type": "array", "minItems": 1, "items": id()},
                       "schedule": nullable(schedule()),
                       "credential": nullable(cred.clone()),
                       "credentials": {"type": "array", "items": cred}}),
            )
        }
        ("POST", "/api/v1/credentials/{id}/change-pin") => obj(
            &[],
            json!({"pin": nullable(json!({"type": "string", "format": "password", "description": "default: generated, returned once"}))}),
        ),
        ("POST", "/api/v1/people/{id}/revoke") => obj(
            &[],
            json!({"lock_ids": nullable(json!({"type": "array", "items": id(), "description": "default: every door"}))}),
        ),
        ("POST", "/api/v1/access/revoke-all-except-owners") => obj(
            &["confirm"],
            json!({"confirm": {"type": "string", "enum": ["revoke-all"]}}),
        ),
        ("POST", "/api/v1/locks/{id}/reenrol") => obj(
            &["people"],
            json!({"people": {"type": "array", "items": {"type": "object", "required": ["person_id"], "additionalProperties": false, "properties": {
                "person_id": id(),
                "pin": nullable(json!({"type": "string", "format": "password"})),
                "generate_pin": {"type": "boolean"}}}}}),
        ),
        ("PUT", "/api/v1/locks/{id}/room") => obj(
            &["door"],
            json!({"door": {"type": "integer", "minimum": 1, "maximum": u32::MAX},
                   "guest_room": {"type": "boolean", "default": true},
                   "floor": {"type": "integer", "minimum": 0, "maximum": u16::MAX},
                   "zone": {"type": "integer", "minimum": 0, "maximum": u16::MAX},
                   "building": {"type": "integer", "minimum": 0, "maximum": u16::MAX}}),
        ),
        ("POST", "/api/v1/locks/{id}/check-in") => obj(
            &["guest", "checkout"],
            json!({"guest": name(), "cards": nullable(json!({"type": "integer", "minimum": 1, "maximum": 8})),
                   "checkout": date(), "checkout_time": nullable(hm())}),
        ),
        ("POST", "/api/v1/stays/{id}/extend") => obj(
            &["checkout"],
            json!({"checkout": date(), "checkout_time": nullable(hm())}),
        ),
        ("POST", "/api/v1/stays/{id}/lost-card") => obj(
            &["number"],
            json!({"number": id(), "cards": nullable(json!({"type": "integer", "minimum": 1, "maximum": 8}))}),
        ),
        ("POST", "/api/v1/sites/{id}/staff-cards") => obj(
            &["kind", "holder", "until"],
            json!({"kind": {"type": "string", "enum": ["master", "floor", "zone", "building", "emergency"]},
                   "scope": nullable(json!({"type": "integer", "minimum": 0, "maximum": u16::MAX, "description": "floor, zone and building cards only"})),
                   "holder": name(), "from": nullable(date()), "until": date(),
                   "days": nullable(json!({"type": "string", "description": "daily, weekdays, mon-fri, sat,sun, …"})),
                   "hours": nullable(json!({"type": "string", "description": "HH:MM-HH:MM, may run past midnight"}))}),
        ),
        ("POST", "/api/v1/locks/{id}/offline-codes") => {
            let hours = json!({"type": "integer", "minimum": 1, "maximum": 24});
            let at = json!({"type": "string", "format": "date-time", "description": "RFC 3339; rounded down to the whole hour"});
            let label = name();
            let one = |kind: &str, props: Value| {
                let mut p = props;
                if let Some(o) = p.as_object_mut() {
                    o.insert("kind".into(), json!({"type": "string", "enum": [kind]}));
                    o.insert("label".into(), label.clone());
                }
                let req: Vec<&str> = p
                    .as_object()
                    .map(|o| o.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let mut s = obj(&req, p.clone());
                if let Some(o) = s.as_object_mut() {
                    o.insert("additionalProperties".into(), Value::Bool(false));
                }
                s
            };
            return Some(
                json!({"required": true, "content": {"application/json": {"schema": {"oneOf": [
                    one("one_time", json!({"starts_at": at, "hours": hours})),
                    one("hours", json!({"starts_at": at, "hours": hours})),
                    one("days", json!({"starts_at": at, "days": {"type": "integer", "minimum": 1, "maximum": 31}})),
                    one("daily", json!({"first_day": {"type": "string", "format": "date", "description": "site local date"}, "days": {"type": "integer", "minimum": 1, "maximum": 28}, "from_hour": {"type": "integer", "minimum": 0, "maximum": 23}, "to_hour": {"type": "integer", "minimum": 1, "maximum": 24}})),
                ]}}}}),
            );
        }
        ("POST", "/api/v1/listings") => obj(
            &["name", "site_id", "lock_ids"],
            json!({"name": name(), "site_id": id(), "time_zone": nullable(time_zone()),
                   "check_in": nullable(hm()), "check_out": nullable(hm()),
                   "lock_ids": {"type": "array", "items": id(), "minItems": 1, "maxItems": 50, "uniqueItems": true, "description": "1 to 50 claimed locks of the organisation"},
                   "pin_source": nullable(json!({"$ref": "#/components/schemas/PinSource"})),
                   "poll_minutes": nullable(json!({"type": "integer", "minimum": 1, "maximum": 1440})),
                   "cleaner_codes": nullable(json!({"type": "boolean", "description": "a cleaner code for each turnover day, check-out to check-in"}))}),
        ),
        ("POST", "/api/v1/listings/{id}/feeds") => obj(
            &["url"],
            json!({"url": {"type": "string", "maxLength": 2000, "description": "the iCal export, http:// or https:// (another address is refused with 422)"}}),
        ),
        ("PATCH", "/api/v1/locks/{id}/settings") => {
            return Some(
                json!({"required": true, "content": {"application/json": {"schema": {
                    "type": "object",
                    "description": "setting name → value, e.g. {\"auto_relock_time\": 60}; an unknown name or a value out of range is refused with 422",
                }}}}),
            )
        }
        _ => return None,
    };
    let mut schema = schema;
    if let Some(o) = schema.as_object_mut() {
        o.insert("additionalProperties".into(), Value::Bool(false));
    }
    Some(json!({"required": true, "content": {"application/json": {"schema": schema}}}))
}

/// An access schedule, site local time; times that are not understood are
/// refused with 422.
fn schedule() -> Value {
    let kind = |k: &str, required: &[&str], props: Value| {
        let mut all = vec!["kind"];
        all.extend_from_slice(required);
        let mut p = props;
        if let Some(m) = p.as_object_mut() {
            m.insert("kind".into(), json!({"const": k}));
        }
        json!({"type": "object", "required": all, "properties": p})
    };
    let s = || json!({"type": "string"});
    json!({"oneOf": [
        kind("permanent", &[], json!({})),
        kind("one_time", &[], json!({})),
        kind("expiring", &["until"], json!({"until": s()})),
        kind("date_range", &["from", "to"], json!({"from": s(), "to": s()})),
        kind("weekly", &["windows"], json!({"windows": {"type": "array", "items": {
            "type": "object", "required": ["days", "start", "end"],
            "properties": {"days": s(), "start": s(), "end": s()}}}})),
    ]})
}

/// Query parameters of a route.
fn query_params(method: &str, path: &str) -> Vec<Value> {
    let q = |name: &str, schema: Value| json!({"name": name, "in": "query", "required": false, "schema": schema});
    let int = id;
    let limit = || json!({"type": "integer", "minimum": 1, "maximum": 1000});
    match (method, path) {
        ("GET", "/api/v1/locks") => vec![
            q("site", int()),
            q(
                "claim_state",
                json!({"$ref": "#/components/schemas/ClaimState"}),
            ),
        ],
        ("GET", "/api/v1/operations") => vec![
            q("lock", int()),
            q("state", json!({"$ref": "#/components/schemas/OpState"})),
            q("limit", limit()),
        ],
        ("GET", "/api/v1/events") => vec![
            q("lock", int()),
            q(
                "kind",
                json!({"type": "string", "minLength": 1, "maxLength": 64}),
            ),
            q("from", json!({"type": "string", "format": TS})),
            q("to", json!({"type": "string", "format": TS})),
            q("limit", limit()),
        ],
        ("GET", "/api/v1/audit") => vec![q("limit", limit())],
        ("GET", "/api/v1/locks/{id}/room-history") => vec![q("limit", limit())],
        ("GET", "/api/v1/webhook-deliveries") => vec![
            q("webhook_id", int()),
            q(
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": 500}),
            ),
        ],
        ("POST", "/api/v1/locks/{id}/operations") | ("GET", "/api/v1/operations/{id}") => vec![q(
            "wait_ms",
            json!({"type": "integer", "minimum": 0, "maximum": crate::api::operations::MAX_WAIT_MS, "default": 0,
                   "description": "hold the answer until the operation is final (applied, refused, failed) or this many milliseconds have passed, then answer with the operation as it is (long-poll; same status codes)"}),
        )],
        ("GET", "/api/v1/batches/{id}") => vec![q(
            "doors",
            json!({"type": "boolean", "default": true, "description": "false: counts only"}),
        )],
        ("GET", "/api/v1/verifications/{id}") => vec![q(
            "format",
            json!({"type": "string", "enum": ["json", "html"], "default": "json"}),
        )],
        ("GET", "/api/v1/locks/{id}/doctor") => vec![
            q("symptom", json!({"$ref": "#/components/schemas/Symptom"})),
            q("check", json!({"$ref": "#/components/schemas/DoctorStep"})),
        ],
        ("GET", "/api/v1/alerts") => vec![
            q("open", json!({"type": "boolean", "default": true})),
            q("limit", limit()),
        ],
        _ => Vec::new(),
    }
}

/// `schema` or `null`.
fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

/// Name of the schema a successful answer carries, if any.
fn response_schema(method: &str, path: &str) -> Option<Value> {
    let one = |n: &str| json!({"$ref": format!("#/components/schemas/{n}")});
    let many =
        |n: &str| json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{n}")}});
    Some(match (method, path) {
        ("GET", "/health/live") => obj(&["status"], json!({"status": {"const": "live"}})),
        ("GET", "/health/ready") => obj(
            &["status", "database"],
            json!({"status": {"const": "ready"}, "database": {"const": "ok"}, "mqtt": {"type": ["object", "null"]}}),
        ),
        ("GET", "/api/v1/me") => one("Account"),
        ("GET", "/api/v1/tokens") => many("Token"),
        ("POST", "/api/v1/tokens") => one("IssuedToken"),
        ("GET" | "PATCH", "/api/v1/org") => one("Org"),
        ("GET", "/api/v1/orgs") => many("Org"),
        ("POST", "/api/v1/orgs") => obj(
            &["org", "site", "owner", "password"],
            json!({"org": one("Org"), "site": one("Site"), "owner": one("Account"), "password": {"type": "string", "format": "password", "description": "the owner's initial password, shown once"}}),
        ),
        ("GET", "/api/v1/accounts") => many("Account"),
        ("POST", "/api/v1/accounts") | ("GET" | "PATCH", "/api/v1/accounts/{id}") => one("Account"),
        ("GET", "/api/v1/sites") => many("Site"),
        ("POST", "/api/v1/sites") | ("GET" | "PATCH", "/api/v1/sites/{id}") => one("Site"),
        ("GET", "/api/v1/locks") => many("Lock"),
        ("GET", "/api/v1/locks/{id}") => one("Lock"),
        ("POST", "/api/v1/locks/claim") | ("POST", "/api/v1/locks/{id}/reclaim") => one("Lock"),
        ("POST", "/api/v1/locks/{id}/release") | ("POST", "/api/v1/locks/{id}/transfer") => obj(
            &["message"],
            json!({"lock": nullable(one("Lock")), "operation": nullable(one("Operation")), "message": {"type": "string"}}),
        ),
        ("POST", "/api/v1/locks/{id}/manufacturer-reset") => one("Operation"),
        ("GET", "/api/v1/audit") => json!({"type": "array", "items": {
            "type": "object",
            "required": ["id", "action", "lock_id", "account_id", "detail", "at"],
            "properties": {
                "id": {"type": "integer"},
                "action": {"type": "string"},
                "lock_id": {"type": ["integer", "null"]},
                "account_id": {"type": ["integer", "null"]},
                "detail": {},
                "at": {"type": "string", "format": "date-time"},
            },
        }}),
        ("GET", "/api/v1/operations") => many("Operation"),
        ("GET", "/api/v1/operations/{id}") | ("POST", "/api/v1/locks/{id}/operations") => {
            one("Operation")
        }
        ("GET", "/api/v1/events") => many("Event"),
        ("GET", "/api/v1/locks/{id}/doctor") => obj(
            &["lock_id", "plan", "factory_reset_warnings"],
            json!({"lock_id": {"type": "integer"}, "lock_name": {"type": "string"}, "plan": {"type": "object", "description": "symptom, findings, and steps (step, todo, costs, fixes, why, not_yet, checkable), least destructive first"}, "check": {"description": "step, outcome (fixed, not_yet, cannot_tell), message"}, "factory_reset_warnings": {"type": "array", "items": {"type": "string"}}, "facts": {"type": "object"}}),
        ),
        ("GET", "/api/v1/locks/{id}/offline-codes") => obj(
            &["lock_id", "enabled", "codes"],
            json!({"lock_id": {"type": "integer"}, "enabled": {"type": "boolean"}, "epoch": {"type": ["integer", "null"]}, "codes": many("OfflineCode")}),
        ),
        ("POST", "/api/v1/locks/{id}/offline-codes") => obj(
            &["code", "offline_code"],
            json!({"code": {"type": "string", "format": "password", "description": "the ten digits, shown once"}, "offline_code": one("OfflineCode")}),
        ),
        (
            "POST",
            "/api/v1/locks/{id}/offline-codes/enable"
            | "/api/v1/locks/{id}/offline-codes/revoke-all",
        ) => one("Operation"),
        ("POST", "/api/v1/offline-codes/{id}/revoke") => obj(
            &["offline_code"],
            json!({"offline_code": one("OfflineCode"), "operation": nullable(one("Operation"))}),
        ),
        ("GET", "/api/v1/alerts") => many("Alert"),
        ("GET", "/api/v1/webhooks") => many("Webhook"),
        ("GET" | "PATCH", "/api/v1/webhooks/{id}") => one("Webhook"),
        ("POST", "/api/v1/webhooks") => {
            json!({"allOf": [one("Webhook"), obj(&["secret"], json!({"secret": {"type": "string", "format": "password", "description": "whsec_… (Standard Webhooks), shown once"}}))]})
        }
        ("GET", "/api/v1/webhook-deliveries") => many("WebhookDelivery"),
        ("POST", "/api/v1/webhook-deliveries/{id}/redeliver") => one("WebhookDelivery"),
        ("GET", "/api/v1/webhook-deliveries/{id}") => obj(
            &["delivery", "attempts"],
            json!({"delivery": one("WebhookDelivery"), "attempts": {"type": "array", "items": obj(&["at", "latency_ms"], json!({"at": {"type": "string", "format": TS}, "status": {"type": ["integer", "null"]}, "error": {"type": ["string", "null"]}, "latency_ms": {"type": "integer"}}))}}),
        ),
        ("GET", "/api/v1/listings") => many("Listing"),
        ("POST", "/api/v1/listings") => one("Listing"),
        ("POST", "/api/v1/listings/{id}/feeds") => one("Feed"),
        ("GET", "/api/v1/listings/{id}") => obj(
            &["listing", "zone", "feeds", "reservations", "pending"],
            json!({"listing": one("Listing"), "zone": {"type": "string"}, "feeds": many("Feed"),
                   "reservations": {"type": "array", "items": {"type": "object", "description": "id, uid, summary, start_date, end_date, state (active, cancelled), person_id, batch_id, pin_kept, window, doors [{lock_id, state}]"}},
                   "pending": {"type": "array", "items": {"type": "object", "description": "id, listing_id, feed_id, reason, stays, created_at"}}}),
        ),
        ("POST", "/api/v1/listings/{id}/sync") => many("SyncReport"),
        ("POST", "/api/v1/rental-changes/{id}/confirm") => one("SyncReport"),
        ("GET", "/api/v1/reservations/{id}/code") => obj(
            &["reservation_id", "pin"],
            json!({"reservation_id": {"type": "integer"}, "pin": {"type": "string", "format": "password"}}),
        ),
        ("POST", "/api/v1/alerts/{id}/ack") => one("Alert"),
        ("POST", "/api/v1/login") => obj(
            &["token", "account"],
            json!({"token": {"type": "string"}, "expires_at": {"type": "string", "format": TS}, "account": one("Account")}),
        ),
        _ => return None,
    })
}

fn schemas() -> Value {
    let int = json!({"type": "integer", "format": "int64"});
    let int_opt = json!({"type": ["integer", "null"], "format": "int64"});
    let ts = json!({"type": "string", "format": TS});
    let ts_opt = json!({"type": ["string", "null"], "format": TS});
    let string = json!({"type": "string"});
    let string_opt = json!({"type": ["string", "null"]});
    let names = |all: Vec<&'static str>| json!({"type": "string", "enum": all});
    json!({
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "code"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "code": {"type": "string", "description": "stable machine-readable code"}
            }
        },
        "Role": names(crate::model::Role::ALL.iter().map(|r| r.as_str()).collect()),
        "ClaimState": names(crate::model::ClaimState::ALL.iter().map(|r| r.as_str()).collect()),
        "Presence": names(crate::model::Presence::ALL.iter().map(|r| r.as_str()).collect()),
        "OpState": names(crate::model::OpState::ALL.iter().map(|r| r.as_str()).collect()),
        "Symptom": names(crate::model::Symptom::ALL.iter().map(|r| r.as_str()).collect()),
        "DoctorStep": names(crate::model::DoctorStep::ALL.iter().map(|r| r.as_str()).collect()),
        "Severity": names(crate::model::Severity::ALL.iter().map(|r| r.as_str()).collect()),
        "Org": obj(&["id", "name", "created_at"], json!({"id": int, "name": string, "created_at": ts})),
        "Account": obj(&["id", "org_id", "email", "name", "role", "created_at"], json!({"id": int, "org_id": int, "email": string, "name": string, "role": {"$ref": "#/components/schemas/Role"}, "created_at": ts})),
        "Token": obj(&["id", "account_id", "kind", "label", "created_at"], json!({"id": int, "account_id": int, "kind": {"type": "string", "enum": ["session", "api"]}, "label": string, "created_at": ts, "expires_at": ts_opt})),
        "IssuedToken": obj(&["token", "id", "kind", "label"], json!({"token": {"type": "string", "description": "shown once"}, "id": int, "account_id": int, "kind": string, "label": string, "created_at": ts, "expires_at": ts_opt})),
        "Site": obj(&["id", "org_id", "name", "time_zone", "created_at"], json!({"id": int, "org_id": int, "name": string, "time_zone": string, "created_at": ts})),
        "Lock": obj(&["id", "serial", "name", "claim_state", "online", "reset_counter", "created_at"], json!({"id": int, "serial": string, "org_id": int_opt, "site_id": int_opt, "name": string, "claim_state": {"$ref": "#/components/schemas/ClaimState"}, "online": {"type": "boolean"}, "presence": {"$ref": "#/components/schemas/Presence"}, "presence_since": ts_opt, "last_seen_at": ts_opt, "battery_pct": int_opt, "reset_counter": int, "last_event_seq": int_opt, "created_at": ts, "telemetry": {"type": "object"}, "log_epoch": int, "rejected_frames": int, "stale_reason": {}, "intent": string_opt, "transfer_to_org": int_opt})),
        "Operation": obj(&["id", "org_id", "lock_id", "kind", "state", "attempts", "max_attempts", "created_at", "updated_at"], json!({"id": int, "org_id": int, "lock_id": int, "kind": string, "params": {}, "state": {"$ref": "#/components/schemas/OpState"}, "attempts": int, "max_attempts": int, "error": string_opt, "created_by": int_opt, "created_at": ts, "updated_at": ts, "request_id": string_opt, "claimed_by": string_opt, "command_id": int_opt, "result": {}, "waiting": {"type": "string", "description": "why a pending or sent operation waits (lock offline or not answering, since when)"}})),
        "Event": obj(&["id", "lock_id", "seq", "kind", "at", "received_at"], json!({"id": int, "org_id": int_opt, "lock_id": int, "seq": int, "kind": string, "at": ts, "received_at": ts, "data": {}})),
        "Webhook": obj(&["id", "org_id", "url", "events", "enabled", "consecutive_failures", "created_at"], json!({"id": int, "org_id": int, "url": string, "events": {"type": "array", "items": string}, "enabled": {"type": "boolean"}, "disabled_reason": string_opt, "consecutive_failures": int, "failing_since": ts_opt, "created_at": ts})),
        "WebhookDelivery": obj(&["id", "webhook_id", "lane", "event", "msg_id", "state", "attempts", "next_at", "created_at"], json!({"id": int, "webhook_id": int, "lane": int, "event": string, "msg_id": string, "state": {"enum": ["pending", "delivered", "failed"]}, "attempts": int, "next_at": ts, "last_status": int_opt, "last_error": string_opt, "last_latency_ms": int_opt, "created_at": ts, "ended_at": ts_opt})),
        "OfflineCode": obj(&["id", "lock_id", "epoch", "code_id", "kind", "window", "starts_at", "ends_at", "label", "issued_at"], json!({"id": int, "lock_id": int, "epoch": int, "code_id": int, "kind": {"type": "string", "enum": ["one_time", "hours", "days", "daily"]}, "window": {}, "starts_at": ts, "ends_at": ts, "label": string, "issued_by": int_opt, "issued_at": ts, "revoked_at": ts_opt})),
        "PinSource": names(crate::model::PinSource::ALL.iter().map(|r| r.as_str()).collect()),
        "Listing": obj(&["id", "org_id", "site_id", "name", "check_in", "check_out", "lock_ids", "pin_source", "poll_minutes", "cleaner_codes", "created_at"], json!({"id": int, "org_id": int, "site_id": int, "name": string, "time_zone": string_opt, "check_in": string, "check_out": string, "lock_ids": {"type": "array", "items": int}, "pin_source": {"$ref": "#/components/schemas/PinSource"}, "poll_minutes": int, "cleaner_codes": {"type": "boolean"}, "created_at": ts})),
        "Feed": obj(&["id", "listing_id", "url", "failures", "next_poll_at"], json!({"id": int, "listing_id": int, "url": string, "etag": string_opt, "last_modified": string_opt, "failures": int, "last_error": string_opt, "last_polled_at": ts_opt, "next_poll_at": ts})),
        "SyncReport": obj(&["listing_id", "feed_id", "outcome", "created", "retimed", "cancelled", "pins", "problems"], json!({"listing_id": int, "feed_id": int, "outcome": {"type": "string", "enum": ["applied", "not_modified", "held", "failed"]}, "error": string_opt, "created": int, "retimed": int, "cancelled": int, "pending_id": int_opt, "pins": {"type": "array", "items": {"type": "object", "properties": {"reservation_id": int, "pin": {"type": "string", "format": "password"}}}}, "problems": {"type": "array", "items": string}})),
        "Alert": obj(&["id", "org_id", "kind", "severity", "message", "created_at"], json!({"id": int, "org_id": int, "lock_id": int_opt, "kind": string, "severity": {"$ref": "#/components/schemas/Severity"}, "message": string, "created_at": ts, "times": int, "last_at": ts, "cleared_at": ts_opt, "acked_at": ts_opt, "acked_by": int_opt})),
    })
}

/// The statuses of a successful call (one, except where the answer says
/// whether the work is done or queued).
fn success_statuses(method: &str, path: &str) -> &'static [&'static str] {
    match (method, path) {
        ("POST", "/api/v1/locks/{id}/release" | "/api/v1/locks/{id}/transfer") => &["200", "202"],
        (
            "POST",
            "/api/v1/accounts"
            | "/api/v1/sites"
            | "/api/v1/tokens"
            | "/api/v1/people"
            | "/api/v1/orgs"
            | "/api/v1/locks/claim"
            | "/api/v1/webhooks"
            | "/api/v1/locks/{id}/check-in"
            | "/api/v1/sites/{id}/staff-cards"
            | "/api/v1/stays/{id}/lost-card"
            | "/api/v1/locks/{id}/offline-codes"
            | "/api/v1/listings"
            | "/api/v1/listings/{id}/feeds",
        ) => &["201"],
        (
            "POST",
            "/api/v1/locks/{id}/operations"
            | "/api/v1/locks/{id}/manufacturer-reset"
            | "/api/v1/people/{id}/access"
            | "/api/v1/people/{id}/revoke"
            | "/api/v1/credentials/{id}/change-pin"
            | "/api/v1/credentials/{id}/replace"
            | "/api/v1/access/revoke-all-except-owners"
            | "/api/v1/locks/{id}/reenrol"
            | "/api/v1/locks/{id}/holidays"
            | "/api/v1/locks/{id}/verifications"
            | "/api/v1/webhook-deliveries/{id}/redeliver"
            | "/api/v1/locks/{id}/offline-codes/enable"
            | "/api/v1/locks/{id}/offline-codes/revoke-all"
            | "/api/v1/offline-codes/{id}/revoke",
        )
        | ("PATCH", "/api/v1/locks/{id}/settings") => &["202"],
        ("DELETE", _)
        | (
            "POST",
            "/api/v1/logout" | "/api/v1/me/password" | "/api/v1/rental-changes/{id}/discard",
        ) => &["204"],
        _ => &["200"],
    }
}

/// A problem-details answer.
fn problem(why: &str) -> Value {
    json!({"description": why, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

/// Every error status a route can answer, and when: the shared sets (any
/// route, a route with a body, an authenticated route, one that changes
/// state), then the few of one route.
fn problem_statuses(r: &RouteSpec, has_body: bool) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![(
        "400",
        "malformed path, query or body, or a value out of its range",
    )];
    if has_body {
        out.extend([
            ("413", "body larger than 64 KiB"),
            ("415", "body not sent as application/json"),
            ("422", "well-formed but refused on its meaning (unknown time zone, a rule between fields, a door the person never had)"),
        ]);
    }
    if r.roles.is_some() {
        out.extend([
            ("401", "no valid bearer token"),
            ("403", "the caller's role does not allow this"),
            ("404", "no such resource in the caller's organisation"),
        ]);
        if r.mutating {
            out.push(("409", "conflicts with the current state (exists already, still in use, wrong lock state, last owner)"));
        }
    }
    out.extend(match (r.method, r.path) {
        ("POST", "/api/v1/login") => &[("401", "wrong e-mail or password")][..],
        ("POST", "/api/v1/locks/claim" | "/api/v1/locks/{id}/reclaim") => &[
            ("502", "the lock answered the claim with an error"),
            ("503", "the hub has no link to the locks"),
            ("504", "the lock did not answer in time"),
        ],
        ("POST", "/api/v1/locks/{id}/manufacturer-reset") => {
            &[("503", "this hub has no manufacturer signing key")]
        }
        ("GET", "/api/v1/verifications/{id}") => &[("409", "the report is not ready yet")],
        ("GET", "/health/ready") => &[(
            "503",
            "the database does not answer or the broker link is not steady (`database`, `mqtt` say which)",
        )],
        ("GET", "/metrics") => &[(
            "401",
            "the hub has a metrics token and it was not given, or no token and the client is not on loopback",
        )],
        ("GET", "/api/v1/events") => &[("422", "`from` after `to`")],
        _ => &[],
    });
    out
}

/// Builds the document.
pub fn spec() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for r in ROUTES {
        let mut params = query_params(r.method, r.path);
        if r.path.contains("{id}") {
            params.push(json!({
                "name": "id", "in": "path", "required": true,
                "schema": id()
            }));
        }
        let mut responses = Map::new();
        let success = match response_schema(r.method, r.path) {
            Some(schema) => {
                json!({"description": "success", "content": {"application/json": {"schema": schema}}})
            }
            None if r.path == "/metrics" => {
                json!({"description": "Prometheus text format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}})
            }
            None => json!({"description": "success"}),
        };
        for status in success_statuses(r.method, r.path) {
            responses.insert((*status).into(), success.clone());
        }
        let body = request_body(r.method, r.path);
        for (status, why) in problem_statuses(r, body.is_some()) {
            responses.insert(status.into(), problem(why));
        }
        // Login limits and a throttling lock's claims (429), and a full
        // hashing queue (503), all with Retry-After.
        let retry = json!({"description": "problem details; wait Retry-After seconds", "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}}, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
        if matches!(
            (r.method, r.path),
            (
                "POST",
                "/api/v1/login" | "/api/v1/locks/claim" | "/api/v1/locks/{id}/reclaim"
            )
        ) {
            responses.insert("429".into(), retry.clone());
        }
        if matches!(
            (r.method, r.path),
            (
                "POST",
                "/api/v1/login" | "/api/v1/me/password" | "/api/v1/accounts"
            )
        ) {
            responses.insert("503".into(), retry);
        }
        let mut op = json!({
            "tags": [r.tag],
            "summary": r.summary,
            "operationId": format!("{}_{}", r.method.to_lowercase(), r.path.trim_start_matches("/api/v1/").replace(['/', '{', '}', '.'], "_")),
            "parameters": params,
            "responses": responses,
        });
        if let (Some(body), Some(o)) = (body, op.as_object_mut()) {
            o.insert("requestBody".into(), body);
        }
        if let (Some(roles), Some(obj)) = (r.roles, op.as_object_mut()) {
            obj.insert("security".into(), json!([{"bearer": []}]));
            obj.insert(
                "x-roles".into(),
                json!(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()),
            );
        } else if let Some(obj) = op.as_object_mut() {
            obj.insert("security".into(), json!([]));
        }
        let entry = paths
            .entry(r.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(obj) = entry.as_object_mut() {
            obj.insert(r.method.to_lowercase(), op);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tumbler hub API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Organisations, accounts, sites, locks, operations, events and alerts. \
                            Every route except login, health and this document needs a bearer token \
                            (session from /login or an API token). Another organisation's resources \
                            answer 404. Errors are RFC 9457 problem details with a stable `code`."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas()
        }
    })
}

/// `GET /openapi.json`.
pub async fn document() -> Json<Value> {
    Json(spec())
}
