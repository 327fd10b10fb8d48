//! A lock's page: its state (live), lock and unlock, recent operations,
//! and the tabs to the lock's other pages.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use serde::Deserialize;

use super::lock_common::site_tz;
use super::page::{self, Nav, Tone};
use super::session::MsgQuery;
use super::{Form, Web, WebPath, WebQuery, WebResult};
use crate::api::AppState;
use crate::control::SecretPin;
use crate::model::{ClaimState, Lock, OpState, Operation, Role};
use crate::service::operations::OpRequest;

/// A lock's pages, as tabs: path suffix and label.
pub const TABS: &[(&str, &str)] = &[
    ("", "Overview"),
    ("/history", "History"),
    ("/access", "Who can open"),
    ("/settings", "Settings"),
    ("/offline-codes", "Offline codes"),
    ("/doctor", "Troubleshoot"),
    ("/reset", "Reset"),
];

/// The tabs of lock `id`, with `current` (a path suffix of [`TABS`]) marked.
pub fn tabs(id: i64, current: &str) -> Markup {
    html! {
        nav.tabs aria-label="Lock pages" {
            ul.row {
                @for (suffix, label) in TABS {
                    li {
                        @if *suffix == current {
                            a.button href=(format!("/locks/{id}{suffix}")) aria-current="page" { (label) }
                        } @else {
                            a.button.secondary href=(format!("/locks/{id}{suffix}")) { (label) }
                        }
                    }
                }
            }
        }
    }
}

/// The lock's live state card: re-fetched when the lock or an operation
/// changes (`sse:lock-ID`, `sse:ops`).
pub fn state_card(
    web: &Web,
    l: &Lock,
    ops: &[Operation],
    tz: Option<&str>,
    pin_required: bool,
) -> Markup {
    let can_operate = matches!(web.p.role, Role::Owner | Role::Manager);
    let claimed = l.claim_state == ClaimState::Claimed;
    let pending: Vec<&Operation> = ops
        .iter()
        .filter(|o| matches!(o.state, OpState::Pending | OpState::Sent))
        .collect();
    html! {
        section.panel #lock-state aria-live="polite" hx-get=(format!("/locks/{}/state", l.id)) hx-trigger=(format!("sse:lock-{}, sse:ops", l.id)) hx-swap="outerHTML" {
            div.row {
                span { "Bolt " (page::bolt(l)) }
                span { "Door " (page::door(l)) }
                span { "Battery " (page::battery(l)) }
                span { "Connection " (page::presence(l)) }
                @if !claimed { span { (page::badge(l.claim_state.as_str(), Tone::Bad)) } }
                @if l.claim_state == ClaimState::ResetBindingStale && can_operate {
                    a href=(format!("/locks/{}/recover", l.id)) { "Recover after the reset" }
                }
            }
            dl.facts {
                dt { "Serial" } dd { (l.serial) }
                dt { "Mode" } dd { (l.telemetry.mode.as_deref().unwrap_or("unknown")) }
                dt { "Firmware" } dd { (l.telemetry.firmware.as_deref().unwrap_or("unknown")) }
                dt { "Last heard from" } dd { (page::time(l.last_seen_at, tz)) }
            }
            @if can_operate && claimed {
                div.row {
                    @for (kind, label) in [("unlock", "Unlock"), ("lock", "Lock")] {
                        form.inline method="post" action=(format!("/locks/{}/operate", l.id)) hx-post=(format!("/locks/{}/operate", l.id)) hx-target="#lock-state" hx-swap="outerHTML" {
                            (page::csrf_field(web))
                            input type="hidden" name="kind" value=(kind);
                            @if pin_required {
                                label { "PIN (this lock asks for one)" input type="password" name="pin" inputmode="numeric" autocomplete="off" pattern="[0-9]{1,16}" required; }
                            }
                            button.spin type="submit" { (label) }
                        }
                    }
                }
            }
            @if !pending.is_empty() {
                p role="status" {
                    @for o in &pending {
                        span.op { (o.kind.as_str()) ": " (o.state.as_str()) @if let Some(w) = &o.waiting { " (" (w) ")" } } " "
                    }
                }
            }
        }
    }
}

/// True if the lock asks for a PIN with remote lock and unlock (its
/// `require_pin_for_remote_operation` setting, as last reported).
async fn pin_required(s: &AppState, web: &Web, id: i64) -> bool {
    s.service.lock_settings(&web.p, id).await.is_ok_and(|set| {
        set.settings.iter().any(|v| {
            v.name == "require_pin_for_remote_operation"
                && v.value == Some(serde_json::Value::Bool(true))
        })
    })
}

/// What the overview and its live fragments show: the lock, its recent
/// operations and its site's time zone.
struct Overview {
    l: Lock,
    ops: Vec<Operation>,
    tz: Option<String>,
}

async fn overview(s: &AppState, web: &Web, id: i64) -> WebResult<Overview> {
    let l = s.service.get_lock(&web.p, id).await?;
    let ops = s
        .service
        .list_operations(&web.p, Some(id), None, Some(10))
        .await?;
    let tz = site_tz(s, web, &l).await;
    Ok(Overview { l, ops, tz })
}

/// `GET /locks/{id}`.
pub async fn lock_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    let Overview { l, ops, tz } = overview(&s, &web, id).await?;
    let body = html! {
        (tabs(id, ""))
        (page::notice(q.msg.as_deref()))
        (state_card(&web, &l, &ops, tz.as_deref(), pin_required(&s, &web, id).await))
        (recent_ops(id, &ops, tz.as_deref()))
    };
    Ok(page::shell(&s, &web, &l.name, Nav::Locks, body)
        .await
        .into_response())
}

/// The lock's recent operations; re-fetched when operations change
/// (`sse:ops`).
pub fn recent_ops(id: i64, ops: &[Operation], tz: Option<&str>) -> Markup {
    html! {
        section #recent-ops aria-labelledby="recent-ops-h" hx-get=(format!("/locks/{id}/ops")) hx-trigger="sse:ops" hx-swap="outerHTML" {
            h2 #recent-ops-h { "Recent operations" }
            @if ops.is_empty() {
                p.muted { "None yet." }
            } @else {
                div.table-wrap {
                    table.cards {
                        thead { tr { th { "When" } th { "What" } th { "State" } th { "Detail" } } }
                        tbody {
                            @for o in ops {
                                tr {
                                    td data-label="When" { (page::time(Some(o.created_at), tz)) }
                                    td data-label="What" { (o.kind.as_str()) }
                                    td data-label="State" { (o.state.as_str()) }
                                    td data-label="Detail" { (o.error.as_deref().or(o.waiting.as_deref()).unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /locks/{id}/ops`: the recent operations alone (live updates).
pub async fn ops_fragment(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let Overview { ops, tz, .. } = overview(&s, &web, id).await?;
    Ok(recent_ops(id, &ops, tz.as_deref()).into_response())
}

/// `GET /locks/{id}/state`: the state card alone (live updates).
pub async fn state_fragment(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let Overview { l, ops, tz } = overview(&s, &web, id).await?;
    let pin = pin_required(&s, &web, id).await;
    Ok(state_card(&web, &l, &ops, tz.as_deref(), pin).into_response())
}

/// The lock/unlock form.
#[derive(Deserialize)]
pub struct OperateForm {
    kind: String,
    pin: Option<String>,
}

/// `POST /locks/{id}/operate`: queues a lock, unlock or restart (reboot);
/// htmx gets the new state card, a plain form the page again.
pub async fn operate(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<OperateForm>,
) -> WebResult {
    let kind = match f.kind.as_str() {
        "lock" | "unlock" | "reboot" => f.kind.clone(),
        _ => {
            return Err(crate::service::ServiceError::Invalid {
                field: "kind",
                reason: "lock, unlock or reboot".into(),
            }
            .into())
        }
    };
    let req = OpRequest {
        kind,
        pin: f.pin.filter(|p| !p.is_empty()).map(SecretPin::new),
        ..OpRequest::default()
    };
    s.service.request_op(&web.p, id, req).await?;
    s.wake_jobs();
    if web.htmx {
        return state_fragment(State(s), web, WebPath(id)).await;
    }
    Ok(Redirect::to(&page::with_notice(
        &format!("/locks/{id}"),
        &format!("{} requested.", f.kind),
    ))
    .into_response())
}
