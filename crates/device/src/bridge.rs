//! Translation between the wire (`tumbler-proto`) and the lock (`tumbler-lock`), for what
//! genuinely differs between them. The shared vocabulary (user type and status, credential
//! rule and kind, PIN, operating mode, role, reset trigger, volume) is `tumbler-model`'s and
//! passes through unchanged; what stays here is shape (global vs per-user credential slots,
//! `u32` vs `u8` controller ids, whole settings record vs one setting per command, signed
//! reports) and the wire's coarser codes (errors, alarms, log actions).
//!
//! Pure functions. Conventions the hub must share:
//! - a proto [`CredentialSlot`](p::CredentialSlot) `index` is global:
//!   `index = (user - 1) * CREDENTIALS_PER_USER + slot`, so `ClearCredential { slot }` names the
//!   user too;
//! - controller ids are the lock's slot ids (1..=8) widened to `u32`;
//! - command ids are truncated to 32 bits inside the lock; the reply carries the wire id.

use tumbler_lock as l;
use tumbler_lock::config::CREDENTIALS_PER_USER;
use tumbler_proto as p;

/// Why a wire command has no lock equivalent here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapError {
    /// The simulator does not implement this command yet.
    Unsupported,
    /// An argument cannot be represented on the lock (index, length, slot).
    InvalidArgument,
}

impl From<MapError> for p::ErrorCode {
    fn from(e: MapError) -> Self {
        match e {
            MapError::Unsupported => p::ErrorCode::Unsupported,
            MapError::InvalidArgument => p::ErrorCode::InvalidArgument,
        }
    }
}

fn label<const N: usize>(s: &str) -> heapless::String<N> {
    let mut out = heapless::String::new();
    for c in s.chars() {
        if out.push(c).is_err() {
            break;
        }
    }
    out
}

/// Splits a global credential slot index into (user, per-user slot).
pub fn split_slot(index: u16) -> Result<(l::UserIndex, u8), MapError> {
    let per = u16::try_from(CREDENTIALS_PER_USER).map_err(|_| MapError::InvalidArgument)?;
    let user = index / per + 1;
    let slot = u8::try_from(index % per).map_err(|_| MapError::InvalidArgument)?;
    Ok((user, slot))
}

/// The global credential slot index of (user, per-user slot).
pub fn global_slot(user: l::UserIndex, slot: u8) -> u16 {
    let per = u16::try_from(CREDENTIALS_PER_USER).unwrap_or(u16::MAX);
    user.saturating_sub(1)
        .saturating_mul(per)
        .saturating_add(u16::from(slot))
}

/// Answers `LogFetch { from_seq }`: the lock's unacknowledged audit records with a sequence
/// number `>= from_seq`, oldest first, in batches of at most [`p::LOG_BATCH_MAX`]. Each record
/// carries its predecessor's hash, so the controller checks the chain across batches.
/// `overflow` is the lock's count of records lost to overflow. No records: no batch.
pub fn log_batches(lock: &l::Lock, from_seq: u64, overflow: u32) -> Vec<p::LogBatch> {
    let mut out = Vec::new();
    let mut records: heapless::Vec<p::LogRecord, { p::LOG_BATCH_MAX }> = heapless::Vec::new();
    for r in lock
        .audit_pending()
        .filter(|r| u64::from(r.seq) >= from_seq)
    {
        if records.is_full() {
            out.push(p::LogBatch {
                records: std::mem::take(&mut records),
                overflow,
            });
        }
        let _ = records.push(log_record(r));
    }
    if !records.is_empty() {
        out.push(p::LogBatch { records, overflow });
    }
    out
}

/// Maps the wire's time-zone rule to the lock's. The wire gives transitions in local wall-clock
/// time in force just before them (POSIX-TZ `Mm.w.d/time`), which is the lock's
/// [`l::time::TimeBase::LocalWall`]. Out-of-range values pass through: the lock refuses them
/// (`BadTimeRule` → `InvalidArgument`).
pub fn time_rule(r: &p::TimeRule) -> l::TzRule {
    let tr = |t: &p::Transition| l::time::Transition {
        month: t.month,
        week: t.week,
        weekday: t.weekday,
        minute: t.minute,
        base: l::time::TimeBase::LocalWall,
    };
    l::TzRule {
        std_offset_min: r.std_offset_minutes,
        dst: r.dst.as_ref().map(|d| l::time::DstRule {
            save_min: d.save_minutes,
            start: tr(&d.start),
            end: tr(&d.end),
        }),
    }
}

/// Maps a wire command to the lock's command.
pub fn command(c: &p::Command) -> Result<l::Command, MapError> {
    Ok(match c {
        p::Command::Lock { pin } => l::Command::Lock { pin: pin.clone() },
        p::Command::Unlock { pin } => l::Command::Unlock { pin: pin.clone() },
        p::Command::UnlockWithTimeout { timeout_s, pin } => l::Command::UnlockWithTimeout {
            timeout_s: u32::from(*timeout_s),
            pin: pin.clone(),
        },
        p::Command::SetUser(u) => {
            let mut fields = l::UserFields::new(&u.name, u.user_type);
            fields.status = u.status;
            fields.rule = u.credential_rule;
            l::Command::SetUser {
                index: u.index,
                fields,
            }
        }
        p::Command::ClearUser { index: Some(i) } => l::Command::ClearUser { index: *i },
        p::Command::ClearUser { index: None } => l::Command::ClearAllUsers,
        p::Command::SetCredential {
            slot,
            user,
            credential,
        } => {
            let (owner, s) = split_slot(slot.index)?;
            if owner != *user || slot.kind != credential.kind() {
                return Err(MapError::InvalidArgument);
            }
            let credential = match credential {
                p::Credential::Pin(pn) => l::NewCredential::Pin(pn.clone()),
                p::Credential::Card(uid) => l::NewCredential::Card(
                    heapless::Vec::from_slice(&uid.0).map_err(|_| MapError::InvalidArgument)?,
                ),
                p::Credential::Fingerprint { template } => l::NewCredential::Fingerprint(*template),
                p::Credential::AppKey(k) => l::NewCredential::AppKey(*k),
                _ => return Err(MapError::Unsupported),
            };
            l::Command::SetCredential {
                user: *user,
                slot: s,
                credential,
            }
        }
        p::Command::ClearCredential { slot } => {
            let (user, s) = split_slot(slot.index)?;
            l::Command::ClearCredential { user, slot: s }
        }
        p::Command::SetWeekDaySchedule {
            user,
            slot,
            schedule,
        } => l::Command::SetWeekDaySchedule {
            user: *user,
            slot: *slot,
            schedule: l::schedule::WeekDaySchedule {
                days: schedule.days.0,
                start_min: schedule.start_minute,
                end_min: schedule.end_minute,
            },
        },
        p::Command::ClearWeekDaySchedule { user, slot } => l::Command::ClearWeekDaySchedule {
            user: *user,
            slot: *slot,
        },
        p::Command::SetYearDaySchedule {
            user,
            slot,
            schedule,
        } => l::Command::SetYearDaySchedule {
            user: *user,
            slot: *slot,
            schedule: l::schedule::YearDaySchedule {
                from_utc: i64::try_from(schedule.from).map_err(|_| MapError::InvalidArgument)?,
                to_utc: i64::try_from(schedule.to).map_err(|_| MapError::InvalidArgument)?,
            },
        },
        p::Command::ClearYearDaySchedule { user, slot } => l::Command::ClearYearDaySchedule {
            user: *user,
            slot: *slot,
        },
        p::Command::SetHolidaySchedule { slot, schedule } => l::Command::SetHoliday {
            slot: *slot,
            schedule: l::schedule::HolidaySchedule {
                from_utc: i64::try_from(schedule.from).map_err(|_| MapError::InvalidArgument)?,
                to_utc: i64::try_from(schedule.to).map_err(|_| MapError::InvalidArgument)?,
                mode: schedule.mode,
            },
        },
        p::Command::ClearHolidaySchedule { slot } => l::Command::ClearHoliday { slot: *slot },
        p::Command::SetOperatingMode(m) => l::Command::SetOperatingMode(*m),
        // The wire sets the clock and the time-zone rule in one envelope, but the lock guards
        // each command with the envelope counter, so one command carries it: the rule (the part
        // the lock persists and enforces). The clock part is the driver's (the
        // simulated RTC is the host clock).
        p::Command::SetTime { now, rule } => {
            i64::try_from(*now).map_err(|_| MapError::InvalidArgument)?;
            l::Command::SetTimeRule(time_rule(rule))
        }
        p::Command::Reboot => l::Command::Reboot,
        p::Command::FactoryReset => l::Command::FactoryReset,
        p::Command::IssueResetNonce => l::Command::IssueResetNonce,
        p::Command::ManufacturerReset(t) => l::Command::ManufacturerReset(l::ManufacturerToken {
            nonce: t.nonce.0,
            expiry_utc: i64::try_from(t.expires_at).map_err(|_| MapError::InvalidArgument)?,
            signature: t.signature,
        }),
        p::Command::PairController {
            public_key,
            role,
            label: lb,
        } => l::Command::PairController {
            pubkey: *public_key,
            role: *role,
            label: label(lb),
        },
        p::Command::UnpairController { controller } => l::Command::UnpairController(
            l::ControllerId(u8::try_from(controller.0).map_err(|_| MapError::InvalidArgument)?),
        ),
        p::Command::LogAck { up_to_seq } => l::Command::LogAck {
            seq: u32::try_from(*up_to_seq).map_err(|_| MapError::InvalidArgument)?,
        },
        p::Command::GetStatus => l::Command::GetStatus,
        p::Command::RequestSelfCheck { challenge } => l::Command::SelfCheck { nonce: *challenge },
        p::Command::SetHotelDoor(door) => l::Command::SetHotelDoor(match door {
            Some(d) => Some(hotel_door(d)?),
            None => None,
        }),
        p::Command::DenyCard { number } => l::Command::DenyCard { number: *number },
        p::Command::SetOfflineCodes(codes) => {
            l::Command::SetOfflineCodes(codes.as_ref().map(|c| l::offline::OfflineCodes {
                secret: l::offline::Secret(c.secret),
                epoch: c.epoch,
            }))
        }
        p::Command::DenyOfflineCode { id } => l::Command::DenyOfflineCode { id: *id },
        _ => return Err(MapError::Unsupported),
    })
}

/// The lock's hotel configuration from the wire's. A key that is not an Ed25519 public key
/// is refused here: the lock would take it and then refuse every card.
pub fn hotel_door(d: &p::HotelDoor) -> Result<l::hotel::HotelDoor, MapError> {
    ed25519_dalek::VerifyingKey::from_bytes(&d.key).map_err(|_| MapError::InvalidArgument)?;
    Ok(l::hotel::HotelDoor {
        key: d.key,
        door: l::hotel::Door {
            property: d.property,
            door: d.door,
            guest_room: d.guest_room,
            floor: d.floor,
            zone: d.zone,
            building: d.building,
        },
    })
}

/// Maps a lock command error to the wire's error code.
pub fn error(e: l::CommandError) -> p::ErrorCode {
    use l::CommandError as E;
    match e {
        E::NotAdmin => p::ErrorCode::AdminRequired,
        E::IndexOutOfRange
        | E::BadCredential
        | E::ScheduleEndBeforeStart
        | E::BadSchedule
        | E::BadSetting
        | E::BadTimeRule
        | E::AlreadyPaired
        | E::NotInSetupMode => p::ErrorCode::InvalidArgument,
        E::UnknownUser | E::UnknownController => p::ErrorCode::NotFound,
        E::CapacityFull => p::ErrorCode::CapacityExceeded,
        E::DuplicatePin | E::DuplicateCredential => p::ErrorCode::DuplicatePin,
        E::PinTooShort | E::PinTooLong | E::PinNotDigits | E::PinTrivial => {
            p::ErrorCode::PinRejected
        }
        E::PinRequired => p::ErrorCode::PinRequired,
        E::WrongPin => p::ErrorCode::WrongPin,
        E::LockedOut => p::ErrorCode::LockedOut,
        E::ModeRestricted => p::ErrorCode::ModeForbids,
        E::AppResetDisabled => p::ErrorCode::AppResetDisabled,
        E::BatteryTooLow => p::ErrorCode::LowBattery,
        E::BadSignature => p::ErrorCode::ResetToken(p::ResetTokenError::BadSignature),
        E::TokenExpired => p::ErrorCode::ResetToken(p::ResetTokenError::Expired),
        E::BadNonce => p::ErrorCode::ResetToken(p::ResetTokenError::WrongNonce),
        E::Booting => p::ErrorCode::Busy,
        E::OnlyAtTheDoor => p::ErrorCode::OnlyAtTheDoor,
        _ => p::ErrorCode::Internal,
    }
}

/// Maps a lock reply to the wire's (ack, applied) pair for command `id`. A self-check is
/// re-signed in the wire's format with the factory identity key (`identity_seed`).
pub fn reply(id: p::CommandId, r: &l::Reply, identity_seed: &[u8; 32]) -> (p::Ack, p::Applied) {
    match &r.result {
        Ok(data) => {
            let result = match data {
                l::ReplyData::Paired(c) => {
                    p::CommandResult::ControllerPaired(p::ControllerId(u32::from(c.0)))
                }
                l::ReplyData::ResetNonce(n) => p::CommandResult::ResetNonce(p::ResetNonce(*n)),
                l::ReplyData::SelfCheck(sc) => match self_check(sc, identity_seed) {
                    Some(signed) => p::CommandResult::SelfCheck(signed),
                    None => return refused(id, p::ErrorCode::Internal),
                },
                _ => p::CommandResult::Done,
            };
            (
                p::Ack {
                    id,
                    verdict: p::Verdict::Accepted,
                },
                p::Applied {
                    id,
                    outcome: p::Outcome::Ok(result),
                },
            )
        }
        Err(e) => refused(id, error(*e)),
    }
}

/// The (ack, applied) pair of a command refused before reaching the lock.
pub fn refused(id: p::CommandId, code: p::ErrorCode) -> (p::Ack, p::Applied) {
    (
        p::Ack {
            id,
            verdict: p::Verdict::Refused(code),
        },
        p::Applied {
            id,
            outcome: p::Outcome::Failed(code),
        },
    )
}

fn source(s: l::Source) -> p::OperationSource {
    match s {
        l::Source::Keypad => p::OperationSource::Keypad,
        l::Source::Rfid => p::OperationSource::Card,
        l::Source::Fingerprint => p::OperationSource::Fingerprint,
        l::Source::Remote => p::OperationSource::Remote,
        l::Source::Manual => p::OperationSource::Manual,
        l::Source::Auto => p::OperationSource::Auto,
        l::Source::Button => p::OperationSource::Button,
    }
}

fn op(o: l::output::LockOp) -> p::LockOperationKind {
    match o {
        l::output::LockOp::Lock => p::LockOperationKind::Lock,
        _ => p::LockOperationKind::Unlock,
    }
}

fn alarm(a: l::AlarmCode) -> p::AlarmCode {
    match a {
        l::AlarmCode::LockJammed => p::AlarmCode::LockJammed,
        l::AlarmCode::LockFactoryReset => p::AlarmCode::LockFactoryReset,
        l::AlarmCode::WrongCodeEntryLimit => p::AlarmCode::WrongCodeEntryLimit,
        l::AlarmCode::FrontEsceutcheonRemoved => p::AlarmCode::Tamper,
        l::AlarmCode::DoorForcedOpen => p::AlarmCode::ForcedOpen,
        l::AlarmCode::DoorAjar => p::AlarmCode::DoorAjar,
        l::AlarmCode::LowBattery => p::AlarmCode::LowBattery,
        l::AlarmCode::CriticalBattery => p::AlarmCode::CriticalBattery,
        _ => p::AlarmCode::Duress,
    }
}

fn op_error(e: l::OpError) -> p::OperationErrorCode {
    match e {
        l::OpError::InvalidCredential | l::OpError::SecondFactorNeeded => {
            p::OperationErrorCode::InvalidCredential
        }
        l::OpError::DisabledUser => p::OperationErrorCode::DisabledUser,
        l::OpError::LockedOut => p::OperationErrorCode::LockedOut,
        l::OpError::Jammed => p::OperationErrorCode::Jammed,
        l::OpError::LowBattery => p::OperationErrorCode::InsufficientBattery,
        _ => p::OperationErrorCode::Restricted,
    }
}

/// Maps a lock event to wire events (`None` for events the wire carries elsewhere: bolt and door
/// state travel in `Status`, the reset notice in `ResetNotice`).
pub fn event(e: &l::Event, time: p::UnixTime) -> Option<p::Event> {
    Some(match e {
        l::Event::LockOperation {
            op: o,
            source: s,
            user,
            ..
        } => p::Event::LockOperation {
            kind: op(*o),
            source: source(*s),
            user: *user,
            controller: None,
            time,
        },
        l::Event::LockOperationError {
            op: o,
            source: s,
            error: er,
            user,
        } => p::Event::OperationError {
            kind: op(*o),
            source: source(*s),
            error: op_error(*er),
            user: *user,
            time,
        },
        l::Event::LockUserChange {
            op: o, user, by, ..
        } => p::Event::UserChange {
            kind: p::UserChangeKind::User,
            op: match o {
                l::output::DataOp::Add => p::UserChangeOp::Add,
                l::output::DataOp::Clear => p::UserChangeOp::Clear,
                l::output::DataOp::Modify => p::UserChangeOp::Modify,
            },
            user: *user,
            by: by.map(|c| p::ControllerId(u32::from(c.0))),
            time,
        },
        l::Event::Alarm(a) => p::Event::Alarm {
            code: alarm(*a),
            time,
        },
        l::Event::ResetRefused {
            reason: l::output::ResetRefusal::LowBattery,
            ..
        } => p::Event::Alarm {
            code: p::AlarmCode::ResetRefusedLowBattery,
            time,
        },
        _ => return None,
    })
}

/// Maps the lock's status to the wire's.
pub fn status(s: &l::Status, time: p::UnixTime) -> p::Status {
    p::Status {
        time,
        // Unknown until the first battery report; the driver reports it at every boot.
        battery_percent: s.battery_pct.unwrap_or(0),
        bolt: match s.bolt {
            l::BoltState::Locked => p::BoltState::Locked,
            l::BoltState::Unlocked => p::BoltState::Unlocked,
            l::BoltState::Jammed | l::BoltState::NotFullyLocked => p::BoltState::Jammed,
            _ => p::BoltState::Unknown,
        },
        door: match s.door {
            l::DoorState::Closed => p::DoorState::Closed,
            l::DoorState::Open => p::DoorState::Open,
            l::DoorState::Ajar => p::DoorState::Ajar,
            l::DoorState::Forced => p::DoorState::Forced,
            l::DoorState::Unknown => p::DoorState::Unknown,
        },
        mode: s.effective_mode,
        firmware: FIRMWARE,
        reset_counter: s.reset_counter,
        setup_mode: s.setup_mode,
        credentials: p::CredentialDigest {
            version: s.version,
            digest: s.digest,
        },
        log_head_seq: u64::from(s.log_next_seq),
        log_overflow: s.log_lost,
    }
}

/// The simulated firmware's version.
pub const FIRMWARE: p::FirmwareVersion = p::FirmwareVersion {
    major: 0,
    minor: 1,
    patch: 0,
};

/// Builds the wire's signed reset notice from the lock's sealed record, signed with the factory
/// identity key (the device is the lock's firmware and holds it).
/// The lock's factory-signed statement of its reset state (counter, setup mode, operational
/// key id), bound to `challenge` (all zero when unsolicited: at boot and on connect).
pub fn lock_statement(
    serial: &str,
    lock: &l::Lock,
    challenge: [u8; 16],
    identity_seed: &[u8; 32],
) -> Option<p::SignedLockStatement> {
    let statement = p::LockStatement {
        serial: label(serial),
        challenge,
        reset_counter: lock.reset_counter(),
        setup_mode: lock.is_setup_mode(),
        lock_key: p::StaticKey::from_bytes(*lock.operational_seed()).key_id(),
    };
    let key = p::SigningKey::from_bytes(identity_seed);
    p::SignedLockStatement::sign(statement, &key).ok()
}

/// The wire's reset notice for a sealed reset record, signed with the factory key.
pub fn reset_notice(
    serial: &str,
    rec: &l::SealedResetRecord,
    identity_seed: &[u8; 32],
) -> Option<p::ResetNotice> {
    let record = p::ResetRecord {
        serial: label(serial),
        reset_counter: rec.record.counter,
        trigger: rec.record.trigger,
        time: rec
            .record
            .utc_s
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(0),
        last_seq: u64::from(rec.record.next_seq),
        log_digest: rec.record.old_chain_head,
    };
    let key = p::SigningKey::from_bytes(identity_seed);
    p::SignedResetRecord::sign(record, &key)
        .ok()
        .map(|record| p::ResetNotice { record })
}

/// Maps one audit record to the wire's log record. The lock's record hash chain is kept
/// (`prev_hash`, `hash`: the lock's own hashes, so controllers check the lock's chain); details the lock does not record (which user slot changed, which controller
/// paired) are reported with index 0.
pub fn log_record(r: &l::AuditRecord) -> p::LogRecord {
    use l::What as W;
    let who = match r.who {
        l::Who::Nobody => p::Actor::Local,
        l::Who::User(u) => p::Actor::User(u),
        l::Who::Controller(c) => p::Actor::Controller(p::ControllerId(u32::from(c.0))),
        l::Who::Card(n) => p::Actor::Card(n),
        l::Who::OfflineCode(id) => p::Actor::OfflineCode(id),
    };
    let user = match r.who {
        l::Who::User(u) => u,
        _ => 0,
    };
    let what = match r.what {
        W::Unlock => p::Action::Unlock,
        W::Lock => p::Action::Lock,
        W::UserChange | W::Enrol => p::Action::UserChange(user),
        W::CredentialChange => p::Action::CredentialChange(p::CredentialSlot {
            kind: p::CredentialKind::Pin,
            index: 0,
        }),
        W::ScheduleChange => p::Action::ScheduleChange(user),
        W::SettingsChange => p::Action::SettingsChange,
        W::Pair => p::Action::Pair(p::ControllerId(0)),
        W::Unpair => p::Action::Unpair(p::ControllerId(0)),
        W::Lockout => p::Action::Lockout,
        W::Reboot => p::Action::Reboot,
        W::FactoryReset => p::Action::FactoryReset,
        _ => p::Action::Alarm,
    };
    let how = match r.how {
        l::Source::Keypad => p::Method::Keypad,
        l::Source::Rfid => p::Method::Card,
        l::Source::Fingerprint => p::Method::Fingerprint,
        l::Source::Remote => p::Method::Remote,
        l::Source::Manual => p::Method::Manual,
        l::Source::Auto => p::Method::Auto,
        l::Source::Button => p::Method::Button,
    };
    let result = match r.result {
        l::AuditResult::Ok => p::LogOutcome::Ok,
        l::AuditResult::Denied(e) => p::LogOutcome::Denied(match e {
            l::OpError::InvalidCredential => 1,
            l::OpError::DisabledUser => 2,
            l::OpError::OutsideSchedule => 3,
            l::OpError::LockedOut => 4,
            l::OpError::ModeRestricted => 5,
            l::OpError::TypeRestricted => 6,
            l::OpError::SecondFactorNeeded => 7,
            l::OpError::Jammed => 8,
            l::OpError::LowBattery => 9,
            l::OpError::Booting => 10,
            l::OpError::SetupMode => 11,
            _ => 255,
        }),
    };
    p::LogRecord {
        seq: u64::from(r.seq),
        prev_hash: r.prev,
        hash: r.hash(),
        time: r.utc_s.and_then(|t| u64::try_from(t).ok()).unwrap_or(0),
        who,
        what,
        how,
        result,
    }
}

/// The wire's signed self-check from the lock's (same facts, signed with the factory key).
pub fn self_check(sc: &l::SelfCheckReport, identity_seed: &[u8; 32]) -> Option<p::SignedSelfCheck> {
    let b = &sc.body;
    let report = p::SelfCheckReport {
        serial: label(b.serial.as_str()),
        challenge: b.nonce,
        time: b.utc_s.and_then(|t| u64::try_from(t).ok()).unwrap_or(0),
        reset_counter: b.reset_counter,
        users: b.users,
        credentials: b.credentials,
        controllers: b.controllers,
        setup_mode: b.setup_mode,
        battery_percent: b.battery_pct.unwrap_or(0),
        motor_ok: b.motor_ok,
        firmware: FIRMWARE,
    };
    p::SignedSelfCheck::sign(report, &p::SigningKey::from_bytes(identity_seed)).ok()
}

/// Answers the read-only queries the lock's accessors can serve directly (no state change, so
/// no lock step and nothing to persist): capabilities, slot digests, one user record, settings,
/// one schedule slot.
/// `None` for every other command.
pub fn query(lock: &l::Lock, c: &p::Command) -> Option<p::CommandResult> {
    Some(match c {
        p::Command::GetCapabilities => {
            let k = lock.capabilities();
            let mut types = 0u8;
            for (flag, bit) in [
                (l::output::CAP_PIN, p::CredentialTypes::PIN),
                (l::output::CAP_RFID, p::CredentialTypes::CARD),
                (l::output::CAP_FINGERPRINT, p::CredentialTypes::FINGERPRINT),
                (l::output::CAP_APP_KEY, p::CredentialTypes::APP_KEY),
            ] {
                if k.flags & flag != 0 {
                    types |= bit;
                }
            }
            p::CommandResult::Capabilities(p::Capabilities {
                credential_types: p::CredentialTypes(types),
                max_users: k.max_users,
                max_credentials_per_user: k.credentials_per_user,
                week_day_schedules_per_user: k.week_day_schedules,
                year_day_schedules_per_user: k.year_day_schedules,
                holiday_schedules: k.holidays,
                max_controllers: k.max_controllers,
                pin_min_len: k.pin_min_len,
                pin_max_len: k.pin_max_len,
                pin_alphabet: p::PinAlphabet::Digits,
                trivial_pins: p::TrivialPinRules(if k.pin_forbid_trivial {
                    p::TrivialPinRules::REPEATED | p::TrivialPinRules::SEQUENTIAL
                } else {
                    0
                }),
                pins_unique: k.pin_unique,
            })
        }
        p::Command::GetSlotDigests { from_user } => {
            let mut v = p::SlotDigests::new();
            let max = u16::try_from(tumbler_lock::config::MAX_USERS).unwrap_or(u16::MAX);
            let mut u = (*from_user).max(1);
            while u <= max && !v.is_full() {
                let _ = v.push(p::SlotDigest {
                    user: u,
                    digest: lock.user_digest(u),
                });
                u = u.saturating_add(1);
            }
            p::CommandResult::SlotDigests(v)
        }
        p::Command::GetSettings => p::CommandResult::Settings(settings(lock.settings())),
        p::Command::GetWeekDaySchedule { user, slot } => p::CommandResult::WeekDay(
            lock.user(*user)
                .and_then(|u| u.week_days.get(usize::from(*slot)).copied().flatten())
                .map(|w| p::WeekDaySchedule {
                    days: p::DaysMask(w.days),
                    start_minute: w.start_min,
                    end_minute: w.end_min,
                }),
        ),
        p::Command::GetYearDaySchedule { user, slot } => p::CommandResult::YearDay(
            lock.user(*user)
                .and_then(|u| u.year_days.get(usize::from(*slot)).copied().flatten())
                .map(|y| p::YearDaySchedule {
                    from: u64::try_from(y.from_utc).unwrap_or(0),
                    to: u64::try_from(y.to_utc).unwrap_or(0),
                }),
        ),
        p::Command::GetHolidaySchedule { slot } => {
            p::CommandResult::Holiday(lock.holiday(*slot).map(|h| p::HolidaySchedule {
                from: u64::try_from(h.from_utc).unwrap_or(0),
                to: u64::try_from(h.to_utc).unwrap_or(0),
                mode: h.mode,
            }))
        }
        p::Command::GetUser { index } => {
            p::CommandResult::User(lock.user(*index).map(|u| p::UserRecord {
                index: *index,
                name: label(u.fields.name.as_str()),
                status: u.fields.status,
                user_type: u.fields.user_type,
                credential_rule: u.fields.rule,
                created_by: None,
                modified_by: None,
            }))
        }
        _ => return None,
    })
}

/// The lock's settings as the wire shows them.
pub fn settings(st: &l::Settings) -> p::Settings {
    p::Settings {
        auto_relock_s: st.auto_relock_s,
        wrong_code_limit: st.wrong_code_limit,
        disable_time_s: st.temp_disable_s,
        volume: st.volume,
        local_programming: st.local_programming,
        app_reset_allowed: st.app_reset_allowed,
        reset_hold_s: st.reset_hold_s,
        setup_policy: match st.setup_policy {
            l::SetupPolicy::CompatDefaultPin => p::SetupPolicy::DefaultPinUntilAdmin,
            _ => p::SetupPolicy::SetupCodeOrKeypadAdmin,
        },
        require_pin_for_remote: st.require_pin_for_remote,
        one_touch_locking: st.one_touch_locking,
        status_led: st.status_led,
    }
}

/// The lock's settings with the wire record's fields applied (the fields the wire does
/// not carry, and the operating mode, stay as they are): the lock's `SetSettings`
/// then changes them all or nothing.
pub fn settings_wanted(now: &l::Settings, want: &p::Settings) -> l::Settings {
    let mut st = *now;
    for c in setting_changes(now, want) {
        // Out-of-range values are checked (and refused) by the lock itself.
        match c {
            l::Setting::AutoRelockS(v) => st.auto_relock_s = v,
            l::Setting::WrongCodeLimit(v) => st.wrong_code_limit = v,
            l::Setting::TempDisableS(v) => st.temp_disable_s = v,
            l::Setting::Volume(v) => st.volume = v,
            l::Setting::LocalProgramming(v) => st.local_programming = v,
            l::Setting::AppResetAllowed(v) => st.app_reset_allowed = v,
            l::Setting::ResetHoldS(v) => st.reset_hold_s = v,
            l::Setting::SetupPolicy(v) => st.setup_policy = v,
            l::Setting::RequirePinForRemote(v) => st.require_pin_for_remote = v,
            l::Setting::OneTouchLocking(v) => st.one_touch_locking = v,
            l::Setting::StatusLed(v) => st.status_led = v,
            _ => {}
        }
    }
    st
}

/// The lock settings that differ between `now` and the wanted wire settings, one command each
/// (the wire sends the whole record; the lock changes one setting per command).
pub fn setting_changes(now: &l::Settings, want: &p::Settings) -> Vec<l::Setting> {
    let cur = settings(now);
    let mut v = Vec::new();
    if cur.auto_relock_s != want.auto_relock_s {
        v.push(l::Setting::AutoRelockS(want.auto_relock_s));
    }
    if cur.wrong_code_limit != want.wrong_code_limit {
        v.push(l::Setting::WrongCodeLimit(want.wrong_code_limit));
    }
    if cur.disable_time_s != want.disable_time_s {
        v.push(l::Setting::TempDisableS(want.disable_time_s));
    }
    if cur.volume != want.volume {
        v.push(l::Setting::Volume(want.volume));
    }
    if cur.local_programming != want.local_programming {
        v.push(l::Setting::LocalProgramming(want.local_programming));
    }
    if cur.app_reset_allowed != want.app_reset_allowed {
        v.push(l::Setting::AppResetAllowed(want.app_reset_allowed));
    }
    if cur.reset_hold_s != want.reset_hold_s {
        v.push(l::Setting::ResetHoldS(want.reset_hold_s));
    }
    if cur.setup_policy != want.setup_policy {
        v.push(l::Setting::SetupPolicy(match want.setup_policy {
            p::SetupPolicy::DefaultPinUntilAdmin => l::SetupPolicy::CompatDefaultPin,
            _ => l::SetupPolicy::Secure,
        }));
    }
    if cur.require_pin_for_remote != want.require_pin_for_remote {
        v.push(l::Setting::RequirePinForRemote(want.require_pin_for_remote));
    }
    if cur.one_touch_locking != want.one_touch_locking {
        v.push(l::Setting::OneTouchLocking(want.one_touch_locking));
    }
    if cur.status_led != want.status_led {
        v.push(l::Setting::StatusLed(want.status_led));
    }
    v
}
