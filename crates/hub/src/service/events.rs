//! History: events from locks, stored once and searchable.

use super::{check_limit, invalid, Principal, Service, ServiceError, HISTORY};
use crate::model::Event;
use crate::store::events::EventFilter;

/// A search as given by a caller (times as RFC 3339 strings).
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only this lock.
    pub lock_id: Option<i64>,
    /// Only this kind.
    pub kind: Option<String>,
    /// At or after this instant (RFC 3339).
    pub from: Option<String>,
    /// Before this instant (RFC 3339).
    pub to: Option<String>,
    /// Page size, 1..=1000 (default 100).
    pub limit: Option<i64>,
}

fn parse_time(field: &'static str, s: &str) -> Result<i64, ServiceError> {
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| invalid(field, "an RFC 3339 instant such as 2026-01-31T12:00:00Z"))
}

impl Service {
    /// Searches the organisation's events (owners, managers, support).
    pub async fn search_events(
        &self,
        p: &Principal,
        q: &EventQuery,
    ) -> Result<Vec<Event>, ServiceError> {
        self.require(p, HISTORY)?;
        let limit = check_limit(q.limit)?;
        let from = q
            .from
            .as_deref()
            .map(|s| parse_time("from", s))
            .transpose()?;
        let to = q.to.as_deref().map(|s| parse_time("to", s)).transpose()?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(super::refused("from", "must not be after `to`"));
            }
        }
        if let Some(k) = &q.kind {
            if k.is_empty() || k.len() > 64 {
                return Err(invalid("kind", "1..=64 characters"));
            }
        }
        if let Some(l) = q.lock_id {
            self.store
                .get_lock(p.org_id, l)
                .await?
                .ok_or(ServiceError::Missing {
                    what: "lock",
                    id: l,
                })?;
        }
        Ok(self
            .store
            .search_events(
                p.org_id,
                &EventFilter {
                    lock_id: q.lock_id,
                    kind: q.kind.clone(),
                    from,
                    to,
                    limit,
                },
            )
            .await?)
    }
}
