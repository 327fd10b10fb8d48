//! Counts read when `/metrics` is scraped: locks by presence, operations by
//! kind and state. Read-only, whole-hub (metrics are for the operator).

use super::{col, Store, StoreError};
pub use crate::observe::HubCounts;

impl Store {
    /// The counts `/metrics` shows; two grouped queries.
    pub async fn hub_counts(&self) -> Result<HubCounts, StoreError> {
        let locks = sqlx::query(
            "SELECT presence, COUNT(*) AS n FROM locks WHERE claim_state = 'claimed' GROUP BY presence",
        )
        .fetch_all(&self.pool)
        .await?;
        let ops =
            sqlx::query("SELECT kind, state, COUNT(*) AS n FROM operations GROUP BY kind, state")
                .fetch_all(&self.pool)
                .await?;
        let mut out = HubCounts::default();
        for r in &locks {
            out.locks_by_presence
                .push((col(r, "presence")?, col(r, "n")?));
        }
        for r in &ops {
            out.operations
                .push((col(r, "kind")?, col(r, "state")?, col(r, "n")?));
        }
        Ok(out)
    }
}
