//! Organisation resource: the caller's own organisation.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiJson};
use crate::api::AppState;
use crate::model::Org;
use crate::service::Principal;

/// Body of `PATCH /org`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    /// New name.
    pub name: String,
}

/// `GET /org`.
pub async fn get_org(State(s): State<AppState>, p: Principal) -> Result<Json<Org>, ApiError> {
    Ok(Json(s.service.my_org(&p).await?))
}

/// `PATCH /org`.
pub async fn rename(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<RenameBody>,
) -> Result<Json<Org>, ApiError> {
    Ok(Json(s.service.rename_org(&p, &b.name).await?))
}
