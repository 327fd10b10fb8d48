//! The two ends of a paired link, built on [`crate::envelope`]:
//!
//! * lock side: [`ControllerTable`] (the paired controllers, their roles and counters;
//!   the lock persists it) and [`LockEndpoint`] (the operational key; opens `Down`
//!   envelopes into [`Verified`] messages and seals `Up` messages to one controller);
//! * controller side: [`ControllerEndpoint`] (hub or phone: its key, the lock's public
//!   key, its id and counters).

use serde::{Deserialize, Serialize};

use crate::codec::{self, MAX_MESSAGE_LEN};
use crate::envelope::{
    self, Counters, Direction, Header, OpenError, Pair, ReplayWindow, SealError,
};
use crate::keys::{ControllerKey, KeyId, OperationalKey, PublicKeyBytes};
use crate::msg::{Command, ControllerId, Down, Name, Role, Up};

/// A paired controller as the lock keeps it. Persist all fields; counters with every
/// accepted envelope (`recv_high_water`) and before every sent one (`send_next`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerEntry {
    /// Id assigned at pairing.
    pub id: ControllerId,
    /// The controller's X25519 public key.
    pub public_key: PublicKeyBytes,
    /// Admin or user.
    pub role: Role,
    /// Human label.
    pub label: Name,
    /// Next counter the lock uses when sealing to this controller.
    pub send_next: u64,
    /// Highest counter accepted from this controller.
    pub recv_high_water: u64,
}

/// Why pairing or unpairing failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PairError {
    /// No free controller slot.
    Full,
    /// This public key is already paired.
    AlreadyPaired,
    /// No controller with that id.
    NotFound,
    /// The last admin cannot be removed (factory reset instead).
    LastAdmin,
    /// Controller ids are exhausted (2^32 pairings since the last reset).
    IdsExhausted,
}

/// The lock's paired controllers: at most `N` (a build-time capacity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerTable<const N: usize> {
    entries: heapless::Vec<(ControllerEntry, ReplayWindow), N>,
    /// Next id to assign; ids below it that are not in `entries` were removed.
    next_id: u32,
}

impl<const N: usize> Default for ControllerTable<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ControllerTable<N> {
    /// Empty table (setup mode, after a factory reset).
    pub const fn new() -> Self {
        ControllerTable {
            entries: heapless::Vec::new(),
            next_id: 1,
        }
    }

    /// Rebuild from persisted entries and the persisted next id. Entries beyond the
    /// capacity are an error (`Full`); ids at or above `next_id` bump it.
    pub fn restore<'a>(
        entries: impl IntoIterator<Item = &'a ControllerEntry>,
        next_id: u32,
    ) -> Result<Self, PairError> {
        let mut t = ControllerTable {
            entries: heapless::Vec::new(),
            next_id: next_id.max(1),
        };
        for e in entries {
            t.entries
                .push((e.clone(), ReplayWindow::restore(e.recv_high_water)))
                .map_err(|_| PairError::Full)?;
            if e.id.0 >= t.next_id {
                t.next_id = e.id.0.checked_add(1).ok_or(PairError::IdsExhausted)?;
            }
        }
        Ok(t)
    }

    /// The next id to assign (persist it with the entries).
    pub fn next_id(&self) -> u32 {
        self.next_id
    }

    /// Pair a controller; returns its new id.
    pub fn pair(
        &mut self,
        public_key: PublicKeyBytes,
        role: Role,
        label: Name,
    ) -> Result<ControllerId, PairError> {
        if self.entries.iter().any(|(e, _)| e.public_key == public_key) {
            return Err(PairError::AlreadyPaired);
        }
        if self.entries.is_full() {
            return Err(PairError::Full);
        }
        let id = ControllerId(self.next_id);
        let next = self.next_id.checked_add(1).ok_or(PairError::IdsExhausted)?;
        let entry = ControllerEntry {
            id,
            public_key,
            role,
            label,
            send_next: 1,
            recv_high_water: 0,
        };
        self.entries
            .push((entry, ReplayWindow::new()))
            .map_err(|_| PairError::Full)?;
        self.next_id = next;
        Ok(id)
    }

    /// Remove a controller; its envelopes are rejected from now on. The last admin
    /// cannot be removed (the lock would be unmanageable without a factory reset).
    pub fn unpair(&mut self, id: ControllerId) -> Result<ControllerEntry, PairError> {
        let pos = self
            .entries
            .iter()
            .position(|(e, _)| e.id == id)
            .ok_or(PairError::NotFound)?;
        let is_admin = self
            .entries
            .get(pos)
            .map(|(e, _)| e.role == Role::Admin)
            .unwrap_or(false);
        let admins = self
            .entries
            .iter()
            .filter(|(e, _)| e.role == Role::Admin)
            .count();
        if is_admin && admins <= 1 {
            return Err(PairError::LastAdmin);
        }
        Ok(self.entries.remove(pos).0)
    }

    /// A controller by id.
    pub fn get(&self, id: ControllerId) -> Option<&ControllerEntry> {
        self.entries.iter().map(|(e, _)| e).find(|e| e.id == id)
    }

    /// All paired controllers.
    pub fn iter(&self) -> impl Iterator<Item = &ControllerEntry> {
        self.entries.iter().map(|(e, _)| e)
    }

    /// Number of paired controllers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no controller is paired (setup mode).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn lookup(&self, id: ControllerId) -> Result<usize, OpenError> {
        match self.entries.iter().position(|(e, _)| e.id == id) {
            Some(p) => Ok(p),
            None if id.0 != 0 && id.0 < self.next_id => Err(OpenError::RemovedController),
            None => Err(OpenError::UnknownController),
        }
    }
}

/// A message that passed every check, with who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified<T> {
    /// The sending controller.
    pub controller: ControllerId,
    /// Its role at the time of opening.
    pub role: Role,
    /// The envelope counter (already recorded as accepted).
    pub counter: u64,
    /// The message.
    pub message: T,
}

/// Refusal of a verified command because of the sender's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthzError {
    /// The command is admin-only and the controller has role `User`.
    AdminRequired,
}

/// Check a command against the sender's role (see [`Command::required_role`]).
pub fn authorize(role: Role, command: &Command) -> Result<(), AuthzError> {
    if command.allowed_for(role) {
        Ok(())
    } else {
        Err(AuthzError::AdminRequired)
    }
}

/// The lock's end: its operational key.
#[derive(Debug, Clone)]
pub struct LockEndpoint {
    key: OperationalKey,
}

impl LockEndpoint {
    /// Wrap the lock's current operational key.
    pub fn new(key: OperationalKey) -> Self {
        LockEndpoint { key }
    }

    /// The operational key.
    pub fn key(&self) -> &OperationalKey {
        &self.key
    }

    /// Verify, decrypt and decode an envelope from a controller. On success the
    /// controller's receive counter advances; on any error nothing changes.
    pub fn open<const N: usize>(
        &self,
        table: &mut ControllerTable<N>,
        envelope: &[u8],
    ) -> Result<Verified<Down>, OpenError> {
        let header = Header::parse(envelope)?;
        if header.direction != Direction::ToLock {
            return Err(OpenError::WrongDirection);
        }
        if header.lock_key != self.key.key_id() {
            return Err(OpenError::WrongLockKey);
        }
        let pos = table.lookup(header.controller)?;
        let (entry, window) = table.entries.get_mut(pos).ok_or(OpenError::LogicBug)?;
        if header.controller_key != KeyId::of(&entry.public_key) {
            return Err(OpenError::WrongControllerKey);
        }
        window.check(header.counter)?;
        let lock_public = self.key.public();
        let pair = Pair {
            own: &self.key,
            peer: &entry.public_key,
            lock_public: &lock_public,
            controller_public: &entry.public_key,
        };
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = envelope::open_raw(&pair, &header, envelope, &mut buf)?;
        window.accept(header.counter);
        entry.recv_high_water = window.high_water();
        let plain = buf.get(..n).ok_or(OpenError::LogicBug)?;
        let message = codec::decode::<Down>(plain).map_err(OpenError::Decode);
        zeroize::Zeroize::zeroize(&mut buf[..]);
        Ok(Verified {
            controller: entry.id,
            role: entry.role,
            counter: header.counter,
            message: message?,
        })
    }

    /// Encode and seal `message` to one controller into `out`; returns the envelope
    /// length. Advances that controller's send counter (persist it).
    pub fn seal<const N: usize>(
        &self,
        table: &mut ControllerTable<N>,
        to: ControllerId,
        message: &Up,
        out: &mut [u8],
    ) -> Result<usize, SealError> {
        let pos = table
            .entries
            .iter()
            .position(|(e, _)| e.id == to)
            .ok_or(SealError::UnknownController)?;
        let (entry, _) = table.entries.get_mut(pos).ok_or(SealError::LogicBug)?;
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = codec::encode(message, &mut buf).map_err(SealError::Encode)?;
        let plain = buf.get(..n).ok_or(SealError::LogicBug)?;
        let mut counters = Counters {
            send_next: entry.send_next,
            recv: ReplayWindow::new(),
        };
        let counter = counters.take_send()?;
        let header = Header {
            direction: Direction::ToController,
            controller: entry.id,
            lock_key: self.key.key_id(),
            controller_key: KeyId::of(&entry.public_key),
            counter,
        };
        let lock_public = self.key.public();
        let pair = Pair {
            own: &self.key,
            peer: &entry.public_key,
            lock_public: &lock_public,
            controller_public: &entry.public_key,
        };
        let len = envelope::seal_raw(&pair, &header, plain, out);
        zeroize::Zeroize::zeroize(&mut buf[..]);
        let len = len?;
        entry.send_next = counters.send_next;
        Ok(len)
    }
}

/// A controller's end of a pairing (hub or phone). Persist `key` (secret!), the
/// public parts and [`ControllerEndpoint::counters`].
#[derive(Debug, Clone)]
pub struct ControllerEndpoint {
    key: ControllerKey,
    lock_public: PublicKeyBytes,
    id: ControllerId,
    role: Role,
    counters: Counters,
}

impl ControllerEndpoint {
    /// Build (or restore) from its parts.
    pub fn new(
        key: ControllerKey,
        lock_public: PublicKeyBytes,
        id: ControllerId,
        role: Role,
        counters: Counters,
    ) -> Self {
        ControllerEndpoint {
            key,
            lock_public,
            id,
            role,
            counters,
        }
    }

    /// The id the lock gave this controller.
    pub fn id(&self) -> ControllerId {
        self.id
    }

    /// The role granted at pairing.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The lock's operational public key this pairing is bound to.
    pub fn lock_public(&self) -> PublicKeyBytes {
        self.lock_public
    }

    /// This controller's key.
    pub fn key(&self) -> &ControllerKey {
        &self.key
    }

    /// Current counters (persist them).
    pub fn counters(&self) -> Counters {
        self.counters
    }

    fn pair(&self) -> (PublicKeyBytes, PublicKeyBytes) {
        (self.lock_public, self.key.public())
    }

    /// Encode and seal a message to the lock; returns the envelope length.
    pub fn seal(&mut self, message: &Down, out: &mut [u8]) -> Result<usize, SealError> {
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = codec::encode(message, &mut buf).map_err(SealError::Encode)?;
        let plain = buf.get(..n).ok_or(SealError::LogicBug)?;
        let mut counters = self.counters;
        let counter = counters.take_send()?;
        let header = Header {
            direction: Direction::ToLock,
            controller: self.id,
            lock_key: KeyId::of(&self.lock_public),
            controller_key: self.key.key_id(),
            counter,
        };
        let (lock_public, controller_public) = self.pair();
        let pair = Pair {
            own: &self.key,
            peer: &lock_public,
            lock_public: &lock_public,
            controller_public: &controller_public,
        };
        let len = envelope::seal_raw(&pair, &header, plain, out);
        zeroize::Zeroize::zeroize(&mut buf[..]);
        let len = len?;
        self.counters = counters;
        Ok(len)
    }

    /// Verify, decrypt and decode an envelope from the lock.
    pub fn open(&mut self, envelope: &[u8]) -> Result<Up, OpenError> {
        let header = Header::parse(envelope)?;
        if header.direction != Direction::ToController {
            return Err(OpenError::WrongDirection);
        }
        if header.lock_key != KeyId::of(&self.lock_public) {
            return Err(OpenError::WrongLockKey);
        }
        if header.controller != self.id {
            return Err(OpenError::OtherRecipient);
        }
        if header.controller_key != self.key.key_id() {
            return Err(OpenError::WrongControllerKey);
        }
        self.counters.recv.check(header.counter)?;
        let (lock_public, controller_public) = self.pair();
        let pair = Pair {
            own: &self.key,
            peer: &lock_public,
            lock_public: &lock_public,
            controller_public: &controller_public,
        };
        let mut buf = [0u8; MAX_MESSAGE_LEN];
        let n = envelope::open_raw(&pair, &header, envelope, &mut buf)?;
        self.counters.recv.accept(header.counter);
        let plain = buf.get(..n).ok_or(OpenError::LogicBug)?;
        let message = codec::decode::<Up>(plain).map_err(OpenError::Decode);
        zeroize::Zeroize::zeroize(&mut buf[..]);
        message
    }
}
