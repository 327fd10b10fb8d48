//! Session resource: login, logout, the caller, API tokens; and health.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiJson, ApiPath};
use crate::api::AppState;
use crate::model::{ts, Account, TokenInfo};
use crate::service::auth::IssuedToken;
use crate::service::Principal;

/// Body of `POST /login`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Login e-mail.
    pub email: String,
    /// Password (never logged).
    pub password: String,
}

/// Body of `POST /me/password`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// The password in use (never logged).
    pub current_password: String,
    /// The new one, 8..=1024 bytes (never logged).
    pub new_password: String,
}

/// Body of `POST /tokens`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// What the token is for.
    pub label: String,
    /// Lifetime in days (1..=3650); omitted: 30 days.
    pub expires_in_days: Option<i64>,
}

/// `GET /health`: 200 `ok` when the database answers and the broker link
/// (if the hub has one) is connected and steady; otherwise a 503 problem
/// `mqtt_link_down` (the link is connecting, down or looping). Both report
/// the link's state and counters under `mqtt`.
pub async fn health(State(s): State<AppState>) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    s.service
        .store()
        .ping()
        .await
        .map_err(|e| ApiError::from(crate::service::ServiceError::Store(e)))?;
    let Some(link) = &s.link else {
        return Ok(Json(serde_json::json!({"status": "ok"})).into_response());
    };
    let report = link.report(tokio::time::Instant::now());
    if report.ok() {
        return Ok(Json(serde_json::json!({"status": "ok", "mqtt": report})).into_response());
    }
    let code = axum::http::StatusCode::SERVICE_UNAVAILABLE;
    let body = serde_json::json!({
        "type": "https://tumbler.invalid/problems/mqtt_link_down",
        "title": "The broker link is not steady",
        "status": code.as_u16(),
        "detail": format!("the hub's MQTT link is {}: lock traffic may not reach it", report.state),
        "code": "mqtt_link_down",
        "mqtt": report,
    });
    let mut res = (code, Json(body)).into_response();
    res.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/problem+json"),
    );
    Ok(res)
}

/// Answer of `POST /login`. `Debug` is redacted: the token is a secret.
#[derive(Clone, Serialize, Deserialize)]
pub struct LoginAnswer {
    /// The session's bearer token (the hub keeps only its hash).
    pub token: String,
    /// When the session ends.
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub expires_at: Option<i64>,
    /// Who logged in.
    pub account: Account,
}

impl std::fmt::Debug for LoginAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginAnswer")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("account", &self.account)
            .finish()
    }
}

/// `POST /login`. The client address (from the connection, when served
/// with connect info) feeds the per-address login limit.
pub async fn login(
    State(s): State<AppState>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    ApiJson(b): ApiJson<LoginBody>,
) -> Result<Json<LoginAnswer>, ApiError> {
    let client = client.map(|Extension(ConnectInfo(addr))| addr.ip());
    let (token, account) = s.service.login_from(&b.email, &b.password, client).await?;
    Ok(Json(LoginAnswer {
        token: token.token,
        expires_at: token.info.expires_at,
        account,
    }))
}

/// `POST /logout`.
pub async fn logout(State(s): State<AppState>, p: Principal) -> Result<StatusCode, ApiError> {
    s.service.logout(&p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /me`.
pub async fn me(State(s): State<AppState>, p: Principal) -> Result<Json<Account>, ApiError> {
    Ok(Json(s.service.me(&p).await?))
}

/// `POST /me/password`.
pub async fn change_password(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    s.service
        .change_password(&p, &b.current_password, &b.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /tokens`.
pub async fn list_tokens(
    State(s): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    Ok(Json(s.service.list_tokens(&p).await?))
}

/// `POST /tokens`.
pub async fn create_token(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<TokenBody>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    let t = s
        .service
        .create_api_token(&p, &b.label, b.expires_in_days)
        .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// `DELETE /tokens/{id}`.
pub async fn delete_token(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.service.delete_token(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
