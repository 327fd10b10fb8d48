//! Hotel key cards at the simulated door: a paired admin controller makes the lock a hotel
//! door with the wire command (as the hub does), cards sealed with `tumbler_card::seal` are
//! written to files and presented at the console with `card @PATH`; what opens, what is
//! refused, and the audit records that go up naming the card.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use ed25519_dalek::SigningKey;
use tumbler_card::{seal, CardBody, CardKind, Hours, VERSION};
use tumbler_device::console::card_file::{self, ImageError, MAX_IMAGE};
use tumbler_proto as p;

use crate::harness::{ok, Harness};

const GRANTED: &str = "access granted";
const DENIED: &str = "access denied";
const PROPERTY: u32 = 7;
const ROOM: u32 = 101;
const HOUR: u32 = 3_600;
const DAY: u32 = 86_400;

fn property_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// Room 101 of property 7, on floor 1.
fn room_101(key: [u8; 32]) -> p::HotelDoor {
    p::HotelDoor {
        key,
        property: PROPERTY,
        door: ROOM,
        guest_room: true,
        floor: 1,
        zone: 1,
        building: 1,
    }
}

/// The host clock's Unix seconds (the running lock's clock is the host clock).
fn unix_now() -> u32 {
    u32::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// A guest card for room 101: from the stay's check-in until `until`.
fn guest(number: u32, stay: u32, generation: u8, until: u32) -> CardBody {
    CardBody {
        version: VERSION,
        property: PROPERTY,
        number,
        kind: CardKind::Guest {
            door: ROOM,
            stay,
            generation,
        },
        from: stay,
        until,
        hours: Hours::ALWAYS,
    }
}

/// Seals `body` with `key` and writes the image to `dir/name` as the hub does (binary).
fn card_file(dir: &Path, name: &str, body: &CardBody, key: &SigningKey) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, seal(body, key).unwrap()).unwrap();
    path
}

fn present(path: &Path) -> String {
    format!("card @{}", path.display())
}

/// Whether an up message is an audit batch with a record by card `n` that ended `ok`.
fn logged(m: &p::Up, n: u32, ok: bool) -> bool {
    matches!(m, p::Up::Log(b) if b.records.iter().any(|r| {
        r.who == p::Actor::Card(n) && (r.result == p::LogOutcome::Ok) == ok
    }))
}

#[tokio::test]
async fn guest_cards_override_deny_and_check_out_at_the_door() {
    let broker = tumbler_testkit::broker::embedded_broker();
    let mut h = Harness::start("hotel", &broker).await;
    h.claim().await;
    let key = property_key();
    let dir = tempfile::tempdir().unwrap();
    let now = unix_now();
    let check_out = now + 2 * DAY;

    // Guest A checked in an hour ago; before the lock is a hotel door its card is only a
    // UID nobody enrolled.
    let a = card_file(
        dir.path(),
        "room101-a.card",
        &guest(1001, now - HOUR, 0, check_out),
        &key,
    );
    h.expect(&present(&a), DENIED).await;
    let door = room_101(key.verifying_key().to_bytes());
    assert!(ok(&h.command(p::Command::SetHotelDoor(Some(door))).await));

    h.expect(&present(&a), GRANTED).await;
    let up = h.wait_up(10, |m| logged(m, 1001, true)).await;
    assert!(up.is_some(), "the audit record names card 1001");
    h.say("wait 60s").await;

    // Guest B checks into the same room later (two cards, joiners): B's card opens and
    // from then on A's card is refused.
    let stay_b = now - HOUR / 2;
    let b1 = card_file(
        dir.path(),
        "room101-b1.card",
        &guest(2001, stay_b, 0, check_out),
        &key,
    );
    let b2 = card_file(
        dir.path(),
        "room101-b2.card",
        &guest(2002, stay_b, 0, check_out),
        &key,
    );
    h.expect(&present(&b1), GRANTED).await;
    h.say("wait 60s").await;
    h.expect(&present(&a), DENIED).await;
    let up = h.wait_up(10, |m| logged(m, 1001, false)).await;
    assert!(up.is_some(), "the refusal of card 1001 is logged");
    h.expect(&present(&b2), GRANTED).await;
    h.say("wait 60s").await;

    // B2 is reported lost: the online lock is told at once and refuses it; B1 still opens.
    assert!(ok(&h.command(p::Command::DenyCard { number: 2002 }).await));
    h.expect(&present(&b2), DENIED).await;
    h.expect(&present(&b1), GRANTED).await;
    h.say("wait 60s").await;

    // A card signed by another key (a lock off the wall cannot mint cards) is refused.
    let forged = card_file(
        dir.path(),
        "forged.card",
        &guest(2003, stay_b, 0, check_out),
        &SigningKey::from_bytes(&[8; 32]),
    );
    h.expect(&present(&forged), DENIED).await;
    // A plain UID card still goes the usual way (not enrolled: refused).
    h.expect("card 04a1b2", DENIED).await;

    // After check-out B's card is refused, for its time (not as an unknown card).
    h.say("wait 49h").await;
    h.expect(&present(&b1), DENIED).await;
    let refused = h
        .wait_up(10, |m| {
            matches!(
                m,
                p::Up::Event(p::Event::OperationError {
                    source: p::OperationSource::Card,
                    error: p::OperationErrorCode::Restricted,
                    ..
                })
            )
        })
        .await;
    assert!(refused.is_some(), "refused as outside its time");
    let up = h.wait_up(10, |m| logged(m, 2001, false)).await;
    assert!(up.is_some(), "the refusal of card 2001 is logged");
    h.stop().await;
}

#[tokio::test]
async fn master_opens_the_room_and_only_emergency_opens_in_privacy_mode() {
    let broker = tumbler_testkit::broker::embedded_broker();
    let mut h = Harness::start("hotel-staff", &broker).await;
    h.claim().await;
    let key = property_key();
    let door = room_101(key.verifying_key().to_bytes());
    assert!(ok(&h.command(p::Command::SetHotelDoor(Some(door))).await));
    let dir = tempfile::tempdir().unwrap();
    let now = unix_now();
    let staff = |number, kind| CardBody {
        kind,
        ..guest(number, now - DAY, 0, now + 30 * DAY)
    };
    let master = card_file(
        dir.path(),
        "master.card",
        &staff(9001, CardKind::Master),
        &key,
    );
    let other_floor = card_file(
        dir.path(),
        "floor2.card",
        &staff(9002, CardKind::Floor(2)),
        &key,
    );
    let emergency = card_file(
        dir.path(),
        "emergency.card",
        &staff(9003, CardKind::Emergency),
        &key,
    );
    h.expect(&present(&master), GRANTED).await;
    h.say("wait 60s").await;
    h.expect(&present(&other_floor), DENIED).await;
    assert!(ok(&h
        .command(p::Command::SetOperatingMode(p::OperatingMode::Privacy))
        .await));
    h.expect(&present(&master), DENIED).await;
    h.expect(&present(&emergency), GRANTED).await;
    let up = h.wait_up(10, |m| logged(m, 9003, true)).await;
    assert!(up.is_some(), "the emergency opening is in the audit log");
    h.stop().await;
}

#[tokio::test]
async fn card_files_that_are_not_cards_change_nothing_and_bad_doors_are_refused() {
    let broker = tumbler_testkit::broker::embedded_broker();
    let mut h = Harness::start("hotel-bad", &broker).await;
    h.claim().await;
    let dir = tempfile::tempdir().unwrap();

    // A key that is not an Ed25519 point is refused by the lock; nothing changes.
    let bad_key = (0..=255u8)
        .map(|i| [i; 32])
        .find(|k| ed25519_dalek::VerifyingKey::from_bytes(k).is_err())
        .unwrap();
    assert_eq!(
        h.command(p::Command::SetHotelDoor(Some(room_101(bad_key))))
            .await,
        Some(p::Outcome::Failed(p::ErrorCode::InvalidArgument))
    );
    let key = property_key();
    let door = room_101(key.verifying_key().to_bytes());
    assert!(ok(&h.command(p::Command::SetHotelDoor(Some(door))).await));

    let before = h.say("log").await;
    let missing = dir.path().join("no-such.card");
    h.expect(&present(&missing), "cannot read card file").await;
    let big = dir.path().join("big.card");
    std::fs::write(&big, vec![0x55u8; 4 * MAX_IMAGE + 1]).unwrap();
    h.expect(&present(&big), "too big for a card").await;
    let empty = dir.path().join("empty.card");
    std::fs::write(&empty, b"\n").unwrap();
    h.expect(&present(&empty), "is empty").await;
    assert_eq!(h.say("log").await, before, "nothing reached the lock");

    // The same card as hex text opens too.
    let now = unix_now();
    let image = seal(&guest(3001, now - HOUR, 0, now + DAY), &key).unwrap();
    let hex_file = dir.path().join("room101.hex");
    std::fs::write(&hex_file, format!("{}\n", hex::encode(&image))).unwrap();
    h.expect(&present(&hex_file), GRANTED).await;
    // Clearing the hotel door makes it an ordinary lock again: the card is only a UID.
    h.say("wait 60s").await;
    assert!(ok(&h.command(p::Command::SetHotelDoor(None)).await));
    h.expect(&present(&hex_file), DENIED).await;
    h.stop().await;
}

#[test]
fn card_file_content_is_binary_or_hex_within_a_card_and_the_uid_names_the_number() {
    let key = property_key();
    let image = seal(&guest(0x0102_0304, 1_780_000_000, 0, 1_780_086_400), &key)
        .unwrap()
        .to_vec();
    assert_eq!(card_file::image(&image), Ok(image.clone()));
    let text = format!(
        "{}\n{}\n",
        hex::encode(&image[..40]),
        hex::encode(&image[40..])
    );
    assert_eq!(card_file::image(text.as_bytes()), Ok(image.clone()));
    assert_eq!(card_file::image(b" \n"), Err(ImageError::Empty));
    assert_eq!(
        card_file::image(&[1u8; MAX_IMAGE + 1]),
        Err(ImageError::TooBig(MAX_IMAGE as u64 + 1))
    );
    assert_eq!(
        card_file::image("ab".repeat(MAX_IMAGE + 1).as_bytes()),
        Err(ImageError::TooBig(MAX_IMAGE as u64 + 1))
    );
    assert_eq!(
        card_file::uid(&image).0,
        [0x04, b'H', b'C', 0x01, 0x02, 0x03, 0x04]
    );
    // The sizes docs/design/hotel-cards.md states: a typical guest card, and the widest card.
    let typical = guest(1001, 1_780_000_000, 0, 1_780_259_200);
    assert_eq!(seal(&typical, &key).unwrap().len(), 91);
    let widest = CardBody {
        version: VERSION,
        property: u32::MAX,
        number: u32::MAX,
        kind: CardKind::Guest {
            door: u32::MAX,
            stay: u32::MAX,
            generation: u8::MAX,
        },
        from: u32::MAX,
        until: u32::MAX,
        hours: Hours {
            days: u8::MAX,
            from_min: u16::MAX,
            to_min: u16::MAX,
        },
    };
    assert_eq!(seal(&widest, &key).unwrap().len(), 105);
    // Not a card's image: a UID all the same, for number 0.
    assert_eq!(card_file::uid(b"junk").0, [0x04, b'H', b'C', 0, 0, 0, 0]);
}
