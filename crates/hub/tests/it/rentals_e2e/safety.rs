//! Rentals at the door, the safety side: a feed that fails (500, not iCal)
//! or comes back empty deletes nothing until a person confirms; a code that
//! could not be given is tried again; bad input and another organisation
//! change nothing.

use serde_json::{json, Value};
use tumbler_hub::model::Role;
use tumbler_testkit::fixtures::org_in;
use tumbler_testkit::http::call_as;

use super::{add_feed, berlin, cal, code, opens_at, rental, settled, sync};

#[tokio::test]
async fn a_failing_or_emptied_feed_deletes_nothing_until_a_person_confirms() {
    let (w, sim, clock, _lock, listing, feed) = rental("phone_last4", false).await;
    feed.set(cal(&[
        ("stay-a", "20261024", "20261026", ""),
        ("stay-b", "20261101", "20261104", ""),
    ]));
    let (st, _) = add_feed(&w, listing, &feed.url).await;
    assert_eq!(st, 201);
    sync(&w, listing).await;
    let d = settled(&w, listing).await;
    // The guest's phone digits, as the listing asks; the second guest has
    // the same digits, so they get a generated PIN instead.
    let (_, pin_a) = code(&w, &d, "stay-a").await;
    let (_, pin_b) = code(&w, &d, "stay-b").await;
    assert_eq!(pin_a, "4821");
    assert_ne!(pin_b, "4821");
    let inside_a = berlin("2026-10-25T12:00");
    assert!(opens_at(&sim, &clock, &pin_a, inside_a).await);

    // The server fails, then serves an HTML page: nothing changes, an alert.
    for broken in [Some(500), None] {
        match broken {
            Some(status) => feed.fail(status),
            None => feed.set("<html><body>Service unavailable</body></html>".into()),
        }
        let report = sync(&w, listing).await;
        assert_eq!(report["outcome"], "failed", "{report}");
        let d = settled(&w, listing).await;
        assert!(
            d["reservations"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["state"] == "active"),
            "{d}"
        );
        assert!(d["feeds"][0]["failures"].as_i64().unwrap() >= 1, "{d}");
    }
    let alerts = w.get("/api/v1/alerts").await;
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "rental_feed_failed"),
        "{alerts}"
    );
    assert!(
        opens_at(&sim, &clock, &pin_a, inside_a).await,
        "a failing feed revoked nothing"
    );

    // The feed comes back empty: held, alert, codes still open.
    // Both stays vanish and another appears (its description carries phone
    // digits too): every upcoming stay lost, held; the new one gets its code.
    feed.set(cal(&[("stay-z", "20270301", "20270305", "")]));
    let report = sync(&w, listing).await;
    assert_eq!(report["outcome"], "held", "{report}");
    assert_eq!(report["created"].as_i64(), Some(1), "{report}");
    let pending = report["pending_id"].as_i64().unwrap();
    let d = settled(&w, listing).await;
    assert_eq!(d["pending"].as_array().unwrap().len(), 1, "{d}");
    assert!(
        !d.to_string().contains("4821"),
        "the phone digits are not kept: {d}"
    );
    let alerts = w.get("/api/v1/alerts").await;
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "rental_change_held"),
        "{alerts}"
    );
    assert!(
        opens_at(&sim, &clock, &pin_a, inside_a).await,
        "held: A still opens"
    );

    // Discarded: nothing revoked; the same (unchanged) feed is not held again.
    let (st, _) = w
        .post(
            &format!("/api/v1/rental-changes/{pending}/discard"),
            json!({}),
        )
        .await;
    assert_eq!(st, 204);
    assert_eq!(sync(&w, listing).await["outcome"], "not_modified");
    let d = w.get(&format!("/api/v1/listings/{listing}")).await;
    assert!(d["pending"].as_array().unwrap().is_empty(), "{d}");
    assert!(
        opens_at(&sim, &clock, &pin_a, inside_a).await,
        "discarded: A still opens"
    );

    // Empty (a new version), this time confirmed: all three codes go.
    feed.set(cal(&[]));
    let report = sync(&w, listing).await;
    assert_eq!(report["outcome"], "held", "{report}");
    let pending = report["pending_id"].as_i64().unwrap();
    let (st, done) = w
        .post(
            &format!("/api/v1/rental-changes/{pending}/confirm"),
            json!({}),
        )
        .await;
    assert_eq!((st, done["cancelled"].as_i64()), (200, Some(3)), "{done}");
    let d = settled(&w, listing).await;
    assert!(
        d["reservations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "cancelled"),
        "{d}"
    );
    assert!(
        !opens_at(&sim, &clock, &pin_a, inside_a).await,
        "confirmed: A revoked"
    );
    assert!(
        !opens_at(&sim, &clock, &pin_b, berlin("2026-11-02T12:00")).await,
        "confirmed: B revoked"
    );
    w.hub.stop().await;
}

#[tokio::test]
async fn bad_input_and_other_organisations_change_nothing() {
    let (w, _sim, _clock, lock, listing, feed) = rental("generate", false).await;
    let before = w.get(&format!("/api/v1/listings/{listing}")).await;
    for (url, why) in [
        ("ftp://example.test/cal.ics", "not http"),
        ("not a url", "not a URL"),
        ("http://", "no host"),
    ] {
        let (st, v) = add_feed(&w, listing, url).await;
        assert_eq!(st, 422, "{why}: {v}");
    }
    let base = json!({"name": "Loft", "site_id": w.org.site_id, "lock_ids": [lock]});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, status) in [
        (with("lock_ids", json!([lock + 9999])), 404),
        (with("lock_ids", json!([])), 400),
        (with("site_id", json!(w.org.site_id + 9999)), 404),
        (with("check_in", json!("25:00")), 422),
        (with("time_zone", json!("Mars/Olympus")), 422),
        (with("poll_minutes", json!(0)), 400),
        (with("name", json!("Canal flat")), 409),
    ] {
        let (st, v) = w.post("/api/v1/listings", body.clone()).await;
        assert_eq!(st, status, "{body}: {v}");
    }
    assert_eq!(w.get("/api/v1/listings").await.as_array().unwrap().len(), 1);

    // Another organisation sees nothing of this one and cannot add to it.
    let other = org_in(&w.state.service, &tumbler_testkit::unique("rival")).await;
    let rival = other.token(Role::Owner);
    for (m, p, b) in [
        ("GET", format!("/api/v1/listings/{listing}"), None),
        (
            "POST",
            format!("/api/v1/listings/{listing}/feeds"),
            Some(json!({"url": feed.url})),
        ),
        (
            "POST",
            format!("/api/v1/listings/{listing}/sync"),
            Some(json!({})),
        ),
    ] {
        let (st, v) = call_as(&w.state, m, &p, rival, b).await;
        assert_eq!(st, 404, "{m} {p}: {v}");
    }
    // Support reads, cannot change.
    let support = w.org.token(Role::Support);
    let (st, _) = call_as(
        &w.state,
        "GET",
        &format!("/api/v1/listings/{listing}"),
        support,
        None,
    )
    .await;
    assert_eq!(st, 200);
    let (st, _) = call_as(
        &w.state,
        "POST",
        &format!("/api/v1/listings/{listing}/sync"),
        support,
        Some(json!({})),
    )
    .await;
    assert_eq!(st, 403);
    assert_eq!(w.get(&format!("/api/v1/listings/{listing}")).await, before);
    assert_eq!(
        feed.served.lock().unwrap().requests,
        0,
        "no feed was ever fetched"
    );
    w.hub.stop().await;
}

#[tokio::test]
async fn a_code_that_could_not_be_given_is_tried_again() {
    let (w, sim, clock, lock, _, feed) = rental("generate", false).await;
    // Check-out at 09:00: a stay leaving today (10:00 now) is already over.
    let (st, l) = w
        .post(
            "/api/v1/listings",
            json!({"name": "Early flat", "site_id": w.org.site_id, "lock_ids": [lock], "check_out": "09:00"}),
        )
        .await;
    assert_eq!(st, 201, "{l}");
    let listing = l["id"].as_i64().unwrap();
    feed.set(cal(&[("late", "20261018", "20261020", "")]));
    assert_eq!(add_feed(&w, listing, &feed.url).await.0, 201);
    // Whether the poller or this call fetched first, the stay has no code.
    sync(&w, listing).await;
    let d = w.get(&format!("/api/v1/listings/{listing}")).await;
    let r = &d["reservations"][0];
    assert_eq!(
        (r["state"].as_str(), r["person_id"].is_null()),
        (Some("active"), true),
        "{d}"
    );

    // The guest extends by a night: the same reservation gets its code now.
    feed.set(cal(&[("late", "20261018", "20261021", "")]));
    let report = sync(&w, listing).await;
    assert_eq!(
        (
            report["created"].as_i64(),
            report["problems"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0)),
        "{report}"
    );
    let d = settled(&w, listing).await;
    assert_eq!(d["reservations"].as_array().unwrap().len(), 1, "{d}");
    let (_, pin) = code(&w, &d, "late").await;
    assert!(opens_at(&sim, &clock, &pin, berlin("2026-10-20T12:00")).await);
    assert!(!opens_at(&sim, &clock, &pin, berlin("2026-10-21T09:01")).await);
    w.hub.stop().await;
}
