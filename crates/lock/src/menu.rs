//! The keypad admin menu: `adminPIN*NN#` changes a door-side setting.
//!
//! Codes (`NN`): `80`/`81` app (remote) reset off/on, `90`/`91` keypad
//! programming off/on, `70`/`71` PIN for remote operation off/on. Loosening
//! (`81`, `91`, `70`) is offered only here, never to a remote controller
//! (see [`crate::settings::Settings::loosens`]). With keypad programming off the
//! menu answers only after the interior program button (`inside`).

use crate::audit::{AuditResult, What, Who};
use crate::lock::Lock;
use crate::output::{DataKind, DataOp, Event, OpError, Output, Signal, Source};
use crate::persist::ItemKey;
use crate::settings::Setting;
use crate::time::Now;
use crate::user::{UserStatus, UserType};

/// The menu code's setting, if `seq` is one.
pub(crate) fn menu_setting(seq: &[u8]) -> Option<Setting> {
    Some(match seq {
        b"80" => Setting::AppResetAllowed(false),
        b"81" => Setting::AppResetAllowed(true),
        b"90" => Setting::LocalProgramming(false),
        b"91" => Setting::LocalProgramming(true),
        b"70" => Setting::RequirePinForRemote(false),
        b"71" => Setting::RequirePinForRemote(true),
        _ => return None,
    })
}

impl Lock {
    pub(crate) fn keypad_menu(
        &mut self,
        now: Now,
        pin: &[u8],
        seq: &[u8],
        inside: bool,
        out: &mut Output,
    ) {
        let Some(setting) = menu_setting(seq) else {
            self.deny(now, Source::Keypad, OpError::InvalidCredential, None, out);
            return;
        };
        if !self.settings.local_programming && !inside {
            out.signal = Some(Signal::Denied);
            return;
        }
        let admin = self.find_pin(pin).map(|(u, _)| u).filter(|u| {
            self.user(*u).is_some_and(|x| {
                x.fields.user_type == UserType::Admin && x.fields.status == UserStatus::Enabled
            })
        });
        let Some(admin) = admin else {
            // A wrong admin PIN counts towards the lockout.
            if !self.count_wrong(now, Source::Keypad, out) {
                self.deny(now, Source::Keypad, OpError::InvalidCredential, None, out);
            }
            return;
        };
        if self.settings.apply(setting).is_err() {
            out.signal = Some(Signal::Denied);
            return;
        }
        out.persist.items.insert(ItemKey::Settings);
        out.signal = Some(Signal::SettingChanged);
        out.event(Event::LockUserChange {
            kind: DataKind::Settings,
            op: DataOp::Modify,
            user: Some(admin),
            by: None,
        });
        self.audit(
            out,
            now,
            Who::User(admin),
            What::SettingsChange,
            Source::Keypad,
            AuditResult::Ok,
        );
    }
}
