//! The lock's decision on a card it has opened ([`crate::open`]): pure,
//! with the door's configuration, the little it remembers, and the time
//! passed in.

use serde::{Deserialize, Serialize};

use crate::{CardBody, CardKind};

/// Card numbers a door remembers to refuse (lost cards); the oldest entry
/// goes first when full (a lost guest card also dies at its check-out and
/// by override, so the list only bridges the time until then).
pub const MAX_DENIED: usize = 32;

/// Where the door is, as the front desk configured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Door {
    /// The property whose cards it takes.
    pub property: u32,
    /// Its number (a guest room's number; for a common door, any number no
    /// guest card carries).
    pub door: u32,
    /// A guest room (master cards open it) or a common door (building and
    /// emergency cards only).
    pub guest_room: bool,
    /// Its floor.
    pub floor: u16,
    /// Its zone.
    pub zone: u16,
    /// Its building.
    pub building: u16,
}

/// What a door remembers between cards (persisted by the lock).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorMemory {
    /// The newest stay whose card opened this door, and the highest
    /// generation seen for it.
    pub newest: Option<(u32, u8)>,
    /// Card numbers to refuse.
    pub denied: heapless::Vec<u32, MAX_DENIED>,
}

impl DoorMemory {
    /// Refuse card `number` from now on.
    pub fn deny(&mut self, number: u32) {
        if self.denied.contains(&number) {
            return;
        }
        if self.denied.is_full() {
            self.denied.remove(0);
        }
        // Not full after the removal above, so this cannot fail.
        let _ = self.denied.push(number);
    }
}

/// The lock's clock: UTC, and the site's local weekday and minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// UTC seconds.
    pub utc_s: i64,
    /// Local day of week, 0 = Sunday.
    pub weekday: u8,
    /// Local minutes after midnight.
    pub minute: u16,
}

/// Why a card is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Another property's card.
    OtherProperty,
    /// The lock's clock is not set: it cannot check a card's dates.
    NoClock,
    /// Before the card's start.
    NotYet,
    /// After its check-out.
    Expired,
    /// Not this door.
    WrongDoor,
    /// A newer guest's card, or a replacement of this card, has opened the door.
    Superseded,
    /// Reported lost (on the door's deny list).
    Cancelled,
    /// Outside the card's days and hours.
    OutsideHours,
    /// The door is in privacy (deadbolt) mode: only emergency cards open.
    Privacy,
}

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Open; `emergency` if an emergency card overrode privacy mode.
    Open {
        /// An emergency card.
        emergency: bool,
    },
    /// Stay shut.
    Refused(Refusal),
}

/// Whether `card` opens `door` now, updating what the door remembers
/// (a guest card that opens records its stay and generation).
pub fn decide(
    card: &CardBody,
    door: &Door,
    memory: &mut DoorMemory,
    clock: Option<Clock>,
    privacy: bool,
) -> Decision {
    use Decision::Refused;
    if card.property != door.property {
        return Refused(Refusal::OtherProperty);
    }
    if memory.denied.contains(&card.number) {
        return Refused(Refusal::Cancelled);
    }
    let Some(clock) = clock else {
        return Refused(Refusal::NoClock);
    };
    if clock.utc_s < i64::from(card.from) {
        return Refused(Refusal::NotYet);
    }
    if clock.utc_s >= i64::from(card.until) {
        return Refused(Refusal::Expired);
    }
    let in_scope = match card.kind {
        CardKind::Guest { door: d, .. } => d == door.door,
        CardKind::Master => door.guest_room,
        CardKind::Floor(f) => door.guest_room && f == door.floor,
        CardKind::Zone(z) => door.guest_room && z == door.zone,
        CardKind::Building(b) => b == door.building,
        CardKind::Emergency => true,
    };
    if !in_scope {
        return Refused(Refusal::WrongDoor);
    }
    if !card.hours.contains(clock.weekday, clock.minute) {
        return Refused(Refusal::OutsideHours);
    }
    let emergency = card.kind == CardKind::Emergency;
    if privacy && !emergency {
        return Refused(Refusal::Privacy);
    }
    if let CardKind::Guest {
        stay, generation, ..
    } = card.kind
    {
        if memory
            .newest
            .is_some_and(|newest| (stay, generation) < newest)
        {
            return Refused(Refusal::Superseded);
        }
        memory.newest = Some((stay, generation));
    }
    Decision::Open { emergency }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Hours, VERSION};

    const DAY: u32 = 86_400;
    const T0: u32 = 1_780_000_000;

    fn room(n: u32) -> Door {
        Door {
            property: 7,
            door: n,
            guest_room: true,
            floor: (n / 100) as u16,
            zone: 1,
            building: 1,
        }
    }

    fn card(number: u32, kind: CardKind, from: u32, until: u32) -> CardBody {
        CardBody {
            version: VERSION,
            property: 7,
            number,
            kind,
            from,
            until,
            hours: Hours::ALWAYS,
        }
    }

    fn guest(number: u32, door: u32, stay: u32, generation: u8) -> CardBody {
        card(
            number,
            CardKind::Guest {
                door,
                stay,
                generation,
            },
            stay,
            stay + 3 * DAY,
        )
    }

    fn at(utc: u32) -> Option<Clock> {
        Some(Clock {
            utc_s: i64::from(utc),
            weekday: 3,
            minute: 600,
        })
    }

    const OPEN: Decision = Decision::Open { emergency: false };

    #[test]
    fn a_newer_guest_overrides_an_older_one_once_used_and_joiners_share_a_stay() {
        let d = room(101);
        let mut m = DoorMemory::default();
        let a1 = guest(1, 101, T0, 0);
        let a2 = guest(2, 101, T0, 0);
        assert_eq!(decide(&a1, &d, &mut m, at(T0 + 10), false), OPEN);
        assert_eq!(decide(&a2, &d, &mut m, at(T0 + 20), false), OPEN, "joiner");
        let b = guest(3, 101, T0 + DAY, 0);
        // A's card still opens until B's card is used.
        assert_eq!(decide(&a1, &d, &mut m, at(T0 + DAY + 5), false), OPEN);
        assert_eq!(decide(&b, &d, &mut m, at(T0 + DAY + 10), false), OPEN);
        for a in [&a1, &a2] {
            assert_eq!(
                decide(a, &d, &mut m, at(T0 + DAY + 20), false),
                Decision::Refused(Refusal::Superseded)
            );
        }
        assert_eq!(decide(&b, &d, &mut m, at(T0 + DAY + 30), false), OPEN);
    }

    #[test]
    fn a_card_stops_at_check_out_and_starts_at_check_in() {
        let d = room(101);
        let mut m = DoorMemory::default();
        let c = guest(1, 101, T0, 0);
        assert_eq!(
            decide(&c, &d, &mut m, at(T0 - 1), false),
            Decision::Refused(Refusal::NotYet)
        );
        assert_eq!(decide(&c, &d, &mut m, at(T0 + 3 * DAY - 1), false), OPEN);
        assert_eq!(
            decide(&c, &d, &mut m, at(T0 + 3 * DAY), false),
            Decision::Refused(Refusal::Expired)
        );
        // Extended at the desk: the same stay re-encoded with a later check-out.
        let mut extended = c;
        extended.until = T0 + 5 * DAY;
        assert_eq!(decide(&extended, &d, &mut m, at(T0 + 4 * DAY), false), OPEN);
        assert_eq!(
            decide(&c, &d, &mut m, None, false),
            Decision::Refused(Refusal::NoClock)
        );
    }

    #[test]
    fn a_replacement_cancels_the_lost_card_on_first_use_and_a_deny_entry_at_once() {
        let d = room(101);
        let mut m = DoorMemory::default();
        let lost = guest(1, 101, T0, 0);
        let spare = guest(2, 101, T0, 1);
        assert_eq!(decide(&lost, &d, &mut m, at(T0 + 1), false), OPEN);
        assert_eq!(decide(&spare, &d, &mut m, at(T0 + 2), false), OPEN);
        assert_eq!(
            decide(&lost, &d, &mut m, at(T0 + 3), false),
            Decision::Refused(Refusal::Superseded)
        );
        // An online lock is told at once, before the replacement is used.
        let mut m2 = DoorMemory::default();
        m2.deny(1);
        assert_eq!(
            decide(&lost, &d, &mut m2, at(T0 + 1), false),
            Decision::Refused(Refusal::Cancelled)
        );
    }

    #[test]
    fn staff_cards_open_their_scope_in_their_hours_and_emergency_overrides_privacy() {
        let r101 = room(101);
        let r205 = room(205);
        let lobby = Door {
            guest_room: false,
            door: 9000,
            ..room(0)
        };
        let mut m = DoorMemory::default();
        let master = card(10, CardKind::Master, T0, T0 + 365 * DAY);
        let floor2 = card(11, CardKind::Floor(2), T0, T0 + 365 * DAY);
        let building = card(12, CardKind::Building(1), T0, T0 + 365 * DAY);
        let emergency = card(13, CardKind::Emergency, T0, T0 + 365 * DAY);
        let now = at(T0 + 100);
        assert_eq!(decide(&master, &r101, &mut m, now, false), OPEN);
        assert_eq!(
            decide(&master, &lobby, &mut m, now, false),
            Decision::Refused(Refusal::WrongDoor)
        );
        assert_eq!(decide(&floor2, &r205, &mut m, now, false), OPEN);
        assert_eq!(
            decide(&floor2, &r101, &mut m, now, false),
            Decision::Refused(Refusal::WrongDoor)
        );
        assert_eq!(decide(&building, &lobby, &mut m, now, false), OPEN);
        assert_eq!(
            decide(&master, &r101, &mut m, now, true),
            Decision::Refused(Refusal::Privacy)
        );
        assert_eq!(
            decide(&emergency, &r101, &mut m, now, true),
            Decision::Open { emergency: true }
        );
        // Housekeeping hours: 08:00-16:00 on weekdays.
        let mut hk = master;
        hk.hours = Hours {
            days: 0b0011_1110,
            from_min: 8 * 60,
            to_min: 16 * 60,
        };
        let evening = Some(Clock {
            utc_s: i64::from(T0 + 100),
            weekday: 3,
            minute: 17 * 60,
        });
        assert_eq!(
            decide(&hk, &r101, &mut m, evening, false),
            Decision::Refused(Refusal::OutsideHours)
        );
        // Staff cards never move the guest override.
        assert_eq!(m.newest, None);
    }

    #[test]
    fn another_property_and_the_deny_list_bound() {
        let d = room(101);
        let mut m = DoorMemory::default();
        let mut other = guest(1, 101, T0, 0);
        other.property = 8;
        assert_eq!(
            decide(&other, &d, &mut m, at(T0 + 1), false),
            Decision::Refused(Refusal::OtherProperty)
        );
        for n in 0..(MAX_DENIED as u32 + 5) {
            m.deny(n);
        }
        assert_eq!(m.denied.len(), MAX_DENIED);
        assert!(!m.denied.contains(&0), "the oldest entry went first");
        assert!(m.denied.contains(&(MAX_DENIED as u32 + 4)));
    }
}
