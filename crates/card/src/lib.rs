//! Hotel key cards, as a hotel lock system (VingCard, Onity, Salto) makes
//! them: the front desk encodes a card, the lock checks it **offline**.
//!
//! A card holds a [`CardBody`] — the property, the card's number, what it
//! opens ([`CardKind`]: a guest room, or a staff scope), from when until
//! when, and for staff the hours it works — signed with the property's
//! Ed25519 key ([`seal`]). The lock holds only the property's *public*
//! key, so a lock taken off the wall cannot mint cards. [`open`] checks a
//! card image; [`decide`](decide::decide) is the lock's decision, with the
//! small memory a hotel lock keeps per door ([`decide::DoorMemory`]):
//!
//! - **override:** the newest check-in the door has seen; a guest card of an
//!   older stay stops opening once a newer guest's card has been used;
//! - **joiners:** cards of the same stay (same check-in) all open;
//! - **lost card:** a replacement is the same stay with a higher
//!   `generation`; its first use cancels the lower generations, and an
//!   online lock can be told a card number to refuse at once;
//! - **check-out:** a card stops at its `until` (UTC seconds: the hub turns
//!   the site's local check-out time into an instant, DST included), and an
//!   extended stay is the same card re-encoded with a later `until`;
//! - **staff cards:** master (every guest room), floor, zone, building and
//!   emergency (opens even in privacy or deadbolt mode), each with days
//!   and hours in the site's local time.
//!
//! Size: a sealed card is at most [`MAX_CARD`] bytes (a guest card is about
//! 90): it fits a MIFARE Classic 1K (752 bytes of data blocks) and any
//! MIFARE DESFire application file.
#![no_std]

pub mod decide;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// Largest sealed card: body plus the 64-byte signature.
pub const MAX_CARD: usize = 192;
/// Largest body.
pub const MAX_BODY: usize = MAX_CARD - 1 - 64;
/// Card format version.
pub const VERSION: u8 = 1;
/// What the signature covers, before the body (domain separation).
const CONTEXT: &[u8] = b"tumbler hotel card v1\0";

/// What a card opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardKind {
    /// A guest's card for one room.
    Guest {
        /// The room's door number.
        door: u32,
        /// The stay's check-in (UTC seconds): newer stays override older.
        stay: u32,
        /// 0 for the first cards of a stay; a replaced (lost) card's
        /// successors carry a higher number.
        generation: u8,
    },
    /// Staff: every guest room of the property.
    Master,
    /// Staff: the rooms of one floor.
    Floor(u16),
    /// Staff: the rooms of one zone (a wing, a housekeeping section).
    Zone(u16),
    /// Staff: every door of one building, guest rooms and common doors.
    Building(u16),
    /// Emergency: every door, even in privacy or deadbolt mode.
    Emergency,
}

/// The days and hours a staff card works, in the site's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hours {
    /// Bit `d` set: works on weekday `d` (0 = Sunday).
    pub days: u8,
    /// First minute after local midnight (inclusive).
    pub from_min: u16,
    /// Last minute (exclusive); `to_min <= from_min` spans midnight.
    pub to_min: u16,
}

impl Hours {
    /// Every day, all day.
    pub const ALWAYS: Hours = Hours {
        days: 0x7f,
        from_min: 0,
        to_min: 1440,
    };

    /// True at local `weekday` (0 = Sunday) and `minute` after midnight.
    pub fn contains(&self, weekday: u8, minute: u16) -> bool {
        let day_bit = |d: u8| self.days & (1u8 << (d % 7)) != 0;
        if self.from_min < self.to_min {
            day_bit(weekday) && minute >= self.from_min && minute < self.to_min
        } else {
            // Overnight: the evening part belongs to today, the morning part
            // to the shift that began yesterday.
            (day_bit(weekday) && minute >= self.from_min)
                || (day_bit((weekday + 6) % 7) && minute < self.to_min)
        }
    }
}

/// What the card says, signed by the property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardBody {
    /// Format version ([`VERSION`]).
    pub version: u8,
    /// The property (hotel) whose key signed it.
    pub property: u32,
    /// The card's number, unique in the property (lost-card deny entries
    /// and the lock's audit log name it).
    pub number: u32,
    /// What it opens.
    pub kind: CardKind,
    /// Opens from (UTC seconds).
    pub from: u32,
    /// Opens until (UTC seconds, exclusive): the check-out.
    pub until: u32,
    /// Staff hours (guests: [`Hours::ALWAYS`]).
    pub hours: Hours,
}

/// Why a card image is not a card of this property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardError {
    /// Not a card image (too short, too long, not decodable, unknown version).
    Malformed,
    /// The signature is not the property's.
    BadSignature,
}

/// Encodes and signs a card image; `None` if the body does not fit.
pub fn seal(body: &CardBody, key: &SigningKey) -> Option<heapless::Vec<u8, MAX_CARD>> {
    let mut buf = [0u8; MAX_BODY];
    let encoded = postcard::to_slice(body, &mut buf).ok()?;
    let len = u8::try_from(encoded.len()).ok()?;
    let sig = key.sign(&signed_bytes(encoded).ok()?);
    let mut out = heapless::Vec::new();
    out.push(len).ok()?;
    out.extend_from_slice(encoded).ok()?;
    out.extend_from_slice(&sig.to_bytes()).ok()?;
    Some(out)
}

/// Checks a card image against the property's public key.
pub fn open(image: &[u8], key: &VerifyingKey) -> Result<CardBody, CardError> {
    let (&len, rest) = image.split_first().ok_or(CardError::Malformed)?;
    let len = usize::from(len);
    if len > MAX_BODY || rest.len() != len + 64 {
        return Err(CardError::Malformed);
    }
    let (body, sig) = rest.split_at(len);
    let sig = Signature::from_slice(sig).map_err(|_| CardError::Malformed)?;
    let msg = signed_bytes(body).map_err(|()| CardError::Malformed)?;
    key.verify(&msg, &sig)
        .map_err(|_| CardError::BadSignature)?;
    let body: CardBody = postcard::from_bytes(body).map_err(|_| CardError::Malformed)?;
    if body.version != VERSION {
        return Err(CardError::Malformed);
    }
    Ok(body)
}

/// The context and the body, as signed.
fn signed_bytes(body: &[u8]) -> Result<heapless::Vec<u8, { MAX_BODY + 32 }>, ()> {
    let mut v = heapless::Vec::new();
    v.extend_from_slice(CONTEXT).map_err(|_| ())?;
    v.extend_from_slice(body).map_err(|_| ())?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn guest() -> CardBody {
        CardBody {
            version: VERSION,
            property: 7,
            number: 1001,
            kind: CardKind::Guest {
                door: 101,
                stay: 1_780_000_000,
                generation: 0,
            },
            from: 1_780_000_000,
            until: 1_780_259_200,
            hours: Hours::ALWAYS,
        }
    }

    #[test]
    fn a_sealed_card_opens_with_the_property_key_only() {
        let k = key(1);
        let image = seal(&guest(), &k).unwrap();
        assert!(image.len() < 100, "a guest card is small: {}", image.len());
        assert_eq!(open(&image, &k.verifying_key()), Ok(guest()));
        assert_eq!(
            open(&image, &key(2).verifying_key()),
            Err(CardError::BadSignature)
        );
    }

    #[test]
    fn a_changed_byte_or_length_is_refused() {
        let k = key(1);
        let image = seal(&guest(), &k).unwrap();
        for i in 0..image.len() {
            let mut bad = image.clone();
            bad[i] ^= 0x01;
            assert!(open(&bad, &k.verifying_key()).is_err(), "byte {i}");
        }
        assert_eq!(
            open(&image[..image.len() - 1], &k.verifying_key()),
            Err(CardError::Malformed)
        );
        assert_eq!(open(&[], &k.verifying_key()), Err(CardError::Malformed));
    }

    #[test]
    fn overnight_hours_belong_to_the_shift_that_began_the_evening_before() {
        // Mondays 22:00 → 06:00.
        let h = Hours {
            days: 1 << 1,
            from_min: 22 * 60,
            to_min: 6 * 60,
        };
        assert!(h.contains(1, 23 * 60));
        assert!(h.contains(2, 5 * 60));
        assert!(!h.contains(2, 23 * 60));
        assert!(!h.contains(1, 5 * 60));
        assert!(Hours::ALWAYS.contains(0, 0) && Hours::ALWAYS.contains(6, 1439));
    }

    proptest::proptest! {
        #[test]
        fn any_image_is_refused_or_a_card(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = open(&bytes, &key(1).verifying_key());
        }
    }
}
