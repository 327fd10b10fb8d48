//! Offline codes at the keypad of a lock the hub gave a secret: a code
//! opens only inside its window (daily windows in local time across a DST
//! change), a one-time code opens once, the hub's deny list and a new epoch
//! revoke, wrong codes count toward the lockout, the audit names the code,
//! and a factory reset erases the secret.

use crate::harness::*;
use tumbler_lock::offline::{OfflineCodes, Secret};
use tumbler_lock::*;
use tumbler_offline::{issue, Shape, Window};

const SECRET: [u8; 32] = [0x0c; 32];

fn rig(epoch: u32) -> Rig {
    let mut r = Rig::claimed();
    r.add_pin_user(1, UserType::Unrestricted, "9713");
    r.admin(Command::SetOfflineCodes(Some(OfflineCodes {
        secret: Secret(SECRET),
        epoch,
    })))
    .unwrap();
    r
}

fn code(epoch: u32, w: Window) -> String {
    issue(&Secret(SECRET), epoch, &w)
        .unwrap()
        .as_str()
        .to_string()
}

fn hour(r: &Rig) -> u32 {
    (r.now.utc_s.unwrap() / 3600) as u32
}

/// Moves the real-time clock to `utc_s` (the monotonic clock goes on).
fn at(r: &mut Rig, utc_s: i64) {
    r.now = Now::new(r.now.mono_ms + 1000, utc_s);
}

/// Types `c`; whether it opened, and who the audit record names.
fn try_code(r: &mut Rig, c: &str) -> (bool, Option<Who>) {
    let out = r.type_keys(c);
    let who = out.audit.as_ref().map(|a| a.who);
    let opened = Rig::opened(&out);
    r.relock();
    (opened, who)
}

fn id(w: Window) -> u64 {
    w.id().unwrap().0
}

#[test]
fn a_period_code_opens_inside_its_window_only_and_the_audit_names_it() {
    let mut r = rig(1);
    let h = hour(&r) + 2;
    let w = Window {
        shape: Shape::Hours { hours: 3 },
        start: h,
    };
    let c = code(1, w);
    let base = i64::from(h) * 3600;
    at(&mut r, base - 1);
    assert_eq!(
        try_code(&mut r, &c),
        (false, Some(Who::Nobody)),
        "a second early"
    );
    at(&mut r, base);
    assert_eq!(try_code(&mut r, &c), (true, Some(Who::OfflineCode(id(w)))));
    at(&mut r, base + 3 * 3600 - 1);
    assert!(try_code(&mut r, &c).0, "last second");
    assert!(try_code(&mut r, &c).0, "a period code opens again");
    at(&mut r, base + 3 * 3600);
    assert!(!try_code(&mut r, &c).0, "over");
    // The PIN still goes first.
    assert!(r.pin_opens("9713"));
}

#[test]
fn a_daily_window_follows_local_time_across_the_dst_change() {
    let mut r = rig(1);
    r.admin(Command::SetTimeRule(TzRule::central_europe()))
        .unwrap();
    // 09:00-12:00 Paris time every day, 2026-03-28 .. 2026-03-30; DST starts
    // on Sunday 29 March at 01:00 UTC (CET +1 -> CEST +2).
    let day = time::days_from_civil(2026, 3, 28);
    let w = Window {
        shape: Shape::Daily {
            days: 3,
            from_h: 9,
            to_h: 12,
        },
        start: day as u32,
    };
    let c = code(1, w);
    let utc = |d: i64, h: i64, m: i64| (day + d) * 86_400 + h * 3600 + m * 60;
    // Saturday, CET: 08:00 UTC = 09:00 local opens, 11:00 UTC = 12:00 closed.
    at(&mut r, utc(0, 7, 59));
    assert!(!try_code(&mut r, &c).0, "08:59 CET");
    at(&mut r, utc(0, 8, 0));
    assert!(try_code(&mut r, &c).0, "09:00 CET");
    at(&mut r, utc(0, 10, 59));
    assert!(try_code(&mut r, &c).0, "11:59 CET");
    // Monday, CEST: 07:00 UTC is already 09:00 local; 10:30 UTC is 12:30.
    at(&mut r, utc(2, 7, 0));
    assert!(try_code(&mut r, &c).0, "09:00 CEST = 07:00 UTC");
    at(&mut r, utc(2, 10, 30));
    assert!(
        !try_code(&mut r, &c).0,
        "12:30 CEST = 10:30 UTC (would be 11:30 without DST)"
    );
    // Tuesday: the run is over.
    at(&mut r, utc(3, 8, 0));
    assert!(!try_code(&mut r, &c).0, "day 4");
}

#[test]
fn a_one_time_code_opens_once_even_across_a_power_cut() {
    let mut r = rig(1);
    let w = Window {
        shape: Shape::OneTime { hours: 4 },
        start: hour(&r),
    };
    let c = code(1, w);
    assert_eq!(try_code(&mut r, &c), (true, Some(Who::OfflineCode(id(w)))));
    r.reboot_and_boot();
    assert_eq!(
        try_code(&mut r, &c),
        (false, Some(Who::OfflineCode(id(w)))),
        "used: refused, and the refusal names it"
    );
    // Another one-time code of another window still opens.
    let w2 = Window {
        shape: Shape::OneTime { hours: 5 },
        start: hour(&r),
    };
    assert!(try_code(&mut r, &code(1, w2)).0);
}

#[test]
fn the_deny_list_refuses_one_code_and_a_new_epoch_all_of_them() {
    let mut r = rig(1);
    let h = hour(&r);
    let a = Window {
        shape: Shape::Days { days: 3, at_h: 0 },
        start: h / 24,
    };
    let b = Window {
        shape: Shape::Hours { hours: 12 },
        start: h,
    };
    let (ca, cb) = (code(1, a), code(1, b));
    assert!(try_code(&mut r, &ca).0);
    r.admin(Command::DenyOfflineCode { id: id(a) }).unwrap();
    assert_eq!(r.lock.denied_offline_codes(), &[id(a)]);
    assert_eq!(
        try_code(&mut r, &ca),
        (false, Some(Who::OfflineCode(id(a))))
    );
    assert!(try_code(&mut r, &cb).0, "the other code is untouched");
    r.reboot_and_boot();
    assert!(
        !try_code(&mut r, &ca).0,
        "the deny list survives a power cut"
    );
    // Not an id of any form: refused, nothing stored.
    assert_eq!(
        r.admin(Command::DenyOfflineCode { id: 0 }),
        Err(CommandError::BadCredential)
    );
    // The same configuration again keeps the deny list.
    r.admin(Command::SetOfflineCodes(Some(OfflineCodes {
        secret: Secret(SECRET),
        epoch: 1,
    })))
    .unwrap();
    assert!(!try_code(&mut r, &ca).0);
    // Epoch 2: every epoch-1 code is dead, epoch-2 codes open.
    r.admin(Command::SetOfflineCodes(Some(OfflineCodes {
        secret: Secret(SECRET),
        epoch: 2,
    })))
    .unwrap();
    assert!(!try_code(&mut r, &cb).0);
    assert!(try_code(&mut r, &code(2, b)).0);
    assert!(r.lock.denied_offline_codes().is_empty());
}

#[test]
fn the_deny_list_is_bounded_and_forgets_codes_whose_window_is_over() {
    let mut r = rig(1);
    let h = hour(&r);
    for k in 0..16u8 {
        let w = Window {
            shape: Shape::Hours { hours: 1 + k },
            start: h,
        };
        r.admin(Command::DenyOfflineCode { id: id(w) }).unwrap();
    }
    let more = Window {
        shape: Shape::Hours { hours: 24 },
        start: h,
    };
    assert_eq!(
        r.admin(Command::DenyOfflineCode { id: id(more) }),
        Err(CommandError::CapacityFull)
    );
    // Two hours on, the 1- and 2-hour codes are over: room again.
    r.advance(2 * 3600 * 1000);
    r.admin(Command::DenyOfflineCode { id: id(more) }).unwrap();
    assert_eq!(r.lock.denied_offline_codes().len(), 15);
}

#[test]
fn wrong_offline_codes_count_toward_the_lockout() {
    let mut r = rig(1);
    let w = Window {
        shape: Shape::Hours { hours: 6 },
        start: hour(&r),
    };
    let good = code(1, w);
    // Right form, wrong tag; and a form of no window.
    let mut wrong = good.clone().into_bytes();
    wrong[9] = if wrong[9] == b'9' { b'0' } else { wrong[9] + 1 };
    let wrong = String::from_utf8(wrong).unwrap();
    for _ in 0..4 {
        assert!(!try_code(&mut r, &wrong).0);
    }
    let out = r.type_keys("9999000000");
    assert!(out
        .events
        .contains(&Event::Alarm(AlarmCode::WrongCodeEntryLimit)));
    assert_eq!(r.lock.lockout_remaining_ms(r.now), 60_000);
    assert!(
        !try_code(&mut r, &good).0,
        "locked out: the right code waits too"
    );
    r.advance(60_000);
    assert!(try_code(&mut r, &good).0);
}

#[test]
fn no_clock_no_offline_code_and_privacy_keeps_it_out() {
    let mut r = rig(1);
    let w = Window {
        shape: Shape::Hours { hours: 6 },
        start: hour(&r),
    };
    let c = code(1, w);
    r.now = Now::mono_only(r.now.mono_ms + 1000);
    assert!(!try_code(&mut r, &c).0, "no clock: fail closed");
    at(&mut r, i64::from(w.start) * 3600 + 60);
    r.admin(Command::SetOperatingMode(OperatingMode::Privacy))
        .unwrap();
    assert!(!try_code(&mut r, &c).0, "privacy");
    r.admin(Command::SetOperatingMode(OperatingMode::Normal))
        .unwrap();
    assert!(try_code(&mut r, &c).0);
}

#[test]
fn a_factory_reset_erases_the_secret() {
    let mut r = rig(1);
    let w = Window {
        shape: Shape::Hours { hours: 6 },
        start: hour(&r),
    };
    let c = code(1, w);
    assert!(r.lock.offline_codes().is_some());
    r.cmd_out(ADMIN, Command::FactoryReset);
    r.reboot_and_boot();
    assert!(r.lock.offline_codes().is_none(), "erased by the reset");
    let stored = r.items.get(&ItemKey::Offline.to_u32());
    assert!(
        stored.is_none_or(|b| !b.windows(32).any(|w| w == SECRET)),
        "not on flash"
    );
    assert!(!try_code(&mut r, &c).0);
}

#[test]
fn the_secret_survives_a_power_cut_and_never_shows_in_debug() {
    let mut r = rig(7);
    r.reboot_and_boot();
    let cfg = r.lock.offline_codes().unwrap();
    assert_eq!(cfg.epoch, 7);
    assert!(!format!("{cfg:?}").contains("12, 12"), "{cfg:?}");
    let w = Window {
        shape: Shape::Hours { hours: 1 },
        start: hour(&r),
    };
    assert!(try_code(&mut r, &code(7, w)).0);
}

#[test]
fn the_widest_offline_audit_record_fits() {
    let rec = AuditRecord {
        seq: u32::MAX,
        prev: [0xff; 32],
        who: Who::OfflineCode(u64::MAX),
        what: What::Unlock,
        how: Source::Keypad,
        result: AuditResult::Denied(OpError::InvalidCredential),
        mono_ms: u64::MAX,
        utc_s: Some(i64::MIN),
    };
    let mut buf = [0u8; audit::MAX_AUDIT_RECORD];
    let n = rec.encode(&mut buf).unwrap();
    assert_eq!(AuditRecord::decode(&buf[..n]), Ok(rec));
}
