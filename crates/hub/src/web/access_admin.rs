//! Organisation-wide access: "revoke everyone except the owners" (owners
//! only, behind a page that says exactly what will happen and a ticked
//! confirmation) and lock-wide holidays on one or more doors (vacation,
//! privacy, passage or normal between two local times of the site).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use maud::html;
use serde::Deserialize;

use super::access_batch::answer;
use super::access_form::{chosen_doors, door_picker, doors_by_site, zones_note, Fields};
use super::page::{self, Nav};
use super::session::MsgQuery;
use super::{Form, WebQuery};
use super::{Web, WebResult};
use crate::api::AppState;
use crate::model::ClaimState;
use crate::service::access::HolidayRequest;
use crate::service::{ServiceError, ADMINS, OWNERS};

/// The word the confirmation box sends (the API's `confirm` value).
pub const CONFIRM: &str = "revoke-all";

/// `GET /access/revoke-all`: what will happen, and the confirmation.
pub async fn revoke_all_page(State(s): State<AppState>, web: Web) -> WebResult {
    s.service.require(&web.p, OWNERS)?;
    let people = s.service.list_people(&web.p).await?;
    let (owners, others): (Vec<_>, Vec<_>) = people.iter().partition(|p| p.owner);
    let body = html! {
        section.panel.warning aria-labelledby="what-h" {
            h2 #what-h { "What happens" }
            p { strong { (others.len()) " people" } " lose access to " strong { "every door" } " of the organisation, and every credential they hold (PINs, cards, fingerprints, phone keys) is revoked for good." }
            p { "Owners keep their access: " @if owners.is_empty() { strong { "there is no owner, so nobody keeps access" } } @else { @for (i, o) in owners.iter().enumerate() { @if i > 0 { ", " } (o.name) } } "." }
            p { "Each door removes them as soon as it is online; an offline door keeps admitting them until it reconnects. To let someone back in, give them access again with new credentials." }
        }
        @if !others.is_empty() {
            h2 { "Who loses access" }
            ul #losing { @for p in &others { li { (p.name) } } }
        }
        form.stack method="post" action="/access/revoke-all" {
            (page::csrf_field(&web))
            label.check { input type="checkbox" name="confirm" value=(CONFIRM) required; "I understand: everyone except the owners loses access to every door." }
            button.danger type="submit" { "Revoke everyone except the owners" }
        }
        p { a href="/people" { "Cancel" } }
    };
    Ok(page::shell(
        &s,
        &web,
        "Revoke everyone except the owners",
        Nav::People,
        body,
    )
    .await
    .into_response())
}

/// The confirmation form.
#[derive(Debug, Deserialize)]
pub struct RevokeAllForm {
    confirm: Option<String>,
}

/// `POST /access/revoke-all`.
pub async fn revoke_all(
    State(s): State<AppState>,
    web: Web,
    Form(f): Form<RevokeAllForm>,
) -> WebResult {
    if f.confirm.as_deref() != Some(CONFIRM) {
        return Err(ServiceError::ConfirmationRequired(
            "tick the box: everyone but the owners loses access to every door".into(),
        )
        .into());
    }
    let o = s.service.revoke_all_except_owners(&web.p).await?;
    answer(&s, &web, o, "Everyone but the owners is being removed.").await
}

const MODES: &[(&str, &str)] = &[
    (
        "vacation",
        "Vacation: keypad and cards off for everyone but admins",
    ),
    ("privacy", "Privacy: nobody gets in from outside"),
    ("passage", "Passage: the door stays open"),
    ("normal", "Normal: as every day"),
];

/// `GET /holidays`: the holiday form.
pub async fn holidays_page(
    State(s): State<AppState>,
    web: Web,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    s.service.require(&web.p, ADMINS)?;
    let groups = doors_by_site(&s, &web).await?;
    let body = html! {
        (page::notice(q.msg.as_deref()))
        p { "A holiday puts whole doors in another mode between two times; the lock enforces it, even offline. Each lock keeps four (slots 0 to 3)." }
        form.stack.holidays method="post" action="/holidays" {
            (page::csrf_field(&web))
            (door_picker(&groups, "Doors", s.service.now_ms()))
            p.muted #tz-note { (zones_note(&groups)) }
            div.row {
                label { "From" input type="datetime-local" name="from" aria-describedby="tz-note"; }
                label { "To" input type="datetime-local" name="to" aria-describedby="tz-note"; }
            }
            fieldset {
                legend { "Mode" }
                @for (i, (value, words)) in MODES.iter().enumerate() {
                    label.check { input type="radio" name="mode" value=(value) checked[i == 0]; (words) }
                }
            }
            label { "Slot"
                select name="slot" {
                    @for n in 0..4u8 { option value=(n) { (n) } }
                }
            }
            div.row {
                button type="submit" { "Set the holiday" }
                button.secondary type="submit" name="clear" value="1" { "Remove the holiday in this slot" }
            }
        }
    };
    Ok(page::shell(&s, &web, "Holidays", Nav::People, body)
        .await
        .into_response())
}

/// `POST /holidays`: one operation per chosen door. Every door is checked
/// first (this organisation's, claimed) so that a wrong one queues nothing.
pub async fn set_holidays(
    State(s): State<AppState>,
    web: Web,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let f = Fields(pairs);
    let slot = match f.get("slot") {
        None => 0,
        Some(v) => v.parse::<u8>().map_err(|_| ServiceError::Invalid {
            field: "slot",
            reason: "0 to 3".into(),
        })?,
    };
    let req = HolidayRequest {
        slot,
        from: f.get("from").map(str::to_owned),
        to: f.get("to").map(str::to_owned),
        mode: f.get("mode").map(str::to_owned),
        clear: f.checked("clear"),
    };
    let ids = chosen_doors(&s, &web, &f).await?;
    if ids.is_empty() {
        return Err(ServiceError::Invalid {
            field: "lock_ids",
            reason: "choose at least one door".into(),
        }
        .into());
    }
    s.service.require(&web.p, ADMINS)?;
    for id in &ids {
        let l = s.service.get_lock(&web.p, *id).await?;
        if l.claim_state != ClaimState::Claimed {
            return Err(ServiceError::WrongState(format!(
                "lock {} is {}; re-claim it first",
                l.id, l.claim_state
            ))
            .into());
        }
    }
    for id in &ids {
        s.service.set_holiday(&web.p, *id, req.clone()).await?;
    }
    s.wake_jobs();
    let what = if req.clear { "removal" } else { "holiday" };
    let msg = format!("The {what} is queued on {} door(s).", ids.len());
    Ok(Redirect::to(&page::with_notice("/holidays", &msg)).into_response())
}
