//! Time-zone rules, DST transitions and schedules in local time.

use crate::harness::*;
use tumbler_lock::output::OpError;
use tumbler_lock::schedule::{HolidaySchedule, WeekDaySchedule, WEEKDAYS};
use tumbler_lock::time::{civil_from_days, days_from_civil, weekday_of_days};
use tumbler_lock::*;

fn utc(y: i64, m: u8, d: u8, h: i64, min: i64) -> i64 {
    days_from_civil(y, m, d) * 86_400 + h * 3600 + min * 60
}

#[test]
fn civil_calendar_round_trips() {
    for d in [-1_000_000i64, -1, 0, 1, 19_000, 20_000, 2_000_000] {
        let (y, m, dd) = civil_from_days(d);
        assert_eq!(days_from_civil(y, m, dd), d);
    }
    assert_eq!(weekday_of_days(0), 4); // 1970-01-01 Thursday
    assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
}

#[test]
fn paris_offsets_across_both_transitions() {
    let tz = TzRule::central_europe();
    // 2026: last Sunday of March is the 29th, of October the 25th; 01:00 UTC.
    assert_eq!(tz.offset_min(utc(2026, 3, 29, 0, 59)), 60);
    assert_eq!(tz.offset_min(utc(2026, 3, 29, 1, 0)), 120);
    assert_eq!(tz.offset_min(utc(2026, 10, 25, 0, 59)), 120);
    assert_eq!(tz.offset_min(utc(2026, 10, 25, 1, 0)), 60);
    assert_eq!(tz.offset_min(utc(2026, 1, 15, 12, 0)), 60);
    assert_eq!(tz.offset_min(utc(2026, 7, 15, 12, 0)), 120);
    // Local wall clock jumps 02:00 -> 03:00.
    assert_eq!(tz.local(utc(2026, 3, 29, 0, 59)).minute_of_day, 60 + 59);
    assert_eq!(tz.local(utc(2026, 3, 29, 1, 0)).minute_of_day, 3 * 60);
}

#[test]
fn us_eastern_offsets_across_both_transitions() {
    let tz = TzRule::us(-300);
    // 2026: second Sunday of March is the 8th; first Sunday of November the 1st.
    // 02:00 EST = 07:00 UTC; 02:00 EDT = 06:00 UTC.
    assert_eq!(tz.offset_min(utc(2026, 3, 8, 6, 59)), -300);
    assert_eq!(tz.offset_min(utc(2026, 3, 8, 7, 0)), -240);
    assert_eq!(tz.offset_min(utc(2026, 11, 1, 5, 59)), -240);
    assert_eq!(tz.offset_min(utc(2026, 11, 1, 6, 0)), -300);
    assert_eq!(tz.local(utc(2026, 3, 8, 7, 0)).minute_of_day, 3 * 60);
    assert_eq!(tz.local(utc(2026, 11, 1, 6, 0)).minute_of_day, 60);
}

#[test]
fn southern_hemisphere_rule() {
    // Sydney-like: +10:00, DST from first Sunday of October to first Sunday of April (02:00/03:00 local).
    let tz = TzRule {
        std_offset_min: 600,
        dst: Some(time::DstRule {
            save_min: 60,
            start: time::Transition {
                month: 10,
                week: 1,
                weekday: 0,
                minute: 120,
                base: time::TimeBase::LocalWall,
            },
            end: time::Transition {
                month: 4,
                week: 1,
                weekday: 0,
                minute: 180,
                base: time::TimeBase::LocalWall,
            },
        }),
    };
    assert!(tz.validate().is_ok());
    assert_eq!(tz.offset_min(utc(2026, 1, 15, 0, 0)), 660);
    assert_eq!(tz.offset_min(utc(2026, 6, 15, 0, 0)), 600);
    assert_eq!(tz.offset_min(utc(2026, 12, 15, 0, 0)), 660);
}

/// A 09:00–17:00 weekday window stays 09:00–17:00 local across a DST change.
fn window_stays_local(tz: TzRule, days: [(i64, u8, u8); 2], std_off_h: i64, dst_off_h: i64) {
    let mut r = Rig::claimed();
    r.admin(Command::SetTimeRule(tz)).unwrap();
    r.admin(Command::SetUser {
        index: 2,
        fields: UserFields::new("cleaner", UserType::WeekDaySchedule),
    })
    .unwrap();
    r.admin(Command::SetCredential {
        user: 2,
        slot: 0,
        credential: NewCredential::Pin(pin("9713")),
    })
    .unwrap();
    r.admin(Command::SetWeekDaySchedule {
        user: 2,
        slot: 0,
        schedule: WeekDaySchedule {
            days: WEEKDAYS,
            start_min: 9 * 60,
            end_min: 17 * 60,
        },
    })
    .unwrap();
    for ((y, m, d), off) in days.into_iter().zip([std_off_h, dst_off_h]) {
        for (local_h, local_m, expect) in [
            (8, 59, false),
            (9, 0, true),
            (12, 0, true),
            (16, 59, true),
            (17, 0, false),
        ] {
            let t = utc(y, m, d, local_h - off, local_m);
            r.now = Now::new(r.now.mono_ms + 1_000, t);
            assert_eq!(
                r.pin_opens("9713"),
                expect,
                "{y}-{m}-{d} {local_h}:{local_m} local"
            );
        }
    }
}

#[test]
fn weekday_window_paris_winter_and_summer() {
    // Friday 2026-03-27 (CET, +1) and Monday 2026-03-30 (CEST, +2).
    window_stays_local(
        TzRule::central_europe(),
        [(2026, 3, 27), (2026, 3, 30)],
        1,
        2,
    );
    // Autumn: Friday 2026-10-23 (CEST) then Monday 2026-10-26 (CET).
    window_stays_local(
        TzRule::central_europe(),
        [(2026, 10, 26), (2026, 10, 23)],
        1,
        2,
    );
}

#[test]
fn weekday_window_us_eastern_both_transitions() {
    window_stays_local(TzRule::us(-300), [(2026, 3, 6), (2026, 3, 9)], -5, -4);
    window_stays_local(TzRule::us(-300), [(2026, 11, 2), (2026, 10, 30)], -5, -4);
}

#[test]
fn weekday_schedule_respects_days_and_unset_clock() {
    let mut r = Rig::claimed();
    r.admin(Command::SetUser {
        index: 2,
        fields: UserFields::new("w", UserType::WeekDaySchedule),
    })
    .unwrap();
    r.admin(Command::SetCredential {
        user: 2,
        slot: 0,
        credential: NewCredential::Pin(pin("9713")),
    })
    .unwrap();
    // No schedule at all: never.
    r.now = Now::new(r.now.mono_ms, utc(2026, 1, 5, 12, 0));
    assert!(!r.pin_opens("9713"));
    r.admin(Command::SetWeekDaySchedule {
        user: 2,
        slot: 0,
        schedule: WeekDaySchedule {
            days: WEEKDAYS,
            start_min: 0,
            end_min: 1440,
        },
    })
    .unwrap();
    assert!(r.pin_opens("9713")); // Monday
    r.now = Now::new(r.now.mono_ms + 1, utc(2026, 1, 4, 12, 0)); // Sunday
    let out = r.type_keys("9713");
    assert!(out.events.iter().any(|e| matches!(
        e,
        Event::LockOperationError {
            error: OpError::OutsideSchedule,
            ..
        }
    )));
    // Clock unset: schedule users fail closed, unrestricted users still open.
    r.add_pin_user(3, UserType::Unrestricted, "5173");
    r.now = Now::mono_only(r.now.mono_ms + 1);
    assert!(!r.pin_opens("9713"));
    assert!(r.pin_opens("5173"));
}

#[test]
fn year_day_schedule_window() {
    let mut r = Rig::claimed();
    r.admin(Command::SetUser {
        index: 2,
        fields: UserFields::new("guest", UserType::YearDaySchedule),
    })
    .unwrap();
    r.admin(Command::SetCredential {
        user: 2,
        slot: 0,
        credential: NewCredential::Pin(pin("9713")),
    })
    .unwrap();
    r.admin(Command::SetYearDaySchedule {
        user: 2,
        slot: 1,
        schedule: schedule::YearDaySchedule {
            from_utc: T0_UTC + 100,
            to_utc: T0_UTC + 200,
        },
    })
    .unwrap();
    for (t, expect) in [(99, false), (100, true), (199, true), (200, false)] {
        r.now = Now::new(r.now.mono_ms + 1, T0_UTC + t);
        assert_eq!(r.pin_opens("9713"), expect, "t={t}");
    }
}

#[test]
fn holiday_switches_mode_while_active() {
    let mut r = Rig::claimed();
    r.add_pin_user(2, UserType::Unrestricted, "9713");
    r.admin(Command::SetHoliday {
        slot: 0,
        schedule: HolidaySchedule {
            from_utc: T0_UTC + 3600,
            to_utc: T0_UTC + 7200,
            mode: OperatingMode::Vacation,
        },
    })
    .unwrap();
    assert!(r.pin_opens("9713"));
    let out = r.advance(3_600_000);
    assert!(out
        .events
        .contains(&Event::ModeChanged(OperatingMode::Vacation)));
    assert!(!r.pin_opens("9713"));
    let out = r.advance(3_600_000);
    assert!(out
        .events
        .contains(&Event::ModeChanged(OperatingMode::Normal)));
    assert!(r.pin_opens("9713"));
}

#[test]
fn set_time_is_an_effect_for_the_driver() {
    let mut r = Rig::claimed();
    let out = r.cmd_out(
        ADMIN,
        Command::SetTime {
            utc_s: 1_800_000_000,
        },
    );
    assert_eq!(out.set_clock, Some(1_800_000_000));
}
