//! Smoke test of the load tool: five locks on the built-in broker, every
//! scenario with a handful of samples; checks the figures have their keys
//! (never their values: timings belong to the benchmark, not to tests).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use tumbler_load::{run, Options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_locks_every_scenario() {
    let mut o = Options::new(5);
    o.unlock_samples = 5;
    o.raw_samples = 20;
    o.events_per_lock = 2;
    o.fsync_samples = 5;
    o.http_samples = 5;
    // Boxed: the whole run is one large future, too big for a test thread's stack in debug.
    let r = Box::pin(run(&o, &|_| {})).await.unwrap();
    assert_eq!(r["fleet"]["online"], 5);
    for k in ["raw_broker_rtt", "unlock_rtt"] {
        assert!(r[k]["p50_ms"].is_number(), "{k}: {r}");
        assert!(r[k]["p99_ms"].is_number(), "{k}: {r}");
    }
    assert_eq!(r["code_confirm"]["set"], 5, "{r}");
    assert_eq!(r["events"]["made"], 10, "{r}");
    assert_eq!(r["events"]["stored"], 10, "none lost: {r}");
    for k in ["fsync_p50_ms", "http_p50_ms", "sum_ms"] {
        assert!(r["floor"][k].is_number(), "{k}: {r}");
    }
    assert!(r["unlock_rtt"]["p50_over_floor"].is_number(), "{r}");
}

/// The same on PostgreSQL (a fresh schema, dropped after), when there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_locks_on_postgres() {
    let Ok(url) = std::env::var("TUMBLER_TEST_POSTGRES") else {
        return;
    };
    let mut o = Options::new(2);
    o.scenarios = vec![
        tumbler_load::Scenario::Unlock,
        tumbler_load::Scenario::Events,
    ];
    o.unlock_samples = 3;
    o.events_per_lock = 2;
    o.database = Some(url);
    let r = Box::pin(run(&o, &|_| {})).await.unwrap();
    assert_eq!(r["database"], "postgres", "{r}");
    assert_eq!(r["events"]["stored"], 4, "none lost: {r}");
}
