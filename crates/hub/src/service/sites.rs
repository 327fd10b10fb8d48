//! Sites and their time zones.

use super::{check_name, invalid, Principal, Service, ServiceError, ADMINS, ANY_ROLE, OWNERS};
use crate::model::{ClaimState, OpName, Site};
use crate::store::locks::LockFilter;
use crate::store::StoreError;

/// Checks an IANA time zone name against jiff's database (e.g.
/// `Europe/Paris`); returns the name as given.
pub fn check_time_zone(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 {
        return Err(invalid(
            "time_zone",
            "an IANA time zone such as Europe/Paris",
        ));
    }
    jiff::tz::TimeZone::get(name)
        .map(|_| name.to_owned())
        .map_err(|_| super::refused("time_zone", "unknown IANA time zone"))
}

fn conflict(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict => ServiceError::Conflict("site name"),
        other => other.into(),
    }
}

impl Service {
    /// The organisation's sites.
    pub async fn list_sites(&self, p: &Principal) -> Result<Vec<Site>, ServiceError> {
        self.require(p, ANY_ROLE)?;
        Ok(self.store.list_sites(p.org_id).await?)
    }

    /// One site.
    pub async fn get_site(&self, p: &Principal, id: i64) -> Result<Site, ServiceError> {
        self.require(p, ANY_ROLE)?;
        self.store
            .get_site(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing { what: "site", id })
    }

    /// Creates a site (owners, managers).
    pub async fn create_site(
        &self,
        p: &Principal,
        name: &str,
        time_zone: &str,
    ) -> Result<Site, ServiceError> {
        self.require(p, ADMINS)?;
        let name = check_name("name", name)?;
        let tz = check_time_zone(time_zone)?;
        self.store
            .create_site(p.org_id, &name, &tz, self.now_ms())
            .await
            .map_err(conflict)
    }

    /// Renames a site and/or changes its time zone (owners, managers).
    ///
    /// A new time zone is pushed to every claimed lock of the site as a
    /// `set_time` operation (the zone's rule: offset and DST). Schedules are
    /// stored on the lock in site local time, so the lock's schedule
    /// interpretation follows the new rule without re-sending them.
    pub async fn update_site(
        &self,
        p: &Principal,
        id: i64,
        name: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<Site, ServiceError> {
        self.require(p, ADMINS)?;
        let name = name.map(|n| check_name("name", n)).transpose()?;
        let tz = time_zone.map(check_time_zone).transpose()?;
        let before = self
            .store
            .get_site(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing { what: "site", id })?;
        let site = self
            .store
            .update_site(p.org_id, id, name.as_deref(), tz.as_deref())
            .await
            .map_err(conflict)?
            .ok_or(ServiceError::Missing { what: "site", id })?;
        if site.time_zone != before.time_zone {
            self.push_time_rule(p, &site).await?;
        }
        Ok(site)
    }

    /// Queues the site's time rule (`set_time`) on each of its claimed locks.
    async fn push_time_rule(&self, p: &Principal, site: &Site) -> Result<(), ServiceError> {
        let params = self.set_time_params(site.id, p.org_id).await?;
        let filter = LockFilter {
            site_id: Some(site.id),
            claim_state: Some(ClaimState::Claimed),
        };
        for lock in self.store.list_locks(p.org_id, &filter).await? {
            self.enqueue(p, &lock, OpName::SetTime, params.clone())
                .await?;
        }
        Ok(())
    }

    /// Deletes an empty site (owners).
    pub async fn delete_site(&self, p: &Principal, id: i64) -> Result<(), ServiceError> {
        self.require(p, OWNERS)?;
        if self.store.delete_site(p.org_id, id, self.now_ms()).await? {
            Ok(())
        } else {
            Err(ServiceError::Missing { what: "site", id })
        }
    }
}
