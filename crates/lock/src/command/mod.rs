//! Remote commands from paired controllers (already authenticated by the
//! proto layer) and first-admin pairing. Every command is validated first;
//! a refused command returns a specific [`CommandError`](crate::CommandError) and changes
//! nothing (apart from the controller's replay counter, which advances for
//! every authentic envelope).
//!
//! This file checks the sender (replay counter, role) and dispatches; one
//! file per concern does the work: [`door`] (remote lock/unlock and their PIN),
//! [`users`], [`credentials`], [`schedules`] (week-day, year-day, holiday),
//! [`settings`] (settings, mode, time rule), [`controllers`] (pairing),
//! [`resets`] (reboot, factory and manufacturer resets), [`queries`]
//! (status, digests, capabilities, self-check, log acknowledgement).

mod controllers;
mod credentials;
mod door;
mod queries;
mod resets;
mod schedules;
mod settings;
mod users;

use crate::audit::{AuditResult, What, Who};
use crate::config::MAX_USERS;
use crate::input::{Command, CommandId, Role};
use crate::lock::Lock;
use crate::output::{DataKind, DataOp, Event, Output, Reply, ReplyData, Source};
use crate::persist::ItemKey;
use crate::schedule::ScheduleError;
use crate::time::Now;
use crate::user::{ControllerId, UserIndex};
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

impl Lock {
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
        match cmd {
            Command::Lock { pin } => self.remote_lock(now, from, pin, out),
            Command::Unlock { pin } => self.remote_unlock(now, from, pubkey, pin, None, out),
            Command::UnlockWithTimeout { timeout_s, pin } => {
                self.remote_unlock_with_timeout(now, from, pubkey, timeout_s, pin, out)
            }
            Command::SetUser { index, fields } => self.set_user(now, from, index, fields, out),
            Command::ClearUser { index } => self.clear_user(now, from, index, out),
            Command::ClearAllUsers => self.clear_all_users(now, from, out),
            Command::SetCredential {
                user,
                slot,
                credential,
            } => {
                self.set_credential(now, from, user, slot, credential, out)?;
                Ok(ReplyData::Done)
            }
            Command::ClearCredential { user, slot } => {
                self.clear_credential(now, from, user, slot, out)
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
            } => self.set_week_day_schedule(now, from, user, slot, schedule, out),
            Command::ClearWeekDaySchedule { user, slot } => {
                self.clear_week_day_schedule(now, from, user, slot, out)
            }
            Command::SetYearDaySchedule {
                user,
                slot,
                schedule,
            } => self.set_year_day_schedule(now, from, user, slot, schedule, out),
            Command::ClearYearDaySchedule { user, slot } => {
                self.clear_year_day_schedule(now, from, user, slot, out)
            }
            Command::SetHoliday { slot, schedule } => {
                self.set_holiday(now, from, slot, schedule, out)
            }
            Command::ClearHoliday { slot } => self.clear_holiday(now, from, slot, out),
            Command::SetSetting(s) => self.set_setting(now, from, s, out),
            Command::SetSettings(want) => self.set_settings(now, from, want, out),
            Command::SetOperatingMode(mode) => self.set_operating_mode(now, from, mode, out),
            Command::SetHotelDoor(cfg) => {
                self.set_hotel_door(cfg, out);
                self.hotel_changed(now, from, out);
                Ok(ReplyData::Done)
            }
            Command::DenyCard { number } => {
                self.deny_card(number, out);
                self.hotel_changed(now, from, out);
                Ok(ReplyData::Done)
            }
            Command::SetOfflineCodes(cfg) => {
                self.set_offline_codes(cfg, out);
                self.offline_changed(now, from, out);
                Ok(ReplyData::Done)
            }
            Command::DenyOfflineCode { id } => {
                self.deny_offline_code(now, id, out)?;
                self.offline_changed(now, from, out);
                Ok(ReplyData::Done)
            }
            Command::SetTime { utc_s } => {
                out.set_clock = Some(utc_s);
                Ok(ReplyData::Done)
            }
            Command::SetTimeRule(rule) => self.set_time_rule(now, from, rule, out),
            Command::Reboot => self.remote_reboot(now, from, out),
            Command::FactoryReset => self.app_factory_reset(now, rng, out),
            Command::PairController {
                pubkey,
                role,
                label,
            } => self
                .add_controller(now, Some(from), pubkey, role, label, out)
                .map(ReplyData::Paired),
            Command::UnpairController(id) => {
                self.unpair(now, from, id, out)?;
                Ok(ReplyData::Done)
            }
            Command::LogAck { seq } => self.log_ack(seq, out),
            Command::GetStatus => Ok(ReplyData::Status(self.status(now))),
            Command::GetUserDigest(index) => self.get_user_digest(index),
            Command::GetCapabilities => Ok(ReplyData::Capabilities(self.capabilities())),
            Command::SelfCheck { nonce } => Ok(ReplyData::SelfCheck(self.self_check(now, nonce))),
            Command::IssueResetNonce => self.issue_reset_nonce(now, rng),
            Command::ManufacturerReset(token) => self.manufacturer_reset(now, token, rng, out),
        }
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
}
