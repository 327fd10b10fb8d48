//! Claiming a lock in setup mode (feature `pake`): SPAKE2 (Ed25519 group) on the
//! printed setup code, explicit key confirmation both ways, then the long-term keys
//! travel encrypted under the PAKE key. Two pure state machines: `ClaimController`
//! (hub/phone) and `ClaimLock` (lock).
//!
//! ```text
//! controller                                   lock (setup mode)
//! ClaimStart { pake: X }              ───►
//!                                     ◄───     ClaimReply { pake: Y, confirm: MAC(kc_lock, TH) }
//! verify lock confirmation
//! ClaimFinish { confirm: MAC(kc_ctrl, TH),
//!   sealed: AEAD(k_c2l, controller pubkey ‖ label) }  ───►
//!                                              verify controller confirmation,
//!                                              pair controller as Admin
//!                                     ◄───     ClaimDone { sealed: AEAD(k_l2c, operational pubkey ‖ id ‖ factory pubkey) }
//! ```
//!
//! TH = SHA-256(domain ‖ serial ‖ X ‖ Y); kc_lock, kc_ctrl, k_c2l, k_l2c come from
//! HKDF-SHA256 over the SPAKE2 key with TH as salt. A recorded exchange gives no
//! offline test of the setup code (SPAKE2); each online attempt tests one guess, so
//! the lock must count [`ClaimError::KeyConfirmationFailed`] and back off.
//!
//! The message types are always available (a hub or a relay can route them); the
//! state machines need feature `pake`: `spake2` allocates (`Vec<u8>`), which is why
//! that part needs `alloc`.

use serde::{Deserialize, Serialize};

use crate::link::PairError;
use crate::msg::{SignedLockStatement, SignedResetRecord, SignedSelfCheck};

#[cfg(feature = "pake")]
pub use machine::*;

/// Digits in a setup code as printed on a lock's label (`TUMBLER:1:<serial>:<code>`).
pub const SETUP_CODE_DIGITS: usize = 8;

/// Whether `code` has the form of a printed setup code ([`SETUP_CODE_DIGITS`] ASCII
/// digits). A controller checks this before starting a claim: every start costs the
/// lock one of its claim attempts, so a code that cannot be right must never be sent.
pub fn setup_code_well_formed(code: &[u8]) -> bool {
    code.len() == SETUP_CODE_DIGITS && code.iter().all(u8::is_ascii_digit)
}

/// Room for one SPAKE2 message (33 bytes for Ed25519).
const PAKE_MSG_MAX: usize = 48;
/// Room for a sealed key payload.
const SEALED_MAX: usize = 128;

/// First message, controller → lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimStart {
    /// SPAKE2 message of side A.
    pub pake: heapless::Vec<u8, PAKE_MSG_MAX>,
}

/// Lock → controller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimReply {
    /// SPAKE2 message of side B.
    pub pake: heapless::Vec<u8, PAKE_MSG_MAX>,
    /// The lock's key confirmation.
    pub confirm: [u8; 32],
}

/// Controller → lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimFinish {
    /// The controller's key confirmation.
    pub confirm: [u8; 32],
    /// Encrypted controller info (public key, label).
    pub sealed: heapless::Vec<u8, SEALED_MAX>,
}

/// Lock → controller: the claim is complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimDone {
    /// Encrypted lock info (operational and factory public keys, assigned controller id).
    pub sealed: heapless::Vec<u8, SEALED_MAX>,
}

/// Every frame that travels *without* an envelope (alias [`crate::Plain`]; encode with
/// [`crate::codec::encode`]): the claim steps, which run before any link key exists,
/// over the local link or the MQTT topics; and factory-key-signed announcements a lock
/// can publish while it has no paired controller (after a factory reset), so the hub
/// learns of the reset even if the [`crate::ResetNotice`] never reached it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ClaimMessage {
    /// Step 1.
    Start(ClaimStart),
    /// Step 2.
    Reply(ClaimReply),
    /// Step 3.
    Finish(ClaimFinish),
    /// Step 4.
    Done(ClaimDone),
    /// Lock → anyone: the signed record of the last factory reset (publish it retained
    /// on `up` while in setup mode).
    ResetRecord(SignedResetRecord),
    /// Anyone → lock in setup mode: ask for a signed self-check bound to a challenge.
    SelfCheckRequest {
        /// Fresh random bytes echoed in the report.
        challenge: [u8; 16],
    },
    /// Lock → anyone: a signed self-check (answer to `SelfCheckRequest`).
    SelfCheck(SignedSelfCheck),
    /// Controller → lock, in clear on `down`: state your reset counter and claim state,
    /// bound to this challenge (sent when the lock reconnects and when an operation goes
    /// unanswered; a reset lock can no longer open the controller's envelopes).
    StatementRequest {
        /// Fresh random bytes echoed in the statement.
        challenge: [u8; 16],
    },
    /// Lock → anyone, plain on `up`: its factory-signed reset state, at every boot and
    /// link (re)connect and in answer to `StatementRequest`.
    Statement(SignedLockStatement),
    /// Lock → controller, in answer to a `Start` it did not take: too many wrong setup
    /// codes, claims refused for this many more seconds (the start cost no attempt).
    /// Unauthenticated: a controller reports it, never acts on it beyond the answer.
    Throttled {
        /// Seconds until the lock takes a claim again (rounded up).
        retry_after_s: u32,
    },
}

impl ClaimMessage {
    /// Encode with the protocol version byte.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, crate::EncodeError> {
        crate::codec::encode(self, out)
    }

    /// Decode; never panics.
    pub fn decode(bytes: &[u8]) -> Result<Self, crate::DecodeError> {
        crate::codec::decode(bytes)
    }
}

/// Why a claim step failed. The state machine is consumed: start again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimError {
    /// A PAKE message has the wrong length or is not a valid group element.
    BadPakeMessage,
    /// The peer's key confirmation does not verify: wrong setup code (or an attacker).
    KeyConfirmationFailed,
    /// The sealed key payload does not decrypt or decode (tampered).
    BadSealedPayload,
    /// The lock already has controllers: not in setup mode.
    AlreadyClaimed,
    /// The controller table refused the new controller.
    Pair(PairError),
    /// The serial is longer than [`crate::SERIAL_MAX`].
    BadSerial,
    /// Internal inconsistency; nothing changed.
    LogicBug,
}

#[cfg(feature = "pake")]
mod machine {
    use chacha20poly1305::aead::{AeadInOut, KeyInit};
    use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
    use hkdf::Hkdf;
    use hmac::{Hmac, Mac};
    use rand_core::CryptoRng;
    use serde::{Deserialize, Serialize};
    use sha2::{Digest, Sha256};
    use spake2::{Ed25519Group, Identity, Password, Spake2};
    use subtle::ConstantTimeEq;
    use zeroize::Zeroizing;

    use super::{
        ClaimDone, ClaimError, ClaimFinish, ClaimReply, ClaimStart, PAKE_MSG_MAX, SEALED_MAX,
    };
    use crate::envelope::Counters;
    use crate::keys::{ControllerKey, OperationalKey, PublicKeyBytes};
    use crate::link::{ControllerEndpoint, ControllerTable};
    use crate::msg::{ControllerId, Name, Role};

    const ID_CONTROLLER: &[u8] = b"tumbler/v1 controller";

    #[derive(Serialize, Deserialize)]
    struct ControllerInfo {
        public_key: PublicKeyBytes,
        label: Name,
    }

    #[derive(Serialize, Deserialize)]
    struct LockInfo {
        lock_public: PublicKeyBytes,
        controller: ControllerId,
        factory_public: PublicKeyBytes,
    }

    /// What a completed claim gives the controller.
    #[derive(Debug, Clone)]
    pub struct Claimed {
        /// The paired link (role admin).
        pub endpoint: ControllerEndpoint,
        /// The lock's factory identity key (Ed25519), which signs its reset records and
        /// self-checks. Learnt over the PAKE-authenticated channel; pin it for the lock.
        pub factory_public: PublicKeyBytes,
    }

    struct Keys {
        confirm_lock: Zeroizing<[u8; 32]>,
        confirm_ctrl: Zeroizing<[u8; 32]>,
        c2l: Zeroizing<[u8; 32]>,
        l2c: Zeroizing<[u8; 32]>,
        th: [u8; 32],
    }

    fn transcript(serial: &str, msg_a: &[u8], msg_b: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in [
            &b"tumbler/v1 claim\0"[..],
            serial.as_bytes(),
            &[0],
            msg_a,
            msg_b,
        ] {
            h.update(part);
        }
        h.finalize().into()
    }

    fn derive(pake_key: &[u8], th: [u8; 32]) -> Result<Keys, ClaimError> {
        let hk = Hkdf::<Sha256>::new(Some(&th), pake_key);
        let out = |label: &[u8]| -> Result<Zeroizing<[u8; 32]>, ClaimError> {
            let mut k = Zeroizing::new([0u8; 32]);
            hk.expand(label, &mut k[..])
                .map_err(|_| ClaimError::LogicBug)?;
            Ok(k)
        };
        Ok(Keys {
            confirm_lock: out(b"confirm lock")?,
            confirm_ctrl: out(b"confirm controller")?,
            c2l: out(b"seal controller->lock")?,
            l2c: out(b"seal lock->controller")?,
            th,
        })
    }

    fn mac(key: &[u8; 32], th: &[u8; 32]) -> Result<[u8; 32], ClaimError> {
        let mut m = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key)
            .map_err(|_| ClaimError::LogicBug)?;
        m.update(th);
        Ok(m.finalize().into_bytes().into())
    }

    fn check_mac(key: &[u8; 32], th: &[u8; 32], got: &[u8; 32]) -> Result<(), ClaimError> {
        let want = mac(key, th)?;
        if bool::from(want.ct_eq(got)) {
            Ok(())
        } else {
            Err(ClaimError::KeyConfirmationFailed)
        }
    }

    fn seal<T: Serialize>(
        key: &[u8; 32],
        th: &[u8; 32],
        value: &T,
    ) -> Result<heapless::Vec<u8, SEALED_MAX>, ClaimError> {
        let mut buf = Zeroizing::new([0u8; SEALED_MAX]);
        let room = buf.get_mut(..SEALED_MAX - 16).ok_or(ClaimError::LogicBug)?;
        let n = postcard::to_slice(value, room)
            .map_err(|_| ClaimError::LogicBug)?
            .len();
        let cipher =
            ChaCha20Poly1305::new(<&Key>::try_from(&key[..]).map_err(|_| ClaimError::LogicBug)?);
        let (body, rest) = buf.split_at_mut(n);
        let tag = cipher
            .encrypt_inout_detached(&Nonce::default(), th, body.into())
            .map_err(|_| ClaimError::LogicBug)?;
        rest.get_mut(..16)
            .ok_or(ClaimError::LogicBug)?
            .copy_from_slice(&tag);
        heapless::Vec::from_slice(buf.get(..n + 16).ok_or(ClaimError::LogicBug)?)
            .map_err(|_| ClaimError::LogicBug)
    }

    fn open<T: serde::de::DeserializeOwned>(
        key: &[u8; 32],
        th: &[u8; 32],
        sealed: &[u8],
    ) -> Result<T, ClaimError> {
        let n = sealed
            .len()
            .checked_sub(16)
            .ok_or(ClaimError::BadSealedPayload)?;
        let mut buf = Zeroizing::new([0u8; SEALED_MAX]);
        let body = buf.get_mut(..n).ok_or(ClaimError::BadSealedPayload)?;
        body.copy_from_slice(sealed.get(..n).ok_or(ClaimError::BadSealedPayload)?);
        let tag = Tag::try_from(sealed.get(n..).ok_or(ClaimError::BadSealedPayload)?)
            .map_err(|_| ClaimError::BadSealedPayload)?;
        let cipher =
            ChaCha20Poly1305::new(<&Key>::try_from(&key[..]).map_err(|_| ClaimError::LogicBug)?);
        cipher
            .decrypt_inout_detached(&Nonce::default(), th, body.into(), &tag)
            .map_err(|_| ClaimError::BadSealedPayload)?;
        let (v, rest) =
            postcard::take_from_bytes::<T>(body).map_err(|_| ClaimError::BadSealedPayload)?;
        if !rest.is_empty() {
            return Err(ClaimError::BadSealedPayload);
        }
        Ok(v)
    }

    fn pake_vec(v: &[u8]) -> Result<heapless::Vec<u8, PAKE_MSG_MAX>, ClaimError> {
        heapless::Vec::from_slice(v).map_err(|_| ClaimError::LogicBug)
    }

    /// Controller side, waiting for [`ClaimReply`].
    pub struct ClaimController {
        pake: Spake2<Ed25519Group>,
        serial: heapless::String<{ crate::reset_token::SERIAL_MAX }>,
        msg_a: heapless::Vec<u8, PAKE_MSG_MAX>,
    }

    impl core::fmt::Debug for ClaimController {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("ClaimController")
                .field("serial", &self.serial)
                .finish_non_exhaustive()
        }
    }

    /// Controller side, waiting for [`ClaimDone`].
    pub struct ClaimControllerFinishing {
        keys: Keys,
    }

    impl core::fmt::Debug for ClaimControllerFinishing {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("ClaimControllerFinishing { .. }")
        }
    }

    impl ClaimController {
        /// Begin claiming the lock `serial` with its setup code.
        pub fn start<R: CryptoRng>(
            setup_code: &[u8],
            serial: &str,
            rng: &mut R,
        ) -> Result<(Self, ClaimStart), ClaimError> {
            let serial = heapless::String::try_from(serial).map_err(|_| ClaimError::BadSerial)?;
            let (pake, msg) = Spake2::<Ed25519Group>::start_a_with_rng(
                &Password::new(setup_code),
                &Identity::new(ID_CONTROLLER),
                &Identity::new(serial.as_bytes()),
                rng,
            );
            let msg_a = pake_vec(&msg)?;
            Ok((
                ClaimController {
                    pake,
                    serial,
                    msg_a: msg_a.clone(),
                },
                ClaimStart { pake: msg_a },
            ))
        }

        /// Handle the lock's reply: verify its key confirmation, then send ours with this
        /// controller's public key (`key`) and `label`, encrypted.
        pub fn handle_reply(
            self,
            reply: &ClaimReply,
            key: &ControllerKey,
            label: Name,
        ) -> Result<(ClaimControllerFinishing, ClaimFinish), ClaimError> {
            let k = self
                .pake
                .finish(&reply.pake)
                .map_err(|_| ClaimError::BadPakeMessage)?;
            let k = Zeroizing::new(k);
            let th = transcript(&self.serial, &self.msg_a, &reply.pake);
            let keys = derive(&k[..], th)?;
            check_mac(&keys.confirm_lock, &keys.th, &reply.confirm)?;
            let confirm = mac(&keys.confirm_ctrl, &keys.th)?;
            let sealed = seal(
                &keys.c2l,
                &keys.th,
                &ControllerInfo {
                    public_key: key.public(),
                    label,
                },
            )?;
            Ok((
                ClaimControllerFinishing { keys },
                ClaimFinish { confirm, sealed },
            ))
        }
    }

    impl ClaimControllerFinishing {
        /// Handle [`ClaimDone`]: the controller is paired as admin; returns its endpoint
        /// and the lock's factory identity key (to pin for reset records/self-checks).
        pub fn handle_done(
            self,
            done: &ClaimDone,
            key: ControllerKey,
        ) -> Result<Claimed, ClaimError> {
            let info: LockInfo = open(&self.keys.l2c, &self.keys.th, &done.sealed)?;
            Ok(Claimed {
                endpoint: ControllerEndpoint::new(
                    key,
                    info.lock_public,
                    info.controller,
                    Role::Admin,
                    Counters::new(),
                ),
                factory_public: info.factory_public,
            })
        }
    }

    /// Lock side, waiting for [`ClaimFinish`].
    pub struct ClaimLock {
        keys: Keys,
    }

    impl core::fmt::Debug for ClaimLock {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("ClaimLock { .. }")
        }
    }

    impl ClaimLock {
        /// Answer a [`ClaimStart`] (only in setup mode: the caller checks its policy;
        /// [`ClaimLock::handle_finish`] also refuses if a controller is paired).
        pub fn respond<R: CryptoRng>(
            setup_code: &[u8],
            serial: &str,
            start: &ClaimStart,
            rng: &mut R,
        ) -> Result<(Self, ClaimReply), ClaimError> {
            let (pake, msg_b) = Spake2::<Ed25519Group>::start_b_with_rng(
                &Password::new(setup_code),
                &Identity::new(ID_CONTROLLER),
                &Identity::new(serial.as_bytes()),
                rng,
            );
            let k = Zeroizing::new(
                pake.finish(&start.pake)
                    .map_err(|_| ClaimError::BadPakeMessage)?,
            );
            let th = transcript(serial, &start.pake, &msg_b);
            let keys = derive(&k[..], th)?;
            let confirm = mac(&keys.confirm_lock, &keys.th)?;
            Ok((
                ClaimLock { keys },
                ClaimReply {
                    pake: pake_vec(&msg_b)?,
                    confirm,
                },
            ))
        }

        /// Handle [`ClaimFinish`]: verify the controller's confirmation, pair it as
        /// admin in `table`, and answer with the lock's operational public key and its
        /// factory identity public key (`factory_public`, Ed25519).
        pub fn handle_finish<const N: usize>(
            self,
            finish: &ClaimFinish,
            operational: &OperationalKey,
            factory_public: PublicKeyBytes,
            table: &mut ControllerTable<N>,
        ) -> Result<(ControllerId, ClaimDone), ClaimError> {
            check_mac(&self.keys.confirm_ctrl, &self.keys.th, &finish.confirm)?;
            let info: ControllerInfo = open(&self.keys.c2l, &self.keys.th, &finish.sealed)?;
            if !table.is_empty() {
                return Err(ClaimError::AlreadyClaimed);
            }
            let lock_info = LockInfo {
                lock_public: operational.public(),
                controller: ControllerId(table.next_id()),
                factory_public,
            };
            let sealed = seal(&self.keys.l2c, &self.keys.th, &lock_info)?;
            let id = table
                .pair(info.public_key, Role::Admin, info.label)
                .map_err(ClaimError::Pair)?;
            if id != lock_info.controller {
                return Err(ClaimError::LogicBug);
            }
            Ok((id, ClaimDone { sealed }))
        }
    }
}
