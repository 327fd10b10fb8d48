//! Store conformance for rentals: listings (unique names, org scope), feeds
//! (unique per listing, due and claimed once, validators kept on failure),
//! reservations (one per feed and UID, revived, re-timed, cancelled with the
//! sealed PIN erased), held changes (one per feed), on both backends.

use super::*;
use tumbler_hub::model::{PinSource, ReservationState};
use tumbler_hub::store::rentals::NewListing;

pub(super) async fn rentals_listings_feeds_reservations_pending(store: &Store) {
    let o = org(store).await;
    let other = store.create_org("Other", T0).await.unwrap().id;
    let site = store
        .create_site(o, "HQ", "Europe/Berlin", T0)
        .await
        .unwrap()
        .id;
    let new = |name: &'static str| NewListing {
        org_id: o,
        site_id: site,
        name,
        time_zone: None,
        check_in: "15:00",
        check_out: "11:00",
        lock_ids: &[7, 9],
        pin_source: PinSource::PhoneLast4,
        poll_minutes: 15,
        cleaner_codes: true,
    };
    let l = store.create_listing(new("Flat"), T0).await.unwrap();
    assert_eq!(
        (l.lock_ids.clone(), l.pin_source, l.poll_minutes),
        (vec![7, 9], PinSource::PhoneLast4, 15)
    );
    assert!(matches!(
        store.create_listing(new("Flat"), T0).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.get_listing(o, l.id).await.unwrap(), Some(l.clone()));
    assert_eq!(store.get_listing(other, l.id).await.unwrap(), None);
    assert_eq!(store.list_listings(other).await.unwrap(), vec![]);

    let f = store
        .add_feed(l.id, "https://x.test/a.ics", T0)
        .await
        .unwrap();
    assert!(matches!(
        store.add_feed(l.id, "https://x.test/a.ics", T0).await,
        Err(StoreError::Conflict)
    ));
    let due = store.due_feeds(T0, 10).await.unwrap();
    assert_eq!(due, vec![(o, f.clone())]);
    // Claimed once: a second poller finds it taken.
    assert!(store.claim_feed_poll(f.id, T0, T0 + 60_000).await.unwrap());
    assert!(!store.claim_feed_poll(f.id, T0, T0 + 60_000).await.unwrap());
    assert!(store.due_feeds(T0 + 1, 10).await.unwrap().is_empty());
    store
        .feed_polled(
            f.id,
            Some("\"v1\""),
            Some("Mon, 07 Dec 2026 12:00:00 GMT"),
            0,
            None,
            T0,
            T0 + 900_000,
        )
        .await
        .unwrap();
    // A failure keeps the validators (None leaves them) and counts.
    store
        .feed_polled(f.id, None, None, 1, Some("HTTP 500"), T0 + 1, T0 + 60_000)
        .await
        .unwrap();
    let f2 = store.listing_feeds(l.id).await.unwrap().remove(0);
    assert_eq!(
        (f2.etag.as_deref(), f2.failures, f2.last_error.as_deref()),
        (Some("\"v1\""), 1, Some("HTTP 500"))
    );

    let r = store
        .upsert_reservation(l.id, f.id, "u1", "Reserved", "2026-10-24", "2026-10-26", T0)
        .await
        .unwrap();
    let guest = store.create_person(o, "Guest", false, T0).await.unwrap().id;
    store
        .set_reservation_code(r, guest, 1, Some("e1:sealed"), T0)
        .await
        .unwrap();
    let (_, sealed) = store.get_reservation(o, r).await.unwrap().unwrap();
    assert_eq!(sealed.as_deref(), Some("e1:sealed"));
    let same = store
        .upsert_reservation(l.id, f.id, "u1", "Reserved", "2026-10-24", "2026-10-27", T0)
        .await
        .unwrap();
    assert_eq!(same, r, "one reservation per feed and UID");
    store
        .retime_reservation(r, "2026-10-25", "2026-10-28", None, T0)
        .await
        .unwrap();
    let (got, _) = store.get_reservation(o, r).await.unwrap().unwrap();
    assert_eq!(
        (got.start_date.as_str(), got.end_date.as_str(), got.state),
        ("2026-10-25", "2026-10-28", ReservationState::Active)
    );
    assert!(store.get_reservation(other, r).await.unwrap().is_none());
    store.cancel_reservation(r, None, T0).await.unwrap();
    let (got, sealed) = store.get_reservation(o, r).await.unwrap().unwrap();
    assert_eq!(
        (got.state, sealed, got.pin_kept),
        (ReservationState::Cancelled, None, false)
    );

    let p = store
        .hold_change(l.id, f.id, "empty", &serde_json::json!([]), T0)
        .await
        .unwrap();
    let p2 = store
        .hold_change(l.id, f.id, "empty again", &serde_json::json!([1]), T0 + 1)
        .await
        .unwrap();
    assert_eq!(p2.id, p.id, "one held change per feed");
    assert_eq!(store.listing_pending(l.id).await.unwrap().len(), 1);
    assert!(store.get_pending(other, p.id).await.unwrap().is_none());
    assert!(store.drop_pending(f.id).await.unwrap());
    assert!(!store.drop_pending(f.id).await.unwrap());
}
