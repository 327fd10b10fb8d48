//! `GET /locks/{id}/settings`: every setting of a lock (the table in
//! [`crate::settings`]) as a labelled input with the value the lock
//! reported and any change on its way; `POST` queues only the fields that
//! differ, checked by the service first (a bad value queues nothing).
//!
//! DOM contract: the form is `#settings`, each input is named after the
//! setting's API name.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use serde_json::{Map, Value};

use super::lock_common::{lock_shell, site_tz};
use super::page;
use super::session::MsgQuery;
use super::{Form, WebPath, WebQuery};
use super::{Web, WebResult};
use crate::api::AppState;
use crate::model::Role;
use crate::service::settings::{check_changes, SettingView};
use crate::service::{ServiceError, ADMINS};
use crate::settings::{spec, SettingKind, OPERATING_MODE};

/// A value as the form shows it (`60`, `true`, `low`).
fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The input of one setting, showing the change on its way if there is one.
fn input(v: &SettingView) -> Markup {
    let current = text(v.pending.as_ref().or(v.value.as_ref()));
    let Some(sp) = spec(&v.name) else {
        return html! {};
    };
    let choices: Vec<&str> = match sp.kind {
        SettingKind::Bool => vec!["true", "false"],
        SettingKind::Choice(c) => c.to_vec(),
        SettingKind::Number { .. } => Vec::new(),
    };
    html! {
        @match sp.kind {
            SettingKind::Number { min, max, .. } => {
                input type="number" name=(v.name) id=(v.name) min=(min) max=(max) step="1" value=(current);
            }
            _ => {
                select name=(v.name) id=(v.name) {
                    @if current.is_empty() { option value="" selected { "— not reported yet —" } }
                    @for c in &choices {
                        option value=(c) selected[*c == current] { (c) }
                    }
                }
            }
        }
    }
}

/// `GET /locks/{id}/settings`.
pub async fn settings_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    let l = s.service.get_lock(&web.p, id).await?;
    let set = s.service.lock_settings(&web.p, id).await?;
    let tz = site_tz(&s, &web, &l).await;
    let can_change = matches!(web.p.role, Role::Owner | Role::Manager);
    let body = html! {
        p.muted {
            "Reported by the lock: " (page::time(set.reported_at, tz.as_deref())) ". "
            "A change travels as one operation the lock confirms; the operating mode travels on its own."
        }
        form.stack #settings method="post" action=(format!("/locks/{id}/settings")) {
            (page::csrf_field(&web))
            fieldset disabled[!can_change] {
                legend { "Settings" }
                @for v in &set.settings {
                    div.setting {
                        label for=(v.name) { (v.name.replace('_', " ")) }
                        (input(v))
                        p.muted {
                            (v.about) " (" (v.range) ")."
                            @if let Some(m) = &v.matter { " Matter: " code { (m) } "." }
                            " Reported: " (match text(v.value.as_ref()) { t if t.is_empty() => "not yet".to_string(), t => t }) "."
                            @if let Some(p) = &v.pending { " " strong { "On its way: " (text(Some(p))) "." } }
                            @if let Some(d) = &v.door_only { " Setting it to " (d) " is possible only at the door." }
                        }
                    }
                }
            }
            @if can_change { button type="submit" { "Save changes" } }
            @else { p.muted { "Only owners and managers change settings." } }
        }
        @if !set.pending.is_empty() {
            h2 { "Changes on their way" }
            div.table-wrap {
                table.cards {
                    thead { tr { th { "Asked" } th { "Change" } th { "State" } } }
                    tbody {
                        @for o in &set.pending {
                            tr {
                                td data-label="Asked" { (page::time(Some(o.created_at), tz.as_deref())) }
                                td data-label="Change" { (text(o.params.get("changes"))) }
                                td data-label="State" { (o.state.as_str()) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(lock_shell(
        &s,
        &web,
        &l,
        "/settings",
        "Settings",
        q.msg.as_deref(),
        body,
    )
    .await)
}

/// The posted fields that differ from what the lock has or will have,
/// checked (unknown name or bad value: `Err`, nothing to queue).
fn differences(
    views: &[SettingView],
    fields: &[(String, String)],
) -> Result<Map<String, Value>, ServiceError> {
    let mut changes = Map::new();
    for (name, raw) in fields {
        if name == super::csrf::FIELD || raw.trim().is_empty() {
            continue;
        }
        let sp = spec(name).ok_or_else(|| {
            ServiceError::BadSetting(format!(
                "unknown setting {name:?}; settings are: {}",
                crate::settings::names()
            ))
        })?;
        let v = sp.parse_text(raw).map_err(ServiceError::BadSetting)?;
        let now = views
            .iter()
            .find(|x| x.name == *name)
            .and_then(|x| x.pending.as_ref().or(x.value.as_ref()));
        if now != Some(&v) {
            changes.insert(name.clone(), v);
        }
    }
    Ok(changes)
}

/// `POST /locks/{id}/settings`: queues the fields that changed (the
/// operating mode as its own operation).
pub async fn change_settings(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    s.service.require(&web.p, ADMINS)?;
    let set = s.service.lock_settings(&web.p, id).await?;
    let mut changes = differences(&set.settings, &fields)?;
    let back = format!("/locks/{id}/settings");
    if changes.is_empty() {
        return Ok(Redirect::to(&page::with_notice(&back, "Nothing changed.")).into_response());
    }
    let names: Vec<String> = changes.keys().cloned().collect();
    let mode = changes.remove(OPERATING_MODE).map(|m| {
        let mut one = Map::new();
        one.insert(OPERATING_MODE.to_owned(), m);
        one
    });
    // Everything is checked before anything is queued.
    if !changes.is_empty() {
        check_changes(&changes)?;
    }
    if let Some(m) = &mode {
        check_changes(m)?;
    }
    if !changes.is_empty() {
        s.service.change_lock_settings(&web.p, id, changes).await?;
    }
    if let Some(m) = mode {
        s.service.change_lock_settings(&web.p, id, m).await?;
    }
    s.wake_jobs();
    let msg = format!(
        "Sent to the lock: {}. It confirms each change.",
        names.join(", ")
    );
    Ok(Redirect::to(&page::with_notice(&back, &msg)).into_response())
}
