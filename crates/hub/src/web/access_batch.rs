//! A batch of access changes: progress and per-door results, updating
//! live (the doors re-fetch themselves on `sse:batch-ID`), and the answer
//! to every form that queues a batch — a redirect to the batch, or, when
//! the hub generated a PIN, the batch page itself with the PIN shown once
//! (never in a URL, never stored in the clear, never shown again).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

use super::page::{self, Nav, Tone};
use super::session::MsgQuery;
use super::{Web, WebResult};
use super::{WebPath, WebQuery};
use crate::api::AppState;
use crate::control::access::DoorState;
use crate::service::access::{AccessOutcome, BatchStatus, IssuedPin};

/// A door state as a badge tone.
pub fn tone(s: DoorState) -> Tone {
    match s {
        DoorState::Set | DoorState::Removed => Tone::Good,
        DoorState::Pending | DoorState::Setting | DoorState::Removing => Tone::Warn,
        DoorState::Failed => Tone::Bad,
    }
}

/// What a batch was, in words.
fn what(b: &BatchStatus) -> &'static str {
    use crate::model::ChangeKind as K;
    match b.kind {
        K::Grant => "Access granted",
        K::ChangePin => "PIN changed",
        K::Revoke => "Access revoked",
        K::RevokeAllExceptOwners => "Everyone but the owners revoked",
        K::Reenrol => "People re-enrolled",
        K::ReplaceCredential => "Credential replaced",
        K::Retime => "Stay re-timed",
    }
}

/// The progress and the doors table; re-fetches itself when the live
/// stream says the batch changed. DOM contract (browser tests): table
/// `#doors`, one `tr[data-lock]` per door, `td.door-state` holding only
/// the state word.
pub fn doors(b: &BatchStatus) -> Markup {
    let settled: usize = b
        .counts
        .iter()
        .filter(|(k, _)| DoorState::parse(k).is_some_and(DoorState::is_settled))
        .map(|(_, n)| *n)
        .sum();
    html! {
        section #batch-doors aria-labelledby="batch-doors-h" hx-get=(format!("/batches/{}/doors", b.id)) hx-trigger=(format!("sse:batch-{}", b.id)) hx-swap="outerHTML" {
            h2 #batch-doors-h { "Doors" }
            p role="status" {
                @if b.done { "Done: " } @else { "In progress: " }
                (settled) " of " (b.total) " doors settled"
                @for (state, n) in &b.counts {
                    @if *n > 0 { " · " (n) " " (state) }
                }
            }
            progress max=(b.total.max(1)) value=(settled) aria-label="Doors settled" { (settled) " of " (b.total) }
            div.table-wrap {
                table.cards #doors {
                    thead { tr { th { "Door" } th { "Person" } th { "State" } th { "Connection" } th { "Detail" } } }
                    tbody {
                        @for d in &b.doors {
                            tr data-lock=(d.lock_id) {
                                td data-label="Door" { a href=(format!("/locks/{}", d.lock_id)) { (d.lock_name) } }
                                td data-label="Person" { a href=(format!("/people/{}", d.person_id)) { (d.person_name) } }
                                td.door-state data-label="State" { (d.state.as_str()) }
                                td data-label="Connection" {
                                    @if d.online { (page::badge("online", Tone::Good)) }
                                    @else { (page::badge("offline: waits", Tone::Warn)) }
                                }
                                td data-label="Detail" { (d.error.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The PINs the hub just generated, each shown this once, with whose it is.
fn issued(b: &BatchStatus, pins: &[IssuedPin]) -> Markup {
    let whose = |id: i64| {
        b.doors
            .iter()
            .find(|d| d.person_id == id)
            .map(|d| d.person_name.as_str())
    };
    html! {
        @if !pins.is_empty() {
            section.panel.once aria-labelledby="pins-h" {
                h2 #pins-h { "New PIN" }
                @for p in pins {
                    p {
                        "PIN" @if let Some(name) = whose(p.person_id) { " for " (name) } ": "
                        span.secret { (p.pin) }
                    }
                }
                p role="alert" { "Shown once, not stored in the clear: write it down or give it to the person now. Reloading this page will not show it again." }
            }
        }
    }
}

async fn batch_page(
    s: &AppState,
    web: &Web,
    b: &BatchStatus,
    pins: &[IssuedPin],
    msg: Option<&str>,
) -> Markup {
    let body = html! {
        (page::notice(msg))
        (issued(b, pins))
        p { (page::badge(b.kind.as_str(), Tone::Plain)) " Changes reach each door as it comes online; this page follows them live." }
        (doors(b))
        p { a href="/people" { "Back to people" } }
    };
    let title = format!("{} (batch {})", what(b), b.id);
    page::shell_watching(
        s,
        web,
        &title,
        Nav::People,
        &format!("batch={}", b.id),
        body,
    )
    .await
}

/// `GET /batches/{id}`.
pub async fn batch(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    let b = s.service.batch_status(&web.p, id, true).await?;
    Ok(batch_page(&s, &web, &b, &[], q.msg.as_deref())
        .await
        .into_response())
}

/// `GET /batches/{id}/doors`: the doors alone (live updates).
pub async fn doors_fragment(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let b = s.service.batch_status(&web.p, id, true).await?;
    Ok(doors(&b).into_response())
}

/// The answer to a form that queued a batch: with generated PINs, the
/// batch page itself (not cached, so the PIN is never in a URL or a
/// cache); otherwise a redirect to the batch page with `msg`.
pub async fn answer(s: &AppState, web: &Web, o: AccessOutcome, msg: &str) -> WebResult {
    s.wake_jobs();
    if o.pins.is_empty() {
        let to = page::with_notice(&format!("/batches/{}", o.batch.id), msg);
        return Ok(Redirect::to(&to).into_response());
    }
    let page = batch_page(s, web, &o.batch, &o.pins, Some(msg)).await;
    let res: Response = (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        page,
    )
        .into_response();
    Ok(res)
}
