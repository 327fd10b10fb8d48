//! The admin page's accounts and roles (owners, managers see it): create
//! an account (owners any role, managers installer or support), change a
//! role and delete (owners; an organisation keeps at least one owner, and
//! the page says so when that refuses a form). A new account's initial
//! password is typed, or generated and shown once.

use axum::extract::State;
use maud::{html, Markup};
use serde::Deserialize;

use super::admin::{self, ConfirmForm, Extra};
use super::page;
use super::{Form, WebPath};
use super::{Web, WebResult};
use crate::api::AppState;
use crate::model::{Account, Role};
use crate::service::orgs::AccountInput;
use crate::service::ServiceError;

/// The roles `web`'s caller may give a new account (the service checks too).
fn grantable(web: &Web) -> &'static [Role] {
    match web.p.role {
        Role::Owner => Role::ALL,
        _ => &[Role::Installer, Role::Support],
    }
}

fn role_select(name: &str, roles: &[Role], current: Option<Role>) -> Markup {
    html! {
        select name=(name) required {
            @for r in roles {
                option value=(r.as_str()) selected[current == Some(*r)] { (r.as_str()) }
            }
        }
    }
}

/// The accounts section.
pub fn section(web: &Web, accounts: &[Account]) -> Markup {
    let owner = web.p.role == Role::Owner;
    html! {
        section aria-labelledby="accounts-h" {
            h2 #accounts-h { "Accounts and roles" }
            p.muted {
                "Owners: everything. Managers: sites, locks, people, accounts below manager. "
                "Installers: sites and locks, no history or alerts. Support: reads locks, history and alerts."
                @if owner { " An organisation keeps at least one owner." }
            }
            div.table-wrap {
                table.cards #accounts {
                    thead { tr { th { "Name" } th { "E-mail" } th { "Role" } @if owner { th { span.muted { "Action" } } } } }
                    tbody {
                        @for a in accounts {
                            tr {
                                td data-label="Name" { (a.name) @if a.id == web.p.account_id { " " span.muted { "(you)" } } }
                                td data-label="E-mail" { (a.email) }
                                td data-label="Role" { (a.role.as_str()) }
                                @if owner {
                                    td data-label="Action" {
                                        form.inline method="post" action=(format!("/admin/accounts/{}/role", a.id)) {
                                            (page::csrf_field(web))
                                            label { (format!("Role of {}", a.name)) (role_select("role", Role::ALL, Some(a.role))) }
                                            button.secondary type="submit" { "Change role" }
                                        }
                                        (admin::delete_form(web, &format!("/admin/accounts/{}/delete", a.id), &format!("Yes, delete the account of {} and end its sessions", a.name), "Delete account"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "New account" }
            form.stack method="post" action="/admin/accounts" {
                (page::csrf_field(web))
                label { "Name" input type="text" name="name" required maxlength="100"; }
                label { "E-mail (their login)" input type="email" name="email" required autocomplete="off"; }
                label { "Role" (role_select("role", grantable(web), grantable(web).last().copied())) }
                label { "Initial password (leave empty to have one made and shown once)" input type="password" name="password" minlength="8" autocomplete="new-password"; }
                button type="submit" { "Create account" }
            }
        }
    }
}

fn parse_role(s: &str) -> Result<Role, ServiceError> {
    Role::parse(s.trim()).ok_or_else(|| ServiceError::Invalid {
        field: "role",
        reason: "owner, manager, installer or support".into(),
    })
}

/// The new-account form.
#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/accounts` (owners, managers): creates the account; a
/// generated password is shown once in the answer.
pub async fn create(State(s): State<AppState>, web: Web, Form(f): Form<CreateForm>) -> WebResult {
    let role = match parse_role(&f.role) {
        Ok(r) => r,
        Err(e) => return admin::refused(&s, &web, e).await,
    };
    let generated = if f.password.is_empty() {
        match crate::secrets::new_password() {
            Ok(p) => Some(p),
            Err(e) => return admin::refused(&s, &web, e.into()).await,
        }
    } else {
        None
    };
    let input = AccountInput {
        email: &f.email,
        name: &f.name,
        role,
        password: generated.as_deref().unwrap_or(&f.password),
    };
    match s.service.create_account(&web.p, input).await {
        Err(e) => admin::refused(&s, &web, e).await,
        Ok(a) => match generated {
            None => admin::answer(&s, &web, Ok(()), "Account created.").await,
            Some(password) => {
                let what = format!("Initial password of {} ({})", a.name, a.email);
                admin::render(
                    &s,
                    &web,
                    Extra {
                        msg: Some("Account created."),
                        secret: Some((what, password)),
                        ..Extra::default()
                    },
                )
                .await
            }
        },
    }
}

/// The change-role form.
#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /admin/accounts/{id}/role` (owners; not the last owner).
pub async fn set_role(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<RoleForm>,
) -> WebResult {
    let r = match parse_role(&f.role) {
        Ok(role) => s.service.set_role(&web.p, id, role).await.map(drop),
        Err(e) => Err(e),
    };
    admin::answer(&s, &web, r, "Role changed.").await
}

/// `POST /admin/accounts/{id}/delete` (owners; not the last owner).
pub async fn delete(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<ConfirmForm>,
) -> WebResult {
    let r = match f.check() {
        Ok(()) => s.service.delete_account(&web.p, id).await,
        Err(e) => Err(e),
    };
    admin::answer(&s, &web, r, "Account deleted.").await
}
