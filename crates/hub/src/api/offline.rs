//! Offline codes resource: `GET /locks/{id}/offline-codes` (enabled, epoch, codes
//! issued), `POST /locks/{id}/offline-codes` (issue one: 201 with the digits, shown
//! once; no lock contact), `POST /locks/{id}/offline-codes/enable` (send the secret:
//! 202), `POST /locks/{id}/offline-codes/revoke-all` (new secret and epoch: 202) and
//! `POST /offline-codes/{id}/revoke` (deny entry for the lock: 202).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::{ApiError, ApiJson, ApiPath};
use crate::api::AppState;
use crate::model::Operation;
use crate::service::Principal;

pub use crate::service::offline::{
    IssueOfflineCode, IssuedOfflineCode, OfflineCodes, OfflineWindow, RevokedOfflineCode,
};

/// `GET /locks/{id}/offline-codes`.
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(lock): ApiPath<i64>,
) -> Result<Json<OfflineCodes>, ApiError> {
    Ok(Json(s.service.offline_codes(&p, lock).await?))
}

/// `POST /locks/{id}/offline-codes`: 201.
pub async fn issue(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(lock): ApiPath<i64>,
    ApiJson(b): ApiJson<IssueOfflineCode>,
) -> Result<(StatusCode, Json<IssuedOfflineCode>), ApiError> {
    let issued = s.service.issue_offline_code(&p, lock, &b).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// `POST /locks/{id}/offline-codes/enable`: 202.
pub async fn enable(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(lock): ApiPath<i64>,
) -> Result<(StatusCode, Json<Operation>), ApiError> {
    let op = s.service.enable_offline_codes(&p, lock).await?;
    s.wake_jobs();
    Ok((StatusCode::ACCEPTED, Json(op)))
}

/// `POST /locks/{id}/offline-codes/revoke-all`: 202.
pub async fn revoke_all(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(lock): ApiPath<i64>,
) -> Result<(StatusCode, Json<Operation>), ApiError> {
    let op = s.service.revoke_all_offline_codes(&p, lock).await?;
    s.wake_jobs();
    Ok((StatusCode::ACCEPTED, Json(op)))
}

/// `POST /offline-codes/{id}/revoke`: 202.
pub async fn revoke(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(code): ApiPath<i64>,
) -> Result<(StatusCode, Json<RevokedOfflineCode>), ApiError> {
    let r = s.service.revoke_offline_code(&p, code).await?;
    s.wake_jobs();
    Ok((StatusCode::ACCEPTED, Json(r)))
}
