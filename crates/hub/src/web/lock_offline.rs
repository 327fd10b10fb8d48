//! `GET /locks/{id}/offline-codes`: a lock's codes that work offline — whether
//! they are on (and the epoch), the codes issued (never the digits), a form to
//! issue one (no lock contact; the answer page shows the digits once, never in
//! a URL), and buttons to revoke one or all. Every form calls the same service
//! method as the API.
//!
//! DOM contract: the issue form is `#offline-issue`; the code shown once is
//! `#offline-code`; the table is `#offline-codes`.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use jiff::tz::TimeZone;
use maud::html;
use serde::Deserialize;

use super::lock_common::{lock_shell, site_tz};
use super::page;
use super::session::MsgQuery;
use super::{Form, Web, WebPath, WebQuery, WebResult};
use crate::api::AppState;
use crate::model::Role;
use crate::service::offline::{IssueOfflineCode, IssuedOfflineCode, OfflineWindow};
use crate::service::{invalid, ServiceError, ADMINS};

/// The issue form, as posted (empty fields are absent).
#[derive(Debug, Deserialize)]
pub struct IssueForm {
    kind: String,
    label: String,
    /// Site local time, `YYYY-MM-DDTHH:MM` (one-time, hours, days).
    #[serde(default)]
    from: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    first_day: String,
    #[serde(default)]
    from_hour: String,
    #[serde(default)]
    to_hour: String,
}

/// The revoke form.
#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    code: i64,
}

fn small(field: &'static str, s: &str) -> Result<u8, ServiceError> {
    s.trim()
        .parse()
        .map_err(|_| invalid(field, "a whole number"))
}

/// A site-local `YYYY-MM-DDTHH:MM` as an RFC 3339 instant.
fn local_instant(s: &str, tz: &TimeZone) -> Result<String, ServiceError> {
    let dt: jiff::civil::DateTime = s
        .trim()
        .parse()
        .map_err(|_| invalid("from", "a local date and time, e.g. 2026-12-08T09:00"))?;
    let z = tz
        .to_ambiguous_zoned(dt)
        .compatible()
        .map_err(|_| invalid("from", "not a time in the site's zone"))?;
    Ok(z.timestamp().to_string())
}

fn window(f: &IssueForm, tz: &TimeZone) -> Result<OfflineWindow, ServiceError> {
    Ok(match f.kind.as_str() {
        "one_time" => OfflineWindow::OneTime {
            starts_at: local_instant(&f.from, tz)?,
            hours: small("hours", &f.hours)?,
        },
        "hours" => OfflineWindow::Hours {
            starts_at: local_instant(&f.from, tz)?,
            hours: small("hours", &f.hours)?,
        },
        "days" => OfflineWindow::Days {
            starts_at: local_instant(&f.from, tz)?,
            days: small("days", &f.days)?,
        },
        "daily" => OfflineWindow::Daily {
            first_day: f.first_day.trim().to_owned(),
            days: small("days", &f.days)?,
            from_hour: small("from_hour", &f.from_hour)?,
            to_hour: small("to_hour", &f.to_hour)?,
        },
        _ => return Err(invalid("kind", "one_time, hours, days or daily")),
    })
}

async fn page_for(
    s: &AppState,
    web: &Web,
    id: i64,
    msg: Option<&str>,
    issued: Option<&IssuedOfflineCode>,
) -> WebResult {
    let l = s.service.get_lock(&web.p, id).await?;
    let codes = s.service.offline_codes(&web.p, id).await?;
    let tz = site_tz(s, web, &l).await;
    let tz = tz.as_deref();
    let admin = matches!(web.p.role, Role::Owner | Role::Manager);
    let action = |what: &str| format!("/locks/{id}/offline-codes/{what}");
    let body = html! {
        p.muted {
            "Codes this lock checks by itself, with no connection: each carries its own window "
            "(once, a few hours, some days, or a daily window in the site's local time). "
            "Revoking one reaches the lock when it is next online; revoking all changes the lock's secret."
        }
        @if let Some(i) = issued {
            div.notice #offline-code {
                "Code for " strong { (i.offline_code.label) } ": "
                code { (i.code) "#" }
                " — shown once; from " (page::time(Some(i.offline_code.starts_at), tz))
                " until " (page::time(Some(i.offline_code.ends_at), tz)) "."
            }
        }
        @match codes.epoch {
            Some(e) => p { "Offline codes are on (epoch " (e) ")." },
            None => p { "Offline codes are off for this lock." },
        }
        @if admin {
            form.row method="post" action=(action("enable")) {
                (page::csrf_field(web))
                button type="submit" {
                    @if codes.enabled { "Send the secret to the lock again" } @else { "Turn offline codes on" }
                }
            }
        }
        @if admin && codes.enabled {
            form.stack #offline-issue method="post" action=(action("issue")) {
                (page::csrf_field(web))
                fieldset {
                    legend { "Issue a code" }
                    label for="kind" { "Kind" }
                    select name="kind" id="kind" {
                        option value="one_time" { "once, within some hours" }
                        option value="hours" selected { "a few hours" }
                        option value="days" { "some days" }
                        option value="daily" { "every day, a daily window" }
                    }
                    label for="label" { "For" }
                    input type="text" name="label" id="label" maxlength="100" required;
                    label for="from" { "From (site local time; once, hours, days)" }
                    input type="datetime-local" name="from" id="from";
                    label for="hours" { "Hours (1-24)" }
                    input type="number" name="hours" id="hours" min="1" max="24";
                    label for="days" { "Days (1-31; daily: 1-28)" }
                    input type="number" name="days" id="days" min="1" max="31";
                    label for="first_day" { "First day (daily)" }
                    input type="date" name="first_day" id="first_day";
                    label for="from_hour" { "Daily from hour" }
                    input type="number" name="from_hour" id="from_hour" min="0" max="23";
                    label for="to_hour" { "Daily until hour" }
                    input type="number" name="to_hour" id="to_hour" min="1" max="24";
                }
                button type="submit" { "Issue" }
            }
        }
        h2 { "Codes issued" }
        div.table-wrap {
            table.cards #offline-codes {
                thead { tr { th { "#" } th { "For" } th { "Kind" } th { "From" } th { "Until" } th { "State" } th { "Revoke" } } }
                tbody {
                    @for c in &codes.codes {
                        tr {
                            td data-label="#" { (c.id) }
                            td data-label="For" { (c.label) }
                            td data-label="Kind" { (c.kind.replace('_', "-")) }
                            td data-label="From" { (page::time(Some(c.starts_at), tz)) }
                            td data-label="Until" { (page::time(Some(c.ends_at), tz)) }
                            td data-label="State" {
                                @match c.revoked_at {
                                    Some(t) => { "revoked " (page::time(Some(t), tz)) }
                                    None => "issued",
                                }
                            }
                            td {
                                @if admin && c.revoked_at.is_none() {
                                    form method="post" action=(action("revoke")) {
                                        (page::csrf_field(web))
                                        input type="hidden" name="code" value=(c.id);
                                        button.secondary type="submit" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if admin && codes.enabled {
            form.row method="post" action=(action("revoke-all")) {
                (page::csrf_field(web))
                button.secondary type="submit" { "Revoke every code (new secret)" }
            }
        }
    };
    Ok(
        lock_shell(s, web, &l, "/offline-codes", "Offline codes", msg, body)
            .await
            .into_response(),
    )
}

/// `GET /locks/{id}/offline-codes`.
pub async fn offline_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    page_for(&s, &web, id, q.msg.as_deref(), None).await
}

fn back(id: i64, msg: &str) -> WebResult {
    Ok(Redirect::to(&page::with_notice(
        &format!("/locks/{id}/offline-codes"),
        msg,
    ))
    .into_response())
}

/// `POST /locks/{id}/offline-codes/enable`.
pub async fn enable(State(s): State<AppState>, web: Web, WebPath(id): WebPath<i64>) -> WebResult {
    s.service.enable_offline_codes(&web.p, id).await?;
    s.wake_jobs();
    back(
        id,
        "The lock gets its offline-code secret when it is online.",
    )
}

/// `POST /locks/{id}/offline-codes/issue`: the page again, with the digits shown once.
pub async fn issue(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<IssueForm>,
) -> WebResult {
    s.service.require(&web.p, ADMINS)?;
    let l = s.service.get_lock(&web.p, id).await?;
    let tz = site_tz(&s, &web, &l)
        .await
        .and_then(|z| TimeZone::get(&z).ok())
        .unwrap_or(TimeZone::UTC);
    let body = IssueOfflineCode {
        window: window(&f, &tz)?,
        label: f.label.clone(),
    };
    let issued = s.service.issue_offline_code(&web.p, id, &body).await?;
    page_for(&s, &web, id, None, Some(&issued)).await
}

/// `POST /locks/{id}/offline-codes/revoke`: one code of this lock.
pub async fn revoke(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<RevokeForm>,
) -> WebResult {
    s.service.require(&web.p, ADMINS)?;
    let codes = s.service.offline_codes(&web.p, id).await?;
    if !codes.codes.iter().any(|c| c.id == f.code) {
        return Err(ServiceError::Missing {
            what: "offline code",
            id: f.code,
        }
        .into());
    }
    s.service.revoke_offline_code(&web.p, f.code).await?;
    s.wake_jobs();
    back(
        id,
        &format!(
            "Offline code #{} revoked; the lock refuses it once it is next online.",
            f.code
        ),
    )
}

/// `POST /locks/{id}/offline-codes/revoke-all`.
pub async fn revoke_all(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    s.service.revoke_all_offline_codes(&web.p, id).await?;
    s.wake_jobs();
    back(
        id,
        "Every offline code is revoked; the lock gets a new secret when it is online.",
    )
}
