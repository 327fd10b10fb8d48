//! Locks: listing and detail for people; presence, telemetry and binding
//! for the broker link and the (later) claim flow.

use super::{check_name, Principal, Service, ServiceError, ANY_ROLE};
use crate::model::Lock;
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
                .ok_or(ServiceError::Missing {
                    what: "site",
                    id: site,
                })?;
        }
        Ok(self.store.list_locks(p.org_id, filter).await?)
    }

    /// One lock.
    pub async fn get_lock(&self, p: &Principal, id: i64) -> Result<Lock, ServiceError> {
        self.require(p, ANY_ROLE)?;
        self.store
            .get_lock(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing { what: "lock", id })
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
            .ok_or(ServiceError::Missing {
                what: "site",
                id: site_id,
            })?;
        let lock = self.store.lock_seen(&serial, self.now_ms()).await?;
        self.store
            .bind_lock(lock.id, org_id, site_id, &name)
            .await?
            .ok_or(ServiceError::NotFound)
    }
}

/// Checks a serial ([`crate::model::is_valid_serial`]).
pub fn check_serial(s: &str) -> Result<String, ServiceError> {
    if crate::model::is_valid_serial(s) {
        Ok(s.to_owned())
    } else {
        Err(super::invalid("serial", crate::model::SERIAL_RULE))
    }
}

/// What locks report, through the lock plane (kept here for callers that
/// hold a [`Service`], such as tests and the simulator glue).
impl Service {
    /// See [`crate::plane::LockPlane::lock_presence`].
    pub async fn lock_presence(
        &self,
        serial: &str,
        online: bool,
    ) -> Result<Option<Lock>, ServiceError> {
        Ok(self.plane.lock_presence(serial, online).await?)
    }

    /// See [`crate::plane::LockPlane::lock_telemetry`].
    pub async fn lock_telemetry(
        &self,
        serial: &str,
        battery_pct: Option<i64>,
        reset_counter: i64,
    ) -> Result<Lock, ServiceError> {
        Ok(self
            .plane
            .lock_telemetry(serial, battery_pct, reset_counter)
            .await?)
    }

    /// See [`crate::plane::LockPlane::ingest_event`].
    pub async fn ingest_event(
        &self,
        serial: &str,
        seq: i64,
        kind: &str,
        at_ms: i64,
        data: &serde_json::Value,
    ) -> Result<crate::store::events::IngestOutcome, ServiceError> {
        Ok(self
            .plane
            .ingest_event(serial, seq, kind, at_ms, data)
            .await?)
    }
}
