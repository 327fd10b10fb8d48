//! The admin page's organisations of the hub (hub operators only): the
//! list, and a new organisation with its first site and owner, whose
//! generated password is shown once.

use axum::extract::State;
use maud::{html, Markup};
use serde::Deserialize;

use super::admin::{self, Extra};
use super::page;
use super::Form;
use super::{Web, WebResult};
use crate::api::AppState;
use crate::model::Org;

/// The organisations section.
pub fn section(web: &Web, orgs: &[Org]) -> Markup {
    html! {
        section aria-labelledby="orgs-h" {
            h2 #orgs-h { "Organisations of this hub" }
            p.muted { "You are a hub operator: you may create organisations. Each sees only its own sites, locks and people." }
            div.table-wrap {
                table.cards #orgs {
                    thead { tr { th { "Organisation" } th { "Created" } } }
                    tbody {
                        @for o in orgs {
                            tr {
                                td data-label="Organisation" { (o.name) }
                                td data-label="Created" { (page::time(Some(o.created_at), None)) }
                            }
                        }
                    }
                }
            }
            h3 { "New organisation" }
            form.stack method="post" action="/admin/orgs" {
                (page::csrf_field(web))
                label { "Name" input type="text" name="name" required maxlength="100"; }
                label { "Owner's e-mail (their login)" input type="email" name="owner_email" required autocomplete="off"; }
                label { "Time zone of its first site" input type="text" name="time_zone" value="UTC" list="tz-names" required maxlength="64" autocomplete="off"; }
                button type="submit" { "Create organisation" }
            }
        }
    }
}

/// The new-organisation form.
#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    owner_email: String,
    #[serde(default)]
    time_zone: String,
}

/// `POST /admin/orgs` (operators): creates the organisation and shows its
/// owner's password once.
pub async fn create(State(s): State<AppState>, web: Web, Form(f): Form<CreateForm>) -> WebResult {
    let tz = match f.time_zone.trim() {
        "" => "UTC",
        tz => tz,
    };
    match s
        .service
        .create_org(&web.p, &f.name, &f.owner_email, tz)
        .await
    {
        Err(e) => admin::refused(&s, &web, e).await,
        Ok(created) => {
            let what = format!(
                "Initial password of {}, owner of {}",
                created.owner.email, created.org.name
            );
            admin::render(
                &s,
                &web,
                Extra {
                    msg: Some("Organisation created."),
                    secret: Some((what, created.password)),
                    ..Extra::default()
                },
            )
            .await
        }
    }
}
