//! `GET /live`: the server-sent event stream every page keeps open.
//!
//! Each event only names what changed (`lock-12`, `ops`, `alerts`,
//! `batch-7`); the elements that show it re-fetch themselves through
//! their own authorised routes (`hx-trigger="sse:lock-12"`), so the stream
//! carries no data and needs no access rules of its own beyond the
//! caller's organisation.
//!
//! What changed is found by comparing fingerprints of what the pages show,
//! read from the database once a second, or at once when an operation
//! ends in this process ([`crate::op_ended::OpEnded`]). The database is
//! the source of truth, so changes made by another hub on the same
//! PostgreSQL arrive too. The session is checked again every
//! [`RECHECK`]: a signed-out or revoked session's stream ends.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;

use super::{Web, WebQuery};
use crate::api::AppState;
use crate::model::{Lock, Role};
use crate::store::locks::LockFilter;

/// How often the fingerprints are read when nothing wakes the stream.
pub const TICK: Duration = Duration::from_secs(1);
/// The least time between two readings (a burst of ended operations
/// wakes the stream once).
pub const MIN_GAP: Duration = Duration::from_millis(150);
/// How often the session is checked again.
pub const RECHECK: Duration = Duration::from_secs(30);

/// What a page asks to watch beyond the organisation's locks, operations
/// and alerts.
#[derive(Debug, Default, Deserialize)]
pub struct LiveQuery {
    /// A bulk change whose per-door states the page shows.
    pub batch: Option<i64>,
}

fn fingerprint(v: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// What a lock's row and card show.
fn lock_print(l: &Lock) -> u64 {
    fingerprint(&(
        &l.telemetry.bolt,
        &l.telemetry.door,
        &l.telemetry.mode,
        l.battery_pct,
        l.presence.as_str(),
        l.claim_state.as_str(),
        &l.name,
    ))
}

/// The fingerprints of one reading.
#[derive(Debug, Default, PartialEq)]
struct Prints {
    locks: HashMap<i64, u64>,
    ops: u64,
    alerts: u64,
    batch: Option<u64>,
}

async fn read(s: &AppState, web: &Web, q: &LiveQuery) -> Option<Prints> {
    let svc = &s.service;
    let locks = svc.list_locks(&web.p, &LockFilter::default()).await.ok()?;
    let ops = svc
        .list_operations(&web.p, None, None, Some(200))
        .await
        .ok()?;
    let alerts = if web.p.role == Role::Installer {
        0
    } else {
        let a = svc.list_alerts(&web.p, true, Some(1000)).await.ok()?;
        fingerprint(
            &a.iter()
                .map(|a| (a.id, a.times, a.acked_at))
                .collect::<Vec<_>>(),
        )
    };
    let batch = match q.batch {
        Some(id) => svc
            .batch_status(&web.p, id, true)
            .await
            .ok()
            .map(|b| fingerprint(&serde_json::to_string(&b).unwrap_or_default())),
        None => None,
    };
    Some(Prints {
        locks: locks.iter().map(|l| (l.id, lock_print(l))).collect(),
        ops: fingerprint(
            &ops.iter()
                .map(|o| (o.id, o.state.as_str()))
                .collect::<Vec<_>>(),
        ),
        alerts,
        batch,
    })
}

/// The events between two readings.
fn changes(old: &Prints, new: &Prints, q: &LiveQuery) -> Vec<String> {
    let mut out = Vec::new();
    for (id, p) in &new.locks {
        if old.locks.get(id) != Some(p) {
            out.push(format!("lock-{id}"));
        }
    }
    if old.ops != new.ops {
        out.push("ops".into());
    }
    if old.alerts != new.alerts {
        out.push("alerts".into());
    }
    if let (Some(id), true) = (q.batch, old.batch != new.batch) {
        out.push(format!("batch-{id}"));
    }
    out
}

struct Live {
    s: AppState,
    web: Web,
    q: LiveQuery,
    token: Option<String>,
    last: Option<Prints>,
    rx: crate::op_ended::OpEndedRx,
    checked: tokio::time::Instant,
}

/// `GET /live`.
pub async fn stream(
    State(s): State<AppState>,
    web: Web,
    headers: axum::http::HeaderMap,
    WebQuery(q): WebQuery<LiveQuery>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = s.service.plane().op_ended().subscribe();
    let live = Live {
        token: super::session_token(&headers),
        s,
        web,
        q,
        last: None,
        rx,
        checked: tokio::time::Instant::now(),
    };
    let events = stream::unfold(live, |mut live| async move {
        loop {
            if live.checked.elapsed() >= RECHECK {
                let still = match &live.token {
                    Some(t) => live.s.service.authenticate(t).await.is_ok(),
                    None => false,
                };
                if !still {
                    return None;
                }
                live.checked = tokio::time::Instant::now();
            }
            if live.last.is_some() {
                tokio::select! {
                    () = live.rx.any_ended() => tokio::time::sleep(MIN_GAP).await,
                    () = tokio::time::sleep(TICK) => {}
                }
            }
            let Some(now) = read(&live.s, &live.web, &live.q).await else {
                continue;
            };
            let out = match &live.last {
                Some(old) => changes(old, &now, &live.q),
                None => Vec::new(),
            };
            live.last = Some(now);
            if !out.is_empty() {
                let events = out
                    .into_iter()
                    .map(|name| Ok(Event::default().event(name).data("changed")));
                return Some((stream::iter(events), live));
            }
        }
    })
    .flatten();
    Sse::new(events).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_changed_is_named() {
        let q = LiveQuery { batch: Some(7) };
        let a = Prints {
            locks: [(1, 10), (2, 20)].into_iter().collect(),
            ops: 1,
            alerts: 1,
            batch: Some(1),
        };
        assert!(changes(&a, &a, &q).is_empty());
        let b = Prints {
            locks: [(1, 10), (2, 21), (3, 30)].into_iter().collect(),
            ops: 1,
            alerts: 2,
            batch: Some(2),
        };
        let names = changes(&a, &b, &q);
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(names.iter().any(|n| n == "lock-2"));
        assert!(names.iter().any(|n| n == "lock-3"));
        assert!(names.iter().any(|n| n == "alerts"));
        assert!(names.iter().any(|n| n == "batch-7"));
    }
}
