//! A whole hub on port 0 with a real broker: HTTP answers, lock presence
//! arrives over MQTT, an operation for a lock without a binding fails
//! instead of going out unsealed, `up` messages reach subscribers (the
//! sealed path with simulated locks is in `lock_e2e`). Built-in broker always; the machine's
//! Mosquitto when `TUMBLER_TEST_MQTT` is set (required when `CI=true`).

use std::time::Duration;

use rumqttc::{AsyncClient, Event, Packet, QoS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tumbler_hub::config::MqttConfig;
use tumbler_hub::mqtt::{down_topic, status_topic, up_topic};
use tumbler_testkit::TestHub;

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

/// A test MQTT client whose incoming publishes arrive on a channel.
async fn client(
    broker: &tumbler_device::mqtt::BrokerAddr,
    id: &str,
    subscribe: &str,
) -> (AsyncClient, mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    let (c, mut ev) = AsyncClient::new(tumbler_testkit::mqtt::client_options(broker, id), 64);
    let (tx, rx) = mpsc::unbounded_channel();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match ev.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = ready_tx.send(());
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = tx.send((p.topic.clone(), p.payload.to_vec()));
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    c.subscribe(subscribe, QoS::AtLeastOnce).await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), ready_rx.recv())
        .await
        .expect("suback")
        .unwrap();
    (c, rx)
}

async fn wait_for<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    // A generous bound so a broken hub fails instead of hanging; not a speed test.
    for i in 0..1200 {
        if check().await {
            eprintln!("{what}: after {i} polls");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: never became true");
}

async fn scenario(hub: TestHub, serial: &str) {
    // `ok` once the broker link is up (503 `degraded` until then).
    wait_for("health ok", || async {
        http_get(hub.hub.http_addr, "/api/v1/health")
            .await
            .starts_with("HTTP/1.1 200")
    })
    .await;
    let res = http_get(hub.hub.http_addr, "/api/v1/health").await;
    assert!(res.contains("\"connected\""), "{res}");
    let res = http_get(hub.hub.http_addr, "/api/v1/openapi.json").await;
    assert!(res.contains("\"openapi\":\"3.1.0\""));

    let s = hub.hub.state.service.clone();
    let b = s
        .bootstrap_org(
            "E2E",
            "HQ",
            "UTC",
            &format!("owner@{serial}.test"),
            "e2e password",
        )
        .await
        .unwrap();
    let lock = s
        .bind_lock(b.org.id, b.site.id, serial, "Door")
        .await
        .unwrap();
    let (token, _) = s
        .login(&format!("owner@{serial}.test"), "e2e password")
        .await
        .unwrap();
    let owner = s.authenticate(&token.token).await.unwrap();

    let (dev, mut down) =
        client(&hub.broker(), &format!("dev-{serial}"), &down_topic(serial)).await;
    let mut up_rx = hub.hub.up.subscribe();

    dev.publish(status_topic(serial), QoS::AtLeastOnce, true, "online")
        .await
        .unwrap();
    let store = s.store().clone();
    wait_for("lock online", || {
        let store = store.clone();
        async move { store.lock_by_serial(serial).await.unwrap().unwrap().online }
    })
    .await;

    let op = s
        .request_operation(&owner, lock.id, "unlock")
        .await
        .unwrap();
    hub.hub.state.wake_jobs();
    // Bound without a claim: no binding, so nothing can be sealed; the
    // operation fails visibly and nothing is published in clear.
    let (s2, owner2, op_id) = (s.clone(), owner.clone(), op.id);
    wait_for("operation failed", || {
        let (s, owner) = (s2.clone(), owner2.clone());
        async move {
            s.get_operation(&owner, op_id).await.unwrap().state
                == tumbler_hub::model::OpState::Failed
        }
    })
    .await;
    let op = s.get_operation(&owner, op.id).await.unwrap();
    assert_eq!(op.error.as_deref(), Some("no_binding"));
    assert!(
        tokio::time::timeout(Duration::from_millis(500), down.recv())
            .await
            .is_err(),
        "nothing was published"
    );

    dev.publish(up_topic(serial), QoS::AtLeastOnce, false, vec![1u8, 2, 3])
        .await
        .unwrap();
    // On a shared broker other tests' locks talk too: wait for ours.
    let m = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let m = up_rx.recv().await.unwrap();
            if m.serial == serial {
                return m;
            }
        }
    })
    .await
    .expect("up message");
    assert_eq!(
        (m.serial.as_str(), m.payload.as_slice()),
        (serial, &[1u8, 2, 3][..])
    );

    dev.publish(status_topic(serial), QoS::AtLeastOnce, true, "offline")
        .await
        .unwrap();
    wait_for("lock offline", || {
        let store = store.clone();
        async move { !store.lock_by_serial(serial).await.unwrap().unwrap().online }
    })
    .await;
    // Clear the retained message (matters on a shared broker).
    dev.publish(
        status_topic(serial),
        QoS::AtLeastOnce,
        true,
        Vec::<u8>::new(),
    )
    .await
    .unwrap();
    let _ = dev.disconnect().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_with_builtin_broker() {
    let hub = TestHub::start().await.unwrap();
    assert!(hub.hub.broker.is_some());
    assert_ne!(hub.hub.mqtt_addr.1, 1883);
    scenario(hub, "e2e-builtin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_with_external_broker() {
    let url = match std::env::var("TUMBLER_TEST_MQTT") {
        Ok(u) => u,
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true requires TUMBLER_TEST_MQTT")
        }
        Err(_) => {
            eprintln!("skipped: no external MQTT broker (TUMBLER_TEST_MQTT)");
            return;
        }
    };
    let mqtt = MqttConfig::parse(&url).unwrap();
    let hub = TestHub::start_with(mqtt).await.unwrap();
    let serial = tumbler_testkit::unique("e2e-ext");
    scenario(hub, &serial).await;
}
