//! Invariants the database keeps under concurrent API calls (issue 13):
//! two owners demoting or deleting each other at the same moment leave the
//! organisation with an owner, on SQLite and PostgreSQL. Every destructive
//! operation is confirmed the same way (`confirm` = the lock's serial).
//! Deleting a site and claiming a lock into it are serialised.

use serde_json::{json, Value};
use tumbler_device::Label;
use tumbler_hub::config::MqttConfig;
use tumbler_hub::control::proto as p;
use tumbler_hub::model::Role;
use tumbler_hub::server::AppState;
use tumbler_hub::service::orgs::AccountInput;
use tumbler_testkit::fixtures::{login_in, org, org_in, OrgFixture, PASSWORD};
use tumbler_testkit::http::call;
use tumbler_testkit::mqtt::Observer;
use tumbler_testkit::net::Proxy;
use tumbler_testkit::{
    postgres_db, sqlite_db, unique, SimLock, TestApp, TestDb, TestHub, TestHubOptions,
};

/// What each of the two owners does to the other.
#[derive(Clone, Copy, Debug)]
enum Move {
    Demote,
    Delete,
}

async fn act(app: &TestApp, token: &str, on: i64, m: Move) -> (u16, serde_json::Value) {
    let path = format!("/api/v1/accounts/{on}");
    let (st, body) = match m {
        Move::Demote => {
            call(
                app,
                "PATCH",
                &path,
                Some(token),
                Some(json!({"role": "manager"})),
            )
            .await
        }
        Move::Delete => call(app, "DELETE", &path, Some(token), None).await,
    };
    (st.as_u16(), body)
}

async fn owners_race(db: TestDb) {
    let app = TestApp::on(db).unwrap();
    let s = app.service();
    let moves = [
        (Move::Demote, Move::Demote),
        (Move::Delete, Move::Delete),
        (Move::Demote, Move::Delete),
    ];
    let mut refused_409 = 0;
    for round in 0..24 {
        let (ma, mb) = moves[round % moves.len()];
        let name = format!("race{round}");
        let a_email = format!("a@{name}.test");
        let b = s
            .bootstrap_org(&name, "HQ", "Europe/Paris", &a_email, PASSWORD)
            .await
            .unwrap();
        let a_token = login_in(s, &a_email).await;
        let a_principal = s.authenticate(&a_token).await.unwrap();
        let b_email = format!("b@{name}.test");
        let second = s
            .create_account(
                &a_principal,
                AccountInput {
                    email: &b_email,
                    name: "second owner",
                    role: Role::Owner,
                    password: PASSWORD,
                },
            )
            .await
            .unwrap();
        let b_token = login_in(s, &b_email).await;
        let (ra, rb) = tokio::join!(
            act(&app, &a_token, second.id, ma),
            act(&app, &b_token, b.owner.id, mb)
        );
        let owners: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE org_id = $1 AND role = 'owner'",
        )
        .bind(b.org.id)
        .fetch_one(s.store().pool())
        .await
        .unwrap();
        let ctx = format!("round {round} {ma:?}/{mb:?}: a {ra:?}, b {rb:?}");
        assert_eq!(owners, 1, "the organisation keeps exactly one owner; {ctx}");
        let ok = [&ra, &rb].iter().filter(|r| r.0 / 100 == 2).count();
        assert_eq!(ok, 1, "exactly one call succeeds; {ctx}");
        let refused = if ra.0 / 100 == 2 { &rb } else { &ra };
        match refused.0 {
            409 => {
                assert_eq!(refused.1["code"], "last_owner", "{ctx}");
                assert!(
                    refused.1["detail"].as_str().unwrap().contains("owner"),
                    "{ctx}"
                );
                refused_409 += 1;
            }
            // The loser's own account was demoted or deleted first: its
            // request is no longer an owner's (or no longer signed in).
            401 | 403 => {}
            other => panic!("unexpected status {other}; {ctx}"),
        }
    }
    eprintln!("owners race: {refused_409} of 24 refused calls were 409 last_owner");
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_owners_removing_each_other_leave_an_owner_on_sqlite() {
    owners_race(sqlite_db().await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_owners_removing_each_other_leave_an_owner_on_postgres() {
    let Some(db) = postgres_db().await.unwrap() else {
        eprintln!("skipped: no PostgreSQL");
        return;
    };
    owners_race(db).await;
}

#[tokio::test]
async fn destructive_operations_need_the_serial_and_change_nothing_without_it() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "alpha").await;
    let b = org(&app, "beta").await;
    let owner = a.token(Role::Owner);
    let id = a.lock_id;
    let count = |table: &'static str| {
        let pool = app.service().store().pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table}"
            )))
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let before = (count("operations").await, count("audit").await);
    let routes = [
        ("release", json!({})),
        ("transfer", json!({"to_org": b.org_id})),
        ("operations", json!({"kind": "factory_reset"})),
    ];
    for (route, body) in routes {
        let path = format!("/api/v1/locks/{id}/{route}");
        let mut wrong = body.clone();
        wrong["confirm"] = json!("not-the-serial");
        let mut attempts = vec![Some(body), Some(wrong)];
        if route == "release" {
            // No body at all is refused the same way (not a 415).
            attempts.push(None);
        }
        for attempt in attempts {
            let (st, p) = call(&app, "POST", &path, Some(owner), attempt.clone()).await;
            assert_eq!(st, 422, "{route} {attempt:?}: {p}");
            assert_eq!(p["code"], "confirmation_required", "{route}: {p}");
            assert!(
                p["detail"].as_str().unwrap().contains(&a.serial),
                "the refusal names the serial to type: {p}"
            );
        }
    }
    let (st, lock) = call(
        &app,
        "GET",
        &format!("/api/v1/locks/{id}"),
        Some(owner),
        None,
    )
    .await;
    assert_eq!(st, 200, "the lock is still there: {lock}");
    assert_eq!(lock["claim_state"], "claimed");
    assert_eq!(
        (count("operations").await, count("audit").await),
        before,
        "nothing queued or audited"
    );
    // Confirmed with the serial: released.
    let (st, p) = call(
        &app,
        "POST",
        &format!("/api/v1/locks/{id}/release"),
        Some(owner),
        Some(json!({"confirm": a.serial})),
    )
    .await;
    assert!(st.is_success(), "{p}");
    let (st, _) = call(
        &app,
        "GET",
        &format!("/api/v1/locks/{id}"),
        Some(owner),
        None,
    )
    .await;
    assert_eq!(st, 404);
    app.db.cleanup().await;
}

/// A new empty site of `a`'s organisation.
async fn new_site(state: &AppState, a: &OrgFixture, name: &str) -> i64 {
    let (st, v) = call(
        state,
        "POST",
        "/api/v1/sites",
        Some(a.token(Role::Owner)),
        Some(json!({"name": name, "time_zone": "UTC"})),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    v["id"].as_i64().unwrap()
}

async fn claim_into(state: &AppState, a: &OrgFixture, label: &Label, site: i64) -> (u16, Value) {
    let (st, v) = call(
        state,
        "POST",
        "/api/v1/locks/claim",
        Some(a.token(Role::Owner)),
        Some(json!({"serial": label.serial, "setup_code": label.setup_code, "site_id": site})),
    )
    .await;
    (st.as_u16(), v)
}

async fn delete_site(state: &AppState, a: &OrgFixture, site: i64) -> (u16, Value) {
    let path = format!("/api/v1/sites/{site}");
    let (st, v) = call(state, "DELETE", &path, Some(a.token(Role::Owner)), None).await;
    (st.as_u16(), v)
}

/// After a claim into `site` and a delete of it, whatever their order: a
/// claimed lock has its binding and its site; a deleted site took no lock
/// with it and the lock is still free to claim.
async fn check_claim_vs_delete(
    state: &AppState,
    a: &OrgFixture,
    label: &Label,
    site: i64,
    claimed: &(u16, Value),
    deleted: &(u16, Value),
) {
    let s = &state.service;
    let ctx = format!("claim {claimed:?}, delete {deleted:?}");
    match (claimed.0, deleted.0) {
        (201, 409) => {
            assert_eq!(deleted.1["code"], "in_use", "{ctx}");
            let id = claimed.1["id"].as_i64().unwrap();
            assert!(s.store().get_binding(id).await.unwrap().is_some(), "{ctx}");
            assert!(
                s.store().get_site(a.org_id, site).await.unwrap().is_some(),
                "{ctx}"
            );
        }
        (404, 204) => {
            // The lock was never asked: it is still in setup mode, and a
            // claim into a site that exists succeeds.
            let home = a.site_id;
            let again = claim_into(state, a, label, home).await;
            assert_eq!(
                again.0, 201,
                "the lock is still claimable; {ctx}, then {again:?}"
            );
        }
        _ => panic!("a claim and a site delete must be serialised; {ctx}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_site_and_claiming_into_it_are_serialised() {
    let hub = TestHub::start_opts(TestHubOptions::new(MqttConfig::Builtin))
        .await
        .unwrap();
    let state = hub.hub.state.clone();
    let broker = hub.broker();
    let a = std::sync::Arc::new(org_in(&state.service, &unique("race")).await);
    let dir = tempfile::tempdir().unwrap();

    // A claim in flight (the lock's link is cut, so it hangs until the
    // hub's claim timeout): deleting its site is refused, nothing lost.
    let proxy = Proxy::start(broker.clone()).await;
    let mut held = SimLock::start(dir.path(), &unique("HELD"), proxy.addr.clone()).await;
    let site = new_site(&state, &a, "held").await;
    let mut down =
        Observer::start(&broker, &[format!("tumbler/v1/{}/down", held.label.serial)]).await;
    proxy.cut();
    let claim_task = {
        let (state, label) = (state.clone(), held.label.clone());
        let a = a.clone();
        tokio::spawn(async move { claim_into(&state, &a, &label, site).await })
    };
    // The hub has sent the claim's first message: the claim is in flight.
    down.wait_for(&format!("tumbler/v1/{}/down", held.label.serial), 30, |f| {
        matches!(
            p::decode::<p::claim::ClaimMessage>(f),
            Ok(p::claim::ClaimMessage::Start(_))
        )
    })
    .await
    .expect("the claim starts");
    let deleted = delete_site(&state, &a, site).await;
    assert_eq!(
        deleted.0, 409,
        "a site with a claim in flight stays: {deleted:?}"
    );
    assert_eq!(deleted.1["code"], "in_use");
    proxy.restore();
    let claimed = claim_task.await.unwrap();
    if claimed.0 == 201 {
        check_claim_vs_delete(&state, &a, &held.label, site, &claimed, &deleted).await;
    } else {
        // Timed out without an answer: the reservation ended with it.
        assert_eq!(claimed.0, 504, "{claimed:?}");
        assert_eq!(delete_site(&state, &a, site).await.0, 204);
    }
    held.shutdown().await;

    // Rounds of the two at the same moment.
    for round in 0..4 {
        let mut sim =
            SimLock::start(dir.path(), &unique(&format!("R{round}")), broker.clone()).await;
        let site = new_site(&state, &a, &format!("round {round}")).await;
        let (claimed, deleted) = tokio::join!(
            claim_into(&state, &a, &sim.label, site),
            delete_site(&state, &a, site)
        );
        check_claim_vs_delete(&state, &a, &sim.label, site, &claimed, &deleted).await;
        sim.shutdown().await;
    }
    hub.stop().await;
}
