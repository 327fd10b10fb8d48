//! Schedules: week-day and year-day (per user) and holiday (lock-wide),
//! Matter DoorLock style, evaluated in the site's local time.

use serde::{Deserialize, Serialize};

use crate::settings::OperatingMode;
use crate::time::LocalTime;

/// Days-of-week bit for Sunday; Monday is `1 << 1` … Saturday `1 << 6` (Matter `DaysMaskMap`).
pub const SUNDAY: u8 = 1;
/// Monday to Friday.
pub const WEEKDAYS: u8 = 0b0011_1110;
/// Every day.
pub const ALL_DAYS: u8 = 0b0111_1111;

/// A recurring weekly window in local time: on the days in `days`, from
/// `start_min` (inclusive) to `end_min` (exclusive) minutes after midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekDaySchedule {
    /// Bit `d` set = day `d` (0 = Sunday) is included.
    pub days: u8,
    /// Window start, minutes after local midnight (0..1440).
    pub start_min: u16,
    /// Window end, minutes after local midnight (start < end <= 1440).
    pub end_min: u16,
}

/// An absolute window in UTC: `from_utc <= t < to_utc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearDaySchedule {
    /// Window start, UTC Unix seconds.
    pub from_utc: i64,
    /// Window end, UTC Unix seconds (after `from_utc`).
    pub to_utc: i64,
}

/// A lock-wide holiday: while active the lock runs in `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidaySchedule {
    /// Start, UTC Unix seconds.
    pub from_utc: i64,
    /// End, UTC Unix seconds (after `from_utc`).
    pub to_utc: i64,
    /// Operating mode in force during the holiday.
    pub mode: OperatingMode,
}

/// Why a schedule was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The end is not after the start.
    EndBeforeStart,
    /// No day selected, or a bit above Saturday set.
    BadDays,
    /// A minute beyond the end of the day.
    MinuteOutOfRange,
}

impl WeekDaySchedule {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if self.days == 0 || self.days & !ALL_DAYS != 0 {
            return Err(ScheduleError::BadDays);
        }
        if self.start_min >= 1440 || self.end_min > 1440 {
            return Err(ScheduleError::MinuteOutOfRange);
        }
        if self.end_min <= self.start_min {
            return Err(ScheduleError::EndBeforeStart);
        }
        Ok(())
    }
    /// Whether the local time is inside the window.
    pub fn contains(&self, t: &LocalTime) -> bool {
        self.days & (1u8 << (t.weekday & 7)) != 0
            && t.minute_of_day >= self.start_min
            && t.minute_of_day < self.end_min
    }
}

impl YearDaySchedule {
    /// Checks that the end is after the start.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if self.to_utc <= self.from_utc {
            return Err(ScheduleError::EndBeforeStart);
        }
        Ok(())
    }
    /// Whether `utc_s` is inside the window.
    pub fn contains(&self, utc_s: i64) -> bool {
        utc_s >= self.from_utc && utc_s < self.to_utc
    }
}

impl HolidaySchedule {
    /// Checks that the end is after the start.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if self.to_utc <= self.from_utc {
            return Err(ScheduleError::EndBeforeStart);
        }
        Ok(())
    }
    /// Whether `utc_s` is inside the holiday.
    pub fn contains(&self, utc_s: i64) -> bool {
        utc_s >= self.from_utc && utc_s < self.to_utc
    }
}
