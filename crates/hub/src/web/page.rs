//! The page shell (head, navigation, the live connection), the error page,
//! and small widgets every page uses. maud escapes every splice, so a
//! name someone typed is shown as text, never run as markup.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::Web;
use crate::api::{ApiError, AppState};
use crate::model::{Lock, Presence, Role};

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// The dashboard (locks).
    Locks,
    /// People and access.
    People,
    /// Rental listings and their reservations.
    Rentals,
    /// Alerts.
    Alerts,
    /// The audit trail.
    Audit,
    /// Sites, accounts, organisations.
    Admin,
    /// The caller's own account.
    Account,
}

const NAV: &[(Nav, &str, &str)] = &[
    (Nav::Locks, "/", "Locks"),
    (Nav::People, "/people", "People"),
    (Nav::Rentals, "/rentals", "Rentals"),
    (Nav::Alerts, "/alerts", "Alerts"),
    (Nav::Audit, "/audit", "Audit"),
    (Nav::Admin, "/admin", "Admin"),
    (Nav::Account, "/account", "Account"),
];

/// A whole page for a signed-in caller: `title`, the navigation with `nav`
/// current, and `body`. The body keeps one server-sent event connection
/// open (`/live`, plus `live_query` to watch more, e.g. `batch=7`), and
/// every htmx request carries the CSRF token.
pub async fn shell(state: &AppState, web: &Web, title: &str, nav: Nav, body: Markup) -> Markup {
    shell_watching(state, web, title, nav, "", body).await
}

/// [`shell`] with a query for the live stream (`batch=7`).
pub async fn shell_watching(
    state: &AppState,
    web: &Web,
    title: &str,
    nav: Nav,
    live_query: &str,
    body: Markup,
) -> Markup {
    let who = match state.service.me(&web.p).await {
        Ok(a) => format!("{} ({})", a.name, a.role),
        Err(_) => web.p.role.to_string(),
    };
    let live = if live_query.is_empty() {
        "/live".to_string()
    } else {
        format!("/live?{live_query}")
    };
    let headers = format!(r#"{{"X-CSRF-Token": "{}"}}"#, web.csrf);
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body hx-ext="sse" sse-connect=(live) hx-headers=(headers) {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "Tumbler" }
                    nav aria-label="Main" {
                        ul {
                            @for (n, href, label) in NAV {
                                @if visible(*n, web.p.role) {
                                    li {
                                        @if *n == nav {
                                            a href=(href) aria-current="page" { (label) }
                                        } @else {
                                            a href=(href) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div.who {
                        span { (who) }
                        form method="post" action="/logout" {
                            (csrf_field(web))
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// Installers see no history, alerts or audit; only owners see the audit.
fn visible(n: Nav, role: Role) -> bool {
    match n {
        Nav::Alerts => role != Role::Installer,
        Nav::Audit => role == Role::Owner,
        Nav::People | Nav::Rentals => role != Role::Installer,
        _ => true,
    }
}

/// The `<head>`: title, viewport, styles, scripts (all served by the hub).
pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Tumbler" }
            link rel="stylesheet" href=(super::assets::url("app.css"));
            script src=(super::assets::url("htmx.min.js")) defer {}
            script src=(super::assets::url("htmx-ext-sse.min.js")) defer {}
            script src=(super::assets::url("app.js")) defer {}
        }
    }
}

/// A page with no session (sign in, errors before sign-in).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                main #main {
                    p.brand { "Tumbler" }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The error page: the API's title and explanation, and a way back.
pub fn error_page(e: &ApiError) -> Markup {
    bare(
        e.title,
        html! {
            p.error role="alert" { (e.detail) }
            p { a href="/" { "Back to the locks" } }
        },
    )
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(web: &Web) -> Markup {
    html! { input type="hidden" name=(super::csrf::FIELD) value=(web.csrf); }
}

/// A notice after a change (`?msg=`), announced to screen readers.
pub fn notice(msg: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = msg.filter(|m| !m.is_empty()) {
            p.notice role="status" { (m) }
        }
    }
}

/// A path with a notice for the page it leads to (post, redirect, get).
pub fn with_notice(path: &str, msg: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}msg={}", url_encode(msg))
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A time (milliseconds since the epoch) in a time zone, to the minute;
/// `—` when absent.
pub fn time(ms: Option<i64>, tz: Option<&str>) -> String {
    let Some(ts) = ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok()) else {
        return "—".into();
    };
    let zone = tz
        .and_then(|t| jiff::tz::TimeZone::get(t).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    ts.to_zoned(zone).strftime("%Y-%m-%d %H:%M %Z").to_string()
}

/// A badge: a word in a coloured pill; the word carries the meaning, the
/// colour only repeats it.
pub fn badge(word: &str, tone: Tone) -> Markup {
    html! { span class=(format!("badge {}", tone.class())) { (word) } }
}

/// A badge's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Fine.
    Good,
    /// Look at it.
    Warn,
    /// Act.
    Bad,
    /// Neither.
    Plain,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Warn => "warn",
            Tone::Bad => "bad",
            Tone::Plain => "plain",
        }
    }
}

/// Presence as a badge.
pub fn presence(l: &Lock) -> Markup {
    let tone = match l.presence {
        Presence::Online => Tone::Good,
        Presence::Unresponsive => Tone::Warn,
        Presence::Offline => Tone::Bad,
    };
    badge(l.presence.as_str(), tone)
}

/// The bolt as a badge.
pub fn bolt(l: &Lock) -> Markup {
    let b = l.telemetry.bolt.as_deref().unwrap_or("unknown");
    let tone = match b {
        "locked" => Tone::Good,
        "unlocked" => Tone::Warn,
        "jammed" => Tone::Bad,
        _ => Tone::Plain,
    };
    badge(b, tone)
}

/// The door as a badge.
pub fn door(l: &Lock) -> Markup {
    let d = l.telemetry.door.as_deref().unwrap_or("unknown");
    let tone = match d {
        "closed" => Tone::Good,
        "open" | "ajar" => Tone::Warn,
        "forced" => Tone::Bad,
        _ => Tone::Plain,
    };
    badge(d, tone)
}

/// The battery as a badge.
pub fn battery(l: &Lock) -> Markup {
    match l.battery_pct {
        None => badge("battery ?", Tone::Plain),
        Some(p) => {
            let tone = if p <= 5 {
                Tone::Bad
            } else if p <= 20 {
                Tone::Warn
            } else {
                Tone::Good
            };
            badge(&format!("{p} %"), tone)
        }
    }
}

/// Markup for text that is already HTML (only for fixed strings).
pub fn raw(s: &'static str) -> PreEscaped<&'static str> {
    PreEscaped(s)
}
