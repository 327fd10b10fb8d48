//! Alerts resource.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::{ApiError, ApiPath, ApiQuery};
use crate::api::AppState;
use crate::model::Alert;
use crate::service::Principal;

/// Query of `GET /alerts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only unacknowledged alerts (default true).
    pub open: Option<bool>,
    /// Page size (1..=1000, default 100).
    pub limit: Option<i64>,
}

/// `GET /alerts`.
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Alert>>, ApiError> {
    Ok(Json(
        s.service
            .list_alerts(&p, q.open.unwrap_or(true), q.limit)
            .await?,
    ))
}

/// `POST /alerts/{id}/ack`.
pub async fn ack(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(s.service.ack_alert(&p, id).await?))
}
