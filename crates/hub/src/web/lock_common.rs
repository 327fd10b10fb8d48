//! What every page of a lock beyond its overview shares: the lock, its
//! site's time zone, and the shell with the lock's tab bar.

use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use super::page::{self, Nav};
use super::{lock, Web};
use crate::api::AppState;
use crate::model::Lock;

/// The time zone of the lock's site (`None`: no site, shown in UTC).
pub async fn site_tz(s: &AppState, web: &Web, l: &Lock) -> Option<String> {
    match l.site_id {
        Some(id) => s
            .service
            .get_site(&web.p, id)
            .await
            .ok()
            .map(|s| s.time_zone),
        None => None,
    }
}

/// A whole page of lock `l`: the title `what · NAME`, the tab bar with
/// `suffix` current (see [`lock::TABS`]), a notice, then `body`.
pub async fn lock_shell(
    s: &AppState,
    web: &Web,
    l: &Lock,
    suffix: &str,
    what: &str,
    msg: Option<&str>,
    body: Markup,
) -> Response {
    let title = format!("{what} · {}", l.name);
    let body = html! {
        (lock::tabs(l.id, suffix))
        (page::notice(msg))
        (body)
    };
    page::shell(s, web, &title, Nav::Locks, body)
        .await
        .into_response()
}
