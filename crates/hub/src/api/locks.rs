//! Locks resource: listing and detail. Claim, release and transfer come
//! with the pairing protocol.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::{ApiError, ApiPath, ApiQuery};
use crate::model::{ClaimState, Lock};
use crate::server::AppState;
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
