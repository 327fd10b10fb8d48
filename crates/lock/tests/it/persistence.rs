//! Items: keys round-trip, encode/restore gives a behaviourally equal lock,
//! bad bytes give errors (never panics), and writes stay small.

use crate::harness::*;
use tumbler_lock::schedule::{WeekDaySchedule, ALL_DAYS};
use tumbler_lock::*;

#[test]
fn item_keys_round_trip() {
    for k in ItemKey::all() {
        assert_eq!(ItemKey::from_u32(k.to_u32()), Some(k));
    }
    assert_eq!(ItemKey::all().count(), persist::ITEM_COUNT);
    for bad in [0, 10, 0x100, 0x109, 0x1000, 0x1065, u32::MAX] {
        assert_eq!(ItemKey::from_u32(bad), None, "{bad:#x}");
    }
}

fn rich() -> Rig {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::Admin, "2580");
    r.add_pin_user(2, UserType::WeekDaySchedule, "9713");
    r.admin(Command::SetWeekDaySchedule {
        user: 2,
        slot: 1,
        schedule: WeekDaySchedule {
            days: ALL_DAYS,
            start_min: 0,
            end_min: 1440,
        },
    })
    .unwrap();
    r.admin(Command::SetCredential {
        user: 2,
        slot: 3,
        credential: NewCredential::Card(card(&[1, 2, 3, 4, 5, 6, 7])),
    })
    .unwrap();
    r.admin(Command::SetTimeRule(TzRule::central_europe()))
        .unwrap();
    r.admin(Command::SetSetting(Setting::AutoRelockS(45)))
        .unwrap();
    r.admin(Command::PairController {
        pubkey: [3; 32],
        role: Role::User,
        label: label("phone"),
    })
    .unwrap();
    r.type_keys("0001");
    r
}

#[test]
fn encode_restore_round_trip_is_behaviourally_equal() {
    let mut r = rich();
    let before = snapshot(&r.lock);
    let status_before = r.lock.status(r.now);
    let audit_before = r.lock.audit_state();
    let pending_before: Vec<_> = r.lock.audit_pending().copied().collect();
    r.reboot_and_boot();
    assert_eq!(snapshot(&r.lock), before);
    assert_eq!(r.lock.time_rule(), &TzRule::central_europe());
    let s = r.lock.status(r.now);
    assert_eq!(
        (s.wrong_codes, s.version, s.digest, s.users),
        (
            status_before.wrong_codes,
            status_before.version,
            status_before.digest,
            status_before.users
        )
    );
    // The log continues the chain after the PowerOn record.
    let (seq, _, meta) = r.lock.audit_state();
    assert_eq!(seq, audit_before.0 + 1);
    assert_eq!(meta, audit_before.2);
    let pending_after: Vec<_> = r.lock.audit_pending().copied().collect();
    assert_eq!(
        &pending_after[..pending_before.len().min(pending_after.len() - 1)],
        &pending_before[pending_before.len().saturating_sub(pending_after.len() - 1)..]
    );
    assert!(r.pin_opens("2580"));
    assert!(r.pin_opens("9713"));
    assert!(Rig::opened(&r.step(Input::Card {
        uid: card(&[1, 2, 3, 4, 5, 6, 7]),
        payload: None
    })));
    assert_eq!(
        r.cmd(ControllerId(2), Command::GetStatus).map(|_| ()),
        Ok(())
    );
}

#[test]
fn every_item_fits_the_max_item_size() {
    let mut r = Rig::claimed();
    let mut f = UserFields::new("sixteen-chars-xx", UserType::WeekDaySchedule);
    f.rule = CredentialRule::TwoFactor;
    r.admin(Command::SetUser {
        index: 100,
        fields: f,
    })
    .unwrap();
    for s in 0..4u8 {
        r.admin(Command::SetCredential {
            user: 100,
            slot: s,
            credential: NewCredential::AppKey([0xFF - s; 32]),
        })
        .unwrap();
    }
    for s in 0..2 {
        r.admin(Command::SetWeekDaySchedule {
            user: 100,
            slot: s,
            schedule: WeekDaySchedule {
                days: ALL_DAYS,
                start_min: 1438,
                end_min: 1440,
            },
        })
        .unwrap();
        r.admin(Command::SetYearDaySchedule {
            user: 100,
            slot: s,
            schedule: schedule::YearDaySchedule {
                from_utc: i64::MIN,
                to_utc: i64::MAX,
            },
        })
        .unwrap();
    }
    let mut buf = [0u8; MAX_ITEM_SIZE];
    let mut biggest = 0;
    for k in r.lock.item_keys().iter() {
        let n = r.lock.encode_item(k, &mut buf).unwrap().unwrap();
        biggest = biggest.max(n);
    }
    println!("largest encoded item: {biggest} bytes (MAX_ITEM_SIZE {MAX_ITEM_SIZE})");
    assert!(biggest <= MAX_ITEM_SIZE);
    let mut small = [0u8; 4];
    assert_eq!(
        r.lock.encode_item(ItemKey::User(100), &mut small),
        Err(EncodeError::BufferTooSmall)
    );
    assert_eq!(r.lock.encode_item(ItemKey::User(5), &mut buf), Ok(None));
}

#[test]
fn unlock_and_wrong_code_write_only_small_items() {
    let mut r = rich();
    let out = r.type_keys("1111");
    assert_eq!(
        out.persist.items.iter().collect::<Vec<_>>(),
        vec![ItemKey::Security]
    );
    let out = r.type_keys("2580");
    assert!(
        out.persist.items.iter().all(|k| k == ItemKey::Security),
        "{:?}",
        out.persist.items
    );
    r.relock();
    let out = r.type_keys("2580");
    assert!(out.persist.items.is_empty());
    assert!(out.audit.is_some());
}

#[test]
fn restore_errors_are_errors_not_panics() {
    let f = factory();
    let now = Now::new(0, T0_UTC);
    let empty: [(u32, &[u8]); 0] = [];
    assert_eq!(
        Lock::restore(f.clone(), empty.into_iter(), core::iter::empty(), now).err(),
        Some(RestoreError::Empty)
    );
    let settings_only = [(ItemKey::Settings.to_u32(), &[][..])];
    assert!(Lock::restore(
        f.clone(),
        settings_only.into_iter(),
        core::iter::empty(),
        now
    )
    .is_err());
    let r = rich();
    let items: Vec<(u32, Vec<u8>)> = r.items.iter().map(|(k, v)| (*k, v.clone())).collect();
    let no_keys: Vec<_> = items
        .iter()
        .filter(|(k, _)| *k != ItemKey::Keys.to_u32())
        .map(|(k, v)| (*k, v.as_slice()))
        .collect();
    assert_eq!(
        Lock::restore(f.clone(), no_keys.into_iter(), core::iter::empty(), now).err(),
        Some(RestoreError::MissingKeys)
    );
    let unknown = [(0xdead_u32, &[1u8][..])];
    assert_eq!(
        Lock::restore(f.clone(), unknown.into_iter(), core::iter::empty(), now).err(),
        Some(RestoreError::BadItem(0xdead))
    );
    // Truncated and garbage items: errors, never panics.
    for (k, v) in &items {
        for cut in 0..v.len() {
            let mut mixed: Vec<(u32, &[u8])> =
                items.iter().map(|(k, v)| (*k, v.as_slice())).collect();
            for m in mixed.iter_mut() {
                if m.0 == *k {
                    m.1 = &v[..cut];
                }
            }
            let _ = Lock::restore(f.clone(), mixed.into_iter(), core::iter::empty(), now);
        }
    }
}

#[test]
fn log_breaks_are_reported_not_fatal() {
    // A record removed from the stored log: the lock still boots with all
    // its users, reports the break, and the chain goes on.
    let mut r = rich();
    let before = snapshot(&r.lock);
    r.log.remove(1);
    // A foreign record (e.g. one the store keeps in the same ring) is not
    // mistaken for an audit record, even with a valid-looking postcard body.
    let mut foreign = r.log[2].clone();
    foreign[0] ^= 0xFF;
    assert!(AuditRecord::decode(&foreign).is_err());
    let mut trailing = r.log[2].clone();
    trailing.push(0);
    assert!(AuditRecord::decode(&trailing).is_err());
    r.log.insert(3, foreign);
    r.reboot();
    assert_eq!(snapshot(&r.lock), before);
    let (_, _, meta) = r.lock.audit_state();
    assert_eq!(meta.breaks, 2);
    assert!(r.items.contains_key(&ItemKey::Log.to_u32()));
    r.advance(config::BOOT_MS);
    assert!(r.pin_opens("2580"));
    match r.admin(Command::GetStatus) {
        Ok(ReplyData::Status(s)) => assert_eq!(s.log_breaks, 2),
        o => panic!("{o:?}"),
    }
    // Persisted: another reboot over the now-continuous tail keeps the count.
    let recs: Vec<AuditRecord> = r
        .log
        .iter()
        .filter_map(|b| AuditRecord::decode(b).ok())
        .collect();
    let tail_ok = recs.windows(2).skip(3).all(|w| w[1].prev == w[0].hash());
    assert!(tail_ok);
}

#[test]
fn power_on_reports_log_break_event() {
    let mut r = rich();
    r.log.remove(1);
    r.now = r.now.later(10);
    let items: Vec<(u32, Vec<u8>)> = r.items.iter().map(|(k, v)| (*k, v.clone())).collect();
    let mut lock = Lock::restore(
        r.factory.clone(),
        items.iter().map(|(k, v)| (*k, v.as_slice())),
        r.log.iter().map(|v| v.as_slice()),
        r.now,
    )
    .unwrap();
    let out = lock.handle(r.now, Input::PowerOn, &mut r.rng);
    assert!(out.events.contains(&Event::LogChainBroken { breaks: 1 }));
    assert!(out.persist.items.contains(ItemKey::Log));
}

#[test]
fn restore_never_panics_on_random_bytes() {
    use proptest::prelude::*;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256));
    runner
        .run(
            &(0u32..0x1100, proptest::collection::vec(any::<u8>(), 0..300)),
            |(k, bytes)| {
                let items = [
                    (ItemKey::Keys.to_u32(), &[0u8; 64][..]),
                    (k, bytes.as_slice()),
                ];
                let _ = Lock::restore(
                    factory(),
                    items.into_iter(),
                    core::iter::empty(),
                    Now::new(0, 0),
                );
                let _ = AuditRecord::decode(&bytes);
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn state_size_is_reported() {
    let size = core::mem::size_of::<Lock>();
    println!(
        "size_of::<Lock>() = {size} bytes ({} users, {} controllers, {} audit records in RAM)",
        config::MAX_USERS,
        config::MAX_CONTROLLERS,
        config::AUDIT_RING
    );
    println!(
        "size_of::<Output>() = {} bytes",
        core::mem::size_of::<Output>()
    );
    assert!(size > 0);
}

#[test]
fn inputs_and_replies_serialize() {
    let cmds = [
        Input::Command {
            from: ControllerId(1),
            id: 9,
            counter: 3,
            cmd: Command::SetCredential {
                user: 1,
                slot: 0,
                credential: NewCredential::Pin(pin("9713")),
            },
        },
        Input::Card {
            uid: card(&[1, 2, 3, 4]),
            payload: Some(heapless::Vec::from_slice(&[9; 40]).unwrap()),
        },
        Input::Command {
            from: ControllerId(2),
            id: 1,
            counter: 1,
            cmd: Command::SetTimeRule(TzRule::us(-300)),
        },
    ];
    for c in cmds {
        let bytes = postcard::to_allocvec(&c).unwrap();
        let back: Input = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, c);
    }
    let mut r = Rig::claimed();
    let reply = r
        .cmd_out(ADMIN, Command::SelfCheck { nonce: [1; 16] })
        .reply
        .unwrap();
    let bytes = postcard::to_allocvec(&reply).unwrap();
    let back: Reply = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back, reply);
    // The PIN's Debug output never shows the digits.
    assert!(!format!("{:?}", pin("9713")).contains("9713"));
    assert!(!format!("{:?}", factory()).contains("42, 42"));
}
