//! Give a person access on many doors at once: the doors (by site, or all
//! of them), one credential (a PIN given or generated, a card, a
//! fingerprint) and a schedule built from the form (always, one use,
//! between two dates, or days of the week between two hours), read in the
//! doors' site time zone. The service checks everything; the answer is the
//! batch ([`super::access_batch::answer`]), with a generated PIN shown once.

use axum::extract::State;
use axum::response::IntoResponse;
use maud::html;

use super::access_batch::answer;
use super::access_form::{chosen_doors, door_picker, doors_by_site, zones_note, Fields};
use super::page::{self, Nav};
use super::{Form, WebPath};
use super::{Web, WebResult};
use crate::api::AppState;
use crate::control::access::{AccessSchedule, WeeklyWindow};
use crate::control::SecretPin;
use crate::service::access::{CredentialInput, GrantRequest};
use crate::service::{ServiceError, ADMINS};

/// The days of the week as the form sends them (Monday first).
const DAYS: &[(&str, &str)] = &[
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

fn invalid(field: &'static str, reason: &str) -> ServiceError {
    ServiceError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// The schedule the form describes (`when`: `always`, `once`, `dates` with
/// `from`/`to` local date-times, `weekly` with `day`s and `start`/`end`
/// hours). Blank fields reach the service as blanks, which it refuses.
pub fn schedule(f: &Fields) -> Result<AccessSchedule, ServiceError> {
    let text = |name: &str| f.get(name).unwrap_or_default().to_owned();
    Ok(match f.get("when").unwrap_or("always") {
        "always" => AccessSchedule::Permanent,
        "once" => AccessSchedule::OneTime,
        "dates" => AccessSchedule::DateRange {
            from: text("from"),
            to: text("to"),
        },
        "weekly" => AccessSchedule::Weekly {
            windows: vec![WeeklyWindow {
                days: f.all("day").join(","),
                start: text("start"),
                end: text("end"),
            }],
        },
        _ => return Err(invalid("schedule", "always, once, dates or weekly")),
    })
}

/// The credential the form describes (`cred`: `generate`, `pin` with
/// `pin`, `card` with `uid`, `fingerprint` with `template`; `label`).
pub fn credential(f: &Fields) -> Result<CredentialInput, ServiceError> {
    let mut c = CredentialInput {
        label: f.get("label").map(str::to_owned),
        ..CredentialInput::default()
    };
    match f.get("cred").unwrap_or_default() {
        "generate" => {
            c.kind = "pin".into();
            c.generate = true;
        }
        "pin" => {
            c.kind = "pin".into();
            c.pin = f.get("pin").map(SecretPin::new);
        }
        "card" => {
            c.kind = "card".into();
            c.uid = f.get("uid").map(str::to_owned);
        }
        "fingerprint" => {
            c.kind = "fingerprint".into();
            c.template = match f.get("template") {
                Some(t) => Some(
                    t.parse::<u16>()
                        .map_err(|_| invalid("template", "a slot number, 0 to 65535"))?,
                ),
                None => None,
            };
        }
        _ => {
            return Err(invalid(
                "credentials",
                "choose a PIN, a card or a fingerprint",
            ))
        }
    }
    Ok(c)
}

/// `GET /people/{id}/grant`.
pub async fn grant_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    s.service.require(&web.p, ADMINS)?;
    let d = s.service.person_detail(&web.p, id).await?;
    let groups = doors_by_site(&s, &web).await?;
    let body = html! {
        p { "Give " a href=(format!("/people/{id}")) { (d.person.name) } " access on one or more doors. Each door gets the change when it is online; the next page follows every door." }
        form.stack.grant method="post" action=(format!("/people/{id}/grant")) {
            (page::csrf_field(&web))
            (door_picker(&groups, "Doors", s.service.now_ms()))
            fieldset {
                legend { "Credential" }
                label.check { input type="radio" name="cred" value="generate" checked; "Generate a PIN (shown once)" }
                label.check { input type="radio" name="cred" value="pin"; "A PIN I choose" }
                label { "PIN" input type="text" name="pin" inputmode="numeric" autocomplete="off" maxlength="12"; }
                label.check { input type="radio" name="cred" value="card"; "A card" }
                label { "Card UID (hex)" input type="text" name="uid" autocomplete="off" maxlength="20"; }
                label.check { input type="radio" name="cred" value="fingerprint"; "A fingerprint" }
                label { "Fingerprint template slot" input type="number" name="template" min="0" max="65535"; }
                label { "Label (optional)" input type="text" name="label" maxlength="100"; }
            }
            fieldset {
                legend { "When" }
                p.muted #tz-note { (zones_note(&groups)) }
                label.check { input type="radio" name="when" value="always" checked; "Always" }
                label.check { input type="radio" name="when" value="once"; "One use" }
                label.check { input type="radio" name="when" value="dates"; "Between two dates" }
                div.row {
                    label { "From" input type="datetime-local" name="from" aria-describedby="tz-note"; }
                    label { "To" input type="datetime-local" name="to" aria-describedby="tz-note"; }
                }
                label.check { input type="radio" name="when" value="weekly"; "Every week, on these days between these hours" }
                fieldset {
                    legend { "Days" }
                    div.row {
                        @for (value, name) in DAYS {
                            label.check { input type="checkbox" name="day" value=(value); (name) }
                        }
                    }
                }
                div.row {
                    label { "From hour" input type="time" name="start" aria-describedby="tz-note"; }
                    label { "To hour" input type="time" name="end" aria-describedby="tz-note"; }
                }
            }
            button type="submit" { "Give access" }
        }
    };
    let title = format!("Give access: {}", d.person.name);
    Ok(page::shell(&s, &web, &title, Nav::People, body)
        .await
        .into_response())
}

/// `POST /people/{id}/grant`.
pub async fn grant(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let f = Fields(pairs);
    let req = GrantRequest {
        lock_ids: chosen_doors(&s, &web, &f).await?,
        schedule: schedule(&f)?,
        credentials: vec![credential(&f)?],
    };
    let o = s.service.grant(&web.p, id, req).await?;
    answer(&s, &web, o, "Access queued.").await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn the_schedule_builder_makes_the_api_schedules() {
        assert_eq!(schedule(&fields(&[])).ok(), Some(AccessSchedule::Permanent));
        let weekly = fields(&[
            ("when", "weekly"),
            ("day", "mon"),
            ("day", "fri"),
            ("start", "09:00"),
            ("end", "17:30"),
        ]);
        assert_eq!(
            schedule(&weekly).ok(),
            Some(AccessSchedule::Weekly {
                windows: vec![WeeklyWindow {
                    days: "mon,fri".into(),
                    start: "09:00".into(),
                    end: "17:30".into(),
                }]
            })
        );
        let dates = fields(&[
            ("when", "dates"),
            ("from", "2026-12-01T15:00"),
            ("to", "2026-12-08T11:00"),
        ]);
        assert_eq!(
            schedule(&dates).ok(),
            Some(AccessSchedule::DateRange {
                from: "2026-12-01T15:00".into(),
                to: "2026-12-08T11:00".into(),
            })
        );
        assert!(schedule(&fields(&[("when", "sometimes")])).is_err());
    }

    #[test]
    fn the_chosen_credential_alone_is_sent() {
        let c = credential(&fields(&[("cred", "generate"), ("pin", "482913")])).ok();
        assert!(c.as_ref().is_some_and(|c| c.generate && c.pin.is_none()));
        let c = credential(&fields(&[("cred", "card"), ("uid", "04a1b2")])).ok();
        assert_eq!(c.and_then(|c| c.uid).as_deref(), Some("04a1b2"));
        assert!(credential(&fields(&[("cred", "fingerprint"), ("template", "x")])).is_err());
        assert!(credential(&fields(&[])).is_err());
    }
}
