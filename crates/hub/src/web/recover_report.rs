//! `GET /verifications/{id}`: a lock's verification report after a reset,
//! live until it is done (it re-fetches itself when operations change),
//! and `GET /verifications/{id}/print`: the printable page of
//! [`crate::api::report_html`], for a signed-in person (the API's
//! `?format=html` needs a bearer token).
//!
//! DOM contract: `#verdict` says `running`, `passed` or `failed`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use super::page::{self, Nav, Tone};
use super::WebPath;
use super::{Web, WebResult};
use crate::api::report_html::verification_html;
use crate::api::{ApiError, AppState};
use crate::control::access::VerificationReport;
use crate::model::VerificationState;
use crate::store::access::VerificationRow;

fn report_of(v: &VerificationRow) -> Option<VerificationReport> {
    v.report
        .as_ref()
        .and_then(|r| serde_json::from_value(r.clone()).ok())
}

/// The report section; while running it re-fetches itself.
fn section(v: &VerificationRow) -> Markup {
    let report = report_of(v);
    let running = v.state == VerificationState::Running;
    let url = format!("/verifications/{}/report", v.id);
    html! {
        section.panel #report aria-live="polite" hx-get=[running.then_some(&url)] hx-trigger=[running.then_some("sse:ops, every 3s")] hx-swap="outerHTML" {
            @match (&report, v.state) {
                (Some(r), _) => {
                    p #verdict role="status" {
                        "Verdict: "
                        @if r.passed { (page::badge("passed", Tone::Good)) } @else { (page::badge("failed", Tone::Bad)) }
                    }
                    p { "Lock " strong { (r.lock_label) } " (serial " (r.serial) "), checked " (r.generated_at) "." }
                    div.table-wrap {
                        table.cards {
                            thead { tr { th { "Check" } th { "Result" } th { "Detail" } } }
                            tbody {
                                @for c in &r.checks {
                                    tr {
                                        td data-label="Check" { (c.id) }
                                        td data-label="Result" {
                                            @if c.passed { (page::badge("passed", Tone::Good)) } @else { (page::badge("FAILED", Tone::Bad)) }
                                        }
                                        td data-label="Detail" { (c.detail) }
                                    }
                                }
                            }
                        }
                    }
                    h2 { "Who can open this door" }
                    @if r.present.is_empty() { p.muted { "Nobody." } }
                    ul { @for p in &r.present { li { (p.person) " (slot " (p.slot) ")" } } }
                    h2 { "Removed" }
                    @if r.removed_people.is_empty() { p.muted { "Nobody." } }
                    ul { @for p in &r.removed_people { li { (p) } } }
                    p { a.button.secondary href=(format!("/verifications/{}/print", v.id)) { "Printable report" } }
                }
                (None, VerificationState::Running) => {
                    p #verdict role="status" { (page::badge("running", Tone::Plain)) " The lock is answering; this page updates by itself." }
                }
                (None, _) => {
                    p #verdict role="alert" {
                        (page::badge("failed", Tone::Bad)) " "
                        (v.error.as_deref().unwrap_or("the verification did not finish"))
                    }
                }
            }
        }
    }
}

/// `GET /verifications/{id}`.
pub async fn report_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let v = s.service.get_verification(&web.p, id).await?;
    let l = s.service.get_lock(&web.p, v.lock_id).await?;
    let body = html! {
        p { "Lock " a href=(format!("/locks/{}", l.id)) { (l.name) } ", started " (page::time(Some(v.created_at), None)) "." }
        (section(&v))
    };
    let title = format!("Verification of {}", l.name);
    Ok(page::shell(&s, &web, &title, Nav::Locks, body)
        .await
        .into_response())
}

/// `GET /verifications/{id}/report`: the report section alone (live).
pub async fn report_fragment(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let v = s.service.get_verification(&web.p, id).await?;
    Ok(section(&v).into_response())
}

/// `GET /verifications/{id}/print`: the printable report (409 until done).
pub async fn print(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult<Response> {
    let v = s.service.get_verification(&web.p, id).await?;
    let Some(report) = report_of(&v) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "report_not_ready",
            "Report not ready",
            format!(
                "the verification is {}{}",
                v.state,
                v.error.map(|e| format!(": {e}")).unwrap_or_default()
            ),
        )
        .into());
    };
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        verification_html(&report),
    )
        .into_response())
}
