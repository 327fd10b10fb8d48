//! Test support: brokers (embedded rumqttd on a free port, the machine's Mosquitto), a cuttable
//! TCP proxy to simulate outages, and an observer MQTT client.

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tumbler_device::mqtt::BrokerAddr;

/// A fresh name for this test run, unique across processes sharing one Mosquitto.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}-{}-{n}", std::process::id())
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The embedded rumqttd broker shared by the tests of this binary (started once, on a free port).
pub fn embedded_broker() -> BrokerAddr {
    static BROKER: OnceLock<u16> = OnceLock::new();
    let port = *BROKER.get_or_init(|| {
        let port = free_port();
        let mut v4 = HashMap::new();
        v4.insert(
            "v4".to_string(),
            rumqttd::ServerSettings {
                name: "v4".to_string(),
                listen: SocketAddr::from(([127, 0, 0, 1], port)),
                tls: None,
                next_connection_delay_ms: 1,
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
                max_connections: 10_100,
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
        port
    });
    BrokerAddr {
        host: "127.0.0.1".into(),
        port,
    }
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
    if std::env::var("CI").as_deref() == Ok("true") {
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

/// A TCP proxy in front of a broker that a test can cut (close every connection and refuse new
/// ones) and restore, to simulate network outages.
pub struct Proxy {
    /// Where clients connect.
    pub addr: BrokerAddr,
    up: Arc<AtomicBool>,
    epoch: Arc<AtomicU64>,
}

impl Proxy {
    /// Starts a proxy to `upstream`.
    pub async fn start(upstream: BrokerAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let epoch = Arc::new(AtomicU64::new(0));
        let (u, e) = (up.clone(), epoch.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !u.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let my_epoch = e.load(Ordering::SeqCst);
                let (u2, e2) = (u.clone(), e.clone());
                let target = format!("{}:{}", upstream.host, upstream.port);
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
                    let watch = async {
                        loop {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            if !u2.load(Ordering::SeqCst) || e2.load(Ordering::SeqCst) != my_epoch {
                                return;
                            }
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = watch => {} }
                });
            }
        });
        Proxy {
            addr: BrokerAddr {
                host: "127.0.0.1".into(),
                port,
            },
            up,
            epoch,
        }
    }

    /// Cuts every connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// An MQTT client that records what arrives on the topics it subscribes to.
pub struct Observer {
    /// The client (to publish commands).
    pub client: AsyncClient,
    rx: mpsc::UnboundedReceiver<(String, Vec<u8>, bool)>,
}

impl Observer {
    /// Connects to `broker` and subscribes to `topics`; returns once subscribed.
    pub async fn start(broker: &BrokerAddr, topics: &[String]) -> Observer {
        let mut opts = MqttOptions::new(unique("observer"), broker.host.clone(), broker.port);
        opts.set_keep_alive(Duration::from_secs(30));
        opts.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut el) = AsyncClient::new(opts, 100);
        let (tx, rx) = mpsc::unbounded_channel();
        let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
        let want = topics.len();
        for t in topics {
            client.subscribe(t.clone(), QoS::AtLeastOnce).await.unwrap();
        }
        tokio::spawn(async move {
            let mut acks = 0;
            loop {
                match el.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let _ = tx.send((p.topic.clone(), p.payload.to_vec(), p.retain));
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        acks += 1;
                        if acks == want {
                            let _ = ready_tx.send(());
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(10), ready_rx.recv())
            .await
            .expect("observer subscribed");
        Observer { client, rx }
    }

    /// The next message (topic, payload, retained), waiting at most `secs`.
    pub async fn next(&mut self, secs: u64) -> Option<(String, Vec<u8>, bool)> {
        tokio::time::timeout(Duration::from_secs(secs), self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// Waits (at most `secs`) for a message on `topic` whose payload satisfies `pred`.
    pub async fn wait_for(
        &mut self,
        topic: &str,
        secs: u64,
        mut pred: impl FnMut(&[u8]) -> bool,
    ) -> Option<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let (t, p, _) = tokio::time::timeout(left, self.rx.recv()).await.ok()??;
            if t == topic && pred(&p) {
                return Some(p);
            }
        }
    }
}
