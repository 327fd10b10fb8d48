//! The front desk's guest flows: check-in (n cards, joiners), extend a
//! stay, check-out, lost card (a replacement at the next generation and
//! `deny_card` to the room's lock at once). Every input is checked before
//! anything is written.

use super::{images, Issued, Principal, Service, ServiceError, ADMINS};
use crate::hotel::{self, Room, Stay};
use crate::model::OpName;
use crate::service::{check_name, invalid, refused};

/// Most cards one check-in or replacement encodes.
pub const MAX_CARDS: usize = 8;

/// A check-in, as the front desk types it.
#[derive(Debug, Clone, Default)]
pub struct CheckIn {
    /// The guest's name.
    pub guest: String,
    /// How many cards (joiners), 1..=[`MAX_CARDS`].
    pub cards: usize,
    /// Check-out date in the site's local time, `YYYY-MM-DD`.
    pub checkout: String,
    /// Check-out time of day, `HH:MM` (default: the property's, 11:00).
    pub checkout_time: Option<String>,
}

fn check_cards(n: usize) -> Result<usize, ServiceError> {
    if (1..=MAX_CARDS).contains(&n) {
        Ok(n)
    } else {
        Err(invalid("cards", format!("1 to {MAX_CARDS} cards")))
    }
}

impl Service {
    /// The check-out instant (UTC seconds) for a local date and time at the
    /// room's site; refused if not after now.
    async fn checkout_s(
        &self,
        p: &Principal,
        site_id: i64,
        date: &str,
        time: Option<&str>,
        default_time: &str,
    ) -> Result<i64, ServiceError> {
        let site = self
            .store
            .get_site(p.org_id, site_id)
            .await?
            .ok_or(ServiceError::Missing {
                what: "site",
                id: site_id,
            })?;
        let time = time.unwrap_or(default_time);
        // Not of the form: 400; of the form but no such date or time: 422.
        let until = hotel::checkout_instant(date, time, &site.time_zone).map_err(|e| match e {
            hotel::WhenError::Time if hotel::shaped(time, "99:99") => {
                refused("checkout_time", e.to_string())
            }
            hotel::WhenError::Time => invalid("checkout_time", e.to_string()),
            other if hotel::shaped(date, "9999-99-99") => refused("checkout", other.to_string()),
            other => invalid("checkout", other.to_string()),
        })?;
        if until <= self.now_ms().div_euclid(1000) {
            return Err(refused("checkout", "the check-out is in the past"));
        }
        if u32::try_from(until).is_err() {
            return Err(refused("checkout", "too far ahead for a card"));
        }
        Ok(until)
    }

    /// Checks a guest into room `lock_id` (owners, managers): a new stay that
    /// overrides every earlier one at the door once used, and `cards` card
    /// images of it (joiners).
    pub async fn check_in(
        &self,
        p: &Principal,
        lock_id: i64,
        req: CheckIn,
    ) -> Result<Issued, ServiceError> {
        self.require(p, ADMINS)?;
        let (_, room) = self.own_room(p, lock_id).await?;
        let guest = check_name("guest", &req.guest)?;
        let n = check_cards(req.cards)?;
        let pk = self.room_key(p, &room).await?;
        let until = self
            .checkout_s(
                p,
                room.site_id,
                &req.checkout,
                req.checkout_time.as_deref(),
                &pk.property.checkout_time,
            )
            .await?;
        let (stay, cards) = self
            .store
            .hotel_check_in(self.issuer(p), &room, &guest, until, n)
            .await?;
        let cards = images(&pk.key, cards, Some((room.config.door, stay.stay)))?;
        Ok(Issued {
            stay: Some(stay),
            cards,
        })
    }

    async fn room_key(
        &self,
        p: &Principal,
        room: &Room,
    ) -> Result<super::PropertyKey, ServiceError> {
        let site = self.hotel_site(p, room.site_id).await?;
        self.property_key(p, &site).await
    }

    /// A stay that is still on (not checked out), with its room.
    async fn live_stay(&self, p: &Principal, id: i64) -> Result<(Stay, Room), ServiceError> {
        let stay = self.own_stay(p, id).await?;
        if stay.checked_out_at.is_some() {
            return Err(ServiceError::WrongState("the guest has checked out".into()));
        }
        let (_, room) = self.own_room(p, stay.lock_id).await?;
        Ok((stay, room))
    }

    /// Extends a stay to a later check-out (owners, managers): the same
    /// cards re-encoded with the later `until`; the lock needs no message,
    /// and the old images still open until the old check-out.
    pub async fn extend_stay(
        &self,
        p: &Principal,
        id: i64,
        checkout: &str,
        checkout_time: Option<&str>,
    ) -> Result<Issued, ServiceError> {
        self.require(p, ADMINS)?;
        let (stay, room) = self.live_stay(p, id).await?;
        let pk = self.room_key(p, &room).await?;
        let until = self
            .checkout_s(
                p,
                room.site_id,
                checkout,
                checkout_time,
                &pk.property.checkout_time,
            )
            .await?;
        if until <= stay.until_s {
            return Err(refused("checkout", "not after the stay's check-out"));
        }
        let cards = self.store.hotel_extend(p.org_id, &stay, until).await?;
        let live: Vec<_> = cards
            .into_iter()
            .filter(|c| c.lost_at.is_none() && c.generation == stay.generation)
            .collect();
        let cards = images(&pk.key, live, Some((room.config.door, stay.stay)))?;
        Ok(Issued {
            stay: self.store.hotel_stay(p.org_id, id).await?,
            cards,
        })
    }

    /// Checks a guest out now (owners, managers). The cards stop at their
    /// check-out (or when the next guest's card is used); the door is not
    /// sent a deny entry, which would spend its short deny list.
    pub async fn check_out(&self, p: &Principal, id: i64) -> Result<Stay, ServiceError> {
        self.require(p, ADMINS)?;
        self.live_stay(p, id).await?;
        if !self
            .store
            .hotel_check_out(p.org_id, id, self.now_ms())
            .await?
        {
            return Err(ServiceError::WrongState("the guest has checked out".into()));
        }
        self.own_stay(p, id).await
    }

    /// A guest lost card `number` of stay `id` (owners, managers): `cards`
    /// replacements at the next generation — the first used at the door
    /// cancels every older card of the stay — and `deny_card` queued to the
    /// room's lock at once.
    pub async fn lost_card(
        &self,
        p: &Principal,
        id: i64,
        number: i64,
        cards: usize,
    ) -> Result<Issued, ServiceError> {
        self.require(p, ADMINS)?;
        let (stay, room) = self.live_stay(p, id).await?;
        let n = check_cards(cards)?;
        let lost = self
            .store
            .hotel_stay_cards(id)
            .await?
            .into_iter()
            .find(|c| c.number == number)
            .ok_or_else(|| refused("number", "not a card of this stay"))?;
        if lost.lost_at.is_some() {
            return Err(refused("number", "already reported lost"));
        }
        if stay.generation >= i64::from(u8::MAX) {
            return Err(refused("number", "no more replacements for this stay"));
        }
        let pk = self.room_key(p, &room).await?;
        let lock = self.own_lock(p, room.lock_id).await?;
        let (stay, new) = self
            .store
            .hotel_replace_lost(self.issuer(p), &stay, &lost, n)
            .await?;
        self.enqueue(
            p,
            &lock,
            OpName::DenyCard,
            serde_json::json!({ "number": number }),
        )
        .await?;
        let cards = images(&pk.key, new, Some((room.config.door, stay.stay)))?;
        Ok(Issued {
            stay: Some(stay),
            cards,
        })
    }
}
