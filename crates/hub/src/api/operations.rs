//! Operations resource: remote commands and their state.
//!
//! `?wait_ms=` on `POST /locks/{id}/operations` and `GET /operations/{id}`
//! holds the answer until the operation is final or the wait is over
//! (long-poll), so a client needs no polling loop: woken by the in-process
//! [`OpEnded`](crate::op_ended::OpEnded) signal, with a database re-read
//! every [`OpEnded::FALLBACK`](crate::op_ended::OpEnded::FALLBACK) for
//! answers stored by another hub process.

use std::time::Duration;

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

/// Longest `wait_ms` accepted.
pub const MAX_WAIT_MS: u32 = 60_000;

/// Query of `POST /locks/{id}/operations` and `GET /operations/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitQuery {
    /// Hold the answer until the operation is final, at most this long
    /// (0..=[`MAX_WAIT_MS`], default 0: answer at once).
    pub wait_ms: Option<u32>,
}

impl WaitQuery {
    /// The wait, checked (a bad value is refused before anything is queued).
    fn wait(&self) -> Result<Duration, ApiError> {
        match self.wait_ms {
            None => Ok(Duration::ZERO),
            Some(ms) if ms <= MAX_WAIT_MS => Ok(Duration::from_millis(u64::from(ms))),
            Some(_) => Err(ApiError::invalid(format!(
                "wait_ms: at most {MAX_WAIT_MS} (milliseconds)"
            ))),
        }
    }
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

/// `GET /operations/{id}` (`?wait_ms=`: until final, at most that long).
pub async fn get_one(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<WaitQuery>,
) -> Result<Json<Operation>, ApiError> {
    let wait = q.wait()?;
    // Subscribed before the first read: an end in between is not missed.
    let rx = s.service.plane().op_ended().subscribe();
    let op = s.service.get_operation(&p, id).await?;
    Ok(Json(until_final(&s, &p, op, wait, rx).await?))
}

/// `op` once it is final, or as it is when `wait` is over.
async fn until_final(
    s: &AppState,
    p: &Principal,
    op: Operation,
    wait: Duration,
    mut rx: crate::op_ended::OpEndedRx,
) -> Result<Operation, ApiError> {
    if op.state.is_final() || wait.is_zero() {
        return Ok(op);
    }
    let id = op.id;
    let waited = tokio::time::timeout(wait, async {
        loop {
            tokio::select! {
                () = rx.maybe_ended(id) => {}
                () = tokio::time::sleep(crate::op_ended::OpEnded::FALLBACK) => {}
            }
            let now = s.service.get_operation(p, id).await?;
            if now.state.is_final() {
                return Ok::<_, ApiError>(now);
            }
        }
    })
    .await;
    match waited {
        Ok(r) => r,
        // The wait is over: the operation as it is now.
        Err(_) => Ok(s.service.get_operation(p, id).await?),
    }
}

/// `POST /locks/{id}/operations`: 202, the operation is queued
/// (`?wait_ms=`: and answered once final, or when the wait is over).
pub async fn request(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(lock): ApiPath<i64>,
    ApiQuery(q): ApiQuery<WaitQuery>,
    ApiJson(b): ApiJson<RequestBody>,
) -> Result<(StatusCode, Json<Operation>), ApiError> {
    let wait = q.wait()?;
    let req = crate::service::operations::OpRequest {
        kind: b.kind,
        pin: b.pin.map(crate::control::SecretPin::new),
        timeout_s: b.timeout_s,
        confirm: b.confirm,
    };
    let rx = s.service.plane().op_ended().subscribe();
    let op = s.service.request_op(&p, lock, req).await?;
    s.wake_jobs();
    let op = until_final(&s, &p, op, wait, rx).await?;
    Ok((StatusCode::ACCEPTED, Json(op)))
}
