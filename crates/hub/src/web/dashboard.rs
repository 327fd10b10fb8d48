//! The dashboard: every lock of the organisation by site, with its bolt,
//! door, battery, presence and open alerts; search and pages for large
//! organisations; each row updates itself when the lock changes.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::page::{self, Nav};
use super::{Web, WebPath, WebQuery, WebResult};
use crate::api::AppState;
use crate::model::{Lock, Role, Site};
use crate::service::ServiceError;
use crate::store::locks::LockFilter;

/// Rows per page.
pub const PAGE: usize = 50;

/// `?q=`, `?site=`, `?page=`, `?msg=`.
#[derive(Debug, Deserialize)]
pub struct DashQuery {
    q: Option<String>,
    site: Option<i64>,
    page: Option<usize>,
    msg: Option<String>,
}

/// Open alerts per lock (empty for roles that may not read alerts).
async fn open_alerts(s: &AppState, web: &Web) -> Result<HashMap<i64, usize>, ServiceError> {
    let mut per_lock = HashMap::new();
    if web.p.role == Role::Installer {
        return Ok(per_lock);
    }
    for a in s.service.list_alerts(&web.p, true, Some(1000)).await? {
        if let Some(l) = a.lock_id {
            *per_lock.entry(l).or_insert(0) += 1;
        }
    }
    Ok(per_lock)
}

/// True if `l` matches the search `q` (name or serial, any case).
fn matches(l: &Lock, q: &str) -> bool {
    let q = q.to_lowercase();
    l.name.to_lowercase().contains(&q) || l.serial.to_lowercase().contains(&q)
}

/// `GET /`.
pub async fn dashboard(
    State(s): State<AppState>,
    web: Web,
    WebQuery(q): WebQuery<DashQuery>,
) -> WebResult {
    let sites = s.service.list_sites(&web.p).await?;
    let filter = LockFilter {
        site_id: q.site,
        ..LockFilter::default()
    };
    let search = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let mut locks: Vec<Lock> = s
        .service
        .list_locks(&web.p, &filter)
        .await?
        .into_iter()
        .filter(|l| search.is_none_or(|t| matches(l, t)))
        .collect();
    locks.sort_by(|a, b| (a.site_id, &a.name, a.id).cmp(&(b.site_id, &b.name, b.id)));
    let alerts = open_alerts(&s, &web).await?;
    let total = locks.len();
    let pages = total.div_ceil(PAGE).max(1);
    let page_no = q.page.unwrap_or(1).clamp(1, pages);
    let shown = locks
        .get((page_no - 1) * PAGE..(page_no * PAGE).min(total))
        .unwrap_or_default();
    let site_name: HashMap<i64, &Site> = sites.iter().map(|s| (s.id, s)).collect();
    let mut groups: Vec<(Option<i64>, Vec<&Lock>)> = Vec::new();
    for l in shown {
        match groups.last_mut() {
            Some((site, g)) if *site == l.site_id => g.push(l),
            _ => groups.push((l.site_id, vec![l])),
        }
    }
    let link = |p: usize| {
        let mut u = format!("/?page={p}");
        if let Some(t) = search {
            u.push_str(&format!("&q={}", page::url_encode(t)));
        }
        if let Some(site) = q.site {
            u.push_str(&format!("&site={site}"));
        }
        u
    };
    let body = html! {
        (page::notice(q.msg.as_deref()))
        form.inline role="search" method="get" action="/" {
            label { "Search locks" input type="search" name="q" value=(search.unwrap_or("")) placeholder="name or serial"; }
            label { "Site"
                select name="site" {
                    option value="" { "Every site" }
                    @for site in &sites {
                        option value=(site.id) selected[q.site == Some(site.id)] { (site.name) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
        p.muted { (total) " locks" @if pages > 1 { ", page " (page_no) " of " (pages) } }
        @if total == 0 {
            p { "No lock here yet. Claim one with its setup code: " code { "tumbler lock claim" } "." }
        } @else {
            @for (site_id, group) in &groups {
                @let name = site_id.and_then(|id| site_name.get(&id)).map(|s| s.name.as_str());
                section aria-label=(name.unwrap_or("No site")) {
                    h2 { (name.unwrap_or("No site")) }
                    div.table-wrap {
                        table.cards.locks {
                            thead { tr { th { "Lock" } th { "Site" } th { "Bolt" } th { "Door" } th { "Battery" } th { "Connection" } th { "Alerts" } } }
                            tbody {
                                @for l in group {
                                    (row(l, name, alerts.get(&l.id).copied().unwrap_or(0)))
                                }
                            }
                        }
                    }
                }
            }
            @if pages > 1 {
                nav.pager aria-label="Pages" {
                    @if page_no > 1 { a.button.secondary href=(link(page_no - 1)) rel="prev" { "Previous" } }
                    span { "Page " (page_no) " of " (pages) }
                    @if page_no < pages { a.button.secondary href=(link(page_no + 1)) rel="next" { "Next" } }
                }
            }
        }
    };
    Ok(page::shell(&s, &web, "Locks", Nav::Locks, body)
        .await
        .into_response())
}

/// One lock's row; re-fetches itself when the live stream says the lock
/// changed (`sse:lock-ID`).
pub fn row(l: &Lock, site: Option<&str>, open_alerts: usize) -> Markup {
    html! {
        tr id=(format!("lock-row-{}", l.id)) hx-get=(format!("/locks/{}/row", l.id)) hx-trigger=(format!("sse:lock-{}", l.id)) hx-swap="outerHTML" {
            td data-label="Lock" { a href=(format!("/locks/{}", l.id)) { (l.name) } br; span.muted { (l.serial) } }
            td data-label="Site" { (site.unwrap_or("—")) }
            td data-label="Bolt" { (page::bolt(l)) }
            td data-label="Door" { (page::door(l)) }
            td data-label="Battery" { (page::battery(l)) }
            td data-label="Connection" { (page::presence(l)) }
            td data-label="Alerts" {
                @if open_alerts > 0 { a href=(format!("/alerts?lock={}", l.id)) { (page::badge(&format!("{open_alerts} open"), page::Tone::Bad)) } }
                @else { span.muted { "none" } }
            }
        }
    }
}

/// `GET /locks/{id}/row`: the row alone (live updates).
pub async fn row_fragment(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult<Response> {
    let l = s.service.get_lock(&web.p, id).await?;
    let site = match l.site_id {
        Some(sid) => s.service.get_site(&web.p, sid).await.ok().map(|s| s.name),
        None => None,
    };
    let alerts = open_alerts(&s, &web).await?;
    Ok(row(&l, site.as_deref(), alerts.get(&id).copied().unwrap_or(0)).into_response())
}
