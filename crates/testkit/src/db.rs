//! Test databases: a fresh SQLite file in a temporary directory, or a fresh
//! schema on the PostgreSQL at `TUMBLER_TEST_POSTGRES`.
//!
//! PostgreSQL: if `TUMBLER_TEST_POSTGRES` is unset or unreachable,
//! [`postgres_db`] returns `Ok(None)` (the caller prints "skipped: no
//! PostgreSQL") — unless `CI=true`, where it is an error: in CI a missing
//! service is a failure, never a skip.

use tempfile::TempDir;

use tumbler_hub::config::DatabaseConfig;
use tumbler_hub::server::StartError;
use tumbler_hub::service::ServiceError;
use tumbler_hub::store::{Store, StoreError, StoreOptions};

use crate::ci;

/// Why the kit could not provide something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestkitError {
    /// A temporary directory could not be made.
    #[error("tempdir: {0}")]
    Io(#[from] std::io::Error),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The service failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The hub did not start.
    #[error(transparent)]
    Start(#[from] StartError),
    /// `CI=true` but PostgreSQL is not configured or not reachable.
    #[error("CI=true requires PostgreSQL at TUMBLER_TEST_POSTGRES: {0}")]
    PostgresRequired(String),
}

/// A fresh database for one test.
#[derive(Debug)]
pub struct TestDb {
    /// The store on it.
    pub store: Store,
    /// Keeps the SQLite file alive.
    _dir: Option<TempDir>,
    /// PostgreSQL URL and schema to drop at the end.
    pg: Option<(String, String)>,
}

impl TestDb {
    /// Drops the PostgreSQL schema (no-op on SQLite: the directory goes
    /// with the value).
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some((url, schema)) = &self.pg {
            drop_pg_schema(url, schema).await;
        }
    }
}

/// Drops a PostgreSQL schema and everything in it (best effort).
pub async fn drop_pg_schema(url: &str, schema: &str) {
    sqlx::any::install_default_drivers();
    if !schema
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return;
    }
    if let Ok(pool) = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
    {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&pool)
        .await;
        pool.close().await;
    }
}

/// A schema name nobody else uses: `t_` and 16 random hex digits.
pub fn random_schema_name() -> Result<String, TestkitError> {
    let mut raw = [0u8; 8];
    tumbler_hub::secrets::random_bytes(&mut raw).map_err(ServiceError::from)?;
    Ok(format!(
        "t_{}",
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// A fresh SQLite database in a temporary directory.
pub async fn sqlite_db() -> Result<TestDb, TestkitError> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(StoreOptions::new(DatabaseConfig::Sqlite {
        path: dir.path().join("hub.db"),
    }))
    .await?;
    Ok(TestDb {
        store,
        _dir: Some(dir),
        pg: None,
    })
}

/// A fresh schema on `TUMBLER_TEST_POSTGRES`; `Ok(None)` when PostgreSQL is
/// not there (and not required).
pub async fn postgres_db() -> Result<Option<TestDb>, TestkitError> {
    let Ok(url) = std::env::var("TUMBLER_TEST_POSTGRES") else {
        if ci() {
            return Err(TestkitError::PostgresRequired("not set".into()));
        }
        return Ok(None);
    };
    let schema = random_schema_name()?;
    let mut opts = StoreOptions::new(DatabaseConfig::Postgres { url: url.clone() });
    opts.pg_schema = Some(schema.clone());
    opts.max_connections = 4;
    opts.connect_timeout = std::time::Duration::from_secs(3);
    match Store::open(opts).await {
        Ok(store) => Ok(Some(TestDb {
            store,
            _dir: None,
            pg: Some((url, schema)),
        })),
        Err(StoreError::Connect(e)) => {
            if ci() {
                Err(TestkitError::PostgresRequired(e.to_string()))
            } else {
                Ok(None)
            }
        }
        Err(e) => Err(e.into()),
    }
}
