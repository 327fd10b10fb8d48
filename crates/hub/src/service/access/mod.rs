//! People and access across many doors: the use cases (authorised, scoped to
//! the caller's organisation). Files: [`people`], [`grant`] (grants and PIN
//! changes), [`replace`] (a lost card or PIN), [`revoke`], [`status`] (batches, who can open), [`reenrol`]
//! (after a reset; holidays), [`verify`] (verification reports). Delivery
//! state is derived by the lock plane ([`crate::plane::LockPlane::reconcile_door`]).
//!
//! - A person holds credentials (PIN, card, fingerprint, app key); on each
//!   door they get a user slot with a schedule ([`AccessSchedule`], compiled
//!   in the door's site time zone and enforced by the lock).
//! - Every change is one [`AccessPlan`] written in one transaction with the
//!   operations that carry it; each door's delivery state is **derived from
//!   those operations** ([`crate::plane::LockPlane::reconcile_door`]): `pending → setting →
//!   set → removing → removed | failed`. `set` and `removed` are confirmed by
//!   the slot digest the lock reports after the change (non-zero and changed;
//!   all zero), never by reading a credential back.
//! - Doors are independent: an offline door's operations wait in its queue
//!   while the others proceed; a failing door fails alone and can be retried.
//! - PINs: checked against the PIN rules, refused if another person holds the
//!   same PIN on one of the doors (keyed tag, see
//!   [`crate::store::Store::pin_tag`]), sealed in their operation until sent,
//!   erased when it ends, returned once when generated, never logged.
//! - After a reset: [`Service::reenrol`] brings back only the people the
//!   owner picks; [`Service::start_verification`] produces the report
//!   (tumbler-control [`access::verify`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tumbler_control::access::{self, AccessSchedule, CompiledSchedule, DoorState, PinPolicy};
use tumbler_control::proto::{CardUid, Credential, CredentialKind, CredentialSlot};
use tumbler_control::{OpKind, SecretPin};

mod grant;
mod people;
mod reenrol;
mod replace;
mod revoke;
mod status;
mod stay;
mod verify;

pub use status::SlotHolders;

use crate::model::{
    de_credential_kind, ser_credential_kind, Capacity, ChangeKind, ClaimState, Lock, OpName,
};
use crate::service::{
    check_name, invalid, Principal, Service, ServiceError, ADMINS, HISTORY, OWNERS,
};
use crate::store::access::{
    AccessPlan, CredentialRow, DoorAccess, DoorChange, DoorCredential, NewCredential, Person,
    PlanError, PlannedOp, VerificationRow,
};
use crate::store::plane::{hex, unhex};

use crate::plane::rng;
pub use replace::Replacement;
/// Slot digests per page the lock returns.
const DIGEST_PAGE: i64 = 16;
/// Doors per request.
pub const MAX_DOORS: usize = 20_000;

/// A credential to create (`POST /people/{id}/access`).
#[derive(Debug, Clone, Default)]
pub struct CredentialInput {
    /// `pin`, `card`, `fingerprint`, `app_key`.
    pub kind: String,
    /// The PIN (kind `pin`), unless `generate`.
    pub pin: Option<SecretPin>,
    /// Generate a PIN (returned once).
    pub generate: bool,
    /// Card UID, hex (kind `card`).
    pub uid: Option<String>,
    /// Template slot in the fingerprint sensor (kind `fingerprint`).
    pub template: Option<u16>,
    /// The phone's public key, hex (kind `app_key`).
    pub key: Option<String>,
    /// Label.
    pub label: Option<String>,
}

/// Give a person access to doors.
#[derive(Debug, Clone)]
pub struct GrantRequest {
    /// The doors.
    pub lock_ids: Vec<i64>,
    /// When.
    pub schedule: AccessSchedule,
    /// New credentials to put on every one of those doors.
    pub credentials: Vec<CredentialInput>,
}

/// A PIN the hub generated: shown once, in this answer only. `Debug` is
/// redacted, so logging an answer never logs the PIN.
#[derive(Clone, Serialize, Deserialize)]
pub struct IssuedPin {
    /// The credential.
    pub credential_id: i64,
    /// The person.
    pub person_id: i64,
    /// The PIN (never stored, never shown again).
    pub pin: String,
}

impl std::fmt::Debug for IssuedPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedPin")
            .field("credential_id", &self.credential_id)
            .field("person_id", &self.person_id)
            .field("pin", &"<redacted>")
            .finish()
    }
}

/// One door of a batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DoorResult {
    /// The person-on-door row.
    pub door_access_id: i64,
    /// The door.
    pub lock_id: i64,
    /// Its name.
    pub lock_name: String,
    /// Whether it is online now.
    pub online: bool,
    /// The person.
    pub person_id: i64,
    /// Their name.
    pub person_name: String,
    /// Delivery state.
    pub state: DoorState,
    /// Why it failed.
    pub error: Option<String>,
}

/// A bulk change with counts and per-door results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchStatus {
    /// Identifier.
    pub id: i64,
    /// What the change was.
    pub kind: ChangeKind,
    /// Doors in the batch.
    pub total: usize,
    /// Doors per state (every state listed).
    pub counts: BTreeMap<String, usize>,
    /// Every door settled (`set`, `removed` or `failed`).
    pub done: bool,
    /// Per door.
    pub doors: Vec<DoorResult>,
}

/// What a change of access did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessOutcome {
    /// Progress and per-door results.
    pub batch: BatchStatus,
    /// Generated PINs, shown once.
    pub pins: Vec<IssuedPin>,
}

/// A credential of a person on one door.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CredentialOnDoor {
    /// The credential.
    pub credential_id: i64,
    /// Kind.
    #[serde(
        serialize_with = "ser_credential_kind",
        deserialize_with = "de_credential_kind"
    )]
    pub kind: CredentialKind,
    /// Label.
    pub label: Option<String>,
    /// Delivery state.
    pub state: DoorState,
    /// Why it failed.
    pub error: Option<String>,
}

/// A person on one door.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonDoor {
    /// The row.
    pub door_access_id: i64,
    /// The door.
    pub lock_id: i64,
    /// Its name.
    pub lock_name: String,
    /// User slot.
    pub slot: i64,
    /// Schedule.
    pub schedule: serde_json::Value,
    /// In words.
    pub schedule_text: String,
    /// Delivery state.
    pub state: DoorState,
    /// Why it failed.
    pub error: Option<String>,
    /// Credentials there.
    pub credentials: Vec<CredentialOnDoor>,
}

/// A person with credentials and doors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonDetail {
    /// The person.
    pub person: Person,
    /// Credentials (no PIN, ever).
    pub credentials: Vec<CredentialRow>,
    /// Doors (current rows; removed ones included).
    pub doors: Vec<PersonDoor>,
}

/// Who can open a door, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WhoCanOpen {
    /// The person.
    pub person_id: i64,
    /// Name.
    pub name: String,
    /// Owner.
    pub owner: bool,
    /// Whether their schedule admits them right now.
    pub now: bool,
    /// Why (schedule, credentials, delivery state) in words.
    pub why: String,
    /// Delivery state on this door.
    pub state: DoorState,
    /// Credential kinds on this door.
    pub credentials: Vec<String>,
}

/// A lock-wide holiday (`POST /locks/{id}/holidays`).
#[derive(Debug, Clone, Default)]
pub struct HolidayRequest {
    /// Holiday slot on the lock, 0..=3.
    pub slot: u8,
    /// Start, site local time.
    pub from: Option<String>,
    /// End, site local time.
    pub to: Option<String>,
    /// `vacation` (default), `privacy`, `passage`, `normal`.
    pub mode: Option<String>,
    /// Remove the holiday in `slot` instead.
    pub clear: bool,
}

/// A person to bring back after a reset.
#[derive(Debug, Clone, Default)]
pub struct ReenrolPerson {
    /// The person.
    pub person_id: i64,
    /// New PIN (the old one was erased with the lock and the hub never kept it).
    pub pin: Option<SecretPin>,
    /// Generate a new PIN instead.
    pub generate_pin: bool,
}

fn plan_error(e: PlanError) -> ServiceError {
    match e {
        PlanError::NoFreeSlot(l) => invalid("lock_ids", format!("lock {l} has no free user slot")),
        PlanError::NoFreeCredentialSlot(l) => invalid(
            "credentials",
            format!("no free credential slot for this person on lock {l}"),
        ),
        PlanError::Ops(s) => invalid("request", s),
        PlanError::Stale => ServiceError::WrongState(
            "other changes kept taking the planned slots on these locks; try again".into(),
        ),
        PlanError::Store(e) => e.into(),
    }
}

/// Builds the operations of one door once its slots are planned:
/// `(user slot, [(credential ref, credential slot index)], fresh)`; `fresh`
/// is true for a slot the hub had free (nothing of ours to clear there).
pub(super) type OpsFor<'a> =
    Box<dyn Fn(i64, &[(usize, i64)], bool) -> Result<Vec<PlannedOp>, String> + Send + Sync + 'a>;

/// A door of a change before its slots are planned.
pub(super) enum DraftDoor<'a> {
    /// A person (with new credentials) onto a door: slots planned by
    /// [`Service::plan_access`], operations built for them by `ops`.
    Grant {
        /// The person.
        person_id: i64,
        /// The door.
        lock_id: i64,
        /// Schedule JSON.
        schedule: serde_json::Value,
        /// New credentials (refs into the change) for this door.
        credentials: Vec<usize>,
        /// The door's slots.
        capacity: Capacity,
        /// Builds the operations.
        ops: OpsFor<'a>,
    },
    /// Already planned (slots known): an update or a revocation.
    Planned(DoorChange),
}

/// A change of access before its slots are planned.
pub(super) struct Draft<'a> {
    /// Organisation.
    pub org_id: i64,
    /// Who asked.
    pub created_by: Option<i64>,
    /// What it is.
    pub kind: ChangeKind,
    /// Credentials to create.
    pub new_credentials: Vec<NewCredential>,
    /// Per-door changes.
    pub doors: Vec<DraftDoor<'a>>,
    /// Credentials revoked everywhere.
    pub revoke_credentials: Vec<i64>,
}

/// Times a change is planned again when other changes took its slots first.
const PLAN_ATTEMPTS: usize = 8;

impl Service {
    /// Plans a change: where each grant lands (read from the store, slots
    /// taken by other doors of the same change excluded) and the operations
    /// for those slots. No transaction is open here; the store checks the
    /// slots again when it writes.
    pub(super) async fn plan_access(&self, d: &Draft<'_>) -> Result<AccessPlan, ServiceError> {
        let mut reserved: std::collections::HashMap<i64, Vec<i64>> = Default::default();
        let mut doors = Vec::with_capacity(d.doors.len());
        for door in &d.doors {
            match door {
                DraftDoor::Grant {
                    person_id,
                    lock_id,
                    schedule,
                    credentials,
                    capacity,
                    ops,
                } => {
                    let taken = reserved.entry(*lock_id).or_default();
                    let slots = self
                        .store
                        .plan_slots(*lock_id, *person_id, credentials.len(), *capacity, taken)
                        .await
                        .map_err(plan_error)?;
                    if slots.fresh {
                        taken.push(slots.slot);
                    }
                    let placed: Vec<(usize, i64)> = credentials
                        .iter()
                        .copied()
                        .zip(slots.cred_indices.iter().copied())
                        .collect();
                    let ops =
                        ops(slots.slot, &placed, slots.fresh).map_err(|e| invalid("request", e))?;
                    doors.push(DoorChange::Grant {
                        person_id: *person_id,
                        lock_id: *lock_id,
                        schedule: schedule.clone(),
                        credentials: credentials.clone(),
                        slots,
                        ops,
                    });
                }
                DraftDoor::Planned(c) => doors.push(c.clone()),
            }
        }
        Ok(AccessPlan {
            org_id: d.org_id,
            created_by: d.created_by,
            kind: d.kind,
            new_credentials: d.new_credentials.clone(),
            doors,
            revoke_credentials: d.revoke_credentials.clone(),
        })
    }

    /// Plans and writes a change; planned again (a bounded number of
    /// times) when another change took its slots in between.
    pub(super) async fn apply_planned(
        &self,
        d: &Draft<'_>,
    ) -> Result<crate::store::access::Applied, ServiceError> {
        let mut attempt = 1;
        loop {
            let plan = self.plan_access(d).await?;
            match self.store.apply_access(plan, self.now_ms()).await {
                Err(PlanError::Stale) if attempt < PLAN_ATTEMPTS => attempt += 1,
                r => return r.map_err(plan_error),
            }
        }
    }
}

/// Parses a credential kind as the API spells it (the one place it is parsed).
fn kind_of(k: &str) -> Result<CredentialKind, ServiceError> {
    CredentialKind::from_name(k)
        .ok_or_else(|| invalid("credentials", "kind: pin, card, fingerprint or app_key"))
}

/// An operation carrying an `OpKind` (no secret inside) as JSON.
fn op(kind: &OpKind) -> Result<PlannedOp, String> {
    let v = serde_json::to_value(kind).map_err(|e| e.to_string())?;
    Ok(PlannedOp {
        kind: kind.name(),
        params: serde_json::json!({ "op": v }),
        credential_ref: None,
    })
}

/// What a credential becomes on the wire, once its PIN (if any) is known.
#[derive(Clone)]
enum Payload {
    /// Sealed (or vaulted) PIN: params key and value.
    Pin { key: &'static str, value: String },
    /// Non-secret credential data.
    Plain(Credential),
}

impl Service {
    async fn own_person(&self, p: &Principal, id: i64) -> Result<Person, ServiceError> {
        self.store
            .get_person(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing { what: "person", id })
    }

    /// One claimed lock of the caller's organisation.
    pub(super) async fn claimed_lock(&self, p: &Principal, id: i64) -> Result<Lock, ServiceError> {
        self.claimed_locks(p, &[id])
            .await?
            .into_iter()
            .next()
            .ok_or(ServiceError::NotFound)
    }

    async fn claimed_locks(&self, p: &Principal, ids: &[i64]) -> Result<Vec<Lock>, ServiceError> {
        if ids.is_empty() {
            return Err(invalid("lock_ids", "at least one lock"));
        }
        if ids.len() > MAX_DOORS {
            return Err(invalid("lock_ids", format!("at most {MAX_DOORS} locks")));
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if !seen.insert(*id) {
                return Err(invalid("lock_ids", format!("lock {id} listed twice")));
            }
            let lock = self.own_lock(p, *id).await?;
            if lock.claim_state != ClaimState::Claimed {
                return Err(ServiceError::WrongState(format!(
                    "lock {} is {}; re-claim it first",
                    lock.id, lock.claim_state
                )));
            }
            out.push(lock);
        }
        Ok(out)
    }
}

/// A `set_credential` operation: plain credentials as an `OpKind`, PINs as
/// the slot plus the sealed PIN (or its in-memory reference).
fn credential_op(slot: CredentialSlot, user: u16, payload: &Payload) -> Result<PlannedOp, String> {
    match payload {
        Payload::Plain(c) => op(&access::plan_credential(slot, user, c.clone())),
        Payload::Pin { key, value } => {
            let mut params = serde_json::Map::new();
            params.insert(
                "pin_credential".into(),
                serde_json::json!({
                    "slot": serde_json::to_value(slot).map_err(|e| e.to_string())?,
                    "user": user,
                }),
            );
            params.insert((*key).into(), value.clone().into());
            Ok(PlannedOp {
                kind: OpName::SetCredential,
                params: serde_json::Value::Object(params),
                credential_ref: None,
            })
        }
    }
}
