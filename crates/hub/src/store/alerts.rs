//! Alerts: things a person should look at, acknowledged once handled.

use sqlx::any::AnyRow;

use super::{col, parse_enum, Store, StoreError};
use crate::model::{Alert, AlertKind, Severity};

const COLS: &str =
    "id, org_id, lock_id, kind, severity, message, created_at, times, last_at, cleared_at, acked_at, acked_by";

fn alert_row(r: &AnyRow) -> Result<Alert, StoreError> {
    Ok(Alert {
        id: col(r, "id")?,
        org_id: col(r, "org_id")?,
        lock_id: col(r, "lock_id")?,
        kind: parse_enum(r, "kind", AlertKind::parse)?,
        severity: parse_enum(r, "severity", Severity::parse)?,
        message: col(r, "message")?,
        created_at: col(r, "created_at")?,
        times: col(r, "times")?,
        last_at: col(r, "last_at")?,
        cleared_at: col(r, "cleared_at")?,
        acked_at: col(r, "acked_at")?,
        acked_by: col(r, "acked_by")?,
    })
}

/// A new alert.
#[derive(Debug, Clone)]
pub struct NewAlert<'a> {
    /// Organisation to notify.
    pub org_id: i64,
    /// Lock concerned.
    pub lock_id: Option<i64>,
    /// What it is about (its severity follows from it).
    pub kind: AlertKind,
    /// Human-readable text (no secrets); `None`: the kind's own text.
    pub message: Option<&'a str>,
}

impl Store {
    /// Raises an alert. A lock has at most one open alert of a kind: raising
    /// it again while it is open (not acknowledged) counts it (`times`,
    /// `last_at`, latest message) instead of adding another — except a
    /// condition kind ([`AlertKind::is_condition`]) whose condition still
    /// holds (not `cleared_at`): that changes nothing, so a battery reported
    /// low twice is one occurrence. A cleared condition alert raised again
    /// reopens (a flapping link: one alert, `times` flaps). One statement,
    /// backed by a partial unique index, so two hubs raising at once still
    /// leave one.
    pub async fn raise_alert(&self, a: NewAlert<'_>, now: i64) -> Result<Alert, StoreError> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO alerts (org_id, lock_id, kind, severity, message, created_at, times, last_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $6) \
             ON CONFLICT (org_id, lock_id, kind) WHERE acked_at IS NULL AND lock_id IS NOT NULL \
             DO UPDATE SET \
               times = CASE WHEN $7 = 1 AND alerts.cleared_at IS NULL THEN alerts.times \
                            ELSE alerts.times + 1 END, \
               last_at = CASE WHEN $7 = 1 AND alerts.cleared_at IS NULL THEN alerts.last_at \
                              ELSE excluded.last_at END, \
               message = excluded.message, cleared_at = NULL \
             RETURNING {COLS}"
        )))
        .bind(a.org_id)
        .bind(a.lock_id)
        .bind(a.kind.as_str())
        .bind(a.kind.severity().as_str())
        .bind(a.message.unwrap_or(a.kind.text()))
        .bind(now)
        .bind(i64::from(a.kind.is_condition()))
        .fetch_one(&mut *tx)
        .await?;
        let alert = alert_row(&r)?;
        // Raised or counted now (not a condition still holding): webhooks
        // hear it in the same transaction (the outbox).
        if alert.last_at == now {
            let lock = match alert.lock_id {
                Some(id) => sqlx::query("SELECT serial, name FROM locks WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|l| {
                        Ok::<_, StoreError>((
                            id,
                            col::<String>(&l, "serial")?,
                            col::<String>(&l, "name")?,
                        ))
                    })
                    .transpose()?,
                None => None,
            };
            let lock_ref = lock
                .as_ref()
                .map(|(id, serial, name)| crate::hooks::LockRef {
                    id: *id,
                    serial,
                    name,
                });
            if let Some(out) = crate::hooks::for_alert(
                lock_ref,
                alert.id,
                alert.times,
                alert.kind,
                &alert.message,
                now,
            ) {
                Store::enqueue_hook(&mut tx, alert.org_id, alert.lock_id.unwrap_or(0), &out, now)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(alert)
    }

    /// The condition behind `kind` ended for `lock_id`: its open alert is
    /// marked cleared (it stays listed until acknowledged). Returns how many
    /// alerts changed (0 or 1).
    pub async fn clear_alert(
        &self,
        org_id: i64,
        lock_id: i64,
        kind: AlertKind,
        now: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE alerts SET cleared_at = $4 WHERE org_id = $1 AND lock_id = $2 AND kind = $3 \
             AND acked_at IS NULL AND cleared_at IS NULL",
        )
        .bind(org_id)
        .bind(lock_id)
        .bind(kind.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// An organisation's alerts, newest first; `open_only` hides acknowledged ones.
    pub async fn list_alerts(
        &self,
        org_id: i64,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<Alert>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM alerts WHERE org_id = $1 AND ($2 = 0 OR acked_at IS NULL) \
             ORDER BY id DESC LIMIT $3"
        )))
        .bind(org_id)
        .bind(i64::from(open_only))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(alert_row).collect()
    }

    /// Acknowledges an alert (idempotent: the first acknowledgement stays).
    /// `None` if no such alert in the organisation.
    pub async fn ack_alert(
        &self,
        org_id: i64,
        id: i64,
        by: i64,
        now: i64,
    ) -> Result<Option<Alert>, StoreError> {
        sqlx::query(
            "UPDATE alerts SET acked_at = $3, acked_by = $4 WHERE org_id = $1 AND id = $2 AND acked_at IS NULL",
        )
        .bind(org_id)
        .bind(id)
        .bind(now)
        .bind(by)
        .execute(&self.pool)
        .await?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM alerts WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(alert_row).transpose()
    }
}
