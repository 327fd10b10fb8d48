//! The router is built from `ROUTES`: every entry answers at its path for
//! its method, and the OpenAPI document lists exactly those routes, every
//! status they answer and the shapes of their bodies (the schemathesis run
//! in `schemathesis.rs` checks the rest).

use std::collections::BTreeSet;

use tumbler_hub::api::ROUTES;
use tumbler_testkit::TestApp;

use axum::body::Body;
use axum::http::Request;
use serde_json::json;
use tumbler_testkit::http::{call, call_as, raw};

#[tokio::test]
async fn every_route_is_mounted_for_its_method() {
    let app = TestApp::sqlite().await.unwrap();
    // Controls: what the fallbacks answer.
    let (st, p) = call(&app, "GET", "/api/v1/no-such-route", None, None).await;
    assert_eq!(st, 404, "{p}");
    let (st, p) = call(&app, "PUT", "/api/v1/health", None, None).await;
    assert_eq!(st, 405, "{p}");
    assert_eq!(p["code"], "method_not_allowed");

    for spec in ROUTES {
        let path = spec.path.replace("{id}", "1");
        let (st, p) = call(&app, spec.method, &path, None, None).await;
        let what = format!("{} {}", spec.method, spec.path);
        assert_ne!(st, 405, "{what} is not mounted for its method: {p}");
        if spec.roles.is_some() {
            // A mounted route checks the token before anything else.
            assert_eq!(st, 401, "{what} is not mounted: {p}");
            assert_eq!(p["code"], "unauthenticated", "{what}: {p}");
        } else {
            assert_ne!(st, 404, "{what} is not mounted: {p}");
        }
    }
    app.db.cleanup().await;
}

#[tokio::test]
async fn document_lists_every_route() {
    let spec: BTreeSet<(&str, &str)> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
    assert_eq!(spec.len(), ROUTES.len(), "duplicate entry in ROUTES");

    let app = TestApp::sqlite().await.unwrap();
    let (st, doc) = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(st, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let mut listed = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            listed.insert((method.to_uppercase(), path.clone()));
            assert!(op["responses"].is_object());
        }
    }
    let expected: BTreeSet<(String, String)> = spec
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(
        doc["paths"]["/api/v1/sites"]["post"]["x-roles"],
        serde_json::json!(["owner", "manager"])
    );
    app.db.cleanup().await;
}

/// Issue 13, finding 9: every answer is documented for its route. Each
/// route is called with no token, with a token and no body, with `{}`,
/// with a body that is not declared JSON and with `[null, null]`, on an
/// id that exists and one that does not; every status must be in the
/// route's documented responses (409, 415 and 422 were missing).
#[tokio::test]
async fn every_answer_is_documented() {
    let app = TestApp::sqlite().await.unwrap();
    let a = tumbler_testkit::fixtures::org(&app, "doc").await;
    let owner = a.token(tumbler_hub::model::Role::Owner).to_owned();
    let (_, doc) = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    let skip = ["/api/v1/logout", "/api/v1/me/password"];
    let mut undocumented = Vec::new();
    for spec in ROUTES.iter().filter(|r| !skip.contains(&r.path)) {
        let responses = &doc["paths"][spec.path][spec.method.to_lowercase()]["responses"];
        for id in [a.site_id.to_string(), "424242".to_owned()] {
            let path = spec.path.replace("{id}", &id);
            let mut answers = vec![
                call(&app, spec.method, &path, None, None).await.0,
                call(&app, spec.method, &path, Some(&owner), None).await.0,
            ];
            if spec.mutating {
                answers.push(
                    call_as(&app, spec.method, &path, &owner, Some(json!({})))
                        .await
                        .0,
                );
                answers.push(
                    call_as(&app, spec.method, &path, &owner, Some(json!([null, null])))
                        .await
                        .0,
                );
                let req = Request::builder()
                    .method(spec.method)
                    .uri(&path)
                    .header("authorization", format!("Bearer {owner}"))
                    .header("content-type", "text/plain")
                    .body(Body::from("{}"))
                    .unwrap();
                answers.push(raw(&app, req).await.0);
            }
            for st in answers {
                if responses.get(st.as_str()).is_none() {
                    undocumented.push(format!("{} {path}: {st}", spec.method));
                }
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "undocumented answers: {undocumented:#?}"
    );
    app.db.cleanup().await;
}

/// Issue 13, finding 9: a body is a JSON object (`[null, null]` was read
/// as a site update with no change and answered 200), and a number with no
/// fractional part is an integer (JSON Schema says so; `30.0` was refused).
#[tokio::test]
async fn bodies_are_objects_and_integral_floats_are_integers() {
    let app = TestApp::sqlite().await.unwrap();
    let a = tumbler_testkit::fixtures::org(&app, "body").await;
    let owner = a.token(tumbler_hub::model::Role::Owner).to_owned();
    let site = format!("/api/v1/sites/{}", a.site_id);
    let (st, p) = call_as(&app, "PATCH", &site, &owner, Some(json!([null, null]))).await;
    assert_eq!(st, 400, "{p}");
    let (st, p) = call_as(&app, "PATCH", &site, &owner, Some(json!(["Renamed"]))).await;
    assert_eq!(st, 400, "{p}");
    let (st, p) = call_as(
        &app,
        "POST",
        "/api/v1/tokens",
        &owner,
        Some(json!({"label": "ci", "expires_in_days": 30.0})),
    )
    .await;
    assert_eq!(st, 201, "{p}");
    let (st, p) = call_as(
        &app,
        "POST",
        "/api/v1/tokens",
        &owner,
        Some(json!({"label": "ci", "expires_in_days": 30.5})),
    )
    .await;
    assert_eq!(st, 400, "{p}");
    app.db.cleanup().await;
}

/// Issue 13, finding 9: release and transfer may answer without a lock or
/// an operation (`{"lock": null, "operation": null, …}`); the document
/// says so.
#[tokio::test]
async fn release_answer_may_have_no_lock_or_operation() {
    let app = TestApp::sqlite().await.unwrap();
    let (_, doc) = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    for route in ["/api/v1/locks/{id}/release", "/api/v1/locks/{id}/transfer"] {
        let schema = &doc["paths"][route]["post"]["responses"]["200"]["content"]
            ["application/json"]["schema"]["properties"];
        for member in ["lock", "operation"] {
            let any = schema[member]["anyOf"]
                .as_array()
                .unwrap_or_else(|| panic!("{route}: {member} is not nullable: {}", schema[member]));
            assert!(any.contains(&json!({"type": "null"})), "{route} {member}");
        }
    }
    app.db.cleanup().await;
}
