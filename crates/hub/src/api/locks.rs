//! Locks resource: listing and detail, claim (setup-code PAKE over MQTT),
//! re-claim after a reset, release, transfer, manufacturer reset.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use axum::http::StatusCode;

use super::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::api::AppState;
use crate::control::SecretPin;
use crate::model::Operation;
use crate::model::{ClaimState, Lock};
use crate::service::claim::ClaimRequest;
use crate::service::lifecycle::LifecycleOutcome;
use crate::service::Principal;
use crate::store::locks::LockFilter;

/// Query of `GET /locks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this site.
    pub site: Option<i64>,
    /// Only this claim state.
    pub claim_state: Option<ClaimState>,
}

/// `GET /locks`.
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Lock>>, ApiError> {
    Ok(Json(
        s.service
            .list_locks(
                &p,
                &LockFilter {
                    site_id: q.site,
                    claim_state: q.claim_state,
                },
            )
            .await?,
    ))
}

/// `GET /locks/{id}`.
pub async fn get_one(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Lock>, ApiError> {
    Ok(Json(s.service.get_lock(&p, id).await?))
}

/// Body of `POST /locks/claim`. `Debug` redacts the setup code.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    /// The lock's serial.
    pub serial: String,
    /// The setup code printed on its label (never logged or stored).
    pub setup_code: String,
    /// A site of the caller's organisation.
    pub site_id: i64,
    /// Display name (default: the serial).
    pub label: Option<String>,
    /// The lock's factory identity key (64 hex digits), to verify its
    /// reset records and self-checks.
    pub factory_key: Option<String>,
}

impl std::fmt::Debug for ClaimBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimBody")
            .field("serial", &self.serial)
            .field("setup_code", &"<redacted>")
            .field("site_id", &self.site_id)
            .finish_non_exhaustive()
    }
}

/// Body of `POST /locks/{id}/reclaim`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReclaimBody {
    /// The setup code printed on its label.
    pub setup_code: String,
    /// The lock's factory identity key (hex), if not pinned yet.
    pub factory_key: Option<String>,
}

/// Body of `POST /locks/{id}/transfer`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// The organisation that may claim the lock next.
    pub to_org: i64,
    /// The lock's serial, to confirm.
    #[serde(default)]
    pub confirm: Option<String>,
}

/// Body of `POST /locks/{id}/release` and `/manufacturer-reset`: the lock's
/// serial, to confirm. A request without a body is refused like a wrong one
/// (`confirmation_required`), never a 415.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    /// The lock's serial.
    #[serde(default)]
    pub confirm: Option<String>,
}

impl ConfirmBody {
    fn parse(body: &axum::body::Bytes) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        serde_json::from_slice(body).map_err(|e| ApiError::invalid(format!("body: {e}")))
    }
}

/// `POST /locks/claim`: 201 with the claimed lock.
pub async fn claim(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<ClaimBody>,
) -> Result<(StatusCode, Json<Lock>), ApiError> {
    let lock = s
        .service
        .claim(
            &p,
            ClaimRequest {
                serial: b.serial,
                setup_code: SecretPin::new(b.setup_code),
                site_id: b.site_id,
                label: b.label,
                factory_key: b.factory_key,
            },
        )
        .await?;
    s.wake_jobs();
    Ok((StatusCode::CREATED, Json(lock)))
}

/// `POST /locks/{id}/reclaim`.
pub async fn reclaim(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReclaimBody>,
) -> Result<Json<Lock>, ApiError> {
    let code = SecretPin::new(b.setup_code);
    let lock = s
        .service
        .reclaim(&p, id, &code, b.factory_key.as_deref())
        .await?;
    s.wake_jobs();
    Ok(Json(lock))
}

fn lifecycle(o: LifecycleOutcome) -> (StatusCode, Json<LifecycleOutcome>) {
    let st = if o.operation.is_some() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    (st, Json(o))
}

/// `POST /locks/{id}/release`: 200 when released now, 202 when a factory
/// reset must happen first.
pub async fn release(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<LifecycleOutcome>), ApiError> {
    let b = ConfirmBody::parse(&body)?;
    let o = s.service.release(&p, id, b.confirm.as_deref()).await?;
    s.wake_jobs();
    Ok(lifecycle(o))
}

/// `POST /locks/{id}/transfer`.
pub async fn transfer(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TransferBody>,
) -> Result<(StatusCode, Json<LifecycleOutcome>), ApiError> {
    let o = s
        .service
        .transfer(&p, id, b.to_org, b.confirm.as_deref())
        .await?;
    s.wake_jobs();
    Ok(lifecycle(o))
}

/// `POST /locks/{id}/manufacturer-reset`: 202 with the queued operation.
pub async fn manufacturer_reset(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Operation>), ApiError> {
    let b = ConfirmBody::parse(&body)?;
    let op = s
        .service
        .manufacturer_reset(&p, id, b.confirm.as_deref())
        .await?;
    s.wake_jobs();
    Ok((StatusCode::ACCEPTED, Json(op)))
}

/// Query of `GET /audit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Page size (1..=1000, default 100).
    pub limit: Option<i64>,
}

/// `GET /audit`: the organisation's audit trail (owners).
pub async fn audit(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<crate::model::AuditEntry>>, ApiError> {
    Ok(Json(s.service.list_audit(&p, q.limit).await?))
}
