//! Lock settings end to end: a whole hub and a real simulated lock. Every setting is
//! changed through `PATCH /locks/{id}/settings` and read back from what the lock reports
//! (and from the console's `status`); a loosening from the app is refused by the lock
//! (`only_at_the_door`) and then done at the door with the keypad admin menu, which the
//! hub learns; out-of-range values and unknown names are refused with nothing queued;
//! another organisation and a role without rights are refused.

use serde_json::{json, Value};
use tumbler_hub::config::MqttConfig;
use tumbler_hub::model::Role;
use tumbler_hub::server::AppState;
use tumbler_testkit::fixtures::org_in;
use tumbler_testkit::http::call_as;
use tumbler_testkit::{eventually, unique, SimLock, TestHub, TestHubOptions};

use crate::lock_e2e::{claim, sim_key, wait_final, wait_op};

async fn settings(state: &AppState, token: &str, id: i64) -> Value {
    let (st, v) = call_as(
        state,
        "GET",
        &format!("/api/v1/locks/{id}/settings"),
        token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    v
}

fn value(v: &Value, name: &str) -> Value {
    v["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {v}"))["value"]
        .clone()
}

async fn patch(state: &AppState, token: &str, id: i64, body: Value) -> (u16, Value) {
    let (st, v) = call_as(
        state,
        "PATCH",
        &format!("/api/v1/locks/{id}/settings"),
        token,
        Some(body),
    )
    .await;
    (st.as_u16(), v)
}

/// How many settings or mode changes were queued for lock `id`.
async fn op_count(state: &AppState, token: &str, id: i64) -> usize {
    let (_, v) = call_as(
        state,
        "GET",
        &format!("/api/v1/operations?lock={id}&limit=1000"),
        token,
        None,
    )
    .await;
    // Only changes count: the hub queues reads (status, settings, log) on its own.
    v.as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "set_settings" || o["kind"] == "set_operating_mode")
        .count()
}

async fn wait_value(state: &AppState, token: &str, id: i64, name: &str, want: Value) {
    eventually(&format!("{name} = {want}"), || {
        let (state, token, want) = (state.clone(), token.to_owned(), want.clone());
        async move { value(&settings(&state, &token, id).await, name) == want }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_setting_through_the_api_and_loosening_only_at_the_door() {
    let hub = TestHub::start_opts(TestHubOptions {
        manufacturer_key: sim_key(),
        ..TestHubOptions::new(MqttConfig::Builtin)
    })
    .await
    .unwrap();
    let state = hub.hub.state.clone();
    let s = state.service.clone();
    let a = org_in(&s, &unique("seta")).await;
    let b = org_in(&s, &unique("setb")).await;
    let owner = a.token(Role::Owner).to_owned();
    let dir = tempfile::tempdir().unwrap();
    let sim = SimLock::start(dir.path(), &unique("ST"), hub.broker()).await;
    let (st, v) = claim(&state, &a, &sim.label, &sim.label.setup_code).await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_i64().unwrap();

    // The claim reads the lock's settings: its defaults, with their Matter names.
    eventually("settings reported", || {
        let (state, owner) = (state.clone(), owner.clone());
        async move { !settings(&state, &owner, id).await["reported_at"].is_null() }
    })
    .await;
    let v = settings(&state, &owner, id).await;
    assert_eq!(value(&v, "auto_relock_time"), 30, "{v}");
    assert_eq!(value(&v, "app_reset_allowed"), true, "{v}");
    let relock = &v["settings"][0];
    assert_eq!(relock["matter"], "AutoRelockTime", "{v}");
    assert_eq!(relock["range"], "0..=86400 seconds", "{v}");

    // An admin enrolled at the keypad (program button inside), for the door later.
    let out = sim.console(&["program-button", "5173#"]).await;
    assert!(out.contains("code enrolled"), "{out}");

    // Bad input: 422 naming the setting and its range; nothing queued.
    let before = op_count(&state, &owner, id).await;
    for (body, says) in [
        (
            json!({"auto_relock_time": 86401}),
            "auto_relock_time: 0..=86400 seconds",
        ),
        (
            json!({"sound_volume": "loud"}),
            "sound_volume: one of silent, low, high",
        ),
        (
            json!({"wrong_code_entry_limit": 0}),
            "wrong_code_entry_limit: 1..=20 codes",
        ),
        (
            json!({"reset_button_hold_time": 2}),
            "reset_button_hold_time: 3..=30 seconds",
        ),
        (
            json!({"app_reset_allowed": "yes"}),
            "app_reset_allowed: true or false",
        ),
        (
            json!({"volume": "low"}),
            "unknown setting \"volume\"; settings are: auto_relock_time",
        ),
        (json!({}), "name at least one setting"),
        (
            json!({"operating_mode": "vacation", "sound_volume": "low"}),
            "operating_mode: change it on its own",
        ),
        (
            json!({"auto_relock_time": 60, "user_code_temporary_disable_time": 0}),
            "user_code_temporary_disable_time: 1..=3600 seconds",
        ),
    ] {
        let (st, v) = patch(&state, &owner, id, body.clone()).await;
        assert_eq!(
            (st, v["code"].as_str()),
            (422, Some("invalid_setting")),
            "{body}: {v}"
        );
        assert!(v["detail"].as_str().unwrap().contains(says), "{body}: {v}");
    }
    assert_eq!(op_count(&state, &owner, id).await, before, "nothing queued");

    // Another organisation sees no such lock; an installer may read but not change.
    for method in ["GET", "PATCH"] {
        let body = (method == "PATCH").then(|| json!({"auto_relock_time": 5}));
        let (st, v) = call_as(
            &state,
            method,
            &format!("/api/v1/locks/{id}/settings"),
            b.token(Role::Owner),
            body,
        )
        .await;
        assert_eq!(st, 404, "{method}: {v}");
        assert_eq!(v["detail"], format!("no lock {id} in your organisation"));
    }
    let installer = a.token(Role::Installer);
    assert_eq!(settings(&state, installer, id).await["lock_id"], id);
    let (st, v) = patch(&state, installer, id, json!({"auto_relock_time": 5})).await;
    assert_eq!(st, 403, "{v}");
    assert_eq!(op_count(&state, &owner, id).await, before, "nothing queued");

    // Every setting at once: one operation, applied, then read back from the lock.
    let all = json!({
        "auto_relock_time": 60,
        "sound_volume": "low",
        "wrong_code_entry_limit": 7,
        "user_code_temporary_disable_time": 120,
        "reset_button_hold_time": 15,
        "app_reset_allowed": false,
        "enable_local_programming": false,
        "require_pin_for_remote_operation": true,
        "enable_one_touch_locking": false,
        "enable_inside_status_led": false,
    });
    let (st, op) = patch(&state, &owner, id, all.clone()).await;
    assert_eq!(st, 202, "{op}");
    assert_eq!(op["kind"], "set_settings", "{op}");
    assert_eq!(
        op_count(&state, &owner, id).await,
        before + 1,
        "one operation"
    );
    let pending = settings(&state, &owner, id).await;
    wait_op(&state, &owner, op["id"].as_i64().unwrap(), "applied").await;
    for (name, want) in all.as_object().unwrap() {
        wait_value(&state, &owner, id, name, want.clone()).await;
    }
    // While it was on its way, it showed as pending (unless the lock was quicker).
    if pending["pending"].as_array().is_some_and(|p| !p.is_empty()) {
        let p = pending["settings"].as_array().unwrap();
        assert!(p.iter().any(|s| s["pending"] == 60), "{pending}");
    }
    // The person at the door sees them in the console's status.
    let out = sim.console(&["status"]).await;
    assert!(
        out.contains("auto_relock_time 60s; sound_volume low; wrong_code_entry_limit 7"),
        "{out}"
    );
    assert!(
        out.contains("app_reset_allowed off; enable_local_programming off"),
        "{out}"
    );

    // The operating mode, by its own operation.
    for mode in ["vacation", "normal"] {
        let (st, op) = patch(&state, &owner, id, json!({"operating_mode": mode})).await;
        assert_eq!(st, 202, "{op}");
        assert_eq!(op["kind"], "set_operating_mode", "{op}");
        wait_op(&state, &owner, op["id"].as_i64().unwrap(), "applied").await;
        wait_value(&state, &owner, id, "operating_mode", json!(mode)).await;
    }

    // Loosening from the app: refused by the lock, reason shown, nothing changed.
    for (name, loose) in [
        ("app_reset_allowed", json!(true)),
        ("enable_local_programming", json!(true)),
        ("require_pin_for_remote_operation", json!(false)),
    ] {
        let (st, op) = patch(
            &state,
            &owner,
            id,
            json!({ name: loose, "auto_relock_time": 45 }),
        )
        .await;
        assert_eq!(st, 202, "{op}");
        let done = wait_final(&state, &owner, op["id"].as_i64().unwrap()).await;
        assert_eq!(
            (done["state"].as_str(), done["error"].as_str()),
            (Some("refused"), Some("only_at_the_door")),
            "{name}: {done}"
        );
    }
    let v = settings(&state, &owner, id).await;
    assert_eq!(value(&v, "app_reset_allowed"), false, "{v}");
    assert_eq!(value(&v, "auto_relock_time"), 60, "all or nothing: {v}");
    let door_only = &v["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "app_reset_allowed")
        .unwrap()["door_only"];
    assert_eq!(door_only, "true", "{v}");

    // At the door: keypad programming is off, so outside the menu is refused...
    let out = sim.console(&["5173*81#"]).await;
    assert!(!out.contains("setting changed"), "{out}");
    // ...inside (program button) it works, and then from the keypad too.
    let out = sim
        .console(&["program-button", "5173*91#", "5173*81#", "5173*70#"])
        .await;
    assert_eq!(out.matches("setting changed").count(), 3, "{out}");
    // The hub learns it from the lock's audit record and reads the settings again.
    wait_value(&state, &owner, id, "enable_local_programming", json!(true)).await;
    wait_value(&state, &owner, id, "app_reset_allowed", json!(true)).await;
    wait_value(
        &state,
        &owner,
        id,
        "require_pin_for_remote_operation",
        json!(false),
    )
    .await;
    hub.stop().await;
}
