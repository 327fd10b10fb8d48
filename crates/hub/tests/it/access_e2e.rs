//! People and access end to end (issue 7): a whole hub with real simulated
//! locks, every request through the HTTP router, every "it works" checked
//! at the door (keypad on the simulated lock), every "set"/"removed"
//! confirmed by the lock's slot digest.
//!
//! Scenarios: forgotten PIN; tenant moves out; security scare (everyone
//! but the owners revoked, factory reset at the door, re-claim, chosen
//! people re-enrolled, verification report in JSON and HTML); one door
//! offline while a person gets five doors (four at once, the fifth on
//! reconnect); a weekly schedule across the end of DST, on the lock.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tumbler_device::clock::VirtualClock;
use tumbler_device::mqtt::BrokerAddr;
use tumbler_hub::config::MqttConfig;
use tumbler_hub::model::Role;
use tumbler_hub::server::AppState;
use tumbler_hub::FixedClock;
use tumbler_testkit::{TestHub, TestHubOptions};

use crate::lock_e2e::{claim, sim_key, wait_final};
use tumbler_testkit::fixtures::{login_in, org_in, OrgFixture};
use tumbler_testkit::http::call_as;
use tumbler_testkit::net::Proxy;
use tumbler_testkit::{eventually, unique, SimLock};

pub(crate) struct World {
    pub(crate) hub: TestHub,
    pub(crate) state: AppState,
    pub(crate) org: OrgFixture,
    pub(crate) owner: String,
    pub(crate) name: String,
    pub(crate) dir: tempfile::TempDir,
}

pub(crate) async fn world(clock: Option<FixedClock>) -> World {
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        clock: clock.map(|c| Arc::new(c) as Arc<dyn tumbler_hub::Clock>),
        ..TestHubOptions::new(MqttConfig::Builtin)
    })
    .await
    .unwrap();
    let state = hub.hub.state.clone();
    let name = unique("acc");
    let org = org_in(&state.service, &name).await;
    let owner = org.token(Role::Owner).to_owned();
    World {
        hub,
        state,
        org,
        owner,
        name,
        dir: tempfile::tempdir().unwrap(),
    }
}

impl World {
    pub(crate) async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (st, v) = call_as(&self.state, "POST", path, &self.owner, Some(body)).await;
        (st.as_u16(), v)
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        let (st, v) = call_as(&self.state, "GET", path, &self.owner, None).await;
        assert_eq!(st, 200, "GET {path}: {v}");
        v
    }

    /// A simulated lock, claimed into the org's site; returns it and its id.
    pub(crate) async fn lock(
        &self,
        broker: BrokerAddr,
        clock: Option<VirtualClock>,
    ) -> (SimLock, i64) {
        let serial = unique("door");
        let sim = SimLock::start_with_clock(
            self.dir.path(),
            &serial,
            broker,
            clock.map(|c| Arc::new(c) as Arc<dyn tumbler_device::clock::Clock>),
        )
        .await;
        let (st, v) = claim(&self.state, &self.org, &sim.label, &sim.label.setup_code).await;
        assert_eq!(st, 201, "claim: {v}");
        let id = v["id"].as_i64().unwrap();
        self.settle_ops(id).await;
        (sim, id)
    }

    /// Waits until every operation of a lock has ended.
    pub(crate) async fn settle_ops(&self, lock: i64) {
        let ops = self.get(&format!("/api/v1/operations?lock={lock}")).await;
        for op in ops.as_array().unwrap() {
            wait_final(&self.state, &self.owner, op["id"].as_i64().unwrap()).await;
        }
    }

    pub(crate) async fn person(&self, name: &str, owner: bool) -> i64 {
        let (st, v) = self
            .post("/api/v1/people", json!({"name": name, "owner": owner}))
            .await;
        assert_eq!(st, 201, "{v}");
        v["id"].as_i64().unwrap()
    }

    /// Waits until a batch is done; returns it.
    pub(crate) async fn batch_done(&self, outcome: &Value) -> Value {
        let id = outcome["batch"]["id"].as_i64().unwrap();
        let mut last = Value::Null;
        for _ in 0..1200 {
            last = self.get(&format!("/api/v1/batches/{id}")).await;
            if last["done"] == true {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("batch {id} never done: {last}");
    }

    pub(crate) async fn grant(
        &self,
        person: i64,
        locks: &[i64],
        schedule: Value,
        cred: Value,
    ) -> Value {
        let (st, v) = self
            .post(
                &format!("/api/v1/people/{person}/access"),
                json!({"lock_ids": locks, "schedule": schedule, "credential": cred}),
            )
            .await;
        assert_eq!(st, 202, "grant: {v}");
        v
    }
}

pub(crate) fn all_in(batch: &Value, state: &str) {
    for d in batch["doors"].as_array().unwrap() {
        assert_eq!(d["state"], state, "door {d} in {batch}");
    }
}

pub(crate) async fn opens(sim: &SimLock, keys: &str) -> bool {
    let said = sim.console(&[keys]).await;
    if said.contains("access granted") {
        return true;
    }
    assert!(said.contains("access denied"), "unexpected answer: {said}");
    false
}

#[tokio::test]
// The holiday window is set around the real clock the simulated lock runs on.
#[allow(clippy::disallowed_methods)]
async fn forgotten_pin_and_tenant_moving_out() {
    let w = world(None).await;
    let broker = w.hub.broker();
    let (sim, lock) = w.lock(broker, None).await;
    let tenant = w.person("Tenant", false).await;

    // Bad PINs are refused with nothing changed.
    for bad in ["1234", "12", "12a4", "0000"] {
        let (st, v) = w
            .post(
                &format!("/api/v1/people/{tenant}/access"),
                json!({"lock_ids": [lock], "credential": {"kind": "pin", "pin": bad}}),
            )
            .await;
        assert_eq!(st, 400, "{bad}: {v}");
    }
    assert!(w.get(&format!("/api/v1/people/{tenant}")).await["doors"]
        .as_array()
        .unwrap()
        .is_empty());

    let out = w
        .grant(
            tenant,
            &[lock],
            json!({"kind": "permanent"}),
            json!({"kind": "pin", "pin": "482913", "label": "front"}),
        )
        .await;
    assert!(
        out["pins"].as_array().unwrap().is_empty(),
        "a chosen PIN is not echoed"
    );
    let batch = w.batch_done(&out).await;
    all_in(&batch, "set");
    assert!(opens(&sim, "482913#").await);

    // The PIN is nowhere in the hub's database.
    let dump = dump_db(&w).await;
    assert!(!dump.contains("482913"), "PIN stored in clear");

    // Another person cannot take the same PIN on that door.
    let other = w.person("Other", false).await;
    let (st, v) = w
        .post(
            &format!("/api/v1/people/{other}/access"),
            json!({"lock_ids": [lock], "credential": {"kind": "pin", "pin": "482913"}}),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("another person"),
        "{v}"
    );

    // Forgotten PIN: a new one is generated, shown once; the old one stops working.
    let detail = w.get(&format!("/api/v1/people/{tenant}")).await;
    let cred = detail["credentials"][0]["id"].as_i64().unwrap();
    let (st, out) = w
        .post(&format!("/api/v1/credentials/{cred}/change-pin"), json!({}))
        .await;
    assert_eq!(st, 202, "{out}");
    let new_pin = out["pins"][0]["pin"].as_str().unwrap().to_owned();
    assert_ne!(new_pin, "482913");
    all_in(&w.batch_done(&out).await, "set");
    assert!(!opens(&sim, "482913#").await, "old PIN still opens");
    assert!(opens(&sim, &format!("{new_pin}#")).await);
    assert!(
        !dump_db(&w).await.contains(&new_pin),
        "generated PIN stored"
    );

    // Who can open the door, and why.
    let who = w.get(&format!("/api/v1/locks/{lock}/who-can-open")).await;
    let who = who.as_array().unwrap();
    assert_eq!(who.len(), 1, "{who:?}");
    assert_eq!(who[0]["name"], "Tenant");
    assert_eq!(who[0]["now"], true);
    assert!(
        who[0]["why"].as_str().unwrap().contains("confirmed"),
        "{who:?}"
    );

    // A lock-wide holiday in vacation mode: the keypad is off for everyone
    // (site local times, enforced by the lock); cleared, the code works again.
    let zone = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    let local = |secs: i64| {
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .unwrap()
            .to_zoned(zone.clone())
            .datetime()
            .strftime("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let (st, op) = w
        .post(
            &format!("/api/v1/locks/{lock}/holidays"),
            json!({"from": local(-3600), "to": local(3600), "mode": "vacation"}),
        )
        .await;
    assert_eq!(st, 202, "{op}");
    wait_final(&w.state, &w.owner, op["id"].as_i64().unwrap()).await;
    assert!(
        !opens(&sim, &format!("{new_pin}#")).await,
        "keypad off on holiday"
    );
    let (st, op) = w
        .post(
            &format!("/api/v1/locks/{lock}/holidays"),
            json!({"clear": true}),
        )
        .await;
    assert_eq!(st, 202, "{op}");
    assert_eq!(
        wait_final(&w.state, &w.owner, op["id"].as_i64().unwrap()).await["state"],
        "applied"
    );
    assert!(opens(&sim, &format!("{new_pin}#")).await, "holiday over");

    // The tenant moves out: revoked everywhere, confirmed removed by digest.
    let (st, out) = w
        .post(&format!("/api/v1/people/{tenant}/revoke"), json!({}))
        .await;
    assert_eq!(st, 202, "{out}");
    all_in(&w.batch_done(&out).await, "removed");
    assert!(
        !opens(&sim, &format!("{new_pin}#")).await,
        "revoked PIN still opens"
    );
    assert!(w
        .get(&format!("/api/v1/locks/{lock}/who-can-open"))
        .await
        .as_array()
        .unwrap()
        .is_empty());
    let detail = w.get(&format!("/api/v1/people/{tenant}")).await;
    assert!(
        !detail["credentials"][0]["revoked_at"].is_null(),
        "{detail}"
    );
    w.hub.stop().await;
}

/// Every text column of every table, joined (to look for secrets).
async fn dump_db(w: &World) -> String {
    use sqlx::Row;
    let pool = w.state.service.store().pool();
    let mut out = String::new();
    for t in [
        "operations",
        "credentials",
        "door_access",
        "door_credentials",
        "audit",
        "events",
    ] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {t}")))
            .fetch_all(pool)
            .await
            .unwrap();
        for r in rows {
            for i in 0..r.len() {
                if let Ok(s) = r.try_get::<String, _>(i) {
                    out.push_str(&s);
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn security_scare_reset_reenrol_and_verification_report() {
    let w = world(None).await;
    let broker = w.hub.broker();
    let (mut sim, lock) = w.lock(broker.clone(), None).await;
    let alice = w.person("Alice", true).await;
    let bob = w.person("Bob", false).await;
    let carol = w.person("Carol <script>", false).await;
    for (p, pin) in [(alice, "271828"), (bob, "314159"), (carol, "161803")] {
        let out = w
            .grant(
                p,
                &[lock],
                json!({"kind": "permanent"}),
                json!({"kind": "pin", "pin": pin}),
            )
            .await;
        all_in(&w.batch_done(&out).await, "set");
    }
    assert!(opens(&sim, "161803#").await);

    // Security scare: everyone but the owners loses access at once.
    let (st, v) = w
        .post(
            "/api/v1/access/revoke-all-except-owners",
            json!({"confirm": "no"}),
        )
        .await;
    assert_eq!(st, 422, "confirmation required: {v}");
    assert_eq!(v["code"], "confirmation_required");
    let (st, out) = w
        .post(
            "/api/v1/access/revoke-all-except-owners",
            json!({"confirm": "revoke-all"}),
        )
        .await;
    assert_eq!(st, 202, "{out}");
    let batch = w.batch_done(&out).await;
    assert_eq!(batch["total"], 2, "{batch}");
    all_in(&batch, "removed");
    assert!(!opens(&sim, "161803#").await);
    assert!(opens(&sim, "271828#").await, "the owner keeps access");

    // Then a factory reset at the door; the hub sees the binding go stale
    // and nobody keeps access there.
    let said = sim.console(&["hold-reset 12s"]).await;
    assert!(said.contains("factory reset"), "{said}");
    eventually("binding stale", || async {
        w.get(&format!("/api/v1/locks/{lock}")).await["claim_state"] == "reset_binding_stale"
    })
    .await;
    let detail = w.get(&format!("/api/v1/people/{alice}")).await;
    assert_eq!(detail["doors"][0]["state"], "removed", "{detail}");
    assert_eq!(detail["doors"][0]["error"], "lock_reset", "{detail}");

    // Re-claim, then bring back only Alice and Bob (new PINs: the hub never kept the old ones).
    sim.shutdown().await;
    sim.boot(broker.clone()).await;
    let (st, v) = call_as(
        &w.state,
        "POST",
        &format!("/api/v1/locks/{lock}/reclaim"),
        &w.owner,
        Some(json!({"setup_code": sim.label.setup_code})),
    )
    .await;
    assert_eq!(st, 200, "reclaim: {v}");
    w.settle_ops(lock).await;
    let (st, v) = w
        .post(
            &format!("/api/v1/locks/{lock}/reenrol"),
            json!({"people": [{"person_id": alice, "generate_pin": true}, {"person_id": bob, "pin": "314159"}]}),
        )
        .await;
    assert_eq!(st, 202, "reenrol: {v}");
    let alice_pin = v["pins"][0]["pin"].as_str().unwrap().to_owned();
    all_in(&w.batch_done(&v).await, "set");
    assert!(opens(&sim, &format!("{alice_pin}#")).await);
    assert!(opens(&sim, "314159#").await);
    assert!(!opens(&sim, "271828#").await, "Alice's pre-reset PIN");
    assert!(!opens(&sim, "161803#").await, "Carol was not chosen");

    // The verification report.
    let (st, v) = w
        .post(&format!("/api/v1/locks/{lock}/verifications"), json!({}))
        .await;
    assert_eq!(st, 202, "{v}");
    let vid = v["id"].as_i64().unwrap();
    let mut report = Value::Null;
    for _ in 0..1200 {
        let v = w.get(&format!("/api/v1/verifications/{vid}")).await;
        if v["state"] != "running" {
            assert_eq!(v["state"], "done", "{v}");
            report = v["report"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(report["passed"], true, "{report:#}");
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for want in [
        "self_check_signed",
        "reset_seen",
        "only_this_hub",
        "chosen_present",
        "others_absent",
    ] {
        assert!(ids.contains(&want), "{want} missing: {ids:?}");
    }
    let present: Vec<&str> = report["present"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person"].as_str().unwrap())
        .collect();
    assert_eq!(present.len(), 2, "{report:#}");
    assert!(
        report["removed_people"].to_string().contains("Carol"),
        "{report:#}"
    );
    // The printable page, escaped.
    let req = axum::http::Request::builder()
        .uri(format!("/api/v1/verifications/{vid}?format=html"))
        .header("authorization", format!("Bearer {}", w.owner))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(tumbler_hub::app(w.state.clone()), req)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let html = String::from_utf8(html.to_vec()).unwrap();
    assert!(html.contains("Alice"), "{html}");
    assert!(!html.contains("<script>"), "unescaped name in the page");
    w.hub.stop().await;
}

#[tokio::test]
async fn one_offline_door_never_blocks_the_other_four() {
    let w = world(None).await;
    let broker = w.hub.broker();
    let proxy = Proxy::start(broker.clone()).await;
    let mut sims = Vec::new();
    let mut locks = Vec::new();
    for i in 0..5 {
        let via = if i == 4 {
            proxy.addr.clone()
        } else {
            broker.clone()
        };
        let (sim, id) = w.lock(via, None).await;
        sims.push(sim);
        locks.push(id);
    }
    let far = *locks.last().unwrap();
    proxy.cut();
    eventually("fifth door offline", || async {
        w.get(&format!("/api/v1/locks/{far}")).await["online"] == false
    })
    .await;

    let p = w.person("Cleaner", false).await;
    let out = w
        .grant(
            p,
            &locks,
            json!({"kind": "weekly", "windows": [{"days": "daily", "start": "00:00", "end": "24:00"}]}),
            json!({"kind": "pin", "pin": "583920"}),
        )
        .await;
    let id = out["batch"]["id"].as_i64().unwrap();
    eventually("four doors set", || async {
        let b = w.get(&format!("/api/v1/batches/{id}")).await;
        b["counts"]["set"] == 4
    })
    .await;
    let b = w.get(&format!("/api/v1/batches/{id}")).await;
    assert_eq!(b["done"], false, "{b}");
    let fifth = b["doors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["lock_id"] == far)
        .unwrap()
        .clone();
    assert_eq!(fifth["state"], "pending", "{b}");
    assert_eq!(fifth["online"], false, "{b}");
    for sim in &sims[..4] {
        assert!(opens(sim, "583920#").await);
    }

    // The fifth door comes back and catches up.
    proxy.restore();
    let b = w.batch_done(&out).await;
    all_in(&b, "set");
    assert!(opens(&sims[4], "583920#").await);
    w.hub.stop().await;
}

#[tokio::test]
async fn weekly_schedule_holds_across_the_end_of_dst() {
    // Saturday 24 October 2026, 09:30 in Berlin (CEST, UTC+2); DST ends on
    // Sunday 25 October at 03:00 local.
    let start = jiff::Timestamp::from_second(1_792_827_000).unwrap();
    assert_eq!(
        start
            .to_zoned(jiff::tz::TimeZone::get("Europe/Berlin").unwrap())
            .to_string(),
        "2026-10-24T09:30:00+02:00[Europe/Berlin]"
    );
    let hub_clock = FixedClock::new(start);
    let mut w = world(Some(hub_clock.clone())).await;
    // The org's site is in Berlin.
    let (st, v) = call_as(
        &w.state,
        "PATCH",
        &format!("/api/v1/sites/{}", w.org.site_id),
        &w.owner,
        Some(json!({"time_zone": "Europe/Berlin"})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let lock_clock = VirtualClock::new(Duration::from_secs(1_792_827_000));
    let (sim, lock) = w.lock(w.hub.broker(), Some(lock_clock.clone())).await;
    let p = w.person("Cleaner", false).await;
    let out = w
        .grant(
            p,
            &[lock],
            json!({"kind": "weekly", "windows": [{"days": "daily", "start": "09:00", "end": "17:00"}]}),
            json!({"kind": "pin", "pin": "739164"}),
        )
        .await;
    all_in(&w.batch_done(&out).await, "set");

    // Saturday 09:30 CEST: inside the window.
    assert!(opens(&sim, "739164#").await, "Saturday 09:30 CEST");
    // Saturday 08:30 CEST is outside (one hour earlier).
    lock_clock.set(Duration::from_secs(1_792_827_000 - 3600));
    assert!(!opens(&sim, "739164#").await, "Saturday 08:30 CEST");
    // Sunday 09:30 CET (UTC+1): 25 hours after Saturday 09:30 CEST.
    let sunday_0930 = 1_792_827_000 + 25 * 3600;
    lock_clock.set(Duration::from_secs(sunday_0930));
    assert!(opens(&sim, "739164#").await, "Sunday 09:30 CET");
    // Sunday 08:30 CET is outside, although it is 07:30 UTC like Saturday's 09:30 CEST.
    lock_clock.set(Duration::from_secs(sunday_0930 - 3600));
    assert!(!opens(&sim, "739164#").await, "Sunday 08:30 CET");
    // Sunday 16:59 CET inside, 17:01 outside.
    lock_clock.set(Duration::from_secs(sunday_0930 + 7 * 3600 + 29 * 60));
    assert!(opens(&sim, "739164#").await, "Sunday 16:59 CET");
    lock_clock.set(Duration::from_secs(sunday_0930 + 7 * 3600 + 31 * 60));
    assert!(!opens(&sim, "739164#").await, "Sunday 17:01 CET");

    // The hub agrees about "now" on its side (a day later: log in again).
    hub_clock.set(jiff::Timestamp::from_second(sunday_0930 as i64).unwrap());
    w.owner = login_in(&w.state.service, &format!("owner@{}.test", w.name)).await;
    let who = w.get(&format!("/api/v1/locks/{lock}/who-can-open")).await;
    assert_eq!(who[0]["now"], true, "{who}");
    hub_clock.set(jiff::Timestamp::from_second(sunday_0930 as i64 - 3600).unwrap());
    let who = w.get(&format!("/api/v1/locks/{lock}/who-can-open")).await;
    assert_eq!(who[0]["now"], false, "{who}");
    w.hub.stop().await;
}
