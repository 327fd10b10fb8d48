//! Schedules: week-day and year-day slots of a user, and the lock's holiday slots.

use super::{sched_err, user_slot, CmdResult};
use crate::audit::{AuditResult, What, Who};
use crate::config::{HOLIDAY_SCHEDULES, WEEK_DAY_SCHEDULES_PER_USER, YEAR_DAY_SCHEDULES_PER_USER};
use crate::lock::Lock;
use crate::output::{DataKind, DataOp, Event, Output, ReplyData, Source};
use crate::persist::ItemKey;
use crate::schedule::{HolidaySchedule, WeekDaySchedule, YearDaySchedule};
use crate::time::Now;
use crate::user::{ControllerId, User, UserIndex};
use crate::CommandError as E;

impl Lock {
    pub(super) fn set_week_day_schedule(
        &mut self,
        now: Now,
        from: ControllerId,
        user: UserIndex,
        slot: u8,
        schedule: WeekDaySchedule,
        out: &mut Output,
    ) -> CmdResult {
        schedule.validate().map_err(sched_err)?;
        let u = self.user_for_schedule(user, slot, WEEK_DAY_SCHEDULES_PER_USER)?;
        let s = u.week_days.get_mut(usize::from(slot)).ok_or(E::LogicBug)?;
        let op = if s.is_some() {
            DataOp::Modify
        } else {
            DataOp::Add
        };
        *s = Some(schedule);
        u.modifier = Some(from);
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

    pub(super) fn clear_week_day_schedule(
        &mut self,
        now: Now,
        from: ControllerId,
        user: UserIndex,
        slot: u8,
        out: &mut Output,
    ) -> CmdResult {
        let u = self.user_for_schedule(user, slot, WEEK_DAY_SCHEDULES_PER_USER)?;
        let s = u.week_days.get_mut(usize::from(slot)).ok_or(E::LogicBug)?;
        if s.take().is_some() {
            u.modifier = Some(from);
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

    pub(super) fn set_year_day_schedule(
        &mut self,
        now: Now,
        from: ControllerId,
        user: UserIndex,
        slot: u8,
        schedule: YearDaySchedule,
        out: &mut Output,
    ) -> CmdResult {
        schedule.validate().map_err(sched_err)?;
        let u = self.user_for_schedule(user, slot, YEAR_DAY_SCHEDULES_PER_USER)?;
        let s = u.year_days.get_mut(usize::from(slot)).ok_or(E::LogicBug)?;
        let op = if s.is_some() {
            DataOp::Modify
        } else {
            DataOp::Add
        };
        *s = Some(schedule);
        u.modifier = Some(from);
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

    pub(super) fn clear_year_day_schedule(
        &mut self,
        now: Now,
        from: ControllerId,
        user: UserIndex,
        slot: u8,
        out: &mut Output,
    ) -> CmdResult {
        let u = self.user_for_schedule(user, slot, YEAR_DAY_SCHEDULES_PER_USER)?;
        let s = u.year_days.get_mut(usize::from(slot)).ok_or(E::LogicBug)?;
        if s.take().is_some() {
            u.modifier = Some(from);
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

    pub(super) fn set_holiday(
        &mut self,
        now: Now,
        from: ControllerId,
        slot: u8,
        schedule: HolidaySchedule,
        out: &mut Output,
    ) -> CmdResult {
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

    pub(super) fn clear_holiday(
        &mut self,
        now: Now,
        from: ControllerId,
        slot: u8,
        out: &mut Output,
    ) -> CmdResult {
        let s = self
            .holidays
            .get_mut(usize::from(slot))
            .ok_or(E::IndexOutOfRange)?;
        if s.take().is_some() {
            self.holidays_changed(now, from, DataOp::Clear, out);
        }
        Ok(ReplyData::Done)
    }

    fn user_for_schedule(&mut self, user: UserIndex, slot: u8, cap: usize) -> Result<&mut User, E> {
        let i = user_slot(user)?;
        if usize::from(slot) >= cap {
            return Err(E::IndexOutOfRange);
        }
        self.users.get_mut(i).ok_or(E::UnknownUser)
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
}
