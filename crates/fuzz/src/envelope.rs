//! Envelope opening and signature checks with the right keys: genuine envelopes of every
//! message, sealed both ways by a paired lock and hub, then mutated (bit flips, truncation,
//! splices, header-only and body-only damage) or replaced by random bytes, and opened by
//! both ends; genuine factory-signed plain frames (reset record, self-check, statement),
//! mutated, decoded and verified with the factory key.

use crate::fixtures;
use crate::mutate::{self, Origin};
use rand_chacha::ChaCha20Rng;
use tumbler_proto::claim::ClaimMessage;
use tumbler_proto::envelope::HEADER_LEN;
use tumbler_proto::{
    authorize, frame_kind, ControllerEndpoint, ControllerTable, Down, FrameKind, LockEndpoint,
    LockStatement, OpenError, Role, SignedLockStatement, VerifyingKey, MAX_ENVELOPE_LEN,
};

const MAX_INPUT: usize = MAX_ENVELOPE_LEN + 64;

/// The envelope target: a paired lock and hub (their state before any frame), and the
/// genuine frames both sealed.
#[derive(Debug)]
pub struct Envelope {
    lock: LockEndpoint,
    table: ControllerTable<4>,
    hub: ControllerEndpoint,
    factory: VerifyingKey,
    frames: Vec<Vec<u8>>,
}

impl Envelope {
    /// Pairs a lock and a hub, seals every `Down` (hub → lock) and every `Up` (lock → hub),
    /// and signs the plain announcements with the factory key.
    pub fn new() -> Self {
        let p = fixtures::paired(1, Role::Admin);
        let (lock, table, hub) = (p.lock, p.table, p.hub);
        let mut frames = Vec::new();
        let mut sender_hub = hub.clone();
        let mut buf = vec![0u8; MAX_ENVELOPE_LEN];
        for d in fixtures::all_downs() {
            if let Ok(n) = sender_hub.seal(&d, &mut buf) {
                frames.extend(buf.get(..n).map(<[u8]>::to_vec));
            }
        }
        let mut sender_table = table.clone();
        for u in fixtures::all_ups() {
            if let Ok(n) = lock.seal(&mut sender_table, hub.id(), &u, &mut buf) {
                frames.extend(buf.get(..n).map(<[u8]>::to_vec));
            }
        }
        let factory_key = fixtures::signing_key(5);
        let statement = LockStatement {
            serial: fixtures::serial(),
            challenge: [4; 16],
            reset_counter: 2,
            setup_mode: false,
            lock_key: lock.key().key_id(),
        };
        let mut plain = vec![
            ClaimMessage::ResetRecord(fixtures::reset_record()),
            ClaimMessage::SelfCheck(fixtures::self_check()),
        ];
        if let Ok(s) = SignedLockStatement::sign(statement, &factory_key) {
            plain.push(ClaimMessage::Statement(s));
        }
        for m in plain {
            if let Ok(n) = m.encode(&mut buf) {
                frames.extend(buf.get(..n).map(<[u8]>::to_vec));
            }
        }
        Envelope {
            lock,
            table,
            hub,
            factory: factory_key.verifying_key(),
            frames,
        }
    }

    /// The genuine frames (envelopes both ways, then signed plain frames).
    pub fn frames(&self) -> &[Vec<u8>] {
        &self.frames
    }
}

impl Default for Envelope {
    fn default() -> Self {
        Self::new()
    }
}

/// A label for an [`OpenError`] (without its payload).
pub(crate) fn open_label(e: &OpenError) -> &'static str {
    match e {
        OpenError::Truncated => "truncated",
        OpenError::TooLong => "too-long",
        OpenError::UnsupportedVersion(_) => "version",
        OpenError::Malformed => "malformed",
        OpenError::WrongDirection => "wrong-direction",
        OpenError::WrongLockKey => "wrong-lock-key",
        OpenError::UnknownController => "unknown-controller",
        OpenError::RemovedController => "removed-controller",
        OpenError::OtherRecipient => "other-recipient",
        OpenError::WrongControllerKey => "wrong-controller-key",
        OpenError::Replayed => "replayed",
        OpenError::Reordered => "reordered",
        OpenError::AuthFailed => "auth-failed",
        OpenError::Decode(_) => "decode",
        OpenError::WeakKey => "weak-key",
        OpenError::LogicBug => "logic-bug",
        _ => "other",
    }
}

impl crate::Target for Envelope {
    fn name(&self) -> &'static str {
        "envelope"
    }

    fn input(&self, rng: &mut ChaCha20Rng) -> (Vec<u8>, Origin) {
        // A quarter damage only the header or only the body of one genuine frame, so the
        // checks behind a valid header (replay window, AEAD, decode) are reached often.
        let genuine = if mutate::below(rng, 4) == 0 {
            mutate::pick(rng, &self.frames)
        } else {
            None
        };
        if let Some(frame) = genuine {
            let mut v = frame.clone();
            let split = HEADER_LEN.min(v.len());
            let (head, tail) = v.split_at_mut(split);
            let part: &mut [u8] = if mutate::below(rng, 2) == 0 {
                head
            } else {
                tail
            };
            let mut bytes = part.to_vec();
            let len = bytes.len();
            mutate::mutate_once(rng, &mut bytes, &[], len);
            // Same-length damage in place; length changes apply to the whole frame.
            if bytes.len() == len {
                part.copy_from_slice(&bytes);
            } else {
                mutate::mutate_once(rng, &mut v, &self.frames, MAX_INPUT);
            }
            return (v, Origin::Mutated);
        }
        mutate::make(rng, &self.frames, MAX_INPUT)
    }

    fn run(&self, input: &[u8]) -> String {
        // Each input meets both ends in their state before any frame: a genuine frame opens.
        let mut table = self.table.clone();
        let at_lock = match self.lock.open(&mut table, input) {
            Ok(v) => match &v.message {
                Down::Request(r) => match authorize(v.role, &r.command) {
                    Ok(()) => "ok",
                    Err(_) => "ok-refused",
                },
                _ => "ok",
            },
            Err(e) => open_label(&e),
        };
        let mut hub = self.hub.clone();
        let at_hub = match hub.open(input) {
            Ok(_) => "ok",
            Err(e) => open_label(&e),
        };
        let signed = match frame_kind(input) {
            FrameKind::Plain => match ClaimMessage::decode(input) {
                Ok(ClaimMessage::ResetRecord(r)) => verdict(r.verify(&self.factory).is_ok()),
                Ok(ClaimMessage::SelfCheck(s)) => verdict(s.verify(&self.factory).is_ok()),
                Ok(ClaimMessage::Statement(s)) => verdict(s.verify(&self.factory).is_ok()),
                Ok(_) => "unsigned",
                Err(_) => "undecodable",
            },
            _ => "-",
        };
        format!("lock:{at_lock} hub:{at_hub} signed:{signed}")
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "verified"
    } else {
        "bad-signature"
    }
}
