//! Who opens when: user types, credential kinds, two-factor, modes, motor,
//! door and relock behaviour.

use crate::harness::*;
use tumbler_lock::output::{LockOp, OpError};
use tumbler_lock::*;

fn denied_with(out: &Output) -> Option<OpError> {
    out.events.iter().find_map(|e| match e {
        Event::LockOperationError { error, .. } => Some(*error),
        _ => None,
    })
}

#[test]
fn pin_card_fingerprint_and_app_key_open() {
    let mut r = Rig::claimed();
    r.add_pin_user(3, UserType::Unrestricted, "9713");
    r.admin(Command::SetCredential {
        user: 3,
        slot: 1,
        credential: NewCredential::Card(card(&[1, 2, 3, 4])),
    })
    .unwrap();
    r.admin(Command::SetCredential {
        user: 3,
        slot: 2,
        credential: NewCredential::Fingerprint(7),
    })
    .unwrap();
    let out = r.type_keys("9713");
    assert_eq!(out.motor, Some(MotorCommand::Unlock));
    assert_eq!(out.signal, Some(Signal::Granted));
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::LockOperation {
            op: LockOp::Unlock,
            source: Source::Keypad,
            user: Some(3),
            ..
        }
    )));
    assert_eq!(r.lock.bolt(), BoltState::Unlocked);
    r.relock();
    assert!(Rig::opened(&r.step(Input::Card {
        uid: card(&[1, 2, 3, 4]),
        payload: None
    })));
    r.relock();
    assert!(Rig::opened(&r.step(Input::Fingerprint(Some(7)))));
    r.relock();
    assert!(!Rig::opened(&r.step(Input::Fingerprint(None))));
    assert!(!Rig::opened(&r.step(Input::Card {
        uid: card(&[4, 3, 2, 1]),
        payload: None
    })));
    assert!(!r.pin_opens("9714"));
}

#[test]
fn disabled_non_access_and_remote_only_users_do_not_open_at_the_door() {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::NonAccess, "1357");
    r.add_pin_user(2, UserType::RemoteOnly, "2468");
    r.add_pin_user(3, UserType::Unrestricted, "3691");
    let mut f = UserFields::new("x", UserType::Unrestricted);
    f.status = UserStatus::Disabled;
    r.admin(Command::SetUser {
        index: 3,
        fields: f,
    })
    .unwrap();
    assert_eq!(
        denied_with(&r.type_keys("1357")),
        Some(OpError::TypeRestricted)
    );
    assert_eq!(
        denied_with(&r.type_keys("2468")),
        Some(OpError::TypeRestricted)
    );
    assert_eq!(
        denied_with(&r.type_keys("3691")),
        Some(OpError::DisabledUser)
    );
    // Remote-only: works as the PIN of a remote unlock.
    assert_eq!(
        r.admin(Command::Unlock {
            pin: Some(pin("2468"))
        }),
        Ok(ReplyData::Done)
    );
    // A non-access user's PIN does not work remotely either.
    r.relock();
    assert_eq!(
        r.admin(Command::Unlock {
            pin: Some(pin("1357"))
        }),
        Err(CommandError::AccessDenied(OpError::TypeRestricted))
    );
}

#[test]
fn one_time_user_is_cleared_after_use() {
    let mut r = Rig::claimed();
    r.add_pin_user(4, UserType::OneTime, "8642");
    let out = r.type_keys("8642");
    assert!(Rig::opened(&out));
    assert!(out.persist.items.contains(ItemKey::User(4)));
    assert!(r.lock.user(4).is_none());
    r.relock();
    assert!(!r.pin_opens("8642"));
}

#[test]
fn expiring_user_expires_after_first_use() {
    let mut r = Rig::claimed();
    r.admin(Command::SetSetting(Setting::ExpiringUserMin(60)))
        .unwrap();
    r.add_pin_user(4, UserType::Expiring, "8642");
    r.advance(3_600_000 * 5); // unused for hours: still valid
    assert!(r.pin_opens("8642"));
    r.advance(59 * 60_000);
    assert!(r.pin_opens("8642"));
    r.advance(60_000);
    assert!(!r.pin_opens("8642"));
}

#[test]
fn duress_user_opens_and_raises_silent_alarm() {
    let mut r = Rig::claimed();
    r.add_pin_user(5, UserType::Duress, "7531");
    let out = r.type_keys("7531");
    assert!(Rig::opened(&out));
    assert!(out.events.contains(&Event::Alarm(AlarmCode::Duress)));
    assert_eq!(
        out.signal,
        Some(Signal::Granted),
        "nothing different at the door"
    );
}

#[test]
fn two_factor_needs_card_and_pin_in_either_order() {
    let mut r = Rig::claimed();
    r.add_pin_user(6, UserType::Unrestricted, "9182");
    r.admin(Command::SetCredential {
        user: 6,
        slot: 1,
        credential: NewCredential::Card(card(&[6, 6, 6, 6])),
    })
    .unwrap();
    let mut f = UserFields::new("2fa", UserType::Unrestricted);
    f.rule = CredentialRule::TwoFactor;
    r.admin(Command::SetUser {
        index: 6,
        fields: f,
    })
    .unwrap();
    let out = r.type_keys("9182");
    assert_eq!(denied_with(&out), Some(OpError::SecondFactorNeeded));
    assert!(Rig::opened(&r.step(Input::Card {
        uid: card(&[6, 6, 6, 6]),
        payload: None
    })));
    r.relock();
    assert!(!Rig::opened(&r.step(Input::Card {
        uid: card(&[6, 6, 6, 6]),
        payload: None
    })));
    assert!(r.pin_opens("9182"));
    // Too slow: the first factor expires.
    r.step(Input::Card {
        uid: card(&[6, 6, 6, 6]),
        payload: None,
    });
    r.advance(config::TWO_FACTOR_WINDOW_MS);
    assert!(!r.pin_opens("9182"));
}

#[test]
fn vacation_privacy_and_no_remote_modes() {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::Admin, "2580");
    r.add_pin_user(2, UserType::Unrestricted, "9713");
    r.admin(Command::SetOperatingMode(OperatingMode::Vacation))
        .unwrap();
    assert!(!r.pin_opens("9713"));
    assert!(r.pin_opens("2580"));
    assert_eq!(r.admin(Command::Unlock { pin: None }), Ok(ReplyData::Done));
    r.relock();
    r.admin(Command::SetOperatingMode(OperatingMode::Privacy))
        .unwrap();
    assert!(!r.pin_opens("2580"));
    assert!(!r.pin_opens("9713"));
    assert_eq!(
        r.admin(Command::Unlock { pin: None }),
        Err(CommandError::ModeRestricted)
    );
    // The interior thumb-turn always works.
    let out = r.step(Input::ManualTurn { locked: false });
    assert!(Rig::opened(&out));
    r.relock();
    r.admin(Command::SetOperatingMode(OperatingMode::NoRemoteLockUnlock))
        .unwrap();
    assert_eq!(
        r.admin(Command::Unlock { pin: None }),
        Err(CommandError::ModeRestricted)
    );
    assert_eq!(
        r.admin(Command::Lock { pin: None }),
        Err(CommandError::ModeRestricted)
    );
    assert!(r.pin_opens("9713"));
}

#[test]
fn passage_mode_unlocks_and_stays_unlocked() {
    let mut r = Rig::claimed();
    let out = r.cmd_out(ADMIN, Command::SetOperatingMode(OperatingMode::Passage));
    assert_eq!(out.motor, Some(MotorCommand::Unlock));
    assert_eq!(r.lock.bolt(), BoltState::Unlocked);
    r.advance(3_600_000);
    assert_eq!(r.lock.bolt(), BoltState::Unlocked);
    assert_eq!(
        r.admin(Command::Lock { pin: None }),
        Err(CommandError::ModeRestricted)
    );
    r.admin(Command::SetOperatingMode(OperatingMode::Normal))
        .unwrap();
    r.advance(30_000);
    assert_eq!(r.lock.bolt(), BoltState::Locked);
}

#[test]
fn auto_relock_waits_for_door_and_unlock_with_timeout() {
    let mut r = Rig::claimed();
    r.add_pin_user(2, UserType::Unrestricted, "9713");
    r.type_keys("9713");
    assert_eq!(r.lock.bolt(), BoltState::Unlocked);
    r.step(Input::Door { open: true });
    let out = r.advance(30_000);
    assert_eq!(out.motor, None, "no relock with the door open");
    assert_eq!(
        r.lock.next_deadline().filter(|d| *d <= r.now.mono_ms),
        None,
        "no busy ticking"
    );
    let out = r.step(Input::Door { open: false });
    assert_eq!(
        out.motor,
        Some(MotorCommand::Lock),
        "relocks as the door closes"
    );
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::LockOperation {
            op: LockOp::Lock,
            source: Source::Auto,
            ..
        }
    )));
    assert_eq!(r.lock.bolt(), BoltState::Locked);
    // Timed unlock.
    r.admin(Command::UnlockWithTimeout {
        timeout_s: 300,
        pin: None,
    })
    .unwrap();
    assert_eq!(r.advance(299_000).motor, None);
    assert_eq!(r.advance(1_000).motor, Some(MotorCommand::Lock));
    // Auto-relock off.
    r.admin(Command::SetSetting(Setting::AutoRelockS(0)))
        .unwrap();
    r.type_keys("9713");
    r.advance(3_600_000);
    assert_eq!(r.lock.bolt(), BoltState::Unlocked);
}

#[test]
fn door_forced_ajar_jam_tamper_and_battery_alarms() {
    let mut r = Rig::claimed();
    assert_eq!(r.lock.bolt(), BoltState::Locked);
    let out = r.step(Input::Door { open: true });
    assert!(out
        .events
        .contains(&Event::Alarm(AlarmCode::DoorForcedOpen)));
    assert_eq!(r.lock.door(), DoorState::Forced);
    let out = r.advance(60_000);
    assert!(out.events.contains(&Event::Alarm(AlarmCode::DoorAjar)));
    assert_eq!(r.lock.door(), DoorState::Ajar);
    r.step(Input::Door { open: false });
    assert_eq!(r.lock.door(), DoorState::Closed);
    // Jam.
    r.auto_motor = false;
    r.admin(Command::Unlock { pin: None }).unwrap();
    assert_eq!(r.lock.bolt(), BoltState::Unlocking);
    let out = r.step(Input::Motor(MotorFeedback::Jammed));
    assert!(out.events.contains(&Event::Alarm(AlarmCode::LockJammed)));
    assert_eq!(out.signal, Some(Signal::Jammed));
    assert!(!r.lock.self_check(r.now, [0; 16]).body.motor_ok);
    r.step(Input::Motor(MotorFeedback::NotFullyLocked));
    assert_eq!(r.lock.bolt(), BoltState::NotFullyLocked);
    // Tamper, battery.
    assert!(r
        .step(Input::Tamper)
        .events
        .contains(&Event::Alarm(AlarmCode::FrontEsceutcheonRemoved)));
    assert!(r
        .step(Input::Battery(20))
        .events
        .contains(&Event::Alarm(AlarmCode::LowBattery)));
    assert!(
        r.step(Input::Battery(19)).events.is_empty(),
        "reported once"
    );
    assert!(r
        .step(Input::Battery(3))
        .events
        .contains(&Event::Alarm(AlarmCode::CriticalBattery)));
}

#[test]
fn app_key_user_is_attributed_and_limited_by_schedule() {
    let mut r = Rig::claimed();
    let phone = [0xD4; 32];
    let id = match r.admin(Command::PairController {
        pubkey: phone,
        role: Role::User,
        label: label("p"),
    }) {
        Ok(ReplyData::Paired(id)) => id,
        o => panic!("{o:?}"),
    };
    r.admin(Command::SetUser {
        index: 9,
        fields: UserFields::new("guest", UserType::YearDaySchedule),
    })
    .unwrap();
    r.admin(Command::SetCredential {
        user: 9,
        slot: 0,
        credential: NewCredential::AppKey(phone),
    })
    .unwrap();
    r.admin(Command::SetYearDaySchedule {
        user: 9,
        slot: 0,
        schedule: schedule::YearDaySchedule {
            from_utc: T0_UTC + 3600,
            to_utc: T0_UTC + 7200,
        },
    })
    .unwrap();
    assert_eq!(
        r.cmd(id, Command::Unlock { pin: None }),
        Err(CommandError::AccessDenied(OpError::OutsideSchedule))
    );
    r.advance(3_600_000);
    let out = r.cmd_out(id, Command::Unlock { pin: None });
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::LockOperation {
            user: Some(9),
            source: Source::Remote,
            ..
        }
    )));
    // A user-role controller cannot manage.
    assert_eq!(
        r.cmd(id, Command::ClearAllUsers),
        Err(CommandError::NotAdmin)
    );
    // Unpairing drops its app key but keeps the user.
    r.admin(Command::UnpairController(id)).unwrap();
    assert!(r.lock.user(9).is_some());
    assert_eq!(r.lock.user(9).unwrap().credential_count(), 0);
    assert_eq!(
        r.cmd(id, Command::Unlock { pin: None }),
        Err(CommandError::UnknownController)
    );
}

#[test]
fn program_button_enrols_admin_only_with_local_programming() {
    let mut r = Rig::claimed();
    r.admin(Command::SetSetting(Setting::LocalProgramming(false)))
        .unwrap();
    r.step(Input::ProgramButton);
    assert_eq!(r.type_keys("4826").signal, Some(Signal::Denied));
    // Back on only at the door: program button inside, then the admin menu.
    r.add_pin_user(1, UserType::Admin, "5173");
    r.step(Input::ProgramButton);
    assert_eq!(r.type_keys("5173*91").signal, Some(Signal::SettingChanged));
    r.step(Input::ProgramButton);
    assert_eq!(r.type_keys("4826").signal, Some(Signal::Enrolled));
    // The window closes after use and after its time.
    r.step(Input::ProgramButton);
    r.advance(config::PROGRAM_WINDOW_MS);
    assert_ne!(r.type_keys("3917").signal, Some(Signal::Enrolled));
}

#[test]
fn signals_have_words() {
    for s in [
        Signal::Granted,
        Signal::Denied,
        Signal::LockedOut,
        Signal::FactoryResetDone,
        Signal::ResetRefusedLowBattery,
    ] {
        assert!(!s.describe().is_empty());
    }
}

#[test]
fn hash_alone_locks() {
    let mut r = Rig::claimed();
    r.add_pin_user(2, UserType::Unrestricted, "9713");
    r.type_keys("9713");
    assert_eq!(r.lock.bolt(), BoltState::Unlocked);
    let out = r.step(Input::Key(Key::Hash));
    assert_eq!(out.motor, Some(MotorCommand::Lock));
    assert_eq!(r.lock.bolt(), BoltState::Locked);
    assert!(
        r.step(Input::Key(Key::Hash)).motor.is_none(),
        "already locked"
    );
}
