//! The hub's link to the MQTT broker (rumqttc).
//!
//! Subscribes `tumbler/v1/+/up` (messages from locks) and
//! `tumbler/v1/+/status` (retained availability, `online`/`offline`; only
//! locks the hub knows are updated), and
//! publishes to `tumbler/v1/<serial>/down`. Payloads are opaque bytes here;
//! tumbler-proto envelopes are decoded by whoever subscribes to
//! [`MqttLink::up`]. The broker is untrusted transport: nothing read here is
//! believed beyond "this serial said something".

use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, Packet, QoS};
use tokio::sync::{broadcast, watch};

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

/// A running link.
#[derive(Debug)]
pub struct MqttLink {
    /// Publish path to locks.
    pub publisher: Publisher,
    /// Messages from locks; subscribe to decode them.
    pub up: broadcast::Sender<UpMessage>,
    /// The event-loop task (ends when `stop` turns true).
    pub task: tokio::task::JoinHandle<()>,
}

impl MqttLink {
    /// Connects (and keeps reconnecting) in the background. Status messages
    /// update lock presence through `service`; `up` messages are recorded as
    /// "seen" and broadcast on [`MqttLink::up`].
    pub fn start<P: Presence>(opts: MqttOptions, presence: P, stop: watch::Receiver<bool>) -> Self {
        let mut o = rumqttc::MqttOptions::new(opts.client_id.clone(), opts.host.clone(), opts.port);
        o.set_keep_alive(Duration::from_secs(30));
        o.set_max_packet_size(256 * 1024, 256 * 1024);
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
        let task = tokio::spawn(run(client.clone(), eventloop, presence, up.clone(), stop));
        Self {
            publisher: Publisher { client },
            up,
            task,
        }
    }
}

async fn run<P: Presence>(
    client: AsyncClient,
    mut eventloop: EventLoop,
    presence: P,
    up: broadcast::Sender<UpMessage>,
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
                handle_publish(&presence, &up, &p.topic, &p.payload).await;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "MQTT connection error; retrying");
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => break,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
    }
    let _ = client.disconnect().await;
}

async fn handle_publish<P: Presence>(
    presence: &P,
    up: &broadcast::Sender<UpMessage>,
    topic: &str,
    payload: &[u8],
) {
    let Some((serial, channel)) = parse_topic(topic) else {
        tracing::debug!(topic, "ignoring message on unexpected topic");
        return;
    };
    match channel {
        Channel::Status => {
            let online = match payload {
                b"online" => true,
                b"offline" => false,
                _ => {
                    tracing::debug!(serial, "ignoring unknown status payload");
                    return;
                }
            };
            presence.presence(serial, online).await;
        }
        Channel::Up => {
            let _ = up.send(UpMessage {
                serial: serial.to_owned(),
                payload: payload.to_vec(),
            });
        }
    }
}
