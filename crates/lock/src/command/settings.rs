//! Settings, the operating mode and the time-zone rule.

use super::CmdResult;
use crate::audit::{AuditResult, What, Who};
use crate::lock::Lock;
use crate::output::{BoltState, DataKind, DataOp, Event, Output, ReplyData, Source};
use crate::persist::ItemKey;
use crate::settings::{OperatingMode, Setting, Settings};
use crate::time::{Now, TzRule};
use crate::user::ControllerId;
use crate::CommandError as E;

impl Lock {
    pub(super) fn set_setting(
        &mut self,
        now: Now,
        from: ControllerId,
        s: Setting,
        out: &mut Output,
    ) -> CmdResult {
        if self.settings.loosens(&s) {
            return Err(E::OnlyAtTheDoor);
        }
        self.settings.apply(s).map_err(|_| E::BadSetting)?;
        self.settings_changed(now, from, out);
        Ok(ReplyData::Done)
    }

    /// Changes several settings at once, all or nothing: each change is range
    /// checked and none may loosen a door-only guard. The operating mode in
    /// `want` is ignored (it has its own command).
    pub(super) fn set_settings(
        &mut self,
        now: Now,
        from: ControllerId,
        want: Settings,
        out: &mut Output,
    ) -> CmdResult {
        let mut next = self.settings;
        for s in self.settings.changes_to(&want) {
            if self.settings.loosens(&s) {
                return Err(E::OnlyAtTheDoor);
            }
            next.apply(s).map_err(|_| E::BadSetting)?;
        }
        if next != self.settings {
            self.settings = next;
            self.settings_changed(now, from, out);
        }
        Ok(ReplyData::Done)
    }

    pub(super) fn set_operating_mode(
        &mut self,
        now: Now,
        from: ControllerId,
        mode: OperatingMode,
        out: &mut Output,
    ) -> CmdResult {
        self.settings.mode = mode;
        self.settings_changed(now, from, out);
        let eff = self.effective_mode(now);
        if eff != self.ram.last_mode {
            self.ram.last_mode = eff;
            out.event(Event::ModeChanged(eff));
            if eff == OperatingMode::Passage {
                self.ram.timed_relock_ms = None;
                self.unlock_motor(now, out);
            } else if self.ram.bolt == BoltState::Unlocked {
                self.arm_relock(now);
            }
        }
        Ok(ReplyData::Done)
    }

    pub(super) fn set_time_rule(
        &mut self,
        now: Now,
        from: ControllerId,
        rule: TzRule,
        out: &mut Output,
    ) -> CmdResult {
        rule.validate().map_err(|_| E::BadTimeRule)?;
        self.tz = rule;
        out.persist.items.insert(ItemKey::TimeRule);
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
        Ok(ReplyData::Done)
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
}
