//! Troubleshooting resource: `GET /locks/{id}/doctor?symptom=…&check=…`.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::{ApiError, ApiPath, ApiQuery};
use crate::api::AppState;
use crate::model::{DoctorStep, Symptom};
use crate::service::doctor::DoctorReport;
use crate::service::Principal;

/// Query of `GET /locks/{id}/doctor`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoctorQuery {
    /// What the person says is wrong (`does_not_respond`, `code_refused`, …).
    pub symptom: Option<Symptom>,
    /// A step the person did, to check (`batteries`, `reboot`, …).
    pub check: Option<DoctorStep>,
}

/// `GET /locks/{id}/doctor`.
pub async fn doctor(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DoctorQuery>,
) -> Result<Json<DoctorReport>, ApiError> {
    Ok(Json(s.service.doctor(&p, id, q.symptom, q.check).await?))
}
