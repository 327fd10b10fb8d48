//! Lock settings resource: `GET /locks/{id}/settings` (reported values with their Matter
//! names, plus changes on their way) and `PATCH /locks/{id}/settings` (named settings →
//! one operation, 202; out of range → 422 `invalid_setting`, nothing queued).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::{ApiError, ApiJson, ApiPath};
use crate::api::AppState;
use crate::model::Operation;
use crate::service::Principal;

pub use crate::service::settings::{LockSettings, SettingView};

/// Body of `PATCH /locks/{id}/settings`: setting name → value, e.g.
/// `{"auto_relock_time": 60, "sound_volume": "low"}` (names: `crate::settings::SETTINGS`).
pub type ChangeBody = serde_json::Map<String, serde_json::Value>;

/// `GET /locks/{id}/settings`.
pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(lock): ApiPath<i64>,
) -> Result<Json<LockSettings>, ApiError> {
    Ok(Json(s.service.lock_settings(&p, lock).await?))
}

/// `PATCH /locks/{id}/settings`: 202, one operation queued.
pub async fn change(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(lock): ApiPath<i64>,
    ApiJson(b): ApiJson<ChangeBody>,
) -> Result<(StatusCode, Json<Operation>), ApiError> {
    let op = s.service.change_lock_settings(&p, lock, b).await?;
    s.wake_jobs();
    Ok((StatusCode::ACCEPTED, Json(op)))
}
