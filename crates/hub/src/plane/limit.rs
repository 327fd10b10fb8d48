//! A rate limit on alerts about one lock: each (lock, kind) has a bucket of
//! [`BURST`] raises that refills by one every [`REFILL_MS`]. A flapping link
//! or a flood of forged frames then costs a few alert writes a minute, not
//! hundreds, while an ordinary lock never meets the limit. A raise of a
//! condition that is still open costs nothing (the store counts it once
//! anyway). `duress` is never limited: a person at the door may be in danger.
//!
//! Pure: the time is a parameter; the buckets live in this process's memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::model::AlertKind;

/// Raises of one kind about one lock allowed at once.
pub const BURST: u32 = 10;
/// One more raise is allowed this often (ms).
pub const REFILL_MS: i64 = 60_000;

/// One (lock, kind)'s allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    tokens: u32,
    /// When `tokens` was last refilled (ms).
    at: i64,
    /// A condition raised and not cleared since.
    open: bool,
}

impl Bucket {
    /// A full bucket at `now`.
    pub fn new(now: i64) -> Self {
        Self {
            tokens: BURST,
            at: now,
            open: false,
        }
    }

    /// Whether a raise at `now` may be written (and takes its token).
    /// `condition`: a raise while the condition is open is free.
    pub fn take(&mut self, now: i64, condition: bool) -> bool {
        if condition && self.open {
            return true;
        }
        let periods = now.saturating_sub(self.at).max(0) / REFILL_MS;
        if periods > 0 {
            let add = u32::try_from(periods).unwrap_or(u32::MAX);
            self.tokens = self.tokens.saturating_add(add).min(BURST);
            self.at = self.at.saturating_add(periods.saturating_mul(REFILL_MS));
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        self.open = condition;
        true
    }

    /// The condition ended.
    pub fn cleared(&mut self) {
        self.open = false;
    }
}

/// The buckets of every lock; cheap to clone.
#[derive(Clone, Default, Debug)]
pub struct AlertLimiter {
    buckets: Arc<Mutex<HashMap<(i64, &'static str), Bucket>>>,
    suppressed: Arc<AtomicU64>,
}

impl AlertLimiter {
    /// Whether a raise of `kind` about lock `lock_id` at `now` may be
    /// written; a refused one is counted in [`AlertLimiter::suppressed`].
    pub fn allow(&self, lock_id: i64, kind: AlertKind, now: i64) -> bool {
        if kind == AlertKind::Duress {
            return true;
        }
        let ok = self.buckets.lock().map_or(true, |mut m| {
            m.entry((lock_id, kind.as_str()))
                .or_insert_with(|| Bucket::new(now))
                .take(now, kind.is_condition())
        });
        if !ok {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// The condition behind `kind` ended for lock `lock_id`.
    pub fn cleared(&self, lock_id: i64, kind: AlertKind) {
        if let Ok(mut m) = self.buckets.lock() {
            if let Some(b) = m.get_mut(&(lock_id, kind.as_str())) {
                b.cleared();
            }
        }
    }

    /// Raises refused so far.
    pub fn suppressed(&self) -> u64 {
        self.suppressed.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_refill_period() {
        let mut b = Bucket::new(0);
        for i in 0..BURST {
            assert!(b.take(i64::from(i), false), "raise {i} of the burst");
        }
        assert!(!b.take(100, false), "over the burst");
        assert!(!b.take(REFILL_MS - 1, false), "before the refill");
        assert!(b.take(REFILL_MS, false), "one refilled");
        assert!(!b.take(REFILL_MS + 1, false), "only one");
        // A long quiet spell refills to the burst, never beyond.
        let later = REFILL_MS * 1000;
        for i in 0..BURST {
            assert!(b.take(later, false), "raise {i} after a quiet spell");
        }
        assert!(!b.take(later, false));
    }

    #[test]
    fn an_open_condition_raised_again_costs_nothing_and_a_flapping_one_is_limited() {
        let mut b = Bucket::new(0);
        assert!(b.take(0, true));
        for t in 1..1000 {
            assert!(b.take(t, true), "still open: free");
        }
        // Flapping: raise, clear, raise… only the burst is written.
        b.cleared();
        let mut written = 0;
        for t in 0..261 {
            if b.take(1000 + t, true) {
                written += 1;
            }
            b.cleared();
        }
        assert_eq!(written, BURST - 1, "the first raise took one token");
    }

    #[test]
    fn limits_are_per_lock_and_kind_and_duress_is_never_limited() {
        let l = AlertLimiter::default();
        let mut allowed = 0;
        for _ in 0..100 {
            allowed += u32::from(l.allow(1, AlertKind::ForgedStatus, 5));
        }
        assert_eq!(allowed, BURST);
        assert_eq!(l.suppressed(), u64::from(100 - BURST));
        assert!(l.allow(2, AlertKind::ForgedStatus, 5), "another lock");
        assert!(l.allow(1, AlertKind::Tamper, 5), "another kind");
        for _ in 0..100 {
            assert!(l.allow(1, AlertKind::Duress, 5));
        }
        // Clearing a condition through the limiter reopens its cost.
        assert!(l.allow(3, AlertKind::LockOffline, 0));
        assert!(l.allow(3, AlertKind::LockOffline, 0), "still open");
        for _ in 0..20 {
            l.cleared(3, AlertKind::LockOffline);
            l.allow(3, AlertKind::LockOffline, 0);
        }
        l.cleared(3, AlertKind::LockOffline);
        assert!(!l.allow(3, AlertKind::LockOffline, 0));
    }
}
