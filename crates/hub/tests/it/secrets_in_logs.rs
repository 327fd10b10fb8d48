//! Secrets never reach the logs: passwords and tokens are absent from
//! everything traced (at TRACE level, including sqlx's statements) during
//! logins, token creation and failed attempts; nor do setup codes (claim)
//! and remote-operation PINs, nor access PINs (chosen, generated, changed),
//! nor webhook signing secrets. The logs are the JSON lines of
//! `--log-format json` (span fields included).

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tumbler_testkit::TestApp;

use tumbler_testkit::fixtures::PASSWORD;
use tumbler_testkit::http::call;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_in_logs() {
    let buf = Buf::default();
    let writer = buf.clone();
    // JSON lines with span fields, as `tumbler hub --log-format json` writes.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .finish();
    // Global, not thread-local: with a thread-local default, a callsite first
    // hit by another test on another thread (no subscriber there) can stay
    // disabled for this one, and its events would go unchecked. Every test of
    // this binary then logs into this buffer too, which only widens the check.
    tracing::subscriber::set_global_default(subscriber)
        .expect("no other test installs a global subscriber");

    let app = TestApp::sqlite().await.unwrap();
    let b = app
        .service()
        .bootstrap_org("Acme", "HQ", "UTC", "owner@acme.test", PASSWORD)
        .await
        .unwrap();
    let lock = app
        .service()
        .bind_lock(b.org.id, b.site.id, "acme-1", "Door")
        .await
        .unwrap();
    let (st, body) = call(
        &app,
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"email": "owner@acme.test", "password": PASSWORD})),
    )
    .await;
    assert_eq!(st, 200);
    let session = body["token"].as_str().unwrap().to_owned();
    let (_, t) = call(
        &app,
        "POST",
        "/api/v1/tokens",
        Some(&session),
        Some(json!({"label": "x"})),
    )
    .await;
    let api = t["token"].as_str().unwrap().to_owned();
    call(
        &app,
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"email": "owner@acme.test", "password": "a wrong guess"})),
    )
    .await;
    call(&app, "POST", "/api/v1/accounts", Some(&api), Some(json!({"email": "b@acme.test", "name": "B", "role": "support", "password": "second secret"}))).await;
    call(
        &app,
        "GET",
        "/api/v1/me",
        Some("tum_s_forged_token_value"),
        None,
    )
    .await;

    // A claim (no broker here: it stops at the link, after validation) and
    // an unlock with a PIN (queued; the PIN stays in memory).
    let (st, _) = call(
        &app,
        "POST",
        "/api/v1/locks/claim",
        Some(&session),
        Some(json!({"serial": "acme-2", "setup_code": "87654321", "site_id": b.site.id})),
    )
    .await;
    assert_eq!(st, 503);
    let (st, op) = call(
        &app,
        "POST",
        &format!("/api/v1/locks/{}/operations", lock.id),
        Some(&session),
        Some(json!({"kind": "unlock", "pin": "55443322"})),
    )
    .await;
    assert_eq!(st, 202);
    assert!(!op.to_string().contains("55443322"));

    // Access: a chosen PIN, a generated one, and a PIN change.
    let (st, person) = call(
        &app,
        "POST",
        "/api/v1/people",
        Some(&session),
        Some(json!({"name": "Tenant"})),
    )
    .await;
    assert_eq!(st, 201);
    let pid = person["id"].as_i64().unwrap();
    let (st, out) = call(
        &app,
        "POST",
        &format!("/api/v1/people/{pid}/access"),
        Some(&session),
        Some(json!({"lock_ids": [lock.id], "credentials": [
            {"kind": "pin", "pin": "97310642"}, {"kind": "pin", "generate": true}]})),
    )
    .await;
    assert_eq!(st, 202, "{out}");
    assert!(!out.to_string().contains("97310642"));
    let generated = out["pins"][0]["pin"].as_str().unwrap().to_owned();
    let (_, detail) = call(
        &app,
        "GET",
        &format!("/api/v1/people/{pid}"),
        Some(&session),
        None,
    )
    .await;
    let cred = detail["credentials"][0]["id"].as_i64().unwrap();
    let (st, out) = call(
        &app,
        "POST",
        &format!("/api/v1/credentials/{cred}/change-pin"),
        Some(&session),
        Some(json!({"pin": "86420975"})),
    )
    .await;
    assert_eq!(st, 202, "{out}");

    // A webhook's signing secret (shown once, sealed at rest).
    let (st, hook) = call(
        &app,
        "POST",
        "/api/v1/webhooks",
        Some(&session),
        Some(json!({"url": "https://example.com/hook", "events": ["*"]})),
    )
    .await;
    assert_eq!(st, 201, "{hook}");
    let hook_secret = hook["secret"].as_str().unwrap().to_owned();
    let hook_key = hook_secret.trim_start_matches("whsec_").to_owned();
    // As stored on a hub without a binding key (hex), too.
    let hook_hex = hex::encode(&*tumbler_hub::hooks::sign::parse(&hook_secret).unwrap());

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("login"),
        "the subscriber captured something: {logs:.200}"
    );
    // Every line is one JSON object, and request lines carry their id.
    for line in logs.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("a JSON log line");
    }
    assert!(logs.contains("\"request_id\""), "request ids in the logs");
    for secret in [
        PASSWORD,
        "a wrong guess",
        "second secret",
        &session,
        &api,
        "tum_s_forged_token_value",
        "87654321",
        "55443322",
        "97310642",
        &generated,
        "86420975",
        &hook_key,
        &hook_hex,
    ] {
        assert!(
            !logs.contains(secret),
            "secret {secret:.8}… appears in the logs"
        );
    }
    app.db.cleanup().await;
}
