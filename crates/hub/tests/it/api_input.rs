//! Bad input: always a 4xx problem (never a 5xx), and nothing changes.

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};
use tumbler_hub::api::ROUTES;
use tumbler_hub::model::Role;
use tumbler_testkit::TestApp;

use crate::api_authz::snapshot;
use tumbler_testkit::fixtures::{org, PASSWORD};
use tumbler_testkit::http::{call, raw};

/// method, path, token, body, expected status, expected code.
type Case<'a> = (
    &'a str,
    String,
    Option<&'a str>,
    Option<Value>,
    u16,
    &'a str,
);

#[tokio::test]
async fn bad_input_is_a_4xx_problem_and_changes_nothing() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "alpha").await;
    let owner = a.token(Role::Owner).to_owned();
    let manager = a.token(Role::Manager).to_owned();
    let lock = a.lock_id;
    let site = a.site_id;
    let owner_id = a.account(Role::Owner);
    let before = snapshot(&app, a.org_id).await;

    let long = "x".repeat(101);
    let cases: Vec<Case> = vec![
        (
            "POST",
            "/api/v1/sites".into(),
            Some(&owner),
            Some(json!({"name": "", "time_zone": "UTC"})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/sites".into(),
            Some(&owner),
            Some(json!({"name": "   ", "time_zone": "UTC"})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/sites".into(),
            Some(&owner),
            Some(json!({"name": long, "time_zone": "UTC"})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/sites".into(),
            Some(&owner),
            Some(json!({"name": "a\u{7}b", "time_zone": "UTC"})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/sites".into(),
            Some(&owner),
            Some(json!({"name": "Mars", "time_zone": "Mars/Olympus"})),
            422,
            "refused",
        ),
        (
            "POST",
            "/api/v1/sites".into(),
            Some(&owner),
            Some(json!({"name": "Mars", "time_zone": "x".repeat(5000)})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/sites".into(),
            Some(&owner),
            Some(json!({"name": "Mars"})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/sites".into(),
            Some(&owner),
            Some(json!({"name": "Mars", "time_zone": "UTC", "extra": 1})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/sites".into(),
            Some(&owner),
            Some(json!({"name": 5, "time_zone": "UTC"})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/sites".into(),
            Some(&owner),
            Some(json!({"name": "HQ", "time_zone": "UTC"})),
            409,
            "conflict",
        ),
        (
            "POST",
            "/api/v1/sites".into(),
            Some(&owner),
            None,
            415,
            "unsupported_media_type",
        ),
        (
            "PATCH",
            format!("/api/v1/sites/{site}"),
            Some(&owner),
            Some(json!({"time_zone": "Nowhere/Land"})),
            422,
            "refused",
        ),
        (
            "DELETE",
            format!("/api/v1/sites/{site}"),
            Some(&owner),
            None,
            409,
            "in_use",
        ),
        (
            "GET",
            "/api/v1/sites/abc".into(),
            Some(&owner),
            None,
            400,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/sites/99999999999999999999999".into(),
            Some(&owner),
            None,
            400,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/sites/424242".into(),
            Some(&owner),
            None,
            404,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/accounts".into(),
            Some(&owner),
            Some(json!({"email": "nope", "name": "N", "role": "support", "password": PASSWORD})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/accounts".into(),
            Some(&owner),
            Some(json!({"email": "n@x.test", "name": "N", "role": "support", "password": "short"})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/accounts".into(),
            Some(&owner),
            Some(json!({"email": "n@x.test", "name": "N", "role": "admin", "password": PASSWORD})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/accounts".into(),
            Some(&owner),
            Some(
                json!({"email": "owner@alpha.test", "name": "N", "role": "support", "password": PASSWORD}),
            ),
            409,
            "conflict",
        ),
        (
            "POST",
            "/api/v1/accounts".into(),
            Some(&manager),
            Some(json!({"email": "n@x.test", "name": "N", "role": "owner", "password": PASSWORD})),
            403,
            "forbidden",
        ),
        (
            "PATCH",
            format!("/api/v1/accounts/{owner_id}"),
            Some(&owner),
            Some(json!({"role": "support"})),
            409,
            "last_owner",
        ),
        (
            "DELETE",
            format!("/api/v1/accounts/{owner_id}"),
            Some(&owner),
            None,
            409,
            "last_owner",
        ),
        (
            "PATCH",
            "/api/v1/org".into(),
            Some(&owner),
            Some(json!({"name": ""})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/tokens".into(),
            Some(&owner),
            Some(json!({"label": "x", "expires_in_days": 0})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/tokens".into(),
            Some(&owner),
            Some(json!({"label": ""})),
            400,
            "invalid_input",
        ),
        (
            "DELETE",
            "/api/v1/tokens/424242".into(),
            Some(&owner),
            None,
            404,
            "not_found",
        ),
        (
            "POST",
            format!("/api/v1/locks/{lock}/operations"),
            Some(&owner),
            Some(json!({"kind": "explode"})),
            400,
            "invalid_input",
        ),
        // The lock plane: every refusal happens before anything is stored
        // or any frame is sent.
        (
            "POST",
            format!("/api/v1/locks/{lock}/operations"),
            Some(&owner),
            Some(json!({"kind": "factory_reset"})),
            422,
            "confirmation_required",
        ),
        (
            "POST",
            format!("/api/v1/locks/{lock}/operations"),
            Some(&owner),
            Some(json!({"kind": "factory_reset", "confirm": "someone-else"})),
            422,
            "confirmation_required",
        ),
        (
            "POST",
            format!("/api/v1/locks/{lock}/operations"),
            Some(&owner),
            Some(json!({"kind": "reboot", "pin": "1234"})),
            422,
            "refused",
        ),
        (
            "POST",
            format!("/api/v1/locks/{lock}/operations"),
            Some(&owner),
            Some(json!({"kind": "unlock", "pin": "12ab"})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            format!("/api/v1/locks/{lock}/operations"),
            Some(&owner),
            Some(json!({"kind": "unlock_with_timeout"})),
            422,
            "refused",
        ),
        (
            "POST",
            format!("/api/v1/locks/{lock}/operations"),
            Some(&owner),
            Some(json!({"kind": "unlock_with_timeout", "timeout_s": 0})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            format!("/api/v1/locks/{lock}/operations"),
            Some(&owner),
            Some(json!({"kind": "manufacturer_reset"})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/locks/claim".into(),
            Some(&owner),
            Some(json!({"serial": "bad/serial", "setup_code": "12345678", "site_id": site})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/locks/claim".into(),
            Some(&owner),
            Some(json!({"serial": "ok-serial", "setup_code": "", "site_id": site})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/locks/claim".into(),
            Some(&owner),
            Some(
                json!({"serial": "ok-serial", "setup_code": "12345678", "site_id": site, "factory_key": "zz"}),
            ),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/locks/claim".into(),
            Some(&owner),
            Some(json!({"serial": "ok-serial", "setup_code": "12345678", "site_id": 424242})),
            404,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/locks/claim".into(),
            Some(&owner),
            Some(json!({"serial": "ok-serial", "site_id": site})),
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/locks/claim".into(),
            Some(&owner),
            Some(json!({"serial": a.serial, "setup_code": "12345678", "site_id": site})),
            409,
            "wrong_lock_state",
        ),
        (
            "POST",
            format!("/api/v1/locks/{lock}/reclaim"),
            Some(&owner),
            Some(json!({"setup_code": "12345678"})),
            409,
            "wrong_lock_state",
        ),
        (
            "POST",
            format!("/api/v1/locks/{lock}/transfer"),
            Some(&owner),
            Some(json!({"to_org": a.org_id})),
            422,
            "refused",
        ),
        (
            "POST",
            format!("/api/v1/locks/{lock}/transfer"),
            Some(&owner),
            Some(json!({"to_org": 424242})),
            422,
            "refused",
        ),
        (
            "POST",
            "/api/v1/locks/424242/operations".into(),
            Some(&owner),
            Some(json!({"kind": "unlock"})),
            404,
            "not_found",
        ),
        (
            "GET",
            "/api/v1/locks?site=424242".into(),
            Some(&owner),
            None,
            404,
            "not_found",
        ),
        (
            "GET",
            "/api/v1/locks?claim_state=lost".into(),
            Some(&owner),
            None,
            400,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/operations?state=bogus".into(),
            Some(&owner),
            None,
            400,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/operations?limit=0".into(),
            Some(&owner),
            None,
            400,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/operations?lock=424242".into(),
            Some(&owner),
            None,
            404,
            "not_found",
        ),
        (
            "GET",
            "/api/v1/events?from=yesterday".into(),
            Some(&owner),
            None,
            400,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/events?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z".into(),
            Some(&owner),
            None,
            422,
            "refused",
        ),
        (
            "GET",
            "/api/v1/events?limit=100000".into(),
            Some(&owner),
            None,
            400,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/events?lock=abc".into(),
            Some(&owner),
            None,
            400,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/events?surprise=1".into(),
            Some(&owner),
            None,
            400,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/alerts/424242/ack".into(),
            Some(&owner),
            None,
            404,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/login".into(),
            None,
            Some(json!({"email": "owner@alpha.test", "password": "wrong password"})),
            401,
            "unauthenticated",
        ),
        (
            "POST",
            "/api/v1/login".into(),
            None,
            Some(json!({"email": "nobody@alpha.test", "password": PASSWORD})),
            401,
            "unauthenticated",
        ),
        (
            "POST",
            "/api/v1/login".into(),
            None,
            Some(json!({"email": "owner@alpha.test"})),
            400,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/nowhere".into(),
            Some(&owner),
            None,
            404,
            "not_found",
        ),
        (
            "PUT",
            "/api/v1/sites".into(),
            Some(&owner),
            None,
            405,
            "method_not_allowed",
        ),
    ];
    for (method, path, token, body, status, code) in cases {
        let (st, p) = call(&app, method, &path, token, body.clone()).await;
        assert_eq!(
            (st.as_u16(), p["code"].as_str().unwrap_or("")),
            (status, code),
            "{method} {path} {body:?}: {p}"
        );
    }

    // Malformed JSON, wrong content type, oversized body, odd auth headers.
    let req = |body: &'static str, ct: &str| {
        Request::post("/api/v1/sites")
            .header("authorization", format!("Bearer {owner}"))
            .header("content-type", ct)
            .body(Body::from(body))
            .unwrap()
    };
    assert_eq!(raw(&app, req("{not json", "application/json")).await.0, 400);
    assert_eq!(raw(&app, req("{}", "text/plain")).await.0, 415);
    let big = Request::post("/api/v1/sites")
        .header("authorization", format!("Bearer {owner}"))
        .header("content-type", "application/json")
        .body(Body::from(format!(
            "{{\"name\":\"{}\",\"time_zone\":\"UTC\"}}",
            "x".repeat(100_000)
        )))
        .unwrap();
    assert_eq!(raw(&app, big).await.0, 413);
    for auth in [
        "Basic abc",
        "Bearer",
        "Bearer ",
        &format!("Bearer {}", "a".repeat(10_000)),
    ] {
        let r = Request::get("/api/v1/sites")
            .header("authorization", auth)
            .body(Body::empty())
            .unwrap();
        assert_eq!(raw(&app, r).await.0, 401, "{auth:.20}");
    }

    // Garbage bodies on every mutating route: a 4xx, never a 5xx.
    let garbage = [
        json!(null),
        json!([]),
        json!(42),
        json!("s"),
        json!({"name": 5, "role": []}),
        json!({"kind": null}),
    ];
    for spec in ROUTES
        .iter()
        .filter(|r| r.mutating && r.path != "/api/v1/logout")
    {
        let path = spec.path.replace("{id}", "424242");
        for g in &garbage {
            let (st, p) = call(&app, spec.method, &path, Some(&owner), Some(g.clone())).await;
            assert!(
                st.is_client_error(),
                "{} {} with {g}: {st} {p}",
                spec.method,
                spec.path
            );
        }
    }
    assert_eq!(
        snapshot(&app, a.org_id).await,
        before,
        "bad input changed something"
    );
    app.db.cleanup().await;
}
