//! Codes that work offline at the keypad: when the hub has given this lock an
//! offline-code secret and epoch ([`OfflineCodes`]), a ten-digit entry that
//! matches no enrolled PIN is checked by `tumbler-offline` against the lock's
//! clock (local time by the time rule for daily windows). A code that opens
//! is named in the audit log by its id ([`Who::OfflineCode`]); a one-time code
//! is remembered as used; the hub can deny single codes by id or kill them
//! all with a new epoch. A wrong code counts toward the wrong-code lockout
//! like a wrong PIN.
//!
//! The configuration, the used list and the deny list are one persisted item
//! ([`crate::ItemKey::Offline`]), erased by a factory reset.

use serde::{Deserialize, Serialize};
use tumbler_offline::{At, CodeId, Shape, Window};

use crate::audit::{AuditResult, What, Who};
use crate::config::{MAX_OFFLINE_DENIED, MAX_OFFLINE_USED};
use crate::lock::Lock;
use crate::output::{OpError, Output, Source};
use crate::persist::ItemKey;
use crate::settings::OperatingMode;
use crate::time::Now;
use crate::user::ControllerId;
use crate::CommandError;

pub use tumbler_offline::Secret;

/// The secret codes are derived from and the epoch they are valid in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineCodes {
    /// 32 random bytes from the hub; a lock taken off the wall reveals it,
    /// which lets one mint codes for this lock only.
    pub secret: Secret,
    /// Codes of any other epoch are refused: a new epoch revokes them all.
    pub epoch: u32,
}

/// The persisted item: configuration, used one-time codes, denied codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Offline {
    pub config: Option<OfflineCodes>,
    /// One-time codes that opened (ids), until their window ends.
    pub used: heapless::Vec<u64, MAX_OFFLINE_USED>,
    /// Codes the hub revoked (ids), until their window ends.
    pub denied: heapless::Vec<u64, MAX_OFFLINE_DENIED>,
}

/// Drops ids whose window is over at `at`: they cannot open again anyway.
fn prune<const N: usize>(list: &mut heapless::Vec<u64, N>, at: Option<At>) -> bool {
    let Some(at) = at else { return false };
    let before = list.len();
    list.retain(|id| Window::from_id(CodeId(*id)).is_some_and(|w| !w.ended(at)));
    list.len() != before
}

impl Lock {
    /// The offline-code configuration, if the hub has set one.
    pub fn offline_codes(&self) -> Option<&OfflineCodes> {
        self.offline.config.as_ref()
    }

    /// Offline code ids this lock refuses (revoked by the hub).
    pub fn denied_offline_codes(&self) -> &[u64] {
        &self.offline.denied
    }

    fn offline_at(&self, now: Now) -> Option<At> {
        now.utc_s.map(|u| At::new(u, self.tz.offset_min(u)))
    }

    /// A keypad entry that matched no PIN. Returns `false` if it is not an
    /// offline code of this lock open now (the caller counts it as wrong).
    pub(crate) fn offline_code(&mut self, now: Now, typed: &[u8], out: &mut Output) -> bool {
        let Some(cfg) = &self.offline.config else {
            return false;
        };
        let Some(at) = self.offline_at(now) else {
            // No clock: a window cannot be checked (fail closed).
            return false;
        };
        let Some(window) = tumbler_offline::check(&cfg.secret, cfg.epoch, typed, at).window else {
            return false;
        };
        let Ok(CodeId(id)) = window.id() else {
            return false;
        };
        let source = Source::Keypad;
        let who = Who::OfflineCode(id);
        if self.offline.denied.contains(&id) {
            self.deny_as(now, source, OpError::InvalidCredential, None, who, out);
            return true;
        }
        let one_time = matches!(window.shape, Shape::OneTime { .. });
        if one_time && self.offline.used.contains(&id) {
            self.deny_as(now, source, OpError::InvalidCredential, None, who, out);
            return true;
        }
        // Like a user without admin rights: privacy and vacation keep it out.
        if matches!(
            self.effective_mode(now),
            OperatingMode::Privacy | OperatingMode::Vacation
        ) {
            self.deny_as(now, source, OpError::ModeRestricted, None, who, out);
            return true;
        }
        if one_time {
            if prune(&mut self.offline.used, Some(at)) {
                out.persist.items.insert(ItemKey::Offline);
            }
            if self.offline.used.push(id).is_err() {
                // Every slot holds a code still inside its window: refusing is
                // the only way not to let a used one open again.
                self.deny_as(now, source, OpError::InvalidCredential, None, who, out);
                return true;
            }
            out.persist.items.insert(ItemKey::Offline);
        }
        // A right code, like a right PIN, ends the wrong-code count.
        if self.security.wrong != 0 || self.security.lockouts != 0 {
            self.security.wrong = 0;
            self.security.lockouts = 0;
            out.persist.items.insert(ItemKey::Security);
        }
        self.grant_as(now, source, who, None, None, out);
        true
    }

    /// Sets the secret and epoch (or turns offline codes off with `None`).
    /// The same configuration again keeps the used and deny lists; a new
    /// one starts them empty (the old codes are dead with the old epoch).
    pub(crate) fn set_offline_codes(&mut self, config: Option<OfflineCodes>, out: &mut Output) {
        if self.offline.config != config {
            self.offline = Offline {
                config,
                ..Offline::default()
            };
            out.persist.items.insert(ItemKey::Offline);
        }
    }

    /// Refuses offline code `id` from now on.
    pub(crate) fn deny_offline_code(
        &mut self,
        now: Now,
        id: u64,
        out: &mut Output,
    ) -> Result<(), CommandError> {
        let Some(window) = Window::from_id(CodeId(id)) else {
            return Err(CommandError::BadCredential);
        };
        if self.offline.denied.contains(&id) {
            return Ok(());
        }
        let at = self.offline_at(now);
        if at.is_some_and(|at| window.ended(at)) {
            // Over already: nothing to remember.
            return Ok(());
        }
        prune(&mut self.offline.denied, at);
        self.offline
            .denied
            .push(id)
            .map_err(|_| CommandError::CapacityFull)?;
        out.persist.items.insert(ItemKey::Offline);
        Ok(())
    }

    /// The audit record of a change to the offline-code configuration.
    pub(crate) fn offline_changed(&mut self, now: Now, from: ControllerId, out: &mut Output) {
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
