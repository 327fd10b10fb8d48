//! Read-only commands (user digest, self-check) and the audit-log acknowledgement.

use super::{user_slot, CmdResult};
use crate::lock::Lock;
use crate::output::{Output, ReplyData};
use crate::persist::ItemKey;
use crate::reset::{SelfCheckBody, SelfCheckReport};
use crate::time::Now;
use crate::user::UserIndex;

impl Lock {
    pub(super) fn get_user_digest(&self, index: UserIndex) -> CmdResult {
        user_slot(index)?;
        Ok(ReplyData::UserDigest {
            digest: self.user_digest(index),
            version: self.meta.version,
        })
    }

    pub(super) fn log_ack(&mut self, seq: u32, out: &mut Output) -> CmdResult {
        if self.log.ack(seq) {
            out.persist.items.insert(ItemKey::Log);
        }
        Ok(ReplyData::Done)
    }

    /// A signed self-check report.
    pub fn self_check(&self, now: Now, nonce: [u8; 16]) -> SelfCheckReport {
        let body = SelfCheckBody {
            serial: self.factory.serial.clone(),
            reset_counter: self.factory.reset_counter,
            nonce,
            users: self.user_count(),
            credentials: self.credential_count(),
            controllers: self.controller_count(),
            setup_mode: self.meta.setup_mode,
            battery_pct: self.ram.battery,
            battery_ok: self
                .ram
                .battery
                .is_some_and(|b| b >= self.settings.reset_battery_min_pct),
            motor_ok: !self.ram.motor_jammed,
            bolt: self.ram.bolt,
            utc_s: now.utc_s,
            mono_ms: now.mono_ms,
        };
        SelfCheckReport::sign(body, &self.factory)
    }
}
