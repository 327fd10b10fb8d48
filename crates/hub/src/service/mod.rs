//! The domain layer: every use case of the hub, with authentication,
//! authorisation (organisation scope + role) and input validation. The HTTP
//! handlers are thin wrappers over these methods.
//!
//! Rules every method follows:
//! - it takes the caller's [`Principal`] and first checks the role
//!   ([`ServiceError::Forbidden`]), then looks things up **inside the
//!   caller's organisation only**, so another organisation's things are
//!   [`ServiceError::NotFound`], indistinguishable from absent ones;
//! - it validates all input before writing anything
//!   ([`ServiceError::Invalid`]), so bad input changes nothing.
//!
//! Files: [`auth`] (login, tokens, bootstrap), [`login_limit`] (pure login
//! limits with backoff), [`orgs`] (organisation and
//! accounts), [`sites`], [`locks`], [`claim`], [`lifecycle`] (release,
//! transfer, manufacturer reset, audit trail), [`operations`], [`doctor`]
//! (troubleshooting plans, pure planner in `doctor::plan`), [`rentals`]
//! (listings and codes from reservation feeds), [`events`]
//! (history), [`alerts`], [`access`] (people and access), [`settings`] (a
//! lock's settings: read, change), [`hotel`] (the hotel front desk: property
//! keys, rooms, check-in, extend, check-out, lost and staff cards, room history),
//! [`observe`] (readiness and metrics text), [`webhooks`] (endpoints, delivery log,
//! redelivery), [`offline`] (codes that work offline).
//!
//! The layer below is the lock plane ([`crate::plane`]); the service never
//! talks to a lock itself, and the plane never checks a role.

pub mod access;
pub mod alerts;
pub mod auth;
pub mod claim;
pub mod doctor;
pub mod events;
pub mod hotel;
pub mod lifecycle;
pub mod locks;
pub mod login_limit;
pub mod observe;
pub mod offline;
pub mod operations;
pub mod orgs;
pub mod rentals;
pub mod settings;
pub mod sites;
pub mod webhooks;

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::hashing::{HashError, HashPool, HashPoolConfig};
use login_limit::{LimitConfig, LoginLimits};

use crate::clock::Clock;
use crate::model::{Role, TokenKind};
use crate::plane::{LockPlane, PlaneError};
use crate::secrets::PasswordParams;
use crate::secrets::SecretError;
use crate::store::{Store, StoreError};

/// Who is calling: resolved from a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account.
    pub account_id: i64,
    /// Its organisation: the only one it can see.
    pub org_id: i64,
    /// Its role.
    pub role: Role,
    /// The token used (logout deletes it).
    pub token_id: i64,
    /// Session or API token.
    pub token_kind: TokenKind,
    /// A hub operator: may create and list organisations (a hub-wide power
    /// on top of its role; the first run's admin is one).
    pub operator: bool,
}

/// Roles allowed to call a use case.
pub type Roles = &'static [Role];

/// Every role.
pub const ANY_ROLE: Roles = &[Role::Owner, Role::Manager, Role::Installer, Role::Support];
/// Owners and managers: change sites, locks, operations.
pub const ADMINS: Roles = &[Role::Owner, Role::Manager];
/// Owners only: the organisation, roles, deletions.
pub const OWNERS: Roles = &[Role::Owner];
/// Those who read history and handle alerts.
pub const HISTORY: Roles = &[Role::Owner, Role::Manager, Role::Support];

/// Why a use case was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// Missing, unknown or expired token; wrong login or password.
    #[error("not authenticated")]
    Unauthenticated,
    /// The caller's role may not do this.
    #[error("not allowed for this role")]
    Forbidden,
    /// A hub-wide action (organisations) by an account that is not a hub
    /// operator.
    #[error("only a hub operator may do this")]
    NotOperator,
    /// No such thing in the caller's organisation.
    #[error("not found")]
    NotFound,
    /// No such thing in the caller's organisation, named: another
    /// organisation's thing looks exactly like an absent one.
    #[error("no {what} {id} in your organisation")]
    Missing {
        /// What was looked for (`lock`, `site`, `person`, …).
        what: &'static str,
        /// Its id.
        id: i64,
    },
    /// Bad input; nothing was changed.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which input.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Well-formed input refused on its meaning (an unknown time zone, a
    /// rule between two fields, a door the person never had); nothing was
    /// changed. The API answers 422, so a request its schema admits is
    /// never a 400.
    #[error("refused {field}: {reason}")]
    Refused {
        /// Which input.
        field: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// Would duplicate something unique (e-mail, site name).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// Still referenced (e.g. a site with locks).
    #[error("still in use")]
    InUse,
    /// Would leave the organisation without an owner.
    #[error("an organisation keeps at least one owner")]
    LastOwner,
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
    /// Randomness or hashing failed.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A blocking task died.
    #[error("internal task failed")]
    Task,
    /// Too many failed logins for this account or from this client address:
    /// no password is checked until the wait is over.
    #[error("too many failed logins; retry in {retry_after_s} s")]
    TooManyAttempts {
        /// Seconds to wait (the `Retry-After` header).
        retry_after_s: u64,
    },
    /// Every password-hashing worker is busy and the wait queue is full;
    /// refused at once rather than queued.
    #[error("password hashing is busy; retry in {retry_after_s} s")]
    Busy {
        /// Seconds to wait (the `Retry-After` header).
        retry_after_s: u64,
    },
    /// The lock's key confirmation failed during a claim: wrong setup code.
    /// Nothing was stored.
    #[error("wrong setup code")]
    WrongSetupCode,
    /// The lock is claimed (or reserved by a transfer) for another organisation.
    #[error("the lock belongs to another organisation")]
    ClaimedElsewhere,
    /// The lock is not in a state that allows this (e.g. re-claim of a lock
    /// that is not `reset_binding_stale`).
    #[error("{0}")]
    WrongState(String),
    /// Another claim of the same lock is running.
    #[error("a claim of this lock is already running")]
    ClaimInProgress,
    /// The lock did not answer in time (offline, or not in setup mode).
    #[error("the lock did not answer in time")]
    LockTimeout,
    /// The lock refuses claims for `retry_after_s` more seconds after too
    /// many wrong setup codes (it said so; this request cost no attempt).
    #[error("the lock refuses claims for {retry_after_s} s after too many wrong setup codes")]
    ClaimThrottled {
        /// Seconds until the lock takes a claim again.
        retry_after_s: u32,
    },
    /// The claim protocol failed (tampered or unexpected answer).
    #[error("claim failed: {0}")]
    ClaimFailed(String),
    /// This hub has no link to the locks (no broker), so it cannot talk to one now.
    #[error("no link to the locks")]
    LinkUnavailable,
    /// No manufacturer signing key is configured.
    #[error("no manufacturer key configured")]
    ManufacturerKeyMissing,
    /// A destructive operation needs `confirm` set to the lock's serial.
    #[error("confirmation required: {0}")]
    ConfirmationRequired(String),
    /// A lock setting unknown or out of its range (names the setting and the range);
    /// nothing was queued.
    #[error("{0}")]
    BadSetting(String),
}

impl From<PlaneError> for ServiceError {
    fn from(e: PlaneError) -> Self {
        match e {
            PlaneError::LinkUnavailable => ServiceError::LinkUnavailable,
            PlaneError::ClaimInProgress => ServiceError::ClaimInProgress,
            PlaneError::LockTimeout => ServiceError::LockTimeout,
            PlaneError::WrongSetupCode => ServiceError::WrongSetupCode,
            PlaneError::ClaimFailed(s) => ServiceError::ClaimFailed(s),
            PlaneError::ClaimThrottled { retry_after_s } => {
                ServiceError::ClaimThrottled { retry_after_s }
            }
            PlaneError::Invalid { field, reason } => ServiceError::Invalid { field, reason },
            PlaneError::NotFound => ServiceError::NotFound,
            PlaneError::Store(e) => e.into(),
            PlaneError::Secret(e) => ServiceError::Secret(e),
            PlaneError::Task => ServiceError::Task,
        }
    }
}

impl From<HashError> for ServiceError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => ServiceError::Busy { retry_after_s: 1 },
            HashError::Secret(e) => ServiceError::Secret(e),
            _ => ServiceError::Task,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InUse => ServiceError::InUse,
            StoreError::LastOwner => ServiceError::LastOwner,
            StoreError::Conflict => ServiceError::Conflict("record"),
            other => ServiceError::Store(other),
        }
    }
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field,
        reason: reason.into(),
    }
}

pub(crate) fn refused(field: &'static str, reason: impl Into<String>) -> ServiceError {
    ServiceError::Refused {
        field,
        reason: reason.into(),
    }
}

/// Checks a display name: trimmed, 1..=100 characters, no control characters.
pub(crate) fn check_name(field: &'static str, s: &str) -> Result<String, ServiceError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if t.chars().count() > 100 {
        return Err(invalid(field, "at most 100 characters"));
    }
    if t.chars().any(char::is_control) {
        return Err(invalid(field, "no control characters"));
    }
    Ok(t.to_owned())
}

/// Checks a page size: 1..=1000, default 100.
pub(crate) fn check_limit(limit: Option<i64>) -> Result<i64, ServiceError> {
    match limit {
        None => Ok(100),
        Some(n) if (1..=1000).contains(&n) => Ok(n),
        Some(_) => Err(invalid("limit", "between 1 and 1000")),
    }
}

/// The hub's use cases over one store and one clock; cheap to clone.
#[derive(Clone)]
pub struct Service {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) password: PasswordParams,
    /// Hash verified against when a login names an unknown account, so the
    /// answer takes as long as for a known one.
    pub(crate) dummy_hash: Arc<str>,
    /// Where passwords are hashed and checked: bounded, never a thread per request.
    pub(crate) hashing: HashPool,
    /// Failed-login counts per account and client address (shared by clones).
    pub(crate) login_limits: Arc<Mutex<LoginLimits>>,
    /// The layer below: talking to locks.
    pub(crate) plane: LockPlane,
    /// Fetches rental reservation feeds (an HTTP edge, like hashing a leaf).
    pub(crate) feeds: crate::feeds::FeedClient,
    /// One feed sync applies at a time in this hub (the poller and "sync
    /// now" never both create a code for one stay).
    pub(crate) rentals_sync: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl Service {
    /// A service over `store`, reading time from `clock`.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        password: PasswordParams,
    ) -> Result<Self, ServiceError> {
        let dummy = crate::secrets::dummy_hash(password)?;
        let hashing = HashPool::start(HashPoolConfig::default()).map_err(|e| {
            tracing::error!(error = %e, "cannot start the password-hashing workers");
            ServiceError::Task
        })?;
        Ok(Self {
            store: store.clone(),
            clock: clock.clone(),
            password,
            dummy_hash: dummy.into(),
            hashing,
            login_limits: Arc::new(Mutex::new(LoginLimits::new(LimitConfig::default()))),
            plane: LockPlane::new(store, clock, None, None, Arc::new(Notify::new())),
            feeds: crate::feeds::FeedClient::new().map_err(|e| {
                tracing::error!(error = %e, "cannot build the feed HTTP client");
                ServiceError::Task
            })?,
            rentals_sync: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The same service talking to locks through `plane` (which must be over
    /// the same store).
    pub fn with_plane(mut self, plane: LockPlane) -> Self {
        self.plane = plane;
        self
    }

    /// The same service with other login limits (a fresh table).
    pub fn with_login_limits(mut self, config: LimitConfig) -> Self {
        self.login_limits = Arc::new(Mutex::new(LoginLimits::new(config)));
        self
    }

    /// The same service hashing passwords in another pool.
    pub fn with_hash_pool(mut self, pool: HashPool) -> Self {
        self.hashing = pool;
        self
    }

    /// The password-hashing pool.
    pub fn hash_pool(&self) -> &HashPool {
        &self.hashing
    }

    /// The lock plane underneath.
    pub fn plane(&self) -> &LockPlane {
        &self.plane
    }

    /// The clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// The store underneath.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().as_millisecond()
    }

    /// Fails with [`ServiceError::Forbidden`] unless the caller is a hub operator.
    pub fn require_operator(&self, p: &Principal) -> Result<(), ServiceError> {
        if p.operator {
            Ok(())
        } else {
            Err(ServiceError::NotOperator)
        }
    }

    /// Fails with [`ServiceError::Forbidden`] unless the caller has one of `roles`.
    pub fn require(&self, p: &Principal, roles: Roles) -> Result<(), ServiceError> {
        if roles.contains(&p.role) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }
}
