//! Time zones: IANA zone → lock time rule; the rule's evaluation matches jiff around
//! every transition and across the year.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use tumbler_control::proto::*;
use tumbler_control::{rule_offset_minutes, time_rule_for, TzError};

fn t(month: u8, week: u8, weekday: u8, minute: u16) -> Transition {
    Transition {
        month,
        week,
        weekday,
        minute,
    }
}

fn year_bounds(year: i16) -> (i64, i64) {
    let start = jiff::civil::date(year, 1, 1)
        .to_zoned(TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second();
    let end = jiff::civil::date(year + 1, 1, 1)
        .to_zoned(TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second();
    (start, end)
}

/// The rule agrees with jiff one second before, at and after every transition of the
/// year, and every 3 hours through it.
fn assert_matches_jiff(zone: &str, year: i16) {
    let rule = time_rule_for(zone, year).unwrap();
    let tz = TimeZone::get(zone).unwrap();
    let (start, end) = year_bounds(year);
    let jiff_min = |s: i64| tz.to_offset(Timestamp::from_second(s).unwrap()).seconds() / 60;
    let mut instants: Vec<i64> = (start..end).step_by(3 * 3600).collect();
    for tr in tz.following(Timestamp::from_second(start).unwrap()) {
        let at = tr.timestamp().as_second();
        if at >= end {
            break;
        }
        instants.extend([at - 3600, at - 1, at, at + 1, at + 3600]);
    }
    for s in instants {
        assert_eq!(
            rule_offset_minutes(&rule, s),
            Some(jiff_min(s)),
            "{zone} {year} at {}",
            Timestamp::from_second(s).unwrap()
        );
    }
}

#[test]
fn europe_paris() {
    let rule = time_rule_for("Europe/Paris", 2026).unwrap();
    assert_eq!(
        rule,
        TimeRule {
            std_offset_minutes: 60,
            dst: Some(DstRule {
                save_minutes: 60,
                start: t(3, 5, 0, 120),
                end: t(10, 5, 0, 180),
            }),
        }
    );
    assert_matches_jiff("Europe/Paris", 2026);
    // A rule derived from one year holds for the following ones.
    let (s, e) = year_bounds(2027);
    let tz = TimeZone::get("Europe/Paris").unwrap();
    for x in (s..e).step_by(3600) {
        let want = tz.to_offset(Timestamp::from_second(x).unwrap()).seconds() / 60;
        assert_eq!(rule_offset_minutes(&rule, x), Some(want));
    }
}

#[test]
fn america_new_york() {
    let rule = time_rule_for("America/New_York", 2026).unwrap();
    assert_eq!(
        rule,
        TimeRule {
            std_offset_minutes: -300,
            dst: Some(DstRule {
                save_minutes: 60,
                start: t(3, 2, 0, 120),
                end: t(11, 1, 0, 120),
            }),
        }
    );
    assert_matches_jiff("America/New_York", 2026);
}

#[test]
fn australia_sydney_southern_hemisphere() {
    let rule = time_rule_for("Australia/Sydney", 2026).unwrap();
    assert_eq!(
        rule,
        TimeRule {
            std_offset_minutes: 600,
            dst: Some(DstRule {
                save_minutes: 60,
                start: t(10, 1, 0, 120),
                end: t(4, 1, 0, 180),
            }),
        }
    );
    assert_matches_jiff("Australia/Sydney", 2026);
}

#[test]
fn asia_kolkata_fixed_offset() {
    assert_eq!(
        time_rule_for("Asia/Kolkata", 2026).unwrap(),
        TimeRule {
            std_offset_minutes: 330,
            dst: None
        }
    );
    assert_matches_jiff("Asia/Kolkata", 2026);
    assert_eq!(
        time_rule_for("UTC", 2026).unwrap(),
        TimeRule {
            std_offset_minutes: 0,
            dst: None
        }
    );
}

#[test]
fn more_zones_round_trip() {
    for zone in [
        "Europe/London",
        "America/Los_Angeles",
        "Pacific/Auckland",
        "America/Santiago",
    ] {
        assert_matches_jiff(zone, 2026);
    }
}

#[test]
fn negative_dst_is_normalised_to_a_positive_save() {
    // tzdb marks Dublin's winter as DST with a negative save; the rule uses GMT as
    // standard and IST as +60.
    let rule = time_rule_for("Europe/Dublin", 2026).unwrap();
    assert_eq!(rule.std_offset_minutes, 0);
    assert_eq!(rule.dst.unwrap().save_minutes, 60);
    assert_matches_jiff("Europe/Dublin", 2026);
}

#[test]
fn a_year_with_a_rule_change_is_irregular() {
    // Moscow moved to permanent UTC+4 in March 2011: one transition that year.
    assert_eq!(
        time_rule_for("Europe/Moscow", 2011),
        Err(TzError::Irregular { transitions: 1 })
    );
    assert_matches_jiff("Europe/Moscow", 2026);
}

#[test]
fn ramadan_shifted_zone_is_exact_for_the_year_asked() {
    // Morocco drops to UTC+0 during Ramadan, which moves every year: the rule read
    // from 2026 is exact for 2026 only (hence: re-send the rule every year).
    assert_matches_jiff("Africa/Casablanca", 2026);
}

#[test]
fn errors() {
    assert_eq!(
        time_rule_for("Mars/Olympus", 2026),
        Err(TzError::UnknownZone)
    );
    assert_eq!(
        time_rule_for("Europe/Paris", 1900),
        Err(TzError::YearOutOfRange)
    );
    // An out-of-range rule (month 13) evaluates to None instead of panicking.
    let bad = TimeRule {
        std_offset_minutes: 0,
        dst: Some(DstRule {
            save_minutes: 60,
            start: t(13, 1, 0, 0),
            end: t(10, 5, 0, 0),
        }),
    };
    assert_eq!(rule_offset_minutes(&bad, 0), None);
}

#[test]
fn error_display_is_debug() {
    // These errors print as their Debug form; the CLI and logs show that text.
    use tumbler_control::{
        BindingError, ClaimError, IssueError, OpError, SealCommandError, UplinkError,
    };
    let cases: [(String, String); 8] = [
        (
            TzError::Irregular { transitions: 3 }.to_string(),
            "Irregular { transitions: 3 }".into(),
        ),
        (TzError::UnknownZone.to_string(), "UnknownZone".into()),
        (
            BindingError::UnsupportedVersion(9).to_string(),
            "UnsupportedVersion(9)".into(),
        ),
        (SealCommandError::Stale.to_string(), "Stale".into()),
        (
            ClaimError::WrongSetupCode.to_string(),
            "WrongSetupCode".into(),
        ),
        (
            IssueError::TtlOutOfRange.to_string(),
            "TtlOutOfRange".into(),
        ),
        (OpError::PinTooLong.to_string(), "PinTooLong".into()),
        (
            UplinkError::ForgedSelfCheck.to_string(),
            "ForgedSelfCheck".into(),
        ),
    ];
    for (shown, expected) in cases {
        assert_eq!(shown, expected);
    }
}
