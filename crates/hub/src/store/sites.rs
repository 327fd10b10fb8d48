//! Sites: places with locks, each in one IANA time zone.

use sqlx::any::AnyRow;

use super::{col, Store, StoreError};
use crate::model::Site;

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

    /// Deletes a site; [`StoreError::InUse`] while locks are on it.
    pub async fn delete_site(&self, org_id: i64, id: i64) -> Result<bool, StoreError> {
        if self.get_site(org_id, id).await?.is_none() {
            return Ok(false);
        }
        let r = sqlx::query("SELECT COUNT(*) AS n FROM locks WHERE site_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        let n: i64 = col(&r, "n")?;
        if n > 0 {
            return Err(StoreError::InUse);
        }
        let done = sqlx::query("DELETE FROM sites WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
