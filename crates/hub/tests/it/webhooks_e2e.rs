//! Webhooks end to end, with a local receiver that verifies signatures,
//! fails, is slow and restarts. At a simulated lock: a PIN put on the door,
//! a keypad unlock and a remote lock arrive as `access_code.set`,
//! `lock.unlocked` (who: the user and person, how: keypad) and
//! `lock.locked`, in order although the first delivery failed twice, each
//! signed per Standard Webhooks; manual redelivery sends the same
//! `webhook-id` again. With the worker driven by a fixed clock: a slow
//! receiver times out, a closed port is refused, a later event of the same
//! lock waits for the earlier one, the endpoint is disabled with an alert
//! after failing long enough, and once enabled again (receiver restarted)
//! everything arrives in order. Private addresses are refused unless allowed.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tumbler_hub::config::{MqttConfig, WebhookOptions};
use tumbler_hub::hooks::sign;
use tumbler_hub::model::{AlertKind, Role};
use tumbler_hub::store::alerts::NewAlert;
use tumbler_hub::webhook_worker::WebhookWorker;
use tumbler_testkit::http::call_as;
use tumbler_testkit::webhook::{Received, Receiver};
use tumbler_testkit::{eventually, unique, TestApp, TestHub, TestHubOptions};

use crate::access_e2e::{all_in, opens, World};
use crate::lock_e2e::{request_op, sim_key, wait_op};

fn verified(secret: &str, r: &Received) -> bool {
    let key = sign::parse(secret).unwrap();
    sign::verify(&key, &r.id, r.timestamp, &r.body, &r.signature)
}

/// The event id in `msg_event_N` (deliveries of one lock go in this order).
fn event_no(r: &Received) -> i64 {
    r.id.trim_start_matches("msg_event_").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keypad_unlock_and_a_remote_lock_arrive_signed_in_order() {
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        webhooks: Some(WebhookOptions {
            allow_private: true,
            timeout: Duration::from_secs(2),
            retry_delays: vec![Duration::from_millis(100); 5],
            poll: Duration::from_millis(50),
            ..Default::default()
        }),
        ..TestHubOptions::new(MqttConfig::Builtin)
    })
    .await
    .unwrap();
    let state = hub.hub.state.clone();
    let name = unique("hook");
    let org = tumbler_testkit::fixtures::org_in(&state.service, &name).await;
    let owner = org.token(Role::Owner).to_owned();
    let w = World {
        hub,
        state,
        org,
        owner,
        name,
        dir: tempfile::tempdir().unwrap(),
    };
    let rx = Receiver::start().await.unwrap();
    rx.fail_next(2);
    let (st, made) = w
        .post(
            "/api/v1/webhooks",
            json!({"url": rx.url(), "events": ["lock.unlocked", "lock.locked", "access_code.set"]}),
        )
        .await;
    assert_eq!(st, 201, "{made}");
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{made}");
    // The secret is shown once: never in a listing.
    let listed = w.get("/api/v1/webhooks").await;
    assert!(!listed.to_string().contains(&secret[6..]), "{listed}");

    let (sim, lock) = w.lock(w.hub.broker(), None).await;
    let tenant = w.person("Tenant", false).await;
    let out = w
        .grant(
            tenant,
            &[lock],
            json!({"kind": "permanent"}),
            json!({"kind": "pin", "pin": "482913"}),
        )
        .await;
    all_in(&w.batch_done(&out).await, "set");
    assert!(opens(&sim, "482913#").await);
    let op = request_op(&w.state, &w.owner, lock, json!({"kind": "lock"})).await;
    wait_op(&w.state, &w.owner, op, "applied").await;

    eventually(
        "the keypad unlock and the remote lock delivered",
        || async {
            let got = rx.accepted();
            let unlocked = got.iter().position(|r| {
                r.json()["type"] == "lock.unlocked" && r.json()["data"]["how"] == "keypad"
            });
            let locked = got.iter().rposition(|r| {
                r.json()["type"] == "lock.locked" && r.json()["data"]["how"] == "remote"
            });
            matches!((unlocked, locked), (Some(u), Some(l)) if u < l)
        },
    )
    .await;
    let got = rx.accepted();
    let unlock = got
        .iter()
        .find(|r| r.json()["type"] == "lock.unlocked")
        .unwrap()
        .json();
    assert_eq!(unlock["data"]["who"]["kind"], "user", "{unlock}");
    assert_eq!(unlock["data"]["who"]["person_id"], tenant, "{unlock}");
    assert_eq!(unlock["data"]["who"]["person_name"], "Tenant", "{unlock}");
    assert_eq!(unlock["data"]["lock"]["id"], lock, "{unlock}");
    // Every request is signed with the secret, and one lock's events come
    // in the order they happened, the failed first one included.
    for r in rx.log() {
        assert!(verified(&secret, &r), "bad signature on {}", r.id);
    }
    // The PIN reaching the door (confirmed by the lock's digest) came first.
    let set = got
        .iter()
        .find(|r| r.json()["type"] == "access_code.set")
        .expect("access_code.set")
        .json();
    assert_eq!(set["data"]["person"]["id"], tenant, "{set}");
    assert_eq!(set["data"]["lock"]["id"], lock, "{set}");
    assert!(
        !set.to_string().contains("482913"),
        "no PIN in a webhook: {set}"
    );
    let got: Vec<Received> = got
        .into_iter()
        .filter(|r| r.id.starts_with("msg_event_"))
        .collect();
    let order: Vec<i64> = got.iter().map(event_no).collect();
    assert!(order.windows(2).all(|p| p[0] < p[1]), "{order:?}");
    let first = &rx.log()[0];
    assert_eq!(
        rx.log().iter().filter(|r| r.id == first.id).count(),
        3,
        "2 failures, then delivered"
    );

    // The delivery log of the first: two 500s, then delivered.
    let deliveries = w.get("/api/v1/webhook-deliveries").await;
    let d = deliveries
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["msg_id"] == first.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (d["state"].as_str(), d["attempts"].as_i64()),
        (Some("delivered"), Some(3)),
        "{d}"
    );
    let log = w
        .get(&format!("/api/v1/webhook-deliveries/{}", d["id"]))
        .await;
    let statuses: Vec<i64> = log["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 500, 204], "{log}");

    // Manual redelivery: the same webhook-id once more.
    let (st, again) = w
        .post(
            &format!("/api/v1/webhook-deliveries/{}/redeliver", d["id"]),
            json!({}),
        )
        .await;
    assert_eq!(st, 202, "{again}");
    eventually("the redelivery", || async {
        rx.accepted().iter().filter(|r| r.id == first.id).count() == 2
    })
    .await;

    // Metrics count the attempts by result.
    let text = crate::observe::metrics(&w.state).await;
    assert!(
        crate::observe::sample(
            &text,
            r#"tumbler_webhook_deliveries_total{result="retrying"}"#
        ) >= Some(2.0),
        "{text}"
    );
    w.hub.stop().await;
}

fn options(disable_after_failures: i64, allow_private: bool, delays: usize) -> WebhookOptions {
    WebhookOptions {
        allow_private,
        timeout: Duration::from_millis(300),
        retry_delays: vec![Duration::from_secs(1); delays],
        disable_after_failures,
        disable_after: Duration::from_secs(2),
        poll: Duration::from_millis(50),
    }
}

async fn raise(app: &TestApp, org: i64, lock: i64, kind: AlertKind) {
    app.service()
        .store()
        .raise_alert(
            NewAlert {
                org_id: org,
                lock_id: Some(lock),
                kind,
                message: None,
            },
            app.service().now_ms(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn slow_closed_disabled_then_enabled_again_keeps_the_order() {
    let app = TestApp::sqlite().await.unwrap();
    let a = tumbler_testkit::fixtures::org(&app, "hooks").await;
    let owner = a.token(Role::Owner).to_owned();
    let lock = app
        .service()
        .bind_lock(a.org_id, a.site_id, &unique("hk"), "Door")
        .await
        .unwrap();
    let rx = Receiver::start().await.unwrap();
    let (st, made) = call_as(
        &app,
        "POST",
        "/api/v1/webhooks",
        &owner,
        Some(json!({"url": rx.url(), "events": ["*"]})),
    )
    .await;
    assert_eq!(st, 201, "{made}");
    let hook = made["id"].as_i64().unwrap();
    let secret = made["secret"].as_str().unwrap().to_owned();
    let worker = WebhookWorker::new(
        app.service().store().clone(),
        Arc::new(app.clock.clone()),
        options(3, true, 5),
        app.service().plane().metrics().clone(),
    )
    .unwrap();
    raise(&app, a.org_id, lock.id, AlertKind::BatteryLow).await;
    raise(&app, a.org_id, lock.id, AlertKind::LockOffline).await;
    // Not about webhooks' events: no delivery.
    raise(&app, a.org_id, lock.id, AlertKind::ClockDrift).await;

    // Slow: the attempt times out. Only the head of the lock's lane is tried.
    rx.set_delay(Duration::from_secs(2));
    assert_eq!(worker.pass().await.unwrap(), 1);
    rx.set_delay(Duration::ZERO);
    let (_, ds) = call_as(&app, "GET", "/api/v1/webhook-deliveries", &owner, None).await;
    let ds = ds.as_array().unwrap().clone();
    assert_eq!(ds.len(), 2, "{ds:?}");
    let head = ds
        .iter()
        .find(|d| d["event"] == "lock.battery_low")
        .unwrap();
    assert_eq!(head["last_error"], "timed out", "{head}");
    assert_eq!(head["attempts"], 1);
    // Not due yet: nothing is sent.
    assert_eq!(worker.pass().await.unwrap(), 0);

    // Closed port: refused, twice; after 3 failures over 2 s the endpoint
    // is disabled, with an alert.
    rx.stop().await;
    for _ in 0..2 {
        app.clock.advance(jiff::SignedDuration::from_secs(1));
        assert_eq!(worker.pass().await.unwrap(), 1);
    }
    let (_, h) = call_as(
        &app,
        "GET",
        &format!("/api/v1/webhooks/{hook}"),
        &owner,
        None,
    )
    .await;
    assert_eq!(h["enabled"], false, "{h}");
    assert_eq!(h["consecutive_failures"], 3, "{h}");
    let (_, alerts) = call_as(&app, "GET", "/api/v1/alerts", &owner, None).await;
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "webhook_disabled"),
        "{alerts}"
    );
    app.clock.advance(jiff::SignedDuration::from_secs(5));
    assert_eq!(
        worker.pass().await.unwrap(),
        0,
        "a disabled endpoint gets nothing"
    );

    // The receiver is back; a person enables the endpoint: both arrive,
    // the battery before the offline, signed.
    rx.restart().await.unwrap();
    let (st, h) = call_as(
        &app,
        "PATCH",
        &format!("/api/v1/webhooks/{hook}"),
        &owner,
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(
        (st.as_u16(), &h["consecutive_failures"]),
        (200, &json!(0)),
        "{h}"
    );
    assert_eq!(worker.pass().await.unwrap(), 1);
    assert_eq!(worker.pass().await.unwrap(), 1);
    // Unique ids in arrival order (the timed-out request may still have
    // been answered after the hub gave up on it).
    let mut seen = std::collections::HashSet::new();
    let got: Vec<Value> = rx
        .accepted()
        .iter()
        .filter(|r| seen.insert(r.id.clone()))
        .map(Received::json)
        .collect();
    let types: Vec<&str> = got.iter().map(|v| v["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["lock.battery_low", "lock.offline"], "{got:?}");
    assert_eq!(got[0]["data"]["level"], "low");
    for r in rx.log() {
        assert!(verified(&secret, &r));
    }
    app.db.cleanup().await;
}

#[tokio::test]
async fn private_addresses_are_refused_and_a_delivery_is_given_up() {
    let app = TestApp::sqlite().await.unwrap();
    let a = tumbler_testkit::fixtures::org(&app, "ssrf").await;
    let owner = a.token(Role::Owner).to_owned();
    let lock = app
        .service()
        .bind_lock(a.org_id, a.site_id, &unique("ss"), "Door")
        .await
        .unwrap();
    let rx = Receiver::start().await.unwrap();
    for (url, code) in [
        ("ftp://example.com/x", 422),
        ("https://user:pw@example.com/x", 422),
        ("http://", 422),
        ("not a url", 422),
    ] {
        let (st, v) = call_as(
            &app,
            "POST",
            "/api/v1/webhooks",
            &owner,
            Some(json!({"url": url, "events": ["*"]})),
        )
        .await;
        assert_eq!(st, code, "{url}: {v}");
    }
    let (st, v) = call_as(
        &app,
        "POST",
        "/api/v1/webhooks",
        &owner,
        Some(json!({"url": rx.url(), "events": ["lock.exploded"]})),
    )
    .await;
    assert_eq!(st, 422, "{v}");
    let (st, _) = call_as(
        &app,
        "POST",
        "/api/v1/webhooks",
        &owner,
        Some(json!({"url": rx.url(), "events": ["lock.offline"]})),
    )
    .await;
    assert_eq!(st, 201);
    // No retries, private addresses not allowed: one refused attempt, given up.
    let worker = WebhookWorker::new(
        app.service().store().clone(),
        Arc::new(app.clock.clone()),
        options(100, false, 0),
        app.service().plane().metrics().clone(),
    )
    .unwrap();
    raise(&app, a.org_id, lock.id, AlertKind::LockOffline).await;
    assert_eq!(worker.pass().await.unwrap(), 1);
    assert!(rx.log().is_empty(), "nothing reached the private address");
    let (_, ds) = call_as(&app, "GET", "/api/v1/webhook-deliveries", &owner, None).await;
    let d = &ds[0];
    assert_eq!(d["state"], "failed", "{d}");
    assert!(d["last_error"].as_str().unwrap().contains("private"), "{d}");
    app.db.cleanup().await;
}
