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

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

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
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedBroker {
    /// Where it accepts MQTT 3.1.1 connections (always loopback).
    pub addr: SocketAddr,
}

impl EmbeddedBroker {
    /// `mqtt://127.0.0.1:PORT`, suitable for `--mqtt`.
    pub fn url(&self) -> String {
        format!("mqtt://{}", self.addr)
    }
}

fn config(addr: SocketAddr) -> Config {
    let server = ServerSettings {
        name: "v4-loopback".to_owned(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: 256 * 1024,
            max_inflight_count: 200,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
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

/// Connects with a minimal MQTT 3.1.1 CONNECT and expects a CONNACK
/// "accepted", then disconnects politely: the port speaks MQTT.
async fn probe(addr: SocketAddr) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const CONNECT: [u8; 19] = [
        0x10, 0x11, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x05, b'p',
        b'r', b'o', b'b', b'e',
    ];
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
        s.write_all(&CONNECT).await.ok()?;
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

fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(l.local_addr()?.port())
}

/// Starts rumqttd on `127.0.0.1` with a port chosen at run time and returns
/// once it accepts connections.
pub async fn start_embedded() -> Result<EmbeddedBroker, BrokerError> {
    for _ in 0..5 {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
        let mut broker = Broker::new(config(addr));
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
            if probe(addr).await {
                // Give a failed bind (port stolen) the chance to end the thread.
                tokio::time::sleep(Duration::from_millis(20)).await;
                if !thread.is_finished() {
                    tracing::info!(%addr, "embedded MQTT broker listening");
                    return Ok(EmbeddedBroker { addr });
                }
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    Err(BrokerError::NotListening)
}
