//! `?wait_ms=` on `POST /locks/{id}/operations` and `GET /operations/{id}`:
//! the answer is held until the operation is final, or the wait is over.

use std::time::Duration;

use serde_json::json;
use tumbler_hub::jobs::{JobRunner, OperationSender, SendError};
use tumbler_hub::model::{Operation, Role};
use tumbler_hub::store::operations::OpOutcome;
use tumbler_testkit::fixtures::org;
use tumbler_testkit::http::call;
use tumbler_testkit::TestApp;

/// A sender that delivers nothing (the test answers for the lock).
struct Nowhere;

impl OperationSender for Nowhere {
    async fn send(&self, _serial: &str, _op: &Operation) -> Result<(), SendError> {
        Ok(())
    }
}

async fn count_ops(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM operations")
        .fetch_one(app.service().store().pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_returns_when_applied() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "alpha").await;
    let s = app.service();
    s.lock_presence(&a.serial, true).await.unwrap();
    let owner = a.token(Role::Owner);
    let (st, op) = call(
        &app,
        "POST",
        &format!("/api/v1/locks/{}/operations", a.lock_id),
        Some(owner),
        Some(json!({"kind": "unlock"})),
    )
    .await;
    assert_eq!((st.as_u16(), op["state"].as_str()), (202, Some("pending")));
    let id = op["id"].as_i64().unwrap();
    let runner = JobRunner::new(s.store().clone(), s.clock(), Nowhere, "w".into());
    assert_eq!(runner.run_once().await.unwrap().sent, vec![id]);

    // The lock answers while a client waits (up to 30 s): the client gets
    // `applied` as soon as the plane says the operation ended.
    let answer = {
        let s = s.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(s
                .store()
                .finish_operation(id, &OpOutcome::Applied, s.now_ms())
                .await
                .unwrap());
            s.plane().op_ended().ended(id);
        }
    };
    let path = format!("/api/v1/operations/{id}?wait_ms=30000");
    let waited = call(&app, "GET", &path, Some(a.token(Role::Support)), None);
    let ((st, got), ()) = tokio::time::timeout(Duration::from_secs(20), async {
        tokio::join!(waited, answer)
    })
    .await
    .expect("the wait ends with the answer, not after wait_ms");
    assert_eq!((st.as_u16(), got["state"].as_str()), (200, Some("applied")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_wait_returns_when_applied() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "alpha").await;
    let s = app.service();
    s.lock_presence(&a.serial, true).await.unwrap();
    // A fake lock: sends every queued operation and answers `applied`
    // (without the plane's signal: the fallback re-read sees it).
    let lock = {
        let s = s.clone();
        async move {
            let runner = JobRunner::new(s.store().clone(), s.clock(), Nowhere, "w".into());
            loop {
                if let Some(&id) = runner.run_once().await.unwrap().sent.first() {
                    s.store()
                        .finish_operation(id, &OpOutcome::Applied, s.now_ms())
                        .await
                        .unwrap();
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let path = format!("/api/v1/locks/{}/operations?wait_ms=30000", a.lock_id);
    let post = call(
        &app,
        "POST",
        &path,
        Some(a.token(Role::Owner)),
        Some(json!({"kind": "unlock"})),
    );
    let ((st, op), ()) =
        tokio::time::timeout(Duration::from_secs(20), async { tokio::join!(post, lock) })
            .await
            .expect("the wait ends with the answer");
    assert_eq!((st.as_u16(), op["state"].as_str()), (202, Some("applied")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_times_out_pending_and_bad_waits() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "alpha").await;
    let b = org(&app, "beta").await;
    let owner = a.token(Role::Owner);
    let ops = format!("/api/v1/locks/{}/operations", a.lock_id);

    // The lock is offline: after the wait, the operation as it is (pending).
    let (st, op) = call(
        &app,
        "POST",
        &format!("{ops}?wait_ms=300"),
        Some(owner),
        Some(json!({"kind": "unlock"})),
    )
    .await;
    assert_eq!((st.as_u16(), op["state"].as_str()), (202, Some("pending")));
    let id = op["id"].as_i64().unwrap();
    let (st, op) = call(
        &app,
        "GET",
        &format!("/api/v1/operations/{id}?wait_ms=300"),
        Some(owner),
        None,
    )
    .await;
    assert_eq!((st.as_u16(), op["state"].as_str()), (200, Some("pending")));
    let queued = count_ops(&app).await;

    // Out of range or not a number: 400 with a problem body, nothing queued.
    for bad in ["60001", "-1", "soon", "1.5", ""] {
        let (st, body) = call(
            &app,
            "POST",
            &format!("{ops}?wait_ms={bad}"),
            Some(owner),
            Some(json!({"kind": "unlock"})),
        )
        .await;
        assert_eq!(
            (st.as_u16(), body["code"].as_str()),
            (400, Some("invalid_input")),
            "{bad}: {body}"
        );
        let (st, body) = call(
            &app,
            "GET",
            &format!("/api/v1/operations/{id}?wait_ms={bad}"),
            Some(owner),
            None,
        )
        .await;
        assert_eq!(st.as_u16(), 400, "{bad}: {body}");
    }
    assert_eq!(count_ops(&app).await, queued, "nothing queued");

    // Another org: 404, with or without a wait (and no wait happens).
    let other = b.token(Role::Owner);
    let (st, _) = call(
        &app,
        "GET",
        &format!("/api/v1/operations/{id}?wait_ms=60000"),
        Some(other),
        None,
    )
    .await;
    assert_eq!(st.as_u16(), 404);
    let (st, _) = call(
        &app,
        "POST",
        &format!("{ops}?wait_ms=60000"),
        Some(other),
        Some(json!({"kind": "unlock"})),
    )
    .await;
    assert_eq!(st.as_u16(), 404);

    // A weaker role: refused as without a wait, nothing queued.
    let (st, _) = call(
        &app,
        "POST",
        &format!("{ops}?wait_ms=1000"),
        Some(a.token(Role::Support)),
        Some(json!({"kind": "unlock"})),
    )
    .await;
    assert_eq!(st.as_u16(), 403);
    assert_eq!(count_ops(&app).await, queued, "nothing queued");
}
