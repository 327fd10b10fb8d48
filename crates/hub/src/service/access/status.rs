//! Where a change stands (per door), who can open a lock now and why, and
//! who held a lock's user slot when an event happened.

use super::*;

/// Who held each user slot of one lock over time, from the person-on-door
/// rows (removed ones included): names the person behind an event's user
/// slot at the event's time.
#[derive(Debug, Clone, Default)]
pub struct SlotHolders {
    /// (slot, state, last change, person's name), oldest assignment first.
    rows: Vec<(i64, DoorState, i64, String)>,
    /// Hotel cards of the lock's property by number: holder and kind.
    cards: BTreeMap<i64, String>,
}

impl SlotHolders {
    /// The person who held `slot` at `at_ms`: the first assignment of the
    /// slot not removed before then. `None` for a slot the hub never gave
    /// (a code enrolled at the keypad).
    pub fn name_at(&self, slot: i64, at_ms: i64) -> Option<&str> {
        self.rows
            .iter()
            .filter(|r| r.0 == slot)
            .find(|r| r.1 != DoorState::Removed || r.2 >= at_ms)
            .map(|r| r.3.as_str())
    }

    /// Who holds hotel card `number` of the lock's property, in words
    /// (`Ann Guest (guest card)`); `None` for a card the hub never issued.
    pub fn card_holder(&self, number: i64) -> Option<&str> {
        self.cards.get(&number).map(String::as_str)
    }
}

impl Service {
    /// Who held each user slot of a lock, to name the people in its history
    /// (owners, managers, support).
    pub async fn slot_holders(
        &self,
        p: &Principal,
        lock_id: i64,
    ) -> Result<SlotHolders, ServiceError> {
        self.require(p, HISTORY)?;
        let lock = self.own_lock(p, lock_id).await?;
        let mut cards = BTreeMap::new();
        if let Some(site) = lock.site_id {
            for c in self.store.hotel_cards(p.org_id, site).await? {
                cards.insert(c.number, format!("{} ({} card)", c.holder, c.kind.as_str()));
            }
        }
        let mut names: BTreeMap<i64, String> = BTreeMap::new();
        let mut rows = Vec::new();
        for d in self.store.doors_of_lock(lock_id).await? {
            let name = match names.get(&d.person_id) {
                Some(n) => n.clone(),
                None => {
                    let n = self
                        .store
                        .get_person(p.org_id, d.person_id)
                        .await?
                        .map_or_else(|| format!("person {}", d.person_id), |x| x.name);
                    names.insert(d.person_id, n.clone());
                    n
                }
            };
            rows.push((d.slot, d.state, d.updated_at, name));
        }
        Ok(SlotHolders { rows, cards })
    }

    /// A batch's progress and per-door results (states refreshed). With
    /// `with_doors` false only the counts (cheap to poll on 10,000 doors).
    pub async fn batch_status(
        &self,
        p: &Principal,
        id: i64,
        with_doors: bool,
    ) -> Result<BatchStatus, ServiceError> {
        self.require(p, HISTORY)?;
        let store = &self.store;
        let batch = store
            .get_batch(p.org_id, id)
            .await?
            .ok_or(ServiceError::Missing { what: "batch", id })?;
        // Only doors whose operations moved since their state was derived.
        for door in store.batch_doors_to_reconcile(id).await? {
            if let Some(d) = store.get_door(door).await? {
                self.plane.reconcile_door(d).await?;
            }
        }
        let mut counts: BTreeMap<String, usize> = DoorState::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect();
        for (state, n) in store.batch_counts(id).await? {
            *counts.entry(state).or_default() += usize::try_from(n).unwrap_or(0);
        }
        let total: usize = counts.values().sum();
        let done = counts
            .iter()
            .all(|(k, n)| *n == 0 || DoorState::parse(k).is_some_and(DoorState::is_settled));
        if !with_doors {
            return Ok(BatchStatus {
                id: batch.id,
                kind: batch.kind,
                total,
                counts,
                done,
                doors: Vec::new(),
            });
        }
        let mut doors = Vec::new();
        let mut names: BTreeMap<i64, String> = BTreeMap::new();
        let mut locks: BTreeMap<i64, (String, bool)> = BTreeMap::new();
        for d in store.doors_of_batch(id).await? {
            if let std::collections::btree_map::Entry::Vacant(e) = names.entry(d.person_id) {
                let n = store
                    .get_person(p.org_id, d.person_id)
                    .await?
                    .map(|x| x.name)
                    .unwrap_or_default();
                e.insert(n);
            }
            if let std::collections::btree_map::Entry::Vacant(e) = locks.entry(d.lock_id) {
                let l = store
                    .get_lock(p.org_id, d.lock_id)
                    .await?
                    .map(|l| (l.name, l.online))
                    .unwrap_or_default();
                e.insert(l);
            }
            let (lock_name, online) = locks.get(&d.lock_id).cloned().unwrap_or_default();
            doors.push(DoorResult {
                door_access_id: d.id,
                lock_id: d.lock_id,
                lock_name,
                online,
                person_id: d.person_id,
                person_name: names.get(&d.person_id).cloned().unwrap_or_default(),
                state: d.state,
                error: d.error,
            });
        }
        Ok(BatchStatus {
            id: batch.id,
            kind: batch.kind,
            total,
            counts,
            done,
            doors,
        })
    }

    /// Who can open a door right now, and why (states refreshed).
    pub async fn who_can_open(
        &self,
        p: &Principal,
        lock_id: i64,
    ) -> Result<Vec<WhoCanOpen>, ServiceError> {
        self.require(p, HISTORY)?;
        let lock = self.own_lock(p, lock_id).await?;
        let zone = self.plane.zone_of(&lock).await?;
        let store = &self.store;
        let now_ms = self.now_ms();
        let mut out = Vec::new();
        for d in store.doors_of_lock(lock_id).await? {
            let d = self.plane.reconcile_door(d).await?;
            if !d.state.grants_access() {
                continue;
            }
            let Some(person) = store.get_person(p.org_id, d.person_id).await? else {
                continue;
            };
            let schedule: Option<AccessSchedule> = serde_json::from_value(d.schedule.clone()).ok();
            // The schedule compiled as when it was granted: a past `until`
            // then simply admits no one.
            let compiled = schedule
                .as_ref()
                .and_then(|s| s.compile(&zone, d.updated_at / 1000).ok());
            let now = compiled
                .as_ref()
                .is_some_and(|c| c.active_at(now_ms / 1000, &zone));
            let creds = store.door_credentials(d.id).await?;
            let all = store.person_credentials(d.person_id).await?;
            let kinds: Vec<String> = creds
                .iter()
                .filter(|c| c.state != DoorState::Removed && c.state != DoorState::Failed)
                .filter_map(|c| all.iter().find(|x| x.id == c.credential_id))
                .map(|c| match &c.label {
                    Some(l) => format!("{} ({l})", c.kind.name()),
                    None => c.kind.name().to_owned(),
                })
                .collect();
            let sched = schedule.map(|s| s.describe()).unwrap_or_default();
            let why = format!(
                "{}{} with {}; schedule {} ({}); user slot {}",
                if person.owner { "owner; " } else { "" },
                match d.state {
                    DoorState::Set => "delivered and confirmed by the lock's digest",
                    DoorState::Setting => "being delivered",
                    DoorState::Removing => "being removed (may still work until the lock confirms)",
                    _ => "queued",
                },
                if kinds.is_empty() {
                    "no credential".to_owned()
                } else {
                    kinds.join(", ")
                },
                sched,
                if now { "admits now" } else { "not now" },
                d.slot,
            );
            out.push(WhoCanOpen {
                person_id: person.id,
                name: person.name,
                owner: person.owner,
                now,
                why,
                state: d.state,
                credentials: kinds,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_names_whoever_held_it_at_the_time() {
        let h = SlotHolders {
            rows: vec![
                (3, DoorState::Removed, 1_000, "Ann".into()),
                (3, DoorState::Set, 2_000, "Bob".into()),
                (4, DoorState::Set, 500, "Cy".into()),
            ],
            cards: BTreeMap::from([(1001, "Dee (guest card)".to_owned())]),
        };
        assert_eq!(h.card_holder(1001), Some("Dee (guest card)"));
        assert_eq!(h.card_holder(1002), None);
        assert_eq!(h.name_at(3, 900), Some("Ann"));
        assert_eq!(h.name_at(3, 1_000), Some("Ann"));
        assert_eq!(h.name_at(3, 1_001), Some("Bob"));
        assert_eq!(h.name_at(4, 10), Some("Cy"));
        assert_eq!(h.name_at(5, 10), None);
    }
}
