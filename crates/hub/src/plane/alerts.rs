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
    /// nobody owns); `message` refines the kind's own text. Rate-limited
    /// per lock and kind ([`super::limit`]): a refused raise is counted and
    /// written nowhere.
    pub(crate) async fn raise(
        &self,
        lock: &Lock,
        kind: AlertKind,
        message: Option<&str>,
        now_ms: i64,
    ) -> Result<(), PlaneError> {
        if !self.alert_limit.allow(lock.id, kind, now_ms) {
            tracing::debug!(
                serial = lock.serial,
                kind = kind.as_str(),
                suppressed = self.alert_limit.suppressed(),
                "alert rate limit: raise not written"
            );
            return Ok(());
        }
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

    /// The condition behind `kind` ended for `lock` (back online, answering
    /// again, battery back above its threshold): its open alert is cleared.
    pub(crate) async fn clear(
        &self,
        lock: &Lock,
        kind: AlertKind,
        now_ms: i64,
    ) -> Result<(), PlaneError> {
        self.alert_limit.cleared(lock.id, kind);
        if let Some(org) = lock.org_id {
            self.store.clear_alert(org, lock.id, kind, now_ms).await?;
        }
        Ok(())
    }

    /// The battery alerts a reported level raises or clears: `battery_critical`
    /// at or below 5 %, `battery_low` at or below 20 %; each is cleared once
    /// the level is back above its threshold. Raising one that is still open
    /// changes nothing (the store counts a condition once), so the lock's
    /// alarm and its status saying the same level leave one alert.
    pub(crate) async fn battery_level(
        &self,
        lock: &Lock,
        pct: i64,
        now_ms: i64,
    ) -> Result<(), PlaneError> {
        if pct <= BATTERY_CRITICAL_PCT {
            self.raise(lock, AlertKind::BatteryCritical, None, now_ms)
                .await?;
        } else {
            self.clear(lock, AlertKind::BatteryCritical, now_ms).await?;
            if pct <= BATTERY_LOW_PCT {
                self.raise(lock, AlertKind::BatteryLow, None, now_ms)
                    .await?;
            }
        }
        if pct > BATTERY_LOW_PCT {
            self.clear(lock, AlertKind::BatteryLow, now_ms).await?;
        }
        Ok(())
    }
}

/// At or below this level (percent) the battery is critical.
pub const BATTERY_CRITICAL_PCT: i64 = 5;
/// At or below this level (percent) the battery is low.
pub const BATTERY_LOW_PCT: i64 = 20;
