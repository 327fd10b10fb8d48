//! [`Lock::handle`]: dispatch of every input, the physical inputs (keypad,
//! reader, sensor, buttons, door, motor, battery), timers, reboots and the
//! factory reset itself.

use crate::access::Presented;
use crate::audit::{AuditLog, AuditResult, What, Who};
use crate::config::{
    KEYPAD_RESET_SEQUENCE, KEYPAD_TIMEOUT_MS, NONCE_VALID_MS, PROGRAM_WINDOW_MS, REBOOT_PRESS_MS,
};
use crate::crypto::OpKeys;
use crate::input::{Input, Key, MotorFeedback};
use crate::lock::{Lock, Meta, Security};
use crate::output::{
    AlarmCode, BoltState, DataKind, DataOp, DoorState, Event, LockOp, OpError, Output,
    ResetRefusal, Signal, Source,
};
use crate::persist::ItemKey;
use crate::reset::{ResetRecord, ResetTrigger, SealedResetRecord};
use crate::settings::{OperatingMode, Settings, SetupPolicy};
use crate::time::{Now, TzRule};
use crate::user::{CredentialType, StoredCredential, User, UserFields, UserType};

/// Battery percentage under which the critical-battery alarm is raised.
const CRITICAL_BATTERY_PCT: u8 = 5;

impl Lock {
    /// Handles one input at `now`. Pure: the result depends only on the
    /// state, `now`, `input` and the bytes drawn from `rng` (new keys at a
    /// factory reset, nonces). See [`Output`] for what the driver must do
    /// with the result, in which order.
    pub fn handle<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        input: Input,
        rng: &mut R,
    ) -> Output {
        let mut out = Output::default();
        let booting = now.mono_ms < self.ram.boot_until;
        match input {
            Input::PowerOn => {
                self.power_on(now);
                if self.log.unreported_breaks > 0 {
                    let b = core::mem::take(&mut self.log.unreported_breaks);
                    self.log.meta.breaks = self.log.meta.breaks.saturating_add(b);
                    out.persist.items.insert(ItemKey::Log);
                    out.event(Event::LogChainBroken {
                        breaks: self.log.meta.breaks,
                    });
                }
                if core::mem::take(&mut self.log.unreported_lost) > 0 {
                    // Records the boot found missing (damaged flash) count as lost, like an
                    // overflow: controllers then account for the hole instead of waiting for it.
                    out.persist.items.insert(ItemKey::Log);
                    out.event(Event::LogOverflow {
                        lost: self.log.meta.lost,
                    });
                }
                self.audit(
                    &mut out,
                    now,
                    Who::Nobody,
                    What::Reboot,
                    Source::Auto,
                    AuditResult::Ok,
                );
            }
            // Presses while booting are ignored (DESIGN §2.2: resets pressed
            // again while the lock is still booting).
            Input::Key(_)
            | Input::Card { .. }
            | Input::Fingerprint(_)
            | Input::ResetButtonDown
            | Input::ResetButtonUp
            | Input::ProgramButton
                if booting => {}
            Input::Key(k) => self.on_key(now, k, rng, &mut out),
            Input::Card { uid, payload } => {
                let hotel = payload
                    .as_ref()
                    .is_some_and(|image| self.hotel_card(now, image, &mut out));
                if !hotel {
                    self.local_attempt(now, Source::Rfid, Presented::Card(&uid), &mut out)
                }
            }
            Input::Fingerprint(slot) => {
                self.local_attempt(now, Source::Fingerprint, Presented::Finger(slot), &mut out)
            }
            Input::ResetButtonDown => {
                self.ram.reset_down_at = Some(now.mono_ms);
                self.ram.reset_armed = false;
            }
            Input::ResetButtonUp => self.on_reset_up(now, rng, &mut out),
            Input::ProgramButton => {
                // The window always opens (the admin menu works inside even with
                // keypad programming off); enrolment in it obeys the setting.
                self.ram.program_until = Some(now.mono_ms.saturating_add(PROGRAM_WINDOW_MS));
                self.ram.clear_keypad();
                out.signal = Some(Signal::ProgramMode);
            }
            Input::ManualTurn { locked } => {
                let op = if locked { LockOp::Lock } else { LockOp::Unlock };
                self.ram.bolt = if locked {
                    BoltState::Locked
                } else {
                    BoltState::Unlocked
                };
                self.ram.motor_jammed = false;
                if locked {
                    self.ram.relock_at = None;
                    self.ram.timed_relock_ms = None;
                } else {
                    self.arm_relock(now);
                }
                out.event(Event::LockOperation {
                    op,
                    source: Source::Manual,
                    user: None,
                    credential: None,
                });
                let what = if locked { What::Lock } else { What::Unlock };
                self.audit(
                    &mut out,
                    now,
                    Who::Nobody,
                    what,
                    Source::Manual,
                    AuditResult::Ok,
                );
            }
            Input::Battery(pct) => self.on_battery(pct.min(100), &mut out),
            Input::Door { open } => self.on_door(now, open, &mut out),
            Input::Motor(fb) => self.on_motor(now, fb, &mut out),
            Input::Tamper => {
                out.event(Event::Alarm(AlarmCode::FrontEsceutcheonRemoved));
            }
            Input::Tick => self.on_tick(now, &mut out),
            Input::PairFirstAdmin { pubkey, label } => {
                self.pair_first_admin(now, pubkey, label, &mut out)
            }
            Input::Command {
                from,
                id,
                counter,
                cmd,
            } => self.on_command(now, from, id, counter, cmd, rng, &mut out),
        }
        out
    }

    fn on_key<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        k: Key,
        rng: &mut R,
        out: &mut Output,
    ) {
        if !self.ram.keypad.is_empty()
            && now.mono_ms >= self.ram.last_key_ms.saturating_add(KEYPAD_TIMEOUT_MS)
        {
            self.ram.clear_keypad();
        }
        self.ram.last_key_ms = now.mono_ms;
        if self.lockout_active(now) {
            self.ram.clear_keypad();
            out.signal = Some(Signal::LockedOut);
            if k == Key::Hash {
                self.deny(now, Source::Keypad, OpError::LockedOut, None, out);
            }
            return;
        }
        let ch = match k {
            Key::Digit(d) if d <= 9 => b'0' + d,
            Key::Digit(_) => return,
            Key::Star => b'*',
            Key::Hash => {
                self.submit_keypad(now, rng, out);
                return;
            }
        };
        // A full buffer drops further keys; the entry will not match anything.
        let _ = self.ram.keypad.push(ch);
        out.signal = Some(Signal::KeyClick);
    }

    fn submit_keypad<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        rng: &mut R,
        out: &mut Output,
    ) {
        let mut buf: heapless::Vec<u8, 32> = heapless::Vec::new();
        let _ = buf.extend_from_slice(&self.ram.keypad);
        self.ram.clear_keypad();
        let program = self.ram.program_until.is_some_and(|t| now.mono_ms < t);
        let star = buf.iter().position(|c| *c == b'*');
        if let (true, Some(star)) = (program, star) {
            // Inside (program button) then `adminPIN*NN#`: the door menu works
            // even with keypad programming off.
            self.ram.program_until = None;
            let (pin, rest) = buf.split_at(star);
            self.keypad_menu(now, pin, rest.get(1..).unwrap_or(&[]), true, out);
        } else if program && (self.settings.local_programming || self.meta.setup_mode) {
            self.ram.program_until = None;
            self.keypad_enrol_admin(now, &buf, out);
        } else if program {
            self.ram.program_until = None;
            out.signal = Some(Signal::Denied);
        } else if let Some(star) = star {
            let (pin, rest) = buf.split_at(star);
            let seq = rest.get(1..).unwrap_or(&[]);
            if seq == KEYPAD_RESET_SEQUENCE {
                self.keypad_reset(now, pin, rng, out);
            } else {
                self.keypad_menu(now, pin, seq, false, out);
            }
        } else if !buf.is_empty() {
            self.local_attempt(now, Source::Keypad, Presented::Pin(&buf), out);
        } else if matches!(
            self.ram.bolt,
            BoltState::Unlocked | BoltState::NotFullyLocked
        ) && self.effective_mode(now) != OperatingMode::Passage
            && self.settings.one_touch_locking
        {
            // One-touch locking (`EnableOneTouchLocking`): `#` alone locks
            // (no credential needed to lock).
            self.lock_motor(out);
            out.event(Event::LockOperation {
                op: LockOp::Lock,
                source: Source::Keypad,
                user: None,
                credential: None,
            });
            self.audit(
                out,
                now,
                Who::Nobody,
                What::Lock,
                Source::Keypad,
                AuditResult::Ok,
            );
        }
        zeroize::Zeroize::zeroize(buf.as_mut_slice());
    }

    fn keypad_enrol_admin(&mut self, now: Now, pin: &[u8], out: &mut Output) {
        let hash = match self.validate_pin(pin, None) {
            Ok(h) => h,
            Err(_) => {
                out.signal = Some(Signal::Denied);
                return;
            }
        };
        let Some(idx) = self.users.first_free() else {
            out.signal = Some(Signal::Denied);
            return;
        };
        let Ok(u) = u16::try_from(idx + 1) else {
            return;
        };
        let mut user = User::new(UserFields::new("admin", UserType::Admin), None);
        if let Some(c) = user.credentials.get_mut(0) {
            *c = Some(StoredCredential::Pin(hash));
        }
        self.users.put(idx, user);
        self.meta.setup_mode = false;
        self.bump_version(out);
        out.persist.items.insert(ItemKey::User(u));
        out.signal = Some(Signal::Enrolled);
        out.event(Event::LockUserChange {
            kind: DataKind::User,
            op: DataOp::Add,
            user: Some(u),
            by: None,
        });
        out.event(Event::LockUserChange {
            kind: DataKind::Credential(CredentialType::Pin),
            op: DataOp::Add,
            user: Some(u),
            by: None,
        });
        self.audit(
            out,
            now,
            Who::User(u),
            What::Enrol,
            Source::Keypad,
            AuditResult::Ok,
        );
    }

    fn keypad_reset<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        pin: &[u8],
        rng: &mut R,
        out: &mut Output,
    ) {
        if !self.settings.local_programming {
            out.event(Event::ResetRefused {
                trigger: ResetTrigger::Keypad,
                reason: ResetRefusal::LocalProgrammingDisabled,
            });
            out.signal = Some(Signal::ResetRefused);
            return;
        }
        let admin = self.find_pin(pin).filter(|(u, _)| {
            self.user(*u).is_some_and(|x| {
                x.fields.user_type == UserType::Admin
                    && x.fields.status == crate::user::UserStatus::Enabled
            })
        });
        if admin.is_none() {
            // A wrong admin PIN counts towards the lockout.
            if !self.count_wrong(now, Source::Keypad, out) {
                self.deny(now, Source::Keypad, OpError::InvalidCredential, None, out);
            }
            return;
        }
        let _ = self.try_factory_reset(now, ResetTrigger::Keypad, rng, out);
    }

    fn on_reset_up<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        rng: &mut R,
        out: &mut Output,
    ) {
        let Some(down) = self.ram.reset_down_at.take() else {
            return;
        };
        self.ram.reset_armed = false;
        let held = now.mono_ms.saturating_sub(down);
        let hold = u64::from(self.settings.reset_hold_s) * 1000;
        if held < REBOOT_PRESS_MS {
            out.reboot = true;
            out.signal = Some(Signal::Rebooting);
            self.audit(
                out,
                now,
                Who::Nobody,
                What::Reboot,
                Source::Button,
                AuditResult::Ok,
            );
        } else if held >= hold {
            let _ = self.try_factory_reset(now, ResetTrigger::Button, rng, out);
        }
        // Between 2 s and the hold time: nothing (an aborted reset).
    }

    /// Checks the battery, then factory-resets. On refusal nothing changes:
    /// a signal and a `ResetRefused` event only.
    pub(crate) fn try_factory_reset<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        trigger: ResetTrigger,
        rng: &mut R,
        out: &mut Output,
    ) -> Result<SealedResetRecord, ResetRefusal> {
        if self
            .ram
            .battery
            .is_none_or(|b| b < self.settings.reset_battery_min_pct)
        {
            out.event(Event::ResetRefused {
                trigger,
                reason: ResetRefusal::LowBattery,
            });
            out.signal = Some(Signal::ResetRefusedLowBattery);
            return Err(ResetRefusal::LowBattery);
        }
        Ok(self.factory_reset(now, trigger, rng, out))
    }

    /// The factory reset: seal and sign the old log, notify, wipe, rotate keys.
    fn factory_reset<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        trigger: ResetTrigger,
        rng: &mut R,
        out: &mut Output,
    ) -> SealedResetRecord {
        let counter = self.factory.reset_counter.saturating_add(1);
        let record = ResetRecord {
            counter,
            trigger,
            utc_s: now.utc_s,
            mono_ms: now.mono_ms,
            next_seq: self.log.next_seq(),
            old_chain_head: self.log.head(),
        };
        let sealed = SealedResetRecord::seal(record, &self.factory);
        // The notice goes first, before anything else in this output.
        out.events.clear();
        out.event(Event::ResetNotice { trigger, counter });
        out.audit = None;

        self.factory.reset_counter = counter;
        self.keys = OpKeys::generate(rng);
        // The setup policy is the one setting a reset keeps: it governs the
        // state right after the reset (an owner who chose the compatibility
        // policy gets it again; the default stays secure).
        let policy = self.settings.setup_policy;
        self.settings = Settings {
            setup_policy: policy,
            ..Settings::default()
        };
        self.tz = TzRule::UTC;
        self.holidays = Default::default();
        self.hotel = Default::default();
        self.offline = Default::default();
        self.users.free_all(|_| {});
        for c in self.controllers.iter_mut() {
            *c = None;
        }
        self.security = Security::default();
        self.meta = Meta {
            setup_mode: true,
            version: 0,
        };
        self.log = AuditLog::new(sealed.hash());
        let (bolt, door, battery) = (self.ram.bolt, self.ram.door, self.ram.battery);
        self.ram = crate::lock::Ram::boot(
            Now::mono_only(0),
            bolt,
            door,
            battery,
            OperatingMode::Normal,
        );
        self.ram.boot_until = 0;
        self.ram.motor_jammed = false;

        out.motor = None;
        out.event(Event::Alarm(AlarmCode::LockFactoryReset));
        out.signal = Some(Signal::FactoryResetDone);
        out.persist.reset = Some(sealed);
        out.persist.items = self.item_keys();
        let how = match trigger {
            ResetTrigger::Button => Source::Button,
            ResetTrigger::Keypad => Source::Keypad,
            ResetTrigger::App | ResetTrigger::Manufacturer => Source::Remote,
        };
        self.audit(
            out,
            now,
            Who::Nobody,
            What::FactoryReset,
            how,
            AuditResult::Ok,
        );
        sealed
    }

    fn on_battery(&mut self, pct: u8, out: &mut Output) {
        self.ram.battery = Some(pct);
        if pct < CRITICAL_BATTERY_PCT {
            if !self.ram.critical_battery_reported {
                out.event(Event::Alarm(AlarmCode::CriticalBattery));
                out.signal = Some(Signal::LowBattery);
            }
            self.ram.critical_battery_reported = true;
            self.ram.low_battery_reported = true;
        } else if pct < self.settings.low_battery_pct {
            if !self.ram.low_battery_reported {
                out.event(Event::Alarm(AlarmCode::LowBattery));
                out.signal = Some(Signal::LowBattery);
            }
            self.ram.low_battery_reported = true;
        } else {
            self.ram.low_battery_reported = false;
            self.ram.critical_battery_reported = false;
        }
    }

    fn on_door(&mut self, now: Now, open: bool, out: &mut Output) {
        let new = if open {
            if matches!(
                self.ram.door,
                DoorState::Open | DoorState::Ajar | DoorState::Forced
            ) {
                return;
            }
            self.ram.door_open_since = Some(now.mono_ms);
            self.ram.ajar_reported = false;
            if self.ram.bolt == BoltState::Locked {
                out.event(Event::Alarm(AlarmCode::DoorForcedOpen));
                DoorState::Forced
            } else {
                DoorState::Open
            }
        } else {
            if self.ram.door == DoorState::Closed {
                return;
            }
            self.ram.door_open_since = None;
            self.ram.ajar_reported = false;
            DoorState::Closed
        };
        self.ram.door = new;
        out.event(Event::DoorState(new));
        if !open {
            // A relock that waited for the door happens as soon as it closes.
            self.maybe_relock(now, out);
        }
    }

    fn on_motor(&mut self, now: Now, fb: MotorFeedback, out: &mut Output) {
        let new = match (fb, self.ram.bolt) {
            (MotorFeedback::Done, BoltState::Unlocking) => BoltState::Unlocked,
            (MotorFeedback::Done, BoltState::Locking) => BoltState::Locked,
            (MotorFeedback::Done, _) => return,
            (MotorFeedback::Jammed, _) => BoltState::Jammed,
            (MotorFeedback::NotFullyLocked, _) => BoltState::NotFullyLocked,
        };
        self.ram.bolt = new;
        match new {
            BoltState::Unlocked => self.arm_relock(now),
            BoltState::Locked => {
                self.ram.motor_jammed = false;
                out.signal = Some(Signal::Locked);
            }
            BoltState::Jammed => {
                self.ram.motor_jammed = true;
                self.ram.relock_at = None;
                out.event(Event::Alarm(AlarmCode::LockJammed));
                out.signal = Some(Signal::Jammed);
            }
            _ => {}
        }
        out.event(Event::BoltState(new));
    }

    fn on_tick(&mut self, now: Now, out: &mut Output) {
        let t = now.mono_ms;
        if self.ram.boot_until != 0 && t >= self.ram.boot_until {
            self.ram.boot_until = 0;
            if self.meta.setup_mode {
                out.signal = Some(Signal::SetupMode);
                if self.settings.setup_policy == SetupPolicy::CompatDefaultPin {
                    // The insecure compatibility policy is active: say so at every boot.
                    out.event(Event::DefaultPinWarning);
                }
            }
        }
        if !self.ram.keypad.is_empty()
            && t >= self.ram.last_key_ms.saturating_add(KEYPAD_TIMEOUT_MS)
        {
            self.ram.clear_keypad();
        }
        if let Some(d) = self.ram.reset_down_at {
            if !self.ram.reset_armed
                && t.saturating_sub(d) >= u64::from(self.settings.reset_hold_s) * 1000
            {
                self.ram.reset_armed = true;
                out.signal = Some(Signal::ResetArmed);
            }
        }
        if self.ram.program_until.is_some_and(|p| t >= p) {
            self.ram.program_until = None;
        }
        if self.ram.pending.is_some_and(|p| t >= p.until) {
            self.ram.pending = None;
        }
        if self.ram.lockout_until.is_some_and(|u| t >= u) {
            self.ram.lockout_until = None;
            self.security.lockout_ms = 0;
            out.persist.items.insert(ItemKey::Security);
        }
        if self
            .ram
            .nonce
            .is_some_and(|(_, at)| t >= at.saturating_add(NONCE_VALID_MS))
        {
            self.ram.nonce = None;
        }
        if let Some(since) = self.ram.door_open_since {
            if !self.ram.ajar_reported
                && t.saturating_sub(since) >= u64::from(self.settings.door_ajar_s) * 1000
            {
                self.ram.ajar_reported = true;
                self.ram.door = DoorState::Ajar;
                out.event(Event::Alarm(AlarmCode::DoorAjar));
                out.event(Event::DoorState(DoorState::Ajar));
            }
        }
        let mode = self.effective_mode(now);
        if mode != self.ram.last_mode {
            self.ram.last_mode = mode;
            out.event(Event::ModeChanged(mode));
            if mode == OperatingMode::Passage {
                self.ram.timed_relock_ms = None;
                self.unlock_motor(now, out);
            } else if self.ram.bolt == BoltState::Unlocked {
                self.arm_relock(now);
            }
        }
        self.maybe_relock(now, out);
    }

    /// Relocks if the relock time has come and the door is closed.
    fn maybe_relock(&mut self, now: Now, out: &mut Output) {
        let t = now.mono_ms;
        let mode = self.effective_mode(now);
        let door_closed = matches!(self.ram.door, DoorState::Closed | DoorState::Unknown);
        if self.ram.relock_at.is_some_and(|r| t >= r) && door_closed {
            self.ram.relock_at = None;
            if self.ram.bolt == BoltState::Unlocked && mode != OperatingMode::Passage {
                self.lock_motor(out);
                out.event(Event::LockOperation {
                    op: LockOp::Lock,
                    source: Source::Auto,
                    user: None,
                    credential: None,
                });
                self.audit(
                    out,
                    now,
                    Who::Nobody,
                    What::Lock,
                    Source::Auto,
                    AuditResult::Ok,
                );
            }
        }
    }
}
