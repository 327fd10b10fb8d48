//! Operator endpoints on a whole hub: `/health/live`, `/health/ready`
//! (200 with database and broker link; 503 `not_ready` without the broker),
//! and `/metrics` after a real unlock at a simulated lock (frames both ways,
//! a forged one rejected, locks online, operations by kind and state,
//! latency by route template);
//! who may read `/metrics` (token, loopback).

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use serde_json::json;
use tumbler_hub::config::{MetricsToken, MqttConfig};
use tumbler_hub::model::Role;
use tumbler_testkit::http::{call, raw};
use tumbler_testkit::{eventually, unique, SimLock, TestHub, TestHubOptions};

use crate::lock_e2e::{claim, request_op, wait_op};

/// The value of one series line (`name{labels} value`), if present.
pub(crate) fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

pub(crate) async fn metrics(state: &tumbler_hub::AppState) -> String {
    let req = Request::get("/metrics").body(Body::empty()).unwrap();
    let (st, v) = raw(state, req).await;
    assert_eq!(st, 200, "{v}");
    v.as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_follow_a_real_unlock() {
    let hub = TestHub::start_opts(TestHubOptions::new(MqttConfig::Builtin))
        .await
        .unwrap();
    let state = hub.hub.state.clone();
    let (st, v) = call(&state, "GET", "/health/live", None, None).await;
    assert_eq!((st.as_u16(), v), (200, json!({"status": "live"})));
    eventually("ready once the broker link is up", || async {
        call(&state, "GET", "/health/ready", None, None).await.0 == 200
    })
    .await;
    let (_, v) = call(&state, "GET", "/health/ready", None, None).await;
    assert_eq!(v["database"], "ok", "{v}");
    assert_eq!(v["mqtt"]["state"], "connected", "{v}");

    let a = tumbler_testkit::fixtures::org_in(&state.service, &unique("obs")).await;
    let dir = tempfile::tempdir().unwrap();
    let mut sim = SimLock::start(dir.path(), &unique("LK"), hub.broker()).await;
    let (st, v) = claim(&state, &a, &sim.label, &sim.label.setup_code).await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let owner = a.token(Role::Owner).to_owned();
    let op = request_op(&state, &owner, id, json!({"kind": "unlock"})).await;
    wait_op(&state, &owner, op, "applied").await;

    let text = metrics(&state).await;
    assert!(
        sample(&text, "tumbler_frames_in_total").unwrap() >= 2.0,
        "{text}"
    );
    assert!(
        sample(&text, "tumbler_frames_out_total").unwrap() >= 1.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, "tumbler_frames_rejected_total"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(sample(&text, "tumbler_locks_online"), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            r#"tumbler_operations{kind="unlock",state="applied"}"#
        ),
        Some(1.0),
        "{text}"
    );
    // Latency by template: the concrete id never makes a series.
    assert!(
        text.contains(r#"tumbler_http_request_duration_seconds_count{method="POST",route="/api/v1/locks/{id}/operations",status="202"} 1"#),
        "{text}"
    );
    assert!(!text.contains(&format!("/api/v1/locks/{id}/")), "{text}");

    // Bytes on the lock's topic that are no frame of its binding: rejected, counted.
    crate::lock_e2e::publish_up(&hub.broker(), &sim.label.serial, vec![0x55; 40]).await;
    eventually("the rejected frame counted", || async {
        sample(&metrics(&state).await, "tumbler_frames_rejected_total") >= Some(1.0)
    })
    .await;

    sim.shutdown().await;
    hub.stop().await;
}

#[tokio::test]
async fn not_ready_without_the_broker() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hub = TestHub::start_opts(TestHubOptions::new(MqttConfig::External {
        host: "127.0.0.1".into(),
        port,
        login: None,
        tls: None,
    }))
    .await
    .unwrap();
    let state = hub.hub.state.clone();
    assert_eq!(call(&state, "GET", "/health/live", None, None).await.0, 200);
    let (st, v) = call(&state, "GET", "/health/ready", None, None).await;
    assert_eq!(st, 503, "{v}");
    assert_eq!(v["code"], "not_ready", "{v}");
    assert_eq!(v["database"], "ok", "{v}");
    assert_eq!(v["mqtt"]["state"], "connecting", "{v}");
    hub.stop().await;
}

fn from(addr: &str, token: Option<&str>) -> Request<Body> {
    let mut req = Request::get("/metrics");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let mut req = req.body(Body::empty()).unwrap();
    let addr: SocketAddr = addr.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

#[tokio::test]
async fn who_may_read_metrics() {
    let app = tumbler_testkit::TestApp::sqlite().await.unwrap();
    // No token configured: loopback clients only.
    let (st, _) = raw(&app, from("127.0.0.1:5000", None)).await;
    assert_eq!(st, 200);
    let (st, v) = raw(&app, from("192.0.2.7:5000", None)).await;
    assert_eq!(st, 401, "{v}");
    // With a token: anyone holding it, nobody without (loopback included).
    let state = app
        .state
        .clone()
        .with_metrics_token(Some(MetricsToken("s3cret-metrics".into())));
    for (addr, token, want) in [
        ("192.0.2.7:5000", Some("s3cret-metrics"), 200),
        ("192.0.2.7:5000", Some("wrong"), 401),
        ("127.0.0.1:5000", None, 401),
    ] {
        let (st, v) = raw(&state, from(addr, token)).await;
        assert_eq!(st, want, "{addr} {token:?}: {v}");
    }
    app.db.cleanup().await;
}

#[tokio::test]
async fn request_ids_are_returned_and_stored_with_the_operation() {
    let app = tumbler_testkit::TestApp::sqlite().await.unwrap();
    let a = tumbler_testkit::fixtures::org(&app, "rid").await;
    let lock = app
        .service()
        .bind_lock(a.org_id, a.site_id, &unique("rid"), "Door")
        .await
        .unwrap();
    let owner = a.token(Role::Owner).to_owned();
    let send = |rid: Option<&'static str>| {
        let mut req = Request::post(format!("/api/v1/locks/{}/operations", lock.id))
            .header("authorization", format!("Bearer {owner}"))
            .header("content-type", "application/json");
        if let Some(r) = rid {
            req = req.header("x-request-id", r);
        }
        req.body(Body::from(json!({"kind": "lock"}).to_string()))
            .unwrap()
    };
    // Given: kept, answered back, stored with the operation.
    let res = tower::ServiceExt::oneshot(
        tumbler_hub::app(app.state.clone()),
        send(Some("trace-abc.1")),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 202);
    assert_eq!(res.headers()["x-request-id"], "trace-abc.1");
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let op: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(op["request_id"], "trace-abc.1", "{op}");
    // Not given, or unacceptable (a line break would forge log lines): made.
    for given in [None, Some("bad id\twith tab")] {
        let mut req = send(None);
        if let Some(g) = given {
            req.headers_mut().insert(
                "x-request-id",
                axum::http::HeaderValue::from_str(g).unwrap(),
            );
        }
        let res = tower::ServiceExt::oneshot(tumbler_hub::app(app.state.clone()), req)
            .await
            .unwrap();
        let made = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(made.len(), 16, "{made}");
        assert!(made.bytes().all(|b| b.is_ascii_hexdigit()), "{made}");
        let body = http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap()
            .to_bytes();
        let op: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(op["request_id"], made.as_str(), "{op}");
    }
    app.db.cleanup().await;
}
