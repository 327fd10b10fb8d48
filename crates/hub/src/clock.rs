//! Time as a parameter: the hub's core asks a [`Clock`] instead of the OS.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// Source of the current time for the hub's services.
///
/// Library code never reads the OS clock directly (see `clippy.toml`); it is
/// handed a `Clock`, so tests can fix or advance time deterministically.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The real clock, used by the binary.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one place the hub reads the OS clock: this is the real edge.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug, Clone)]
pub struct FixedClock {
    /// Shared so that clones (one in the app state, one in the test) agree.
    now: Arc<Mutex<Timestamp>>,
}

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(at)),
        }
    }

    /// Sets the time.
    pub fn set(&self, at: Timestamp) {
        if let Ok(mut now) = self.now.lock() {
            *now = at;
        }
    }

    /// Moves the time forward (or back, for a negative duration).
    pub fn advance(&self, by: SignedDuration) {
        if let Ok(mut now) = self.now.lock() {
            if let Ok(next) = now.checked_add(by) {
                *now = next;
            }
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        match self.now.lock() {
            Ok(now) => *now,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}
