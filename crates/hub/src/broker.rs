//! The embedded MQTT broker (rumqttd) on loopback, for `tumbler up`, tests
//! and simulated locks.
//!
//! rumqttd binds its own listener and does not report the bound port, so
//! the port is chosen by binding `127.0.0.1:0`, releasing it and handing it
//! to rumqttd; then we wait until the port answers an MQTT CONNECT and check
//! that its server thread is still alive (if another process took the port
//! in between, rumqttd's bind fails, its thread ends, and we retry with a
//! new port). rumqttd has no shutdown: the broker lives until the process
//! ends.
//!
//! Every client must log in with a login derived from the hub's
//! [`BrokerSecret`] (see `tumbler_proto::broker_login`): the hub as
//! `tumbler-hub` with client id `tumbler-hub-…`, a lock as its serial with
//! client id `tumbler-lock-<serial>` (so one lock cannot take over another's
//! session). Anonymous clients and wrong passwords are refused. rumqttd 0.20
//! has no topic ACL: an authenticated lock can still publish on another
//! lock's topics here (see docs/design/threat-model.md); use Mosquitto with
//! `deploy/mosquitto/` where that matters.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};
use tumbler_control::proto::broker_login::{self, HUB_USERNAME};

use crate::secrets::BrokerSecret;

/// Why the embedded broker did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// No free loopback port could be found or the broker thread not spawned.
    #[error("cannot start the embedded broker: {0}")]
    Io(#[from] std::io::Error),
    /// The broker never accepted connections after several ports were tried.
    #[error("the embedded broker did not come up")]
    NotListening,
}

/// A running embedded broker.
#[derive(Debug, Clone)]
pub struct EmbeddedBroker {
    /// Where it accepts MQTT 3.1.1 connections (always loopback).
    pub addr: SocketAddr,
    /// The secret its logins are derived from.
    pub secret: BrokerSecret,
}

/// Whether the built-in broker lets `client_id` in as `username`/`password`.
pub fn admits(secret: &BrokerSecret, client_id: &str, username: &str, password: &str) -> bool {
    let id_fits = if username == HUB_USERNAME {
        client_id.starts_with("tumbler-hub-")
    } else {
        client_id.strip_prefix("tumbler-lock-") == Some(username)
    };
    id_fits && broker_login::check(secret.expose(), username, password.as_bytes())
}

impl EmbeddedBroker {
    /// `mqtt://127.0.0.1:PORT`, suitable for `--mqtt`.
    pub fn url(&self) -> String {
        format!("mqtt://{}", self.addr)
    }
}

fn config(addr: SocketAddr, secret: &BrokerSecret) -> Config {
    let mut connections = ConnectionSettings {
        connection_timeout_ms: 60_000,
        max_payload_size: 256 * 1024,
        max_inflight_count: 200,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let secret = secret.clone();
    connections.set_auth_handler(move |client_id: String, user: String, pass: String| {
        let ok = admits(&secret, &client_id, &user, &pass);
        if !ok {
            tracing::warn!(
                client_id,
                username = user,
                "built-in broker refused a login"
            );
        }
        std::future::ready(ok)
    });
    let server = ServerSettings {
        name: "v4-loopback".to_owned(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
    };
    let mut v4 = HashMap::new();
    v4.insert("1".to_owned(), server);
    Config {
        id: 0,
        router: RouterConfig {
            max_connections: 20_010,
            max_outgoing_packet_count: 200,
            max_segment_size: 10 * 1024 * 1024,
            max_segment_count: 10,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(v4),
        ..Default::default()
    }
}

/// A minimal MQTT 3.1.1 CONNECT (clean session, keep-alive 60 s) as
/// `client_id` with `username`/`password`.
fn connect_packet(client_id: &str, username: &str, password: &str) -> Vec<u8> {
    let mut body = vec![0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0xC2, 0x00, 0x3C];
    for field in [client_id, username, password] {
        let len = u16::try_from(field.len()).unwrap_or(u16::MAX);
        body.extend_from_slice(&len.to_be_bytes());
        body.extend_from_slice(field.as_bytes());
    }
    let mut packet = vec![0x10];
    let mut rest = body.len();
    loop {
        let mut byte = u8::try_from(rest % 128).unwrap_or(0);
        rest /= 128;
        if rest > 0 {
            byte |= 0x80;
        }
        packet.push(byte);
        if rest == 0 {
            break;
        }
    }
    packet.extend_from_slice(&body);
    packet
}

/// Connects as the hub and expects a CONNACK "accepted", then disconnects
/// politely: the port speaks MQTT and knows our secret.
async fn probe(addr: SocketAddr, secret: &BrokerSecret) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let connect = connect_packet("tumbler-hub-probe", HUB_USERNAME, &secret.hub_password());
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
        s.write_all(&connect).await.ok()?;
        let mut ack = [0u8; 4];
        s.read_exact(&mut ack).await.ok()?;
        let _ = s.write_all(&[0xE0, 0x00]).await;
        Some(ack == [0x20, 0x02, 0x00, 0x00])
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), attempt).await,
        Ok(Some(true))
    )
}

/// Raises this process's soft limit on open files to its hard limit, and
/// returns the soft limit now in force.
///
/// Call it once, first thing, from a binary that runs the built-in broker
/// (`tumbler up`, `tumbler-load`): the broker holds one socket per lock, and
/// where the locks run in the same process they hold the other end, so
/// 10,000 locks need more than 20,000 descriptors while the usual soft limit
/// is 1,024. Library code and tests leave the process's limits alone. A
/// failure is logged and the process keeps the limit it had.
pub fn raise_open_file_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::debug!(limit, "open-file soft limit raised to the hard limit");
            Some(limit)
        }
        Err(error) => {
            tracing::warn!(%error, "cannot raise the open-file soft limit");
            None
        }
    }
}

fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(l.local_addr()?.port())
}

/// Starts rumqttd on `127.0.0.1` with a port chosen at run time and returns
/// once it accepts connections; logins are checked against `secret`.
pub async fn start_embedded(secret: &BrokerSecret) -> Result<EmbeddedBroker, BrokerError> {
    for _ in 0..5 {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
        let mut broker = Broker::new(config(addr, secret));
        let thread = std::thread::Builder::new()
            .name("tumbler-broker".to_owned())
            .spawn(move || {
                if let Err(e) = broker.start() {
                    tracing::error!(error = %e, "embedded broker stopped");
                }
            })?;
        for _ in 0..200 {
            if thread.is_finished() {
                break;
            }
            if probe(addr, secret).await {
                // Give a failed bind (port stolen) the chance to end the thread.
                tokio::time::sleep(Duration::from_millis(20)).await;
                if !thread.is_finished() {
                    tracing::info!(%addr, "embedded MQTT broker listening");
                    return Ok(EmbeddedBroker {
                        addr,
                        secret: secret.clone(),
                    });
                }
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    Err(BrokerError::NotListening)
}
