//! Organisation resource: the caller's own organisation, and the hub's
//! organisations for operators (`/orgs`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiJson};
use crate::api::AppState;
use crate::model::Org;
use crate::service::orgs::CreatedOrg;
use crate::service::Principal;

/// Body of `POST /orgs` (operators).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgBody {
    /// The organisation's name.
    pub name: String,
    /// Login of its first owner (an initial password is generated and
    /// returned once).
    pub owner_email: String,
    /// Time zone of its first site (default UTC).
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// `GET /orgs` (operators).
pub async fn list_orgs(
    State(s): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<Org>>, ApiError> {
    Ok(Json(s.service.list_orgs(&p).await?))
}

/// `POST /orgs` (operators).
pub async fn create_org(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateOrgBody>,
) -> Result<(StatusCode, Json<CreatedOrg>), ApiError> {
    let tz = b.time_zone.as_deref().unwrap_or("UTC");
    let created = s
        .service
        .create_org(&p, &b.name, &b.owner_email, tz)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

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
