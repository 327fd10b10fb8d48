//! Remote operations: the per-lock queue and the workers' atomic claim.
//!
//! Ordering: an operation is claimable only when its lock is online and no
//! earlier operation of the same lock is `pending` or `sent`, so one lock
//! has at most one operation in flight and they apply in id order.
//!
//! Claiming: on PostgreSQL the candidate rows are locked with
//! `FOR UPDATE SKIP LOCKED`, so concurrent hubs skip each other's rows; on
//! SQLite the whole claim is one `UPDATE … RETURNING` statement, which the
//! database runs under its single write lock. Either way two workers never
//! claim the same operation.

use sqlx::any::AnyRow;

use super::{col, json_col, parse_enum, Backend, Store, StoreError};
use crate::model::{OpName, OpState, Operation};

/// Sends without an answer before an operation fails.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 5;

/// The error of a remote lock or unlock that could not reach the lock in time.
pub const DOOR_OP_EXPIRED: &str =
    "expired: the lock did not take it in time (a remote lock or unlock is never delivered late)";

const COLS: &str = "id, org_id, lock_id, kind, params, state, attempts, max_attempts, error, \
                    created_by, created_at, updated_at, claimed_by, command_id, result, request_id";

fn op_row(r: &AnyRow) -> Result<Operation, StoreError> {
    Ok(Operation {
        id: col(r, "id")?,
        org_id: col(r, "org_id")?,
        lock_id: col(r, "lock_id")?,
        kind: parse_enum(r, "kind", OpName::parse)?,
        params: json_col(r, "params")?,
        state: parse_enum(r, "state", OpState::parse)?,
        attempts: col(r, "attempts")?,
        max_attempts: col(r, "max_attempts")?,
        error: col(r, "error")?,
        created_by: col(r, "created_by")?,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
        claimed_by: col(r, "claimed_by")?,
        command_id: col(r, "command_id")?,
        result: {
            let s: Option<String> = col(r, "result")?;
            s.and_then(|s| serde_json::from_str(&s).ok())
        },
        waiting: None,
        request_id: col(r, "request_id")?,
    })
}

/// The claim statement: the oldest pending operations whose lock is online
/// and has nothing earlier open, walked in id order through index
/// `operations_state_id`, so a pass costs its batch and the operations in
/// flight it skips, not the queue (issue 14).
fn claim_sql(backend: Backend, leased: bool) -> String {
    let lock_clause = match backend {
        Backend::Postgres => "FOR UPDATE OF o SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // With leases (several hubs), only locks whose shard this hub holds: each
    // lock's commands then leave from one hub's outbox, in counter order.
    let lease_clause = if leased {
        format!(
            "AND EXISTS (SELECT 1 FROM plane_leases pl \
               WHERE pl.shard = l.id % {} AND pl.holder = $1)",
            super::leases::LEASE_SHARDS
        )
    } else {
        String::new()
    };
    format!(
        "UPDATE operations SET state = 'sent', attempts = attempts + 1, claimed_by = $1, \
         claimed_at = $2, updated_at = $2 \
         WHERE id IN ( \
           SELECT o.id FROM operations o JOIN locks l ON l.id = o.lock_id \
           WHERE o.state = 'pending' AND l.online = 1 {lease_clause} \
             AND NOT EXISTS (SELECT 1 FROM operations p WHERE p.lock_id = o.lock_id \
                             AND p.id < o.id AND p.state IN ('pending', 'sent')) \
           ORDER BY o.id LIMIT $3 {lock_clause}) \
         AND state = 'pending' \
         RETURNING {COLS}"
    )
}

/// A new operation.
#[derive(Debug, Clone)]
pub struct NewOperation<'a> {
    /// Owning organisation (must own the lock; the service checks).
    pub org_id: i64,
    /// Target lock.
    pub lock_id: i64,
    /// What to do.
    pub kind: OpName,
    /// Parameters (JSON, no secrets in clear).
    pub params: &'a serde_json::Value,
    /// Sends without an answer before it fails.
    pub max_attempts: i64,
    /// Who asked.
    pub created_by: Option<i64>,
}

/// Filter for [`Store::list_operations`].
#[derive(Debug, Clone, Default)]
pub struct OperationFilter {
    /// Only this lock.
    pub lock_id: Option<i64>,
    /// Only this state.
    pub state: Option<OpState>,
    /// At most this many (newest first).
    pub limit: i64,
}

/// How an operation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpOutcome {
    /// The lock applied it.
    Applied,
    /// The lock refused it, with its reason.
    Refused(String),
    /// It failed on the way, with a reason.
    Failed(String),
}

impl OpOutcome {
    /// The state it ends the operation in (for logs).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Refused(_) => "refused",
            Self::Failed(_) => "failed",
        }
    }
}

impl Store {
    /// Queues an operation (`pending`).
    pub async fn enqueue_operation(
        &self,
        op: NewOperation<'_>,
        now: i64,
    ) -> Result<Operation, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO operations (org_id, lock_id, kind, params, state, attempts, max_attempts, \
             created_by, created_at, updated_at, request_id) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $7, $8) \
             RETURNING {COLS}"
        )))
        .bind(op.org_id)
        .bind(op.lock_id)
        .bind(op.kind.as_str())
        .bind(op.params.to_string())
        .bind(op.max_attempts)
        .bind(op.created_by)
        .bind(now)
        .bind(crate::observe::request_id())
        .fetch_one(&self.pool)
        .await?;
        op_row(&r)
    }

    /// An operation of an organisation.
    pub async fn get_operation(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<Operation>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM operations WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(op_row).transpose()
    }

    /// Operations of an organisation, newest first.
    pub async fn list_operations(
        &self,
        org_id: i64,
        f: &OperationFilter,
    ) -> Result<Vec<Operation>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM operations WHERE org_id = $1 \
             AND ($2 IS NULL OR lock_id = $2) AND ($3 IS NULL OR state = $3) \
             ORDER BY id DESC LIMIT $4"
        )))
        .bind(org_id)
        .bind(f.lock_id)
        .bind(f.state.map(|s| s.as_str()))
        .bind(f.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(op_row).collect()
    }

    /// Atomically claims up to `limit` claimable operations for `worker`:
    /// `pending → sent`, attempts + 1. Returned in id order.
    pub async fn claim_operations(
        &self,
        worker: &str,
        now: i64,
        limit: i64,
    ) -> Result<Vec<Operation>, StoreError> {
        self.claim_operations_where(worker, now, limit, false).await
    }

    /// Like [`Store::claim_operations`], but only for locks whose lease
    /// `worker` holds (`plane_leases`; see the lock plane's `lease` module).
    pub async fn claim_leased_operations(
        &self,
        worker: &str,
        now: i64,
        limit: i64,
    ) -> Result<Vec<Operation>, StoreError> {
        self.claim_operations_where(worker, now, limit, true).await
    }

    async fn claim_operations_where(
        &self,
        worker: &str,
        now: i64,
        limit: i64,
        leased: bool,
    ) -> Result<Vec<Operation>, StoreError> {
        let sql = claim_sql(self.backend, leased);
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(worker)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut ops = rows.iter().map(op_row).collect::<Result<Vec<_>, _>>()?;
        ops.sort_by_key(|o| o.id);
        Ok(ops)
    }

    /// Ends a `sent` operation. False if it was not `sent` (already final or
    /// requeued): a late or duplicate answer changes nothing.
    pub async fn finish_operation(
        &self,
        id: i64,
        outcome: &OpOutcome,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.finish_operation_where(id, None, outcome, now).await
    }

    /// Like [`Store::finish_operation`], but only if the operation targets
    /// `lock_id`: a lock can only answer for its own operations.
    pub async fn finish_operation_of_lock(
        &self,
        id: i64,
        lock_id: i64,
        outcome: &OpOutcome,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.finish_operation_where(id, Some(lock_id), outcome, now)
            .await
    }

    async fn finish_operation_where(
        &self,
        id: i64,
        lock_id: Option<i64>,
        outcome: &OpOutcome,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (state, error) = match outcome {
            OpOutcome::Applied => (OpState::Applied, None),
            OpOutcome::Refused(e) => (OpState::Refused, Some(e.as_str())),
            OpOutcome::Failed(e) => (OpState::Failed, Some(e.as_str())),
        };
        let done = sqlx::query(
            "UPDATE operations SET state = $2, error = $3, updated_at = $4 \
             WHERE id = $1 AND state = 'sent' AND ($5 IS NULL OR lock_id = $5)",
        )
        .bind(id)
        .bind(state.as_str())
        .bind(error)
        .bind(now)
        .bind(lock_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Operations `worker` has sent and not yet seen answered.
    pub async fn in_flight(&self, worker: &str) -> Result<i64, StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM operations WHERE state = 'sent' AND claimed_by = $1",
        )
        .bind(worker)
        .fetch_one(&self.pool)
        .await?;
        col(&r, "n")
    }

    /// The locks with an operation sent before `sent_before` and still
    /// unanswered, each with its oldest such send (ascending lock id).
    pub async fn unanswered_locks(&self, sent_before: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT lock_id, MIN(claimed_at) AS since FROM operations \
             WHERE state = 'sent' AND claimed_at < $1 GROUP BY lock_id ORDER BY lock_id",
        )
        .bind(sent_before)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((col(r, "lock_id")?, col(r, "since")?)))
            .collect()
    }

    /// Operations sent before `sent_before` without an answer go back to
    /// `pending` (to be sent again), or to `failed` once out of attempts.
    /// Returns how many rows changed.
    pub async fn requeue_unanswered(&self, sent_before: i64, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE operations SET \
               state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END, \
               error = CASE WHEN attempts >= max_attempts THEN 'no answer from the lock' ELSE error END, \
               updated_at = $2 \
             WHERE state = 'sent' AND claimed_at < $1",
        )
        .bind(sent_before)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Fails the remote lock and unlock operations still waiting (pending,
    /// or sent and unanswered) that were asked for before `asked_before`: a
    /// door is never opened or closed long after someone asked, when nobody
    /// may be there any more. Returns how many ended.
    pub async fn expire_door_operations(
        &self,
        asked_before: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE operations SET state = 'failed', error = $3, updated_at = $2 \
             WHERE state IN ('pending', 'sent') AND created_at < $1 \
               AND kind IN ('lock', 'unlock', 'unlock_with_timeout')",
        )
        .bind(asked_before)
        .bind(now)
        .bind(DOOR_OP_EXPIRED)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseConfig;
    use crate::store::StoreOptions;

    /// The claim walks pending operations in id order through an index and
    /// never sorts the whole queue (the collapse at 10,000 doors).
    #[tokio::test]
    async fn the_claim_follows_the_index_and_never_sorts_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(StoreOptions::new(DatabaseConfig::Sqlite {
            path: dir.path().join("hub.db"),
        }))
        .await
        .unwrap();
        // Both forms: one hub (every lock) and several (leased shards only).
        for leased in [false, true] {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "EXPLAIN QUERY PLAN {}",
                claim_sql(Backend::Sqlite, leased)
            )))
            .bind("w")
            .bind(1_i64)
            .bind(32_i64)
            .fetch_all(store.pool())
            .await
            .unwrap();
            let plan: Vec<String> = rows
                .iter()
                .map(|r| col::<String>(r, "detail").unwrap())
                .collect();
            let text = plan.join("\n");
            assert!(text.contains("operations_state_id"), "claim plan:\n{text}");
            assert!(!text.contains("TEMP B-TREE"), "claim plan sorts:\n{text}");
        }
        store.close().await;
    }
}
