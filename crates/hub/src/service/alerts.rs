//! Alerts: list and acknowledge.

use super::{check_limit, Principal, Service, ServiceError, HISTORY};
use crate::model::Alert;

impl Service {
    /// The organisation's alerts, newest first (owners, managers, support).
    pub async fn list_alerts(
        &self,
        p: &Principal,
        open_only: bool,
        limit: Option<i64>,
    ) -> Result<Vec<Alert>, ServiceError> {
        self.require(p, HISTORY)?;
        let limit = check_limit(limit)?;
        Ok(self.store.list_alerts(p.org_id, open_only, limit).await?)
    }

    /// Acknowledges an alert (owners, managers, support); idempotent.
    pub async fn ack_alert(&self, p: &Principal, id: i64) -> Result<Alert, ServiceError> {
        self.require(p, HISTORY)?;
        self.store
            .ack_alert(p.org_id, id, p.account_id, self.now_ms())
            .await?
            .ok_or(ServiceError::NotFound)
    }
}
