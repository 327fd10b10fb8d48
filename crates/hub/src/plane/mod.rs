//! The lock plane: the hub's side of the lock protocol, over tumbler-control.
//!
//! - [`LockPlane`]: claims (setup-code PAKE over MQTT, with a timeout),
//!   re-claim, release, transfer, manufacturer reset, operation requests
//!   with in-memory PINs; and [`LockPlane::on_up`], which routes every frame
//!   from a lock's `up` topic through its binding ([`uplink`]).
//! - [`sender::ProtoSender`]: the job runner's sender; seals each operation
//!   with the lock's binding (persisted first) and publishes it.
//!
//! Bindings live in the `bindings` table (see [`crate::store::plane`]); they
//! hold the hub's controller secret key for the lock.

pub mod access;
pub mod sender;
pub mod uplink;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::Serialize;
use tokio::sync::{mpsc, Notify};
use tumbler_control::proto::SigningKey;
use tumbler_control::{
    factory_reset_summary, ClaimError, ClaimFlow, ClaimStep, SecretPin, FACTORY_RESET_ERASES,
};

use crate::model::{ClaimState, Lock, Operation};
use crate::mqtt::Publisher;
use crate::service::locks::check_serial;
use crate::service::{check_name, invalid, Principal, Service, ServiceError, ADMINS, OWNERS};
use crate::store::operations::NewOperation;
use crate::store::plane::{hex, NewAudit};

/// How long a claim waits for the lock's answers.
pub const CLAIM_TIMEOUT: Duration = Duration::from_secs(10);

/// Operation kinds a person can request (`POST /locks/{id}/operations`).
pub const REQUESTABLE_KINDS: &[&str] = &[
    "lock",
    "unlock",
    "unlock_with_timeout",
    "reboot",
    "factory_reset",
    "self_check",
    "get_status",
];

/// Sends without an answer before an operation fails.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 5;

/// The label the lock lists this hub under.
const HUB_LABEL: &str = "tumbler hub";

/// PINs of queued operations, in this process's memory only, by a random
/// reference (the operation's params hold the reference, never the PIN).
/// Lost on restart: such an operation then fails with `pin_unavailable`.
#[derive(Clone, Default)]
pub struct PinVault(Arc<Mutex<HashMap<String, SecretPin>>>);

impl std::fmt::Debug for PinVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinVault(<redacted>)")
    }
}

impl PinVault {
    fn put(&self, pin: SecretPin) -> Result<String, ServiceError> {
        let mut raw = [0u8; 16];
        crate::secrets::random_bytes(&mut raw)?;
        let r = hex(&raw);
        if let Ok(mut m) = self.0.lock() {
            m.insert(r.clone(), pin);
        }
        Ok(r)
    }

    /// The PIN for a reference, if this process still holds it.
    pub fn get(&self, r: &str) -> Option<SecretPin> {
        self.0.lock().ok().and_then(|m| m.get(r).cloned())
    }

    /// Forgets a PIN (its operation ended).
    pub fn forget(&self, r: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(r);
        }
    }
}

/// A fresh CSPRNG seeded from the OS.
pub(crate) fn rng() -> Result<ChaCha20Rng, ServiceError> {
    let mut seed = [0u8; 32];
    crate::secrets::random_bytes(&mut seed)?;
    Ok(ChaCha20Rng::from_seed(seed))
}

/// A claim request (`POST /locks/claim`).
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// The lock's serial.
    pub serial: String,
    /// The setup code from its label (never logged or stored).
    pub setup_code: SecretPin,
    /// Site of the caller's organisation.
    pub site_id: i64,
    /// Display name (default: the serial).
    pub label: Option<String>,
    /// The lock's factory identity key (hex, from its label or the
    /// manufacturer's registry), pinned to verify reset records and self-checks.
    pub factory_key: Option<String>,
}

/// An operation request (`POST /locks/{id}/operations`).
#[derive(Debug, Clone, Default)]
pub struct OpRequest {
    /// One of [`REQUESTABLE_KINDS`].
    pub kind: String,
    /// PIN for lock/unlock when the lock requires one (kept in memory only).
    pub pin: Option<SecretPin>,
    /// For `unlock_with_timeout`: seconds before relocking (1..=3600).
    pub timeout_s: Option<u16>,
    /// For `factory_reset`: the lock's serial, to confirm.
    pub confirm: Option<String>,
}

/// What a lifecycle request did.
#[derive(Debug, Clone, Serialize)]
pub struct LifecycleOutcome {
    /// The lock after the request (absent when it left the organisation).
    pub lock: Option<Lock>,
    /// The factory reset queued to finish it, if the lock must be reset first.
    pub operation: Option<Operation>,
    /// In words.
    pub message: String,
}

struct ClaimGuard {
    claims: Arc<Mutex<HashMap<String, mpsc::Sender<Vec<u8>>>>>,
    serial: String,
}

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        if let Ok(mut m) = self.claims.lock() {
            m.remove(&self.serial);
        }
    }
}

/// The hub's side of the lock protocol; cheap to clone.
#[derive(Clone)]
pub struct LockPlane {
    pub(crate) service: Service,
    link: Option<Publisher>,
    claims: Arc<Mutex<HashMap<String, mpsc::Sender<Vec<u8>>>>>,
    manufacturer: Option<Arc<SigningKey>>,
    wake: Arc<Notify>,
    /// How long a claim waits for the lock.
    pub claim_timeout: Duration,
}

impl std::fmt::Debug for LockPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockPlane")
            .field("linked", &self.link.is_some())
            .field("manufacturer_key", &self.manufacturer.is_some())
            .finish_non_exhaustive()
    }
}

fn parse_key(s: &str) -> Result<[u8; 32], ServiceError> {
    let bytes = crate::store::plane::unhex(s.trim())
        .map_err(|_| invalid("factory_key", "64 hex digits"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| invalid("factory_key", "64 hex digits"))
}

impl LockPlane {
    /// A plane over `service`; `link` is the broker (absent: every call that
    /// must talk to a lock now answers [`ServiceError::LinkUnavailable`]).
    pub fn new(
        service: Service,
        link: Option<Publisher>,
        manufacturer: Option<[u8; 32]>,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            service,
            link,
            claims: Arc::default(),
            manufacturer: manufacturer.map(|s| Arc::new(SigningKey::from_bytes(&s))),
            wake,
            claim_timeout: CLAIM_TIMEOUT,
        }
    }

    fn link(&self) -> Result<&Publisher, ServiceError> {
        self.link.as_ref().ok_or(ServiceError::LinkUnavailable)
    }

    async fn own_lock(&self, p: &Principal, id: i64) -> Result<Lock, ServiceError> {
        self.service
            .store
            .get_lock(p.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Claims a lock in setup mode into the caller's site (owners, managers).
    pub async fn claim(&self, p: &Principal, req: ClaimRequest) -> Result<Lock, ServiceError> {
        self.service.require(p, ADMINS)?;
        let serial = check_serial(&req.serial)?;
        check_setup_code(&req.setup_code)?;
        let name = check_name("label", req.label.as_deref().unwrap_or(&serial))?;
        let factory = req.factory_key.as_deref().map(parse_key).transpose()?;
        self.service
            .store
            .get_site(p.org_id, req.site_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if let Some(l) = self.service.store.lock_by_serial(&serial).await? {
            let held = matches!(
                l.claim_state,
                ClaimState::Claimed | ClaimState::ResetBindingStale
            );
            if held && l.org_id != Some(p.org_id) {
                return Err(ServiceError::ClaimedElsewhere);
            }
            if l.transfer_to_org.is_some_and(|t| t != p.org_id) {
                return Err(ServiceError::ClaimedElsewhere);
            }
            if held {
                return Err(ServiceError::WrongState(format!(
                    "the lock is already {} in your organisation{}",
                    l.claim_state,
                    if l.claim_state == ClaimState::ResetBindingStale {
                        "; use reclaim"
                    } else {
                        ""
                    }
                )));
            }
        }
        self.finish_claim(p, &serial, &req.setup_code, req.site_id, &name, factory)
            .await
    }

    /// Re-claims a lock of the caller's organisation after a factory reset
    /// (state `reset_binding_stale`), into the same site and name.
    pub async fn reclaim(
        &self,
        p: &Principal,
        id: i64,
        setup_code: &SecretPin,
        factory_key: Option<&str>,
    ) -> Result<Lock, ServiceError> {
        self.service.require(p, ADMINS)?;
        let lock = self.own_lock(p, id).await?;
        check_setup_code(setup_code)?;
        let factory = factory_key.map(parse_key).transpose()?;
        if lock.claim_state != ClaimState::ResetBindingStale {
            return Err(ServiceError::WrongState(format!(
                "the lock is {}; only a lock whose binding went stale after a reset can be re-claimed",
                lock.claim_state
            )));
        }
        let site = lock
            .site_id
            .ok_or_else(|| ServiceError::WrongState("the lock has no site".into()))?;
        self.finish_claim(p, &lock.serial, setup_code, site, &lock.name, factory)
            .await
    }

    async fn finish_claim(
        &self,
        p: &Principal,
        serial: &str,
        code: &SecretPin,
        site_id: i64,
        name: &str,
        factory: Option<[u8; 32]>,
    ) -> Result<Lock, ServiceError> {
        let mut binding = self.run_claim(serial, code).await?;
        if let Some(k) = factory {
            binding
                .pin_factory_public(k)
                .map_err(|e| ServiceError::ClaimFailed(format!("factory key: {e}")))?;
        }
        let bytes = binding
            .to_bytes()
            .map_err(|e| ServiceError::ClaimFailed(format!("binding: {e}")))?;
        let now = self.service.now_ms();
        let lock = self
            .service
            .store
            .claim_lock(serial, p.org_id, site_id, name, &bytes, now)
            .await?;
        // A lock in setup mode holds no users: whoever the hub had on it is
        // gone (the counter before the reset was kept when it was detected).
        self.access_lock_reset(lock.id, None).await?;
        self.service
            .store
            .audit(
                NewAudit {
                    org_id: p.org_id,
                    account_id: Some(p.account_id),
                    lock_id: Some(lock.id),
                    action: "lock_claimed",
                    detail: &serde_json::json!({"serial": serial, "site_id": site_id}),
                },
                now,
            )
            .await?;
        // The binding learns the reset-counter baseline from the first status.
        self.enqueue(p, &lock, "get_status", serde_json::json!({}))
            .await?;
        // The lock keeps the site's time and DST rule, so schedules hold on
        // the lock across DST changes.
        match self.set_time_params(site_id, p.org_id).await {
            Ok(params) => {
                self.enqueue(p, &lock, "set_time", params).await?;
            }
            Err(e) => tracing::warn!(serial, error = %e, "no time rule for the site"),
        }
        tracing::info!(serial, org = p.org_id, "lock claimed");
        Ok(lock)
    }

    /// `params` of a `set_time` operation for a site: its zone's rule for
    /// this year (or the next one if this year's is irregular).
    async fn set_time_params(
        &self,
        site_id: i64,
        org_id: i64,
    ) -> Result<serde_json::Value, ServiceError> {
        let site = self
            .service
            .store
            .get_site(org_id, site_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let year = jiff::Timestamp::from_millisecond(self.service.now_ms())
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).year())
            .unwrap_or(2026);
        let rule = tumbler_control::time_rule_for(&site.time_zone, year)
            .or_else(|_| tumbler_control::time_rule_for(&site.time_zone, year.saturating_add(1)))
            .map_err(|e| invalid("time_zone", format!("{e:?}")))?;
        let op = serde_json::to_value(tumbler_control::OpKind::SetTime { rule })
            .map_err(|e| invalid("time_zone", e.to_string()))?;
        Ok(serde_json::json!({ "op": op }))
    }

    /// Runs the claim exchange over MQTT; the setup code stays in memory.
    async fn run_claim(
        &self,
        serial: &str,
        code: &SecretPin,
    ) -> Result<tumbler_control::Binding, ServiceError> {
        let link = self.link()?.clone();
        let (tx, mut rx) = mpsc::channel(16);
        {
            let mut m = self.claims.lock().map_err(|_| ServiceError::Task)?;
            if m.contains_key(serial) {
                return Err(ServiceError::ClaimInProgress);
            }
            m.insert(serial.to_owned(), tx);
        }
        let _guard = ClaimGuard {
            claims: self.claims.clone(),
            serial: serial.to_owned(),
        };
        let mut rng = rng()?;
        let (mut flow, first) =
            ClaimFlow::start(serial, code.expose().as_bytes(), HUB_LABEL, &mut rng)
                .map_err(claim_error)?;
        link.publish_down(serial, first)
            .await
            .map_err(|_| ServiceError::LinkUnavailable)?;
        let exchange = async {
            loop {
                let Some(frame) = rx.recv().await else {
                    return Err(ServiceError::LinkUnavailable);
                };
                match flow.on_frame(&frame) {
                    Ok(ClaimStep::Send(f)) => link
                        .publish_down(serial, f)
                        .await
                        .map_err(|_| ServiceError::LinkUnavailable)?,
                    Ok(ClaimStep::Done(b)) => return Ok(b),
                    Ok(_) | Err(ClaimError::Malformed(_)) => {}
                    Err(e) => return Err(claim_error(e)),
                }
            }
        };
        match tokio::time::timeout(self.claim_timeout, exchange).await {
            Ok(r) => r.map(|b| *b),
            Err(_) => Err(ServiceError::LockTimeout),
        }
    }

    /// Hands a frame from a lock's `up` topic to a claim waiting for it.
    pub(crate) fn feed_claim(&self, serial: &str, frame: &[u8]) {
        if let Ok(m) = self.claims.lock() {
            if let Some(tx) = m.get(serial) {
                let _ = tx.try_send(frame.to_vec());
            }
        }
    }

    async fn enqueue(
        &self,
        p: &Principal,
        lock: &Lock,
        kind: &str,
        params: serde_json::Value,
    ) -> Result<Operation, ServiceError> {
        let op = self
            .service
            .store
            .enqueue_operation(
                NewOperation {
                    org_id: p.org_id,
                    lock_id: lock.id,
                    kind,
                    params: &params,
                    max_attempts: DEFAULT_MAX_ATTEMPTS,
                    created_by: Some(p.account_id),
                },
                self.service.now_ms(),
            )
            .await?;
        self.wake.notify_one();
        Ok(op)
    }

    /// Queues an operation on a claimed lock (owners, managers). PINs stay
    /// in this process's memory; a factory reset needs `confirm` = serial.
    pub async fn request_operation(
        &self,
        p: &Principal,
        lock_id: i64,
        req: OpRequest,
    ) -> Result<Operation, ServiceError> {
        self.service.require(p, ADMINS)?;
        let lock = self.own_lock(p, lock_id).await?;
        if !REQUESTABLE_KINDS.contains(&req.kind.as_str()) {
            return Err(invalid(
                "kind",
                format!("one of {}", REQUESTABLE_KINDS.join(", ")),
            ));
        }
        let takes_pin = matches!(req.kind.as_str(), "lock" | "unlock" | "unlock_with_timeout");
        if req.pin.is_some() && !takes_pin {
            return Err(invalid("pin", "only for lock, unlock, unlock_with_timeout"));
        }
        if let Some(pin) = &req.pin {
            let ok = (1..=16).contains(&pin.expose().len())
                && pin.expose().chars().all(|c| c.is_ascii_digit());
            if !ok {
                return Err(invalid("pin", "1 to 16 digits"));
            }
        }
        if req.timeout_s.is_some() != (req.kind == "unlock_with_timeout") {
            return Err(invalid(
                "timeout_s",
                "required for unlock_with_timeout, and only there",
            ));
        }
        if req.timeout_s.is_some_and(|t| !(1..=3600).contains(&t)) {
            return Err(invalid("timeout_s", "1..=3600 seconds"));
        }
        if req.confirm.is_some() && req.kind != "factory_reset" {
            return Err(invalid("confirm", "only for factory_reset"));
        }
        if req.kind == "factory_reset" && req.confirm.as_deref() != Some(lock.serial.as_str()) {
            return Err(ServiceError::ConfirmationRequired(format!(
                "set confirm to the lock's serial ({}). {}",
                lock.serial,
                factory_reset_summary()
            )));
        }
        if lock.claim_state != ClaimState::Claimed {
            return Err(ServiceError::WrongState(format!(
                "the lock is {}; re-claim it first",
                lock.claim_state
            )));
        }
        let mut params = serde_json::Map::new();
        if let Some(t) = req.timeout_s {
            params.insert("timeout_s".into(), t.into());
        }
        if req.kind == "factory_reset" {
            params.insert("erases".into(), serde_json::json!(FACTORY_RESET_ERASES));
        }
        if req.kind == "self_check" {
            let mut c = [0u8; 16];
            crate::secrets::random_bytes(&mut c)?;
            params.insert("challenge".into(), hex(&c).into());
        }
        if let Some(pin) = req.pin {
            params.insert("pin_ref".into(), self.service.pins.put(pin)?.into());
        }
        let op = self
            .enqueue(p, &lock, &req.kind, serde_json::Value::Object(params))
            .await?;
        if req.kind == "factory_reset" {
            self.audit(p, lock.id, "factory_reset_requested", &lock.serial)
                .await?;
        }
        Ok(op)
    }

    async fn audit(
        &self,
        p: &Principal,
        lock_id: i64,
        action: &str,
        serial: &str,
    ) -> Result<(), ServiceError> {
        self.service
            .store
            .audit(
                NewAudit {
                    org_id: p.org_id,
                    account_id: Some(p.account_id),
                    lock_id: Some(lock_id),
                    action,
                    detail: &serde_json::json!({"serial": serial}),
                },
                self.service.now_ms(),
            )
            .await?;
        Ok(())
    }

    /// Releases a lock (owners, managers). A claimed lock that is online is
    /// factory reset first (the release completes when the reset is seen);
    /// otherwise it is released at once. The binding is deleted either way.
    pub async fn release(&self, p: &Principal, id: i64) -> Result<LifecycleOutcome, ServiceError> {
        self.service.require(p, ADMINS)?;
        let lock = self.own_lock(p, id).await?;
        self.leave(p, lock, None).await
    }

    /// Transfers a lock to another organisation (owners): the lock is
    /// factory reset, then it is `unclaimed` and only `to_org` may claim it.
    pub async fn transfer(
        &self,
        p: &Principal,
        id: i64,
        to_org: i64,
    ) -> Result<LifecycleOutcome, ServiceError> {
        self.service.require(p, OWNERS)?;
        let lock = self.own_lock(p, id).await?;
        if to_org == p.org_id {
            return Err(invalid("to_org", "must be another organisation"));
        }
        if self.service.store.get_org(to_org).await?.is_none() {
            return Err(invalid("to_org", "no such organisation"));
        }
        self.leave(p, lock, Some(to_org)).await
    }

    async fn leave(
        &self,
        p: &Principal,
        lock: Lock,
        to: Option<i64>,
    ) -> Result<LifecycleOutcome, ServiceError> {
        let action = if to.is_some() { "transfer" } else { "release" };
        let has_binding = self.service.store.get_binding(lock.id).await?.is_some();
        let now = self.service.now_ms();
        let detail = serde_json::json!({"serial": lock.serial, "to_org": to});
        self.service
            .store
            .audit(
                NewAudit {
                    org_id: p.org_id,
                    account_id: Some(p.account_id),
                    lock_id: Some(lock.id),
                    action: if to.is_some() {
                        "transfer_requested"
                    } else {
                        "release_requested"
                    },
                    detail: &detail,
                },
                now,
            )
            .await?;
        if lock.claim_state == ClaimState::Claimed && lock.online && has_binding {
            self.service
                .store
                .set_intent(lock.id, Some(action), to)
                .await?;
            let op = self
                .enqueue(
                    p,
                    &lock,
                    "factory_reset",
                    serde_json::json!({"erases": FACTORY_RESET_ERASES, "then": action}),
                )
                .await?;
            let lock = self.own_lock(p, lock.id).await?;
            return Ok(LifecycleOutcome {
                lock: Some(lock),
                operation: Some(op),
                message: format!(
                    "factory reset queued; the {action} completes when the lock reports the reset"
                ),
            });
        }
        if lock.claim_state == ClaimState::Claimed && to.is_some() && has_binding {
            // Offline: the reset waits in the queue; the transfer completes with it.
            self.service
                .store
                .set_intent(lock.id, Some(action), to)
                .await?;
            let op = self
                .enqueue(
                    p,
                    &lock,
                    "factory_reset",
                    serde_json::json!({"erases": FACTORY_RESET_ERASES, "then": action}),
                )
                .await?;
            let lock = self.own_lock(p, lock.id).await?;
            return Ok(LifecycleOutcome {
                lock: Some(lock),
                operation: Some(op),
                message: "the lock is offline: the factory reset is queued and the transfer \
                          completes when the lock comes back and resets"
                    .into(),
            });
        }
        self.service
            .store
            .unbind_lock(lock.id, to, "released", now)
            .await?;
        Ok(LifecycleOutcome {
            lock: None,
            operation: None,
            message: match (to, lock.claim_state) {
                (Some(_), _) => "transferred: the lock is unclaimed and reserved for the target organisation, which claims it with the setup code".into(),
                (None, ClaimState::Claimed) => "released; the lock was offline, so it still holds this hub's pairing until it is factory reset at the door".into(),
                (None, _) => "released".into(),
            },
        })
    }

    /// Requests a manufacturer reset of a lock of the caller's organisation
    /// (owners). Ownership is verified first (another organisation's lock is
    /// 404); an audit entry is written; the job runner then asks the lock for
    /// a nonce, signs a token with the manufacturer key and sends it.
    pub async fn manufacturer_reset(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<Operation, ServiceError> {
        self.service.require(p, OWNERS)?;
        let lock = self.own_lock(p, id).await?;
        if lock.claim_state != ClaimState::Claimed {
            return Err(ServiceError::WrongState(format!(
                "the lock is {}; a manufacturer reset is sent over the hub's binding",
                lock.claim_state
            )));
        }
        if self.manufacturer.is_none() {
            return Err(ServiceError::ManufacturerKeyMissing);
        }
        self.audit(p, lock.id, "manufacturer_reset_requested", &lock.serial)
            .await?;
        self.enqueue(
            p,
            &lock,
            "manufacturer_reset",
            serde_json::json!({"erases": FACTORY_RESET_ERASES}),
        )
        .await
    }

    /// The organisation's audit trail (owners), newest first.
    pub async fn list_audit(
        &self,
        p: &Principal,
        limit: Option<i64>,
    ) -> Result<Vec<serde_json::Value>, ServiceError> {
        self.service.require(p, OWNERS)?;
        let limit = crate::service::check_limit(limit)?;
        let rows = self.service.store.list_audit(p.org_id, limit).await?;
        Ok(rows
            .into_iter()
            .map(|(action, lock_id, account_id, detail)| {
                serde_json::json!({
                    "action": action,
                    "lock_id": lock_id,
                    "account_id": account_id,
                    "detail": serde_json::from_str::<serde_json::Value>(&detail).unwrap_or_default(),
                })
            })
            .collect())
    }
}

fn check_setup_code(code: &SecretPin) -> Result<(), ServiceError> {
    let c = code.expose();
    if c.is_empty() || c.len() > 64 || c.chars().any(char::is_control) {
        return Err(invalid("setup_code", "1 to 64 printable characters"));
    }
    Ok(())
}

fn claim_error(e: ClaimError) -> ServiceError {
    match e {
        ClaimError::WrongSetupCode => ServiceError::WrongSetupCode,
        ClaimError::BadSerial => invalid("serial", "too long for the lock protocol"),
        other => ServiceError::ClaimFailed(format!("{other}")),
    }
}
