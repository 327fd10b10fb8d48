//! The battery: a charge level that drains per operation, can be set, pulled out and put back.

/// Charge in thousandths of a percent (100_000 = full).
const FULL: u32 = 100_000;

/// What an operation costs, in thousandths of a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Drain {
    /// Driving the bolt motor.
    Motor,
    /// Reading a card, a finger, or waking the keypad.
    Sensor,
    /// Sending or receiving a radio message.
    Radio,
}

impl Drain {
    fn cost(self) -> u32 {
        match self {
            Self::Motor => 20,
            Self::Sensor => 2,
            Self::Radio => 1,
        }
    }
}

/// The battery model.
#[derive(Debug, Clone)]
pub struct Battery {
    /// Charge in thousandths of a percent.
    charge: u32,
    /// Whether the battery is in the lock (no battery, no power).
    inserted: bool,
}

impl Default for Battery {
    fn default() -> Self {
        Self::new(100)
    }
}

impl Battery {
    /// A battery at `percent` (clamped to 100), inserted.
    pub fn new(percent: u8) -> Self {
        Self {
            charge: u32::from(percent.min(100)) * 1000,
            inserted: true,
        }
    }

    /// The charge in whole percent.
    pub fn percent(&self) -> u8 {
        u8::try_from(self.charge / 1000).unwrap_or(100)
    }

    /// Sets the charge to `percent` (clamped to 100): a fresh or a nearly flat battery.
    pub fn set_percent(&mut self, percent: u8) {
        self.charge = u32::from(percent.min(100)) * 1000;
    }

    /// Whether the lock has power (battery in and not flat).
    pub fn powered(&self) -> bool {
        self.inserted && self.charge > 0
    }

    /// Whether the battery is in the lock.
    pub fn inserted(&self) -> bool {
        self.inserted
    }

    /// Pulls the battery out: power is lost at once.
    pub fn pull(&mut self) {
        self.inserted = false;
    }

    /// Puts the battery back; returns `true` if that powered the lock up (it was out).
    pub fn insert(&mut self) -> bool {
        let was_out = !self.inserted;
        self.inserted = true;
        was_out && self.powered()
    }

    /// Charges one operation's cost.
    pub fn drain(&mut self, what: Drain) {
        self.charge = self.charge.saturating_sub(what.cost());
    }

    /// The charge did not reach `FULL` overflow; exposed for telemetry in thousandths.
    pub fn millipercent(&self) -> u32 {
        self.charge.min(FULL)
    }
}
