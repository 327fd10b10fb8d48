//! `GET /locks/{id}/access`: who can open a lock right now and why — the
//! schedule, the credential kinds and whether the lock confirmed them.

use axum::extract::State;
use maud::html;

use super::lock_common::lock_shell;
use super::page::{self, Tone};
use super::session::MsgQuery;
use super::{Web, WebResult};
use super::{WebPath, WebQuery};
use crate::api::AppState;
use crate::control::access::DoorState;

/// `GET /locks/{id}/access`.
pub async fn access_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    let l = s.service.get_lock(&web.p, id).await?;
    let people = s.service.who_can_open(&web.p, id).await?;
    let body = html! {
        @if people.is_empty() {
            p.muted { "Nobody can open this door with a credential from the hub." }
        } @else {
            p.muted { (people.len()) " people; the schedule is the site's local time." }
            div.table-wrap {
                table.cards #who-can-open {
                    thead { tr { th { "Person" } th { "Right now" } th { "Credentials" } th { "On the lock" } th { "Why" } } }
                    tbody {
                        @for w in &people {
                            tr {
                                td data-label="Person" {
                                    (w.name)
                                    @if w.owner { " " (page::badge("owner", Tone::Plain)) }
                                }
                                td data-label="Right now" {
                                    @if w.now { (page::badge("admitted", Tone::Good)) }
                                    @else { (page::badge("not now", Tone::Warn)) }
                                }
                                td data-label="Credentials" {
                                    @if w.credentials.is_empty() { "none" } @else { (w.credentials.join(", ")) }
                                }
                                td data-label="On the lock" {
                                    @let tone = if w.state == DoorState::Set { Tone::Good } else { Tone::Warn };
                                    (page::badge(w.state.as_str(), tone))
                                }
                                td data-label="Why" { (w.why) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(lock_shell(
        &s,
        &web,
        &l,
        "/access",
        "Who can open",
        q.msg.as_deref(),
        body,
    )
    .await)
}
