//! `GET /locks/{id}/doctor`: guided troubleshooting. Pick a symptom, get
//! the ordered plan (least destructive first) the API gives, and ask the
//! hub to check a step once it is done (`?check=STEP`).
//!
//! DOM contract: the plan is `ol#plan`, one `li` per step.

use axum::extract::State;
use maud::{html, Markup};
use serde::Deserialize;

use super::lock_common::lock_shell;
use super::page::{self, Tone};
use super::{Web, WebResult};
use super::{WebPath, WebQuery};
use crate::api::AppState;
use crate::model::{DoctorStep, Symptom};
use crate::service::doctor::check::CheckOutcome;
use crate::service::{invalid, ServiceError};

/// `?symptom=`, `?check=` (their API spellings; empty = none), `?msg=`.
#[derive(Debug, Deserialize)]
pub struct DoctorQuery {
    symptom: Option<String>,
    check: Option<String>,
    msg: Option<String>,
}

/// What a person would say, for the symptom picker.
fn symptom_label(s: Symptom) -> &'static str {
    match s {
        Symptom::DoesNotRespond => "Nothing happens at the door or from the app",
        Symptom::CodeRefused => "A code or card is refused at the door",
        Symptom::AppCannotConnect => "The app or the hub cannot reach the lock",
        Symptom::JamsOrBeeps => "The bolt jams or the lock beeps",
        Symptom::KeypadDark => "The keypad stays dark",
        Symptom::AdminCodeForgotten => "The admin code is forgotten",
    }
}

/// A step's title.
fn step_title(s: DoctorStep) -> &'static str {
    match s {
        DoctorStep::WaitLockout => "Wait for the wrong-code lockout to end",
        DoctorStep::NormalMode => "Put the lock back in normal mode",
        DoctorStep::CheckSchedule => "Check the person's schedule",
        DoctorStep::SetClock => "Set the lock's clock",
        DoctorStep::Batteries => "Replace the batteries",
        DoctorStep::FreeBolt => "Free the bolt",
        DoctorStep::Reboot => "Reboot the lock (short press of the reset button)",
        DoctorStep::Reconnect => "Reconnect the lock to the hub",
        DoctorStep::MechanicalKey => "Open with the mechanical key",
        DoctorStep::ReprogramCodes => "Give new codes from the hub",
        DoctorStep::FactoryReset => "Factory reset (last resort)",
    }
}

fn parse<T>(
    field: &'static str,
    v: Option<&str>,
    f: fn(&str) -> Option<T>,
    all: &[&str],
) -> Result<Option<T>, ServiceError> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => f(v)
            .map(Some)
            .ok_or_else(|| invalid(field, format!("one of {}", all.join(", ")))),
    }
}

fn outcome(o: CheckOutcome) -> Markup {
    match o {
        CheckOutcome::Fixed => page::badge("fixed", Tone::Good),
        CheckOutcome::NotYet => page::badge("not yet", Tone::Warn),
        CheckOutcome::CannotTell => page::badge("cannot tell", Tone::Plain),
    }
}

/// `GET /locks/{id}/doctor`.
pub async fn doctor_page(
    State(s): State<AppState>,
    web: Web,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<DoctorQuery>,
) -> WebResult {
    let symptoms: Vec<&str> = Symptom::ALL.iter().map(|s| s.as_str()).collect();
    let steps: Vec<&str> = DoctorStep::ALL.iter().map(|s| s.as_str()).collect();
    let symptom = parse("symptom", q.symptom.as_deref(), Symptom::parse, &symptoms)?;
    let check = parse("check", q.check.as_deref(), DoctorStep::parse, &steps)?;
    let r = s.service.doctor(&web.p, id, symptom, check).await?;
    let l = s.service.get_lock(&web.p, id).await?;
    let here = |step: DoctorStep| {
        let mut u = format!("/locks/{id}/doctor?check={}", step.as_str());
        if let Some(sy) = symptom {
            u.push_str(&format!("&symptom={}", sy.as_str()));
        }
        u
    };
    let body = html! {
        form.inline method="get" action=(format!("/locks/{id}/doctor")) {
            label { "What is wrong?"
                select name="symptom" {
                    option value="" selected[symptom.is_none()] { "Not sure — look at everything" }
                    @for sy in Symptom::ALL {
                        option value=(sy.as_str()) selected[symptom == Some(*sy)] { (symptom_label(*sy)) }
                    }
                }
            }
            button type="submit" { "Show the plan" }
        }
        @if let Some(c) = &r.check {
            section.panel #check role="status" aria-label="Step checked" {
                p { strong { (step_title(c.step)) ": " } (outcome(c.outcome)) " " (c.message) }
            }
        }
        @if !r.plan.findings.is_empty() {
            h2 { "What the hub sees" }
            ul #findings { @for f in &r.plan.findings { li { (f) } } }
        }
        h2 { "What to do, least destructive first" }
        @if r.plan.steps.is_empty() {
            p.muted { "Nothing to do: the hub sees nothing wrong." }
        } @else {
            ol #plan {
                @for st in &r.plan.steps {
                    li.panel data-step=(st.step.as_str()) {
                        h3 { (step_title(st.step)) }
                        p { (st.todo) }
                        dl.facts {
                            dt { "Why" } dd { (st.why) }
                            dt { "Fixes" } dd { (st.fixes) }
                            dt { "Costs" } dd { (st.costs) }
                        }
                        @if let Some(n) = &st.not_yet { p { strong { "Not yet: " } (n) } }
                        @if st.checkable {
                            a.button.secondary href=(here(st.step)) { "Check this step" }
                        }
                        @if st.step == DoctorStep::FactoryReset {
                            a.button.secondary href=(format!("/locks/{id}/reset")) { "Reset options" }
                        }
                    }
                }
            }
        }
        @if !r.factory_reset_warnings.is_empty() {
            h2 { "Before a factory reset" }
            ul { @for w in &r.factory_reset_warnings { li { (w) } } }
        }
    };
    Ok(lock_shell(
        &s,
        &web,
        &l,
        "/doctor",
        "Troubleshoot",
        q.msg.as_deref(),
        body,
    )
    .await)
}
