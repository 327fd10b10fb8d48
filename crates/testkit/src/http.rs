//! One request through the hub's router without a socket
//! (`tumbler_hub::app(state).oneshot`), so every check includes the API.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::hub::HasState;

/// Sends one request: `token` is a bearer token, `body` is sent as JSON. Returns the status and the body as JSON
/// (`Null` when empty, a string when not JSON). Every error answer must be
/// `application/problem+json` with a stable `code`.
pub async fn call(
    app: &impl HasState,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    raw(app, req).await
}

/// [`call`] signed in: always with `token`.
pub async fn call_as(
    app: &impl HasState,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call(app, method, path, Some(token), body).await
}

/// Sends a prepared request; the same checks as [`call`].
pub async fn raw(app: &impl HasState, req: Request<Body>) -> (StatusCode, Value) {
    let res = tumbler_hub::app(app.app_state().clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    if !status.is_success() {
        assert_eq!(
            ct.as_deref(),
            Some("application/problem+json"),
            "{status} {json}"
        );
        assert!(json["code"].is_string(), "problem has a code: {json}");
        assert_eq!(json["status"], status.as_u16());
    }
    (status, json)
}
