//! The envelope: how every message after pairing is authenticated and encrypted.
//!
//! ```text
//! offset size field
//!  0      1   envelope version/magic: 0x81 (high bit: "envelope", low bits: version 1)
//!  1      1   direction: 0 = controller → lock, 1 = lock → controller
//!  2      4   controller id, u32 little-endian
//!  6      4   lock key id (KeyId of the lock's operational public key)
//! 10      4   controller key id (KeyId of the controller's public key)
//! 14      8   counter, u64 little-endian, strictly increasing per (controller, direction)
//! 22      n   ChaCha20-Poly1305 ciphertext of the encoded message (codec: version byte + postcard)
//! 22+n   16   Poly1305 tag
//! ```
//!
//! The whole 22-byte header is the AEAD's associated data, so none of it can be
//! altered. Keys: X25519(controller key, lock operational key) → HKDF-SHA256
//! (salt `"tumbler/v1 envelope"`, info = direction label ‖ lock public key ‖
//! controller public key ‖ controller id) → one 32-byte key per direction. Nonce =
//! counter (8 bytes LE) ‖ 4 zero bytes: unique because the key is per direction and
//! the counter never repeats (the sender persists it). Overhead: [`OVERHEAD`] = 38 bytes.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::codec::MAX_MESSAGE_LEN;
use crate::keys::{KeyId, PublicKeyBytes, StaticKey};
use crate::msg::ControllerId;

/// Envelope format version (byte 0). The high bit tells an envelope apart from a
/// bare codec frame (claim messages), whose first byte is
/// [`crate::PROTOCOL_VERSION`] (< 0x80); see [`frame_kind`].
pub const ENVELOPE_VERSION: u8 = 0x81;

/// What a frame on the `up`/`down` topics is, judged by its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// An envelope (open it with the link endpoint).
    Envelope,
    /// A bare codec frame (claim messages, before any key exists).
    Plain,
    /// Empty or unknown first byte.
    Unknown,
}

/// Classify a frame without verifying it.
pub fn frame_kind(frame: &[u8]) -> FrameKind {
    match frame.first() {
        Some(&ENVELOPE_VERSION) => FrameKind::Envelope,
        Some(&crate::codec::PROTOCOL_VERSION) => FrameKind::Plain,
        _ => FrameKind::Unknown,
    }
}
/// Header length.
pub const HEADER_LEN: usize = 22;
/// Tag length.
pub const TAG_LEN: usize = 16;
/// Bytes an envelope adds to the encoded message.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;
/// Largest envelope.
pub const MAX_ENVELOPE_LEN: usize = MAX_MESSAGE_LEN + OVERHEAD;

/// Which way an envelope travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Controller → lock (`down` topic).
    ToLock,
    /// Lock → controller (`up` topic).
    ToController,
}

impl Direction {
    fn byte(self) -> u8 {
        match self {
            Direction::ToLock => 0,
            Direction::ToController => 1,
        }
    }

    fn label(self) -> &'static [u8] {
        match self {
            Direction::ToLock => b"tumbler/v1 controller->lock",
            Direction::ToController => b"tumbler/v1 lock->controller",
        }
    }
}

/// The clear header of an envelope (authenticated, not encrypted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// Direction.
    pub direction: Direction,
    /// The controller end of the pair (sender or recipient).
    pub controller: ControllerId,
    /// Id of the lock's operational key the envelope is bound to.
    pub lock_key: KeyId,
    /// Id of the controller's key.
    pub controller_key: KeyId,
    /// Per-(controller, direction) counter.
    pub counter: u64,
}

impl Header {
    /// Parse the header of an envelope without verifying anything (routing only:
    /// e.g. a hub picks the controller session by `controller`).
    pub fn parse(envelope: &[u8]) -> Result<Header, OpenError> {
        let h: &[u8; HEADER_LEN] = envelope
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(OpenError::Truncated)?;
        let [v, d, c0, c1, c2, c3, l0, l1, l2, l3, k0, k1, k2, k3, n0, n1, n2, n3, n4, n5, n6, n7] =
            *h;
        if v != ENVELOPE_VERSION {
            return Err(OpenError::UnsupportedVersion(v));
        }
        let direction = match d {
            0 => Direction::ToLock,
            1 => Direction::ToController,
            _ => return Err(OpenError::Malformed),
        };
        if envelope.len() < OVERHEAD {
            return Err(OpenError::Truncated);
        }
        Ok(Header {
            direction,
            controller: ControllerId(u32::from_le_bytes([c0, c1, c2, c3])),
            lock_key: KeyId([l0, l1, l2, l3]),
            controller_key: KeyId([k0, k1, k2, k3]),
            counter: u64::from_le_bytes([n0, n1, n2, n3, n4, n5, n6, n7]),
        })
    }

    /// The 22 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let c = self.controller.0.to_le_bytes();
        let n = self.counter.to_le_bytes();
        let parts: [&[u8]; 6] = [
            &[ENVELOPE_VERSION],
            &[self.direction.byte()],
            &c,
            &self.lock_key.0,
            &self.controller_key.0,
            &n,
        ];
        let mut at = 0;
        for p in parts {
            for b in p {
                if let Some(o) = out.get_mut(at) {
                    *o = *b;
                }
                at += 1;
            }
        }
        out
    }
}

/// Why an envelope was rejected. Each failure has its own variant so the receiver
/// can log, count and react precisely; none of them changes any state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenError {
    /// Shorter than header + tag.
    Truncated,
    /// Longer than [`MAX_ENVELOPE_LEN`]: refused before any key is used, so nothing about
    /// it is authentic (not [`OpenError::Decode`], which only an authentic envelope gets).
    TooLong,
    /// Envelope version not supported.
    UnsupportedVersion(u8),
    /// Header fields out of range (unknown direction byte).
    Malformed,
    /// Travelling the other way (a lock got a lock→controller envelope or vice versa).
    WrongDirection,
    /// Bound to another lock key: another lock, or this lock before a factory reset.
    WrongLockKey,
    /// No controller with this id was ever paired (since the last factory reset).
    UnknownController,
    /// This controller was paired once and has since been removed.
    RemovedController,
    /// Controller side: the envelope is for another controller of the same lock (the
    /// `up` topic is shared); ignore it.
    OtherRecipient,
    /// The controller id is known but the envelope names another controller key.
    WrongControllerKey,
    /// Counter already accepted (a replay).
    Replayed,
    /// Counter lower than the newest accepted one but never seen (reordered or delayed).
    Reordered,
    /// The tag does not verify: the envelope was altered, or sealed with another key.
    AuthFailed,
    /// Authentic, but the plaintext is not a valid message (counter still advanced).
    Decode(crate::codec::DecodeError),
    /// The peer's public key is a low-order point.
    WeakKey,
    /// Internal inconsistency; nothing changed.
    LogicBug,
}

/// Why an envelope could not be sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// Output buffer too small (use [`MAX_ENVELOPE_LEN`]).
    BufferTooSmall,
    /// The message could not be encoded.
    Encode(crate::codec::EncodeError),
    /// No paired controller with that id.
    UnknownController,
    /// The send counter is exhausted (2^64 − 1 messages): re-pair.
    CounterExhausted,
    /// The peer's public key is a low-order point.
    WeakKey,
    /// Internal inconsistency; nothing sent.
    LogicBug,
}

/// Anti-replay state for one receive direction: the highest accepted counter and a
/// bitmap of the 64 counters below it that were accepted (only to tell "replayed"
/// from "reordered"; anything not above the high-water mark is rejected either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ReplayWindow {
    high_water: u64,
    seen: u64,
}

impl ReplayWindow {
    /// Nothing accepted yet (counters start at 1).
    pub const fn new() -> Self {
        ReplayWindow {
            high_water: 0,
            seen: 0,
        }
    }

    /// Restore from a persisted high-water mark. Counters at or up to 64 below it are
    /// then reported as [`OpenError::Replayed`], older ones as [`OpenError::Reordered`];
    /// all are rejected.
    pub const fn restore(high_water: u64) -> Self {
        ReplayWindow {
            high_water,
            seen: u64::MAX,
        }
    }

    /// The highest accepted counter; persist it with the state change it accompanies.
    pub const fn high_water(&self) -> u64 {
        self.high_water
    }

    /// Whether `counter` would be accepted (no state change).
    pub fn check(&self, counter: u64) -> Result<(), OpenError> {
        if counter > self.high_water {
            return Ok(());
        }
        let back = self.high_water - counter;
        if back == 0 {
            return Err(OpenError::Replayed);
        }
        let bit = back - 1;
        if bit < 64 && self.seen & (1u64 << bit) != 0 {
            return Err(OpenError::Replayed);
        }
        Err(OpenError::Reordered)
    }

    /// Record an accepted counter (call only after the envelope verified).
    pub fn accept(&mut self, counter: u64) {
        if counter <= self.high_water {
            return;
        }
        let shift = counter - self.high_water;
        let mut seen = if shift >= 64 { 0 } else { self.seen << shift };
        // The old high-water mark (if any was accepted; counters start at 1) is now
        // `shift` below the new one, i.e. bit `shift - 1`.
        if self.high_water != 0 && shift <= 64 {
            seen |= 1u64 << (shift - 1);
        }
        self.seen = seen;
        self.high_water = counter;
    }
}

/// Counters of one (lock, controller) pair as one side keeps them; persist both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Counters {
    /// Counter for the next envelope this side sends (starts at 1). Persist it
    /// *before* the envelope leaves, or persist a leased upper bound: reusing a
    /// counter would reuse a nonce.
    pub send_next: u64,
    /// Anti-replay state of what this side receives.
    pub recv: ReplayWindow,
}

impl Counters {
    /// Fresh pair: first send is counter 1, nothing received.
    pub const fn new() -> Self {
        Counters {
            send_next: 1,
            recv: ReplayWindow::new(),
        }
    }

    /// Restore from the two persisted numbers.
    pub const fn restore(send_next: u64, recv_high_water: u64) -> Self {
        Counters {
            send_next,
            recv: ReplayWindow::restore(recv_high_water),
        }
    }

    /// Take the next send counter.
    pub(crate) fn take_send(&mut self) -> Result<u64, SealError> {
        let c = self.send_next;
        if c == 0 || c == u64::MAX {
            return Err(SealError::CounterExhausted);
        }
        self.send_next = c + 1;
        Ok(c)
    }
}

/// Derive the key for one direction of one pair. `own` is this side's key, `peer` the
/// other side's public key.
fn direction_key(
    own: &StaticKey,
    peer: &PublicKeyBytes,
    lock_public: &PublicKeyBytes,
    controller_public: &PublicKeyBytes,
    controller: ControllerId,
    direction: Direction,
) -> Option<Zeroizing<[u8; 32]>> {
    let shared = own.agree(peer)?;
    let hk = Hkdf::<Sha256>::new(Some(b"tumbler/v1 envelope"), &shared[..]);
    let mut key = Zeroizing::new([0u8; 32]);
    let id = controller.0.to_le_bytes();
    hk.expand_multi_info(
        &[direction.label(), lock_public, controller_public, &id],
        &mut key[..],
    )
    .ok()?;
    Some(key)
}

fn nonce(counter: u64) -> Nonce {
    let mut n = [0u8; 12];
    for (o, i) in n.iter_mut().zip(counter.to_le_bytes()) {
        *o = i;
    }
    Nonce::from(n)
}

/// The two ends of a pair, as the sealing/opening side sees them.
pub(crate) struct Pair<'a> {
    pub own: &'a StaticKey,
    pub peer: &'a PublicKeyBytes,
    pub lock_public: &'a PublicKeyBytes,
    pub controller_public: &'a PublicKeyBytes,
}

/// Seal an encoded message under `header` into `out`; returns the envelope length.
pub(crate) fn seal_raw(
    pair: &Pair<'_>,
    header: &Header,
    message: &[u8],
    out: &mut [u8],
) -> Result<usize, SealError> {
    let total = HEADER_LEN
        .checked_add(message.len())
        .and_then(|n| n.checked_add(TAG_LEN))
        .ok_or(SealError::LogicBug)?;
    let out = out.get_mut(..total).ok_or(SealError::BufferTooSmall)?;
    let key = direction_key(
        pair.own,
        pair.peer,
        pair.lock_public,
        pair.controller_public,
        header.controller,
        header.direction,
    )
    .ok_or(SealError::WeakKey)?;
    let cipher =
        ChaCha20Poly1305::new(<&Key>::try_from(&key[..]).map_err(|_| SealError::LogicBug)?);
    let hdr = header.to_bytes();
    let (h, rest) = out.split_at_mut(HEADER_LEN);
    h.copy_from_slice(&hdr);
    let (body, tag_out) = rest.split_at_mut(message.len());
    body.copy_from_slice(message);
    let tag = cipher
        .encrypt_inout_detached(&nonce(header.counter), &hdr, body.into())
        .map_err(|_| SealError::LogicBug)?;
    tag_out.copy_from_slice(&tag);
    Ok(total)
}

/// Verify and decrypt `envelope` (header already parsed and checked) into `out`;
/// returns the plaintext length.
pub(crate) fn open_raw(
    pair: &Pair<'_>,
    header: &Header,
    envelope: &[u8],
    out: &mut [u8; MAX_MESSAGE_LEN],
) -> Result<usize, OpenError> {
    let hdr = envelope.get(..HEADER_LEN).ok_or(OpenError::Truncated)?;
    let body_end = envelope
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(OpenError::Truncated)?;
    let body = envelope
        .get(HEADER_LEN..body_end)
        .ok_or(OpenError::Truncated)?;
    let tag = envelope.get(body_end..).ok_or(OpenError::Truncated)?;
    let tag = Tag::try_from(tag).map_err(|_| OpenError::Truncated)?;
    let plain = out.get_mut(..body.len()).ok_or(OpenError::TooLong)?;
    plain.copy_from_slice(body);
    let key = direction_key(
        pair.own,
        pair.peer,
        pair.lock_public,
        pair.controller_public,
        header.controller,
        header.direction,
    )
    .ok_or(OpenError::WeakKey)?;
    let cipher =
        ChaCha20Poly1305::new(<&Key>::try_from(&key[..]).map_err(|_| OpenError::LogicBug)?);
    cipher
        .decrypt_inout_detached(&nonce(header.counter), hdr, plain.into(), &tag)
        .map_err(|_| {
            plain.iter_mut().for_each(|b| *b = 0);
            OpenError::AuthFailed
        })?;
    Ok(body.len())
}
