//! The router is built from `ROUTES`: every entry answers at its path for
//! its method, and the OpenAPI document lists exactly those routes.

use std::collections::BTreeSet;

use tumbler_hub::api::ROUTES;
use tumbler_testkit::TestApp;

use tumbler_testkit::http::call;

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
