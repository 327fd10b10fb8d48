//! The troubleshooting planner, pure: [`Facts`] the hub knows about a lock
//! and the [`Symptom`] a person names in, an ordered [`Plan`] out, least
//! destructive first as the source documents' ladder goes (batteries →
//! reboot → reconnect and re-sync → mechanical key → reprogram codes →
//! factory reset last). The verdict on a step the person did and the
//! warnings before a factory reset are in [`super::check`], over the same
//! facts. No I/O and no clock: `now_ms` is a fact.

use serde::{Deserialize, Serialize};

use crate::model::{AlertKind, DoctorStep, Symptom};

/// Battery level (percent) below which the lock refuses a factory reset
/// (the lock's default `reset_battery_min_pct`).
pub const RESET_BATTERY_MIN_PCT: i64 = 20;
/// Battery level (percent) at or below which the batteries come first.
pub const BATTERY_LOW_PCT: i64 = 20;
/// A battery at or above this level counts as freshly replaced.
pub const BATTERY_GOOD_PCT: i64 = 50;
/// Clock skew (seconds) beyond which schedules misbehave.
pub const CLOCK_DRIFT_S: i64 = 120;

/// Whether the lock is reachable, as the hub sees it (the hub's own
/// vocabulary: `online`, `offline`, `unresponsive`).
pub use crate::model::Presence;

/// Refusals at the door the lock logged recently, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Denials {
    /// Unknown codes or cards.
    pub wrong_code: u32,
    /// A known code outside its schedule (or the lock's clock unset).
    pub outside_schedule: u32,
    /// Refused during a wrong-code lockout.
    pub locked_out: u32,
    /// Refused by the operating mode.
    pub mode: u32,
    /// The motor jammed.
    pub jammed: u32,
    /// The battery was too low for the motor.
    pub low_battery: u32,
}

/// What the hub knows about one lock (gathered by the service layer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// When the facts were gathered (Unix ms).
    pub now_ms: i64,
    /// Reachable or not.
    pub presence: Presence,
    /// Last message from the lock (Unix ms).
    pub last_seen_ms: Option<i64>,
    /// Last authenticated status (Unix ms).
    pub status_ms: Option<i64>,
    /// Battery level, percent.
    pub battery_pct: Option<i64>,
    /// True if a battery alert was raised and the level is still low
    /// (the hub keeps no battery history; its alerts are the trend).
    pub battery_falling: bool,
    /// Operations sent and not answered yet (for more than a moment), or
    /// given up on for want of an answer.
    pub unanswered_ops: u32,
    /// Since when the oldest of those waits (Unix ms).
    pub unanswered_since_ms: Option<i64>,
    /// Error codes of operations the lock refused recently (`low_battery`, …).
    pub refusals: Vec<String>,
    /// Operations queued or in flight (credentials not yet in sync).
    pub pending_ops: u32,
    /// Firmware version last reported.
    pub firmware: Option<String>,
    /// The binding is stale: the lock was factory reset.
    pub reset_detected: bool,
    /// The lock's reset counter.
    pub reset_counter: i64,
    /// The lock is in setup mode (not claimed on its side).
    pub setup_mode: bool,
    /// Operating mode in force (`normal`, `vacation`, `privacy`, `passage`, …).
    pub mode: Option<String>,
    /// The bolt is reported jammed (status or open alert).
    pub jammed: bool,
    /// A wrong-code lockout is in force (recent alert or refusal).
    pub lockout: bool,
    /// Lock clock minus hub clock, seconds.
    pub clock_skew_s: Option<i64>,
    /// Refusals at the door, by reason.
    pub denials: Denials,
    /// When the lock last rebooted, as far as the hub knows (Unix ms).
    pub last_reboot_ms: Option<i64>,
    /// Kinds of recent open alerts.
    pub alerts: Vec<AlertKind>,
}

impl Facts {
    /// Facts of a lock the hub knows nothing about yet, at `now_ms`.
    pub fn unknown(now_ms: i64) -> Self {
        Self {
            now_ms,
            presence: Presence::Offline,
            last_seen_ms: None,
            status_ms: None,
            battery_pct: None,
            battery_falling: false,
            unanswered_ops: 0,
            unanswered_since_ms: None,
            refusals: Vec::new(),
            pending_ops: 0,
            firmware: None,
            reset_detected: false,
            reset_counter: 0,
            setup_mode: false,
            mode: None,
            jammed: false,
            lockout: false,
            clock_skew_s: None,
            denials: Denials::default(),
            last_reboot_ms: None,
            alerts: Vec::new(),
        }
    }

    /// The battery is low enough to explain trouble.
    /// A reported level decides; without one, a refusal for low battery does.
    pub fn battery_low(&self) -> bool {
        match self.battery_pct {
            Some(b) => b <= BATTERY_LOW_PCT,
            None => {
                self.denials.low_battery > 0 || self.refusals.iter().any(|r| r == "low_battery")
            }
        }
    }

    /// The lock is connected and answers what it is sent.
    pub fn answers(&self) -> bool {
        match self.presence {
            Presence::Online => self.unanswered_ops == 0,
            Presence::Offline | Presence::Unresponsive => false,
        }
    }

    /// The lock is connected but leaves operations unanswered (frozen firmware).
    pub fn frozen(&self) -> bool {
        self.presence == Presence::Unresponsive
            || (self.presence == Presence::Online && self.unanswered_ops > 0)
    }

    /// The clock is off by more than [`CLOCK_DRIFT_S`].
    pub fn clock_drifted(&self) -> bool {
        self.clock_skew_s.is_some_and(|s| s.abs() > CLOCK_DRIFT_S)
    }

    /// A mode other than normal is in force.
    pub fn special_mode(&self) -> Option<&str> {
        self.mode.as_deref().filter(|m| *m != "normal")
    }

    /// A reboot happened after the lock stopped answering.
    pub(crate) fn rebooted_since_trouble(&self) -> bool {
        match (self.last_reboot_ms, self.unanswered_since_ms) {
            (Some(r), Some(t)) => r >= t,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

/// What a step costs, what it fixes and what to do, in words.
#[derive(Debug, Clone, Copy)]
struct StepText {
    /// What to do.
    todo: &'static str,
    /// What is lost.
    costs: &'static str,
    /// What it fixes.
    fixes: &'static str,
    /// How destructive: steps are ordered by this first.
    cost_rank: u8,
}

/// The one table of step texts.
fn text(step: DoctorStep) -> StepText {
    use DoctorStep as S;
    let (todo, costs, fixes, cost_rank) = match step {
        S::WaitLockout => (
            "wait for the wrong-code lockout to end, then type the code once, carefully",
            "nothing",
            "a keypad disabled after too many wrong codes",
            0,
        ),
        S::NormalMode => (
            "put the lock back in normal mode (clear the holiday or set the mode from the hub)",
            "nothing (the vacation, privacy or passage period ends)",
            "codes refused because a mode forbids them",
            0,
        ),
        S::CheckSchedule => (
            "check the person's schedule: a code is refused outside its days and hours",
            "nothing",
            "a code refused outside its schedule",
            0,
        ),
        S::SetClock => (
            "set the lock's clock from the hub (a set_time operation) and check the site's time zone",
            "nothing",
            "schedules that open at the wrong hours because the lock's clock drifted",
            0,
        ),
        S::Batteries => (
            "replace all four AA cells with fresh ones of one brand (never mix old and new)",
            "nothing: codes, settings and the log are kept",
            "a weak motor, a dark keypad, beeping, refused resets and dropped connections",
            1,
        ),
        S::FreeBolt => (
            "check the door is closed and aligned, clear the strike, then lock again",
            "nothing",
            "a bolt that jams against the strike",
            1,
        ),
        S::Reboot => (
            "press the reset button briefly (a short press, not a hold), or take a battery out for 10 seconds",
            "nothing: a reboot keeps codes, settings, the log and the link to the hub",
            "frozen firmware, a lock that does not answer, glitches after an update or a battery change",
            2,
        ),
        S::Reconnect => (
            "bring the lock back in range of its network and wait for it to reconnect; the hub re-sends what is pending",
            "nothing: queued changes are delivered once it is back",
            "an app or hub that cannot reach the lock, codes not yet delivered",
            3,
        ),
        S::MechanicalKey => (
            "open with the mechanical key to get in now",
            "nothing (it fixes nothing either: it only gets you in)",
            "being locked out while the lock is fixed",
            4,
        ),
        S::ReprogramCodes => (
            "give new codes from the hub (change the PIN, or re-enrol the person)",
            "the old code stops working; the person needs the new one",
            "forgotten or refused codes, a forgotten admin code",
            5,
        ),
        S::FactoryReset => (
            "hold the reset button (inside, battery compartment) until the lock confirms",
            "everything: every user, code, card, schedule, setting and the link to the hub; the lock must be re-claimed and everyone re-enrolled",
            "a lock nothing else recovers, or one handed to a new owner",
            6,
        ),
    };
    StepText {
        todo,
        costs,
        fixes,
        cost_rank,
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    /// Which step.
    pub step: DoctorStep,
    /// What to do.
    pub todo: String,
    /// What it costs (what is lost).
    pub costs: String,
    /// What it fixes.
    pub fixes: String,
    /// Why it is suggested, given the facts.
    pub why: String,
    /// Only for the factory reset: why it is not advised yet (softer steps remain).
    pub not_yet: Option<String>,
    /// Whether the hub can check this step afterwards (`--check STEP`).
    pub checkable: bool,
}

/// An ordered plan, least destructive first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The symptom the plan answers, if one was named.
    pub symptom: Option<Symptom>,
    /// What the hub noticed, in words.
    pub findings: Vec<String>,
    /// The steps, least destructive first.
    pub steps: Vec<PlanStep>,
}

/// Whether the hub can judge `step` from what the lock reports.
pub fn checkable(step: DoctorStep) -> bool {
    use DoctorStep as S;
    matches!(
        step,
        S::WaitLockout
            | S::NormalMode
            | S::SetClock
            | S::Batteries
            | S::FreeBolt
            | S::Reboot
            | S::Reconnect
    )
}

/// A candidate step with the reason the facts (or the symptom) give for it.
struct Candidate {
    step: DoctorStep,
    why: String,
    /// Backed by a fact, not only by the symptom's usual ladder.
    evidence: bool,
}

/// A time as the doctor says it (`12:04 UTC`).
pub(crate) fn fmt_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%H:%M UTC").to_string())
        .unwrap_or_else(|_| ms.to_string())
}

fn findings(f: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    if f.reset_detected {
        out.push(format!(
            "the lock was factory reset (reset counter {}): its binding is stale",
            f.reset_counter
        ));
    }
    match (f.presence, f.last_seen_ms) {
        (Presence::Offline, Some(t)) => {
            out.push(format!("offline: last heard at {}", fmt_time(t)));
        }
        (Presence::Offline, None) => out.push("offline: never heard from".to_owned()),
        _ => {}
    }
    if f.frozen() {
        let since = f
            .unanswered_since_ms
            .map(|t| format!(" since {}", fmt_time(t)))
            .unwrap_or_default();
        out.push(format!(
            "connected but not answering: {} operation(s) unanswered{since}",
            f.unanswered_ops
        ));
    }
    if let Some(b) = f.battery_pct {
        if b <= BATTERY_LOW_PCT {
            let trend = if f.battery_falling { ", falling" } else { "" };
            out.push(format!("battery {b} %{trend}"));
        }
    }
    if f.battery_low() && f.refusals.iter().any(|r| r == "low_battery") {
        out.push("the lock refused an operation: low_battery".to_owned());
    }
    if f.jammed || f.denials.jammed > 0 {
        out.push("the bolt jammed".to_owned());
    }
    if f.lockout {
        out.push("wrong-code lockout: the keypad is disabled for a while".to_owned());
    }
    if f.denials.wrong_code > 0 {
        out.push(format!(
            "{} unknown code(s) typed recently",
            f.denials.wrong_code
        ));
    }
    if let Some(m) = f.special_mode() {
        out.push(format!("operating mode: {m}"));
    }
    if f.denials.mode > 0 {
        out.push(format!(
            "{} code(s) refused by the operating mode",
            f.denials.mode
        ));
    }
    if f.denials.outside_schedule > 0 {
        out.push(format!(
            "{} code(s) refused outside their schedule",
            f.denials.outside_schedule
        ));
    }
    if let Some(s) = f.clock_skew_s.filter(|_| f.clock_drifted()) {
        out.push(format!("the lock's clock is off by {s} s"));
    }
    if f.pending_ops > 0 {
        out.push(format!(
            "{} change(s) waiting to reach the lock",
            f.pending_ops
        ));
    }
    out
}

/// Steps the facts point at, whatever the symptom.
fn from_facts(f: &Facts, c: &mut Vec<Candidate>) {
    let mut add = |step, why: String| {
        c.push(Candidate {
            step,
            why,
            evidence: true,
        });
    };
    if f.lockout {
        add(
            DoctorStep::WaitLockout,
            "the keypad is locked out after wrong codes; it comes back by itself".to_owned(),
        );
    }
    if let Some(m) = f.special_mode() {
        add(
            DoctorStep::NormalMode,
            format!("the lock is in {m} mode, which refuses some codes"),
        );
    } else if f.denials.mode > 0 {
        add(
            DoctorStep::NormalMode,
            format!(
                "the lock refused {} code(s) because of its operating mode (a holiday in vacation or privacy mode?)",
                f.denials.mode
            ),
        );
    }
    if f.denials.outside_schedule > 0 {
        add(
            DoctorStep::CheckSchedule,
            format!(
                "the lock refused {} known code(s) outside their schedule",
                f.denials.outside_schedule
            ),
        );
    }
    if f.clock_drifted() {
        let s = f.clock_skew_s.unwrap_or_default();
        add(
            DoctorStep::SetClock,
            format!("the lock's clock is off by {s} s, so schedules open at the wrong hours"),
        );
    }
    if f.battery_low() {
        let why = match f.battery_pct {
            Some(b) => format!(
                "battery {b} %: below {RESET_BATTERY_MIN_PCT} % the lock refuses a factory reset and the motor may fail"
            ),
            None => "the lock refused for low battery".to_owned(),
        };
        add(DoctorStep::Batteries, why);
    }
    if f.jammed || f.denials.jammed > 0 {
        add(
            DoctorStep::FreeBolt,
            "the lock reported a jammed bolt".to_owned(),
        );
    }
    if f.frozen() {
        add(
            DoctorStep::Reboot,
            format!(
                "the lock is connected but left {} operation(s) unanswered: frozen firmware restarts with a reboot",
                f.unanswered_ops
            ),
        );
    }
    if f.presence == Presence::Offline {
        add(
            DoctorStep::Reconnect,
            "the hub cannot reach the lock".to_owned(),
        );
    }
}

/// The symptom's usual ladder (steps suggested without a fact behind them).
fn ladder(s: Symptom) -> &'static [DoctorStep] {
    use DoctorStep as S;
    match s {
        Symptom::DoesNotRespond => &[S::Batteries, S::Reboot, S::Reconnect, S::MechanicalKey],
        Symptom::CodeRefused => &[
            S::CheckSchedule,
            S::Batteries,
            S::MechanicalKey,
            S::ReprogramCodes,
        ],
        Symptom::AppCannotConnect => &[S::Batteries, S::Reboot, S::Reconnect],
        Symptom::JamsOrBeeps => &[S::FreeBolt, S::Batteries, S::Reboot, S::MechanicalKey],
        Symptom::KeypadDark => &[S::Batteries, S::Reboot, S::MechanicalKey],
        Symptom::AdminCodeForgotten => &[S::ReprogramCodes],
    }
}

fn ladder_why(s: Symptom, step: DoctorStep) -> String {
    let usual = match step {
        DoctorStep::Batteries => "weak batteries are the most common cause",
        DoctorStep::Reboot => "a reboot clears most software glitches and keeps everything",
        DoctorStep::Reconnect => "a lock out of reach cannot take changes",
        DoctorStep::MechanicalKey => "to get in while the rest is sorted out",
        DoctorStep::CheckSchedule => "a code is only valid within its schedule",
        DoctorStep::ReprogramCodes => "a new code from the hub replaces a forgotten or refused one",
        DoctorStep::FreeBolt => "a misaligned door is the usual cause of a jam",
        _ => "the usual next step",
    };
    format!("{}: {usual}", s.as_str().replace('_', " "))
}

/// Whether the facts give reason enough for a factory reset now (nothing
/// softer is left that could help).
fn factory_reset_not_yet(f: &Facts, softer: &[PlanStep]) -> Option<String> {
    if f.reset_detected {
        return None;
    }
    let mut reasons = Vec::new();
    if f.battery_low() {
        reasons.push(format!(
            "the lock refuses a factory reset below {RESET_BATTERY_MIN_PCT} % battery: change the batteries first"
        ));
    }
    if !softer.is_empty() {
        let names: Vec<&str> = softer.iter().map(|s| s.step.as_str()).collect();
        reasons.push(format!(
            "softer steps remain ({}); a factory reset erases every code and the link to the hub",
            names.join(", ")
        ));
    }
    if reasons.is_empty() {
        None
    } else {
        Some(reasons.join("; "))
    }
}

/// The plan for `facts` and an optional `symptom`, least destructive first.
pub fn plan(facts: &Facts, symptom: Option<Symptom>) -> Plan {
    let mut cands = Vec::new();
    from_facts(facts, &mut cands);
    if let Some(s) = symptom {
        for step in ladder(s) {
            if !cands.iter().any(|c| c.step == *step) {
                cands.push(Candidate {
                    step: *step,
                    why: ladder_why(s, *step),
                    evidence: false,
                });
            }
        }
    }
    // After a proven reset the lock has forgotten everything already: the
    // way back is a re-claim and re-enrolment, not more troubleshooting.
    // The symptom's usual suspects (a schedule, weak cells) are not the cause
    // then; only what the facts show stays, after the way back.
    if facts.reset_detected {
        cands.retain(|c| {
            c.step != DoctorStep::ReprogramCodes
                && (c.evidence || c.step == DoctorStep::MechanicalKey)
        });
        cands.push(Candidate {
            step: DoctorStep::ReprogramCodes,
            why: "the lock was factory reset: re-claim it (`tumbler locks reclaim`) and re-enrol the people chosen".to_owned(),
            evidence: true,
        });
    }
    // Least destructive first; within one cost, what the facts point at first,
    // then the table's order.
    cands.sort_by_key(|c| (text(c.step).cost_rank, !c.evidence, c.step as u8));
    cands.dedup_by_key(|c| c.step);
    if facts.reset_detected {
        // The cause is known: the way back comes first.
        cands.sort_by_key(|c| c.step != DoctorStep::ReprogramCodes);
    }
    let mut steps: Vec<PlanStep> = cands
        .into_iter()
        .map(|c| {
            let t = text(c.step);
            PlanStep {
                step: c.step,
                todo: t.todo.to_owned(),
                costs: t.costs.to_owned(),
                fixes: t.fixes.to_owned(),
                why: c.why,
                not_yet: None,
                checkable: checkable(c.step),
            }
        })
        .collect();
    if symptom.is_some() && !facts.reset_detected {
        let t = text(DoctorStep::FactoryReset);
        let softer: Vec<PlanStep> = steps
            .iter()
            .filter(|s| s.step != DoctorStep::MechanicalKey)
            .cloned()
            .collect();
        let not_yet = factory_reset_not_yet(facts, &softer);
        steps.push(PlanStep {
            step: DoctorStep::FactoryReset,
            todo: t.todo.to_owned(),
            costs: t.costs.to_owned(),
            fixes: t.fixes.to_owned(),
            why: "the last resort, only when every step above failed".to_owned(),
            not_yet,
            checkable: false,
        });
    }
    Plan {
        symptom,
        findings: findings(facts),
        steps,
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
