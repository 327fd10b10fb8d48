//! Per-door delivery state, derived from the operations of each change and
//! confirmed by the lock's slot digests; verification reports settled from
//! a lock's signed self-check. Called whenever an operation ends.

use tumbler_control::access::{self, DoorState, ExpectedSlot, SelfCheckFacts, VerificationInput};

use super::{LockPlane, PlaneError};
use crate::model::Lock;
use crate::model::{OpName, OpState, VerificationState};
use crate::store::access::DoorAccess;
use crate::store::plane::{hex, unhex};
use tumbler_control::proto::SlotDigest;

impl LockPlane {
    /// The IANA zone of a lock's site (UTC without a site).
    pub(crate) async fn zone_of(&self, lock: &Lock) -> Result<String, PlaneError> {
        let site = match lock.site_id {
            Some(s) => self.store.get_site(lock.org_id.unwrap_or(-1), s).await?,
            None => None,
        };
        Ok(site.map_or_else(|| "UTC".to_owned(), |s| s.time_zone))
    }
    /// Called when an operation ended (any path): updates the door or the
    /// verification it belongs to.
    pub(crate) async fn access_op_done(&self, op_id: i64) -> Result<(), PlaneError> {
        let store = &self.store;
        let (door, _gen, verification) = store.op_access_ref(op_id).await?;
        if let Some(d) = door {
            if let Some(row) = store.get_door(d).await? {
                self.reconcile_door(row).await?;
            }
        }
        if let Some(v) = verification {
            let org = store.op_org(op_id).await?.unwrap_or_default();
            self.settle_verification(v, org).await?;
        }
        Ok(())
    }

    /// After a reset of a lock: every person on it is marked removed
    /// (`lock_reset`), and the counter before the reset is kept for the
    /// verification report.
    pub(crate) async fn access_lock_reset(
        &self,
        lock_id: i64,
        pre_reset_counter: Option<i64>,
    ) -> Result<(), PlaneError> {
        let n = self
            .store
            .doors_reset(lock_id, pre_reset_counter, self.now_ms())
            .await?;
        if n > 0 {
            tracing::info!(
                lock = lock_id,
                people = n,
                "lock reset: access on it marked removed"
            );
        }
        Ok(())
    }

    /// Derives a person-on-door row's state from the operations of its
    /// current change, stores it if it changed, and returns the row.
    pub async fn reconcile_door(&self, d: DoorAccess) -> Result<DoorAccess, PlaneError> {
        let state = d.state;
        if state.is_settled() && state != DoorState::Failed {
            return Ok(d);
        }
        let store = &self.store;
        let ops = store.door_ops(d.id, d.gen).await?;
        if ops.is_empty() {
            return Ok(d);
        }
        let removing =
            state == DoorState::Removing || ops.iter().any(|o| o.kind == OpName::ClearUser);
        let now = self.now_ms();
        let failed = ops.iter().find(|o| {
            (o.state == OpState::Failed || o.state == OpState::Refused)
                && !matches!(o.error.as_deref(), Some("cancelled" | "superseded"))
        });
        let digest_op = ops.iter().rev().find(|o| o.kind == OpName::GetSlotDigests);
        let (new_state, error, digest): (DoorState, Option<String>, Option<String>) =
            if let Some(f) = failed {
                let code = f.error.clone().unwrap_or_else(|| "failed".into());
                store.cancel_door_ops(d.id, d.gen, now).await?;
                if f.kind == OpName::SetCredential {
                    if let Some(cid) = f.params.get("credential_id").and_then(|v| v.as_i64()) {
                        for dc in store.door_credentials(d.id).await? {
                            if dc.credential_id == cid {
                                store
                                    .set_door_credential_state(
                                        dc.id,
                                        DoorState::Failed,
                                        Some(&code),
                                        now,
                                    )
                                    .await?;
                            }
                        }
                    }
                }
                (DoorState::Failed, Some(code), None)
            } else if let Some(o) = digest_op.filter(|o| o.state == OpState::Applied) {
                let slot = u16::try_from(d.slot).unwrap_or(0);
                let after = o.result.as_ref().and_then(|r| digest_in_result(r, slot));
                match after {
                    None => (DoorState::Failed, Some("digest_missing".into()), None),
                    Some(after) if removing => {
                        if access::confirm_removed(after) {
                            (DoorState::Removed, None, None)
                        } else {
                            (
                                DoorState::Failed,
                                Some("still_present".into()),
                                Some(hex(&after)),
                            )
                        }
                    }
                    Some(after) => {
                        let before = d
                            .digest_before
                            .as_deref()
                            .and_then(|h| unhex(h).ok())
                            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
                        if access::confirm_set(before, after) {
                            (DoorState::Set, None, Some(hex(&after)))
                        } else {
                            (
                                DoorState::Failed,
                                Some("digest_unchanged".into()),
                                Some(hex(&after)),
                            )
                        }
                    }
                }
            } else if ops.iter().any(|o| o.state != OpState::Pending) {
                (
                    if removing {
                        DoorState::Removing
                    } else {
                        DoorState::Setting
                    },
                    None,
                    None,
                )
            } else {
                (
                    if removing {
                        DoorState::Removing
                    } else {
                        DoorState::Pending
                    },
                    None,
                    None,
                )
            };
        if new_state == d.state && error == d.error {
            return Ok(d);
        }
        let changed = store
            .set_door_state(
                d.id,
                d.gen,
                new_state,
                error.as_deref(),
                digest.as_deref(),
                now,
            )
            .await?;
        if changed {
            match new_state {
                DoorState::Set => {
                    store
                        .set_door_credentials_state(
                            d.id,
                            &[DoorState::Pending, DoorState::Setting],
                            DoorState::Set,
                            None,
                            now,
                        )
                        .await?
                }
                DoorState::Setting => {
                    store
                        .set_door_credentials_state(
                            d.id,
                            &[DoorState::Pending],
                            DoorState::Setting,
                            None,
                            now,
                        )
                        .await?
                }
                DoorState::Removed => {
                    store
                        .set_door_credentials_state(
                            d.id,
                            &[
                                DoorState::Pending,
                                DoorState::Setting,
                                DoorState::Set,
                                DoorState::Removing,
                                DoorState::Failed,
                            ],
                            DoorState::Removed,
                            None,
                            now,
                        )
                        .await?
                }
                DoorState::Failed => {
                    store
                        .set_door_credentials_state(
                            d.id,
                            &[DoorState::Pending, DoorState::Setting, DoorState::Removing],
                            DoorState::Failed,
                            error.as_deref(),
                            now,
                        )
                        .await?
                }
                _ => {}
            }
            tracing::info!(door = d.id, state = new_state.as_str(), error = ?error, "door access");
        }
        Ok(store.get_door(d.id).await?.unwrap_or(d))
    }

    /// Settles a verification report once its self-check answered.
    pub(crate) async fn settle_verification(&self, id: i64, org_id: i64) -> Result<(), PlaneError> {
        let store = &self.store;
        let Some(v) = store.get_verification(org_id, id).await? else {
            return Ok(());
        };
        if v.state != VerificationState::Running {
            return Ok(());
        }
        let ops = store.verification_ops(id).await?;
        if ops
            .iter()
            .any(|o| o.state == OpState::Pending || o.state == OpState::Sent)
        {
            return Ok(());
        }
        let now = self.now_ms();
        let failed_digest = ops
            .iter()
            .find(|o| o.kind == OpName::GetSlotDigests && o.state != OpState::Applied);
        if let Some(f) = failed_digest {
            let e = format!(
                "reading the slot digests failed: {}",
                f.error.as_deref().unwrap_or(f.state.as_str())
            );
            store
                .finish_verification(id, VerificationState::Failed, None, Some(&e), now)
                .await?;
            return Ok(());
        }
        let Some(lock) = store.get_lock(org_id, v.lock_id).await? else {
            return Ok(());
        };
        let zone = self.zone_of(&lock).await?;
        let self_check = ops
            .iter()
            .find(|o| o.kind == OpName::SelfCheck)
            .and_then(|o| o.result.as_ref())
            .and_then(facts);
        let mut observed = Vec::new();
        for o in ops.iter().filter(|o| o.kind == OpName::GetSlotDigests) {
            if let Some(list) = o.result.as_ref().and_then(|r| r.get("digests")) {
                for e in list.as_array().into_iter().flatten() {
                    let user = e.get("user").and_then(|u| u.as_u64());
                    let digest = e
                        .get("digest")
                        .and_then(|d| d.as_str())
                        .and_then(|h| unhex(h).ok())
                        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
                    if let (Some(u), Some(dg)) = (user.and_then(|u| u16::try_from(u).ok()), digest)
                    {
                        if !observed.iter().any(|s: &SlotDigest| s.user == u) {
                            observed.push(SlotDigest {
                                user: u,
                                digest: dg,
                            });
                        }
                    }
                }
            }
        }
        let mut expected = Vec::new();
        let mut removed_people = Vec::new();
        for d in store.doors_of_lock(lock.id).await? {
            let d = self.reconcile_door(d).await?;
            let name = store
                .get_person(org_id, d.person_id)
                .await?
                .map(|x| x.name)
                .unwrap_or_else(|| format!("person {}", d.person_id));
            match d.state {
                DoorState::Removed => {
                    if !removed_people.contains(&name) {
                        removed_people.push(name);
                    }
                }
                _ => expected.push(ExpectedSlot {
                    slot: u16::try_from(d.slot).unwrap_or(0),
                    person: name,
                    recorded_digest: d
                        .digest
                        .as_deref()
                        .and_then(|h| unhex(h).ok())
                        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()),
                }),
            }
        }
        removed_people.retain(|n| !expected.iter().any(|e| &e.person == n));
        let input = VerificationInput {
            serial: lock.serial.clone(),
            lock_label: lock.name.clone(),
            zone,
            generated_at_utc: now / 1000,
            previous_reset_counter: v.previous_reset_counter.and_then(|c| u32::try_from(c).ok()),
            self_check,
            expected,
            removed_people,
            observed,
            max_users: u16::try_from(lock.capacity().max_users).unwrap_or(u16::MAX),
        };
        let report = access::verify(&input);
        let json =
            serde_json::to_value(&report).map_err(|e| super::invalid("report", e.to_string()))?;
        store
            .finish_verification(id, VerificationState::Done, Some(&json), None, now)
            .await?;
        tracing::info!(
            verification = id,
            passed = report.passed,
            "verification report ready"
        );
        Ok(())
    }
}

/// The self-check facts from a `self_check` operation's stored result.
fn facts(r: &serde_json::Value) -> Option<SelfCheckFacts> {
    let rep = r.get("report")?;
    let b = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_bool()).unwrap_or(false);
    let n = |k: &str| rep.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
    Some(SelfCheckFacts {
        verified: b(r, "verified") && b(r, "serial_ok"),
        challenge_ok: b(r, "challenge_ok"),
        reset_counter: u32::try_from(n("reset_counter")).ok()?,
        users: u16::try_from(n("users")).ok()?,
        credentials: u16::try_from(n("credentials")).ok()?,
        controllers: u8::try_from(n("controllers")).ok()?,
        setup_mode: b(rep, "setup_mode"),
        battery_percent: u8::try_from(n("battery_percent")).ok()?,
        motor_ok: b(rep, "motor_ok"),
    })
}

/// The digest of `slot` in a stored `get_slot_digests` result.
fn digest_in_result(r: &serde_json::Value, slot: u16) -> Option<[u8; 32]> {
    r.get("digests")?
        .as_array()?
        .iter()
        .find(|e| e.get("user").and_then(|u| u.as_u64()) == Some(u64::from(slot)))
        .and_then(|e| e.get("digest")?.as_str().map(str::to_owned))
        .and_then(|h| unhex(&h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
}
