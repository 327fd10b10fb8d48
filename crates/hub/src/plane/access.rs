//! People and access across many doors (issue 7), over the lock plane.
//!
//! - A person holds credentials (PIN, card, fingerprint, app key); on each
//!   door they get a user slot with a schedule ([`AccessSchedule`], compiled
//!   in the door's site time zone and enforced by the lock).
//! - Every change is one [`AccessPlan`] written in one transaction with the
//!   operations that carry it; each door's delivery state is **derived from
//!   those operations** ([`LockPlane::reconcile_door`]): `pending → setting →
//!   set → removing → removed | failed`. `set` and `removed` are confirmed by
//!   the slot digest the lock reports after the change (non-zero and changed;
//!   all zero), never by reading a credential back.
//! - Doors are independent: an offline door's operations wait in its queue
//!   while the others proceed; a failing door fails alone and can be retried.
//! - PINs: checked against the PIN rules, refused if another person holds the
//!   same PIN on one of the doors (keyed tag, see
//!   [`crate::store::Store::pin_tag`]), sealed in their operation until sent,
//!   erased when it ends, returned once when generated, never logged.
//! - After a reset: [`LockPlane::reenrol`] brings back only the people the
//!   owner picks; [`LockPlane::start_verification`] produces the report
//!   (tumbler-control [`access::verify`]).

use std::collections::BTreeMap;

use serde::Serialize;
use tumbler_control::access::{
    self, AccessSchedule, CompiledSchedule, DoorState, ExpectedSlot, PinPolicy, SelfCheckFacts,
    VerificationInput,
};
use tumbler_control::proto::{CardUid, Credential, CredentialKind, CredentialSlot, SlotDigest};
use tumbler_control::{OpKind, SecretPin};

use super::LockPlane;
use crate::model::{ClaimState, Lock};
use crate::service::{check_name, invalid, Principal, ServiceError, ADMINS, HISTORY, OWNERS};
use crate::store::access::{
    AccessPlan, CredentialRow, DoorAccess, DoorChange, DoorCredential, NewCredential, Person,
    PlanError, PlannedOp, VerificationRow,
};
use crate::store::plane::{hex, unhex};

/// User slots on a Tumbler lock.
pub const MAX_USERS: i64 = 100;
/// Credentials per user on a Tumbler lock.
pub const CREDS_PER_USER: i64 = 4;
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

/// A PIN the hub generated: shown once, in this answer only.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedPin {
    /// The credential.
    pub credential_id: i64,
    /// The person.
    pub person_id: i64,
    /// The PIN (never stored, never shown again).
    pub pin: String,
}

/// One door of a batch.
#[derive(Debug, Clone, Serialize)]
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
    pub state: String,
    /// Why it failed.
    pub error: Option<String>,
}

/// A bulk change with counts and per-door results.
#[derive(Debug, Clone, Serialize)]
pub struct BatchStatus {
    /// Identifier.
    pub id: i64,
    /// `grant`, `revoke`, `change_pin`, `revoke_all_except_owners`, `reenrol`.
    pub kind: String,
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
#[derive(Debug, Clone, Serialize)]
pub struct AccessOutcome {
    /// Progress and per-door results.
    pub batch: BatchStatus,
    /// Generated PINs, shown once.
    pub pins: Vec<IssuedPin>,
}

/// A credential of a person on one door.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialOnDoor {
    /// The credential.
    pub credential_id: i64,
    /// Kind.
    pub kind: String,
    /// Label.
    pub label: Option<String>,
    /// Delivery state.
    pub state: String,
    /// Why it failed.
    pub error: Option<String>,
}

/// A person on one door.
#[derive(Debug, Clone, Serialize)]
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
    pub state: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Credentials there.
    pub credentials: Vec<CredentialOnDoor>,
}

/// A person with credentials and doors.
#[derive(Debug, Clone, Serialize)]
pub struct PersonDetail {
    /// The person.
    pub person: Person,
    /// Credentials (no PIN, ever).
    pub credentials: Vec<CredentialRow>,
    /// Doors (current rows; removed ones included).
    pub doors: Vec<PersonDoor>,
}

/// Who can open a door, and why.
#[derive(Debug, Clone, Serialize)]
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
    pub state: String,
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
            format!("at most {CREDS_PER_USER} credentials per person on lock {l}"),
        ),
        PlanError::Ops(s) => invalid("request", s),
        PlanError::Store(e) => e.into(),
    }
}

fn kind_of(k: &str) -> Result<CredentialKind, ServiceError> {
    Ok(match k {
        "pin" => CredentialKind::Pin,
        "card" => CredentialKind::Card,
        "fingerprint" => CredentialKind::Fingerprint,
        "app_key" => CredentialKind::AppKey,
        _ => {
            return Err(invalid(
                "credentials",
                "kind: pin, card, fingerprint or app_key",
            ))
        }
    })
}

/// An operation carrying an `OpKind` (no secret inside) as JSON.
fn op(kind: &OpKind) -> Result<PlannedOp, String> {
    let v = serde_json::to_value(kind).map_err(|e| e.to_string())?;
    let name = match &v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(m) => m.keys().next().cloned().unwrap_or_default(),
        _ => String::new(),
    };
    Ok(PlannedOp {
        kind: name,
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

impl LockPlane {
    async fn own_person(&self, p: &Principal, id: i64) -> Result<Person, ServiceError> {
        self.service
            .store
            .get_person(p.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    async fn zone_of(&self, lock: &Lock) -> Result<String, ServiceError> {
        let site = match lock.site_id {
            Some(s) => {
                self.service
                    .store
                    .get_site(lock.org_id.unwrap_or(-1), s)
                    .await?
            }
            None => None,
        };
        Ok(site.map_or_else(|| "UTC".to_owned(), |s| s.time_zone))
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

    /// Adds a person (owners, managers).
    pub async fn create_person(
        &self,
        p: &Principal,
        name: &str,
        owner: bool,
    ) -> Result<Person, ServiceError> {
        self.service.require(p, ADMINS)?;
        let name = check_name("name", name)?;
        let person = self
            .service
            .store
            .create_person(p.org_id, &name, owner, self.service.now_ms())
            .await?;
        Ok(person)
    }

    /// The organisation's people.
    pub async fn list_people(&self, p: &Principal) -> Result<Vec<Person>, ServiceError> {
        self.service.require(p, HISTORY)?;
        Ok(self.service.store.list_people(p.org_id).await?)
    }

    /// A person with their credentials and doors, states refreshed.
    pub async fn person_detail(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<PersonDetail, ServiceError> {
        self.service.require(p, HISTORY)?;
        let person = self.own_person(p, id).await?;
        let store = &self.service.store;
        let credentials = store.person_credentials(id).await?;
        let mut doors = Vec::new();
        for d in store.doors_of_person(id).await? {
            let d = self.reconcile_door(d).await?;
            let lock = store.get_lock(p.org_id, d.lock_id).await?;
            let creds = store.door_credentials(d.id).await?;
            doors.push(PersonDoor {
                door_access_id: d.id,
                lock_id: d.lock_id,
                lock_name: lock.map(|l| l.name).unwrap_or_default(),
                slot: d.slot,
                schedule_text: serde_json::from_value::<AccessSchedule>(d.schedule.clone())
                    .map(|s| s.describe())
                    .unwrap_or_default(),
                schedule: d.schedule,
                state: d.state,
                error: d.error,
                credentials: creds
                    .iter()
                    .map(|c| CredentialOnDoor {
                        credential_id: c.credential_id,
                        kind: credentials
                            .iter()
                            .find(|x| x.id == c.credential_id)
                            .map(|x| x.kind.clone())
                            .unwrap_or_default(),
                        label: credentials
                            .iter()
                            .find(|x| x.id == c.credential_id)
                            .and_then(|x| x.label.clone()),
                        state: c.state.clone(),
                        error: c.error.clone(),
                    })
                    .collect(),
            });
        }
        Ok(PersonDetail {
            person,
            credentials,
            doors,
        })
    }

    /// Checks a credential input and turns it into a new credential and
    /// its wire form per lock (PINs sealed per lock later).
    fn check_credential(
        &self,
        p: &Principal,
        person_id: i64,
        c: &CredentialInput,
        issued: &mut Vec<SecretPin>,
    ) -> Result<(NewCredential, Option<SecretPin>, Option<Credential>), ServiceError> {
        let kind = kind_of(&c.kind)?;
        let label = match &c.label {
            Some(l) => Some(check_name("label", l)?),
            None => None,
        };
        let mut data = None;
        let mut pin = None;
        let mut plain = None;
        match kind {
            CredentialKind::Pin => {
                let policy = PinPolicy::DEFAULT;
                let chosen = match (&c.pin, c.generate) {
                    (Some(_), true) => {
                        return Err(invalid(
                            "pin",
                            "give a PIN or ask to generate one, not both",
                        ))
                    }
                    (None, false) => return Err(invalid("pin", "give a PIN or set generate")),
                    (Some(x), false) => x.clone(),
                    (None, true) => {
                        let mut rng = super::rng()?;
                        let g = policy.generate(6, &mut rng);
                        issued.push(g.clone());
                        g
                    }
                };
                policy
                    .check(chosen.expose())
                    .map_err(|e| invalid("pin", e.to_string()))?;
                pin = Some(chosen);
            }
            CredentialKind::Card => {
                let uid = c
                    .uid
                    .as_deref()
                    .ok_or_else(|| invalid("uid", "a card needs its UID (hex)"))?;
                let bytes = unhex(uid.trim()).map_err(|_| invalid("uid", "hex digits"))?;
                if bytes.is_empty() || bytes.len() > 10 {
                    return Err(invalid("uid", "1 to 10 bytes"));
                }
                let v =
                    heapless::Vec::from_slice(&bytes).map_err(|_| invalid("uid", "too long"))?;
                plain = Some(Credential::Card(CardUid(v)));
                data = Some(hex(&bytes));
            }
            CredentialKind::Fingerprint => {
                let t = c
                    .template
                    .ok_or_else(|| invalid("template", "the sensor's template slot"))?;
                plain = Some(Credential::Fingerprint { template: t });
                data = Some(t.to_string());
            }
            CredentialKind::AppKey => {
                let k = c
                    .key
                    .as_deref()
                    .ok_or_else(|| invalid("key", "the phone's public key (64 hex digits)"))?;
                let bytes = unhex(k.trim()).map_err(|_| invalid("key", "64 hex digits"))?;
                let arr = <[u8; 32]>::try_from(bytes.as_slice())
                    .map_err(|_| invalid("key", "64 hex digits"))?;
                plain = Some(Credential::AppKey(arr));
                data = Some(hex(&arr));
            }
            _ => return Err(invalid("credentials", "unsupported kind")),
        }
        let pin_tag = pin
            .as_ref()
            .and_then(|x| self.service.store.pin_tag(p.org_id, x.expose().as_bytes()));
        Ok((
            NewCredential {
                person_id,
                kind: c.kind.clone(),
                label,
                data,
                pin_tag,
                existing_id: None,
            },
            pin,
            plain,
        ))
    }

    fn pin_payload(&self, lock_id: i64, pin: &SecretPin) -> Result<Payload, ServiceError> {
        Ok(
            match self
                .service
                .store
                .seal_pin(lock_id, pin.expose().as_bytes())?
            {
                Some(sealed) => Payload::Pin {
                    key: "pin_sealed",
                    value: sealed,
                },
                None => Payload::Pin {
                    key: "pin_ref",
                    value: self.service.pins.put(pin.clone())?,
                },
            },
        )
    }

    /// The operations that put a person on a door: the user and schedules,
    /// each credential, then the digest read that confirms it.
    fn grant_ops(
        slot: i64,
        name: &str,
        compiled: &CompiledSchedule,
        creds: &[(usize, i64)],
        payloads: &[(CredentialKind, Payload)],
        fresh: bool,
    ) -> Result<Vec<PlannedOp>, String> {
        let user = u16::try_from(slot).map_err(|_| "slot out of range".to_owned())?;
        let mut ops = Vec::new();
        for k in access::plan_user(user, name, compiled, fresh) {
            ops.push(op(&k)?);
        }
        for (r, idx) in creds {
            let (kind, payload) = payloads.get(*r).ok_or("credential ref out of range")?;
            let cslot = CredentialSlot {
                kind: *kind,
                index: u16::try_from(*idx).map_err(|_| "credential slot out of range")?,
            };
            let mut o = credential_op(cslot, user, payload)?;
            o.credential_ref = Some(*r);
            ops.push(o);
        }
        ops.push(op(&access::plan_digest_read(user))?);
        Ok(ops)
    }

    async fn finish(
        &self,
        p: &Principal,
        plan: AccessPlan<'_>,
        issued: Vec<(usize, SecretPin)>,
    ) -> Result<AccessOutcome, ServiceError> {
        let now = self.service.now_ms();
        let kind = plan.kind.to_owned();
        let holders: Vec<i64> = plan.new_credentials.iter().map(|c| c.person_id).collect();
        let applied = self
            .service
            .store
            .apply_access(plan, now)
            .await
            .map_err(plan_error)?;
        self.wake.notify_one();
        tracing::info!(
            org = p.org_id,
            batch = applied.batch_id,
            doors = applied.doors.len(),
            kind,
            "access change queued"
        );
        let batch = self.batch_status(p, applied.batch_id, true).await?;
        let pins = issued
            .into_iter()
            .map(|(k, pin)| IssuedPin {
                credential_id: applied.credential_ids.get(k).copied().unwrap_or_default(),
                person_id: holders.get(k).copied().unwrap_or_default(),
                pin: pin.expose().to_owned(),
            })
            .collect();
        Ok(AccessOutcome { batch, pins })
    }

    /// Gives a person access to doors with new credentials (owners, managers).
    pub async fn grant(
        &self,
        p: &Principal,
        person_id: i64,
        req: GrantRequest,
    ) -> Result<AccessOutcome, ServiceError> {
        self.service.require(p, ADMINS)?;
        let person = self.own_person(p, person_id).await?;
        let locks = self.claimed_locks(p, &req.lock_ids).await?;
        if req.credentials.is_empty() {
            return Err(invalid("credentials", "at least one credential"));
        }
        if req.credentials.len() > usize::try_from(CREDS_PER_USER).unwrap_or(4) {
            return Err(invalid(
                "credentials",
                format!("at most {CREDS_PER_USER} per person and door"),
            ));
        }
        let now_s = self.service.now_ms() / 1000;
        let mut new_credentials = Vec::new();
        let mut secret = Vec::new();
        let mut issued_raw = Vec::new();
        let mut issued = Vec::new();
        for (i, c) in req.credentials.iter().enumerate() {
            let before = issued_raw.len();
            let (nc, pin, plain) = self.check_credential(p, person_id, c, &mut issued_raw)?;
            if issued_raw.len() > before {
                if let Some(g) = issued_raw.last() {
                    issued.push((i, g.clone()));
                }
            }
            if let Some(tag) = &nc.pin_tag {
                let ids: Vec<i64> = locks.iter().map(|l| l.id).collect();
                if let Some(l) = self
                    .service
                    .store
                    .pin_tag_on_locks(p.org_id, tag, None, &ids)
                    .await?
                {
                    return Err(invalid(
                        "pin",
                        format!("another person already uses this PIN on lock {l}; choose another"),
                    ));
                }
            }
            new_credentials.push(nc);
            secret.push((kind_of(&c.kind)?, pin, plain));
        }
        let mut doors = Vec::with_capacity(locks.len());
        for lock in &locks {
            let zone = self.zone_of(lock).await?;
            let compiled = req
                .schedule
                .compile(&zone, now_s)
                .map_err(|e| invalid("schedule", e.to_string()))?;
            let mut payloads = Vec::with_capacity(secret.len());
            for (kind, pin, plain) in &secret {
                let payload = match (pin, plain) {
                    (Some(pin), _) => self.pin_payload(lock.id, pin)?,
                    (None, Some(c)) => Payload::Plain(c.clone()),
                    (None, None) => return Err(invalid("credentials", "empty credential")),
                };
                payloads.push((*kind, payload));
            }
            let name = person.name.clone();
            doors.push(DoorChange::Grant {
                person_id,
                lock_id: lock.id,
                schedule: serde_json::to_value(&req.schedule)
                    .map_err(|e| invalid("schedule", e.to_string()))?,
                credentials: (0..secret.len()).collect(),
                ops: Box::new(move |slot, placed, fresh| {
                    Self::grant_ops(slot, &name, &compiled, placed, &payloads, fresh)
                }),
            });
        }
        let plan = AccessPlan {
            org_id: p.org_id,
            created_by: Some(p.account_id),
            kind: "grant",
            new_credentials,
            doors,
            revoke_credentials: Vec::new(),
            max_users: MAX_USERS,
            creds_per_user: CREDS_PER_USER,
        };
        self.finish(p, plan, issued).await
    }

    /// Changes a PIN (forgotten PIN) on every door it is on; `pin` `None`
    /// generates one, returned once (owners, managers).
    pub async fn change_pin(
        &self,
        p: &Principal,
        credential_id: i64,
        pin: Option<SecretPin>,
    ) -> Result<AccessOutcome, ServiceError> {
        self.service.require(p, ADMINS)?;
        let store = &self.service.store;
        let cred = store
            .get_credential(p.org_id, credential_id)
            .await?
            .filter(|c| c.revoked_at.is_none())
            .ok_or(ServiceError::NotFound)?;
        let person_id = cred.person_id;
        if cred.kind != "pin" {
            return Err(invalid("credential", "not a PIN"));
        }
        let policy = PinPolicy::DEFAULT;
        let generated = pin.is_none();
        let pin = match pin {
            Some(x) => x,
            None => policy.generate(6, &mut super::rng()?),
        };
        policy
            .check(pin.expose())
            .map_err(|e| invalid("pin", e.to_string()))?;
        let live: Vec<DoorCredential> = store
            .credential_doors(credential_id)
            .await?
            .into_iter()
            .filter(|d| d.state != "removed" && d.state != "removing")
            .collect();
        if live.is_empty() {
            return Err(ServiceError::WrongState("this PIN is on no door".into()));
        }
        let tag = store.pin_tag(p.org_id, pin.expose().as_bytes());
        if let Some(tag) = &tag {
            let ids: Vec<i64> = live.iter().map(|d| d.lock_id).collect();
            if let Some(l) = store
                .pin_tag_on_locks(p.org_id, tag, Some(credential_id), &ids)
                .await?
            {
                return Err(invalid(
                    "pin",
                    format!("another person already uses this PIN on lock {l}; choose another"),
                ));
            }
        }
        let mut doors = Vec::new();
        for dc in &live {
            let door = store
                .get_door(dc.door_access_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let user = u16::try_from(door.slot).map_err(|_| invalid("slot", "out of range"))?;
            let cslot = CredentialSlot {
                kind: CredentialKind::Pin,
                index: u16::try_from(dc.cred_index).map_err(|_| invalid("slot", "out of range"))?,
            };
            let payload = self.pin_payload(dc.lock_id, &pin)?;
            // The credential already exists: its id, no ref to resolve.
            let mut set = credential_op(cslot, user, &payload).map_err(|e| invalid("pin", e))?;
            if let Some(m) = set.params.as_object_mut() {
                m.insert("credential_id".into(), credential_id.into());
            }
            let ops = vec![
                set,
                op(&access::plan_digest_read(user)).map_err(|e| invalid("pin", e))?,
            ];
            doors.push(DoorChange::Update {
                door_access_id: door.id,
                door_credentials: vec![dc.id],
                ops,
            });
        }
        store.set_pin_tag(credential_id, tag.as_deref()).await?;
        let plan = AccessPlan {
            org_id: p.org_id,
            created_by: Some(p.account_id),
            kind: "change_pin",
            new_credentials: Vec::new(),
            doors,
            revoke_credentials: Vec::new(),
            max_users: MAX_USERS,
            creds_per_user: CREDS_PER_USER,
        };
        let mut out = self.finish(p, plan, Vec::new()).await?;
        if generated {
            out.pins.push(IssuedPin {
                credential_id,
                person_id,
                pin: pin.expose().to_owned(),
            });
        }
        Ok(out)
    }

    fn revoke_change(d: &DoorAccess) -> Result<DoorChange<'static>, ServiceError> {
        let user = u16::try_from(d.slot).map_err(|_| invalid("slot", "out of range"))?;
        let ops = vec![
            op(&access::plan_revoke(user)).map_err(|e| invalid("request", e))?,
            op(&access::plan_digest_read(user)).map_err(|e| invalid("request", e))?,
        ];
        Ok(DoorChange::Revoke {
            door_access_id: d.id,
            ops,
        })
    }

    /// Removes a person from doors (all of them when `lock_ids` is `None`:
    /// the tenant moves out) (owners, managers).
    pub async fn revoke_person(
        &self,
        p: &Principal,
        person_id: i64,
        lock_ids: Option<Vec<i64>>,
    ) -> Result<AccessOutcome, ServiceError> {
        self.service.require(p, ADMINS)?;
        self.own_person(p, person_id).await?;
        let store = &self.service.store;
        let rows: Vec<DoorAccess> = store
            .doors_of_person(person_id)
            .await?
            .into_iter()
            .filter(|d| d.state != "removed")
            .filter(|d| lock_ids.as_ref().is_none_or(|ids| ids.contains(&d.lock_id)))
            .collect();
        if let Some(ids) = &lock_ids {
            for id in ids {
                self.own_lock(p, *id).await?;
                if !rows.iter().any(|d| d.lock_id == *id) {
                    return Err(invalid("lock_ids", format!("no access on lock {id}")));
                }
            }
        }
        if rows.is_empty() {
            return Err(ServiceError::WrongState(
                "this person has no access to revoke".into(),
            ));
        }
        let doors = rows
            .iter()
            .map(Self::revoke_change)
            .collect::<Result<Vec<_>, _>>()?;
        let revoke_credentials = if lock_ids.is_none() {
            store
                .person_credentials(person_id)
                .await?
                .into_iter()
                .filter(|c| c.revoked_at.is_none())
                .map(|c| c.id)
                .collect()
        } else {
            Vec::new()
        };
        let plan = AccessPlan {
            org_id: p.org_id,
            created_by: Some(p.account_id),
            kind: "revoke",
            new_credentials: Vec::new(),
            doors,
            revoke_credentials,
            max_users: MAX_USERS,
            creds_per_user: CREDS_PER_USER,
        };
        self.finish(p, plan, Vec::new()).await
    }

    /// Security scare: removes everyone but the owners from every door of
    /// the organisation (owners only).
    pub async fn revoke_all_except_owners(
        &self,
        p: &Principal,
    ) -> Result<AccessOutcome, ServiceError> {
        self.service.require(p, OWNERS)?;
        let store = &self.service.store;
        let mut doors = Vec::new();
        let mut revoke_credentials = Vec::new();
        for person in store.list_people(p.org_id).await? {
            if person.owner {
                continue;
            }
            for d in store.doors_of_person(person.id).await? {
                if d.state != "removed" {
                    doors.push(Self::revoke_change(&d)?);
                }
            }
            revoke_credentials.extend(
                store
                    .person_credentials(person.id)
                    .await?
                    .into_iter()
                    .filter(|c| c.revoked_at.is_none())
                    .map(|c| c.id),
            );
        }
        let plan = AccessPlan {
            org_id: p.org_id,
            created_by: Some(p.account_id),
            kind: "revoke_all_except_owners",
            new_credentials: Vec::new(),
            doors,
            revoke_credentials,
            max_users: MAX_USERS,
            creds_per_user: CREDS_PER_USER,
        };
        self.finish(p, plan, Vec::new()).await
    }

    /// A batch's progress and per-door results (states refreshed). With
    /// `with_doors` false only the counts (cheap to poll on 10,000 doors).
    pub async fn batch_status(
        &self,
        p: &Principal,
        id: i64,
        with_doors: bool,
    ) -> Result<BatchStatus, ServiceError> {
        self.service.require(p, HISTORY)?;
        let store = &self.service.store;
        let batch = store
            .get_batch(p.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        // Only doors whose operations moved since their state was derived.
        for door in store.batch_doors_to_reconcile(id).await? {
            if let Some(d) = store.get_door(door).await? {
                self.reconcile_door(d).await?;
            }
        }
        let mut counts: BTreeMap<String, usize> =
            ["pending", "setting", "set", "removing", "removed", "failed"]
                .iter()
                .map(|s| ((*s).to_owned(), 0))
                .collect();
        for (state, n) in store.batch_counts(id).await? {
            *counts.entry(state).or_default() += usize::try_from(n).unwrap_or(0);
        }
        let total: usize = counts.values().sum();
        let done = counts
            .iter()
            .all(|(k, n)| *n == 0 || DoorState::parse(k).is_some_and(DoorState::is_settled));
        if !with_doors {
            return Ok(BatchStatus {
                id: batch.id,
                kind: batch.kind,
                total,
                counts,
                done,
                doors: Vec::new(),
            });
        }
        let mut doors = Vec::new();
        let mut names: BTreeMap<i64, String> = BTreeMap::new();
        let mut locks: BTreeMap<i64, (String, bool)> = BTreeMap::new();
        for d in store.doors_of_batch(id).await? {
            if let std::collections::btree_map::Entry::Vacant(e) = names.entry(d.person_id) {
                let n = store
                    .get_person(p.org_id, d.person_id)
                    .await?
                    .map(|x| x.name)
                    .unwrap_or_default();
                e.insert(n);
            }
            if let std::collections::btree_map::Entry::Vacant(e) = locks.entry(d.lock_id) {
                let l = store
                    .get_lock(p.org_id, d.lock_id)
                    .await?
                    .map(|l| (l.name, l.online))
                    .unwrap_or_default();
                e.insert(l);
            }
            let (lock_name, online) = locks.get(&d.lock_id).cloned().unwrap_or_default();
            doors.push(DoorResult {
                door_access_id: d.id,
                lock_id: d.lock_id,
                lock_name,
                online,
                person_id: d.person_id,
                person_name: names.get(&d.person_id).cloned().unwrap_or_default(),
                state: d.state,
                error: d.error,
            });
        }
        Ok(BatchStatus {
            id: batch.id,
            kind: batch.kind,
            total,
            counts,
            done,
            doors,
        })
    }

    /// Who can open a door right now, and why (states refreshed).
    pub async fn who_can_open(
        &self,
        p: &Principal,
        lock_id: i64,
    ) -> Result<Vec<WhoCanOpen>, ServiceError> {
        self.service.require(p, HISTORY)?;
        let lock = self.own_lock(p, lock_id).await?;
        let zone = self.zone_of(&lock).await?;
        let store = &self.service.store;
        let now_ms = self.service.now_ms();
        let mut out = Vec::new();
        for d in store.doors_of_lock(lock_id).await? {
            let d = self.reconcile_door(d).await?;
            let Some(state) = DoorState::parse(&d.state) else {
                continue;
            };
            if !state.grants_access() {
                continue;
            }
            let Some(person) = store.get_person(p.org_id, d.person_id).await? else {
                continue;
            };
            let schedule: Option<AccessSchedule> = serde_json::from_value(d.schedule.clone()).ok();
            // The schedule compiled as when it was granted: a past `until`
            // then simply admits no one.
            let compiled = schedule
                .as_ref()
                .and_then(|s| s.compile(&zone, d.updated_at / 1000).ok());
            let now = compiled
                .as_ref()
                .is_some_and(|c| c.active_at(now_ms / 1000, &zone));
            let creds = store.door_credentials(d.id).await?;
            let all = store.person_credentials(d.person_id).await?;
            let kinds: Vec<String> = creds
                .iter()
                .filter(|c| c.state != "removed" && c.state != "failed")
                .filter_map(|c| all.iter().find(|x| x.id == c.credential_id))
                .map(|c| match &c.label {
                    Some(l) => format!("{} ({l})", c.kind),
                    None => c.kind.clone(),
                })
                .collect();
            let sched = schedule.map(|s| s.describe()).unwrap_or_default();
            let why = format!(
                "{}{} with {}; schedule {} ({}); user slot {}",
                if person.owner { "owner; " } else { "" },
                match state {
                    DoorState::Set => "delivered and confirmed by the lock's digest",
                    DoorState::Setting => "being delivered",
                    DoorState::Removing => "being removed (may still work until the lock confirms)",
                    _ => "queued",
                },
                if kinds.is_empty() {
                    "no credential".to_owned()
                } else {
                    kinds.join(", ")
                },
                sched,
                if now { "admits now" } else { "not now" },
                d.slot,
            );
            out.push(WhoCanOpen {
                person_id: person.id,
                name: person.name,
                owner: person.owner,
                now,
                why,
                state: d.state,
                credentials: kinds,
            });
        }
        Ok(out)
    }

    /// Re-enrols chosen people on a lock that was reset and re-claimed,
    /// with the schedules they had; cards, app keys and fingerprints come
    /// back as they were, PINs are new (given or generated). Nobody comes
    /// back unless listed (owners, managers).
    pub async fn reenrol(
        &self,
        p: &Principal,
        lock_id: i64,
        people: Vec<ReenrolPerson>,
    ) -> Result<AccessOutcome, ServiceError> {
        self.service.require(p, ADMINS)?;
        let lock = self
            .claimed_locks(p, &[lock_id])
            .await?
            .into_iter()
            .next()
            .ok_or(ServiceError::NotFound)?;
        if people.is_empty() {
            return Err(invalid("people", "pick at least one person"));
        }
        let store = &self.service.store;
        let zone = self.zone_of(&lock).await?;
        let now_s = self.service.now_ms() / 1000;
        let rows = store.doors_of_lock(lock_id).await?;
        let mut new_credentials = Vec::new();
        let mut doors = Vec::new();
        let mut issued = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for r in &people {
            if !seen.insert(r.person_id) {
                return Err(invalid(
                    "people",
                    format!("person {} listed twice", r.person_id),
                ));
            }
            let person = self.own_person(p, r.person_id).await?;
            let last = rows
                .iter()
                .filter(|d| d.person_id == r.person_id)
                .max_by_key(|d| d.id)
                .ok_or_else(|| {
                    invalid(
                        "people",
                        format!("{} never had access to this door", person.name),
                    )
                })?;
            if last.state != "removed" {
                return Err(ServiceError::WrongState(format!(
                    "{} is {} on this door already",
                    person.name, last.state
                )));
            }
            let schedule: AccessSchedule = serde_json::from_value(last.schedule.clone())
                .map_err(|e| invalid("schedule", e.to_string()))?;
            let compiled = schedule
                .compile(&zone, now_s)
                .map_err(|e| invalid("schedule", format!("{}: {e}", person.name)))?;
            let all = store.person_credentials(r.person_id).await?;
            let mut payloads = Vec::new();
            let mut refs = Vec::new();
            for dc in store.door_credentials(last.id).await? {
                let Some(c) = all.iter().find(|x| x.id == dc.credential_id) else {
                    continue;
                };
                if c.revoked_at.is_some() || c.kind == "pin" {
                    continue;
                }
                let plain = match c.kind.as_str() {
                    "card" => {
                        let b = unhex(c.data.as_deref().unwrap_or_default())?;
                        Credential::Card(CardUid(
                            heapless::Vec::from_slice(&b)
                                .map_err(|_| invalid("uid", "too long"))?,
                        ))
                    }
                    "app_key" => {
                        let b = unhex(c.data.as_deref().unwrap_or_default())?;
                        Credential::AppKey(
                            <[u8; 32]>::try_from(b.as_slice())
                                .map_err(|_| invalid("key", "stored key is not 32 bytes"))?,
                        )
                    }
                    "fingerprint" => Credential::Fingerprint {
                        template: c.data.as_deref().unwrap_or("0").parse().unwrap_or(0),
                    },
                    _ => continue,
                };
                refs.push(new_credentials.len());
                new_credentials.push(NewCredential {
                    person_id: r.person_id,
                    kind: c.kind.clone(),
                    label: c.label.clone(),
                    data: c.data.clone(),
                    pin_tag: None,
                    existing_id: Some(c.id),
                });
                payloads.push((kind_of(&c.kind)?, Payload::Plain(plain)));
            }
            if r.pin.is_some() || r.generate_pin {
                let input = CredentialInput {
                    kind: "pin".into(),
                    pin: r.pin.clone(),
                    generate: r.generate_pin,
                    ..Default::default()
                };
                let mut gen = Vec::new();
                let (nc, pin, _) = self.check_credential(p, r.person_id, &input, &mut gen)?;
                let pin = pin.ok_or_else(|| invalid("pin", "missing"))?;
                if let Some(tag) = &nc.pin_tag {
                    if let Some(l) = store
                        .pin_tag_on_locks(p.org_id, tag, None, &[lock_id])
                        .await?
                    {
                        return Err(invalid(
                            "pin",
                            format!("another person already uses this PIN on lock {l}"),
                        ));
                    }
                }
                if let Some(g) = gen.pop() {
                    issued.push((new_credentials.len(), g));
                }
                refs.push(new_credentials.len());
                new_credentials.push(nc);
                payloads.push((CredentialKind::Pin, self.pin_payload(lock_id, &pin)?));
            }
            if refs.is_empty() {
                return Err(invalid(
                    "people",
                    format!(
                        "{} had only a PIN here: give a new PIN or set generate_pin",
                        person.name
                    ),
                ));
            }
            let name = person.name.clone();
            let placed_refs = refs.clone();
            doors.push(DoorChange::Grant {
                person_id: r.person_id,
                lock_id,
                schedule: last.schedule.clone(),
                credentials: refs,
                ops: Box::new(move |slot, placed, fresh| {
                    // `placed` refers to plan-wide refs; map to this door's payloads.
                    let local: Vec<(usize, i64)> = placed
                        .iter()
                        .filter_map(|(r, idx)| {
                            placed_refs.iter().position(|x| x == r).map(|i| (i, *idx))
                        })
                        .collect();
                    let mut ops =
                        Self::grant_ops(slot, &name, &compiled, &local, &payloads, fresh)?;
                    // Credential refs must be plan-wide for the store.
                    for o in &mut ops {
                        if let Some(i) = o.credential_ref {
                            o.credential_ref = placed_refs.get(i).copied();
                        }
                    }
                    Ok(ops)
                }),
            });
        }
        let plan = AccessPlan {
            org_id: p.org_id,
            created_by: Some(p.account_id),
            kind: "reenrol",
            new_credentials,
            doors,
            revoke_credentials: Vec::new(),
            max_users: MAX_USERS,
            creds_per_user: CREDS_PER_USER,
        };
        self.finish(p, plan, issued).await
    }

    /// Sets (or with `clear`, removes) a lock-wide holiday in holiday slot
    /// `slot` (0..=3): between two local times of the site, the lock runs in
    /// `mode` (`vacation`: the keypad and cards are off for everyone but
    /// admins; `privacy`: nobody from outside; `passage`: the door stays
    /// open). Enforced by the lock (owners, managers).
    pub async fn set_holiday(
        &self,
        p: &Principal,
        lock_id: i64,
        req: HolidayRequest,
    ) -> Result<crate::model::Operation, ServiceError> {
        self.service.require(p, ADMINS)?;
        let lock = self
            .claimed_locks(p, &[lock_id])
            .await?
            .into_iter()
            .next()
            .ok_or(ServiceError::NotFound)?;
        if req.slot > 3 {
            return Err(invalid("slot", "0 to 3"));
        }
        let kind = if req.clear {
            OpKind::ClearHolidaySchedule { slot: req.slot }
        } else {
            let mode = match req.mode.as_deref().unwrap_or("vacation") {
                "vacation" => tumbler_control::proto::OperatingMode::Vacation,
                "privacy" => tumbler_control::proto::OperatingMode::Privacy,
                "passage" => tumbler_control::proto::OperatingMode::Passage,
                "normal" => tumbler_control::proto::OperatingMode::Normal,
                _ => return Err(invalid("mode", "vacation, privacy, passage or normal")),
            };
            let zone = self.zone_of(&lock).await?;
            let (from, to) = match (&req.from, &req.to) {
                (Some(f), Some(t)) => (f.clone(), t.clone()),
                _ => {
                    return Err(invalid(
                        "from",
                        "from and to (site local time) are required",
                    ))
                }
            };
            let window = AccessSchedule::DateRange { from, to }
                .compile(&zone, self.service.now_ms() / 1000)
                .map_err(|e| invalid("from", e.to_string()))?;
            let y = window
                .year_days
                .first()
                .copied()
                .ok_or_else(|| invalid("from", "empty window"))?;
            OpKind::SetHolidaySchedule {
                slot: req.slot,
                schedule: tumbler_control::proto::HolidaySchedule {
                    from: y.from,
                    to: y.to,
                    mode,
                },
            }
        };
        let planned = op(&kind).map_err(|e| invalid("request", e))?;
        self.enqueue(p, &lock, &planned.kind, planned.params).await
    }

    /// Starts the verification of a lock: a fresh factory-signed self-check
    /// and every slot digest; the report is built when they are answered
    /// (owners, managers).
    pub async fn start_verification(
        &self,
        p: &Principal,
        lock_id: i64,
    ) -> Result<VerificationRow, ServiceError> {
        self.service.require(p, ADMINS)?;
        let lock = self
            .claimed_locks(p, &[lock_id])
            .await?
            .into_iter()
            .next()
            .ok_or(ServiceError::NotFound)?;
        let mut challenge = [0u8; 16];
        crate::secrets::random_bytes(&mut challenge)?;
        let mut ops = vec![PlannedOp {
            kind: "self_check".into(),
            params: serde_json::json!({ "challenge": hex(&challenge) }),
            credential_ref: None,
        }];
        let mut from = 1;
        while from <= MAX_USERS {
            let user = u16::try_from(from).map_err(|_| invalid("slot", "out of range"))?;
            ops.push(op(&access::plan_digest_read(user)).map_err(|e| invalid("request", e))?);
            from += DIGEST_PAGE;
        }
        let store = &self.service.store;
        let previous = store.pre_reset_counter(lock.id).await?;
        let id = store
            .start_verification(
                p.org_id,
                lock.id,
                previous,
                &ops,
                Some(p.account_id),
                self.service.now_ms(),
            )
            .await?;
        self.wake.notify_one();
        store
            .get_verification(p.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// A verification and, once done, its report.
    pub async fn get_verification(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<VerificationRow, ServiceError> {
        self.service.require(p, HISTORY)?;
        let store = &self.service.store;
        let v = store
            .get_verification(p.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if v.state == "running" {
            self.settle_verification(id, p.org_id).await?;
            return store
                .get_verification(p.org_id, id)
                .await?
                .ok_or(ServiceError::NotFound);
        }
        Ok(v)
    }

    /// Called when an operation ended (any path): updates the door or the
    /// verification it belongs to.
    pub(crate) async fn access_op_done(&self, op_id: i64) -> Result<(), ServiceError> {
        let store = &self.service.store;
        let (door, _gen, verification) = store.op_access_ref(op_id).await?;
        if let Some(d) = door {
            if let Some(row) = store.get_door(d).await? {
                self.reconcile_door(row).await?;
            }
        }
        if let Some(v) = verification {
            let org = store.op_org(op_id).await?.unwrap_or_default();
            self.settle_verification(v, org).await?;
        }
        Ok(())
    }

    /// After a reset of a lock: every person on it is marked removed
    /// (`lock_reset`), and the counter before the reset is kept for the
    /// verification report.
    pub(crate) async fn access_lock_reset(
        &self,
        lock_id: i64,
        pre_reset_counter: Option<i64>,
    ) -> Result<(), ServiceError> {
        let n = self
            .service
            .store
            .doors_reset(lock_id, pre_reset_counter, self.service.now_ms())
            .await?;
        if n > 0 {
            tracing::info!(
                lock = lock_id,
                people = n,
                "lock reset: access on it marked removed"
            );
        }
        Ok(())
    }

    /// Derives a person-on-door row's state from the operations of its
    /// current change, stores it if it changed, and returns the row.
    pub async fn reconcile_door(&self, d: DoorAccess) -> Result<DoorAccess, ServiceError> {
        let Some(state) = DoorState::parse(&d.state) else {
            return Ok(d);
        };
        if state.is_settled() && state != DoorState::Failed {
            return Ok(d);
        }
        let store = &self.service.store;
        let ops = store.door_ops(d.id, d.gen).await?;
        if ops.is_empty() {
            return Ok(d);
        }
        let removing = state == DoorState::Removing || ops.iter().any(|o| o.kind == "clear_user");
        let now = self.service.now_ms();
        let failed = ops.iter().find(|o| {
            (o.state == "failed" || o.state == "refused")
                && !matches!(o.error.as_deref(), Some("cancelled" | "superseded"))
        });
        let digest_op = ops.iter().rev().find(|o| o.kind == "get_slot_digests");
        let (new_state, error, digest): (DoorState, Option<String>, Option<String>) =
            if let Some(f) = failed {
                let code = f.error.clone().unwrap_or_else(|| "failed".into());
                store.cancel_door_ops(d.id, d.gen, now).await?;
                if f.kind == "set_credential" {
                    if let Some(cid) = f.params.get("credential_id").and_then(|v| v.as_i64()) {
                        for dc in store.door_credentials(d.id).await? {
                            if dc.credential_id == cid {
                                store
                                    .set_door_credential_state(dc.id, "failed", Some(&code), now)
                                    .await?;
                            }
                        }
                    }
                }
                (DoorState::Failed, Some(code), None)
            } else if let Some(o) = digest_op.filter(|o| o.state == "applied") {
                let slot = u16::try_from(d.slot).unwrap_or(0);
                let after = o.result.as_ref().and_then(|r| digest_in_result(r, slot));
                match after {
                    None => (DoorState::Failed, Some("digest_missing".into()), None),
                    Some(after) if removing => {
                        if access::confirm_removed(after) {
                            (DoorState::Removed, None, None)
                        } else {
                            (
                                DoorState::Failed,
                                Some("still_present".into()),
                                Some(hex(&after)),
                            )
                        }
                    }
                    Some(after) => {
                        let before = d
                            .digest_before
                            .as_deref()
                            .and_then(|h| unhex(h).ok())
                            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
                        if access::confirm_set(before, after) {
                            (DoorState::Set, None, Some(hex(&after)))
                        } else {
                            (
                                DoorState::Failed,
                                Some("digest_unchanged".into()),
                                Some(hex(&after)),
                            )
                        }
                    }
                }
            } else if ops.iter().any(|o| o.state != "pending") {
                (
                    if removing {
                        DoorState::Removing
                    } else {
                        DoorState::Setting
                    },
                    None,
                    None,
                )
            } else {
                (
                    if removing {
                        DoorState::Removing
                    } else {
                        DoorState::Pending
                    },
                    None,
                    None,
                )
            };
        if new_state.as_str() == d.state && error == d.error {
            return Ok(d);
        }
        let changed = store
            .set_door_state(
                d.id,
                d.gen,
                new_state.as_str(),
                error.as_deref(),
                digest.as_deref(),
                now,
            )
            .await?;
        if changed {
            match new_state {
                DoorState::Set => {
                    store
                        .set_door_credentials_state(d.id, &["pending", "setting"], "set", None, now)
                        .await?
                }
                DoorState::Setting => {
                    store
                        .set_door_credentials_state(d.id, &["pending"], "setting", None, now)
                        .await?
                }
                DoorState::Removed => {
                    store
                        .set_door_credentials_state(
                            d.id,
                            &["pending", "setting", "set", "removing", "failed"],
                            "removed",
                            None,
                            now,
                        )
                        .await?
                }
                DoorState::Failed => {
                    store
                        .set_door_credentials_state(
                            d.id,
                            &["pending", "setting", "removing"],
                            "failed",
                            error.as_deref(),
                            now,
                        )
                        .await?
                }
                _ => {}
            }
            tracing::info!(door = d.id, state = new_state.as_str(), error = ?error, "door access");
        }
        Ok(store.get_door(d.id).await?.unwrap_or(d))
    }

    async fn settle_verification(&self, id: i64, org_id: i64) -> Result<(), ServiceError> {
        let store = &self.service.store;
        let Some(v) = store.get_verification(org_id, id).await? else {
            return Ok(());
        };
        if v.state != "running" {
            return Ok(());
        }
        let ops = store.verification_ops(id).await?;
        if ops
            .iter()
            .any(|o| o.state == "pending" || o.state == "sent")
        {
            return Ok(());
        }
        let now = self.service.now_ms();
        let failed_digest = ops
            .iter()
            .find(|o| o.kind == "get_slot_digests" && o.state != "applied");
        if let Some(f) = failed_digest {
            let e = format!(
                "reading the slot digests failed: {}",
                f.error.as_deref().unwrap_or(&f.state)
            );
            store
                .finish_verification(id, "failed", None, Some(&e), now)
                .await?;
            return Ok(());
        }
        let Some(lock) = store.get_lock(org_id, v.lock_id).await? else {
            return Ok(());
        };
        let zone = self.zone_of(&lock).await?;
        let self_check = ops
            .iter()
            .find(|o| o.kind == "self_check")
            .and_then(|o| o.result.as_ref())
            .and_then(facts);
        let mut observed = Vec::new();
        for o in ops.iter().filter(|o| o.kind == "get_slot_digests") {
            if let Some(list) = o.result.as_ref().and_then(|r| r.get("digests")) {
                for e in list.as_array().into_iter().flatten() {
                    let user = e.get("user").and_then(|u| u.as_u64());
                    let digest = e
                        .get("digest")
                        .and_then(|d| d.as_str())
                        .and_then(|h| unhex(h).ok())
                        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
                    if let (Some(u), Some(dg)) = (user.and_then(|u| u16::try_from(u).ok()), digest)
                    {
                        if !observed.iter().any(|s: &SlotDigest| s.user == u) {
                            observed.push(SlotDigest {
                                user: u,
                                digest: dg,
                            });
                        }
                    }
                }
            }
        }
        let mut expected = Vec::new();
        let mut removed_people = Vec::new();
        for d in store.doors_of_lock(lock.id).await? {
            let d = self.reconcile_door(d).await?;
            let name = store
                .get_person(org_id, d.person_id)
                .await?
                .map(|x| x.name)
                .unwrap_or_else(|| format!("person {}", d.person_id));
            match d.state.as_str() {
                "removed" => {
                    if !removed_people.contains(&name) {
                        removed_people.push(name);
                    }
                }
                _ => expected.push(ExpectedSlot {
                    slot: u16::try_from(d.slot).unwrap_or(0),
                    person: name,
                    recorded_digest: d
                        .digest
                        .as_deref()
                        .and_then(|h| unhex(h).ok())
                        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()),
                }),
            }
        }
        removed_people.retain(|n| !expected.iter().any(|e| &e.person == n));
        let input = VerificationInput {
            serial: lock.serial.clone(),
            lock_label: lock.name.clone(),
            zone,
            generated_at_utc: now / 1000,
            previous_reset_counter: v.previous_reset_counter.and_then(|c| u32::try_from(c).ok()),
            self_check,
            expected,
            removed_people,
            observed,
            max_users: u16::try_from(MAX_USERS).unwrap_or(100),
        };
        let report = access::verify(&input);
        let json = serde_json::to_value(&report).map_err(|e| invalid("report", e.to_string()))?;
        store
            .finish_verification(id, "done", Some(&json), None, now)
            .await?;
        tracing::info!(
            verification = id,
            passed = report.passed,
            "verification report ready"
        );
        Ok(())
    }
}

/// The self-check facts from a `self_check` operation's stored result.
fn facts(r: &serde_json::Value) -> Option<SelfCheckFacts> {
    let rep = r.get("report")?;
    let b = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_bool()).unwrap_or(false);
    let n = |k: &str| rep.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
    Some(SelfCheckFacts {
        verified: b(r, "verified") && b(r, "serial_ok"),
        challenge_ok: b(r, "challenge_ok"),
        reset_counter: u32::try_from(n("reset_counter")).ok()?,
        users: u16::try_from(n("users")).ok()?,
        credentials: u16::try_from(n("credentials")).ok()?,
        controllers: u8::try_from(n("controllers")).ok()?,
        setup_mode: b(rep, "setup_mode"),
        battery_percent: u8::try_from(n("battery_percent")).ok()?,
        motor_ok: b(rep, "motor_ok"),
    })
}

/// The digest of `slot` in a stored `get_slot_digests` result.
fn digest_in_result(r: &serde_json::Value, slot: u16) -> Option<[u8; 32]> {
    r.get("digests")?
        .as_array()?
        .iter()
        .find(|e| e.get("user").and_then(|u| u.as_u64()) == Some(u64::from(slot)))
        .and_then(|e| e.get("digest")?.as_str().map(str::to_owned))
        .and_then(|h| unhex(&h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
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
                kind: "set_credential".into(),
                params: serde_json::Value::Object(params),
                credential_ref: None,
            })
        }
    }
}
