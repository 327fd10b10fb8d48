//! `SetTime`'s time-zone rule reaches the lock: a week-day 09:00–17:00 schedule set through
//! proto commands (mapped by `tumbler_device::bridge`, committed through the device's glue)
//! opens at 09:30 local on both sides of a DST change, and not at 09:30 of the wrong offset.

use tumbler_device::bridge;
use tumbler_lock as l;
use tumbler_lock::{Input, Now};
use tumbler_proto as p;

use crate::harness::{pin_for, user};
use crate::power_cut::{base_image, boot, keys, Dev, Step, ADMIN, T0_UTC};

/// Central European time as the hub sends it: +1 h, DST +1 h from the last Sunday of March
/// 02:00 (standard local) to the last Sunday of October 03:00 (daylight local).
fn europe() -> p::TimeRule {
    let t = |month, minute| p::Transition {
        month,
        week: 5,
        weekday: 0,
        minute,
    };
    p::TimeRule {
        std_offset_minutes: 60,
        dst: Some(p::DstRule {
            save_minutes: 60,
            start: t(3, 120),
            end: t(10, 180),
        }),
    }
}

/// Sends one wire command through the bridge as the device does; true if the lock applied it.
fn send(d: &mut Dev, counter: u64, c: &p::Command) -> bool {
    let cmd = bridge::command(c).unwrap();
    let out = d
        .run(&Step::In(Input::Command {
            from: ADMIN,
            id: counter as u32,
            counter,
            cmd,
        }))
        .unwrap();
    matches!(out.reply, Some(l::Reply { result: Ok(_), .. }))
}

/// Whether PIN `pin` opens at UTC second `utc` (time moves forward only; the bolt relocks first).
fn opens_at(d: &mut Dev, utc: i64, pin: &str) -> bool {
    let at = d.now.utc_s.unwrap();
    assert!(utc > at, "time only moves forward");
    d.now = Now::new(d.now.mono_ms + 1_000 * (utc - at) as u64, utc);
    d.run(&Step::In(Input::Tick)).unwrap();
    d.run(&Step::In(Input::ManualTurn { locked: true }))
        .unwrap();
    let mut opened = false;
    for k in keys(pin) {
        opened |= d.run(&k).unwrap().motor == Some(l::MotorCommand::Unlock);
    }
    opened
}

const DAY: i64 = 86_400;
/// Monday 23 March 2026 00:00 UTC (winter time: CET, UTC+1).
const MON_WINTER: i64 = T0_UTC + 81 * DAY;
/// Monday 30 March 2026 00:00 UTC (the day after the change: CEST, UTC+2).
const MON_SUMMER: i64 = T0_UTC + 88 * DAY;
const H: i64 = 3_600;

#[test]
fn week_day_schedule_follows_dst_set_through_proto_set_time() {
    let mut d = boot(&base_image(), 3);
    let mut cleaner = user(3, "cleaner");
    cleaner.user_type = p::UserType::WeekDaySchedule;
    let commands = [
        p::Command::SetTime {
            now: T0_UTC as u64,
            rule: europe(),
        },
        p::Command::SetUser(cleaner),
        pin_for(3, "5739"),
        p::Command::SetWeekDaySchedule {
            user: 3,
            slot: 0,
            schedule: p::WeekDaySchedule {
                days: p::DaysMask(0b0011_1110), // Monday to Friday
                start_minute: 9 * 60,
                end_minute: 17 * 60,
            },
        },
    ];
    for (i, c) in commands.iter().enumerate() {
        assert!(send(&mut d, 10 + i as u64, c), "{c:?} refused");
    }
    assert_eq!(d.lock.time_rule(), &bridge::time_rule(&europe()));
    assert!(d.lock.time_rule().dst.is_some());

    // Winter: 09:30 CET is 08:30 UTC; 07:30 UTC is 08:30 local (too early).
    assert!(!opens_at(&mut d, MON_WINTER + 7 * H + 30 * 60, "5739"));
    assert!(opens_at(&mut d, MON_WINTER + 8 * H + 30 * 60, "5739"));
    // 16:30 UTC is 17:30 CET (too late).
    assert!(!opens_at(&mut d, MON_WINTER + 16 * H + 30 * 60, "5739"));

    // Summer: 09:30 CEST is 07:30 UTC (opens only if DST is applied); 15:30 UTC is 17:30 CEST
    // (refused only if DST is applied).
    assert!(opens_at(&mut d, MON_SUMMER + 7 * H + 30 * 60, "5739"));
    assert!(!opens_at(&mut d, MON_SUMMER + 15 * H + 30 * 60, "5739"));

    // The rule survives a reboot from flash.
    let image = crate::power_cut::image_of(&mut d);
    let mut d = boot(&image, 4);
    assert_eq!(d.lock.time_rule(), &bridge::time_rule(&europe()));
    assert!(opens_at(
        &mut d,
        MON_SUMMER + 7 * DAY + 7 * H + 30 * 60,
        "5739"
    ));
}

#[test]
fn an_invalid_time_rule_is_refused() {
    let mut d = boot(&base_image(), 5);
    let mut rule = europe();
    rule.std_offset_minutes = 20 * 60;
    let before = *d.lock.time_rule();
    assert!(!send(
        &mut d,
        10,
        &p::Command::SetTime {
            now: T0_UTC as u64,
            rule,
        }
    ));
    assert_eq!(d.lock.time_rule(), &before);
}
