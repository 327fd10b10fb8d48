//! Store conformance for people and access: slots, changes, resets and
//! concurrent grants, on both backends.

use super::*;
use tumbler_hub::model::DoorState;

/// A grant of `person` on `lock`, planned with [`Store::plan_slots`] (as the
/// service does before its transaction).
async fn grant(
    store: &Store,
    person: i64,
    lock: i64,
    creds: Vec<usize>,
) -> tumbler_hub::store::access::DoorChange {
    grant_on(
        store,
        person,
        lock,
        creds,
        tumbler_hub::model::Capacity::TUMBLER_DEFAULT,
    )
    .await
    .unwrap()
}

async fn grant_on(
    store: &Store,
    person: i64,
    lock: i64,
    creds: Vec<usize>,
    capacity: tumbler_hub::model::Capacity,
) -> Result<tumbler_hub::store::access::DoorChange, tumbler_hub::store::access::PlanError> {
    use tumbler_hub::store::access::{DoorChange, PlannedOp};
    let slots = store
        .plan_slots(lock, person, creds.len(), capacity, &[])
        .await?;
    let mut ops = vec![PlannedOp {
        kind: tumbler_hub::model::OpName::SetUser,
        params: serde_json::json!({"slot": slots.slot}),
        credential_ref: None,
    }];
    for (r, idx) in creds.iter().zip(&slots.cred_indices) {
        ops.push(PlannedOp {
            kind: tumbler_hub::model::OpName::SetCredential,
            params: serde_json::json!({"index": idx}),
            credential_ref: Some(*r),
        });
    }
    Ok(DoorChange::Grant {
        person_id: person,
        lock_id: lock,
        schedule: serde_json::json!({"kind": "permanent"}),
        credentials: creds,
        slots,
        ops,
    })
}

fn card(person: i64, uid: &str) -> tumbler_hub::store::access::NewCredential {
    tumbler_hub::store::access::NewCredential {
        person_id: person,
        kind: tumbler_hub::model::CredentialKind::Card,
        label: None,
        data: Some(uid.into()),
        pin_tag: None,
        existing_id: None,
    }
}

fn plan(
    o: i64,
    kind: &str,
    new_credentials: Vec<tumbler_hub::store::access::NewCredential>,
    doors: Vec<tumbler_hub::store::access::DoorChange>,
) -> tumbler_hub::store::access::AccessPlan {
    tumbler_hub::store::access::AccessPlan {
        org_id: o,
        created_by: None,
        kind: tumbler_hub::model::ChangeKind::parse(kind).unwrap(),
        new_credentials,
        doors,
        revoke_credentials: Vec::new(),
    }
}

/// Slots are planned within each lock's own capacity (what it reported),
/// not a number the hub assumes for every lock.
pub(super) async fn grants_respect_each_locks_capacity(store: &Store) {
    use tumbler_hub::model::Capacity;
    use tumbler_hub::store::access::PlanError;
    let o = org(store).await;
    let s = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    let small = lock_online(store, o, s.id, "cap-small").await;
    let tiny = Capacity {
        max_users: 2,
        creds_per_user: 1,
    };
    store.set_capacity(small, tiny).await.unwrap();
    let got = store.lock_by_serial("cap-small").await.unwrap().unwrap();
    assert_eq!(got.reported_capacity, Some(tiny));
    assert_eq!(got.capacity(), tiny);
    let mut slots = Vec::new();
    for name in ["A", "B"] {
        let p = store.create_person(o, name, false, T0).await.unwrap();
        let door = grant_on(store, p.id, small, vec![0], tiny).await.unwrap();
        let applied = store
            .apply_access(plan(o, "grant", vec![card(p.id, name)], vec![door]), T0)
            .await
            .unwrap();
        let d = store.doors_of_batch(applied.batch_id).await.unwrap();
        slots.push(d[0].slot);
        // Per-user credential slots follow the lock's own count.
        let c = store.door_credentials(d[0].id).await.unwrap();
        assert_eq!(c[0].cred_index, (d[0].slot - 1) * tiny.creds_per_user);
    }
    assert_eq!(slots, [1, 2]);
    let c = store.create_person(o, "C", false, T0).await.unwrap();
    let full = grant_on(store, c.id, small, vec![0], tiny).await;
    assert!(
        matches!(full, Err(PlanError::NoFreeSlot(l)) if l == small),
        "{full:?}"
    );
    // A second credential for one user does not fit a one-credential lock.
    let d = store.create_person(o, "D", false, T0).await.unwrap();
    let other = lock_online(store, o, s.id, "cap-other").await;
    let two = grant_on(store, d.id, other, vec![0, 1], tiny).await;
    assert!(
        matches!(two, Err(PlanError::NoFreeCredentialSlot(l)) if l == other),
        "{two:?}"
    );
}

/// A change is planned before its transaction; if another change took its
/// slot in between, the store refuses it whole and it is planned again.
pub(super) async fn a_stale_plan_is_refused_whole(store: &Store) {
    use tumbler_hub::store::access::PlanError;
    let o = org(store).await;
    let s = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    let l = lock_online(store, o, s.id, "stale-1").await;
    let p1 = store.create_person(o, "P1", false, T0).await.unwrap();
    let p2 = store.create_person(o, "P2", false, T0).await.unwrap();
    // Both planned against the same empty lock: both want slot 1.
    let d1 = grant(store, p1.id, l, vec![0]).await;
    let d2 = grant(store, p2.id, l, vec![0]).await;
    store
        .apply_access(plan(o, "grant", vec![card(p1.id, "01")], vec![d1]), T0)
        .await
        .unwrap();
    let stale = store
        .apply_access(plan(o, "grant", vec![card(p2.id, "02")], vec![d2]), T0)
        .await;
    assert!(matches!(stale, Err(PlanError::Stale)), "{stale:?}");
    // Nothing of it was written: no row, no credential, no operation.
    assert_eq!(store.doors_of_lock(l).await.unwrap().len(), 1);
    assert!(store.person_credentials(p2.id).await.unwrap().is_empty());
    // Planned again, it lands in the next slot.
    let d2 = grant(store, p2.id, l, vec![0]).await;
    store
        .apply_access(plan(o, "grant", vec![card(p2.id, "02")], vec![d2]), T0)
        .await
        .unwrap();
    let mut slots: Vec<i64> = store
        .doors_of_lock(l)
        .await
        .unwrap()
        .iter()
        .map(|d| d.slot)
        .collect();
    slots.sort_unstable();
    assert_eq!(slots, [1, 2]);
}

pub(super) async fn access_slots_changes_and_reset(store: &Store) {
    use tumbler_hub::store::access::{DoorChange, PlannedOp};
    let o = org(store).await;
    let s = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    let a = lock_online(store, o, s.id, "acc-a").await;
    let b = lock_online(store, o, s.id, "acc-b").await;
    let alice = store.create_person(o, "Alice", true, T0).await.unwrap();
    let bob = store.create_person(o, "Bob", false, T0).await.unwrap();
    assert_eq!(store.list_people(o).await.unwrap().len(), 2);

    // Alice: two cards on both doors; slots and credential slots allocated.
    let applied = store
        .apply_access(
            plan(
                o,
                "grant",
                vec![card(alice.id, "01"), card(alice.id, "02")],
                vec![
                    grant(store, alice.id, a, vec![0, 1]).await,
                    grant(store, alice.id, b, vec![0, 1]).await,
                ],
            ),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(applied.credential_ids.len(), 2);
    let doors = store.doors_of_batch(applied.batch_id).await.unwrap();
    assert_eq!(doors.len(), 2);
    assert!(doors
        .iter()
        .all(|d| d.slot == 1 && d.state == DoorState::Pending && d.gen == 1));
    let creds = store.door_credentials(doors[0].id).await.unwrap();
    let idx: Vec<i64> = creds.iter().map(|c| c.cred_index).collect();
    assert_eq!(idx, [0, 1]);
    let ops = store.door_ops(doors[0].id, 1).await.unwrap();
    assert_eq!(ops.len(), 3);
    assert_eq!(ops[1].params["credential_id"], applied.credential_ids[0]);

    // Bob on door a: the next slot, credential slots of that user.
    let applied_b = store
        .apply_access(
            plan(
                o,
                "grant",
                vec![card(bob.id, "03")],
                vec![grant(store, bob.id, a, vec![0]).await],
            ),
            T0,
        )
        .await
        .unwrap();
    let bob_door = store.doors_of_batch(applied_b.batch_id).await.unwrap()[0].clone();
    assert_eq!(bob_door.slot, 2);
    assert_eq!(
        store.door_credentials(bob_door.id).await.unwrap()[0].cred_index,
        4
    );

    // A state for an old change is ignored; the current one is recorded.
    assert!(store
        .set_door_state(doors[0].id, 1, DoorState::Set, None, Some("ab"), T0)
        .await
        .unwrap());
    let revoke = store
        .apply_access(
            plan(
                o,
                "revoke",
                Vec::new(),
                vec![DoorChange::Revoke {
                    door_access_id: doors[0].id,
                    ops: vec![PlannedOp {
                        kind: tumbler_hub::model::OpName::ClearUser,
                        params: serde_json::json!({}),
                        credential_ref: None,
                    }],
                }],
            ),
            T0 + 1,
        )
        .await
        .unwrap();
    let d = store.get_door(revoke.doors[0]).await.unwrap().unwrap();
    assert_eq!(
        (d.state.as_str(), d.gen, d.digest_before.as_deref()),
        ("removing", 2, Some("ab"))
    );
    assert!(!store
        .set_door_state(d.id, 1, DoorState::Set, None, None, T0)
        .await
        .unwrap());
    // The pending operations of the superseded change were failed.
    assert!(store
        .door_ops(d.id, 1)
        .await
        .unwrap()
        .iter()
        .all(|op| op.state == tumbler_hub::model::OpState::Failed
            && op.error.as_deref() == Some("superseded")));

    // A factory reset of door a: everyone there is removed; the slot is free again.
    assert_eq!(store.doors_reset(a, Some(3), T0 + 2).await.unwrap(), 2);
    assert_eq!(store.pre_reset_counter(a).await.unwrap(), Some(3));
    assert!(store
        .doors_of_lock(a)
        .await
        .unwrap()
        .iter()
        .all(|d| d.state == DoorState::Removed && d.error.as_deref() == Some("lock_reset")));
    let again = store
        .apply_access(
            plan(
                o,
                "reenrol",
                vec![card(bob.id, "03")],
                vec![grant(store, bob.id, a, vec![0]).await],
            ),
            T0 + 3,
        )
        .await
        .unwrap();
    assert_eq!(
        store.doors_of_batch(again.batch_id).await.unwrap()[0].slot,
        1
    );
    // Door b was not touched.
    assert_eq!(
        store.doors_of_lock(b).await.unwrap()[0].state,
        DoorState::Pending
    );
    // Another organisation sees nothing.
    let other = org(store).await;
    assert!(store.get_person(other, alice.id).await.unwrap().is_none());
    assert!(store
        .get_batch(other, applied.batch_id)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .get_credential(other, applied.credential_ids[0])
        .await
        .unwrap()
        .is_none());
}

pub(super) async fn concurrent_grants_get_distinct_slots(store: &Store) {
    let o = org(store).await;
    let s = store.create_site(o, "HQ", "UTC", T0).await.unwrap();
    let a = lock_online(store, o, s.id, "acc-c").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let p = store
                .create_person(o, &format!("P{i}"), false, T0)
                .await
                .unwrap();
            // Each plans, then writes; a plan another grant overtook is
            // refused whole and planned again, as the service does.
            for _ in 0..50 {
                let door = grant(&store, p.id, a, vec![0]).await;
                let r = store
                    .apply_access(
                        plan(
                            o,
                            "grant",
                            vec![card(p.id, &format!("{i:02x}"))],
                            vec![door],
                        ),
                        T0,
                    )
                    .await;
                match r {
                    Err(tumbler_hub::store::access::PlanError::Stale) => continue,
                    r => return r.unwrap(),
                }
            }
            panic!("grant {i} kept losing its slot");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let slots: HashSet<i64> = store
        .doors_of_lock(a)
        .await
        .unwrap()
        .iter()
        .map(|d| d.slot)
        .collect();
    assert_eq!(slots.len(), 8, "{slots:?}");
    assert!(slots.iter().all(|s| (1..=8).contains(s)));
}
