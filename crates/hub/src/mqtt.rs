//! The hub's link to the MQTT broker (rumqttc).
//!
//! Subscribes `tumbler/v1/+/up` (messages from locks) and
//! `tumbler/v1/+/status` (retained availability, `online`/`offline`; only
//! locks the hub knows are updated), and
//! publishes to `tumbler/v1/<serial>/down`. Payloads are opaque bytes here;
//! tumbler-proto envelopes are decoded by whoever subscribes to
//! [`MqttLink::up`]. The broker is untrusted transport: nothing read here is
//! believed beyond "this serial said something".
//!
//! Hostile payloads: the client accepts any packet the broker can deliver
//! (rumqttc would otherwise drop the whole connection on an oversized one,
//! and a retained one would make that a reconnect loop) and drops payloads
//! over [`MAX_PAYLOAD`] here, counted in [`LinkHealth`], which `/health`
//! reports with the connection state.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, Packet, QoS};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

/// The largest payload the hub takes from the broker; anything longer is
/// dropped and counted (a lock's frames are at most a few hundred bytes).
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// The largest packet MQTT can carry (its remaining length field): the
/// client reads whatever the broker delivers, so size is judged here.
const MQTT_MAX_PACKET: usize = 268_435_455;

/// Connection errors within [`LOOP_WINDOW`] that make the link "looping".
const LOOP_ERRORS: usize = 3;
/// See [`LOOP_ERRORS`].
const LOOP_WINDOW: Duration = Duration::from_secs(60);

/// Topic prefix shared by every lock.
pub const TOPIC_PREFIX: &str = "tumbler/v1/";

/// `tumbler/v1/<serial>/down`.
pub fn down_topic(serial: &str) -> String {
    format!("{TOPIC_PREFIX}{serial}/down")
}

/// `tumbler/v1/<serial>/up`.
pub fn up_topic(serial: &str) -> String {
    format!("{TOPIC_PREFIX}{serial}/up")
}

/// `tumbler/v1/<serial>/status`.
pub fn status_topic(serial: &str) -> String {
    format!("{TOPIC_PREFIX}{serial}/status")
}

/// Which of a lock's topics a message came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Channel {
    /// `…/up`: a message from the lock.
    Up,
    /// `…/status`: availability.
    Status,
}

/// Splits `tumbler/v1/<serial>/<up|status>`; `None` for anything else.
pub fn parse_topic(topic: &str) -> Option<(&str, Channel)> {
    let rest = topic.strip_prefix(TOPIC_PREFIX)?;
    let (serial, tail) = rest.split_once('/')?;
    let channel = match tail {
        "up" => Channel::Up,
        "status" => Channel::Status,
        _ => return None,
    };
    if !crate::model::is_valid_serial(serial) {
        return None;
    }
    Some((serial, channel))
}

/// A message a lock sent on its `up` topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpMessage {
    /// The serial in the topic (unauthenticated until the payload is verified).
    pub serial: String,
    /// The opaque payload.
    pub payload: Vec<u8>,
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The serial is not a valid topic segment.
    #[error("invalid serial")]
    InvalidSerial,
    /// The client's request queue is closed (link stopped).
    #[error("MQTT link stopped")]
    Closed,
}

/// Publishes to locks' `down` topics; cheap to clone.
#[derive(Debug, Clone)]
pub struct Publisher {
    client: AsyncClient,
}

impl Publisher {
    /// Sends `payload` to `tumbler/v1/<serial>/down` (QoS 1).
    pub async fn publish_down(&self, serial: &str, payload: Vec<u8>) -> Result<(), PublishError> {
        if !crate::model::is_valid_serial(serial) {
            return Err(PublishError::InvalidSerial);
        }
        self.client
            .publish(down_topic(serial), QoS::AtLeastOnce, false, payload)
            .await
            .map_err(|_| PublishError::Closed)
    }
}

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct MqttOptions {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// MQTT client id (unique per hub process).
    pub client_id: String,
    /// The hub's login (`None`: anonymous).
    pub login: Option<crate::config::MqttLogin>,
    /// TLS (`None`: plain TCP).
    pub tls: Option<crate::config::MqttTls>,
}

/// The rumqttc transport for `tls`: rustls, trusting the CA in its file (or
/// the platform's roots). An unreadable CA file is logged and trusts nothing,
/// so every connection attempt fails with the reason in the log.
fn tls_transport(tls: &crate::config::MqttTls) -> rumqttc::Transport {
    match &tls.ca_file {
        Some(path) => {
            let ca = std::fs::read(path).unwrap_or_else(|e| {
                tracing::error!(path = %path.display(), error = %e, "cannot read the MQTT CA file");
                Vec::new()
            });
            rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::Simple {
                ca,
                alpn: None,
                client_auth: None,
            })
        }
        None => rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::default()),
    }
}

/// Where a lock's presence (its retained `status` topic) is recorded; the
/// lock plane implements it. Failures are the implementer's to log.
pub trait Presence: Send + Sync + 'static {
    /// The broker says the lock with `serial` is `online` (or not).
    fn presence(&self, serial: &str, online: bool) -> impl std::future::Future<Output = ()> + Send;
}

/// The link's state and counters, shared with `/health`; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct LinkHealth(Arc<HealthInner>);

#[derive(Debug, Default)]
struct HealthInner {
    connected: AtomicBool,
    connects: AtomicU64,
    errors: AtomicU64,
    oversized: AtomicU64,
    rejected: AtomicU64,
    /// When the last few connection errors happened (at most [`LOOP_ERRORS`]).
    recent_errors: Mutex<VecDeque<Instant>>,
}

/// What `/health` says about the broker link.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkReport {
    /// `connected`, `connecting` (never connected yet), `down` (lost), or
    /// `looping` (connected now, but it failed at least [`LOOP_ERRORS`]
    /// times in the last minute).
    pub state: &'static str,
    /// Connections the broker accepted.
    pub connects: u64,
    /// Connections lost or refused.
    pub connection_errors: u64,
    /// Messages dropped for a payload over [`MAX_PAYLOAD`].
    pub oversized_dropped: u64,
    /// Messages dropped for a topic or status payload that is not ours.
    pub rejected: u64,
}

impl LinkReport {
    /// Whether the link carries lock traffic steadily.
    pub fn ok(&self) -> bool {
        self.state == "connected"
    }
}

impl LinkHealth {
    /// The state now (`now` from the caller's clock, tokio's in the hub).
    pub fn report(&self, now: Instant) -> LinkReport {
        let h = &self.0;
        let connects = h.connects.load(Ordering::Relaxed);
        let looping = h.recent_errors.lock().is_ok_and(|r| {
            r.len() >= LOOP_ERRORS
                && r.front()
                    .is_some_and(|t| now.saturating_duration_since(*t) < LOOP_WINDOW)
        });
        let state = match (h.connected.load(Ordering::Relaxed), connects) {
            (_, 0) => "connecting",
            (false, _) => "down",
            (true, _) if looping => "looping",
            (true, _) => "connected",
        };
        LinkReport {
            state,
            connects,
            connection_errors: h.errors.load(Ordering::Relaxed),
            oversized_dropped: h.oversized.load(Ordering::Relaxed),
            rejected: h.rejected.load(Ordering::Relaxed),
        }
    }

    fn connected(&self) {
        self.0.connected.store(true, Ordering::Relaxed);
        self.0.connects.fetch_add(1, Ordering::Relaxed);
    }

    fn error(&self, now: Instant) {
        self.0.connected.store(false, Ordering::Relaxed);
        self.0.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut r) = self.0.recent_errors.lock() {
            if r.len() >= LOOP_ERRORS {
                r.pop_front();
            }
            r.push_back(now);
        }
    }
}

/// A running link.
#[derive(Debug)]
pub struct MqttLink {
    /// Publish path to locks.
    pub publisher: Publisher,
    /// Messages from locks; subscribe to decode them.
    pub up: broadcast::Sender<UpMessage>,
    /// The event-loop task (ends when `stop` turns true).
    pub task: tokio::task::JoinHandle<()>,
    /// Connection state and counters.
    pub health: LinkHealth,
}

impl MqttLink {
    /// Connects (and keeps reconnecting) in the background. Status messages
    /// update lock presence through `service`; `up` messages are recorded as
    /// "seen" and broadcast on [`MqttLink::up`].
    pub fn start<P: Presence>(opts: MqttOptions, presence: P, stop: watch::Receiver<bool>) -> Self {
        let mut o = rumqttc::MqttOptions::new(opts.client_id.clone(), opts.host.clone(), opts.port);
        o.set_keep_alive(Duration::from_secs(30));
        // Oversized payloads are dropped in `handle_publish`, not by the client.
        o.set_max_packet_size(MQTT_MAX_PACKET, 256 * 1024);
        if let Some(l) = &opts.login {
            o.set_credentials(l.username.clone(), l.password.as_str());
        }
        if let Some(t) = &opts.tls {
            o.set_transport(tls_transport(t));
        }
        let (client, mut eventloop) = AsyncClient::new(o, 256);
        // Small frames, latency matters: no Nagle delay (it added ~40 ms per hop).
        let mut net = rumqttc::NetworkOptions::new();
        net.set_tcp_nodelay(true);
        eventloop.set_network_options(net);
        // Room for a burst from every lock at once (10,000 locks answering an
        // operation); a lagging receiver loses frames (logged), which the
        // log cursor then sees as a gap.
        let (up, _) = broadcast::channel(65_536);
        let health = LinkHealth::default();
        let task = tokio::spawn(run(
            client.clone(),
            eventloop,
            Handlers {
                presence,
                up: up.clone(),
                health: health.clone(),
            },
            stop,
        ));
        Self {
            publisher: Publisher { client },
            up,
            task,
            health,
        }
    }
}

/// Where the event loop hands what it reads.
struct Handlers<P> {
    presence: P,
    up: broadcast::Sender<UpMessage>,
    health: LinkHealth,
}

async fn run<P: Presence>(
    client: AsyncClient,
    mut eventloop: EventLoop,
    h: Handlers<P>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let event = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            e = eventloop.poll() => e,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                tracing::info!("connected to MQTT broker");
                h.health.connected();
                // Clean session: subscribe again after every (re)connect.
                // Status is retained state: QoS 0 is enough (the latest value is
                // redelivered on every subscribe) and avoids a per-message ack
                // window when a broker holds thousands of retained statuses.
                for (filter, qos) in [
                    ("tumbler/v1/+/up", QoS::AtLeastOnce),
                    ("tumbler/v1/+/status", QoS::AtMostOnce),
                ] {
                    if client.subscribe(filter, qos).await.is_err() {
                        tracing::warn!(filter, "subscribe failed");
                    }
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                handle_publish(&h, &p.topic, &p.payload).await;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "MQTT connection error; retrying");
                h.health.error(Instant::now());
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => break,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
    }
    let _ = client.disconnect().await;
}

async fn handle_publish<P: Presence>(h: &Handlers<P>, topic: &str, payload: &[u8]) {
    if payload.len() > MAX_PAYLOAD {
        let n = h.health.0.oversized.fetch_add(1, Ordering::Relaxed) + 1;
        // A flood must not flood the log too: the 1st, 2nd, 4th, 8th… are told.
        if n.is_power_of_two() {
            tracing::warn!(
                topic,
                len = payload.len(),
                dropped = n,
                "dropped an oversized MQTT message"
            );
        }
        return;
    }
    let Some((serial, channel)) = parse_topic(topic) else {
        h.health.0.rejected.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(topic, "ignoring message on unexpected topic");
        return;
    };
    match channel {
        Channel::Status => {
            let online = match payload {
                b"online" => true,
                b"offline" => false,
                _ => {
                    h.health.0.rejected.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(serial, "ignoring unknown status payload");
                    return;
                }
            };
            h.presence.presence(serial, online).await;
        }
        Channel::Up => {
            let _ = h.up.send(UpMessage {
                serial: serial.to_owned(),
                payload: payload.to_vec(),
            });
        }
    }
}
