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
            // The transaction was begun with `begin_write` (BEGIN IMMEDIATE).
            Backend::Sqlite => Ok(()),
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
                 created_by, created_at, updated_at, access_door, access_gen, request_id) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $7, $8, $9, $10)",
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
            .bind(crate::observe::request_id())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Plans where a grant lands on one door: the person's live row there
    /// (a re-grant keeps its slot), else the lowest user slot free on the
    /// lock and not in `reserved` (slots other doors of the same plan took);
    /// and the lowest free credential slots in that user's range. Reads
    /// only; [`Store::apply_access`] checks the answer again.
    pub async fn plan_slots(
        &self,
        lock_id: i64,
        person_id: i64,
        new_credentials: usize,
        capacity: Capacity,
        reserved: &[i64],
    ) -> Result<SlotPlan, PlanError> {
        let existing = self.live_door(&self.pool, lock_id, person_id).await?;
        let (door, slot) = match &existing {
            Some(d) => (Some(d.id), d.slot),
            None => {
                let mut used = self.used_slots(&self.pool, lock_id).await?;
                used.extend_from_slice(reserved);
                let slot = lowest_free(&used, 1, capacity.max_users + 1)
                    .ok_or(PlanError::NoFreeSlot(lock_id))?;
                (None, slot)
            }
        };
        let mut taken = match door {
            Some(d) => self.taken_cred_indices(&self.pool, d).await?,
            None => Vec::new(),
        };
        let base = (slot - 1) * capacity.creds_per_user;
        let mut cred_indices = Vec::with_capacity(new_credentials);
        for _ in 0..new_credentials {
            let idx = lowest_free(&taken, base, base + capacity.creds_per_user)
                .ok_or(PlanError::NoFreeCredentialSlot(lock_id))?;
            taken.push(idx);
            cred_indices.push(idx);
        }
        Ok(SlotPlan {
            existing: existing.map(|d| (d.id, d.gen)),
            slot,
            fresh: door.is_none(),
            cred_indices,
        })
    }

    async fn live_door<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
        &self,
        ex: E,
        lock_id: i64,
        person_id: i64,
    ) -> Result<Option<DoorAccess>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DOOR_COLS} FROM door_access WHERE lock_id = $1 AND person_id = $2 \
             AND state <> 'removed' ORDER BY id DESC LIMIT 1"
        )))
        .bind(lock_id)
        .bind(person_id)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(door_row)
        .transpose()
    }

    async fn used_slots<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
        &self,
        ex: E,
        lock_id: i64,
    ) -> Result<Vec<i64>, StoreError> {
        sqlx::query("SELECT slot FROM door_access WHERE lock_id = $1 AND state <> 'removed'")
            .bind(lock_id)
            .fetch_all(ex)
            .await?
            .iter()
            .map(|r| col(r, "slot"))
            .collect()
    }

    async fn taken_cred_indices<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
        &self,
        ex: E,
        door: i64,
    ) -> Result<Vec<i64>, StoreError> {
        sqlx::query(
            "SELECT cred_index FROM door_credentials WHERE door_access_id = $1 \
             AND state <> 'removed'",
        )
        .bind(door)
        .fetch_all(ex)
        .await?
        .iter()
        .map(|r| col(r, "cred_index"))
        .collect()
    }

    /// Applies a planned change of access in one transaction: the batch, new
    /// credentials, person-on-door rows, door credentials and every
    /// operation. Under each lock's write lock it checks that the planned
    /// slots are still what [`Store::plan_slots`] saw; if not, nothing is
    /// written and the answer is [`PlanError::Stale`].
    pub async fn apply_access(&self, plan: AccessPlan, now: i64) -> Result<Applied, PlanError> {
        let mut tx = self.begin_write().await?;
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
                    slots,
                    ops,
                } => {
                    self.write_lock_row(&mut tx, *lock_id).await?;
                    let existing = self.live_door(&mut *tx, *lock_id, *person_id).await?;
                    let (door, gen) = match (existing, slots.existing) {
                        (Some(d), Some((id, gen))) if d.id == id && d.gen == gen => {
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
                            (d.id, gen)
                        }
                        (None, None) => {
                            if self
                                .used_slots(&mut *tx, *lock_id)
                                .await?
                                .contains(&slots.slot)
                            {
                                return Err(PlanError::Stale);
                            }
                            let r = sqlx::query(
                                "INSERT INTO door_access (org_id, person_id, lock_id, slot, schedule, \
                                 state, gen, batch_id, updated_at) \
                                 VALUES ($1, $2, $3, $4, $5, 'pending', 1, $6, $7) RETURNING id",
                            )
                            .bind(plan.org_id)
                            .bind(person_id)
                            .bind(lock_id)
                            .bind(slots.slot)
                            .bind(schedule.to_string())
                            .bind(batch)
                            .bind(now)
                            .fetch_one(&mut *tx)
                            .await?;
                            (col::<i64>(&r, "id")?, 1)
                        }
                        _ => return Err(PlanError::Stale),
                    };
                    let taken = self.taken_cred_indices(&mut *tx, door).await?;
                    if credentials.len() != slots.cred_indices.len() {
                        return Err(PlanError::Ops("credential slots do not match".into()));
                    }
                    for (k, idx) in credentials.iter().zip(&slots.cred_indices) {
                        if taken.contains(idx) {
                            return Err(PlanError::Stale);
                        }
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
                    }
                    Self::insert_ops(&mut tx, &ctx, *lock_id, door, gen, ops).await?;
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
