//! Settings: loosened only at the door (keypad admin menu), tightened from anywhere,
//! several changed at once all or nothing, one-touch locking as a setting.

use crate::harness::*;
use tumbler_lock::settings::Volume;
use tumbler_lock::*;

#[test]
fn app_cannot_loosen_door_only_guards_but_the_keypad_menu_can() {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::Admin, "5173");
    // Tightening from the app is fine.
    for s in [
        Setting::AppResetAllowed(false),
        Setting::LocalProgramming(false),
        Setting::RequirePinForRemote(true),
    ] {
        r.admin(Command::SetSetting(s)).unwrap();
    }
    // Loosening from the app is refused, nothing changed.
    let before = *r.lock.settings();
    for s in [
        Setting::AppResetAllowed(true),
        Setting::LocalProgramming(true),
        Setting::RequirePinForRemote(false),
    ] {
        assert_eq!(
            r.admin(Command::SetSetting(s)),
            Err(CommandError::OnlyAtTheDoor),
            "{s:?}"
        );
    }
    let mut want = before;
    want.app_reset_allowed = true;
    want.auto_relock_s = 5;
    assert_eq!(
        r.admin(Command::SetSettings(want)),
        Err(CommandError::OnlyAtTheDoor)
    );
    assert_eq!(*r.lock.settings(), before, "all or nothing");
    // Keypad programming is off: the outside menu is refused, even with the admin PIN.
    assert_eq!(r.type_keys("5173*81").signal, Some(Signal::Denied));
    assert!(!r.lock.settings().app_reset_allowed);
    // Inside: program button, then the menu.
    r.step(Input::ProgramButton);
    assert_eq!(r.type_keys("5173*91").signal, Some(Signal::SettingChanged));
    assert!(r.lock.settings().local_programming);
    // Now from outside too; a wrong admin PIN changes nothing.
    assert_ne!(r.type_keys("9999*81").signal, Some(Signal::SettingChanged));
    assert!(!r.lock.settings().app_reset_allowed);
    assert_eq!(r.type_keys("5173*81").signal, Some(Signal::SettingChanged));
    assert_eq!(r.type_keys("5173*70").signal, Some(Signal::SettingChanged));
    let s = r.lock.settings();
    assert!(s.app_reset_allowed && !s.require_pin_for_remote);
    // A non-admin PIN opens no menu.
    r.add_pin_user(2, UserType::Unrestricted, "2468");
    assert_ne!(r.type_keys("2468*80").signal, Some(Signal::SettingChanged));
    assert!(r.lock.settings().app_reset_allowed);
    // The settings survive a reboot.
    r.reboot_and_boot();
    assert!(r.lock.settings().app_reset_allowed);
}

#[test]
fn several_settings_at_once_all_or_nothing() {
    let mut r = Rig::claimed();
    let mut want = *r.lock.settings();
    want.auto_relock_s = 60;
    want.volume = Volume::Low;
    want.one_touch_locking = false;
    want.status_led = false;
    r.admin(Command::SetSettings(want)).unwrap();
    assert_eq!(*r.lock.settings(), want);
    let mut bad = want;
    bad.auto_relock_s = 10;
    bad.wrong_code_limit = 0;
    assert_eq!(
        r.admin(Command::SetSettings(bad)),
        Err(CommandError::BadSetting)
    );
    assert_eq!(*r.lock.settings(), want);
}

#[test]
fn one_touch_locking_is_a_setting() {
    let mut r = Rig::claimed();
    r.add_pin_user(2, UserType::Unrestricted, "2468");
    assert!(r.pin_opens("2468"));
    r.type_keys("2468");
    assert_eq!(r.lock.bolt(), BoltState::Unlocked);
    assert_eq!(r.type_keys("").motor, Some(MotorCommand::Lock));
    r.admin(Command::SetSetting(Setting::OneTouchLocking(false)))
        .unwrap();
    r.relock();
    r.type_keys("2468");
    assert_eq!(r.lock.bolt(), BoltState::Unlocked);
    assert_eq!(r.type_keys("").motor, None);
}

#[test]
fn settings_stored_before_one_touch_and_led_survive_the_update() {
    let mut r = Rig::claimed();
    r.admin(Command::SetSetting(Setting::AutoRelockS(77)))
        .unwrap();
    r.admin(Command::SetSetting(Setting::OneTouchLocking(false)))
        .unwrap();
    // The old layout is the new one without the two trailing booleans.
    let key = persist::ItemKey::Settings.to_u32();
    let item = r.items.get_mut(&key).unwrap();
    item.truncate(item.len() - 2);
    r.reboot_and_boot();
    let s = r.lock.settings();
    assert_eq!(s.auto_relock_s, 77);
    assert!(
        s.one_touch_locking && s.status_led,
        "defaults for the new settings"
    );
}
