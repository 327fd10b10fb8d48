//! Reconnect backoff: exponential with jitter, so ten thousand locks do not reconnect in step.

use crate::hw::rng::SimRng;
use std::time::Duration;

/// Exponential backoff with full jitter in the upper half of each step.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// The first delay.
    min: Duration,
    /// The longest delay.
    max: Duration,
    /// The current step's delay, before jitter.
    current: Duration,
    /// Jitter source (seeded per lock).
    rng: SimRng,
}

impl Backoff {
    /// A backoff from `min` doubling up to `max`, jitter seeded with `seed`.
    pub fn new(min: Duration, max: Duration, seed: u64) -> Self {
        Self {
            min,
            max: max.max(min),
            current: min,
            rng: SimRng::new(seed),
        }
    }

    /// The next delay to wait, in `[current/2, current]`; then doubles the step.
    pub fn next_delay(&mut self) -> Duration {
        let cur = self.current;
        self.current = (cur.saturating_mul(2)).min(self.max);
        let half = cur / 2;
        let span = u64::try_from((cur - half).as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(self.rng.below(span.saturating_add(1)))
    }

    /// A connection succeeded: start again from the minimum.
    pub fn reset(&mut self) {
        self.current = self.min;
    }
}
