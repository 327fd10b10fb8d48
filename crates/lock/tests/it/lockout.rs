//! Wrong-code lockout: limit, escalation, alarm, and survival across reboot.

use crate::harness::*;
use tumbler_lock::config::BOOT_MS;
use tumbler_lock::*;

fn rig() -> Rig {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::Unrestricted, "9713");
    r
}

fn lock_out(r: &mut Rig) -> Output {
    for _ in 0..4 {
        r.type_keys("0001");
    }
    r.type_keys("0002")
}

#[test]
fn limit_reached_disables_keypad_with_alarm() {
    let mut r = rig();
    let out = lock_out(&mut r);
    assert!(out
        .events
        .contains(&Event::Alarm(AlarmCode::WrongCodeEntryLimit)));
    assert_eq!(out.signal, Some(Signal::LockedOut));
    assert!(out.persist.items.contains(ItemKey::Security));
    assert_eq!(r.lock.lockout_remaining_ms(r.now), 60_000);
    // The right PIN is refused while locked out, and so is a card.
    assert!(!r.pin_opens("9713"));
    r.admin(Command::SetCredential {
        user: 1,
        slot: 1,
        credential: NewCredential::Card(card(&[9, 9, 9, 9])),
    })
    .unwrap();
    let out = r.step(Input::Card {
        uid: card(&[9, 9, 9, 9]),
        payload: None,
    });
    assert!(!Rig::opened(&out));
    r.advance(60_000);
    assert_eq!(r.lock.lockout_remaining_ms(r.now), 0);
    assert!(r.pin_opens("9713"));
}

#[test]
fn lockout_escalates_by_doubling_and_resets_after_success() {
    let mut r = rig();
    lock_out(&mut r);
    assert_eq!(r.lock.lockout_remaining_ms(r.now), 60_000);
    r.advance(60_000);
    lock_out(&mut r);
    assert_eq!(r.lock.lockout_remaining_ms(r.now), 120_000);
    r.advance(120_000);
    lock_out(&mut r);
    assert_eq!(r.lock.lockout_remaining_ms(r.now), 240_000);
    r.advance(240_000);
    assert!(r.pin_opens("9713"));
    lock_out(&mut r);
    assert_eq!(r.lock.lockout_remaining_ms(r.now), 60_000);
}

#[test]
fn lockout_is_capped() {
    let mut r = rig();
    for _ in 0..8 {
        lock_out(&mut r);
        let rem = r.lock.lockout_remaining_ms(r.now);
        assert!(rem <= 60_000 * u64::from(config::LOCKOUT_MAX_FACTOR));
        r.advance(rem);
    }
    lock_out(&mut r);
    assert_eq!(
        r.lock.lockout_remaining_ms(r.now),
        60_000 * u64::from(config::LOCKOUT_MAX_FACTOR)
    );
}

#[test]
fn reboot_does_not_reset_lockout_or_counter() {
    let mut r = rig();
    // Counter survives.
    r.type_keys("0001");
    r.type_keys("0001");
    r.reboot_and_boot();
    assert_eq!(r.lock.wrong_codes(), 2);
    r.type_keys("0001");
    r.type_keys("0001");
    let out = r.type_keys("0001");
    assert!(out
        .events
        .contains(&Event::Alarm(AlarmCode::WrongCodeEntryLimit)));
    // Lockout survives a battery pull, never shortened.
    r.advance(50_000);
    r.reboot();
    assert!(r.lock.lockout_remaining_ms(r.now) >= 10_000);
    r.advance(BOOT_MS);
    assert!(!r.pin_opens("9713"));
    // Repeated pulls cannot wear it down.
    for _ in 0..5 {
        r.advance(1_000);
        r.reboot_and_boot();
        assert!(r.lock.lockout_remaining_ms(r.now) > 0);
    }
    let rem = r.lock.lockout_remaining_ms(r.now);
    r.advance(rem);
    assert!(r.pin_opens("9713"));
}

#[test]
fn wrong_limit_is_a_setting() {
    let mut r = rig();
    r.admin(Command::SetSetting(Setting::WrongCodeLimit(2)))
        .unwrap();
    r.admin(Command::SetSetting(Setting::TempDisableS(10)))
        .unwrap();
    r.type_keys("0001");
    let out = r.type_keys("0001");
    assert!(out
        .events
        .contains(&Event::Alarm(AlarmCode::WrongCodeEntryLimit)));
    assert_eq!(r.lock.lockout_remaining_ms(r.now), 10_000);
    assert_eq!(
        r.admin(Command::SetSetting(Setting::WrongCodeLimit(0))),
        Err(CommandError::BadSetting)
    );
}

#[test]
fn remote_pin_obeys_and_feeds_lockout() {
    let mut r = rig();
    r.admin(Command::SetSetting(Setting::RequirePinForRemote(true)))
        .unwrap();
    assert_eq!(
        r.admin(Command::Unlock { pin: None }),
        Err(CommandError::PinRequired)
    );
    for _ in 0..4 {
        assert_eq!(
            r.admin(Command::Unlock {
                pin: Some(pin("0001"))
            }),
            Err(CommandError::WrongPin)
        );
    }
    assert_eq!(
        r.admin(Command::Unlock {
            pin: Some(pin("0001"))
        }),
        Err(CommandError::WrongPin)
    );
    assert_eq!(
        r.admin(Command::Unlock {
            pin: Some(pin("9713"))
        }),
        Err(CommandError::LockedOut)
    );
    r.advance(60_000);
    assert_eq!(
        r.admin(Command::Unlock {
            pin: Some(pin("9713"))
        }),
        Ok(ReplyData::Done)
    );
}

#[test]
fn remote_lock_obeys_require_pin_like_unlock() {
    let mut r = rig();
    r.admin(Command::Unlock { pin: None }).unwrap();
    r.admin(Command::SetSetting(Setting::RequirePinForRemote(true)))
        .unwrap();
    // No PIN: refused, the bolt stays where it is.
    let out = r.cmd_out(ADMIN, Command::Lock { pin: None });
    assert_eq!(out.motor, None);
    assert_eq!(
        out.reply.map(|x| x.result),
        Some(Err(CommandError::PinRequired))
    );
    // A wrong PIN: refused, and it counts towards the lockout.
    let out = r.cmd_out(
        ADMIN,
        Command::Lock {
            pin: Some(pin("0001")),
        },
    );
    assert_eq!(out.motor, None);
    assert_eq!(
        out.reply.map(|x| x.result),
        Some(Err(CommandError::WrongPin))
    );
    for _ in 0..4 {
        assert_eq!(
            r.admin(Command::Lock {
                pin: Some(pin("0001"))
            }),
            Err(CommandError::WrongPin)
        );
    }
    assert_eq!(
        r.admin(Command::Lock {
            pin: Some(pin("9713"))
        }),
        Err(CommandError::LockedOut)
    );
    r.advance(60_000);
    // (Auto-relock has thrown the bolt meanwhile.)
    r.admin(Command::Unlock {
        pin: Some(pin("9713")),
    })
    .unwrap();
    // The right PIN: locked, and the PIN's owner is the actor.
    let out = r.cmd_out(
        ADMIN,
        Command::Lock {
            pin: Some(pin("9713")),
        },
    );
    assert_eq!(out.reply.map(|x| x.result), Some(Ok(ReplyData::Done)));
    assert_eq!(out.motor, Some(MotorCommand::Lock));
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::LockOperation {
            op: output::LockOp::Lock,
            user: Some(1),
            ..
        }
    )));
}

#[test]
fn remote_lock_checks_a_given_pin_even_when_not_required() {
    let mut r = rig();
    r.admin(Command::Unlock { pin: None }).unwrap();
    assert_eq!(
        r.admin(Command::Lock {
            pin: Some(pin("0001"))
        }),
        Err(CommandError::WrongPin)
    );
    assert_eq!(r.admin(Command::Lock { pin: None }), Ok(ReplyData::Done));
}

#[test]
fn keypad_entry_times_out() {
    let mut r = rig();
    for d in [9, 7] {
        r.step(Input::Key(Key::Digit(d)));
    }
    r.advance(config::KEYPAD_TIMEOUT_MS);
    for d in [1, 3] {
        r.step(Input::Key(Key::Digit(d)));
    }
    let out = r.step(Input::Key(Key::Hash));
    assert!(!Rig::opened(&out));
    // Within the timeout it works.
    r.advance(1_000);
    for d in [9, 7, 1, 3] {
        r.advance(config::KEYPAD_TIMEOUT_MS - 1);
        r.step(Input::Key(Key::Digit(d)));
    }
    assert!(Rig::opened(&r.step(Input::Key(Key::Hash))));
}

#[test]
fn power_on_without_restore_keeps_lockout_and_drops_entry() {
    // A driver that keeps the RAM state (brown-out) and only feeds PowerOn.
    let mut r = rig();
    lock_out(&mut r);
    r.now = r.now.later(59_000);
    r.step(Input::PowerOn);
    assert_eq!(
        r.lock.lockout_remaining_ms(r.now),
        60_000,
        "re-armed in full, not shortened"
    );
    r.advance(BOOT_MS);
    assert!(!r.pin_opens("9713"));
    let rem = r.lock.lockout_remaining_ms(r.now);
    r.advance(rem);
    assert!(r.pin_opens("9713"));
}

#[test]
fn next_deadline_tracks_timers() {
    let mut r = rig();
    assert_eq!(r.lock.next_deadline(), None, "idle lock needs no tick");
    lock_out(&mut r);
    assert_eq!(r.lock.next_deadline(), Some(r.now.mono_ms + 60_000));
    r.advance(60_000);
    assert_eq!(r.lock.next_deadline(), None);
    r.type_keys("9713");
    assert_eq!(
        r.lock.next_deadline(),
        Some(r.now.mono_ms + 30_000),
        "auto-relock"
    );
}

#[test]
fn app_unlock_and_thumb_turn_do_not_reset_the_wrong_code_budget() {
    let mut r = rig();
    for _ in 0..4 {
        r.type_keys("0001");
    }
    r.admin(Command::Unlock { pin: None }).unwrap();
    r.relock();
    r.step(Input::ManualTurn { locked: false });
    r.relock();
    assert_eq!(r.lock.wrong_codes(), 4);
    let out = r.type_keys("0001");
    assert!(out
        .events
        .contains(&Event::Alarm(AlarmCode::WrongCodeEntryLimit)));
}
