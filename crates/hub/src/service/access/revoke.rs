//! Revoking a person, or everyone except the owners, on every door.

use super::*;

impl Service {
    pub(super) fn revoke_change(d: &DoorAccess) -> Result<DraftDoor<'static>, ServiceError> {
        let user = u16::try_from(d.slot).map_err(|_| invalid("slot", "out of range"))?;
        let ops = vec![
            op(&access::plan_revoke(user)).map_err(|e| invalid("request", e))?,
            op(&access::plan_digest_read(user)).map_err(|e| invalid("request", e))?,
        ];
        Ok(DraftDoor::Planned(DoorChange::Revoke {
            door_access_id: d.id,
            ops,
        }))
    }

    /// Removes a person from doors (all of them when `lock_ids` is `None`:
    /// the tenant moves out) (owners, managers).
    pub async fn revoke_person(
        &self,
        p: &Principal,
        person_id: i64,
        lock_ids: Option<Vec<i64>>,
    ) -> Result<AccessOutcome, ServiceError> {
        self.require(p, ADMINS)?;
        self.own_person(p, person_id).await?;
        let store = &self.store;
        let rows: Vec<DoorAccess> = store
            .doors_of_person(person_id)
            .await?
            .into_iter()
            .filter(|d| d.state != DoorState::Removed)
            .filter(|d| lock_ids.as_ref().is_none_or(|ids| ids.contains(&d.lock_id)))
            .collect();
        if let Some(ids) = &lock_ids {
            for id in ids {
                self.own_lock(p, *id).await?;
                if !rows.iter().any(|d| d.lock_id == *id) {
                    return Err(invalid("lock_ids", format!("no access on lock {id}")));
                }
            }
        }
        if rows.is_empty() {
            return Err(ServiceError::WrongState(
                "this person has no access to revoke".into(),
            ));
        }
        let doors = rows
            .iter()
            .map(Self::revoke_change)
            .collect::<Result<Vec<_>, _>>()?;
        let revoke_credentials = if lock_ids.is_none() {
            store
                .person_credentials(person_id)
                .await?
                .into_iter()
                .filter(|c| c.revoked_at.is_none())
                .map(|c| c.id)
                .collect()
        } else {
            Vec::new()
        };
        let plan = Draft {
            org_id: p.org_id,
            created_by: Some(p.account_id),
            kind: ChangeKind::Revoke,
            new_credentials: Vec::new(),
            doors,
            revoke_credentials,
        };
        self.finish(p, plan, Vec::new()).await
    }

    /// Security scare: removes everyone but the owners from every door of
    /// the organisation (owners only).
    pub async fn revoke_all_except_owners(
        &self,
        p: &Principal,
    ) -> Result<AccessOutcome, ServiceError> {
        self.require(p, OWNERS)?;
        let store = &self.store;
        let mut doors = Vec::new();
        let mut revoke_credentials = Vec::new();
        for person in store.list_people(p.org_id).await? {
            if person.owner {
                continue;
            }
            for d in store.doors_of_person(person.id).await? {
                if d.state != DoorState::Removed {
                    doors.push(Self::revoke_change(&d)?);
                }
            }
            revoke_credentials.extend(
                store
                    .person_credentials(person.id)
                    .await?
                    .into_iter()
                    .filter(|c| c.revoked_at.is_none())
                    .map(|c| c.id),
            );
        }
        let plan = Draft {
            org_id: p.org_id,
            created_by: Some(p.account_id),
            kind: ChangeKind::RevokeAllExceptOwners,
            new_credentials: Vec::new(),
            doors,
            revoke_credentials,
        };
        self.finish(p, plan, Vec::new()).await
    }
}
