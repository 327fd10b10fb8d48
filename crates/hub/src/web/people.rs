//! People: the list with the add-a-person form, and one person's page —
//! credentials (change a PIN, replace a lost card) and the doors they are
//! on with each door's delivery state (revoke on some or every door). The
//! forms' handlers are in [`super::access_credentials`].

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use serde::Deserialize;

use super::access_batch::tone;
use super::page::{self, Nav, Tone};
use super::session::MsgQuery;
use super::{Form, WebPath, WebQuery};
use super::{Web, WebResult};
use crate::api::AppState;
use crate::model::{CredentialKind, Role};
use crate::service::access::PersonDetail;
use crate::store::access::CredentialRow;

/// True for the roles whose forms change access (owners, managers).
pub fn admin(web: &Web) -> bool {
    matches!(web.p.role, Role::Owner | Role::Manager)
}

/// `GET /people`.
pub async fn people_page(
    State(s): State<AppState>,
    web: Web,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    let people = s.service.list_people(&web.p).await?;
    let body = html! {
        (page::notice(q.msg.as_deref()))
        @if admin(&web) {
            ul.row.actions {
                li { a.button.secondary href="/holidays" { "Holidays" } }
                @if web.p.role == Role::Owner {
                    li { a.button.secondary href="/access/revoke-all" { "Revoke everyone except the owners" } }
                }
            }
        }
        @if people.is_empty() {
            p.muted { "Nobody yet." }
        } @else {
            div.table-wrap {
                table.cards #people {
                    thead { tr { th { "Name" } th { "Owner" } th { "Added" } } }
                    tbody {
                        @for person in &people {
                            tr {
                                td data-label="Name" { a href=(format!("/people/{}", person.id)) { (person.name) } }
                                td data-label="Owner" { @if person.owner { "yes" } @else { "no" } }
                                td data-label="Added" { (page::time(Some(person.created_at), None)) }
                            }
                        }
                    }
                }
            }
        }
        @if admin(&web) {
            h2 { "Add a person" }
            form.stack method="post" action="/people" {
                (page::csrf_field(&web))
                label { "Name" input type="text" name="name" required maxlength="100" autocomplete="off"; }
                label.check { input type="checkbox" name="owner" value="1"; "Owner (keeps access when everyone else is revoked)" }
                button type="submit" { "Add" }
            }
        }
    };
    Ok(page::shell(&s, &web, "People", Nav::People, body)
        .await
        .into_response())
}

/// The add-a-person form.
#[derive(Debug, Deserialize)]
pub struct PersonForm {
    name: String,
    owner: Option<String>,
}

/// `POST /people`: adds a person, then shows them.
pub async fn create_person(
    State(s): State<AppState>,
    web: Web,
    Form(f): Form<PersonForm>,
) -> WebResult {
    let owner = f.owner.as_deref().is_some_and(|v| !v.is_empty());
    let person = s.service.create_person(&web.p, &f.name, owner).await?;
    let to = page::with_notice(&format!("/people/{}", person.id), "Person added.");
    Ok(Redirect::to(&to).into_response())
}

fn credential_detail(c: &CredentialRow) -> String {
    match c.kind {
        CredentialKind::Card => format!("card {}", c.data.as_deref().unwrap_or("?")),
        CredentialKind::Fingerprint => format!("template {}", c.data.as_deref().unwrap_or("?")),
        CredentialKind::AppKey => "phone key".into(),
        _ => String::new(),
    }
}

/// The form that changes or replaces one credential, if it takes one.
fn credential_form(web: &Web, c: &CredentialRow) -> Markup {
    html! {
        @match c.kind {
            CredentialKind::Pin => {
                form.inline method="post" action=(format!("/credentials/{}/change-pin", c.id)) {
                    (page::csrf_field(web))
                    label { "New PIN (blank: generate one)" input type="text" name="pin" inputmode="numeric" autocomplete="off" maxlength="12"; }
                    button type="submit" { "Change PIN" }
                }
            }
            CredentialKind::Card => {
                form.inline method="post" action=(format!("/credentials/{}/replace", c.id)) {
                    (page::csrf_field(web))
                    label { "New card UID (hex)" input type="text" name="uid" required autocomplete="off" maxlength="20"; }
                    button type="submit" { "Replace lost card" }
                }
            }
            _ => {}
        }
    }
}

fn credentials(web: &Web, d: &PersonDetail) -> Markup {
    html! {
        h2 { "Credentials" }
        @if d.credentials.is_empty() {
            p.muted { "None yet." }
        } @else {
            div.table-wrap {
                table.cards #credentials {
                    thead { tr { th { "Kind" } th { "Label" } th { "Detail" } th { "Status" } @if admin(web) { th { "Change" } } } }
                    tbody {
                        @for c in &d.credentials {
                            tr {
                                td data-label="Kind" { (c.kind.name()) }
                                td data-label="Label" { (c.label.as_deref().unwrap_or("")) }
                                td data-label="Detail" { (credential_detail(c)) }
                                td data-label="Status" {
                                    @if c.revoked_at.is_some() { (page::badge("revoked", Tone::Plain)) }
                                    @else { (page::badge("active", Tone::Good)) }
                                }
                                @if admin(web) {
                                    td data-label="Change" { @if c.revoked_at.is_none() { (credential_form(web, c)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn doors(web: &Web, d: &PersonDetail) -> Markup {
    let id = d.person.id;
    let live: Vec<_> = d
        .doors
        .iter()
        .filter(|x| x.state != crate::control::access::DoorState::Removed)
        .collect();
    let table = html! {
        div.table-wrap {
            table.cards #person-doors {
                thead { tr { th { "Door" } th { "When" } th { "State" } th { "Credentials there" } th { "Detail" } @if admin(web) { th { "Revoke" } } } }
                tbody {
                    @for door in &d.doors {
                        tr data-lock=(door.lock_id) {
                            td data-label="Door" { a href=(format!("/locks/{}", door.lock_id)) { (door.lock_name) } }
                            td data-label="When" { (door.schedule_text) }
                            td.door-state data-label="State" { (door.state.as_str()) }
                            td data-label="Credentials there" {
                                @for c in &door.credentials {
                                    span.cred { (c.kind.name()) @if let Some(l) = &c.label { " (" (l) ")" } " " (page::badge(c.state.as_str(), tone(c.state))) } " "
                                }
                            }
                            td data-label="Detail" { (door.error.as_deref().unwrap_or("")) }
                            @if admin(web) {
                                td data-label="Revoke" {
                                    @if door.state != crate::control::access::DoorState::Removed {
                                        label.check { input type="checkbox" name="lock" value=(door.lock_id); "Revoke on " (door.lock_name) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    html! {
        h2 { "Doors" }
        @if d.doors.is_empty() {
            p.muted { "No door yet." }
        } @else if admin(web) && !live.is_empty() {
            form method="post" action=(format!("/people/{id}/revoke")) {
                (page::csrf_field(web))
                (table)
                button.secondary type="submit" { "Revoke on the chosen doors" }
            }
            form method="post" action=(format!("/people/{id}/revoke")) {
                (page::csrf_field(web))
                input type="hidden" name="everywhere" value="1";
                button.danger type="submit" { "Revoke on every door (moved out)" }
            }
        } @else {
            (table)
        }
    }
}

/// `GET /people/{id}`.
pub async fn person_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    let d = s.service.person_detail(&web.p, id).await?;
    let body = html! {
        (page::notice(q.msg.as_deref()))
        p.row {
            @if d.person.owner { (page::badge("owner", Tone::Good)) }
            span.muted { "Added " (page::time(Some(d.person.created_at), None)) }
        }
        @if admin(&web) {
            p { a.button href=(format!("/people/{id}/grant")) { "Give access on doors" } }
        }
        (credentials(&web, &d))
        (doors(&web, &d))
        p { a href="/people" { "All people" } }
    };
    Ok(page::shell(&s, &web, &d.person.name, Nav::People, body)
        .await
        .into_response())
}
