//! Week-day, year-day and holiday schedules (Matter DoorLock style). Times in
//! schedules are lock-local wall-clock minutes (week-day) or UTC instants
//! (year-day, holiday); the lock applies its [`super::TimeRule`].

use serde::{Deserialize, Serialize};

use super::{OperatingMode, UnixTime};

/// Days of the week as bits: bit 0 = Sunday … bit 6 = Saturday (Matter `DaysMaskMap`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DaysMask(pub u8);

/// A recurring weekly window in local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WeekDaySchedule {
    /// Days on which the window applies.
    pub days: DaysMask,
    /// Start, minutes after local midnight (0..1440).
    pub start_minute: u16,
    /// End, minutes after local midnight (start < end ≤ 1440).
    pub end_minute: u16,
}

/// A one-off window between two instants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct YearDaySchedule {
    /// Start (inclusive), UTC seconds.
    pub from: UnixTime,
    /// End (exclusive), UTC seconds.
    pub to: UnixTime,
}

/// A lock-wide window during which the lock runs in another operating mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HolidaySchedule {
    /// Start (inclusive), UTC seconds.
    pub from: UnixTime,
    /// End (exclusive), UTC seconds.
    pub to: UnixTime,
    /// Mode in force during the window.
    pub mode: OperatingMode,
}
