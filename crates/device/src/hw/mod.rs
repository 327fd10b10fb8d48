//! Hardware models of the simulated lock: plain deterministic structs, time passed in.
//!
//! # Layout
//! - [`keypad`]: digits, `*`, `#`, entry timeout.
//! - [`button`]: the reset button (press / hold) and the interior program button.
//! - [`rfid`]: the card reader.
//! - [`fingerprint`]: the fingerprint sensor, which decides matches (with a false-reject rate).
//! - [`motor`]: the bolt motor, with jam injection.
//! - [`door`]: the door sensor (open, closed, forced, ajar).
//! - [`battery`]: charge level, drain per operation, pulled out / put back.
//! - [`signal`]: buzzer and LED; every signal also has words.
//! - [`rng`]: the small seeded generator the sensor models use for their randomness.

pub mod battery;
pub mod button;
pub mod door;
pub mod fingerprint;
pub mod keypad;
pub mod motor;
pub mod rfid;
pub mod rng;
pub mod signal;
