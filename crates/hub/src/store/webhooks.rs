//! Webhook endpoints, their outbox of deliveries and the delivery log.
//!
//! Outbox rows are written by [`Store::enqueue_hook`] inside the
//! transaction that stores the event or raises the alert, one per endpoint
//! subscribed at that moment. The worker claims the head of each lane
//! (endpoint × lock) with a lease, so several hubs on one database never
//! send the same delivery at once and a lane is delivered in order.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use zeroize::Zeroizing;

use super::{col, Store, StoreError};
use crate::hooks::{Outgoing, EVERY_EVENT};
use crate::model::ts;

/// Additional data authenticated with a sealed webhook secret.
fn secret_aad(org_id: i64) -> Vec<u8> {
    let mut a = b"tumbler-hub webhook-secret v1".to_vec();
    a.extend_from_slice(&org_id.to_be_bytes());
    a
}

/// An endpoint (its secret is never read back to a user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Id.
    pub id: i64,
    /// Owning organisation.
    pub org_id: i64,
    /// Where deliveries go.
    pub url: String,
    /// Event names subscribed to (`*`: all).
    pub events: Vec<String>,
    /// False once disabled (by a person or after failing too long).
    pub enabled: bool,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Failed attempts in a row (0 after a success).
    pub consecutive_failures: i64,
    /// When the current run of failures began.
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub failing_since: Option<i64>,
    /// When it was added.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
}

/// One event on its way to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Id.
    pub id: i64,
    /// Endpoint.
    pub webhook_id: i64,
    /// The lock it is about (0: none); deliveries of one lane go in order.
    pub lane: i64,
    /// Event name.
    pub event: String,
    /// `webhook-id` sent (the same on every attempt and redelivery).
    pub msg_id: String,
    /// `pending`, `delivered` or `failed` (given up).
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (pending).
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub next_at: i64,
    /// HTTP status of the last attempt, if one answered.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// How long the last attempt took.
    pub last_latency_ms: Option<i64>,
    /// When it was queued.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
    /// When it was delivered or given up.
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub ended_at: Option<i64>,
}

/// One attempt in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub at: i64,
    /// HTTP status, if the endpoint answered.
    pub status: Option<i64>,
    /// Why it failed (timeout, connection refused, refused address, status).
    pub error: Option<String>,
    /// How long it took.
    pub latency_ms: i64,
}

/// A delivery claimed for sending, with what it needs.
#[derive(Debug)]
pub struct DueDelivery {
    /// The row.
    pub delivery: Delivery,
    /// The endpoint's organisation.
    pub org_id: i64,
    /// The endpoint's URL.
    pub url: String,
    /// The signing key (opened from its sealed form).
    pub key: Zeroizing<Vec<u8>>,
    /// The body.
    pub payload: String,
}

/// What an attempt came to.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    /// HTTP status, if any answer came.
    pub status: Option<u16>,
    /// Failure text (`None`: delivered).
    pub error: Option<String>,
    /// Duration.
    pub latency_ms: i64,
    /// Failed: when to try again (`None`: give up).
    pub retry_at: Option<i64>,
}

/// An endpoint's failure run after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRun {
    /// Failed attempts in a row.
    pub consecutive: i64,
    /// Since when.
    pub since: Option<i64>,
}

const HOOK_COLS: &str =
    "id, org_id, url, enabled, disabled_reason, consecutive_failures, failing_since, created_at";
const DELIVERY_COLS: &str =
    "id, webhook_id, lane, event, msg_id, state, attempts, next_at, last_status, \
     last_error, last_latency_ms, created_at, ended_at";

fn delivery_row(r: &AnyRow) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: col(r, "id")?,
        webhook_id: col(r, "webhook_id")?,
        lane: col(r, "lane")?,
        event: col(r, "event")?,
        msg_id: col(r, "msg_id")?,
        state: col(r, "state")?,
        attempts: col(r, "attempts")?,
        next_at: col(r, "next_at")?,
        last_status: col(r, "last_status")?,
        last_error: col(r, "last_error")?,
        last_latency_ms: col(r, "last_latency_ms")?,
        created_at: col(r, "created_at")?,
        ended_at: col(r, "ended_at")?,
    })
}

impl Store {
    fn hook_row(&self, r: &AnyRow, events: Vec<String>) -> Result<Webhook, StoreError> {
        let enabled: i64 = col(r, "enabled")?;
        Ok(Webhook {
            id: col(r, "id")?,
            org_id: col(r, "org_id")?,
            url: col(r, "url")?,
            events,
            enabled: enabled != 0,
            disabled_reason: col(r, "disabled_reason")?,
            consecutive_failures: col(r, "consecutive_failures")?,
            failing_since: col(r, "failing_since")?,
            created_at: col(r, "created_at")?,
        })
    }

    async fn hook_events(&self, id: i64) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT event FROM webhook_events WHERE webhook_id = $1 ORDER BY event")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| col(r, "event")).collect()
    }

    /// Adds an endpoint subscribed to `events` (checked names, or `*`),
    /// signing with `key` (sealed at rest when the hub has a binding key).
    pub async fn create_webhook(
        &self,
        org_id: i64,
        url: &str,
        events: &[String],
        key: &[u8],
        created_by: Option<i64>,
        now: i64,
    ) -> Result<Webhook, StoreError> {
        let sealed = if self.can_seal() {
            self.seal_with(&secret_aad(org_id), key)?
        } else {
            super::plane::hex(key)
        };
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webhooks (org_id, url, secret, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {HOOK_COLS}"
        )))
        .bind(org_id)
        .bind(url)
        .bind(sealed)
        .bind(created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = col(&r, "id")?;
        for e in events {
            sqlx::query("INSERT INTO webhook_events (webhook_id, event) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(e)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let mut events = events.to_vec();
        events.sort();
        events.dedup();
        self.hook_row(&r, events)
    }

    /// An organisation's endpoints.
    pub async fn list_webhooks(&self, org_id: i64) -> Result<Vec<Webhook>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {HOOK_COLS} FROM webhooks WHERE org_id = $1 ORDER BY id"
        )))
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let events = self.hook_events(col(r, "id")?).await?;
            out.push(self.hook_row(r, events)?);
        }
        Ok(out)
    }

    /// One endpoint of an organisation.
    pub async fn get_webhook(&self, org_id: i64, id: i64) -> Result<Option<Webhook>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {HOOK_COLS} FROM webhooks WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match r {
            None => Ok(None),
            Some(r) => Ok(Some(self.hook_row(&r, self.hook_events(id).await?)?)),
        }
    }

    /// Removes an endpoint with its deliveries and log; false if absent.
    pub async fn delete_webhook(&self, org_id: i64, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        // Explicit deletes: SQLite enforces ON DELETE CASCADE only with
        // foreign keys on, which this hub does not rely on.
        let owned = sqlx::query("SELECT id FROM webhooks WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if owned.is_none() {
            return Ok(false);
        }
        for q in [
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = $1)",
            "DELETE FROM webhook_deliveries WHERE webhook_id = $1",
            "DELETE FROM webhook_events WHERE webhook_id = $1",
            "DELETE FROM webhooks WHERE id = $1",
        ] {
            sqlx::query(q).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Enables (clearing the failure run) or disables an endpoint with a
    /// reason; false if absent or already so.
    pub async fn set_webhook_enabled(
        &self,
        org_id: i64,
        id: i64,
        enabled: bool,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webhooks SET enabled = $3, disabled_reason = $4, \
             consecutive_failures = CASE WHEN $3 = 1 THEN 0 ELSE consecutive_failures END, \
             failing_since = CASE WHEN $3 = 1 THEN NULL ELSE failing_since END \
             WHERE org_id = $1 AND id = $2 AND enabled <> $3",
        )
        .bind(org_id)
        .bind(id)
        .bind(i64::from(enabled))
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Queues `out` for every enabled endpoint of `org_id` subscribed to it,
    /// inside the caller's transaction (the event and its deliveries commit
    /// together). `lane`: the lock's id, 0 for none.
    pub(crate) async fn enqueue_hook(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        org_id: i64,
        lane: i64,
        out: &Outgoing,
        now: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, org_id, lane, event, msg_id, payload, state, next_at, created_at) \
             SELECT DISTINCT w.id, w.org_id, $2, $3, $4, $5, 'pending', $6, $6 FROM webhooks w \
             JOIN webhook_events s ON s.webhook_id = w.id \
             WHERE w.org_id = $1 AND w.enabled = 1 AND (s.event = $3 OR s.event = $7)",
        )
        .bind(org_id)
        .bind(lane)
        .bind(out.event.as_str())
        .bind(&out.msg_id)
        .bind(out.payload.to_string())
        .bind(now)
        .bind(EVERY_EVENT)
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected())
    }

    /// Deliveries waiting (pending) on every endpoint.
    pub async fn webhook_queue_depth(&self) -> Result<i64, StoreError> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE state = 'pending'")
            .fetch_one(&self.pool)
            .await?;
        col(&r, "n")
    }

    /// Claims up to `limit` due deliveries, each the oldest pending one of
    /// its lane on an enabled endpoint, leased until `now + lease_ms`.
    pub async fn claim_deliveries(
        &self,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id AS did FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.state = 'pending' AND d.next_at <= $1 AND w.enabled = 1 \
             AND (d.lease_until IS NULL OR d.lease_until < $1) \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id \
                 AND e.lane = d.lane AND e.state = 'pending' AND e.id < d.id) \
             ORDER BY d.id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let id: i64 = col(r, "did")?;
            let won = sqlx::query(
                "UPDATE webhook_deliveries SET lease_until = $2 WHERE id = $1 AND state = 'pending' \
                 AND (lease_until IS NULL OR lease_until < $3)",
            )
            .bind(id)
            .bind(now.saturating_add(lease_ms))
            .bind(now)
            .execute(&self.pool)
            .await?;
            if won.rows_affected() != 1 {
                continue; // another hub took it
            }
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {}, d.payload AS payload, w.url AS url, w.secret AS secret, w.org_id AS worg \
                 FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1",
                DELIVERY_COLS
                    .split(", ")
                    .map(|c| format!("d.{c} AS {c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
            let org_id: i64 = col(&r, "worg")?;
            let secret: String = col(&r, "secret")?;
            let key = match secret.strip_prefix(super::plane::SEALED_PREFIX) {
                Some(body) => Zeroizing::new(self.open_with(&secret_aad(org_id), body)?),
                None => Zeroizing::new(super::plane::unhex(&secret)?),
            };
            out.push(DueDelivery {
                delivery: delivery_row(&r)?,
                org_id,
                url: col(&r, "url")?,
                key,
                payload: col(&r, "payload")?,
            });
        }
        Ok(out)
    }

    /// Logs an attempt and moves the delivery on (delivered, retry later,
    /// or given up), and the endpoint's failure run with it.
    pub async fn record_attempt(
        &self,
        d: &Delivery,
        res: &AttemptResult,
        now: i64,
    ) -> Result<FailureRun, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, at, status, error, latency_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(d.id)
        .bind(now)
        .bind(res.status.map(i64::from))
        .bind(res.error.as_deref())
        .bind(res.latency_ms)
        .execute(&mut *tx)
        .await?;
        let (state, next_at, ended) = match (&res.error, res.retry_at) {
            (None, _) => ("delivered", d.next_at, Some(now)),
            (Some(_), Some(at)) => ("pending", at, None),
            (Some(_), None) => ("failed", d.next_at, Some(now)),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, next_at = $3, lease_until = NULL, \
             last_status = $4, last_error = $5, last_latency_ms = $6, ended_at = $7 WHERE id = $1",
        )
        .bind(d.id)
        .bind(state)
        .bind(next_at)
        .bind(res.status.map(i64::from))
        .bind(res.error.as_deref())
        .bind(res.latency_ms)
        .bind(ended)
        .execute(&mut *tx)
        .await?;
        let r = sqlx::query(
            "UPDATE webhooks SET \
             consecutive_failures = CASE WHEN $2 = 1 THEN 0 ELSE consecutive_failures + 1 END, \
             failing_since = CASE WHEN $2 = 1 THEN NULL ELSE COALESCE(failing_since, $3) END \
             WHERE id = $1 RETURNING consecutive_failures, failing_since",
        )
        .bind(d.webhook_id)
        .bind(i64::from(res.error.is_none()))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(match r {
            Some(r) => FailureRun {
                consecutive: col(&r, "consecutive_failures")?,
                since: col(&r, "failing_since")?,
            },
            None => FailureRun {
                consecutive: 0,
                since: None,
            },
        })
    }

    /// An organisation's deliveries, newest first (one endpoint if given).
    pub async fn list_deliveries(
        &self,
        org_id: i64,
        webhook_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE org_id = $1 \
             AND ($2 IS NULL OR webhook_id = $2) ORDER BY id DESC LIMIT $3"
        )))
        .bind(org_id)
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery_row).collect()
    }

    /// One delivery of an organisation and its attempts, oldest first.
    pub async fn get_delivery(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<(Delivery, Vec<Attempt>)>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = r else { return Ok(None) };
        let rows = sqlx::query(
            "SELECT at, status, error, latency_ms FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let attempts = rows
            .iter()
            .map(|a| {
                Ok(Attempt {
                    at: col(a, "at")?,
                    status: col(a, "status")?,
                    error: col(a, "error")?,
                    latency_ms: col(a, "latency_ms")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some((delivery_row(&r)?, attempts)))
    }

    /// Queues a delivery again as a new one at the back of its lane (same
    /// event, same `webhook-id`), due now.
    pub async fn redeliver(
        &self,
        org_id: i64,
        id: i64,
        now: i64,
    ) -> Result<Option<Delivery>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webhook_deliveries (webhook_id, org_id, lane, event, msg_id, payload, state, next_at, created_at) \
             SELECT webhook_id, org_id, lane, event, msg_id, payload, 'pending', $3, $3 FROM webhook_deliveries \
             WHERE org_id = $1 AND id = $2 RETURNING {DELIVERY_COLS}"
        )))
        .bind(org_id)
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(delivery_row).transpose()
    }
}
