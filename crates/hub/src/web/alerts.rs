//! The alerts page: the organisation's open (or all) alerts, filtered by
//! lock, kind and severity, each with an acknowledge button; the list
//! re-fetches itself when the open alerts change (`sse:alerts`).
//! Installers get the service's 403: they see no alert content.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use serde::Deserialize;

use super::page::{self, Nav, Tone};
use super::{Form, WebPath, WebQuery};
use super::{Web, WebResult};
use crate::api::AppState;
use crate::model::{Alert, AlertKind, Severity};
use crate::service::ServiceError;
use crate::store::locks::LockFilter;

/// The most alerts one page reads.
pub const MAX: i64 = 1000;

/// The filters as the browser sends them (query string or the hidden
/// fields of an acknowledge form); empty means "any".
#[derive(Debug, Default, Deserialize)]
pub struct AlertQuery {
    /// `open` (default) or `all`.
    show: Option<String>,
    /// A lock id.
    lock: Option<String>,
    /// An [`AlertKind`] name.
    kind: Option<String>,
    /// A [`Severity`] name.
    severity: Option<String>,
    /// A notice after a change.
    msg: Option<String>,
}

/// The filters, parsed once.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Filter {
    all: bool,
    lock: Option<i64>,
    kind: Option<AlertKind>,
    severity: Option<Severity>,
}

fn given(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn bad(field: &'static str, reason: &str) -> ServiceError {
    ServiceError::Invalid {
        field,
        reason: reason.into(),
    }
}

impl Filter {
    fn parse(q: &AlertQuery) -> Result<Self, ServiceError> {
        let all = match given(q.show.as_ref()) {
            None | Some("open") => false,
            Some("all") => true,
            Some(_) => return Err(bad("show", "open or all")),
        };
        let lock = given(q.lock.as_ref())
            .map(|l| l.parse::<i64>().map_err(|_| bad("lock", "a lock id")))
            .transpose()?;
        let kind = given(q.kind.as_ref())
            .map(|k| AlertKind::parse(k).ok_or_else(|| bad("kind", "an alert kind")))
            .transpose()?;
        let severity = given(q.severity.as_ref())
            .map(|s| Severity::parse(s).ok_or_else(|| bad("severity", "info, warning or critical")))
            .transpose()?;
        Ok(Filter {
            all,
            lock,
            kind,
            severity,
        })
    }

    /// The query string that shows these filters (no leading `?`).
    fn query(&self) -> String {
        let mut q = vec![format!("show={}", if self.all { "all" } else { "open" })];
        if let Some(l) = self.lock {
            q.push(format!("lock={l}"));
        }
        if let Some(k) = self.kind {
            q.push(format!("kind={k}"));
        }
        if let Some(s) = self.severity {
            q.push(format!("severity={s}"));
        }
        q.join("&")
    }

    fn keeps(&self, a: &Alert) -> bool {
        self.lock.is_none_or(|l| a.lock_id == Some(l))
            && self.kind.is_none_or(|k| a.kind == k)
            && self.severity.is_none_or(|s| a.severity == s)
    }
}

/// A lock's name and its site's time zone, by lock id.
pub type Locks = HashMap<i64, (String, Option<String>)>;

/// The organisation's locks: name and site time zone, by id.
pub async fn locks(s: &AppState, web: &Web) -> Result<Locks, ServiceError> {
    let tz: HashMap<i64, String> = s
        .service
        .list_sites(&web.p)
        .await?
        .into_iter()
        .map(|site| (site.id, site.time_zone))
        .collect();
    Ok(s.service
        .list_locks(&web.p, &LockFilter::default())
        .await?
        .into_iter()
        .map(|l| {
            let zone = l.site_id.and_then(|id| tz.get(&id).cloned());
            (l.id, (l.name, zone))
        })
        .collect())
}

/// Severity as a word in a badge (the colour only repeats the word).
pub fn severity(s: Severity) -> Markup {
    let tone = match s {
        Severity::Critical => Tone::Bad,
        Severity::Warning => Tone::Warn,
        Severity::Info => Tone::Plain,
    };
    page::badge(s.as_str(), tone)
}

fn state(a: &Alert, tz: Option<&str>) -> Markup {
    html! {
        @if let Some(at) = a.acked_at {
            "acknowledged " (page::time(Some(at), tz))
        } @else if a.cleared_at.is_some() {
            (page::badge("open", Tone::Warn)) " condition ended " (page::time(a.cleared_at, tz))
        } @else {
            (page::badge("open", Tone::Warn))
        }
    }
}

/// The hidden fields that carry the filters through an acknowledge form.
fn filter_fields(f: &Filter) -> Markup {
    html! {
        input type="hidden" name="show" value=(if f.all { "all" } else { "open" });
        @if let Some(l) = f.lock { input type="hidden" name="lock" value=(l); }
        @if let Some(k) = f.kind { input type="hidden" name="kind" value=(k.as_str()); }
        @if let Some(s) = f.severity { input type="hidden" name="severity" value=(s.as_str()); }
    }
}

/// The list of alerts matching `f`; re-fetches itself on `sse:alerts`.
fn list(web: &Web, f: &Filter, alerts: &[Alert], locks: &Locks) -> Markup {
    let shown: Vec<&Alert> = alerts.iter().filter(|a| f.keeps(a)).collect();
    html! {
        section #alert-list aria-live="polite" hx-get=(format!("/alerts/list?{}", f.query())) hx-trigger="sse:alerts" hx-swap="outerHTML" {
            p.muted {
                (shown.len())
                @if f.all { " alert" } @else { " open alert" }
                @if shown.len() != 1 { "s" }
            }
            @if shown.is_empty() {
                p { "Nothing to look at." }
            } @else {
                div.table-wrap {
                    table.cards {
                        thead { tr { th { "Severity" } th { "When" } th { "Lock" } th { "What" } th { "State" } th { span.muted { "Action" } } } }
                        tbody {
                            @for a in &shown {
                                @let lock = a.lock_id.and_then(|id| locks.get(&id));
                                @let tz = lock.and_then(|(_, tz)| tz.as_deref());
                                tr {
                                    td data-label="Severity" { (severity(a.severity)) }
                                    td data-label="When" {
                                        (page::time(Some(a.last_at), tz))
                                        @if a.times > 1 { br; span.muted { (a.times) " times since " (page::time(Some(a.created_at), tz)) } }
                                    }
                                    td data-label="Lock" {
                                        @match (a.lock_id, lock) {
                                            (Some(id), Some((name, _))) => a href=(format!("/locks/{id}")) { (name) },
                                            (Some(id), None) => { "lock " (id) },
                                            (None, _) => "—",
                                        }
                                    }
                                    td data-label="What" { (a.message) br; span.muted { (a.kind.as_str()) } }
                                    td data-label="State" { (state(a, tz)) }
                                    td data-label="Action" {
                                        @if a.acked_at.is_none() {
                                            form.inline method="post" action=(format!("/alerts/{}/ack", a.id)) hx-post=(format!("/alerts/{}/ack", a.id)) hx-target="#alert-list" hx-swap="outerHTML" {
                                                (page::csrf_field(web))
                                                (filter_fields(f))
                                                button.secondary.spin type="submit" aria-label=(format!("Acknowledge alert {}", a.id)) { "Acknowledge" }
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
}

fn filters(f: &Filter, locks: &Locks) -> Markup {
    let mut names: Vec<(&i64, &String)> = locks.iter().map(|(id, (n, _))| (id, n)).collect();
    names.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    html! {
        form.inline role="search" method="get" action="/alerts" {
            label { "Show"
                select name="show" {
                    option value="open" selected[!f.all] { "Open only" }
                    option value="all" selected[f.all] { "All, with past ones" }
                }
            }
            label { "Lock"
                select name="lock" {
                    option value="" { "Every lock" }
                    @for (id, name) in &names {
                        option value=(id) selected[f.lock == Some(**id)] { (name) }
                    }
                }
            }
            label { "Kind"
                select name="kind" {
                    option value="" { "Every kind" }
                    @for k in AlertKind::ALL {
                        option value=(k.as_str()) selected[f.kind == Some(*k)] { (k.as_str().replace('_', " ")) }
                    }
                }
            }
            label { "Severity"
                select name="severity" {
                    option value="" { "Any severity" }
                    @for s in Severity::ALL {
                        option value=(s.as_str()) selected[f.severity == Some(*s)] { (s.as_str()) }
                    }
                }
            }
            button type="submit" { "Filter" }
        }
    }
}

/// Reads what the list shows; the service refuses roles that may not read
/// alerts before anything else is read.
async fn read(s: &AppState, web: &Web, f: &Filter) -> Result<(Vec<Alert>, Locks), ServiceError> {
    let alerts = s.service.list_alerts(&web.p, !f.all, Some(MAX)).await?;
    Ok((alerts, locks(s, web).await?))
}

/// `GET /alerts`.
pub async fn alerts_page(
    State(s): State<AppState>,
    web: Web,
    WebQuery(q): WebQuery<AlertQuery>,
) -> WebResult {
    let f = Filter::parse(&q)?;
    let (alerts, locks) = read(&s, &web, &f).await?;
    let title = match f.lock {
        Some(id) => {
            let l = s.service.get_lock(&web.p, id).await?;
            format!("Alerts of {}", l.name)
        }
        None => "Alerts".into(),
    };
    let body = html! {
        (page::notice(q.msg.as_deref()))
        (filters(&f, &locks))
        (list(&web, &f, &alerts, &locks))
    };
    Ok(page::shell(&s, &web, &title, Nav::Alerts, body)
        .await
        .into_response())
}

/// `GET /alerts/list`: the list alone (live updates).
pub async fn list_fragment(
    State(s): State<AppState>,
    web: Web,
    WebQuery(q): WebQuery<AlertQuery>,
) -> WebResult {
    let f = Filter::parse(&q)?;
    let (alerts, locks) = read(&s, &web, &f).await?;
    Ok(list(&web, &f, &alerts, &locks).into_response())
}

/// `POST /alerts/{id}/ack`: acknowledges; htmx gets the list, a plain form
/// the page again with the same filters.
pub async fn ack(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(q): Form<AlertQuery>,
) -> WebResult {
    let f = Filter::parse(&q)?;
    s.service.ack_alert(&web.p, id).await?;
    if web.htmx {
        let (alerts, locks) = read(&s, &web, &f).await?;
        return Ok(list(&web, &f, &alerts, &locks).into_response());
    }
    Ok(Redirect::to(&page::with_notice(
        &format!("/alerts?{}", f.query()),
        "Alert acknowledged.",
    ))
    .into_response())
}
