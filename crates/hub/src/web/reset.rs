//! `GET /locks/{id}/reset`: the resets the API offers — factory reset from
//! the app, release, transfer, manufacturer reset — each confirmed by a
//! dialog that names exactly what the lock erases and asks for the lock's
//! serial (the service's `confirm`). Without script the button is a link
//! to the same form on a page of its own (`/locks/{id}/reset/confirm`).
//! A wrong serial shows that page again with the service's reason, and
//! nothing changes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::lock_common::lock_shell;
use super::page;
use super::{Form, WebPath, WebQuery};
use super::{Web, WebResult};
use crate::api::AppState;
use crate::control::{FACTORY_RESET_ERASES, FACTORY_RESET_KEEPS};
use crate::model::{ClaimState, Lock, Role};
use crate::service::lifecycle::LifecycleOutcome;
use crate::service::operations::OpRequest;
use crate::service::{invalid, ServiceError, ADMINS};

/// One reset the page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A factory reset sent from the hub (`request_op` `factory_reset`).
    Factory,
    /// The lock leaves the organisation (factory reset first when online).
    Release,
    /// The lock goes to another organisation (factory reset first).
    Transfer,
    /// A factory reset authorised by a manufacturer token.
    Manufacturer,
}

/// Every action, in the order the page shows them.
pub const ACTIONS: &[Action] = &[
    Action::Factory,
    Action::Release,
    Action::Transfer,
    Action::Manufacturer,
];

impl Action {
    /// Its name in paths (`/locks/{id}/reset/NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Action::Factory => "factory",
            Action::Release => "release",
            Action::Transfer => "transfer",
            Action::Manufacturer => "manufacturer",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        ACTIONS.iter().copied().find(|a| a.name() == s)
    }

    fn title(self) -> &'static str {
        match self {
            Action::Factory => "Factory reset from the app",
            Action::Release => "Release the lock",
            Action::Transfer => "Transfer to another organisation",
            Action::Manufacturer => "Manufacturer reset",
        }
    }

    fn about(self) -> &'static str {
        match self {
            Action::Factory => "The hub tells the lock to reset itself. Afterwards re-claim it with its setup code and choose who comes back.",
            Action::Release => "The lock leaves this organisation. If it is online it is factory reset first; if it is offline it is released at once and keeps this hub's pairing until someone resets it at the door.",
            Action::Transfer => "The lock is factory reset, then only the organisation you name can claim it, with its setup code.",
            Action::Manufacturer => "For a lock that refuses the app's reset (app reset turned off at the door): the hub proves ownership with a manufacturer token. Afterwards re-claim it.",
        }
    }

    /// Owners only (transfer, manufacturer reset); otherwise owners and managers.
    fn owners_only(self) -> bool {
        matches!(self, Action::Transfer | Action::Manufacturer)
    }
}

fn allowed(web: &Web, a: Action) -> bool {
    match web.p.role {
        Role::Owner => true,
        Role::Manager => !a.owners_only(),
        _ => false,
    }
}

/// What the lock erases and keeps: the service's own lists.
fn erases() -> Markup {
    html! {
        p { strong { "The lock erases:" } }
        ul.erases { @for e in FACTORY_RESET_ERASES { li { (e) } } }
        p { "It keeps: " (FACTORY_RESET_KEEPS.join("; ")) "." }
    }
}

/// The confirmation form of `a` (in the dialog and on its own page).
fn confirm_form(web: &Web, l: &Lock, a: Action, in_dialog: bool, error: Option<&str>) -> Markup {
    let field = format!("confirm-{}", a.name());
    html! {
        p { (a.about()) }
        (erases())
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.stack method="post" action=(format!("/locks/{}/reset/{}", l.id, a.name())) {
            (page::csrf_field(web))
            @if a == Action::Transfer {
                label { "Number of the organisation that takes the lock"
                    input type="number" name="to_org" min="1" required;
                }
            }
            label for=(field) { span { "Type the lock's serial, " code { (l.serial) } ", to confirm" } }
            input type="text" id=(field) name="confirm" required autocomplete="off" spellcheck="false";
            div.row {
                button.danger type="submit" { (a.title()) }
                @if in_dialog {
                    button.secondary type="submit" formmethod="dialog" formnovalidate { "Cancel" }
                } @else {
                    a.button.secondary href=(format!("/locks/{}/reset", l.id)) { "Cancel" }
                }
            }
        }
    }
}

/// `GET /locks/{id}/reset`.
pub async fn reset_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<super::session::MsgQuery>,
) -> WebResult {
    s.service.require(&web.p, ADMINS)?;
    let l = s.service.get_lock(&web.p, id).await?;
    let body = html! {
        @if l.claim_state == ClaimState::ResetBindingStale {
            p.notice role="status" {
                "This lock was reset. " a href=(format!("/locks/{id}/recover")) { "Re-claim it and choose who comes back" } "."
            }
        } @else if l.claim_state != ClaimState::Claimed {
            p.notice role="status" { "This lock is " (l.claim_state.as_str()) "." }
        }
        @if l.claim_state == ClaimState::Claimed {
            section.panel aria-labelledby="h-reboot" {
                h2 #h-reboot { "Restart (soft reset)" }
                p { "The lock restarts as after a battery change: nothing is erased, codes, cards and settings stay. Try this first when it misbehaves." }
                form.inline method="post" action=(format!("/locks/{id}/operate")) {
                    (page::csrf_field(&web))
                    input type="hidden" name="kind" value="reboot";
                    button type="submit" { "Restart the lock" }
                }
            }
        }
        @for a in ACTIONS.iter().copied().filter(|a| allowed(&web, *a)) {
            @let dlg = format!("dialog-{}", a.name());
            section.panel aria-labelledby=(format!("h-{}", a.name())) {
                h2 id=(format!("h-{}", a.name())) { (a.title()) }
                p { (a.about()) }
                a.button.danger href=(format!("/locks/{id}/reset/confirm?action={}", a.name()))
                    hx-on:click=(format!("event.preventDefault(); document.getElementById('{dlg}').showModal()")) {
                    (a.title()) "…"
                }
                dialog id=(dlg) aria-labelledby=(format!("d-{}", a.name())) {
                    h2 id=(format!("d-{}", a.name())) { (a.title()) ": " (l.name) }
                    (confirm_form(&web, &l, a, true, None))
                }
            }
        }
        @if web.p.role == Role::Manager {
            p.muted { "Transfers and manufacturer resets are for owners." }
        }
    };
    Ok(lock_shell(&s, &web, &l, "/reset", "Reset", q.msg.as_deref(), body).await)
}

/// `?action=` of the confirmation page.
#[derive(Debug, Deserialize)]
pub struct ConfirmQuery {
    action: String,
}

async fn confirm_page(
    s: &AppState,
    web: &Web,
    l: &Lock,
    a: Action,
    error: Option<&str>,
) -> Response {
    let body = confirm_form(web, l, a, false, error);
    lock_shell(s, web, l, "/reset", a.title(), None, body).await
}

/// `GET /locks/{id}/reset/confirm?action=NAME`: the confirmation as a page.
pub async fn confirm(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<ConfirmQuery>,
) -> WebResult {
    s.service.require(&web.p, ADMINS)?;
    let a = Action::parse(&q.action)
        .ok_or_else(|| invalid("action", "one of factory, release, transfer, manufacturer"))?;
    let l = s.service.get_lock(&web.p, id).await?;
    Ok(confirm_page(&s, &web, &l, a, None).await)
}

/// The confirmation form's fields.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    confirm: Option<String>,
    to_org: Option<String>,
}

/// Where a reset leads: the recovery wizard while the lock stays here, the
/// dashboard when it left.
fn done(id: i64, o: Option<LifecycleOutcome>, msg: &str) -> Response {
    match o {
        Some(LifecycleOutcome {
            lock: None,
            message,
            ..
        }) => Redirect::to(&page::with_notice("/", &message)).into_response(),
        Some(LifecycleOutcome { message, .. }) => {
            Redirect::to(&page::with_notice(&format!("/locks/{id}"), &message)).into_response()
        }
        None => {
            Redirect::to(&page::with_notice(&format!("/locks/{id}/recover"), msg)).into_response()
        }
    }
}

async fn run(
    s: &AppState,
    web: &Web,
    id: i64,
    a: Action,
    f: &ConfirmForm,
) -> Result<Response, ServiceError> {
    let confirm = f.confirm.clone().filter(|c| !c.trim().is_empty());
    let after = "Sent to the lock. When it has reset, this page takes you through re-claiming it and bringing people back.";
    let svc = &s.service;
    Ok(match a {
        Action::Factory => {
            let req = OpRequest {
                kind: "factory_reset".into(),
                confirm,
                ..OpRequest::default()
            };
            svc.request_op(&web.p, id, req).await?;
            done(id, None, after)
        }
        Action::Release => done(
            id,
            Some(svc.release(&web.p, id, confirm.as_deref()).await?),
            after,
        ),
        Action::Transfer => {
            let to = f
                .to_org
                .as_deref()
                .map(str::trim)
                .and_then(|t| t.parse::<i64>().ok())
                .ok_or_else(|| invalid("to_org", "the number of the organisation"))?;
            done(
                id,
                Some(svc.transfer(&web.p, id, to, confirm.as_deref()).await?),
                after,
            )
        }
        Action::Manufacturer => {
            svc.manufacturer_reset(&web.p, id, confirm.as_deref())
                .await?;
            done(id, None, after)
        }
    })
}

async fn post(s: AppState, web: Web, id: i64, a: Action, f: ConfirmForm) -> WebResult {
    match run(&s, &web, id, a, &f).await {
        Ok(r) => {
            s.wake_jobs();
            Ok(r)
        }
        Err(ServiceError::ConfirmationRequired(why)) => {
            let l = s.service.get_lock(&web.p, id).await?;
            let msg = format!("Nothing was changed: {why}");
            let page = confirm_page(&s, &web, &l, a, Some(&msg)).await;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /locks/{id}/reset/factory`.
pub async fn factory(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<ConfirmForm>,
) -> WebResult {
    post(s, web, id, Action::Factory, f).await
}

/// `POST /locks/{id}/reset/release`.
pub async fn release(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<ConfirmForm>,
) -> WebResult {
    post(s, web, id, Action::Release, f).await
}

/// `POST /locks/{id}/reset/transfer`.
pub async fn transfer(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<ConfirmForm>,
) -> WebResult {
    post(s, web, id, Action::Transfer, f).await
}

/// `POST /locks/{id}/reset/manufacturer`.
pub async fn manufacturer(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<ConfirmForm>,
) -> WebResult {
    post(s, web, id, Action::Manufacturer, f).await
}
