//! Delivery state of each person and credential on each door, from the
//! operations of its current change; what a reset of the lock does to it.

use super::*;

impl Store {
    /// The operations of one change of a person-on-door row, by id.
    pub async fn door_ops(&self, door: i64, gen: i64) -> Result<Vec<DoorOp>, StoreError> {
        sqlx::query(
            "SELECT id, kind, state, error, result, params FROM operations \
             WHERE access_door = $1 AND access_gen = $2 ORDER BY id",
        )
        .bind(door)
        .bind(gen)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(door_op_row)
        .collect()
    }

    /// Records the derived state of a person-on-door row (only for the
    /// change `gen`; a newer change wins). Returns whether it changed.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_door_state(
        &self,
        door: i64,
        gen: i64,
        state: DoorState,
        error: Option<&str>,
        digest: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE door_access SET state = $3, error = $4, digest = COALESCE($5, digest), \
             updated_at = $6 WHERE id = $1 AND gen = $2 AND (state <> $3 OR \
             COALESCE(error, '') <> COALESCE($4, ''))",
        )
        .bind(door)
        .bind(gen)
        .bind(state.as_str())
        .bind(error)
        .bind(digest)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        // Webhooks hear a settled door in the same transaction (the outbox).
        if changed {
            let row = sqlx::query(
                "SELECT d.org_id AS org_id, d.lock_id AS lock_id, d.slot AS slot, d.person_id AS person_id, \
                 p.name AS person_name, l.serial AS serial, l.name AS lock_name \
                 FROM door_access d JOIN people p ON p.id = d.person_id JOIN locks l ON l.id = d.lock_id \
                 WHERE d.id = $1",
            )
            .bind(door)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = row {
                let (lock_id, serial, lock_name): (i64, String, String) = (
                    col(&r, "lock_id")?,
                    col(&r, "serial")?,
                    col(&r, "lock_name")?,
                );
                let person_name: String = col(&r, "person_name")?;
                let out = crate::hooks::for_door(
                    crate::hooks::LockRef {
                        id: lock_id,
                        serial: &serial,
                        name: &lock_name,
                    },
                    crate::hooks::DoorRef {
                        door,
                        gen,
                        slot: col(&r, "slot")?,
                        person_id: col(&r, "person_id")?,
                        person_name: &person_name,
                    },
                    state.as_str(),
                    error,
                    now,
                );
                if let Some(out) = out {
                    Store::enqueue_hook(&mut tx, col(&r, "org_id")?, lock_id, &out, now).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Sets the state of door credentials of a person-on-door row that are
    /// in one of `from` states.
    pub async fn set_door_credentials_state(
        &self,
        door: i64,
        from: &[DoorState],
        state: DoorState,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        for f in from {
            sqlx::query(
                "UPDATE door_credentials SET state = $3, error = $4, updated_at = $5 \
                 WHERE door_access_id = $1 AND state = $2",
            )
            .bind(door)
            .bind(f.as_str())
            .bind(state.as_str())
            .bind(error)
            .bind(now)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Sets one door credential's state.
    pub async fn set_door_credential_state(
        &self,
        id: i64,
        state: DoorState,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE door_credentials SET state = $2, error = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(state.as_str())
        .bind(error)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Fails the still-pending operations of one change (after one of them
    /// failed); returns how many.
    pub async fn cancel_door_ops(&self, door: i64, gen: i64, now: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE operations SET state = 'failed', error = 'cancelled', updated_at = $3 \
             WHERE access_door = $1 AND access_gen = $2 AND state = 'pending'",
        )
        .bind(door)
        .bind(gen)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// After a factory reset of a lock: every person on it is gone.
    /// Returns how many rows changed.
    pub async fn doors_reset(
        &self,
        lock_id: i64,
        pre_reset_counter: Option<i64>,
        now: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(c) = pre_reset_counter {
            sqlx::query(
                "UPDATE locks SET pre_reset_counter = $2 WHERE id = $1 AND \
                 (pre_reset_counter IS NULL OR pre_reset_counter < $2)",
            )
            .bind(lock_id)
            .bind(c)
            .execute(&mut *tx)
            .await?;
        }
        let n = sqlx::query(
            "UPDATE door_access SET state = 'removed', error = 'lock_reset', digest = NULL, \
             gen = gen + 1, updated_at = $2 WHERE lock_id = $1 AND state <> 'removed'",
        )
        .bind(lock_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE door_credentials SET state = 'removed', error = 'lock_reset', updated_at = $2 \
             WHERE lock_id = $1 AND state <> 'removed'",
        )
        .bind(lock_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The reset counter a lock had before its last detected reset.
    pub async fn pre_reset_counter(&self, lock_id: i64) -> Result<Option<i64>, StoreError> {
        let r = sqlx::query("SELECT pre_reset_counter FROM locks WHERE id = $1")
            .bind(lock_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match r {
            Some(r) => col(&r, "pre_reset_counter")?,
            None => None,
        })
    }

    /// Erases sealed secrets from a finished operation's params.
    pub async fn scrub_op_params(
        &self,
        op_id: i64,
        params: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE operations SET params = $2 WHERE id = $1")
            .bind(op_id)
            .bind(params.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
