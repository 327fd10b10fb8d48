//! The hub under test: [`TestApp`] (the HTTP app state over a test database,
//! driven without a socket) and [`TestHub`] (a whole hub with the built-in
//! broker and HTTP on port 0 over a temporary SQLite database).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tempfile::TempDir;

use tumbler_device::mqtt::{BrokerAddr, BrokerLogin};
use tumbler_hub::clock::FixedClock;
use tumbler_hub::config::{DatabaseConfig, HubConfig, MqttConfig, PasswordParams};
use tumbler_hub::server::{AppState, Hub};
use tumbler_hub::service::{Service, ServiceError};
use tumbler_hub::store::plane::BindingKey;

use crate::db::{sqlite_db, TestDb, TestkitError};

/// The start of every fixed clock in tests: 2026-01-15T12:00:00Z.
pub fn test_epoch() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_768_478_400).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// The HTTP app state over a test database, with a fixed clock and cheap
/// password hashing; drive it with `tower::ServiceExt::oneshot`.
#[derive(Debug)]
pub struct TestApp {
    /// Handed to [`tumbler_hub::app`].
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
    pub binding_key: BindingKey,
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
            resend_after,
            webhooks,
        } = o;
        // Test receivers listen on loopback.
        let webhooks = webhooks.unwrap_or_else(|| tumbler_hub::config::WebhookOptions {
            allow_private: true,
            ..Default::default()
        });
        // Bindings are encrypted at rest in every whole-hub test.
        let binding_key = match binding_key {
            Some(k) => k,
            None => {
                let mut k = [0u8; 32];
                tumbler_hub::secrets::random_bytes(&mut k).map_err(ServiceError::from)?;
                BindingKey::new(k)
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
            resend_after: resend_after.unwrap_or(tumbler_hub::config::DEFAULT_RESEND_AFTER),
            metrics_token: None,
            webhooks,
            worker_id: {
                let mut raw = [0u8; 6];
                tumbler_hub::secrets::random_bytes(&mut raw).map_err(ServiceError::from)?;
                format!(
                    "testkit-{}",
                    raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
                )
            },
        };
        let clock = clock.unwrap_or_else(|| Arc::new(tumbler_hub::clock::SystemClock));
        let hub = Hub::start(config, clock).await?;
        let base_url = format!("http://{}", hub.http_addr);
        Ok(Self {
            hub,
            base_url,
            dir,
            binding_key,
        })
    }

    /// Where its broker listens, as a simulated lock it provisioned dials it
    /// (on an external broker: the hub's secret must match that broker's logins).
    pub fn broker(&self) -> BrokerAddr {
        BrokerAddr {
            host: self.hub.mqtt_addr.0.clone(),
            port: self.hub.mqtt_addr.1,
            // Locks provisioned by this hub: logins derived from its secret.
            login: Some(BrokerLogin::Provisioned(*self.hub.broker_secret.expose())),
            tls: None,
        }
    }

    /// Stops it.
    pub async fn stop(self) {
        self.hub.shutdown().await;
    }

    /// Stops it and keeps its database directory and binding key, for a
    /// restart with [`TestHubOptions::dir`] and [`TestHubOptions::binding_key`].
    pub async fn stop_keep(self) -> (TempDir, BindingKey) {
        self.hub.shutdown().await;
        (self.dir, self.binding_key)
    }
}

/// Options of [`TestHub::start_opts`].
pub struct TestHubOptions {
    /// Broker choice.
    pub mqtt: MqttConfig,
    /// Manufacturer signing key seed for manufacturer resets.
    pub manufacturer_key: Option<tumbler_hub::config::ManufacturerKey>,
    /// Reuse this directory's database (from [`TestHub::stop_keep`]).
    pub dir: Option<TempDir>,
    /// The binding key (`None`: a fresh random one).
    pub binding_key: Option<BindingKey>,
    /// The hub's clock (`None`: the real one).
    pub clock: Option<Arc<dyn tumbler_hub::clock::Clock>>,
    /// How long an operation waits for an answer before it is sent again
    /// and its connected lock counts as unresponsive (`None`: the default).
    pub resend_after: Option<std::time::Duration>,
    /// Webhook delivery (`None`: the defaults, with loopback endpoints allowed).
    pub webhooks: Option<tumbler_hub::config::WebhookOptions>,
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
            resend_after: None,
            webhooks: None,
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

/// Anything that holds the hub's HTTP app state, so one `call` (the `http` module)
/// serves an [`AppState`], a [`TestApp`], a [`Hub`] and a [`TestHub`].
pub trait HasState {
    /// The app state requests are routed through.
    fn app_state(&self) -> &AppState;
}

impl HasState for AppState {
    fn app_state(&self) -> &AppState {
        self
    }
}

impl HasState for TestApp {
    fn app_state(&self) -> &AppState {
        &self.state
    }
}

impl HasState for Hub {
    fn app_state(&self) -> &AppState {
        &self.state
    }
}

impl HasState for TestHub {
    fn app_state(&self) -> &AppState {
        &self.hub.state
    }
}
