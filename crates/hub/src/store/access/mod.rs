//! People and access: people, credentials, each person on each door (a user
//! slot on the lock) and each credential on each door, bulk batches, and
//! post-reset verifications.
//!
//! A change of access is written in one transaction with the operations
//! that carry it to the locks ([`Store::apply_access`]), so a crash leaves
//! either nothing or a change with every operation queued. Slots are planned
//! before it ([`Store::plan_slots`], reads only) and checked again inside
//! it, under the lock row's write lock, backed by a partial unique index: a
//! plan another change overtook is refused whole ([`PlanError::Stale`]).
//! Delivery state is derived from those operations
//! ([`Store::door_ops`]); PINs are never stored, only sealed inside the
//! params of the operation that delivers them, until it ends.

mod apply;
mod doors;
mod people;
mod verify;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use super::{col, json_col, parse_enum, Backend, Store, StoreError};
use crate::model::{
    de_credential_kind, ser_credential_kind, ts, Capacity, ChangeKind, CredentialKind, DoorState,
    OpName, OpState, VerificationState,
};

/// A person who may hold access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
}

/// A credential of a person (never the PIN itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRow {
    /// Identifier.
    pub id: i64,
    /// Holder.
    pub person_id: i64,
    /// `pin`, `card`, `fingerprint` or `app_key`.
    #[serde(
        serialize_with = "ser_credential_kind",
        deserialize_with = "de_credential_kind"
    )]
    pub kind: CredentialKind,
    /// Label (e.g. "front door code").
    pub label: Option<String>,
    /// Non-secret data: card UID or app key (hex), fingerprint template slot.
    pub data: Option<String>,
    /// When it was revoked everywhere.
    #[serde(serialize_with = "ts::ser_opt", deserialize_with = "ts::de_opt")]
    pub revoked_at: Option<i64>,
    /// Keyed tag of a PIN for duplicate checks (not serialised).
    #[serde(skip)]
    pub pin_tag: Option<String>,
}

/// One person on one door: a user slot on the lock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub state: DoorState,
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
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub updated_at: i64,
}

/// One credential on one door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub state: DoorState,
    /// Why it failed.
    pub error: Option<String>,
}

/// An operation of a person-on-door change, as [`Store::door_ops`] reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct DoorOp {
    /// Operation id.
    pub id: i64,
    /// Kind.
    pub kind: OpName,
    /// Where it is in its life.
    pub state: OpState,
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
    pub kind: CredentialKind,
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
    pub kind: OpName,
    /// Params.
    pub params: serde_json::Value,
    /// Index into [`AccessPlan::new_credentials`].
    pub credential_ref: Option<usize>,
}

/// Where a grant lands on one door, planned before the change's transaction
/// ([`Store::plan_slots`]) and checked again inside it: if another change
/// took the slot meanwhile, [`Store::apply_access`] refuses with
/// [`PlanError::Stale`] and writes nothing, and the caller plans again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotPlan {
    /// The person's live row on this door (id, generation), if they are
    /// already on it: the change updates it in place.
    pub existing: Option<(i64, i64)>,
    /// The lock's user slot.
    pub slot: i64,
    /// True for a slot the hub had free (nothing of ours to clear there).
    pub fresh: bool,
    /// Global credential slot indices for the new credentials, in order.
    pub cred_indices: Vec<i64>,
}

/// What to do on one door. Everything is planned: the transaction only
/// checks that the slots are still free and writes.
#[derive(Debug, Clone)]
pub enum DoorChange {
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
        /// Where it lands (from [`Store::plan_slots`]).
        slots: SlotPlan,
        /// The operations, built for those slots.
        ops: Vec<PlannedOp>,
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
#[derive(Debug, Clone)]
pub struct AccessPlan {
    /// Organisation.
    pub org_id: i64,
    /// Who asked.
    pub created_by: Option<i64>,
    /// `grant`, `revoke`, `change_pin`, `revoke_all_except_owners`, `reenrol`.
    pub kind: ChangeKind,
    /// Credentials to create.
    pub new_credentials: Vec<NewCredential>,
    /// Per-door changes.
    pub doors: Vec<DoorChange>,
    /// Credentials revoked everywhere by this change.
    pub revoke_credentials: Vec<i64>,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// Identifier.
    pub id: i64,
    /// Kind.
    pub kind: ChangeKind,
    /// Creation time.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
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
    /// Another change took a planned slot after it was planned; nothing was
    /// written: plan again.
    #[error("the lock's slots changed while the change was planned")]
    Stale,
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
        state: parse_enum(r, "state", DoorState::parse)?,
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
        kind: parse_enum(r, "kind", OpName::parse)?,
        state: parse_enum(r, "state", OpState::parse)?,
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
        kind: parse_enum(r, "kind", CredentialKind::from_name)?,
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
        state: parse_enum(r, "state", DoorState::parse)?,
        error: col(r, "error")?,
    })
}

/// The lowest value in `1..=max` (or `0..max` with `from0`) not in `used`.
fn lowest_free(used: &[i64], from: i64, to_excl: i64) -> Option<i64> {
    (from..to_excl).find(|s| !used.contains(s))
}

/// A stored verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationRow {
    /// Identifier.
    pub id: i64,
    /// The lock.
    pub lock_id: i64,
    /// Where it is in its life.
    pub state: VerificationState,
    /// The reset counter before the reset, if known.
    pub previous_reset_counter: Option<i64>,
    /// The report (tumbler-control `VerificationReport` JSON), once done.
    pub report: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<String>,
    /// Start.
    #[serde(serialize_with = "ts::ser", deserialize_with = "ts::de")]
    pub created_at: i64,
}
