//! The reset table (DESIGN §2.2): every row and every rule under it.

use crate::harness::*;
use tumbler_lock::config::BOOT_MS;
use tumbler_lock::output::ResetRefusal;
use tumbler_lock::reset::sign_manufacturer_token;
use tumbler_lock::*;

const OTHER: ControllerId = ControllerId(2);
const OTHER_KEY: [u8; 32] = [0xB2; 32];

/// A lock with an admin PIN user (1), a PIN+card+finger+app-key user (2),
/// and a second (user-role) controller.
fn populated() -> Rig {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::Admin, "2580");
    r.add_pin_user(2, UserType::Unrestricted, "9713");
    r.admin(Command::SetCredential {
        user: 2,
        slot: 1,
        credential: NewCredential::Card(card(&[1, 2, 3, 4])),
    })
    .unwrap();
    r.admin(Command::SetCredential {
        user: 2,
        slot: 2,
        credential: NewCredential::Fingerprint(5),
    })
    .unwrap();
    r.admin(Command::SetCredential {
        user: 2,
        slot: 3,
        credential: NewCredential::AppKey(OTHER_KEY),
    })
    .unwrap();
    r.admin(Command::PairController {
        pubkey: OTHER_KEY,
        role: Role::User,
        label: label("phone"),
    })
    .unwrap();
    r
}

/// Checks that nothing from before a factory reset survives, and the new state.
fn assert_wiped(r: &mut Rig, old_counter: u32) {
    let l = &r.lock;
    assert!(l.is_setup_mode());
    assert_eq!(l.users().count(), 0);
    assert_eq!(l.controllers().count(), 0);
    assert_eq!(*l.settings(), Settings::default());
    assert_eq!(l.reset_counter(), old_counter + 1);
    // Old PIN, card, fingerprint do not open.
    assert!(!r.pin_opens("2580"));
    assert!(!r.pin_opens("9713"));
    r.advance(10 * 60_000); // clear any lockout from the attempts above
    assert!(!Rig::opened(&r.step(Input::Card {
        uid: card(&[1, 2, 3, 4]),
        payload: None
    })));
    assert!(!Rig::opened(&r.step(Input::Fingerprint(Some(5)))));
    // Old controllers (admin and the app-key phone) are not accepted.
    for c in [ADMIN, OTHER] {
        assert_eq!(
            r.cmd(c, Command::Unlock { pin: None }),
            Err(CommandError::UnknownController)
        );
        assert_eq!(
            r.cmd(c, Command::GetStatus),
            Err(CommandError::UnknownController)
        );
    }
    // The same after a reboot (the store holds only the new state).
    r.reboot_and_boot();
    assert!(r.lock.is_setup_mode());
    assert_eq!(r.lock.users().count(), 0);
    assert!(!r.pin_opens("2580"));
    assert_eq!(
        r.cmd(ADMIN, Command::GetStatus),
        Err(CommandError::UnknownController)
    );
}

fn assert_reset_output(r: &Rig, out: &Output, trigger: ResetTrigger) {
    // Notice first, then the alarm.
    assert_eq!(
        out.events.first(),
        Some(&Event::ResetNotice {
            trigger,
            counter: r.lock.reset_counter()
        })
    );
    assert!(out
        .events
        .contains(&Event::Alarm(AlarmCode::LockFactoryReset)));
    assert_eq!(out.signal, Some(Signal::FactoryResetDone));
    assert_eq!(
        out.signal.unwrap().describe(),
        "two beeps, green: factory reset done"
    );
    let rec = out.persist.reset.expect("sealed record");
    assert_eq!(rec.record.trigger, trigger);
    assert_eq!(rec.record.counter, r.lock.reset_counter());
    assert!(rec.verify(&r.lock.identity_public_key()));
    // The new log chains to the sealed record.
    assert_eq!(out.audit.unwrap().prev, rec.hash());
    assert_eq!(out.audit.unwrap().seq, 0);
}

#[test]
fn reboot_by_battery_pull_keeps_everything() {
    let mut r = populated();
    let before = snapshot(&r.lock);
    let op_key = r.lock.operational_public_key();
    r.reboot_and_boot();
    assert_eq!(snapshot(&r.lock), before);
    assert_eq!(r.lock.operational_public_key(), op_key);
    assert!(r.pin_opens("9713"));
    assert!(r.admin(Command::GetStatus).is_ok());
    assert!(r.cmd(OTHER, Command::Unlock { pin: None }).is_ok());
}

#[test]
fn reboot_by_short_press_keeps_everything_and_drops_half_typed_pin() {
    let mut r = populated();
    let before = snapshot(&r.lock);
    // Half-typed PIN: "97" then reboot, then "13#" must not open.
    r.step(Input::Key(Key::Digit(9)));
    r.step(Input::Key(Key::Digit(7)));
    r.step(Input::ResetButtonDown);
    r.now = r.now.later(500);
    let out = r.step(Input::ResetButtonUp);
    assert!(out.reboot);
    assert_eq!(out.signal, Some(Signal::Rebooting));
    r.advance(BOOT_MS);
    assert_eq!(snapshot(&r.lock), before);
    assert!(!r.pin_opens("13"));
    assert!(r.pin_opens("9713"));
}

#[test]
fn reboot_by_admin_command_keeps_everything() {
    let mut r = populated();
    let before = snapshot(&r.lock);
    let out = r.cmd_out(ADMIN, Command::Reboot);
    assert!(out.reboot);
    r.advance(BOOT_MS);
    assert_eq!(snapshot(&r.lock), before);
    assert!(r.pin_opens("2580"));
    // A user-role controller may not reboot.
    assert_eq!(r.cmd(OTHER, Command::Reboot), Err(CommandError::NotAdmin));
}

#[test]
fn reset_button_hold_factory_resets() {
    let mut r = populated();
    let counter = r.lock.reset_counter();
    r.step(Input::ResetButtonDown);
    let armed = r.advance(10_000);
    assert_eq!(armed.signal, Some(Signal::ResetArmed));
    let out = r.step(Input::ResetButtonUp);
    assert_reset_output(&r, &out, ResetTrigger::Button);
    assert_eq!(r.resets.len(), 1);
    assert_wiped(&mut r, counter);
}

#[test]
fn reset_button_released_between_2s_and_hold_does_nothing() {
    let mut r = populated();
    let before = snapshot(&r.lock);
    r.step(Input::ResetButtonDown);
    r.now = r.now.later(5_000);
    let out = r.step(Input::ResetButtonUp);
    assert!(!out.reboot);
    assert!(out.persist.reset.is_none() && out.persist.items.is_empty());
    assert_eq!(snapshot(&r.lock), before);
}

#[test]
fn reset_hold_time_is_configurable() {
    let mut r = populated();
    r.admin(Command::SetSetting(Setting::ResetHoldS(3)))
        .unwrap();
    assert_eq!(
        r.admin(Command::SetSetting(Setting::ResetHoldS(2))),
        Err(CommandError::BadSetting)
    );
    assert_eq!(
        r.admin(Command::SetSetting(Setting::ResetHoldS(31))),
        Err(CommandError::BadSetting)
    );
    let counter = r.lock.reset_counter();
    r.step(Input::ResetButtonDown);
    r.now = r.now.later(3_000);
    let out = r.step(Input::ResetButtonUp);
    assert_reset_output(&r, &out, ResetTrigger::Button);
    assert_wiped(&mut r, counter);
}

#[test]
fn keypad_factory_reset_with_admin_pin() {
    let mut r = populated();
    let counter = r.lock.reset_counter();
    let out = r.type_keys("2580*999");
    assert_reset_output(&r, &out, ResetTrigger::Keypad);
    assert_wiped(&mut r, counter);
}

#[test]
fn keypad_reset_with_non_admin_or_wrong_pin_counts_towards_lockout() {
    let mut r = populated();
    let before = snapshot(&r.lock);
    // A valid non-admin PIN is a wrong admin PIN.
    let out = r.type_keys("9713*999");
    assert!(out.persist.reset.is_none());
    assert_eq!(r.lock.wrong_codes(), 1);
    for _ in 0..3 {
        r.type_keys("1111*999");
    }
    assert_eq!(r.lock.wrong_codes(), 4);
    let out = r.type_keys("1112*999");
    assert_eq!(out.signal, Some(Signal::LockedOut));
    assert!(out
        .events
        .contains(&Event::Alarm(AlarmCode::WrongCodeEntryLimit)));
    // Now even the right admin PIN is refused until the lockout ends.
    let out = r.type_keys("2580*999");
    assert!(out.persist.reset.is_none());
    assert_eq!(snapshot(&r.lock), before);
}

#[test]
fn keypad_reset_refused_when_local_programming_disabled() {
    let mut r = populated();
    r.admin(Command::SetSetting(Setting::LocalProgramming(false)))
        .unwrap();
    let before = snapshot(&r.lock);
    let out = r.type_keys("2580*999");
    assert!(out.persist.reset.is_none());
    assert_eq!(out.signal, Some(Signal::ResetRefused));
    assert!(out.events.contains(&Event::ResetRefused {
        trigger: ResetTrigger::Keypad,
        reason: ResetRefusal::LocalProgrammingDisabled
    }));
    assert_eq!(snapshot(&r.lock), before);
}

#[test]
fn app_factory_reset_by_admin() {
    let mut r = populated();
    let counter = r.lock.reset_counter();
    let out = r.cmd_out(ADMIN, Command::FactoryReset);
    match out.reply.as_ref().unwrap().result {
        Ok(ReplyData::FactoryReset(rec)) => assert_eq!(rec.record.counter, counter + 1),
        ref other => panic!("{other:?}"),
    }
    assert_reset_output(&r, &out, ResetTrigger::App);
    assert_wiped(&mut r, counter);
}

#[test]
fn app_factory_reset_refused_for_user_role_and_when_disabled() {
    let mut r = populated();
    let before = snapshot(&r.lock);
    assert_eq!(
        r.cmd(OTHER, Command::FactoryReset),
        Err(CommandError::NotAdmin)
    );
    r.admin(Command::SetSetting(Setting::AppResetAllowed(false)))
        .unwrap();
    let before2 = snapshot(&r.lock);
    assert_ne!(before.1, before2.1);
    let out = r.cmd_out(ADMIN, Command::FactoryReset);
    assert_eq!(
        out.reply.unwrap().result,
        Err(CommandError::AppResetDisabled)
    );
    assert!(out.persist.reset.is_none());
    assert_eq!(snapshot(&r.lock), before2);
}

fn nonce(r: &mut Rig) -> [u8; 16] {
    match r.admin(Command::IssueResetNonce) {
        Ok(ReplyData::ResetNonce(n)) => n,
        other => panic!("{other:?}"),
    }
}

#[test]
fn manufacturer_token_factory_resets() {
    let mut r = populated();
    let counter = r.lock.reset_counter();
    let n = nonce(&mut r);
    let tok = sign_manufacturer_token(&MFR_SEED, "TMB-0001", n, T0_UTC + 3600);
    let out = r.cmd_out(OTHER, Command::ManufacturerReset(tok));
    assert!(matches!(
        out.reply.as_ref().unwrap().result,
        Ok(ReplyData::FactoryReset(_))
    ));
    assert_reset_output(&r, &out, ResetTrigger::Manufacturer);
    assert_wiped(&mut r, counter);
}

#[test]
fn manufacturer_token_checks_signature_serial_nonce_expiry() {
    let mut r = populated();
    let before = snapshot(&r.lock);
    // Wrong key.
    let n = nonce(&mut r);
    let bad = sign_manufacturer_token(&[8; 32], "TMB-0001", n, T0_UTC + 3600);
    assert_eq!(
        r.admin(Command::ManufacturerReset(bad)),
        Err(CommandError::BadSignature)
    );
    // The nonce was consumed by that attempt: a good token for it now fails.
    let good_old = sign_manufacturer_token(&MFR_SEED, "TMB-0001", n, T0_UTC + 3600);
    assert_eq!(
        r.admin(Command::ManufacturerReset(good_old)),
        Err(CommandError::BadNonce)
    );
    // Wrong serial.
    let n = nonce(&mut r);
    let t = sign_manufacturer_token(&MFR_SEED, "TMB-9999", n, T0_UTC + 3600);
    assert_eq!(
        r.admin(Command::ManufacturerReset(t)),
        Err(CommandError::BadSignature)
    );
    // Nonce the lock never issued.
    let _ = nonce(&mut r);
    let t = sign_manufacturer_token(&MFR_SEED, "TMB-0001", [9; 16], T0_UTC + 3600);
    assert_eq!(
        r.admin(Command::ManufacturerReset(t)),
        Err(CommandError::BadNonce)
    );
    // Expired.
    let n = nonce(&mut r);
    let t = sign_manufacturer_token(&MFR_SEED, "TMB-0001", n, T0_UTC - 1);
    assert_eq!(
        r.admin(Command::ManufacturerReset(t)),
        Err(CommandError::TokenExpired)
    );
    // A stale nonce (older than its validity).
    let n = nonce(&mut r);
    r.advance(config::NONCE_VALID_MS + 1);
    let t = sign_manufacturer_token(&MFR_SEED, "TMB-0001", n, T0_UTC + 99_999);
    assert_eq!(
        r.admin(Command::ManufacturerReset(t)),
        Err(CommandError::BadNonce)
    );
    // A nonce does not survive a reboot.
    let n = nonce(&mut r);
    r.reboot_and_boot();
    let t = sign_manufacturer_token(&MFR_SEED, "TMB-0001", n, T0_UTC + 99_999);
    assert_eq!(
        r.admin(Command::ManufacturerReset(t)),
        Err(CommandError::BadNonce)
    );
    assert_eq!(snapshot(&r.lock), before);
    assert_eq!(r.lock.reset_counter(), 0);
}

#[test]
fn low_battery_refuses_every_factory_reset_and_changes_nothing() {
    let mut r = populated();
    let out = r.step(Input::Battery(10));
    assert!(out.events.contains(&Event::Alarm(AlarmCode::LowBattery)));
    let before = snapshot(&r.lock);
    let items_before = r.items.clone();
    let log_len = r.log.len();
    let refused = |out: &Output, trigger| {
        assert!(out.persist.reset.is_none());
        assert!(out
            .persist
            .items
            .iter()
            .all(|k| matches!(k, ItemKey::Controller(_))));
        assert!(out.events.contains(&Event::ResetRefused {
            trigger,
            reason: ResetRefusal::LowBattery
        }));
    };
    // Button.
    r.step(Input::ResetButtonDown);
    r.now = r.now.later(12_000);
    let out = r.step(Input::ResetButtonUp);
    refused(&out, ResetTrigger::Button);
    assert_eq!(out.signal, Some(Signal::ResetRefusedLowBattery));
    assert_eq!(
        out.signal.unwrap().describe(),
        "three short beeps, red: battery too low for factory reset"
    );
    // Keypad.
    let out = r.type_keys("2580*999");
    refused(&out, ResetTrigger::Keypad);
    // App.
    let out = r.cmd_out(ADMIN, Command::FactoryReset);
    refused(&out, ResetTrigger::App);
    assert_eq!(out.reply.unwrap().result, Err(CommandError::BatteryTooLow));
    // Manufacturer.
    let n = nonce(&mut r);
    let t = sign_manufacturer_token(&MFR_SEED, "TMB-0001", n, T0_UTC + 3600);
    let out = r.cmd_out(ADMIN, Command::ManufacturerReset(t));
    refused(&out, ResetTrigger::Manufacturer);
    assert_eq!(snapshot(&r.lock), before);
    assert_eq!(r.lock.reset_counter(), 0);
    // Only controller replay counters changed in the store; no log record for refusals.
    let changed: Vec<_> = r
        .items
        .iter()
        .filter(|(k, v)| items_before.get(k) != Some(v))
        .map(|(k, _)| *k)
        .collect();
    assert!(
        changed
            .iter()
            .all(|k| matches!(ItemKey::from_u32(*k), Some(ItemKey::Controller(_)))),
        "{changed:?}"
    );
    assert_eq!(r.log.len(), log_len);
    assert!(r.pin_opens("9713"));
}

#[test]
fn presses_during_boot_are_ignored() {
    let mut r = populated();
    let before = snapshot(&r.lock);
    r.reboot(); // now inside the boot window
    r.step(Input::ResetButtonDown);
    r.now = r.now.later(BOOT_MS - 100);
    let out = r.step(Input::ResetButtonUp);
    assert!(out.persist.reset.is_none() && !out.reboot);
    // A long hold that started during boot is ignored too.
    r.reboot();
    r.step(Input::ResetButtonDown);
    r.advance(15_000);
    let out = r.step(Input::ResetButtonUp);
    assert!(out.persist.reset.is_none() && !out.reboot);
    // Keypad presses during boot are ignored.
    r.reboot();
    let out = r.type_keys("9713");
    assert!(!Rig::opened(&out));
    assert_eq!(snapshot(&r.lock), before);
    r.advance(BOOT_MS);
    assert!(r.pin_opens("9713"));
}

#[test]
fn factory_reset_rotates_operational_keys_and_pin_secret() {
    let mut r = populated();
    let op_before = r.lock.operational_public_key();
    let mut buf = [0u8; MAX_ITEM_SIZE];
    let n = r
        .lock
        .encode_item(ItemKey::Keys, &mut buf)
        .unwrap()
        .unwrap();
    let keys_before = buf[..n].to_vec();
    r.cmd(ADMIN, Command::FactoryReset).unwrap();
    assert_ne!(r.lock.operational_public_key(), op_before);
    let n = r
        .lock
        .encode_item(ItemKey::Keys, &mut buf)
        .unwrap()
        .unwrap();
    assert_ne!(buf[..n].to_vec(), keys_before);
    // Re-pair and re-enrol the same PIN: it works, under the new secret.
    r.step(Input::PairFirstAdmin {
        pubkey: ADMIN_KEY,
        label: label("hub"),
    });
    r.counters.clear();
    r.add_pin_user(1, UserType::Unrestricted, "9713");
    assert!(r.pin_opens("9713"));
}

#[test]
fn reset_record_seals_the_old_log_chain() {
    let mut r = populated();
    let (next_seq, head, _) = r.lock.audit_state();
    let out = r.cmd_out(ADMIN, Command::FactoryReset);
    let rec = out.persist.reset.unwrap();
    assert_eq!(rec.record.next_seq, next_seq);
    assert_eq!(rec.record.old_chain_head, head);
    assert_eq!(rec.record.utc_s, r.now.utc_s);
    // Tampering breaks the signature.
    let mut t = rec;
    t.record.next_seq += 1;
    assert!(!t.verify(&r.lock.identity_public_key()));
    // Encodes and decodes.
    let mut buf = [0u8; reset::MAX_RESET_RECORD];
    let n = rec.encode(&mut buf).unwrap();
    assert_eq!(SealedResetRecord::decode(&buf[..n]), Some(rec));
}

#[test]
fn self_check_after_reset_is_signed_and_clean() {
    let mut r = populated();
    let before = r.lock.self_check(r.now, [1; 16]);
    assert!(before.verify(&r.lock.identity_public_key()));
    assert!(!before.is_clean());
    r.cmd(ADMIN, Command::FactoryReset).unwrap();
    // The new owner claims it and asks for the proof.
    r.step(Input::PairFirstAdmin {
        pubkey: [0xC3; 32],
        label: label("new"),
    });
    let rep = match r.cmd(ControllerId(1), Command::SelfCheck { nonce: [5; 16] }) {
        Ok(ReplyData::SelfCheck(s)) => s,
        other => panic!("{other:?}"),
    };
    assert!(rep.verify(&r.lock.identity_public_key()));
    assert_eq!(rep.body.nonce, [5; 16]);
    assert_eq!(rep.body.users, 0);
    assert_eq!(rep.body.credentials, 0);
    assert_eq!(rep.body.controllers, 1); // the claimer itself
                                         // Directly after the reset (before claiming), the report is clean.
    let mut r2 = populated();
    r2.cmd(ADMIN, Command::FactoryReset).unwrap();
    let s = r2.lock.self_check(r2.now, [0; 16]);
    assert!(s.is_clean(), "{s:?}");
    let mut forged = s.clone();
    forged.body.users = 0;
    forged.body.setup_mode = false;
    assert!(!forged.verify(&r2.lock.identity_public_key()));
}

#[test]
fn setup_mode_secure_default_opens_nothing_and_claims_by_pairing_or_keypad() {
    let mut r = Rig::new();
    assert!(r.lock.is_setup_mode());
    assert!(!r.pin_opens("123456"));
    // Keypad enrolment after the interior program button.
    let out = r.step(Input::ProgramButton);
    assert_eq!(out.signal, Some(Signal::ProgramMode));
    let out = r.type_keys("4826");
    assert_eq!(out.signal, Some(Signal::Enrolled));
    assert!(!r.lock.is_setup_mode());
    assert_eq!(r.lock.user(1).unwrap().fields.user_type, UserType::Admin);
    assert!(r.pin_opens("4826"));
    // PairFirstAdmin is refused once claimed.
    let out = r.step(Input::PairFirstAdmin {
        pubkey: ADMIN_KEY,
        label: label("x"),
    });
    assert_eq!(out.reply.unwrap().result, Err(CommandError::NotInSetupMode));
}

#[test]
fn setup_mode_compat_policy_default_pin_opens_until_first_admin_and_warns() {
    let mut r = populated();
    // Secure by default: after a reset the default PIN opens nothing.
    assert_eq!(r.lock.settings().setup_policy, SetupPolicy::Secure);
    r.admin(Command::SetSetting(Setting::SetupPolicy(
        SetupPolicy::CompatDefaultPin,
    )))
    .unwrap();
    // While claimed, the default PIN does nothing (and counts as wrong).
    assert!(!r.pin_opens("123456"));
    r.admin(Command::FactoryReset).unwrap();
    assert_eq!(
        r.lock.settings().setup_policy,
        SetupPolicy::CompatDefaultPin
    );
    let out = r.type_keys("123456");
    assert!(Rig::opened(&out));
    assert!(out.events.contains(&Event::DefaultPinWarning));
    assert_eq!(out.signal, Some(Signal::DefaultPinWarning));
    r.relock();
    // Enrol the first admin at the keypad: the default PIN stops working.
    r.step(Input::ProgramButton);
    assert_eq!(r.type_keys("4826").signal, Some(Signal::Enrolled));
    assert!(!r.pin_opens("123456"));
    assert!(r.pin_opens("4826"));
}

#[test]
fn secure_setup_mode_ignores_default_pin_after_reset() {
    let mut r = populated();
    r.admin(Command::FactoryReset).unwrap();
    assert!(!r.pin_opens("123456"));
}
