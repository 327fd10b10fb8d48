//! Hotel front desk resource: a lock as a room (`PUT`/`DELETE
//! /locks/{id}/room`), check-in and a room's history under the room's lock,
//! the front desk and staff cards under the site (the property), extend,
//! lost card and check-out under the stay. Card images come back in hex,
//! with the file name the CLI writes each to.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::api::AppState;
use crate::hotel::{IssuedCard, Room, RoomConfig, Stay};
use crate::service::hotel::desk::CheckIn;
use crate::service::hotel::history::RoomEntry;
use crate::service::hotel::staff::StaffCard;
use crate::service::hotel::{DeskRoom, Issued};
use crate::service::Principal;

/// Body of `PUT /locks/{id}/room`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomBody {
    /// Door (room) number, unique in the site.
    pub door: u32,
    /// A guest room (default) or a common door (`false`).
    #[serde(default = "yes")]
    pub guest_room: bool,
    /// Floor (default 0).
    #[serde(default)]
    pub floor: u16,
    /// Zone (default 0).
    #[serde(default)]
    pub zone: u16,
    /// Building (default 0).
    #[serde(default)]
    pub building: u16,
}

fn yes() -> bool {
    true
}

/// Body of `POST /locks/{id}/check-in`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInBody {
    /// The guest's name.
    pub guest: String,
    /// How many cards (1..=8, default 1).
    #[serde(default)]
    pub cards: Option<usize>,
    /// Check-out date, site local `YYYY-MM-DD`.
    pub checkout: String,
    /// Check-out time, `HH:MM` (default the property's, 11:00).
    #[serde(default)]
    pub checkout_time: Option<String>,
}

/// Body of `POST /stays/{id}/extend`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    /// New check-out date, site local `YYYY-MM-DD`.
    pub checkout: String,
    /// Check-out time, `HH:MM` (default the property's).
    #[serde(default)]
    pub checkout_time: Option<String>,
}

/// Body of `POST /stays/{id}/lost-card`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LostBody {
    /// The lost card's number.
    pub number: i64,
    /// How many replacements (default 1).
    #[serde(default)]
    pub cards: Option<usize>,
}

/// Body of `POST /sites/{id}/staff-cards`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffBody {
    /// `master`, `floor`, `zone`, `building` or `emergency`.
    pub kind: String,
    /// The floor, zone or building number (those kinds only).
    #[serde(default)]
    pub scope: Option<i64>,
    /// Who holds it.
    pub holder: String,
    /// First day, site local `YYYY-MM-DD` (default today).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day, site local `YYYY-MM-DD`.
    pub until: String,
    /// Days: `daily` (default), `mon-fri`, `sat,sun`, …
    #[serde(default)]
    pub days: Option<String>,
    /// Hours `HH:MM-HH:MM` (default all day; may run past midnight).
    #[serde(default)]
    pub hours: Option<String>,
}

/// Answer of `GET /stays/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StayAnswer {
    /// The stay.
    pub stay: serde_json::Value,
    /// Every card issued for it (images are not kept).
    pub cards: Vec<serde_json::Value>,
}

/// `?limit=` of a room's history.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    /// Events of the lock looked at (1..=1000, default 100).
    pub limit: Option<i64>,
}

/// `PUT /locks/{id}/room`.
pub async fn set_room(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RoomBody>,
) -> Result<Json<Room>, ApiError> {
    let config = RoomConfig {
        door: b.door,
        guest_room: b.guest_room,
        floor: b.floor,
        zone: b.zone,
        building: b.building,
    };
    Ok(Json(s.service.set_hotel_room(&p, id, config).await?))
}

/// `DELETE /locks/{id}/room`.
pub async fn clear_room(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    s.service.clear_hotel_room(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /locks/{id}/check-in`.
pub async fn check_in(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CheckInBody>,
) -> Result<(StatusCode, Json<Issued>), ApiError> {
    let req = CheckIn {
        guest: b.guest,
        cards: b.cards.unwrap_or(1),
        checkout: b.checkout,
        checkout_time: b.checkout_time,
    };
    Ok((
        StatusCode::CREATED,
        Json(s.service.check_in(&p, id, req).await?),
    ))
}

/// `GET /locks/{id}/room-history`.
pub async fn room_history(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<Vec<RoomEntry>>, ApiError> {
    Ok(Json(s.service.room_history(&p, id, q.limit).await?))
}

/// `GET /sites/{id}/front-desk`.
pub async fn front_desk(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<DeskRoom>>, ApiError> {
    Ok(Json(s.service.front_desk(&p, id).await?))
}

/// `POST /sites/{id}/staff-cards`.
pub async fn staff_card(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<StaffBody>,
) -> Result<(StatusCode, Json<Issued>), ApiError> {
    let req = StaffCard {
        kind: b.kind,
        scope: b.scope,
        holder: b.holder,
        from: b.from,
        until: b.until,
        days: b.days,
        hours: b.hours,
    };
    Ok((
        StatusCode::CREATED,
        Json(s.service.staff_card(&p, id, req).await?),
    ))
}

fn value<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// `GET /stays/{id}`.
pub async fn get_stay(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<StayAnswer>, ApiError> {
    let (stay, cards): (Stay, Vec<IssuedCard>) = s.service.hotel_stay(&p, id).await?;
    Ok(Json(StayAnswer {
        stay: value(&stay),
        cards: cards.iter().map(value).collect(),
    }))
}

/// `POST /stays/{id}/extend`.
pub async fn extend(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ExtendBody>,
) -> Result<Json<Issued>, ApiError> {
    Ok(Json(
        s.service
            .extend_stay(&p, id, &b.checkout, b.checkout_time.as_deref())
            .await?,
    ))
}

/// `POST /stays/{id}/lost-card`.
pub async fn lost_card(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<LostBody>,
) -> Result<(StatusCode, Json<Issued>), ApiError> {
    let out = s
        .service
        .lost_card(&p, id, b.number, b.cards.unwrap_or(1))
        .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// `POST /stays/{id}/check-out`.
pub async fn check_out(
    State(s): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Stay>, ApiError> {
    Ok(Json(s.service.check_out(&p, id).await?))
}
