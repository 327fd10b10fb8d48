//! Hotel key cards at the reader of a lock made a hotel door: checked
//! offline against the property's key, override by a newer stay, lost
//! cards, privacy mode, the audit record naming the card, and all of it
//! surviving a power cut.

use crate::harness::*;
use ed25519_dalek::SigningKey;
use tumbler_card::{seal, CardBody, CardKind, Hours, VERSION};
use tumbler_lock::hotel::{Door, HotelDoor};
use tumbler_lock::*;

fn property() -> SigningKey {
    SigningKey::from_bytes(&[0x5a; 32])
}

fn hotel_rig() -> Rig {
    let mut r = Rig::claimed();
    r.admin(Command::SetHotelDoor(Some(HotelDoor {
        key: property().verifying_key().to_bytes(),
        door: Door {
            property: 7,
            door: 101,
            guest_room: true,
            floor: 1,
            zone: 1,
            building: 1,
        },
    })))
    .unwrap();
    r
}

fn utc(r: &Rig) -> u32 {
    r.now.utc_s.unwrap() as u32
}

fn guest(number: u32, stay: u32, generation: u8, until: u32) -> CardBody {
    CardBody {
        version: VERSION,
        property: 7,
        number,
        kind: CardKind::Guest {
            door: 101,
            stay,
            generation,
        },
        from: stay,
        until,
        hours: Hours::ALWAYS,
    }
}

fn present(r: &mut Rig, body: &CardBody, key: &SigningKey) -> Output {
    let image = seal(body, key).unwrap();
    let out = r.step(Input::Card {
        uid: card(&[9, 9, 9, body.number as u8]),
        payload: Some(heapless::Vec::from_slice(&image).unwrap()),
    });
    r.relock();
    out
}

fn who(out: &Output) -> Option<Who> {
    out.audit.as_ref().map(|a| a.who)
}

#[test]
fn a_newer_guest_card_cancels_the_older_once_used_even_across_a_power_cut() {
    let mut r = hotel_rig();
    let t = utc(&r);
    let a = guest(1, t - 3600, 0, t + 86_400);
    let b = guest(2, t - 60, 0, t + 2 * 86_400);
    let out = present(&mut r, &a, &property());
    assert!(Rig::opened(&out), "A's card opens");
    assert_eq!(who(&out), Some(Who::Card(1)));
    assert!(
        Rig::opened(&present(&mut r, &b, &property())),
        "B's card opens"
    );
    r.reboot_and_boot();
    let out = present(&mut r, &a, &property());
    assert!(!Rig::opened(&out), "A's card is refused once B's was used");
    assert_eq!(who(&out), Some(Who::Card(1)));
    assert!(Rig::opened(&present(&mut r, &b, &property())));
}

#[test]
fn a_forged_card_is_a_wrong_attempt_and_a_lost_card_is_refused_at_once() {
    let mut r = hotel_rig();
    let t = utc(&r);
    let forged = guest(5, t - 60, 0, t + 86_400);
    let out = present(&mut r, &forged, &SigningKey::from_bytes(&[0x11; 32]));
    assert!(!Rig::opened(&out));
    assert_eq!(r.lock.status(r.now).wrong_codes, 1);
    let lost = guest(6, t - 60, 0, t + 86_400);
    r.admin(Command::DenyCard { number: 6 }).unwrap();
    assert!(!Rig::opened(&present(&mut r, &lost, &property())));
    assert_eq!(r.lock.denied_cards(), &[6]);
}

#[test]
fn privacy_mode_keeps_guests_out_and_lets_an_emergency_card_in() {
    let mut r = hotel_rig();
    let t = utc(&r);
    r.admin(Command::SetOperatingMode(OperatingMode::Privacy))
        .unwrap();
    let g = guest(1, t - 60, 0, t + 86_400);
    assert!(!Rig::opened(&present(&mut r, &g, &property())));
    let mut emergency = g;
    emergency.number = 99;
    emergency.kind = CardKind::Emergency;
    assert!(Rig::opened(&present(&mut r, &emergency, &property())));
}

#[test]
fn a_factory_reset_forgets_the_hotel_door_and_a_plain_card_goes_by_its_uid() {
    let mut r = hotel_rig();
    assert!(r.lock.hotel_door().is_some());
    r.cmd_out(ADMIN, Command::FactoryReset);
    r.reboot_and_boot();
    assert!(r.lock.hotel_door().is_none(), "erased by the reset");
    let mut r = hotel_rig();
    r.admin(Command::SetHotelDoor(None)).unwrap();
    assert!(r.lock.hotel_door().is_none());
    let t = utc(&r);
    // Not a hotel door: the image is ignored and the unknown UID refused.
    assert!(!Rig::opened(&present(
        &mut r,
        &guest(1, t - 60, 0, t + 86_400),
        &property()
    )));
}
