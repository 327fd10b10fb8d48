//! [`OpName`]: the stable name of each kind of operation, stored by the hub and
//! shown to people. Written out once here (never derived from a Rust variant
//! name), pinned by a test, so renaming a variant cannot change stored data.

use serde::{Deserialize, Serialize};

use super::OpKind;

macro_rules! op_names {
    ($($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)?) => {
        /// The name of a kind of operation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum OpName {
            $($(#[$vm])* #[serde(rename = $s)] $variant),+
        }

        impl OpName {
            /// Every name, in declaration order.
            pub const ALL: &'static [OpName] = &[$(OpName::$variant),+];

            /// The stored and wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(OpName::$variant => $s),+ }
            }

            /// Parses the stored and wire spelling.
            pub fn parse(s: &str) -> Option<OpName> {
                match s { $($s => Some(OpName::$variant),)+ _ => None }
            }
        }
    };
}

op_names! {
        /// [`OpKind::Lock`].
        Lock => "lock",
        /// [`OpKind::Unlock`].
        Unlock => "unlock",
        /// [`OpKind::UnlockWithTimeout`].
        UnlockWithTimeout => "unlock_with_timeout",
        /// [`OpKind::Reboot`].
        Reboot => "reboot",
        /// [`OpKind::FactoryReset`].
        FactoryReset => "factory_reset",
        /// [`OpKind::SelfCheck`].
        SelfCheck => "self_check",
        /// [`OpKind::IssueResetNonce`].
        IssueResetNonce => "issue_reset_nonce",
        /// [`OpKind::ManufacturerReset`].
        ManufacturerReset => "manufacturer_reset",
        /// [`OpKind::GetUser`].
        GetUser => "get_user",
        /// [`OpKind::SetUser`].
        SetUser => "set_user",
        /// [`OpKind::ClearUser`].
        ClearUser => "clear_user",
        /// [`OpKind::SetCredential`].
        SetCredential => "set_credential",
        /// [`OpKind::ClearCredential`].
        ClearCredential => "clear_credential",
        /// [`OpKind::SetWeekDaySchedule`].
        SetWeekDaySchedule => "set_week_day_schedule",
        /// [`OpKind::ClearWeekDaySchedule`].
        ClearWeekDaySchedule => "clear_week_day_schedule",
        /// [`OpKind::SetYearDaySchedule`].
        SetYearDaySchedule => "set_year_day_schedule",
        /// [`OpKind::ClearYearDaySchedule`].
        ClearYearDaySchedule => "clear_year_day_schedule",
        /// [`OpKind::SetHolidaySchedule`].
        SetHolidaySchedule => "set_holiday_schedule",
        /// [`OpKind::ClearHolidaySchedule`].
        ClearHolidaySchedule => "clear_holiday_schedule",
        /// [`OpKind::GetSettings`].
        GetSettings => "get_settings",
        /// [`OpKind::SetSettings`].
        SetSettings => "set_settings",
        /// [`OpKind::SetOperatingMode`].
        SetOperatingMode => "set_operating_mode",
        /// [`OpKind::SetTime`].
        SetTime => "set_time",
        /// [`OpKind::PairController`].
        PairController => "pair_controller",
        /// [`OpKind::UnpairController`].
        UnpairController => "unpair_controller",
        /// [`OpKind::LogFetch`].
        LogFetch => "log_fetch",
        /// [`OpKind::LogAck`].
        LogAck => "log_ack",
        /// [`OpKind::GetStatus`].
        GetStatus => "get_status",
        /// [`OpKind::GetCapabilities`].
        GetCapabilities => "get_capabilities",
        /// [`OpKind::GetSlotDigests`].
        GetSlotDigests => "get_slot_digests",
        /// [`OpKind::SetHotelDoor`].
        SetHotelDoor => "set_hotel_door",
        /// [`OpKind::DenyCard`].
        DenyCard => "deny_card",
        /// [`OpKind::SetOfflineCodes`].
        SetOfflineCodes => "set_offline_codes",
        /// [`OpKind::DenyOfflineCode`].
        DenyOfflineCode => "deny_offline_code",
}

impl core::fmt::Display for OpName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl OpKind {
    /// This operation's stable name.
    pub fn name(&self) -> OpName {
        match self {
            OpKind::Lock { .. } => OpName::Lock,
            OpKind::Unlock { .. } => OpName::Unlock,
            OpKind::UnlockWithTimeout { .. } => OpName::UnlockWithTimeout,
            OpKind::Reboot => OpName::Reboot,
            OpKind::FactoryReset => OpName::FactoryReset,
            OpKind::SelfCheck { .. } => OpName::SelfCheck,
            OpKind::IssueResetNonce => OpName::IssueResetNonce,
            OpKind::ManufacturerReset { .. } => OpName::ManufacturerReset,
            OpKind::GetUser { .. } => OpName::GetUser,
            OpKind::SetUser { .. } => OpName::SetUser,
            OpKind::ClearUser { .. } => OpName::ClearUser,
            OpKind::SetCredential { .. } => OpName::SetCredential,
            OpKind::ClearCredential { .. } => OpName::ClearCredential,
            OpKind::SetWeekDaySchedule { .. } => OpName::SetWeekDaySchedule,
            OpKind::ClearWeekDaySchedule { .. } => OpName::ClearWeekDaySchedule,
            OpKind::SetYearDaySchedule { .. } => OpName::SetYearDaySchedule,
            OpKind::ClearYearDaySchedule { .. } => OpName::ClearYearDaySchedule,
            OpKind::SetHolidaySchedule { .. } => OpName::SetHolidaySchedule,
            OpKind::ClearHolidaySchedule { .. } => OpName::ClearHolidaySchedule,
            OpKind::GetSettings => OpName::GetSettings,
            OpKind::SetSettings { .. } => OpName::SetSettings,
            OpKind::SetOperatingMode { .. } => OpName::SetOperatingMode,
            OpKind::SetTime { .. } => OpName::SetTime,
            OpKind::PairController { .. } => OpName::PairController,
            OpKind::UnpairController { .. } => OpName::UnpairController,
            OpKind::LogFetch { .. } => OpName::LogFetch,
            OpKind::LogAck { .. } => OpName::LogAck,
            OpKind::GetStatus => OpName::GetStatus,
            OpKind::GetCapabilities => OpName::GetCapabilities,
            OpKind::GetSlotDigests { .. } => OpName::GetSlotDigests,
            OpKind::SetHotelDoor { .. } => OpName::SetHotelDoor,
            OpKind::DenyCard { .. } => OpName::DenyCard,
            OpKind::SetOfflineCodes { .. } => OpName::SetOfflineCodes,
            OpKind::DenyOfflineCode { .. } => OpName::DenyOfflineCode,
        }
    }
}
