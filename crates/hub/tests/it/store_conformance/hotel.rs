//! Hotel tables on both backends: the first property key wins, a door
//! number is unique per property, stays of a room always grow (also for
//! check-ins in the same second and at once), card numbers are unique and
//! consecutive per property, extend / lost card / check-out record what
//! they should.

use std::collections::HashSet;

use tumbler_hub::hotel::{CardClass, RoomConfig};
use tumbler_hub::store::hotel::{Issuer, NewCard};
use tumbler_hub::store::{Store, StoreError};

use super::{lock_online, org, T0};

fn config(door: u32) -> RoomConfig {
    RoomConfig {
        door,
        guest_room: true,
        floor: 1,
        zone: 2,
        building: 3,
    }
}

pub(super) async fn hotel_rooms_stays_and_cards(store: &Store) {
    let o = org(store).await;
    let s = store.create_site(o, "Hotel", "UTC", T0).await.unwrap().id;
    // The first key recorded stays; the secret opens as it was sealed.
    let sealed = store.seal_property_key(s, &[9; 32]).unwrap();
    store
        .create_hotel_property(o, s, "aa", &sealed, T0)
        .await
        .unwrap();
    store
        .create_hotel_property(o, s, "bb", "cc", T0)
        .await
        .unwrap();
    let (p, stored) = store.hotel_property(s).await.unwrap().unwrap();
    assert_eq!(
        (p.public_key.as_str(), p.checkout_time.as_str()),
        ("aa", "11:00")
    );
    assert_eq!(
        store.open_property_key(s, &stored).unwrap().as_slice(),
        &[9; 32]
    );

    let l1 = lock_online(store, o, s, "hotel-1").await;
    let l2 = lock_online(store, o, s, "hotel-2").await;
    store
        .set_hotel_room(o, s, l1, &config(101), 0, T0)
        .await
        .unwrap();
    assert!(matches!(
        store.set_hotel_room(o, s, l2, &config(101), 0, T0).await,
        Err(StoreError::Conflict)
    ));
    store
        .set_hotel_room(o, s, l2, &config(102), 0, T0)
        .await
        .unwrap();
    assert_eq!(store.hotel_rooms(o, s).await.unwrap().len(), 2);
    assert!(
        store.hotel_room(o + 1, l1).await.unwrap().is_none(),
        "org scoped"
    );

    // Two check-ins in the same second: the second stay is still newer.
    let by = Issuer {
        org_id: o,
        account_id: 0,
        now_ms: T0,
    };
    let room = store.hotel_room(o, l1).await.unwrap().unwrap();
    let until = T0 / 1000 + 86_400;
    let (a, a_cards) = store
        .hotel_check_in(by, &room, "A", until, 2)
        .await
        .unwrap();
    let (b, b_cards) = store
        .hotel_check_in(by, &room, "B", until, 1)
        .await
        .unwrap();
    assert_eq!(a.stay, T0 / 1000);
    assert_eq!(b.stay, a.stay + 1);
    let numbers: Vec<i64> = a_cards.iter().chain(&b_cards).map(|c| c.number).collect();
    assert_eq!(numbers, [1001, 1002, 1003], "consecutive from 1001");
    assert!(a_cards.iter().all(|c| c.kind == CardClass::Guest
        && c.from_s == a.stay
        && c.stay_id == Some(a.id)
        && c.generation == 0));

    // Extend moves the stay's and its cards' check-out.
    let cards = store.hotel_extend(o, &a, until + 3_600).await.unwrap();
    assert!(cards.iter().all(|c| c.until_s == until + 3_600));
    // A lost card: marked, the stay's generation raised, the replacement numbered on.
    let (a2, rep) = store
        .hotel_replace_lost(
            by,
            &store.hotel_stay(o, a.id).await.unwrap().unwrap(),
            &a_cards[1],
            1,
        )
        .await
        .unwrap();
    assert_eq!(a2.generation, 1);
    assert_eq!((rep[0].number, rep[0].generation), (1004, 1));
    assert_eq!(rep[0].until_s, until + 3_600);
    let all = store.hotel_stay_cards(a.id).await.unwrap();
    assert_eq!(all.iter().filter(|c| c.lost_at.is_some()).count(), 1);
    // Check-out is recorded once.
    assert!(store.hotel_check_out(o, a.id, T0 + 5).await.unwrap());
    assert!(!store.hotel_check_out(o, a.id, T0 + 6).await.unwrap());
    assert_eq!(
        store
            .hotel_stay(o, a.id)
            .await
            .unwrap()
            .unwrap()
            .checked_out_at,
        Some(T0 + 5)
    );
    assert_eq!(
        store.hotel_last_stay(o, l1).await.unwrap().unwrap().id,
        b.id
    );

    // A staff card takes the next number.
    let staff = store
        .hotel_staff_card(
            by,
            s,
            &NewCard {
                kind: CardClass::Floor,
                scope: Some(1),
                from_s: 0,
                until_s: until,
                hours: (0b011_1110, 480, 1020),
                holder: "Cleaner".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (staff.number, staff.scope, staff.days),
        (1005, Some(1), 0b011_1110)
    );

    // Check-ins at once: distinct stays, distinct numbers.
    let room2 = store.hotel_room(o, l2).await.unwrap().unwrap();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (store, room2) = (store.clone(), room2.clone());
        tasks.push(tokio::spawn(async move {
            store
                .hotel_check_in(by, &room2, &format!("G{i}"), until, 2)
                .await
                .unwrap()
        }));
    }
    let mut stays = HashSet::new();
    let mut numbers = HashSet::new();
    for t in tasks {
        let (stay, cards) = t.await.unwrap();
        assert!(stays.insert(stay.stay), "stay {} twice", stay.stay);
        for c in cards {
            assert!(numbers.insert(c.number), "card {} twice", c.number);
        }
    }
    assert_eq!(numbers.len(), 12);
    assert_eq!(store.hotel_cards(o, s).await.unwrap().len(), 17);
}
