//! The fingerprint sensor: it holds templates in its own slots and decides matches.
//!
//! As on real locks, matching is the sensor's job: the lock only stores which template slot
//! belongs to which user. The model has a configurable false-reject rate, drawn from a seeded
//! generator so a run can be replayed.

use super::rng::SimRng;
use std::collections::BTreeMap;

/// How many template slots the sensor has.
pub const SLOTS: u16 = 100;

/// What placing a finger on the sensor gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Touch {
    /// The finger matched the template in this slot.
    Matched(u16),
    /// No template matches this finger.
    NotRecognised,
    /// The finger is enrolled, but the sensor failed to match it this time (false reject).
    FalseReject,
}

/// Why a finger could not be enrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnrolError {
    /// Every template slot is taken.
    #[error("the fingerprint sensor is full ({slots} templates)", slots = SLOTS)]
    Full,
}

/// The sensor model.
#[derive(Debug, Clone)]
pub struct FingerprintSensor {
    /// Template slot -> which simulated finger it was taken from.
    templates: BTreeMap<u16, u32>,
    /// Probability in 0..=1 that an enrolled finger is not recognised on one touch.
    false_reject_rate: f64,
    /// Decides false rejects, reproducibly.
    rng: SimRng,
}

impl FingerprintSensor {
    /// An empty sensor with the given false-reject rate and seed.
    pub fn new(false_reject_rate: f64, seed: u64) -> Self {
        Self {
            templates: BTreeMap::new(),
            false_reject_rate,
            rng: SimRng::new(seed),
        }
    }

    /// Sets the false-reject rate (0 = never, 1 = always).
    pub fn set_false_reject_rate(&mut self, rate: f64) {
        self.false_reject_rate = rate;
    }

    /// Takes a template of `finger` into the first free slot, or returns the slot it already has.
    pub fn enrol(&mut self, finger: u32) -> Result<u16, EnrolError> {
        if let Some((slot, _)) = self.templates.iter().find(|(_, f)| **f == finger) {
            return Ok(*slot);
        }
        let slot = (0..SLOTS)
            .find(|s| !self.templates.contains_key(s))
            .ok_or(EnrolError::Full)?;
        self.templates.insert(slot, finger);
        Ok(slot)
    }

    /// Deletes the template in `slot` (no-op if empty).
    pub fn delete(&mut self, slot: u16) {
        self.templates.remove(&slot);
    }

    /// Deletes every template (part of a factory reset).
    pub fn clear(&mut self) {
        self.templates.clear();
    }

    /// How many templates are stored.
    pub fn len(&self) -> usize {
        self.templates.len()
    }

    /// Whether no template is stored.
    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// Places `finger` on the sensor.
    pub fn place(&mut self, finger: u32) -> Touch {
        match self.templates.iter().find(|(_, f)| **f == finger) {
            None => Touch::NotRecognised,
            Some((slot, _)) => {
                let slot = *slot;
                if self.rng.chance(self.false_reject_rate) {
                    Touch::FalseReject
                } else {
                    Touch::Matched(slot)
                }
            }
        }
    }
}
