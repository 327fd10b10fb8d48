//! Hotel key cards on the wire: [`HotelDoor`], what `Command::SetHotelDoor` tells a lock
//! so it checks a property's signed cards offline (the card format itself is
//! `tumbler-card`'s; the wire carries only the property's public key and the door's place).

use serde::{Deserialize, Serialize};

/// This lock as a door of a hotel property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotelDoor {
    /// The property's Ed25519 public key; cards are signed with its secret half,
    /// which only the hub holds, so a lock off the wall cannot mint cards.
    pub key: [u8; 32],
    /// The property whose cards the door takes (cards name it).
    pub property: u32,
    /// The door's number: a guest room's number, or for a common door any
    /// number no guest card carries.
    pub door: u32,
    /// A guest room (master, floor and zone cards open it) or a common door
    /// (building and emergency cards only).
    pub guest_room: bool,
    /// Its floor (floor cards).
    pub floor: u16,
    /// Its zone, e.g. a wing or a housekeeping section (zone cards).
    pub zone: u16,
    /// Its building (building cards).
    pub building: u16,
}
