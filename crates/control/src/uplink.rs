//! Everything that can arrive for a bound lock on `tumbler/v1/<serial>/up` (envelopes
//! and plain factory-signed frames) and `tumbler/v1/<serial>/status` (retained
//! availability), classified into [`Uplink`] — including **reset detection**.
//!
//! Reset evidence, and what it proves:
//!
//! | evidence | authenticated by | result |
//! |---|---|---|
//! | envelope bound to another lock key (`OpenError::WrongLockKey`) | nothing (header bytes) | **no change**: [`UplinkError::UnknownLockKey`] (the hub raises an alert and challenges the lock; a real reset then proves itself with a statement) |
//! | `Up::ResetNotice` in a valid envelope | the old operational key (+ factory signature when the key is pinned) | [`ResetReason::ResetNotice`] |
//! | plain `ResetRecord` with a reset counter above the baseline | factory key | [`ResetReason::ResetRecord`] |
//! | `Up::Status` whose reset counter is above the baseline | the operational key | [`ResetReason::ResetCounterAdvanced`] |
//! | plain `Statement` with a reset counter above the baseline (any challenge) | factory key | [`ResetReason::Statement`] |
//! | plain `Statement` answering a challenge the hub has outstanding, in setup mode or under another operational key | factory key + fresh challenge | [`ResetReason::Statement`] |
//!
//! A statement is only evidence of what it could not have said before the claim: a
//! higher counter (counters never go back, and the baseline is the claim's), or — bound
//! to a fresh challenge — setup mode or a new key. A replayed old statement (an old or
//! all-zero challenge, the counter at the baseline) changes nothing; a statement whose
//! signature does not verify is [`UplinkError::ForgedStatement`] and changes nothing.
//!
//! Each marks the binding stale ([`crate::Binding::stale`]). A reset record or notice
//! whose factory signature does not verify is rejected
//! ([`UplinkError::ForgedResetRecord`]) and changes nothing. An envelope under another
//! lock key proves nothing — anyone who can rewrite one header byte on the broker can
//! make one — so it is rejected as [`UplinkError::UnknownLockKey`] and changes nothing
//! (issue 13: it used to mark the binding stale, so one forged 43-byte frame cost the
//! owner every credential). A lock that really was reset states so, signed, at its
//! next boot or connect and when the hub challenges it.
//! ([`ResetReason::LockKeyChanged`] stays readable in stored bindings.)

use serde::{Deserialize, Serialize};
use tumbler_proto::{
    frame_kind, Ack, Applied, DecodeError, Event, FrameKind, Header, KeyId, LogBatch, OpenError,
    Plain, SignedLockStatement, SignedResetRecord, SignedSelfCheck, Status, Up, VerifyingKey,
    OFFLINE, ONLINE,
};

use crate::binding::Binding;
pub use crate::reset_reason::ResetReason;

/// Retained availability on the status topic (broker last will). Unauthenticated: a
/// hint for the UI and for when to flush queued operations, never proof of anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Availability {
    /// The lock's MQTT session is up.
    Online,
    /// The broker published the lock's last will.
    Offline,
}

/// One classified uplink frame.
// One uplink value lives briefly between decoding and handling; the log batch
// (8 records with two hashes each) is the largest variant by design.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Uplink {
    /// Quick answer to a command (match `id` to the pending operation).
    Ack(Ack),
    /// Applied result of a command (match `id`).
    Applied(Applied),
    /// Status; baseline reset counter updated. `clock_skew_s` = lock time − `now`.
    Status {
        /// The status.
        status: Status,
        /// Lock clock minus hub clock, seconds (alert on clock drift).
        clock_skew_s: i64,
    },
    /// An event (store it; alerts by `AlarmCode::severity`).
    Event(Event),
    /// Audit-log records: feed them to the lock's [`crate::LogCursor`].
    Log(LogBatch),
    /// The lock was reset: the binding is now stale. `record` is the signed reset
    /// record when the evidence carried one (store it: it seals the old log).
    ResetDetected {
        /// What showed it.
        reason: ResetReason,
        /// The factory-signed record, if any.
        record: Option<SignedResetRecord>,
    },
    /// A genuine reset record of a reset at or before the baseline (e.g. the retained
    /// record of the reset that preceded this claim). Informational.
    PastReset(SignedResetRecord),
    /// A factory-signed self-check of this lock (verified; check the challenge).
    SelfCheck(SignedSelfCheck),
    /// A genuine statement of this lock that shows no reset since the claim (or proves
    /// nothing: replayed, unsolicited at the baseline). Informational.
    Statement(SignedLockStatement),
    /// Availability from the status topic.
    Availability(Availability),
    /// Not for this binding: an envelope for another controller of the same lock, or
    /// claim traffic of someone else. Ignore it.
    Ignored,
}

/// Why an uplink frame was rejected. None of these changes the binding, except
/// `Envelope(OpenError::Decode(_))` (authentic but undecodable: the receive counter
/// advanced, as in proto).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{self:?}")]
pub enum UplinkError {
    /// Empty frame or unknown first byte.
    UnknownFrame,
    /// The envelope was rejected (tampered, replayed, reordered, wrong controller key…).
    Envelope(OpenError),
    /// A plain frame that does not decode.
    Malformed(DecodeError),
    /// A reset record (plain or in a notice) whose factory signature does not verify:
    /// forged. The binding is **not** marked stale.
    ForgedResetRecord,
    /// A self-check whose factory signature does not verify: forged.
    ForgedSelfCheck,
    /// A lock statement whose factory signature does not verify: forged. The binding
    /// is **not** marked stale.
    ForgedStatement,
    /// A genuine record or self-check of another lock (wrong serial).
    WrongSerial,
    /// A plain signed frame arrived but the factory key is not pinned, so it cannot be
    /// verified (see [`crate::Binding::pin_factory_public`]). Nothing changed.
    FactoryKeyUnknown,
    /// A genuine self-check, but bound to another challenge (replayed or stale).
    StaleChallenge,
    /// The binding is already stale: envelopes are no longer opened.
    BindingStale,
    /// An envelope under a lock key this binding does not know (a reset lock, or a
    /// header rewritten on the broker: the bytes prove nothing). Nothing changed.
    UnknownLockKey([u8; 4]),
    /// The status-topic payload is neither `online` nor `offline`.
    BadAvailability,
    /// A message kind this build does not know (newer lock).
    Unsupported,
    /// Internal inconsistency; nothing changed.
    LogicBug,
}

/// Which of a lock's topics a message came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// `tumbler/v1/<serial>/up`: feed to [`Binding::open_uplink`].
    Up,
    /// `tumbler/v1/<serial>/status`: feed to [`Binding::open_status`].
    Status,
    /// `tumbler/v1/<serial>/down`: the hub's own commands (ignore if subscribed).
    Down,
}

/// Split an MQTT topic `tumbler/v1/<serial>/<up|status|down>` into serial and channel
/// (for the hub's message loop, to find the binding). `None` for anything else.
pub fn route_topic(topic: &str) -> Option<(&str, Channel)> {
    let rest = topic.strip_prefix("tumbler/v1/")?;
    let (serial, suffix) = rest.rsplit_once('/')?;
    if serial.is_empty() || serial.contains(['/', '+', '#', '\0']) {
        return None;
    }
    let channel = match suffix {
        "up" => Channel::Up,
        "status" => Channel::Status,
        "down" => Channel::Down,
        _ => return None,
    };
    Some((serial, channel))
}

impl Binding {
    fn factory_key(&self) -> Result<VerifyingKey, UplinkError> {
        let bytes = self.factory_public.ok_or(UplinkError::FactoryKeyUnknown)?;
        // A pinned key that is not a valid point cannot verify anything: treat every
        // signature under it as forged rather than trusting the frame.
        VerifyingKey::from_bytes(&bytes).map_err(|_| UplinkError::ForgedResetRecord)
    }

    /// Verify a reset record against the pinned factory key and this lock's serial.
    /// Without a pinned key: `Err(FactoryKeyUnknown)`.
    fn verify_record(&self, record: &SignedResetRecord) -> Result<(), UplinkError> {
        let key = self.factory_key()?;
        record
            .verify(&key)
            .map_err(|_| UplinkError::ForgedResetRecord)?;
        if record.record.serial != self.serial {
            return Err(UplinkError::WrongSerial);
        }
        Ok(())
    }

    /// Verify a self-check (from `Uplink::SelfCheck` or an `Applied` answer to
    /// `RequestSelfCheck`) for a turnover report: factory signature, this lock's serial,
    /// and the `challenge` the hub sent (freshness).
    pub fn verify_self_check(
        &self,
        check: &SignedSelfCheck,
        challenge: &[u8; 16],
    ) -> Result<(), UplinkError> {
        let key = self.factory_key().map_err(|e| match e {
            UplinkError::ForgedResetRecord => UplinkError::ForgedSelfCheck,
            other => other,
        })?;
        check
            .verify(&key)
            .map_err(|_| UplinkError::ForgedSelfCheck)?;
        if check.report.serial != self.serial {
            return Err(UplinkError::WrongSerial);
        }
        if &check.report.challenge != challenge {
            return Err(UplinkError::StaleChallenge);
        }
        Ok(())
    }

    fn detected(&mut self, reason: ResetReason, record: Option<SignedResetRecord>) -> Uplink {
        self.mark_stale(reason);
        Uplink::ResetDetected { reason, record }
    }

    /// Classify a frame from `tumbler/v1/<serial>/up`. `now` is the hub's clock (Unix
    /// seconds). May advance the receive counter or mark the binding stale: persist the
    /// binding afterwards.
    pub fn open_uplink(&mut self, frame: &[u8], now: u64) -> Result<Uplink, UplinkError> {
        self.open_uplink_challenged(frame, now, &[])
    }

    /// [`Binding::open_uplink`] with the statement challenges the controller has
    /// outstanding for this lock (sent in `StatementRequest`s and not yet answered): a
    /// statement echoing one of them is fresh, so its setup mode and key are believed.
    pub fn open_uplink_challenged(
        &mut self,
        frame: &[u8],
        now: u64,
        challenges: &[[u8; 16]],
    ) -> Result<Uplink, UplinkError> {
        match frame_kind(frame) {
            FrameKind::Envelope => self.open_envelope(frame, now),
            FrameKind::Plain => self.open_plain(frame, challenges),
            FrameKind::Unknown => Err(UplinkError::UnknownFrame),
        }
    }

    /// Judge a lock statement (see the module table). Marks the binding stale when it
    /// proves a reset.
    fn on_statement(
        &mut self,
        signed: SignedLockStatement,
        challenges: &[[u8; 16]],
    ) -> Result<Uplink, UplinkError> {
        let key = self.factory_key().map_err(|e| match e {
            UplinkError::ForgedResetRecord => UplinkError::ForgedStatement,
            other => other,
        })?;
        signed
            .verify(&key)
            .map_err(|_| UplinkError::ForgedStatement)?;
        let st = &signed.statement;
        if st.serial != self.serial {
            return Err(UplinkError::WrongSerial);
        }
        if self.stale.is_some() {
            return Ok(Uplink::Statement(signed));
        }
        let reason = ResetReason::Statement {
            reset_counter: st.reset_counter,
            setup_mode: st.setup_mode,
        };
        let advanced = self.reset_counter.is_some_and(|b| st.reset_counter > b);
        let fresh = st.challenge != tumbler_proto::LockStatement::UNSOLICITED
            && challenges.contains(&st.challenge);
        let behind = self.reset_counter.is_some_and(|b| st.reset_counter < b);
        let other_key = st.lock_key != KeyId::of(&self.endpoint.lock_public());
        if advanced || (fresh && !behind && (st.setup_mode || other_key)) {
            return Ok(self.detected(reason, None));
        }
        Ok(Uplink::Statement(signed))
    }

    /// Classify a payload from `tumbler/v1/<serial>/status` (retained `online` /
    /// last-will `offline`). Pure; does not change the binding.
    pub fn open_status(&self, payload: &[u8]) -> Result<Uplink, UplinkError> {
        if payload == ONLINE {
            Ok(Uplink::Availability(Availability::Online))
        } else if payload == OFFLINE {
            Ok(Uplink::Availability(Availability::Offline))
        } else {
            Err(UplinkError::BadAvailability)
        }
    }

    fn open_envelope(&mut self, frame: &[u8], now: u64) -> Result<Uplink, UplinkError> {
        if self.stale.is_some() {
            return Err(UplinkError::BindingStale);
        }
        let up = match self.endpoint.open(frame) {
            Ok(up) => up,
            Err(OpenError::WrongLockKey) => {
                // Unauthenticated header bytes: evidence of nothing. The hub
                // challenges the lock; a real reset proves itself, signed.
                let header = Header::parse(frame).map_err(UplinkError::Envelope)?;
                let KeyId(key_id) = header.lock_key;
                return Err(UplinkError::UnknownLockKey(key_id));
            }
            Err(OpenError::OtherRecipient) => return Ok(Uplink::Ignored),
            Err(e) => return Err(UplinkError::Envelope(e)),
        };
        match up {
            Up::Ack(a) => Ok(Uplink::Ack(a)),
            Up::Applied(a) => Ok(Uplink::Applied(a)),
            Up::Event(e) => Ok(Uplink::Event(e)),
            Up::Log(b) => Ok(Uplink::Log(b)),
            Up::Status(status) => Ok(self.on_status(status, now)),
            Up::ResetNotice(notice) => {
                // The envelope already proves the lock sent it; check the factory
                // signature too when the key is pinned, so a lock-side bug or a stolen
                // operational key cannot fake a sealed record.
                match self.verify_record(&notice.record) {
                    Ok(()) | Err(UplinkError::FactoryKeyUnknown) => {}
                    Err(e) => return Err(e),
                }
                let reason = ResetReason::ResetNotice {
                    reset_counter: notice.record.record.reset_counter,
                };
                Ok(self.detected(reason, Some(notice.record)))
            }
            _ => Err(UplinkError::Unsupported),
        }
    }

    fn on_status(&mut self, status: Status, now: u64) -> Uplink {
        match self.reset_counter {
            Some(known) if status.reset_counter > known => {
                let reason = ResetReason::ResetCounterAdvanced {
                    from: known,
                    to: status.reset_counter,
                };
                self.detected(reason, None)
            }
            Some(known) if status.reset_counter < known => {
                // Counters never go back on a genuine lock; keep the higher baseline.
                Uplink::Status {
                    status,
                    clock_skew_s: skew(status.time, now),
                }
            }
            _ => {
                self.reset_counter = Some(status.reset_counter);
                Uplink::Status {
                    status,
                    clock_skew_s: skew(status.time, now),
                }
            }
        }
    }

    fn open_plain(&mut self, frame: &[u8], challenges: &[[u8; 16]]) -> Result<Uplink, UplinkError> {
        let plain = Plain::decode(frame).map_err(UplinkError::Malformed)?;
        match plain {
            Plain::ResetRecord(record) => {
                self.verify_record(&record)?;
                let counter = record.record.reset_counter;
                match self.reset_counter {
                    Some(known) if counter > known => {
                        if self.stale.is_some() {
                            return Ok(Uplink::PastReset(record));
                        }
                        let reason = ResetReason::ResetRecord {
                            reset_counter: counter,
                        };
                        Ok(self.detected(reason, Some(record)))
                    }
                    // At or below the baseline, or no baseline yet: the retained record
                    // of the reset before this claim (a lock in setup mode publishes
                    // it). A reset after the claim also rotates the operational key, so
                    // it is caught on the next contact either way.
                    _ => Ok(Uplink::PastReset(record)),
                }
            }
            Plain::SelfCheck(check) => {
                let key = self.factory_key().map_err(|e| match e {
                    UplinkError::ForgedResetRecord => UplinkError::ForgedSelfCheck,
                    other => other,
                })?;
                check
                    .verify(&key)
                    .map_err(|_| UplinkError::ForgedSelfCheck)?;
                if check.report.serial != self.serial {
                    return Err(UplinkError::WrongSerial);
                }
                Ok(Uplink::SelfCheck(check))
            }
            Plain::Statement(signed) => self.on_statement(signed, challenges),
            _ => Ok(Uplink::Ignored),
        }
    }
}

fn skew(lock_time: u64, now: u64) -> i64 {
    let l = i128::from(lock_time);
    let n = i128::from(now);
    i64::try_from(l - n).unwrap_or(if l > n { i64::MAX } else { i64::MIN })
}
