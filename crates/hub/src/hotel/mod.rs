//! Hotel key cards at the hub (issue 16): the front desk's vocabulary
//! (property, room, stay, issued card, card kinds under stable names) and its
//! pure core — the property key from random bytes, a recorded card turned into
//! the signed image the door reads; [`when`] turns a site-local check-out
//! date into a UTC instant (DST included) and reads staff days and hours.
//! No clock, no database: the service passes time and randomness in.

pub mod when;

pub use when::{
    checkout_instant, local_instant, parse_date, parse_days, parse_hm, parse_hours, shaped,
    WhenError,
};

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize, Serializer};
use tumbler_card::{CardBody, CardKind, Hours, VERSION};
use zeroize::Zeroizing;

/// What a card opens, under the names the database and the API use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardClass {
    /// A guest's card for one room and stay.
    Guest,
    /// Staff: every guest room.
    Master,
    /// Staff: the guest rooms of one floor.
    Floor,
    /// Staff: the guest rooms of one zone.
    Zone,
    /// Staff: every door of one building, common doors included.
    Building,
    /// Every door, even in privacy mode.
    Emergency,
}

impl CardClass {
    /// Every kind.
    pub const ALL: [CardClass; 6] = [
        CardClass::Guest,
        CardClass::Master,
        CardClass::Floor,
        CardClass::Zone,
        CardClass::Building,
        CardClass::Emergency,
    ];

    /// The stored and spoken name (pinned by a test).
    pub fn as_str(self) -> &'static str {
        match self {
            CardClass::Guest => "guest",
            CardClass::Master => "master",
            CardClass::Floor => "floor",
            CardClass::Zone => "zone",
            CardClass::Building => "building",
            CardClass::Emergency => "emergency",
        }
    }

    /// Reads [`CardClass::as_str`].
    pub fn parse(s: &str) -> Option<CardClass> {
        CardClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Floor, zone and building cards name one of them.
    pub fn takes_scope(self) -> bool {
        matches!(
            self,
            CardClass::Floor | CardClass::Zone | CardClass::Building
        )
    }
}

/// Writes UTC seconds as RFC 3339 text.
pub fn ser_secs<S: Serializer>(s: &i64, ser: S) -> Result<S::Ok, S::Error> {
    crate::model::ts::ser(&s.saturating_mul(1000), ser)
}

fn ser_opt_ms<S: Serializer>(ms: &Option<i64>, ser: S) -> Result<S::Ok, S::Error> {
    crate::model::ts::ser_opt(ms, ser)
}

fn ser_ms<S: Serializer>(ms: &i64, ser: S) -> Result<S::Ok, S::Error> {
    crate::model::ts::ser(ms, ser)
}

/// A site as a hotel property: its public key and check-out time. The
/// secret half stays in the store, sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Property {
    /// The site (the property number on cards is the site id).
    pub site_id: i64,
    /// The Ed25519 public key, hex.
    pub public_key: String,
    /// Local check-out time, `HH:MM`.
    pub checkout_time: String,
}

/// How a lock is set up as a hotel door (what `set_hotel_door` carries
/// besides the key and property).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomConfig {
    /// Door (room) number, unique in the property.
    pub door: u32,
    /// A guest room (master, floor and zone cards open it) or a common door.
    pub guest_room: bool,
    /// Floor.
    pub floor: u16,
    /// Zone (wing, housekeeping section).
    pub zone: u16,
    /// Building.
    pub building: u16,
}

/// A lock that is a hotel door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Room {
    /// The lock.
    pub lock_id: i64,
    /// The property.
    pub site_id: i64,
    /// Its configuration.
    #[serde(flatten)]
    pub config: RoomConfig,
    /// Newest stay issued for it (UTC seconds; 0 = none yet).
    pub last_stay: i64,
    /// The lock's reset counter when its configuration was queued (a reset
    /// since erased it at the door).
    pub reset_counter: i64,
}

/// A guest's stay in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stay {
    /// Identifier.
    pub id: i64,
    /// The property.
    pub site_id: i64,
    /// The room's lock.
    pub lock_id: i64,
    /// The stay's number on its cards: its check-in, UTC seconds, larger
    /// than every earlier stay of the room.
    #[serde(serialize_with = "ser_secs")]
    pub stay: i64,
    /// The guest's name.
    pub guest: String,
    /// Check-out (UTC seconds): the cards stop then.
    #[serde(serialize_with = "ser_secs")]
    pub until_s: i64,
    /// Newest card generation (a lost card's replacement raises it).
    pub generation: i64,
    /// When the front desk checked the guest out.
    #[serde(serialize_with = "ser_opt_ms")]
    pub checked_out_at: Option<i64>,
    /// When it was created.
    #[serde(serialize_with = "ser_ms")]
    pub created_at: i64,
}

/// A card the hub issued (never its image's key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedCard {
    /// Identifier.
    pub id: i64,
    /// The property.
    pub site_id: i64,
    /// The card's number, unique in the property.
    pub number: i64,
    /// What it opens.
    pub kind: CardClass,
    /// Floor, zone or building number for such staff cards.
    pub scope: Option<i64>,
    /// The room (guest cards).
    pub lock_id: Option<i64>,
    /// The stay (guest cards).
    pub stay_id: Option<i64>,
    /// Generation within the stay.
    pub generation: i64,
    /// Opens from (UTC seconds).
    #[serde(serialize_with = "ser_secs")]
    pub from_s: i64,
    /// Refused from (UTC seconds).
    #[serde(serialize_with = "ser_secs")]
    pub until_s: i64,
    /// Staff weekdays (bit 0 = Sunday).
    pub days: i64,
    /// Staff hours: first minute after local midnight.
    pub from_min: i64,
    /// Staff hours: end minute (at or before `from_min`: past midnight).
    pub to_min: i64,
    /// Who holds it (guest or staff member).
    pub holder: String,
    /// The account that issued it.
    pub issued_by: Option<i64>,
    /// When.
    #[serde(serialize_with = "ser_ms")]
    pub issued_at: i64,
    /// When it was reported lost.
    #[serde(serialize_with = "ser_opt_ms")]
    pub lost_at: Option<i64>,
}

/// Why a card cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A number does not fit the card's field (a stored value out of range).
    #[error("{0} out of range for a card")]
    Range(&'static str),
    /// A guest card without its room or stay.
    #[error("a guest card needs its room and stay")]
    NoRoom,
    /// The body did not fit [`tumbler_card::MAX_CARD`].
    #[error("card too large")]
    TooLarge,
}

/// The property's signing key from 32 random bytes (drawn by the caller).
pub fn signing_key(seed: &[u8; 32]) -> SigningKey {
    SigningKey::from_bytes(seed)
}

/// The secret half as stored before sealing (zeroized on drop).
pub fn secret_bytes(key: &SigningKey) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(key.to_bytes())
}

fn u32_of(v: i64, what: &'static str) -> Result<u32, EncodeError> {
    u32::try_from(v).map_err(|_| EncodeError::Range(what))
}

fn u16_of(v: i64, what: &'static str) -> Result<u16, EncodeError> {
    u16::try_from(v).map_err(|_| EncodeError::Range(what))
}

/// The body a recorded card carries. `room` is the guest room's door and the
/// stay's number (guest cards only).
pub fn card_body(card: &IssuedCard, room: Option<(u32, i64)>) -> Result<CardBody, EncodeError> {
    let scope = || u16_of(card.scope.unwrap_or(-1), "scope");
    let kind = match card.kind {
        CardClass::Guest => {
            let (door, stay) = room.ok_or(EncodeError::NoRoom)?;
            CardKind::Guest {
                door,
                stay: u32_of(stay, "stay")?,
                generation: u8::try_from(card.generation)
                    .map_err(|_| EncodeError::Range("generation"))?,
            }
        }
        CardClass::Master => CardKind::Master,
        CardClass::Floor => CardKind::Floor(scope()?),
        CardClass::Zone => CardKind::Zone(scope()?),
        CardClass::Building => CardKind::Building(scope()?),
        CardClass::Emergency => CardKind::Emergency,
    };
    Ok(CardBody {
        version: VERSION,
        property: u32_of(card.site_id, "property")?,
        number: u32_of(card.number, "number")?,
        kind,
        from: u32_of(card.from_s, "from")?,
        until: u32_of(card.until_s, "until")?,
        hours: Hours {
            days: u8::try_from(card.days).map_err(|_| EncodeError::Range("days"))?,
            from_min: u16_of(card.from_min, "from_min")?,
            to_min: u16_of(card.to_min, "to_min")?,
        },
    })
}

/// The signed image of `body` (what a card file holds).
pub fn seal(body: &CardBody, key: &SigningKey) -> Result<Vec<u8>, EncodeError> {
    tumbler_card::seal(body, key)
        .map(|v| v.to_vec())
        .ok_or(EncodeError::TooLarge)
}

/// The file name of the `i`-th card (0-based) of a room: `room101-a.card`,
/// `-b`, …, `-z`, then `-27`, ….
pub fn card_file_name(door: u32, i: usize) -> String {
    let letter = u8::try_from(i)
        .ok()
        .filter(|i| *i < 26)
        .map(|i| char::from(b'a' + i).to_string());
    format!(
        "room{door}-{}.card",
        letter.unwrap_or_else(|| (i + 1).to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_kind_names_are_pinned() {
        let names: Vec<&str> = CardClass::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            ["guest", "master", "floor", "zone", "building", "emergency"]
        );
        for c in CardClass::ALL {
            assert_eq!(CardClass::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    #[test]
    fn file_names_count_letters() {
        assert_eq!(card_file_name(101, 0), "room101-a.card");
        assert_eq!(card_file_name(101, 1), "room101-b.card");
        assert_eq!(card_file_name(7, 26), "room7-27.card");
    }

    #[test]
    fn a_recorded_card_seals_into_an_image_the_door_opens() {
        let key = signing_key(&[3; 32]);
        let card = IssuedCard {
            id: 1,
            site_id: 7,
            number: 1001,
            kind: CardClass::Guest,
            scope: None,
            lock_id: Some(1),
            stay_id: Some(1),
            generation: 0,
            from_s: 1_780_000_000,
            until_s: 1_780_259_200,
            days: 0x7f,
            from_min: 0,
            to_min: 1440,
            holder: "A".into(),
            issued_by: None,
            issued_at: 0,
            lost_at: None,
        };
        let body = card_body(&card, Some((101, 1_780_000_000))).unwrap();
        let image = seal(&body, &key).unwrap();
        assert_eq!(
            tumbler_card::open(&image, &key.verifying_key()),
            Ok(body),
            "the image verifies with the public key"
        );
        assert_eq!(card_body(&card, None), Err(EncodeError::NoRoom));
        let floor = IssuedCard {
            kind: CardClass::Floor,
            scope: Some(70_000),
            ..card
        };
        assert_eq!(card_body(&floor, None), Err(EncodeError::Range("scope")));
    }
}
