//! Messages between a Tumbler lock and its controllers (hub, phones), their encoding
//! and their security. `#![no_std]`, heap-free except the claim (feature `pake`).
//! Pure: time and randomness are parameters; no clock, no socket.
//!
//! # Layout
//! * [`msg`]: the wire types — [`Down`] (controller → lock: [`Request`] = [`CommandId`] + [`Command`])
//!   and [`Up`] (lock → controller: [`Ack`], [`Applied`], [`Status`], [`Event`], [`LogBatch`],
//!   [`ResetNotice`]), one file per group, mirroring every lock capability.
//! * [`codec`]: version byte + postcard; [`decode`] never panics.
//! * [`topic`]: MQTT topics and availability payloads.
//! * [`dedup`]: [`Dedup`], the bounded recent-command window (repeat → cached answer).
//! * [`keys`]: X25519 operational/controller keys ([`StaticKey`]), key ids.
//! * [`envelope`]: the authenticated, encrypted envelope format, counters and errors.
//! * [`link`]: lock side ([`LockEndpoint`], [`ControllerTable`]) and controller side
//!   ([`ControllerEndpoint`]) of a paired link; roles and [`authorize`].
//! * [`reset_token`]: manufacturer reset token ([`ResetToken`]).
//! * [`model`]: `tumbler-model`, the types the wire shares with the lock (re-exported in
//!   [`msg`]: user type and status, credential rule and kind, PIN, operating mode, role,
//!   reset trigger, volume).
//! * [`claim`]: claim messages; with feature `pake`, the SPAKE2 state machines that
//!   claim a lock in setup mode.
//!
//! # Usage
//! ```
//! use chacha20::ChaCha20Rng;
//! use rand_core::SeedableRng;
//! use tumbler_proto::*;
//!
//! let mut rng = ChaCha20Rng::seed_from_u64(7); // the device/hub pass a real CSPRNG
//! // Lock side: operational key + controller table (normally filled by the claim).
//! let lock = LockEndpoint::new(OperationalKey::generate(&mut rng));
//! let mut table = ControllerTable::<8>::new();
//! let hub_key = ControllerKey::generate(&mut rng);
//! let id = table.pair(hub_key.public(), Role::Admin, Name::try_from("hub").unwrap()).unwrap();
//! // Hub side.
//! let mut hub = ControllerEndpoint::new(hub_key, lock.key().public(), id, Role::Admin, Counters::new());
//!
//! let mut frame = [0u8; MAX_ENVELOPE_LEN];
//! let req = Down::Request(Request { id: CommandId(1), command: Command::Unlock { pin: None } });
//! let n = hub.seal(&req, &mut frame).unwrap();          // publish on topic_down(serial)
//!
//! let v = lock.open(&mut table, &frame[..n]).unwrap();  // device: then persist table counters
//! let Down::Request(r) = &v.message else { unreachable!() };
//! assert!(authorize(v.role, &r.command).is_ok());
//!
//! let ack = Up::Ack(Ack { id: r.id, verdict: Verdict::Accepted });
//! let n = lock.seal(&mut table, v.controller, &ack, &mut frame).unwrap(); // topic_up(serial)
//! assert_eq!(hub.open(&frame[..n]).unwrap(), ack);
//! ```
#![no_std]

#[cfg(feature = "pake")]
extern crate alloc;

pub mod broker_login;
pub mod claim;
pub mod codec;
pub mod dedup;
pub mod envelope;
pub mod keys;
pub mod link;
pub mod msg;
pub mod reset_token;
mod serde_bytes64;
pub mod topic;

pub use codec::{decode, encode, DecodeError, EncodeError, MAX_MESSAGE_LEN, PROTOCOL_VERSION};
pub use dedup::{Dedup, Seen};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use envelope::{
    frame_kind, Counters, Direction, FrameKind, Header, OpenError, ReplayWindow, SealError,
    MAX_ENVELOPE_LEN, OVERHEAD,
};
pub use keys::{ControllerKey, KeyId, OperationalKey, PublicKeyBytes, StaticKey};
pub use link::{
    authorize, AuthzError, ControllerEndpoint, ControllerEntry, ControllerTable, LockEndpoint,
    PairError, Verified,
};
pub use msg::*;
pub use reset_token::{ResetNonce, ResetToken, ResetTokenError, Serial, SERIAL_MAX};
pub use topic::{topic_down, topic_status, topic_up, Topic, TopicError, OFFLINE, ONLINE};
/// The vocabulary shared with the lock (`tumbler-model`); its types are re-exported in [`msg`].
pub use tumbler_model as model;

impl Down {
    /// Encode with the protocol version byte.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        codec::encode(self, out)
    }

    /// Decode; never panics.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::decode(bytes)
    }
}

impl Up {
    /// Encode with the protocol version byte.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        codec::encode(self, out)
    }

    /// Decode; never panics.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::decode(bytes)
    }
}
