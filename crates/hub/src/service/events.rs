//! History: events from locks, stored once and searchable.

use super::{check_limit, invalid, Principal, Service, ServiceError, HISTORY};
use crate::model::{Event, Severity};
use crate::store::alerts::NewAlert;
use crate::store::events::{EventFilter, IngestOutcome, NewEvent};

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

/// Event kinds that raise an alert, with severity and text.
pub fn alert_for_event(kind: &str) -> Option<(Severity, &'static str)> {
    Some(match kind {
        "jammed" => (Severity::Critical, "the bolt jammed"),
        "wrong_code_limit" => (
            Severity::Warning,
            "wrong-code limit reached: keypad disabled",
        ),
        "tamper" => (Severity::Critical, "tamper detected"),
        "door_forced" => (Severity::Critical, "door forced open"),
        "unknown_controller" => (
            Severity::Warning,
            "a controller the hub does not know talked to the lock",
        ),
        "clock_drift" => (Severity::Warning, "the lock's clock drifted"),
        _ => return None,
    })
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
                return Err(invalid("from", "must not be after `to`"));
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
                .ok_or(ServiceError::NotFound)?;
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

    /// Stores an event from a lock (after the broker link decoded it).
    /// Duplicates change nothing; a sequence gap raises an `event_gap` alert;
    /// alarm kinds raise their alert.
    pub async fn ingest_event(
        &self,
        serial: &str,
        seq: i64,
        kind: &str,
        at_ms: i64,
        data: &serde_json::Value,
    ) -> Result<IngestOutcome, ServiceError> {
        let serial = super::locks::check_serial(serial)?;
        if seq < 0 {
            return Err(invalid("seq", "must not be negative"));
        }
        let now = self.now_ms();
        let lock = self.store.lock_seen(&serial, now).await?;
        let outcome = self
            .store
            .ingest_event(
                NewEvent {
                    lock_id: lock.id,
                    seq,
                    kind,
                    at: at_ms,
                    data,
                },
                now,
            )
            .await?;
        if let Some(org) = lock.org_id {
            let mut alerts: Vec<(&str, Severity, String)> = Vec::new();
            if let IngestOutcome::StoredAfterGap {
                first_missing,
                last_missing,
                ..
            } = &outcome
            {
                alerts.push((
                    "event_gap",
                    Severity::Warning,
                    format!("events {first_missing}..={last_missing} missing from the lock's log"),
                ));
            }
            if matches!(
                outcome,
                IngestOutcome::Stored(_) | IngestOutcome::StoredAfterGap { .. }
            ) {
                if let Some((sev, text)) = alert_for_event(kind) {
                    alerts.push((kind, sev, text.to_owned()));
                }
            }
            for (kind, severity, message) in alerts {
                self.store
                    .raise_alert(
                        NewAlert {
                            org_id: org,
                            lock_id: Some(lock.id),
                            kind,
                            severity,
                            message: &message,
                        },
                        now,
                    )
                    .await?;
            }
        }
        Ok(outcome)
    }
}
