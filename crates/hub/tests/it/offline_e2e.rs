//! Codes that work offline, end to end (issue 16): a whole hub and a simulated
//! lock behind a cuttable link. Offline codes are enabled while the lock is
//! online; the link is cut; the hub issues codes with no lock contact; they
//! open at the simulated keypad; a revocation waits for the lock to come back
//! and then holds at the door; the lock's history names the code; revoking
//! all (new epoch) kills every earlier code. Bad input changes nothing.

use serde_json::{json, Value};

use crate::access_e2e::{opens, world, World};
use crate::lock_e2e::wait_op;
use tumbler_testkit::eventually;
use tumbler_testkit::net::Proxy;
use tumbler_testkit::web::Browser;

/// The current whole hour, RFC 3339 (the simulated lock runs on the real clock).
#[allow(clippy::disallowed_methods)]
fn this_hour() -> String {
    let s = jiff::Timestamp::now().as_second();
    jiff::Timestamp::from_second(s - s.rem_euclid(3600))
        .unwrap()
        .to_string()
}

async fn issue(w: &World, lock: i64, body: Value) -> (String, i64) {
    let (st, v) = w
        .post(&format!("/api/v1/locks/{lock}/offline-codes"), body)
        .await;
    assert_eq!(st, 201, "issue: {v}");
    let code = v["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 10, "{v}");
    (code, v["offline_code"]["id"].as_i64().unwrap())
}

async fn codes(w: &World, lock: i64) -> Value {
    w.get(&format!("/api/v1/locks/{lock}/offline-codes")).await
}

#[tokio::test]
async fn a_code_issued_while_the_lock_is_offline_opens_and_a_revocation_holds_once_it_is_back() {
    let w = world(None).await;
    let proxy = Proxy::start(w.hub.broker()).await;
    let (sim, lock) = w.lock(proxy.addr.clone(), None).await;
    let hours = |label: &str| json!({"kind": "hours", "starts_at": this_hour(), "hours": 3, "label": label});

    // Not enabled yet: refused, nothing recorded.
    let (st, v) = w
        .post(
            &format!("/api/v1/locks/{lock}/offline-codes"),
            hours("Early"),
        )
        .await;
    assert_eq!(st, 409, "{v}");
    assert_eq!(codes(&w, lock).await["enabled"], false);

    // Enabled while the lock is online: the secret travels in an operation.
    let (st, op) = w
        .post(
            &format!("/api/v1/locks/{lock}/offline-codes/enable"),
            json!({}),
        )
        .await;
    assert_eq!(st, 202, "{op}");
    assert_eq!(op["kind"], "set_offline_codes");
    assert!(!op["params"].to_string().contains("secret"), "{op}");
    wait_op(&w.state, &w.owner, op["id"].as_i64().unwrap(), "applied").await;

    // The lock loses its network.
    proxy.cut();
    eventually("lock offline", || async {
        w.get(&format!("/api/v1/locks/{lock}")).await["online"] == false
    })
    .await;

    // Bad input: refused, nothing recorded.
    for (bad, want) in [
        (
            json!({"kind": "hours", "starts_at": this_hour(), "hours": 25, "label": "x"}),
            422,
        ),
        (
            json!({"kind": "hours", "starts_at": "soon", "hours": 2, "label": "x"}),
            400,
        ),
        (
            json!({"kind": "hours", "starts_at": this_hour(), "hours": 2, "label": " "}),
            400,
        ),
        (
            json!({"kind": "weekly", "starts_at": this_hour(), "hours": 2, "label": "x"}),
            400,
        ),
        (
            json!({"kind": "daily", "first_day": "2026-02-30", "days": 2, "from_hour": 9, "to_hour": 12, "label": "x"}),
            400,
        ),
        (
            json!({"kind": "daily", "first_day": "2026-03-01", "days": 2, "from_hour": 12, "to_hour": 9, "label": "x"}),
            422,
        ),
        (
            json!({"kind": "hours", "starts_at": "2020-01-01T00:00:00Z", "hours": 2, "label": "x"}),
            422,
        ),
    ] {
        let (st, v) = w
            .post(&format!("/api/v1/locks/{lock}/offline-codes"), bad.clone())
            .await;
        assert_eq!(st, want, "{bad}: {v}");
    }
    assert_eq!(codes(&w, lock).await["codes"], json!([]));

    // Issued with no lock contact; they open at the door.
    let (cleaner, cleaner_id) = issue(&w, lock, hours("Cleaner")).await;
    let (parcel, _) = issue(
        &w,
        lock,
        json!({"kind": "one_time", "starts_at": this_hour(), "hours": 4, "label": "Parcel"}),
    )
    .await;
    // The same window again would be the same digits: refused.
    let (st, v) = w
        .post(
            &format!("/api/v1/locks/{lock}/offline-codes"),
            hours("Twin"),
        )
        .await;
    assert_eq!(st, 409, "{v}");
    assert!(opens(&sim, &format!("{cleaner}#")).await, "cleaner");
    assert!(
        opens(&sim, &format!("{cleaner}#")).await,
        "a period code opens again"
    );
    assert!(opens(&sim, &format!("{parcel}#")).await, "parcel");
    assert!(!opens(&sim, &format!("{parcel}#")).await, "one-time: used");

    // Revoked while the lock is offline: the deny entry waits.
    let (st, r) = w
        .post(
            &format!("/api/v1/offline-codes/{cleaner_id}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(st, 202, "{r}");
    assert_eq!(r["operation"]["state"], "pending", "{r}");
    assert!(r["offline_code"]["revoked_at"].is_string(), "{r}");
    assert!(
        opens(&sim, &format!("{cleaner}#")).await,
        "the lock has not been told yet"
    );

    // Back online: the deny entry arrives, the door refuses the code.
    proxy.restore();
    wait_op(
        &w.state,
        &w.owner,
        r["operation"]["id"].as_i64().unwrap(),
        "applied",
    )
    .await;
    assert!(!opens(&sim, &format!("{cleaner}#")).await, "revoked");

    // The lock's history names the code by the hub's record.
    eventually("history names the offline code", || async {
        let ev = w
            .get(&format!("/api/v1/events?lock={lock}&limit=1000"))
            .await;
        ev.as_array().unwrap().iter().any(|e| {
            e["data"]["offline_code"]["id"] == cleaner_id
                && e["data"]["offline_code"]["label"] == "Cleaner"
                && e["data"]["result"] == "Ok"
        })
    })
    .await;

    // The lock's history page says so in words.
    let browser = Browser::new(&w.owner);
    let page = browser
        .get(&w.state, &format!("/locks/{lock}/history"))
        .await;
    assert!(
        page.body
            .contains(&format!("offline code #{cleaner_id} (Cleaner)")),
        "{}",
        page.body
    );

    // Revoke all: a new secret and epoch; every earlier code is dead.
    let (guest, _) = issue(
        &w,
        lock,
        json!({"kind": "days", "starts_at": this_hour(), "days": 2, "label": "Guest"}),
    )
    .await;
    assert!(opens(&sim, &format!("{guest}#")).await);
    let (st, op) = w
        .post(
            &format!("/api/v1/locks/{lock}/offline-codes/revoke-all"),
            json!({}),
        )
        .await;
    assert_eq!(st, 202, "{op}");
    wait_op(&w.state, &w.owner, op["id"].as_i64().unwrap(), "applied").await;
    assert!(!opens(&sim, &format!("{guest}#")).await, "old epoch");
    let list = codes(&w, lock).await;
    assert_eq!(list["epoch"], 2, "{list}");
    assert!(
        list["codes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["revoked_at"].is_string()),
        "{list}"
    );
    // The same window in the new epoch is a new code, and it opens.
    let (again, _) = issue(
        &w,
        lock,
        json!({"kind": "days", "starts_at": this_hour(), "days": 2, "label": "Guest"}),
    )
    .await;
    assert_ne!(again, guest);
    assert!(opens(&sim, &format!("{again}#")).await);
    // Issued from the web page (site local time): the digits are shown once, and open.
    let site = w.get(&format!("/api/v1/sites/{}", w.org.site_id)).await;
    let tz = jiff::tz::TimeZone::get(site["time_zone"].as_str().unwrap()).unwrap();
    let from: jiff::Timestamp = this_hour().parse().unwrap();
    let local = from
        .to_zoned(tz)
        .datetime()
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let page = browser
        .post(
            &w.state,
            &format!("/locks/{lock}/offline-codes/issue"),
            &[
                ("kind", "one_time"),
                ("label", "Plumber"),
                ("from", &local),
                ("hours", "5"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let shown = page
        .body
        .split("id=\"offline-code\"")
        .nth(1)
        .and_then(|rest| rest.split("<code>").nth(1))
        .and_then(|rest| rest.split('#').next())
        .unwrap_or_else(|| panic!("no code on the page: {}", page.body))
        .to_owned();
    assert_eq!(shown.len(), 10, "{shown}");
    assert!(opens(&sim, &format!("{shown}#")).await, "web-issued code");
    let page = browser
        .get(&w.state, &format!("/locks/{lock}/offline-codes"))
        .await;
    assert!(
        page.body.contains("Plumber") && !page.body.contains(&shown),
        "{}",
        page.body
    );

    // The digits are never stored or shown again.
    let list = codes(&w, lock).await.to_string();
    for c in [&cleaner, &parcel, &guest, &again] {
        assert!(!list.contains(c.as_str()), "{list}");
    }
    w.hub.stop().await;
}

#[tokio::test]
async fn after_a_factory_reset_and_re_claim_the_lock_gets_a_new_secret_and_old_codes_stay_dead() {
    let w = world(None).await;
    let (sim, lock) = w.lock(w.hub.broker(), None).await;
    let (st, op) = w
        .post(
            &format!("/api/v1/locks/{lock}/offline-codes/enable"),
            json!({}),
        )
        .await;
    assert_eq!(st, 202, "{op}");
    wait_op(&w.state, &w.owner, op["id"].as_i64().unwrap(), "applied").await;
    let body = json!({"kind": "days", "starts_at": this_hour(), "days": 3, "label": "Guest"});
    let (old, _) = issue(&w, lock, body.clone()).await;
    assert!(opens(&sim, &format!("{old}#")).await);

    // Factory reset at the door: the lock forgets its secret.
    let said = sim.console(&["hold-reset 12s"]).await;
    assert!(said.contains("factory reset"), "{said}");
    eventually("binding stale", || async {
        w.get(&format!("/api/v1/locks/{lock}")).await["claim_state"] == "reset_binding_stale"
    })
    .await;
    assert!(
        !opens(&sim, &format!("{old}#")).await,
        "erased by the reset"
    );

    // Re-claim: the hub sends a new secret and epoch by itself.
    let (st, v) = w
        .post(
            &format!("/api/v1/locks/{lock}/reclaim"),
            json!({"setup_code": sim.label.setup_code, "factory_key": sim.label.identity_public_key}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    w.settle_ops(lock).await;
    let list = codes(&w, lock).await;
    assert_eq!(list["epoch"], 2, "{list}");
    assert!(list["codes"][0]["revoked_at"].is_string(), "{list}");
    assert!(
        !opens(&sim, &format!("{old}#")).await,
        "the old epoch stays dead"
    );
    let (new, _) = issue(&w, lock, body).await;
    assert!(
        opens(&sim, &format!("{new}#")).await,
        "a new-epoch code opens"
    );
    w.hub.stop().await;
}
