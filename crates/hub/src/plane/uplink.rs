//! Frames from a lock's `up` topic: routed through the lock's binding
//! (`Binding::open_uplink`, binding persisted in the same step), then
//! turned into operation answers, telemetry, alerts, history, log
//! acknowledgements and reset detection.

use tumbler_control::proto::{
    Actor, BoltState, Command, CommandResult, DoorState, Event, LogBatch, Outcome, SignedSelfCheck,
    Status, Verdict, VerifyingKey,
};
use tumbler_control::{
    issue_reset_token, Binding, LogCursor, LogIssue, OpKind, Uplink, UplinkError,
};

use super::PlaneError;
use super::{names, LockPlane};
use crate::model::{AlertKind, Capacity, ClaimState, Lock, OpName};
use crate::store::operations::{NewOperation, OpOutcome};
use crate::store::plane::{hex, StatusRecord};

/// A lock clock off by more than this (seconds) raises `clock_drift`.
pub const CLOCK_DRIFT_ALERT_S: i64 = 120;

/// Lifetime of a manufacturer reset token (seconds).
pub const RESET_TOKEN_TTL_S: u64 = 300;

fn bolt(b: BoltState) -> &'static str {
    match b {
        BoltState::Locked => "locked",
        BoltState::Unlocked => "unlocked",
        BoltState::Jammed => "jammed",
        BoltState::Unknown => "unknown",
    }
}

fn door(d: DoorState) -> &'static str {
    match d {
        DoorState::Closed => "closed",
        DoorState::Open => "open",
        DoorState::Ajar => "ajar",
        DoorState::Forced => "forced",
        DoorState::Unknown => "unknown",
    }
}

enum Opened {
    NoBinding,
    Bad(String),
    Ok(Box<Uplink>),
    Err(UplinkError),
}

impl LockPlane {
    /// Handles one frame from `tumbler/v1/<serial>/up`. Never fails loudly:
    /// the broker is untrusted, so bad frames are counted and logged.
    pub async fn on_up(&self, serial: &str, frame: &[u8]) {
        tracing::debug!(serial, bytes = frame.len(), "uplink frame");
        self.metrics.frame_in();
        self.feed_claim(serial, frame);
        if let Err(e) = self.on_up_inner(serial, frame).await {
            tracing::warn!(serial, error = %e, "could not process a frame from the lock");
        }
    }

    async fn on_up_inner(&self, serial: &str, frame: &[u8]) -> Result<(), PlaneError> {
        let store = &self.store;
        let Some(lock) = store.lock_by_serial(serial).await? else {
            return Ok(());
        };
        if !self.leases.holds(lock.id) {
            // Another hub holds this lock's lease and handles the frame.
            return Ok(());
        }
        let now_ms = self.now_ms();
        let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
        let challenges = self.challenges.outstanding(serial);
        let opened = store
            .update_binding(lock.id, now_ms, |bytes| match Binding::from_bytes(bytes) {
                Err(e) => (None, Opened::Bad(format!("stored binding unreadable: {e}"))),
                Ok(mut b) => {
                    let r = b.open_uplink_challenged(frame, now_s, &challenges);
                    let new = b.to_bytes().ok().map(|z| z.to_vec());
                    match r {
                        Ok(u) => (new, Opened::Ok(Box::new(u))),
                        Err(e) => (new, Opened::Err(e)),
                    }
                }
            })
            .await?
            .unwrap_or(Opened::NoBinding);
        match opened {
            Opened::NoBinding => Ok(()),
            Opened::Bad(why) => {
                tracing::error!(serial, why, "binding unreadable");
                Ok(())
            }
            Opened::Err(UplinkError::BindingStale) => Ok(()),
            Opened::Err(e) => {
                // Tampered, replayed, forged or unverifiable: count and ignore.
                store.count_rejected(lock.id).await?;
                self.metrics.frame_rejected();
                tracing::info!(serial, error = %e, "rejected a frame from the lock");
                if matches!(
                    e,
                    UplinkError::ForgedStatement
                        | UplinkError::ForgedResetRecord
                        | UplinkError::ForgedSelfCheck
                ) {
                    // Unauthenticated: an alert, never a change of state.
                    let msg = format!("a frame in the lock's name failed its signature check ({e}): nothing was changed");
                    self.raise(&lock, AlertKind::ForgedStatus, Some(&msg), now_ms)
                        .await?;
                }
                if let UplinkError::UnknownLockKey(_) = e {
                    // Header bytes prove nothing: an alert, and the lock is
                    // asked for signed evidence (a real reset proves itself).
                    let msg = "a frame under a lock key the hub does not know (a reset lock, or a header rewritten on the broker): nothing was changed, the lock was asked for signed evidence";
                    self.raise(&lock, AlertKind::ForgedStatus, Some(msg), now_ms)
                        .await?;
                    self.challenge_quietly(serial).await;
                }
                Ok(())
            }
            Opened::Ok(u) => {
                // An authenticated frame: the lock answers again.
                self.probes.heard(lock.id, now_ms);
                if let Some(back) = store.mark_responsive(lock.id, now_ms).await? {
                    tracing::info!(serial, "the lock answers again");
                    self.clear(&back, AlertKind::LockUnresponsive, now_ms)
                        .await?;
                }
                self.dispatch(&lock, *u, now_ms).await
            }
        }
    }

    async fn dispatch(&self, lock: &Lock, u: Uplink, now_ms: i64) -> Result<(), PlaneError> {
        match u {
            Uplink::Ack(a) => {
                if let Verdict::Refused(code) = a.verdict {
                    self.answered(lock, a.id.0, &OpOutcome::Refused(names::error_code(&code)))
                        .await?;
                }
                Ok(())
            }
            Uplink::Applied(a) => self.applied(lock, a.id.0, a.outcome, now_ms).await,
            Uplink::Status {
                status,
                clock_skew_s,
            } => self.status(lock, &status, clock_skew_s, now_ms).await,
            Uplink::Event(e) => self.event(lock, e, now_ms).await,
            Uplink::Log(batch) => self.log(lock, &batch, now_ms).await,
            Uplink::Statement(signed) => {
                self.challenges
                    .answered(&lock.serial, &signed.statement.challenge);
                tracing::debug!(
                    serial = lock.serial,
                    reset_counter = signed.statement.reset_counter,
                    setup_mode = signed.statement.setup_mode,
                    "the lock stated no reset"
                );
                Ok(())
            }
            Uplink::ResetDetected { reason, record } => {
                let record = record.map(|r| {
                    serde_json::json!({
                        "reset_counter": r.record.reset_counter,
                        "trigger": names::reset_trigger(r.record.trigger),
                        "time": r.record.time,
                        "last_seq": r.record.last_seq,
                        "log_digest": hex(&r.record.log_digest),
                    })
                });
                self.reset_detected(lock, reason, record, now_ms).await
            }
            other => {
                tracing::debug!(serial = lock.serial, uplink = ?other, "uplink ignored");
                Ok(())
            }
        }
    }

    async fn answered(
        &self,
        lock: &Lock,
        command_id: u64,
        outcome: &OpOutcome,
    ) -> Result<Option<(i64, OpName)>, PlaneError> {
        let store = &self.store;
        let Ok(cid) = i64::try_from(command_id) else {
            return Ok(None);
        };
        let Some((op, kind, _, request_id)) = store.op_by_command(lock.id, cid).await? else {
            return Ok(None);
        };
        let done = store
            .finish_operation_of_lock(op, lock.id, outcome, self.now_ms())
            .await?;
        if done {
            tracing::info!(
                serial = lock.serial,
                op,
                kind = kind.as_str(),
                request_id = request_id.as_deref().unwrap_or(""),
                outcome = outcome.label(),
                "operation answered by the lock"
            );
            // The lock's next operation (if any) can go now.
            self.wake.notify_one();
            self.ended.ended(op);
            self.forget_pin(op).await?;
            self.access_op_done(op).await?;
        }
        Ok(Some((op, kind)))
    }

    /// Forgets an ended operation's PIN: the in-memory copy, and the sealed
    /// copy in its params.
    pub(crate) async fn forget_pin(&self, op_id: i64) -> Result<(), PlaneError> {
        if let Some(mut params) = self.store.op_params(op_id).await? {
            if let Some(r) = params.get("pin_ref").and_then(|v| v.as_str()) {
                self.pins.forget(r);
            }
            if let Some(m) = params.as_object_mut() {
                if m.remove("pin_sealed").is_some() {
                    self.store.scrub_op_params(op_id, &params).await?;
                }
            }
        }
        Ok(())
    }

    async fn applied(
        &self,
        lock: &Lock,
        command_id: u64,
        outcome: Outcome,
        now_ms: i64,
    ) -> Result<(), PlaneError> {
        let store = &self.store;
        let Ok(cid) = i64::try_from(command_id) else {
            return Ok(());
        };
        let Some((op, kind, _, _)) = store.op_by_command(lock.id, cid).await? else {
            return Ok(());
        };
        match outcome {
            Outcome::Failed(code) => {
                self.answered(
                    lock,
                    command_id,
                    &OpOutcome::Failed(names::error_code(&code)),
                )
                .await?;
            }
            Outcome::Ok(CommandResult::ResetNonce(nonce)) if kind == OpName::ManufacturerReset => {
                self.send_reset_token(lock, op, nonce, now_ms).await?;
            }
            Outcome::Ok(CommandResult::SelfCheck(signed)) => {
                let report = self.verify_self_check(lock, op, &signed).await?;
                store.set_op_result(op, &report).await?;
                let yes = |k: &str| report.get(k).and_then(|v| v.as_bool()) == Some(true);
                let ok = yes("verified") && yes("challenge_ok");
                let outcome = if ok {
                    OpOutcome::Applied
                } else {
                    OpOutcome::Failed("self_check_unverified".into())
                };
                self.answered(lock, command_id, &outcome).await?;
            }
            Outcome::Ok(CommandResult::SlotDigests(page)) => {
                let digests: Vec<serde_json::Value> = page
                    .iter()
                    .map(|d| serde_json::json!({"user": d.user, "digest": hex(&d.digest)}))
                    .collect();
                store
                    .set_op_result(op, &serde_json::json!({ "digests": digests }))
                    .await?;
                self.answered(lock, command_id, &OpOutcome::Applied).await?;
            }
            Outcome::Ok(CommandResult::Capabilities(c)) => {
                // The hub plans slots with what each lock says it holds.
                let capacity = Capacity {
                    max_users: i64::from(c.max_users),
                    creds_per_user: i64::from(c.max_credentials_per_user),
                };
                store.set_capacity(lock.id, capacity).await?;
                store
                    .set_op_result(op, &serde_json::json!({ "capacity": capacity }))
                    .await?;
                self.answered(lock, command_id, &OpOutcome::Applied).await?;
            }
            Outcome::Ok(CommandResult::Settings(s)) => {
                self.settings_reported(lock, &s, now_ms).await?;
                self.answered(lock, command_id, &OpOutcome::Applied).await?;
            }
            Outcome::Ok(_) if matches!(kind, OpName::SetSettings | OpName::SetOperatingMode) => {
                self.answered(lock, command_id, &OpOutcome::Applied).await?;
                self.refresh_settings(lock, kind, now_ms).await?;
            }
            Outcome::Ok(_) => {
                self.answered(lock, command_id, &OpOutcome::Applied).await?;
            }
        }
        Ok(())
    }

    async fn verify_self_check(
        &self,
        lock: &Lock,
        op: i64,
        signed: &SignedSelfCheck,
    ) -> Result<serde_json::Value, PlaneError> {
        let store = &self.store;
        let factory = match store.get_binding(lock.id).await? {
            Some(b) => Binding::from_bytes(&b)
                .ok()
                .and_then(|b| b.factory_public()),
            None => None,
        };
        let verified = factory
            .and_then(|k| VerifyingKey::from_bytes(&k).ok())
            .is_some_and(|k| signed.verify(&k).is_ok());
        let params = store.op_params(op).await?.unwrap_or_default();
        let challenge_ok = params.get("challenge").and_then(|c| c.as_str())
            == Some(hex(&signed.report.challenge).as_str());
        let r = &signed.report;
        Ok(serde_json::json!({
            "verified": verified,
            "factory_key_known": factory.is_some(),
            "challenge_ok": challenge_ok,
            "serial_ok": r.serial.as_str() == lock.serial,
            "report": {
                "serial": r.serial.as_str(),
                "time": r.time,
                "reset_counter": r.reset_counter,
                "users": r.users,
                "credentials": r.credentials,
                "controllers": r.controllers,
                "setup_mode": r.setup_mode,
                "battery_percent": r.battery_percent,
                "motor_ok": r.motor_ok,
                "firmware": format!("{}.{}.{}", r.firmware.major, r.firmware.minor, r.firmware.patch),
            },
            "signature": hex(&signed.signature),
        }))
    }

    async fn send_reset_token(
        &self,
        lock: &Lock,
        op: i64,
        nonce: tumbler_control::proto::ResetNonce,
        now_ms: i64,
    ) -> Result<(), PlaneError> {
        let store = &self.store;
        let Some(key) = self.manufacturer.clone() else {
            store
                .fail_operation(op, "manufacturer_key_missing", now_ms)
                .await?;
            return Ok(());
        };
        let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
        let token = match issue_reset_token(&key, &lock.serial, nonce, now_s, RESET_TOKEN_TTL_S) {
            Ok(t) => t,
            Err(e) => {
                store
                    .fail_operation(op, &format!("token: {e}"), now_ms)
                    .await?;
                return Ok(());
            }
        };
        let cmd = match (OpKind::ManufacturerReset { token }).to_command(now_s) {
            Ok(c) => c,
            Err(e) => {
                store
                    .fail_operation(op, &format!("command: {e:?}"), now_ms)
                    .await?;
                return Ok(());
            }
        };
        let frame = self.seal(lock.id, Some(op), cmd, None).await?;
        match frame {
            Ok(f) => self.publish_sealed(&lock.serial, f).await,
            Err(code) => {
                store.fail_operation(op, &code, now_ms).await?;
                Ok(())
            }
        }
    }

    /// Seals `cmd` with the lock's binding (new command id, or `reseal`
    /// under `reuse`), persisting the binding and the operation's command id
    /// before returning the frame. `Err(code)` when it cannot be sealed.
    pub(crate) async fn seal(
        &self,
        lock_id: i64,
        op: Option<i64>,
        cmd: Command,
        reuse: Option<i64>,
    ) -> Result<Result<Vec<u8>, String>, PlaneError> {
        let now = self.now_ms();
        let r = self
            .store
            .seal_with_binding(lock_id, op, now, |bytes| {
                let mut b = match Binding::from_bytes(bytes) {
                    Ok(b) => b,
                    Err(e) => return (None, None, Err(format!("binding_unreadable: {e}"))),
                };
                let sealed = match reuse.and_then(|id| u64::try_from(id).ok()) {
                    Some(id) => b
                        .reseal(tumbler_control::proto::CommandId(id), cmd)
                        .map(|f| (id, f)),
                    None => b.seal_command(cmd).map(|(id, f)| (id.0, f)),
                };
                match sealed {
                    Ok((id, frame)) => match (b.to_bytes(), i64::try_from(id)) {
                        (Ok(bytes), Ok(id)) => (Some(bytes.to_vec()), Some(id), Ok(frame)),
                        _ => (None, None, Err("binding_unwritable".into())),
                    },
                    Err(tumbler_control::SealCommandError::Stale) => {
                        (None, None, Err("binding_stale".into()))
                    }
                    Err(e) => (None, None, Err(format!("seal: {e}"))),
                }
            })
            .await?;
        Ok(r.unwrap_or_else(|| Err("no_binding".into())))
    }

    async fn status(
        &self,
        lock: &Lock,
        s: &Status,
        skew: i64,
        now_ms: i64,
    ) -> Result<(), PlaneError> {
        let rec = StatusRecord {
            battery_pct: i64::from(s.battery_percent.min(100)),
            bolt: bolt(s.bolt).into(),
            door: door(s.door).into(),
            mode: names::operating_mode(s.mode).to_owned(),
            setup_mode: s.setup_mode,
            firmware: format!(
                "{}.{}.{}",
                s.firmware.major, s.firmware.minor, s.firmware.patch
            ),
            credential_version: i64::from(s.credentials.version),
            credential_digest: hex(&s.credentials.digest),
            clock_skew_s: skew,
            reset_counter: i64::from(s.reset_counter),
        };
        let Some(after) = self.store.record_status(lock.id, &rec, now_ms).await? else {
            return Ok(());
        };
        self.battery_level(lock, rec.battery_pct, now_ms).await?;
        let drifted = skew.abs() > CLOCK_DRIFT_ALERT_S;
        let was = lock
            .telemetry
            .clock_skew_s
            .is_some_and(|k| k.abs() > CLOCK_DRIFT_ALERT_S);
        if drifted && !was {
            let msg = format!("the lock's clock is off by {skew} s");
            self.raise(lock, AlertKind::ClockDrift, Some(&msg), now_ms)
                .await?;
        }
        if rec.bolt == "jammed" && lock.telemetry.bolt.as_deref() != Some("jammed") {
            tracing::info!(serial = after.serial, "bolt jammed (status)");
        }
        Ok(())
    }

    async fn event(&self, lock: &Lock, e: Event, now_ms: i64) -> Result<(), PlaneError> {
        if let Event::Alarm { code, .. } = e {
            if let Some(kind) = super::alerts::for_alarm(code) {
                self.raise(lock, kind, None, now_ms).await?;
            }
        }
        Ok(())
    }

    async fn log(&self, lock: &Lock, batch: &LogBatch, now_ms: i64) -> Result<(), PlaneError> {
        let store = &self.store;
        let mut cursor: LogCursor = store
            .log_cursor(lock.id)
            .await?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let out = cursor.ingest(batch);
        for a in &out.accepted {
            let r = &a.record;
            let seq = (lock.log_epoch << 32) | i64::from(u32::try_from(r.seq).unwrap_or(u32::MAX));
            let what = serde_json::to_value(r.what).unwrap_or_default();
            let mut data = serde_json::json!({
                "lock_seq": r.seq,
                "log_epoch": lock.log_epoch,
                "who": serde_json::to_value(r.who).unwrap_or_default(),
                "what": what,
                "how": serde_json::to_value(r.how).unwrap_or_default(),
                "result": serde_json::to_value(r.result).unwrap_or_default(),
                "chained": a.chained,
            });
            // An offline code is named by the record the hub issued it under.
            if let Actor::OfflineCode(code_id) = r.who {
                if let Some(c) = store.offline_code_by_lock_id(lock.id, code_id).await? {
                    if let Some(m) = data.as_object_mut() {
                        m.insert(
                            "offline_code".into(),
                            serde_json::json!({ "id": c.id, "label": c.label }),
                        );
                    }
                }
            }
            let at = i64::try_from(r.time).unwrap_or(0).saturating_mul(1000);
            self.ingest_event(&lock.serial, seq, names::action(r.what), at, &data)
                .await?;
        }
        for issue in &out.issues {
            let (kind, msg) = match issue {
                LogIssue::Gap(r) => (
                    AlertKind::LogGap,
                    format!("audit records {}..={} missing", r.first, r.last),
                ),
                LogIssue::Lost(r) => (
                    AlertKind::LogLost,
                    format!(
                        "the lock lost audit records {}..={} (ring overflow)",
                        r.first, r.last
                    ),
                ),
                LogIssue::Abandoned(r) => (
                    AlertKind::LogGap,
                    format!("audit records {}..={} are gone", r.first, r.last),
                ),
                LogIssue::ChainBreak { seq } => (
                    AlertKind::LogChainBreak,
                    format!("audit record {seq} does not chain from its predecessor"),
                ),
                LogIssue::Conflict { seq } => (
                    AlertKind::LogConflict,
                    format!("two different audit records with sequence number {seq}"),
                ),
                _ => continue,
            };
            self.raise(lock, kind, Some(&msg), now_ms).await?;
        }
        if let Ok(json) = serde_json::to_string(&cursor) {
            store.save_log_cursor(lock.id, &json).await?;
        }
        if let Some(from) = out.fetch_from {
            self.fetch_missing(lock, from, now_ms).await?;
        }
        if let Some(up_to) = out.ack_up_to {
            // Records are stored above; only now may the lock forget them.
            let cmd = Command::LogAck { up_to_seq: up_to };
            if let Ok(frame) = self.seal(lock.id, None, cmd, None).await? {
                match self.publish_sealed(&lock.serial, frame).await {
                    Ok(()) | Err(PlaneError::LinkUnavailable) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// A hole in the lock's log (a frame lost in the broker, or opened by a
    /// hub that died before storing it): ask the lock for its records from
    /// `from` again, once at a time per lock. The lock keeps records until
    /// they are acknowledged, and duplicates are dropped by sequence number.
    async fn fetch_missing(&self, lock: &Lock, from: u64, now_ms: i64) -> Result<(), PlaneError> {
        let store = &self.store;
        let Some(org_id) = lock.org_id else {
            return Ok(());
        };
        if lock.claim_state != ClaimState::Claimed
            || store.has_open_op(lock.id, "log_fetch").await?
        {
            return Ok(());
        }
        let op = serde_json::to_value(OpKind::LogFetch { from_seq: from }).map_err(|e| {
            PlaneError::Invalid {
                field: "log_fetch",
                reason: e.to_string(),
            }
        })?;
        store
            .enqueue_operation(
                NewOperation {
                    org_id,
                    lock_id: lock.id,
                    kind: OpName::LogFetch,
                    params: &serde_json::json!({ "op": op }),
                    max_attempts: crate::store::operations::DEFAULT_MAX_ATTEMPTS,
                    created_by: None,
                },
                now_ms,
            )
            .await?;
        self.wake.notify_one();
        tracing::info!(
            serial = lock.serial,
            from,
            "audit log hole: records asked for again"
        );
        Ok(())
    }
}
