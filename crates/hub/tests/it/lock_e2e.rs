//! The lock plane end to end: a whole hub (HTTP app, job runner, uplink
//! handler) and real simulated locks from tumbler-device (flash image, lock
//! state machine, MQTT link) on the built-in broker — and on Mosquitto when
//! `TUMBLER_TEST_MQTT` is set. Requests go through the HTTP router
//! (`tumbler_hub::app(state).oneshot`), so every check includes the API.
//!
//! Scenarios: claim (wrong code refused, nothing stored; another
//! organisation refused); remote unlock; unlock with a PIN that is never
//! stored; verified self-check; forged reset frames ignored and counted;
//! security scare → factory reset at the door → `reset_binding_stale` →
//! re-claim; manufacturer reset refused for another organisation, then done
//! by the owner; release. Offline lock: operations queued, hub restarted,
//! lock back, operations applied in order, its stored records arrive once.

use std::time::Duration;

use axum::http::StatusCode;
use rumqttc::{AsyncClient, QoS};
use serde_json::{json, Value};
use tumbler_device::mqtt::BrokerAddr;
use tumbler_device::Label;
use tumbler_hub::config::{ManufacturerKey, MqttConfig};
use tumbler_hub::control::proto as p;
use tumbler_hub::model::Role;
use tumbler_hub::server::AppState;
use tumbler_testkit::http::call_as;
use tumbler_testkit::net::Proxy;
use tumbler_testkit::{eventually, unique, SimLock, TestHub, TestHubOptions};

use tumbler_testkit::fixtures::{org_in, OrgFixture};

// ---- helpers -----------------------------------------------------------------------------

/// Publishes raw bytes on a lock's `up` topic (a forger on the broker).
pub(crate) async fn publish_up(broker: &BrokerAddr, serial: &str, payload: Vec<u8>) {
    let (c, mut ev) = AsyncClient::new(tumbler_testkit::mqtt::client_options(broker, "forger"), 16);
    let task = tokio::spawn(async move { while ev.poll().await.is_ok() {} });
    c.publish(
        format!("tumbler/v1/{serial}/up"),
        QoS::AtLeastOnce,
        false,
        payload,
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = c.disconnect().await;
    task.abort();
}

pub(crate) fn sim_key() -> Option<ManufacturerKey> {
    Some(ManufacturerKey(
        tumbler_device::image::SIM_MANUFACTURER_SEED,
    ))
}

pub(crate) async fn op_state(state: &AppState, token: &str, op: i64) -> Value {
    call_as(
        state,
        "GET",
        &format!("/api/v1/operations/{op}"),
        token,
        None,
    )
    .await
    .1
}

pub(crate) async fn wait_op(state: &AppState, token: &str, op: i64, want: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..1200 {
        last = op_state(state, token, op).await;
        if last["state"] == want {
            return last;
        }
        if ["applied", "refused", "failed"].contains(&last["state"].as_str().unwrap_or("")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("operation {op} did not become {want}: {last}");
}

pub(crate) async fn wait_final(state: &AppState, token: &str, op: i64) -> Value {
    let mut last = Value::Null;
    for _ in 0..1200 {
        last = op_state(state, token, op).await;
        if ["applied", "refused", "failed"].contains(&last["state"].as_str().unwrap_or("")) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("operation {op} never ended: {last}");
}

pub(crate) async fn lock_json(state: &AppState, token: &str, id: i64) -> Value {
    call_as(state, "GET", &format!("/api/v1/locks/{id}"), token, None)
        .await
        .1
}

pub(crate) async fn request_op(state: &AppState, token: &str, lock: i64, body: Value) -> i64 {
    let (st, v) = call_as(
        state,
        "POST",
        &format!("/api/v1/locks/{lock}/operations"),
        token,
        Some(body),
    )
    .await;
    assert_eq!(st, 202, "{v}");
    v["id"].as_i64().unwrap()
}

async fn alerts(state: &AppState, token: &str) -> Vec<String> {
    let (_, v) = call_as(state, "GET", "/api/v1/alerts?open=true", token, None).await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) async fn claim(
    state: &AppState,
    a: &OrgFixture,
    label: &Label,
    code: &str,
) -> (StatusCode, Value) {
    call_as(
        state,
        "POST",
        "/api/v1/locks/claim",
        a.token(Role::Owner),
        Some(json!({
            "serial": label.serial,
            "setup_code": code,
            "site_id": a.site_id,
            "label": "Front door",
            "factory_key": label.identity_public_key,
        })),
    )
    .await
}

// ---- scenarios ---------------------------------------------------------------------------

async fn lifecycle(hub: TestHub, tag: &str) {
    let state = hub.hub.state.clone();
    let s = state.service.clone();
    let broker = hub.broker();
    let a = org_in(&s, &unique(&format!("{tag}a"))).await;
    let b = org_in(&s, &unique(&format!("{tag}b"))).await;
    let owner = a.token(Role::Owner).to_owned();
    let dir = tempfile::tempdir().unwrap();
    let mut sim = SimLock::start(dir.path(), &unique("LK"), broker.clone()).await;
    let serial = sim.label.serial.clone();

    // Wrong setup code: a stable 4xx, nothing stored.
    let (st, v) = claim(&state, &a, &sim.label, "00000000").await;
    assert_eq!(
        (st.as_u16(), v["code"].as_str()),
        (422, Some("wrong_setup_code")),
        "{v}"
    );
    let row = s.store().lock_by_serial(&serial).await.unwrap();
    assert!(row.is_none(), "a refused claim stores nothing: {row:?}");

    // The right code claims it.
    let (st, v) = claim(&state, &a, &sim.label, &sim.label.setup_code).await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    assert_eq!(v["claim_state"], "claimed");
    assert!(s.store().get_binding(id).await.unwrap().is_some());
    // At rest the binding (with the controller secret key) is encrypted.
    let raw: String = sqlx::query_scalar("SELECT data FROM bindings WHERE lock_id = $1")
        .bind(id)
        .fetch_one(s.store().pool())
        .await
        .unwrap();
    let plain = s.store().get_binding(id).await.unwrap().unwrap();
    let plain_hex: String = plain.iter().map(|b| format!("{b:02x}")).collect();
    assert!(raw.starts_with("e1:") && !raw.contains(&plain_hex), "{raw}");
    // The first status gives the binding its reset-counter baseline.
    eventually("first status", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move { lock_json(&state, &owner, id).await["telemetry"]["setup_mode"] == false }
    })
    .await;
    // Its capabilities tell the hub how many users and credentials it holds.
    eventually("capacity reported", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move {
            let c = lock_json(&state, &owner, id).await["reported_capacity"].clone();
            c["max_users"] == 100 && c["creds_per_user"] == 4
        }
    })
    .await;

    // Another organisation cannot claim it.
    let (st, v) = claim(&state, &b, &sim.label, &sim.label.setup_code).await;
    assert_eq!(
        (st.as_u16(), v["code"].as_str()),
        (409, Some("claimed_by_another_org")),
        "{v}"
    );

    // Remote unlock.
    let op = request_op(&state, &owner, id, json!({"kind": "unlock"})).await;
    wait_op(&state, &owner, op, "applied").await;
    eventually("bolt unlocked", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move { lock_json(&state, &owner, id).await["telemetry"]["bolt"] == "unlocked" }
    })
    .await;
    let op = request_op(&state, &owner, id, json!({"kind": "lock"})).await;
    wait_op(&state, &owner, op, "applied").await;

    // Unlock with a PIN: the PIN is in no stored row.
    let pin = "90817263";
    let op = request_op(&state, &owner, id, json!({"kind": "unlock", "pin": pin})).await;
    // No user has that PIN: the lock read it (sealed in the envelope) and refused.
    let done = wait_op(&state, &owner, op, "refused").await;
    assert_eq!(done["error"], "wrong_pin", "{done}");
    // It travelled sealed in the operation and is erased once it ended.
    assert!(done["params"].get("pin_ref").is_none(), "{done}");
    eventually("sealed PIN erased", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move {
            op_state(&state, &owner, op).await["params"]
                .get("pin_sealed")
                .is_none()
        }
    })
    .await;
    let db = std::fs::read(hub.dir.path().join("hub.db")).unwrap();
    let wal = std::fs::read(hub.dir.path().join("hub.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(pin.len()).any(|w| w == pin.as_bytes()),
            "the PIN reached the database"
        );
    }

    // A self-check, verified against the factory key from the label.
    let op = request_op(&state, &owner, id, json!({"kind": "self_check"})).await;
    let done = wait_op(&state, &owner, op, "applied").await;
    assert_eq!(done["result"]["verified"], true, "{done}");
    assert_eq!(done["result"]["challenge_ok"], true, "{done}");
    assert_eq!(done["result"]["report"]["serial"], serial.as_str());

    // The hub's own history: the lock's audit records arrived.
    eventually("unlock records", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move {
            let (_, v) = call_as(
                &state,
                "GET",
                &format!("/api/v1/events?lock={id}&kind=unlock"),
                &owner,
                None,
            )
            .await;
            v.as_array().is_some_and(|a| !a.is_empty())
        }
    })
    .await;

    // Forged reset frames on the broker: ignored and counted.
    let forger = p::SigningKey::from_bytes(&[9u8; 32]);
    let record = p::ResetRecord {
        serial: p::Serial::try_from(serial.as_str()).unwrap(),
        reset_counter: 99,
        trigger: p::ResetTrigger::Button,
        time: 0,
        last_seq: 0,
        log_digest: [0; 32],
    };
    let signed = p::SignedResetRecord::sign(record, &forger).unwrap();
    let mut buf = vec![0u8; p::MAX_MESSAGE_LEN];
    let n = p::encode(&p::Plain::ResetRecord(signed), &mut buf).unwrap();
    buf.truncate(n);
    publish_up(&broker, &serial, buf).await;
    // A tampered envelope with this binding's header (keys, controller) and a
    // counter far ahead: authentication fails, the counter does not move.
    let binding = tumbler_hub::control::Binding::from_bytes(
        &s.store().get_binding(id).await.unwrap().unwrap(),
    )
    .unwrap();
    let header = p::Header {
        direction: p::Direction::ToController,
        controller: binding.controller_id(),
        lock_key: p::KeyId::of(&binding.lock_public()),
        controller_key: p::KeyId::of(&binding.controller_public()),
        counter: binding.counters().recv.high_water() + 1000,
    };
    let mut forged = header.to_bytes().to_vec();
    forged.extend_from_slice(&[0x55; 40]);
    publish_up(&broker, &serial, forged).await;
    eventually("forged frames counted", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move { lock_json(&state, &owner, id).await["rejected_frames"].as_i64() >= Some(2) }
    })
    .await;
    assert_eq!(
        lock_json(&state, &owner, id).await["claim_state"],
        "claimed"
    );
    let after = tumbler_hub::control::Binding::from_bytes(
        &s.store().get_binding(id).await.unwrap().unwrap(),
    )
    .unwrap();
    assert!(after.stale().is_none());
    assert_eq!(
        after.counters().recv.high_water(),
        binding.counters().recv.high_water()
    );

    // Security scare: wrong codes until the keypad locks, then a factory reset
    // with the button inside the battery compartment.
    sim.console(&["9999#", "9999#", "9999#", "9999#", "9999#"])
        .await;
    eventually("wrong-code alert", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move {
            alerts(&state, &owner)
                .await
                .contains(&"wrong_code_limit".to_owned())
        }
    })
    .await;
    let said = sim.console(&["hold-reset 12s"]).await;
    assert!(said.contains("factory reset"), "{said}");
    eventually("binding stale", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move { lock_json(&state, &owner, id).await["claim_state"] == "reset_binding_stale" }
    })
    .await;
    eventually("reset alert", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move {
            alerts(&state, &owner)
                .await
                .contains(&"reset_detected".to_owned())
        }
    })
    .await;
    let lock = lock_json(&state, &owner, id).await;
    assert_eq!(lock["stale_reason"]["authenticated"], true, "{lock}");

    // Operations are refused while stale.
    let (st, v) = call_as(
        &state,
        "POST",
        &format!("/api/v1/locks/{id}/operations"),
        &owner,
        Some(json!({"kind": "unlock"})),
    )
    .await;
    assert_eq!(
        (st.as_u16(), v["code"].as_str()),
        (409, Some("wrong_lock_state"))
    );

    // Re-claim with the setup code; the lock answers again.
    let (st, v) = call_as(
        &state,
        "POST",
        &format!("/api/v1/locks/{id}/reclaim"),
        &owner,
        Some(json!({"setup_code": sim.label.setup_code, "factory_key": sim.label.identity_public_key})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["claim_state"], "claimed");
    let op = request_op(&state, &owner, id, json!({"kind": "unlock"})).await;
    wait_op(&state, &owner, op, "applied").await;
    // Really executed: the bolt moved (it was locked before the reset).
    eventually("bolt unlocked after re-claim", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move { lock_json(&state, &owner, id).await["telemetry"]["bolt"] == "unlocked" }
    })
    .await;

    // Manufacturer reset: another organisation's owner gets 404, a manager 403.
    let path = format!("/api/v1/locks/{id}/manufacturer-reset");
    let (st, _) = call_as(&state, "POST", &path, b.token(Role::Owner), None).await;
    assert_eq!(st, 404);
    let (st, _) = call_as(&state, "POST", &path, a.token(Role::Manager), None).await;
    assert_eq!(st, 403);
    assert_eq!(
        lock_json(&state, &owner, id).await["claim_state"],
        "claimed"
    );
    // The owner: nonce → signed token → reset, audited.
    let (st, v) = call_as(&state, "POST", &path, &owner, None).await;
    assert_eq!(st, 422, "unconfirmed: {v}");
    assert_eq!(v["code"], "confirmation_required");
    let confirmed = Some(json!({"confirm": serial}));
    let (st, v) = call_as(&state, "POST", &path, &owner, confirmed).await;
    assert_eq!(st, 202, "{v}");
    let op = v["id"].as_i64().unwrap();
    let done = wait_final(&state, &owner, op).await;
    let (_, audit) = call_as(&state, "GET", "/api/v1/audit", &owner, None).await;
    assert!(audit
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "manufacturer_reset_requested" && e["lock_id"] == id));
    // The lock verifies the hub's token (proto's canonical bytes) and resets.
    assert_eq!(done["state"], "applied", "{done}");
    {
        assert_eq!(
            lock_json(&state, &owner, id).await["claim_state"],
            "reset_binding_stale"
        );
        // Release the stale lock: gone from the organisation at once.
        let (st, v) = call_as(
            &state,
            "POST",
            &format!("/api/v1/locks/{id}/release"),
            &owner,
            Some(json!({"confirm": serial})),
        )
        .await;
        assert_eq!(st, 200, "{v}");
    }
    eventually("released", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move { lock_json(&state, &owner, id).await["code"] == "not_found" }
    })
    .await;
    assert!(s.store().get_binding(id).await.unwrap().is_none());
    let row = s.store().lock_by_serial(&serial).await.unwrap().unwrap();
    assert_eq!(row.claim_state.as_str(), "released");
    // KNOWN DEVICE BUG (reported): after a factory reset *by command* the
    // simulated lock records that command in its dedup cache (controller 1,
    // id N) after the reset's reboot; a new binding is controller 1 again
    // and counts ids from 1, so its command N would be answered from the
    // cache without being executed. A battery pull clears that RAM cache.
    sim.console(&["pull-battery", "insert-battery"]).await;
    // … and claimable again (by anyone with the setup code).
    let (st, v) = claim(&state, &b, &sim.label, &sim.label.setup_code).await;
    assert_eq!(st, 201, "{v}");
    let bid = v["id"].as_i64().unwrap();
    let b_owner = b.token(Role::Owner).to_owned();
    eventually("first status for b", || {
        let (state, t) = (state.clone(), b_owner.clone());
        async move { lock_json(&state, &t, bid).await["telemetry"]["setup_mode"] == false }
    })
    .await;

    // Transfer from b to a: a manager may not, a stranger sees nothing;
    // the owner's transfer resets the lock, which then only a may claim.
    let path = format!("/api/v1/locks/{bid}/transfer");
    let body = json!({"to_org": a.org_id, "confirm": serial});
    let (st, _) = call_as(
        &state,
        "POST",
        &path,
        b.token(Role::Manager),
        Some(body.clone()),
    )
    .await;
    assert_eq!(st, 403);
    let (st, _) = call_as(&state, "POST", &path, &owner, Some(body.clone())).await;
    assert_eq!(st, 404);
    let (st, v) = call_as(&state, "POST", &path, &b_owner, Some(body)).await;
    assert_eq!(st, 202, "{v}");
    let op = v["operation"]["id"].as_i64().unwrap();
    wait_op(&state, &b_owner, op, "applied").await;
    eventually("transferred", || {
        let (state, t) = (state.clone(), b_owner.clone());
        async move { lock_json(&state, &t, bid).await["code"] == "not_found" }
    })
    .await;
    let row = s.store().lock_by_serial(&serial).await.unwrap().unwrap();
    assert_eq!(row.claim_state.as_str(), "unclaimed");
    assert_eq!(row.transfer_to_org, Some(a.org_id));
    // KNOWN DEVICE BUG (reported): after a factory reset *by command* the
    // simulated lock records that command in its dedup cache (controller 1,
    // id N) after the reset's reboot; a new binding is controller 1 again
    // and counts ids from 1, so its command N would be answered from the
    // cache without being executed. A battery pull clears that RAM cache.
    sim.console(&["pull-battery", "insert-battery"]).await;
    let (st, v) = claim(&state, &b, &sim.label, &sim.label.setup_code).await;
    assert_eq!(
        (st.as_u16(), v["code"].as_str()),
        (409, Some("claimed_by_another_org"))
    );
    let (st, v) = claim(&state, &a, &sim.label, &sim.label.setup_code).await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["org_id"], a.org_id);

    sim.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_unlock_reset_reclaim_builtin_broker() {
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        ..TestHubOptions::new(MqttConfig::Builtin)
    })
    .await
    .unwrap();
    lifecycle(hub, "b").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_unlock_reset_reclaim_mosquitto() {
    let url = match std::env::var("TUMBLER_TEST_MQTT") {
        Ok(u) => u,
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true requires TUMBLER_TEST_MQTT")
        }
        Err(_) => {
            eprintln!("skipped: no Mosquitto (TUMBLER_TEST_MQTT)");
            return;
        }
    };
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        ..TestHubOptions::new(MqttConfig::parse(&url).unwrap())
    })
    .await
    .unwrap();
    lifecycle(hub, "m").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_lock_catches_up_after_hub_restart() {
    // The broker checks logins from the secret of the hubs' binding key.
    let key = tumbler_hub::store::plane::BindingKey::new([42; 32]);
    let secret = tumbler_hub::secrets::BrokerSecret::from_binding_key(&key);
    let broker = tumbler_hub::broker::start_embedded(&secret).await.unwrap();
    let mqtt = MqttConfig::External {
        host: broker.addr.ip().to_string(),
        port: broker.addr.port(),
        login: Some(tumbler_hub::config::MqttLogin {
            username: tumbler_hub::control::proto::broker_login::HUB_USERNAME.into(),
            password: secret.hub_password().into(),
        }),
        tls: None,
    };
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        binding_key: Some(key),
        ..TestHubOptions::new(mqtt.clone())
    })
    .await
    .unwrap();
    let state = hub.hub.state.clone();
    let s = state.service.clone();
    let a = org_in(&s, &unique("off")).await;
    let owner = a.token(Role::Owner).to_owned();
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(hub.broker()).await;
    let mut sim = SimLock::start(dir.path(), &unique("OFF"), proxy.addr.clone()).await;
    let (st, v) = claim(&state, &a, &sim.label, &sim.label.setup_code).await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    eventually("first status", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move { lock_json(&state, &owner, id).await["telemetry"]["setup_mode"] == false }
    })
    .await;
    let seq_before = lock_json(&state, &owner, id).await["last_event_seq"].clone();

    // The lock loses its network; the broker publishes its last will.
    proxy.cut();
    eventually("offline", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move { lock_json(&state, &owner, id).await["online"] == false }
    })
    .await;
    // People use the door meanwhile: the lock keeps its records.
    sim.console(&["1111#", "2222#", "thumb-turn"]).await;
    // Operations wait in the queue, visible as pending.
    let mut ops = Vec::new();
    for kind in ["unlock", "lock", "get_status"] {
        ops.push(request_op(&state, &owner, id, json!({"kind": kind})).await);
    }
    // A remote unlock with a PIN waits too: its PIN is sealed in the
    // operation, so the restarted hub can still send it.
    let pin_op = request_op(
        &state,
        &owner,
        id,
        json!({"kind": "unlock", "pin": "90817263"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for op in ops.iter().chain([&pin_op]) {
        assert_eq!(op_state(&state, &owner, *op).await["state"], "pending");
    }

    // The hub restarts (same database, same broker).
    let (dbdir, key) = hub.stop_keep().await;
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        dir: Some(dbdir),
        binding_key: Some(key),
        ..TestHubOptions::new(mqtt)
    })
    .await
    .unwrap();
    let state = hub.hub.state.clone();
    for op in &ops {
        assert_eq!(op_state(&state, &owner, *op).await["state"], "pending");
    }

    // The lock comes back: operations applied in order, records arrive once.
    proxy.restore();
    let mut answered = Vec::new();
    for op in &ops {
        let v = wait_op(&state, &owner, *op, "applied").await;
        answered.push(v["command_id"].as_i64().unwrap());
    }
    assert!(
        answered.windows(2).all(|w| w[0] < w[1]),
        "sent in order: {answered:?}"
    );
    // The lock read the PIN (nobody holds it) and said so: it was not lost
    // with the first hub's memory (`pin_unavailable`).
    let v = wait_op(&state, &owner, pin_op, "refused").await;
    assert_eq!(v["error"], "wrong_pin", "{v}");
    eventually("offline records stored", || {
        let (state, owner) = (state.clone(), owner.clone());
        let before = seq_before.clone();
        async move {
            let (_, v) = call_as(
                &state,
                "GET",
                &format!("/api/v1/events?lock={id}&limit=1000"),
                &owner,
                None,
            )
            .await;
            let denied = v
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["data"]["result"] != "Ok" && e["seq"].as_i64() > before.as_i64())
                .count();
            denied >= 2
        }
    })
    .await;
    let (_, v) = call_as(
        &state,
        "GET",
        &format!("/api/v1/events?lock={id}&limit=1000"),
        &owner,
        None,
    )
    .await;
    let mut seqs: Vec<i64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["lock_seq"].as_i64().unwrap())
        .collect();
    let n = seqs.len();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), n, "every record stored once");
    let open = alerts(&state, &owner).await;
    assert!(
        !open.contains(&"log_gap".to_owned()),
        "no gap in the lock's log"
    );
    assert!(
        !open.contains(&"log_chain_break".to_owned()),
        "the lock's hash chain holds across the outage: {open:?}"
    );
    // Every stored record chains from its predecessor.
    let (_, evs) = call_as(
        &state,
        "GET",
        &format!("/api/v1/events?lock={id}&limit=1000"),
        &owner,
        None,
    )
    .await;
    let unchained: Vec<&Value> = evs
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["chained"] == false)
        .collect();
    assert!(unchained.len() <= 1, "records not chained: {unchained:#?}");

    // The lock's clock runs ten minutes ahead: its next status raises
    // `clock_drift`.
    sim.console(&["wait 10m"]).await;
    let op = request_op(&state, &owner, id, json!({"kind": "get_status"})).await;
    wait_op(&state, &owner, op, "applied").await;
    eventually("clock drift alert", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move {
            alerts(&state, &owner)
                .await
                .contains(&"clock_drift".to_owned())
        }
    })
    .await;
    let skew = lock_json(&state, &owner, id).await["telemetry"]["clock_skew_s"]
        .as_i64()
        .unwrap();
    assert!(skew > 500, "{skew}");

    sim.shutdown().await;
    hub.stop().await;
}
