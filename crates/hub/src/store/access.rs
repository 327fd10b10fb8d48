//! People and access: people, credentials, each person on each door (a user
//! slot on the lock) and each credential on each door, bulk batches, and
//! post-reset verifications.
//!
//! A change of access is written in one transaction with the operations
//! that carry it to the locks ([`Store::apply_access`]), so a crash leaves
//! either nothing or a change with every operation queued. User slots and
//! credential slots are allocated inside that transaction, under the lock
//! row's write lock, and a partial unique index backs the allocation.
//! Delivery state is derived from those operations
//! ([`Store::door_ops`]); PINs are never stored, only sealed inside the
//! params of the operation that delivers them, until it ends.

use serde::Serialize;
use sqlx::any::AnyRow;

use super::{col, json_col, Backend, Store, StoreError};
use crate::model::ts;

/// A person who may hold access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// Identifier.
    pub id: i64,
    /// Organisation.
    pub org_id: i64,
    /// Display name.
    pub name: String,
    /// Owners keep their access through "revoke everyone except the owners".
    pub owner: bool,
    /// Creation time.
    #[serde(serialize_with = "ts::ser")]
    pub created_at: i64,
}

/// A credential of a person (never the PIN itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialRow {
    /// Identifier.
    pub id: i64,
    /// Holder.
    pub person_id: i64,
    /// `pin`, `card`, `fingerprint` or `app_key`.
    pub kind: String,
    /// Label (e.g. "front door code").
    pub label: Option<String>,
    /// Non-secret data: card UID or app key (hex), fingerprint template slot.
    pub data: Option<String>,
    /// When it was revoked everywhere.
    #[serde(serialize_with = "ts::ser_opt")]
    pub revoked_at: Option<i64>,
    /// Keyed tag of a PIN for duplicate checks (not serialised).
    #[serde(skip)]
    pub pin_tag: Option<String>,
}

/// One person on one door: a user slot on the lock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoorAccess {
    /// Identifier.
    pub id: i64,
    /// Organisation.
    pub org_id: i64,
    /// The person.
    pub person_id: i64,
    /// The door.
    pub lock_id: i64,
    /// User slot on the lock.
    pub slot: i64,
    /// tumbler-control `AccessSchedule` (JSON).
    pub schedule: serde_json::Value,
    /// `pending`, `setting`, `set`, `removing`, `removed`, `failed`.
    pub state: String,
    /// Why it failed (or why it was removed without a revoke, e.g. `lock_reset`).
    pub error: Option<String>,
    /// The slot's digest before the current change (hex), if recorded.
    pub digest_before: Option<String>,
    /// The slot's digest the lock reported when it confirmed (hex).
    pub digest: Option<String>,
    /// Change counter; operations carry it.
    pub gen: i64,
    /// The batch of the current change.
    pub batch_id: Option<i64>,
    /// Last change.
    #[serde(serialize_with = "ts::ser")]
    pub updated_at: i64,
}

/// One credential on one door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoorCredential {
    /// Identifier.
    pub id: i64,
    /// The person-on-door row.
    pub door_access_id: i64,
    /// The credential.
    pub credential_id: i64,
    /// The door.
    pub lock_id: i64,
    /// The lock's credential slot index.
    pub cred_index: i64,
    /// Delivery state.
    pub state: String,
    /// Why it failed.
    pub error: Option<String>,
}

/// An operation of a person-on-door change, as [`Store::door_ops`] reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct DoorOp {
    /// Operation id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// `pending`, `sent`, `applied`, `refused`, `failed`.
    pub state: String,
    /// Error code.
    pub error: Option<String>,
    /// Result the lock returned (digests for `get_slot_digests`).
    pub result: Option<serde_json::Value>,
    /// Params (the credential a `set_credential` delivers).
    pub params: serde_json::Value,
}

/// A new credential in an [`AccessPlan`].
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// Holder.
    pub person_id: i64,
    /// Kind.
    pub kind: String,
    /// Label.
    pub label: Option<String>,
    /// Non-secret data.
    pub data: Option<String>,
    /// PIN tag.
    pub pin_tag: Option<String>,
    /// An existing credential put on more doors (nothing is inserted).
    pub existing_id: Option<i64>,
}

/// An operation to queue; `credential_ref` is replaced by the id of the
/// plan's credential at that position (`params.credential_id`).
#[derive(Debug, Clone)]
pub struct PlannedOp {
    /// Kind.
    pub kind: String,
    /// Params.
    pub params: serde_json::Value,
    /// Index into [`AccessPlan::new_credentials`].
    pub credential_ref: Option<usize>,
}

/// Builds the operations of one door once its slots are known:
/// `(user slot, [(credential ref, credential slot index)], fresh)`; `fresh`
/// is true for a slot the hub had free (nothing of ours to clear there).
pub type OpsFor<'a> =
    Box<dyn Fn(i64, &[(usize, i64)], bool) -> Result<Vec<PlannedOp>, String> + Send + Sync + 'a>;

/// What to do on one door.
pub enum DoorChange<'a> {
    /// Grant (or change the schedule of) a person on a door, adding the
    /// listed new credentials to it.
    Grant {
        /// The person.
        person_id: i64,
        /// The door.
        lock_id: i64,
        /// Schedule JSON.
        schedule: serde_json::Value,
        /// New credentials (refs into the plan) to put on this door.
        credentials: Vec<usize>,
        /// The operations.
        ops: OpsFor<'a>,
    },
    /// Change credentials already on the door (e.g. a new PIN in the same slot).
    Update {
        /// The person-on-door row.
        door_access_id: i64,
        /// Door credentials that change (they go back to `pending`).
        door_credentials: Vec<i64>,
        /// The operations (slot known).
        ops: Vec<PlannedOp>,
    },
    /// Remove a person from a door.
    Revoke {
        /// The person-on-door row.
        door_access_id: i64,
        /// The operations (slot known).
        ops: Vec<PlannedOp>,
    },
}

/// A change of access over many doors, applied in one transaction.
pub struct AccessPlan<'a> {
    /// Organisation.
    pub org_id: i64,
    /// Who asked.
    pub created_by: Option<i64>,
    /// `grant`, `revoke`, `change_pin`, `revoke_all_except_owners`, `reenrol`.
    pub kind: &'a str,
    /// Credentials to create.
    pub new_credentials: Vec<NewCredential>,
    /// Per-door changes.
    pub doors: Vec<DoorChange<'a>>,
    /// Credentials revoked everywhere by this change.
    pub revoke_credentials: Vec<i64>,
    /// User slots on a lock (1..=max).
    pub max_users: i64,
    /// Credentials per user on a lock.
    pub creds_per_user: i64,
}

/// What [`Store::apply_access`] created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The batch.
    pub batch_id: i64,
    /// Ids of the new credentials, in plan order.
    pub credential_ids: Vec<i64>,
    /// Person-on-door rows touched, in plan order.
    pub doors: Vec<i64>,
}

/// A bulk change and its per-door results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Batch {
    /// Identifier.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Creation time.
    #[serde(serialize_with = "ts::ser")]
    pub created_at: i64,
}

/// Why a plan could not be applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A lock has no free user slot.
    #[error("no free user slot on lock {0}")]
    NoFreeSlot(i64),
    /// A person has no free credential slot on a lock.
    #[error("no free credential slot for this person on lock {0}")]
    NoFreeCredentialSlot(i64),
    /// The operations could not be built.
    #[error("{0}")]
    Ops(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for PlanError {
    fn from(e: sqlx::Error) -> Self {
        PlanError::Store(e.into())
    }
}

/// What every operation of one [`AccessPlan`] shares.
struct OpCtx<'a> {
    org_id: i64,
    created_by: Option<i64>,
    credential_ids: &'a [i64],
    now: i64,
}

const DOOR_COLS: &str = "id, org_id, person_id, lock_id, slot, schedule, state, error, \
                         digest_before, digest, gen, batch_id, updated_at";

fn door_row(r: &AnyRow) -> Result<DoorAccess, StoreError> {
    Ok(DoorAccess {
        id: col(r, "id")?,
        org_id: col(r, "org_id")?,
        person_id: col(r, "person_id")?,
        lock_id: col(r, "lock_id")?,
        slot: col(r, "slot")?,
        schedule: json_col(r, "schedule")?,
        state: col(r, "state")?,
        error: col(r, "error")?,
        digest_before: col(r, "digest_before")?,
        digest: col(r, "digest")?,
        gen: col(r, "gen")?,
        batch_id: col(r, "batch_id")?,
        updated_at: col(r, "updated_at")?,
    })
}

fn door_op_row(r: &AnyRow) -> Result<DoorOp, StoreError> {
    let result: Option<String> = col(r, "result")?;
    Ok(DoorOp {
        id: col(r, "id")?,
        kind: col(r, "kind")?,
        state: col(r, "state")?,
        error: col(r, "error")?,
        result: result.and_then(|s| serde_json::from_str(&s).ok()),
        params: json_col(r, "params")?,
    })
}

fn person_row(r: &AnyRow) -> Result<Person, StoreError> {
    let owner: i64 = col(r, "owner")?;
    Ok(Person {
        id: col(r, "id")?,
        org_id: col(r, "org_id")?,
        name: col(r, "name")?,
        owner: owner != 0,
        created_at: col(r, "created_at")?,
    })
}

fn cred_row(r: &AnyRow) -> Result<CredentialRow, StoreError> {
    Ok(CredentialRow {
        id: col(r, "id")?,
        person_id: col(r, "person_id")?,
        kind: col(r, "kind")?,
        label: col(r, "label")?,
        data: col(r, "data")?,
        revoked_at: col(r, "revoked_at")?,
        pin_tag: col(r, "pin_tag")?,
    })
}

fn door_cred_row(r: &AnyRow) -> Result<DoorCredential, StoreError> {
    Ok(DoorCredential {
        id: col(r, "id")?,
        door_access_id: col(r, "door_access_id")?,
        credential_id: col(r, "credential_id")?,
        lock_id: col(r, "lock_id")?,
        cred_index: col(r, "cred_index")?,
        state: col(r, "state")?,
        error: col(r, "error")?,
    })
}

/// The lowest value in `1..=max` (or `0..max` with `from0`) not in `used`.
fn lowest_free(used: &[i64], from: i64, to_excl: i64) -> Option<i64> {
    (from..to_excl).find(|s| !used.contains(s))
}

impl Store {
    /// Adds a person.
    pub async fn create_person(
        &self,
        org_id: i64,
        name: &str,
        owner: bool,
        now: i64,
    ) -> Result<Person, StoreError> {
        let r = sqlx::query(
            "INSERT INTO people (org_id, name, owner, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, org_id, name, owner, created_at",
        )
        .bind(org_id)
        .bind(name)
        .bind(i64::from(owner))
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        person_row(&r)
    }

    /// A person of an organisation.
    pub async fn get_person(&self, org_id: i64, id: i64) -> Result<Option<Person>, StoreError> {
        sqlx::query(
            "SELECT id, org_id, name, owner, created_at FROM people \
             WHERE org_id = $1 AND id = $2 AND removed_at IS NULL",
        )
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(person_row)
        .transpose()
    }

    /// The people of an organisation, by id.
    pub async fn list_people(&self, org_id: i64) -> Result<Vec<Person>, StoreError> {
        sqlx::query(
            "SELECT id, org_id, name, owner, created_at FROM people \
             WHERE org_id = $1 AND removed_at IS NULL ORDER BY id",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(person_row)
        .collect()
    }

    /// A person's credentials (revoked ones too).
    pub async fn person_credentials(
        &self,
        person_id: i64,
    ) -> Result<Vec<CredentialRow>, StoreError> {
        sqlx::query(
            "SELECT id, person_id, kind, label, data, revoked_at, pin_tag FROM credentials \
             WHERE person_id = $1 ORDER BY id",
        )
        .bind(person_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(cred_row)
        .collect()
    }

    /// Whether another person's live PIN with `tag` is on any of `locks`
    /// (returns that lock).
    pub async fn pin_tag_on_locks(
        &self,
        org_id: i64,
        tag: &str,
        except_credential: Option<i64>,
        locks: &[i64],
    ) -> Result<Option<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT dc.lock_id AS lock_id FROM credentials c \
             JOIN door_credentials dc ON dc.credential_id = c.id \
             WHERE c.org_id = $1 AND c.pin_tag = $2 AND c.revoked_at IS NULL \
             AND dc.state NOT IN ('removed', 'failed') AND c.id <> $3",
        )
        .bind(org_id)
        .bind(tag)
        .bind(except_credential.unwrap_or(-1))
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let l: i64 = col(&r, "lock_id")?;
            if locks.contains(&l) {
                return Ok(Some(l));
            }
        }
        Ok(None)
    }

    /// Person-on-door rows where `column` = `id`, by id.
    async fn doors_where(&self, column: &str, id: i64) -> Result<Vec<DoorAccess>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DOOR_COLS} FROM door_access WHERE {column} = $1 ORDER BY id"
        )))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(door_row)
        .collect()
    }

    /// Person-on-door rows of a person (all states).
    pub async fn doors_of_person(&self, person_id: i64) -> Result<Vec<DoorAccess>, StoreError> {
        self.doors_where("person_id", person_id).await
    }

    /// Person-on-door rows of a lock (all states).
    pub async fn doors_of_lock(&self, lock_id: i64) -> Result<Vec<DoorAccess>, StoreError> {
        self.doors_where("lock_id", lock_id).await
    }

    /// Person-on-door rows whose current change belongs to a batch.
    pub async fn doors_of_batch(&self, batch_id: i64) -> Result<Vec<DoorAccess>, StoreError> {
        self.doors_where("batch_id", batch_id).await
    }

    /// Doors of a batch whose derived state is due to change: an operation
    /// of the current change failed, was sent while the door shows
    /// `pending`, or the confirming digest read answered.
    pub async fn batch_doors_to_reconcile(&self, batch_id: i64) -> Result<Vec<i64>, StoreError> {
        sqlx::query(
            "SELECT DISTINCT d.id AS id FROM door_access d JOIN operations o \
             ON o.access_door = d.id AND o.access_gen = d.gen \
             WHERE d.batch_id = $1 AND d.state IN ('pending', 'setting', 'removing') \
             AND (o.state IN ('failed', 'refused') \
                  OR (o.kind = 'get_slot_digests' AND o.state = 'applied') \
                  OR (o.state <> 'pending' AND d.state = 'pending'))",
        )
        .bind(batch_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| col(r, "id"))
        .collect()
    }

    /// Doors of a batch per state.
    pub async fn batch_counts(&self, batch_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        sqlx::query(
            "SELECT state, COUNT(*) AS n FROM door_access WHERE batch_id = $1 GROUP BY state",
        )
        .bind(batch_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((col(r, "state")?, col(r, "n")?)))
        .collect()
    }

    /// One person-on-door row.
    pub async fn get_door(&self, id: i64) -> Result<Option<DoorAccess>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DOOR_COLS} FROM door_access WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(door_row)
        .transpose()
    }

    async fn door_credentials_where(
        &self,
        column: &str,
        id: i64,
    ) -> Result<Vec<DoorCredential>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, door_access_id, credential_id, lock_id, cred_index, state, error \
             FROM door_credentials WHERE {column} = $1 ORDER BY id"
        )))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(door_cred_row)
        .collect()
    }

    /// Credentials on a person-on-door row.
    pub async fn door_credentials(
        &self,
        door_access_id: i64,
    ) -> Result<Vec<DoorCredential>, StoreError> {
        self.door_credentials_where("door_access_id", door_access_id)
            .await
    }

    /// Door credentials of a credential (all doors).
    pub async fn credential_doors(
        &self,
        credential_id: i64,
    ) -> Result<Vec<DoorCredential>, StoreError> {
        self.door_credentials_where("credential_id", credential_id)
            .await
    }

    /// A credential of an organisation.
    pub async fn get_credential(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<CredentialRow>, StoreError> {
        sqlx::query(
            "SELECT id, person_id, kind, label, data, revoked_at, pin_tag FROM credentials \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(cred_row)
        .transpose()
    }

    /// A batch of an organisation.
    pub async fn get_batch(&self, org_id: i64, id: i64) -> Result<Option<Batch>, StoreError> {
        let r =
            sqlx::query("SELECT id, kind, created_at FROM batches WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        r.map(|r| {
            Ok(Batch {
                id: col(&r, "id")?,
                kind: col(&r, "kind")?,
                created_at: col(&r, "created_at")?,
            })
        })
        .transpose()
    }

    /// The operations of one change of a person-on-door row, by id.
    pub async fn door_ops(&self, door: i64, gen: i64) -> Result<Vec<DoorOp>, StoreError> {
        sqlx::query(
            "SELECT id, kind, state, error, result, params FROM operations \
             WHERE access_door = $1 AND access_gen = $2 ORDER BY id",
        )
        .bind(door)
        .bind(gen)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(door_op_row)
        .collect()
    }

    /// Records the derived state of a person-on-door row (only for the
    /// change `gen`; a newer change wins). Returns whether it changed.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_door_state(
        &self,
        door: i64,
        gen: i64,
        state: &str,
        error: Option<&str>,
        digest: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE door_access SET state = $3, error = $4, digest = COALESCE($5, digest), \
             updated_at = $6 WHERE id = $1 AND gen = $2 AND (state <> $3 OR \
             COALESCE(error, '') <> COALESCE($4, ''))",
        )
        .bind(door)
        .bind(gen)
        .bind(state)
        .bind(error)
        .bind(digest)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0)
    }

    /// Sets the state of door credentials of a person-on-door row that are
    /// in one of `from` states.
    pub async fn set_door_credentials_state(
        &self,
        door: i64,
        from: &[&str],
        state: &str,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        for f in from {
            sqlx::query(
                "UPDATE door_credentials SET state = $3, error = $4, updated_at = $5 \
                 WHERE door_access_id = $1 AND state = $2",
            )
            .bind(door)
            .bind(*f)
            .bind(state)
            .bind(error)
            .bind(now)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Sets one door credential's state.
    pub async fn set_door_credential_state(
        &self,
        id: i64,
        state: &str,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE door_credentials SET state = $2, error = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(state)
        .bind(error)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Fails the still-pending operations of one change (after one of them
    /// failed); returns how many.
    pub async fn cancel_door_ops(&self, door: i64, gen: i64, now: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE operations SET state = 'failed', error = 'cancelled', updated_at = $3 \
             WHERE access_door = $1 AND access_gen = $2 AND state = 'pending'",
        )
        .bind(door)
        .bind(gen)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// After a factory reset of a lock: every person on it is gone.
    /// Returns how many rows changed.
    pub async fn doors_reset(
        &self,
        lock_id: i64,
        pre_reset_counter: Option<i64>,
        now: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        if let Some(c) = pre_reset_counter {
            sqlx::query(
                "UPDATE locks SET pre_reset_counter = $2 WHERE id = $1 AND \
                 (pre_reset_counter IS NULL OR pre_reset_counter < $2)",
            )
            .bind(lock_id)
            .bind(c)
            .execute(&mut *tx)
            .await?;
        }
        let n = sqlx::query(
            "UPDATE door_access SET state = 'removed', error = 'lock_reset', digest = NULL, \
             gen = gen + 1, updated_at = $2 WHERE lock_id = $1 AND state <> 'removed'",
        )
        .bind(lock_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE door_credentials SET state = 'removed', error = 'lock_reset', updated_at = $2 \
             WHERE lock_id = $1 AND state <> 'removed'",
        )
        .bind(lock_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The reset counter a lock had before its last detected reset.
    pub async fn pre_reset_counter(&self, lock_id: i64) -> Result<Option<i64>, StoreError> {
        let r = sqlx::query("SELECT pre_reset_counter FROM locks WHERE id = $1")
            .bind(lock_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match r {
            Some(r) => col(&r, "pre_reset_counter")?,
            None => None,
        })
    }

    /// Erases sealed secrets from a finished operation's params.
    pub async fn scrub_op_params(
        &self,
        op_id: i64,
        params: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE operations SET params = $2 WHERE id = $1")
            .bind(op_id)
            .bind(params.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn write_lock_row(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        lock_id: i64,
    ) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => self.take_write_lock(tx, lock_id).await,
            Backend::Postgres => {
                sqlx::query("SELECT id FROM locks WHERE id = $1 FOR UPDATE")
                    .bind(lock_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                Ok(())
            }
        }
    }

    async fn insert_ops(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        ctx: &OpCtx<'_>,
        lock_id: i64,
        door: i64,
        gen: i64,
        ops: &[PlannedOp],
    ) -> Result<(), PlanError> {
        for op in ops {
            let mut params = op.params.clone();
            if let Some(k) = op.credential_ref {
                let id = ctx
                    .credential_ids
                    .get(k)
                    .ok_or_else(|| PlanError::Ops("credential ref out of range".into()))?;
                if let Some(m) = params.as_object_mut() {
                    m.insert("credential_id".into(), (*id).into());
                }
            }
            sqlx::query(
                "INSERT INTO operations (org_id, lock_id, kind, params, state, attempts, max_attempts, \
                 created_by, created_at, updated_at, access_door, access_gen) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $7, $8, $9)",
            )
            .bind(ctx.org_id)
            .bind(lock_id)
            .bind(&op.kind)
            .bind(params.to_string())
            .bind(super::operations::DEFAULT_MAX_ATTEMPTS)
            .bind(ctx.created_by)
            .bind(ctx.now)
            .bind(door)
            .bind(gen)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Applies a change of access in one transaction: the batch, new
    /// credentials, person-on-door rows (slots allocated here, under each
    /// lock's write lock), door credentials and every operation.
    pub async fn apply_access(&self, plan: AccessPlan<'_>, now: i64) -> Result<Applied, PlanError> {
        let mut tx = self.pool.begin().await?;
        let batch: i64 = {
            let r = sqlx::query(
                "INSERT INTO batches (org_id, kind, created_by, created_at) VALUES ($1, $2, $3, $4) \
                 RETURNING id",
            )
            .bind(plan.org_id)
            .bind(plan.kind)
            .bind(plan.created_by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            col(&r, "id")?
        };
        let mut credential_ids = Vec::with_capacity(plan.new_credentials.len());
        for c in &plan.new_credentials {
            if let Some(id) = c.existing_id {
                credential_ids.push(id);
                continue;
            }
            let r = sqlx::query(
                "INSERT INTO credentials (org_id, person_id, kind, label, data, pin_tag, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(plan.org_id)
            .bind(c.person_id)
            .bind(&c.kind)
            .bind(&c.label)
            .bind(&c.data)
            .bind(&c.pin_tag)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            credential_ids.push(col::<i64>(&r, "id")?);
        }
        let ctx = OpCtx {
            org_id: plan.org_id,
            created_by: plan.created_by,
            credential_ids: &credential_ids,
            now,
        };
        for id in &plan.revoke_credentials {
            sqlx::query(
                "UPDATE credentials SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let mut doors = Vec::with_capacity(plan.doors.len());
        for change in &plan.doors {
            match change {
                DoorChange::Grant {
                    person_id,
                    lock_id,
                    schedule,
                    credentials,
                    ops,
                } => {
                    self.write_lock_row(&mut tx, *lock_id).await?;
                    let existing = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {DOOR_COLS} FROM door_access WHERE lock_id = $1 AND person_id = $2 \
                         AND state <> 'removed' ORDER BY id DESC LIMIT 1"
                    )))
                    .bind(lock_id)
                    .bind(person_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .as_ref()
                    .map(door_row)
                    .transpose()?;
                    let fresh = existing.is_none();
                    let (door, gen, slot) = match existing {
                        Some(d) => {
                            let gen = d.gen + 1;
                            sqlx::query(
                                "UPDATE door_access SET schedule = $2, state = 'pending', error = NULL, \
                                 digest_before = digest, gen = $3, batch_id = $4, updated_at = $5 \
                                 WHERE id = $1",
                            )
                            .bind(d.id)
                            .bind(schedule.to_string())
                            .bind(gen)
                            .bind(batch)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                            // Credentials already there are sent again with this change.
                            sqlx::query(
                                "UPDATE door_credentials SET state = 'pending', error = NULL, \
                                 updated_at = $2 WHERE door_access_id = $1 AND state <> 'removed'",
                            )
                            .bind(d.id)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                            (d.id, gen, d.slot)
                        }
                        None => {
                            let used: Vec<i64> = sqlx::query(
                                "SELECT slot FROM door_access WHERE lock_id = $1 AND state <> 'removed'",
                            )
                            .bind(lock_id)
                            .fetch_all(&mut *tx)
                            .await?
                            .iter()
                            .map(|r| col(r, "slot"))
                            .collect::<Result<_, _>>()?;
                            let slot = lowest_free(&used, 1, plan.max_users + 1)
                                .ok_or(PlanError::NoFreeSlot(*lock_id))?;
                            let r = sqlx::query(
                                "INSERT INTO door_access (org_id, person_id, lock_id, slot, schedule, \
                                 state, gen, batch_id, updated_at) \
                                 VALUES ($1, $2, $3, $4, $5, 'pending', 1, $6, $7) RETURNING id",
                            )
                            .bind(plan.org_id)
                            .bind(person_id)
                            .bind(lock_id)
                            .bind(slot)
                            .bind(schedule.to_string())
                            .bind(batch)
                            .bind(now)
                            .fetch_one(&mut *tx)
                            .await?;
                            (col::<i64>(&r, "id")?, 1, slot)
                        }
                    };
                    // Existing live credentials of this person on this door:
                    // the per-user slot positions already taken.
                    let taken: Vec<i64> = sqlx::query(
                        "SELECT cred_index FROM door_credentials WHERE door_access_id = $1 \
                         AND state <> 'removed'",
                    )
                    .bind(door)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| col(r, "cred_index"))
                    .collect::<Result<_, _>>()?;
                    let base = (slot - 1) * plan.creds_per_user;
                    let mut taken = taken;
                    let mut placed = Vec::with_capacity(credentials.len());
                    for k in credentials {
                        let idx = lowest_free(&taken, base, base + plan.creds_per_user)
                            .ok_or(PlanError::NoFreeCredentialSlot(*lock_id))?;
                        taken.push(idx);
                        let cid = credential_ids
                            .get(*k)
                            .ok_or_else(|| PlanError::Ops("credential ref out of range".into()))?;
                        sqlx::query(
                            "INSERT INTO door_credentials (door_access_id, credential_id, lock_id, \
                             cred_index, state, updated_at) VALUES ($1, $2, $3, $4, 'pending', $5)",
                        )
                        .bind(door)
                        .bind(cid)
                        .bind(lock_id)
                        .bind(idx)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        placed.push((*k, idx));
                    }
                    let planned = ops(slot, &placed, fresh).map_err(PlanError::Ops)?;
                    Self::insert_ops(&mut tx, &ctx, *lock_id, door, gen, &planned).await?;
                    doors.push(door);
                }
                DoorChange::Update {
                    door_access_id,
                    door_credentials,
                    ops,
                } => {
                    let (lock_id, gen) = self
                        .bump_door(&mut tx, *door_access_id, "pending", batch, now)
                        .await?;
                    for dc in door_credentials {
                        sqlx::query(
                            "UPDATE door_credentials SET state = 'pending', error = NULL, \
                             updated_at = $2 WHERE id = $1",
                        )
                        .bind(dc)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    }
                    Self::insert_ops(&mut tx, &ctx, lock_id, *door_access_id, gen, ops).await?;
                    doors.push(*door_access_id);
                }
                DoorChange::Revoke {
                    door_access_id,
                    ops,
                } => {
                    let (lock_id, gen) = self
                        .bump_door(&mut tx, *door_access_id, "removing", batch, now)
                        .await?;
                    sqlx::query(
                        "UPDATE door_credentials SET state = 'removing', error = NULL, \
                         updated_at = $2 WHERE door_access_id = $1 AND state <> 'removed'",
                    )
                    .bind(door_access_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    // Whatever was still queued for this person here is moot.
                    sqlx::query(
                        "UPDATE operations SET state = 'failed', error = 'superseded', updated_at = $2 \
                         WHERE access_door = $1 AND state = 'pending'",
                    )
                    .bind(door_access_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    Self::insert_ops(&mut tx, &ctx, lock_id, *door_access_id, gen, ops).await?;
                    doors.push(*door_access_id);
                }
            }
        }
        tx.commit().await?;
        Ok(Applied {
            batch_id: batch,
            credential_ids,
            doors,
        })
    }

    async fn bump_door(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        door: i64,
        state: &str,
        batch: i64,
        now: i64,
    ) -> Result<(i64, i64), PlanError> {
        let r = sqlx::query("SELECT lock_id, gen FROM door_access WHERE id = $1")
            .bind(door)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| PlanError::Ops(format!("no person-on-door row {door}")))?;
        let lock_id: i64 = col(&r, "lock_id")?;
        self.write_lock_row(tx, lock_id).await?;
        let gen: i64 = col::<i64>(&r, "gen")? + 1;
        sqlx::query(
            "UPDATE door_access SET state = $2, error = NULL, digest_before = digest, gen = $3, \
             batch_id = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(door)
        .bind(state)
        .bind(gen)
        .bind(batch)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok((lock_id, gen))
    }

    /// Creates a verification of a lock and queues its operations.
    pub async fn start_verification(
        &self,
        org_id: i64,
        lock_id: i64,
        previous_reset_counter: Option<i64>,
        ops: &[PlannedOp],
        created_by: Option<i64>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(
            "INSERT INTO verifications (org_id, lock_id, state, previous_reset_counter, created_at) \
             VALUES ($1, $2, 'running', $3, $4) RETURNING id",
        )
        .bind(org_id)
        .bind(lock_id)
        .bind(previous_reset_counter)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = col(&r, "id")?;
        for op in ops {
            sqlx::query(
                "INSERT INTO operations (org_id, lock_id, kind, params, state, attempts, max_attempts, \
                 created_by, created_at, updated_at, verification_id) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $7, $8)",
            )
            .bind(org_id)
            .bind(lock_id)
            .bind(&op.kind)
            .bind(op.params.to_string())
            .bind(super::operations::DEFAULT_MAX_ATTEMPTS)
            .bind(created_by)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// A verification: `(lock_id, state, previous_reset_counter, report, error)`.
    pub async fn get_verification(
        &self,
        org_id: i64,
        id: i64,
    ) -> Result<Option<VerificationRow>, StoreError> {
        let r = sqlx::query(
            "SELECT id, lock_id, state, previous_reset_counter, report, error, created_at \
             FROM verifications WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.map(|r| {
            let report: Option<String> = col(&r, "report")?;
            Ok(VerificationRow {
                id: col(&r, "id")?,
                lock_id: col(&r, "lock_id")?,
                state: col(&r, "state")?,
                previous_reset_counter: col(&r, "previous_reset_counter")?,
                report: report.and_then(|s| serde_json::from_str(&s).ok()),
                error: col(&r, "error")?,
                created_at: col(&r, "created_at")?,
            })
        })
        .transpose()
    }

    /// The operations of a verification, by id.
    pub async fn verification_ops(&self, id: i64) -> Result<Vec<DoorOp>, StoreError> {
        sqlx::query(
            "SELECT id, kind, state, error, result, params FROM operations \
             WHERE verification_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(door_op_row)
        .collect()
    }

    /// Ends a running verification.
    pub async fn finish_verification(
        &self,
        id: i64,
        state: &str,
        report: Option<&serde_json::Value>,
        error: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE verifications SET state = $2, report = $3, error = $4, finished_at = $5 \
             WHERE id = $1 AND state = 'running'",
        )
        .bind(id)
        .bind(state)
        .bind(report.map(|r| r.to_string()))
        .bind(error)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0)
    }

    /// Replaces a PIN credential's tag (after a PIN change).
    pub async fn set_pin_tag(
        &self,
        credential_id: i64,
        tag: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE credentials SET pin_tag = $2 WHERE id = $1")
            .bind(credential_id)
            .bind(tag)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The organisation of an operation.
    pub async fn op_org(&self, op_id: i64) -> Result<Option<i64>, StoreError> {
        let r = sqlx::query("SELECT org_id FROM operations WHERE id = $1")
            .bind(op_id)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| col(&r, "org_id")).transpose()
    }

    /// The access reference of an operation: `(door, gen, verification)`.
    pub async fn op_access_ref(
        &self,
        op_id: i64,
    ) -> Result<(Option<i64>, Option<i64>, Option<i64>), StoreError> {
        let r = sqlx::query(
            "SELECT access_door, access_gen, verification_id FROM operations WHERE id = $1",
        )
        .bind(op_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match r {
            Some(r) => (
                col(&r, "access_door")?,
                col(&r, "access_gen")?,
                col(&r, "verification_id")?,
            ),
            None => (None, None, None),
        })
    }
}

/// A stored verification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerificationRow {
    /// Identifier.
    pub id: i64,
    /// The lock.
    pub lock_id: i64,
    /// `running`, `done`, `failed`.
    pub state: String,
    /// The reset counter before the reset, if known.
    pub previous_reset_counter: Option<i64>,
    /// The report (tumbler-control `VerificationReport` JSON), once done.
    pub report: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<String>,
    /// Start.
    #[serde(serialize_with = "ts::ser")]
    pub created_at: i64,
}
