//! Operator endpoints: `/health/live`, `/health/ready` (probes for a
//! supervisor or load balancer; public, small JSON) and `/metrics`
//! (Prometheus text; a bearer token when the hub has `--metrics-token`,
//! otherwise loopback clients only).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::ApiError;
use crate::api::AppState;

/// `GET /health/live`: 200 while the process serves HTTP (nothing else is
/// checked: a supervisor restarts a hub only when this fails).
pub async fn live() -> Json<serde_json::Value> {
    Json(json!({"status": "live"}))
}

/// `GET /health/ready`: 200 when the database answers a query and the
/// broker link (if the hub has one) is connected and steady; otherwise 503,
/// a problem document (`code` `not_ready`) saying which, with the same
/// `database` and `mqtt` fields.
pub async fn ready(State(s): State<AppState>) -> Response {
    let database = match s.service.ready().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            "unreachable"
        }
    };
    let mqtt = s
        .link
        .as_ref()
        .map(|l| l.report(tokio::time::Instant::now()));
    let ok = database == "ok" && mqtt.as_ref().is_none_or(|r| r.ok());
    if ok {
        return Json(json!({"status": "ready", "database": database, "mqtt": mqtt}))
            .into_response();
    }
    let code = StatusCode::SERVICE_UNAVAILABLE;
    let link = mqtt.as_ref().map_or("absent", |r| r.state);
    let body = json!({
        "type": "https://tumbler.invalid/problems/not_ready",
        "title": "Not ready",
        "status": code.as_u16(),
        "detail": format!("database {database}, broker link {link}"),
        "code": "not_ready",
        "database": database,
        "mqtt": mqtt,
    });
    let mut res = (code, Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

/// `GET /metrics`: the hub's metrics in the Prometheus text format.
pub async fn metrics(
    State(s): State<AppState>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let allowed = match &s.metrics_token {
        Some(want) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|got| bool::from(got.as_bytes().ct_eq(want.0.as_bytes()))),
        // No socket: the app called in-process (tests), not over a network.
        None => client.is_none_or(|Extension(ConnectInfo(a))| a.ip().is_loopback()),
    };
    if !allowed {
        return Err(ApiError::unauthenticated());
    }
    let text = s.service.metrics_text().await?;
    let mut res = text.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(res)
}
