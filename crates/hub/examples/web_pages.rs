//! Server time of the web app's pages for an organisation with 1,000
//! locks (issue 15: ≤ 50 ms a page), against the JSON API listing the same
//! locks as the baseline measured in the same run.
//!
//! Run with `scripts/bench-web.sh` (release build); it writes the table
//! between `<!-- bench-web:begin -->` and `<!-- bench-web:end -->` in
//! docs/benchmarks.md. Each request goes through the whole router
//! (`tower::ServiceExt::oneshot`: routing, session, service, SQLite,
//! rendering) without a socket, so the figure is the hub's own time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::indexing_slicing,
    // A benchmark reads the clock: that is what it measures.
    clippy::disallowed_methods
)]

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;
use tumbler_hub::model::{AlertKind, Role};
use tumbler_hub::store::alerts::NewAlert;
use tumbler_testkit::fixtures::{org, principal};
use tumbler_testkit::TestApp;

const LOCKS: usize = 1_000;
const PEOPLE: usize = 200;
const ALERTS: usize = 100;
const RUNS: usize = 41;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn p95(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[(v.len() * 95 / 100).min(v.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let write = std::env::args().skip_while(|a| a != "--write").nth(1);
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "bench").await;
    let s = app.service();
    let owner = principal(&app, a.token(Role::Owner)).await;
    let mut last_lock = a.lock_id;
    for i in 1..LOCKS {
        last_lock = s
            .bind_lock(
                a.org_id,
                a.site_id,
                &format!("BENCH-{i:05}"),
                &format!("Room {i}"),
            )
            .await
            .unwrap()
            .id;
    }
    let mut person = 0;
    for i in 0..PEOPLE {
        person = s
            .create_person(&owner, &format!("Guest {i}"), false)
            .await
            .unwrap()
            .id;
    }
    for i in 0..ALERTS {
        s.store()
            .raise_alert(
                NewAlert {
                    org_id: a.org_id,
                    lock_id: Some(a.lock_id + i as i64),
                    kind: AlertKind::BatteryLow,
                    message: Some("battery low"),
                },
                s.now_ms(),
            )
            .await
            .unwrap();
    }
    let token = a.token(Role::Owner).to_string();
    let pages: Vec<(String, String, bool)> = vec![
        (
            "API baseline: GET /api/v1/locks (JSON)".into(),
            "/api/v1/locks".into(),
            true,
        ),
        ("Dashboard, page 1".into(), "/".into(), false),
        ("Dashboard, page 20".into(), "/?page=20".into(), false),
        ("Dashboard, search".into(), "/?q=Room%2099".into(), false),
        ("A lock".into(), format!("/locks/{last_lock}"), false),
        (
            "A lock's state (live fragment)".into(),
            format!("/locks/{last_lock}/state"),
            false,
        ),
        (
            "A dashboard row (live fragment)".into(),
            format!("/locks/{last_lock}/row"),
            false,
        ),
        (
            "A lock's history".into(),
            format!("/locks/{last_lock}/history"),
            false,
        ),
        (
            "A lock's settings".into(),
            format!("/locks/{last_lock}/settings"),
            false,
        ),
        ("People".into(), "/people".into(), false),
        (
            "Give access: 1,000 doors to choose from".into(),
            format!("/people/{person}/grant"),
            false,
        ),
        ("Holidays: 1,000 doors".into(), "/holidays".into(), false),
        ("Alerts".into(), "/alerts".into(), false),
        ("Admin".into(), "/admin".into(), false),
    ];
    let mut rows = Vec::new();
    let mut baseline = 0.0;
    for (label, path, api) in &pages {
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let mut req = Request::get(path.as_str());
            req = if *api {
                req.header("authorization", format!("Bearer {token}"))
            } else {
                req.header("cookie", format!("tumbler_session={token}"))
            };
            let t = Instant::now();
            let res = tumbler_hub::app(app.state.clone())
                .oneshot(req.body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            let body = res.into_body().collect().await.unwrap().to_bytes();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(!body.is_empty());
        }
        let med = median(times.clone());
        if *api {
            baseline = med;
        }
        rows.push(format!(
            "| {label} | {med:.1} | {:.1} | {:.2}× | {} |",
            p95(times),
            med / baseline,
            if *api {
                "—"
            } else if med <= 50.0 {
                "met"
            } else {
                "not met"
            }
        ));
    }
    let date = jiff::Zoned::now().strftime("%Y-%m-%d");
    let table = format!(
        "Measured {date} by `scripts/bench-web.sh` (release build, SQLite, {LOCKS} locks, {PEOPLE} people, {ALERTS} open alerts in one organisation; {RUNS} requests per page through the whole router, no socket; median and p95 server time in ms; ratio to the JSON API listing the same locks in the same run; goal ≤ 50 ms).\n\n| page | median ms | p95 ms | ÷ API list | ≤ 50 ms |\n|---|---|---|---|---|\n{}\n",
        rows.join("\n")
    );
    println!("{table}");
    if let Some(path) = write {
        let doc = std::fs::read_to_string(&path).unwrap();
        let (begin, end) = ("<!-- bench-web:begin -->", "<!-- bench-web:end -->");
        let (Some(i), Some(j)) = (doc.find(begin), doc.find(end)) else {
            panic!("{path} has no {begin} … {end} markers");
        };
        let out = format!("{}{begin}\n{table}{}", &doc[..i], &doc[j..]);
        std::fs::write(&path, out).unwrap();
        println!("written to {path}");
    }
    app.db.cleanup().await;
}
