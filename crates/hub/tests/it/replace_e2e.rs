//! A lost card replaced while its schedule is kept, checked at the door:
//! the old card is refused, the new one opens inside its schedule and not
//! outside it. Then the site's time zone changes and the lock's schedule
//! follows (the hub pushes the new time rule).

use std::time::Duration;

use serde_json::json;
use tumbler_device::clock::VirtualClock;
use tumbler_hub::FixedClock;
use tumbler_testkit::http::call_as;

use crate::access_e2e::{all_in, opens, world};

#[tokio::test]
async fn a_lost_card_is_replaced_keeping_its_schedule_and_the_zone_follows() {
    // Saturday 24 October 2026, 09:30 in Berlin (CEST, UTC+2).
    let t0: u64 = 1_792_827_000;
    let w = world(Some(FixedClock::new(
        jiff::Timestamp::from_second(t0 as i64).unwrap(),
    )))
    .await;
    let (st, v) = call_as(
        &w.state,
        "PATCH",
        &format!("/api/v1/sites/{}", w.org.site_id),
        &w.owner,
        Some(json!({"time_zone": "Europe/Berlin"})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let clock = VirtualClock::new(Duration::from_secs(t0));
    let (sim, lock) = w.lock(w.hub.broker(), Some(clock.clone())).await;
    let p = w.person("Cleaner", false).await;
    let daily =
        json!({"kind": "weekly", "windows": [{"days": "daily", "start": "09:00", "end": "17:00"}]});
    let out = w
        .grant(
            p,
            &[lock],
            daily.clone(),
            json!({"kind": "card", "uid": "0a0b0c0d"}),
        )
        .await;
    all_in(&w.batch_done(&out).await, "set");
    let pin = w
        .grant(p, &[lock], daily, json!({"kind": "pin", "pin": "739164"}))
        .await;
    all_in(&w.batch_done(&pin).await, "set");
    assert!(
        opens(&sim, "card 0a0b0c0d").await,
        "the card before it is lost"
    );
    let person = w.get(&format!("/api/v1/people/{p}")).await;
    let cred = |kind: &str| {
        person["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == kind)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (card, pin_cred) = (cred("card"), cred("pin"));

    // Bad input is named and changes nothing.
    for (id, body, what) in [
        (card, json!({"uid": "zz"}), "uid"),
        (card, json!({"uid": "0a0b0c0d"}), "being replaced"),
        (pin_cred, json!({"uid": "0e0f1011"}), "not a card"),
        (card, json!({"pin": "583920"}), "not a PIN"),
    ] {
        let (st, v) = w
            .post(&format!("/api/v1/credentials/{id}/replace"), body)
            .await;
        assert_eq!(st, 400, "{v}");
        assert!(v["detail"].as_str().unwrap().contains(what), "{v}");
    }
    let (st, v) = w
        .post(
            "/api/v1/credentials/4242/replace",
            json!({"uid": "0e0f1011"}),
        )
        .await;
    assert_eq!(st, 404, "{v}");
    assert_eq!(v["detail"], "no credential 4242 in your organisation");
    assert!(opens(&sim, "card 0a0b0c0d").await, "nothing changed yet");

    // The card is lost: a new one in its place, same slot, same schedule.
    let (st, out) = w
        .post(
            &format!("/api/v1/credentials/{card}/replace"),
            json!({"uid": "0e0f1011"}),
        )
        .await;
    assert_eq!(st, 202, "{out}");
    let batch = w.batch_done(&out).await;
    all_in(&batch, "set");
    assert_eq!(batch["kind"], "replace_credential", "{batch}");
    assert!(
        !opens(&sim, "card 0a0b0c0d").await,
        "the lost card is refused"
    );
    assert!(
        opens(&sim, "card 0e0f1011").await,
        "the new card opens at 09:30"
    );
    assert!(opens(&sim, "739164#").await, "the PIN is untouched");
    clock.set(Duration::from_secs(t0 - 3600));
    assert!(
        !opens(&sim, "card 0e0f1011").await,
        "08:30 is outside its schedule"
    );
    let person = w.get(&format!("/api/v1/people/{p}")).await;
    let cards: Vec<_> = person["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "card")
        .collect();
    assert_eq!(cards.len(), 1, "{person}");
    assert_eq!(cards[0]["data"], "0e0f1011", "{person}");

    // A lost PIN: a generated one in its place, printed once.
    let (st, out) = w
        .post(
            &format!("/api/v1/credentials/{pin_cred}/replace"),
            json!({}),
        )
        .await;
    assert_eq!(st, 202, "{out}");
    let new_pin = out["pins"][0]["pin"].as_str().unwrap().to_owned();
    all_in(&w.batch_done(&out).await, "set");
    clock.set(Duration::from_secs(t0));
    assert!(!opens(&sim, "739164#").await, "the old PIN is refused");
    assert!(
        opens(&sim, &format!("{new_pin}#")).await,
        "the new PIN opens"
    );

    // The site moves to London (UTC+1): 09:30 in Berlin is 08:30 there,
    // outside the window, once the lock has the new rule.
    let (st, v) = call_as(
        &w.state,
        "PATCH",
        &format!("/api/v1/sites/{}", w.org.site_id),
        &w.owner,
        Some(json!({"time_zone": "Europe/London"})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    w.settle_ops(lock).await;
    assert!(!opens(&sim, "card 0e0f1011").await, "08:30 in London");
    clock.set(Duration::from_secs(t0 + 3600));
    assert!(opens(&sim, "card 0e0f1011").await, "09:30 in London");
    w.hub.stop().await;
}
