//! Wiring: the app state, [`serve`] for a listener, and [`Hub`] which
//! starts a whole hub process (database, broker link, jobs, HTTP).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

pub use crate::api::AppState;
use crate::broker::{self, BrokerError, EmbeddedBroker};
use crate::clock::Clock;
use crate::config::{HubConfig, MqttConfig, MqttLogin};
use crate::jobs::JobRunner;
use crate::mqtt::{MqttLink, MqttOptions, Publisher, UpMessage};
use crate::plane::lease::{self, Leases};
use crate::plane::sender::ProtoSender;
use crate::plane::LockPlane;
use crate::secrets::BrokerSecret;
use crate::service::{Service, ServiceError};
use crate::store::{Backend, Store, StoreError, StoreOptions};

/// Serves the API on `listener` until `shutdown` resolves, then finishes
/// in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // With connect info, so the login limit can count per client address.
    let app = crate::http::app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Why a hub could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The service could not be set up.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The webhook worker could not be built.
    #[error(transparent)]
    Webhooks(#[from] crate::webhook_worker::WorkerError),
    /// The embedded broker did not start.
    #[error(transparent)]
    Broker(#[from] BrokerError),
    /// The HTTP address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// Address asked for.
        addr: SocketAddr,
        /// OS error.
        source: std::io::Error,
    },
}

/// A running hub process.
#[derive(Debug)]
pub struct Hub {
    /// Where the HTTP API listens.
    pub http_addr: SocketAddr,
    /// Where the MQTT broker is (embedded or external).
    pub mqtt_addr: (String, u16),
    /// The embedded broker, when `--mqtt builtin`.
    pub broker: Option<EmbeddedBroker>,
    /// The secret broker logins are derived from (the hub's own on the
    /// built-in broker, and every lock's: `tumbler broker-login`).
    pub broker_secret: BrokerSecret,
    /// The state handed to handlers (for bootstrap and tests).
    pub state: AppState,
    /// Publish path to locks' `down` topics.
    pub publisher: Publisher,
    /// Messages from locks' `up` topics (subscribe to decode them).
    pub up: broadcast::Sender<UpMessage>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// How many tasks handle frames from locks (each lock always on the same one).
const UPLINK_SHARDS: usize = 4;

/// Frames waiting per shard before the dispatcher waits.
const SHARD_QUEUE: usize = 16_384;

/// The shard of a lock: a stable hash of its serial.
fn shard_of(serial: &str) -> usize {
    // FNV-1a: stable across runs and processes, and cheap.
    let h = serial.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    usize::try_from(h % UPLINK_SHARDS as u64).unwrap_or(0)
}

/// The lock plane once linked to the broker, for [`crate::mqtt::Presence`].
struct LinkedPlane(watch::Receiver<Option<LockPlane>>);

impl crate::mqtt::Presence for LinkedPlane {
    async fn presence(&self, serial: &str, online: bool) {
        let mut rx = self.0.clone();
        let plane = match rx.wait_for(Option::is_some).await {
            Ok(p) => p.clone(),
            Err(_) => return,
        };
        if let Some(plane) = plane {
            plane.presence(serial, online).await;
        }
    }
}

impl Hub {
    /// Opens the database, starts or reaches the broker, starts the broker
    /// link, the job runner and the HTTP server.
    pub async fn start(config: HubConfig, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let mut store_options = StoreOptions::new(config.database.clone());
        store_options.pg_schema = config.pg_schema.clone();
        let store = Store::open(store_options)
            .await?
            .with_binding_key(config.binding_key.clone());
        let service = Service::new(store.clone(), clock.clone(), config.password)?;
        // Several hubs share a PostgreSQL database, so there each handles the
        // locks it holds leases on; an SQLite hub is alone with its file.
        // Leases first: a frame that arrives before this hub knows its share
        // of the locks would be dropped.
        // Opt-in for now (`TUMBLER_PLANE_LEASES=1`): a hub that takes shards
        // over after start was seen to stop claiming their operations under
        // load (docs/benchmarks.md, "Several hubs"), cause not yet found.
        let leased = store.backend() == Backend::Postgres
            && std::env::var_os("TUMBLER_PLANE_LEASES").is_some_and(|v| v == "1");
        let leases = if leased {
            let leases = Leases::leased();
            lease::pass(&store, &leases, &config.worker_id, lease::wall_ms()).await?;
            leases
        } else {
            Leases::all()
        };

        let broker_secret = match &config.binding_key {
            Some(k) => BrokerSecret::from_binding_key(k),
            None => BrokerSecret::random().map_err(ServiceError::from)?,
        };
        let (broker, mqtt_addr, login, tls) = match &config.mqtt {
            MqttConfig::Builtin => {
                let b = broker::start_embedded(&broker_secret).await?;
                let addr = (b.addr.ip().to_string(), b.addr.port());
                let login = MqttLogin {
                    username: tumbler_control::proto::broker_login::HUB_USERNAME.to_owned(),
                    password: zeroize::Zeroizing::new(broker_secret.hub_password()),
                };
                (Some(b), addr, Some(login), None)
            }
            MqttConfig::External {
                host,
                port,
                login,
                tls,
            } => (None, (host.clone(), *port), login.clone(), tls.clone()),
        };
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();

        // Presence is handled by the linked plane (it challenges the lock),
        // which exists only once the link gives its publisher.
        let (linked_tx, linked_rx) = watch::channel(None);
        let link = MqttLink::start(
            MqttOptions {
                host: mqtt_addr.0.clone(),
                port: mqtt_addr.1,
                client_id: format!("tumbler-hub-{}", config.worker_id),
                login,
                tls,
            },
            LinkedPlane(linked_rx),
            stop_rx.clone(),
        );
        tasks.push(link.task);

        let plane = service
            .plane()
            .clone()
            .linked(
                link.publisher.clone(),
                config.manufacturer_key.as_ref().map(|k| k.0),
            )
            .with_leases(leases.clone());
        if leased {
            tasks.push(tokio::spawn(lease::run(
                store.clone(),
                leases,
                config.worker_id.clone(),
                stop_rx.clone(),
            )));
        }
        tasks.push(tokio::spawn(lease::relay_op_ends(
            store.clone(),
            plane.op_ended(),
            stop_rx.clone(),
        )));
        let _ = linked_tx.send(Some(plane.clone()));
        let service = service.with_plane(plane.clone());
        let state = AppState::new(service.clone())
            .with_link(link.health.clone())
            .with_metrics_token(config.metrics_token.clone());
        // Frames from locks are handled by UPLINK_SHARDS tasks, each lock's
        // always by the same one in arrival order (per-lock order matters:
        // counters, log sequence); different locks proceed in parallel.
        let mut shards = Vec::with_capacity(UPLINK_SHARDS);
        for _ in 0..UPLINK_SHARDS {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<UpMessage>(SHARD_QUEUE);
            let shard_plane = plane.clone();
            tasks.push(tokio::spawn(async move {
                while let Some(m) = rx.recv().await {
                    shard_plane.on_up(&m.serial, &m.payload).await;
                }
            }));
            shards.push(tx);
        }
        let mut up_rx = link.up.subscribe();
        let mut up_stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let msg = tokio::select! {
                    _ = up_stop.wait_for(|s| *s) => break,
                    m = up_rx.recv() => m,
                };
                match msg {
                    Ok(m) => {
                        let Some(shard) = shards.get(shard_of(&m.serial)) else {
                            continue;
                        };
                        if shard.send(m).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(dropped = n, "uplink handler fell behind; frames dropped");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
            // Dropping the senders ends the shard tasks once they drain.
        }));

        let ended = plane.op_ended();
        let mut runner = JobRunner::new(
            store.clone(),
            clock.clone(),
            ProtoSender::new(plane),
            config.worker_id.clone(),
        );
        runner.ended = ended;
        runner.leased = leased;
        runner.resend_after_ms = i64::try_from(config.resend_after.as_millis()).unwrap_or(i64::MAX);
        // A connected lock quiet for ten resend delays (5 min by default) is probed.
        runner.probe_quiet_ms = runner.resend_after_ms.saturating_mul(10);
        let jobs = state.jobs.clone();
        let mut jobs_stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            runner
                .run(jobs, async move {
                    let _ = jobs_stop.wait_for(|s| *s).await;
                })
                .await;
        }));

        let hooks = crate::webhook_worker::WebhookWorker::new(
            store.clone(),
            clock.clone(),
            config.webhooks.clone(),
            service.plane().metrics().clone(),
        )?;
        let mut hooks_stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            hooks
                .run(async move {
                    let _ = hooks_stop.wait_for(|s| *s).await;
                })
                .await;
        }));
        // Rental feeds: every second, the feeds that are due (each listing
        // sets its interval; failures back off) are fetched and applied.
        let poller = state.service.clone();
        let mut poll_stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = poll_stop.wait_for(|s| *s) => break,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
                if let Err(e) = poller.poll_due_feeds().await {
                    tracing::warn!(error = %e, "rental feed poll failed");
                }
            }
        }));

        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let http_addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
        let mut http_stop = stop_rx.clone();
        let http_state = state.clone();
        tasks.push(tokio::spawn(async move {
            let res = serve(listener, http_state, async move {
                let _ = http_stop.wait_for(|s| *s).await;
            })
            .await;
            if let Err(e) = res {
                tracing::error!(error = %e, "http server stopped");
            }
        }));
        tracing::info!(%http_addr, mqtt = %config.mqtt, broker = %format!("{}:{}", mqtt_addr.0, mqtt_addr.1), "hub started");
        Ok(Self {
            http_addr,
            mqtt_addr,
            broker,
            broker_secret,
            state,
            publisher: link.publisher,
            up: link.up,
            stop,
            tasks,
        })
    }

    /// Stops the HTTP server, the broker link and the job runner, and waits
    /// for them. (The embedded broker's threads live until the process ends.)
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.state.service.store().close().await;
    }
}
