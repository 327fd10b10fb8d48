//! The lock plane: the hub's side of the lock protocol, over tumbler-control.
//! It talks to locks and records what they say; it knows nothing of
//! accounts or roles (the service layer above it authorises every request).
//!
//! - [`LockPlane`]: the claim exchange (setup-code PAKE over MQTT, with a
//!   timeout), PINs waiting to be sent, waking the job runner, and
//!   [`LockPlane::on_up`], which routes every frame from a lock's `up` topic
//!   through its binding ([`uplink`]).
//! - [`ingest`]: presence, telemetry and events from locks, with their alerts.
//! - [`reconcile`]: per-door delivery state derived from operations, and
//!   verification reports settled from a lock's self-check.
//! - [`limit`]: the rate limit on alerts about one lock.
//! - [`lease`]: which hub handles which locks when several share a database.
//! - [`probe`]: liveness probes of quiet connected locks (a frozen lock
//!   is found `unresponsive` even with nothing queued for it).
//! - [`statement`]: challenges asking a lock to state its reset state, signed
//!   with its factory key (on reconnect and when an operation goes unanswered).
//! - [`sender::ProtoSender`]: the job runner's sender; seals each operation
//!   with the lock's binding (persisted first) and publishes it.
//!
//! Bindings live in the `bindings` table (see [`crate::store::plane`]); they
//! hold the hub's controller secret key for the lock.

pub mod alerts;
pub mod ingest;
pub mod lease;
pub mod limit;
pub mod names;
mod outbox;
pub mod probe;
pub mod reconcile;
pub mod sender;
pub mod settings;
pub mod statement;
pub mod uplink;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tokio::sync::{mpsc, Notify};
use tumbler_control::proto::SigningKey;
use tumbler_control::{ClaimError, ClaimFlow, ClaimStep, SecretPin};

use crate::clock::Clock;
use crate::mqtt::{Presence, Publisher};
use crate::secrets::SecretError;
use crate::store::plane::hex;
use crate::store::{Store, StoreError};

/// How long a claim waits for the lock's answers.
pub const CLAIM_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a claimed lock that the broker says went `offline` has to
/// answer the hub's challenge before the hub believes it.
pub const PRESENCE_CONFIRM: Duration = Duration::from_secs(5);

/// The label the lock lists this hub under.
const HUB_LABEL: &str = "tumbler hub";

/// Why the plane could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlaneError {
    /// No link to the locks (no broker), so a lock cannot be reached now.
    #[error("no link to the locks")]
    LinkUnavailable,
    /// Another claim of the same lock is running.
    #[error("a claim of this lock is already running")]
    ClaimInProgress,
    /// The lock did not answer in time (offline, or not in setup mode).
    #[error("the lock did not answer in time")]
    LockTimeout,
    /// The lock's key confirmation failed during a claim: wrong setup code.
    #[error("wrong setup code")]
    WrongSetupCode,
    /// The lock refuses claims for `retry_after_s` more seconds after too
    /// many wrong setup codes; this start cost no attempt.
    #[error("the lock refuses claims for {retry_after_s} s after too many wrong setup codes")]
    ClaimThrottled {
        /// Seconds until the lock takes a claim again.
        retry_after_s: u32,
    },
    /// The claim protocol failed (tampered or unexpected answer).
    #[error("claim failed: {0}")]
    ClaimFailed(String),
    /// A lock said something the hub cannot take (bad serial, out-of-range
    /// value): nothing was recorded.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which value.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The lock is unknown to the hub.
    #[error("not found")]
    NotFound,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Randomness failed.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A lock of the hub's own state was poisoned.
    #[error("internal task failed")]
    Task,
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> PlaneError {
    PlaneError::Invalid {
        field,
        reason: reason.into(),
    }
}

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
    /// Keeps `pin` and returns its random reference.
    pub fn put(&self, pin: SecretPin) -> Result<String, SecretError> {
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
pub(crate) fn rng() -> Result<ChaCha20Rng, SecretError> {
    let mut seed = [0u8; 32];
    crate::secrets::random_bytes(&mut seed)?;
    Ok(ChaCha20Rng::from_seed(seed))
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
    pub(crate) store: Store,
    clock: Arc<dyn Clock>,
    link: Option<Publisher>,
    /// Sealed frames wait here for the disk sync ([`outbox`]).
    outbox: Option<outbox::Outbox>,
    claims: Arc<Mutex<HashMap<String, mpsc::Sender<Vec<u8>>>>>,
    manufacturer: Option<Arc<SigningKey>>,
    wake: Arc<Notify>,
    /// Told when an operation ends (wakes API calls waiting for it).
    ended: crate::op_ended::OpEnded,
    /// PINs of queued remote operations (this process only).
    pub(crate) pins: PinVault,
    /// Statement challenges sent and not yet answered, per serial (this process only).
    pub(crate) challenges: statement::Challenges,
    /// Liveness probes of quiet locks (this process only).
    pub(crate) probes: probe::Probes,
    /// Rate limit on alerts about one lock (this process only).
    pub(crate) alert_limit: limit::AlertLimiter,
    /// The locks this process handles (every lock unless leased).
    pub(crate) leases: lease::Leases,
    /// How long a claim waits for the lock.
    pub claim_timeout: Duration,
    /// See [`PRESENCE_CONFIRM`].
    pub presence_confirm: Duration,
    /// This hub's metrics (frames, events; shared by every clone).
    pub(crate) metrics: crate::observe::Metrics,
}

impl std::fmt::Debug for LockPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockPlane")
            .field("linked", &self.link.is_some())
            .field("manufacturer_key", &self.manufacturer.is_some())
            .finish_non_exhaustive()
    }
}

impl LockPlane {
    /// A plane over `store`; `link` is the broker (absent: every call that
    /// must talk to a lock now answers [`PlaneError::LinkUnavailable`]);
    /// `wake` is notified whenever work was queued for the job runner.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        link: Option<Publisher>,
        manufacturer: Option<[u8; 32]>,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            outbox: link
                .clone()
                .map(|l| outbox::Outbox::start(store.clone(), l)),
            store,
            clock,
            link,
            claims: Arc::default(),
            manufacturer: manufacturer.map(|s| Arc::new(SigningKey::from_bytes(&s))),
            wake,
            ended: crate::op_ended::OpEnded::new(),
            pins: PinVault::default(),
            challenges: statement::Challenges::default(),
            probes: probe::Probes::default(),
            alert_limit: limit::AlertLimiter::default(),
            leases: lease::Leases::all(),
            claim_timeout: CLAIM_TIMEOUT,
            presence_confirm: PRESENCE_CONFIRM,
            metrics: crate::observe::Metrics::new(),
        }
    }

    /// The same plane talking through `link`, signing manufacturer reset
    /// tokens with `manufacturer` (the PIN vault and claims are shared).
    pub fn linked(mut self, link: Publisher, manufacturer: Option<[u8; 32]>) -> Self {
        self.outbox = Some(outbox::Outbox::start(self.store.clone(), link.clone()));
        self.link = Some(link);
        self.manufacturer = manufacturer.map(|s| Arc::new(SigningKey::from_bytes(&s)));
        self
    }

    /// Handle only the locks whose lease this process holds (several hubs
    /// on one database; see [`lease`]).
    pub fn with_leases(mut self, leases: lease::Leases) -> Self {
        self.leases = leases;
        self
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }

    /// Wakes the job runner (work was queued or a lock answered).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The job runner's wake-up handle.
    pub fn wake_handle(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The signal of ended operations (shared by every clone of this plane).
    pub fn op_ended(&self) -> crate::op_ended::OpEnded {
        self.ended.clone()
    }

    /// This hub's metrics registry.
    pub fn metrics(&self) -> &crate::observe::Metrics {
        &self.metrics
    }

    /// Whether a manufacturer signing key is configured.
    pub fn has_manufacturer_key(&self) -> bool {
        self.manufacturer.is_some()
    }

    fn link(&self) -> Result<&Publisher, PlaneError> {
        self.link.as_ref().ok_or(PlaneError::LinkUnavailable)
    }

    /// Publishes a frame sealed under a persisted counter, or one that tells
    /// the lock something was stored (a log acknowledgement): queued in seal
    /// order and published once the commits behind it are on disk
    /// ([`outbox`]), so a power cut can neither reuse the counter nor lose
    /// what the lock was told is kept. Returns once queued.
    pub(crate) async fn publish_sealed(
        &self,
        serial: &str,
        frame: Vec<u8>,
    ) -> Result<(), PlaneError> {
        let outbox = self.outbox.as_ref().ok_or(PlaneError::LinkUnavailable)?;
        outbox
            .send(serial, frame)
            .await
            .map_err(|_| PlaneError::LinkUnavailable)?;
        self.metrics.frame_out();
        Ok(())
    }

    /// Runs the claim exchange over MQTT; the setup code stays in memory.
    pub async fn run_claim(
        &self,
        serial: &str,
        code: &SecretPin,
    ) -> Result<tumbler_control::Binding, PlaneError> {
        let link = self.link()?.clone();
        let (tx, mut rx) = mpsc::channel(16);
        {
            let mut m = self.claims.lock().map_err(|_| PlaneError::Task)?;
            if m.contains_key(serial) {
                return Err(PlaneError::ClaimInProgress);
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
            .map_err(|_| PlaneError::LinkUnavailable)?;
        let exchange = async {
            loop {
                let Some(frame) = rx.recv().await else {
                    return Err(PlaneError::LinkUnavailable);
                };
                match flow.on_frame(&frame) {
                    Ok(ClaimStep::Send(f)) => link
                        .publish_down(serial, f)
                        .await
                        .map_err(|_| PlaneError::LinkUnavailable)?,
                    Ok(ClaimStep::Done(b)) => return Ok(b),
                    Ok(_) | Err(ClaimError::Malformed(_)) => {}
                    Err(e) => return Err(claim_error(e)),
                }
            }
        };
        match tokio::time::timeout(self.claim_timeout, exchange).await {
            Ok(r) => r.map(|b| *b),
            Err(_) => Err(PlaneError::LockTimeout),
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
}

impl Presence for LockPlane {
    async fn presence(&self, serial: &str, online: bool) {
        // Another hub holds this lock's lease: its challenge and answer are that hub's.
        if self.leases.is_leased() {
            if let Ok(Some(lock)) = self.store.lock_by_serial(serial).await {
                if !self.leases.holds(lock.id) {
                    return;
                }
            }
        }
        if let Err(e) = self.lock_presence(serial, online).await {
            tracing::warn!(serial, error = %e, "could not record presence");
        }
    }
}

/// What a setup code looks like, for the refusal of one that cannot be right.
pub const SETUP_CODE_FORMAT: &str = "the 8 digits printed on the lock's label (e.g. 04729315); \
     nothing was sent to the lock, which counts every claim attempt";

fn claim_error(e: ClaimError) -> PlaneError {
    match e {
        ClaimError::WrongSetupCode => PlaneError::WrongSetupCode,
        ClaimError::Throttled { retry_after_s } => PlaneError::ClaimThrottled { retry_after_s },
        ClaimError::BadSetupCode => invalid("setup_code", SETUP_CODE_FORMAT),
        ClaimError::BadSerial => invalid("serial", "too long for the lock protocol"),
        other => PlaneError::ClaimFailed(format!("{other}")),
    }
}
