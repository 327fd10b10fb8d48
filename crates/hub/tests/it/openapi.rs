//! The OpenAPI document lists exactly the routes the router mounts.

use std::collections::BTreeSet;

use tumbler_hub::api::{mounted_routes, ROUTES};
use tumbler_hub::testkit::TestApp;

use crate::support::call;

#[tokio::test]
async fn document_lists_every_mounted_route() {
    let spec: BTreeSet<(&str, &str)> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
    let mounted: BTreeSet<(&str, &str)> = mounted_routes().into_iter().collect();
    assert_eq!(spec.len(), ROUTES.len(), "duplicate entry in ROUTES");
    assert_eq!(mounted, spec, "router and ROUTES disagree");

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
