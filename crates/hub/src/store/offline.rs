//! Offline codes (migration 0017): per lock the secret its codes derive from
//! (sealed with the binding key, `e1:` like bindings; never stored in the
//! clear, so a hub without a binding key cannot hold one) and its epoch; and
//! the codes issued — window, label, issuer, revocation — never the digits.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use zeroize::Zeroizing;

use super::plane::SEALED_PREFIX;
use super::{col, Store, StoreError};
use crate::model::ts;

const AAD_DOMAIN: &[u8] = b"tumbler-hub offline-secret v1\0";

fn aad(lock_id: i64) -> Vec<u8> {
    let mut a = AAD_DOMAIN.to_vec();
    a.extend_from_slice(&lock_id.to_be_bytes());
    a
}

/// A lock's offline-code secret and epoch, opened.
#[derive(Clone)]
pub struct OfflineKey {
    /// The 32-byte secret (zeroized on drop).
    pub secret: Zeroizing<[u8; 32]>,
    /// Codes of other epochs are dead on the lock.
    pub epoch: u32,
}

impl std::fmt::Debug for OfflineKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineKey")
            .field("secret", &"<redacted>")
            .field("epoch", &self.epoch)
            .finish()
    }
}

/// One issued offline code (the digits are not kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineCode {
    /// The hub's number of the code (`offline code #id`).
    pub id: i64,
    /// The lock it opens.
    pub lock_id: i64,
    /// The epoch it was issued in.
    pub epoch: i64,
    /// Its id on the lock (`tumbler-offline` `CodeId`), as the lock's log names it.
    pub code_id: i64,
    /// `one_time`, `hours`, `days` or `daily`.
    pub kind: String,
    /// The window's shape and start (`tumbler-offline` `Window`, JSON).
    pub window: serde_json::Value,
    /// First instant it opens.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub starts_at: i64,
    /// It opens no more from this instant.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub ends_at: i64,
    /// Who it is for (shown in the lock's history).
    pub label: String,
    /// The account that issued it.
    pub issued_by: Option<i64>,
    /// When.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub issued_at: i64,
    /// When it was revoked (one code, or all with a new epoch).
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub revoked_at: Option<i64>,
}

const COLS: &str = "id, lock_id, epoch, code_id, kind, window_json, starts_at, ends_at, label, \
                    issued_by, issued_at, revoked_at";

fn code_row(r: &AnyRow) -> Result<OfflineCode, StoreError> {
    let window: String = col(r, "window_json")?;
    Ok(OfflineCode {
        id: col(r, "id")?,
        lock_id: col(r, "lock_id")?,
        epoch: col(r, "epoch")?,
        code_id: col(r, "code_id")?,
        kind: col(r, "kind")?,
        window: serde_json::from_str(&window)
            .map_err(|e| StoreError::LogicBug(format!("offline code window: {e}")))?,
        starts_at: col(r, "starts_at")?,
        ends_at: col(r, "ends_at")?,
        label: col(r, "label")?,
        issued_by: col(r, "issued_by")?,
        issued_at: col(r, "issued_at")?,
        revoked_at: col(r, "revoked_at")?,
    })
}

/// A code to record.
#[derive(Debug, Clone)]
pub struct NewOfflineCode<'a> {
    /// Organisation.
    pub org_id: i64,
    /// Lock.
    pub lock_id: i64,
    /// Epoch it was derived in.
    pub epoch: u32,
    /// Its id on the lock.
    pub code_id: u64,
    /// Kind name.
    pub kind: &'static str,
    /// Window (JSON).
    pub window: serde_json::Value,
    /// First instant (ms).
    pub starts_at: i64,
    /// End (ms, exclusive).
    pub ends_at: i64,
    /// Label.
    pub label: &'a str,
    /// Issuer.
    pub issued_by: i64,
}

fn code_id_col(id: u64) -> Result<i64, StoreError> {
    i64::try_from(id).map_err(|_| StoreError::LogicBug("code id beyond i64".into()))
}

impl Store {
    /// Lock `lock_id`'s secret and epoch, opened (`None`: offline codes never enabled).
    pub async fn offline_key(&self, lock_id: i64) -> Result<Option<OfflineKey>, StoreError> {
        let row = sqlx::query("SELECT secret, epoch FROM offline_keys WHERE lock_id = $1")
            .bind(lock_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let sealed: String = col(&r, "secret")?;
        let epoch: i64 = col(&r, "epoch")?;
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| StoreError::LogicBug("offline secret not sealed".into()))?;
        let plain = Zeroizing::new(self.open_with(&aad(lock_id), body)?);
        let secret = <[u8; 32]>::try_from(plain.as_slice())
            .map_err(|_| StoreError::LogicBug("offline secret length".into()))?;
        Ok(Some(OfflineKey {
            secret: Zeroizing::new(secret),
            epoch: u32::try_from(epoch)
                .map_err(|_| StoreError::LogicBug("offline epoch".into()))?,
        }))
    }

    /// Stores lock `lock_id`'s secret and epoch (sealed), replacing any earlier one and
    /// marking every code of an earlier epoch revoked, in one transaction. Refused
    /// without a binding key: the secret is never stored in the clear.
    pub async fn set_offline_key(
        &self,
        lock_id: i64,
        key: &OfflineKey,
        now: i64,
    ) -> Result<(), StoreError> {
        if !self.can_seal() {
            return Err(StoreError::LogicBug(
                "no binding key: an offline-code secret cannot be sealed".into(),
            ));
        }
        let sealed = self.seal_with(&aad(lock_id), &key.secret[..])?;
        let epoch = i64::from(key.epoch);
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO offline_keys (lock_id, secret, epoch, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (lock_id) DO UPDATE SET secret = excluded.secret, epoch = excluded.epoch, \
             updated_at = excluded.updated_at",
        )
        .bind(lock_id)
        .bind(sealed)
        .bind(epoch)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE offline_codes SET revoked_at = $3 \
             WHERE lock_id = $1 AND epoch <> $2 AND revoked_at IS NULL",
        )
        .bind(lock_id)
        .bind(epoch)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an issued code; [`StoreError::Conflict`] if the lock already has a code
    /// with this window in this epoch.
    pub async fn insert_offline_code(
        &self,
        c: NewOfflineCode<'_>,
        now: i64,
    ) -> Result<OfflineCode, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO offline_codes (org_id, lock_id, epoch, code_id, kind, window_json, \
             starts_at, ends_at, label, issued_by, issued_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLS}"
        )))
        .bind(c.org_id)
        .bind(c.lock_id)
        .bind(i64::from(c.epoch))
        .bind(code_id_col(c.code_id)?)
        .bind(c.kind)
        .bind(c.window.to_string())
        .bind(c.starts_at)
        .bind(c.ends_at)
        .bind(c.label)
        .bind(c.issued_by)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        code_row(&r)
    }

    /// Lock `lock_id`'s codes, newest first.
    pub async fn offline_codes(&self, lock_id: i64) -> Result<Vec<OfflineCode>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM offline_codes WHERE lock_id = $1 ORDER BY id DESC LIMIT 500"
        )))
        .bind(lock_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(code_row).collect()
    }

    /// One code of organisation `org_id` (another organisation's is `None`).
    pub async fn offline_code(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<OfflineCode>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM offline_codes WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(code_row).transpose()
    }

    /// The code the lock's log names by `code_id` (the newest epoch's, if the same
    /// window was issued in several).
    pub async fn offline_code_by_lock_id(
        &self,
        lock_id: i64,
        code_id: u64,
    ) -> Result<Option<OfflineCode>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM offline_codes WHERE lock_id = $1 AND code_id = $2 \
             ORDER BY epoch DESC LIMIT 1"
        )))
        .bind(lock_id)
        .bind(code_id_col(code_id)?)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(code_row).transpose()
    }

    /// Marks one code revoked (no-op if it already is).
    pub async fn revoke_offline_code(&self, id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE offline_codes SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
