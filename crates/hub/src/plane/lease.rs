//! Lock-plane leases: with several hub processes on one database, each lock
//! is handled by one of them (issue 14).
//!
//! Every hub subscribes to every lock's topics, but a frame from a lock is
//! opened, stored and answered only by the hub holding the lease on the
//! lock's shard (`id % LEASE_SHARDS`), and only that hub's job runner claims
//! the lock's operations. So each lock's frames leave from one outbox in
//! counter order (two hubs publishing interleaved counters made the lock
//! refuse the late ones as replays), and no frame is opened twice.
//!
//! Leases are an optimisation, not what keeps the data right: the database
//! still serialises bindings and claims. A hub that loses a lease while it
//! is busy only handles a few frames twice, as before leases existed.
//!
//! Hubs announce themselves in `plane_hubs` on every pass; each takes its
//! share (`ceil(shards / live hubs)`) of free or expired shards and offers the
//! rest. An offered shard stays its holder's, and is still handled by it,
//! until another hub takes it, so no frame falls between two hubs. A hub
//! that stops cleanly gives its leases up; a killed one's run out after
//! [`LEASE_TTL_MS`]. Lease times are wall-clock (they measure whether a
//! process is alive), never the hub's clock that tests move.
//!
//! [`plan`] is the pure rule; [`pass`] applies it to the database;
//! [`relay_op_ends`] carries other hubs' answers to this hub's waiters.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

pub use crate::store::leases::{LeaseRow, LEASE_SHARDS};
use crate::store::{Store, StoreError};

/// A lease not renewed for this long may be taken by another hub.
pub const LEASE_TTL_MS: i64 = 6_000;

/// How often a hub renews its leases and rebalances.
pub const LEASE_PASS: std::time::Duration = std::time::Duration::from_secs(1);

/// The shards this process holds (a bit mask), shared by the plane, the job
/// runner and the lease task; cheap to clone.
#[derive(Clone, Debug)]
pub struct Leases {
    mask: Arc<AtomicU64>,
    /// False: this process handles every lock (one hub; plane tests).
    leased: Arc<AtomicBool>,
}

impl Default for Leases {
    fn default() -> Self {
        Self::all()
    }
}

/// A lock's shard.
pub fn shard_of(lock_id: i64) -> i64 {
    lock_id.rem_euclid(LEASE_SHARDS)
}

impl Leases {
    /// Every lock, no leases (a plane without a lease task).
    pub fn all() -> Self {
        Self {
            mask: Arc::new(AtomicU64::new(u64::MAX)),
            leased: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Leased, holding nothing until the first [`pass`].
    pub fn leased() -> Self {
        Self {
            mask: Arc::new(AtomicU64::new(0)),
            leased: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Whether shards are leased (false: every lock is this process's).
    pub fn is_leased(&self) -> bool {
        self.leased.load(Ordering::Relaxed)
    }

    /// Whether this process handles lock `lock_id`.
    pub fn holds(&self, lock_id: i64) -> bool {
        !self.is_leased() || self.mask.load(Ordering::Relaxed) & bit(shard_of(lock_id)) != 0
    }

    /// How many shards this process holds.
    pub fn count(&self) -> u32 {
        self.mask.load(Ordering::Relaxed).count_ones()
    }

    fn set(&self, shards: impl Iterator<Item = i64>) {
        let mask = shards.fold(0u64, |m, s| m | bit(s));
        self.mask.store(mask, Ordering::Relaxed);
    }
}

fn bit(shard: i64) -> u64 {
    u32::try_from(shard)
        .ok()
        .and_then(|s| 1u64.checked_shl(s))
        .unwrap_or(0)
}

/// What one pass does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeasePlan {
    /// Held by this hub and renewed.
    pub keep: Vec<i64>,
    /// Free or expired shards to take.
    pub take: Vec<i64>,
    /// Held beyond this hub's share: offered to the others.
    pub offer: Vec<i64>,
}

/// The pure rule: `me` keeps at most its share of the shards (`ceil(shards /
/// hubs)`, `hubs` the live hubs, `me` included), takes free or expired ones
/// up to its share, and offers the rest (lowest shard numbers kept first).
pub fn plan(rows: &[LeaseRow], hubs: &BTreeSet<String>, me: &str, now: i64) -> LeasePlan {
    let live = hubs.iter().filter(|h| h.as_str() != me).count() + 1;
    let total = usize::try_from(LEASE_SHARDS).unwrap_or(64);
    let share = total.div_ceil(live);
    let mut mine: Vec<i64> = rows
        .iter()
        .filter(|r| r.holder == me)
        .map(|r| r.shard)
        .collect();
    mine.sort_unstable();
    let keep: Vec<i64> = mine.iter().copied().take(share).collect();
    // Offered once (its lease ended) is enough: still held, not renewed.
    let offer = rows
        .iter()
        .filter(|r| r.holder == me && r.until > now && !keep.contains(&r.shard))
        .map(|r| r.shard)
        .collect();
    let mut free: Vec<i64> = rows
        .iter()
        .filter(|r| r.holder != me && r.until <= now)
        .map(|r| r.shard)
        .collect();
    free.sort_unstable();
    let take = free
        .into_iter()
        .take(share.saturating_sub(keep.len()))
        .collect();
    LeasePlan { keep, take, offer }
}

/// One lease pass for hub `me` at wall-clock `now` (Unix ms): announce, plan,
/// apply, then set `leases` to what the database says `me` holds.
pub async fn pass(store: &Store, leases: &Leases, me: &str, now: i64) -> Result<(), StoreError> {
    store.hub_seen(me, now).await?;
    let hubs = store.live_hubs(now.saturating_sub(LEASE_TTL_MS)).await?;
    let rows = store.lease_rows().await?;
    let p = plan(&rows, &hubs, me, now);
    let until = now.saturating_add(LEASE_TTL_MS);
    store.renew_leases(&p.keep, me, until).await?;
    for shard in &p.take {
        store.take_lease(*shard, me, now, until).await?;
    }
    for shard in &p.offer {
        store.offer_lease(*shard, me, now).await?;
    }
    let rows = store.lease_rows().await?;
    leases.set(rows.iter().filter(|r| r.holder == me).map(|r| r.shard));
    Ok(())
}

/// Wall-clock now, Unix ms: leases measure whether processes are alive, so
/// they never follow the hub's own (test-movable) clock.
pub fn wall_ms() -> i64 {
    use crate::clock::Clock;
    crate::clock::SystemClock.now().as_millisecond()
}

/// Renews and rebalances every [`LEASE_PASS`] until `stop` turns true, then
/// gives every lease up so other hubs take them at once.
pub async fn run(
    store: Store,
    leases: Leases,
    me: String,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(LEASE_PASS);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut held = leases.count();
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            _ = tick.tick() => {}
        }
        match pass(&store, &leases, &me, wall_ms()).await {
            Ok(()) => {
                let now_held = leases.count();
                if now_held != held {
                    tracing::info!(
                        worker = me,
                        shards = now_held,
                        of = LEASE_SHARDS,
                        "lock-plane leases changed"
                    );
                    held = now_held;
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not renew lock-plane leases"),
        }
    }
    if let Err(e) = store.release_leases(&me).await {
        tracing::warn!(error = %e, "could not give lock-plane leases up");
    }
    if let Err(e) = store.hub_gone(&me).await {
        tracing::warn!(error = %e, "could not sign off the lock plane");
    }
}

/// Relays the database's operation-end notifications (PostgreSQL, every
/// hub on it) into `ended` until `stop` turns true; on SQLite there are
/// none and this returns at once. A lost connection is retried every
/// second, and waiters are told to re-read (notices may have been missed).
pub async fn relay_op_ends(
    store: Store,
    ended: crate::op_ended::OpEnded,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let listener = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            l = store.listen_op_ends() => l,
        };
        match listener {
            Ok(None) => return,
            Ok(Some(mut l)) => loop {
                let next = tokio::select! {
                    _ = stop.wait_for(|s| *s) => return,
                    n = l.recv() => n,
                };
                match next {
                    Ok(Some(id)) => ended.ended(id),
                    Ok(None) => ended.some_ended(),
                    Err(e) => {
                        tracing::warn!(error = %e, "operation-end notifications lost; reconnecting");
                        ended.some_ended();
                        break;
                    }
                }
            },
            Err(e) => tracing::warn!(error = %e, "cannot listen for operation ends"),
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(holders: &[(&str, i64)]) -> Vec<LeaseRow> {
        (0..LEASE_SHARDS)
            .map(|shard| {
                let (holder, until) = usize::try_from(shard)
                    .ok()
                    .and_then(|i| holders.get(i))
                    .copied()
                    .unwrap_or(("", 0));
                LeaseRow {
                    shard,
                    holder: holder.into(),
                    until,
                }
            })
            .collect()
    }

    fn hubs(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_lone_hub_takes_every_shard() {
        let p = plan(&rows(&[]), &hubs(&["a"]), "a", 1_000);
        assert!(p.keep.is_empty() && p.offer.is_empty());
        assert_eq!(p.take, (0..LEASE_SHARDS).collect::<Vec<_>>());
    }

    #[test]
    fn a_second_hub_gets_half_once_the_first_offers_it() {
        let all_a: Vec<_> = (0..LEASE_SHARDS).map(|_| ("a", 5_000)).collect();
        let r = rows(&all_a);
        let h = hubs(&["a", "b"]);
        // b sees nothing free yet.
        assert!(plan(&r, &h, "b", 1_000).take.is_empty());
        // a keeps its share and offers the rest.
        let pa = plan(&r, &h, "a", 1_000);
        assert_eq!(pa.keep, (0..32).collect::<Vec<_>>());
        assert_eq!(pa.offer, (32..64).collect::<Vec<_>>());
        // Offered shards (lease ended, still a's) are b's to take.
        let offered: Vec<_> = (0..LEASE_SHARDS)
            .map(|s| ("a", if s < 32 { 5_000 } else { 1_000 }))
            .collect();
        let pb = plan(&rows(&offered), &h, "b", 1_000);
        assert_eq!(pb.take, (32..64).collect::<Vec<_>>());
        // a does not offer them again.
        assert!(plan(&rows(&offered), &h, "a", 1_000).offer.is_empty());
    }

    #[test]
    fn a_dead_hubs_shards_are_taken_after_they_run_out() {
        let split: Vec<_> = (0..LEASE_SHARDS)
            .map(|s| if s < 32 { ("a", 7_000) } else { ("b", 2_000) })
            .collect();
        let r = rows(&split);
        // b stopped renewing at 2_000 - TTL; at 3_000 only a is live.
        let p = plan(&r, &hubs(&["a"]), "a", 3_000);
        assert_eq!(p.keep.len(), 32);
        assert_eq!(p.take, (32..64).collect::<Vec<_>>());
        // Before b's leases end, a takes none of them.
        assert!(plan(&r, &hubs(&["a"]), "a", 1_500).take.is_empty());
    }

    #[test]
    fn shares_cover_every_shard_with_three_hubs() {
        let h = hubs(&["a", "b", "c"]);
        let p = plan(&rows(&[]), &h, "a", 0);
        assert_eq!(p.take.len(), 22);
    }

    #[test]
    fn holds_is_by_shard_of_the_lock_id() {
        let l = Leases::leased();
        assert!(!l.holds(3));
        l.set([3, 63].into_iter());
        assert!(l.holds(3) && l.holds(67) && l.holds(63) && !l.holds(4));
        assert_eq!(l.count(), 2);
        assert!(Leases::all().holds(4));
    }
}
