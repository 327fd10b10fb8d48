//! The hotel front desk end to end (issue 16): a whole hub, two simulated
//! locks made rooms 101 and 102 through the API, card files written from
//! the API's images as the CLI writes them and presented at the simulated
//! door (`card @FILE`). Override by a newer stay, joiners, master and
//! emergency cards (privacy mode), a lost card refused at once on an online
//! lock and its older siblings once the replacement is used, extend, the
//! check-out instant in site local time across the end of DST, the room's
//! history naming the holders, and bad input refused with nothing changed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use tumbler_device::clock::VirtualClock;
use tumbler_hub::FixedClock;
use tumbler_testkit::fixtures::login_in;
use tumbler_testkit::http::call_as;
use tumbler_testkit::{eventually, SimLock};

use crate::access_e2e::{world, World};

/// Saturday 24 October 2026, 09:30 in Berlin (CEST); summer time ends on
/// Sunday 25 October.
const T0: u64 = 1_792_827_000;
/// Monday 26 October 2026, 11:00 in Berlin — CET by then: 10:00 UTC.
const CHECKOUT_26: u64 = 1_793_008_800;

impl World {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let (st, v) = call_as(&self.state, method, path, &self.owner, body).await;
        (st.as_u16(), v)
    }
}

/// Writes each card image of an answer to `dir` under its file name, as
/// `tumbler hotel checkin --out DIR` does; returns the paths in order.
fn write_cards(dir: &Path, issued: &Value) -> Vec<PathBuf> {
    issued["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let path = dir.join(c["file"].as_str().unwrap());
            std::fs::write(&path, hex::decode(c["image"].as_str().unwrap()).unwrap()).unwrap();
            path
        })
        .collect()
}

/// Presents a card file at the door; true if it opened.
async fn opens(sim: &SimLock, card: &Path) -> bool {
    let said = sim.console(&[&format!("card @{}", card.display())]).await;
    if said.contains("access granted") {
        return true;
    }
    assert!(said.contains("access denied"), "unexpected answer: {said}");
    false
}

async fn room(w: &World, lock: i64, door: u32) {
    let (st, v) = w
        .call(
            "PUT",
            &format!("/api/v1/locks/{lock}/room"),
            Some(json!({"door": door, "floor": 1, "zone": 1, "building": 1})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    w.settle_ops(lock).await;
}

async fn check_in(w: &World, lock: i64, guest: &str, cards: u32) -> Value {
    let (st, v) = w
        .post(
            &format!("/api/v1/locks/{lock}/check-in"),
            json!({"guest": guest, "cards": cards, "checkout": "2026-10-26"}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    v
}

#[tokio::test]
async fn the_front_desk_at_the_door() {
    let hub_clock = FixedClock::new(jiff::Timestamp::from_second(T0 as i64).unwrap());
    let mut w = world(Some(hub_clock.clone())).await;
    let site = w.org.site_id;
    let (st, v) = w
        .call(
            "PATCH",
            &format!("/api/v1/sites/{site}"),
            Some(json!({"time_zone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let clock = VirtualClock::new(Duration::from_secs(T0));
    let at = |s: u64| clock.set(Duration::from_secs(s));
    let (r101, l101) = w.lock(w.hub.broker(), Some(clock.clone())).await;
    let (r102, l102) = w.lock(w.hub.broker(), Some(clock.clone())).await;
    room(&w, l101, 101).await;
    room(&w, l102, 102).await;
    // The same configuration again is not sent (it would reset the door's memory).
    let ops = w.get(&format!("/api/v1/operations?lock={l101}")).await;
    let sent = |ops: &Value| {
        ops.as_array()
            .unwrap()
            .iter()
            .filter(|o| o["kind"] == "set_hotel_door")
            .count()
    };
    assert_eq!(sent(&ops), 1, "{ops}");
    room(&w, l101, 101).await;
    let ops = w.get(&format!("/api/v1/operations?lock={l101}")).await;
    assert_eq!(sent(&ops), 1, "unchanged: not sent again");
    let cards = tempfile::tempdir().unwrap();
    let dir = cards.path();

    // Guest A checks in; the card opens room 101, not 102.
    let a = check_in(&w, l101, "Ada Guest", 1).await;
    let a_dir = dir.join("a");
    std::fs::create_dir(&a_dir).unwrap();
    let a_card = write_cards(&a_dir, &a).remove(0);
    assert!(a_card.ends_with("room101-a.card"));
    at(T0 + 60);
    assert!(opens(&r101, &a_card).await, "A's card opens A's room");
    assert!(!opens(&r102, &a_card).await, "and no other");

    // Guest B checks in later: two cards (joiners).
    hub_clock.set(jiff::Timestamp::from_second((T0 + 3_600) as i64).unwrap());
    at(T0 + 3_660);
    let b = check_in(&w, l101, "Bo Guest", 2).await;
    assert!(b["stay"]["stay"].as_str().unwrap() > a["stay"]["stay"].as_str().unwrap());
    let b_stay = b["stay"]["id"].as_i64().unwrap();
    let b_cards = write_cards(dir, &b);
    assert!(
        opens(&r101, &a_card).await,
        "until B arrives, A's card still opens"
    );
    assert!(opens(&r101, &b_cards[0]).await, "B's card opens");
    assert!(
        !opens(&r101, &a_card).await,
        "once B's card was used, A's is refused"
    );
    assert!(opens(&r101, &b_cards[1]).await, "B's joiner opens too");

    // Staff: a master card opens every guest room; an emergency card opens
    // in privacy mode, where the master card does not.
    let staff = |kind: &str| json!({"kind": kind, "holder": format!("{kind} holder"), "until": "2026-10-31"});
    let (st, master) = w
        .post(
            &format!("/api/v1/sites/{site}/staff-cards"),
            staff("master"),
        )
        .await;
    assert_eq!(st, 201, "{master}");
    let master = write_cards(dir, &master).remove(0);
    let (st, emergency) = w
        .post(
            &format!("/api/v1/sites/{site}/staff-cards"),
            staff("emergency"),
        )
        .await;
    assert_eq!(st, 201, "{emergency}");
    let emergency = write_cards(dir, &emergency).remove(0);
    assert!(opens(&r101, &master).await, "master opens 101");
    assert!(opens(&r102, &master).await, "master opens 102");
    let (st, op) = w
        .call(
            "PATCH",
            &format!("/api/v1/locks/{l102}/settings"),
            Some(json!({"operating_mode": "privacy"})),
        )
        .await;
    assert_eq!(st, 202, "{op}");
    w.settle_ops(l102).await;
    assert!(!opens(&r102, &master).await, "privacy: master refused");
    assert!(opens(&r102, &emergency).await, "privacy: emergency opens");

    // B loses the joiner card: refused at once on the online lock (deny_card);
    // the other card opens until the replacement is used, then not.
    let lost = b["cards"][1]["number"].as_i64().unwrap();
    let (st, rep) = w
        .post(
            &format!("/api/v1/stays/{b_stay}/lost-card"),
            json!({"number": lost}),
        )
        .await;
    assert_eq!(st, 201, "{rep}");
    assert_eq!(rep["cards"][0]["generation"], 1, "{rep}");
    let rep_card = write_cards(dir, &rep).remove(0);
    w.settle_ops(l101).await;
    let ops = w.get(&format!("/api/v1/operations?lock={l101}")).await;
    assert!(
        ops.as_array()
            .unwrap()
            .iter()
            .any(|o| o["kind"] == "deny_card"
                && o["state"] == "applied"
                && o["params"]["number"] == lost),
        "{ops}"
    );
    assert!(
        !opens(&r101, &b_cards[1]).await,
        "the lost card is refused at once"
    );
    assert!(
        opens(&r101, &b_cards[0]).await,
        "the other card until the replacement is used"
    );
    assert!(opens(&r101, &rep_card).await, "the replacement opens");
    assert!(
        !opens(&r101, &b_cards[0]).await,
        "older generation refused after it"
    );

    // Check-out is 11:00 Berlin time on the 26th: CET by then (DST ended).
    assert_eq!(b["stay"]["until_s"], "2026-10-26T10:00:00Z", "{b}");
    at(CHECKOUT_26 - 60);
    assert!(opens(&r101, &rep_card).await, "10:59 CET");
    // Extend to the 27th: the card re-encoded; the old image stops at the old check-out.
    let (st, ext) = w
        .post(
            &format!("/api/v1/stays/{b_stay}/extend"),
            json!({"checkout": "2026-10-27"}),
        )
        .await;
    assert_eq!(st, 200, "{ext}");
    let ext_dir = dir.join("ext");
    std::fs::create_dir(&ext_dir).unwrap();
    let ext_cards = write_cards(&ext_dir, &ext);
    assert_eq!(ext_cards.len(), 1, "only the live card: {ext}");
    at(CHECKOUT_26);
    assert!(
        !opens(&r101, &rep_card).await,
        "old image at 11:00 CET: refused"
    );
    assert!(opens(&r101, &ext_cards[0]).await, "extended image opens");
    at(CHECKOUT_26 + 86_400);
    assert!(
        !opens(&r101, &ext_cards[0]).await,
        "after the new check-out: refused"
    );

    // Check-out recorded once.
    let (st, out) = w
        .post(&format!("/api/v1/stays/{b_stay}/check-out"), json!({}))
        .await;
    assert_eq!(st, 200, "{out}");
    assert!(out["checked_out_at"].is_string(), "{out}");
    let (st, again) = w
        .post(&format!("/api/v1/stays/{b_stay}/check-out"), json!({}))
        .await;
    assert_eq!(st, 409, "{again}");

    // The room's history names who entered with which card, refusals too.
    let a_number = a["cards"][0]["number"].as_i64().unwrap();
    eventually("the room's card uses at the hub", || async {
        let h = w
            .get(&format!("/api/v1/locks/{l101}/room-history?limit=1000"))
            .await;
        let h = h.as_array().unwrap().clone();
        let by = |n: i64, opened: bool| h.iter().any(|e| e["number"] == n && e["opened"] == opened);
        by(a_number, true)
            && by(a_number, false)
            && h.iter().any(|e| e["card"]["holder"] == "Ada Guest")
            && h.iter().any(|e| e["card"]["holder"] == "master holder")
    })
    .await;
    // A lock's history page names the holder too.
    let session = login_in(&w.state.service, &format!("owner@{}.test", w.name)).await;
    let page = tumbler_testkit::web::Browser::new(&session)
        .get(&w.state, &format!("/locks/{l101}/history"))
        .await;
    assert!(
        page.body.contains("Ada Guest (guest card)"),
        "{}",
        page.body
    );

    // Bad input: 4xx, nothing changed.
    hub_clock.set(jiff::Timestamp::from_second((T0 + 7_200) as i64).unwrap());
    w.owner = login_in(&w.state.service, &format!("owner@{}.test", w.name)).await;
    let desk = w.get(&format!("/api/v1/sites/{site}/front-desk")).await;
    let ok = json!({"guest": "Cy", "cards": 1, "checkout": "2026-10-30"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let ordinary = w.org.lock_id;
    for (lock, body, want) in [
        (999_999, ok.clone(), 404),
        (ordinary, ok.clone(), 404),
        (l101, with("cards", json!(0)), 400),
        (l101, with("cards", json!(9)), 400),
        (l101, with("checkout", json!("2026-10-23")), 422),
        (l101, with("checkout", json!("26.10.2026")), 400),
        (l101, with("checkout", json!("2026-02-30")), 422),
        (l101, with("checkout_time", json!("11h")), 400),
        (l101, with("guest", json!("  ")), 400),
    ] {
        let (st, v) = w
            .post(&format!("/api/v1/locks/{lock}/check-in"), body.clone())
            .await;
        assert_eq!(st, want, "{body}: {v}");
    }
    let (st, v) = w
        .post(
            &format!("/api/v1/stays/{b_stay}/lost-card"),
            json!({"number": 1}),
        )
        .await;
    assert_eq!(st, 409, "a checked-out stay: {v}");
    let (st, v) = w
        .post(
            &format!("/api/v1/sites/{site}/staff-cards"),
            json!({"kind": "floor", "holder": "H", "until": "2026-10-31"}),
        )
        .await;
    assert_eq!(st, 422, "a floor card names its floor: {v}");
    assert_eq!(
        w.get(&format!("/api/v1/sites/{site}/front-desk")).await,
        desk
    );

    // The property's secret key is sealed at rest and in no answer.
    let st = w.state.service.store();
    let (_, sealed) = st.hotel_property(site).await.unwrap().unwrap();
    assert!(sealed.starts_with("e1:"), "sealed with the binding key");
    let secret = hex::encode(st.open_property_key(site, &sealed).unwrap().as_slice());
    for answer in [&a, &b, &rep, &ext, &desk] {
        assert!(!answer.to_string().contains(&secret), "{answer}");
    }
    assert!(!sealed.contains(&secret));
    w.hub.stop().await;
}

/// The web app's front desk: a check-in form answers with card downloads
/// whose bytes are images signed by the property's key; the desk, the
/// room's history and the check-out redirect; typed names shown as text.
#[tokio::test]
async fn the_front_desk_pages() {
    use tumbler_testkit::fixtures::{org, principal};
    use tumbler_testkit::web::Browser;
    use tumbler_testkit::TestApp;

    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "hotelweb").await;
    let owner = principal(&app, a.token(tumbler_hub::model::Role::Owner)).await;
    let room = tumbler_hub::hotel::RoomConfig {
        door: 7,
        guest_room: true,
        floor: 0,
        zone: 0,
        building: 0,
    };
    app.service()
        .set_hotel_room(&owner, a.lock_id, room)
        .await
        .unwrap();
    let me = Browser::new(a.token(tumbler_hub::model::Role::Manager));
    let script = "<script>alert(1)</script>";
    let page = me
        .post(
            &app,
            &format!("/locks/{}/check-in", a.lock_id),
            &[
                ("guest", script),
                ("cards", "2"),
                ("checkout", "2026-01-18"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains(script), "escaped");
    assert!(page.body.contains("&lt;script&gt;"), "{}", page.body);
    assert!(page.body.contains("room7-b.card"), "{}", page.body);
    // The first download's bytes are a card the property's key signed.
    let start = page.body.find("data:application/octet-stream,").unwrap();
    let link = &page.body[start + "data:application/octet-stream,".len()..];
    let link = &link[..link.find('"').unwrap()];
    let bytes = hex::decode(link.replace('%', "")).unwrap();
    let (property, _) = app
        .service()
        .store()
        .hotel_property(a.site_id)
        .await
        .unwrap()
        .unwrap();
    let key: [u8; 32] = hex::decode(&property.public_key)
        .unwrap()
        .try_into()
        .unwrap();
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key).unwrap();
    let body = tumbler_card::open(&bytes, &key).unwrap();
    assert_eq!(
        body.until,
        // 18 January 2026, 11:00 in Paris (the fixture's zone): 10:00 UTC.
        1_768_730_400
    );
    // The desk shows the stay (escaped); check-out leads back to it.
    let desk = me
        .get(&app, &format!("/sites/{}/front-desk", a.site_id))
        .await;
    assert_eq!(desk.status, 200);
    assert!(desk.body.contains("&lt;script&gt;") && !desk.body.contains(script));
    let stay = app
        .service()
        .store()
        .hotel_last_stay(a.org_id, a.lock_id)
        .await
        .unwrap()
        .unwrap();
    let out = me
        .post(&app, &format!("/stays/{}/check-out", stay.id), &[])
        .await;
    assert_eq!(
        out.location(),
        Some(format!("/sites/{}/front-desk?msg=Checked+out.", a.site_id).as_str())
    );
    let h = me
        .get(&app, &format!("/locks/{}/room-history", a.lock_id))
        .await;
    assert_eq!(h.status, 200, "{}", h.body);
    assert!(h.body.contains("Room 7"), "{}", h.body);
    app.db.cleanup().await;
}

/// A room's configuration is queued when it changes, not when it is the
/// same again — unless the lock was factory reset since (which erased it).
#[tokio::test]
async fn a_room_is_sent_again_only_after_a_change_or_a_reset() {
    use tumbler_hub::store::operations::OperationFilter;
    use tumbler_testkit::fixtures::{org, principal};
    use tumbler_testkit::TestApp;

    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "hotelreset").await;
    let owner = principal(&app, a.token(tumbler_hub::model::Role::Owner)).await;
    let s = app.service();
    let sent = || async {
        s.store()
            .list_operations(
                a.org_id,
                &OperationFilter {
                    lock_id: Some(a.lock_id),
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .iter()
            .filter(|o| o.kind.as_str() == "set_hotel_door")
            .count()
    };
    let mut room = tumbler_hub::hotel::RoomConfig {
        door: 9,
        guest_room: true,
        floor: 0,
        zone: 0,
        building: 0,
    };
    s.set_hotel_room(&owner, a.lock_id, room).await.unwrap();
    s.set_hotel_room(&owner, a.lock_id, room).await.unwrap();
    assert_eq!(sent().await, 1, "the same again is not sent");
    room.floor = 2;
    s.set_hotel_room(&owner, a.lock_id, room).await.unwrap();
    assert_eq!(sent().await, 2, "a change is sent");
    // A factory reset (seen by the hub), then claimed again.
    s.store()
        .mark_stale(a.lock_id, &json!({"test": "reset"}), Some(1))
        .await
        .unwrap();
    s.store()
        .bind_lock(a.lock_id, a.org_id, a.site_id, "Front door")
        .await
        .unwrap();
    s.set_hotel_room(&owner, a.lock_id, room).await.unwrap();
    assert_eq!(sent().await, 3, "the reset erased it: sent again");
    s.set_hotel_room(&owner, a.lock_id, room).await.unwrap();
    assert_eq!(sent().await, 3);
    app.db.cleanup().await;
}
