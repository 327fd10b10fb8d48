//! [`ClaimFlow`]: claiming a lock in setup mode, driven frame by frame by the hub's
//! message loop. Wraps proto's SPAKE2 machines (`ClaimController`,
//! `ClaimControllerFinishing`); ends in a [`Binding`].
//!
//! ```text
//! hub                                   broker                         lock (setup mode)
//! ClaimFlow::start ─ Start ──► tumbler/v1/<serial>/down ──────────────►
//!                                                       ◄─ Reply ── up
//! flow.on_frame(Reply) = Send(Finish) ─► down ─────────────────────────►
//!                                                       ◄─ Done ─── up
//! flow.on_frame(Done)  = Done(Binding)  → persist it
//! ```
//!
//! The in-progress flow holds SPAKE2 state and is not serialisable: keep it in memory
//! for the few seconds the exchange takes (one HTTP request), with a timeout in the
//! caller; on timeout or error, start again.

use core::fmt;

use rand_core::CryptoRng;
use tumbler_proto::{frame_kind, ControllerKey, DecodeError, FrameKind, Name, Plain, Serial};

use tumbler_proto::claim::{ClaimController, ClaimControllerFinishing, ClaimMessage};

use crate::binding::Binding;

/// What to do after a frame.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClaimStep {
    /// Publish this frame on `tumbler/v1/<serial>/down`, keep waiting.
    Send(Vec<u8>),
    /// Claimed: persist the binding (encrypted at rest), then send `GetStatus` so the
    /// binding learns the reset-counter baseline.
    Done(Box<Binding>),
    /// The frame is not part of this exchange (a retained reset record, a self-check,
    /// an envelope): nothing changed, keep waiting.
    Ignored,
}

/// Why a claim failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{self:?}")]
pub enum ClaimError {
    /// The lock's key confirmation failed: the setup code is wrong (or someone else
    /// answered). The flow is over; the lock counts the attempt towards its lockout.
    WrongSetupCode,
    /// The lock refuses claims for this many more seconds after too many wrong setup
    /// codes (it said so in answer to the start, which cost no attempt). The flow is
    /// over; nothing changed.
    Throttled {
        /// Seconds until the lock takes a claim again.
        retry_after_s: u32,
    },
    /// The setup code is not [`tumbler_proto::claim::SETUP_CODE_DIGITS`] digits: it
    /// cannot be the printed one, so no frame was made (it would cost an attempt).
    BadSetupCode,
    /// The serial is empty or longer than `tumbler_proto::SERIAL_MAX`.
    BadSerial,
    /// The label is longer than `tumbler_proto::NAME_MAX` bytes.
    BadLabel,
    /// A plain frame that does not decode. The flow continues (nothing changed).
    Malformed(DecodeError),
    /// The lock's reply or final message is invalid or tampered. The flow is over.
    Protocol(tumbler_proto::claim::ClaimError),
    /// The flow already finished or failed: start a new one.
    Over,
    /// Internal inconsistency; the flow is over.
    LogicBug,
}

fn map_proto(e: tumbler_proto::claim::ClaimError) -> ClaimError {
    match e {
        tumbler_proto::claim::ClaimError::KeyConfirmationFailed => ClaimError::WrongSetupCode,
        tumbler_proto::claim::ClaimError::BadSerial => ClaimError::BadSerial,
        other => ClaimError::Protocol(other),
    }
}

enum State {
    AwaitReply {
        machine: ClaimController,
        key: ControllerKey,
        label: Name,
    },
    AwaitDone {
        machine: ClaimControllerFinishing,
        key: ControllerKey,
    },
    Over,
}

/// A claim in progress. Redacted `Debug`.
pub struct ClaimFlow {
    serial: Serial,
    state: State,
}

impl fmt::Debug for ClaimFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::AwaitReply { .. } => "await-reply",
            State::AwaitDone { .. } => "await-done",
            State::Over => "over",
        };
        f.debug_struct("ClaimFlow")
            .field("serial", &self.serial)
            .field("state", &state)
            .finish()
    }
}

fn encode(msg: &ClaimMessage) -> Result<Vec<u8>, ClaimError> {
    let mut buf = vec![0u8; tumbler_proto::MAX_MESSAGE_LEN];
    let n = msg.encode(&mut buf).map_err(|_| ClaimError::LogicBug)?;
    buf.truncate(n);
    Ok(buf)
}

impl ClaimFlow {
    /// Begin claiming lock `serial` with the `setup_code` from its label. Generates
    /// this controller's key for the lock; `label` is how the lock lists the hub.
    /// Returns the flow and the first frame to publish on `tumbler/v1/<serial>/down`.
    pub fn start<R: CryptoRng>(
        serial: &str,
        setup_code: &[u8],
        label: &str,
        rng: &mut R,
    ) -> Result<(ClaimFlow, Vec<u8>), ClaimError> {
        if serial.is_empty() {
            return Err(ClaimError::BadSerial);
        }
        if !tumbler_proto::claim::setup_code_well_formed(setup_code) {
            return Err(ClaimError::BadSetupCode);
        }
        let serial_s = Serial::try_from(serial).map_err(|_| ClaimError::BadSerial)?;
        let label = Name::try_from(label).map_err(|_| ClaimError::BadLabel)?;
        let key = ControllerKey::generate(rng);
        let (machine, start) =
            ClaimController::start(setup_code, serial, rng).map_err(map_proto)?;
        let frame = encode(&ClaimMessage::Start(start))?;
        Ok((
            ClaimFlow {
                serial: serial_s,
                state: State::AwaitReply {
                    machine,
                    key,
                    label,
                },
            },
            frame,
        ))
    }

    /// The lock being claimed.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// Whether the flow finished or failed (every further frame gives `Err(Over)`).
    pub fn is_over(&self) -> bool {
        matches!(self.state, State::Over)
    }

    /// Feed a frame from `tumbler/v1/<serial>/up`.
    pub fn on_frame(&mut self, frame: &[u8]) -> Result<ClaimStep, ClaimError> {
        if self.is_over() {
            return Err(ClaimError::Over);
        }
        if frame_kind(frame) != FrameKind::Plain {
            return Ok(ClaimStep::Ignored);
        }
        let msg = Plain::decode(frame).map_err(ClaimError::Malformed)?;
        if let (State::AwaitReply { .. }, ClaimMessage::Throttled { retry_after_s }) =
            (&self.state, &msg)
        {
            self.state = State::Over;
            return Err(ClaimError::Throttled {
                retry_after_s: *retry_after_s,
            });
        }
        let expected = matches!(
            (&self.state, &msg),
            (State::AwaitReply { .. }, ClaimMessage::Reply(_))
                | (State::AwaitDone { .. }, ClaimMessage::Done(_))
        );
        if !expected {
            return Ok(ClaimStep::Ignored);
        }
        match (core::mem::replace(&mut self.state, State::Over), msg) {
            (
                State::AwaitReply {
                    machine,
                    key,
                    label,
                },
                ClaimMessage::Reply(reply),
            ) => {
                let (machine, finish) = machine
                    .handle_reply(&reply, &key, label)
                    .map_err(map_proto)?;
                let frame = encode(&ClaimMessage::Finish(finish))?;
                self.state = State::AwaitDone { machine, key };
                Ok(ClaimStep::Send(frame))
            }
            (State::AwaitDone { machine, key }, ClaimMessage::Done(done)) => {
                let claimed = machine.handle_done(&done, key).map_err(map_proto)?;
                // The factory key arrived over the PAKE-authenticated channel: pin it,
                // so reset records and self-checks can be verified from the start.
                let binding =
                    Binding::new(&self.serial, claimed.endpoint, Some(claimed.factory_public))
                        .map_err(|_| ClaimError::LogicBug)?;
                Ok(ClaimStep::Done(Box::new(binding)))
            }
            _ => Err(ClaimError::LogicBug),
        }
    }
}
