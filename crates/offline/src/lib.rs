//! Codes that work offline: a time-bound code the hub mints from a secret the
//! lock holds, and the lock checks by itself without having been told about
//! it. One pure function for both sides, so they cannot drift apart.
//!
//! # The code
//!
//! Ten digits a guest types at the keypad: `FFFF MMMMMM`.
//!
//! * `FFFF`, the **form** (in the clear): what kind of code and the shape of
//!   its window, but not where the window lies in time ([`Shape`], table in
//!   `docs/design/offline-codes.md`).
//! * `MMMMMM`, the **tag**: HMAC-SHA256 under the lock's 32-byte secret over
//!   `("tumbler/offline-code/v1", epoch, form, start)`, first eight bytes
//!   big-endian, modulo 10^6.
//!
//! The window's *start* (an hour, a UTC day or a local day) is not typed:
//! the lock tries each start that would put its clock inside the window
//! ([`candidates`]), at most [`MAX_CANDIDATES`] of them, and compares tags in
//! constant time. So the check costs at most 31 HMAC-SHA256 (one keyed state
//! cloned per candidate: two SHA-256 compressions each) and zero for a
//! malformed entry or a form that cannot be open at this hour.
//!
//! A code's identity ([`CodeId`]) is its form and its start: the lock names
//! it in its audit log, keeps it in its used list (one-time codes) and its
//! deny list, and the hub finds the record it issued by it. Two codes with
//! the same window are the same code, so the hub refuses the second.
//! Changing the epoch (the lock is told a new one) kills every earlier code.
#![no_std]

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

type HmacSha256 = Hmac<Sha256>;

/// Digits in a code.
pub const DIGITS: usize = 10;
/// Digits of the form (in the clear, first).
pub const FORM_DIGITS: usize = 4;
/// Digits of the tag (last).
pub const TAG_DIGITS: usize = 6;
const TAG_MOD: u64 = 1_000_000;
/// Most HMACs one check computes (a 31-day [`Shape::Days`] code).
pub const MAX_CANDIDATES: u32 = 31;
/// Longest [`Shape::OneTime`] / [`Shape::Hours`] window, in hours.
pub const MAX_HOURS: u8 = 24;
/// Longest [`Shape::Days`] window, in days.
pub const MAX_SPAN_DAYS: u8 = 31;
/// Longest [`Shape::Daily`] run, in local days.
pub const MAX_DAILY_DAYS: u8 = 28;
const DOMAIN: &[u8] = b"tumbler/offline-code/v1";

/// The lock's offline-code secret. Zeroized on drop; `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret(pub [u8; 32]);

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A window's shape: everything about a code but where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shape {
    /// Opens once within `hours` (1..=24) hours from a whole UTC hour.
    OneTime {
        /// Length in hours.
        hours: u8,
    },
    /// Opens as often as typed for `hours` (1..=24) hours from a whole UTC hour.
    Hours {
        /// Length in hours.
        hours: u8,
    },
    /// Opens for `days` (1..=31) whole days from UTC hour `at_h` (0..24) of a UTC day.
    Days {
        /// Length in days.
        days: u8,
        /// UTC hour of day it starts and ends at.
        at_h: u8,
    },
    /// Opens every local day of a run of `days` (1..=28) from local hour
    /// `from_h` until local hour `to_h` (0 <= from_h < to_h <= 24), local time
    /// by the lock's time rule (DST included).
    Daily {
        /// Length of the run in local days.
        days: u8,
        /// First local hour of each day's window.
        from_h: u8,
        /// Local hour each day's window ends at (exclusive).
        to_h: u8,
    },
}

/// A code's window: its shape and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The shape.
    pub shape: Shape,
    /// For `OneTime`/`Hours`: UTC hours since 1970; for `Days`: UTC days since
    /// 1970; for `Daily`: local days since 1970-01-01 (the lock's wall clock).
    pub start: u32,
}

/// A code's identity: its form (high 32 bits) and its start (low 32 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CodeId(pub u64);

/// The lock's clock as a check needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    /// UTC seconds since 1970.
    pub utc_s: i64,
    /// Local days since 1970-01-01 (wall clock by the time rule).
    pub local_day: i64,
    /// Local hour of day, 0..24.
    pub local_hour: u8,
}

impl At {
    /// The instant `utc_s` where local time is `offset_min` minutes ahead of UTC.
    pub fn new(utc_s: i64, offset_min: i32) -> At {
        let local = utc_s.saturating_add(i64::from(offset_min) * 60);
        At {
            utc_s,
            local_day: local.div_euclid(86_400),
            local_hour: u8::try_from(local.rem_euclid(86_400) / 3600).unwrap_or(0),
        }
    }
    fn utc_h(self) -> i64 {
        self.utc_s.div_euclid(3600)
    }
}

/// Why a window cannot be a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShapeError {
    /// A length or hour outside the ranges [`Shape`] documents.
    OutOfRange,
}

/// Index of the daily window `[a, b)` among the 300 whole-hour windows of a day.
fn pair_index(a: u8, b: u8) -> u16 {
    let (a, b) = (u16::from(a), u16::from(b));
    24 * a - a * a.saturating_sub(1) / 2 + (b - a - 1)
}

impl Shape {
    /// Checks the ranges.
    pub fn validate(self) -> Result<Shape, ShapeError> {
        let ok = match self {
            Shape::OneTime { hours } | Shape::Hours { hours } => (1..=MAX_HOURS).contains(&hours),
            Shape::Days { days, at_h } => (1..=MAX_SPAN_DAYS).contains(&days) && at_h < 24,
            Shape::Daily { days, from_h, to_h } => {
                (1..=MAX_DAILY_DAYS).contains(&days) && from_h < to_h && to_h <= 24
            }
        };
        if ok {
            Ok(self)
        } else {
            Err(ShapeError::OutOfRange)
        }
    }

    /// The four clear digits, as a number (0001..=9399).
    pub fn form(self) -> Result<u16, ShapeError> {
        Ok(match self.validate()? {
            Shape::OneTime { hours } => u16::from(hours),
            Shape::Hours { hours } => 100 + u16::from(hours),
            Shape::Days { days, at_h } => 200 + (u16::from(days) - 1) * 24 + u16::from(at_h),
            Shape::Daily { days, from_h, to_h } => {
                1000 + (u16::from(days) - 1) * 300 + pair_index(from_h, to_h)
            }
        })
    }

    /// The shape a form stands for; `None` for a number no shape has.
    pub fn from_form(form: u16) -> Option<Shape> {
        let s = match form {
            1..=24 => Shape::OneTime { hours: form as u8 },
            101..=124 => Shape::Hours {
                hours: (form - 100) as u8,
            },
            200..=943 => Shape::Days {
                days: ((form - 200) / 24 + 1) as u8,
                at_h: ((form - 200) % 24) as u8,
            },
            1000..=9399 => {
                let days = ((form - 1000) / 300 + 1) as u8;
                let idx = (form - 1000) % 300;
                let (from_h, to_h) = (0u8..24)
                    .flat_map(|a| (a + 1..=24).map(move |b| (a, b)))
                    .find(|(a, b)| pair_index(*a, *b) == idx)?;
                Shape::Daily { days, from_h, to_h }
            }
            _ => return None,
        };
        Some(s)
    }

    /// The starts `[lo, hi]` that put `at` inside a window of this shape
    /// (empty when `lo > hi`); at most [`MAX_CANDIDATES`].
    fn starts(self, at: At) -> (i64, i64) {
        match self {
            Shape::OneTime { hours } | Shape::Hours { hours } => {
                let h = at.utc_h();
                (h - i64::from(hours) + 1, h)
            }
            Shape::Days { days, at_h } => {
                let d = (at.utc_h() - i64::from(at_h)).div_euclid(24);
                (d - i64::from(days) + 1, d)
            }
            Shape::Daily { days, from_h, to_h } => {
                if at.local_hour < from_h || at.local_hour >= to_h {
                    return (1, 0);
                }
                (at.local_day - i64::from(days) + 1, at.local_day)
            }
        }
    }
}

impl Window {
    /// This window's identity.
    pub fn id(&self) -> Result<CodeId, ShapeError> {
        Ok(CodeId(
            (u64::from(self.shape.form()?) << 32) | u64::from(self.start),
        ))
    }

    /// The window an identity names; `None` if its form is no shape's.
    pub fn from_id(id: CodeId) -> Option<Window> {
        let form = u16::try_from(id.0 >> 32).ok()?;
        Some(Window {
            shape: Shape::from_form(form)?,
            start: (id.0 & 0xffff_ffff) as u32,
        })
    }

    /// Whether `at` is inside the window.
    pub fn contains(&self, at: At) -> bool {
        let (lo, hi) = self.shape.starts(at);
        (lo..=hi).contains(&i64::from(self.start))
    }

    /// Whether the window is over for good at `at` (a used or denied entry
    /// for it can then be forgotten: the code cannot open again anyway).
    pub fn ended(&self, at: At) -> bool {
        let start = i64::from(self.start);
        match self.shape {
            Shape::OneTime { hours } | Shape::Hours { hours } => {
                at.utc_h() >= start + i64::from(hours)
            }
            Shape::Days { days, at_h } => {
                at.utc_h() >= (start + i64::from(days)) * 24 + i64::from(at_h)
            }
            Shape::Daily { days, .. } => at.local_day >= start + i64::from(days),
        }
    }
}

/// A code as typed: [`DIGITS`] ASCII digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(pub [u8; DIGITS]);

impl Code {
    /// The digits as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl Drop for Code {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl core::fmt::Debug for Code {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Code(<redacted>)")
    }
}

fn keyed(secret: &Secret) -> Option<HmacSha256> {
    <HmacSha256 as KeyInit>::new_from_slice(&secret.0).ok()
}

fn tag(keyed: &HmacSha256, epoch: u32, form: u16, start: u32) -> u32 {
    let mut m = keyed.clone();
    m.update(DOMAIN);
    m.update(&epoch.to_be_bytes());
    m.update(&form.to_be_bytes());
    m.update(&start.to_be_bytes());
    let out = m.finalize().into_bytes();
    let mut first = [0u8; 8];
    for (d, s) in first.iter_mut().zip(out.iter()) {
        *d = *s;
    }
    (u64::from_be_bytes(first) % TAG_MOD) as u32
}

fn write_digits(out: &mut [u8], mut v: u64) {
    for d in out.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// The code for `window` under `secret` and `epoch` (the hub issues with it).
pub fn issue(secret: &Secret, epoch: u32, window: &Window) -> Result<Code, ShapeError> {
    let form = window.shape.form()?;
    let keyed = keyed(secret).ok_or(ShapeError::OutOfRange)?;
    let t = tag(&keyed, epoch, form, window.start);
    let mut code = [b'0'; DIGITS];
    let (f, m) = code.split_at_mut(FORM_DIGITS);
    write_digits(f, u64::from(form));
    write_digits(m, u64::from(t));
    Ok(Code(code))
}

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The window of the code typed, if it is a code for this lock and epoch
    /// whose window holds `at`.
    pub window: Option<Window>,
    /// HMAC-SHA256 computations spent (0..=[`MAX_CANDIDATES`]).
    pub hmacs: u32,
}

fn parse(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |v, c| {
        c.is_ascii_digit()
            .then(|| v * 10 + u64::from(c.wrapping_sub(b'0')))
    })
}

/// Checks `typed` (the keypad's digits) at `at` against `secret` and `epoch`.
pub fn check(secret: &Secret, epoch: u32, typed: &[u8], at: At) -> Checked {
    let none = Checked {
        window: None,
        hmacs: 0,
    };
    if typed.len() != DIGITS {
        return none;
    }
    let (f, m) = typed.split_at(FORM_DIGITS);
    let (Some(form), Some(want)) = (parse(f), parse(m)) else {
        return none;
    };
    let Some(shape) = u16::try_from(form).ok().and_then(Shape::from_form) else {
        return none;
    };
    let Some(keyed) = keyed(secret) else {
        return none;
    };
    let want = want as u32;
    let (lo, hi) = shape.starts(at);
    let (lo, hi) = (lo.max(0), hi.min(i64::from(u32::MAX)));
    let mut found = None;
    let mut hmacs = 0;
    for s in lo..=hi {
        let start = s as u32;
        hmacs += 1;
        let t = tag(&keyed, epoch, form as u16, start);
        if bool::from(t.ct_eq(&want)) && found.is_none() {
            found = Some(Window { shape, start });
        }
    }
    Checked {
        window: found,
        hmacs,
    }
}

/// How many codes (of all 10^10 digit strings) open at `at` for a given
/// secret and epoch: the sum over every form of its candidate starts. A
/// guess succeeds with probability `codes_open_at(at) / 10^10`.
pub fn codes_open_at(at: At) -> u64 {
    (0u16..10_000)
        .filter_map(Shape::from_form)
        .map(|s| {
            let (lo, hi) = s.starts(at);
            u64::try_from(hi - lo + 1).unwrap_or(0)
        })
        .sum()
}

#[cfg(test)]
mod tests;
