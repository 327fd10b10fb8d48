//! The one path to an alert: which lock alarm or reported event raises which
//! [`AlertKind`], and [`LockPlane::raise`], which every condition the plane
//! detects (presence, battery, clock, resets, log and event gaps) goes
//! through. The store keeps one open alert per lock and kind.

use tumbler_control::proto::AlarmCode;

use super::{LockPlane, PlaneError};
use crate::model::{AlertKind, Lock};
use crate::store::alerts::NewAlert;

/// The alert a lock alarm raises (the factory-reset alarm is reported by
/// the reset notice and the stale binding instead).
pub fn for_alarm(code: AlarmCode) -> Option<AlertKind> {
    Some(match code {
        AlarmCode::LockJammed => AlertKind::Jammed,
        AlarmCode::WrongCodeEntryLimit => AlertKind::WrongCodeLimit,
        AlarmCode::Tamper => AlertKind::Tamper,
        AlarmCode::ForcedOpen => AlertKind::DoorForced,
        AlarmCode::DoorAjar => AlertKind::DoorAjar,
        AlarmCode::LowBattery => AlertKind::BatteryLow,
        AlarmCode::CriticalBattery => AlertKind::BatteryCritical,
        AlarmCode::Duress => AlertKind::Duress,
        AlarmCode::ResetRefusedLowBattery => AlertKind::ResetRefusedLowBattery,
        AlarmCode::LockFactoryReset => return None,
        _ => return None,
    })
}

/// The alert an event reported by name raises, if any.
pub fn for_event(kind: &str) -> Option<AlertKind> {
    Some(match kind {
        "jammed" => AlertKind::Jammed,
        "wrong_code_limit" => AlertKind::WrongCodeLimit,
        "tamper" => AlertKind::Tamper,
        "door_forced" => AlertKind::DoorForced,
        "unknown_controller" => AlertKind::UnknownController,
        "clock_drift" => AlertKind::ClockDrift,
        _ => return None,
    })
}

impl LockPlane {
    /// Raises `kind` about `lock` for its organisation (nothing for a lock
    /// nobody owns); `message` refines the kind's own text.
    pub(crate) async fn raise(
        &self,
        lock: &Lock,
        kind: AlertKind,
        message: Option<&str>,
        now_ms: i64,
    ) -> Result<(), PlaneError> {
        if let Some(org) = lock.org_id {
            self.store
                .raise_alert(
                    NewAlert {
                        org_id: org,
                        lock_id: Some(lock.id),
                        kind,
                        message,
                    },
                    now_ms,
                )
                .await?;
        }
        Ok(())
    }
}
