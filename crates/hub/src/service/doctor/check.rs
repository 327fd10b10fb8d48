//! After a step, pure like the planner: the hub's verdict on a step the
//! person did ([`check`]: "battery now 87 %", "the lock answered after the
//! reboot at 12:04 UTC"), and what to say before a factory reset is queued
//! ([`factory_reset_warnings`]: the lock will refuse it, or a softer step
//! would fix the problem).

use serde::{Deserialize, Serialize};

use super::plan::{
    fmt_time, Facts, Presence, BATTERY_GOOD_PCT, CLOCK_DRIFT_S, RESET_BATTERY_MIN_PCT,
};
use crate::model::DoctorStep;

/// How a checked step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CheckOutcome {
    /// The step worked, as far as the hub can see.
    Fixed,
    /// Not yet: the message says what is still wrong.
    NotYet,
    /// The hub cannot see the effect of this step; try it at the door.
    CannotTell,
}

/// The hub's verdict on a step the person did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The step checked.
    pub step: DoctorStep,
    /// How it went.
    pub outcome: CheckOutcome,
    /// In words ("battery now 87 %").
    pub message: String,
}

/// Checks `step` against fresh facts.
pub fn check(step: DoctorStep, f: &Facts) -> CheckResult {
    use CheckOutcome as O;
    let (outcome, message) = match step {
        DoctorStep::Batteries => match f.battery_pct {
            Some(b) if b >= BATTERY_GOOD_PCT => (O::Fixed, format!("battery now {b} %")),
            Some(b) => (
                O::NotYet,
                format!("still {b} %: replace all four cells with fresh ones"),
            ),
            None => (
                O::NotYet,
                "the lock has not reported its battery yet".to_owned(),
            ),
        },
        DoctorStep::Reboot | DoctorStep::Reconnect => {
            let verb = if step == DoctorStep::Reboot {
                "after the reboot"
            } else {
                "again"
            };
            match (f.answers(), f.status_ms) {
                (true, Some(t)) => (O::Fixed, format!("the lock answered {verb} at {}", fmt_time(t))),
                (true, None) => (O::NotYet, "the lock is connected but sent no status yet".to_owned()),
                (false, _) if f.presence == Presence::Offline => (
                    O::NotYet,
                    match f.last_seen_ms {
                        Some(t) => format!("still offline: last heard at {}", fmt_time(t)),
                        None => "still offline: never heard from".to_owned(),
                    },
                ),
                (false, _) => (
                    O::NotYet,
                    format!(
                        "still no answer: {} operation(s) unanswered; hold nothing yet, try a battery out for 10 seconds",
                        f.unanswered_ops
                    ),
                ),
            }
        }
        DoctorStep::SetClock => match f.clock_skew_s {
            Some(s) if s.abs() <= CLOCK_DRIFT_S => {
                (O::Fixed, format!("the lock's clock is now off by {s} s"))
            }
            Some(s) => (O::NotYet, format!("the lock's clock is still off by {s} s")),
            None => (
                O::NotYet,
                "the lock has not reported its time yet".to_owned(),
            ),
        },
        DoctorStep::WaitLockout if !f.lockout => (O::Fixed, "no lockout in force".to_owned()),
        DoctorStep::WaitLockout => (O::NotYet, "the keypad is still locked out".to_owned()),
        DoctorStep::NormalMode => match f.special_mode() {
            None if f.mode.is_some() => (O::Fixed, "the lock is in normal mode".to_owned()),
            None => (
                O::NotYet,
                "the lock has not reported its mode yet".to_owned(),
            ),
            Some(m) => (O::NotYet, format!("the lock is still in {m} mode")),
        },
        DoctorStep::FreeBolt if f.jammed => {
            (O::NotYet, "the bolt is still reported jammed".to_owned())
        }
        DoctorStep::FreeBolt => (O::Fixed, "the bolt is no longer jammed".to_owned()),
        other => (
            O::CannotTell,
            format!(
                "the hub cannot see the effect of {}; try the door",
                other.as_str()
            ),
        ),
    };
    CheckResult {
        step,
        outcome,
        message,
    }
}

/// What to say before a factory reset is queued on a lock with these
/// facts: the lock will refuse it, or a softer step would fix the problem.
/// Empty: nothing against it.
pub fn factory_reset_warnings(f: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    if f.battery_pct.is_some_and(|b| b < RESET_BATTERY_MIN_PCT) {
        out.push(format!(
            "the lock will refuse it (low_battery): battery {} %, below {RESET_BATTERY_MIN_PCT} %; change the batteries first",
            f.battery_pct.unwrap_or_default()
        ));
    }
    if (f.frozen() || f.presence == Presence::Offline) && !f.rebooted_since_trouble() {
        out.push(
            "the lock does not respond and no reboot was tried: a short press of the reset button (keeps everything) fixes most frozen locks; see `tumbler doctor LOCK --symptom does_not_respond`"
                .to_owned(),
        );
    }
    if f.lockout {
        out.push("a wrong-code lockout ends by itself: wait for it instead".to_owned());
    }
    if let Some(m) = f.special_mode() {
        out.push(format!(
            "the lock is in {m} mode: put it back in normal mode before erasing codes"
        ));
    }
    if f.clock_drifted() {
        out.push(
            "the lock's clock drifted: set the clock, codes will open at the right hours again"
                .to_owned(),
        );
    }
    out
}
