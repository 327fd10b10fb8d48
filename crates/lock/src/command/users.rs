//! Users: create, modify, clear one, clear all.

use super::{user_slot, CmdResult};
use crate::audit::{AuditResult, What, Who};
use crate::lock::Lock;
use crate::output::{DataKind, DataOp, Event, Output, ReplyData, Source};
use crate::persist::ItemKey;
use crate::slots::UserSlots;
use crate::time::Now;
use crate::user::{ControllerId, User, UserFields, UserIndex};
use crate::CommandError as E;

impl Lock {
    pub(super) fn set_user(
        &mut self,
        now: Now,
        from: ControllerId,
        index: UserIndex,
        fields: UserFields,
        out: &mut Output,
    ) -> CmdResult {
        let by = Some(from);
        let i = user_slot(index)?;
        let op = match self.users.get_mut(i) {
            Some(u) => {
                u.fields = fields;
                u.modifier = by;
                DataOp::Modify
            }
            None => {
                if !self.users.put(i, User::new(fields, by)) {
                    return Err(E::LogicBug);
                }
                DataOp::Add
            }
        };
        self.user_changed(now, from, index, DataKind::User, op, What::UserChange, out);
        Ok(ReplyData::Done)
    }

    pub(super) fn clear_user(
        &mut self,
        now: Now,
        from: ControllerId,
        index: UserIndex,
        out: &mut Output,
    ) -> CmdResult {
        let i = user_slot(index)?;
        if !UserSlots::in_range(i) {
            return Err(E::LogicBug);
        }
        if !self.users.free(i) {
            return Err(E::UnknownUser);
        }
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

    pub(super) fn clear_all_users(
        &mut self,
        now: Now,
        from: ControllerId,
        out: &mut Output,
    ) -> CmdResult {
        let mut bad = false;
        self.users.free_all(|i| match u16::try_from(i + 1) {
            Ok(u) => {
                out.persist.items.insert(ItemKey::User(u));
            }
            Err(_) => bad = true,
        });
        if bad {
            return Err(E::LogicBug);
        }
        self.bump_version(out);
        out.event(Event::LockUserChange {
            kind: DataKind::User,
            op: DataOp::Clear,
            user: None,
            by: Some(from),
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
}
