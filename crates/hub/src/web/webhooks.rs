//! The webhooks page (owners, managers): endpoints with their events and
//! state, a form to add one (the signing secret is shown on the answer page
//! once, never in a URL), enable or disable, delete with a tick box, and
//! the latest deliveries with their last attempt and a redeliver button.
//! Every form calls the same service methods as the API.

use axum::extract::State;
use axum::response::IntoResponse;
use maud::{html, Markup};
use serde::Deserialize;

use super::admin::ConfirmForm;
use super::page::{self, Nav};
use super::{Form, Web, WebPath, WebQuery, WebResult};
use crate::api::AppState;
use crate::hooks::HookEvent;
use crate::model::ts;
use crate::service::ServiceError;
use crate::store::webhooks::{Delivery, Webhook};

/// Deliveries the page lists.
const SHOWN: i64 = 50;

/// `?msg=` after a change.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    msg: Option<String>,
}

async fn render(s: &AppState, web: &Web, top: Markup) -> WebResult {
    let hooks = s.service.list_webhooks(&web.p).await?;
    let deliveries = s.service.list_deliveries(&web.p, None, Some(SHOWN)).await?;
    let body = html! {
        (top)
        p { "Each endpoint gets the events it subscribes to as signed POST requests (Standard Webhooks: "
            code { "webhook-id" } ", " code { "webhook-timestamp" } ", " code { "webhook-signature" }
            "), in order per lock, retried for a day; one that keeps failing is disabled with an alert." }
        (endpoints(web, &hooks))
        (add_form(web))
        (deliveries_table(web, &deliveries))
    };
    Ok(page::shell(s, web, "Webhooks", Nav::Admin, body)
        .await
        .into_response())
}

fn endpoints(web: &Web, hooks: &[Webhook]) -> Markup {
    html! {
        section aria-labelledby="hooks-h" {
            h2 #hooks-h { "Endpoints" }
            @if hooks.is_empty() {
                p { "None yet." }
            } @else {
                div.table-wrap {
                    table.cards #webhooks {
                        thead { tr { th { "URL" } th { "Events" } th { "State" } th { span.muted { "Action" } } } }
                        tbody {
                            @for h in hooks {
                                tr {
                                    td data-label="URL" { code { (h.url) } }
                                    td data-label="Events" { (h.events.join(", ")) }
                                    td data-label="State" {
                                        @if h.enabled {
                                            "enabled"
                                            @if h.consecutive_failures > 0 { " (" (h.consecutive_failures) " failures in a row)" }
                                        } @else {
                                            "disabled"
                                            @if let Some(r) = &h.disabled_reason { ": " (r) }
                                        }
                                    }
                                    td data-label="Action" {
                                        form.inline method="post" action=(format!("/webhooks/{}/enabled", h.id)) {
                                            (page::csrf_field(web))
                                            input type="hidden" name="enabled" value=(if h.enabled { "no" } else { "yes" });
                                            button type="submit" { (if h.enabled { "Disable" } else { "Enable" }) }
                                        }
                                        (super::admin::delete_form(web, &format!("/webhooks/{}/delete", h.id), "Yes, delete this endpoint, its queue and its log", "Delete endpoint"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn add_form(web: &Web) -> Markup {
    html! {
        section aria-labelledby="add-h" {
            h2 #add-h { "Add an endpoint" }
            form method="post" action="/webhooks" {
                (page::csrf_field(web))
                label { "URL" input type="url" name="url" required maxlength="2048" placeholder="https://example.com/tumbler"; }
                fieldset {
                    legend { "Events" }
                    label.check { input type="checkbox" name="event" value="*"; "every event" }
                    @for e in HookEvent::ALL {
                        label.check { input type="checkbox" name="event" value=(e.as_str()); (e.as_str()) }
                    }
                }
                button type="submit" { "Add endpoint" }
            }
        }
    }
}

fn deliveries_table(web: &Web, ds: &[Delivery]) -> Markup {
    html! {
        section aria-labelledby="del-h" {
            h2 #del-h { "Latest deliveries" }
            @if ds.is_empty() {
                p { "None yet." }
            } @else {
                div.table-wrap {
                    table.cards #deliveries {
                        thead { tr { th { "Event" } th { "Endpoint" } th { "State" } th { "Attempts" } th { "Last answer" } th { "Queued" } th { span.muted { "Action" } } } }
                        tbody {
                            @for d in ds {
                                tr {
                                    td data-label="Event" { (d.event) }
                                    td data-label="Endpoint" { (d.webhook_id) }
                                    td data-label="State" { (d.state) }
                                    td data-label="Attempts" { (d.attempts) }
                                    td data-label="Last answer" {
                                        @if let Some(st) = d.last_status { (st) " " }
                                        @if let Some(e) = &d.last_error { span.muted { (e) } }
                                        @if let Some(ms) = d.last_latency_ms { " (" (ms) " ms)" }
                                    }
                                    td data-label="Queued" { (ts::text(d.created_at)) }
                                    td data-label="Action" {
                                        form.inline method="post" action=(format!("/webhook-deliveries/{}/redeliver", d.id)) {
                                            (page::csrf_field(web))
                                            button type="submit" { "Redeliver" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /webhooks`.
pub async fn webhooks_page(
    State(s): State<AppState>,
    web: Web,
    WebQuery(q): WebQuery<Notice>,
) -> WebResult {
    render(&s, &web, page::notice(q.msg.as_deref())).await
}

/// `POST /webhooks`: adds an endpoint (`url`, `event` once per ticked
/// box) and shows its secret this once.
pub async fn create(
    State(s): State<AppState>,
    web: Web,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let field = |k: &'static str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let url = field("url").into_iter().next().unwrap_or_default();
    let events = field("event");
    match s.service.create_webhook(&web.p, &url, &events).await {
        Ok(made) => {
            let top = html! {
                div.notice role="status" {
                    p { "Endpoint added. Its signing secret is shown this once: keep it where the receiver can verify signatures with it." }
                    p { code #webhook-secret { (made.secret.as_str()) } }
                }
            };
            render(&s, &web, top).await
        }
        Err(e) => refused(&s, &web, e).await,
    }
}

async fn refused(s: &AppState, web: &Web, e: ServiceError) -> WebResult {
    let e = crate::api::ApiError::from(e);
    let top = html! { div.error role="alert" #form-error { strong { (e.title) } ": " (e.detail) } };
    // The page again, with the API's status for the refusal.
    let mut res = render(s, web, top).await?;
    *res.status_mut() = e.status;
    Ok(res)
}

async fn done(s: &AppState, web: &Web, r: Result<(), ServiceError>, msg: &str) -> WebResult {
    match r {
        Ok(()) => {
            Ok(axum::response::Redirect::to(&page::with_notice("/webhooks", msg)).into_response())
        }
        Err(e) => refused(s, web, e).await,
    }
}

/// The enable/disable form.
#[derive(Debug, Deserialize)]
pub struct EnabledForm {
    #[serde(default)]
    enabled: String,
}

/// `POST /webhooks/{id}/enabled` (`enabled=yes|no`).
pub async fn set_enabled(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<EnabledForm>,
) -> WebResult {
    let on = f.enabled == "yes";
    let r = s
        .service
        .set_webhook_enabled(&web.p, id, on)
        .await
        .map(drop);
    done(
        &s,
        &web,
        r,
        if on {
            "Endpoint enabled."
        } else {
            "Endpoint disabled."
        },
    )
    .await
}

/// `POST /webhooks/{id}/delete` (the tick box).
pub async fn delete(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<ConfirmForm>,
) -> WebResult {
    let r = match f.check() {
        Ok(()) => s.service.delete_webhook(&web.p, id).await,
        Err(e) => Err(e),
    };
    done(&s, &web, r, "Endpoint deleted.").await
}

/// `POST /webhook-deliveries/{id}/redeliver`.
pub async fn redeliver(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let r = s.service.redeliver(&web.p, id).await.map(drop);
    done(&s, &web, r, "Delivery queued again.").await
}
