//! The MQTT link against real brokers: availability, downlink, outbox across outages.

use std::time::Duration;
use tokio::sync::watch;
use tumbler_device::mqtt::{self, status_topic, up_topic, BrokerAddr, LinkState, MqttConfig, Up};
use tumbler_testkit::broker::brokers;
use tumbler_testkit::mqtt::Observer;
use tumbler_testkit::net::Proxy;
use tumbler_testkit::unique;

async fn wait_state(
    rx: &mut watch::Receiver<LinkState>,
    secs: u64,
    pred: impl Fn(&LinkState) -> bool,
) -> LinkState {
    tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            let s = rx.borrow_and_update().clone();
            if pred(&s) {
                return s;
            }
            rx.changed().await.unwrap();
        }
    })
    .await
    .unwrap_or_else(|_| panic!("link state not reached; now {}", rx.borrow().clone()))
}

fn quick(broker: BrokerAddr, serial: &str) -> MqttConfig {
    let mut c = MqttConfig::new(broker, serial);
    c.backoff_min = Duration::from_millis(50);
    c.backoff_max = Duration::from_millis(300);
    c.keep_alive = Duration::from_secs(5);
    c
}

#[tokio::test]
async fn availability_and_downlink() {
    for (name, broker) in brokers() {
        let serial = unique("avail");
        let mut obs = Observer::start(&broker, &[status_topic(&serial), up_topic(&serial)]).await;
        let (sd_tx, sd_rx) = watch::channel(false);
        let mut link = mqtt::spawn(quick(broker.clone(), &serial), sd_rx);
        wait_state(&mut link.state, 10, |s| *s == LinkState::Online).await;
        obs.wait_for(&status_topic(&serial), 10, |p| p == b"online")
            .await
            .unwrap_or_else(|| panic!("{name}: online published"));
        // Downlink reaches the driver (after the link's subscription is in place).
        let down = mqtt::down_topic(&serial);
        let got = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                obs.client
                    .publish(
                        down.clone(),
                        rumqttc::QoS::AtLeastOnce,
                        false,
                        b"cmd".to_vec(),
                    )
                    .await
                    .unwrap();
                if let Ok(Some(p)) =
                    tokio::time::timeout(Duration::from_millis(300), link.down.recv()).await
                {
                    return p;
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(got, b"cmd");
        link.up.send(Up::Event(b"hello".to_vec())).await.unwrap();
        obs.wait_for(&up_topic(&serial), 10, |p| p == b"hello")
            .await
            .unwrap_or_else(|| panic!("{name}: event delivered"));
        // A clean shutdown says offline, retained.
        sd_tx.send(true).unwrap();
        obs.wait_for(&status_topic(&serial), 10, |p| p == b"offline")
            .await
            .unwrap_or_else(|| panic!("{name}: offline published"));
        wait_state(&mut link.state, 10, |s| *s == LinkState::Stopped).await;
        // A late subscriber sees the retained availability.
        let mut late = Observer::start(&broker, &[status_topic(&serial)]).await;
        let (_, p, retained) = late.next(10).await.expect("retained status");
        assert_eq!((p.as_slice(), retained), (&b"offline"[..], true), "{name}");
    }
}

#[tokio::test]
async fn events_survive_an_outage_in_order() {
    for (name, broker) in brokers() {
        let serial = unique("outage");
        let proxy = Proxy::start(broker.clone()).await;
        let mut obs = Observer::start(&broker, &[up_topic(&serial)]).await;
        let mut avail = Observer::start(&broker, &[status_topic(&serial)]).await;
        let (_sd_tx, sd_rx) = watch::channel(false);
        let mut link = mqtt::spawn(quick(proxy.addr.clone(), &serial), sd_rx);
        wait_state(&mut link.state, 10, |s| *s == LinkState::Online).await;
        for i in 0..5u32 {
            link.up
                .send(Up::Event(format!("e{i}").into_bytes()))
                .await
                .unwrap();
        }
        proxy.cut();
        wait_state(&mut link.state, 10, |s| {
            matches!(s, LinkState::Offline { .. })
        })
        .await;
        // The broker notices the dead connection and publishes the will (keep-alive 5 s).
        avail
            .wait_for(&status_topic(&serial), 15, |p| p == b"offline")
            .await
            .unwrap_or_else(|| panic!("{name}: last will published"));
        for i in 5..20u32 {
            link.up
                .send(Up::Event(format!("e{i}").into_bytes()))
                .await
                .unwrap();
        }
        proxy.restore();
        wait_state(&mut link.state, 10, |s| *s == LinkState::Online).await;
        // Every event arrives; the first arrival of each is in order (duplicates allowed).
        let mut seen: Vec<String> = Vec::new();
        while seen.len() < 20 {
            let (t, p, _) = obs
                .next(15)
                .await
                .unwrap_or_else(|| panic!("{name}: only got {seen:?}"));
            if t != up_topic(&serial) {
                continue;
            }
            let s = String::from_utf8(p).unwrap();
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
        let want: Vec<String> = (0..20).map(|i| format!("e{i}")).collect();
        assert_eq!(seen, want, "{name}");
        assert!(link.stats.borrow().connects >= 2);
    }
}

#[tokio::test]
async fn unreachable_broker_says_so_and_keeps_trying() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let broker = BrokerAddr::tcp("127.0.0.1", port);
    let (_sd_tx, sd_rx) = watch::channel(false);
    let mut link = mqtt::spawn(quick(broker, &unique("unreach")), sd_rx);
    let s = wait_state(&mut link.state, 10, |s| {
        matches!(s, LinkState::Offline { .. })
    })
    .await;
    let text = s.to_string();
    assert!(
        text.contains(&format!("broker mqtt://127.0.0.1:{port} unreachable")),
        "{text}"
    );
    assert!(text.contains("retrying in"), "{text}");
    // Events are kept meanwhile.
    link.up.send(Up::Event(b"kept".to_vec())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(link.stats.borrow().queued, 1);
}

#[test]
fn broker_urls() {
    let a = BrokerAddr::parse("mqtt://127.0.0.1:1883").unwrap();
    assert_eq!((a.host.as_str(), a.port), ("127.0.0.1", 1883));
    assert_eq!(BrokerAddr::parse("localhost").unwrap().port, 1883);
    assert!(BrokerAddr::parse("amqp://x:8883")
        .unwrap_err()
        .to_string()
        .contains("mqtts://"));
    assert!(BrokerAddr::parse("mqtt://x:0").is_err());
    assert!(BrokerAddr::parse("mqtt://:1883").is_err());
}

#[test]
fn broker_urls_with_login_and_tls_never_show_the_password() {
    use tumbler_device::mqtt::{BrokerLogin, BrokerTls};
    let a = BrokerAddr::parse("mqtts://LOCK-1:s3cret-pw@broker.local?ca=/etc/ca.pem").unwrap();
    assert_eq!((a.host.as_str(), a.port), ("broker.local", 8883));
    assert_eq!(
        a.login,
        Some(BrokerLogin::Password {
            username: "LOCK-1".into(),
            password: "s3cret-pw".into()
        })
    );
    assert_eq!(
        a.tls,
        Some(BrokerTls {
            ca_file: Some("/etc/ca.pem".into())
        })
    );
    assert_eq!(a.to_string(), "mqtts://LOCK-1:***@broker.local:8883");
    assert!(!format!("{a:?}").contains("s3cret"), "{a:?}");
    let p = BrokerAddr::parse("mqtt://u:pw@10.0.0.1:1884").unwrap();
    assert_eq!((p.port, p.tls.is_none()), (1884, true));
    assert!(!format!("{:?}", BrokerLogin::Provisioned([1; 32])).contains("01"));
    for bad in [
        "mqtt://user@h",
        "mqtt://:pw@h",
        "mqtt://h?ca=/x",
        "mqtts://h?crt=/x",
        "mqtt://h/topic",
    ] {
        assert!(BrokerAddr::parse(bad).is_err(), "{bad}");
    }
}
