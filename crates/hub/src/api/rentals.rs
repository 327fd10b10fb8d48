//! Rentals resource: listings, their reservation feeds, sync now, a
//! reservation's guest code, and held changes (confirm, discard).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiJson, ApiPath};
use crate::api::AppState;
use crate::service::rentals::{ListingDetail, ListingInput, SyncReport};
use crate::service::Principal;
use crate::store::rentals::{Feed, Listing};

/// Body of `POST /listings`: the service's own input (one vocabulary
/// from the API edge to the database).
pub type CreateListingBody = ListingInput;

/// Body of `POST /listings/{id}/feeds`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddFeedBody {
    /// The iCal export address (`http://` or `https://`).
    pub url: String,
}

/// Answer of `GET /reservations/{id}/code`.
#[derive(Clone, Serialize, Deserialize)]
pub struct CodeAnswer {
    /// The reservation.
    pub reservation_id: i64,
    /// The guest's PIN.
    pub pin: String,
}

impl std::fmt::Debug for CodeAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeAnswer")
            .field("reservation_id", &self.reservation_id)
            .field("pin", &"<redacted>")
            .finish()
    }
}

/// `GET /listings`.
pub async fn list(State(s): State<AppState>, p: Principal) -> Result<Json<Vec<Listing>>, ApiError> {
    Ok(Json(s.service.list_listings(&p).await?))
}

/// `POST /listings`.
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateListingBody>,
) -> Result<(StatusCode, Json<Listing>), ApiError> {
    let l = s.service.create_listing(&p, b).await?;
    Ok((StatusCode::CREATED, Json(l)))
}

/// `GET /listings/{id}`.
pub async fn get_one(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ListingDetail>, ApiError> {
    Ok(Json(s.service.listing_detail(&p, id).await?))
}

/// `POST /listings/{id}/feeds`.
pub async fn add_feed(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AddFeedBody>,
) -> Result<(StatusCode, Json<Feed>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.service.add_feed(&p, id, &b.url).await?),
    ))
}

/// `POST /listings/{id}/sync`.
pub async fn sync(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<SyncReport>>, ApiError> {
    Ok(Json(s.service.sync_listing(&p, id).await?))
}

/// `GET /reservations/{id}/code`.
pub async fn code(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CodeAnswer>, ApiError> {
    let pin = s.service.reservation_code(&p, id).await?;
    Ok(Json(CodeAnswer {
        reservation_id: id,
        pin,
    }))
}

/// `POST /rental-changes/{id}/confirm`.
pub async fn confirm(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SyncReport>, ApiError> {
    Ok(Json(s.service.confirm_pending(&p, id).await?))
}

/// `POST /rental-changes/{id}/discard`.
pub async fn discard(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.service.discard_pending(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
