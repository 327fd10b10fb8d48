//! The job runner: claims through the database, sends in order, never the
//! same operation from two runners; offline locks wait; unanswered
//! operations are sent again. On SQLite always, on PostgreSQL when there.

use std::sync::{Arc, Mutex};

use jiff::SignedDuration;
use tumbler_hub::jobs::{JobRunner, OperationSender, SendError};
use tumbler_hub::model::{OpState, Operation, Role};
use tumbler_hub::store::operations::OpOutcome;
use tumbler_testkit::{postgres_db, sqlite_db, TestApp, TestDb};

use tumbler_testkit::fixtures::{org, principal};

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<(String, i64)>>>);

impl OperationSender for Recorder {
    async fn send(&self, serial: &str, op: &Operation) -> Result<(), SendError> {
        self.0.lock().unwrap().push((serial.to_owned(), op.id));
        Ok(())
    }
}

async fn scenario(db: TestDb) {
    let app = TestApp::on(db).unwrap();
    let a = org(&app, "alpha").await;
    let s = app.service();
    let owner = principal(&app, a.token(Role::Owner)).await;
    let site = a.site_id;
    let mut serials = vec![a.serial.clone()];
    for i in 2..=6 {
        let serial = format!("alpha-lock-{i}");
        s.bind_lock(a.org_id, site, &serial, "Door").await.unwrap();
        serials.push(serial);
    }
    let mut expected = Vec::new();
    for serial in &serials {
        let lock = s.store().lock_by_serial(serial).await.unwrap().unwrap();
        for kind in ["unlock", "lock", "reboot"] {
            expected.push(s.request_operation(&owner, lock.id, kind).await.unwrap().id);
        }
    }
    let rec = Recorder::default();
    let r1 = JobRunner::new(s.store().clone(), s.clock(), rec.clone(), "w1".into());
    let r2 = JobRunner::new(s.store().clone(), s.clock(), rec.clone(), "w2".into());
    // All offline: nothing goes.
    assert!(r1.run_once().await.unwrap().sent.is_empty());
    for serial in &serials {
        s.lock_presence(serial, true).await.unwrap();
    }
    // Two runners race; the lock answers each sent operation at once.
    let drive = |r: JobRunner<Recorder>| {
        let s = s.clone();
        async move {
            for _ in 0..20 {
                let pass = r.run_once().await.unwrap();
                for id in pass.sent {
                    assert!(s
                        .store()
                        .finish_operation(id, &OpOutcome::Applied, s.now_ms())
                        .await
                        .unwrap());
                }
                tokio::task::yield_now().await;
            }
        }
    };
    tokio::join!(drive(r1), drive(r2));
    let sent = rec.0.lock().unwrap().clone();
    let mut ids: Vec<i64> = sent.iter().map(|x| x.1).collect();
    ids.sort();
    let mut exp = expected.clone();
    exp.sort();
    assert_eq!(ids, exp, "each operation sent exactly once");
    for serial in &serials {
        let mine: Vec<i64> = sent
            .iter()
            .filter(|x| &x.0 == serial)
            .map(|x| x.1)
            .collect();
        let mut sorted = mine.clone();
        sorted.sort();
        assert_eq!(mine, sorted, "in order per lock");
    }

    // A lock answers only for its own operations.
    let lock2 = s
        .store()
        .lock_by_serial(&serials[1])
        .await
        .unwrap()
        .unwrap();
    let mine = s.request_operation(&owner, lock2.id, "lock").await.unwrap();
    let r = JobRunner::new(
        s.store().clone(),
        s.clock(),
        Recorder::default(),
        "w4".into(),
    );
    assert_eq!(r.run_once().await.unwrap().sent, vec![mine.id]);
    assert!(
        !s.operation_answered(&serials[2], mine.id, &OpOutcome::Applied)
            .await
            .unwrap(),
        "another lock"
    );
    assert!(
        !s.operation_answered("ghost", mine.id, &OpOutcome::Applied)
            .await
            .unwrap(),
        "unknown lock"
    );
    assert!(s
        .operation_answered(&serials[1], mine.id, &OpOutcome::Applied)
        .await
        .unwrap());
    assert!(
        !s.operation_answered(&serials[1], mine.id, &OpOutcome::Refused("late".into()))
            .await
            .unwrap(),
        "repeat"
    );
    assert_eq!(
        s.get_operation(&owner, mine.id).await.unwrap().state,
        OpState::Applied
    );

    // Unanswered: sent again after the resend delay, then failed.
    let lock = s.store().lock_by_serial(&a.serial).await.unwrap().unwrap();
    let op = s
        .request_operation(&owner, lock.id, "self_check")
        .await
        .unwrap();
    let rec2 = Recorder::default();
    let r = JobRunner::new(s.store().clone(), s.clock(), rec2.clone(), "w3".into());
    assert_eq!(r.run_once().await.unwrap().sent, vec![op.id]);
    assert!(
        r.run_once().await.unwrap().sent.is_empty(),
        "waits for the answer"
    );
    for attempt in 2..=5 {
        app.clock.advance(SignedDuration::from_secs(31));
        assert_eq!(
            r.run_once().await.unwrap().sent,
            vec![op.id],
            "attempt {attempt}"
        );
    }
    app.clock.advance(SignedDuration::from_secs(31));
    r.run_once().await.unwrap();
    let done = s.get_operation(&owner, op.id).await.unwrap();
    assert_eq!((done.state, done.attempts), (OpState::Failed, 5));

    // A remote unlock for an offline lock is never delivered late: after a
    // minute it fails `expired`, and the lock back online gets nothing.
    s.lock_presence(&a.serial, false).await.unwrap();
    let unlock = s
        .request_operation(&owner, lock.id, "unlock")
        .await
        .unwrap();
    let reboot = s
        .request_operation(&owner, lock.id, "reboot")
        .await
        .unwrap();
    app.clock.advance(SignedDuration::from_secs(59));
    assert_eq!(r.run_once().await.unwrap().expired, 0, "not yet");
    app.clock.advance(SignedDuration::from_secs(2));
    assert_eq!(r.run_once().await.unwrap().expired, 1);
    let done = s.get_operation(&owner, unlock.id).await.unwrap();
    assert_eq!(done.state, OpState::Failed);
    assert!(done.error.unwrap().starts_with("expired"));
    s.lock_presence(&a.serial, true).await.unwrap();
    assert_eq!(
        r.run_once().await.unwrap().sent,
        vec![reboot.id],
        "only what may come late"
    );
    app.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runner_on_sqlite() {
    scenario(sqlite_db().await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runner_on_postgres() {
    let Some(db) = postgres_db().await.unwrap() else {
        eprintln!("skipped: no PostgreSQL");
        return;
    };
    scenario(db).await;
}
