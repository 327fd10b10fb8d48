//! A lock's reported settings: the named values it last answered to `get_settings`.

use super::{col, Store, StoreError};

/// What a lock last reported of its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedSettings {
    /// Setting name → value (names of [`crate::settings::SETTINGS`]).
    pub values: serde_json::Map<String, serde_json::Value>,
    /// When the answer arrived (ms).
    pub at: i64,
}

impl Store {
    /// Stores what lock `lock_id` reported of its settings.
    pub async fn set_lock_settings(
        &self,
        lock_id: i64,
        values: &serde_json::Map<String, serde_json::Value>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let text = serde_json::Value::Object(values.clone()).to_string();
        sqlx::query("UPDATE locks SET settings = $2, settings_at = $3 WHERE id = $1")
            .bind(lock_id)
            .bind(text)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// What lock `lock_id` last reported (`None`: not yet, or unreadable).
    pub async fn lock_settings(
        &self,
        lock_id: i64,
    ) -> Result<Option<ReportedSettings>, StoreError> {
        let row = sqlx::query("SELECT settings, settings_at FROM locks WHERE id = $1")
            .bind(lock_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let text: Option<String> = col(&r, "settings")?;
        let at: Option<i64> = col(&r, "settings_at")?;
        Ok(
            match (text.and_then(|t| serde_json::from_str(&t).ok()), at) {
                (Some(serde_json::Value::Object(values)), Some(at)) => {
                    Some(ReportedSettings { values, at })
                }
                _ => None,
            },
        )
    }
}
