//! Accounts resource: people and services of the organisation.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiJson, ApiPath};
use crate::api::AppState;
use crate::model::{Account, Role};
use crate::service::orgs::AccountInput;
use crate::service::Principal;

/// Body of `POST /accounts`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// Login e-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Initial password (never logged).
    pub password: String,
}

/// Body of `PATCH /accounts/{id}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// New role.
    pub role: Role,
}

/// `GET /accounts`.
pub async fn list(State(s): State<AppState>, p: Principal) -> Result<Json<Vec<Account>>, ApiError> {
    Ok(Json(s.service.list_accounts(&p).await?))
}

/// `POST /accounts`.
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    let a = s
        .service
        .create_account(
            &p,
            AccountInput {
                email: &b.email,
                name: &b.name,
                role: b.role,
                password: &b.password,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// `GET /accounts/{id}`.
pub async fn get_one(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Account>, ApiError> {
    Ok(Json(s.service.get_account(&p, id).await?))
}

/// `PATCH /accounts/{id}`.
pub async fn update(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> Result<Json<Account>, ApiError> {
    Ok(Json(s.service.set_role(&p, id, b.role).await?))
}

/// `DELETE /accounts/{id}`.
pub async fn remove(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.service.delete_account(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
