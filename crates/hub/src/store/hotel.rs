//! Hotel tables (migration 0015): a site's property key (secret half
//! sealed), rooms (locks that are hotel doors), stays and every card
//! issued. Card numbers come from the property's counter, stays from the
//! room's newest one, each inside the transaction that records the cards.

use sqlx::any::AnyRow;

use super::{col, Store, StoreError};
use crate::hotel::{CardClass, IssuedCard, Property, Room, RoomConfig, Stay};

const ROOM_COLS: &str =
    "lock_id, site_id, door, guest_room, floor, zone, building, last_stay, reset_counter";
const STAY_COLS: &str =
    "id, site_id, lock_id, stay, guest, until_s, generation, checked_out_at, created_at";
const CARD_COLS: &str = "id, site_id, number, kind, scope, lock_id, stay_id, generation, from_s, \
     until_s, days, from_min, to_min, holder, issued_by, issued_at, lost_at";

fn small(r: &AnyRow, name: &str) -> Result<u16, StoreError> {
    u16::try_from(col::<i64>(r, name)?).map_err(|_| StoreError::LogicBug(format!("room {name}")))
}

fn room_row(r: &AnyRow) -> Result<Room, StoreError> {
    Ok(Room {
        lock_id: col(r, "lock_id")?,
        site_id: col(r, "site_id")?,
        config: RoomConfig {
            door: u32::try_from(col::<i64>(r, "door")?)
                .map_err(|_| StoreError::LogicBug("room door".into()))?,
            guest_room: col::<i64>(r, "guest_room")? != 0,
            floor: small(r, "floor")?,
            zone: small(r, "zone")?,
            building: small(r, "building")?,
        },
        last_stay: col(r, "last_stay")?,
        reset_counter: col(r, "reset_counter")?,
    })
}

fn stay_row(r: &AnyRow) -> Result<Stay, StoreError> {
    Ok(Stay {
        id: col(r, "id")?,
        site_id: col(r, "site_id")?,
        lock_id: col(r, "lock_id")?,
        stay: col(r, "stay")?,
        guest: col(r, "guest")?,
        until_s: col(r, "until_s")?,
        generation: col(r, "generation")?,
        checked_out_at: col(r, "checked_out_at")?,
        created_at: col(r, "created_at")?,
    })
}

fn card_row(r: &AnyRow) -> Result<IssuedCard, StoreError> {
    let kind: String = col(r, "kind")?;
    Ok(IssuedCard {
        id: col(r, "id")?,
        site_id: col(r, "site_id")?,
        number: col(r, "number")?,
        kind: CardClass::parse(&kind)
            .ok_or_else(|| StoreError::LogicBug(format!("card kind {kind}")))?,
        scope: col(r, "scope")?,
        lock_id: col(r, "lock_id")?,
        stay_id: col(r, "stay_id")?,
        generation: col(r, "generation")?,
        from_s: col(r, "from_s")?,
        until_s: col(r, "until_s")?,
        days: col(r, "days")?,
        from_min: col(r, "from_min")?,
        to_min: col(r, "to_min")?,
        holder: col(r, "holder")?,
        issued_by: col(r, "issued_by")?,
        issued_at: col(r, "issued_at")?,
        lost_at: col(r, "lost_at")?,
    })
}

/// A card to record (its number is drawn when it is recorded).
#[derive(Debug, Clone)]
pub struct NewCard {
    /// What it opens.
    pub kind: CardClass,
    /// Floor, zone or building number.
    pub scope: Option<i64>,
    /// Opens from (UTC seconds; guest cards: the stay's check-in).
    pub from_s: i64,
    /// Refused from (UTC seconds).
    pub until_s: i64,
    /// Staff weekdays, from and to minute (guests: always).
    pub hours: (i64, i64, i64),
    /// Who holds it.
    pub holder: String,
}

/// Who records, and when.
#[derive(Debug, Clone, Copy)]
pub struct Issuer {
    /// The organisation.
    pub org_id: i64,
    /// The account.
    pub account_id: i64,
    /// Now, Unix ms.
    pub now_ms: i64,
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Store {
    /// The property of site `site_id` and its sealed secret key.
    pub async fn hotel_property(
        &self,
        site_id: i64,
    ) -> Result<Option<(Property, String)>, StoreError> {
        let r = sqlx::query(
            "SELECT site_id, public_key, secret_sealed, checkout_time FROM hotel_properties \
             WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_optional(&self.pool)
        .await?;
        r.map(|r| {
            Ok((
                Property {
                    site_id: col(&r, "site_id")?,
                    public_key: col(&r, "public_key")?,
                    checkout_time: col(&r, "checkout_time")?,
                },
                col(&r, "secret_sealed")?,
            ))
        })
        .transpose()
    }

    /// Records a site's property key unless it has one (two first uses at
    /// once keep the first); the caller reads it back with
    /// [`Store::hotel_property`].
    pub async fn create_hotel_property(
        &self,
        org_id: i64,
        site_id: i64,
        public_key: &str,
        secret_sealed: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO hotel_properties (site_id, org_id, public_key, secret_sealed, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id) DO NOTHING",
        )
        .bind(site_id)
        .bind(org_id)
        .bind(public_key)
        .bind(secret_sealed)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The room a lock of `org_id` is.
    pub async fn hotel_room(&self, org_id: i64, lock_id: i64) -> Result<Option<Room>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ROOM_COLS} FROM hotel_rooms WHERE org_id = $1 AND lock_id = $2"
        )))
        .bind(org_id)
        .bind(lock_id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(room_row).transpose()
    }

    /// The rooms of a property, by door number.
    pub async fn hotel_rooms(&self, org_id: i64, site_id: i64) -> Result<Vec<Room>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ROOM_COLS} FROM hotel_rooms WHERE org_id = $1 AND site_id = $2 ORDER BY door"
        )))
        .bind(org_id)
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(room_row).collect()
    }

    /// Makes lock `lock_id` a room of `site_id` (or changes it), keeping its
    /// newest stay; `reset_counter` is the lock's now.
    /// [`StoreError::Conflict`] if the door number is taken.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_hotel_room(
        &self,
        org_id: i64,
        site_id: i64,
        lock_id: i64,
        c: &RoomConfig,
        reset_counter: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO hotel_rooms (lock_id, org_id, site_id, door, guest_room, floor, zone, \
             building, updated_at, reset_counter) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (lock_id) DO UPDATE SET org_id = $2, site_id = $3, door = $4, \
             guest_room = $5, floor = $6, zone = $7, building = $8, updated_at = $9, \
             reset_counter = $10",
        )
        .bind(lock_id)
        .bind(org_id)
        .bind(site_id)
        .bind(i64::from(c.door))
        .bind(i64::from(c.guest_room))
        .bind(i64::from(c.floor))
        .bind(i64::from(c.zone))
        .bind(i64::from(c.building))
        .bind(now_ms)
        .bind(reset_counter)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Makes a lock an ordinary lock again; its stays and cards stay on
    /// record. `false` if it was not a room.
    pub async fn delete_hotel_room(&self, org_id: i64, lock_id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM hotel_rooms WHERE org_id = $1 AND lock_id = $2")
            .bind(org_id)
            .bind(lock_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Draws `n` card numbers of property `site_id`; returns the first.
    async fn draw_numbers(&self, tx: &mut Tx, site_id: i64, n: i64) -> Result<i64, StoreError> {
        let r = sqlx::query(
            "UPDATE hotel_properties SET next_card = next_card + $2 WHERE site_id = $1 \
             RETURNING next_card",
        )
        .bind(site_id)
        .bind(n)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::LogicBug("cards of a site without a property key".into()))?;
        Ok(col::<i64>(&r, "next_card")? - n)
    }

    /// Records `cards` with consecutive new numbers.
    #[allow(clippy::too_many_arguments)]
    async fn insert_cards(
        &self,
        tx: &mut Tx,
        by: Issuer,
        site_id: i64,
        room: Option<(i64, i64, i64)>,
        cards: &[NewCard],
    ) -> Result<Vec<IssuedCard>, StoreError> {
        let n = i64::try_from(cards.len()).map_err(|_| StoreError::LogicBug("cards".into()))?;
        let first = self.draw_numbers(tx, site_id, n).await?;
        let (lock_id, stay_id, generation) = match room {
            Some((l, s, g)) => (Some(l), Some(s), g),
            None => (None, None, 0),
        };
        let mut out = Vec::with_capacity(cards.len());
        for (number, c) in (first..).zip(cards) {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO hotel_cards (org_id, site_id, number, kind, scope, lock_id, stay_id, \
                 generation, from_s, until_s, days, from_min, to_min, holder, issued_by, issued_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                 RETURNING {CARD_COLS}"
            )))
            .bind(by.org_id)
            .bind(site_id)
            .bind(number)
            .bind(c.kind.as_str())
            .bind(c.scope)
            .bind(lock_id)
            .bind(stay_id)
            .bind(generation)
            .bind(c.from_s)
            .bind(c.until_s)
            .bind(c.hours.0)
            .bind(c.hours.1)
            .bind(c.hours.2)
            .bind(&c.holder)
            .bind(by.account_id)
            .bind(by.now_ms)
            .fetch_one(&mut **tx)
            .await?;
            out.push(card_row(&r)?);
        }
        Ok(out)
    }

    /// Checks a guest into `room`: a stay newer than every earlier one of the
    /// room (`max(now, last + 1)` seconds), generation 0, and its cards —
    /// all in one transaction.
    pub async fn hotel_check_in(
        &self,
        by: Issuer,
        room: &Room,
        guest: &str,
        until_s: i64,
        cards: usize,
    ) -> Result<(Stay, Vec<IssuedCard>), StoreError> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE hotel_rooms SET last_stay = CASE WHEN last_stay >= $3 THEN last_stay + 1 \
             ELSE $3 END WHERE org_id = $1 AND lock_id = $2 RETURNING last_stay",
        )
        .bind(by.org_id)
        .bind(room.lock_id)
        .bind(by.now_ms.div_euclid(1000))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::LogicBug("check-in to a room that is gone".into()))?;
        let stay: i64 = col(&r, "last_stay")?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO hotel_stays (org_id, site_id, lock_id, stay, guest, until_s, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {STAY_COLS}"
        )))
        .bind(by.org_id)
        .bind(room.site_id)
        .bind(room.lock_id)
        .bind(stay)
        .bind(guest)
        .bind(until_s)
        .bind(by.account_id)
        .bind(by.now_ms)
        .fetch_one(&mut *tx)
        .await?;
        let s = stay_row(&r)?;
        let new = guest_cards(guest, s.stay, until_s, cards);
        let issued = self
            .insert_cards(
                &mut tx,
                by,
                room.site_id,
                Some((room.lock_id, s.id, 0)),
                &new,
            )
            .await?;
        tx.commit().await?;
        Ok((s, issued))
    }

    /// A stay of `org_id`.
    pub async fn hotel_stay(&self, org_id: i64, id: i64) -> Result<Option<Stay>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {STAY_COLS} FROM hotel_stays WHERE org_id = $1 AND id = $2"
        )))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(stay_row).transpose()
    }

    /// The newest stay of a room.
    pub async fn hotel_last_stay(
        &self,
        org_id: i64,
        lock_id: i64,
    ) -> Result<Option<Stay>, StoreError> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {STAY_COLS} FROM hotel_stays WHERE org_id = $1 AND lock_id = $2 \
             ORDER BY stay DESC LIMIT 1"
        )))
        .bind(org_id)
        .bind(lock_id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(stay_row).transpose()
    }

    /// The cards of a stay, by number.
    pub async fn hotel_stay_cards(&self, stay_id: i64) -> Result<Vec<IssuedCard>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CARD_COLS} FROM hotel_cards WHERE stay_id = $1 ORDER BY number"
        )))
        .bind(stay_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(card_row).collect()
    }

    /// Every card of a property, by number (names card numbers in history).
    pub async fn hotel_cards(
        &self,
        org_id: i64,
        site_id: i64,
    ) -> Result<Vec<IssuedCard>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CARD_COLS} FROM hotel_cards WHERE org_id = $1 AND site_id = $2 ORDER BY number"
        )))
        .bind(org_id)
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(card_row).collect()
    }

    /// Moves a stay's check-out to `until_s`, with its current cards (same
    /// numbers, re-encoded by the caller). Returns the stay's cards.
    pub async fn hotel_extend(
        &self,
        org_id: i64,
        stay: &Stay,
        until_s: i64,
    ) -> Result<Vec<IssuedCard>, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE hotel_stays SET until_s = $3 WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(stay.id)
            .bind(until_s)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE hotel_cards SET until_s = $2 WHERE stay_id = $1 AND lost_at IS NULL")
            .bind(stay.id)
            .bind(until_s)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.hotel_stay_cards(stay.id).await
    }

    /// Records a check-out at `now_ms`; `false` if the stay had one already.
    pub async fn hotel_check_out(
        &self,
        org_id: i64,
        id: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE hotel_stays SET checked_out_at = $3 WHERE org_id = $1 AND id = $2 \
             AND checked_out_at IS NULL",
        )
        .bind(org_id)
        .bind(id)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A lost card of a stay: marks `lost` lost, raises the stay's
    /// generation and records `cards` replacements at the new generation.
    pub async fn hotel_replace_lost(
        &self,
        by: Issuer,
        stay: &Stay,
        lost: &IssuedCard,
        cards: usize,
    ) -> Result<(Stay, Vec<IssuedCard>), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE hotel_cards SET lost_at = $2 WHERE id = $1 AND lost_at IS NULL")
            .bind(lost.id)
            .bind(by.now_ms)
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE hotel_stays SET generation = generation + 1 WHERE org_id = $1 AND id = $2 \
             RETURNING {STAY_COLS}"
        )))
        .bind(by.org_id)
        .bind(stay.id)
        .fetch_one(&mut *tx)
        .await?;
        let s = stay_row(&r)?;
        let new = guest_cards(&lost.holder, s.stay, s.until_s, cards);
        let issued = self
            .insert_cards(
                &mut tx,
                by,
                s.site_id,
                Some((s.lock_id, s.id, s.generation)),
                &new,
            )
            .await?;
        tx.commit().await?;
        Ok((s, issued))
    }

    /// Records one staff card of property `site_id`.
    pub async fn hotel_staff_card(
        &self,
        by: Issuer,
        site_id: i64,
        card: &NewCard,
    ) -> Result<IssuedCard, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut out = self
            .insert_cards(&mut tx, by, site_id, None, std::slice::from_ref(card))
            .await?;
        tx.commit().await?;
        out.pop()
            .ok_or_else(|| StoreError::LogicBug("no staff card recorded".into()))
    }
}

/// `n` guest cards of one stay.
fn guest_cards(holder: &str, stay: i64, until_s: i64, n: usize) -> Vec<NewCard> {
    (0..n)
        .map(|_| NewCard {
            kind: CardClass::Guest,
            scope: None,
            from_s: stay,
            until_s,
            hours: (0x7f, 0, 1440),
            holder: holder.to_owned(),
        })
        .collect()
}
