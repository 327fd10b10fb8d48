//! Codes for stays (rentals): a guest person with one PIN on a listing's doors
//! for a local date range, moved to new dates with the PIN kept, or revoked.
//! Called by the rentals use cases for the organisation whose feed changed
//! (the change is the hub's own: no account made it, `created_by` is empty).

use super::*;
use crate::model::ClaimState;

/// A guest code just put on its way to the doors.
#[derive(Debug)]
pub(crate) struct StayCode {
    /// The batch that carries it.
    pub batch_id: i64,
    /// The guest.
    pub person_id: i64,
    /// The PIN (the caller seals or shows it; never logged).
    pub pin: SecretPin,
}

impl Service {
    async fn stay_locks(&self, org_id: i64, lock_ids: &[i64]) -> Result<Vec<Lock>, ServiceError> {
        let mut out = Vec::with_capacity(lock_ids.len());
        for id in lock_ids {
            let lock = self
                .store
                .get_lock(org_id, *id)
                .await?
                .ok_or(ServiceError::Missing {
                    what: "lock",
                    id: *id,
                })?;
            if lock.claim_state != ClaimState::Claimed {
                return Err(ServiceError::WrongState(format!(
                    "lock {} is {}; re-claim it first",
                    lock.id, lock.claim_state
                )));
            }
            out.push(lock);
        }
        Ok(out)
    }

    /// A PIN for a stay: `preferred` (the phone's last digits) when the PIN
    /// rules take it and nobody else holds it on these doors, else generated.
    async fn stay_pin(
        &self,
        org_id: i64,
        lock_ids: &[i64],
        preferred: Option<SecretPin>,
    ) -> Result<(SecretPin, Option<String>), ServiceError> {
        let policy = PinPolicy::DEFAULT;
        let mut candidate = preferred.filter(|p| policy.check(p.expose()).is_ok());
        for _ in 0..8 {
            let pin = match candidate.take() {
                Some(p) => p,
                None => policy.generate(6, &mut rng()?),
            };
            let tag = self.store.pin_tag(org_id, pin.expose().as_bytes());
            let clash = match &tag {
                Some(t) => {
                    self.store
                        .pin_tag_on_locks(org_id, t, None, lock_ids)
                        .await?
                }
                None => None,
            };
            if clash.is_none() {
                return Ok((pin, tag));
            }
        }
        Err(ServiceError::WrongState(
            "no free PIN for this stay on these doors".into(),
        ))
    }

    /// Puts a new guest with one PIN on `lock_ids` from `from` to `to`
    /// (local date-times in `zone`).
    pub(crate) async fn grant_stay(
        &self,
        org_id: i64,
        guest: &str,
        lock_ids: &[i64],
        schedule: AccessSchedule,
        zone: &str,
        preferred: Option<SecretPin>,
    ) -> Result<StayCode, ServiceError> {
        let locks = self.stay_locks(org_id, lock_ids).await?;
        let now = self.now_ms();
        let compiled = schedule
            .compile(zone, now / 1000)
            .map_err(|e| crate::service::refused("schedule", e.to_string()))?;
        let (pin, pin_tag) = self.stay_pin(org_id, lock_ids, preferred).await?;
        let name = check_name("name", guest)?;
        let person = self.store.create_person(org_id, &name, false, now).await?;
        let mut doors = Vec::with_capacity(locks.len());
        for lock in &locks {
            let payloads = vec![(CredentialKind::Pin, self.pin_payload(lock.id, &pin)?)];
            let (name, compiled) = (name.clone(), compiled.clone());
            doors.push(DraftDoor::Grant {
                person_id: person.id,
                lock_id: lock.id,
                schedule: serde_json::to_value(&schedule)
                    .map_err(|e| crate::service::refused("schedule", e.to_string()))?,
                credentials: vec![0],
                capacity: lock.capacity(),
                ops: Box::new(move |slot, placed, fresh| {
                    Self::grant_ops(slot, &name, &compiled, placed, &payloads, fresh)
                }),
            });
        }
        let draft = Draft {
            org_id,
            created_by: None,
            kind: ChangeKind::Grant,
            new_credentials: vec![NewCredential {
                person_id: person.id,
                kind: CredentialKind::Pin,
                label: Some("stay code".into()),
                data: None,
                pin_tag,
                existing_id: None,
            }],
            doors,
            revoke_credentials: Vec::new(),
        };
        let applied = self.apply_planned(&draft).await?;
        self.plane.wake();
        tracing::info!(
            org = org_id,
            batch = applied.batch_id,
            person = person.id,
            "stay code queued"
        );
        Ok(StayCode {
            batch_id: applied.batch_id,
            person_id: person.id,
            pin,
        })
    }

    /// Moves a guest's window on every door they are on; the PIN stays.
    /// `None` when they are on no door any more.
    pub(crate) async fn retime_stay(
        &self,
        org_id: i64,
        person_id: i64,
        schedule: AccessSchedule,
        zone: &str,
    ) -> Result<Option<i64>, ServiceError> {
        let person =
            self.store
                .get_person(org_id, person_id)
                .await?
                .ok_or(ServiceError::Missing {
                    what: "person",
                    id: person_id,
                })?;
        let compiled = schedule
            .compile(zone, self.now_ms() / 1000)
            .map_err(|e| crate::service::refused("schedule", e.to_string()))?;
        let rows: Vec<DoorAccess> = self
            .store
            .doors_of_person(person_id)
            .await?
            .into_iter()
            .filter(|d| d.state != DoorState::Removed && d.state != DoorState::Removing)
            .collect();
        if rows.is_empty() {
            return Ok(None);
        }
        let mut doors = Vec::with_capacity(rows.len());
        for d in &rows {
            let lock =
                self.store
                    .get_lock(org_id, d.lock_id)
                    .await?
                    .ok_or(ServiceError::Missing {
                        what: "lock",
                        id: d.lock_id,
                    })?;
            let (name, compiled) = (person.name.clone(), compiled.clone());
            doors.push(DraftDoor::Grant {
                person_id,
                lock_id: d.lock_id,
                schedule: serde_json::to_value(&schedule)
                    .map_err(|e| crate::service::refused("schedule", e.to_string()))?,
                credentials: Vec::new(),
                capacity: lock.capacity(),
                // The user's record and windows again (not fresh: old windows
                // cleared), credentials untouched, then the digest read.
                ops: Box::new(move |slot, _placed, _fresh| {
                    let user = u16::try_from(slot).map_err(|_| "slot out of range".to_owned())?;
                    let mut ops = Vec::new();
                    for k in access::plan_user(user, &name, &compiled, false) {
                        ops.push(op(&k)?);
                    }
                    ops.push(op(&access::plan_digest_read(user))?);
                    Ok(ops)
                }),
            });
        }
        let draft = Draft {
            org_id,
            created_by: None,
            kind: ChangeKind::Retime,
            new_credentials: Vec::new(),
            doors,
            revoke_credentials: Vec::new(),
        };
        let applied = self.apply_planned(&draft).await?;
        self.plane.wake();
        Ok(Some(applied.batch_id))
    }

    /// Removes a guest from every door and revokes their PIN. `None` when
    /// there was nothing left to remove.
    pub(crate) async fn revoke_stay(
        &self,
        org_id: i64,
        person_id: i64,
    ) -> Result<Option<i64>, ServiceError> {
        let rows: Vec<DoorAccess> = self
            .store
            .doors_of_person(person_id)
            .await?
            .into_iter()
            .filter(|d| d.state != DoorState::Removed)
            .collect();
        if rows.is_empty() {
            return Ok(None);
        }
        let doors = rows
            .iter()
            .map(Self::revoke_change)
            .collect::<Result<Vec<_>, _>>()?;
        let revoke_credentials = self
            .store
            .person_credentials(person_id)
            .await?
            .into_iter()
            .filter(|c| c.revoked_at.is_none())
            .map(|c| c.id)
            .collect();
        let draft = Draft {
            org_id,
            created_by: None,
            kind: ChangeKind::Revoke,
            new_credentials: Vec::new(),
            doors,
            revoke_credentials,
        };
        let applied = self.apply_planned(&draft).await?;
        self.plane.wake();
        Ok(Some(applied.batch_id))
    }
}
