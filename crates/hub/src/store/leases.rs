//! Lock-plane leases (table `plane_leases`, migration 0019) and, on
//! PostgreSQL, the `tumbler_op_ended` notifications that tell every hub an
//! operation became final. The rules (who takes what) are pure, in
//! the lock plane's `lease` module; this file only reads and writes rows.

use sqlx::postgres::PgListener;

use super::{col, Backend, Store, StoreError};

/// How many shards the locks are divided into (rows seeded by migration
/// 0019; a lock's shard is `id % LEASE_SHARDS`).
pub const LEASE_SHARDS: i64 = 64;

/// One shard's lease as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    /// Shard number, `0..LEASE_SHARDS` (a lock's shard is `id % LEASE_SHARDS`).
    pub shard: i64,
    /// The hub process (worker id) holding it; empty: never taken or given up.
    pub holder: String,
    /// Wall-clock Unix ms until which the holder has renewed it.
    pub until: i64,
}

impl Store {
    /// Every shard's lease, by shard.
    pub async fn lease_rows(&self) -> Result<Vec<LeaseRow>, StoreError> {
        let rows = sqlx::query("SELECT shard, holder, until FROM plane_leases ORDER BY shard")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(LeaseRow {
                    shard: col(r, "shard")?,
                    holder: col(r, "holder")?,
                    until: col(r, "until")?,
                })
            })
            .collect()
    }

    /// Takes or renews `shard` for `me` until `until`, if `me` holds it or
    /// its lease ran out before `now`. False if another hub holds it.
    pub async fn take_lease(
        &self,
        shard: i64,
        me: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE plane_leases SET holder = $2, until = $4 \
             WHERE shard = $1 AND (holder = $2 OR until <= $3)",
        )
        .bind(shard)
        .bind(me)
        .bind(now)
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Offers `shard` to the other hubs: its lease ends at `now`, but `me`
    /// stays its holder (and keeps handling it) until another hub takes it,
    /// so no frame falls between two hubs.
    pub async fn offer_lease(&self, shard: i64, me: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE plane_leases SET until = $3 WHERE shard = $1 AND holder = $2")
            .bind(shard)
            .bind(me)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Gives up every lease `me` holds (a clean stop): other hubs take them
    /// on their next pass instead of waiting for them to run out.
    pub async fn release_leases(&self, me: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE plane_leases SET holder = '', until = 0 WHERE holder = $1")
            .bind(me)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// PostgreSQL: a listener on the operation-end notifications (see
    /// [`OpEndListener`]). `None` on SQLite, where one process holds the
    /// database and the in-process signal is enough.
    pub async fn listen_op_ends(&self) -> Result<Option<OpEndListener>, StoreError> {
        let Some(url) = &self.pg_url else {
            return Ok(None);
        };
        debug_assert_eq!(self.backend, Backend::Postgres);
        let mut listener = PgListener::connect(url)
            .await
            .map_err(StoreError::Connect)?;
        listener.listen(OP_ENDED_CHANNEL).await?;
        Ok(Some(OpEndListener { listener }))
    }
}

/// The channel the `operations_ended` trigger notifies (migration 0019).
const OP_ENDED_CHANNEL: &str = "tumbler_op_ended";

/// Notifications that operations became final, from every hub on this
/// PostgreSQL database (other schemas on the same database too: a stray id
/// only costs the waiter one re-read).
#[derive(Debug)]
pub struct OpEndListener {
    listener: PgListener,
}

impl OpEndListener {
    /// The next ended operation's id; `Ok(None)` when notifications may have
    /// been missed (the connection was lost and re-established), so waiters
    /// should re-read. An error means the database cannot be reached.
    pub async fn recv(&mut self) -> Result<Option<i64>, StoreError> {
        match self.listener.try_recv().await? {
            Some(n) => Ok(n.payload().parse::<i64>().ok()),
            None => Ok(None),
        }
    }
}

impl Store {
    /// Hub `me` is alive at `now` (wall-clock ms); forgets hubs not seen
    /// for an hour.
    pub async fn hub_seen(&self, me: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO plane_hubs (worker, seen) VALUES ($1, $2) \
             ON CONFLICT (worker) DO UPDATE SET seen = excluded.seen",
        )
        .bind(me)
        .bind(now)
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM plane_hubs WHERE seen < $1")
            .bind(now.saturating_sub(3_600_000))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The hubs seen since `since`.
    pub async fn live_hubs(
        &self,
        since: i64,
    ) -> Result<std::collections::BTreeSet<String>, StoreError> {
        let rows = sqlx::query("SELECT worker FROM plane_hubs WHERE seen >= $1")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| col(r, "worker")).collect()
    }

    /// Renews the leases on `shards` that `me` still holds.
    pub async fn renew_leases(
        &self,
        shards: &[i64],
        me: &str,
        until: i64,
    ) -> Result<(), StoreError> {
        if shards.is_empty() {
            return Ok(());
        }
        // Integers only, so the list is safe to inline.
        let list = shards
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE plane_leases SET until = $2 WHERE holder = $1 AND shard IN ({list})"
        )))
        .bind(me)
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Hub `me` stopped: it is no longer counted among the live hubs.
    pub async fn hub_gone(&self, me: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM plane_hubs WHERE worker = $1")
            .bind(me)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
