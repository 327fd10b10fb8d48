//! Happy paths through the HTTP API: login and tokens, sites, accounts,
//! locks, operations, events and alerts.

use jiff::SignedDuration;
use serde_json::json;
use tumbler_hub::model::Role;
use tumbler_testkit::TestApp;

use tumbler_testkit::fixtures::{org, PASSWORD};
use tumbler_testkit::http::call;

#[tokio::test]
async fn login_tokens_and_logout() {
    let app = TestApp::sqlite().await.unwrap();
    let _a = org(&app, "alpha").await;
    let (st, body) = call(
        &app,
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"email": " Owner@Alpha.test ", "password": PASSWORD})),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let session = body["token"].as_str().unwrap().to_owned();
    assert!(session.starts_with("tum_s_"));
    assert_eq!(body["account"]["role"], "owner");
    let (st, me) = call(&app, "GET", "/api/v1/me", Some(&session), None).await;
    assert_eq!(
        (st.as_u16(), me["email"].as_str()),
        (200, Some("owner@alpha.test"))
    );

    // The hub stores only a hash: the token text is nowhere in the database.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM tokens")
        .fetch_all(app.service().store().pool())
        .await
        .unwrap();
    assert!(!stored.iter().any(|h| h == &session));

    let (st, t) = call(
        &app,
        "POST",
        "/api/v1/tokens",
        Some(&session),
        Some(json!({"label": "ci", "expires_in_days": 30})),
    )
    .await;
    assert_eq!(st, 201);
    let api = t["token"].as_str().unwrap().to_owned();
    assert!(api.starts_with("tum_a_"));
    let (_, list) = call(&app, "GET", "/api/v1/tokens", Some(&api), None).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("token").is_none()),
        "listing never shows secrets"
    );
    assert_eq!(
        list.as_array().unwrap().len(),
        3,
        "fixture login, this login, the API token"
    );

    // Sessions expire with the clock; API tokens last longer.
    app.clock.advance(SignedDuration::from_hours(13));
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&session), None)
            .await
            .0,
        401
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&api), None).await.0,
        200
    );
    app.clock.advance(SignedDuration::from_hours(24 * 30));
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&api), None).await.0,
        401
    );

    let (_, body) = call(
        &app,
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"email": "owner@alpha.test", "password": PASSWORD})),
    )
    .await;
    let s2 = body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&app, "POST", "/api/v1/logout", Some(&s2), None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&s2), None).await.0,
        401
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn sites_accounts_and_org() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "alpha").await;
    let owner = a.token(Role::Owner);
    let manager = a.token(Role::Manager);
    let (st, s) = call(
        &app,
        "POST",
        "/api/v1/sites",
        Some(manager),
        Some(json!({"name": " Beach house ", "time_zone": "America/New_York"})),
    )
    .await;
    assert_eq!(st, 201);
    assert_eq!(
        (s["name"].as_str(), s["time_zone"].as_str()),
        (Some("Beach house"), Some("America/New_York"))
    );
    let id = s["id"].as_i64().unwrap();
    let (_, s) = call(
        &app,
        "PATCH",
        &format!("/api/v1/sites/{id}"),
        Some(manager),
        Some(json!({"time_zone": "Europe/Lisbon"})),
    )
    .await;
    assert_eq!(s["time_zone"], "Europe/Lisbon");
    let (_, list) = call(
        &app,
        "GET",
        "/api/v1/sites",
        Some(a.token(Role::Installer)),
        None,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        call(
            &app,
            "DELETE",
            &format!("/api/v1/sites/{id}"),
            Some(owner),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        call(
            &app,
            "GET",
            &format!("/api/v1/sites/{id}"),
            Some(owner),
            None
        )
        .await
        .0,
        404
    );

    // Managers add installers and support, not owners or managers.
    let (st, acc) = call(&app, "POST", "/api/v1/accounts", Some(manager), Some(json!({"email": "fitter@alpha.test", "name": "Fitter", "role": "installer", "password": PASSWORD}))).await;
    assert_eq!(st, 201, "{acc}");
    let (st, _) = call(
        &app,
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"email": "fitter@alpha.test", "password": PASSWORD})),
    )
    .await;
    assert_eq!(st, 200);
    let acc_id = acc["id"].as_i64().unwrap();
    let (_, promoted) = call(
        &app,
        "PATCH",
        &format!("/api/v1/accounts/{acc_id}"),
        Some(owner),
        Some(json!({"role": "owner"})),
    )
    .await;
    assert_eq!(promoted["role"], "owner");
    // Two owners now: the first may step down.
    let first = a.account(Role::Owner);
    let (st, _) = call(
        &app,
        "PATCH",
        &format!("/api/v1/accounts/{first}"),
        Some(owner),
        Some(json!({"role": "manager"})),
    )
    .await;
    assert_eq!(st, 200);
    // The role change ended its sessions (issue 13); a new one carries the new role.
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(owner), None).await.0,
        401
    );
    let owner = &tumbler_testkit::fixtures::login(&app, "owner@alpha.test").await;
    assert_eq!(
        call(
            &app,
            "PATCH",
            "/api/v1/org",
            Some(owner),
            Some(json!({"name": "x"}))
        )
        .await
        .0,
        403
    );
    let (_, o) = call(&app, "GET", "/api/v1/org", Some(owner), None).await;
    assert_eq!(o["name"], "alpha");
    app.db.cleanup().await;
}

#[tokio::test]
async fn locks_operations_events_alerts() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "alpha").await;
    let s = app.service();
    let owner = a.token(Role::Owner);
    let support = a.token(Role::Support);

    s.lock_presence(&a.serial, true).await.unwrap();
    let (_, locks) = call(
        &app,
        "GET",
        "/api/v1/locks",
        Some(a.token(Role::Installer)),
        None,
    )
    .await;
    assert_eq!(locks.as_array().unwrap().len(), 1);
    assert_eq!(locks[0]["online"], true);
    assert_eq!(locks[0]["claim_state"], "claimed");
    // Presence from the (untrusted) broker for an unknown serial creates nothing.
    assert!(s.lock_presence("stray-1", true).await.unwrap().is_none());
    assert!(s.store().lock_by_serial("stray-1").await.unwrap().is_none());
    // A lock nobody claimed (seen through an event) is listed by nobody.
    s.ingest_event("stray-2", 1, "boot", 0, &json!({}))
        .await
        .unwrap();
    let (_, locks) = call(
        &app,
        "GET",
        &format!("/api/v1/locks?site={}", a.site_id),
        Some(owner),
        None,
    )
    .await;
    assert_eq!(locks.as_array().unwrap().len(), 1);

    let (st, op) = call(
        &app,
        "POST",
        &format!("/api/v1/locks/{}/operations", a.lock_id),
        Some(owner),
        Some(json!({"kind": "unlock"})),
    )
    .await;
    assert_eq!(st, 202);
    assert_eq!(op["state"], "pending");
    let (_, ops) = call(
        &app,
        "GET",
        &format!("/api/v1/operations?lock={}&state=pending", a.lock_id),
        Some(support),
        None,
    )
    .await;
    assert_eq!(ops.as_array().unwrap().len(), 1);

    let t = |min: i64| app.clock.now_ms_plus(min);
    s.ingest_event(&a.serial, 10, "unlocked", t(0), &json!({"user": 1}))
        .await
        .unwrap();
    s.ingest_event(&a.serial, 11, "locked", t(1), &json!({}))
        .await
        .unwrap();
    s.ingest_event(&a.serial, 11, "locked", t(1), &json!({}))
        .await
        .unwrap();
    s.ingest_event(&a.serial, 14, "jammed", t(2), &json!({}))
        .await
        .unwrap();
    let (_, evs) = call(&app, "GET", "/api/v1/events", Some(support), None).await;
    assert_eq!(
        evs.as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![14, 11, 10]
    );
    let (_, evs) = call(
        &app,
        "GET",
        &format!("/api/v1/events?lock={}&kind=locked", a.lock_id),
        Some(support),
        None,
    )
    .await;
    assert_eq!(evs.as_array().unwrap().len(), 1);
    let from = jiff::Timestamp::from_millisecond(t(1)).unwrap();
    let (_, evs) = call(
        &app,
        "GET",
        &format!("/api/v1/events?from={from}"),
        Some(support),
        None,
    )
    .await;
    assert_eq!(evs.as_array().unwrap().len(), 2);

    s.lock_telemetry(&a.serial, Some(15), 0).await.unwrap();
    s.lock_telemetry(&a.serial, Some(14), 1).await.unwrap();
    let (_, lock) = call(
        &app,
        "GET",
        &format!("/api/v1/locks/{}", a.lock_id),
        Some(owner),
        None,
    )
    .await;
    // Unauthenticated telemetry claiming a reset raises an alert only.
    assert_eq!(lock["claim_state"], "claimed", "{lock}");
    assert_eq!(lock["reset_counter"], 0, "{lock}");
    assert_eq!(lock["battery_pct"], 14);
    // Signed evidence (here: straight to the store) marks it stale.
    s.store()
        .mark_stale(a.lock_id, &json!({"reason": "test"}), Some(1))
        .await
        .unwrap()
        .unwrap();
    // Operations are refused on a stale binding until it is re-claimed.
    let (st, p) = call(
        &app,
        "POST",
        &format!("/api/v1/locks/{}/operations", a.lock_id),
        Some(owner),
        Some(json!({"kind": "unlock"})),
    )
    .await;
    assert_eq!(
        (st.as_u16(), p["code"].as_str()),
        (409, Some("wrong_lock_state"))
    );

    let (_, alerts) = call(&app, "GET", "/api/v1/alerts", Some(support), None).await;
    let mut kinds: Vec<&str> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec!["battery_low", "event_gap", "forged_status", "jammed"],
        "one battery_low only"
    );
    let id = alerts[0]["id"].as_i64().unwrap();
    let (st, acked) = call(
        &app,
        "POST",
        &format!("/api/v1/alerts/{id}/ack"),
        Some(support),
        None,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(acked["acked_by"], a.account(Role::Support));
    let (_, open) = call(&app, "GET", "/api/v1/alerts", Some(support), None).await;
    assert_eq!(open.as_array().unwrap().len(), 3);
    let (_, all) = call(
        &app,
        "GET",
        "/api/v1/alerts?open=false",
        Some(support),
        None,
    )
    .await;
    assert_eq!(all.as_array().unwrap().len(), 4);
    app.db.cleanup().await;
}

trait NowPlus {
    fn now_ms_plus(&self, minutes: i64) -> i64;
}

impl NowPlus for tumbler_hub::FixedClock {
    fn now_ms_plus(&self, minutes: i64) -> i64 {
        use tumbler_hub::Clock;
        self.now().as_millisecond() + minutes * 60_000
    }
}

#[tokio::test]
async fn the_root_is_the_web_app_and_sends_a_stranger_to_sign_in() {
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let app = TestApp::sqlite().await.unwrap();
    let res = tumbler_hub::app(app.state.clone())
        .oneshot(axum::http::Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers().get("location").unwrap(),
        "/login?next=%2F",
        "the web app's sign-in page"
    );
    let res = tumbler_hub::app(app.state.clone())
        .oneshot(
            axum::http::Request::get("/login")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains(r#"action="/login""#));
    app.db.cleanup().await;
}

/// Grants on one lock at the same moment: each is planned before its
/// transaction, and one that another grant overtook is planned again by the
/// service, so every grant lands, each in its own slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_grants_through_the_service_get_distinct_slots() {
    use tumbler_hub::service::access::{CredentialInput, GrantRequest};
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "concurrent").await;
    let owner = tumbler_testkit::fixtures::principal(&app, a.token(Role::Owner)).await;
    let s = app.service().clone();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (s, owner, lock) = (s.clone(), owner.clone(), a.lock_id);
        tasks.push(tokio::spawn(async move {
            let person = s
                .create_person(&owner, &format!("P{i}"), false)
                .await
                .unwrap()
                .id;
            let req = GrantRequest {
                lock_ids: vec![lock],
                schedule: tumbler_hub::control::access::AccessSchedule::Permanent,
                credentials: vec![CredentialInput {
                    kind: "card".into(),
                    uid: Some(format!("0a0b0c{i:02x}")),
                    ..Default::default()
                }],
            };
            s.grant(&owner, person, req).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut slots: Vec<i64> = s
        .store()
        .doors_of_lock(a.lock_id)
        .await
        .unwrap()
        .iter()
        .map(|d| d.slot)
        .collect();
    slots.sort_unstable();
    assert_eq!(slots, [1, 2, 3, 4, 5, 6]);
}

/// Group commit (issue 14): an answer to a change leaves only after the
/// disk sync that covers it; a read never waits for one.
#[tokio::test]
async fn answers_to_changes_wait_for_the_disk_and_reads_do_not() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "alpha").await;
    let owner = a.token(Role::Owner);
    let store = app.service().store().clone();
    let asked = || {
        store
            .durable_counts()
            .expect("a SQLite file has a barrier")
            .0
    };
    let before = asked();
    let (st, _) = call(&app, "GET", "/api/v1/me", Some(owner), None).await;
    assert_eq!(st, 200);
    assert_eq!(asked(), before, "a read does not wait for the disk");
    let (st, body) = call(
        &app,
        "POST",
        "/api/v1/tokens",
        Some(owner),
        Some(json!({"label": "ci", "expires_in_days": 30})),
    )
    .await;
    assert_eq!(st, 201, "{body}");
    assert_eq!(
        asked(),
        before + 1,
        "the change's answer waited for the sync"
    );
}
