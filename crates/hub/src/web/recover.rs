//! `GET /locks/{id}/recover`: the recovery wizard after a reset. Step 1
//! re-claims the lock with its setup code, step 2 brings back the people
//! who had access when it was reset (all ticked by default; PIN holders
//! get new PINs, shown once), step 3 starts the verification, whose report
//! is at `/verifications/{id}` ([`super::recover_report`]).
//!
//! The wizard follows the lock's state: it re-fetches itself when the lock
//! changes (`sse:lock-ID`), so it moves on when the lock reports its reset
//! — except while it shows boxes to tick, which a refresh would reset.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use maud::html;
use serde::Deserialize;

use super::lock_common::lock_shell;
use super::page::{self, Tone};
use super::session::MsgQuery;
use super::{Form, WebPath, WebQuery};
use super::{Web, WebResult};
use crate::api::AppState;
use crate::control::access::DoorState;
use crate::control::proto::CredentialKind;
use crate::control::SecretPin;
use crate::model::ClaimState;
use crate::service::access::ReenrolPerson;
use crate::service::{invalid, Principal, Service, ServiceError, ADMINS};

/// Why the hub marks a person's access removed when their lock is reset.
const LOCK_RESET: &str = "lock_reset";

/// Someone who had access to the lock when it was reset.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The person.
    pub person_id: i64,
    /// Their name.
    pub name: String,
    /// They had a PIN there: they come back with a new one (generated).
    pub had_pin: bool,
    /// Their schedule there, in words.
    pub schedule: String,
}

/// The people whose newest access on lock `id` was removed by its reset.
pub async fn candidates(
    svc: &Service,
    p: &Principal,
    id: i64,
) -> Result<Vec<Candidate>, ServiceError> {
    let mut out = Vec::new();
    for person in svc.list_people(p).await? {
        let detail = svc.person_detail(p, person.id).await?;
        let newest = detail
            .doors
            .iter()
            .filter(|d| d.lock_id == id)
            .max_by_key(|d| d.door_access_id);
        let Some(d) = newest else { continue };
        if d.state == DoorState::Removed && d.error.as_deref() == Some(LOCK_RESET) {
            out.push(Candidate {
                person_id: person.id,
                name: person.name,
                had_pin: d.credentials.iter().any(|c| c.kind == CredentialKind::Pin),
                schedule: d.schedule_text.clone(),
            });
        }
    }
    Ok(out)
}

/// `GET /locks/{id}/recover`.
pub async fn recover_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    s.service.require(&web.p, ADMINS)?;
    let l = s.service.get_lock(&web.p, id).await?;
    let people = candidates(&s.service, &web.p, id).await?;
    let claimed = l.claim_state == ClaimState::Claimed;
    let stale = l.claim_state == ClaimState::ResetBindingStale;
    // Live while waiting for the lock; not while someone ticks boxes.
    let live = people.is_empty() || !claimed;
    let body = html! {
        div #wizard hx-get=(format!("/locks/{id}/recover")) hx-select="#wizard" hx-swap="outerHTML" hx-trigger=[live.then(|| format!("sse:lock-{id}"))] {
            @if !claimed && !stale {
                p.notice role="status" { "This lock is " (l.claim_state.as_str()) ": there is nothing to recover here." }
            }
            section.panel #step-reclaim aria-labelledby="h-reclaim" {
                h2 #h-reclaim { "1. Re-claim the lock" }
                @if stale {
                    p { "The lock was reset and no longer honours this hub. Type the setup code printed on its label (the lock must be online)." }
                    form.stack method="post" action=(format!("/locks/{id}/recover/reclaim")) {
                        (page::csrf_field(&web))
                        label { "Setup code"
                            input type="text" name="setup_code" required autocomplete="off" inputmode="numeric" spellcheck="false";
                        }
                        button type="submit" { "Re-claim" }
                    }
                } @else if claimed {
                    p { (page::badge("done", Tone::Good)) " The lock is claimed by this hub. "
                        @if people.is_empty() { "If you asked for a reset, this page moves on when the lock reports it." } }
                }
            }
            section.panel #step-reenrol aria-labelledby="h-reenrol" {
                h2 #h-reenrol { "2. Choose who comes back" }
                @if people.is_empty() {
                    p.muted { "Nobody is waiting to come back to this door." }
                } @else {
                    form.stack method="post" action=(format!("/locks/{id}/recover/reenrol")) {
                        (page::csrf_field(&web))
                        fieldset disabled[!claimed] {
                            legend { "People who could open this door before the reset" }
                            @for c in &people {
                                label.check {
                                    input type="checkbox" name="person" value=(c.person_id) checked;
                                    span { (c.name) span.muted { " — " (c.schedule) @if c.had_pin { "; gets a new PIN" } } }
                                }
                            }
                        }
                        @if claimed { button type="submit" { "Bring them back" } }
                        @else { p.muted { "Re-claim the lock first." } }
                    }
                }
            }
            section.panel #step-verify aria-labelledby="h-verify" {
                h2 #h-verify { "3. Verify the lock" }
                p { "The lock proves with a signed self-check that it was reset and that only the people you chose are on it." }
                @if claimed {
                    form.inline method="post" action=(format!("/locks/{id}/recover/verify")) {
                        (page::csrf_field(&web))
                        button type="submit" { "Start the verification" }
                    }
                } @else {
                    p.muted { "Re-claim the lock first." }
                }
            }
        }
    };
    Ok(lock_shell(
        &s,
        &web,
        &l,
        // The wizard belongs to the Reset tab.
        "/reset",
        "Recover after a reset",
        q.msg.as_deref(),
        body,
    )
    .await)
}

/// Step 1's form (no `Debug`: the setup code is never logged).
#[derive(Deserialize)]
pub struct ReclaimForm {
    setup_code: String,
}

/// `POST /locks/{id}/recover/reclaim`.
pub async fn reclaim(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<ReclaimForm>,
) -> WebResult {
    let code = SecretPin::new(f.setup_code.trim().to_owned());
    s.service.reclaim(&web.p, id, &code, None).await?;
    s.wake_jobs();
    Ok(Redirect::to(&page::with_notice(
        &format!("/locks/{id}/recover"),
        "Re-claimed. Now choose who comes back.",
    ))
    .into_response())
}

/// The ticked `person` boxes of step 2's form.
fn ticked(body: &[u8]) -> Result<Vec<i64>, ServiceError> {
    url::form_urlencoded::parse(body)
        .filter(|(k, _)| k == "person")
        .map(|(_, v)| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| invalid("person", "a person's number"))
        })
        .collect()
}

/// `POST /locks/{id}/recover/reenrol`: brings the ticked people back and
/// shows their new PINs, once.
pub async fn reenrol(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    body: Bytes,
) -> WebResult {
    s.service.require(&web.p, ADMINS)?;
    let chosen = ticked(&body)?;
    let l = s.service.get_lock(&web.p, id).await?;
    let known: HashMap<i64, Candidate> = candidates(&s.service, &web.p, id)
        .await?
        .into_iter()
        .map(|c| (c.person_id, c))
        .collect();
    let people = chosen
        .iter()
        .map(|pid| ReenrolPerson {
            person_id: *pid,
            pin: None,
            generate_pin: known.get(pid).is_some_and(|c| c.had_pin),
        })
        .collect();
    let out = s.service.reenrol(&web.p, id, people).await?;
    s.wake_jobs();
    let name = |pid: i64| {
        known
            .get(&pid)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| format!("person {pid}"))
    };
    let body = html! {
        p.notice role="status" { (chosen.len()) " people are on their way back to this door; the lock confirms each." }
        @if !out.pins.is_empty() {
            h2 { "New PINs" }
            p { strong { "Shown once: " } "give each person theirs now. The hub keeps no copy." }
            div.table-wrap {
                table.cards {
                    thead { tr { th { "Person" } th { "New PIN" } } }
                    tbody {
                        @for pin in &out.pins {
                            tr {
                                td data-label="Person" { (name(pin.person_id)) }
                                td data-label="New PIN" { span.secret { (pin.pin) } }
                            }
                        }
                    }
                }
            }
        }
        p { a.button href=(format!("/locks/{id}/recover#step-verify")) { "Next: verify the lock" } }
    };
    Ok(lock_shell(
        &s,
        &web,
        &l,
        // The wizard belongs to the Reset tab.
        "/reset",
        "People back on the door",
        None,
        body,
    )
    .await)
}

/// `POST /locks/{id}/recover/verify`: starts the verification and shows
/// its report page.
pub async fn verify(State(s): State<AppState>, web: Web, WebPath(id): WebPath<i64>) -> WebResult {
    let v = s.service.start_verification(&web.p, id).await?;
    s.wake_jobs();
    Ok(Redirect::to(&format!("/verifications/{}", v.id)).into_response())
}
