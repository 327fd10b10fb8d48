//! Brokers for tests: the embedded rumqttd shared by one test binary (on a
//! free loopback port, on its own thread so it outlives each test's runtime)
//! and the machine's Mosquitto (`TUMBLER_TEST_MQTT`, default
//! `mqtt://127.0.0.1:1883`): unreachable is a skip, or a failure under `CI=true`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use tumbler_device::mqtt::BrokerAddr;

use crate::ci;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The embedded rumqttd broker shared by the tests of this binary (started
/// once, on a free port, sized for a fleet of 10,000 locks).
pub fn embedded_broker() -> BrokerAddr {
    static BROKER: OnceLock<BrokerAddr> = OnceLock::new();
    BROKER.get_or_init(|| start_rumqttd(10_100, 1)).clone()
}

/// Starts a fresh rumqttd (the broker the hub embeds) on a free loopback port,
/// on its own thread (it outlives any runtime), accepting `max_connections`
/// clients with `next_connection_delay_ms` between accepts; returns once it
/// listens (or after 4 s).
pub fn start_rumqttd(max_connections: usize, next_connection_delay_ms: u64) -> BrokerAddr {
    let port = free_port();
    let mut v4 = HashMap::new();
    v4.insert(
        "v4".to_string(),
        rumqttd::ServerSettings {
            name: "v4".to_string(),
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            tls: None,
            next_connection_delay_ms,
            connections: rumqttd::ConnectionSettings {
                connection_timeout_ms: 60_000,
                max_payload_size: 1 << 20,
                max_inflight_count: 200,
                auth: None,
                external_auth: None,
                dynamic_filters: true,
            },
        },
    );
    let config = rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections,
            max_outgoing_packet_count: 200,
            max_segment_size: 100 * 1024 * 1024,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: Some(v4),
        ..Default::default()
    };
    std::thread::spawn(move || {
        let mut broker = rumqttd::Broker::new(config);
        let _ = broker.start();
    });
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    BrokerAddr::tcp("127.0.0.1", port)
}

/// The machine's Mosquitto from `TUMBLER_TEST_MQTT` (default mqtt://127.0.0.1:1883), if
/// reachable. Unreachable: prints "skipped: no Mosquitto" — or fails when `CI=true`.
pub fn mosquitto() -> Option<BrokerAddr> {
    let url = std::env::var("TUMBLER_TEST_MQTT").unwrap_or_else(|_| "mqtt://127.0.0.1:1883".into());
    let addr = BrokerAddr::parse(&url).expect("TUMBLER_TEST_MQTT is a broker URL");
    let reachable = std::net::TcpStream::connect_timeout(
        &format!("{}:{}", addr.host, addr.port)
            .parse()
            .expect("TUMBLER_TEST_MQTT host is an IP address"),
        Duration::from_secs(2),
    )
    .is_ok();
    if reachable {
        return Some(addr);
    }
    if ci() {
        panic!("Mosquitto at {url} is unreachable and CI=true");
    }
    println!("skipped: no Mosquitto at {url}");
    None
}

/// Both brokers the scenario tests run against (Mosquitto only when reachable).
pub fn brokers() -> Vec<(&'static str, BrokerAddr)> {
    let mut v = vec![("rumqttd", embedded_broker())];
    if let Some(m) = mosquitto() {
        v.push(("mosquitto", m));
    }
    v
}
