//! The database: SQLite or PostgreSQL, chosen from the URL at run time.
//!
//! Both backends go through sqlx's `Any` driver with one set of queries
//! (`$1` placeholders work on both); where the dialects differ (claiming
//! jobs, row locks) the [`Backend`] enum picks the statement. Each backend
//! has its own migrations folder with the same numbering.
//!
//! Files: [`orgs`] (organisations, accounts, tokens), [`sites`], [`locks`],
//! [`operations`], [`events`], [`alerts`], [`access`] (people and access), [`settings`]
//! (a lock's reported settings), [`hotel`] (property keys, rooms, stays, cards), [`leases`]
//! (lock-plane leases between hubs, operation-end notifications), [`stats`] (counts for
//! `/metrics`), [`webhooks`] (endpoints, the outbox of deliveries, the delivery log),
//! [`offline`] (offline-code secrets and issued codes).

pub mod access;
pub mod alerts;
mod durable;
pub mod events;
pub mod hotel;
pub mod leases;
pub mod locks;
pub mod offline;
pub mod operations;
pub mod orgs;
pub mod plane;
pub mod rentals;
pub mod settings;
pub mod sites;
pub mod stats;
pub mod webhooks;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor, Row};

use crate::config::DatabaseConfig;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which SQL dialect the pool speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite (one file, writers serialised by the database).
    Sqlite,
    /// PostgreSQL (row locks, `FOR UPDATE SKIP LOCKED`).
    Postgres,
}

/// Failures of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Could not open or reach the database.
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// A migration failed to apply.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A uniqueness rule was violated (e.g. e-mail or site name taken).
    #[error("already exists")]
    Conflict,
    /// A referenced row is still in use (e.g. deleting a site with locks).
    #[error("still in use")]
    InUse,
    /// The change would leave an organisation without an owner; nothing
    /// was changed.
    #[error("an organisation keeps at least one owner")]
    LastOwner,
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// A stored value could not be understood (should not happen: the hub
    /// wrote it); reported instead of panicking.
    #[error("stored value not understood: {0}")]
    LogicBug(String),
    /// The schema name given for PostgreSQL is not a plain identifier.
    #[error("invalid schema name")]
    InvalidSchema,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict;
            }
            if db.is_foreign_key_violation() {
                return StoreError::InUse;
            }
        }
        StoreError::Database(e)
    }
}

/// How to open a [`Store`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Which database.
    pub database: DatabaseConfig,
    /// PostgreSQL only: put every table in this schema (created if missing),
    /// via `search_path` on each pooled connection. Used by tests so that
    /// runs never collide.
    pub pg_schema: Option<String>,
    /// Pool size.
    pub max_connections: u32,
    /// How long to wait for a connection (also when the server is down).
    pub connect_timeout: std::time::Duration,
}

impl StoreOptions {
    /// Defaults for a database.
    pub fn new(database: DatabaseConfig) -> Self {
        Self {
            database,
            pg_schema: None,
            max_connections: 8,
            connect_timeout: std::time::Duration::from_secs(30),
        }
    }
}

/// A handle on the hub's database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Encrypts bindings at rest (see [`plane::BindingKey`]); `None`: stored in clear.
    binding_key: Option<std::sync::Arc<plane::BindingKey>>,
    /// SQLite: the group-commit barrier ([`Store::durable`]).
    barrier: Option<std::sync::Arc<durable::Barrier>>,
    /// PostgreSQL: the URL, for the notification listener ([`leases`]).
    pg_url: Option<std::sync::Arc<str>>,
}

fn valid_schema(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
}

/// Creates the SQLite file owner-only (0600) before SQLite opens it, or tightens an existing
/// one: the database holds password hashes and sealed lock bindings. SQLite gives the WAL and
/// shared-memory files the database file's permissions, so they follow. A no-op off Unix.
fn owner_only_db_file(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        if file.metadata()?.permissions().mode() & 0o777 != 0o600 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        for side in ["-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(side);
            let p = std::path::PathBuf::from(p);
            if p.exists() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl Store {
    /// Opens the database (creating an SQLite file if missing) and applies
    /// pending migrations.
    pub async fn open(options: StoreOptions) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let (url, backend) = match &options.database {
            DatabaseConfig::Sqlite { path } => {
                if let Some(parent) = path.parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent)
                            .map_err(|e| StoreError::Connect(sqlx::Error::Io(e)))?;
                    }
                }
                owner_only_db_file(path).map_err(|e| StoreError::Connect(sqlx::Error::Io(e)))?;
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Backend::Sqlite,
                )
            }
            DatabaseConfig::Postgres { url } => (url.clone(), Backend::Postgres),
        };
        let schema = match (&options.pg_schema, backend) {
            (Some(s), Backend::Postgres) => {
                if !valid_schema(s) {
                    return Err(StoreError::InvalidSchema);
                }
                Some(s.clone())
            }
            _ => None,
        };
        if let Some(schema) = &schema {
            // Create the schema on a plain connection first, so that the pool's
            // `search_path` points at something that exists.
            let admin = AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(options.connect_timeout)
                .connect(&url)
                .await
                .map_err(StoreError::Connect)?;
            admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "CREATE SCHEMA IF NOT EXISTS {schema}"
                )))
                .await?;
            admin.close().await;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.connect_timeout)
            .after_connect(move |conn, _meta| {
                let schema = schema.clone();
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => {
                            // synchronous = NORMAL: commits are made durable in
                            // groups by `Store::durable` (see durable.rs).
                            conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
                                .await?;
                        }
                        Backend::Postgres => {
                            if let Some(schema) = schema {
                                conn.execute(sqlx::AssertSqlSafe(format!("SET search_path TO {schema}")))
                                    .await?;
                            }
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(StoreError::Connect)?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await?;
        let barrier = match &options.database {
            DatabaseConfig::Sqlite { path } => {
                Some(std::sync::Arc::new(durable::Barrier::new(path)))
            }
            DatabaseConfig::Postgres { .. } => None,
        };
        let pg_url = (backend == Backend::Postgres).then(|| std::sync::Arc::from(url.as_str()));
        Ok(Self {
            pool,
            backend,
            binding_key: None,
            barrier,
            pg_url,
        })
    }

    /// Encrypt bindings with `key` from now on (existing clear ones are still
    /// read, and encrypted at their next write).
    pub fn with_binding_key(mut self, key: Option<plane::BindingKey>) -> Self {
        self.binding_key = key.map(std::sync::Arc::new);
        self
    }

    /// Which dialect this store speaks.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for tests and tools that need raw SQL.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Reads a column, mapping decode errors to [`StoreError::LogicBug`].
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name)
        .map_err(|e| StoreError::LogicBug(format!("column {name}: {e}")))
}

/// Parses a stored enum spelling.
pub(crate) fn parse_enum<T>(
    row: &AnyRow,
    name: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let s: String = col(row, name)?;
    parse(&s).ok_or_else(|| StoreError::LogicBug(format!("column {name}: unknown value {s:?}")))
}

/// Parses a stored JSON text column.
pub(crate) fn json_col(row: &AnyRow, name: &str) -> Result<serde_json::Value, StoreError> {
    let s: String = col(row, name)?;
    serde_json::from_str(&s).map_err(|e| StoreError::LogicBug(format!("column {name}: {e}")))
}
