//! The admin page's sites: each with its time zone; create, rename and
//! change time zone (owners, managers), delete an empty site (owners, with
//! a tick box). Time zones are typed with the IANA names offered as
//! suggestions; the service checks the name.

use axum::extract::State;
use maud::{html, Markup};
use serde::Deserialize;

use super::admin::{self, ConfirmForm};
use super::page;
use super::{Form, WebPath};
use super::{Web, WebResult};
use crate::api::AppState;
use crate::model::{Role, Site};
use crate::service::ADMINS;

/// The `<datalist>` of IANA time zone names the time zone inputs suggest.
pub fn tz_names() -> Markup {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .collect();
    names.sort();
    html! {
        datalist #tz-names {
            @for n in &names { option value=(n) {} }
        }
    }
}

/// The sites section.
pub fn section(web: &Web, sites: &[Site]) -> Markup {
    let edit = ADMINS.contains(&web.p.role);
    let delete = web.p.role == Role::Owner;
    html! {
        section aria-labelledby="sites-h" {
            h2 #sites-h { "Sites" }
            p.muted { "Schedules run in their site's local time; a new time zone is sent to every lock of the site." }
            div.table-wrap {
                table.cards #sites {
                    thead { tr { th { "Site" } th { "Time zone" } @if edit { th { span.muted { "Action" } } } } }
                    tbody {
                        @for site in sites {
                            tr {
                                td data-label="Site" { (site.name) " " a href=(format!("/sites/{}/front-desk", site.id)) { "Front desk" } }
                                td data-label="Time zone" { (site.time_zone) }
                                @if edit {
                                    td data-label="Action" {
                                        details.disclose {
                                            summary { "Change…" }
                                            form.inline method="post" action=(format!("/admin/sites/{}", site.id)) {
                                                (page::csrf_field(web))
                                                label { "Name" input type="text" name="name" value=(site.name) required maxlength="100"; }
                                                label { "Time zone" input type="text" name="time_zone" value=(site.time_zone) list="tz-names" required maxlength="64" autocomplete="off"; }
                                                button type="submit" { "Save" }
                                            }
                                        }
                                        @if delete {
                                            (admin::delete_form(web, &format!("/admin/sites/{}/delete", site.id), &format!("Yes, delete the site {} (only an empty site can go)", site.name), "Delete site"))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if edit {
                h3 { "New site" }
                form.inline method="post" action="/admin/sites" {
                    (page::csrf_field(web))
                    label { "Name" input type="text" name="name" required maxlength="100"; }
                    label { "Time zone" input type="text" name="time_zone" list="tz-names" required maxlength="64" autocomplete="off" placeholder="Europe/Paris"; }
                    button type="submit" { "Create site" }
                }
            }
        }
    }
}

/// The create and change forms.
#[derive(Debug, Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_zone: String,
}

/// `POST /admin/sites` (owners, managers).
pub async fn create(State(s): State<AppState>, web: Web, Form(f): Form<SiteForm>) -> WebResult {
    let r = s
        .service
        .create_site(&web.p, &f.name, &f.time_zone)
        .await
        .map(drop);
    admin::answer(&s, &web, r, "Site created.").await
}

/// `POST /admin/sites/{id}`: renames and sets the time zone (owners,
/// managers).
pub async fn update(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<SiteForm>,
) -> WebResult {
    let r = s
        .service
        .update_site(&web.p, id, Some(&f.name), Some(&f.time_zone))
        .await
        .map(drop);
    admin::answer(&s, &web, r, "Site saved.").await
}

/// `POST /admin/sites/{id}/delete`: deletes an empty site (owners).
pub async fn delete(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<ConfirmForm>,
) -> WebResult {
    let r = match f.check() {
        Ok(()) => s.service.delete_site(&web.p, id).await,
        Err(e) => Err(e),
    };
    admin::answer(&s, &web, r, "Site deleted.").await
}
