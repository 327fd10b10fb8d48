//! The door sensor: open, closed, forced (opened while the bolt was thrown), ajar (left open).

use super::motor::Bolt;
use std::time::Duration;

/// What the door sensor reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DoorEvent {
    /// The door was opened normally.
    Opened,
    /// The door was opened while the bolt was thrown: forced entry.
    Forced,
    /// The door was closed.
    Closed,
    /// The door has been open longer than the ajar time.
    Ajar,
}

/// The door sensor model.
#[derive(Debug, Clone)]
pub struct DoorSensor {
    /// When the door was opened; `None` while it is closed.
    open_since: Option<Duration>,
    /// An open door becomes ajar after this long.
    ajar_after: Duration,
    /// The ajar event for this opening was already reported.
    ajar_reported: bool,
}

impl DoorSensor {
    /// A closed door that reports ajar after `ajar_after` open.
    pub fn new(ajar_after: Duration) -> Self {
        Self {
            open_since: None,
            ajar_after,
            ajar_reported: false,
        }
    }

    /// Whether the door is open.
    pub fn is_open(&self) -> bool {
        self.open_since.is_some()
    }

    /// Opens the door at `now` with the bolt at `bolt`; `None` if it was already open.
    pub fn open(&mut self, now: Duration, bolt: Bolt) -> Option<DoorEvent> {
        if self.open_since.is_some() {
            return None;
        }
        self.open_since = Some(now);
        self.ajar_reported = false;
        Some(if bolt == Bolt::Locked {
            DoorEvent::Forced
        } else {
            DoorEvent::Opened
        })
    }

    /// Closes the door; `None` if it was already closed.
    pub fn close(&mut self) -> Option<DoorEvent> {
        self.open_since.take().map(|_| DoorEvent::Closed)
    }

    /// Lets time pass: reports [`DoorEvent::Ajar`] once per opening when the door stays open.
    pub fn tick(&mut self, now: Duration) -> Option<DoorEvent> {
        let since = self.open_since?;
        if !self.ajar_reported && now.saturating_sub(since) >= self.ajar_after {
            self.ajar_reported = true;
            return Some(DoorEvent::Ajar);
        }
        None
    }
}
