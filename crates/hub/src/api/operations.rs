//! Operations resource: remote commands and their state.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::api::AppState;
use crate::model::{OpState, Operation};
use crate::service::Principal;

/// Query of `GET /operations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this lock.
    pub lock: Option<i64>,
    /// Only this state.
    pub state: Option<OpState>,
    /// Page size (1..=1000, default 100).
    pub limit: Option<i64>,
}

/// Body of `POST /locks/{id}/operations`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// One of [`crate::service::operations::REQUESTABLE`].
    pub kind: String,
    /// PIN for lock/unlock when the lock requires one; kept in memory only.
    pub pin: Option<String>,
    /// For `unlock_with_timeout`: seconds before relocking.
    pub timeout_s: Option<u16>,
    /// For `factory_reset`: the lock's serial.
    pub confirm: Option<String>,
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBody")
            .field("kind", &self.kind)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .field("timeout_s", &self.timeout_s)
            .finish_non_exhaustive()
    }
}

/// `GET /operations`.
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Operation>>, ApiError> {
    Ok(Json(
        s.service
            .list_operations(&p, q.lock, q.state, q.limit)
            .await?,
    ))
}

/// `GET /operations/{id}`.
pub async fn get_one(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Operation>, ApiError> {
    Ok(Json(s.service.get_operation(&p, id).await?))
}

/// `POST /locks/{id}/operations`: 202, the operation is queued.
pub async fn request(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(lock): ApiPath<i64>,
    ApiJson(b): ApiJson<RequestBody>,
) -> Result<(StatusCode, Json<Operation>), ApiError> {
    let req = crate::service::operations::OpRequest {
        kind: b.kind,
        pin: b.pin.map(crate::control::SecretPin::new),
        timeout_s: b.timeout_s,
        confirm: b.confirm,
    };
    let op = s.service.request_op(&p, lock, req).await?;
    s.wake_jobs();
    Ok((StatusCode::ACCEPTED, Json(op)))
}
