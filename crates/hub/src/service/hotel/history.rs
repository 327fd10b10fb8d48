//! A room's history: the lock's audit records made by a hotel card
//! (`who: {"Card": n}`), each joined to the card the hub issued under that
//! number — who entered, with which card, and what the door decided.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{Principal, Service, ServiceError, HISTORY};
use crate::hotel::IssuedCard;
use crate::service::events::EventQuery;

/// One use of a card at a room's door.
#[derive(Debug, Clone, Serialize)]
pub struct RoomEntry {
    /// The lock's time of it.
    #[serde(serialize_with = "crate::model::ts::ser")]
    pub at: i64,
    /// The event kind (`unlock`, …).
    pub kind: String,
    /// The card number the lock logged.
    pub number: i64,
    /// Whether the door opened.
    pub opened: bool,
    /// The lock's result as logged (`Ok`, or why it refused).
    pub result: Value,
    /// The card the hub issued under that number (`None`: not one of ours).
    pub card: Option<IssuedCard>,
}

impl Service {
    /// The card uses at room `lock_id`, newest first (owners, managers,
    /// support); `limit` events of the lock are looked at.
    pub async fn room_history(
        &self,
        p: &Principal,
        lock_id: i64,
        limit: Option<i64>,
    ) -> Result<Vec<RoomEntry>, ServiceError> {
        self.require(p, HISTORY)?;
        let (_, room) = self.own_room(p, lock_id).await?;
        let events = self
            .search_events(
                p,
                &EventQuery {
                    lock_id: Some(lock_id),
                    limit,
                    ..EventQuery::default()
                },
            )
            .await?;
        let cards: BTreeMap<i64, IssuedCard> = self
            .store
            .hotel_cards(p.org_id, room.site_id)
            .await?
            .into_iter()
            .map(|c| (c.number, c))
            .collect();
        Ok(events
            .into_iter()
            .filter_map(|e| {
                let number = e.data.get("who")?.get("Card")?.as_i64()?;
                let result = e.data.get("result").cloned().unwrap_or(Value::Null);
                Some(RoomEntry {
                    at: e.at,
                    kind: e.kind,
                    number,
                    opened: result == "Ok",
                    result,
                    card: cards.get(&number).cloned(),
                })
            })
            .collect())
    }
}
