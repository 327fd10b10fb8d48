//! Buttons: the reset button inside the battery compartment and the interior program button.
//!
//! The reset button model measures how long it was held; what a hold means (reboot, factory
//! reset, nothing) is decided by the lock, whose factory-reset hold time is a setting.

use std::time::Duration;

/// What a finished press of the reset button was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    /// How long the button was held down.
    pub held: Duration,
}

/// The reset button model.
#[derive(Debug, Clone, Default)]
pub struct ResetButton {
    /// When the button went down; `None` while it is up.
    down_since: Option<Duration>,
}

impl ResetButton {
    /// A button that is up.
    pub fn new() -> Self {
        Self::default()
    }

    /// Pushes the button down at `now` (a second push while it is down changes nothing).
    pub fn push(&mut self, now: Duration) {
        if self.down_since.is_none() {
            self.down_since = Some(now);
        }
    }

    /// Whether the button is down.
    pub fn is_down(&self) -> bool {
        self.down_since.is_some()
    }

    /// Lets the button go at `now`; `None` if it was not down.
    pub fn release(&mut self, now: Duration) -> Option<Press> {
        self.down_since.take().map(|t| Press {
            held: now.saturating_sub(t),
        })
    }
}

/// The interior program button: a momentary push, counted so tests can see it was pressed.
#[derive(Debug, Clone, Default)]
pub struct ProgramButton {
    /// How many times the button has been pressed since power-up.
    presses: u32,
}

impl ProgramButton {
    /// Presses the button once.
    pub fn press(&mut self) {
        self.presses = self.presses.saturating_add(1);
    }

    /// Presses since power-up.
    pub fn presses(&self) -> u32 {
        self.presses
    }
}
