//! Sites: places with locks, each in one IANA time zone.

use sqlx::any::AnyRow;

use super::{col, Store, StoreError};
use crate::model::Site;

/// What [`Store::reserve_claim_site`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimReservation {
    /// The site is held for this claim.
    Reserved,
    /// No such site in the organisation (deleted): nothing reserved.
    NoSite,
    /// Another claim of the same lock holds a live reservation.
    Busy,
}

const COLS: &str = "id, org_id, name, time_zone, created_at";

fn site_row(r: &AnyRow) -> Result<Site, StoreError> {
    Ok(Site {
        id: col(r, "id")?,
        org_id: col(r, "org_id")?,
        name: col(r, "name")?,
        time_zone: col(r, "time_zone")?,
        created_at: col(r, "created_at")?,
    })
}

impl Store {
    /// Creates a site; [`StoreError::Conflict`] if the name is taken in the org.
    pub async fn create_site(
        &self,
        org_id: i64,
        name: &str,
        time_zone: &str,
        now: i64,
    ) -> Result<Site, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO sites (org_id, name, time_zone, created_at) VALUES ($1, $2, $3, $4) RETURNING {COLS}"
        )))
        .bind(org_id)
        .bind(name)
        .bind(time_zone)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        site_row(&r)
    }

    /// A site of an organisation.
    pub async fn get_site(&self, org_id: i64, id: i64) -> Result<Option<Site>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM sites WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(site_row).transpose()
    }

    /// The sites of an organisation, by id.
    pub async fn list_sites(&self, org_id: i64) -> Result<Vec<Site>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM sites WHERE org_id = $1 ORDER BY id"
        )))
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(site_row).collect()
    }

    /// Changes a site's name and/or time zone; `None` if not found.
    pub async fn update_site(
        &self,
        org_id: i64,
        id: i64,
        name: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<Option<Site>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE sites SET name = COALESCE($3, name), time_zone = COALESCE($4, time_zone) \
             WHERE org_id = $1 AND id = $2 RETURNING {COLS}"
        )))
        .bind(org_id)
        .bind(id)
        .bind(name)
        .bind(time_zone)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(site_row).transpose()
    }

    /// Locks site `id` of `org_id` until `tx` ends (SQLite: the database's
    /// write lock; PostgreSQL: the site row). `false` if there is no such
    /// site in the organisation.
    async fn lock_site(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        org_id: i64,
        id: i64,
    ) -> Result<bool, StoreError> {
        let found = match self.backend {
            super::Backend::Sqlite => {
                sqlx::query("UPDATE sites SET name = name WHERE org_id = $1 AND id = $2")
                    .bind(org_id)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected()
                    > 0
            }
            super::Backend::Postgres => {
                sqlx::query("SELECT id FROM sites WHERE org_id = $1 AND id = $2 FOR UPDATE")
                    .bind(org_id)
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?
                    .is_some()
            }
        };
        Ok(found)
    }

    /// Deletes a site; [`StoreError::InUse`] while locks are on it or a
    /// claim into it is in flight (a reservation not expired at `now`).
    /// Checked and deleted under the site's lock, in one transaction with
    /// [`Store::reserve_claim_site`]'s, so the two are serialised.
    pub async fn delete_site(&self, org_id: i64, id: i64, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        if !self.lock_site(&mut tx, org_id, id).await? {
            return Ok(false);
        }
        // A reservation left by a hub that stopped mid-claim.
        sqlx::query("DELETE FROM claim_reservations WHERE site_id = $1 AND until_ms <= $2")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM locks WHERE site_id = $1) \
             + (SELECT COUNT(*) FROM claim_reservations WHERE site_id = $1) AS n",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let n: i64 = col(&r, "n")?;
        if n > 0 {
            return Err(StoreError::InUse);
        }
        let done = sqlx::query("DELETE FROM sites WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Reserves site `site_id` of `org_id` for a claim of lock `serial`
    /// until `until` (ms) or [`Store::end_claim_reservation`]: the site
    /// cannot be deleted meanwhile. Nothing is reserved if the site is gone
    /// or another claim of the lock holds a reservation live at `now`.
    pub async fn reserve_claim_site(
        &self,
        serial: &str,
        org_id: i64,
        site_id: i64,
        now: i64,
        until: i64,
    ) -> Result<ClaimReservation, StoreError> {
        let mut tx = self.begin_write().await?;
        if !self.lock_site(&mut tx, org_id, site_id).await? {
            return Ok(ClaimReservation::NoSite);
        }
        let done = sqlx::query(
            "INSERT INTO claim_reservations (serial, site_id, until_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (serial) DO UPDATE SET site_id = $2, until_ms = $3 \
             WHERE claim_reservations.until_ms <= $4",
        )
        .bind(serial)
        .bind(site_id)
        .bind(until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(ClaimReservation::Busy);
        }
        tx.commit().await?;
        Ok(ClaimReservation::Reserved)
    }

    /// Ends a claim's site reservation (claimed, or failed).
    pub async fn end_claim_reservation(&self, serial: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM claim_reservations WHERE serial = $1")
            .bind(serial)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
