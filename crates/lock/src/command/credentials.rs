//! Credentials: PIN validation (length, digits, triviality, uniqueness),
//! set one, clear one, clear all or all of one kind.

use super::{user_slot, CmdResult};
use crate::audit::{AuditResult, What, Who};
use crate::config::CREDENTIALS_PER_USER;
use crate::lock::Lock;
use crate::output::{DataKind, DataOp, Event, Output, ReplyData, Source};
use crate::persist::ItemKey;
use crate::time::Now;
use crate::user::{ControllerId, CredentialType, NewCredential, StoredCredential, UserIndex};
use crate::CommandError as E;

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

    pub(super) fn set_credential(
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
        if self.users.get(i).is_none() {
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
        let u = self.users.get_mut(i).ok_or(E::LogicBug)?;
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

    pub(super) fn clear_credential(
        &mut self,
        now: Now,
        from: ControllerId,
        user: UserIndex,
        slot: u8,
        out: &mut Output,
    ) -> CmdResult {
        let i = user_slot(user)?;
        if usize::from(slot) >= CREDENTIALS_PER_USER {
            return Err(E::IndexOutOfRange);
        }
        let u = self.users.get_mut(i).ok_or(E::UnknownUser)?;
        let c = u
            .credentials
            .get_mut(usize::from(slot))
            .ok_or(E::LogicBug)?;
        // Idempotent: clearing an empty slot succeeds and changes nothing.
        if let Some(old) = c.take() {
            u.modifier = Some(from);
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

    pub(super) fn clear_credentials(
        &mut self,
        now: Now,
        from: ControllerId,
        kind: Option<CredentialType>,
        out: &mut Output,
    ) -> Result<(), E> {
        for (i, u) in self.users.occupied_mut() {
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
}
