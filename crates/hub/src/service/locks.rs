//! Locks: listing and detail for people; presence, telemetry and binding
//! for the broker link and the (later) claim flow.

use super::{check_name, Principal, Service, ServiceError, ANY_ROLE};
use crate::model::{ClaimState, Lock, Severity};
use crate::store::alerts::NewAlert;
use crate::store::locks::LockFilter;

impl Service {
    /// The organisation's locks.
    pub async fn list_locks(
        &self,
        p: &Principal,
        filter: &LockFilter,
    ) -> Result<Vec<Lock>, ServiceError> {
        self.require(p, ANY_ROLE)?;
        if let Some(site) = filter.site_id {
            // A site of another organisation is "not found", not an empty list.
            self.store
                .get_site(p.org_id, site)
                .await?
                .ok_or(ServiceError::NotFound)?;
        }
        Ok(self.store.list_locks(p.org_id, filter).await?)
    }

    /// One lock.
    pub async fn get_lock(&self, p: &Principal, id: i64) -> Result<Lock, ServiceError> {
        self.require(p, ANY_ROLE)?;
        self.store
            .get_lock(p.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Binds a lock to an organisation's site. **Only for the claim flow**,
    /// after the lock has proven itself (setup-code pairing), and for tests
    /// and demo provisioning; no HTTP route calls it directly.
    pub async fn bind_lock(
        &self,
        org_id: i64,
        site_id: i64,
        serial: &str,
        name: &str,
    ) -> Result<Lock, ServiceError> {
        let name = check_name("name", name)?;
        let serial = check_serial(serial)?;
        self.store
            .get_site(org_id, site_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let lock = self.store.lock_seen(&serial, self.now_ms()).await?;
        self.store
            .bind_lock(lock.id, org_id, site_id, &name)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// The broker reported a lock's availability (`status` topic). Only
    /// locks the hub already knows are updated; other serials are ignored
    /// (`Ok(None)`), so anyone publishing on the untrusted broker cannot
    /// make the hub create rows. Going offline while claimed raises a
    /// `lock_offline` alert.
    pub async fn lock_presence(
        &self,
        serial: &str,
        online: bool,
    ) -> Result<Option<Lock>, ServiceError> {
        let serial = check_serial(serial)?;
        let Some(before) = self.store.lock_by_serial(&serial).await? else {
            return Ok(None);
        };
        let now = self.now_ms();
        let Some(lock) = self.store.set_online(&serial, online, now).await? else {
            return Ok(None);
        };
        if before.online && !online && lock.claim_state == ClaimState::Claimed {
            if let Some(org) = lock.org_id {
                self.store
                    .raise_alert(
                        NewAlert {
                            org_id: org,
                            lock_id: Some(lock.id),
                            kind: "lock_offline",
                            severity: Severity::Warning,
                            message: "the lock went offline",
                        },
                        now,
                    )
                    .await?;
            }
        }
        Ok(Some(lock))
    }

    /// The lock reported battery and reset counter. A higher reset counter
    /// on a claimed lock marks it `reset_binding_stale` and raises a
    /// `reset_detected` alert; a low battery raises `battery_low` (≤ 20 %)
    /// or `battery_critical` (≤ 5 %).
    pub async fn lock_telemetry(
        &self,
        serial: &str,
        battery_pct: Option<i64>,
        reset_counter: i64,
    ) -> Result<Lock, ServiceError> {
        let serial = check_serial(serial)?;
        if battery_pct.is_some_and(|b| !(0..=100).contains(&b)) {
            return Err(super::invalid("battery_pct", "0..=100"));
        }
        let now = self.now_ms();
        let seen = self.store.lock_seen(&serial, now).await?;
        let (lock, reset) = self
            .store
            .record_telemetry(seen.id, battery_pct, reset_counter, now)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if let Some(org) = lock.org_id {
            let mut alerts = Vec::new();
            if reset {
                alerts.push((
                    "reset_detected",
                    Severity::Critical,
                    "the lock was factory reset: binding stale, re-claim or release it",
                ));
            }
            match battery_pct {
                Some(b) if b <= 5 => {
                    alerts.push(("battery_critical", Severity::Critical, "battery critical"))
                }
                Some(b) if b <= 20 && seen.battery_pct.is_none_or(|old| old > 20) => {
                    alerts.push(("battery_low", Severity::Warning, "battery low"))
                }
                _ => {}
            }
            for (kind, severity, message) in alerts {
                self.store
                    .raise_alert(
                        NewAlert {
                            org_id: org,
                            lock_id: Some(lock.id),
                            kind,
                            severity,
                            message,
                        },
                        now,
                    )
                    .await?;
            }
        }
        Ok(lock)
    }
}

/// A serial is 1..=64 characters of `[A-Za-z0-9_-]` (it is an MQTT topic
/// segment, so no `/`, `+` or `#`).
pub fn check_serial(s: &str) -> Result<String, ServiceError> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(super::invalid(
            "serial",
            "1-64 characters of A-Z a-z 0-9 - _",
        ))
    }
}
