//! The admin page: the organisation's name, its sites with their time
//! zones ([`super::admin_sites`]), its accounts and roles
//! ([`super::admin_accounts`]) and, for hub operators, the hub's
//! organisations ([`super::admin_orgs`]). Each section shows its forms only
//! to the roles the service admits for them; the service checks again.
//!
//! A refused form comes back as this page with the service's reason on
//! top (and the API's status), so a rule such as "an organisation keeps
//! at least one owner" is read beside the form that broke it. A password
//! made here (a new account's, a new organisation owner's) is shown once,
//! in the answer to the form, never in a URL.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use serde::Deserialize;

use super::page::{self, Nav};
use super::session::MsgQuery;
use super::{admin_accounts, admin_orgs, admin_sites, Web, WebResult};
use super::{Form, WebQuery};
use crate::api::{ApiError, AppState};
use crate::model::{Org, Role};
use crate::service::{ServiceError, ADMINS};

/// What the page shows besides the organisation: a notice, the error of a
/// refused form, a secret to copy now.
#[derive(Debug, Default)]
pub struct Extra<'a> {
    /// A notice after a change.
    pub msg: Option<&'a str>,
    /// Why a form was refused.
    pub error: Option<&'a ApiError>,
    /// A password shown once: what it is, and itself.
    pub secret: Option<(String, String)>,
}

/// `GET /admin`.
pub async fn admin_page(
    State(s): State<AppState>,
    web: Web,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    render(
        &s,
        &web,
        Extra {
            msg: q.msg.as_deref(),
            ..Extra::default()
        },
    )
    .await
}

/// The page, with `extra` on top; the status is the error's, if any.
pub async fn render(s: &AppState, web: &Web, extra: Extra<'_>) -> WebResult {
    let org = s.service.my_org(&web.p).await?;
    let sites = s.service.list_sites(&web.p).await?;
    let admin = ADMINS.contains(&web.p.role);
    let accounts = if admin {
        Some(s.service.list_accounts(&web.p).await?)
    } else {
        None
    };
    let orgs = if web.p.operator {
        Some(s.service.list_orgs(&web.p).await?)
    } else {
        None
    };
    let body = html! {
        (page::notice(extra.msg))
        @if let Some(e) = extra.error {
            div.error role="alert" #form-error { strong { (e.title) } ": " (e.detail) }
        }
        @if let Some((what, secret)) = &extra.secret {
            div.panel role="status" {
                p { (what) ". Copy it now: it is not shown again." }
                p { code.secret #new-password { (secret) } }
            }
        }
        @if admin || web.p.operator { (admin_sites::tz_names()) }
        (org_section(web, &org))
        (admin_sites::section(web, &sites))
        @if let Some(accounts) = &accounts { (admin_accounts::section(web, accounts)) }
        @if let Some(orgs) = &orgs { (admin_orgs::section(web, orgs)) }
        @if crate::service::ADMINS.contains(&web.p.role) {
            section aria-labelledby="webhooks-h" {
                h2 #webhooks-h { "Webhooks" }
                p { "Send lock events to other software, signed: " a href="/webhooks" { "endpoints and deliveries" } "." }
            }
        }
    };
    let status = extra.error.map_or(StatusCode::OK, |e| e.status);
    let page = page::shell(s, web, "Admin", Nav::Admin, body).await;
    if extra.secret.is_some() {
        // A password on the page: no cache may keep it.
        return Ok((status, [(header::CACHE_CONTROL, "no-store")], page).into_response());
    }
    Ok((status, page).into_response())
}

/// The answer to an admin form: the page again with `done` after a
/// success (post, redirect, get), or with the service's reason.
pub async fn answer(
    s: &AppState,
    web: &Web,
    result: Result<(), ServiceError>,
    done: &str,
) -> WebResult {
    match result {
        Ok(()) => Ok(Redirect::to(&page::with_notice("/admin", done)).into_response()),
        Err(e) => refused(s, web, e).await,
    }
}

/// The page with the service's reason for refusing a form.
pub async fn refused(s: &AppState, web: &Web, e: ServiceError) -> WebResult {
    let e = ApiError::from(e);
    render(
        s,
        web,
        Extra {
            error: Some(&e),
            ..Extra::default()
        },
    )
    .await
}

/// The tick box a destructive form carries.
#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    /// `yes` when ticked.
    pub confirm: Option<String>,
}

impl ConfirmForm {
    /// Refuses unless the box was ticked.
    pub fn check(&self) -> Result<(), ServiceError> {
        match self.confirm.as_deref() {
            Some("yes") => Ok(()),
            _ => Err(ServiceError::ConfirmationRequired(
                "tick the box to confirm".into(),
            )),
        }
    }
}

/// A destructive form behind a "Delete…" disclosure: `action`, a tick box
/// saying `what`, and a red button.
pub fn delete_form(web: &Web, action: &str, what: &str, button: &str) -> Markup {
    html! {
        details.disclose {
            summary { "Delete…" }
            form.inline method="post" action=(action) {
                (page::csrf_field(web))
                label.check { input type="checkbox" name="confirm" value="yes" required; (what) }
                button.danger type="submit" { (button) }
            }
        }
    }
}

fn org_section(web: &Web, org: &Org) -> Markup {
    html! {
        section aria-labelledby="org-h" {
            h2 #org-h { "Organisation" }
            dl.facts { dt { "Name" } dd #org-name { (org.name) } }
            @if web.p.role == Role::Owner {
                form.inline method="post" action="/admin/org" {
                    (page::csrf_field(web))
                    label { "New name" input type="text" name="name" value=(org.name) required maxlength="100"; }
                    button type="submit" { "Rename" }
                }
            }
        }
    }
}

/// The rename form.
#[derive(Debug, Deserialize)]
pub struct NameForm {
    /// The new name.
    #[serde(default)]
    pub name: String,
}

/// `POST /admin/org`: renames the organisation (owners).
pub async fn rename_org(State(s): State<AppState>, web: Web, Form(f): Form<NameForm>) -> WebResult {
    let r = s.service.rename_org(&web.p, &f.name).await.map(drop);
    answer(&s, &web, r, "Organisation renamed.").await
}
