//! Controllers: first-admin pairing (setup mode), pairing further controllers, unpairing.

use crate::audit::{AuditResult, What, Who};
use crate::config::{LABEL_LEN, MAX_CONTROLLERS};
use crate::input::Role;
use crate::lock::{Controller, Lock};
use crate::output::{DataKind, DataOp, Event, Output, Reply, ReplyData, Source};
use crate::persist::ItemKey;
use crate::time::Now;
use crate::user::{ControllerId, StoredCredential};
use crate::CommandError as E;

impl Lock {
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

    pub(super) fn add_controller(
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

    /// Unpairing drops only that controller's own access (Matter fabric
    /// removal): its slot and every app-key credential holding its key.
    /// Users it created stay (creator/modifier references become `None`),
    /// so a household's PINs do not vanish with one phone.
    pub(super) fn unpair(
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
        for (i, u) in self.users.occupied_mut() {
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
