//! The access decision: who may open, when, and what a grant or refusal
//! does (motor, signal, events, audit, wrong-code counting and lockout).

use crate::audit::{AuditResult, What, Who};
use crate::config::{COMPAT_DEFAULT_PIN, LOCKOUT_MAX_FACTOR, TWO_FACTOR_WINDOW_MS};
use crate::lock::{Lock, PendingFactor};
use crate::output::{
    AlarmCode, BoltState, CredentialRef, DataKind, DataOp, Event, LockOp, MotorCommand, OpError,
    Output, Signal, Source,
};
use crate::persist::ItemKey;
use crate::settings::{OperatingMode, SetupPolicy};
use crate::time::Now;
use crate::user::{
    CardUid, CredentialRule, CredentialType, StoredCredential, UserIndex, UserStatus, UserType,
};

/// A credential presented at the door.
pub(crate) enum Presented<'a> {
    Pin(&'a [u8]),
    Card(&'a CardUid),
    Finger(Option<u16>),
}

impl Lock {
    /// Appends the step's audit record (at most one per step, so the
    /// store's log and the RAM chain never diverge).
    pub(crate) fn audit(
        &mut self,
        out: &mut Output,
        now: Now,
        who: Who,
        what: What,
        how: Source,
        result: AuditResult,
    ) {
        if out.audit.is_some() {
            return;
        }
        let (rec, lost, reserve) = self
            .log
            .append(who, what, how, result, now.mono_ms, now.utc_s);
        out.audit = Some(rec);
        if reserve {
            // The driver commits items before it appends the record: the floor is on flash
            // before the first number past the old one is.
            out.persist.items.insert(ItemKey::Log);
        }
        if lost {
            out.persist.items.insert(ItemKey::Log);
            out.event(Event::LogOverflow {
                lost: self.log.meta.lost,
            });
        }
    }

    pub(crate) fn bump_version(&mut self, out: &mut Output) {
        self.meta.version = self.meta.version.wrapping_add(1);
        out.persist.items.insert(ItemKey::Meta);
    }

    pub(crate) fn lockout_active(&self, now: Now) -> bool {
        self.ram.lockout_until.is_some_and(|u| now.mono_ms < u)
    }

    /// Counts a wrong code; returns `true` if this reached the limit (the
    /// lockout has then been started, signalled and audited).
    pub(crate) fn count_wrong(&mut self, now: Now, source: Source, out: &mut Output) -> bool {
        self.security.wrong = self.security.wrong.saturating_add(1);
        out.persist.items.insert(ItemKey::Security);
        if self.security.wrong < self.settings.wrong_code_limit {
            return false;
        }
        self.security.wrong = 0;
        self.security.lockouts = self.security.lockouts.saturating_add(1);
        let exp = u32::from(self.security.lockouts.saturating_sub(1)).min(31);
        let factor = 1u64
            .checked_shl(exp)
            .unwrap_or(u64::MAX)
            .min(u64::from(LOCKOUT_MAX_FACTOR));
        let ms = u64::from(self.settings.temp_disable_s) * 1000 * factor;
        self.security.lockout_ms = ms;
        self.ram.lockout_until = Some(now.mono_ms.saturating_add(ms));
        self.ram.clear_keypad();
        out.event(Event::Alarm(AlarmCode::WrongCodeEntryLimit));
        out.signal = Some(Signal::LockedOut);
        self.audit(
            out,
            now,
            Who::Nobody,
            What::Lockout,
            source,
            AuditResult::Denied(OpError::LockedOut),
        );
        true
    }

    pub(crate) fn deny(
        &mut self,
        now: Now,
        source: Source,
        error: OpError,
        user: Option<UserIndex>,
        out: &mut Output,
    ) {
        let who = user.map_or(Who::Nobody, Who::User);
        self.deny_as(now, source, error, user, who, out);
    }

    /// [`Lock::deny`] with the audit record naming `who` (e.g. a hotel card).
    pub(crate) fn deny_as(
        &mut self,
        now: Now,
        source: Source,
        error: OpError,
        user: Option<UserIndex>,
        who: Who,
        out: &mut Output,
    ) {
        if out.signal.is_none() {
            out.signal = Some(if error == OpError::LockedOut {
                Signal::LockedOut
            } else {
                Signal::Denied
            });
        }
        out.event(Event::LockOperationError {
            op: LockOp::Unlock,
            source,
            error,
            user,
        });
        self.audit(
            out,
            now,
            who,
            What::Unlock,
            source,
            AuditResult::Denied(error),
        );
    }

    /// Whether user `u` may open now by this route (status, type, mode, schedules).
    pub(crate) fn user_allows(&self, u: UserIndex, now: Now, remote: bool) -> Result<(), OpError> {
        let user = self.user(u).ok_or(OpError::InvalidCredential)?;
        if user.fields.status == UserStatus::Disabled {
            return Err(OpError::DisabledUser);
        }
        let t = user.fields.user_type;
        match self.effective_mode(now) {
            OperatingMode::Privacy => return Err(OpError::ModeRestricted),
            OperatingMode::Vacation if !remote && t != UserType::Admin => {
                return Err(OpError::ModeRestricted)
            }
            _ => {}
        }
        match t {
            UserType::NonAccess => Err(OpError::TypeRestricted),
            UserType::RemoteOnly if !remote => Err(OpError::TypeRestricted),
            UserType::WeekDaySchedule => {
                let utc = now.utc_s.ok_or(OpError::OutsideSchedule)?;
                let local = self.tz.local(utc);
                if user.week_days.iter().flatten().any(|s| s.contains(&local)) {
                    Ok(())
                } else {
                    Err(OpError::OutsideSchedule)
                }
            }
            UserType::YearDaySchedule => {
                let utc = now.utc_s.ok_or(OpError::OutsideSchedule)?;
                if user.year_days.iter().flatten().any(|s| s.contains(utc)) {
                    Ok(())
                } else {
                    Err(OpError::OutsideSchedule)
                }
            }
            UserType::Expiring => {
                let utc = now.utc_s.ok_or(OpError::OutsideSchedule)?;
                match user.first_use_utc {
                    Some(f)
                        if utc
                            >= f.saturating_add(
                                i64::from(self.settings.expiring_user_min) * 60,
                            ) =>
                    {
                        Err(OpError::OutsideSchedule)
                    }
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// A credential presented at the door (keypad, reader, sensor).
    pub(crate) fn local_attempt(
        &mut self,
        now: Now,
        source: Source,
        cred: Presented<'_>,
        out: &mut Output,
    ) {
        let counts = matches!(source, Source::Keypad | Source::Rfid);
        if counts && self.lockout_active(now) {
            return self.deny(now, source, OpError::LockedOut, None, out);
        }
        if let Presented::Pin(p) = &cred {
            if self.meta.setup_mode
                && self.settings.setup_policy == SetupPolicy::CompatDefaultPin
                && *p == COMPAT_DEFAULT_PIN
            {
                out.event(Event::DefaultPinWarning);
                self.grant(now, source, None, None, out);
                out.signal = Some(Signal::DefaultPinWarning);
                return;
            }
        }
        let (found, kind) = match &cred {
            Presented::Pin(p) => (self.find_pin(p), CredentialType::Pin),
            Presented::Card(uid) => (
                self.find_credential(&StoredCredential::Card((*uid).clone())),
                CredentialType::Card,
            ),
            Presented::Finger(Some(s)) => (
                self.find_credential(&StoredCredential::Fingerprint(*s)),
                CredentialType::Fingerprint,
            ),
            Presented::Finger(None) => (None, CredentialType::Fingerprint),
        };
        let Some((u, slot)) = found else {
            if let (Source::Keypad, Presented::Pin(p)) = (source, &cred) {
                if self.offline_code(now, p, out) {
                    return;
                }
            }
            if counts && self.count_wrong(now, source, out) {
                out.event(Event::LockOperationError {
                    op: LockOp::Unlock,
                    source,
                    error: OpError::InvalidCredential,
                    user: None,
                });
                return;
            }
            let err = if self.meta.setup_mode {
                OpError::SetupMode
            } else {
                OpError::InvalidCredential
            };
            return self.deny(now, source, err, None, out);
        };
        if let Err(e) = self.user_allows(u, now, false) {
            return self.deny(now, source, e, Some(u), out);
        }
        let rule = self.user(u).map(|x| x.fields.rule).unwrap_or_default();
        if rule == CredentialRule::TwoFactor {
            let is_pin = kind == CredentialType::Pin;
            let ok = self
                .ram
                .pending
                .is_some_and(|p| p.user == u && p.pin != is_pin && now.mono_ms < p.until);
            if !ok {
                self.ram.pending = Some(PendingFactor {
                    user: u,
                    pin: is_pin,
                    until: now.mono_ms.saturating_add(TWO_FACTOR_WINDOW_MS),
                });
                out.signal = Some(Signal::KeyClick);
                out.event(Event::LockOperationError {
                    op: LockOp::Unlock,
                    source,
                    error: OpError::SecondFactorNeeded,
                    user: Some(u),
                });
                return;
            }
            self.ram.pending = None;
        }
        self.grant(
            now,
            source,
            Some(CredentialRef {
                kind,
                user: u,
                slot,
            }),
            None,
            out,
        );
    }

    /// Opens: motor, signal, event, audit, and the user-type side effects.
    pub(crate) fn grant(
        &mut self,
        now: Now,
        source: Source,
        cred: Option<CredentialRef>,
        timed_relock_ms: Option<u64>,
        out: &mut Output,
    ) {
        let who = cred.map_or(Who::Nobody, |c| Who::User(c.user));
        self.grant_as(now, source, who, cred, timed_relock_ms, out);
    }

    pub(crate) fn grant_as(
        &mut self,
        now: Now,
        source: Source,
        who: Who,
        cred: Option<CredentialRef>,
        timed_relock_ms: Option<u64>,
        out: &mut Output,
    ) {
        let user = cred.map(|c| c.user);
        // Only a verified PIN, card or fingerprint resets the wrong-code
        // budget: an app unlock or the thumb-turn must not hand an attacker
        // at the keypad fresh attempts.
        let verified = cred.is_some_and(|c| c.kind != CredentialType::AppKey);
        if verified && (self.security.wrong != 0 || self.security.lockouts != 0) {
            self.security.wrong = 0;
            self.security.lockouts = 0;
            out.persist.items.insert(ItemKey::Security);
        }
        self.ram.timed_relock_ms = timed_relock_ms;
        self.unlock_motor(now, out);
        out.signal = Some(Signal::Granted);
        out.event(Event::LockOperation {
            op: LockOp::Unlock,
            source,
            user,
            credential: cred,
        });
        if let Some(u) = user {
            let t = self.user(u).map(|x| x.fields.user_type);
            match t {
                Some(UserType::Duress) => {
                    out.event(Event::Alarm(AlarmCode::Duress));
                }
                Some(UserType::Expiring) => {
                    if let Some(x) = self.users.get_mut(usize::from(u).wrapping_sub(1)) {
                        if x.first_use_utc.is_none() {
                            x.first_use_utc = now.utc_s;
                            out.persist.items.insert(ItemKey::User(u));
                        }
                    }
                }
                Some(UserType::OneTime) => {
                    self.users.free(usize::from(u).wrapping_sub(1));
                    out.persist.items.insert(ItemKey::User(u));
                    self.bump_version(out);
                    out.event(Event::LockUserChange {
                        kind: DataKind::User,
                        op: DataOp::Clear,
                        user: Some(u),
                        by: None,
                    });
                }
                _ => {}
            }
        }
        self.audit(out, now, who, What::Unlock, source, AuditResult::Ok);
    }

    pub(crate) fn unlock_motor(&mut self, now: Now, out: &mut Output) {
        if self.ram.bolt == BoltState::Unlocked {
            // Already open: restart the relock timer.
            self.arm_relock(now);
        } else {
            out.motor = Some(MotorCommand::Unlock);
            self.ram.bolt = BoltState::Unlocking;
            self.ram.relock_at = None;
        }
    }

    /// Sets the relock deadline after the bolt reached unlocked: the timed
    /// unlock's timeout if one is pending, else the auto-relock time; none
    /// in passage mode or with auto-relock off.
    pub(crate) fn arm_relock(&mut self, now: Now) {
        let ms = match self.ram.timed_relock_ms {
            Some(t) => Some(t),
            None if self.effective_mode(now) == OperatingMode::Passage => None,
            None if self.settings.auto_relock_s == 0 => None,
            None => Some(u64::from(self.settings.auto_relock_s) * 1000),
        };
        self.ram.relock_at = ms.map(|m| now.mono_ms.saturating_add(m));
    }

    pub(crate) fn lock_motor(&mut self, out: &mut Output) {
        self.ram.relock_at = None;
        self.ram.timed_relock_ms = None;
        if self.ram.bolt != BoltState::Locked {
            out.motor = Some(MotorCommand::Lock);
            self.ram.bolt = BoltState::Locking;
        }
    }
}
