//! Secrets never reach the logs: passwords and tokens are absent from
//! everything traced (at TRACE level, including sqlx's statements) during
//! logins, token creation and failed attempts.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tumbler_hub::testkit::TestApp;

use crate::support::{call, PASSWORD};

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
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::sqlite().await.unwrap();
    app.service()
        .bootstrap_org("Acme", "HQ", "UTC", "owner@acme.test", PASSWORD)
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

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("login"),
        "the subscriber captured something: {logs:.200}"
    );
    for secret in [
        PASSWORD,
        "a wrong guess",
        "second secret",
        &session,
        &api,
        "tum_s_forged_token_value",
    ] {
        assert!(
            !logs.contains(secret),
            "secret {secret:.8}… appears in the logs"
        );
    }
    app.db.cleanup().await;
}
