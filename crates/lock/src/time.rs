//! Time as the lock sees it: [`Now`] (monotonic + UTC) and the site's
//! time-zone rule ([`TzRule`]) that turns UTC into local wall-clock time.
//!
//! The lock never reads a clock. Every input carries a [`Now`]:
//! * `mono_ms` — milliseconds on a monotonic clock that never goes backwards
//!   while powered. It may restart from 0 at power-on; the lock only uses
//!   differences measured within one power cycle (timers, hold durations) and
//!   re-arms persisted timers (the lockout) from their full length at boot, so
//!   a restart can lengthen but never shorten them.
//! * `utc_s` — seconds since the Unix epoch from the device's real-time clock,
//!   `None` while the clock has not been set. Schedules and expiry need it;
//!   without it schedule-restricted users are refused (fail closed).
//!
//! Local time comes from a [`TzRule`] the hub sets: a standard offset plus an
//! optional yearly DST rule in the POSIX-TZ style ("last Sunday of March,
//! 01:00 UTC"). The offset is computed here, no tz database needed.

use serde::{Deserialize, Serialize};

/// The time carried by every input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Now {
    /// Monotonic milliseconds (since power-on or any fixed origin).
    pub mono_ms: u64,
    /// UTC Unix seconds from the real-time clock; `None` if never set.
    pub utc_s: Option<i64>,
}

impl Now {
    /// A time with both clocks known.
    pub const fn new(mono_ms: u64, utc_s: i64) -> Self {
        Now {
            mono_ms,
            utc_s: Some(utc_s),
        }
    }
    /// A time whose real-time clock has not been set yet.
    pub const fn mono_only(mono_ms: u64) -> Self {
        Now {
            mono_ms,
            utc_s: None,
        }
    }
    /// The same instant `ms` milliseconds later on both clocks.
    pub fn later(self, ms: u64) -> Self {
        Now {
            mono_ms: self.mono_ms.saturating_add(ms),
            utc_s: self
                .utc_s
                .map(|u| u.saturating_add(i64::try_from(ms / 1000).unwrap_or(i64::MAX))),
        }
    }
}

/// What the transition minute of a [`Transition`] is measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeBase {
    /// Minutes after 00:00 UTC of the transition day (EU style: 01:00 UTC).
    Utc,
    /// Minutes after local midnight in the wall-clock time in force just
    /// before the transition (POSIX/US style: 02:00 local).
    LocalWall,
}

/// One yearly transition: the `week`-th `weekday` of `month`, at `minute`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// Month 1..=12.
    pub month: u8,
    /// Week 1..=4, or 5 meaning "last".
    pub week: u8,
    /// Day of week, 0 = Sunday .. 6 = Saturday.
    pub weekday: u8,
    /// Minutes after midnight (0..1440) in `base`.
    pub minute: u16,
    /// Whether `minute` is UTC or local wall time.
    pub base: TimeBase,
}

/// A daylight-saving rule: extra offset between `start` and `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DstRule {
    /// Extra minutes added during DST (usually 60).
    pub save_min: i16,
    /// When DST starts each year.
    pub start: Transition,
    /// When DST ends each year.
    pub end: Transition,
}

/// The site's time-zone rule, set by the hub.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TzRule {
    /// Standard-time offset from UTC in minutes (Paris +60, New York -300).
    pub std_offset_min: i16,
    /// Daylight-saving rule, if the site observes one.
    pub dst: Option<DstRule>,
}

impl Default for TzRule {
    fn default() -> Self {
        TzRule::UTC
    }
}

/// Why a [`TzRule`] was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TzRuleError {
    /// An offset beyond ±18 h or a DST save beyond ±3 h.
    OffsetOutOfRange,
    /// A month, week, weekday or minute outside its range.
    BadTransition,
}

impl TzRule {
    /// Plain UTC.
    pub const UTC: TzRule = TzRule {
        std_offset_min: 0,
        dst: None,
    };

    /// Central European rule (Paris, Berlin): +1 h, DST +1 h from the last
    /// Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC.
    pub const fn central_europe() -> TzRule {
        TzRule {
            std_offset_min: 60,
            dst: Some(DstRule {
                save_min: 60,
                start: Transition {
                    month: 3,
                    week: 5,
                    weekday: 0,
                    minute: 60,
                    base: TimeBase::Utc,
                },
                end: Transition {
                    month: 10,
                    week: 5,
                    weekday: 0,
                    minute: 60,
                    base: TimeBase::Utc,
                },
            }),
        }
    }

    /// US rule with the given standard offset (Eastern: -300): DST from the
    /// second Sunday of March 02:00 local to the first Sunday of November
    /// 02:00 local.
    pub const fn us(std_offset_min: i16) -> TzRule {
        TzRule {
            std_offset_min,
            dst: Some(DstRule {
                save_min: 60,
                start: Transition {
                    month: 3,
                    week: 2,
                    weekday: 0,
                    minute: 120,
                    base: TimeBase::LocalWall,
                },
                end: Transition {
                    month: 11,
                    week: 1,
                    weekday: 0,
                    minute: 120,
                    base: TimeBase::LocalWall,
                },
            }),
        }
    }

    /// Checks ranges; the lock refuses invalid rules with a specific error.
    pub fn validate(&self) -> Result<(), TzRuleError> {
        if !(-18 * 60..=18 * 60).contains(&self.std_offset_min) {
            return Err(TzRuleError::OffsetOutOfRange);
        }
        if let Some(d) = &self.dst {
            if !(-180..=180).contains(&d.save_min) {
                return Err(TzRuleError::OffsetOutOfRange);
            }
            for t in [&d.start, &d.end] {
                if !(1..=12).contains(&t.month)
                    || !(1..=5).contains(&t.week)
                    || t.weekday > 6
                    || t.minute >= 1440
                {
                    return Err(TzRuleError::BadTransition);
                }
            }
        }
        Ok(())
    }

    /// Offset from UTC in minutes in force at `utc_s`.
    pub fn offset_min(&self, utc_s: i64) -> i32 {
        let std = i32::from(self.std_offset_min);
        let Some(d) = &self.dst else { return std };
        let save = i32::from(d.save_min);
        let (year, _, _) = civil_from_days(utc_s.div_euclid(86_400));
        let start = transition_utc(year, &d.start, std);
        let end = transition_utc(year, &d.end, std + save);
        let in_dst = if start <= end {
            utc_s >= start && utc_s < end
        } else {
            // Southern hemisphere: DST spans the new year.
            utc_s >= start || utc_s < end
        };
        if in_dst {
            std + save
        } else {
            std
        }
    }

    /// Local wall-clock time at `utc_s`.
    pub fn local(&self, utc_s: i64) -> LocalTime {
        let local_s = utc_s.saturating_add(i64::from(self.offset_min(utc_s)) * 60);
        LocalTime::from_local_seconds(local_s)
    }
}

/// UTC second at which transition `t` happens in `year`; `offset_before` is
/// the offset (minutes) in force just before it, used for local-wall bases.
fn transition_utc(year: i64, t: &Transition, offset_before: i32) -> i64 {
    let day = nth_weekday_of_month(year, t.month, t.week, t.weekday);
    let base = day * 86_400 + i64::from(t.minute) * 60;
    match t.base {
        TimeBase::Utc => base,
        TimeBase::LocalWall => base - i64::from(offset_before) * 60,
    }
}

/// Days since 1970-01-01 of the `week`-th (5 = last) `weekday` of `month`.
fn nth_weekday_of_month(year: i64, month: u8, week: u8, weekday: u8) -> i64 {
    let first = days_from_civil(year, month, 1);
    let first_wd = weekday_of_days(first);
    let mut day = first + (i64::from(weekday) - i64::from(first_wd)).rem_euclid(7);
    let wanted = i64::from(week.clamp(1, 5)) - 1;
    day += 7 * wanted;
    let (next_y, next_m) = if month >= 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let next_first = days_from_civil(next_y, next_m, 1);
    while day >= next_first {
        day -= 7;
    }
    day
}

/// Day of week of a day count (0 = Sunday); 1970-01-01 was a Thursday.
pub fn weekday_of_days(days: i64) -> u8 {
    // rem_euclid(7) is in 0..7, so the cast cannot truncate.
    (days + 4).rem_euclid(7) as u8
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let m = i64::from(m);
    let d = i64::from(d);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A local wall-clock time broken into the parts schedules need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// Year.
    pub year: i64,
    /// Month 1..=12.
    pub month: u8,
    /// Day of month 1..=31.
    pub day: u8,
    /// Day of week, 0 = Sunday.
    pub weekday: u8,
    /// Minutes since local midnight, 0..1440.
    pub minute_of_day: u16,
}

impl LocalTime {
    fn from_local_seconds(s: i64) -> Self {
        let days = s.div_euclid(86_400);
        let secs = s.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        LocalTime {
            year,
            month,
            day,
            weekday: weekday_of_days(days),
            minute_of_day: u16::try_from(secs / 60).unwrap_or(0),
        }
    }
}
