//! Time zones: turn an IANA zone (jiff, bundled tzdb — works without
//! `/usr/share/zoneinfo`) into the lock's [`TimeRule`] for one year — a standard offset
//! plus a POSIX-TZ-style DST rule (`Mm.w.d/time`) — by inspecting the zone's actual
//! transitions in that year; and [`rule_offset_minutes`], the reference evaluation of a
//! rule at an instant (what the lock computes), used to check the conversion.
//!
//! Send the rule with `Command::SetTime` at least once a year (rules change; a rule
//! derived from year Y is exact for Y and for later years with the same rules).

use jiff::tz::TimeZone;
use jiff::Timestamp;
use tumbler_proto::{DstRule, TimeRule, Transition};

/// Why a zone could not be expressed as a [`TimeRule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{self:?}")]
pub enum TzError {
    /// Not a zone in the bundled tzdb.
    UnknownZone,
    /// The year is outside 1971..=9998.
    YearOutOfRange,
    /// The zone's transitions that year are not one DST start and one DST end (the
    /// zone changed its rules that year, or uses several DST periods). Try next year.
    Irregular {
        /// Transitions found in the year.
        transitions: u8,
    },
    /// An offset that is not a whole number of minutes or does not fit the rule.
    OffsetOutOfRange,
}

const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// 0 = Sunday.
fn weekday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)
}

/// Local seconds (since the epoch, in the rule's local frame) of a transition in `year`.
fn transition_local(year: i64, t: &Transition) -> Option<i64> {
    let (m, w, wd) = (i64::from(t.month), i64::from(t.week), i64::from(t.weekday));
    if !(1..=12).contains(&m) || !(1..=5).contains(&w) || !(0..=6).contains(&wd) || t.minute >= 1440
    {
        return None;
    }
    let first = days_from_civil(year, m, 1);
    let mut d = 1 + (wd - weekday(first)).rem_euclid(7) + (w - 1) * 7;
    let dim = days_in_month(year, m);
    while d > dim {
        d -= 7;
    }
    Some(days_from_civil(year, m, d) * DAY + i64::from(t.minute) * 60)
}

/// The UTC offset, in minutes, that `rule` gives at Unix second `t` — the reference
/// evaluation of what the lock computes. `None` if the rule is out of range (month,
/// week, weekday, minute).
pub fn rule_offset_minutes(rule: &TimeRule, t: i64) -> Option<i32> {
    let std_min = i32::from(rule.std_offset_minutes);
    let Some(dst) = rule.dst else {
        return Some(std_min);
    };
    let std = i64::from(rule.std_offset_minutes) * 60;
    let save = i64::from(dst.save_minutes) * 60;
    let (year, _, _) = civil_from_days((t + std).div_euclid(DAY));
    let start = transition_local(year, &dst.start)? - std;
    let end = transition_local(year, &dst.end)? - std - save;
    let in_dst = if start < end {
        start <= t && t < end
    } else {
        // Southern hemisphere: DST spans the new year.
        t >= start || t < end
    };
    Some(if in_dst {
        std_min + i32::from(dst.save_minutes)
    } else {
        std_min
    })
}

fn minutes(offset_s: i32) -> Result<i16, TzError> {
    if offset_s % 60 != 0 {
        return Err(TzError::OffsetOutOfRange);
    }
    i16::try_from(offset_s / 60).map_err(|_| TzError::OffsetOutOfRange)
}

/// A transition instant seen on the local wall clock of `offset_s`, as a POSIX rule.
fn to_transition(at: i64, offset_s: i32) -> Result<Transition, TzError> {
    let local = at + i64::from(offset_s);
    let days = local.div_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    let minute = local.rem_euclid(DAY) / 60;
    // "Last" when no later same weekday fits in the month (tzdb's usual `lastSun`).
    let week = if d + 7 > days_in_month(y, m) {
        5
    } else {
        (d - 1) / 7 + 1
    };
    let conv = |v: i64| u8::try_from(v).map_err(|_| TzError::OffsetOutOfRange);
    Ok(Transition {
        month: conv(m)?,
        week: conv(week)?,
        weekday: conv(weekday(days))?,
        minute: u16::try_from(minute).map_err(|_| TzError::OffsetOutOfRange)?,
    })
}

/// The [`TimeRule`] of IANA zone `zone` in `year`: its standard offset and, if it
/// observes DST that year, the DST start/end as POSIX-style rules read from the
/// zone's actual transitions. Zones without transitions that year give a fixed offset.
pub fn time_rule_for(zone: &str, year: i16) -> Result<TimeRule, TzError> {
    if !(1971..=9998).contains(&year) {
        return Err(TzError::YearOutOfRange);
    }
    let tz = TimeZone::get(zone).map_err(|_| TzError::UnknownZone)?;
    let y = i64::from(year);
    let from = days_from_civil(y, 1, 1) * DAY;
    let to = days_from_civil(y + 1, 1, 1) * DAY;
    let start_ts = Timestamp::from_second(from - 1).map_err(|_| TzError::YearOutOfRange)?;
    let mut found = Vec::new();
    for t in tz.following(start_ts) {
        let at = t.timestamp().as_second();
        if at >= to {
            break;
        }
        if found.len() > 4 {
            break;
        }
        found.push((at, t.offset().seconds()));
    }
    let year_start = Timestamp::from_second(from).map_err(|_| TzError::YearOutOfRange)?;
    let irregular = || TzError::Irregular {
        transitions: u8::try_from(found.len()).unwrap_or(u8::MAX),
    };
    match found.as_slice() {
        [] => Ok(TimeRule {
            std_offset_minutes: minutes(tz.to_offset(year_start).seconds())?,
            dst: None,
        }),
        [a, b] => {
            // Standard time is the lower offset and "DST" the higher one, whatever the
            // tzdb's `isdst` flags say (Europe/Dublin marks its *winter* as DST with a
            // negative save); the lock's rule always has a positive save.
            let (into, out) = match a.1.cmp(&b.1) {
                core::cmp::Ordering::Greater => (a, b),
                core::cmp::Ordering::Less => (b, a),
                core::cmp::Ordering::Equal => return Err(irregular()),
            };
            // The rule must repeat: the year starts in the state its last transition
            // leaves it in.
            if tz.to_offset(year_start).seconds() != b.1 {
                return Err(irregular());
            }
            let (std_s, dst_s) = (out.1, into.1);
            let std = minutes(std_s)?;
            let save = minutes(dst_s - std_s)?;
            Ok(TimeRule {
                std_offset_minutes: std,
                dst: Some(DstRule {
                    save_minutes: save,
                    start: to_transition(into.0, std_s)?,
                    end: to_transition(out.0, dst_s)?,
                }),
            })
        }
        _ => Err(irregular()),
    }
}
