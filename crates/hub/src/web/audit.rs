//! The audit trail page (owners): who claimed, reset, released or
//! transferred which lock, and who created organisations, newest first,
//! with times in the lock's site time zone (UTC otherwise). Other roles
//! get the service's 403.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::IntoResponse;
use maud::{html, Markup};
use serde::Deserialize;

use super::alerts::Locks;
use super::page::{self, Nav};
use super::WebQuery;
use super::{Web, WebResult};
use crate::api::AppState;
use crate::model::AuditEntry;
use crate::service::ServiceError;

/// How many entries the page may show, as offered.
const SIZES: &[i64] = &[100, 500, 1000];

/// `?limit=`.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<String>,
}

/// An entry's detail in words: an object's fields as `key: value`, a
/// string as itself.
fn detail(v: &serde_json::Value) -> String {
    use serde_json::Value;
    let one = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match v {
        Value::Null => String::new(),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{}: {}", k.replace('_', " "), one(v)))
            .collect::<Vec<_>>()
            .join("; "),
        other => one(other),
    }
}

fn table(entries: &[AuditEntry], locks: &Locks, who: &HashMap<i64, String>) -> Markup {
    html! {
        div.table-wrap {
            table.cards {
                thead { tr { th { "When" } th { "What" } th { "Lock" } th { "Who" } th { "Detail" } } }
                tbody {
                    @for e in entries {
                        @let lock = e.lock_id.and_then(|id| locks.get(&id));
                        @let tz = lock.and_then(|(_, tz)| tz.as_deref());
                        tr {
                            td data-label="When" { (page::time(Some(e.at), tz)) }
                            td data-label="What" { (e.action.replace('_', " ")) }
                            td data-label="Lock" {
                                @match (e.lock_id, lock) {
                                    (Some(id), Some((name, _))) => a href=(format!("/locks/{id}")) { (name) },
                                    (Some(id), None) => { "lock " (id) " (no longer here)" },
                                    (None, _) => "—",
                                }
                            }
                            td data-label="Who" {
                                @match e.account_id {
                                    Some(id) => (who.get(&id).map_or("a deleted account", String::as_str)),
                                    None => "the hub",
                                }
                            }
                            td data-label="Detail" { (detail(&e.detail)) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /audit`.
pub async fn audit_page(
    State(s): State<AppState>,
    web: Web,
    WebQuery(q): WebQuery<AuditQuery>,
) -> WebResult {
    let limit = match q.limit.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => Some(l.parse::<i64>().map_err(|_| ServiceError::Invalid {
            field: "limit",
            reason: "between 1 and 1000".into(),
        })?),
    };
    // First: the service refuses every role but owners here.
    let entries = s.service.list_audit(&web.p, limit).await?;
    let locks = super::alerts::locks(&s, &web).await?;
    let who = s
        .service
        .list_accounts(&web.p)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let shown = limit.unwrap_or(100);
    let body = html! {
        p { "Claims, resets, releases and transfers of locks, and organisations created, newest first." }
        form.inline method="get" action="/audit" {
            label { "Show"
                select name="limit" {
                    @for n in SIZES {
                        option value=(n) selected[*n == shown] { "the last " (n) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
        @if entries.is_empty() {
            p { "Nothing yet." }
        } @else {
            (table(&entries, &locks, &who))
        }
    };
    Ok(page::shell(&s, &web, "Audit trail", Nav::Audit, body)
        .await
        .into_response())
}
