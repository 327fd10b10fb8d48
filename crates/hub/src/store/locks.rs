//! Locks as the hub knows them: binding (claim state), presence, telemetry.

use sqlx::any::AnyRow;

use super::{col, parse_enum, Store, StoreError};
use crate::model::{Capacity, ClaimState, Lock, Presence, Telemetry};

pub(crate) const COLS: &str =
    "id, serial, org_id, site_id, name, claim_state, online, presence, presence_since, last_seen_at, \
                    battery_pct, reset_counter, last_event_seq, created_at, bolt, door, mode, \
                    setup_mode, firmware, credential_version, credential_digest, clock_skew_s, \
                    status_at, log_epoch, rejected_frames, stale_reason, intent, transfer_to_org, \
                    max_users, creds_per_user";

pub(crate) fn lock_row(r: &AnyRow) -> Result<Lock, StoreError> {
    let online: i64 = col(r, "online")?;
    let setup_mode: Option<i64> = col(r, "setup_mode")?;
    let stale: Option<String> = col(r, "stale_reason")?;
    let max_users: Option<i64> = col(r, "max_users")?;
    let creds_per_user: Option<i64> = col(r, "creds_per_user")?;
    Ok(Lock {
        id: col(r, "id")?,
        serial: col(r, "serial")?,
        org_id: col(r, "org_id")?,
        site_id: col(r, "site_id")?,
        name: col(r, "name")?,
        claim_state: parse_enum(r, "claim_state", ClaimState::parse)?,
        online: online != 0,
        presence: parse_enum(r, "presence", Presence::parse)?,
        presence_since: col(r, "presence_since")?,
        last_seen_at: col(r, "last_seen_at")?,
        battery_pct: col(r, "battery_pct")?,
        reset_counter: col(r, "reset_counter")?,
        last_event_seq: col(r, "last_event_seq")?,
        created_at: col(r, "created_at")?,
        telemetry: Telemetry {
            bolt: col(r, "bolt")?,
            door: col(r, "door")?,
            mode: col(r, "mode")?,
            setup_mode: setup_mode.map(|v| v != 0),
            firmware: col(r, "firmware")?,
            credential_version: col(r, "credential_version")?,
            credential_digest: col(r, "credential_digest")?,
            clock_skew_s: col(r, "clock_skew_s")?,
            status_at: col(r, "status_at")?,
        },
        log_epoch: col(r, "log_epoch")?,
        rejected_frames: col(r, "rejected_frames")?,
        stale_reason: stale.and_then(|s| serde_json::from_str(&s).ok()),
        intent: col(r, "intent")?,
        transfer_to_org: col(r, "transfer_to_org")?,
        reported_capacity: match (max_users, creds_per_user) {
            (Some(max_users), Some(creds_per_user)) => Some(Capacity {
                max_users,
                creds_per_user,
            }),
            _ => None,
        },
    })
}

impl Store {
    /// Records the slots a lock reported in its capabilities.
    pub async fn set_capacity(&self, lock_id: i64, c: Capacity) -> Result<(), StoreError> {
        sqlx::query("UPDATE locks SET max_users = $2, creds_per_user = $3 WHERE id = $1")
            .bind(lock_id)
            .bind(c.max_users)
            .bind(c.creds_per_user)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Filter for [`Store::list_locks`].
#[derive(Debug, Clone, Default)]
pub struct LockFilter {
    /// Only this site.
    pub site_id: Option<i64>,
    /// Only this claim state.
    pub claim_state: Option<ClaimState>,
}

impl Store {
    /// Begins a transaction that will write: on SQLite `BEGIN IMMEDIATE`,
    /// which takes the database's write lock up front (a deferred
    /// transaction that reads then writes can fail with `SQLITE_BUSY` when
    /// another writer got in between); on PostgreSQL a plain `BEGIN` (rows
    /// are locked with `FOR UPDATE` where needed).
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            super::Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            super::Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Records a lock seen on the broker, creating it unclaimed if unknown.
    /// Returns the current record.
    pub async fn lock_seen(&self, serial: &str, now: i64) -> Result<Lock, StoreError> {
        // Update first and insert only a lock never seen: an INSERT that
        // meets the existing row still takes an id (SQLite AUTOINCREMENT,
        // PostgreSQL sequences), so inserting on every frame left gaps in
        // lock ids (a fresh `tumbler up` showed locks 1, 2, 4).
        let touch = || {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE locks SET last_seen_at = $2 WHERE serial = $1 RETURNING {COLS}"
            )))
            .bind(serial)
            .bind(now)
        };
        if let Some(r) = touch().fetch_optional(&self.pool).await? {
            return lock_row(&r);
        }
        sqlx::query(
            "INSERT INTO locks (serial, name, claim_state, online, created_at) \
             VALUES ($1, $1, 'unclaimed', 0, $2) ON CONFLICT (serial) DO NOTHING",
        )
        .bind(serial)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let r = touch().fetch_one(&self.pool).await?;
        lock_row(&r)
    }

    /// Binds a lock to an organisation and site (state `claimed`). The claim
    /// protocol (setup code, PAKE) lives in the service that calls this.
    pub async fn bind_lock(
        &self,
        lock_id: i64,
        org_id: i64,
        site_id: i64,
        name: &str,
    ) -> Result<Option<Lock>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE locks SET org_id = $2, site_id = $3, name = $4, claim_state = 'claimed' \
             WHERE id = $1 RETURNING {COLS}"
        )))
        .bind(lock_id)
        .bind(org_id)
        .bind(site_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(lock_row).transpose()
    }

    /// A lock of an organisation.
    pub async fn get_lock(&self, org_id: i64, id: i64) -> Result<Option<Lock>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM locks WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(lock_row).transpose()
    }

    /// A lock by serial, whoever owns it (for the broker link).
    pub async fn lock_by_serial(&self, serial: &str) -> Result<Option<Lock>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM locks WHERE serial = $1"
        )))
        .bind(serial)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(lock_row).transpose()
    }

    /// The locks of an organisation, by id.
    pub async fn list_locks(&self, org_id: i64, f: &LockFilter) -> Result<Vec<Lock>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM locks WHERE org_id = $1 \
             AND ($2 IS NULL OR site_id = $2) AND ($3 IS NULL OR claim_state = $3) ORDER BY id"
        )))
        .bind(org_id)
        .bind(f.site_id)
        .bind(f.claim_state.map(|c| c.as_str()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(lock_row).collect()
    }

    /// Records availability from the broker (`status` topic): presence
    /// becomes `online` or `offline` (`presence_since` moves only when it
    /// changes; an unresponsive lock the broker still shows connected stays
    /// unresponsive until it answers).
    pub async fn set_online(
        &self,
        serial: &str,
        online: bool,
        now: i64,
    ) -> Result<Option<Lock>, StoreError> {
        let presence = if online { "online" } else { "offline" };
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE locks SET online = $2, last_seen_at = $3, \
               presence_since = CASE WHEN online = $2 AND presence_since IS NOT NULL \
                 THEN presence_since ELSE $3 END, \
               presence = CASE WHEN online = $2 AND presence = 'unresponsive' AND $2 = 1 \
                 THEN presence ELSE $4 END \
             WHERE serial = $1 RETURNING {COLS}"
        )))
        .bind(serial)
        .bind(i64::from(online))
        .bind(now)
        .bind(presence)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(lock_row).transpose()
    }

    /// Marks a lock the broker shows connected `unresponsive` (an operation
    /// went unanswered). `None` if it is not `online` now (offline, or
    /// already unresponsive): only the change is reported.
    pub async fn mark_unresponsive(
        &self,
        lock_id: i64,
        now: i64,
    ) -> Result<Option<Lock>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE locks SET presence = 'unresponsive', presence_since = $2 \
             WHERE id = $1 AND online = 1 AND presence = 'online' RETURNING {COLS}"
        )))
        .bind(lock_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(lock_row).transpose()
    }

    /// Claimed locks the broker shows connected and `online` that have not
    /// been seen since `seen_before` (id, serial, last seen): candidates for
    /// a liveness probe.
    pub async fn quiet_locks(
        &self,
        seen_before: i64,
    ) -> Result<Vec<(i64, String, Option<i64>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, serial, last_seen_at FROM locks \
             WHERE claim_state = 'claimed' AND online = 1 AND presence = 'online' \
               AND (last_seen_at IS NULL OR last_seen_at < $1) ORDER BY id",
        )
        .bind(seen_before)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((col(r, "id")?, col(r, "serial")?, col(r, "last_seen_at")?)))
            .collect()
    }

    /// The lock answered (an authenticated frame): an `unresponsive` lock is
    /// `online` again. `None` if it was not unresponsive.
    pub async fn mark_responsive(
        &self,
        lock_id: i64,
        now: i64,
    ) -> Result<Option<Lock>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE locks SET presence = 'online', presence_since = $2 \
             WHERE id = $1 AND presence = 'unresponsive' RETURNING {COLS}"
        )))
        .bind(lock_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(lock_row).transpose()
    }

    /// Records unauthenticated telemetry: the battery level. Returns the
    /// record and whether it *claims* a reset (a reset counter above the
    /// stored one on a claimed lock); the stored counter and claim state are
    /// not changed by it (only signed evidence does, `Store::mark_stale`).
    pub async fn record_telemetry(
        &self,
        lock_id: i64,
        battery_pct: Option<i64>,
        reset_counter: i64,
        now: i64,
    ) -> Result<Option<(Lock, bool)>, StoreError> {
        let mut tx = self.begin_write().await?;
        let lock_clause = match self.backend {
            super::Backend::Postgres => " FOR UPDATE",
            super::Backend::Sqlite => "",
        };
        let before = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT reset_counter, claim_state FROM locks WHERE id = $1{lock_clause}"
        )))
        .bind(lock_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Ok(None);
        };
        let old_counter: i64 = col(&before, "reset_counter")?;
        let claim = parse_enum(&before, "claim_state", ClaimState::parse)?;
        // Telemetry is unauthenticated: a higher counter is only a claim of a
        // reset (the caller may raise an alert and challenge the lock); the
        // counter and the claim state change only on signed evidence.
        let reset = reset_counter > old_counter && claim == ClaimState::Claimed;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE locks SET battery_pct = COALESCE($2, battery_pct), \
             last_seen_at = $3 WHERE id = $1 RETURNING {COLS}"
        )))
        .bind(lock_id)
        .bind(battery_pct)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let lock = lock_row(&r)?;
        tx.commit().await?;
        Ok(Some((lock, reset)))
    }
}

impl Store {
    /// A lock's serial by id, whoever owns it (for the job runner).
    pub async fn lock_serial(&self, lock_id: i64) -> Result<Option<String>, StoreError> {
        let r = sqlx::query("SELECT serial FROM locks WHERE id = $1")
            .bind(lock_id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(|r| col(r, "serial")).transpose()
    }
}
