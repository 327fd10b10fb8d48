//! `GET /locks/{id}/doctor` end to end: a whole hub and simulated locks put
//! into each fault at the door (the console): low battery, frozen firmware,
//! drifted clock, wrong-code lockout, vacation mode, a code outside its
//! schedule, a jam. Each checks the plan's order and content, and the
//! checks after a step. Wrong organisation and wrong role are covered by
//! the every-route authorisation test (`api_authz`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tumbler_device::clock::VirtualClock;
use tumbler_device::mqtt::BrokerAddr;
use tumbler_hub::config::MqttConfig;
use tumbler_hub::model::Role;
use tumbler_hub::server::AppState;
use tumbler_testkit::fixtures::{org_in, OrgFixture};
use tumbler_testkit::http::call_as;
use tumbler_testkit::{eventually, unique, SimLock, TestHub, TestHubOptions};

use crate::lock_e2e::{claim, request_op, sim_key, wait_final};

struct World {
    hub: TestHub,
    state: AppState,
    org: OrgFixture,
    owner: String,
    dir: tempfile::TempDir,
}

async fn world() -> World {
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        ..TestHubOptions::new(MqttConfig::Builtin)
    })
    .await
    .unwrap();
    let state = hub.hub.state.clone();
    let org = org_in(&state.service, &unique("doc")).await;
    let owner = org.token(Role::Owner).to_owned();
    World {
        hub,
        state,
        org,
        owner,
        dir: tempfile::tempdir().unwrap(),
    }
}

impl World {
    /// A simulated lock claimed into the org, its first status in; returns it and its id.
    async fn lock(&self, broker: BrokerAddr, clock: Option<VirtualClock>) -> (SimLock, i64) {
        let sim = SimLock::start_with_clock(
            self.dir.path(),
            &unique("doc"),
            broker,
            clock.map(|c| Arc::new(c) as Arc<dyn tumbler_device::clock::Clock>),
        )
        .await;
        let (st, v) = claim(&self.state, &self.org, &sim.label, &sim.label.setup_code).await;
        assert_eq!(st, 201, "claim: {v}");
        let id = v["id"].as_i64().unwrap();
        eventually("first status", || async move {
            !self.lock_json(id).await["telemetry"]["status_at"].is_null()
        })
        .await;
        // Let the claim's own operations end, so they are not taken as unanswered.
        let (_, ops) = call_as(
            &self.state,
            "GET",
            &format!("/api/v1/operations?lock={id}"),
            &self.owner,
            None,
        )
        .await;
        for op in ops.as_array().unwrap() {
            wait_final(&self.state, &self.owner, op["id"].as_i64().unwrap()).await;
        }
        (sim, id)
    }

    async fn lock_json(&self, id: i64) -> Value {
        call_as(
            &self.state,
            "GET",
            &format!("/api/v1/locks/{id}"),
            &self.owner,
            None,
        )
        .await
        .1
    }

    /// The doctor's report (`query` without the `?`).
    async fn doctor(&self, id: i64, query: &str) -> Value {
        let (st, v) = call_as(
            &self.state,
            "GET",
            &format!("/api/v1/locks/{id}/doctor?{query}"),
            &self.owner,
            None,
        )
        .await;
        assert_eq!(st, 200, "{v}");
        v
    }

    /// Waits until the doctor's report satisfies `ok`; returns it.
    async fn doctor_until(
        &self,
        id: i64,
        query: &str,
        what: &str,
        ok: impl Fn(&Value) -> bool,
    ) -> Value {
        let mut last = Value::Null;
        for _ in 0..600 {
            last = self.doctor(id, query).await;
            if ok(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, ops) = call_as(
            &self.state,
            "GET",
            &format!("/api/v1/operations?lock={id}"),
            &self.owner,
            None,
        )
        .await;
        panic!("{what}: never; last report {last:#}; operations {ops:#}");
    }
}

/// The plan's steps, in order.
fn steps(r: &Value) -> Vec<String> {
    r["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap().to_owned())
        .collect()
}

fn step<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {r:#}"))
}

/// The factory reset is the last step, not advised yet.
fn reset_last_not_yet(r: &Value) -> String {
    let all = steps(r);
    assert_eq!(
        all.last().map(String::as_str),
        Some("factory_reset"),
        "{all:?}"
    );
    step(r, "factory_reset")["not_yet"]
        .as_str()
        .unwrap_or_else(|| panic!("factory reset advised: {r:#}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_battery_batteries_first_checked_after_the_change() {
    let w = world().await;
    let (sim, id) = w.lock(w.hub.broker(), None).await;

    let said = sim.console(&["battery 5"]).await;
    assert!(!said.is_empty());
    let r = w
        .doctor_until(id, "symptom=does_not_respond", "battery 5 % seen", |r| {
            // The simulated cells keep draining: 5 % may already read 4 %.
            r["facts"]["battery_pct"].as_i64().is_some_and(|b| b <= 5)
        })
        .await;
    let pct = format!("{} %", r["facts"]["battery_pct"]);
    assert_eq!(
        steps(&r),
        [
            "batteries",
            "reboot",
            "reconnect",
            "mechanical_key",
            "factory_reset"
        ]
    );
    assert!(
        step(&r, "batteries")["why"]
            .as_str()
            .unwrap()
            .contains(&pct),
        "{r:#}"
    );
    assert!(
        reset_last_not_yet(&r).contains("change the batteries first"),
        "{r:#}"
    );
    let warn = r["factory_reset_warnings"].to_string();
    assert!(warn.contains("low_battery"), "{warn}");

    // The warning is true: the lock refuses the reset, nothing erased.
    let op = request_op(
        &w.state,
        &w.owner,
        id,
        json!({"kind": "factory_reset", "confirm": sim.label.serial}),
    )
    .await;
    let done = wait_final(&w.state, &w.owner, op).await;
    assert_eq!(
        (done["state"].as_str(), done["error"].as_str()),
        (Some("refused"), Some("low_battery")),
        "{done}"
    );
    // The battery alert says what to do.
    let (_, alerts) = call_as(&w.state, "GET", "/api/v1/alerts", &w.owner, None).await;
    let crit = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "battery_critical" && a["lock_id"] == id)
        .unwrap_or_else(|| panic!("no battery_critical alert: {alerts:#}"));
    assert!(
        crit["message"]
            .as_str()
            .unwrap()
            .contains("change all the batteries"),
        "{crit}"
    );

    // Not changed yet: the check says so.
    let r = w.doctor(id, "check=batteries").await;
    assert_eq!(r["check"]["outcome"], "not_yet", "{r:#}");
    // (the refused reset's motor work may have drained it a little further)
    let left = r["facts"]["battery_pct"].as_i64().unwrap();
    assert!(left <= 5, "{r:#}");
    assert_eq!(
        r["check"]["message"],
        format!("still {left} %: replace all four cells with fresh ones")
    );

    // Fresh cells at the door; the check sees them.
    sim.console(&["battery 87"]).await;
    let r = w
        .doctor_until(id, "check=batteries", "battery check fixed", |r| {
            r["check"]["outcome"] == "fixed"
        })
        .await;
    assert_eq!(r["check"]["message"], "battery now 87 %");
    assert!(
        r["factory_reset_warnings"].as_array().unwrap().is_empty(),
        "{r:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_firmware_reboot_suggested_then_checked() {
    let w = world().await;
    let (sim, id) = w.lock(w.hub.broker(), None).await;

    sim.console(&["fail-update"]).await;
    let op = request_op(&w.state, &w.owner, id, json!({"kind": "get_status"})).await;
    let r = w
        .doctor_until(id, "symptom=does_not_respond", "unanswered seen", |r| {
            r["facts"]["unanswered_ops"] == 1
        })
        .await;
    assert_eq!(
        steps(&r),
        [
            "batteries",
            "reboot",
            "reconnect",
            "mechanical_key",
            "factory_reset"
        ]
    );
    let reboot = step(&r, "reboot");
    assert!(
        reboot["why"].as_str().unwrap().contains("unanswered"),
        "{reboot}"
    );
    assert!(
        reboot["costs"].as_str().unwrap().contains("keeps"),
        "{reboot}"
    );
    assert!(reset_last_not_yet(&r).contains("softer steps remain"));
    assert!(
        r["factory_reset_warnings"]
            .to_string()
            .contains("no reboot was tried"),
        "{r:#}"
    );
    let r = w.doctor(id, "check=reboot").await;
    assert_eq!(r["check"]["outcome"], "not_yet", "{r:#}");
    assert!(r["check"]["message"]
        .as_str()
        .unwrap()
        .starts_with("still no answer"));

    // The short press at the door restarts the frozen firmware.
    let said = sim.console(&["press-reset"]).await;
    assert!(said.contains("restarts"), "{said}");
    let r = w
        .doctor_until(id, "check=reboot", "reboot check fixed", |r| {
            r["check"]["outcome"] == "fixed"
        })
        .await;
    let msg = r["check"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("the lock answered after the reboot at "),
        "{msg}"
    );
    assert!(!steps(&w.doctor(id, "").await).contains(&"reboot".to_owned()));
    // The operation it left unanswered is delivered after all.
    assert_eq!(wait_final(&w.state, &w.owner, op).await["state"], "applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The lock's clock is set an hour ahead of the real one the hub runs on.
#[allow(clippy::disallowed_methods)]
async fn drifted_clock_set_clock_first() {
    let w = world().await;
    let ahead = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        + Duration::from_secs(3_600);
    let (_sim, id) = w.lock(w.hub.broker(), Some(VirtualClock::new(ahead))).await;
    let r = w
        .doctor_until(id, "symptom=code_refused", "skew seen", |r| {
            r["facts"]["clock_skew_s"]
                .as_i64()
                .is_some_and(|s| s > 3_000)
        })
        .await;
    assert_eq!(steps(&r)[0], "set_clock", "{r:#}");
    assert!(step(&r, "set_clock")["why"]
        .as_str()
        .unwrap()
        .contains("off by"));
    reset_last_not_yet(&r);
    let r = w.doctor(id, "check=set_clock").await;
    assert_eq!(r["check"]["outcome"], "not_yet", "{r:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockout_wait_first_then_reprogram() {
    let w = world().await;
    let (sim, id) = w.lock(w.hub.broker(), None).await;
    let mut said = String::new();
    for _ in 0..10 {
        said = sim.console(&["13579#"]).await;
        if said.contains("locked out") || said.contains("disabled") {
            break;
        }
    }
    assert!(
        said.contains("locked out") || said.contains("disabled"),
        "{said}"
    );
    let r = w
        .doctor_until(id, "symptom=code_refused", "lockout seen", |r| {
            r["facts"]["lockout"] == true
        })
        .await;
    let all = steps(&r);
    assert_eq!(all[0], "wait_lockout", "{all:?}");
    assert!(all.contains(&"reprogram_codes".to_owned()), "{all:?}");
    reset_last_not_yet(&r);
    assert!(r["factory_reset_warnings"].to_string().contains("lockout"));
    let r = w.doctor(id, "check=wait_lockout").await;
    assert_eq!(r["check"]["outcome"], "not_yet", "{r:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The holiday window is set around the real clock the simulated lock runs on.
#[allow(clippy::disallowed_methods)]
async fn vacation_mode_and_a_code_outside_its_schedule() {
    let w = world().await;
    let (sim, id) = w.lock(w.hub.broker(), None).await;
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
    // A guest whose stay starts tomorrow, and one who may come now.
    let person = |name: &'static str| {
        let w = &w;
        async move {
            let (st, v) = call_as(
                &w.state,
                "POST",
                "/api/v1/people",
                &w.owner,
                Some(json!({"name": name})),
            )
            .await;
            assert_eq!(st, 201, "{v}");
            v["id"].as_i64().unwrap()
        }
    };
    let grant = |person: i64, schedule: Value, pin: &'static str| {
        let w = &w;
        async move {
            let (st, v) = call_as(
                &w.state,
                "POST",
                &format!("/api/v1/people/{person}/access"),
                &w.owner,
                Some(json!({"lock_ids": [id], "schedule": schedule, "credential": {"kind": "pin", "pin": pin}})),
            )
            .await;
            assert_eq!(st, 202, "{v}");
            let batch = v["batch"]["id"].as_i64().unwrap();
            eventually("grant delivered", || async move {
                call_as(
                    &w.state,
                    "GET",
                    &format!("/api/v1/batches/{batch}"),
                    &w.owner,
                    None,
                )
                .await
                .1["done"]
                    == true
            })
            .await;
        }
    };
    let guest = person("Guest").await;
    grant(
        guest,
        json!({"kind": "date_range", "from": local(86_400), "to": local(3 * 86_400)}),
        "582914",
    )
    .await;
    let said = sim.console(&["582914#"]).await;
    assert!(said.contains("access denied"), "{said}");
    let r = w
        .doctor_until(
            id,
            "symptom=code_refused",
            "refusal outside schedule seen",
            |r| r["facts"]["denials"]["outside_schedule"].as_u64() > Some(0),
        )
        .await;
    assert_eq!(steps(&r)[0], "check_schedule", "{r:#}");
    assert!(step(&r, "check_schedule")["why"]
        .as_str()
        .unwrap()
        .contains("outside their schedule"));
    reset_last_not_yet(&r);

    // Vacation mode (a lock-wide holiday): a code valid now is refused too.
    let tenant = person("Tenant").await;
    grant(tenant, json!({"kind": "permanent"}), "739164").await;
    assert!(sim.console(&["739164#"]).await.contains("access granted"));
    let (st, op) = call_as(
        &w.state,
        "POST",
        &format!("/api/v1/locks/{id}/holidays"),
        &w.owner,
        Some(json!({"from": local(-3600), "to": local(3600), "mode": "vacation"})),
    )
    .await;
    assert_eq!(st, 202, "{op}");
    assert_eq!(
        wait_final(&w.state, &w.owner, op["id"].as_i64().unwrap()).await["state"],
        "applied"
    );
    let said = sim.console(&["739164#"]).await;
    assert!(said.contains("access denied"), "{said}");
    let r = w
        .doctor_until(id, "symptom=code_refused", "vacation seen", |r| {
            steps(r).contains(&"normal_mode".to_owned())
        })
        .await;
    assert_eq!(steps(&r)[0], "normal_mode", "{r:#}");
    assert!(
        step(&r, "normal_mode")["why"]
            .as_str()
            .unwrap()
            .contains("vacation"),
        "{r:#}"
    );
    reset_last_not_yet(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jam_free_the_bolt_first_then_checked() {
    let w = world().await;
    let (sim, id) = w.lock(w.hub.broker(), None).await;
    sim.console(&["jam"]).await;
    let op = request_op(&w.state, &w.owner, id, json!({"kind": "unlock"})).await;
    wait_final(&w.state, &w.owner, op).await;
    let r = w
        .doctor_until(id, "symptom=jams_or_beeps", "jam seen", |r| {
            r["facts"]["jammed"] == true
        })
        .await;
    assert_eq!(
        steps(&r),
        [
            "free_bolt",
            "batteries",
            "reboot",
            "mechanical_key",
            "factory_reset"
        ]
    );
    reset_last_not_yet(&r);
    let r = w.doctor(id, "check=free_bolt").await;
    assert_eq!(r["check"]["outcome"], "not_yet", "{r:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_wrong_role_and_wrong_org_are_refused() {
    let w = world().await;
    let (_sim, id) = w.lock(w.hub.broker(), None).await;
    let (st, v) = call_as(
        &w.state,
        "GET",
        &format!("/api/v1/locks/{id}/doctor?symptom=smoke"),
        &w.owner,
        None,
    )
    .await;
    assert_eq!(st, 400, "{v}");
    assert!(v.to_string().contains("does_not_respond"), "{v}");
    let (st, v) = call_as(&w.state, "GET", "/api/v1/locks/4242/doctor", &w.owner, None).await;
    assert_eq!(st, 404, "{v}");
    assert!(
        v.to_string().contains("no lock 4242 in your organisation"),
        "{v}"
    );
    // Wrong role (an installer reads no history) and wrong organisation.
    let (st, v) = call_as(
        &w.state,
        "GET",
        &format!("/api/v1/locks/{id}/doctor"),
        w.org.token(Role::Installer),
        None,
    )
    .await;
    assert_eq!(
        (st.as_u16(), v["code"].as_str()),
        (403, Some("forbidden")),
        "{v}"
    );
    let other = org_in(&w.state.service, &unique("doc-other")).await;
    let (st, v) = call_as(
        &w.state,
        "GET",
        &format!("/api/v1/locks/{id}/doctor?symptom=code_refused"),
        other.token(Role::Owner),
        None,
    )
    .await;
    assert_eq!(st, 404, "{v}");
    assert!(
        v.to_string()
            .contains(&format!("no lock {id} in your organisation")),
        "{v}"
    );
    // Support (a history role) may read it.
    let (st, v) = call_as(
        &w.state,
        "GET",
        &format!("/api/v1/locks/{id}/doctor"),
        w.org.token(Role::Support),
        None,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    // A healthy lock: nothing to do without a symptom.
    let r = w.doctor(id, "").await;
    assert!(steps(&r).is_empty(), "{r:#}");
}
