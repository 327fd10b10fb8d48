//! The front desk's dates and times: a site-local check-out date and time
//! turned into a UTC instant with jiff (DST included), staff days
//! (`mon-fri`, …) and hours (`08:00-17:00`, past midnight allowed).

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

/// Why a date or time given at the front desk is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WhenError {
    /// Not `YYYY-MM-DD`.
    #[error("a date like 2026-12-24")]
    Date,
    /// Not `HH:MM`.
    #[error("a time like 11:00")]
    Time,
    /// Not `mon-fri`, `sat,sun`, `daily`, …
    #[error("days like mon-fri, sat,sun, daily")]
    Days,
    /// Not an IANA zone.
    #[error("unknown time zone")]
    Zone,
}

/// Whether `s` has the shape `pattern` describes, with `9` for an ASCII
/// digit (`9999-99-99`, `99:99`): a date of that shape that is no date
/// (`2026-02-30`) is refused on its meaning, not its form.
pub fn shaped(s: &str, pattern: &str) -> bool {
    s.len() == pattern.len()
        && s.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
            b'9' => c.is_ascii_digit(),
            other => c == other,
        })
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, WhenError> {
    s.trim().parse::<Date>().map_err(|_| WhenError::Date)
}

/// Parses `HH:MM` (24-hour) into minutes after midnight; `24:00` only if `end`.
pub fn parse_hm(s: &str, end: bool) -> Result<u16, WhenError> {
    let (h, m) = s.trim().split_once(':').ok_or(WhenError::Time)?;
    let (h, m): (u16, u16) = (
        h.parse().map_err(|_| WhenError::Time)?,
        m.parse().map_err(|_| WhenError::Time)?,
    );
    let ok = m < 60 && (h < 24 || (end && h == 24 && m == 0));
    if ok && h <= 24 {
        Ok(h * 60 + m)
    } else {
        Err(WhenError::Time)
    }
}

/// The UTC second of local `date` at local minute `minute` in `zone`: a
/// time that does not exist (spring forward) resolves later, one that
/// happens twice (fall back) to the first.
pub fn local_instant(date: Date, minute: u16, zone: &str) -> Result<i64, WhenError> {
    let tz = TimeZone::get(zone).map_err(|_| WhenError::Zone)?;
    let (h, m) = (
        i8::try_from(minute / 60).map_err(|_| WhenError::Time)?,
        i8::try_from(minute % 60).map_err(|_| WhenError::Time)?,
    );
    let dt = if h == 24 {
        date.tomorrow()
            .map_err(|_| WhenError::Date)?
            .to_datetime(Time::midnight())
    } else {
        date.to_datetime(Time::new(h, m, 0, 0).map_err(|_| WhenError::Time)?)
    };
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .map(|z| z.timestamp().as_second())
        .map_err(|_| WhenError::Date)
}

/// The check-out instant: local `date` at local `time` (`HH:MM`) in `zone`.
pub fn checkout_instant(date: &str, time: &str, zone: &str) -> Result<i64, WhenError> {
    local_instant(parse_date(date)?, parse_hm(time, false)?, zone)
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

/// Parses staff days: `daily`, `weekdays`, `weekends`, `mon-fri`, `sat,sun`,
/// `fri-mon` (wrapping) into weekday bits (bit 0 = Sunday).
pub fn parse_days(s: &str) -> Result<u8, WhenError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "daily" | "every day" | "all" => return Ok(0x7f),
        "weekdays" => return Ok(0b011_1110),
        "weekends" => return Ok(0b100_0001),
        _ => {}
    }
    let mut mask = 0u8;
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (
                    day_index(a).ok_or(WhenError::Days)?,
                    day_index(b).ok_or(WhenError::Days)?,
                );
                let mut d = a;
                for _ in 0..7 {
                    mask |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => mask |= 1 << day_index(part).ok_or(WhenError::Days)?,
        }
    }
    if mask == 0 {
        return Err(WhenError::Days);
    }
    Ok(mask)
}

/// Parses staff hours `HH:MM-HH:MM` (an end at or before the start runs
/// past midnight); `None` = all day.
pub fn parse_hours(s: Option<&str>) -> Result<(u16, u16), WhenError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok((0, 1440)),
        Some(s) => {
            let (a, b) = s.split_once('-').ok_or(WhenError::Time)?;
            Ok((parse_hm(a, false)?, parse_hm(b, true)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_out_is_local_time_with_dst() {
        // Berlin: 25 October 2026 is the end of summer time.
        let summer = checkout_instant("2026-10-24", "11:00", "Europe/Berlin").unwrap();
        let winter = checkout_instant("2026-10-26", "11:00", "Europe/Berlin").unwrap();
        assert_eq!(summer, 1_792_832_400, "09:00 UTC (CEST)");
        assert_eq!(winter - summer, 2 * 86_400 + 3_600, "an hour longer");
        assert_eq!(
            checkout_instant("2026-01-15", "11:00", "UTC").unwrap(),
            1_768_474_800
        );
        assert_eq!(
            checkout_instant("2026-02-30", "11:00", "UTC"),
            Err(WhenError::Date)
        );
        assert_eq!(
            checkout_instant("2026-01-15", "25:00", "UTC"),
            Err(WhenError::Time)
        );
        assert_eq!(
            checkout_instant("2026-01-15", "11:00", "Mars/Base"),
            Err(WhenError::Zone)
        );
    }

    #[test]
    fn shapes() {
        assert!(shaped("2026-02-30", "9999-99-99"));
        assert!(!shaped("2026-2-3", "9999-99-99"));
        assert!(shaped("25:00", "99:99"));
        assert!(!shaped("11h", "99:99"));
    }

    #[test]
    fn days_and_hours() {
        assert_eq!(parse_days("mon-fri"), Ok(0b011_1110));
        assert_eq!(parse_days("fri-mon"), Ok(0b110_0011));
        assert_eq!(parse_days("sat,sun"), Ok(0b100_0001));
        assert_eq!(parse_days("daily"), Ok(0x7f));
        assert_eq!(parse_days("someday"), Err(WhenError::Days));
        assert_eq!(parse_hours(None), Ok((0, 1440)));
        assert_eq!(parse_hours(Some("22:00-06:00")), Ok((1320, 360)));
        assert_eq!(parse_hours(Some("08:00-24:00")), Ok((480, 1440)));
        assert!(parse_hours(Some("24:00-08:00")).is_err());
        assert!(parse_hours(Some("8-5")).is_err());
    }
}
