//! Access, sans I/O: PIN rules, schedules in a site's time zone, the lock
//! operations that put a person on a door (or take them off), delivery
//! confirmation by slot digest, the per-door status machine, and the
//! verification report after a reset.
//!
//! Time and randomness are parameters. Schedule semantics follow the lock
//! (`tumbler-lock`): week-day windows are local wall-clock minutes
//! `[start, end)` on the masked days, year-day windows are UTC `[from, to)`.

use core::fmt;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use tumbler_proto::{
    Capabilities, Credential, CredentialRule, CredentialSlot, DaysMask, Name, PinAlphabet,
    SlotDigest, UserIndex, UserRecord, UserStatus, UserType, WeekDaySchedule, YearDaySchedule,
};

use crate::ops::{OpKind, SecretPin};

/// Week-day schedule slots per user on a Tumbler lock.
pub const WEEK_DAY_SLOTS: u8 = 2;
/// Year-day schedule slots per user on a Tumbler lock.
pub const YEAR_DAY_SLOTS: u8 = 2;
/// Longest user name the lock keeps, in bytes.
pub const LOCK_NAME_LEN: usize = 16;

// ---- PIN rules ---------------------------------------------------------------------------

/// What a lock accepts as a PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinPolicy {
    /// Shortest.
    pub min_len: u8,
    /// Longest.
    pub max_len: u8,
    /// Allowed characters.
    pub alphabet: PinAlphabet,
    /// Refuse trivial PINs ([`is_trivial`]).
    pub refuse_trivial: bool,
}

/// Why a PIN is refused (never names the PIN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinError {
    /// Shorter than the lock allows.
    TooShort {
        /// Shortest allowed.
        min: u8,
    },
    /// Longer than the lock allows.
    TooLong {
        /// Longest allowed.
        max: u8,
    },
    /// A character outside the lock's alphabet.
    BadCharacter,
    /// Too easy to guess (repeated digit, run, 123456, repeated pair).
    Trivial,
}

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinError::TooShort { min } => write!(f, "at least {min} digits"),
            PinError::TooLong { max } => write!(f, "at most {max} digits"),
            PinError::BadCharacter => f.write_str("digits only"),
            PinError::Trivial => f.write_str(
                "too easy to guess (one digit repeated, a run like 1234, or a repeated pair)",
            ),
        }
    }
}

impl std::error::Error for PinError {}

/// Whether a PIN is trivial: one digit repeated (`0000`), an ascending or
/// descending run (`1234`, `4321`), the default `123456`, or a repeated
/// pair (`1212`).
pub fn is_trivial(pin: &str) -> bool {
    let d: Vec<i16> = pin
        .bytes()
        .map(|b| i16::from(b) - i16::from(b'0'))
        .collect();
    if d.len() < 2 {
        return false;
    }
    let steps: Vec<i16> = d.iter().zip(d.iter().skip(1)).map(|(a, b)| b - a).collect();
    let same_step = |s: i16| steps.iter().all(|x| *x == s);
    if same_step(0) || same_step(1) || same_step(-1) {
        return true;
    }
    if pin == "123456" {
        return true;
    }
    // A pair repeated: 1212, 121212.
    d.len().is_multiple_of(2)
        && d.len() >= 4
        && d.chunks(2).all(|c| c == d.get(0..2).unwrap_or(&[]))
}

impl PinPolicy {
    /// The Tumbler lock's defaults: 4 to 12 digits, trivial PINs refused.
    pub const DEFAULT: PinPolicy = PinPolicy {
        min_len: 4,
        max_len: 12,
        alphabet: PinAlphabet::Digits,
        refuse_trivial: true,
    };

    /// The rules a lock reports.
    pub fn from_capabilities(c: &Capabilities) -> PinPolicy {
        PinPolicy {
            min_len: c.pin_min_len,
            max_len: c.pin_max_len,
            alphabet: c.pin_alphabet,
            refuse_trivial: c.trivial_pins.0 != 0,
        }
    }

    /// Checks a PIN against the rules.
    pub fn check(&self, pin: &str) -> Result<(), PinError> {
        let ok_char = |c: char| match self.alphabet {
            PinAlphabet::Digits => c.is_ascii_digit(),
            PinAlphabet::DigitsStarHash => c.is_ascii_digit() || c == '*' || c == '#',
        };
        if !pin.chars().all(ok_char) {
            return Err(PinError::BadCharacter);
        }
        if pin.len() < usize::from(self.min_len) {
            return Err(PinError::TooShort { min: self.min_len });
        }
        if pin.len() > usize::from(self.max_len) {
            return Err(PinError::TooLong { max: self.max_len });
        }
        if self.refuse_trivial && is_trivial(pin) {
            return Err(PinError::Trivial);
        }
        Ok(())
    }

    /// A random PIN of `len` digits (clamped into the allowed lengths),
    /// never trivial; digits drawn without bias.
    pub fn generate<R: CryptoRng>(&self, len: u8, rng: &mut R) -> SecretPin {
        let len = len.clamp(self.min_len.max(4), self.max_len.max(4));
        loop {
            let mut s = String::with_capacity(usize::from(len));
            while s.len() < usize::from(len) {
                // 250 = 25 × 10: reject 250..=255 so every digit is equally likely.
                let b = (rng.next_u32() & 0xff) as u8;
                if b < 250 {
                    s.push(char::from(b'0' + b % 10));
                }
            }
            if !is_trivial(&s) {
                return SecretPin::new(s);
            }
        }
    }
}

// ---- schedules ---------------------------------------------------------------------------

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
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScheduleError {
    /// Not understood.
    Syntax(String),
    /// The end is not after the start.
    EmptyWindow,
    /// The end is already past.
    InPast,
    /// More windows than the lock keeps.
    TooManyWindows {
        /// The lock's limit.
        max: usize,
    },
    /// Not an IANA zone.
    UnknownZone(String),
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleError::Syntax(s) => write!(f, "not understood: {s}"),
            ScheduleError::EmptyWindow => f.write_str("the end must be after the start"),
            ScheduleError::InPast => f.write_str("the end is already past"),
            ScheduleError::TooManyWindows { max } => write!(f, "at most {max} weekly windows"),
            ScheduleError::UnknownZone(z) => write!(f, "unknown time zone {z}"),
        }
    }
}

impl std::error::Error for ScheduleError {}

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

fn zone(name: &str) -> Result<TimeZone, ScheduleError> {
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

// ---- planning ----------------------------------------------------------------------------

fn lock_name(name: &str) -> Name {
    let mut out = Name::new();
    for c in name.chars() {
        if out.len() + c.len_utf8() > LOCK_NAME_LEN || out.push(c).is_err() {
            break;
        }
    }
    out
}

/// The operations that set a user and their schedules: `SetUser`, a
/// `Set…Schedule` per window, then — unless the slot is `fresh` (a new user
/// starts without schedules) — a `Clear…Schedule` for every unused schedule
/// slot, so a changed schedule leaves nothing behind.
pub fn plan_user(
    slot: UserIndex,
    name: &str,
    schedule: &CompiledSchedule,
    fresh: bool,
) -> Vec<OpKind> {
    let mut ops = vec![OpKind::SetUser {
        user: UserRecord {
            index: slot,
            name: lock_name(name),
            status: UserStatus::Enabled,
            user_type: schedule.user_type,
            credential_rule: CredentialRule::Single,
            created_by: None,
            modified_by: None,
        },
    }];
    // Schedule slots are 0-based on the lock.
    for s in 0..WEEK_DAY_SLOTS {
        match schedule.week_days.get(usize::from(s)) {
            Some(w) => ops.push(OpKind::SetWeekDaySchedule {
                user: slot,
                slot: s,
                schedule: *w,
            }),
            None if !fresh => ops.push(OpKind::ClearWeekDaySchedule {
                user: slot,
                slot: s,
            }),
            None => {}
        }
    }
    for s in 0..YEAR_DAY_SLOTS {
        match schedule.year_days.get(usize::from(s)) {
            Some(y) => ops.push(OpKind::SetYearDaySchedule {
                user: slot,
                slot: s,
                schedule: *y,
            }),
            None if !fresh => ops.push(OpKind::ClearYearDaySchedule {
                user: slot,
                slot: s,
            }),
            None => {}
        }
    }
    ops
}

/// Sets a credential of a user.
pub fn plan_credential(slot: CredentialSlot, user: UserIndex, credential: Credential) -> OpKind {
    OpKind::SetCredential {
        slot,
        user,
        credential,
    }
}

/// Removes a user with their credentials and schedules.
pub fn plan_revoke(slot: UserIndex) -> OpKind {
    OpKind::ClearUser { index: Some(slot) }
}

/// Reads the slot digests from `slot` on (confirms a change).
pub fn plan_digest_read(slot: UserIndex) -> OpKind {
    OpKind::GetSlotDigests { from_user: slot }
}

/// The digest of `slot` in a page of slot digests, if the page covers it.
pub fn slot_digest(page: &[SlotDigest], slot: UserIndex) -> Option<[u8; 32]> {
    page.iter().find(|d| d.user == slot).map(|d| d.digest)
}

/// A set is confirmed when the slot's digest is non-zero and differs from
/// the digest recorded before the change (`None`: the slot was empty).
pub fn confirm_set(before: Option<[u8; 32]>, after: [u8; 32]) -> bool {
    after != [0; 32] && Some(after) != before
}

/// A removal is confirmed when the slot's digest is all zero.
pub fn confirm_removed(after: [u8; 32]) -> bool {
    after == [0; 32]
}

// ---- per-door status ---------------------------------------------------------------------

/// Delivery state of a person (or a credential) on one door.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoorState {
    /// Queued, nothing sent yet (e.g. the door is offline).
    Pending,
    /// Sent; not yet confirmed by the lock's digest.
    Setting,
    /// Confirmed on the lock.
    Set,
    /// Removal sent; not yet confirmed.
    Removing,
    /// Confirmed gone.
    Removed,
    /// Refused or failed; retry with a change.
    Failed,
}

/// An event of the per-door status machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DoorEvent {
    /// An operation of the change was sent.
    Dispatched,
    /// The lock's digest confirms the change.
    Confirmed,
    /// An operation was refused or failed.
    Failed,
    /// The owner revoked it.
    RevokeRequested,
    /// The owner changed it (new PIN, schedule) or retries it.
    ChangeRequested,
    /// The lock was factory reset.
    Reset,
}

/// A transition the status machine does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadTransition {
    /// From.
    pub from: DoorState,
    /// On.
    pub event: DoorEvent,
}

impl DoorState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DoorState::Pending => "pending",
            DoorState::Setting => "setting",
            DoorState::Set => "set",
            DoorState::Removing => "removing",
            DoorState::Removed => "removed",
            DoorState::Failed => "failed",
        }
    }

    /// From the stored spelling.
    pub fn parse(s: &str) -> Option<DoorState> {
        Some(match s {
            "pending" => DoorState::Pending,
            "setting" => DoorState::Setting,
            "set" => DoorState::Set,
            "removing" => DoorState::Removing,
            "removed" => DoorState::Removed,
            "failed" => DoorState::Failed,
            _ => return None,
        })
    }

    /// Final until the next change: `set`, `removed`, `failed`.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            DoorState::Set | DoorState::Removed | DoorState::Failed
        )
    }

    /// Whether the lock may admit the person (conservative: until a
    /// removal is confirmed, they may still get in).
    pub fn grants_access(self) -> bool {
        matches!(
            self,
            DoorState::Setting | DoorState::Set | DoorState::Removing
        )
    }
}

/// The status machine: `pending → setting → set → removing → removed | failed`.
pub fn door_step(state: DoorState, event: &DoorEvent) -> Result<DoorState, BadTransition> {
    use DoorEvent as E;
    use DoorState as S;
    Ok(match (state, event) {
        (_, E::Reset) => S::Removed,
        (S::Pending | S::Setting, E::Dispatched) => S::Setting,
        (S::Setting, E::Confirmed) => S::Set,
        (S::Pending | S::Setting, E::Failed) => S::Failed,
        (S::Set | S::Failed | S::Removed, E::ChangeRequested) => S::Pending,
        (S::Pending | S::Setting | S::Set | S::Failed, E::RevokeRequested) => S::Removing,
        (S::Removing, E::Dispatched) => S::Removing,
        (S::Removing, E::Confirmed) => S::Removed,
        (S::Removing, E::Failed) => S::Failed,
        (from, e) => {
            return Err(BadTransition {
                from,
                event: e.clone(),
            })
        }
    })
}

// ---- verification report -----------------------------------------------------------------

/// What a verified self-check says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfCheckFacts {
    /// The factory signature verifies under the pinned factory key.
    pub verified: bool,
    /// It answers this verification's fresh challenge.
    pub challenge_ok: bool,
    /// Factory resets so far.
    pub reset_counter: u32,
    /// Users on the lock.
    pub users: u16,
    /// Credentials on the lock.
    pub credentials: u16,
    /// Paired controllers.
    pub controllers: u8,
    /// In setup mode.
    pub setup_mode: bool,
    /// Battery.
    pub battery_percent: u8,
    /// Motor test passed.
    pub motor_ok: bool,
}

/// A person who should be on the lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedSlot {
    /// User slot.
    pub slot: UserIndex,
    /// Name.
    pub person: String,
    /// The digest recorded when the lock confirmed it.
    pub recorded_digest: Option<[u8; 32]>,
}

/// Everything the report is built from.
#[derive(Clone, Debug)]
pub struct VerificationInput {
    /// Serial.
    pub serial: String,
    /// Display name.
    pub lock_label: String,
    /// Site zone (for the timestamp).
    pub zone: String,
    /// When, UTC seconds.
    pub generated_at_utc: i64,
    /// The reset counter before the reset, if known.
    pub previous_reset_counter: Option<u32>,
    /// The self-check, if it answered.
    pub self_check: Option<SelfCheckFacts>,
    /// Who should be there.
    pub expected: Vec<ExpectedSlot>,
    /// Who was removed (for the reader).
    pub removed_people: Vec<String>,
    /// Every slot's digest as read.
    pub observed: Vec<SlotDigest>,
    /// User slots on the lock.
    pub max_users: u16,
}

/// One check of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable id.
    pub id: String,
    /// Passed.
    pub passed: bool,
    /// In words.
    pub detail: String,
}

/// The verification report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationReport {
    /// Serial.
    pub serial: String,
    /// Display name.
    pub lock_label: String,
    /// RFC 3339 in the site zone.
    pub generated_at: String,
    /// Every check passed.
    pub passed: bool,
    /// The checks.
    pub checks: Vec<Check>,
    /// Who is on the lock.
    pub present: Vec<ExpectedSlot>,
    /// Who is not any more.
    pub removed_people: Vec<String>,
}

fn check(id: &str, passed: bool, detail: impl Into<String>) -> Check {
    Check {
        id: id.into(),
        passed,
        detail: detail.into(),
    }
}

/// Builds the report.
pub fn verify(input: &VerificationInput) -> VerificationReport {
    let mut checks = Vec::new();
    let sc = input.self_check.as_ref();
    checks.push(match sc {
        Some(s) => check(
            "self_check_signed",
            s.verified && s.challenge_ok,
            if s.verified && s.challenge_ok {
                "the lock's factory key signed a self-check answering this verification's challenge"
                    .to_owned()
            } else {
                format!(
                    "signature verified: {}, challenge answered: {}",
                    s.verified, s.challenge_ok
                )
            },
        ),
        None => check(
            "self_check_signed",
            false,
            "the lock did not answer the self-check",
        ),
    });
    checks.push(match (sc, input.previous_reset_counter) {
        (Some(s), Some(prev)) => check(
            "reset_seen",
            s.reset_counter > prev,
            format!(
                "reset counter {} (was {prev} before the reset)",
                s.reset_counter
            ),
        ),
        (Some(s), None) => check(
            "reset_seen",
            true,
            format!(
                "reset counter {}; no earlier reset counter on record",
                s.reset_counter
            ),
        ),
        (None, _) => check("reset_seen", false, "no self-check"),
    });
    checks.push(match sc {
        Some(s) => check(
            "only_this_hub",
            s.controllers == 1,
            format!(
                "{} paired controller(s): every old controller is gone only if this is 1",
                s.controllers
            ),
        ),
        None => check("only_this_hub", false, "no self-check"),
    });
    checks.push(match sc {
        Some(s) => check(
            "not_in_setup_mode",
            !s.setup_mode,
            if s.setup_mode {
                "the lock is in setup mode"
            } else {
                "claimed"
            },
        ),
        None => check("not_in_setup_mode", false, "no self-check"),
    });
    let mut missing = Vec::new();
    for e in &input.expected {
        match slot_digest(&input.observed, e.slot) {
            None => missing.push(format!("slot {} ({}): not read", e.slot, e.person)),
            Some(d) if d == [0; 32] => {
                missing.push(format!("slot {} ({}): digest absent", e.slot, e.person))
            }
            Some(d) if e.recorded_digest.is_some_and(|r| r != d) => missing.push(format!(
                "slot {} ({}): digest differs from the confirmed one",
                e.slot, e.person
            )),
            Some(_) => {}
        }
    }
    checks.push(check(
        "chosen_present",
        missing.is_empty(),
        if missing.is_empty() {
            format!(
                "{} chosen people present, as confirmed",
                input.expected.len()
            )
        } else {
            missing.join("; ")
        },
    ));
    let strays: Vec<String> = input
        .observed
        .iter()
        .filter(|o| o.digest != [0; 32] && !input.expected.iter().any(|e| e.slot == o.user))
        .map(|o| format!("slot {}", o.user))
        .collect();
    checks.push(check(
        "others_absent",
        strays.is_empty(),
        if strays.is_empty() {
            "every other user slot is empty: no old code, card, fingerprint or app key remains"
                .to_owned()
        } else {
            format!("not empty: {}", strays.join(", "))
        },
    ));
    let unread: Vec<u16> = (1..=input.max_users)
        .filter(|u| !input.observed.iter().any(|o| o.user == *u))
        .collect();
    checks.push(check(
        "all_slots_read",
        unread.is_empty(),
        if unread.is_empty() {
            format!("all {} user slots read", input.max_users)
        } else {
            format!("{} slots not read", unread.len())
        },
    ));
    checks.push(match sc {
        Some(s) => check(
            "counts_match",
            usize::from(s.users) == input.expected.len(),
            format!(
                "{} users on the lock, {} expected",
                s.users,
                input.expected.len()
            ),
        ),
        None => check("counts_match", false, "no self-check"),
    });
    checks.push(match sc {
        Some(s) => check(
            "motor_ok",
            s.motor_ok,
            format!(
                "motor test {}; battery {}%",
                if s.motor_ok { "passed" } else { "FAILED" },
                s.battery_percent
            ),
        ),
        None => check("motor_ok", false, "no self-check"),
    });
    let generated_at = Timestamp::from_second(input.generated_at_utc)
        .ok()
        .and_then(|t| zone(&input.zone).ok().map(|z| t.to_zoned(z)))
        .map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or_default();
    VerificationReport {
        serial: input.serial.clone(),
        lock_label: input.lock_label.clone(),
        generated_at,
        passed: checks.iter().all(|c| c.passed),
        checks,
        present: input.expected.clone(),
        removed_people: input.removed_people.clone(),
    }
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

impl VerificationReport {
    /// A self-contained printable page (every string escaped).
    pub fn to_html(&self) -> String {
        let mut rows = String::new();
        for c in &self.checks {
            rows.push_str(&format!(
                "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>\n",
                esc(&c.id),
                if c.passed { "ok" } else { "bad" },
                if c.passed { "passed" } else { "FAILED" },
                esc(&c.detail)
            ));
        }
        let present: String = self
            .present
            .iter()
            .map(|p| format!("<li>{} (slot {})</li>", esc(&p.person), p.slot))
            .collect();
        let removed: String = self
            .removed_people
            .iter()
            .map(|p| format!("<li>{}</li>", esc(p)))
            .collect();
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Lock verification {serial}</title>\
<style>body{{font-family:sans-serif;max-width:48em;margin:2em auto}}table{{border-collapse:collapse;width:100%}}\
td,th{{border:1px solid #999;padding:.3em;text-align:left}}.ok{{color:#060}}.bad{{color:#a00;font-weight:bold}}</style></head>\
<body><h1>Lock verification: {verdict}</h1><p>Lock <b>{label}</b> (serial {serial}), checked {at}.</p>\
<table><tr><th>check</th><th>result</th><th>detail</th></tr>\n{rows}</table>\
<h2>Who can open this door</h2><ul>{present}</ul><h2>Removed</h2><ul>{removed}</ul>\
<p>Slots are compared by the digest the lock computes over each user, credential and schedule; no code is ever read back.</p></body></html>\n",
            serial = esc(&self.serial),
            label = esc(&self.lock_label),
            at = esc(&self.generated_at),
            verdict = if self.passed { "PASSED" } else { "FAILED" },
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct Seq(u64);
    impl rand_core::TryRng for Seq {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            Ok((self.0 >> 33) as u32)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(u64::from(self.try_next_u32()?) << 32 | u64::from(self.try_next_u32()?))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for b in dst {
                *b = self.try_next_u32()? as u8;
            }
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Seq {}

    fn at(zone: &str, s: &str) -> i64 {
        s.parse::<DateTime>()
            .unwrap()
            .to_zoned(TimeZone::get(zone).unwrap())
            .unwrap()
            .timestamp()
            .as_second()
    }

    #[test]
    fn trivial_pins() {
        for p in [
            "0000", "1111", "1234", "4321", "123456", "1212", "121212", "98765",
        ] {
            assert!(is_trivial(p), "{p}");
        }
        for p in ["4826", "482913", "1235", "1221", "2580"] {
            assert!(!is_trivial(p), "{p}");
        }
        let pol = PinPolicy::DEFAULT;
        assert_eq!(pol.check("12"), Err(PinError::TooShort { min: 4 }));
        assert_eq!(
            pol.check("1234567890123"),
            Err(PinError::TooLong { max: 12 })
        );
        assert_eq!(pol.check("12a4"), Err(PinError::BadCharacter));
        assert_eq!(pol.check("1234"), Err(PinError::Trivial));
        assert_eq!(pol.check("4826"), Ok(()));
        assert!(!format!("{}", PinError::Trivial).contains("1234 "));
    }

    proptest! {
        #[test]
        fn generated_pins_pass(seed in any::<u64>(), len in 0u8..20) {
            let pol = PinPolicy::DEFAULT;
            let pin = pol.generate(len, &mut Seq(seed));
            prop_assert!(pol.check(pin.expose()).is_ok());
            prop_assert_eq!(pin.expose().len(), usize::from(len.clamp(4, 12)));
        }

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

    #[test]
    fn plan_clears_unused_schedule_slots() {
        let c = AccessSchedule::Permanent.compile("UTC", 0).unwrap();
        assert_eq!(
            plan_user(3, "New", &c, true).len(),
            1,
            "a fresh slot: only SetUser"
        );
        let ops = plan_user(3, "A very long name indeed", &c, false);
        assert_eq!(ops.len(), 5);
        match &ops[0] {
            OpKind::SetUser { user } => {
                assert_eq!(user.index, 3);
                assert!(user.name.len() <= LOCK_NAME_LEN);
                assert_eq!(user.user_type, UserType::Unrestricted);
            }
            other => panic!("{other:?}"),
        }
        assert!(ops[1..].iter().all(|o| matches!(
            o,
            OpKind::ClearWeekDaySchedule { .. } | OpKind::ClearYearDaySchedule { .. }
        )));
        assert!(confirm_set(None, [1; 32]));
        assert!(!confirm_set(Some([1; 32]), [1; 32]));
        assert!(!confirm_set(None, [0; 32]));
        assert!(confirm_removed([0; 32]));
    }

    #[test]
    fn door_state_machine_table() {
        use DoorEvent as E;
        use DoorState as S;
        let states = [
            S::Pending,
            S::Setting,
            S::Set,
            S::Removing,
            S::Removed,
            S::Failed,
        ];
        let events = [
            E::Dispatched,
            E::Confirmed,
            E::Failed,
            E::RevokeRequested,
            E::ChangeRequested,
            E::Reset,
        ];
        let expect = |s: S, e: &E| -> Option<S> {
            Some(match (s, e) {
                (_, E::Reset) => S::Removed,
                (S::Pending, E::Dispatched) | (S::Setting, E::Dispatched) => S::Setting,
                (S::Setting, E::Confirmed) => S::Set,
                (S::Pending, E::Failed) | (S::Setting, E::Failed) | (S::Removing, E::Failed) => {
                    S::Failed
                }
                (S::Set, E::ChangeRequested)
                | (S::Failed, E::ChangeRequested)
                | (S::Removed, E::ChangeRequested) => S::Pending,
                (S::Pending | S::Setting | S::Set | S::Failed, E::RevokeRequested) => S::Removing,
                (S::Removing, E::Dispatched) => S::Removing,
                (S::Removing, E::Confirmed) => S::Removed,
                _ => return None,
            })
        };
        for s in states {
            assert_eq!(DoorState::parse(s.as_str()), Some(s));
            for e in &events {
                assert_eq!(door_step(s, e).ok(), expect(s, e), "{s:?} on {e:?}");
            }
        }
    }

    fn input() -> VerificationInput {
        let facts = SelfCheckFacts {
            verified: true,
            challenge_ok: true,
            reset_counter: 2,
            users: 1,
            credentials: 1,
            controllers: 1,
            setup_mode: false,
            battery_percent: 80,
            motor_ok: true,
        };
        let mut observed: Vec<SlotDigest> = (1..=4)
            .map(|u| SlotDigest {
                user: u,
                digest: [0; 32],
            })
            .collect();
        observed[1].digest = [7; 32];
        VerificationInput {
            serial: "S1".into(),
            lock_label: "Front".into(),
            zone: "Europe/Berlin".into(),
            generated_at_utc: 1_792_827_000,
            previous_reset_counter: Some(1),
            self_check: Some(facts),
            expected: vec![ExpectedSlot {
                slot: 2,
                person: "Alice <script>".into(),
                recorded_digest: Some([7; 32]),
            }],
            removed_people: vec!["Carol".into()],
            observed,
            max_users: 4,
        }
    }

    #[test]
    fn verification_report() {
        let r = verify(&input());
        assert!(r.passed, "{r:#?}");
        assert_eq!(r.generated_at, "2026-10-24T09:30:00+02:00");
        let mut i = input();
        i.observed[2].digest = [9; 32];
        let r = verify(&i);
        assert!(!r.passed);
        assert!(r
            .checks
            .iter()
            .any(|c| c.id == "others_absent" && !c.passed));
        let mut i = input();
        i.self_check = None;
        assert!(!verify(&i).passed);
        let mut i = input();
        i.self_check.as_mut().unwrap().controllers = 2;
        let r = verify(&i);
        let failed: Vec<&str> = r
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(failed, ["only_this_hub"]);
        let html = verify(&input()).to_html();
        assert!(html.contains("Alice &lt;script&gt;"));
        assert!(!html.contains("<script>"));
    }
}
