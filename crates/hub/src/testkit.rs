//! Test kit (feature `testkit`): databases, an in-process app without a
//! socket, and a whole hub with the built-in broker on port 0, each on a
//! fresh temporary SQLite database or a fresh PostgreSQL schema.
//!
//! PostgreSQL: set `TUMBLER_TEST_POSTGRES=postgres://…`. If it is unset or
//! unreachable, [`postgres_db`] returns `Ok(None)` (the caller prints
//! "skipped: no PostgreSQL") — unless `CI=true`, where it is an error.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tempfile::TempDir;

use crate::clock::FixedClock;
use crate::config::{DatabaseConfig, HubConfig, MqttConfig, PasswordParams};
use crate::server::{AppState, Hub, StartError};
use crate::service::{Service, ServiceError};
use crate::store::{Store, StoreError, StoreOptions};

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
    crate::secrets::random_bytes(&mut raw).map_err(ServiceError::from)?;
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

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
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

/// The start of every fixed clock in tests: 2026-01-15T12:00:00Z.
pub fn test_epoch() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_768_478_400).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// The HTTP app state over a test database, with a fixed clock and cheap
/// password hashing; drive it with `tower::ServiceExt::oneshot`.
#[derive(Debug)]
pub struct TestApp {
    /// Handed to [`crate::app`].
    pub state: AppState,
    /// Moves time for the service.
    pub clock: FixedClock,
    /// The database (keep it alive; call `cleanup` at the end).
    pub db: TestDb,
}

impl TestApp {
    /// Over a fresh SQLite database.
    pub async fn sqlite() -> Result<Self, TestkitError> {
        Self::on(sqlite_db().await?)
    }

    /// Over the given database.
    pub fn on(db: TestDb) -> Result<Self, TestkitError> {
        let clock = FixedClock::new(test_epoch());
        let service = Service::new(
            db.store.clone(),
            Arc::new(clock.clone()),
            PasswordParams::fast_for_tests(),
        )?;
        Ok(Self {
            state: AppState::new(service),
            clock,
            db,
        })
    }

    /// The service.
    pub fn service(&self) -> &Service {
        &self.state.service
    }
}

/// A whole hub: temporary SQLite database, built-in broker, HTTP on a free
/// loopback port, real clock, cheap password hashing.
#[derive(Debug)]
pub struct TestHub {
    /// The running hub.
    pub hub: Hub,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Keeps the database directory alive.
    pub dir: TempDir,
    /// The key its bindings are encrypted with (pass it to a restart).
    pub binding_key: crate::store::plane::BindingKey,
}

impl TestHub {
    /// Boots it with the built-in broker.
    pub async fn start() -> Result<Self, TestkitError> {
        Self::start_with(MqttConfig::Builtin).await
    }

    /// Boots it with the given broker choice.
    pub async fn start_with(mqtt: MqttConfig) -> Result<Self, TestkitError> {
        Self::start_opts(TestHubOptions::new(mqtt)).await
    }

    /// Boots it with every option: broker, manufacturer key, and the
    /// directory of an earlier hub's database (a restart).
    pub async fn start_opts(o: TestHubOptions) -> Result<Self, TestkitError> {
        let TestHubOptions {
            mqtt,
            manufacturer_key,
            dir,
            binding_key,
            clock,
        } = o;
        // Bindings are encrypted at rest in every whole-hub test.
        let binding_key = match binding_key {
            Some(k) => k,
            None => {
                let mut k = [0u8; 32];
                crate::secrets::random_bytes(&mut k).map_err(ServiceError::from)?;
                crate::store::plane::BindingKey::new(k)
            }
        };
        let dir = match dir {
            Some(d) => d,
            None => tempfile::tempdir()?,
        };
        let config = HubConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            database: DatabaseConfig::Sqlite {
                path: dir.path().join("hub.db"),
            },
            mqtt,
            password: PasswordParams::fast_for_tests(),
            pg_schema: None,
            manufacturer_key,
            binding_key: Some(binding_key.clone()),
            resend_after: crate::config::DEFAULT_RESEND_AFTER,
            worker_id: {
                let mut raw = [0u8; 6];
                crate::secrets::random_bytes(&mut raw).map_err(ServiceError::from)?;
                format!(
                    "testkit-{}",
                    raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
                )
            },
        };
        let clock = clock.unwrap_or_else(|| Arc::new(crate::clock::SystemClock));
        let hub = Hub::start(config, clock).await?;
        let base_url = format!("http://{}", hub.http_addr);
        Ok(Self {
            hub,
            base_url,
            dir,
            binding_key,
        })
    }

    /// Stops it.
    pub async fn stop(self) {
        self.hub.shutdown().await;
    }

    /// Stops it and keeps its database directory and binding key, for a
    /// restart with [`TestHubOptions::dir`] and [`TestHubOptions::binding_key`].
    pub async fn stop_keep(self) -> (TempDir, crate::store::plane::BindingKey) {
        self.hub.shutdown().await;
        (self.dir, self.binding_key)
    }
}

/// Options of [`TestHub::start_opts`].
pub struct TestHubOptions {
    /// Broker choice.
    pub mqtt: MqttConfig,
    /// Manufacturer signing key seed for manufacturer resets.
    pub manufacturer_key: Option<crate::config::ManufacturerKey>,
    /// Reuse this directory's database (from [`TestHub::stop_keep`]).
    pub dir: Option<TempDir>,
    /// The binding key (`None`: a fresh random one).
    pub binding_key: Option<crate::store::plane::BindingKey>,
    /// The hub's clock (`None`: the real one).
    pub clock: Option<Arc<dyn crate::clock::Clock>>,
}

impl TestHubOptions {
    /// On `mqtt`, with a fresh database, a random binding key, no
    /// manufacturer key and the real clock; set the other fields with `..`.
    pub fn new(mqtt: MqttConfig) -> Self {
        Self {
            mqtt,
            manufacturer_key: None,
            dir: None,
            binding_key: None,
            clock: None,
        }
    }
}

impl std::fmt::Debug for TestHubOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestHubOptions")
            .field("mqtt", &self.mqtt)
            .field("dir", &self.dir)
            .field("fixed_clock", &self.clock.is_some())
            .finish_non_exhaustive()
    }
}
