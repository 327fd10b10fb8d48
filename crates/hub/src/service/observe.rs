//! What the operator endpoints read: readiness of the database and the
//! metrics text (counters from the plane, gauges from the database).
//! No principal: the HTTP edge decides who may read them.

use super::{Service, ServiceError};

impl Service {
    /// `Ok` when the database answers a query.
    pub async fn ready(&self) -> Result<(), ServiceError> {
        Ok(self.store.ping().await?)
    }

    /// The Prometheus text exposition of this hub's metrics.
    pub async fn metrics_text(&self) -> Result<String, ServiceError> {
        let counts = self.store.hub_counts().await?;
        let webhook_queue = self.store.webhook_queue_depth().await?;
        Ok(self.plane.metrics().render(&counts, Some(webhook_queue)))
    }
}
