//! [`Binding`]: what the hub keeps per claimed lock — the controller key (secret), the
//! lock's public keys, the envelope counters, the next command id and the reset
//! counter last seen — with versioned bytes for the database and command sealing.
//!
//! **Persistence rule.** Every method taking `&mut self` may advance a counter. Persist
//! [`Binding::to_bytes`] *before* the frame it produced is published (a reused send
//! counter is a reused AEAD nonce) and after every [`Binding::open_uplink`] (the receive
//! high-water mark and the reset state move there). Do both in the same database
//! transaction as the operation state they belong to.
//!
//! **One writer at a time.** Two hub processes sealing with copies of the same binding
//! would reuse send counters (= AEAD nonces). Load, seal and store a binding under a
//! row lock (`SELECT … FOR UPDATE`) or an equivalent per-lock lease.

use core::fmt;

use serde::{Deserialize, Serialize};
use tumbler_proto::{
    Command, CommandId, ControllerEndpoint, ControllerId, ControllerKey, Counters, Down,
    PublicKeyBytes, Request, Role, SealError, Serial, MAX_ENVELOPE_LEN,
};
use zeroize::{Zeroize, Zeroizing};

use crate::reset_reason::ResetReason;

/// Version byte of [`Binding::to_bytes`]. Bump it (and keep reading the old one) when
/// the stored layout changes.
pub const BINDING_FORMAT_VERSION: u8 = 1;

/// Everything the hub keeps about one claimed lock.
///
/// `Debug` is redacted (the controller secret never prints); the secret is zeroized on
/// drop (it lives in `x25519_dalek::StaticSecret`) and [`Binding::to_bytes`] returns a
/// zeroizing buffer. Encrypt the stored bytes at rest (threat model: a stolen hub
/// database gives every controller key it holds).
#[derive(Clone)]
pub struct Binding {
    /// The lock's serial (topic names, reset token binding, record checks).
    pub(crate) serial: Serial,
    /// The paired link: controller key, lock operational public key, controller id,
    /// role and the two envelope counters.
    pub(crate) endpoint: ControllerEndpoint,
    /// The lock's factory identity key (Ed25519), once known. Verifies plain reset
    /// records and self-checks; never changes once pinned.
    pub(crate) factory_public: Option<PublicKeyBytes>,
    /// Next command id to assign; ids below it were issued. Starts at 1.
    pub(crate) next_command_id: u64,
    /// The lock's reset counter as last seen in an authenticated status (the baseline
    /// for reset detection); `None` until the first status after the claim.
    pub(crate) reset_counter: Option<u32>,
    /// Set once a reset was detected: the binding is dead (the lock no longer honours
    /// it) and refuses to seal or open envelopes. Only a re-claim replaces it.
    pub(crate) stale: Option<ResetReason>,
}

impl fmt::Debug for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binding")
            .field("serial", &self.serial)
            .field("controller", &self.endpoint.id())
            .field("role", &self.endpoint.role())
            .field("controller_key", &"<redacted>")
            .field("counters", &self.endpoint.counters())
            .field("next_command_id", &self.next_command_id)
            .field("reset_counter", &self.reset_counter)
            .field("stale", &self.stale)
            .finish_non_exhaustive()
    }
}

/// Why stored binding bytes could not be read, or a binding could not be changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{self:?}")]
pub enum BindingError {
    /// No bytes.
    Empty,
    /// The version byte is not one this build reads.
    UnsupportedVersion(u8),
    /// The bytes do not decode (truncated, corrupted, trailing bytes).
    Malformed,
    /// The serial is empty or longer than `tumbler_proto::SERIAL_MAX`.
    BadSerial,
    /// A different factory key is already pinned for this lock (a factory key never
    /// changes; a different one means another lock or an attack).
    FactoryKeyMismatch,
    /// The binding is stale on authenticated evidence of a reset: only a re-claim helps.
    StaleConfirmed,
    /// Internal inconsistency; nothing changed.
    LogicBug,
}

/// Why a command could not be sealed. Nothing changed in the binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{self:?}")]
pub enum SealCommandError {
    /// The binding is stale (the lock was reset): re-claim the lock.
    Stale,
    /// Command ids are exhausted (2^64 − 1 commands): re-claim.
    IdsExhausted,
    /// `reseal` with an id this binding never issued.
    NotIssued,
    /// The envelope layer refused (counter exhausted, weak key, encoding).
    Seal(SealError),
}

/// Room for the stored layout (about 200 bytes at full capacity).
const STORED_MAX: usize = 512;

/// The stored layout, version 1 (postcard after the version byte).
#[derive(Serialize, Deserialize)]
struct StoredV1 {
    serial: Serial,
    controller_id: ControllerId,
    role: Role,
    controller_secret: [u8; 32],
    lock_public: PublicKeyBytes,
    factory_public: Option<PublicKeyBytes>,
    send_next: u64,
    recv_high_water: u64,
    next_command_id: u64,
    reset_counter: Option<u32>,
    stale: Option<ResetReason>,
}

impl Drop for StoredV1 {
    fn drop(&mut self) {
        self.controller_secret.zeroize();
    }
}

impl Binding {
    /// Assemble a binding from a paired endpoint (a completed claim, or a pairing done
    /// by `Command::PairController` from another admin). `factory_public` is the lock's
    /// Ed25519 factory key if known (see [`Binding::pin_factory_public`]).
    pub fn new(
        serial: &str,
        endpoint: ControllerEndpoint,
        factory_public: Option<PublicKeyBytes>,
    ) -> Result<Self, BindingError> {
        if serial.is_empty() {
            return Err(BindingError::BadSerial);
        }
        let serial = Serial::try_from(serial).map_err(|_| BindingError::BadSerial)?;
        Ok(Binding {
            serial,
            endpoint,
            factory_public,
            next_command_id: 1,
            reset_counter: None,
            stale: None,
        })
    }

    /// The lock's serial.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The id the lock gave this controller.
    pub fn controller_id(&self) -> ControllerId {
        self.endpoint.id()
    }

    /// This controller's role on the lock.
    pub fn role(&self) -> Role {
        self.endpoint.role()
    }

    /// This controller's X25519 public key.
    pub fn controller_public(&self) -> PublicKeyBytes {
        self.endpoint.key().public()
    }

    /// The lock's operational public key this binding is bound to.
    pub fn lock_public(&self) -> PublicKeyBytes {
        self.endpoint.lock_public()
    }

    /// The lock's factory identity key (Ed25519 bytes), if known.
    pub fn factory_public(&self) -> Option<PublicKeyBytes> {
        self.factory_public
    }

    /// Pin the lock's factory identity key (when the claim could not deliver it, e.g.
    /// from the manufacturer's registry). Idempotent for the same key; a different key
    /// is refused ([`BindingError::FactoryKeyMismatch`]) and nothing changes.
    pub fn pin_factory_public(&mut self, key: PublicKeyBytes) -> Result<(), BindingError> {
        match self.factory_public {
            Some(k) if k != key => Err(BindingError::FactoryKeyMismatch),
            _ => {
                self.factory_public = Some(key);
                Ok(())
            }
        }
    }

    /// Envelope counters: `send_next` (next counter this side seals with) and the
    /// receive high-water mark.
    pub fn counters(&self) -> Counters {
        self.endpoint.counters()
    }

    /// The id the next [`Binding::seal_command`] assigns.
    pub fn next_command_id(&self) -> CommandId {
        CommandId(self.next_command_id)
    }

    /// The lock's reset counter last seen (authenticated status), if any yet.
    pub fn reset_counter(&self) -> Option<u32> {
        self.reset_counter
    }

    /// `Some(reason)` once a reset was detected: show the lock as **reset — binding
    /// stale**, stop sending, offer re-claim or release.
    pub fn stale(&self) -> Option<&ResetReason> {
        self.stale.as_ref()
    }

    /// Seal `command` under a fresh command id. Advances the command id and the send
    /// counter: **persist the binding before publishing the frame** (on
    /// `tumbler/v1/<serial>/down`), in the transaction that records the operation as
    /// sent with this id. On error nothing changed.
    pub fn seal_command(
        &mut self,
        command: Command,
    ) -> Result<(CommandId, Vec<u8>), SealCommandError> {
        if self.stale.is_some() {
            return Err(SealCommandError::Stale);
        }
        let id = CommandId(self.next_command_id);
        let next = self
            .next_command_id
            .checked_add(1)
            .filter(|n| *n < u64::MAX)
            .ok_or(SealCommandError::IdsExhausted)?;
        let frame = self.seal_request(id, command)?;
        self.next_command_id = next;
        Ok((id, frame))
    }

    /// Seal `command` again under an id issued before (a retry after a timeout: the
    /// lock answers a repeated id from its dedup cache instead of executing it twice,
    /// as long as it has not rebooted). Advances the send counter: persist first.
    pub fn reseal(&mut self, id: CommandId, command: Command) -> Result<Vec<u8>, SealCommandError> {
        if self.stale.is_some() {
            return Err(SealCommandError::Stale);
        }
        if id.0 == 0 || id.0 >= self.next_command_id {
            return Err(SealCommandError::NotIssued);
        }
        self.seal_request(id, command)
    }

    fn seal_request(
        &mut self,
        id: CommandId,
        command: Command,
    ) -> Result<Vec<u8>, SealCommandError> {
        let mut buf = vec![0u8; MAX_ENVELOPE_LEN];
        let n = self
            .endpoint
            .seal(&Down::Request(Request { id, command }), &mut buf)
            .map_err(SealCommandError::Seal)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Lift a staleness that rests only on unauthenticated evidence
    /// ([`ResetReason::LockKeyChanged`], which anyone able to rewrite an envelope header
    /// can produce), so the hub can re-check with `GetStatus`: a genuine lock that was
    /// not reset answers under the old key; a reset lock cannot. Call it only on an
    /// owner's request ("re-check"), never automatically. Authenticated evidence stays:
    /// [`BindingError::StaleConfirmed`], nothing changes.
    pub fn clear_unverified_stale(&mut self) -> Result<(), BindingError> {
        match self.stale {
            Some(reason) if reason.authenticated() => Err(BindingError::StaleConfirmed),
            _ => {
                self.stale = None;
                Ok(())
            }
        }
    }

    pub(crate) fn mark_stale(&mut self, reason: ResetReason) {
        if self.stale.is_none() {
            self.stale = Some(reason);
        }
    }

    /// Versioned bytes for the database: `BINDING_FORMAT_VERSION ‖ postcard(fields)`.
    /// Contains the controller secret: encrypt at rest. The buffer zeroizes on drop.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, BindingError> {
        let counters = self.endpoint.counters();
        let stored = StoredV1 {
            serial: self.serial.clone(),
            controller_id: self.endpoint.id(),
            role: self.endpoint.role(),
            controller_secret: *self.endpoint.key().to_bytes(),
            lock_public: self.endpoint.lock_public(),
            factory_public: self.factory_public,
            send_next: counters.send_next,
            recv_high_water: counters.recv.high_water(),
            next_command_id: self.next_command_id,
            reset_counter: self.reset_counter,
            stale: self.stale,
        };
        // Serialise into a pre-sized zeroizing buffer: no reallocation leaves a copy of
        // the secret behind.
        let mut buf = Zeroizing::new(vec![0u8; STORED_MAX]);
        let (version, body) = buf.split_first_mut().ok_or(BindingError::LogicBug)?;
        *version = BINDING_FORMAT_VERSION;
        let n = postcard::to_slice(&stored, body)
            .map_err(|_| BindingError::LogicBug)?
            .len();
        buf.truncate(n.saturating_add(1));
        Ok(buf)
    }

    /// Read bytes written by [`Binding::to_bytes`]. Any input gives a binding or an
    /// error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BindingError> {
        let (version, body) = bytes.split_first().ok_or(BindingError::Empty)?;
        if *version != BINDING_FORMAT_VERSION {
            return Err(BindingError::UnsupportedVersion(*version));
        }
        let (stored, rest) =
            postcard::take_from_bytes::<StoredV1>(body).map_err(|_| BindingError::Malformed)?;
        if !rest.is_empty() {
            return Err(BindingError::Malformed);
        }
        if stored.serial.is_empty() || stored.next_command_id == 0 {
            return Err(BindingError::Malformed);
        }
        let key = ControllerKey::from_bytes(stored.controller_secret);
        let endpoint = ControllerEndpoint::new(
            key,
            stored.lock_public,
            stored.controller_id,
            stored.role,
            Counters::restore(stored.send_next, stored.recv_high_water),
        );
        Ok(Binding {
            serial: stored.serial.clone(),
            endpoint,
            factory_public: stored.factory_public,
            next_command_id: stored.next_command_id,
            reset_counter: stored.reset_counter,
            stale: stored.stale,
        })
    }
}
