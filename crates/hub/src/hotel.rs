//! Hotel key cards at the hub (issue 16): the front desk's vocabulary
//! (property, room, stay, issued card, card kinds under stable names) and its
//! pure core — the property key from random bytes, a recorded card turned into
//! the signed image the door reads, a site-local check-out date turned into a
//! UTC instant (DST included), staff days and hours. No clock, no database:
//! the service passes time and randomness in.

use ed25519_dalek::SigningKey;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
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

/// Why a date or time given at the front desk is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WhenError {
    /// Not `YYYY-MM-DD`.
    #[error("a date like 2026-12-24")]
    Date,
    /// Not `HH:MM`.
    #[error("a time like 11:00")]
    Time,
    /// Not `mon-fri`, `sat,sun`, `daily`, …
    #[error("days like mon-fri, sat,sun, daily")]
    Days,
    /// Not an IANA zone.
    #[error("unknown time zone")]
    Zone,
}

/// Whether `s` has the shape `pattern` describes, with `9` for an ASCII
/// digit (`9999-99-99`, `99:99`): a date of that shape that is no date
/// (`2026-02-30`) is refused on its meaning, not its form.
pub fn shaped(s: &str, pattern: &str) -> bool {
    s.len() == pattern.len()
        && s.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
            b'9' => c.is_ascii_digit(),
            other => c == other,
        })
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, WhenError> {
    s.trim().parse::<Date>().map_err(|_| WhenError::Date)
}

/// Parses `HH:MM` (24-hour) into minutes after midnight; `24:00` only if `end`.
pub fn parse_hm(s: &str, end: bool) -> Result<u16, WhenError> {
    let (h, m) = s.trim().split_once(':').ok_or(WhenError::Time)?;
    let (h, m): (u16, u16) = (
        h.parse().map_err(|_| WhenError::Time)?,
        m.parse().map_err(|_| WhenError::Time)?,
    );
    let ok = m < 60 && (h < 24 || (end && h == 24 && m == 0));
    if ok && h <= 24 {
        Ok(h * 60 + m)
    } else {
        Err(WhenError::Time)
    }
}

/// The UTC second of local `date` at local minute `minute` in `zone`: a
/// time that does not exist (spring forward) resolves later, one that
/// happens twice (fall back) to the first.
pub fn local_instant(date: Date, minute: u16, zone: &str) -> Result<i64, WhenError> {
    let tz = TimeZone::get(zone).map_err(|_| WhenError::Zone)?;
    let (h, m) = (
        i8::try_from(minute / 60).map_err(|_| WhenError::Time)?,
        i8::try_from(minute % 60).map_err(|_| WhenError::Time)?,
    );
    let dt = if h == 24 {
        date.tomorrow()
            .map_err(|_| WhenError::Date)?
            .to_datetime(Time::midnight())
    } else {
        date.to_datetime(Time::new(h, m, 0, 0).map_err(|_| WhenError::Time)?)
    };
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .map(|z| z.timestamp().as_second())
        .map_err(|_| WhenError::Date)
}

/// The check-out instant: local `date` at local `time` (`HH:MM`) in `zone`.
pub fn checkout_instant(date: &str, time: &str, zone: &str) -> Result<i64, WhenError> {
    local_instant(parse_date(date)?, parse_hm(time, false)?, zone)
}

const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn day_index(s: &str) -> Option<u8> {
    let s = s.trim().to_ascii_lowercase();
    let short = s.get(0..3)?;
    DAY_NAMES
        .iter()
        .position(|d| *d == short)
        .and_then(|i| u8::try_from(i).ok())
}

/// Parses staff days: `daily`, `weekdays`, `weekends`, `mon-fri`, `sat,sun`,
/// `fri-mon` (wrapping) into weekday bits (bit 0 = Sunday).
pub fn parse_days(s: &str) -> Result<u8, WhenError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "daily" | "every day" | "all" => return Ok(0x7f),
        "weekdays" => return Ok(0b011_1110),
        "weekends" => return Ok(0b100_0001),
        _ => {}
    }
    let mut mask = 0u8;
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (
                    day_index(a).ok_or(WhenError::Days)?,
                    day_index(b).ok_or(WhenError::Days)?,
                );
                let mut d = a;
                for _ in 0..7 {
                    mask |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => mask |= 1 << day_index(part).ok_or(WhenError::Days)?,
        }
    }
    if mask == 0 {
        return Err(WhenError::Days);
    }
    Ok(mask)
}

/// Parses staff hours `HH:MM-HH:MM` (an end at or before the start runs
/// past midnight); `None` = all day.
pub fn parse_hours(s: Option<&str>) -> Result<(u16, u16), WhenError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok((0, 1440)),
        Some(s) => {
            let (a, b) = s.split_once('-').ok_or(WhenError::Time)?;
            Ok((parse_hm(a, false)?, parse_hm(b, true)?))
        }
    }
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
    fn check_out_is_local_time_with_dst() {
        // Berlin: 25 October 2026 is the end of summer time.
        let summer = checkout_instant("2026-10-24", "11:00", "Europe/Berlin").unwrap();
        let winter = checkout_instant("2026-10-26", "11:00", "Europe/Berlin").unwrap();
        assert_eq!(summer, 1_792_832_400, "09:00 UTC (CEST)");
        assert_eq!(winter - summer, 2 * 86_400 + 3_600, "an hour longer");
        assert_eq!(
            checkout_instant("2026-01-15", "11:00", "UTC").unwrap(),
            1_768_474_800
        );
        assert_eq!(
            checkout_instant("2026-02-30", "11:00", "UTC"),
            Err(WhenError::Date)
        );
        assert_eq!(
            checkout_instant("2026-01-15", "25:00", "UTC"),
            Err(WhenError::Time)
        );
        assert_eq!(
            checkout_instant("2026-01-15", "11:00", "Mars/Base"),
            Err(WhenError::Zone)
        );
    }

    #[test]
    fn shapes() {
        assert!(shaped("2026-02-30", "9999-99-99"));
        assert!(!shaped("2026-2-3", "9999-99-99"));
        assert!(shaped("25:00", "99:99"));
        assert!(!shaped("11h", "99:99"));
    }

    #[test]
    fn days_and_hours() {
        assert_eq!(parse_days("mon-fri"), Ok(0b011_1110));
        assert_eq!(parse_days("fri-mon"), Ok(0b110_0011));
        assert_eq!(parse_days("sat,sun"), Ok(0b100_0001));
        assert_eq!(parse_days("daily"), Ok(0x7f));
        assert_eq!(parse_days("someday"), Err(WhenError::Days));
        assert_eq!(parse_hours(None), Ok((0, 1440)));
        assert_eq!(parse_hours(Some("22:00-06:00")), Ok((1320, 360)));
        assert_eq!(parse_hours(Some("08:00-24:00")), Ok((480, 1440)));
        assert!(parse_hours(Some("24:00-08:00")).is_err());
        assert!(parse_hours(Some("8-5")).is_err());
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
