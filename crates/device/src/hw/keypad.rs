//! The keypad: digits, `*` and `#`, with an entry timeout.
//!
//! The keypad only collects keys; what an entry *means* (a PIN, an admin sequence, a reset
//! sequence) is the lock's business. `#` ends an entry. A pause longer than the entry timeout
//! between two keys discards what was typed, as a real keypad does.

use std::time::Duration;

/// The longest entry the keypad buffers; further keys are ignored until `#`.
pub const MAX_ENTRY: usize = 32;

/// What pressing a key produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyOutcome {
    /// The key was buffered; the entry continues.
    Buffered,
    /// `#` ended an entry: the keys typed before it (digits and `*`), without the `#`.
    Entry(String),
    /// `#` was pressed with nothing typed.
    Empty,
    /// The previous entry had timed out and was discarded; this key started a new one.
    TimedOutThenBuffered,
    /// The entry is full ([`MAX_ENTRY`] keys); the key was ignored.
    Full,
}

/// A key that the keypad does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the keypad has no key {0:?} (keys: 0-9, *, #)")]
pub struct NotAKey(pub char);

/// The keypad model.
#[derive(Debug, Clone)]
pub struct Keypad {
    /// Keys typed so far in this entry (digits and `*`).
    buffer: String,
    /// When the last key was pressed; `None` when the buffer is empty.
    last_key: Option<Duration>,
    /// A pause longer than this between two keys discards the entry.
    timeout: Duration,
}

impl Keypad {
    /// A keypad whose entries time out after `timeout` without a key.
    pub fn new(timeout: Duration) -> Self {
        Self {
            buffer: String::new(),
            last_key: None,
            timeout,
        }
    }

    /// The entry timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether an entry is half-typed (and not yet timed out at `now`).
    pub fn pending(&self, now: Duration) -> bool {
        !self.buffer.is_empty() && !self.expired(now)
    }

    fn expired(&self, now: Duration) -> bool {
        self.last_key
            .is_some_and(|t| now.saturating_sub(t) > self.timeout)
    }

    /// Presses one key at `now`.
    pub fn press(&mut self, key: char, now: Duration) -> Result<KeyOutcome, NotAKey> {
        if !(key.is_ascii_digit() || key == '*' || key == '#') {
            return Err(NotAKey(key));
        }
        let timed_out = !self.buffer.is_empty() && self.expired(now);
        if timed_out {
            self.buffer.clear();
        }
        if key == '#' {
            self.last_key = None;
            if self.buffer.is_empty() {
                return Ok(KeyOutcome::Empty);
            }
            return Ok(KeyOutcome::Entry(std::mem::take(&mut self.buffer)));
        }
        if self.buffer.len() >= MAX_ENTRY {
            self.last_key = Some(now);
            return Ok(KeyOutcome::Full);
        }
        self.buffer.push(key);
        self.last_key = Some(now);
        Ok(if timed_out {
            KeyOutcome::TimedOutThenBuffered
        } else {
            KeyOutcome::Buffered
        })
    }

    /// Forgets a half-typed entry (RAM is lost on reboot).
    pub fn clear(&mut self) {
        self.buffer.clear();
        self.last_key = None;
    }
}
