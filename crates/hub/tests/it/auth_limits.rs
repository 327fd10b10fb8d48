//! The API attacker (issue 13, finding 6): login limits per account and per
//! client address with Retry-After, a bounded password-hashing queue that
//! refuses at once, default token lifetimes, tokens revoked on a password or
//! role change. On SQLite, and on PostgreSQL where the database is involved.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use jiff::SignedDuration;
use serde_json::{json, Value};
use tower::ServiceExt;
use tumbler_hub::hashing::{HashPool, HashPoolConfig};
use tumbler_hub::model::Role;
use tumbler_hub::server::AppState;
use tumbler_testkit::db::{postgres_db, sqlite_db, TestDb};
use tumbler_testkit::fixtures::{org, PASSWORD};
use tumbler_testkit::http::call;
use tumbler_testkit::TestApp;

/// `POST /login` from `from`, as the server would see it (connect info set).
async fn login_from(
    state: &AppState,
    from: &str,
    email: &str,
    password: &str,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/v1/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"email": email, "password": password}).to_string(),
        ))
        .unwrap();
    let addr: SocketAddr = from.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = tumbler_hub::app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, body)
}

fn retry_after(h: &HeaderMap) -> u64 {
    h.get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Five wrong passwords, then 429 with Retry-After even for the right one
/// (no password is checked while limited), until the wait has passed; a
/// success resets the count.
async fn account_limit(db: TestDb) {
    let app = TestApp::on(db).unwrap();
    let _a = org(&app, "lim").await;
    let email = "manager@lim.test";
    let from = "192.0.2.10:5000";
    for i in 0..5 {
        let (st, _, body) = login_from(&app.state, from, email, "wrong password").await;
        assert_eq!(st, 401, "failure {i}: {body}");
    }
    let (st, h, body) = login_from(&app.state, from, email, "wrong password").await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "too_many_attempts");
    assert_eq!(body["status"], 429);
    assert_eq!(
        h.get("content-type").unwrap(),
        "application/problem+json",
        "the API's usual error shape"
    );
    let wait = retry_after(&h);
    assert!(wait >= 1, "{wait}");
    // The right password is refused too while the account waits.
    let (st, h2, _) = login_from(&app.state, from, email, PASSWORD).await;
    assert_eq!(st, 429);
    assert!(retry_after(&h2) <= wait);
    // Another address cannot get round the account's limit.
    let (st, _, _) = login_from(&app.state, "198.51.100.7:1", email, PASSWORD).await;
    assert_eq!(st, 429);

    app.clock
        .advance(SignedDuration::from_secs(i64::try_from(wait).unwrap()));
    let (st, _, body) = login_from(&app.state, from, email, PASSWORD).await;
    assert_eq!(st, 200, "after the wait the right password works: {body}");
    // The success reset the account: five more failures are free again.
    for _ in 0..5 {
        let (st, _, _) = login_from(&app.state, from, email, "wrong password").await;
        assert_eq!(st, 401);
    }
    let (st, h, _) = login_from(&app.state, from, email, "wrong password").await;
    assert_eq!(st, 429);
    // The next wait after the limit doubles (backoff) once it is reached again.
    let first = retry_after(&h);
    app.clock
        .advance(SignedDuration::from_secs(i64::try_from(first).unwrap()));
    let (st, _, _) = login_from(&app.state, from, email, "wrong password").await;
    assert_eq!(st, 401);
    let (st, h, _) = login_from(&app.state, from, email, "wrong password").await;
    assert_eq!(st, 429);
    assert_eq!(retry_after(&h), first * 2, "backoff doubles");
    app.db.cleanup().await;
}

#[tokio::test]
async fn wrong_logins_then_429_with_retry_after_on_sqlite() {
    account_limit(sqlite_db().await.unwrap()).await;
}

#[tokio::test]
async fn wrong_logins_then_429_with_retry_after_on_postgres() {
    let Some(db) = postgres_db().await.unwrap() else {
        eprintln!("skipped: no PostgreSQL");
        return;
    };
    account_limit(db).await;
}

/// One address trying many accounts (known or not) is stopped after 20
/// failures, and the account it did not guess is still open elsewhere.
#[tokio::test]
async fn one_address_is_limited_across_accounts() {
    let app = TestApp::sqlite().await.unwrap();
    let _a = org(&app, "addr").await;
    let from = "203.0.113.5:4000";
    for i in 0..20 {
        let email = format!("nobody{i}@addr.test");
        let (st, _, body) = login_from(&app.state, from, &email, "wrong password").await;
        assert_eq!(st, 401, "failure {i}: {body}");
    }
    let (st, h, body) = login_from(&app.state, from, "owner@addr.test", PASSWORD).await;
    assert_eq!(st, 429, "{body}");
    assert!(retry_after(&h) >= 1);
    // Another port of the same host is the same address.
    let (st, _, _) = login_from(&app.state, "203.0.113.5:4001", "owner@addr.test", PASSWORD).await;
    assert_eq!(st, 429);
    // The owner, from elsewhere, is not locked out by that address.
    let (st, _, body) =
        login_from(&app.state, "203.0.113.6:4000", "owner@addr.test", PASSWORD).await;
    assert_eq!(st, 200, "{body}");
    app.db.cleanup().await;
}

/// With every hashing worker busy and no room to wait, a login is refused
/// at once (503 with Retry-After), and is not counted as a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_hashing_queue_refuses_at_once() {
    let app = TestApp::sqlite().await.unwrap();
    let _a = org(&app, "busy").await;
    let pool = HashPool::start(HashPoolConfig {
        workers: 1,
        queue: 0,
    })
    .unwrap();
    let state = AppState::new(app.service().clone().with_hash_pool(pool.clone()));
    let held = pool.occupy(Duration::from_secs(30)).expect("a free worker");
    // Many logins at once: every one answers (none waits for the held
    // worker), each with 503 and Retry-After.
    let mut tasks = Vec::new();
    // (Distinct accounts and addresses: a flood on one account would meet
    // its login limit first.)
    for i in 0..32 {
        let state = state.clone();
        tasks.push(tokio::spawn(async move {
            let email = format!("nobody{i}@busy.test");
            login_from(&state, &format!("192.0.2.{i}:1"), &email, PASSWORD).await
        }));
    }
    for t in tasks {
        let (st, h, body) = tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("refused at once, not queued behind the busy worker")
            .unwrap();
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["code"], "busy");
        assert_eq!(retry_after(&h), 1);
    }
    // Refusals were not failures: the account is not limited afterwards, even
    // after more refusals than it is allowed failures.
    for i in 0..8 {
        let (st, _, _) =
            login_from(&state, &format!("192.0.2.{i}:2"), "owner@busy.test", "x").await;
        assert_eq!(st, 503);
    }
    drop(held);
    let mut ok = false;
    for _ in 0..100 {
        let (st, _, _) = login_from(&state, "192.0.2.200:1", "owner@busy.test", PASSWORD).await;
        if st == 200 {
            ok = true;
            break;
        }
        assert_eq!(st, 503, "only busy while the worker is being freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok, "login works once the worker is free");
    app.db.cleanup().await;
}

/// API tokens get a default lifetime (30 days, shown in the listing) and
/// stop working when it has passed; every token of an account is revoked
/// when its password or its role changes.
async fn token_lifetime_and_revocation(db: TestDb) {
    let app = TestApp::on(db).unwrap();
    let a = org(&app, "tok").await;
    let owner = a.token(Role::Owner).to_owned();
    let manager = a.token(Role::Manager).to_owned();

    // Default lifetime, visible in the listing.
    let (st, t) = call(
        &app,
        "POST",
        "/api/v1/tokens",
        Some(&manager),
        Some(json!({"label": "ci"})),
    )
    .await;
    assert_eq!(st, 201, "{t}");
    let api = t["token"].as_str().unwrap().to_owned();
    let id = t["id"].as_i64().unwrap();
    let (_, list) = call(&app, "GET", "/api/v1/tokens", Some(&api), None).await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"].as_i64() == Some(id))
        .cloned()
        .unwrap();
    let expires = listed["expires_at"]
        .as_str()
        .expect("a default expiry")
        .parse::<jiff::Timestamp>()
        .unwrap();
    let created = listed["created_at"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap();
    assert_eq!(
        expires.duration_since(created),
        SignedDuration::from_hours(30 * 24)
    );

    // Expired: 401.
    let (st, t2) = call(
        &app,
        "POST",
        "/api/v1/tokens",
        Some(&owner),
        Some(json!({"label": "short", "expires_in_days": 1})),
    )
    .await;
    assert_eq!(st, 201);
    let short = t2["token"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&short), None).await.0,
        200
    );
    app.clock.advance(SignedDuration::from_hours(24));
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&short), None).await.0,
        401
    );

    // Password change: the manager's other tokens (its API token too) die;
    // the session that made the change stays.
    // (The fixture's sessions have expired by now: fresh ones.)
    let other = tumbler_testkit::fixtures::login(&app, "manager@tok.test").await;
    let second = tumbler_testkit::fixtures::login(&app, "manager@tok.test").await;
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&api), None).await.0,
        200
    );
    let (st, body) = call(
        &app,
        "POST",
        "/api/v1/me/password",
        Some(&second),
        Some(json!({"current_password": PASSWORD, "new_password": "a new long password"})),
    )
    .await;
    assert_eq!(st, 204, "{body}");
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&api), None).await.0,
        401
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&other), None).await.0,
        401
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&second), None).await.0,
        200
    );

    // Role change: every token of the account is revoked.
    let owner = tumbler_testkit::fixtures::login(&app, "owner@tok.test").await;
    let support = tumbler_testkit::fixtures::login(&app, "support@tok.test").await;
    let (st, t3) = call(
        &app,
        "POST",
        "/api/v1/tokens",
        Some(&support),
        Some(json!({"label": "script", "expires_in_days": 365})),
    )
    .await;
    assert_eq!(st, 201);
    let support_api = t3["token"].as_str().unwrap().to_owned();
    let (st, body) = call(
        &app,
        "PATCH",
        &format!("/api/v1/accounts/{}", a.account(Role::Support)),
        Some(&owner),
        Some(json!({"role": "manager"})),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&support), None)
            .await
            .0,
        401
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&support_api), None)
            .await
            .0,
        401
    );
    // The same role again changes nothing and revokes nothing.
    let fresh = tumbler_testkit::fixtures::login(&app, "support@tok.test").await;
    let (st, _) = call(
        &app,
        "PATCH",
        &format!("/api/v1/accounts/{}", a.account(Role::Support)),
        Some(&owner),
        Some(json!({"role": "manager"})),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&fresh), None).await.0,
        200
    );
    app.db.cleanup().await;
}

#[tokio::test]
async fn token_lifetime_and_revocation_on_sqlite() {
    token_lifetime_and_revocation(sqlite_db().await.unwrap()).await;
}

#[tokio::test]
async fn token_lifetime_and_revocation_on_postgres() {
    let Some(db) = postgres_db().await.unwrap() else {
        eprintln!("skipped: no PostgreSQL");
        return;
    };
    token_lifetime_and_revocation(db).await;
}
