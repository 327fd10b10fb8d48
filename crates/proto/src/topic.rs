//! MQTT topic helpers and the availability payloads.

use core::fmt::Write;

/// Longest topic these helpers build (prefix + serial + suffix).
pub const TOPIC_MAX: usize = 64;

/// A topic name.
pub type Topic = heapless::String<TOPIC_MAX>;

/// Retained payload on the status topic while the lock is connected.
pub const ONLINE: &[u8] = b"online";
/// Last-will payload on the status topic (the broker publishes it when the lock drops).
pub const OFFLINE: &[u8] = b"offline";

/// Why a topic could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TopicError {
    /// The serial is empty, too long, or contains `/`, `+`, `#` or a NUL.
    BadSerial,
}

fn build(serial: &str, suffix: &str) -> Result<Topic, TopicError> {
    let bad = serial.is_empty() || serial.chars().any(|c| matches!(c, '/' | '+' | '#' | '\0'));
    if bad {
        return Err(TopicError::BadSerial);
    }
    let mut t = Topic::new();
    write!(t, "tumbler/v1/{serial}/{suffix}").map_err(|_| TopicError::BadSerial)?;
    Ok(t)
}

/// `tumbler/v1/<serial>/up`: lock → controllers (envelopes).
pub fn topic_up(serial: &str) -> Result<Topic, TopicError> {
    build(serial, "up")
}

/// `tumbler/v1/<serial>/down`: controllers → lock (envelopes, claim messages).
pub fn topic_down(serial: &str) -> Result<Topic, TopicError> {
    build(serial, "down")
}

/// `tumbler/v1/<serial>/status`: retained [`ONLINE`]; last will [`OFFLINE`] (retained).
pub fn topic_status(serial: &str) -> Result<Topic, TopicError> {
    build(serial, "status")
}
