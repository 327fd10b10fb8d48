//! Buzzer and LED: what the lock shows a person at the door, always also said in words.
//!
//! Each indication renders as one line such as `two beeps, green: factory reset done`, so a
//! console user, a log and a test all see the same thing.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

/// LED colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Led {
    /// Off.
    Off,
    /// Green: accepted, done.
    Green,
    /// Red: refused, error.
    Red,
    /// Blue: setup / pairing mode.
    Blue,
    /// Amber: warning (battery, busy).
    Amber,
    /// White: awake, waiting for input.
    White,
}

impl fmt::Display for Led {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Off => "no light",
            Self::Green => "green",
            Self::Red => "red",
            Self::Blue => "blue",
            Self::Amber => "amber",
            Self::White => "white",
        })
    }
}

/// Buzzer pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Beeps {
    /// Silent.
    None,
    /// `n` short beeps.
    Short(u8),
    /// One long beep.
    Long,
    /// A continuous alarm.
    Alarm,
}

impl fmt::Display for Beeps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("silent"),
            Self::Short(1) => f.write_str("one beep"),
            Self::Short(2) => f.write_str("two beeps"),
            Self::Short(3) => f.write_str("three beeps"),
            Self::Short(n) => write!(f, "{n} beeps"),
            Self::Long => f.write_str("long beep"),
            Self::Alarm => f.write_str("alarm"),
        }
    }
}

/// One thing the lock shows: a buzzer pattern, an LED colour, and the words for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indication {
    /// What the buzzer does.
    pub beeps: Beeps,
    /// What the LED shows.
    pub led: Led,
    /// Whether the LED blinks (otherwise it is lit steadily for a moment).
    pub blinking: bool,
    /// What it means, in words a person understands.
    pub words: String,
}

impl Indication {
    /// An indication with a steady LED.
    pub fn new(beeps: Beeps, led: Led, words: impl Into<String>) -> Self {
        Self {
            beeps,
            led,
            blinking: false,
            words: words.into(),
        }
    }

    /// The same indication with a blinking LED.
    pub fn blinking(mut self) -> Self {
        self.blinking = true;
        self
    }
}

impl fmt::Display for Indication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.blinking {
            write!(f, "{}, blinking {}: {}", self.beeps, self.led, self.words)
        } else {
            write!(f, "{}, {}: {}", self.beeps, self.led, self.words)
        }
    }
}

/// The buzzer/LED panel: keeps the recent indications (for `log`) with their times.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Recent indications in words, oldest first, at most `capacity`.
    recent: VecDeque<(Duration, String)>,
    /// How many indications are kept.
    capacity: usize,
}

impl Panel {
    /// A panel that remembers the last `capacity` indications.
    pub fn new(capacity: usize) -> Self {
        Self {
            recent: VecDeque::new(),
            capacity,
        }
    }

    /// Shows `ind` at `now` and returns its words line.
    pub fn show(&mut self, now: Duration, ind: Indication) -> String {
        self.show_words(now, ind.to_string())
    }

    /// Shows an indication already put in words (the lock's own signal descriptions).
    pub fn show_words(&mut self, now: Duration, line: String) -> String {
        if self.capacity > 0 {
            if self.recent.len() >= self.capacity {
                self.recent.pop_front();
            }
            self.recent.push_back((now, line.clone()));
        }
        line
    }

    /// The remembered indications in words, oldest first.
    pub fn recent(&self) -> impl Iterator<Item = &(Duration, String)> {
        self.recent.iter()
    }
}
