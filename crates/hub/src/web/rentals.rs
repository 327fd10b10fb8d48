//! Rentals: the listings (with the add-a-listing form), one listing — its
//! booking-calendar feeds (add, sync now), its reservations with each code's
//! state on each door, and the changes held for a person (confirm, discard) —
//! and one reservation's guest PIN. Same service calls as the API.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use maud::html;

use super::access_batch::tone;
use super::access_form::Fields;
use super::page::{self, Nav, Tone};
use super::people::admin;
use super::session::MsgQuery;
use super::{Form, Web, WebPath, WebQuery, WebResult};
use crate::api::AppState;
use crate::model::{PinSource, ReservationState};
use crate::service::rentals::ListingInput;
use crate::service::ServiceError;
use crate::store::locks::LockFilter;

/// `GET /rentals`.
pub async fn rentals_page(
    State(s): State<AppState>,
    web: Web,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    let listings = s.service.list_listings(&web.p).await?;
    let (sites, locks) = if admin(&web) {
        (
            s.service.list_sites(&web.p).await?,
            s.service.list_locks(&web.p, &LockFilter::default()).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let body = html! {
        (page::notice(q.msg.as_deref()))
        p.muted { "Each reservation in a listing's booking calendars gets its own PIN on the listing's doors, valid from check-in to check-out." }
        @if listings.is_empty() {
            p.muted { "No listing yet." }
        } @else {
            div.table-wrap {
                table.cards #listings {
                    thead { tr { th { "Listing" } th { "Check-in" } th { "Check-out" } th { "Doors" } } }
                    tbody {
                        @for l in &listings {
                            tr {
                                td data-label="Listing" { a href=(format!("/rentals/{}", l.id)) { (l.name) } }
                                td data-label="Check-in" { (l.check_in) }
                                td data-label="Check-out" { (l.check_out) }
                                td data-label="Doors" { (l.lock_ids.len()) }
                            }
                        }
                    }
                }
            }
        }
        @if admin(&web) {
            h2 { "Add a listing" }
            form.stack method="post" action="/rentals" {
                (page::csrf_field(&web))
                label { "Name" input type="text" name="name" required maxlength="100" autocomplete="off"; }
                label { "Site" select name="site_id" { @for site in &sites { option value=(site.id) { (site.name) " (" (site.time_zone) ")" } } } }
                fieldset {
                    legend { "Doors" }
                    @for lock in &locks {
                        label.check { input type="checkbox" name="door" value=(lock.id); (lock.name) }
                    }
                }
                label { "Check-in" input type="time" name="check_in" value="15:00" required; }
                label { "Check-out" input type="time" name="check_out" value="11:00" required; }
                label.check { input type="checkbox" name="phone_pin" value="1"; "Use the guest phone's last 4 digits as the PIN when the calendar gives them" }
                label.check { input type="checkbox" name="cleaner_codes" value="1"; "A cleaner code on each turnover day (check-out to check-in)" }
                button type="submit" { "Add" }
            }
        }
    };
    Ok(page::shell(&s, &web, "Rentals", Nav::Rentals, body)
        .await
        .into_response())
}

/// `POST /rentals`: adds a listing, then shows it.
pub async fn create(
    State(s): State<AppState>,
    web: Web,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let f = Fields(pairs);
    let site_id =
        f.get("site_id")
            .and_then(|v| v.trim().parse().ok())
            .ok_or(ServiceError::Invalid {
                field: "site_id",
                reason: "choose a site".into(),
            })?;
    let l = s
        .service
        .create_listing(
            &web.p,
            ListingInput {
                name: f.get("name").unwrap_or_default().to_owned(),
                site_id,
                time_zone: None,
                check_in: f.get("check_in").map(str::to_owned),
                check_out: f.get("check_out").map(str::to_owned),
                lock_ids: f.ids("door", "lock_ids")?,
                pin_source: Some(if f.checked("phone_pin") {
                    PinSource::PhoneLast4
                } else {
                    PinSource::Generate
                }),
                poll_minutes: None,
                cleaner_codes: Some(f.checked("cleaner_codes")),
            },
        )
        .await?;
    let to = page::with_notice(
        &format!("/rentals/{}", l.id),
        "Listing added: now add its calendar.",
    );
    Ok(Redirect::to(&to).into_response())
}

/// `GET /rentals/{id}`.
pub async fn listing_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<MsgQuery>,
) -> WebResult {
    let d = s.service.listing_detail(&web.p, id).await?;
    let body = html! {
        (page::notice(q.msg.as_deref()))
        p.muted { "Check-in " (d.listing.check_in) ", check-out " (d.listing.check_out) ", " (d.zone) "." }
        @for pc in &d.pending {
            section.pending #(format!("pending-{}", pc.id)) {
                h2 { "Held change" }
                p { (page::badge("held", Tone::Bad)) " " (pc.reason) ". Nothing was revoked." }
                @if admin(&web) {
                    form.inline method="post" action=(format!("/rental-changes/{}/confirm", pc.id)) {
                        (page::csrf_field(&web))
                        button.danger type="submit" { "Confirm: revoke the codes it drops" }
                    }
                    form.inline method="post" action=(format!("/rental-changes/{}/discard", pc.id)) {
                        (page::csrf_field(&web))
                        button.secondary type="submit" { "Discard: keep every code" }
                    }
                }
            }
        }
        h2 { "Reservations" }
        @if d.reservations.is_empty() {
            p.muted { "None yet." }
        } @else {
            div.table-wrap {
                table.cards #reservations {
                    thead { tr { th { "Stay" } th { "Window" } th { "Status" } th { "Code on each door" } @if admin(&web) { th { "PIN" } } } }
                    tbody {
                        @for r in &d.reservations {
                            tr {
                                td data-label="Stay" { (r.reservation.summary) }
                                td data-label="Window" { (r.window) }
                                td data-label="Status" {
                                    @if r.reservation.state == ReservationState::Active { (page::badge("active", Tone::Good)) }
                                    @else { (page::badge("cancelled", Tone::Plain)) }
                                }
                                td data-label="Code on each door" {
                                    @for door in &r.doors {
                                        span.cred { a href=(format!("/locks/{}", door.lock_id)) { "door " (door.lock_id) } " " (page::badge(door.state.as_str(), tone(door.state))) } " "
                                    }
                                }
                                @if admin(&web) {
                                    td data-label="PIN" {
                                        @if r.reservation.pin_kept { a href=(format!("/reservations/{}/code", r.reservation.id)) { "Show" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Booking calendars" }
        @if d.feeds.is_empty() {
            p.muted { "No calendar yet." }
        } @else {
            div.table-wrap {
                table.cards #feeds {
                    thead { tr { th { "Address" } th { "Last fetched" } th { "Failures" } th { "Last error" } } }
                    tbody {
                        @for f in &d.feeds {
                            tr {
                                td data-label="Address" { (f.url) }
                                td data-label="Last fetched" { (page::time(f.last_polled_at, Some(&d.zone))) }
                                td data-label="Failures" { (f.failures) }
                                td data-label="Last error" { (f.last_error.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
        @if admin(&web) {
            form.inline method="post" action=(format!("/rentals/{id}/sync")) {
                (page::csrf_field(&web))
                button type="submit" { "Sync now" }
            }
            form.stack method="post" action=(format!("/rentals/{id}/feeds")) {
                (page::csrf_field(&web))
                label { "Calendar export address (Airbnb, Vrbo, Booking.com: iCal link)" input type="url" name="url" required maxlength="2000" autocomplete="off"; }
                button type="submit" { "Add calendar" }
            }
        }
        p { a href="/rentals" { "All listings" } }
    };
    Ok(page::shell(&s, &web, &d.listing.name, Nav::Rentals, body)
        .await
        .into_response())
}

/// `POST /rentals/{id}/feeds`.
pub async fn add_feed(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let f = Fields(pairs);
    s.service
        .add_feed(&web.p, id, f.get("url").unwrap_or_default())
        .await?;
    let to = page::with_notice(
        &format!("/rentals/{id}"),
        "Calendar added: it is fetched within a second.",
    );
    Ok(Redirect::to(&to).into_response())
}

/// `POST /rentals/{id}/sync`: the outcome in words (PINs are not put in the
/// address: they are read on each reservation).
pub async fn sync(State(s): State<AppState>, web: Web, WebPath(id): WebPath<i64>) -> WebResult {
    let reports = s.service.sync_listing(&web.p, id).await?;
    let words = reports
        .iter()
        .map(|r| {
            format!(
                "calendar {}: {} ({} new, {} moved, {} revoked)",
                r.feed_id, r.outcome, r.created, r.retimed, r.cancelled
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let msg = if words.is_empty() {
        "No calendar to fetch.".to_owned()
    } else {
        words
    };
    Ok(Redirect::to(&page::with_notice(&format!("/rentals/{id}"), &msg)).into_response())
}

/// `GET /reservations/{id}/code`.
pub async fn code_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let pin = s.service.reservation_code(&web.p, id).await?;
    let body = html! {
        p { "The guest's PIN: " strong #pin { (pin) } " (then #)." }
        p { a href="/rentals" { "All listings" } }
    };
    Ok(page::shell(&s, &web, "Guest PIN", Nav::Rentals, body)
        .await
        .into_response())
}

/// `POST /rental-changes/{id}/confirm`.
pub async fn confirm(State(s): State<AppState>, web: Web, WebPath(id): WebPath<i64>) -> WebResult {
    let r = s.service.confirm_pending(&web.p, id).await?;
    let back = format!("/rentals/{}", r.listing_id);
    let msg = format!(
        "Applied: {} revoked, {} new, {} moved.",
        r.cancelled, r.created, r.retimed
    );
    Ok(Redirect::to(&page::with_notice(&back, &msg)).into_response())
}

/// `POST /rental-changes/{id}/discard`.
pub async fn discard(State(s): State<AppState>, web: Web, WebPath(id): WebPath<i64>) -> WebResult {
    let listing = s.service.discard_pending(&web.p, id).await?;
    let back = format!("/rentals/{listing}");
    Ok(Redirect::to(&page::with_notice(&back, "Discarded: every code kept.")).into_response())
}
