//! The wire decoders: every entry point that turns bytes from the broker or the local link
//! into a value — `Down`, `Up`, `ClaimMessage` (codec), the envelope [`Header`] and
//! [`frame_kind`] — on mutated genuine encodings of every message and on random bytes.

use crate::envelope::open_label;
use crate::fixtures;
use crate::mutate::{self, Origin};
use rand_chacha::ChaCha20Rng;
use tumbler_proto::claim::{ClaimController, ClaimLock, ClaimMessage};
use tumbler_proto::{
    frame_kind, ControllerKey, DecodeError, Down, FrameKind, Header, OperationalKey,
    PublicKeyBytes, Up, MAX_ENVELOPE_LEN, MAX_MESSAGE_LEN,
};

/// Largest input: a little over the largest envelope (the decoders' length checks included).
const MAX_INPUT: usize = MAX_ENVELOPE_LEN + 64;

/// The wire target: genuine encodings of every message as seeds.
#[derive(Debug)]
pub struct Wire {
    seeds: Vec<Vec<u8>>,
}

/// Encodes with a message's own encoder; `None` only if the encoder refuses.
fn enc(f: impl Fn(&mut [u8]) -> Result<usize, tumbler_proto::EncodeError>) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; MAX_MESSAGE_LEN];
    let n = f(&mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// One run of the claim, as frames: Start, Reply, Finish, Done (the genuine PAKE encoders).
pub(crate) fn claim_messages(seed: u64) -> Vec<ClaimMessage> {
    let mut r = fixtures::rng(seed);
    let code = b"12345678";
    let serial = "TMB-0001";
    let mut out = Vec::new();
    let hub_key = ControllerKey::generate(&mut r);
    let op = OperationalKey::generate(&mut r);
    let Ok((hub, start)) = ClaimController::start(code, serial, &mut r) else {
        return out;
    };
    out.push(ClaimMessage::Start(start.clone()));
    let Ok((lock, reply)) = ClaimLock::respond(code, serial, &start, &mut r) else {
        return out;
    };
    out.push(ClaimMessage::Reply(reply.clone()));
    let Ok((_hub, finish)) = hub.handle_reply(&reply, &hub_key, fixtures::name("hub")) else {
        return out;
    };
    out.push(ClaimMessage::Finish(finish.clone()));
    let mut table = tumbler_proto::ControllerTable::<4>::new();
    let factory: PublicKeyBytes = [5; 32];
    if let Ok((_, done)) = lock.handle_finish(&finish, &op, factory, &mut table) {
        out.push(ClaimMessage::Done(done));
    }
    out
}

/// Every plain (un-enveloped) frame: the claim steps and the factory-signed announcements.
pub(crate) fn plain_messages() -> Vec<ClaimMessage> {
    let mut m = claim_messages(11);
    m.push(ClaimMessage::ResetRecord(fixtures::reset_record()));
    m.push(ClaimMessage::SelfCheckRequest { challenge: [9; 16] });
    m.push(ClaimMessage::SelfCheck(fixtures::self_check()));
    m.push(ClaimMessage::StatementRequest { challenge: [3; 16] });
    m
}

impl Wire {
    /// Encodes every `Down`, `Up` and plain message with the real encoders, plus a few
    /// sealed envelopes (for the header parser).
    pub fn new() -> Self {
        let mut seeds = Vec::new();
        for d in fixtures::all_downs() {
            seeds.extend(enc(|b| d.encode(b)));
        }
        for u in fixtures::all_ups() {
            seeds.extend(enc(|b| u.encode(b)));
        }
        for c in plain_messages() {
            seeds.extend(enc(|b| c.encode(b)));
        }
        seeds.extend(
            crate::envelope::Envelope::new()
                .frames()
                .iter()
                .take(8)
                .cloned(),
        );
        Wire { seeds }
    }

    /// The genuine seeds.
    pub fn seeds(&self) -> &[Vec<u8>] {
        &self.seeds
    }
}

impl Default for Wire {
    fn default() -> Self {
        Self::new()
    }
}

fn decode_label<T>(r: &Result<T, DecodeError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(DecodeError::Empty) => "empty",
        Err(DecodeError::UnsupportedVersion(_)) => "version",
        Err(DecodeError::Malformed) => "malformed",
        Err(DecodeError::TrailingBytes) => "trailing",
        Err(DecodeError::TooLong) => "too-long",
        Err(_) => "other",
    }
}

impl crate::Target for Wire {
    fn name(&self) -> &'static str {
        "wire"
    }

    fn input(&self, rng: &mut ChaCha20Rng) -> (Vec<u8>, Origin) {
        mutate::make(rng, &self.seeds, MAX_INPUT)
    }

    fn run(&self, input: &[u8]) -> String {
        let down = decode_label(&Down::decode(input));
        let up = decode_label(&Up::decode(input));
        let plain = decode_label(&ClaimMessage::decode(input));
        let header = match Header::parse(input) {
            Ok(_) => "ok",
            Err(e) => open_label(&e),
        };
        let kind = match frame_kind(input) {
            FrameKind::Envelope => "envelope",
            FrameKind::Plain => "plain",
            FrameKind::Unknown => "unknown",
        };
        format!("{kind} down:{down} up:{up} plain:{plain} header:{header}")
    }
}
