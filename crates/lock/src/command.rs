//! Remote commands from paired controllers (already authenticated by the
//! proto layer) and first-admin pairing. Every command is validated first;
//! a refused command returns a specific [`CommandError`] and changes
//! nothing (apart from the controller's replay counter, which advances for
//! every authentic envelope).

use crate::audit::{AuditResult, What, Who};
use crate::config::{
    CREDENTIALS_PER_USER, HOLIDAY_SCHEDULES, LABEL_LEN, MAX_CONTROLLERS, MAX_USERS, NONCE_VALID_MS,
    WEEK_DAY_SCHEDULES_PER_USER, YEAR_DAY_SCHEDULES_PER_USER,
};
use crate::input::{Command, CommandId, Role};
use crate::lock::{Controller, Lock};
use crate::output::{
    CredentialRef, DataKind, DataOp, Event, LockOp, Output, Reply, ReplyData, Signal, Source,
};
use crate::persist::ItemKey;
use crate::reset::{ResetTrigger, SelfCheckBody, SelfCheckReport};
use crate::schedule::ScheduleError;
use crate::settings::OperatingMode;
use crate::time::Now;
use crate::user::{
    ControllerId, CredentialType, NewCredential, Pin, StoredCredential, User, UserIndex,
};
use crate::CommandError as E;

type CmdResult = Result<ReplyData, E>;

fn user_slot(index: UserIndex) -> Result<usize, E> {
    let i = usize::from(index);
    if i == 0 || i > MAX_USERS {
        return Err(E::IndexOutOfRange);
    }
    Ok(i - 1)
}

fn sched_err(e: ScheduleError) -> E {
    match e {
        ScheduleError::EndBeforeStart => E::ScheduleEndBeforeStart,
        _ => E::BadSchedule,
    }
}

fn is_trivial(pin: &[u8]) -> bool {
    let same = pin.windows(2).all(|w| w.first() == w.get(1));
    let up = pin
        .windows(2)
        .all(|w| matches!((w.first(), w.get(1)), (Some(a), Some(b)) if b.wrapping_sub(*a) == 1));
    let down = pin
        .windows(2)
        .all(|w| matches!((w.first(), w.get(1)), (Some(a), Some(b)) if a.wrapping_sub(*b) == 1));
    same || up || down
}

impl Lock {
    /// Validates a new PIN (length, digits, triviality, uniqueness except
    /// slot `except`) and returns its keyed hash.
    pub(crate) fn validate_pin(
        &self,
        pin: &[u8],
        except: Option<(UserIndex, u8)>,
    ) -> Result<[u8; 32], E> {
        if !pin.iter().all(u8::is_ascii_digit) {
            return Err(E::PinNotDigits);
        }
        if pin.len() < usize::from(self.settings.pin_min_len) {
            return Err(E::PinTooShort);
        }
        if pin.len() > usize::from(self.settings.pin_max_len) {
            return Err(E::PinTooLong);
        }
        if self.settings.forbid_trivial_pins && is_trivial(pin) {
            return Err(E::PinTrivial);
        }
        if let Some(found) = self.find_pin(pin) {
            if Some(found) != except {
                return Err(E::DuplicatePin);
            }
        }
        Ok(self.keys.pin_hash(pin))
    }

    pub(crate) fn pair_first_admin(
        &mut self,
        now: Now,
        pubkey: [u8; 32],
        label: heapless::String<LABEL_LEN>,
        out: &mut Output,
    ) {
        let result = if !self.meta.setup_mode {
            Err(E::NotInSetupMode)
        } else {
            self.add_controller(now, None, pubkey, Role::Admin, label, out)
                .map(ReplyData::Paired)
        };
        if result.is_ok() {
            self.meta.setup_mode = false;
            out.persist.items.insert(ItemKey::Meta);
        }
        out.reply = Some(Reply { id: 0, result });
    }

    fn add_controller(
        &mut self,
        now: Now,
        by: Option<ControllerId>,
        pubkey: [u8; 32],
        role: Role,
        label: heapless::String<LABEL_LEN>,
        out: &mut Output,
    ) -> Result<ControllerId, E> {
        if self.controller_by_key(&pubkey).is_some() {
            return Err(E::AlreadyPaired);
        }
        let idx = self
            .controllers
            .iter()
            .position(Option::is_none)
            .ok_or(E::CapacityFull)?;
        let id = ControllerId(u8::try_from(idx + 1).map_err(|_| E::LogicBug)?);
        let slot = self.controllers.get_mut(idx).ok_or(E::LogicBug)?;
        *slot = Some(Controller {
            pubkey,
            role,
            label,
            counter: 0,
        });
        out.persist.items.insert(ItemKey::Controller(id));
        out.event(Event::LockUserChange {
            kind: DataKind::Controller,
            op: DataOp::Add,
            user: None,
            by,
        });
        let who = by.map_or(Who::Nobody, Who::Controller);
        self.audit(out, now, who, What::Pair, Source::Remote, AuditResult::Ok);
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_command<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        from: ControllerId,
        id: CommandId,
        counter: u64,
        cmd: Command,
        rng: &mut R,
        out: &mut Output,
    ) {
        let result = self.command(now, from, counter, cmd, rng, out);
        if result.is_err() {
            // Refused: nothing but the replay counter may have changed.
            out.motor = None;
        }
        out.reply = Some(Reply { id, result });
    }

    fn command<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        from: ControllerId,
        counter: u64,
        cmd: Command,
        rng: &mut R,
        out: &mut Output,
    ) -> CmdResult {
        let slot = usize::from(from.0)
            .checked_sub(1)
            .ok_or(E::UnknownController)?;
        let c = self
            .controllers
            .get_mut(slot)
            .and_then(|c| c.as_mut())
            .ok_or(E::UnknownController)?;
        if counter <= c.counter {
            return Err(E::Replay);
        }
        c.counter = counter;
        let role = c.role;
        let pubkey = c.pubkey;
        out.persist.items.insert(ItemKey::Controller(from));
        if role != Role::Admin && !cmd.allowed_for_user_role() {
            return Err(E::NotAdmin);
        }
        let by = Some(from);
        match cmd {
            Command::Lock { pin } => self.remote_lock(now, from, pin, out),
            Command::Unlock { pin } => self.remote_unlock(now, from, pubkey, pin, None, out),
            Command::UnlockWithTimeout { timeout_s, pin } => {
                if timeout_s == 0 || timeout_s > 86_400 {
                    return Err(E::BadSetting);
                }
                self.remote_unlock(
                    now,
                    from,
                    pubkey,
                    pin,
                    Some(u64::from(timeout_s) * 1000),
                    out,
                )
            }
            Command::SetUser { index, fields } => {
                let i = user_slot(index)?;
                let slot = self.users.get_mut(i).ok_or(E::LogicBug)?;
                let op = match slot {
                    Some(u) => {
                        u.fields = fields;
                        u.modifier = by;
                        DataOp::Modify
                    }
                    None => {
                        *slot = Some(User::new(fields, by));
                        DataOp::Add
                    }
                };
                self.user_changed(now, from, index, DataKind::User, op, What::UserChange, out);
                Ok(ReplyData::Done)
            }
            Command::ClearUser { index } => {
                let i = user_slot(index)?;
                let slot = self.users.get_mut(i).ok_or(E::LogicBug)?;
                if slot.is_none() {
                    return Err(E::UnknownUser);
                }
                *slot = None;
                self.user_changed(
                    now,
                    from,
                    index,
                    DataKind::User,
                    DataOp::Clear,
                    What::UserChange,
                    out,
                );
                Ok(ReplyData::Done)
            }
            Command::ClearAllUsers => {
                for (i, u) in self.users.iter_mut().enumerate() {
                    if u.take().is_some() {
                        out.persist.items.insert(ItemKey::User(
                            u16::try_from(i + 1).map_err(|_| E::LogicBug)?,
                        ));
                    }
                }
                self.bump_version(out);
                out.event(Event::LockUserChange {
                    kind: DataKind::User,
                    op: DataOp::Clear,
                    user: None,
                    by,
                });
                self.audit(
                    out,
                    now,
                    Who::Controller(from),
                    What::UserChange,
                    Source::Remote,
                    AuditResult::Ok,
                );
                Ok(ReplyData::Done)
            }
            Command::SetCredential {
                user,
                slot,
                credential,
            } => {
                self.set_credential(now, from, user, slot, credential, out)?;
                Ok(ReplyData::Done)
            }
            Command::ClearCredential { user, slot } => {
                let i = user_slot(user)?;
                if usize::from(slot) >= CREDENTIALS_PER_USER {
                    return Err(E::IndexOutOfRange);
                }
                let u = self
                    .users
                    .get_mut(i)
                    .and_then(|u| u.as_mut())
                    .ok_or(E::UnknownUser)?;
                let c = u
                    .credentials
                    .get_mut(usize::from(slot))
                    .ok_or(E::LogicBug)?;
                // Idempotent: clearing an empty slot succeeds and changes nothing.
                if let Some(old) = c.take() {
                    u.modifier = by;
                    let kind = old.kind();
                    self.user_changed(
                        now,
                        from,
                        user,
                        DataKind::Credential(kind),
                        DataOp::Clear,
                        What::CredentialChange,
                        out,
                    );
                }
                Ok(ReplyData::Done)
            }
            Command::ClearCredentialsOfType(kind) => {
                self.clear_credentials(now, from, Some(kind), out)?;
                Ok(ReplyData::Done)
            }
            Command::ClearAllCredentials => {
                self.clear_credentials(now, from, None, out)?;
                Ok(ReplyData::Done)
            }
            Command::SetWeekDaySchedule {
                user,
                slot,
                schedule,
            } => {
                schedule.validate().map_err(sched_err)?;
                let u = self.user_for_schedule(user, slot, WEEK_DAY_SCHEDULES_PER_USER)?;
                let s = u.week_days.get_mut(usize::from(slot)).ok_or(E::LogicBug)?;
                let op = if s.is_some() {
                    DataOp::Modify
                } else {
                    DataOp::Add
                };
                *s = Some(schedule);
                u.modifier = by;
                self.user_changed(
                    now,
                    from,
                    user,
                    DataKind::WeekDaySchedule,
                    op,
                    What::ScheduleChange,
                    out,
                );
                Ok(ReplyData::Done)
            }
            Command::ClearWeekDaySchedule { user, slot } => {
                let u = self.user_for_schedule(user, slot, WEEK_DAY_SCHEDULES_PER_USER)?;
                let s = u.week_days.get_mut(usize::from(slot)).ok_or(E::LogicBug)?;
                if s.take().is_some() {
                    u.modifier = by;
                    self.user_changed(
                        now,
                        from,
                        user,
                        DataKind::WeekDaySchedule,
                        DataOp::Clear,
                        What::ScheduleChange,
                        out,
                    );
                }
                Ok(ReplyData::Done)
            }
            Command::SetYearDaySchedule {
                user,
                slot,
                schedule,
            } => {
                schedule.validate().map_err(sched_err)?;
                let u = self.user_for_schedule(user, slot, YEAR_DAY_SCHEDULES_PER_USER)?;
                let s = u.year_days.get_mut(usize::from(slot)).ok_or(E::LogicBug)?;
                let op = if s.is_some() {
                    DataOp::Modify
                } else {
                    DataOp::Add
                };
                *s = Some(schedule);
                u.modifier = by;
                self.user_changed(
                    now,
                    from,
                    user,
                    DataKind::YearDaySchedule,
                    op,
                    What::ScheduleChange,
                    out,
                );
                Ok(ReplyData::Done)
            }
            Command::ClearYearDaySchedule { user, slot } => {
                let u = self.user_for_schedule(user, slot, YEAR_DAY_SCHEDULES_PER_USER)?;
                let s = u.year_days.get_mut(usize::from(slot)).ok_or(E::LogicBug)?;
                if s.take().is_some() {
                    u.modifier = by;
                    self.user_changed(
                        now,
                        from,
                        user,
                        DataKind::YearDaySchedule,
                        DataOp::Clear,
                        What::ScheduleChange,
                        out,
                    );
                }
                Ok(ReplyData::Done)
            }
            Command::SetHoliday { slot, schedule } => {
                if usize::from(slot) >= HOLIDAY_SCHEDULES {
                    return Err(E::IndexOutOfRange);
                }
                schedule.validate().map_err(sched_err)?;
                let s = self
                    .holidays
                    .get_mut(usize::from(slot))
                    .ok_or(E::LogicBug)?;
                let op = if s.is_some() {
                    DataOp::Modify
                } else {
                    DataOp::Add
                };
                *s = Some(schedule);
                self.holidays_changed(now, from, op, out);
                Ok(ReplyData::Done)
            }
            Command::ClearHoliday { slot } => {
                let s = self
                    .holidays
                    .get_mut(usize::from(slot))
                    .ok_or(E::IndexOutOfRange)?;
                if s.take().is_some() {
                    self.holidays_changed(now, from, DataOp::Clear, out);
                }
                Ok(ReplyData::Done)
            }
            Command::SetSetting(s) => {
                self.settings.apply(s).map_err(|_| E::BadSetting)?;
                self.settings_changed(now, from, out);
                Ok(ReplyData::Done)
            }
            Command::SetOperatingMode(mode) => {
                self.settings.mode = mode;
                self.settings_changed(now, from, out);
                let eff = self.effective_mode(now);
                if eff != self.ram.last_mode {
                    self.ram.last_mode = eff;
                    out.event(Event::ModeChanged(eff));
                    if eff == OperatingMode::Passage {
                        self.ram.timed_relock_ms = None;
                        self.unlock_motor(now, out);
                    } else if self.ram.bolt == crate::output::BoltState::Unlocked {
                        self.arm_relock(now);
                    }
                }
                Ok(ReplyData::Done)
            }
            Command::SetTime { utc_s } => {
                out.set_clock = Some(utc_s);
                Ok(ReplyData::Done)
            }
            Command::SetTimeRule(rule) => {
                rule.validate().map_err(|_| E::BadTimeRule)?;
                self.tz = rule;
                out.persist.items.insert(ItemKey::TimeRule);
                out.event(Event::LockUserChange {
                    kind: DataKind::Settings,
                    op: DataOp::Modify,
                    user: None,
                    by,
                });
                self.audit(
                    out,
                    now,
                    Who::Controller(from),
                    What::SettingsChange,
                    Source::Remote,
                    AuditResult::Ok,
                );
                Ok(ReplyData::Done)
            }
            Command::Reboot => {
                out.reboot = true;
                out.signal = Some(Signal::Rebooting);
                self.audit(
                    out,
                    now,
                    Who::Controller(from),
                    What::Reboot,
                    Source::Remote,
                    AuditResult::Ok,
                );
                Ok(ReplyData::Done)
            }
            Command::FactoryReset => {
                if !self.settings.app_reset_allowed {
                    out.event(Event::ResetRefused {
                        trigger: ResetTrigger::App,
                        reason: crate::output::ResetRefusal::AppResetDisabled,
                    });
                    return Err(E::AppResetDisabled);
                }
                self.try_factory_reset(now, ResetTrigger::App, rng, out)
                    .map(ReplyData::FactoryReset)
                    .map_err(|_| E::BatteryTooLow)
            }
            Command::PairController {
                pubkey,
                role,
                label,
            } => self
                .add_controller(now, by, pubkey, role, label, out)
                .map(ReplyData::Paired),
            Command::UnpairController(id) => {
                self.unpair(now, from, id, out)?;
                Ok(ReplyData::Done)
            }
            Command::LogAck { seq } => {
                if self.log.ack(seq) {
                    out.persist.items.insert(ItemKey::Log);
                }
                Ok(ReplyData::Done)
            }
            Command::GetStatus => Ok(ReplyData::Status(self.status(now))),
            Command::GetUserDigest(index) => {
                user_slot(index)?;
                Ok(ReplyData::UserDigest {
                    digest: self.user_digest(index),
                    version: self.meta.version,
                })
            }
            Command::GetCapabilities => Ok(ReplyData::Capabilities(self.capabilities())),
            Command::SelfCheck { nonce } => Ok(ReplyData::SelfCheck(self.self_check(now, nonce))),
            Command::IssueResetNonce => {
                let mut n = [0u8; 16];
                rng.fill_bytes(&mut n);
                self.ram.nonce = Some((n, now.mono_ms));
                Ok(ReplyData::ResetNonce(n))
            }
            Command::ManufacturerReset(token) => {
                let valid_nonce = self.ram.nonce.is_some_and(|(n, at)| {
                    n == token.nonce && now.mono_ms < at.saturating_add(NONCE_VALID_MS)
                });
                if !valid_nonce {
                    return Err(E::BadNonce);
                }
                // Single use: consumed by any attempt that names it.
                self.ram.nonce = None;
                if !token.verify(&self.factory.manufacturer_pubkey, &self.factory.serial) {
                    return Err(E::BadSignature);
                }
                if now.utc_s.is_none_or(|u| u >= token.expiry_utc) {
                    return Err(E::TokenExpired);
                }
                self.try_factory_reset(now, ResetTrigger::Manufacturer, rng, out)
                    .map(ReplyData::FactoryReset)
                    .map_err(|_| E::BatteryTooLow)
            }
        }
    }

    /// A signed self-check report.
    pub fn self_check(&self, now: Now, nonce: [u8; 16]) -> SelfCheckReport {
        let body = SelfCheckBody {
            serial: self.factory.serial.clone(),
            reset_counter: self.factory.reset_counter,
            nonce,
            users: self.user_count(),
            credentials: self.credential_count(),
            controllers: self.controller_count(),
            setup_mode: self.meta.setup_mode,
            battery_pct: self.ram.battery,
            battery_ok: self
                .ram
                .battery
                .is_some_and(|b| b >= self.settings.reset_battery_min_pct),
            motor_ok: !self.ram.motor_jammed,
            bolt: self.ram.bolt,
            utc_s: now.utc_s,
            mono_ms: now.mono_ms,
        };
        SelfCheckReport::sign(body, &self.factory)
    }

    /// The PIN check of a remote lock or unlock (`RequirePINforRemoteOperation`): refused
    /// without a PIN when the setting asks for one; a given PIN must be a user's, and a wrong
    /// one counts towards the lockout like one typed at the keypad. `Ok(Some((user, slot)))`:
    /// the PIN's owner; `Ok(None)`: no PIN given and none required.
    fn remote_pin(
        &mut self,
        now: Now,
        pin: Option<&Pin>,
        out: &mut Output,
    ) -> Result<Option<(UserIndex, u8)>, E> {
        if self.settings.require_pin_for_remote && pin.is_none() {
            return Err(E::PinRequired);
        }
        let Some(p) = pin else {
            return Ok(None);
        };
        if self.lockout_active(now) {
            return Err(E::LockedOut);
        }
        match self.find_pin(p.as_bytes()) {
            Some(found) => Ok(Some(found)),
            None => {
                // A wrong remote PIN counts towards the lockout too.
                let _ = self.count_wrong(now, Source::Remote, out);
                out.signal = None;
                Err(E::WrongPin)
            }
        }
    }

    /// A remote lock. With a PIN (required or not) the PIN's owner is the actor: their
    /// status, type and schedules apply as for a remote unlock, and a verified PIN resets the
    /// wrong-code budget as any verified credential does.
    fn remote_lock(
        &mut self,
        now: Now,
        from: ControllerId,
        pin: Option<Pin>,
        out: &mut Output,
    ) -> CmdResult {
        match self.effective_mode(now) {
            OperatingMode::Privacy | OperatingMode::NoRemoteLockUnlock | OperatingMode::Passage => {
                return Err(E::ModeRestricted)
            }
            _ => {}
        }
        let acting = self.remote_pin(now, pin.as_ref(), out)?;
        if let Some((u, _)) = acting {
            if let Err(e) = self.user_allows(u, now, true) {
                out.event(Event::LockOperationError {
                    op: LockOp::Lock,
                    source: Source::Remote,
                    error: e,
                    user: Some(u),
                });
                return Err(E::AccessDenied(e));
            }
            if self.security.wrong != 0 || self.security.lockouts != 0 {
                self.security.wrong = 0;
                self.security.lockouts = 0;
                out.persist.items.insert(ItemKey::Security);
            }
        }
        let cred = acting.map(|(user, slot)| CredentialRef {
            kind: CredentialType::Pin,
            user,
            slot,
        });
        self.lock_motor(out);
        out.event(Event::LockOperation {
            op: LockOp::Lock,
            source: Source::Remote,
            user: cred.map(|c| c.user),
            credential: cred,
        });
        let who = cred.map_or(Who::Controller(from), |c| Who::User(c.user));
        self.audit(out, now, who, What::Lock, Source::Remote, AuditResult::Ok);
        Ok(ReplyData::Done)
    }

    fn remote_unlock(
        &mut self,
        now: Now,
        from: ControllerId,
        pubkey: [u8; 32],
        pin: Option<Pin>,
        timed: Option<u64>,
        out: &mut Output,
    ) -> CmdResult {
        match self.effective_mode(now) {
            OperatingMode::Privacy | OperatingMode::NoRemoteLockUnlock => {
                return Err(E::ModeRestricted)
            }
            _ => {}
        }
        // The acting user: the PIN's owner, else the user holding this
        // controller's key as an app-key credential (their limits apply).
        let mut acting: Option<(UserIndex, u8, CredentialType)> = None;
        if let Some((u, s)) = self.remote_pin(now, pin.as_ref(), out)? {
            acting = Some((u, s, CredentialType::Pin));
        } else if let Some((u, s)) = self.find_credential(&StoredCredential::AppKey(pubkey)) {
            acting = Some((u, s, CredentialType::AppKey));
        }
        if let Some((u, _, _)) = acting {
            if let Err(e) = self.user_allows(u, now, true) {
                out.event(Event::LockOperationError {
                    op: LockOp::Unlock,
                    source: Source::Remote,
                    error: e,
                    user: Some(u),
                });
                return Err(E::AccessDenied(e));
            }
        }
        let cred = acting.map(|(u, slot, kind)| CredentialRef {
            kind,
            user: u,
            slot,
        });
        let who = cred.map_or(Who::Controller(from), |c| Who::User(c.user));
        self.grant_as(now, Source::Remote, who, cred, timed, out);
        Ok(ReplyData::Done)
    }

    fn user_for_schedule(&mut self, user: UserIndex, slot: u8, cap: usize) -> Result<&mut User, E> {
        let i = user_slot(user)?;
        if usize::from(slot) >= cap {
            return Err(E::IndexOutOfRange);
        }
        self.users
            .get_mut(i)
            .and_then(|u| u.as_mut())
            .ok_or(E::UnknownUser)
    }

    #[allow(clippy::too_many_arguments)]
    fn user_changed(
        &mut self,
        now: Now,
        from: ControllerId,
        index: UserIndex,
        kind: DataKind,
        op: DataOp,
        what: What,
        out: &mut Output,
    ) {
        out.persist.items.insert(ItemKey::User(index));
        self.bump_version(out);
        out.event(Event::LockUserChange {
            kind,
            op,
            user: Some(index),
            by: Some(from),
        });
        self.audit(
            out,
            now,
            Who::Controller(from),
            what,
            Source::Remote,
            AuditResult::Ok,
        );
    }

    fn holidays_changed(&mut self, now: Now, from: ControllerId, op: DataOp, out: &mut Output) {
        out.persist.items.insert(ItemKey::Holidays);
        self.bump_version(out);
        out.event(Event::LockUserChange {
            kind: DataKind::HolidaySchedule,
            op,
            user: None,
            by: Some(from),
        });
        self.audit(
            out,
            now,
            Who::Controller(from),
            What::ScheduleChange,
            Source::Remote,
            AuditResult::Ok,
        );
    }

    fn settings_changed(&mut self, now: Now, from: ControllerId, out: &mut Output) {
        out.persist.items.insert(ItemKey::Settings);
        out.event(Event::LockUserChange {
            kind: DataKind::Settings,
            op: DataOp::Modify,
            user: None,
            by: Some(from),
        });
        self.audit(
            out,
            now,
            Who::Controller(from),
            What::SettingsChange,
            Source::Remote,
            AuditResult::Ok,
        );
    }

    fn set_credential(
        &mut self,
        now: Now,
        from: ControllerId,
        user: UserIndex,
        slot: u8,
        credential: NewCredential,
        out: &mut Output,
    ) -> Result<(), E> {
        let i = user_slot(user)?;
        if usize::from(slot) >= CREDENTIALS_PER_USER {
            return Err(E::IndexOutOfRange);
        }
        if self.users.get(i).and_then(|u| u.as_ref()).is_none() {
            return Err(E::UnknownUser);
        }
        let here = Some((user, slot));
        let stored = match &credential {
            NewCredential::Pin(p) => StoredCredential::Pin(self.validate_pin(p.as_bytes(), here)?),
            NewCredential::Card(uid) => {
                if uid.is_empty() {
                    return Err(E::BadCredential);
                }
                StoredCredential::Card(uid.clone())
            }
            NewCredential::Fingerprint(s) => StoredCredential::Fingerprint(*s),
            NewCredential::AppKey(k) => StoredCredential::AppKey(*k),
        };
        if !matches!(stored, StoredCredential::Pin(_)) && self.credential_taken(&stored, here) {
            return Err(E::DuplicateCredential);
        }
        let u = self
            .users
            .get_mut(i)
            .and_then(|u| u.as_mut())
            .ok_or(E::LogicBug)?;
        let c = u
            .credentials
            .get_mut(usize::from(slot))
            .ok_or(E::LogicBug)?;
        let op = if c.is_some() {
            DataOp::Modify
        } else {
            DataOp::Add
        };
        *c = Some(stored);
        u.modifier = Some(from);
        self.user_changed(
            now,
            from,
            user,
            DataKind::Credential(credential.kind()),
            op,
            What::CredentialChange,
            out,
        );
        Ok(())
    }

    fn clear_credentials(
        &mut self,
        now: Now,
        from: ControllerId,
        kind: Option<CredentialType>,
        out: &mut Output,
    ) -> Result<(), E> {
        for (i, u) in self.users.iter_mut().enumerate() {
            let Some(u) = u.as_mut() else { continue };
            let mut changed = false;
            for c in u.credentials.iter_mut() {
                if c.as_ref()
                    .is_some_and(|x| kind.is_none_or(|k| x.kind() == k))
                {
                    *c = None;
                    changed = true;
                }
            }
            if changed {
                u.modifier = Some(from);
                out.persist.items.insert(ItemKey::User(
                    u16::try_from(i + 1).map_err(|_| E::LogicBug)?,
                ));
            }
        }
        self.bump_version(out);
        let dk = DataKind::Credential(kind.unwrap_or(CredentialType::Pin));
        out.event(Event::LockUserChange {
            kind: dk,
            op: DataOp::Clear,
            user: None,
            by: Some(from),
        });
        self.audit(
            out,
            now,
            Who::Controller(from),
            What::CredentialChange,
            Source::Remote,
            AuditResult::Ok,
        );
        Ok(())
    }

    /// Unpairing drops only that controller's own access (Matter fabric
    /// removal): its slot and every app-key credential holding its key.
    /// Users it created stay (creator/modifier references become `None`),
    /// so a household's PINs do not vanish with one phone.
    fn unpair(
        &mut self,
        now: Now,
        from: ControllerId,
        id: ControllerId,
        out: &mut Output,
    ) -> Result<(), E> {
        let idx = usize::from(id.0)
            .checked_sub(1)
            .filter(|i| *i < MAX_CONTROLLERS)
            .ok_or(E::IndexOutOfRange)?;
        let slot = self.controllers.get_mut(idx).ok_or(E::LogicBug)?;
        let c = slot.take().ok_or(E::UnknownController)?;
        out.persist.items.insert(ItemKey::Controller(id));
        let key = StoredCredential::AppKey(c.pubkey);
        let mut touched = false;
        for (i, u) in self.users.iter_mut().enumerate() {
            let Some(u) = u.as_mut() else { continue };
            let mut changed = false;
            for cr in u.credentials.iter_mut() {
                if cr.as_ref() == Some(&key) {
                    *cr = None;
                    changed = true;
                }
            }
            if u.creator == Some(id) {
                u.creator = None;
                changed = true;
            }
            if u.modifier == Some(id) {
                u.modifier = None;
                changed = true;
            }
            if changed {
                touched = true;
                out.persist.items.insert(ItemKey::User(
                    u16::try_from(i + 1).map_err(|_| E::LogicBug)?,
                ));
            }
        }
        if touched {
            self.bump_version(out);
        }
        out.event(Event::LockUserChange {
            kind: DataKind::Controller,
            op: DataOp::Clear,
            user: None,
            by: Some(from),
        });
        self.audit(
            out,
            now,
            Who::Controller(from),
            What::Unpair,
            Source::Remote,
            AuditResult::Ok,
        );
        Ok(())
    }
}
