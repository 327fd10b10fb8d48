//! Lock-plane leases between hubs (issue 14) and, on PostgreSQL, the
//! operation-end notifications every hub hears.

use tumbler_hub::plane::lease::{self, Leases, LEASE_SHARDS, LEASE_TTL_MS};
use tumbler_hub::store::operations::OpOutcome;
use tumbler_hub::store::{Backend, Store};

use super::{enqueue, lock_online, org, T0};

/// Shards held by `who` according to the database.
async fn held(store: &Store, who: &str) -> Vec<i64> {
    let rows = store.lease_rows().await.unwrap();
    rows.iter()
        .filter(|r| r.holder == who)
        .map(|r| r.shard)
        .collect()
}

/// Two hubs share the shards half and half without a gap or an overlap;
/// each claims only its own locks' operations; a hub that stops renewing
/// loses its shards to the other once they run out, and a clean stop gives
/// them up at once.
pub async fn leases_divide_between_hubs_and_outlive_a_dead_one(store: &Store) {
    assert_eq!(store.lease_rows().await.unwrap().len(), 64);
    let (a, b) = (Leases::leased(), Leases::leased());
    lease::pass(store, &a, "hub-a", T0).await.unwrap();
    assert_eq!(a.count(), 64, "a lone hub takes every shard");
    lease::pass(store, &b, "hub-b", T0 + 10).await.unwrap();
    assert_eq!(b.count(), 0, "nothing free yet");
    lease::pass(store, &a, "hub-a", T0 + 1_000).await.unwrap();
    assert_eq!(a.count(), 64, "offered shards stay a's until taken");
    lease::pass(store, &b, "hub-b", T0 + 1_010).await.unwrap();
    lease::pass(store, &a, "hub-a", T0 + 2_000).await.unwrap();
    assert_eq!((a.count(), b.count()), (32, 32));
    let (ha, hb) = (held(store, "hub-a").await, held(store, "hub-b").await);
    assert!(ha.iter().all(|s| !hb.contains(s)), "no shard held twice");
    assert_eq!(ha.len() + hb.len(), 64, "no shard left out");

    // Each hub claims only operations of the locks it holds.
    let o = org(store).await;
    let site = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    // Locks until both hubs have one (a holds the low shards).
    let mut ops = Vec::new();
    for k in 0..LEASE_SHARDS {
        let l = lock_online(store, o, site.id, &format!("LEASE-{k}")).await;
        if a.holds(l) && ops.iter().any(|(l, _)| a.holds(*l)) {
            continue;
        }
        ops.push((l, enqueue(store, o, l, "unlock").await));
        if ops.iter().any(|(l, _)| a.holds(*l)) && ops.iter().any(|(l, _)| b.holds(*l)) {
            break;
        }
    }
    assert!(ops.iter().any(|(l, _)| b.holds(*l)), "a lock in b's shards");
    let claimed_a = store
        .claim_leased_operations("hub-a", T0, 10)
        .await
        .unwrap();
    let claimed_b = store
        .claim_leased_operations("hub-b", T0, 10)
        .await
        .unwrap();
    for (lock, op) in &ops {
        let owner_a = a.holds(*lock);
        assert_eq!(owner_a, !b.holds(*lock), "lock {lock}: exactly one hub");
        let (mine, theirs) = if owner_a {
            (&claimed_a, &claimed_b)
        } else {
            (&claimed_b, &claimed_a)
        };
        assert!(
            mine.iter().any(|c| c.id == *op),
            "op {op} claimed by its lock's hub"
        );
        assert!(
            theirs.iter().all(|c| c.id != *op),
            "op {op} not claimed by the other"
        );
    }

    // b dies (stops renewing): its shards run out and a takes them.
    let later = T0 + 2_000 + LEASE_TTL_MS + 1;
    lease::pass(store, &a, "hub-a", later).await.unwrap();
    assert_eq!(a.count(), 64, "a took the dead hub's shards");

    // b comes back and a stops cleanly: b gets everything on its next pass.
    lease::pass(store, &b, "hub-b", later + 10).await.unwrap();
    store.release_leases("hub-a").await.unwrap();
    store.hub_gone("hub-a").await.unwrap();
    lease::pass(store, &b, "hub-b", later + 20).await.unwrap();
    assert_eq!(b.count(), LEASE_SHARDS as u32);
}

/// PostgreSQL: an operation that becomes final is announced to every
/// listener (another hub's waiter wakes at once). SQLite has no listener.
pub async fn operation_ends_are_announced_to_every_hub(store: &Store) {
    let Some(mut listener) = store.listen_op_ends().await.unwrap() else {
        assert_eq!(store.backend(), Backend::Sqlite);
        return;
    };
    let o = org(store).await;
    let site = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    let l = lock_online(store, o, site.id, "NOTIFY-1").await;
    let op = enqueue(store, o, l, "unlock").await;
    let claimed = store.claim_operations("w", T0, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(store
        .finish_operation(op, &OpOutcome::Applied, T0 + 1)
        .await
        .unwrap());
    // Other schemas' tests share the channel: wait for this id.
    let got = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            if listener.recv().await.unwrap() == Some(op) {
                break;
            }
        }
    })
    .await;
    assert!(got.is_ok(), "no notification for operation {op}");
}
