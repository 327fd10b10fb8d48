//! Webhooks resource: endpoints (`/webhooks`) and their delivery log
//! (`/webhook-deliveries`), with manual redelivery.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::api::AppState;
use crate::service::Principal;
use crate::store::webhooks::{Attempt, Delivery, Webhook};

/// Body of `POST /webhooks`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// `https://…` (or `http://`); on a private address only if the hub allows it.
    pub url: String,
    /// Event names (`lock.unlocked`, …) or `["*"]` for all.
    pub events: Vec<String>,
}

/// Answer of `POST /webhooks`: the endpoint and its secret, shown once.
/// `Debug` is redacted.
#[derive(Clone, Serialize, Deserialize)]
pub struct CreatedWebhook {
    /// The endpoint.
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_…`: verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

impl std::fmt::Debug for CreatedWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedWebhook")
            .field("webhook", &self.webhook)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Body of `PATCH /webhooks/{id}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// Enable (forgetting the failure run) or disable.
    pub enabled: bool,
}

/// Query of `GET /webhook-deliveries`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// Only this endpoint's.
    pub webhook_id: Option<i64>,
    /// At most this many (1..=500, default 100), newest first.
    pub limit: Option<i64>,
}

/// Answer of `GET /webhook-deliveries/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryLog {
    /// The delivery.
    pub delivery: Delivery,
    /// Every attempt, oldest first.
    pub attempts: Vec<Attempt>,
}

/// `GET /webhooks`.
pub async fn list(State(s): State<AppState>, p: Principal) -> Result<Json<Vec<Webhook>>, ApiError> {
    Ok(Json(s.service.list_webhooks(&p).await?))
}

/// `POST /webhooks`.
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let made = s.service.create_webhook(&p, &b.url, &b.events).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            webhook: made.webhook,
            secret: made.secret.to_string(),
        }),
    ))
}

/// `GET /webhooks/{id}`.
pub async fn get_one(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(s.service.get_webhook(&p, id).await?))
}

/// `PATCH /webhooks/{id}`.
pub async fn update(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(
        s.service.set_webhook_enabled(&p, id, b.enabled).await?,
    ))
}

/// `DELETE /webhooks/{id}`.
pub async fn remove(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.service.delete_webhook(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /webhook-deliveries`.
pub async fn deliveries(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    Ok(Json(
        s.service.list_deliveries(&p, q.webhook_id, q.limit).await?,
    ))
}

/// `GET /webhook-deliveries/{id}`.
pub async fn delivery(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DeliveryLog>, ApiError> {
    let (delivery, attempts) = s.service.get_delivery(&p, id).await?;
    Ok(Json(DeliveryLog { delivery, attempts }))
}

/// `POST /webhook-deliveries/{id}/redeliver`.
pub async fn redeliver(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<Delivery>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(s.service.redeliver(&p, id).await?),
    ))
}
