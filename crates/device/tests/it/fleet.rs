//! A small fleet in one process: every lock comes online with its own topics.

use std::time::Duration;
use tumbler_device::fleet::{fleet, FleetConfig};
use tumbler_device::mqtt::status_topic;
use tumbler_testkit::broker::embedded_broker;
use tumbler_testkit::mqtt::Observer;

#[tokio::test]
async fn fifty_locks_come_online() {
    let broker = embedded_broker();
    let mut cfg = FleetConfig::new(50, broker.clone());
    cfg.prefix = format!("FT{}", std::process::id());
    cfg.batch = 10;
    cfg.batch_pause = Duration::from_millis(10);
    cfg.online_timeout = Duration::from_secs(30);
    let prefix = cfg.prefix.clone();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let (report, done) = fleet(cfg, rx).await.unwrap();
    assert_eq!((report.count, report.online), (50, 50), "{report}");
    assert!(report.rss_bytes.is_some());
    assert_eq!(report.sample_labels.len(), 5);
    // Lock 17's availability is retained on its own topic.
    let topic = status_topic(&format!("{prefix}-000017"));
    let mut obs = Observer::start(&broker, std::slice::from_ref(&topic)).await;
    assert!(obs.wait_for(&topic, 10, |p| p == b"online").await.is_some());
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(20), done)
        .await
        .unwrap()
        .unwrap();
    assert!(obs
        .wait_for(&topic, 10, |p| p == b"offline")
        .await
        .is_some());
}

/// Issue 14: what one simulated lock costs inline (heap not included). Prints the sizes
/// (`-- --nocapture`) and pins a ceiling so a table that reserves every slot again is noticed.
#[test]
fn sim_lock_state_stays_small() {
    use std::mem::size_of;
    let sim = size_of::<tumbler_device::sim::SimLock>();
    let lock = size_of::<tumbler_lock::Lock>();
    let user = size_of::<tumbler_lock::user::User>();
    let event = size_of::<rumqttc::Event>();
    let eventloop = size_of::<rumqttc::EventLoop>();
    println!(
        "size_of: SimLock {sim} B, Lock {lock} B, User {user} B, \
         rumqttc Event {event} B, EventLoop {eventloop} B"
    );
    // 100 user slots boxed one by one (the `alloc` feature): a few KiB, not 100 users inline.
    assert!(lock < 16 * 1024, "Lock is {lock} B");
}
