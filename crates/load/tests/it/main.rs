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
    o.event_rounds = 1;
    // Boxed: the whole run is one large future, too big for a test thread's stack in debug.
    let r = Box::pin(run(&o, &|_| {})).await.unwrap();
    assert_eq!(r["fleet"]["online"], 5);
    for k in ["raw_broker_rtt", "unlock_rtt"] {
        assert!(r[k]["p50_ms"].is_number(), "{k}: {r}");
        assert!(r[k]["p99_ms"].is_number(), "{k}: {r}");
    }
    assert_eq!(r["code_confirm"]["set"], 5, "{r}");
    assert_eq!(r["events"]["ingested"], 5, "{r}");
}
