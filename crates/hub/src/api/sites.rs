//! Sites resource.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiJson, ApiPath};
use crate::api::AppState;
use crate::model::Site;
use crate::service::Principal;

/// Body of `POST /sites`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// Name, unique in the organisation.
    pub name: String,
    /// IANA time zone, e.g. `Europe/Paris`.
    pub time_zone: String,
}

/// Body of `PATCH /sites/{id}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// New name.
    pub name: Option<String>,
    /// New time zone.
    pub time_zone: Option<String>,
}

/// `GET /sites`.
pub async fn list(State(s): State<AppState>, p: Principal) -> Result<Json<Vec<Site>>, ApiError> {
    Ok(Json(s.service.list_sites(&p).await?))
}

/// `POST /sites`.
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Site>), ApiError> {
    let site = s.service.create_site(&p, &b.name, &b.time_zone).await?;
    Ok((StatusCode::CREATED, Json(site)))
}

/// `GET /sites/{id}`.
pub async fn get_one(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Site>, ApiError> {
    Ok(Json(s.service.get_site(&p, id).await?))
}

/// `PATCH /sites/{id}`.
pub async fn update(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> Result<Json<Site>, ApiError> {
    Ok(Json(
        s.service
            .update_site(&p, id, b.name.as_deref(), b.time_zone.as_deref())
            .await?,
    ))
}

/// `DELETE /sites/{id}`.
pub async fn remove(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.service.delete_site(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
