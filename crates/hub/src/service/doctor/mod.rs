//! `tumbler doctor`: guided troubleshooting. This file gathers the
//! [`plan::Facts`] the hub knows about a lock (its record, operations,
//! alerts and recent audit records); [`plan`] turns them and the person's
//! symptom into an ordered plan, and [`check`] into the verdict on a step or
//! the warnings before a factory reset, both without I/O.

pub mod check;
pub mod plan;

use serde::{Deserialize, Serialize};

use super::{Principal, Service, ServiceError, HISTORY};
use crate::model::{AlertKind, ClaimState, DoctorStep, Event, Lock, OpName, OpState, Symptom};
use crate::store::events::EventFilter;
use crate::store::operations::OperationFilter;
use check::CheckResult;
use plan::{Denials, Facts, Plan};

/// An operation sent this long ago without an answer counts as unanswered.
pub const UNANSWERED_AFTER_MS: i64 = 5_000;
/// How far back the doctor reads audit records, alerts and operations.
pub const LOOKBACK_MS: i64 = 24 * 3_600_000;
/// How long a wrong-code lockout is taken to last after its last sign (the
/// lock doubles its lockout time on repeats; the hub does not know the
/// lock's setting, so it assumes the longest usual one).
pub const LOCKOUT_WINDOW_MS: i64 = 15 * 60_000;

/// What `GET /locks/{id}/doctor` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorReport {
    /// The lock.
    pub lock_id: i64,
    /// Its name.
    pub lock_name: String,
    /// The plan (findings and ordered steps).
    pub plan: Plan,
    /// The verdict on a step, when one was asked for (`check=STEP`).
    pub check: Option<CheckResult>,
    /// What to know before queuing a factory reset (empty: nothing against it).
    pub factory_reset_warnings: Vec<String>,
    /// The facts the plan was made from.
    pub facts: Facts,
}

impl Service {
    /// The doctor's report on lock `lock_id`: a plan for `symptom`, and the
    /// verdict on `check` if given. History roles (it reads the history).
    pub async fn doctor(
        &self,
        p: &Principal,
        lock_id: i64,
        symptom: Option<Symptom>,
        check: Option<DoctorStep>,
    ) -> Result<DoctorReport, ServiceError> {
        self.require(p, HISTORY)?;
        let lock = self
            .store
            .get_lock(p.org_id, lock_id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "lock",
                id: lock_id,
            })?;
        let facts = self.doctor_facts(p.org_id, &lock).await?;
        Ok(DoctorReport {
            lock_id,
            lock_name: lock.name.clone(),
            plan: plan::plan(&facts, symptom),
            check: check.map(|s| check::check(s, &facts)),
            factory_reset_warnings: check::factory_reset_warnings(&facts),
            facts,
        })
    }

    /// Gathers what the hub knows about `lock`.
    async fn doctor_facts(&self, org_id: i64, lock: &Lock) -> Result<Facts, ServiceError> {
        let now = self.now_ms();
        let since = now.saturating_sub(LOOKBACK_MS);
        let ops = self
            .store
            .list_operations(
                org_id,
                &OperationFilter {
                    lock_id: Some(lock.id),
                    state: None,
                    limit: 200,
                },
            )
            .await?;
        let alerts: Vec<_> = self
            .store
            .list_alerts(org_id, false, 1000)
            .await?
            .into_iter()
            .filter(|a| a.lock_id == Some(lock.id) && a.last_at >= since)
            .collect();
        let events = self
            .store
            .search_events(
                org_id,
                &EventFilter {
                    lock_id: Some(lock.id),
                    kind: None,
                    from: Some(since),
                    to: None,
                    limit: 500,
                },
            )
            .await?;

        let mut f = Facts::unknown(now);
        f.presence = lock.presence;
        f.last_seen_ms = lock.last_seen_at;
        f.status_ms = lock.telemetry.status_at;
        f.battery_pct = lock.battery_pct;
        f.firmware = lock.telemetry.firmware.clone();
        f.reset_detected = lock.claim_state == ClaimState::ResetBindingStale;
        f.reset_counter = lock.reset_counter;
        f.setup_mode = lock.telemetry.setup_mode.unwrap_or(false);
        f.mode = lock.telemetry.mode.clone();
        f.clock_skew_s = lock.telemetry.clock_skew_s;

        // The lock's last sign of life: its last status or answer. An
        // operation sent after it and still unanswered means the lock does
        // not answer (a status or answer after it means it talks again).
        let answered_at = ops
            .iter()
            .filter(|o| matches!(o.state, OpState::Applied | OpState::Refused))
            .map(|o| o.updated_at)
            .max();
        let alive_at = lock.telemetry.status_at.max(answered_at);
        for op in ops.iter().filter(|o| o.updated_at >= since) {
            let waiting = match op.state {
                OpState::Sent => now.saturating_sub(op.updated_at) >= UNANSWERED_AFTER_MS,
                OpState::Failed => op.error.as_deref() == Some("no answer from the lock"),
                _ => false,
            };
            if waiting && alive_at.is_none_or(|a| a < op.updated_at) {
                f.unanswered_ops += 1;
                f.unanswered_since_ms = Some(
                    f.unanswered_since_ms
                        .map_or(op.updated_at, |t| t.min(op.updated_at)),
                );
            }
            if matches!(op.state, OpState::Pending | OpState::Sent) {
                f.pending_ops += 1;
            }
            if op.state == OpState::Refused {
                if let Some(e) = &op.error {
                    f.refusals.push(e.clone());
                }
            }
            if op.kind == OpName::Reboot && op.state == OpState::Applied {
                f.last_reboot_ms = f.last_reboot_ms.max(Some(op.updated_at));
            }
        }

        // The hub's own judgement (an operation or probe unanswered past the
        // resend delay) stands even when a resend just restarted the count above.
        if lock.presence == crate::model::Presence::Unresponsive {
            f.unanswered_ops = f.unanswered_ops.max(f.pending_ops.min(1));
            if f.unanswered_since_ms.is_none() {
                f.unanswered_since_ms = lock.presence_since;
            }
        }

        let mut lockout_sign: Option<i64> = None;
        for a in alerts.iter().filter(|a| a.acked_at.is_none()) {
            f.alerts.push(a.kind);
            match a.kind {
                AlertKind::BatteryLow | AlertKind::BatteryCritical => {
                    f.battery_falling =
                        lock.battery_pct.is_some_and(|b| b <= plan::BATTERY_LOW_PCT);
                }
                AlertKind::Jammed => f.jammed = true,
                AlertKind::WrongCodeLimit => lockout_sign = lockout_sign.max(Some(a.last_at)),
                _ => {}
            }
        }
        if lock.telemetry.bolt.as_deref() == Some("jammed") {
            f.jammed = true;
        }
        let mut last_ok_open: Option<i64> = None;
        for e in &events {
            tally(&mut f.denials, e);
            match (e.kind.as_str(), denied_code(e)) {
                ("lockout", _) | (_, Some(4)) => lockout_sign = lockout_sign.max(Some(e.at)),
                ("unlock", None) => last_ok_open = last_ok_open.max(Some(e.at)),
                ("reboot", None) => f.last_reboot_ms = f.last_reboot_ms.max(Some(e.at)),
                _ => {}
            }
        }
        f.lockout = lockout_sign.is_some_and(|t| {
            now.saturating_sub(t) < LOCKOUT_WINDOW_MS && last_ok_open.is_none_or(|o| o < t)
        });
        // A jam cleared by a later good operation is history.
        if f.jammed
            && lock
                .telemetry
                .bolt
                .as_deref()
                .is_some_and(|b| b != "jammed")
        {
            let jam_at = alerts
                .iter()
                .filter(|a| a.kind == AlertKind::Jammed)
                .map(|a| a.last_at)
                .max();
            if jam_at.is_some_and(|j| lock.telemetry.status_at.is_some_and(|s| s > j)) {
                f.jammed = false;
            }
        }
        Ok(f)
    }
}

/// The refusal code of an audit record (`result: {"Denied": n}`), if refused.
fn denied_code(e: &Event) -> Option<u64> {
    e.data.get("result")?.get("Denied")?.as_u64()
}

/// Counts a refusal at the door by its reason (the codes of
/// `tumbler_device::bridge::log_record`).
fn tally(d: &mut Denials, e: &Event) {
    let Some(code) = denied_code(e) else {
        return;
    };
    let slot = match code {
        1 => &mut d.wrong_code,
        3 => &mut d.outside_schedule,
        4 => &mut d.locked_out,
        5 => &mut d.mode,
        8 => &mut d.jammed,
        9 => &mut d.low_battery,
        _ => return,
    };
    *slot = slot.saturating_add(1);
}
