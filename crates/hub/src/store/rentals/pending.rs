//! Rental changes held for a person (`rental_pending`): one per feed, the
//! feed's stays as fetched, applied on confirm or dropped.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use super::super::{col, Store, StoreError};
use crate::model::ts;

/// A change held for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// Identifier.
    pub id: i64,
    /// Listing.
    pub listing_id: i64,
    /// Feed.
    pub feed_id: i64,
    /// Why it is held.
    pub reason: String,
    /// The feed's stays as fetched (applied on confirm).
    pub stays: serde_json::Value,
    /// When it was held.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
}

const PENDING_COLS: &str = "id, listing_id, feed_id, reason, stays, created_at";

fn pending_row(r: &AnyRow) -> Result<Pending, StoreError> {
    let stays: String = col(r, "stays")?;
    Ok(Pending {
        id: col(r, "id")?,
        listing_id: col(r, "listing_id")?,
        feed_id: col(r, "feed_id")?,
        reason: col(r, "reason")?,
        stays: serde_json::from_str(&stays)
            .map_err(|e| StoreError::LogicBug(format!("stays: {e}")))?,
        created_at: col(r, "created_at")?,
    })
}

impl Store {
    /// Holds a change for a feed (replacing one held before).
    pub async fn hold_change(
        &self,
        listing_id: i64,
        feed_id: i64,
        reason: &str,
        stays: &serde_json::Value,
        now: i64,
    ) -> Result<Pending, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO rental_pending (listing_id, feed_id, reason, stays, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (feed_id) DO UPDATE SET \
             reason = excluded.reason, stays = excluded.stays, created_at = excluded.created_at \
             RETURNING {PENDING_COLS}"
        )))
        .bind(listing_id)
        .bind(feed_id)
        .bind(reason)
        .bind(stays.to_string())
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        pending_row(&r)
    }

    /// The changes held for a listing.
    pub async fn listing_pending(&self, listing_id: i64) -> Result<Vec<Pending>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PENDING_COLS} FROM rental_pending WHERE listing_id = $1 ORDER BY id"
        )))
        .bind(listing_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(pending_row).collect()
    }

    /// A held change of an organisation.
    pub async fn get_pending(&self, org_id: i64, id: i64) -> Result<Option<Pending>, StoreError> {
        let r = sqlx::query(
            "SELECT p.id, p.listing_id, p.feed_id, p.reason, p.stays, p.created_at \
             FROM rental_pending p JOIN listings l ON l.id = p.listing_id \
             WHERE l.org_id = $1 AND p.id = $2",
        )
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(pending_row).transpose()
    }

    /// Drops a held change (confirmed and applied, discarded, or superseded
    /// by a fetch that needs no hold); `true` if there was one.
    pub async fn drop_pending(&self, feed_id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM rental_pending WHERE feed_id = $1")
            .bind(feed_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
