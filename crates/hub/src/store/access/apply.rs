//! One change of access over many doors, written in one transaction with
//! the operations that carry it; slots allocated under the lock row's
//! write lock.

use super::*;

impl Store {
    pub(super) async fn write_lock_row(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        lock_id: i64,
    ) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => self.take_write_lock(tx, lock_id).await,
            Backend::Postgres => {
                sqlx::query("SELECT id FROM locks WHERE id = $1 FOR UPDATE")
                    .bind(lock_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                Ok(())
            }
        }
    }

    pub(super) async fn insert_ops(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        ctx: &OpCtx<'_>,
        lock_id: i64,
        door: i64,
        gen: i64,
        ops: &[PlannedOp],
    ) -> Result<(), PlanError> {
        for op in ops {
            let mut params = op.params.clone();
            if let Some(k) = op.credential_ref {
                let id = ctx
                    .credential_ids
                    .get(k)
                    .ok_or_else(|| PlanError::Ops("credential ref out of range".into()))?;
                if let Some(m) = params.as_object_mut() {
                    m.insert("credential_id".into(), (*id).into());
                }
            }
            sqlx::query(
                "INSERT INTO operations (org_id, lock_id, kind, params, state, attempts, max_attempts, \
                 created_by, created_at, updated_at, access_door, access_gen) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $7, $8, $9)",
            )
            .bind(ctx.org_id)
            .bind(lock_id)
            .bind(op.kind.as_str())
            .bind(params.to_string())
            .bind(crate::store::operations::DEFAULT_MAX_ATTEMPTS)
            .bind(ctx.created_by)
            .bind(ctx.now)
            .bind(door)
            .bind(gen)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Applies a change of access in one transaction: the batch, new
    /// credentials, person-on-door rows (slots allocated here, under each
    /// lock's write lock), door credentials and every operation.
    pub async fn apply_access(&self, plan: AccessPlan<'_>, now: i64) -> Result<Applied, PlanError> {
        let mut tx = self.pool.begin().await?;
        let batch: i64 = {
            let r = sqlx::query(
                "INSERT INTO batches (org_id, kind, created_by, created_at) VALUES ($1, $2, $3, $4) \
                 RETURNING id",
            )
            .bind(plan.org_id)
            .bind(plan.kind.as_str())
            .bind(plan.created_by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            col(&r, "id")?
        };
        let mut credential_ids = Vec::with_capacity(plan.new_credentials.len());
        for c in &plan.new_credentials {
            if let Some(id) = c.existing_id {
                credential_ids.push(id);
                continue;
            }
            let r = sqlx::query(
                "INSERT INTO credentials (org_id, person_id, kind, label, data, pin_tag, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(plan.org_id)
            .bind(c.person_id)
            .bind(c.kind.name())
            .bind(&c.label)
            .bind(&c.data)
            .bind(&c.pin_tag)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            credential_ids.push(col::<i64>(&r, "id")?);
        }
        let ctx = OpCtx {
            org_id: plan.org_id,
            created_by: plan.created_by,
            credential_ids: &credential_ids,
            now,
        };
        for id in &plan.revoke_credentials {
            sqlx::query(
                "UPDATE credentials SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let mut doors = Vec::with_capacity(plan.doors.len());
        for change in &plan.doors {
            match change {
                DoorChange::Grant {
                    person_id,
                    lock_id,
                    schedule,
                    credentials,
                    capacity,
                    ops,
                } => {
                    self.write_lock_row(&mut tx, *lock_id).await?;
                    let existing = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {DOOR_COLS} FROM door_access WHERE lock_id = $1 AND person_id = $2 \
                         AND state <> 'removed' ORDER BY id DESC LIMIT 1"
                    )))
                    .bind(lock_id)
                    .bind(person_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .as_ref()
                    .map(door_row)
                    .transpose()?;
                    let fresh = existing.is_none();
                    let (door, gen, slot) = match existing {
                        Some(d) => {
                            let gen = d.gen + 1;
                            sqlx::query(
                                "UPDATE door_access SET schedule = $2, state = 'pending', error = NULL, \
                                 digest_before = digest, gen = $3, batch_id = $4, updated_at = $5 \
                                 WHERE id = $1",
                            )
                            .bind(d.id)
                            .bind(schedule.to_string())
                            .bind(gen)
                            .bind(batch)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                            // Credentials already there are sent again with this change.
                            sqlx::query(
                                "UPDATE door_credentials SET state = 'pending', error = NULL, \
                                 updated_at = $2 WHERE door_access_id = $1 AND state <> 'removed'",
                            )
                            .bind(d.id)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                            (d.id, gen, d.slot)
                        }
                        None => {
                            let used: Vec<i64> = sqlx::query(
                                "SELECT slot FROM door_access WHERE lock_id = $1 AND state <> 'removed'",
                            )
                            .bind(lock_id)
                            .fetch_all(&mut *tx)
                            .await?
                            .iter()
                            .map(|r| col(r, "slot"))
                            .collect::<Result<_, _>>()?;
                            let slot = lowest_free(&used, 1, capacity.max_users + 1)
                                .ok_or(PlanError::NoFreeSlot(*lock_id))?;
                            let r = sqlx::query(
                                "INSERT INTO door_access (org_id, person_id, lock_id, slot, schedule, \
                                 state, gen, batch_id, updated_at) \
                                 VALUES ($1, $2, $3, $4, $5, 'pending', 1, $6, $7) RETURNING id",
                            )
                            .bind(plan.org_id)
                            .bind(person_id)
                            .bind(lock_id)
                            .bind(slot)
                            .bind(schedule.to_string())
                            .bind(batch)
                            .bind(now)
                            .fetch_one(&mut *tx)
                            .await?;
                            (col::<i64>(&r, "id")?, 1, slot)
                        }
                    };
                    // Existing live credentials of this person on this door:
                    // the per-user slot positions already taken.
                    let taken: Vec<i64> = sqlx::query(
                        "SELECT cred_index FROM door_credentials WHERE door_access_id = $1 \
                         AND state <> 'removed'",
                    )
                    .bind(door)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| col(r, "cred_index"))
                    .collect::<Result<_, _>>()?;
                    let base = (slot - 1) * capacity.creds_per_user;
                    let mut taken = taken;
                    let mut placed = Vec::with_capacity(credentials.len());
                    for k in credentials {
                        let idx = lowest_free(&taken, base, base + capacity.creds_per_user)
                            .ok_or(PlanError::NoFreeCredentialSlot(*lock_id))?;
                        taken.push(idx);
                        let cid = credential_ids
                            .get(*k)
                            .ok_or_else(|| PlanError::Ops("credential ref out of range".into()))?;
                        sqlx::query(
                            "INSERT INTO door_credentials (door_access_id, credential_id, lock_id, \
                             cred_index, state, updated_at) VALUES ($1, $2, $3, $4, 'pending', $5)",
                        )
                        .bind(door)
                        .bind(cid)
                        .bind(lock_id)
                        .bind(idx)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        placed.push((*k, idx));
                    }
                    let planned = ops(slot, &placed, fresh).map_err(PlanError::Ops)?;
                    Self::insert_ops(&mut tx, &ctx, *lock_id, door, gen, &planned).await?;
                    doors.push(door);
                }
                DoorChange::Update {
                    door_access_id,
                    door_credentials,
                    ops,
                } => {
                    let (lock_id, gen) = self
                        .bump_door(&mut tx, *door_access_id, "pending", batch, now)
                        .await?;
                    for dc in door_credentials {
                        sqlx::query(
                            "UPDATE door_credentials SET state = 'pending', error = NULL, \
                             updated_at = $2 WHERE id = $1",
                        )
                        .bind(dc)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    }
                    Self::insert_ops(&mut tx, &ctx, lock_id, *door_access_id, gen, ops).await?;
                    doors.push(*door_access_id);
                }
                DoorChange::Revoke {
                    door_access_id,
                    ops,
                } => {
                    let (lock_id, gen) = self
                        .bump_door(&mut tx, *door_access_id, "removing", batch, now)
                        .await?;
                    sqlx::query(
                        "UPDATE door_credentials SET state = 'removing', error = NULL, \
                         updated_at = $2 WHERE door_access_id = $1 AND state <> 'removed'",
                    )
                    .bind(door_access_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    // Whatever was still queued for this person here is moot.
                    sqlx::query(
                        "UPDATE operations SET state = 'failed', error = 'superseded', updated_at = $2 \
                         WHERE access_door = $1 AND state = 'pending'",
                    )
                    .bind(door_access_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    Self::insert_ops(&mut tx, &ctx, lock_id, *door_access_id, gen, ops).await?;
                    doors.push(*door_access_id);
                }
            }
        }
        tx.commit().await?;
        Ok(Applied {
            batch_id: batch,
            credential_ids,
            doors,
        })
    }

    pub(super) async fn bump_door(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        door: i64,
        state: &str,
        batch: i64,
        now: i64,
    ) -> Result<(i64, i64), PlanError> {
        let r = sqlx::query("SELECT lock_id, gen FROM door_access WHERE id = $1")
            .bind(door)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| PlanError::Ops(format!("no person-on-door row {door}")))?;
        let lock_id: i64 = col(&r, "lock_id")?;
        self.write_lock_row(tx, lock_id).await?;
        let gen: i64 = col::<i64>(&r, "gen")? + 1;
        sqlx::query(
            "UPDATE door_access SET state = $2, error = NULL, digest_before = digest, gen = $3, \
             batch_id = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(door)
        .bind(state)
        .bind(gen)
        .bind(batch)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok((lock_id, gen))
    }
}
