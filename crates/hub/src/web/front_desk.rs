//! The hotel front desk (`/sites/{id}/front-desk`): a property's rooms,
//! each with its newest stay; a check-in form per room, extend, check-out
//! and lost-card forms per stay, a staff-card form. Forms that encode cards
//! answer with a page of card downloads (the images as `data:` links, named
//! `room101-a.card`, …): the hub never stores an image. A room's history is
//! `/locks/{id}/room-history`. Every form calls the service method the API
//! calls.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use serde::Deserialize;

use super::page::{self, Nav, Tone};
use super::{Form, WebPath, WebQuery};
use super::{Web, WebResult};
use crate::api::AppState;
use crate::hotel::Stay;
use crate::service::hotel::desk::CheckIn;
use crate::service::hotel::staff::StaffCard;
use crate::service::hotel::{DeskRoom, Issued};
use crate::service::ADMINS;

/// `?msg=`.
#[derive(Debug, Deserialize)]
pub struct MsgQuery {
    msg: Option<String>,
}

/// A card image as a `data:` link (percent-encoded bytes).
fn data_link(image_hex: &str) -> String {
    let mut out = String::from("data:application/octet-stream,");
    for pair in image_hex.as_bytes().chunks(2) {
        out.push('%');
        out.push_str(std::str::from_utf8(pair).unwrap_or("00"));
    }
    out
}

fn secs(s: i64, tz: Option<&str>) -> String {
    page::time(Some(s.saturating_mul(1000)), tz)
}

fn stay_line(stay: &Stay, tz: Option<&str>) -> Markup {
    html! {
        (stay.guest) " · check-out " (secs(stay.until_s, tz))
        @if stay.checked_out_at.is_some() {
            " " (page::badge("checked out", Tone::Plain))
        } @else {
            " " (page::badge("in", Tone::Good))
        }
    }
}

fn room_row(web: &Web, r: &DeskRoom, tz: Option<&str>) -> Markup {
    let edit = ADMINS.contains(&web.p.role);
    let live = r.stay.as_ref().filter(|s| s.checked_out_at.is_none());
    html! {
        tr {
            td data-label="Room" { (r.room.config.door) }
            td data-label="Lock" { a href=(format!("/locks/{}", r.room.lock_id)) { (r.lock_name) } }
            td data-label="Floor" { (r.room.config.floor) }
            td data-label="Stay" {
                @match &r.stay { Some(s) => { (stay_line(s, tz)) } None => { span.muted { "—" } } }
            }
            td data-label="Action" {
                a href=(format!("/locks/{}/room-history", r.room.lock_id)) { "History" }
                @if edit {
                    details.disclose {
                        summary { "Check in…" }
                        form.inline method="post" action=(format!("/locks/{}/check-in", r.room.lock_id)) {
                            (page::csrf_field(web))
                            label { "Guest" input type="text" name="guest" required maxlength="100"; }
                            label { "Cards" input type="number" name="cards" value="1" min="1" max="8" required; }
                            label { "Check-out date" input type="date" name="checkout" required; }
                            button type="submit" { "Check in and encode cards" }
                        }
                    }
                    @if let Some(s) = live {
                        details.disclose {
                            summary { "Extend, check out, lost card…" }
                            form.inline method="post" action=(format!("/stays/{}/extend", s.id)) {
                                (page::csrf_field(web))
                                label { "New check-out date" input type="date" name="checkout" required; }
                                button type="submit" { "Extend" }
                            }
                            form.inline method="post" action=(format!("/stays/{}/lost-card", s.id)) {
                                (page::csrf_field(web))
                                label { "Lost card number" input type="number" name="number" required min="1"; }
                                button type="submit" { "Replace lost card" }
                            }
                            form.inline method="post" action=(format!("/stays/{}/check-out", s.id)) {
                                (page::csrf_field(web))
                                button.secondary type="submit" { "Check out" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /sites/{id}/front-desk`.
pub async fn desk_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    let site = s.service.get_site(&web.p, id).await?;
    let rooms = s.service.front_desk(&web.p, id).await?;
    let tz = Some(site.time_zone.as_str());
    let edit = ADMINS.contains(&web.p.role);
    let body = html! {
        (page::notice(q.msg.as_deref()))
        p.muted { "Cards are checked by the door itself: a new guest's card, once used, stops the previous guest's. Make a lock a room with "
            code { "tumbler hotel room set LOCK --door 101" } "." }
        @if rooms.is_empty() {
            p.muted { "No rooms yet." }
        } @else {
            div.table-wrap {
                table.cards #rooms {
                    thead { tr { th { "Room" } th { "Lock" } th { "Floor" } th { "Stay" } th { span.muted { "Action" } } } }
                    tbody { @for r in &rooms { (room_row(&web, r, tz)) } }
                }
            }
        }
        @if edit {
            section aria-labelledby="staff-h" {
                h2 #staff-h { "Staff card" }
                form method="post" action=(format!("/sites/{id}/staff-cards")) {
                    (page::csrf_field(&web))
                    label { "Kind"
                        select name="kind" {
                            @for k in ["master", "floor", "zone", "building", "emergency"] { option value=(k) { (k) } }
                        }
                    }
                    label { "Floor, zone or building" input type="number" name="scope" min="0" max="65535"; }
                    label { "Holder" input type="text" name="holder" required maxlength="100"; }
                    label { "Last day" input type="date" name="until" required; }
                    label { "Days" input type="text" name="days" value="daily"; }
                    label { "Hours" input type="text" name="hours" placeholder="08:00-17:00"; }
                    button type="submit" { "Encode staff card" }
                }
            }
        }
    };
    let title = format!("Front desk · {}", site.name);
    Ok(page::shell(&s, &web, &title, Nav::Locks, body)
        .await
        .into_response())
}

/// The page after cards were encoded: one download per card.
async fn cards_page(
    s: &AppState,
    web: &Web,
    title: &str,
    back: &str,
    issued: &Issued,
) -> WebResult {
    let body = html! {
        @if let Some(stay) = &issued.stay {
            p { "Stay " (stay.id) " for " (stay.guest) "." }
        }
        p { "Download each card and write it to a blank key card (or present it at a simulated door with "
            code { "card @FILE" } "). The hub keeps no copy of the images." }
        ul #cards {
            @for c in &issued.cards {
                li {
                    a download=(c.file) href=(data_link(&c.image)) { (c.file) }
                    " — card " (c.card.number) ", " (c.card.kind.as_str()) ", " (c.card.holder)
                }
            }
        }
        p { a href=(back) { "Back to the front desk" } }
    };
    Ok(page::shell(s, web, title, Nav::Locks, body)
        .await
        .into_response())
}

/// The check-in form.
#[derive(Debug, Deserialize)]
pub struct CheckInForm {
    guest: String,
    cards: Option<usize>,
    checkout: String,
}

fn desk_of(site: Option<i64>) -> String {
    site.map_or_else(|| "/".into(), |id| format!("/sites/{id}/front-desk"))
}

/// `POST /locks/{id}/check-in`.
pub async fn check_in(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<CheckInForm>,
) -> WebResult {
    let req = CheckIn {
        guest: f.guest,
        cards: f.cards.unwrap_or(1),
        checkout: f.checkout,
        checkout_time: None,
    };
    let issued = s.service.check_in(&web.p, id, req).await?;
    let back = desk_of(issued.stay.as_ref().map(|st| st.site_id));
    cards_page(&s, &web, "Checked in", &back, &issued).await
}

/// The extend form.
#[derive(Debug, Deserialize)]
pub struct ExtendForm {
    checkout: String,
}

/// `POST /stays/{id}/extend`.
pub async fn extend(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<ExtendForm>,
) -> WebResult {
    let issued = s.service.extend_stay(&web.p, id, &f.checkout, None).await?;
    let back = desk_of(issued.stay.as_ref().map(|st| st.site_id));
    cards_page(&s, &web, "Stay extended", &back, &issued).await
}

/// The lost-card form.
#[derive(Debug, Deserialize)]
pub struct LostForm {
    number: i64,
}

/// `POST /stays/{id}/lost-card`.
pub async fn lost_card(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<LostForm>,
) -> WebResult {
    let issued = s.service.lost_card(&web.p, id, f.number, 1).await?;
    let back = desk_of(issued.stay.as_ref().map(|st| st.site_id));
    cards_page(&s, &web, "Lost card replaced", &back, &issued).await
}

/// `POST /stays/{id}/check-out`.
pub async fn check_out(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let stay = s.service.check_out(&web.p, id).await?;
    let to = page::with_notice(&desk_of(Some(stay.site_id)), "Checked out.");
    Ok(Redirect::to(&to).into_response())
}

/// The staff-card form (blank fields: defaults).
#[derive(Debug, Deserialize)]
pub struct StaffForm {
    kind: String,
    scope: Option<String>,
    holder: String,
    until: String,
    days: Option<String>,
    hours: Option<String>,
}

fn given(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `POST /sites/{id}/staff-cards`.
pub async fn staff_card(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(f): Form<StaffForm>,
) -> WebResult {
    let scope = match given(f.scope) {
        Some(v) => Some(
            v.parse::<i64>()
                .map_err(|_| crate::service::ServiceError::Invalid {
                    field: "scope",
                    reason: "a number".into(),
                })?,
        ),
        None => None,
    };
    let req = StaffCard {
        kind: f.kind,
        scope,
        holder: f.holder,
        from: None,
        until: f.until,
        days: given(f.days),
        hours: given(f.hours),
    };
    let issued = s.service.staff_card(&web.p, id, req).await?;
    cards_page(&s, &web, "Staff card", &desk_of(Some(id)), &issued).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_card_downloads_as_its_bytes() {
        assert_eq!(
            super::data_link("0aff"),
            "data:application/octet-stream,%0a%ff"
        );
    }
}
