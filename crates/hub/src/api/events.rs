//! Events resource: the searchable history.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::{ApiError, ApiQuery};
use crate::api::AppState;
use crate::model::Event;
use crate::service::events::EventQuery;
use crate::service::Principal;

/// Query of `GET /events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Only this lock.
    pub lock: Option<i64>,
    /// Only this kind.
    pub kind: Option<String>,
    /// At or after (RFC 3339).
    pub from: Option<String>,
    /// Before (RFC 3339).
    pub to: Option<String>,
    /// Page size (1..=1000, default 100).
    pub limit: Option<i64>,
}

/// `GET /events`.
pub async fn search(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<Event>>, ApiError> {
    Ok(Json(
        s.service
            .search_events(
                &p,
                &EventQuery {
                    lock_id: q.lock,
                    kind: q.kind,
                    from: q.from,
                    to: q.to,
                    limit: q.limit,
                },
            )
            .await?,
    ))
}
