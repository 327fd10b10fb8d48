//! `GET /locks/{id}/history`: a lock's events, newest first — who, how,
//! what came of it and when (in the site's time zone) — a page at a time
//! with a link to older ones.

use axum::extract::State;
use maud::html;
use serde::Deserialize;
use serde_json::Value;

use super::lock_common::{lock_shell, site_tz};
use super::page::{self, Tone};
use super::{Web, WebResult};
use super::{WebPath, WebQuery};
use crate::api::AppState;
use crate::model::Event;
use crate::service::access::SlotHolders;
use crate::service::events::EventQuery;

/// Events per page.
pub const PAGE: usize = 50;

/// `?before=` (an RFC 3339 instant: only events before it) and `?msg=`.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    before: Option<String>,
    msg: Option<String>,
}

/// A word for a field the lock logs as an enum (`"Keypad"`, `{"User": 3}`).
fn word(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) => s.to_lowercase(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::Number(n) => format!("{} {n}", k.to_lowercase()),
                _ => k.to_lowercase(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// Who did it, in words: the person who held the user slot then, where
/// the hub gave that slot.
fn who(e: &Event, holders: &SlotHolders) -> String {
    match e.data.get("who") {
        Some(Value::String(s)) => match s.as_str() {
            "Local" => "someone at the door".into(),
            "Lock" => "the lock itself".into(),
            "Manufacturer" => "the manufacturer".into(),
            other => other.to_lowercase(),
        },
        Some(Value::Object(m)) if m.contains_key("User") => {
            let slot = m.get("User").and_then(Value::as_i64);
            match slot.and_then(|s| holders.name_at(s, e.at)) {
                Some(name) => name.to_owned(),
                None => format!("user slot {}", word(m.get("User"))),
            }
        }
        Some(Value::Object(m)) if m.contains_key("OfflineCode") => {
            match e.data.get("offline_code") {
                Some(c) => format!(
                    "offline code #{} ({})",
                    word(c.get("id")),
                    c.get("label").and_then(Value::as_str).unwrap_or("?")
                ),
                None => format!(
                    "an offline code not issued by this hub ({})",
                    word(m.get("OfflineCode"))
                ),
            }
        }
        Some(Value::Object(m)) if m.contains_key("Card") => {
            let n = m.get("Card").and_then(Value::as_i64);
            match n.and_then(|n| holders.card_holder(n)) {
                Some(holder) => format!("hotel card {} — {holder}", word(m.get("Card"))),
                None => format!("hotel card {}", word(m.get("Card"))),
            }
        }
        // The hub is the lock's only paired controller (phones do not pair
        // with locks in this system): the app, the API or the CLI.
        Some(Value::Object(m)) if m.contains_key("Controller") => {
            "the hub (app, API or CLI)".into()
        }
        other => word(other),
    }
}

/// How it ended, as a badge.
fn result(e: &Event) -> maud::Markup {
    match e.data.get("result") {
        Some(Value::String(s)) if s == "Ok" => page::badge("ok", Tone::Good),
        Some(Value::Object(m)) if m.contains_key("Denied") => {
            page::badge(&format!("refused ({})", word(m.get("Denied"))), Tone::Bad)
        }
        None => page::badge("—", Tone::Plain),
        other => page::badge(&word(other), Tone::Plain),
    }
}

/// The events to show of `rows` (up to `PAGE + 1`, newest first) and the
/// `before` instant of the next page. A page never ends inside a run of
/// events with one time (the lock logs whole seconds), so none is skipped.
fn split(rows: Vec<Event>) -> (Vec<Event>, Option<i64>) {
    if rows.len() <= PAGE {
        return (rows, None);
    }
    let Some(cut) = rows.get(PAGE).map(|e| e.at) else {
        return (rows, None);
    };
    let newer = rows.iter().take_while(|e| e.at > cut).count();
    if newer == 0 {
        // More than a page at one instant: show a page of them and go on
        // before that instant.
        return (rows.into_iter().take(PAGE).collect(), Some(cut));
    }
    let shown: Vec<Event> = rows.into_iter().take(newer).collect();
    (shown, Some(cut.saturating_add(1)))
}

fn rfc3339(ms: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_string())
}

/// `GET /locks/{id}/history`.
pub async fn history_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<HistoryQuery>,
) -> WebResult {
    let l = s.service.get_lock(&web.p, id).await?;
    let before = q.before.filter(|b| !b.trim().is_empty());
    let rows = s
        .service
        .search_events(
            &web.p,
            &EventQuery {
                lock_id: Some(id),
                to: before.clone(),
                limit: i64::try_from(PAGE + 1).ok(),
                ..EventQuery::default()
            },
        )
        .await?;
    let tz = site_tz(&s, &web, &l).await;
    let holders = s.service.slot_holders(&web.p, id).await?;
    let (events, next) = split(rows);
    let older = next
        .and_then(rfc3339)
        .map(|b| format!("/locks/{id}/history?before={}", page::url_encode(&b)));
    let body = html! {
        @if before.is_some() {
            p { a href=(format!("/locks/{id}/history")) { "Back to the newest events" } }
        }
        @if events.is_empty() {
            p.muted { "No events yet." }
        } @else {
            div.table-wrap {
                table.cards #history {
                    thead { tr { th { "When" } th { "What" } th { "Who" } th { "How" } th { "Result" } } }
                    tbody {
                        @for e in &events {
                            tr {
                                td data-label="When" { (page::time(Some(e.at), tz.as_deref())) }
                                td data-label="What" { (e.kind) }
                                td data-label="Who" { (who(e, &holders)) }
                                td data-label="How" { (word(e.data.get("how"))) }
                                td data-label="Result" { (result(e)) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(href) = &older {
            nav.pager aria-label="Older events" {
                a.button.secondary href=(href) rel="next" { "Older events" }
            }
        }
    };
    Ok(lock_shell(&s, &web, &l, "/history", "History", q.msg.as_deref(), body).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: i64, at: i64) -> Event {
        Event {
            id,
            org_id: Some(1),
            lock_id: 1,
            seq: id,
            kind: "unlock".into(),
            at,
            received_at: at,
            data: Value::Null,
        }
    }

    #[test]
    fn a_page_never_ends_inside_one_second() {
        // 40 newer events, then 20 at one instant straddling the page end.
        let mut rows: Vec<Event> = (0..40).map(|i| ev(i, 10_000 - i)).collect();
        rows.extend((40..=50).map(|i| ev(i, 5_000)));
        let (shown, next) = split(rows);
        assert_eq!(shown.len(), 40);
        assert_eq!(
            next,
            Some(5_001),
            "the next page starts with the whole second"
        );
        let (all, none) = split((0..3).map(|i| ev(i, 1_000 - i)).collect());
        assert_eq!((all.len(), none), (3, None));
    }
}
