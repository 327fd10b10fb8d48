//! Schedules: when a person may open, as an owner states it ([`AccessSchedule`],
//! local times in the site's zone), parsed from the CLI form, compiled to what the
//! lock stores ([`CompiledSchedule`]) and described in words.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tumbler_proto::{DaysMask, UserType, WeekDaySchedule, YearDaySchedule};

use super::WEEK_DAY_SLOTS;

/// When a person may open, as an owner states it (local times in the site's zone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccessSchedule {
    /// Always.
    Permanent,
    /// One successful use.
    OneTime,
    /// From now until a local time.
    Expiring {
        /// Local date-time, e.g. `2026-12-24T12:00`.
        until: String,
    },
    /// Between two local times (a stay, a contract).
    DateRange {
        /// Local start.
        from: String,
        /// Local end.
        to: String,
    },
    /// Recurring weekly windows.
    Weekly {
        /// At most [`WEEK_DAY_SLOTS`] windows.
        windows: Vec<WeeklyWindow>,
    },
}

/// A weekly window: days and local start/end times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyWindow {
    /// `mon-fri`, `sat,sun`, `daily`, `weekdays`, `weekends`, `mon,wed,fri`.
    pub days: String,
    /// `HH:MM`.
    pub start: String,
    /// `HH:MM` (`24:00` allowed).
    pub end: String,
}

/// Why a schedule is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// Not understood.
    #[error("not understood: {0}")]
    Syntax(String),
    /// The end is not after the start.
    #[error("the end must be after the start")]
    EmptyWindow,
    /// The end is already past.
    #[error("the end is already past")]
    InPast,
    /// More windows than the lock keeps.
    #[error("at most {max} weekly windows")]
    TooManyWindows {
        /// The lock's limit.
        max: usize,
    },
    /// Not an IANA zone.
    #[error("unknown time zone {0}")]
    UnknownZone(String),
}

/// What the lock stores for a schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledSchedule {
    /// The user type.
    pub user_type: UserType,
    /// Week-day windows (lock-local minutes).
    pub week_days: Vec<WeekDaySchedule>,
    /// Year-day windows (UTC).
    pub year_days: Vec<YearDaySchedule>,
}

const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn day_index(s: &str) -> Option<u8> {
    let s = s.trim().to_ascii_lowercase();
    let short = s.get(0..3)?;
    DAY_NAMES
        .iter()
        .position(|d| *d == short)
        .and_then(|i| u8::try_from(i).ok())
}

/// Parses `mon-fri`, `sat,sun`, `daily`, `weekdays`, `weekends`.
fn parse_days(s: &str) -> Result<u8, ScheduleError> {
    let bad = || ScheduleError::Syntax(format!("days {s:?}: e.g. mon-fri, sat,sun, daily"));
    match s.trim().to_ascii_lowercase().as_str() {
        "daily" | "every day" | "all" => return Ok(0x7f),
        "weekdays" => return Ok(0b011_1110),
        "weekends" => return Ok(0b100_0001),
        _ => {}
    }
    let mut mask = 0u8;
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(bad());
        }
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day_index(a).ok_or_else(bad)?, day_index(b).ok_or_else(bad)?);
                let mut d = a;
                loop {
                    mask |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => mask |= 1 << day_index(part).ok_or_else(bad)?,
        }
    }
    if mask == 0 {
        return Err(bad());
    }
    Ok(mask)
}

fn days_text(mask: u8) -> String {
    let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    match mask {
        0x7f => return "every day".into(),
        0b011_1110 => return "Mon–Fri".into(),
        0b100_0001 => return "Sat–Sun".into(),
        _ => {}
    }
    // Monday first.
    [1usize, 2, 3, 4, 5, 6, 0]
        .iter()
        .filter(|i| mask & (1 << *i) != 0)
        .filter_map(|i| names.get(*i).copied())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses `HH:MM` into minutes after midnight (`24:00` = 1440).
fn parse_hm(s: &str) -> Result<u16, ScheduleError> {
    let bad = || ScheduleError::Syntax(format!("time {s:?}: HH:MM"));
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn parse_local(s: &str) -> Result<DateTime, ScheduleError> {
    s.trim().parse::<DateTime>().map_err(|_| {
        ScheduleError::Syntax(format!("{s:?}: a local date-time like 2026-12-24T12:00"))
    })
}

fn unix(t: i64) -> Result<u64, ScheduleError> {
    u64::try_from(t).map_err(|_| ScheduleError::Syntax("before 1970".into()))
}

fn to_utc(s: &str, tz: &TimeZone) -> Result<i64, ScheduleError> {
    let dt = parse_local(s)?;
    // Ambiguous or skipped local times (DST changes) resolve as the
    // "compatible" strategy does: the earlier offset for a fold, the later
    // instant for a gap.
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .map(|z| z.timestamp().as_second())
        .map_err(|e| ScheduleError::Syntax(format!("{s:?}: {e}")))
}

pub(super) fn zone(name: &str) -> Result<TimeZone, ScheduleError> {
    TimeZone::get(name).map_err(|_| ScheduleError::UnknownZone(name.to_owned()))
}

fn local_text(s: &str) -> String {
    match parse_local(s) {
        Ok(dt) => format!(
            "{} {} {} {:02}:{:02}",
            dt.day(),
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                .get(usize::try_from(dt.month() - 1).unwrap_or(0))
                .copied()
                .unwrap_or(""),
            dt.year(),
            dt.hour(),
            dt.minute()
        ),
        Err(_) => s.to_owned(),
    }
}

fn hm_text(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

impl AccessSchedule {
    /// Parses the CLI form: `permanent`, `one-time`, `until 2026-12-24T12:00`,
    /// `2026-12-01T15:00..2026-12-08T11:00`, `weekly mon-fri 09:00-17:00; sat 10:00-14:00`.
    pub fn parse_spec(spec: &str) -> Result<AccessSchedule, ScheduleError> {
        let s = spec.trim();
        let lower = s.to_ascii_lowercase();
        if lower == "permanent" || lower == "always" {
            return Ok(AccessSchedule::Permanent);
        }
        if lower == "one-time" || lower == "one_time" || lower == "once" {
            return Ok(AccessSchedule::OneTime);
        }
        if let Some(rest) = lower.strip_prefix("until ") {
            parse_local(rest)?;
            return Ok(AccessSchedule::Expiring {
                until: rest.trim().to_owned(),
            });
        }
        if let Some((a, b)) = s.split_once("..") {
            parse_local(a)?;
            parse_local(b)?;
            return Ok(AccessSchedule::DateRange {
                from: a.trim().to_owned(),
                to: b.trim().to_owned(),
            });
        }
        if let Some(rest) = lower.strip_prefix("weekly ") {
            let mut windows = Vec::new();
            for part in rest.split(';') {
                let part = part.trim();
                let (days, times) = part.rsplit_once(' ').ok_or_else(|| {
                    ScheduleError::Syntax(format!("{part:?}: e.g. mon-fri 09:00-17:00"))
                })?;
                let (start, end) = times
                    .split_once('-')
                    .ok_or_else(|| ScheduleError::Syntax(format!("{times:?}: e.g. 09:00-17:00")))?;
                parse_days(days)?;
                parse_hm(start)?;
                parse_hm(end)?;
                windows.push(WeeklyWindow {
                    days: days.trim().to_owned(),
                    start: start.trim().to_owned(),
                    end: end.trim().to_owned(),
                });
            }
            return Ok(AccessSchedule::Weekly { windows });
        }
        Err(ScheduleError::Syntax(format!(
            "{s:?}: permanent, one-time, until DATE, FROM..TO, or weekly DAYS HH:MM-HH:MM"
        )))
    }

    /// Validates and converts to what the lock stores, local times resolved
    /// in `zone`. `now_utc` bounds an expiring schedule's start.
    pub fn compile(
        &self,
        zone_name: &str,
        now_utc: i64,
    ) -> Result<CompiledSchedule, ScheduleError> {
        let tz = zone(zone_name)?;
        Ok(match self {
            AccessSchedule::Permanent => CompiledSchedule {
                user_type: UserType::Unrestricted,
                week_days: Vec::new(),
                year_days: Vec::new(),
            },
            AccessSchedule::OneTime => CompiledSchedule {
                user_type: UserType::OneTime,
                week_days: Vec::new(),
                year_days: Vec::new(),
            },
            AccessSchedule::Expiring { until } => {
                let to = to_utc(until, &tz)?;
                if to <= now_utc {
                    return Err(ScheduleError::InPast);
                }
                CompiledSchedule {
                    user_type: UserType::YearDaySchedule,
                    week_days: Vec::new(),
                    year_days: vec![YearDaySchedule {
                        from: unix(now_utc)?,
                        to: unix(to)?,
                    }],
                }
            }
            AccessSchedule::DateRange { from, to } => {
                let (f, t) = (to_utc(from, &tz)?, to_utc(to, &tz)?);
                if t <= f {
                    return Err(ScheduleError::EmptyWindow);
                }
                if t <= now_utc {
                    return Err(ScheduleError::InPast);
                }
                CompiledSchedule {
                    user_type: UserType::YearDaySchedule,
                    week_days: Vec::new(),
                    year_days: vec![YearDaySchedule {
                        from: unix(f)?,
                        to: unix(t)?,
                    }],
                }
            }
            AccessSchedule::Weekly { windows } => {
                let max = usize::from(WEEK_DAY_SLOTS);
                if windows.is_empty() {
                    return Err(ScheduleError::Syntax("at least one weekly window".into()));
                }
                if windows.len() > max {
                    return Err(ScheduleError::TooManyWindows { max });
                }
                let mut week_days = Vec::with_capacity(windows.len());
                for w in windows {
                    let days = parse_days(&w.days)?;
                    let (s, e) = (parse_hm(&w.start)?, parse_hm(&w.end)?);
                    if s >= 1440 || e <= s {
                        return Err(ScheduleError::EmptyWindow);
                    }
                    week_days.push(WeekDaySchedule {
                        days: DaysMask(days),
                        start_minute: s,
                        end_minute: e,
                    });
                }
                CompiledSchedule {
                    user_type: UserType::WeekDaySchedule,
                    week_days,
                    year_days: Vec::new(),
                }
            }
        })
    }

    /// In words: `always`, `one use`, `until 24 Dec 2026 12:00`, `Mon–Fri 09:00–17:00`.
    pub fn describe(&self) -> String {
        match self {
            AccessSchedule::Permanent => "always".into(),
            AccessSchedule::OneTime => "one use".into(),
            AccessSchedule::Expiring { until } => format!("until {}", local_text(until)),
            AccessSchedule::DateRange { from, to } => {
                format!("{} to {}", local_text(from), local_text(to))
            }
            AccessSchedule::Weekly { windows } => windows
                .iter()
                .map(|w| {
                    let days = parse_days(&w.days)
                        .map(days_text)
                        .unwrap_or_else(|_| w.days.clone());
                    match (parse_hm(&w.start), parse_hm(&w.end)) {
                        (Ok(s), Ok(e)) => format!("{days} {}–{}", hm_text(s), hm_text(e)),
                        _ => format!("{days} {}–{}", w.start, w.end),
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

impl CompiledSchedule {
    /// Whether this schedule admits the person at `utc_s`, as the lock
    /// decides it (a one-time user: until used, which is not tracked here).
    pub fn active_at(&self, utc_s: i64, zone_name: &str) -> bool {
        match self.user_type {
            UserType::WeekDaySchedule => {
                let Ok(tz) = zone(zone_name) else {
                    return false;
                };
                let Ok(ts) = Timestamp::from_second(utc_s) else {
                    return false;
                };
                let local = ts.to_zoned(tz);
                let weekday = u8::try_from(local.weekday().to_sunday_zero_offset()).unwrap_or(0);
                let minute =
                    u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute()))
                        .unwrap_or(0);
                self.week_days.iter().any(|w| {
                    w.days.0 & (1 << weekday) != 0
                        && minute >= w.start_minute
                        && minute < w.end_minute
                })
            }
            UserType::YearDaySchedule | UserType::Expiring => self
                .year_days
                .iter()
                .any(|y| u64::try_from(utc_s).is_ok_and(|t| t >= y.from && t < y.to)),
            UserType::NonAccess | UserType::RemoteOnly => false,
            _ => true,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(zone: &str, s: &str) -> i64 {
        s.parse::<DateTime>()
            .unwrap()
            .to_zoned(TimeZone::get(zone).unwrap())
            .unwrap()
            .timestamp()
            .as_second()
    }

    proptest! {
        #[test]
        fn parse_spec_never_panics(s in ".{0,60}") {
            let _ = AccessSchedule::parse_spec(&s);
        }
    }

    #[test]
    fn specs_parse_and_describe() {
        assert_eq!(
            AccessSchedule::parse_spec("permanent").unwrap(),
            AccessSchedule::Permanent
        );
        assert_eq!(
            AccessSchedule::parse_spec("one-time").unwrap(),
            AccessSchedule::OneTime
        );
        let w = AccessSchedule::parse_spec("weekly mon-fri 09:00-17:00; sat 10:00-14:00").unwrap();
        assert_eq!(w.describe(), "Mon–Fri 09:00–17:00; Sat 10:00–14:00");
        let r = AccessSchedule::parse_spec("2026-12-01T15:00..2026-12-08T11:00").unwrap();
        assert_eq!(r.describe(), "1 Dec 2026 15:00 to 8 Dec 2026 11:00");
        assert!(AccessSchedule::parse_spec("until 2026-12-24T12:00").is_ok());
        for bad in [
            "",
            "sometimes",
            "weekly funday 09:00-10:00",
            "weekly mon 9-10",
            "until xmas",
        ] {
            assert!(AccessSchedule::parse_spec(bad).is_err(), "{bad}");
        }
        // JSON shape of the API.
        let j = serde_json::to_value(&w).unwrap();
        assert_eq!(j["kind"], "weekly");
        assert_eq!(j["windows"][0]["days"], "mon-fri");
    }

    #[test]
    fn schedule_error_messages() {
        // The CLI and the hub show these words: pinned byte for byte.
        let cases = [
            (ScheduleError::Syntax("x".into()), "not understood: x"),
            (
                ScheduleError::EmptyWindow,
                "the end must be after the start",
            ),
            (ScheduleError::InPast, "the end is already past"),
            (
                ScheduleError::TooManyWindows { max: 2 },
                "at most 2 weekly windows",
            ),
            (
                ScheduleError::UnknownZone("Mars/Olympus".into()),
                "unknown time zone Mars/Olympus",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
    }

    #[test]
    fn compile_checks_and_converts() {
        let now = at("UTC", "2026-11-22T12:00");
        let w = AccessSchedule::parse_spec("weekly mon-fri 09:00-17:00").unwrap();
        let c = w.compile("Europe/Berlin", now).unwrap();
        assert_eq!(c.user_type, UserType::WeekDaySchedule);
        assert_eq!(c.week_days[0].start_minute, 540);
        assert_eq!(c.week_days[0].end_minute, 1020);
        assert_eq!(c.week_days[0].days.0, 0b011_1110);
        assert_eq!(
            AccessSchedule::parse_spec("weekly mon 10:00-09:00")
                .unwrap()
                .compile("UTC", now),
            Err(ScheduleError::EmptyWindow)
        );
        assert_eq!(
            AccessSchedule::parse_spec("weekly mon 09:00-10:00; tue 09:00-10:00; wed 09:00-10:00")
                .unwrap()
                .compile("UTC", now),
            Err(ScheduleError::TooManyWindows { max: 2 })
        );
        assert_eq!(
            AccessSchedule::Expiring {
                until: "2026-01-01T00:00".into()
            }
            .compile("UTC", now),
            Err(ScheduleError::InPast)
        );
        assert!(matches!(
            AccessSchedule::Permanent.compile("Mars/Olympus", now),
            Err(ScheduleError::UnknownZone(_))
        ));
        // A stay across the end of DST: local times convert with the right offsets.
        let r = AccessSchedule::DateRange {
            from: "2026-10-24T15:00".into(),
            to: "2026-10-26T11:00".into(),
        }
        .compile("Europe/Berlin", at("UTC", "2026-10-01T00:00"))
        .unwrap();
        assert_eq!(r.year_days[0].from as i64, at("UTC", "2026-10-24T13:00"));
        assert_eq!(r.year_days[0].to as i64, at("UTC", "2026-10-26T10:00"));
    }

    #[test]
    fn weekly_window_holds_across_both_dst_changes() {
        let c = AccessSchedule::parse_spec("weekly daily 09:00-17:00")
            .unwrap()
            .compile("Europe/Berlin", 0)
            .unwrap();
        for day in [
            "2026-03-28",
            "2026-03-29",
            "2026-03-30",
            "2026-10-24",
            "2026-10-25",
            "2026-10-26",
        ] {
            let inside = at("Europe/Berlin", &format!("{day}T09:30"));
            let before = at("Europe/Berlin", &format!("{day}T08:30"));
            let late = at("Europe/Berlin", &format!("{day}T17:00"));
            assert!(c.active_at(inside, "Europe/Berlin"), "{day} 09:30");
            assert!(!c.active_at(before, "Europe/Berlin"), "{day} 08:30");
            assert!(!c.active_at(late, "Europe/Berlin"), "{day} 17:00");
        }
    }
}
