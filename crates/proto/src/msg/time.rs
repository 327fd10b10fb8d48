//! Time-zone rule: a standard offset plus an optional daylight-saving rule, so the
//! lock computes local time itself (DESIGN §5.3) without a time-zone database.

use serde::{Deserialize, Serialize};

/// When a DST transition happens, POSIX-TZ style (`Mm.w.d/time`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transition {
    /// Month 1..=12.
    pub month: u8,
    /// Week of the month 1..=5 (5 = last).
    pub week: u8,
    /// Day of week 0..=6 (0 = Sunday).
    pub weekday: u8,
    /// Local wall-clock minute of the day the transition happens at (0..1440).
    pub minute: u16,
}

/// Daylight-saving rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DstRule {
    /// Minutes added to the standard offset while DST is in force (usually 60).
    pub save_minutes: i16,
    /// Start of DST (in standard local time).
    pub start: Transition,
    /// End of DST (in daylight local time).
    pub end: Transition,
}

/// The site's time-zone rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimeRule {
    /// Standard offset from UTC in minutes (east positive).
    pub std_offset_minutes: i16,
    /// DST rule, if the site observes one.
    pub dst: Option<DstRule>,
}
