//! Time for the simulated lock: a real wall clock (the one edge that reads it) or a virtual one for tests.
//!
//! Everything else in this crate takes `now: Duration` (time since the Unix epoch) as a parameter,
//! so a test can drive a lock through hours of schedules and lockouts without waiting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A source of the current time, as a [`Duration`] since the Unix epoch.
///
/// Failure contract: none. A clock always answers; a real clock that went backwards answers the
/// earlier time (the lock treats time as a parameter and copes with it).
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time since the Unix epoch.
    fn now(&self) -> Duration;

    /// Whether waiting must really pass time (`true` for a real clock). A virtual clock is advanced
    /// instead of slept on.
    fn is_real(&self) -> bool;

    /// Moves a virtual clock forward by `by`. A real clock ignores this (real time passes by itself).
    fn advance(&self, by: Duration);
}

/// The wall clock of the machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // This is the one legitimate clock read of the device crate: the simulated lock's real-time
    // clock chip. Everything downstream gets the time passed in (clippy.toml bans clock reads).
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Duration {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    }

    fn is_real(&self) -> bool {
        true
    }

    fn advance(&self, _by: Duration) {}
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct VirtualClock {
    /// Milliseconds since the Unix epoch, shared between clones.
    millis: Arc<AtomicU64>,
}

impl VirtualClock {
    /// A virtual clock starting at `start` (since the Unix epoch).
    pub fn new(start: Duration) -> Self {
        let millis = u64::try_from(start.as_millis()).unwrap_or(u64::MAX);
        Self {
            millis: Arc::new(AtomicU64::new(millis)),
        }
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: Duration) {
        let millis = u64::try_from(to.as_millis()).unwrap_or(u64::MAX);
        self.millis.store(millis, Ordering::SeqCst);
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.millis.load(Ordering::SeqCst))
    }

    fn is_real(&self) -> bool {
        false
    }

    fn advance(&self, by: Duration) {
        let add = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let _ = self
            .millis
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |m| {
                Some(m.saturating_add(add))
            });
    }
}
