//! `GET /locks/{id}/room-history`: a hotel room's history — every card
//! used at its door, newest first: when, which card, its holder and kind,
//! whether the door opened (refusals too, with the lock's reason).

use axum::extract::State;
use maud::html;
use serde_json::Value;

use super::lock_common::{lock_shell, site_tz};
use super::page::{self, Tone};
use super::{Web, WebPath, WebResult};
use crate::api::AppState;

fn result(v: &Value) -> String {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{} ({})", k.to_lowercase(), s.to_lowercase()),
                _ => k.to_lowercase(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::String(s) => s.to_lowercase(),
        _ => "—".into(),
    }
}

/// `GET /locks/{id}/room-history`.
pub async fn room_history_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let l = s.service.get_lock(&web.p, id).await?;
    let entries = s.service.room_history(&web.p, id, Some(1000)).await?;
    let room = s.service.hotel_room(&web.p, id).await?;
    let tz = site_tz(&s, &web, &l).await;
    let body = html! {
        @if let Some(r) = &room {
            p { "Room " (r.config.door) ", floor " (r.config.floor) ". "
                a href=(format!("/sites/{}/front-desk", r.site_id)) { "Front desk" } }
        }
        @if entries.is_empty() {
            p.muted { "No card used at this door yet." }
        } @else {
            div.table-wrap {
                table.cards #room-history {
                    thead { tr { th { "When" } th { "Card" } th { "Holder" } th { "Kind" } th { "Result" } } }
                    tbody {
                        @for e in &entries {
                            tr {
                                td data-label="When" { (page::time(Some(e.at), tz.as_deref())) }
                                td data-label="Card" { (e.number) }
                                td data-label="Holder" {
                                    @match &e.card { Some(c) => { (c.holder) } None => { span.muted { "not issued by this hub" } } }
                                }
                                td data-label="Kind" {
                                    @if let Some(c) = &e.card {
                                        (c.kind.as_str())
                                        @if c.generation > 0 { " (replacement " (c.generation) ")" }
                                    }
                                }
                                td data-label="Result" {
                                    @if e.opened { (page::badge("opened", Tone::Good)) }
                                    @else { (page::badge(&format!("refused: {}", result(&e.result)), Tone::Bad)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(lock_shell(&s, &web, &l, "/room-history", "Room history", None, body).await)
}
