//! One store test suite, run on SQLite always and on PostgreSQL when
//! `TUMBLER_TEST_POSTGRES` is reachable (required when `CI=true`).

use std::collections::{BTreeMap, HashSet};

use tumbler_hub::model::{AlertKind, ClaimState, OpState, Presence, Role, Severity};
use tumbler_hub::store::alerts::NewAlert;
use tumbler_hub::store::events::{EventFilter, IngestOutcome, NewEvent};
use tumbler_hub::store::locks::LockFilter;
use tumbler_hub::store::operations::{NewOperation, OpOutcome, OperationFilter};
use tumbler_hub::store::orgs::NewAccount;
use tumbler_hub::store::{Store, StoreError};
use tumbler_testkit::{postgres_db, sqlite_db};

mod access;
mod hotel;
mod leases;
mod offline;
mod rentals;
mod sqlite_file;
use access::{
    a_stale_plan_is_refused_whole, access_slots_changes_and_reset,
    concurrent_grants_get_distinct_slots, grants_respect_each_locks_capacity,
};
use hotel::hotel_rooms_stays_and_cards;
use leases::{
    leases_divide_between_hubs_and_outlive_a_dead_one, operation_ends_are_announced_to_every_hub,
};
use offline::offline_keys_sealed_and_codes_per_epoch;
use rentals::rentals_listings_feeds_reservations_pending;

macro_rules! conformance {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = super::sqlite_db().await.unwrap();
                    super::$name(&db.store).await;
                    db.cleanup().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = super::postgres_db().await.unwrap() else {
                        eprintln!("skipped: no PostgreSQL");
                        return;
                    };
                    super::$name(&db.store).await;
                    db.cleanup().await;
                }
            )+
        }
    };
}

conformance!(
    orgs_accounts_tokens,
    sites_unique_and_in_use,
    locks_presence_and_reset,
    operations_order_and_lifecycle,
    two_workers_never_claim_the_same_operation,
    events_dedup_gap_and_search,
    alerts_ack,
    alerts_once_per_lock_and_kind,
    presence_unresponsive_and_back,
    lock_plane_bindings_and_lifecycle,
    access_slots_changes_and_reset,
    concurrent_grants_get_distinct_slots,
    grants_respect_each_locks_capacity,
    a_stale_plan_is_refused_whole,
    leases_divide_between_hubs_and_outlive_a_dead_one,
    operation_ends_are_announced_to_every_hub,
    hotel_rooms_stays_and_cards,
    offline_keys_sealed_and_codes_per_epoch,
    rentals_listings_feeds_reservations_pending,
);

const T0: i64 = 1_768_478_400_000;

async fn org(store: &Store) -> i64 {
    store.create_org("Acme", T0).await.unwrap().id
}

async fn orgs_accounts_tokens(store: &Store) {
    let o = org(store).await;
    let a = store
        .create_account(
            NewAccount {
                org_id: o,
                email: "a@x.test",
                name: "A",
                role: Role::Owner,
                password_hash: "h",
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(a.role, Role::Owner);
    let dup = store
        .create_account(
            NewAccount {
                org_id: o,
                email: "a@x.test",
                name: "B",
                role: Role::Support,
                password_hash: "h",
            },
            T0,
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict)));
    let (found, hash) = store.account_for_login("a@x.test").await.unwrap().unwrap();
    assert_eq!((found.id, hash.as_str()), (a.id, "h"));
    assert_eq!(store.count_owners(o).await.unwrap(), 1);

    let t = store
        .insert_token(
            a.id,
            tumbler_hub::model::TokenKind::Session,
            "hash1",
            "login",
            T0,
            Some(T0 + 10),
        )
        .await
        .unwrap();
    let owner = store.token_owner("hash1", T0 + 9).await.unwrap().unwrap();
    assert!(!owner.operator, "accounts are no operators by default");
    assert!(store.set_operator(a.id, true).await.unwrap());
    assert!(
        store
            .token_owner("hash1", T0 + 9)
            .await
            .unwrap()
            .unwrap()
            .operator
    );
    assert!(store.set_operator(a.id, false).await.unwrap());
    assert!(
        !store.set_operator(i64::MAX, true).await.unwrap(),
        "no such account"
    );
    assert!(
        store.token_owner("hash1", T0 + 10).await.unwrap().is_none(),
        "expired"
    );
    assert!(store.token_owner("nope", T0).await.unwrap().is_none());
    assert_eq!(store.list_tokens(a.id).await.unwrap().len(), 1);
    assert!(store.delete_token(a.id, t.id).await.unwrap());
    assert!(!store.delete_token(a.id, t.id).await.unwrap());

    let other = store.create_org("Other", T0).await.unwrap().id;
    assert!(
        store.get_account(other, a.id).await.unwrap().is_none(),
        "scoped by org"
    );
    assert!(store
        .set_role(other, a.id, Role::Support)
        .await
        .unwrap()
        .is_none());
    assert!(!store.delete_account(other, a.id).await.unwrap());
    assert_eq!(
        store.rename_org(o, "Acme 2").await.unwrap().unwrap().name,
        "Acme 2"
    );
    assert_eq!(store.count_orgs().await.unwrap(), 2);
    let names: Vec<String> = store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["Acme 2", "Other"]);
}

async fn sites_unique_and_in_use(store: &Store) {
    let o = org(store).await;
    let s = store
        .create_site(o, "HQ", "Europe/Paris", T0)
        .await
        .unwrap();
    assert!(matches!(
        store.create_site(o, "HQ", "UTC", T0).await,
        Err(StoreError::Conflict)
    ));
    let o2 = store.create_org("B", T0).await.unwrap().id;
    store.create_site(o2, "HQ", "UTC", T0).await.unwrap();
    let u = store
        .update_site(o, s.id, None, Some("America/New_York"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (u.name.as_str(), u.time_zone.as_str()),
        ("HQ", "America/New_York")
    );
    assert!(store
        .update_site(o2, s.id, Some("x"), None)
        .await
        .unwrap()
        .is_none());
    let l = store.lock_seen("SN1", T0).await.unwrap();
    store.bind_lock(l.id, o, s.id, "Door").await.unwrap();
    assert!(matches!(
        store.delete_site(o, s.id, T0).await,
        Err(StoreError::InUse)
    ));
    assert!(
        !store.delete_site(o2, s.id, T0).await.unwrap(),
        "other org: not found, not in use"
    );
    assert_eq!(store.list_sites(o).await.unwrap().len(), 1);
}

async fn locks_presence_and_reset(store: &Store) {
    let o = org(store).await;
    let s = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    let l = store.lock_seen("SN1", T0).await.unwrap();
    assert_eq!(l.claim_state, ClaimState::Unclaimed);
    assert_eq!(
        store.lock_seen("SN1", T0 + 1).await.unwrap().id,
        l.id,
        "idempotent"
    );
    // Seeing a known lock again takes no id: the next new lock is the next id.
    for k in 2..5 {
        store.lock_seen("SN1", T0 + k).await.unwrap();
    }
    let next = store.lock_seen("SN1-next", T0 + 9).await.unwrap();
    assert_eq!(next.id, l.id + 1, "no gap in lock ids");
    assert!(store
        .list_locks(o, &LockFilter::default())
        .await
        .unwrap()
        .is_empty());
    let b = store
        .bind_lock(l.id, o, s.id, "Door")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.claim_state, ClaimState::Claimed);
    let on = store
        .set_online("SN1", true, T0 + 2)
        .await
        .unwrap()
        .unwrap();
    assert!(on.online);
    assert_eq!(on.last_seen_at, Some(T0 + 2));
    let (t, reset) = store
        .record_telemetry(l.id, Some(80), 0, T0 + 3)
        .await
        .unwrap()
        .unwrap();
    assert!(!reset);
    assert_eq!(t.battery_pct, Some(80));
    let (t, reset) = store
        .record_telemetry(l.id, None, 1, T0 + 4)
        .await
        .unwrap()
        .unwrap();
    assert!(reset, "a higher counter claims a reset");
    assert_eq!(
        (t.claim_state, t.reset_counter),
        (ClaimState::Claimed, 0),
        "unauthenticated telemetry changes neither claim state nor counter"
    );
    assert_eq!(t.battery_pct, Some(80), "kept when not reported");
    // Signed evidence marks it stale.
    let (t, changed) = store
        .mark_stale(l.id, &serde_json::json!({"reason": "test"}), Some(1))
        .await
        .unwrap()
        .unwrap();
    assert!(changed);
    assert_eq!(t.claim_state, ClaimState::ResetBindingStale);
    let (_, reset) = store
        .record_telemetry(l.id, None, 1, T0 + 5)
        .await
        .unwrap()
        .unwrap();
    assert!(!reset, "a stale lock claims no new reset");
    let (t, _) = store
        .record_telemetry(l.id, None, 0, T0 + 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.reset_counter, 1, "counter never goes back");
    let stale = LockFilter {
        claim_state: Some(ClaimState::ResetBindingStale),
        ..Default::default()
    };
    assert_eq!(store.list_locks(o, &stale).await.unwrap().len(), 1);
    assert_eq!(
        store.lock_serial(l.id).await.unwrap().as_deref(),
        Some("SN1")
    );
}

async fn lock_online(store: &Store, o: i64, site: i64, serial: &str) -> i64 {
    let l = store.lock_seen(serial, T0).await.unwrap();
    store.bind_lock(l.id, o, site, serial).await.unwrap();
    store.set_online(serial, true, T0).await.unwrap();
    l.id
}

async fn enqueue(store: &Store, o: i64, lock: i64, kind: &str) -> i64 {
    store
        .enqueue_operation(
            NewOperation {
                org_id: o,
                lock_id: lock,
                kind: tumbler_hub::model::OpName::parse(kind).unwrap(),
                params: &serde_json::json!({}),
                max_attempts: 2,
                created_by: None,
            },
            T0,
        )
        .await
        .unwrap()
        .id
}

async fn operations_order_and_lifecycle(store: &Store) {
    let o = org(store).await;
    let s = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    let l = lock_online(store, o, s.id, "SN1").await;
    store.set_online("SN1", false, T0).await.unwrap();
    let a = enqueue(store, o, l, "unlock").await;
    let b = enqueue(store, o, l, "lock").await;
    assert!(
        store
            .claim_operations("w", T0, 10)
            .await
            .unwrap()
            .is_empty(),
        "offline: queued"
    );
    store.set_online("SN1", true, T0).await.unwrap();
    let c = store.claim_operations("w", T0, 10).await.unwrap();
    assert_eq!(
        c.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![a],
        "one in flight per lock, in order"
    );
    assert_eq!((c[0].state, c[0].attempts), (OpState::Sent, 1));
    assert!(store
        .claim_operations("w", T0, 10)
        .await
        .unwrap()
        .is_empty());
    // No answer: requeued, sent again, then failed after max_attempts (2).
    assert_eq!(store.requeue_unanswered(T0 + 1, T0 + 1).await.unwrap(), 1);
    assert_eq!(
        store.get_operation(o, a).await.unwrap().unwrap().state,
        OpState::Pending
    );
    let c = store.claim_operations("w", T0 + 2, 10).await.unwrap();
    assert_eq!((c[0].id, c[0].attempts), (a, 2));
    store.requeue_unanswered(T0 + 3, T0 + 3).await.unwrap();
    let failed = store.get_operation(o, a).await.unwrap().unwrap();
    assert_eq!(failed.state, OpState::Failed);
    assert!(failed.error.is_some());
    assert!(
        !store
            .finish_operation(a, &OpOutcome::Applied, T0 + 4)
            .await
            .unwrap(),
        "late answer ignored"
    );
    // The next one goes now.
    let c = store.claim_operations("w", T0 + 4, 10).await.unwrap();
    assert_eq!(c[0].id, b);
    assert!(store
        .finish_operation(b, &OpOutcome::Refused("low battery".into()), T0 + 5)
        .await
        .unwrap());
    let refused = store.get_operation(o, b).await.unwrap().unwrap();
    assert_eq!(
        (refused.state, refused.error.as_deref()),
        (OpState::Refused, Some("low battery"))
    );
    let f = OperationFilter {
        lock_id: Some(l),
        state: None,
        limit: 10,
    };
    let listed = store.list_operations(o, &f).await.unwrap();
    assert_eq!(
        listed.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![b, a],
        "newest first"
    );
    let other = store.create_org("B", T0).await.unwrap().id;
    assert!(store.get_operation(other, a).await.unwrap().is_none());
    assert!(store.list_operations(other, &f).await.unwrap().is_empty());
}

async fn two_workers_never_claim_the_same_operation(store: &Store) {
    let o = org(store).await;
    let s = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    let mut all = HashSet::new();
    for i in 0..12 {
        let l = lock_online(store, o, s.id, &format!("SN{i}")).await;
        for kind in ["unlock", "lock", "get_status", "reboot"] {
            all.insert(enqueue(store, o, l, kind).await);
        }
    }
    let stamp = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut handles = Vec::new();
    for w in 0..2 {
        let store = store.clone();
        let stamp = stamp.clone();
        handles.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut idle = 0;
            while idle < 3 {
                let ops = store
                    .claim_operations(&format!("w{w}"), T0, 3)
                    .await
                    .unwrap();
                if ops.is_empty() {
                    idle += 1;
                    tokio::task::yield_now().await;
                    continue;
                }
                idle = 0;
                for op in ops {
                    let t = stamp.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    mine.push((op.lock_id, op.id, t));
                    assert!(store
                        .finish_operation(op.id, &OpOutcome::Applied, T0)
                        .await
                        .unwrap());
                }
            }
            mine
        }));
    }
    let mut claimed = Vec::new();
    for h in handles {
        claimed.extend(h.await.unwrap());
    }
    claimed.sort_by_key(|c| c.2);
    let ids: Vec<i64> = claimed.iter().map(|c| c.1).collect();
    let unique: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "an operation was claimed twice");
    assert_eq!(unique, all, "every operation claimed");
    // Per lock, claims happened in id order (each finished before the next).
    let mut per_lock: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (l, id, _) in &claimed {
        per_lock.entry(*l).or_default().push(*id);
    }
    for ids in per_lock.values() {
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(
            ids, &sorted,
            "a lock's operations were claimed out of order"
        );
        assert_eq!(ids.len(), 4);
    }
    let f = OperationFilter {
        lock_id: None,
        state: Some(OpState::Applied),
        limit: 1000,
    };
    assert_eq!(store.list_operations(o, &f).await.unwrap().len(), all.len());
}

async fn events_dedup_gap_and_search(store: &Store) {
    let o = org(store).await;
    let s = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    let l = lock_online(store, o, s.id, "SN1").await;
    let data = serde_json::json!({"by": "user 3"});
    let ev = |seq: i64, kind: &'static str, at: i64| NewEvent {
        lock_id: l,
        seq,
        kind,
        at,
        data: &data,
    };
    assert!(matches!(
        store.ingest_event(ev(1, "unlocked", T0), T0).await.unwrap(),
        IngestOutcome::Stored(_)
    ));
    assert!(matches!(
        store
            .ingest_event(ev(2, "locked", T0 + 1000), T0)
            .await
            .unwrap(),
        IngestOutcome::Stored(_)
    ));
    assert_eq!(
        store
            .ingest_event(ev(2, "locked", T0 + 1000), T0)
            .await
            .unwrap(),
        IngestOutcome::Duplicate
    );
    match store
        .ingest_event(ev(6, "jammed", T0 + 5000), T0)
        .await
        .unwrap()
    {
        IngestOutcome::StoredAfterGap {
            first_missing,
            last_missing,
            ..
        } => {
            assert_eq!((first_missing, last_missing), (3, 5))
        }
        other => panic!("expected a gap, got {other:?}"),
    }
    // A late event fills the gap: stored, no new gap, high-water mark kept.
    assert!(matches!(
        store
            .ingest_event(ev(4, "unlocked", T0 + 3000), T0)
            .await
            .unwrap(),
        IngestOutcome::Stored(_)
    ));
    let mut bogus = ev(7, "x", T0);
    bogus.lock_id = 999_999;
    assert_eq!(
        store.ingest_event(bogus, T0).await.unwrap(),
        IngestOutcome::UnknownLock
    );

    let all = store
        .search_events(
            o,
            &EventFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![6, 4, 2, 1],
        "newest first"
    );
    assert_eq!(all[0].data, data);
    let unlocked = EventFilter {
        kind: Some("unlocked".into()),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(store.search_events(o, &unlocked).await.unwrap().len(), 2);
    let window = EventFilter {
        from: Some(T0 + 1000),
        to: Some(T0 + 5000),
        limit: 100,
        ..Default::default()
    };
    let w: Vec<i64> = store
        .search_events(o, &window)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(w, vec![4, 2], "from inclusive, to exclusive");
    let other = store.create_org("B", T0).await.unwrap().id;
    assert!(store
        .search_events(
            other,
            &EventFilter {
                limit: 100,
                ..Default::default()
            }
        )
        .await
        .unwrap()
        .is_empty());
    let lock = store.get_lock(o, l).await.unwrap().unwrap();
    assert_eq!(lock.last_event_seq, Some(6));
}

async fn alerts_once_per_lock_and_kind(store: &Store) {
    let o = org(store).await;
    let s = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    let l = lock_online(store, o, s.id, "SN-ALERT").await;
    let raise = |kind, at| {
        let store = store.clone();
        async move {
            store
                .raise_alert(
                    NewAlert {
                        org_id: o,
                        lock_id: Some(l),
                        kind,
                        message: None,
                    },
                    at,
                )
                .await
                .unwrap()
        }
    };
    // A flapping link: one open alert that counts, not one per flap.
    let first = raise(AlertKind::LockOffline, T0).await;
    assert_eq!((first.times, first.severity), (1, Severity::Warning));
    assert_eq!(first.message, "the lock went offline");
    // Raised again while its condition holds: the same occurrence.
    let same = raise(AlertKind::LockOffline, T0 + 5).await;
    assert_eq!((same.id, same.times, same.last_at), (first.id, 1, T0));
    // Back online (cleared), then offline again: counted, reopened.
    let clear = |at| {
        let store = store.clone();
        async move {
            store
                .clear_alert(o, l, AlertKind::LockOffline, at)
                .await
                .unwrap()
        }
    };
    assert_eq!(clear(T0 + 8).await, 1);
    assert_eq!(clear(T0 + 9).await, 0, "already cleared");
    let open = store.list_alerts(o, true, 10).await.unwrap();
    assert_eq!(open[0].cleared_at, Some(T0 + 8), "{open:?}");
    raise(AlertKind::LockOffline, T0 + 10).await;
    clear(T0 + 15).await;
    let third = raise(AlertKind::LockOffline, T0 + 20).await;
    assert_eq!(third.id, first.id);
    assert_eq!(
        (
            third.times,
            third.last_at,
            third.created_at,
            third.cleared_at
        ),
        (3, T0 + 20, T0, None)
    );
    // Another kind on the same lock is its own alert.
    let other = raise(AlertKind::BatteryLow, T0 + 30).await;
    assert_ne!(other.id, first.id);
    assert_eq!(store.list_alerts(o, true, 10).await.unwrap().len(), 2);
    // Raised at once from two places (two hubs): still one.
    let (a, b) = tokio::join!(
        raise(AlertKind::Jammed, T0 + 40),
        raise(AlertKind::Jammed, T0 + 40)
    );
    assert_eq!(a.id, b.id);
    let open = store.list_alerts(o, true, 10).await.unwrap();
    let jammed: Vec<_> = open
        .iter()
        .filter(|x| x.kind == AlertKind::Jammed)
        .collect();
    assert_eq!(jammed.len(), 1, "{open:?}");
    assert_eq!(jammed[0].times, 2);
    // Once acknowledged it is closed: the next one is a new alert.
    let acc = store
        .create_account(
            NewAccount {
                org_id: o,
                email: "ack@x.test",
                name: "Ack",
                role: Role::Support,
                password_hash: "h",
            },
            T0,
        )
        .await
        .unwrap();
    store.ack_alert(o, first.id, acc.id, T0 + 50).await.unwrap();
    let again = raise(AlertKind::LockOffline, T0 + 60).await;
    assert_ne!(again.id, first.id);
    assert_eq!(again.times, 1);
}

async fn presence_unresponsive_and_back(store: &Store) {
    let o = org(store).await;
    let s = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    let l = lock_online(store, o, s.id, "SN-PRES").await;
    let row = |store: Store| async move { store.lock_by_serial("SN-PRES").await.unwrap().unwrap() };
    let r = row(store.clone()).await;
    assert_eq!((r.presence, r.presence_since), (Presence::Online, Some(T0)));
    // An operation sent and unanswered: the lock is listed with its oldest send.
    let op = enqueue(store, o, l, "get_status").await;
    let sent = store.claim_operations("w", T0 + 10, 5).await.unwrap();
    assert_eq!(sent.iter().map(|x| x.id).collect::<Vec<_>>(), [op]);
    assert!(store.unanswered_locks(T0 + 10).await.unwrap().is_empty());
    assert_eq!(
        store.unanswered_locks(T0 + 11).await.unwrap(),
        [(l, T0 + 10)]
    );
    // Connected but not answering; reported once.
    let u = store.mark_unresponsive(l, T0 + 10).await.unwrap().unwrap();
    assert_eq!(
        (u.presence, u.presence_since, u.online),
        (Presence::Unresponsive, Some(T0 + 10), true)
    );
    assert!(store.mark_unresponsive(l, T0 + 20).await.unwrap().is_none());
    // The broker repeating "online" does not make it answer.
    store.set_online("SN-PRES", true, T0 + 30).await.unwrap();
    assert_eq!(row(store.clone()).await.presence, Presence::Unresponsive);
    // It answers: online again, once.
    let b = store.mark_responsive(l, T0 + 40).await.unwrap().unwrap();
    assert_eq!(
        (b.presence, b.presence_since),
        (Presence::Online, Some(T0 + 40))
    );
    assert!(store.mark_responsive(l, T0 + 50).await.unwrap().is_none());
    // Offline from the broker, whatever it was; an offline lock is never unresponsive.
    store.set_online("SN-PRES", false, T0 + 60).await.unwrap();
    let r = row(store.clone()).await;
    assert_eq!(
        (r.presence, r.presence_since),
        (Presence::Offline, Some(T0 + 60))
    );
    assert!(store.mark_unresponsive(l, T0 + 70).await.unwrap().is_none());
    store.set_online("SN-PRES", true, T0 + 80).await.unwrap();
    assert_eq!(row(store.clone()).await.presence, Presence::Online);
}

async fn alerts_ack(store: &Store) {
    let o = org(store).await;
    let a = store
        .raise_alert(
            NewAlert {
                org_id: o,
                lock_id: None,
                kind: AlertKind::BatteryLow,
                message: Some("low"),
            },
            T0,
        )
        .await
        .unwrap();
    let acc = store
        .create_account(
            NewAccount {
                org_id: o,
                email: "s@x.test",
                name: "S",
                role: Role::Support,
                password_hash: "h",
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.list_alerts(o, true, 10).await.unwrap().len(), 1);
    let acked = store
        .ack_alert(o, a.id, acc.id, T0 + 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (acked.acked_at, acked.acked_by),
        (Some(T0 + 1), Some(acc.id))
    );
    let again = store
        .ack_alert(o, a.id, acc.id, T0 + 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.acked_at, Some(T0 + 1), "first acknowledgement stays");
    assert!(store.list_alerts(o, true, 10).await.unwrap().is_empty());
    assert_eq!(store.list_alerts(o, false, 10).await.unwrap().len(), 1);
    let other = store.create_org("B", T0).await.unwrap().id;
    assert!(store
        .ack_alert(other, a.id, acc.id, T0)
        .await
        .unwrap()
        .is_none());
}

/// Bindings are written with the command id in one transaction; concurrent
/// sealers never reuse a binding state; stale marks, intents, unbinding.
async fn lock_plane_bindings_and_lifecycle(store: &Store) {
    use tumbler_hub::store::plane::NewAudit;
    let o = org(store).await;
    let site = store.create_site(o, "Plane", "UTC", T0).await.unwrap().id;
    let l = store
        .claim_lock("PL1", o, site, "Door", &[1, 0], T0)
        .await
        .unwrap();
    assert_eq!(l.claim_state, ClaimState::Claimed);
    assert!(l.online);
    assert_eq!(l.log_epoch, 1);
    assert_eq!(store.get_binding(l.id).await.unwrap(), Some(vec![1, 0]));
    let op = enqueue(store, o, l.id, "unlock").await;

    // Eight concurrent "sealers" each bump a counter in the binding: no
    // update is lost (the row lock serialises them).
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let st = store.clone();
        let id = l.id;
        tasks.push(tokio::spawn(async move {
            st.seal_with_binding(id, Some(op), T0, |b| {
                let mut b = b.to_vec();
                b[1] += 1;
                let n = i64::from(b[1]);
                (Some(b), Some(n), ())
            })
            .await
            .unwrap()
            .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.get_binding(l.id).await.unwrap(), Some(vec![1, 8]));
    let ops = store
        .list_operations(
            o,
            &OperationFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ops[0].command_id, Some(8));
    assert_eq!(
        store.op_by_command(l.id, 8).await.unwrap().map(|x| x.0),
        Some(op)
    );

    // Stale only from claimed; the counter only goes up.
    let why = serde_json::json!({"reason": "test"});
    let (after, changed) = store
        .mark_stale(l.id, &why, Some(3))
        .await
        .unwrap()
        .unwrap();
    assert!(changed);
    assert_eq!(after.claim_state, ClaimState::ResetBindingStale);
    assert_eq!(after.reset_counter, 3);
    let (_, again) = store
        .mark_stale(l.id, &why, Some(1))
        .await
        .unwrap()
        .unwrap();
    assert!(!again);
    assert_eq!(
        store
            .end_open_ops(l.id, "binding_stale", &[], T0)
            .await
            .unwrap(),
        1
    );

    // Re-claim: a new log epoch, no stale reason.
    let l2 = store
        .claim_lock("PL1", o, site, "Door", &[2], T0)
        .await
        .unwrap();
    assert_eq!((l2.id, l2.log_epoch), (l.id, 2));
    assert_eq!(l2.stale_reason, None);
    store
        .set_intent(l.id, Some("transfer"), Some(o))
        .await
        .unwrap();
    let gone = store
        .unbind_lock(l.id, Some(o), "transferred", T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.claim_state, ClaimState::Unclaimed);
    assert_eq!((gone.org_id, gone.transfer_to_org), (None, Some(o)));
    assert!(store.get_binding(l.id).await.unwrap().is_none());

    store
        .audit(
            NewAudit {
                org_id: o,
                account_id: None,
                lock_id: Some(l.id),
                action: "test",
                detail: &serde_json::json!({}),
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.list_audit(o, 10).await.unwrap().len(), 1);

    // Encrypted at rest: readable with the key, not without or with another.
    use tumbler_hub::store::plane::BindingKey;
    let keyed = store
        .clone()
        .with_binding_key(Some(BindingKey::new([3; 32])));
    let l3 = keyed
        .claim_lock("PL2", o, site, "Door", &[7, 7, 7], T0)
        .await
        .unwrap();
    assert_eq!(keyed.get_binding(l3.id).await.unwrap(), Some(vec![7, 7, 7]));
    let raw: String = sqlx::query_scalar("SELECT data FROM bindings WHERE lock_id = $1")
        .bind(l3.id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(raw.starts_with("e1:") && !raw.contains("070707"), "{raw}");
    assert!(store.get_binding(l3.id).await.is_err(), "no key: refused");
    let other = store
        .clone()
        .with_binding_key(Some(BindingKey::new([4; 32])));
    assert!(
        other.get_binding(l3.id).await.is_err(),
        "another key: refused"
    );
}
