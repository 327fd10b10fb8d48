//! The MQTT link to the hub (rumqttc): topics, availability, reconnect with backoff, outbox.
//!
//! Topics for a lock with serial `S`:
//! - `tumbler/v1/S/up`: events, replies and telemetry from the lock (QoS 1 through the
//!   [`Outbox`], so they arrive in order and survive outages within its capacity);
//! - `tumbler/v1/S/down`: commands to the lock (subscribed with QoS 1);
//! - `tumbler/v1/S/status`: retained availability, `online` on every connect and `offline`
//!   through the last will (and on a clean shutdown).
//!
//! Hostile payloads: the client accepts any packet the broker can deliver (rumqttc would
//! otherwise drop the connection on an oversized one, and a retained one on `down` would make
//! that a reconnect loop); payloads over [`MAX_PAYLOAD`] are dropped here and counted
//! ([`LinkStats::oversized`]).
//!
//! The link runs as one task per lock; the driver talks to it through channels and never waits
//! for the network. The broker is untrusted transport: this module moves bytes; authenticity is
//! proto's business.

use crate::backoff::Backoff;
use crate::outbox::Outbox;
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Outgoing, Packet, QoS};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The topic prefix of every lock.
pub const TOPIC_ROOT: &str = "tumbler/v1";

/// The uplink topic of `serial`.
pub fn up_topic(serial: &str) -> String {
    format!("{TOPIC_ROOT}/{serial}/up")
}

/// The downlink topic of `serial`.
pub fn down_topic(serial: &str) -> String {
    format!("{TOPIC_ROOT}/{serial}/down")
}

/// The retained availability topic of `serial`.
pub fn status_topic(serial: &str) -> String {
    format!("{TOPIC_ROOT}/{serial}/status")
}

/// The largest downlink payload the lock takes; anything longer is dropped and counted (the
/// hub's frames are at most a few hundred bytes).
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// The largest packet MQTT can carry: the client reads whatever the broker delivers, so size is
/// judged here, not by the client (which would drop the connection).
const MQTT_MAX_PACKET: usize = 268_435_455;

/// The availability payload while connected.
pub const ONLINE: &[u8] = b"online";
/// The availability payload of the last will and of a clean shutdown.
pub const OFFLINE: &[u8] = b"offline";

/// Where the broker is, and how to reach it: plain TCP or TLS, anonymous or with a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddr {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// How the lock logs in (`None`: anonymous).
    pub login: Option<BrokerLogin>,
    /// TLS (`mqtts://`); `None`: plain TCP.
    pub tls: Option<BrokerTls>,
}

/// How a lock logs in to the broker. `Debug` never shows a password or secret.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrokerLogin {
    /// A fixed username and password (from `mqtt://user:password@host`).
    Password {
        /// MQTT username.
        username: String,
        /// MQTT password.
        password: String,
    },
    /// Provisioned by the holder of the hub's broker secret (`tumbler up`, the test kit, the
    /// fleet simulator): username = the lock's serial, password derived from the secret
    /// ([`tumbler_proto::broker_login::lock_password`]). A real lock holds only its own password.
    Provisioned([u8; 32]),
}

impl BrokerLogin {
    /// The username and password for the lock with `serial`.
    pub fn credentials(&self, serial: &str) -> (String, String) {
        match self {
            Self::Password { username, password } => (username.clone(), password.clone()),
            Self::Provisioned(secret) => {
                let p = tumbler_proto::broker_login::lock_password(secret, serial);
                (serial.to_string(), String::from_utf8_lossy(&p).into_owned())
            }
        }
    }
}

impl std::fmt::Debug for BrokerLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password { username, .. } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Self::Provisioned(_) => f.write_str("Provisioned(<redacted>)"),
        }
    }
}

/// TLS to the broker (rustls).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrokerTls {
    /// PEM file of the CA that signed the broker's certificate (`?ca=PATH`); `None`: the
    /// platform's trusted roots.
    pub ca_file: Option<std::path::PathBuf>,
}

/// Why a broker URL was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerUrlError {
    /// Only `mqtt://`, `tcp://`, `mqtts://`, `ssl://` (or a bare `host:port`) are supported.
    #[error("unsupported broker URL scheme `{0}`: use mqtt://[user:password@]host:port or mqtts://…[?ca=PATH]")]
    Scheme(String),
    /// The port is not a number from 1 to 65535.
    #[error("broker port `{0}` is not a number from 1 to 65535")]
    Port(String),
    /// The host is empty.
    #[error("broker URL has no host")]
    NoHost,
    /// A query other than `ca=PATH` (on `mqtts://`), or a path.
    #[error("unsupported broker URL option `{0}` (only ?ca=PATH, with mqtts://)")]
    Option(String),
    /// `user@host` without a password, or `:password@host` without a user.
    #[error("broker URL login needs both a user and a password (user:password@host)")]
    Login,
}

impl BrokerAddr {
    /// Plain TCP, anonymous.
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            login: None,
            tls: None,
        }
    }

    /// Parses `mqtt://[user:password@]host[:port]` (also `tcp://` or a bare `host:port`; port
    /// 1883) and `mqtts://[user:password@]host[:port][?ca=PATH]` (also `ssl://`; port 8883).
    /// The user and password are taken as written (no percent-decoding).
    pub fn parse(url: &str) -> Result<Self, BrokerUrlError> {
        let (tls, rest) = match url.split_once("://") {
            Some(("mqtt" | "tcp", rest)) => (false, rest),
            Some(("mqtts" | "ssl", rest)) => (true, rest),
            Some((scheme, _)) => return Err(BrokerUrlError::Scheme(scheme.to_string())),
            None => (false, url),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            return Err(BrokerUrlError::Option(rest.to_string()));
        }
        let (login, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hp)) => match userinfo.split_once(':') {
                Some((u, p)) if !u.is_empty() && !p.is_empty() => (
                    Some(BrokerLogin::Password {
                        username: u.to_string(),
                        password: p.to_string(),
                    }),
                    hp,
                ),
                _ => return Err(BrokerUrlError::Login),
            },
            None => (None, rest),
        };
        let ca_file = match query {
            None => None,
            Some(q) => match q.strip_prefix("ca=") {
                Some(path) if tls && !path.is_empty() => Some(std::path::PathBuf::from(path)),
                _ => return Err(BrokerUrlError::Option(q.to_string())),
            },
        };
        let default_port = if tls { 8883 } else { 1883 };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => {
                let port = p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| BrokerUrlError::Port(p.to_string()))?;
                (h, port)
            }
            None => (hostport, default_port),
        };
        if host.is_empty() {
            return Err(BrokerUrlError::NoHost);
        }
        Ok(Self {
            host: host.to_string(),
            port,
            login,
            tls: tls.then_some(BrokerTls { ca_file }),
        })
    }
}

/// The URL with the password left out (`mqtts://user:***@host:port`): safe to print and log.
impl std::fmt::Display for BrokerAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls.is_some() { "mqtts" } else { "mqtt" };
        write!(f, "{scheme}://")?;
        match &self.login {
            Some(BrokerLogin::Password { username, .. }) => write!(f, "{username}:***@")?,
            Some(BrokerLogin::Provisioned(_)) => write!(f, "<serial>:***@")?,
            None => {}
        }
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// The rumqttc transport for `tls`: rustls, trusting the CA in `ca_file` (or the platform's
/// roots). An unreadable CA file gives no trusted CA: the connection fails and the link reports
/// it (`tumbler sim` checks the file up front).
fn tls_transport(tls: &BrokerTls) -> rumqttc::Transport {
    match &tls.ca_file {
        Some(path) => {
            let ca = std::fs::read(path).unwrap_or_default();
            rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::Simple {
                ca,
                alpn: None,
                client_auth: None,
            })
        }
        None => rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::default()),
    }
}

/// How a lock's MQTT link behaves.
#[derive(Debug, Clone)]
pub struct MqttConfig {
    /// The broker.
    pub broker: BrokerAddr,
    /// The lock's serial (topics and client id are derived from it).
    pub serial: String,
    /// MQTT keep-alive; the broker publishes the last will after 1.5 × this without traffic.
    pub keep_alive: Duration,
    /// First reconnect delay.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// How many uplink messages are kept while offline.
    pub outbox_capacity: usize,
    /// How many uplink messages may be unacknowledged on the wire.
    pub window: usize,
    /// Seed of the reconnect jitter.
    pub seed: u64,
}

impl MqttConfig {
    /// Defaults for `serial` on `broker`: keep-alive 30 s, backoff 200 ms to 10 s, outbox 1024.
    pub fn new(broker: BrokerAddr, serial: impl Into<String>) -> Self {
        let serial = serial.into();
        let seed = serial.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Self {
            broker,
            serial,
            keep_alive: Duration::from_secs(30),
            backoff_min: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
            outbox_capacity: 1024,
            window: 16,
            seed,
        }
    }
}

/// What the lock sends up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Up {
    /// An event or reply: queued in the outbox, delivered in order, at least once.
    Event(Vec<u8>),
    /// Telemetry: sent only if connected (QoS 0), the next one supersedes it.
    Telemetry(Vec<u8>),
}

/// The link's connection state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkState {
    /// Connecting for the first time.
    Connecting,
    /// Connected; `online` published.
    Online,
    /// Not connected; the reason, and the delay before the next attempt.
    Offline {
        /// Why the last attempt or connection failed, in words.
        reason: String,
        /// When the next attempt is made.
        retry_in: Duration,
    },
    /// The lock has no power: the connection was dropped without a goodbye, so the broker
    /// publishes the last will (`offline`); it reconnects when power returns.
    NoPower,
    /// Stopped (shutdown).
    Stopped,
}

/// The lock's power as the link sees it: without power the radio is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Power {
    /// Whether the lock has power now.
    pub on: bool,
    /// Counts power-ups: a new value means the power went (and came back) since the link last
    /// looked, even if it never saw it off.
    pub epoch: u64,
}

impl std::fmt::Display for LinkState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connecting => write!(f, "connecting"),
            Self::Online => write!(f, "online"),
            Self::Offline { reason, retry_in } => {
                write!(
                    f,
                    "offline ({reason}); retrying in {} ms",
                    retry_in.as_millis()
                )
            }
            Self::NoPower => write!(f, "offline (no power: connection dropped)"),
            Self::Stopped => write!(f, "stopped"),
        }
    }
}

/// Counters of the link, for `status` and the fleet figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Successful connections (1 after the first connect; more after reconnects).
    pub connects: u64,
    /// Uplink messages waiting for acknowledgement.
    pub queued: usize,
    /// Uplink messages acknowledged by the broker.
    pub delivered: u64,
    /// Uplink messages dropped because the outbox was full.
    pub dropped: u64,
    /// Downlink messages dropped for a payload over [`MAX_PAYLOAD`].
    pub oversized: u64,
}

/// The driver's handle on a running link.
#[derive(Debug)]
pub struct MqttLink {
    /// Send uplink messages here.
    pub up: mpsc::Sender<Up>,
    /// Downlink payloads (from the `down` topic) arrive here.
    pub down: mpsc::Receiver<Vec<u8>>,
    /// The connection state.
    pub state: watch::Receiver<LinkState>,
    /// The counters.
    pub stats: watch::Receiver<LinkStats>,
    /// Tell the link when the lock loses or regains power (the driver does).
    pub power: watch::Sender<Power>,
}

/// Starts the link task for `config`; it runs until `shutdown` turns `true`, then publishes
/// `offline` and disconnects.
pub fn spawn(config: MqttConfig, shutdown: watch::Receiver<bool>) -> MqttLink {
    let (up_tx, up_rx) = mpsc::channel(256);
    let (down_tx, down_rx) = mpsc::channel(64);
    let (state_tx, state_rx) = watch::channel(LinkState::Connecting);
    let (stats_tx, stats_rx) = watch::channel(LinkStats::default());
    let (power_tx, power_rx) = watch::channel(Power { on: true, epoch: 0 });
    let chans = Channels {
        up_rx,
        down_tx,
        state_tx,
        stats_tx,
        power: power_rx,
    };
    tokio::spawn(run(config, chans, shutdown));
    MqttLink {
        up: up_tx,
        down: down_rx,
        state: state_rx,
        stats: stats_rx,
        power: power_tx,
    }
}

/// The link task's state besides the rumqttc client.
struct Session {
    /// Uplink messages not yet acknowledged.
    outbox: Outbox,
    /// For each QoS 1 publish handed to the client, in order: which outbox item it was (`None`
    /// for the availability message). rumqttc reports packet ids in the same order.
    awaiting_pkid: VecDeque<Option<u64>>,
    /// Whether the broker accepted the connection.
    connected: bool,
    /// Counters.
    stats: LinkStats,
}

impl Session {
    /// Hands as many outbox messages to the client as the window and the client's queue allow.
    fn pump(&mut self, client: &AsyncClient, up_topic: &str) {
        if !self.connected {
            return;
        }
        while let Some((seq, payload)) = self.outbox.next_to_send() {
            let payload = payload.to_vec();
            if client
                .try_publish(up_topic, QoS::AtLeastOnce, false, payload)
                .is_err()
            {
                return;
            }
            self.outbox.mark_sent(seq);
            self.awaiting_pkid.push_back(Some(seq));
        }
    }

    fn lost_connection(&mut self) {
        self.connected = false;
        self.awaiting_pkid.clear();
        self.outbox.disconnected();
    }
}

fn client_for(config: &MqttConfig) -> (AsyncClient, EventLoop) {
    let status = status_topic(&config.serial);
    let mut opts = MqttOptions::new(
        format!("tumbler-lock-{}", config.serial),
        config.broker.host.clone(),
        config.broker.port,
    );
    opts.set_keep_alive(config.keep_alive);
    opts.set_clean_session(true);
    opts.set_last_will(LastWill::new(status, OFFLINE, QoS::AtLeastOnce, true));
    opts.set_inflight(u16::try_from(config.window.saturating_add(4)).unwrap_or(u16::MAX));
    opts.set_max_packet_size(MQTT_MAX_PACKET, 64 * 1024);
    if let Some(login) = &config.broker.login {
        let (user, password) = login.credentials(&config.serial);
        opts.set_credentials(user, password);
    }
    if let Some(tls) = &config.broker.tls {
        opts.set_transport(tls_transport(tls));
    }
    let (client, mut eventloop) = AsyncClient::new(opts, config.window.saturating_add(8));
    // Small frames, latency matters: no Nagle delay (it added ~40 ms per hop).
    let mut net = rumqttc::NetworkOptions::new();
    net.set_tcp_nodelay(true);
    eventloop.set_network_options(net);
    (client, eventloop)
}

/// The link task's ends of its channels.
struct Channels {
    up_rx: mpsc::Receiver<Up>,
    down_tx: mpsc::Sender<Vec<u8>>,
    state_tx: watch::Sender<LinkState>,
    stats_tx: watch::Sender<LinkStats>,
    power: watch::Receiver<Power>,
}

async fn run(config: MqttConfig, chans: Channels, mut shutdown: watch::Receiver<bool>) {
    let Channels {
        mut up_rx,
        down_tx,
        state_tx,
        stats_tx,
        mut power,
    } = chans;
    let up = up_topic(&config.serial);
    let down = down_topic(&config.serial);
    let status = status_topic(&config.serial);
    let (mut client, mut eventloop) = client_for(&config);
    let mut powered = *power.borrow_and_update();
    let mut power_open = true;
    let mut backoff = Backoff::new(config.backoff_min, config.backoff_max, config.seed);
    let mut s = Session {
        outbox: Outbox::new(config.outbox_capacity, config.window),
        awaiting_pkid: VecDeque::new(),
        connected: false,
        stats: LinkStats::default(),
    };
    let mut up_open = true;
    loop {
        if *shutdown.borrow() {
            break;
        }
        tokio::select! {
            // A dropped sender means nobody can stop us any more: stop now.
            changed = shutdown.changed() => {
                if changed.is_err() { break; }
            }
            changed = power.changed(), if power_open => {
                if changed.is_err() {
                    power_open = false;
                    continue;
                }
                let now = *power.borrow_and_update();
                if !now.on || now.epoch != powered.epoch {
                    // The radio loses power: the socket goes without a DISCONNECT, so the
                    // broker publishes the last will. A fresh client reconnects later.
                    drop(eventloop);
                    (client, eventloop) = client_for(&config);
                    s.lost_connection();
                    if !now.on {
                        let _ = state_tx.send(LinkState::NoPower);
                    } else {
                        let _ = state_tx.send(LinkState::Connecting);
                    }
                } else if !powered.on {
                    let _ = state_tx.send(LinkState::Connecting);
                }
                powered = now;
            }
            msg = up_rx.recv(), if up_open => match msg {
                Some(Up::Event(p)) => {
                    s.outbox.push(p);
                    s.pump(&client, &up);
                }
                Some(Up::Telemetry(p)) => {
                    if s.connected {
                        let _ = client.try_publish(&up, QoS::AtMostOnce, false, p);
                    }
                }
                None => up_open = false,
            },
            ev = eventloop.poll(), if powered.on => match ev {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    s.connected = true;
                    s.stats.connects = s.stats.connects.saturating_add(1);
                    backoff.reset();
                    s.awaiting_pkid.clear();
                    // Listen first, then say `online`: a controller that acts on the
                    // availability (a claim, a queued operation) finds the lock subscribed.
                    let _ = client.try_subscribe(&down, QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if client.try_publish(&status, QoS::AtLeastOnce, true, ONLINE).is_ok() {
                        s.awaiting_pkid.push_back(None);
                    }
                    let _ = state_tx.send(LinkState::Online);
                    s.pump(&client, &up);
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if p.payload.len() > MAX_PAYLOAD {
                        s.stats.oversized = s.stats.oversized.saturating_add(1);
                    } else if p.topic == down {
                        let _ = down_tx.send(p.payload.to_vec()).await;
                    }
                }
                Ok(Event::Incoming(Packet::PubAck(a))) => {
                    s.outbox.ack(a.pkid);
                    s.pump(&client, &up);
                }
                Ok(Event::Outgoing(Outgoing::Publish(pkid))) if pkid != 0 => {
                    if let Some(Some(seq)) = s.awaiting_pkid.pop_front() {
                        s.outbox.assign_pkid(seq, pkid);
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    s.lost_connection();
                    let delay = backoff.next_delay();
                    let _ = state_tx.send(LinkState::Offline {
                        reason: format!("broker {} unreachable: {e}", config.broker),
                        retry_in: delay,
                    });
                    publish_stats(&stats_tx, &mut s);
                    tokio::select! {
                        _ = shutdown.changed() => {}
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            },
        }
        publish_stats(&stats_tx, &mut s);
    }
    // Clean shutdown: say so (retained), then disconnect, bounded in time.
    if s.connected {
        let _ = client.try_publish(&status, QoS::AtLeastOnce, true, OFFLINE);
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
    }
    let _ = state_tx.send(LinkState::Stopped);
}

fn publish_stats(tx: &watch::Sender<LinkStats>, s: &mut Session) {
    s.stats.queued = s.outbox.len();
    s.stats.delivered = s.outbox.acked();
    s.stats.dropped = s.outbox.overflow();
    let st = s.stats;
    tx.send_if_modified(|old| {
        if *old == st {
            false
        } else {
            *old = st;
            true
        }
    });
}
