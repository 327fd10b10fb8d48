//! Bad input: every command validated with a specific error, state unchanged.

use crate::harness::*;
use tumbler_lock::schedule::{HolidaySchedule, WeekDaySchedule, YearDaySchedule};
use tumbler_lock::*;

fn rig() -> Rig {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::Unrestricted, "9713");
    r.admin(Command::SetCredential {
        user: 1,
        slot: 1,
        credential: NewCredential::Card(card(&[1, 1, 1, 1])),
    })
    .unwrap();
    r
}

/// Sends `cmd`, expects `err`, and checks nothing but the replay counter changed.
fn refused(r: &mut Rig, cmd: Command, err: CommandError) {
    let before = snapshot(&r.lock);
    let (seq, head, meta) = r.lock.audit_state();
    let out = r.cmd_out(ADMIN, cmd.clone());
    assert_eq!(out.reply.unwrap().result, Err(err), "{cmd:?}");
    assert_eq!(snapshot(&r.lock), before, "{cmd:?}");
    assert_eq!(r.lock.audit_state(), (seq, head, meta), "{cmd:?}");
    assert!(out.motor.is_none() && out.audit.is_none());
    assert!(
        out.persist
            .items
            .iter()
            .all(|k| k == ItemKey::Controller(ADMIN)),
        "{cmd:?}"
    );
}

#[test]
fn every_bad_command_is_refused_specifically_and_changes_nothing() {
    use CommandError as E;
    let mut r = rig();
    let p = |s: &str| NewCredential::Pin(pin(s));
    let wd = |days, s, e| WeekDaySchedule {
        days,
        start_min: s,
        end_min: e,
    };
    let cases: Vec<(Command, E)> = vec![
        (
            Command::SetUser {
                index: 0,
                fields: UserFields::new("x", UserType::Unrestricted),
            },
            E::IndexOutOfRange,
        ),
        (
            Command::SetUser {
                index: 101,
                fields: UserFields::new("x", UserType::Unrestricted),
            },
            E::IndexOutOfRange,
        ),
        (Command::ClearUser { index: 2 }, E::UnknownUser),
        (Command::ClearUser { index: 500 }, E::IndexOutOfRange),
        (
            Command::SetCredential {
                user: 2,
                slot: 0,
                credential: p("4826"),
            },
            E::UnknownUser,
        ),
        (
            Command::SetCredential {
                user: 1,
                slot: 4,
                credential: p("4826"),
            },
            E::IndexOutOfRange,
        ),
        (
            Command::SetCredential {
                user: 1,
                slot: 2,
                credential: p("482"),
            },
            E::PinTooShort,
        ),
        (
            Command::SetCredential {
                user: 1,
                slot: 2,
                credential: p("482648264"),
            },
            E::PinTooLong,
        ),
        (
            Command::SetCredential {
                user: 1,
                slot: 2,
                credential: p("48a6"),
            },
            E::PinNotDigits,
        ),
        (
            Command::SetCredential {
                user: 1,
                slot: 2,
                credential: p("1234"),
            },
            E::PinTrivial,
        ),
        (
            Command::SetCredential {
                user: 1,
                slot: 2,
                credential: p("0000"),
            },
            E::PinTrivial,
        ),
        (
            Command::SetCredential {
                user: 1,
                slot: 2,
                credential: p("9713"),
            },
            E::DuplicatePin,
        ),
        (
            Command::SetCredential {
                user: 1,
                slot: 2,
                credential: NewCredential::Card(card(&[1, 1, 1, 1])),
            },
            E::DuplicateCredential,
        ),
        (
            Command::SetCredential {
                user: 1,
                slot: 2,
                credential: NewCredential::Card(card(&[])),
            },
            E::BadCredential,
        ),
        (
            Command::ClearCredential { user: 1, slot: 9 },
            E::IndexOutOfRange,
        ),
        (
            Command::ClearCredential { user: 3, slot: 0 },
            E::UnknownUser,
        ),
        (
            Command::SetWeekDaySchedule {
                user: 1,
                slot: 0,
                schedule: wd(0b10, 600, 500),
            },
            E::ScheduleEndBeforeStart,
        ),
        (
            Command::SetWeekDaySchedule {
                user: 1,
                slot: 0,
                schedule: wd(0, 500, 600),
            },
            E::BadSchedule,
        ),
        (
            Command::SetWeekDaySchedule {
                user: 1,
                slot: 0,
                schedule: wd(0b10, 500, 1441),
            },
            E::BadSchedule,
        ),
        (
            Command::SetWeekDaySchedule {
                user: 1,
                slot: 7,
                schedule: wd(0b10, 500, 600),
            },
            E::IndexOutOfRange,
        ),
        (
            Command::SetWeekDaySchedule {
                user: 5,
                slot: 0,
                schedule: wd(0b10, 500, 600),
            },
            E::UnknownUser,
        ),
        (
            Command::SetYearDaySchedule {
                user: 1,
                slot: 0,
                schedule: YearDaySchedule {
                    from_utc: 10,
                    to_utc: 10,
                },
            },
            E::ScheduleEndBeforeStart,
        ),
        (
            Command::SetHoliday {
                slot: 0,
                schedule: HolidaySchedule {
                    from_utc: 10,
                    to_utc: 5,
                    mode: OperatingMode::Vacation,
                },
            },
            E::ScheduleEndBeforeStart,
        ),
        (
            Command::SetHoliday {
                slot: 4,
                schedule: HolidaySchedule {
                    from_utc: 1,
                    to_utc: 5,
                    mode: OperatingMode::Vacation,
                },
            },
            E::IndexOutOfRange,
        ),
        (Command::ClearHoliday { slot: 99 }, E::IndexOutOfRange),
        (
            Command::SetSetting(Setting::PinLength { min: 3, max: 8 }),
            E::BadSetting,
        ),
        (
            Command::SetSetting(Setting::PinLength { min: 8, max: 6 }),
            E::BadSetting,
        ),
        (
            Command::SetSetting(Setting::PinLength { min: 4, max: 13 }),
            E::BadSetting,
        ),
        (Command::SetSetting(Setting::TempDisableS(0)), E::BadSetting),
        (
            Command::SetSetting(Setting::ResetBatteryMinPct(101)),
            E::BadSetting,
        ),
        (
            Command::SetTimeRule(TzRule {
                std_offset_min: 20 * 60,
                dst: None,
            }),
            E::BadTimeRule,
        ),
        (
            Command::UnlockWithTimeout {
                timeout_s: 0,
                pin: None,
            },
            E::BadSetting,
        ),
        (
            Command::PairController {
                pubkey: ADMIN_KEY,
                role: Role::User,
                label: label("dup"),
            },
            E::AlreadyPaired,
        ),
        (
            Command::UnpairController(ControllerId(0)),
            E::IndexOutOfRange,
        ),
        (
            Command::UnpairController(ControllerId(5)),
            E::UnknownController,
        ),
        (Command::GetUserDigest(0), E::IndexOutOfRange),
    ];
    for (cmd, err) in cases {
        refused(&mut r, cmd, err);
    }
    // The PIN is still the only one and still opens.
    assert!(r.pin_opens("9713"));
}

#[test]
fn capacity_full_is_refused() {
    let mut r = rig();
    for i in 2..=8u8 {
        r.admin(Command::PairController {
            pubkey: [i; 32],
            role: Role::User,
            label: label("c"),
        })
        .unwrap();
    }
    refused(
        &mut r,
        Command::PairController {
            pubkey: [99; 32],
            role: Role::User,
            label: label("c"),
        },
        CommandError::CapacityFull,
    );
    // All user slots full: keypad enrolment finds no room.
    for i in 2..=100u16 {
        r.admin(Command::SetUser {
            index: i,
            fields: UserFields::new("x", UserType::Unrestricted),
        })
        .unwrap();
    }
    r.step(Input::ProgramButton);
    let out = r.type_keys("4826");
    assert_eq!(out.signal, Some(Signal::Denied));
}

#[test]
fn replayed_and_unknown_controllers_are_refused() {
    let mut r = rig();
    let out = r.step(Input::Command {
        from: ADMIN,
        id: 77,
        counter: 1,
        cmd: Command::ClearAllUsers,
    });
    assert_eq!(out.reply.unwrap().result, Err(CommandError::Replay));
    assert!(r.lock.user(1).is_some());
    let out = r.step(Input::Command {
        from: ControllerId(4),
        id: 78,
        counter: 1,
        cmd: Command::GetStatus,
    });
    assert_eq!(
        out.reply.unwrap().result,
        Err(CommandError::UnknownController)
    );
}

#[test]
fn pin_length_setting_and_trivial_toggle() {
    let mut r = rig();
    r.admin(Command::SetSetting(Setting::PinLength { min: 6, max: 6 }))
        .unwrap();
    refused(
        &mut r,
        Command::SetCredential {
            user: 1,
            slot: 2,
            credential: NewCredential::Pin(pin("48264")),
        },
        CommandError::PinTooShort,
    );
    r.admin(Command::SetSetting(Setting::ForbidTrivialPins(false)))
        .unwrap();
    r.admin(Command::SetCredential {
        user: 1,
        slot: 2,
        credential: NewCredential::Pin(pin("123456")),
    })
    .unwrap();
    let caps = match r.admin(Command::GetCapabilities) {
        Ok(ReplyData::Capabilities(c)) => c,
        o => panic!("{o:?}"),
    };
    assert_eq!(
        (caps.pin_min_len, caps.pin_max_len, caps.pin_forbid_trivial),
        (6, 6, false)
    );
    assert!(caps.pin_unique && caps.pin_digits_only);
    assert_eq!(caps.max_users, 100);
    assert!(caps.flags & output::CAP_TZ_RULE != 0);
}

#[test]
fn set_and_clear_credentials_one_type_all() {
    let mut r = rig();
    r.admin(Command::SetCredential {
        user: 1,
        slot: 2,
        credential: NewCredential::Fingerprint(3),
    })
    .unwrap();
    r.add_pin_user(2, UserType::Unrestricted, "5173");
    r.admin(Command::ClearCredentialsOfType(CredentialType::Pin))
        .unwrap();
    assert!(!r.pin_opens("9713"));
    assert!(!r.pin_opens("5173"));
    assert!(Rig::opened(&r.step(Input::Fingerprint(Some(3)))));
    r.relock();
    r.admin(Command::ClearAllCredentials).unwrap();
    assert!(!Rig::opened(&r.step(Input::Fingerprint(Some(3)))));
    assert!(!Rig::opened(&r.step(Input::Card {
        uid: card(&[1, 1, 1, 1]),
        payload: None
    })));
    assert_eq!(r.lock.user(1).unwrap().credential_count(), 0);
    // One credential: clear is idempotent.
    r.admin(Command::SetCredential {
        user: 1,
        slot: 0,
        credential: NewCredential::Pin(pin("9713")),
    })
    .unwrap();
    r.admin(Command::ClearCredential { user: 1, slot: 0 })
        .unwrap();
    r.admin(Command::ClearCredential { user: 1, slot: 0 })
        .unwrap();
    assert!(!r.pin_opens("9713"));
    // Changing a PIN in place is not a duplicate of itself.
    r.admin(Command::SetCredential {
        user: 1,
        slot: 0,
        credential: NewCredential::Pin(pin("9713")),
    })
    .unwrap();
    r.admin(Command::SetCredential {
        user: 1,
        slot: 0,
        credential: NewCredential::Pin(pin("9713")),
    })
    .unwrap();
}

#[test]
fn digests_track_changes_without_revealing_pins() {
    let mut r = rig();
    let v0 = r.lock.version();
    let d_all = r.lock.overall_digest();
    let d1 = r.lock.user_digest(1);
    assert_eq!(
        r.lock.user_digest(2),
        [0; 32],
        "empty slot digest is all zero"
    );
    r.admin(Command::SetCredential {
        user: 1,
        slot: 0,
        credential: NewCredential::Pin(pin("5719")),
    })
    .unwrap();
    assert_ne!(r.lock.user_digest(1), d1);
    assert_ne!(r.lock.overall_digest(), d_all);
    assert!(r.lock.version() > v0);
    // Setting it back restores the slot digest (deterministic, content-based).
    r.admin(Command::SetCredential {
        user: 1,
        slot: 0,
        credential: NewCredential::Pin(pin("9713")),
    })
    .unwrap();
    assert_eq!(r.lock.user_digest(1), d1);
    match r.admin(Command::GetUserDigest(1)) {
        Ok(ReplyData::UserDigest { digest, version }) => {
            assert_eq!(digest, d1);
            assert_eq!(version, r.lock.version());
        }
        o => panic!("{o:?}"),
    }
    // The same PIN on another lock gives another digest (keyed per lock).
    let mut other = Rig::with_seed(99);
    other.step(Input::PairFirstAdmin {
        pubkey: ADMIN_KEY,
        label: label("hub"),
    });
    other.add_pin_user(1, UserType::Unrestricted, "9713");
    assert_ne!(other.lock.user_digest(1), r.lock.user_digest(1));
    // Status carries version and overall digest.
    match r.admin(Command::GetStatus) {
        Ok(ReplyData::Status(s)) => {
            assert_eq!(s.digest, r.lock.overall_digest());
            assert_eq!(s.version, r.lock.version());
            assert_eq!(s.users, 1);
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn user_changes_record_creator_and_modifier() {
    let mut r = rig();
    r.admin(Command::PairController {
        pubkey: [0xE5; 32],
        role: Role::Admin,
        label: label("b"),
    })
    .unwrap();
    let b = ControllerId(2);
    r.cmd(
        b,
        Command::SetUser {
            index: 1,
            fields: UserFields::new("renamed", UserType::Unrestricted),
        },
    )
    .unwrap();
    let u = r.lock.user(1).unwrap();
    assert_eq!(u.creator, Some(ADMIN));
    assert_eq!(u.modifier, Some(b));
    assert_eq!(u.fields.name.as_str(), "renamed");
    r.admin(Command::UnpairController(b)).unwrap();
    assert_eq!(r.lock.user(1).unwrap().modifier, None);
    assert!(
        r.pin_opens("9713"),
        "unpairing a controller keeps the users it touched"
    );
}
