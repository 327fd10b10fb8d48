//! Rentals end to end (issue 16): a local HTTP server (axum on port 0) serves
//! a listing's iCal feed, changed step by step; the hub fetches it (sync now,
//! conditional requests) and every code is checked at the simulated door with
//! the lock's clock moved: inside its window, just before, just after.
//!
//! Here: two stays with a same-day turnover (and its cleaner code), the first
//! across the end of DST in Berlin (exact local window); the ETag 304 path; a
//! stay moved (same PIN, new window); a stay cancelled (code revoked).
//! [`safety`]: failing and emptied feeds, retries, bad input, other orgs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tumbler_device::clock::VirtualClock;
use tumbler_hub::FixedClock;
use tumbler_testkit::http::call_as;
use tumbler_testkit::SimLock;

use crate::access_e2e::{opens, world, World};

mod safety;

/// What the feed server answers now.
struct Served {
    status: u16,
    body: String,
    version: u32,
    requests: u32,
    /// Requests answered 304 because `If-None-Match` matched.
    not_modified: u32,
}

struct FeedServer {
    url: String,
    served: Arc<Mutex<Served>>,
}

async fn answer(State(s): State<Arc<Mutex<Served>>>, headers: HeaderMap) -> Response {
    let mut s = s.lock().unwrap();
    s.requests += 1;
    if s.status != 200 {
        return StatusCode::from_u16(s.status).unwrap().into_response();
    }
    let etag = format!("\"v{}\"", s.version);
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        s.not_modified += 1;
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            ("content-type", "text/calendar; charset=utf-8"),
            ("etag", etag.as_str()),
        ],
        s.body.clone(),
    )
        .into_response()
}

impl FeedServer {
    async fn start() -> FeedServer {
        let served = Arc::new(Mutex::new(Served {
            status: 200,
            body: cal(&[]),
            version: 0,
            requests: 0,
            not_modified: 0,
        }));
        let app = axum::Router::new()
            .route("/calendar/listing.ics", axum::routing::get(answer))
            .with_state(served.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/calendar/listing.ics",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FeedServer { url, served }
    }

    /// Serves a new version (a new ETag).
    fn set(&self, body: String) {
        let mut s = self.served.lock().unwrap();
        s.status = 200;
        s.body = body;
        s.version += 1;
    }

    fn fail(&self, status: u16) {
        self.served.lock().unwrap().status = status;
    }
}

/// An Airbnb-style export: `(uid, DTSTART, DTEND, extra line)`.
fn cal(events: &[(&str, &str, &str, &str)]) -> String {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nPRODID;X-RICAL-TZSOURCE=TZINFO:-//Airbnb Inc//Hosting Calendar 0.8.8//EN\r\nCALSCALE:GREGORIAN\r\nVERSION:2.0\r\n",
    );
    for (uid, start, end, extra) in events {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nDTEND;VALUE=DATE:{end}\r\nDTSTART;VALUE=DATE:{start}\r\nUID:{uid}\r\nDESCRIPTION:Reservation URL: https://www.airbnb.com/hosting/reservations/details/HM{uid}\\nPhone Number (Last 4 Digits): 4821\r\nSUMMARY:Reserved\r\n{extra}END:VEVENT\r\n"
        ));
    }
    s.push_str("BEGIN:VEVENT\r\nDTEND;VALUE=DATE:20261203\r\nDTSTART;VALUE=DATE:20261201\r\nUID:block-1@airbnb.com\r\nSUMMARY:Airbnb (Not available)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    s
}

/// Unix seconds of a Berlin local time.
fn berlin(local: &str) -> i64 {
    format!("{local}[Europe/Berlin]")
        .parse::<jiff::Zoned>()
        .unwrap()
        .timestamp()
        .as_second()
}

/// Hub and lock clocks at Tuesday 20 October 2026, 10:00 in Berlin; the
/// org's site in Berlin; one claimed door; a listing on it with the feed.
async fn rental(
    pin_source: &str,
    cleaner_codes: bool,
) -> (World, SimLock, VirtualClock, i64, i64, FeedServer) {
    let t0 = berlin("2026-10-20T10:00");
    let hub_clock = FixedClock::new(jiff::Timestamp::from_second(t0).unwrap());
    let w = world(Some(hub_clock)).await;
    let (st, v) = call_as(
        &w.state,
        "PATCH",
        &format!("/api/v1/sites/{}", w.org.site_id),
        &w.owner,
        Some(json!({"time_zone": "Europe/Berlin"})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let lock_clock = VirtualClock::new(Duration::from_secs(t0 as u64));
    let (sim, lock) = w.lock(w.hub.broker(), Some(lock_clock.clone())).await;
    let feed = FeedServer::start().await;
    let (st, l) = w
        .post(
            "/api/v1/listings",
            json!({"name": "Canal flat", "site_id": w.org.site_id, "lock_ids": [lock], "pin_source": pin_source, "cleaner_codes": cleaner_codes}),
        )
        .await;
    assert_eq!(st, 201, "{l}");
    assert_eq!(
        (l["check_in"].as_str(), l["check_out"].as_str()),
        (Some("15:00"), Some("11:00"))
    );
    let listing = l["id"].as_i64().unwrap();
    (w, sim, lock_clock, lock, listing, feed)
}

async fn add_feed(w: &World, listing: i64, url: &str) -> (u16, Value) {
    w.post(
        &format!("/api/v1/listings/{listing}/feeds"),
        json!({"url": url}),
    )
    .await
}

async fn sync(w: &World, listing: i64) -> Value {
    let (st, v) = w
        .post(&format!("/api/v1/listings/{listing}/sync"), json!({}))
        .await;
    assert_eq!(st, 200, "sync: {v}");
    v[0].clone()
}

/// Waits until every active reservation's code is `set` on its doors and
/// every cancelled one's `removed`; returns the listing.
async fn settled(w: &World, listing: i64) -> Value {
    let mut last = Value::Null;
    for _ in 0..1200 {
        last = w.get(&format!("/api/v1/listings/{listing}")).await;
        let done = last["reservations"].as_array().unwrap().iter().all(|r| {
            let want = if r["state"] == "active" {
                "set"
            } else {
                "removed"
            };
            let doors = r["doors"].as_array().unwrap();
            !doors.is_empty() && doors.iter().all(|d| d["state"] == want)
        });
        if done {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("codes never settled: {last}");
}

/// A reservation's id and its guest PIN (read back from the hub).
async fn code(w: &World, detail: &Value, uid: &str) -> (i64, String) {
    let r = detail["reservations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uid"] == uid)
        .unwrap_or_else(|| panic!("no reservation {uid}: {detail}"));
    let id = r["id"].as_i64().unwrap();
    let c = w.get(&format!("/api/v1/reservations/{id}/code")).await;
    (id, c["pin"].as_str().unwrap().to_owned())
}

/// Whether `pin` opens the door at `at` (Unix seconds) on the lock's clock.
async fn opens_at(sim: &SimLock, clock: &VirtualClock, pin: &str, at: i64) -> bool {
    clock.set(Duration::from_secs(at as u64));
    opens(sim, &format!("{pin}#")).await
}

fn state_of(detail: &Value, uid: &str) -> String {
    detail["reservations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uid"] == uid)
        .map(|r| r["state"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn bookings_become_codes_at_the_door_and_follow_the_feed() {
    let (w, sim, clock, _lock, listing, feed) = rental("generate", true).await;
    // Stay A over the end of DST (Sunday 25 October, 03:00 CEST → 02:00 CET),
    // stay B arriving the day A leaves (same-day turnover).
    feed.set(cal(&[
        ("stay-a", "20261024", "20261026", ""),
        ("stay-b", "20261026", "20261028", ""),
    ]));
    let (st, f) = add_feed(&w, listing, &feed.url).await;
    assert_eq!(st, 201, "{f}");
    let report = sync(&w, listing).await;
    // The poller may have fetched first (the feed is due when added).
    assert!(
        report["outcome"] == "applied" || report["outcome"] == "not_modified",
        "{report}"
    );
    let d = settled(&w, listing).await;
    // Two stays and the cleaner's turnover day; host blocks get no code.
    assert_eq!(d["reservations"].as_array().unwrap().len(), 3, "{d}");
    let (_, pin_a) = code(&w, &d, "stay-a").await;
    let (b_id, pin_b) = code(&w, &d, "stay-b").await;
    let (_, pin_c) = code(&w, &d, "cleaner:2026-10-26").await;
    assert_ne!(pin_a, pin_b);

    // A: Saturday 15:00 CEST to Monday 11:00 CET — 45 hours, not 44.
    let (a_from, a_to) = (berlin("2026-10-24T15:00"), berlin("2026-10-26T11:00"));
    assert_eq!(a_to - a_from, 45 * 3600);
    assert!(
        !opens_at(&sim, &clock, &pin_a, a_from - 60).await,
        "A before check-in"
    );
    assert!(
        opens_at(&sim, &clock, &pin_a, a_from + 60).await,
        "A after check-in"
    );
    assert!(
        opens_at(&sim, &clock, &pin_a, a_to - 60).await,
        "A before check-out"
    );
    assert!(
        !opens_at(&sim, &clock, &pin_a, a_to + 60).await,
        "A after check-out"
    );
    // Turnover day: between 11:00 and 15:00 neither guest opens.
    let b_from = berlin("2026-10-26T15:00");
    assert!(
        !opens_at(&sim, &clock, &pin_b, berlin("2026-10-26T12:00")).await,
        "B at noon"
    );
    assert!(
        !opens_at(&sim, &clock, &pin_b, b_from - 60).await,
        "B before check-in"
    );
    assert!(
        opens_at(&sim, &clock, &pin_b, b_from + 60).await,
        "B after check-in"
    );
    assert!(
        !opens_at(&sim, &clock, &pin_b, berlin("2026-10-28T11:01")).await,
        "B after check-out"
    );
    // The cleaner: that day from check-out to check-in only.
    assert!(
        !opens_at(&sim, &clock, &pin_c, a_to - 60).await,
        "cleaner before check-out"
    );
    assert!(
        opens_at(&sim, &clock, &pin_c, a_to + 60).await,
        "cleaner after check-out"
    );
    assert!(
        opens_at(&sim, &clock, &pin_c, b_from - 60).await,
        "cleaner before check-in"
    );
    assert!(
        !opens_at(&sim, &clock, &pin_c, b_from + 60).await,
        "cleaner after check-in"
    );

    // Unchanged feed: a conditional request, answered 304, changes nothing.
    let before = feed.served.lock().unwrap().not_modified;
    let report = sync(&w, listing).await;
    assert_eq!(report["outcome"], "not_modified", "{report}");
    assert_eq!(feed.served.lock().unwrap().not_modified, before + 1);

    // B moves a day later: same PIN, new window.
    feed.set(cal(&[
        ("stay-a", "20261024", "20261026", ""),
        ("stay-b", "20261027", "20261029", ""),
    ]));
    let report = sync(&w, listing).await;
    assert_eq!(
        // No turnover any more: the cleaner's code goes with it.
        (
            report["outcome"].as_str(),
            report["retimed"].as_i64(),
            report["cancelled"].as_i64()
        ),
        (Some("applied"), Some(1), Some(1)),
        "{report}"
    );
    let d = settled(&w, listing).await;
    assert_eq!(
        code(&w, &d, "stay-b").await,
        (b_id, pin_b.clone()),
        "the PIN is kept"
    );
    assert!(
        !opens_at(&sim, &clock, &pin_b, b_from + 3600).await,
        "B on the old day"
    );
    assert_eq!(state_of(&d, "cleaner:2026-10-26"), "cancelled");
    assert!(
        !opens_at(&sim, &clock, &pin_c, a_to + 3600).await,
        "cleaner revoked"
    );
    let b_from = berlin("2026-10-27T15:00");
    assert!(
        !opens_at(&sim, &clock, &pin_b, b_from - 60).await,
        "B before the new check-in"
    );
    assert!(
        opens_at(&sim, &clock, &pin_b, b_from + 60).await,
        "B after the new check-in"
    );
    assert!(
        opens_at(&sim, &clock, &pin_b, berlin("2026-10-29T10:59")).await,
        "B before the new check-out"
    );

    // A is cancelled in the feed (B stays): A's code is revoked at the door.
    feed.set(cal(&[
        ("stay-a", "20261024", "20261026", "STATUS:CANCELLED\r\n"),
        ("stay-b", "20261027", "20261029", ""),
    ]));
    let report = sync(&w, listing).await;
    assert_eq!(
        (report["outcome"].as_str(), report["cancelled"].as_i64()),
        (Some("applied"), Some(1)),
        "{report}"
    );
    let d = settled(&w, listing).await;
    assert_eq!(state_of(&d, "stay-a"), "cancelled");
    assert!(
        !opens_at(&sim, &clock, &pin_a, a_from + 3600).await,
        "A revoked"
    );
    assert!(
        opens_at(&sim, &clock, &pin_b, b_from + 3600).await,
        "B still opens"
    );
    let (st, gone) = call_as(
        &w.state,
        "GET",
        &format!(
            "/api/v1/reservations/{}/code",
            d["reservations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["uid"] == "stay-a")
                .unwrap()["id"]
        ),
        &w.owner,
        None,
    )
    .await;
    assert_eq!(st, 409, "a revoked code is forgotten: {gone}");
    w.hub.stop().await;
}
