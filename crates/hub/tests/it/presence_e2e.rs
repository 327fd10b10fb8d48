//! Presence that is true and alerts that are right, at the simulated door
//! (issue 12): a pulled battery takes the lock offline through its last will
//! and back online when it is put back; a frozen lock is `unresponsive` with
//! an alert until a reboot; operations say why they wait; battery alerts only
//! when the level is low, once, cleared when it recovers; a flapping link is
//! one alert with a count; details refresh after a reset and a re-claim.

use std::time::Duration;

use serde_json::{json, Value};
use tumbler_hub::config::MqttConfig;
use tumbler_hub::model::Role;
use tumbler_hub::server::AppState;
use tumbler_testkit::fixtures::{org_in, OrgFixture};
use tumbler_testkit::http::call_as;
use tumbler_testkit::{eventually, unique, SimLock, TestHub, TestHubOptions};

use crate::lock_e2e::{claim, lock_json, op_state, request_op, sim_key, wait_final};

/// A hub, an organisation and a claimed simulated lock that reported its
/// first status.
struct Door {
    hub: TestHub,
    state: AppState,
    org: OrgFixture,
    owner: String,
    sim: SimLock,
    id: i64,
    _dir: tempfile::TempDir,
}

async fn door(resend_after: Option<Duration>) -> Door {
    door_on(MqttConfig::Builtin, resend_after).await
}

async fn door_on(mqtt: MqttConfig, resend_after: Option<Duration>) -> Door {
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        resend_after,
        ..TestHubOptions::new(mqtt)
    })
    .await
    .unwrap();
    let state = hub.hub.state.clone();
    let org = org_in(&state.service, &unique("pres")).await;
    let owner = org.token(Role::Owner).to_owned();
    let dir = tempfile::tempdir().unwrap();
    let sim = SimLock::start(dir.path(), &unique("PR"), hub.broker()).await;
    let (st, v) = claim(&state, &org, &sim.label, &sim.label.setup_code).await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let d = Door {
        hub,
        state,
        org,
        owner,
        sim,
        id,
        _dir: dir,
    };
    d.wait_lock("first status and online", |l| {
        l["telemetry"]["setup_mode"] == false && l["presence"] == "online"
    })
    .await;
    d
}

impl Door {
    async fn lock(&self) -> Value {
        lock_json(&self.state, &self.owner, self.id).await
    }

    async fn wait_lock(&self, what: &str, f: impl Fn(&Value) -> bool) {
        let last = std::sync::Mutex::new(Value::Null);
        let what = format!("{what} ({})", self.id);
        let check = || async {
            let l = self.lock().await;
            let ok = f(&l);
            *last.lock().unwrap() = l;
            ok
        };
        if tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                if check().await {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .is_err()
        {
            panic!("{what}: never became true; last {}", last.lock().unwrap());
        }
    }

    /// The lock's alerts (open and acknowledged), oldest first.
    async fn alerts(&self, kind: &str) -> Vec<Value> {
        let (_, v) = call_as(&self.state, "GET", "/api/v1/alerts", &self.owner, None).await;
        let mut out: Vec<Value> = v
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == kind && a["lock_id"] == self.id)
            .cloned()
            .collect();
        out.reverse();
        out
    }

    async fn pull(&self) {
        let said = self.sim.console(&["pull-battery"]).await;
        assert!(said.contains("battery out"), "{said}");
        self.wait_lock("offline", |l| {
            l["presence"] == "offline" && l["online"] == false
        })
        .await;
    }

    async fn insert(&self) {
        let said = self.sim.console(&["insert-battery"]).await;
        assert!(said.contains("booting"), "{said}");
        self.wait_lock("online", |l| l["presence"] == "online")
            .await;
    }

    async fn stop(mut self) {
        self.sim.shutdown().await;
        self.hub.stop().await;
    }
}

/// The battery level the hub shows (every radio message drains a little:
/// 3 % reads 2 % a few messages later).
fn pct(l: &Value) -> i64 {
    l["battery_pct"].as_i64().unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulled_battery_is_offline_then_online_and_operations_say_why_they_wait() {
    let d = door(None).await;
    assert!(d.alerts("lock_offline").await.is_empty());

    d.pull().await;
    let said = d.sim.console(&["status"]).await;
    assert!(said.contains("power: off"), "{said}");
    assert!(said.contains("hub link: offline"), "{said}");
    // One open alert, its condition holding (raised just after the presence).
    eventually("lock_offline raised", || async {
        !d.alerts("lock_offline").await.is_empty()
    })
    .await;
    let a = d.alerts("lock_offline").await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0]["cleared_at"].is_null(), "{a:?}");
    // An operation queued now says why it waits.
    let op = request_op(&d.state, &d.owner, d.id, json!({"kind": "get_status"})).await;
    let v = op_state(&d.state, &d.owner, op).await;
    assert_eq!(v["state"], "pending", "{v}");
    let why = v["waiting"].as_str().unwrap_or_default().to_owned();
    assert!(
        why.starts_with(&format!("lock {} is offline since ", d.id)),
        "{v}"
    );

    d.insert().await;
    let said = d.sim.console(&["status"]).await;
    assert!(said.contains("hub link: online"), "{said}");
    // The queued operation goes through once the lock is back; the alert is cleared.
    let v = wait_final(&d.state, &d.owner, op).await;
    assert_eq!(v["state"], "applied", "{v}");
    assert!(v.get("waiting").is_none(), "{v}");
    let a = d.alerts("lock_offline").await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(
        !a[0]["cleared_at"].is_null(),
        "cleared once back online: {a:?}"
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulled_battery_is_offline_then_online_on_mosquitto() {
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
    let d = door_on(MqttConfig::parse(&url).unwrap(), None).await;
    d.pull().await;
    d.insert().await;
    let a = d.alerts("lock_offline").await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(!a[0]["cleared_at"].is_null(), "{a:?}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_refresh_after_a_reboot() {
    let d = door(None).await;
    let status_at = d.lock().await["telemetry"]["status_at"].clone();
    let op = request_op(&d.state, &d.owner, d.id, json!({"kind": "reboot"})).await;
    assert_eq!(wait_final(&d.state, &d.owner, op).await["state"], "applied");
    // The lock reports its status afresh at boot, even if nothing changed.
    d.wait_lock("status after the reboot", |l| {
        l["telemetry"]["status_at"] != status_at && l["presence"] == "online"
    })
    .await;
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flapping_link_is_one_alert_with_a_count() {
    let d = door(None).await;
    for _ in 0..5 {
        d.pull().await;
        d.insert().await;
    }
    // Clearing follows the presence (a second write): wait for it.
    eventually("lock_offline cleared", || async {
        d.alerts("lock_offline")
            .await
            .iter()
            .any(|a| !a["cleared_at"].is_null())
    })
    .await;
    let a = d.alerts("lock_offline").await;
    assert_eq!(a.len(), 1, "one alert for five flaps: {a:?}");
    assert_eq!(a[0]["times"], 5, "{a:?}");
    assert!(!a[0]["cleared_at"].is_null(), "{a:?}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_alerts_only_when_low_once_and_cleared_when_fine() {
    let d = door(None).await;
    // A power-up at 99 %: nothing to say about the battery.
    d.pull().await;
    d.sim.console(&["battery 99%"]).await;
    d.insert().await;
    d.wait_lock("battery 99", |l| pct(l) >= 95).await;
    assert!(d.alerts("battery_critical").await.is_empty());
    assert!(d.alerts("battery_low").await.is_empty());

    // A power-up at 3 %: one battery_critical (the lock's alarm and its
    // status say the same thing), no battery_low.
    d.pull().await;
    d.sim.console(&["battery 3%"]).await;
    d.insert().await;
    d.wait_lock("battery 3", |l| (1..=5).contains(&pct(l)))
        .await;
    eventually("critical raised", || async {
        !d.alerts("battery_critical").await.is_empty()
    })
    .await;
    // Another report at the same level changes nothing.
    let op = request_op(&d.state, &d.owner, d.id, json!({"kind": "get_status"})).await;
    assert_eq!(wait_final(&d.state, &d.owner, op).await["state"], "applied");
    let a = d.alerts("battery_critical").await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0]["times"], 1, "raised once: {a:?}");
    assert!(a[0]["cleared_at"].is_null(), "{a:?}");
    assert!(d.alerts("battery_low").await.is_empty());

    // Fresh batteries: the alert is cleared, none raised.
    d.sim.console(&["battery 90%"]).await;
    let op = request_op(&d.state, &d.owner, d.id, json!({"kind": "get_status"})).await;
    assert_eq!(wait_final(&d.state, &d.owner, op).await["state"], "applied");
    d.wait_lock("battery 90", |l| pct(l) >= 85).await;
    let a = d.alerts("battery_critical").await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(!a[0]["cleared_at"].is_null(), "cleared at 90 %: {a:?}");
    assert!(d.alerts("battery_low").await.is_empty());
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_lock_is_unresponsive_with_an_alert_until_it_reboots() {
    let d = door(Some(Duration::from_secs(2))).await;
    let said = d.sim.console(&["fail-update"]).await;
    assert!(said.contains("stops responding"), "{said}");
    let op = request_op(&d.state, &d.owner, d.id, json!({"kind": "get_status"})).await;
    // Unanswered past the resend delay: connected, but not answering.
    d.wait_lock("unresponsive", |l| {
        l["presence"] == "unresponsive" && l["online"] == true
    })
    .await;
    // The alert follows the presence (a second write): wait for it.
    eventually("lock_unresponsive raised", || async {
        !d.alerts("lock_unresponsive").await.is_empty()
    })
    .await;
    let a = d.alerts("lock_unresponsive").await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0]["cleared_at"].is_null(), "{a:?}");
    let v = op_state(&d.state, &d.owner, op).await;
    if ["pending", "sent"].contains(&v["state"].as_str().unwrap_or("")) {
        let why = v["waiting"].as_str().unwrap_or_default();
        assert!(
            why.starts_with(&format!(
                "lock {} is connected but not answering since ",
                d.id
            )),
            "{v}"
        );
    }
    // No offline alert: the broker still sees it connected.
    assert!(d.alerts("lock_offline").await.is_empty());

    // The reset button restarts the frozen firmware; the lock answers again.
    let said = d.sim.console(&["press-reset"]).await;
    assert!(said.contains("restarts"), "{said}");
    d.wait_lock("online again", |l| l["presence"] == "online")
        .await;
    eventually("lock_unresponsive cleared", || async {
        d.alerts("lock_unresponsive")
            .await
            .iter()
            .any(|a| !a["cleared_at"].is_null())
    })
    .await;
    let a = d.alerts("lock_unresponsive").await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(
        !a[0]["cleared_at"].is_null(),
        "cleared once it answers: {a:?}"
    );
    let op = request_op(&d.state, &d.owner, d.id, json!({"kind": "get_status"})).await;
    assert_eq!(wait_final(&d.state, &d.owner, op).await["state"], "applied");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_refresh_after_a_reset_and_a_reclaim() {
    let mut d = door(None).await;
    let before = d.lock().await;
    let status_at = before["telemetry"]["status_at"].clone();
    let said = d.sim.console(&["hold-reset 12s"]).await;
    assert!(said.contains("factory reset"), "{said}");
    d.wait_lock("binding stale", |l| {
        l["claim_state"] == "reset_binding_stale"
    })
    .await;
    // Boot afresh (see lock_e2e: the dedup cache of the reset command).
    d.sim.shutdown().await;
    d.sim.boot(d.hub.broker()).await;
    let (st, v) = call_as(
        &d.state,
        "POST",
        &format!("/api/v1/locks/{}/reclaim", d.id),
        &d.owner,
        Some(json!({"setup_code": d.sim.label.setup_code})),
    )
    .await;
    assert_eq!(st, 200, "reclaim: {v}");
    d.wait_lock("fresh details", |l| {
        l["claim_state"] == "claimed"
            && l["telemetry"]["setup_mode"] == false
            && l["telemetry"]["status_at"] != status_at
            && l["telemetry"]["firmware"].is_string()
            && pct(l) >= 95
            && l["presence"] == "online"
    })
    .await;
    let _ = &d.org;
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_lock_is_probed_and_a_frozen_one_found_with_nothing_queued() {
    // Resend delay 1 s: a connected lock quiet for 10 s is probed.
    let d = door(Some(Duration::from_secs(1))).await;
    // A healthy quiet lock answers its probes and stays online.
    tokio::time::sleep(Duration::from_secs(14)).await;
    let l = d.lock().await;
    assert_eq!(l["presence"], "online", "{l}");
    assert!(d.alerts("lock_unresponsive").await.is_empty());

    // Frozen, with nothing queued for it: the next probe goes unanswered.
    let said = d.sim.console(&["fail-update"]).await;
    assert!(said.contains("stops responding"), "{said}");
    d.wait_lock("unresponsive without any operation", |l| {
        l["presence"] == "unresponsive" && l["online"] == true
    })
    .await;
    eventually("lock_unresponsive raised", || async {
        !d.alerts("lock_unresponsive").await.is_empty()
    })
    .await;

    // A reboot at the door: it states itself at boot and is online again.
    let said = d.sim.console(&["press-reset"]).await;
    assert!(said.contains("restarts"), "{said}");
    d.wait_lock("online again", |l| l["presence"] == "online")
        .await;
    d.stop().await;
}
