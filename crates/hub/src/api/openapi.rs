//! The OpenAPI 3.1 document at `/api/v1/openapi.json`, generated from
//! [`super::ROUTES`], the table the router is built from, so it cannot
//! forget a route.

use axum::Json;
use serde_json::{json, Map, Value};

use super::ROUTES;

fn obj(required: &[&str], props: Value) -> Value {
    json!({"type": "object", "required": required, "properties": props})
}

const TS: &str = "date-time";

/// JSON body a route accepts, if any.
fn request_body(method: &str, path: &str) -> Option<Value> {
    let schema = match (method, path) {
        ("POST", "/api/v1/login") => obj(
            &["email", "password"],
            json!({"email": {"type": "string"}, "password": {"type": "string", "format": "password"}}),
        ),
        ("POST", "/api/v1/tokens") => obj(
            &["label"],
            json!({"label": {"type": "string"}, "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 3650}}),
        ),
        ("POST", "/api/v1/credentials/{id}/replace") => obj(
            &[],
            json!({"uid": {"type": "string", "description": "a lost card's replacement, hex"}, "pin": {"type": "string", "format": "password", "description": "a PIN's replacement (default: generated, returned once)"}}),
        ),
        ("PATCH", "/api/v1/org") => obj(&["name"], json!({"name": {"type": "string"}})),
        ("POST", "/api/v1/orgs") => obj(
            &["name", "owner_email"],
            json!({"name": {"type": "string"}, "owner_email": {"type": "string"}, "time_zone": {"type": "string", "description": "IANA time zone of its first site (default UTC)"}}),
        ),
        ("POST", "/api/v1/accounts") => obj(
            &["email", "name", "role", "password"],
            json!({"email": {"type": "string"}, "name": {"type": "string"}, "role": {"$ref": "#/components/schemas/Role"}, "password": {"type": "string", "format": "password", "minLength": 8}}),
        ),
        ("PATCH", "/api/v1/accounts/{id}") => obj(
            &["role"],
            json!({"role": {"$ref": "#/components/schemas/Role"}}),
        ),
        ("POST", "/api/v1/sites") => obj(
            &["name", "time_zone"],
            json!({"name": {"type": "string"}, "time_zone": {"type": "string", "description": "IANA time zone"}}),
        ),
        ("PATCH", "/api/v1/sites/{id}") => obj(
            &[],
            json!({"name": {"type": "string"}, "time_zone": {"type": "string"}}),
        ),
        ("POST", "/api/v1/locks/{id}/operations") => obj(
            &["kind"],
            json!({"kind": {"type": "string", "enum": crate::service::operations::requestable_kinds()},
                   "pin": {"type": "string", "format": "password", "description": "digits; kept in the hub's memory only until sealed"},
                   "timeout_s": {"type": "integer", "minimum": 1, "maximum": 3600, "description": "unlock_with_timeout only"},
                   "confirm": {"type": "string", "description": "factory_reset only: the lock's serial"}}),
        ),
        ("POST", "/api/v1/locks/claim") => obj(
            &["serial", "setup_code", "site_id"],
            json!({"serial": {"type": "string"}, "setup_code": {"type": "string", "format": "password"},
                   "site_id": {"type": "integer", "format": "int64"}, "label": {"type": "string"},
                   "factory_key": {"type": "string", "description": "the lock's factory identity key, 64 hex digits"}}),
        ),
        ("POST", "/api/v1/locks/{id}/reclaim") => obj(
            &["setup_code"],
            json!({"setup_code": {"type": "string", "format": "password"}, "factory_key": {"type": "string"}}),
        ),
        ("POST", "/api/v1/locks/{id}/transfer") => obj(
            &["to_org"],
            json!({"to_org": {"type": "integer", "format": "int64"}}),
        ),
        ("POST", "/api/v1/locks/{id}/holidays") => obj(
            &[],
            json!({"slot": {"type": "integer", "minimum": 0, "maximum": 3},
                   "from": {"type": "string", "description": "site local time, e.g. 2026-12-24T00:00"},
                   "to": {"type": "string"},
                   "mode": {"type": "string", "enum": ["vacation", "privacy", "passage", "normal"]},
                   "clear": {"type": "boolean"}}),
        ),
        ("POST", "/api/v1/people") => obj(
            &["name"],
            json!({"name": {"type": "string"}, "owner": {"type": "boolean", "description": "kept through revoke-all-except-owners"}}),
        ),
        ("POST", "/api/v1/people/{id}/access") => {
            let cred = json!({"type": "object", "required": ["kind"], "properties": {
                "kind": {"type": "string", "enum": ["pin", "card", "fingerprint", "app_key"]},
                "pin": {"type": "string", "format": "password", "description": "never stored; sealed until delivered"},
                "generate": {"type": "boolean", "description": "generate a PIN, returned once"},
                "uid": {"type": "string", "description": "card UID, hex"},
                "template": {"type": "integer", "description": "fingerprint template slot"},
                "key": {"type": "string", "description": "app public key, hex"},
                "label": {"type": "string"}}});
            obj(
                &["lock_ids"],
                json!({"lock_ids": {"type": "array", "items": {"type": "integer", "format": "int64"}},
                       "schedule": {"type": "object", "description": "{kind: permanent | one_time | expiring{until} | date_range{from,to} | weekly{windows:[{days,start,end}]}}, site local time"},
                       "credential": cred.clone(),
                       "credentials": {"type": "array", "items": cred}}),
            )
        }
        ("POST", "/api/v1/credentials/{id}/change-pin") => obj(
            &[],
            json!({"pin": {"type": "string", "format": "password", "description": "default: generated, returned once"}}),
        ),
        ("POST", "/api/v1/people/{id}/revoke") => obj(
            &[],
            json!({"lock_ids": {"type": "array", "items": {"type": "integer", "format": "int64"}, "description": "default: every door"}}),
        ),
        ("POST", "/api/v1/access/revoke-all-except-owners") => obj(
            &["confirm"],
            json!({"confirm": {"type": "string", "enum": ["revoke-all"]}}),
        ),
        ("POST", "/api/v1/locks/{id}/reenrol") => obj(
            &["people"],
            json!({"people": {"type": "array", "items": {"type": "object", "required": ["person_id"], "properties": {
                "person_id": {"type": "integer", "format": "int64"},
                "pin": {"type": "string", "format": "password"},
                "generate_pin": {"type": "boolean"}}}}}),
        ),
        _ => return None,
    };
    let mut schema = schema;
    if let Some(o) = schema.as_object_mut() {
        o.insert("additionalProperties".into(), Value::Bool(false));
    }
    Some(json!({"required": true, "content": {"application/json": {"schema": schema}}}))
}

/// Query parameters of a route.
fn query_params(method: &str, path: &str) -> Vec<Value> {
    let q = |name: &str, schema: Value| json!({"name": name, "in": "query", "required": false, "schema": schema});
    let int = || json!({"type": "integer", "format": "int64"});
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
            q("kind", json!({"type": "string"})),
            q("from", json!({"type": "string", "format": TS})),
            q("to", json!({"type": "string", "format": TS})),
            q("limit", limit()),
        ],
        ("GET", "/api/v1/audit") => vec![q("limit", limit())],
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

/// Name of the schema a successful answer carries, if any.
fn response_schema(method: &str, path: &str) -> Option<Value> {
    let one = |n: &str| json!({"$ref": format!("#/components/schemas/{n}")});
    let many =
        |n: &str| json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{n}")}});
    Some(match (method, path) {
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
            json!({"lock": one("Lock"), "operation": one("Operation"), "message": {"type": "string"}}),
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
        ("GET", "/api/v1/alerts") => many("Alert"),
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
        "Operation": obj(&["id", "org_id", "lock_id", "kind", "state", "attempts", "max_attempts", "created_at", "updated_at"], json!({"id": int, "org_id": int, "lock_id": int, "kind": string, "params": {}, "state": {"$ref": "#/components/schemas/OpState"}, "attempts": int, "max_attempts": int, "error": string_opt, "created_by": int_opt, "created_at": ts, "updated_at": ts, "claimed_by": string_opt, "command_id": int_opt, "result": {}, "waiting": {"type": "string", "description": "why a pending or sent operation waits (lock offline or not answering, since when)"}})),
        "Event": obj(&["id", "lock_id", "seq", "kind", "at", "received_at"], json!({"id": int, "org_id": int_opt, "lock_id": int, "seq": int, "kind": string, "at": ts, "received_at": ts, "data": {}})),
        "Alert": obj(&["id", "org_id", "kind", "severity", "message", "created_at"], json!({"id": int, "org_id": int, "lock_id": int_opt, "kind": string, "severity": {"$ref": "#/components/schemas/Severity"}, "message": string, "created_at": ts, "times": int, "last_at": ts, "cleared_at": ts_opt, "acked_at": ts_opt, "acked_by": int_opt})),
    })
}

/// Builds the document.
pub fn spec() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for r in ROUTES {
        let mut params = query_params(r.method, r.path);
        if r.path.contains("{id}") {
            params.push(json!({
                "name": "id", "in": "path", "required": true,
                "schema": {"type": "integer", "format": "int64"}
            }));
        }
        let mut responses = Map::new();
        let ok = match r.method {
            "POST" if r.path.ends_with("/operations") => "202",
            "POST"
                if r.path.ends_with("/sites")
                    || r.path.ends_with("/accounts")
                    || r.path.ends_with("/tokens") =>
            {
                "201"
            }
            "DELETE" => "204",
            "POST" if r.path.ends_with("/logout") || r.path.ends_with("/password") => "204",
            _ => "200",
        };
        let success = match response_schema(r.method, r.path) {
            Some(schema) => {
                json!({"description": "success", "content": {"application/json": {"schema": schema}}})
            }
            None => json!({"description": "success"}),
        };
        responses.insert(ok.into(), success);
        let problem = json!({"description": "problem details", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
        responses.insert("400".into(), problem.clone());
        if r.roles.is_some() {
            responses.insert("401".into(), problem.clone());
            responses.insert("403".into(), problem.clone());
            responses.insert("404".into(), problem.clone());
        }
        // Routes that check or hash a password: login limits (429) and a
        // full hashing queue (503), both with Retry-After.
        let retry = json!({"description": "problem details; wait Retry-After seconds", "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}}, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
        if (r.method, r.path) == ("POST", "/api/v1/login") {
            responses.insert("401".into(), problem.clone());
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
        if let (Some(body), Some(o)) = (request_body(r.method, r.path), op.as_object_mut()) {
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
