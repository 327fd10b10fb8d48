//! Rentals: listings (doors, check-in/out times), their reservation feeds
//! (poll state: validators, failures, next poll), the reservations the hub
//! holds codes for; changes held for a person (`rental_pending`) in [`pending`].

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use super::{col, parse_enum, Store, StoreError};

mod pending;
use crate::model::{ts, PinSource, ReservationState};
pub use pending::Pending;

/// A rental listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// Identifier.
    pub id: i64,
    /// Organisation.
    pub org_id: i64,
    /// Site (its zone unless `time_zone` is set).
    pub site_id: i64,
    /// Name.
    pub name: String,
    /// Own IANA zone, if not the site's.
    pub time_zone: Option<String>,
    /// Local check-in time `HH:MM`.
    pub check_in: String,
    /// Local check-out time `HH:MM`.
    pub check_out: String,
    /// The doors a guest code opens.
    pub lock_ids: Vec<i64>,
    /// Where guest PINs come from.
    pub pin_source: PinSource,
    /// Minutes between polls of each feed.
    pub poll_minutes: i64,
    /// A cleaner code for each turnover day (check-out to check-in).
    pub cleaner_codes: bool,
    /// Creation time.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
}

/// A reservation feed of a listing and its poll state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feed {
    /// Identifier.
    pub id: i64,
    /// Listing.
    pub listing_id: i64,
    /// The iCal export URL.
    pub url: String,
    /// Last `ETag` seen (sent as `If-None-Match`).
    pub etag: Option<String>,
    /// Last `Last-Modified` seen (sent as `If-Modified-Since`).
    pub last_modified: Option<String>,
    /// Failed polls in a row (backoff grows with it).
    pub failures: i64,
    /// Why the last poll failed.
    pub last_error: Option<String>,
    /// Last poll.
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub last_polled_at: Option<i64>,
    /// Next poll.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub next_poll_at: i64,
}

/// A reservation the hub knows from a feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// Identifier.
    pub id: i64,
    /// Listing.
    pub listing_id: i64,
    /// Feed.
    pub feed_id: i64,
    /// The feed's UID.
    pub uid: String,
    /// The feed's summary.
    pub summary: String,
    /// Arrival day `YYYY-MM-DD`.
    pub start_date: String,
    /// Departure day `YYYY-MM-DD`.
    pub end_date: String,
    /// Active or cancelled.
    pub state: ReservationState,
    /// The guest (a person holding the code).
    pub person_id: Option<i64>,
    /// The last access change made for it.
    pub batch_id: Option<i64>,
    /// Whether the hub keeps the guest's PIN sealed (readable again).
    pub pin_kept: bool,
}

const LISTING_COLS: &str =
    "id, org_id, site_id, name, time_zone, check_in, check_out, lock_ids, pin_source, \
     poll_minutes, cleaner_codes, created_at";
const FEED_COLS: &str = "id, listing_id, url, etag, last_modified, failures, last_error, \
     last_polled_at, next_poll_at";
const RES_COLS: &str = "id, listing_id, feed_id, uid, summary, start_date, end_date, state, \
     person_id, batch_id, pin_sealed";

fn listing_row(r: &AnyRow) -> Result<Listing, StoreError> {
    let ids: String = col(r, "lock_ids")?;
    Ok(Listing {
        id: col(r, "id")?,
        org_id: col(r, "org_id")?,
        site_id: col(r, "site_id")?,
        name: col(r, "name")?,
        time_zone: col(r, "time_zone")?,
        check_in: col(r, "check_in")?,
        check_out: col(r, "check_out")?,
        lock_ids: serde_json::from_str(&ids)
            .map_err(|e| StoreError::LogicBug(format!("lock_ids: {e}")))?,
        pin_source: parse_enum(r, "pin_source", PinSource::parse)?,
        poll_minutes: col(r, "poll_minutes")?,
        cleaner_codes: col::<i64>(r, "cleaner_codes")? != 0,
        created_at: col(r, "created_at")?,
    })
}

fn feed_row(r: &AnyRow) -> Result<Feed, StoreError> {
    Ok(Feed {
        id: col(r, "id")?,
        listing_id: col(r, "listing_id")?,
        url: col(r, "url")?,
        etag: col(r, "etag")?,
        last_modified: col(r, "last_modified")?,
        failures: col(r, "failures")?,
        last_error: col(r, "last_error")?,
        last_polled_at: col(r, "last_polled_at")?,
        next_poll_at: col(r, "next_poll_at")?,
    })
}

fn res_row(r: &AnyRow) -> Result<Reservation, StoreError> {
    Ok(Reservation {
        id: col(r, "id")?,
        listing_id: col(r, "listing_id")?,
        feed_id: col(r, "feed_id")?,
        uid: col(r, "uid")?,
        summary: col(r, "summary")?,
        start_date: col(r, "start_date")?,
        end_date: col(r, "end_date")?,
        state: parse_enum(r, "state", ReservationState::parse)?,
        person_id: col(r, "person_id")?,
        batch_id: col(r, "batch_id")?,
        pin_kept: col::<Option<String>>(r, "pin_sealed")?.is_some(),
    })
}

/// A new listing (checked by the service).
#[derive(Debug, Clone)]
pub struct NewListing<'a> {
    /// Organisation.
    pub org_id: i64,
    /// Site.
    pub site_id: i64,
    /// Name.
    pub name: &'a str,
    /// Own zone.
    pub time_zone: Option<&'a str>,
    /// `HH:MM`.
    pub check_in: &'a str,
    /// `HH:MM`.
    pub check_out: &'a str,
    /// Doors.
    pub lock_ids: &'a [i64],
    /// PIN source.
    pub pin_source: PinSource,
    /// Minutes between polls.
    pub poll_minutes: i64,
    /// Cleaner codes on turnover days.
    pub cleaner_codes: bool,
}

impl Store {
    /// Creates a listing; [`StoreError::Conflict`] if the name is taken.
    pub async fn create_listing(&self, l: NewListing<'_>, now: i64) -> Result<Listing, StoreError> {
        let ids =
            serde_json::to_string(l.lock_ids).map_err(|e| StoreError::LogicBug(e.to_string()))?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO listings (org_id, site_id, name, time_zone, check_in, check_out, lock_ids, \
             pin_source, poll_minutes, cleaner_codes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             RETURNING {LISTING_COLS}"
        )))
        .bind(l.org_id)
        .bind(l.site_id)
        .bind(l.name)
        .bind(l.time_zone)
        .bind(l.check_in)
        .bind(l.check_out)
        .bind(ids)
        .bind(l.pin_source.as_str())
        .bind(l.poll_minutes)
        .bind(i64::from(l.cleaner_codes))
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        listing_row(&r)
    }

    /// A listing of an organisation.
    pub async fn get_listing(&self, org_id: i64, id: i64) -> Result<Option<Listing>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LISTING_COLS} FROM listings WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(listing_row).transpose()
    }

    /// The listings of an organisation, by id.
    pub async fn list_listings(&self, org_id: i64) -> Result<Vec<Listing>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LISTING_COLS} FROM listings WHERE org_id = $1 ORDER BY id"
        )))
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(listing_row).collect()
    }

    /// Adds a feed, due at once; [`StoreError::Conflict`] if already there.
    pub async fn add_feed(&self, listing_id: i64, url: &str, now: i64) -> Result<Feed, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO listing_feeds (listing_id, url, next_poll_at, created_at) \
             VALUES ($1, $2, $3, $3) RETURNING {FEED_COLS}"
        )))
        .bind(listing_id)
        .bind(url)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        feed_row(&r)
    }

    /// A listing's feeds.
    pub async fn listing_feeds(&self, listing_id: i64) -> Result<Vec<Feed>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FEED_COLS} FROM listing_feeds WHERE listing_id = $1 ORDER BY id"
        )))
        .bind(listing_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(feed_row).collect()
    }

    /// Feeds due at `now` with their organisation, oldest due first.
    pub async fn due_feeds(&self, now: i64, limit: i64) -> Result<Vec<(i64, Feed)>, StoreError> {
        let rows = sqlx::query(
            "SELECT f.id, f.listing_id, f.url, f.etag, f.last_modified, f.failures, f.last_error, \
             f.last_polled_at, f.next_poll_at, l.org_id FROM listing_feeds f \
             JOIN listings l ON l.id = f.listing_id WHERE f.next_poll_at <= $1 \
             ORDER BY f.next_poll_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((col(r, "org_id")?, feed_row(r)?)))
            .collect()
    }

    /// Takes a due feed for one poll (moves its next poll to `until`);
    /// `false` if another poller took it first.
    pub async fn claim_feed_poll(&self, id: i64, due: i64, until: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE listing_feeds SET next_poll_at = $3 WHERE id = $1 AND next_poll_at = $2",
        )
        .bind(id)
        .bind(due)
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a poll: validators (kept when `None`), failures, error, next poll.
    #[allow(clippy::too_many_arguments)]
    pub async fn feed_polled(
        &self,
        id: i64,
        etag: Option<&str>,
        last_modified: Option<&str>,
        failures: i64,
        error: Option<&str>,
        now: i64,
        next: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE listing_feeds SET etag = COALESCE($2, etag), \
             last_modified = COALESCE($3, last_modified), failures = $4, last_error = $5, \
             last_polled_at = $6, next_poll_at = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(etag)
        .bind(last_modified)
        .bind(failures)
        .bind(error)
        .bind(now)
        .bind(next)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A listing's reservations (cancelled ones too), by start.
    pub async fn listing_reservations(
        &self,
        listing_id: i64,
    ) -> Result<Vec<Reservation>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RES_COLS} FROM reservations WHERE listing_id = $1 ORDER BY start_date, id"
        )))
        .bind(listing_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(res_row).collect()
    }

    /// A reservation of an organisation, with its sealed PIN if kept.
    pub async fn get_reservation(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<(Reservation, Option<String>)>, StoreError> {
        let r = sqlx::query(
            "SELECT r.id, r.listing_id, r.feed_id, r.uid, r.summary, r.start_date, r.end_date, \
             r.state, r.person_id, r.batch_id, r.pin_sealed FROM reservations r \
             JOIN listings l ON l.id = r.listing_id WHERE l.org_id = $1 AND r.id = $2",
        )
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match r {
            Some(r) => Ok(Some((res_row(&r)?, col(&r, "pin_sealed")?))),
            None => Ok(None),
        }
    }

    /// Stores a reservation the feed showed (or revives a cancelled one with
    /// the same UID); returns its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn upsert_reservation(
        &self,
        listing_id: i64,
        feed_id: i64,
        uid: &str,
        summary: &str,
        start: &str,
        end: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let r = sqlx::query(
            "INSERT INTO reservations (listing_id, feed_id, uid, summary, start_date, end_date, \
             state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7) \
             ON CONFLICT (feed_id, uid) DO UPDATE SET summary = excluded.summary, \
             start_date = excluded.start_date, end_date = excluded.end_date, state = 'active', \
             person_id = NULL, pin_sealed = NULL, updated_at = excluded.updated_at RETURNING id",
        )
        .bind(listing_id)
        .bind(feed_id)
        .bind(uid)
        .bind(summary)
        .bind(start)
        .bind(end)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        col(&r, "id")
    }

    /// Records the code given for a reservation.
    pub async fn set_reservation_code(
        &self,
        id: i64,
        person_id: i64,
        batch_id: i64,
        pin_sealed: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE reservations SET person_id = $2, batch_id = $3, pin_sealed = $4, \
             updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(person_id)
        .bind(batch_id)
        .bind(pin_sealed)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// New dates (a re-timed code) and the change that carries them.
    pub async fn retime_reservation(
        &self,
        id: i64,
        start: &str,
        end: &str,
        batch_id: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE reservations SET start_date = $2, end_date = $3, \
             batch_id = COALESCE($4, batch_id), updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(start)
        .bind(end)
        .bind(batch_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Cancelled: the code is revoked (its sealed PIN forgotten).
    pub async fn cancel_reservation(
        &self,
        id: i64,
        batch_id: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE reservations SET state = 'cancelled', pin_sealed = NULL, \
             batch_id = COALESCE($2, batch_id), updated_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(batch_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
