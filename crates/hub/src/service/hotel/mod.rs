//! Hotels: the front desk (issue 16). A **site is a property**: its
//! Ed25519 key is made by the hub on first use (random bytes drawn here,
//! passed to the pure [`crate::hotel::signing_key`]) and kept sealed; the
//! card number on every image is the site id. Files: this one (property key,
//! rooms: which lock is which door, and queuing `set_hotel_door`),
//! [`desk`] (check-in, extend, check-out, lost card), [`staff`] (staff
//! cards) and [`history`] (a room's history, card holders by number).
//!
//! Roles: owners and managers issue and change; support may read the front
//! desk and history (like other history).

pub mod desk;
pub mod history;
pub mod staff;

use ed25519_dalek::SigningKey;
use serde::Serialize;
use zeroize::Zeroizing;

use super::{invalid, Principal, Service, ServiceError, ADMINS, HISTORY};
use crate::hotel::{self, IssuedCard, Property, Room, RoomConfig, Stay};
use crate::model::{ClaimState, Lock, OpName, Site};
use crate::store::hotel::Issuer;
use crate::store::StoreError;

/// A card as the front desk hands it out: the record, the file name it is
/// written to, and the signed image (hex). The image is never stored.
#[derive(Debug, Clone, Serialize)]
pub struct CardImage {
    /// What was recorded.
    #[serde(flatten)]
    pub card: IssuedCard,
    /// `room101-a.card`, `master-1005.card`, …
    pub file: String,
    /// The card image (what the file holds), hex.
    pub image: String,
}

/// What a check-in, extension, lost card or staff card hands out.
#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    /// The stay (guest cards).
    pub stay: Option<Stay>,
    /// The cards, each with its image.
    pub cards: Vec<CardImage>,
}

/// One room on the front desk: its lock, its door and its newest stay.
#[derive(Debug, Clone, Serialize)]
pub struct DeskRoom {
    /// The room.
    #[serde(flatten)]
    pub room: Room,
    /// The lock's name.
    pub lock_name: String,
    /// Whether the lock is online now (a lost card's deny entry reaches it at once).
    pub online: bool,
    /// The newest stay, if any.
    pub stay: Option<Stay>,
}

/// A property's key, opened for one request.
pub(crate) struct PropertyKey {
    pub(crate) property: Property,
    pub(crate) key: SigningKey,
}

impl Service {
    /// A site of the caller's organisation.
    async fn hotel_site(&self, p: &Principal, id: i64) -> Result<Site, ServiceError> {
        self.store
            .get_site(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing { what: "site", id })
    }

    /// The property key of `site`, made (random bytes, sealed) on first use.
    pub(crate) async fn property_key(
        &self,
        p: &Principal,
        site: &Site,
    ) -> Result<PropertyKey, ServiceError> {
        u32::try_from(site.id).map_err(|_| invalid("site", "too large a site id for a card"))?;
        if self.store.hotel_property(site.id).await?.is_none() {
            let mut seed = Zeroizing::new([0u8; 32]);
            crate::secrets::random_bytes(&mut seed[..])?;
            let key = hotel::signing_key(&seed);
            let sealed = self
                .store
                .seal_property_key(site.id, &hotel::secret_bytes(&key)[..])?;
            let public = hex::encode(key.verifying_key().to_bytes());
            self.store
                .create_hotel_property(p.org_id, site.id, &public, &sealed, self.now_ms())
                .await?;
        }
        let (property, sealed) = self
            .store
            .hotel_property(site.id)
            .await?
            .ok_or_else(|| StoreError::LogicBug("property key vanished".into()))?;
        let secret = self.store.open_property_key(site.id, &sealed)?;
        let seed = Zeroizing::new(
            <[u8; 32]>::try_from(secret.as_slice())
                .map_err(|_| StoreError::LogicBug("property key length".into()))?,
        );
        Ok(PropertyKey {
            property,
            key: hotel::signing_key(&seed),
        })
    }

    /// A claimed lock of the caller's organisation, with its site.
    async fn hotel_lock(&self, p: &Principal, id: i64) -> Result<(Lock, Site), ServiceError> {
        let lock = self.own_lock(p, id).await?;
        let site_id = lock
            .site_id
            .ok_or(ServiceError::Missing { what: "lock", id })?;
        let site = self.hotel_site(p, site_id).await?;
        Ok((lock, site))
    }

    /// The room lock `id` is (404 `room` if it is not one).
    pub(crate) async fn own_room(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<(Lock, Room), ServiceError> {
        let lock = self.own_lock(p, id).await?;
        let room = self
            .store
            .hotel_room(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing { what: "room", id })?;
        Ok((lock, room))
    }

    /// The room of lock `id`, if it is one (owners, managers, support).
    pub async fn hotel_room(&self, p: &Principal, id: i64) -> Result<Option<Room>, ServiceError> {
        self.require(p, HISTORY)?;
        self.own_lock(p, id).await?;
        Ok(self.store.hotel_room(p.org_id, id).await?)
    }

    /// Makes a claimed lock a hotel door, or changes its door (owners,
    /// managers). Queues `set_hotel_door` only when the configuration
    /// changed or the lock was factory reset since it was queued: the
    /// message resets the door's memory (newest stay, deny list).
    pub async fn set_hotel_room(
        &self,
        p: &Principal,
        lock_id: i64,
        config: RoomConfig,
    ) -> Result<Room, ServiceError> {
        self.require(p, ADMINS)?;
        let (lock, site) = self.hotel_lock(p, lock_id).await?;
        if config.door == 0 {
            return Err(invalid("door", "a room number from 1"));
        }
        if lock.claim_state != ClaimState::Claimed {
            return Err(ServiceError::WrongState(format!(
                "the lock is {}; claim it first",
                lock.claim_state
            )));
        }
        let before = self.store.hotel_room(p.org_id, lock_id).await?;
        let pk = self.property_key(p, &site).await?;
        let same = before.as_ref().is_some_and(|r| {
            r.config == config && r.site_id == site.id && r.reset_counter == lock.reset_counter
        });
        if !same {
            self.store
                .set_hotel_room(
                    p.org_id,
                    site.id,
                    lock_id,
                    &config,
                    lock.reset_counter,
                    self.now_ms(),
                )
                .await
                .map_err(|e| match e {
                    StoreError::Conflict => ServiceError::Conflict("room number"),
                    other => other.into(),
                })?;
            let door = serde_json::json!({
                "key": pk.property.public_key,
                "property": site.id,
                "door": config.door,
                "guest_room": config.guest_room,
                "floor": config.floor,
                "zone": config.zone,
                "building": config.building,
            });
            self.enqueue(
                p,
                &lock,
                OpName::SetHotelDoor,
                serde_json::json!({ "door": door }),
            )
            .await?;
        }
        self.store
            .hotel_room(p.org_id, lock_id)
            .await?
            .ok_or_else(|| StoreError::LogicBug("room vanished".into()).into())
    }

    /// Makes a room an ordinary lock again (owners, managers): queues
    /// `set_hotel_door` with no door. Its stays and cards stay on record.
    pub async fn clear_hotel_room(&self, p: &Principal, lock_id: i64) -> Result<(), ServiceError> {
        self.require(p, ADMINS)?;
        let (lock, _) = self.own_room(p, lock_id).await?;
        self.store.delete_hotel_room(p.org_id, lock_id).await?;
        self.enqueue(
            p,
            &lock,
            OpName::SetHotelDoor,
            serde_json::json!({ "door": null }),
        )
        .await?;
        Ok(())
    }

    /// A property's rooms with their newest stays (owners, managers, support).
    pub async fn front_desk(
        &self,
        p: &Principal,
        site_id: i64,
    ) -> Result<Vec<DeskRoom>, ServiceError> {
        self.require(p, HISTORY)?;
        self.hotel_site(p, site_id).await?;
        let mut out = Vec::new();
        for room in self.store.hotel_rooms(p.org_id, site_id).await? {
            let lock = self.store.get_lock(p.org_id, room.lock_id).await?;
            let stay = self.store.hotel_last_stay(p.org_id, room.lock_id).await?;
            out.push(DeskRoom {
                lock_name: lock.as_ref().map(|l| l.name.clone()).unwrap_or_default(),
                online: lock.is_some_and(|l| l.online),
                room,
                stay,
            });
        }
        Ok(out)
    }

    /// A stay and its cards (owners, managers, support).
    pub async fn hotel_stay(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<(Stay, Vec<IssuedCard>), ServiceError> {
        self.require(p, HISTORY)?;
        let stay = self.own_stay(p, id).await?;
        let cards = self.store.hotel_stay_cards(id).await?;
        Ok((stay, cards))
    }

    pub(crate) async fn own_stay(&self, p: &Principal, id: i64) -> Result<Stay, ServiceError> {
        self.store
            .hotel_stay(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing { what: "stay", id })
    }

    pub(crate) fn issuer(&self, p: &Principal) -> Issuer {
        Issuer {
            org_id: p.org_id,
            account_id: p.account_id,
            now_ms: self.now_ms(),
        }
    }
}

/// Seals recorded cards into images; `door` names the files of guest cards.
pub(crate) fn images(
    key: &SigningKey,
    cards: Vec<IssuedCard>,
    room: Option<(u32, i64)>,
) -> Result<Vec<CardImage>, ServiceError> {
    let mut out = Vec::with_capacity(cards.len());
    for (i, card) in cards.into_iter().enumerate() {
        let body = hotel::card_body(&card, room)
            .map_err(|e| StoreError::LogicBug(format!("card {}: {e}", card.number)))?;
        let image = hotel::seal(&body, key)
            .map_err(|e| StoreError::LogicBug(format!("card {}: {e}", card.number)))?;
        let file = match room {
            // A lost card's replacements do not overwrite the first files.
            Some((door, _)) if card.generation > 0 => hotel::card_file_name(door, i)
                .replace(".card", &format!("-g{}.card", card.generation)),
            Some((door, _)) => hotel::card_file_name(door, i),
            None => format!("{}-{}.card", card.kind.as_str(), card.number),
        };
        out.push(CardImage {
            card,
            file,
            image: hex::encode(image),
        });
    }
    Ok(out)
}
