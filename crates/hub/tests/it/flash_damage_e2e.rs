//! A lock whose flash was damaged wipes itself to setup mode (issue 13, finding 8):
//! the hub learns it from the lock's signed statement and says so as
//! `flash_damaged`, not as a factory reset — the reset counter did not move.

use std::time::Duration;

use serde_json::json;
use tumbler_hub::config::MqttConfig;
use tumbler_hub::model::Role;
use tumbler_testkit::fixtures::org_in;
use tumbler_testkit::http::call_as;
use tumbler_testkit::{eventually, unique, SimLock, TestHub, TestHubOptions};

use crate::lock_e2e::{claim, lock_json, request_op, sim_key};

/// First page of the state region (docs/design/flash-format.md: state at 0x03000).
const STATE_PAGE: usize = 0x03000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_wiped_by_flash_damage_is_reported_as_such_not_as_a_reset() {
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        resend_after: Some(Duration::from_secs(1)),
        ..TestHubOptions::new(MqttConfig::Builtin)
    })
    .await
    .unwrap();
    let state = hub.hub.state.clone();
    let org = org_in(&state.service, &unique("flash")).await;
    let owner = org.token(Role::Owner).to_owned();
    let dir = tempfile::tempdir().unwrap();
    let mut sim = Box::pin(SimLock::start(dir.path(), &unique("FD"), hub.broker())).await;
    let (st, v) = claim(&state, &org, &sim.label, &sim.label.setup_code).await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let counter = lock_json(&state, &owner, id).await["reset_counter"].clone();

    // Powered off, one sector of its state reads back as garbage.
    sim.shutdown().await;
    let mut bytes = std::fs::read(sim.image()).unwrap();
    for (i, b) in bytes[STATE_PAGE..STATE_PAGE + 4096].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31) ^ 0x5a;
    }
    std::fs::write(sim.image(), &bytes).unwrap();
    Box::pin(sim.boot(hub.broker())).await;
    let said = sim.console(&["status"]).await;
    assert!(said.contains("setup mode: yes"), "{said}");
    assert!(said.contains("flash damage: 1 recovery"), "{said}");

    // The hub finds out when the lock cannot answer it: a remote unlock goes
    // unanswered, the hub asks for the signed statement, the lock states setup
    // mode with its reset counter unchanged.
    request_op(&state, &owner, id, json!({"kind": "unlock"})).await;
    eventually("the binding stale", || async {
        lock_json(&state, &owner, id).await["claim_state"] == "reset_binding_stale"
    })
    .await;
    let alerts = eventually_alerts(&state, &owner, id).await;
    let kinds: Vec<&str> = alerts.iter().filter_map(|a| a["kind"].as_str()).collect();
    assert!(kinds.contains(&"flash_damaged"), "{alerts:?}");
    assert!(
        !kinds.contains(&"reset_detected"),
        "not a factory reset: {alerts:?}"
    );
    assert_eq!(
        lock_json(&state, &owner, id).await["reset_counter"],
        counter,
        "no reset happened"
    );
    sim.shutdown().await;
    hub.stop().await;
}

/// The lock's alerts, once the flash_damaged one is there.
async fn eventually_alerts(
    state: &tumbler_hub::server::AppState,
    owner: &str,
    id: i64,
) -> Vec<serde_json::Value> {
    let list = || async {
        let (_, v) = call_as(state, "GET", "/api/v1/alerts", owner, None).await;
        v.as_array()
            .unwrap()
            .iter()
            .filter(|a| a["lock_id"] == id)
            .cloned()
            .collect::<Vec<_>>()
    };
    eventually("the flash_damaged alert", || async {
        list().await.iter().any(|a| a["kind"] == "flash_damaged")
    })
    .await;
    list().await
}
