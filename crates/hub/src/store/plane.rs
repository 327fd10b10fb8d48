//! Tables of the lock plane: bindings (one per claimed lock, holding the
//! hub's controller secret key and the envelope counters), the lock's
//! reported telemetry, reset state and lifecycle intents, the audit-log
//! cursor, and the hub's own audit trail.
//!
//! Binding rule (tumbler-control): the binding is persisted **before** any
//! frame it sealed is published, in the same transaction as the operation
//! state it belongs to. [`Store::seal_with_binding`] is that transaction.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use zeroize::Zeroizing;

use super::locks::{lock_row, COLS as LOCK_COLS};
use super::{col, Backend, Store, StoreError};
use crate::model::{AuditEntry, Lock, OpName};

pub use crate::secrets::BindingKey;

pub(super) const SEALED_PREFIX: &str = "e1:";
const AAD_DOMAIN: &[u8] = b"tumbler-hub binding v1\0";

fn aad(lock_id: i64) -> Vec<u8> {
    let mut a = AAD_DOMAIN.to_vec();
    a.extend_from_slice(&lock_id.to_be_bytes());
    a
}

const PROPERTY_AAD_DOMAIN: &[u8] = b"tumbler-hub hotel property key v1\0";

fn property_aad(site_id: i64) -> Vec<u8> {
    let mut a = PROPERTY_AAD_DOMAIN.to_vec();
    a.extend_from_slice(&site_id.to_be_bytes());
    a
}

const PIN_AAD_DOMAIN: &[u8] = b"tumbler-hub pin v1\0";

fn pin_aad(lock_id: i64) -> Vec<u8> {
    let mut a = PIN_AAD_DOMAIN.to_vec();
    a.extend_from_slice(&lock_id.to_be_bytes());
    a
}

const GUEST_PIN_AAD_DOMAIN: &[u8] = b"tumbler-hub guest pin v1\0";

fn guest_pin_aad(reservation_id: i64) -> Vec<u8> {
    let mut a = GUEST_PIN_AAD_DOMAIN.to_vec();
    a.extend_from_slice(&reservation_id.to_be_bytes());
    a
}

impl Store {
    /// Seals a rental guest's PIN for its reservation (`e1:` + hex), so the
    /// host can read it again; `None` without a key (then it is shown once).
    pub fn seal_guest_pin(
        &self,
        reservation_id: i64,
        pin: &[u8],
    ) -> Result<Option<String>, StoreError> {
        if self.binding_key.is_none() {
            return Ok(None);
        }
        self.seal_with(&guest_pin_aad(reservation_id), pin)
            .map(Some)
    }

    /// Opens what [`Store::seal_guest_pin`] wrote.
    pub fn open_guest_pin(
        &self,
        reservation_id: i64,
        stored: &str,
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let body = stored
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| StoreError::LogicBug("sealed PIN without prefix".into()))?;
        self.open_with(&guest_pin_aad(reservation_id), body)
            .map(Zeroizing::new)
    }

    /// Whether secrets can be sealed at rest (a binding key is configured).
    pub fn can_seal(&self) -> bool {
        self.binding_key.is_some()
    }

    /// Seals a PIN waiting to be sent to `lock_id` (`e1:` + hex), or `None`
    /// without a key (the caller then keeps it in memory only).
    pub fn seal_pin(&self, lock_id: i64, pin: &[u8]) -> Result<Option<String>, StoreError> {
        if self.binding_key.is_none() {
            return Ok(None);
        }
        self.seal_with(&pin_aad(lock_id), pin).map(Some)
    }

    /// Opens what [`Store::seal_pin`] wrote.
    pub fn open_pin(&self, lock_id: i64, stored: &str) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let body = stored
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| StoreError::LogicBug("sealed PIN without prefix".into()))?;
        self.open_with(&pin_aad(lock_id), body).map(Zeroizing::new)
    }

    /// A keyed tag of a PIN, to refuse the same PIN for two people on a door
    /// without storing the PIN: HMAC-SHA-256 under a key derived from the
    /// binding key, over the organisation and the PIN. `None` without a key.
    pub fn pin_tag(&self, org_id: i64, pin: &[u8]) -> Option<String> {
        use hmac::{Hmac, KeyInit, Mac};
        type H = Hmac<sha2::Sha256>;
        let key = self.binding_key.as_ref()?;
        let mut k = <H as KeyInit>::new_from_slice(&key.expose()[..]).ok()?;
        k.update(b"tumbler-hub pin-tag v1");
        let derived = Zeroizing::new(k.finalize().into_bytes().to_vec());
        let mut m = <H as KeyInit>::new_from_slice(&derived).ok()?;
        m.update(&org_id.to_be_bytes());
        m.update(pin);
        Some(hex(&m.finalize().into_bytes()))
    }

    /// Seals a hotel property's secret key for site `site_id` (`e1:` + hex,
    /// the site as associated data), or plain hex without a binding key —
    /// as bindings are stored (a hub without a key keeps its secrets in its
    /// database file, owner-only).
    pub fn seal_property_key(&self, site_id: i64, secret: &[u8]) -> Result<String, StoreError> {
        if self.binding_key.is_none() {
            return Ok(hex(secret));
        }
        self.seal_with(&property_aad(site_id), secret)
    }

    /// Opens what [`Store::seal_property_key`] wrote.
    pub fn open_property_key(
        &self,
        site_id: i64,
        stored: &str,
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        match stored.strip_prefix(SEALED_PREFIX) {
            Some(body) => self.open_with(&property_aad(site_id), body),
            None => unhex(stored),
        }
        .map(Zeroizing::new)
    }

    /// The stored text of a binding: `e1:` + hex(nonce ‖ ciphertext ‖ tag)
    /// with a key, plain hex without.
    fn seal_binding(&self, lock_id: i64, plain: &[u8]) -> Result<String, StoreError> {
        if self.binding_key.is_none() {
            return Ok(hex(plain));
        }
        self.seal_with(&aad(lock_id), plain)
    }

    pub(super) fn seal_with(&self, aad: &[u8], plain: &[u8]) -> Result<String, StoreError> {
        let bug = |what: &str| StoreError::LogicBug(format!("encryption: {what}"));
        let key = self.binding_key.as_ref().ok_or_else(|| bug("no key"))?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|_| bug("no randomness"))?;
        let cipher = ChaCha20Poly1305::new(
            <&Key>::try_from(&key.expose()[..]).map_err(|_| bug("key length"))?,
        );
        let mut buf = Zeroizing::new(plain.to_vec());
        let tag = cipher
            .encrypt_inout_detached(&Nonce::from(nonce), aad, buf.as_mut_slice().into())
            .map_err(|_| bug("encrypt"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        out.extend_from_slice(&tag);
        Ok(format!("{SEALED_PREFIX}{}", hex(&out)))
    }

    /// Reads what [`Store::seal_binding`] wrote.
    fn open_binding(&self, lock_id: i64, stored: &str) -> Result<Vec<u8>, StoreError> {
        let Some(body) = stored.strip_prefix(SEALED_PREFIX) else {
            return unhex(stored);
        };
        self.open_with(&aad(lock_id), body)
    }

    pub(super) fn open_with(&self, aad: &[u8], body: &str) -> Result<Vec<u8>, StoreError> {
        let bad = |what: &str| StoreError::LogicBug(format!("decryption: {what}"));
        let key = self
            .binding_key
            .as_ref()
            .ok_or_else(|| bad("the row is encrypted and no key is configured"))?;
        let raw = unhex(body)?;
        if raw.len() < 28 {
            return Err(bad("too short"));
        }
        let (nonce, rest) = raw.split_at(12);
        let (ct, tag) = rest.split_at(rest.len() - 16);
        let cipher = ChaCha20Poly1305::new(
            <&Key>::try_from(&key.expose()[..]).map_err(|_| bad("key length"))?,
        );
        let nonce = <[u8; 12]>::try_from(nonce).map_err(|_| bad("nonce"))?;
        let tag = Tag::try_from(tag).map_err(|_| bad("tag"))?;
        let mut buf = Zeroizing::new(ct.to_vec());
        cipher
            .decrypt_inout_detached(&Nonce::from(nonce), aad, buf.as_mut_slice().into(), &tag)
            .map_err(|_| bad("wrong key or tampered row"))?;
        Ok(buf.to_vec())
    }
}

/// Telemetry from one authenticated status.
#[derive(Debug, Clone, Default)]
pub struct StatusRecord {
    /// Battery in percent.
    pub battery_pct: i64,
    /// Bolt state spelling.
    pub bolt: String,
    /// Door state spelling.
    pub door: String,
    /// Operating mode spelling.
    pub mode: String,
    /// Setup mode.
    pub setup_mode: bool,
    /// Firmware `a.b.c`.
    pub firmware: String,
    /// Credential change counter.
    pub credential_version: i64,
    /// Credential digest (hex).
    pub credential_digest: String,
    /// Lock clock minus hub clock, seconds.
    pub clock_skew_s: i64,
    /// The lock's reset counter.
    pub reset_counter: i64,
}

/// A new entry of the hub's audit trail.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    /// Organisation.
    pub org_id: i64,
    /// Who asked.
    pub account_id: Option<i64>,
    /// The lock concerned.
    pub lock_id: Option<i64>,
    /// What (`manufacturer_reset_requested`, `lock_claimed`, …).
    pub action: &'a str,
    /// Details (JSON; never secrets).
    pub detail: &'a serde_json::Value,
}

impl Store {
    async fn begin_on_lock(
        &self,
        lock_id: i64,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM locks WHERE id = $1 FOR UPDATE")
                .bind(lock_id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// The stored binding bytes of a lock (hex-decoded), if it has one.
    pub async fn get_binding(&self, lock_id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let r = sqlx::query("SELECT data FROM bindings WHERE lock_id = $1")
            .bind(lock_id)
            .fetch_optional(&self.pool)
            .await?;
        match r {
            None => Ok(None),
            Some(r) => {
                let s: String = col(&r, "data")?;
                self.open_binding(lock_id, &s).map(Some)
            }
        }
    }

    /// Runs `f` on the lock's binding inside one transaction that holds the
    /// lock's row: `f` returns the new binding bytes (or `None` to keep
    /// them) and a value. The new bytes are committed before this returns,
    /// so a frame `f` sealed may be published afterwards. `Ok(None)` when
    /// the lock has no binding.
    pub async fn update_binding<R>(
        &self,
        lock_id: i64,
        now: i64,
        f: impl FnOnce(&[u8]) -> (Option<Vec<u8>>, R),
    ) -> Result<Option<R>, StoreError> {
        self.seal_with_binding(lock_id, None, now, |b| {
            let (bytes, r) = f(b);
            (bytes, None, r)
        })
        .await
    }

    /// Like [`Store::update_binding`], and in the same transaction records
    /// the command id `f` sealed operation `op_id` under.
    pub async fn seal_with_binding<R>(
        &self,
        lock_id: i64,
        op_id: Option<i64>,
        now: i64,
        f: impl FnOnce(&[u8]) -> (Option<Vec<u8>>, Option<i64>, R),
    ) -> Result<Option<R>, StoreError> {
        let mut tx = self.begin_on_lock(lock_id).await?;
        let r = sqlx::query("SELECT data FROM bindings WHERE lock_id = $1")
            .bind(lock_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(r) = r else {
            return Ok(None);
        };
        let s: String = col(&r, "data")?;
        let bytes = Zeroizing::new(self.open_binding(lock_id, &s)?);
        let (new, command_id, out) = f(&bytes);
        if let Some(new) = new {
            let new = Zeroizing::new(new);
            sqlx::query("UPDATE bindings SET data = $2, updated_at = $3 WHERE lock_id = $1")
                .bind(lock_id)
                .bind(self.seal_binding(lock_id, &new)?)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        if let (Some(op), Some(cmd)) = (op_id, command_id) {
            sqlx::query("UPDATE operations SET command_id = $2 WHERE id = $1")
                .bind(op)
                .bind(cmd)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(out))
    }

    /// Completes a claim: creates or updates the lock row (claimed in
    /// `org_id`/`site_id`, online, a new log epoch, no stale reason, no
    /// intent, no transfer) and stores its binding, in one transaction.
    pub async fn claim_lock(
        &self,
        serial: &str,
        org_id: i64,
        site_id: i64,
        name: &str,
        binding: &[u8],
        now: i64,
    ) -> Result<Lock, StoreError> {
        let lock = self.lock_seen(serial, now).await?;
        let mut tx = self.begin_on_lock(lock.id).await?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE locks SET org_id = $2, site_id = $3, name = $4, claim_state = 'claimed', \
             online = 1, presence = 'online', presence_since = $5, last_seen_at = $5, log_epoch = log_epoch + 1, log_cursor = NULL, \
             last_event_seq = NULL, stale_reason = NULL, intent = NULL, transfer_to_org = NULL \
             WHERE id = $1 RETURNING {LOCK_COLS}"
        )))
        .bind(lock.id)
        .bind(org_id)
        .bind(site_id)
        .bind(name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM bindings WHERE lock_id = $1")
            .bind(lock.id)
            .execute(&mut *tx)
            .await?;
        // The claim's site reservation ends with the binding stored.
        sqlx::query("DELETE FROM claim_reservations WHERE serial = $1")
            .bind(serial)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO bindings (lock_id, data, updated_at) VALUES ($1, $2, $3)")
            .bind(lock.id)
            .bind(self.seal_binding(lock.id, binding)?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let lock = lock_row(&r)?;
        tx.commit().await?;
        Ok(lock)
    }

    /// Records an authenticated status. Returns the lock after the update.
    /// Presence is not touched: it comes from the broker's retained status
    /// topic, and a status frame processed late (uplinks are handled on their
    /// own task) must not mark a lock online after its last will said offline.
    pub async fn record_status(
        &self,
        lock_id: i64,
        s: &StatusRecord,
        now: i64,
    ) -> Result<Option<Lock>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE locks SET battery_pct = $2, bolt = $3, door = $4, mode = $5, setup_mode = $6, \
             firmware = $7, credential_version = $8, credential_digest = $9, clock_skew_s = $10, \
             status_at = $11, last_seen_at = $11, \
             reset_counter = CASE WHEN reset_counter > $12 THEN reset_counter ELSE $12 END \
             WHERE id = $1 RETURNING {LOCK_COLS}"
        )))
        .bind(lock_id)
        .bind(s.battery_pct)
        .bind(s.bolt.as_str())
        .bind(s.door.as_str())
        .bind(s.mode.as_str())
        .bind(i64::from(s.setup_mode))
        .bind(s.firmware.as_str())
        .bind(s.credential_version)
        .bind(s.credential_digest.as_str())
        .bind(s.clock_skew_s)
        .bind(now)
        .bind(s.reset_counter)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(lock_row).transpose()
    }

    /// Marks a lock `reset_binding_stale` (only from `claimed`) with the
    /// reason, raising the reset counter if the evidence carried one.
    /// Returns the lock and whether it changed state.
    pub async fn mark_stale(
        &self,
        lock_id: i64,
        reason: &serde_json::Value,
        reset_counter: Option<i64>,
    ) -> Result<Option<(Lock, bool)>, StoreError> {
        let changed = sqlx::query(
            "UPDATE locks SET claim_state = 'reset_binding_stale', stale_reason = $2, \
             reset_counter = CASE WHEN $3 IS NOT NULL AND $3 > reset_counter THEN $3 ELSE reset_counter END \
             WHERE id = $1 AND claim_state = 'claimed'",
        )
        .bind(lock_id)
        .bind(reason.to_string())
        .bind(reset_counter)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LOCK_COLS} FROM locks WHERE id = $1"
        )))
        .bind(lock_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.as_ref().map(lock_row).transpose()?.map(|l| (l, changed)))
    }

    /// Ends a lock's relation with its organisation: `released` (org and site
    /// cleared) or, for a transfer, `unclaimed` and reserved for `to_org`.
    /// The binding is deleted and open operations fail with `code`.
    pub async fn unbind_lock(
        &self,
        lock_id: i64,
        transfer_to: Option<i64>,
        code: &str,
        now: i64,
    ) -> Result<Option<Lock>, StoreError> {
        let mut tx = self.begin_on_lock(lock_id).await?;
        sqlx::query(
            "UPDATE operations SET state = 'failed', error = $2, updated_at = $3 \
             WHERE lock_id = $1 AND state IN ('pending', 'sent')",
        )
        .bind(lock_id)
        .bind(code)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM bindings WHERE lock_id = $1")
            .bind(lock_id)
            .execute(&mut *tx)
            .await?;
        let state = if transfer_to.is_some() {
            "unclaimed"
        } else {
            "released"
        };
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE locks SET org_id = NULL, site_id = NULL, claim_state = $2, intent = NULL, \
             transfer_to_org = $3, stale_reason = NULL, log_cursor = NULL \
             WHERE id = $1 RETURNING {LOCK_COLS}"
        )))
        .bind(lock_id)
        .bind(state)
        .bind(transfer_to)
        .fetch_optional(&mut *tx)
        .await?;
        let lock = r.as_ref().map(lock_row).transpose()?;
        tx.commit().await?;
        Ok(lock)
    }

    /// Sets (or clears) a lock's lifecycle intent and transfer target.
    pub async fn set_intent(
        &self,
        lock_id: i64,
        intent: Option<&str>,
        transfer_to: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE locks SET intent = $2, transfer_to_org = $3 WHERE id = $1")
            .bind(lock_id)
            .bind(intent)
            .bind(transfer_to)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Counts a rejected frame for a lock.
    pub async fn count_rejected(&self, lock_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE locks SET rejected_frames = rejected_frames + 1 WHERE id = $1")
            .bind(lock_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The lock's audit-log cursor (JSON), if any.
    pub async fn log_cursor(&self, lock_id: i64) -> Result<Option<String>, StoreError> {
        let r = sqlx::query("SELECT log_cursor FROM locks WHERE id = $1")
            .bind(lock_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match r {
            Some(r) => col(&r, "log_cursor")?,
            None => None,
        })
    }

    /// Stores the lock's audit-log cursor (JSON).
    pub async fn save_log_cursor(&self, lock_id: i64, cursor: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE locks SET log_cursor = $2 WHERE id = $1")
            .bind(lock_id)
            .bind(cursor)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The operation of a lock sealed under `command_id`, if any.
    pub async fn op_by_command(
        &self,
        lock_id: i64,
        command_id: i64,
    ) -> Result<Option<(i64, OpName, i64, Option<String>)>, StoreError> {
        let r = sqlx::query(
            "SELECT id, kind, org_id, request_id FROM operations WHERE lock_id = $1 AND command_id = $2 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(lock_id)
        .bind(command_id)
        .fetch_optional(&self.pool)
        .await?;
        match r {
            None => Ok(None),
            Some(r) => Ok(Some((
                col(&r, "id")?,
                super::parse_enum(&r, "kind", OpName::parse)?,
                col(&r, "org_id")?,
                col(&r, "request_id")?,
            ))),
        }
    }

    /// Stores what the lock returned for an operation.
    pub async fn set_op_result(
        &self,
        op_id: i64,
        result: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE operations SET result = $2 WHERE id = $1")
            .bind(op_id)
            .bind(result.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends every open operation of a lock with `failed: code`, except that
    /// `sent` operations of a kind in `applied_kinds` become `applied` (a
    /// requested reset that happened). Returns how many changed.
    pub async fn end_open_ops(
        &self,
        lock_id: i64,
        code: &str,
        applied_kinds: &[OpName],
        now: i64,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        for k in applied_kinds {
            n += sqlx::query(
                "UPDATE operations SET state = 'applied', updated_at = $3 \
                 WHERE lock_id = $1 AND state = 'sent' AND kind = $2",
            )
            .bind(lock_id)
            .bind(k.as_str())
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        n += sqlx::query(
            "UPDATE operations SET state = 'failed', error = $2, updated_at = $3 \
             WHERE lock_id = $1 AND state IN ('pending', 'sent')",
        )
        .bind(lock_id)
        .bind(code)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n)
    }

    /// Whether a lock has an operation of `kind` queued or in flight.
    pub async fn has_open_op(&self, lock_id: i64, kind: &str) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM operations WHERE lock_id = $1 AND kind = $2 \
             AND state IN ('pending', 'sent')",
        )
        .bind(lock_id)
        .bind(kind)
        .fetch_one(&self.pool)
        .await?;
        Ok(col::<i64>(&r, "n")? > 0)
    }

    /// Fails one operation whatever its non-final state (hub-side error).
    pub async fn fail_operation(
        &self,
        op_id: i64,
        code: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE operations SET state = 'failed', error = $2, updated_at = $3 \
             WHERE id = $1 AND state IN ('pending', 'sent')",
        )
        .bind(op_id)
        .bind(code)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0)
    }

    /// Appends to the hub's audit trail.
    pub async fn audit(&self, a: NewAudit<'_>, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit (org_id, account_id, lock_id, action, detail, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(a.org_id)
        .bind(a.account_id)
        .bind(a.lock_id)
        .bind(a.action)
        .bind(a.detail.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An organisation's audit trail, newest first: `(action, lock_id, account_id, detail)`.
    pub async fn list_audit(&self, org_id: i64, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, action, lock_id, account_id, detail, at FROM audit WHERE org_id = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: col(r, "id")?,
                    action: col(r, "action")?,
                    lock_id: col(r, "lock_id")?,
                    account_id: col(r, "account_id")?,
                    detail: super::json_col(r, "detail")?,
                    at: col(r, "at")?,
                })
            })
            .collect()
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

/// Parses lower- or upper-case hex.
pub fn unhex(s: &str) -> Result<Vec<u8>, StoreError> {
    ::hex::decode(s).map_err(|_| StoreError::LogicBug("stored hex is malformed".into()))
}

impl Store {
    /// An operation's params, whoever owns it (for the lock plane).
    pub async fn op_params(&self, op_id: i64) -> Result<Option<serde_json::Value>, StoreError> {
        let r = sqlx::query("SELECT params FROM operations WHERE id = $1")
            .bind(op_id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(|r| super::json_col(r, "params")).transpose()
    }
}
