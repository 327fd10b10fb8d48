//! Events reported by locks: deduplicated by `(lock, seq)`, gaps detected.

use sqlx::any::AnyRow;

use super::{col, json_col, Backend, Store, StoreError};
use crate::model::Event;

const COLS: &str = "id, org_id, lock_id, seq, kind, at, received_at, data";

fn event_row(r: &AnyRow) -> Result<Event, StoreError> {
    Ok(Event {
        id: col(r, "id")?,
        org_id: col(r, "org_id")?,
        lock_id: col(r, "lock_id")?,
        seq: col(r, "seq")?,
        kind: col(r, "kind")?,
        at: col(r, "at")?,
        received_at: col(r, "received_at")?,
        data: json_col(r, "data")?,
    })
}

/// An event as received from a lock.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// The lock (must exist).
    pub lock_id: i64,
    /// The lock's sequence number.
    pub seq: i64,
    /// Kind.
    pub kind: &'a str,
    /// The lock's time, Unix ms.
    pub at: i64,
    /// Details.
    pub data: &'a serde_json::Value,
}

/// What [`Store::ingest_event`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum IngestOutcome {
    /// Stored; no gap.
    Stored(Event),
    /// Stored, and the sequence jumped: `missing` are the numbers not seen
    /// between the previous highest and this one (inclusive range).
    StoredAfterGap {
        /// The stored event.
        event: Event,
        /// First missing sequence number.
        first_missing: i64,
        /// Last missing sequence number.
        last_missing: i64,
    },
    /// Already had `(lock, seq)`: nothing changed.
    Duplicate,
    /// No such lock.
    UnknownLock,
}

/// Filter for [`Store::search_events`].
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this lock.
    pub lock_id: Option<i64>,
    /// Only this kind.
    pub kind: Option<String>,
    /// At or after (Unix ms, lock time).
    pub from: Option<i64>,
    /// Strictly before (Unix ms, lock time).
    pub to: Option<i64>,
    /// At most this many, newest first.
    pub limit: i64,
}

impl Store {
    /// Stores an event once; reports duplicates and sequence gaps. The
    /// event's organisation is the lock's at arrival.
    pub async fn ingest_event(
        &self,
        e: NewEvent<'_>,
        now: i64,
    ) -> Result<IngestOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        let lock_clause = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let lock = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT org_id, last_event_seq, serial, name FROM locks WHERE id = $1{lock_clause}"
        )))
        .bind(e.lock_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(lock) = lock else {
            return Ok(IngestOutcome::UnknownLock);
        };
        let org_id: Option<i64> = col(&lock, "org_id")?;
        let last: Option<i64> = col(&lock, "last_event_seq")?;
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO events (org_id, lock_id, seq, kind, at, received_at, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (lock_id, seq) DO NOTHING RETURNING {COLS}"
        )))
        .bind(org_id)
        .bind(e.lock_id)
        .bind(e.seq)
        .bind(e.kind)
        .bind(e.at)
        .bind(now)
        .bind(e.data.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(inserted) = inserted else {
            return Ok(IngestOutcome::Duplicate);
        };
        let event = event_row(&inserted)?;
        // Webhooks hear it in the same transaction (the outbox).
        if let Some(org) = org_id {
            let serial: String = col(&lock, "serial")?;
            let name: String = col(&lock, "name")?;
            let lock_ref = crate::hooks::LockRef {
                id: e.lock_id,
                serial: &serial,
                name: &name,
            };
            // Who holds the acting user slot on this lock now.
            let person = match crate::hooks::user_slot(e.data) {
                Some(slot) => sqlx::query(
                    "SELECT p.id AS id, p.name AS name FROM door_access d JOIN people p ON p.id = d.person_id \
                     WHERE d.lock_id = $1 AND d.slot = $2 AND d.state <> 'removed' ORDER BY d.id DESC LIMIT 1",
                )
                .bind(e.lock_id)
                .bind(slot)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| Ok::<_, StoreError>((col::<i64>(&r, "id")?, col::<String>(&r, "name")?)))
                .transpose()?,
                None => None,
            };
            let person = person.as_ref().map(|(id, name)| (*id, name.as_str()));
            if let Some(out) =
                crate::hooks::for_lock_event(lock_ref, event.id, e.kind, e.at, e.data, person)
            {
                Store::enqueue_hook(&mut tx, org, e.lock_id, &out, now).await?;
            }
        }
        if last.is_none_or(|l| e.seq > l) {
            sqlx::query("UPDATE locks SET last_event_seq = $2 WHERE id = $1")
                .bind(e.lock_id)
                .bind(e.seq)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(match last {
            Some(l) if e.seq > l.saturating_add(1) => IngestOutcome::StoredAfterGap {
                event,
                first_missing: l.saturating_add(1),
                last_missing: e.seq.saturating_sub(1),
            },
            _ => IngestOutcome::Stored(event),
        })
    }

    /// Searches an organisation's events, newest (lock time) first.
    pub async fn search_events(
        &self,
        org_id: i64,
        f: &EventFilter,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM events WHERE org_id = $1 \
             AND ($2 IS NULL OR lock_id = $2) AND ($3 IS NULL OR kind = $3) \
             AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5) \
             ORDER BY at DESC, id DESC LIMIT $6"
        )))
        .bind(org_id)
        .bind(f.lock_id)
        .bind(f.kind.as_deref())
        .bind(f.from)
        .bind(f.to)
        .bind(f.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_row).collect()
    }
}
