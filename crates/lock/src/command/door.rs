//! Remote lock and unlock: operating-mode limits, the PIN a controller sends
//! with them (`RequirePINforRemoteOperation`), and the acting user's limits.

use super::CmdResult;
use crate::audit::{AuditResult, What, Who};
use crate::lock::Lock;
use crate::output::{CredentialRef, Event, LockOp, Output, ReplyData, Source};
use crate::persist::ItemKey;
use crate::settings::OperatingMode;
use crate::time::Now;
use crate::user::{ControllerId, CredentialType, Pin, StoredCredential, UserIndex};
use crate::CommandError as E;

impl Lock {
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
    pub(super) fn remote_lock(
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

    pub(super) fn remote_unlock(
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

    /// An unlock that relocks after `timeout_s` seconds (1..=86400).
    pub(super) fn remote_unlock_with_timeout(
        &mut self,
        now: Now,
        from: ControllerId,
        pubkey: [u8; 32],
        timeout_s: u32,
        pin: Option<Pin>,
        out: &mut Output,
    ) -> CmdResult {
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
}
