//! Sign in and out, the caller's password and API tokens.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use maud::html;
use serde::Deserialize;

use super::page::{self, Nav};
use super::{Form, Web, WebError, WebPath, WebQuery, WebResult, SESSION_COOKIE};
use crate::api::{ApiError, AppState};
use crate::service::ServiceError;

/// `?next=` and `?msg=` of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    msg: Option<String>,
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// Only a path of this site: `/x`, never `//host` or `http://…`.
fn local(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

fn login_form(next: &str, email: &str, error: Option<&str>, msg: Option<&str>) -> maud::Markup {
    page::bare(
        "Sign in",
        html! {
            (page::notice(msg))
            @if let Some(e) = error {
                p.error role="alert" #login-error { (e) }
            }
            form.stack method="post" action="/login" {
                input type="hidden" name="next" value=(next);
                label { "E-mail" input type="email" name="email" value=(email) autocomplete="username" required autofocus; }
                label { "Password" input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" { "Sign in" }
            }
            p.muted { "The first account's password is in the hub's data directory (" code { "admin-password" } "); " code { "tumbler up" } " prints where." }
        },
    )
}

/// `GET /login`.
pub async fn login_page(WebQuery(q): WebQuery<LoginQuery>) -> maud::Markup {
    login_form(&local(q.next.as_deref()), "", None, q.msg.as_deref())
}

/// True when the browser reached the hub over TLS (directly or through a
/// proxy that says so): the cookie is then `Secure`. A forged header only
/// makes the cookie stricter.
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The `Set-Cookie` value for a session (or its removal with `None`).
pub fn session_cookie(token: Option<&str>, secure: bool, max_age_s: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => format!(
            "{SESSION_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

/// `POST /login`: checks the password (with the API's limits), sets the
/// session cookie and goes to `next`.
pub async fn login(
    State(s): State<AppState>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let client = client.map(|Extension(ConnectInfo(addr))| addr.ip());
    let next = local(f.next.as_deref());
    match s.service.login_from(&f.email, &f.password, client).await {
        Ok((token, _)) => {
            let now = s.service.now_ms();
            let max_age = token
                .info
                .expires_at
                .map_or(12 * 3600, |e| (e - now).max(0) / 1000);
            let cookie = session_cookie(Some(&token.token), over_tls(&headers), max_age);
            ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
        }
        Err(ServiceError::Unauthenticated) => (
            StatusCode::UNAUTHORIZED,
            login_form(&next, &f.email, Some("Wrong e-mail or password."), None),
        )
            .into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            let mut res =
                (e.status, login_form(&next, &f.email, Some(&e.detail), None)).into_response();
            if let Some(secs) = e.retry_after {
                if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            res
        }
    }
}

/// `POST /logout`: ends the session, clears the cookie.
pub async fn logout(State(s): State<AppState>, headers: HeaderMap, web: Web) -> WebResult {
    s.service.logout(&web.p).await?;
    let cookie = session_cookie(None, over_tls(&headers), 0);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&page::with_notice("/login", "Signed out.")),
    )
        .into_response())
}

/// `?msg=` of a page.
#[derive(Debug, Deserialize)]
pub struct MsgQuery {
    /// A notice after a change.
    pub msg: Option<String>,
}

/// `GET /account`: the password form and the API tokens.
pub async fn account_page(
    State(s): State<AppState>,
    web: Web,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    account(&s, &web, q.msg.as_deref(), None).await
}

async fn account(s: &AppState, web: &Web, msg: Option<&str>, new_token: Option<&str>) -> WebResult {
    let me = s.service.me(&web.p).await?;
    let tokens = s.service.list_tokens(&web.p).await?;
    let body = html! {
        (page::notice(msg))
        dl.facts {
            dt { "Name" } dd { (me.name) }
            dt { "E-mail" } dd { (me.email) }
            dt { "Role" } dd { (me.role) }
        }
        h2 { "Change password" }
        form.stack method="post" action="/account/password" {
            (page::csrf_field(web))
            label { "Current password" input type="password" name="current_password" autocomplete="current-password" required; }
            label { "New password (at least 8 characters)" input type="password" name="new_password" autocomplete="new-password" minlength="8" required; }
            button type="submit" { "Change password" }
            p.muted { "Every other session and API token of this account stops working." }
        }
        h2 { "API tokens" }
        @if let Some(t) = new_token {
            div.panel role="status" {
                p { "Your new token. Copy it now: it is not shown again." }
                p { code.secret #new-token { (t) } }
            }
        }
        div.table-wrap {
            table.cards {
                thead { tr { th { "Label" } th { "Kind" } th { "Created" } th { "Expires" } th { span.muted { "Action" } } } }
                tbody {
                    @for t in &tokens {
                        tr {
                            td data-label="Label" { (t.label) }
                            td data-label="Kind" { (format!("{:?}", t.kind).to_lowercase()) }
                            td data-label="Created" { (page::time(Some(t.created_at), None)) }
                            td data-label="Expires" { (page::time(t.expires_at, None)) }
                            td data-label="Action" {
                                @if t.id == web.p.token_id {
                                    span.muted { "this session" }
                                } @else {
                                    form.inline method="post" action=(format!("/account/tokens/{}/revoke", t.id)) {
                                        (page::csrf_field(web))
                                        button.secondary type="submit" aria-label=(format!("Revoke token {}", t.label)) { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h3 { "New API token" }
        form.inline method="post" action="/account/tokens" {
            (page::csrf_field(web))
            label { "Label" input type="text" name="label" required maxlength="100"; }
            label { "Days valid" input type="number" name="expires_in_days" min="1" max="3650" value="30"; }
            button type="submit" { "Create token" }
        }
    };
    Ok(page::shell(s, web, "Your account", Nav::Account, body)
        .await
        .into_response())
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// `POST /account/password`.
pub async fn change_password(
    State(s): State<AppState>,
    web: Web,
    Form(f): Form<PasswordForm>,
) -> WebResult {
    s.service
        .change_password(&web.p, &f.current_password, &f.new_password)
        .await?;
    Ok(Redirect::to(&page::with_notice(
        "/account",
        "Password changed; other sessions and tokens were ended.",
    ))
    .into_response())
}

/// The new-token form.
#[derive(Deserialize)]
pub struct TokenForm {
    label: String,
    expires_in_days: Option<String>,
}

/// `POST /account/tokens`: creates a token and shows it once.
pub async fn create_token(
    State(s): State<AppState>,
    web: Web,
    Form(f): Form<TokenForm>,
) -> WebResult {
    let days = match f
        .expires_in_days
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(d) => Some(d.parse::<i64>().map_err(|_| {
            WebError::from(ServiceError::Invalid {
                field: "expires_in_days",
                reason: "a whole number of days".into(),
            })
        })?),
    };
    let issued = s.service.create_api_token(&web.p, &f.label, days).await?;
    account(&s, &web, Some("Token created."), Some(&issued.token)).await
}

/// `POST /account/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    s.service.delete_token(&web.p, id).await?;
    Ok(Redirect::to(&page::with_notice("/account", "Token revoked.")).into_response())
}
