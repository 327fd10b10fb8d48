//! Status and telemetry, including the credential-set digest that lets the hub verify
//! delivery without reading secrets back (DESIGN §3).

use serde::{Deserialize, Serialize};

use super::{OperatingMode, UnixTime, UserIndex};

/// Bolt position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BoltState {
    /// Thrown.
    Locked,
    /// Retracted.
    Unlocked,
    /// Stuck between positions.
    Jammed,
    /// Not known (no sensor or booting).
    Unknown,
}

/// Door position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DoorState {
    /// Closed.
    Closed,
    /// Open.
    Open,
    /// Left open too long.
    Ajar,
    /// Opened without an unlock.
    Forced,
    /// No door sensor or unknown.
    Unknown,
}

/// Firmware version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FirmwareVersion {
    /// Major.
    pub major: u16,
    /// Minor.
    pub minor: u16,
    /// Patch.
    pub patch: u16,
}

/// Version and digest of everything that decides who gets in: users, credentials
/// (PINs as keyed hashes), schedules. Changes whenever any of them change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CredentialDigest {
    /// Change counter, incremented on every change.
    pub version: u32,
    /// SHA-256 over the per-slot digests, in slot order (computed by the lock).
    pub digest: [u8; 32],
}

/// Digest of one user slot (user, its credentials and schedules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlotDigest {
    /// User slot.
    pub user: UserIndex,
    /// Digest of that slot's content (all zero: empty slot).
    pub digest: [u8; 32],
}

/// How many slot digests one answer carries.
pub const SLOT_DIGESTS_MAX: usize = 16;

/// A page of slot digests.
pub type SlotDigests = heapless::Vec<SlotDigest, SLOT_DIGESTS_MAX>;

/// Status and telemetry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Status {
    /// The lock's clock.
    pub time: UnixTime,
    /// Battery charge, 0..=100.
    pub battery_percent: u8,
    /// Bolt.
    pub bolt: BoltState,
    /// Door.
    pub door: DoorState,
    /// Operating mode in force.
    pub mode: OperatingMode,
    /// Firmware.
    pub firmware: FirmwareVersion,
    /// Factory resets so far (from the factory partition; never goes back).
    pub reset_counter: u32,
    /// Whether the lock is in setup mode (unclaimed).
    pub setup_mode: bool,
    /// Digest and version of the credential set.
    pub credentials: CredentialDigest,
    /// Sequence number of the newest audit record.
    pub log_head_seq: u64,
    /// Audit records lost to ring overflow before the hub acknowledged them.
    pub log_overflow: u32,
}
