//! Bad input: a clear message each time, and the lock keeps behaving like a lock.

use crate::harness::Harness;
use rand_core::SeedableRng;
use std::sync::Arc;
use std::time::Duration;
use tumbler_device::clock::VirtualClock;
use tumbler_device::image::{parse_setup_string, provision};
use tumbler_device::mqtt::BrokerAddr;
use tumbler_device::run::{start_lock, RunConfig};
use tumbler_device::sim::{SimLock, SimOptions};
use tumbler_testkit::broker::embedded_broker;
use tumbler_testkit::unique;

fn rng() -> rand_chacha::ChaCha20Rng {
    rand_chacha::ChaCha20Rng::from_seed([3; 32])
}

fn clock() -> Arc<VirtualClock> {
    Arc::new(VirtualClock::new(Duration::from_secs(1_800_000_000)))
}

#[tokio::test]
async fn wrong_setup_code_and_unknown_commands() {
    let broker = embedded_broker();
    let mut h = Harness::start("badinput", &broker).await;
    let err = h.claim_with("00000000").await.unwrap_err();
    assert!(err.contains("wrong setup code"), "{err}");
    h.expect("status", "setup mode: yes").await;
    h.expect("open-sesame", "unknown command `open-sesame`")
        .await;
    h.expect("battery 400%", "0% to 100%").await;
    // Still a working lock: the right code claims it.
    h.claim().await;
    h.expect("status", "controllers: 1").await;
    // A second claim is refused: it has an owner now.
    assert!(h.claim_with(&h.label.setup_code.clone()).await.is_err());
    h.stop().await;
}

#[test]
fn provisioning_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.img");
    let label = provision(&path, "LOCK-7", &mut rng()).unwrap();
    assert_eq!(label.setup_code.len(), 8);
    assert!(label.setup_code.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(
        label.setup_string,
        format!("TUMBLER:1:LOCK-7:{}", label.setup_code)
    );
    assert_eq!(
        parse_setup_string(&label.setup_string),
        Some(("LOCK-7".to_string(), label.setup_code.clone()))
    );
    let again = provision(&path, "LOCK-7", &mut rng())
        .unwrap_err()
        .to_string();
    assert!(again.contains("already exists"), "{again}");
    let bad = provision(&dir.path().join("b.img"), "no/slash", &mut rng())
        .unwrap_err()
        .to_string();
    assert!(bad.contains("bad serial"), "{bad}");
    assert!(parse_setup_string("TUMBLER:2:X:1").is_none());
}

#[test]
fn corrupted_images_give_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    // Not there.
    let e = SimLock::boot(
        &dir.path().join("none.img"),
        clock(),
        &SimOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("cannot open flash image"), "{e}");
    // Wrong size.
    let junk = dir.path().join("junk.img");
    std::fs::write(&junk, b"hello").unwrap();
    let e = SimLock::boot(&junk, clock(), &SimOptions::default()).unwrap_err();
    assert!(e.to_string().contains("cannot open flash image"), "{e}");
    // Right size, never provisioned.
    let blank = dir.path().join("blank.img");
    std::fs::write(
        &blank,
        vec![0xFF; tumbler_store::Layout::standard_size() as usize],
    )
    .unwrap();
    let e = SimLock::boot(&blank, clock(), &SimOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("not a provisioned lock image"),
        "{e}"
    );
    // Factory partition destroyed.
    let path = dir.path().join("f.img");
    provision(&path, "F-1", &mut rng()).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    for b in bytes.iter_mut().take(64) {
        *b = 0x00;
    }
    std::fs::write(&path, &bytes).unwrap();
    let e = SimLock::boot(&path, clock(), &SimOptions::default()).unwrap_err();
    assert!(e.to_string().contains("factory partition"), "{e}");
}

#[test]
fn random_garbage_in_the_state_region_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.img");
    provision(&path, "G-1", &mut rng()).unwrap();
    {
        let mut sim = SimLock::boot(
            &path,
            clock(),
            &SimOptions {
                seed: Some(1),
                ..Default::default()
            },
        )
        .unwrap();
        sim.console_line("program-button");
        sim.console_line("2580#");
    }
    let clean = std::fs::read(&path).unwrap();
    let mut x = 0x1234_5678u64;
    for round in 0..20 {
        let mut bytes = clean.clone();
        // Scribble over a page past the factory partition.
        let page = 1 + (round % 30);
        for i in 0..256 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = page * 4096 + (x as usize % 4096);
            bytes[at] = (x >> 32) as u8 ^ i as u8;
        }
        std::fs::write(&path, &bytes).unwrap();
        // Either it boots (maybe recovered into setup mode, said so) or it says why not.
        match SimLock::boot(&path, clock(), &SimOptions::default()) {
            Ok(mut sim) => {
                let st = sim.console_line("status");
                assert!(st.contains("serial: G-1"), "{st}");
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

#[tokio::test]
async fn unreachable_broker_lock_still_works_and_says_so() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("u.img");
    provision(&image, &unique("unreach"), &mut rng()).unwrap();
    let (_sd, rx) = tokio::sync::watch::channel(false);
    let mut cfg = RunConfig::new(&image);
    cfg.broker = Some(BrokerAddr::tcp("127.0.0.1", port));
    let lock = start_lock(cfg, rx).await.unwrap();
    let mut c = tumbler_device::local::LocalClient::connect(lock.local_addr)
        .await
        .unwrap();
    // The console finds the lock by its image path too.
    assert_eq!(
        tumbler_device::console::client::resolve(image.to_str().unwrap()).unwrap(),
        lock.local_addr
    );
    let mut st = String::new();
    for _ in 0..50 {
        st = c.console_line("status").await.unwrap();
        if st.contains("unreachable") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        st.contains(&format!(
            "hub link: offline (broker mqtt://127.0.0.1:{port} unreachable"
        )),
        "{st}"
    );
    // The lock still works at the door.
    let out = c.console_line("program-button").await.unwrap();
    assert!(out.contains("programming mode"), "{out}");
    let out = c.console_line("2580#").await.unwrap();
    assert!(out.contains("code enrolled"), "{out}");
}

#[tokio::test]
async fn claim_over_mqtt_then_operate() {
    let broker = embedded_broker();
    let mut h = Harness::start("mqttclaim", &broker).await;
    // A wrong code over MQTT: the controller learns it, the lock stays unclaimed.
    let err = h.claim_over_mqtt("11111111").await.unwrap_err();
    assert!(err.contains("wrong setup code"), "{err}");
    let code = h.label.setup_code.clone();
    let ep = h.claim_over_mqtt(&code).await.unwrap();
    h.admin = Some(ep);
    assert!(crate::harness::ok(
        &h.command(tumbler_proto::Command::GetStatus).await
    ));
    h.expect("status", "controllers: 1").await;
    h.stop().await;
}

#[tokio::test]
async fn retried_command_is_answered_not_applied_twice() {
    use tumbler_proto as p;
    let broker = embedded_broker();
    let mut h = Harness::start("dedup", &broker).await;
    h.claim().await;
    let add = p::Command::SetUser(crate::harness::user(2, "guest"));
    let first = h.command_with_id(add.clone(), p::CommandId(1000)).await;
    assert!(crate::harness::ok(&first));
    assert!(crate::harness::ok(
        &h.command(p::Command::ClearUser { index: Some(2) }).await
    ));
    // The hub did not see the answer and retries command 1000 in a new envelope.
    let again = h.command_with_id(add, p::CommandId(1000)).await;
    assert_eq!(again, first, "the same answer");
    h.expect("status", "users: 0").await;
    h.stop().await;
}

#[tokio::test]
async fn claim_guessing_is_throttled_across_battery_pulls() {
    let broker = embedded_broker();
    let mut h = Harness::start("guess", &broker).await;
    for i in 0..5 {
        let e = h.claim_with(&format!("1234567{i}")).await.unwrap_err();
        assert!(e.contains("wrong setup code"), "{e}");
    }
    // The sixth guess is still answered, then the lock backs off.
    assert!(h
        .claim_with("99999999")
        .await
        .unwrap_err()
        .contains("wrong setup code"));
    // It answers the start it will not take with how long it refuses claims
    // (that start cost no attempt).
    let e = h.claim_with("99999998").await.unwrap_err();
    assert!(
        e.contains("no claim reply: Some(Throttled { retry_after_s: "),
        "{e}"
    );
    // A battery pull does not reset the budget; even the right code waits.
    h.expect("pull-battery", "battery out").await;
    h.expect("insert-battery", "booting").await;
    let code = h.label.setup_code.clone();
    let e = h.claim_with(&code).await.unwrap_err();
    assert!(e.contains("Throttled"), "{e}");
    let log = h.say("log").await;
    assert!(log.contains("too many attempts"), "{log}");
    // After the back-off the right code works.
    h.say("wait 2m").await;
    h.claim().await;
    h.stop().await;
}

#[tokio::test]
async fn demo_locks_are_provisioned_once_and_reused() {
    let broker = embedded_broker();
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique("DEMO");
    let (tx, rx) = tokio::sync::watch::channel(false);
    let first = tumbler_device::run::start_demo_locks(dir.path(), &prefix, 2, broker.clone(), rx)
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    let labels: Vec<_> = first.iter().map(|(l, _)| l.clone()).collect();
    tx.send(true).unwrap();
    for (_, r) in first {
        r.task.await.unwrap();
    }
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let again = tumbler_device::run::start_demo_locks(dir.path(), &prefix, 2, broker, rx)
        .await
        .unwrap();
    let labels2: Vec<_> = again.iter().map(|(l, _)| l.clone()).collect();
    assert_eq!(
        labels, labels2,
        "same identities and setup codes on the second start"
    );
}

#[tokio::test]
async fn dropping_the_shutdown_sender_stops_the_lock() {
    let broker = embedded_broker();
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("d.img");
    let serial = unique("drop");
    provision(&image, &serial, &mut rng()).unwrap();
    let mut status = tumbler_testkit::mqtt::Observer::start(
        &broker,
        &[tumbler_device::mqtt::status_topic(&serial)],
    )
    .await;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut cfg = RunConfig::new(&image);
    cfg.broker = Some(broker.clone());
    let lock = start_lock(cfg, rx).await.unwrap();
    assert!(status
        .wait_for(&tumbler_device::mqtt::status_topic(&serial), 10, |p| p
            == b"online")
        .await
        .is_some());
    drop(tx);
    tokio::time::timeout(Duration::from_secs(10), lock.task)
        .await
        .unwrap()
        .unwrap();
    assert!(status
        .wait_for(&tumbler_device::mqtt::status_topic(&serial), 10, |p| p
            == b"offline")
        .await
        .is_some());
    assert!(
        !tumbler_device::console::client::link_file(&image).exists(),
        "link file removed"
    );
}
