//! Hotel key cards at the reader: when the front desk has made this lock a
//! hotel door ([`HotelDoor`]: the property's public key and where the door
//! is), a card that carries a signed image is checked offline by
//! `tumbler-card` and decided with what the door remembers (newest stay,
//! lost cards). A card without an image, or a lock that is not a hotel
//! door, goes the usual way (its UID as an enrolled credential).
//!
//! The configuration and the memory are one persisted item
//! ([`crate::ItemKey::Hotel`]), erased by a factory reset.

use serde::{Deserialize, Serialize};
use tumbler_card::decide::{self, Clock, Decision, DoorMemory, Refusal};

pub use tumbler_card::decide::Door;

use crate::audit::{AuditResult, What, Who};
use crate::lock::Lock;
use crate::output::{Event, LockOp, OpError, Output, Source};
use crate::persist::ItemKey;
use crate::settings::OperatingMode;
use crate::time::Now;
use crate::user::ControllerId;

/// This lock as a hotel door: the property's card key and the door's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotelDoor {
    /// The property's Ed25519 public key (cards are signed with its secret
    /// half, which only the hub holds).
    pub key: [u8; 32],
    /// Property, door number, floor, zone, building.
    pub door: Door,
}

/// The persisted item: configuration and memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Hotel {
    pub config: Option<HotelDoor>,
    pub memory: DoorMemory,
}

/// The lock-wide refusal a card refusal is reported as.
fn op_error(r: Refusal) -> OpError {
    match r {
        Refusal::NoClock | Refusal::NotYet | Refusal::Expired | Refusal::OutsideHours => {
            OpError::OutsideSchedule
        }
        Refusal::Privacy => OpError::ModeRestricted,
        Refusal::OtherProperty | Refusal::WrongDoor | Refusal::Superseded | Refusal::Cancelled => {
            OpError::InvalidCredential
        }
    }
}

impl Lock {
    /// The hotel configuration, if the lock is a hotel door.
    pub fn hotel_door(&self) -> Option<&HotelDoor> {
        self.hotel.config.as_ref()
    }

    /// Card numbers this door refuses (lost cards).
    pub fn denied_cards(&self) -> &[u32] {
        &self.hotel.memory.denied
    }

    /// A card with a signed image at the reader. Returns false if the lock
    /// is not a hotel door (the caller treats the card as a UID).
    pub(crate) fn hotel_card(&mut self, now: Now, image: &[u8], out: &mut Output) -> bool {
        let Some(cfg) = self.hotel.config else {
            return false;
        };
        let source = Source::Rfid;
        if self.lockout_active(now) {
            self.deny(now, source, OpError::LockedOut, None, out);
            return true;
        }
        let card = ed25519_dalek::VerifyingKey::from_bytes(&cfg.key)
            .ok()
            .and_then(|k| tumbler_card::open(image, &k).ok());
        let Some(card) = card else {
            // Not a card of this property: a forgery counts as a wrong code.
            if !self.count_wrong(now, source, out) {
                self.deny(now, source, OpError::InvalidCredential, None, out);
            } else {
                out.event(Event::LockOperationError {
                    op: LockOp::Unlock,
                    source,
                    error: OpError::InvalidCredential,
                    user: None,
                });
            }
            return true;
        };
        let clock = now.utc_s.map(|utc| {
            let local = self.tz.local(utc);
            Clock {
                utc_s: utc,
                weekday: local.weekday,
                minute: local.minute_of_day,
            }
        });
        let privacy = self.effective_mode(now) == OperatingMode::Privacy;
        let before = self.hotel.memory.clone();
        let decision = decide::decide(&card, &cfg.door, &mut self.hotel.memory, clock, privacy);
        if self.hotel.memory != before {
            out.persist.items.insert(ItemKey::Hotel);
        }
        let who = Who::Card(card.number);
        match decision {
            Decision::Open { .. } => self.grant_as(now, source, who, None, None, out),
            Decision::Refused(r) => {
                self.deny_as(now, source, op_error(r), None, who, out);
            }
        }
        true
    }

    /// Makes this lock a hotel door (or an ordinary lock again with `None`);
    /// the door's memory starts empty.
    pub(crate) fn set_hotel_door(&mut self, config: Option<HotelDoor>, out: &mut Output) {
        self.hotel = Hotel {
            config,
            memory: DoorMemory::default(),
        };
        out.persist.items.insert(ItemKey::Hotel);
    }

    /// Refuses card `number` from now on (a lost card, told by the hub).
    pub(crate) fn deny_card(&mut self, number: u32, out: &mut Output) {
        self.hotel.memory.deny(number);
        out.persist.items.insert(ItemKey::Hotel);
    }

    /// The audit record of a change to the hotel configuration or memory.
    pub(crate) fn hotel_changed(&mut self, now: Now, from: ControllerId, out: &mut Output) {
        self.audit(
            out,
            now,
            Who::Controller(from),
            What::SettingsChange,
            Source::Remote,
            AuditResult::Ok,
        );
    }
}
