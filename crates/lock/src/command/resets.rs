//! Remote reboot, the app factory reset, and the manufacturer reset (nonce, signed token).

use super::CmdResult;
use crate::audit::{AuditResult, What, Who};
use crate::config::NONCE_VALID_MS;
use crate::lock::Lock;
use crate::output::{Event, Output, ReplyData, ResetRefusal, Signal, Source};
use crate::reset::{ManufacturerToken, ResetTrigger};
use crate::time::Now;
use crate::user::ControllerId;
use crate::CommandError as E;

impl Lock {
    pub(super) fn remote_reboot(
        &mut self,
        now: Now,
        from: ControllerId,
        out: &mut Output,
    ) -> CmdResult {
        out.reboot = true;
        out.signal = Some(Signal::Rebooting);
        self.audit(
            out,
            now,
            Who::Controller(from),
            What::Reboot,
            Source::Remote,
            AuditResult::Ok,
        );
        Ok(ReplyData::Done)
    }

    pub(super) fn app_factory_reset<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        rng: &mut R,
        out: &mut Output,
    ) -> CmdResult {
        if !self.settings.app_reset_allowed {
            out.event(Event::ResetRefused {
                trigger: ResetTrigger::App,
                reason: ResetRefusal::AppResetDisabled,
            });
            return Err(E::AppResetDisabled);
        }
        self.try_factory_reset(now, ResetTrigger::App, rng, out)
            .map(ReplyData::FactoryReset)
            .map_err(|_| E::BatteryTooLow)
    }

    pub(super) fn issue_reset_nonce<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        rng: &mut R,
    ) -> CmdResult {
        let mut n = [0u8; 16];
        rng.fill_bytes(&mut n);
        self.ram.nonce = Some((n, now.mono_ms));
        Ok(ReplyData::ResetNonce(n))
    }

    pub(super) fn manufacturer_reset<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        now: Now,
        token: ManufacturerToken,
        rng: &mut R,
        out: &mut Output,
    ) -> CmdResult {
        let valid_nonce = self.ram.nonce.is_some_and(|(n, at)| {
            n == token.nonce && now.mono_ms < at.saturating_add(NONCE_VALID_MS)
        });
        if !valid_nonce {
            return Err(E::BadNonce);
        }
        // Single use: consumed by any attempt that names it.
        self.ram.nonce = None;
        if !token.verify(&self.factory.manufacturer_pubkey, &self.factory.serial) {
            return Err(E::BadSignature);
        }
        if now.utc_s.is_none_or(|u| u >= token.expiry_utc) {
            return Err(E::TokenExpired);
        }
        self.try_factory_reset(now, ResetTrigger::Manufacturer, rng, out)
            .map(ReplyData::FactoryReset)
            .map_err(|_| E::BatteryTooLow)
    }
}
