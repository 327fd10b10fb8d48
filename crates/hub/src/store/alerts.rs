//! Alerts: things a person should look at, acknowledged once handled.

use sqlx::any::AnyRow;

use super::{col, parse_enum, Store, StoreError};
use crate::model::{Alert, AlertKind, Severity};

const COLS: &str =
    "id, org_id, lock_id, kind, severity, message, created_at, times, last_at, acked_at, acked_by";

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
    /// `last_at`, latest message) instead of adding another. One statement,
    /// backed by a partial unique index, so two hubs raising at once still
    /// leave one.
    pub async fn raise_alert(&self, a: NewAlert<'_>, now: i64) -> Result<Alert, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO alerts (org_id, lock_id, kind, severity, message, created_at, times, last_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $6) \
             ON CONFLICT (org_id, lock_id, kind) WHERE acked_at IS NULL AND lock_id IS NOT NULL \
             DO UPDATE SET times = alerts.times + 1, last_at = excluded.last_at, \
                           message = excluded.message \
             RETURNING {COLS}"
        )))
        .bind(a.org_id)
        .bind(a.lock_id)
        .bind(a.kind.as_str())
        .bind(a.kind.severity().as_str())
        .bind(a.message.unwrap_or(a.kind.text()))
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        alert_row(&r)
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
