//! Post-reset verifications and the access references of an operation.

use super::*;

impl Store {
    /// Creates a verification of a lock and queues its operations.
    pub async fn start_verification(
        &self,
        org_id: i64,
        lock_id: i64,
        previous_reset_counter: Option<i64>,
        ops: &[PlannedOp],
        created_by: Option<i64>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "INSERT INTO verifications (org_id, lock_id, state, previous_reset_counter, created_at) \
             VALUES ($1, $2, 'running', $3, $4) RETURNING id",
        )
        .bind(org_id)
        .bind(lock_id)
        .bind(previous_reset_counter)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = col(&r, "id")?;
        for op in ops {
            sqlx::query(
                "INSERT INTO operations (org_id, lock_id, kind, params, state, attempts, max_attempts, \
                 created_by, created_at, updated_at, verification_id, request_id) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $7, $8, $9)",
            )
            .bind(org_id)
            .bind(lock_id)
            .bind(op.kind.as_str())
            .bind(op.params.to_string())
            .bind(crate::store::operations::DEFAULT_MAX_ATTEMPTS)
            .bind(created_by)
            .bind(now)
            .bind(id)
            .bind(crate::observe::request_id())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// A verification: `(lock_id, state, previous_reset_counter, report, error)`.
    pub async fn get_verification(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<VerificationRow>, StoreError> {
        let r = sqlx::query(
            "SELECT id, lock_id, state, previous_reset_counter, report, error, created_at \
             FROM verifications WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.map(|r| {
            let report: Option<String> = col(&r, "report")?;
            Ok(VerificationRow {
                id: col(&r, "id")?,
                lock_id: col(&r, "lock_id")?,
                state: parse_enum(&r, "state", VerificationState::parse)?,
                previous_reset_counter: col(&r, "previous_reset_counter")?,
                report: report.and_then(|s| serde_json::from_str(&s).ok()),
                error: col(&r, "error")?,
                created_at: col(&r, "created_at")?,
            })
        })
        .transpose()
    }

    /// The operations of a verification, by id.
    pub async fn verification_ops(&self, id: i64) -> Result<Vec<DoorOp>, StoreError> {
        sqlx::query(
            "SELECT id, kind, state, error, result, params FROM operations \
             WHERE verification_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(door_op_row)
        .collect()
    }

    /// Ends a running verification.
    pub async fn finish_verification(
        &self,
        id: i64,
        state: VerificationState,
        report: Option<&serde_json::Value>,
        error: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE verifications SET state = $2, report = $3, error = $4, finished_at = $5 \
             WHERE id = $1 AND state = 'running'",
        )
        .bind(id)
        .bind(state.as_str())
        .bind(report.map(|r| r.to_string()))
        .bind(error)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0)
    }

    /// Replaces a credential's non-secret data (a replaced card's UID).
    pub async fn set_credential_data(
        &self,
        credential_id: i64,
        data: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE credentials SET data = $2 WHERE id = $1")
            .bind(credential_id)
            .bind(data)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces a PIN credential's tag (after a PIN change).
    pub async fn set_pin_tag(
        &self,
        credential_id: i64,
        tag: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE credentials SET pin_tag = $2 WHERE id = $1")
            .bind(credential_id)
            .bind(tag)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The organisation of an operation.
    pub async fn op_org(&self, op_id: i64) -> Result<Option<i64>, StoreError> {
        let r = sqlx::query("SELECT org_id FROM operations WHERE id = $1")
            .bind(op_id)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| col(&r, "org_id")).transpose()
    }

    /// The access reference of an operation: `(door, gen, verification)`.
    pub async fn op_access_ref(
        &self,
        op_id: i64,
    ) -> Result<(Option<i64>, Option<i64>, Option<i64>), StoreError> {
        let r = sqlx::query(
            "SELECT access_door, access_gen, verification_id FROM operations WHERE id = $1",
        )
        .bind(op_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match r {
            Some(r) => (
                col(&r, "access_door")?,
                col(&r, "access_gen")?,
                col(&r, "verification_id")?,
            ),
            None => (None, None, None),
        })
    }
}
