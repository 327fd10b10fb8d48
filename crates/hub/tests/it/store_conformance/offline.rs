//! Offline codes in the store (migration 0017): the secret sealed at rest and
//! readable only with the binding key; a new epoch revokes the older codes in
//! the same transaction; one window per lock and epoch; codes org-scoped.

use tumbler_hub::store::offline::{NewOfflineCode, OfflineKey};
use tumbler_hub::store::plane::BindingKey;
use tumbler_hub::store::{Store, StoreError};
use zeroize::Zeroizing;

use super::T0;

fn code(org: i64, lock: i64, epoch: u32, code_id: u64) -> NewOfflineCode<'static> {
    NewOfflineCode {
        org_id: org,
        lock_id: lock,
        epoch,
        code_id,
        kind: "hours",
        window: serde_json::json!({"shape": {"Hours": {"hours": 2}}, "start": 1}),
        starts_at: T0,
        ends_at: T0 + 7_200_000,
        label: "Cleaner",
        issued_by: 0,
    }
}

pub async fn offline_keys_sealed_and_codes_per_epoch(store: &Store) {
    let o = store.create_org("Offline", T0).await.unwrap().id;
    let other = store.create_org("Other", T0).await.unwrap().id;
    let site = store.create_site(o, "Off", "UTC", T0).await.unwrap().id;
    let l = store
        .claim_lock("OFF1", o, site, "Door", &[1], T0)
        .await
        .unwrap();
    let key = OfflineKey {
        secret: Zeroizing::new([0x5c; 32]),
        epoch: 1,
    };
    // Without a binding key the secret is not stored at all.
    assert!(store.set_offline_key(l.id, &key, T0).await.is_err());
    assert!(store.offline_key(l.id).await.unwrap().is_none());

    let keyed = store
        .clone()
        .with_binding_key(Some(BindingKey::new([9; 32])));
    keyed.set_offline_key(l.id, &key, T0).await.unwrap();
    let back = keyed.offline_key(l.id).await.unwrap().unwrap();
    assert_eq!((*back.secret, back.epoch), ([0x5c; 32], 1));
    let raw: String = sqlx::query_scalar("SELECT secret FROM offline_keys WHERE lock_id = $1")
        .bind(l.id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(raw.starts_with("e1:") && !raw.contains("5c5c5c"), "{raw}");
    assert!(!format!("{back:?}").contains("92"), "{back:?}");
    let wrong = store
        .clone()
        .with_binding_key(Some(BindingKey::new([8; 32])));
    assert!(
        wrong.offline_key(l.id).await.is_err(),
        "another key: refused"
    );

    // One window per lock and epoch.
    let acc = store
        .create_account(
            tumbler_hub::store::orgs::NewAccount {
                org_id: o,
                email: "off@x.test",
                name: "Off",
                role: tumbler_hub::model::Role::Owner,
                password_hash: "x",
            },
            T0,
        )
        .await
        .unwrap()
        .id;
    let a = keyed
        .insert_offline_code(
            NewOfflineCode {
                issued_by: acc,
                ..code(o, l.id, 1, 7)
            },
            T0,
        )
        .await
        .unwrap();
    let twin = keyed
        .insert_offline_code(
            NewOfflineCode {
                issued_by: acc,
                ..code(o, l.id, 1, 7)
            },
            T0,
        )
        .await;
    assert!(matches!(twin, Err(StoreError::Conflict)), "{twin:?}");
    let b = keyed
        .insert_offline_code(
            NewOfflineCode {
                issued_by: acc,
                ..code(o, l.id, 1, 1 << 40)
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(b.code_id, 1 << 40);
    assert_eq!(keyed.offline_codes(l.id).await.unwrap().len(), 2);
    assert!(
        keyed.offline_code(other, a.id).await.unwrap().is_none(),
        "org-scoped"
    );
    assert_eq!(
        keyed
            .offline_code_by_lock_id(l.id, 7)
            .await
            .unwrap()
            .unwrap()
            .id,
        a.id
    );

    // Revoke one; a new epoch revokes the rest, and the window is free again.
    keyed.revoke_offline_code(a.id, T0 + 1).await.unwrap();
    keyed.revoke_offline_code(a.id, T0 + 5).await.unwrap();
    assert_eq!(
        keyed
            .offline_code(o, a.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(T0 + 1),
        "revoked once"
    );
    let next = OfflineKey {
        secret: Zeroizing::new([0x6d; 32]),
        epoch: 2,
    };
    keyed.set_offline_key(l.id, &next, T0 + 2).await.unwrap();
    assert_eq!(keyed.offline_key(l.id).await.unwrap().unwrap().epoch, 2);
    assert_eq!(
        keyed
            .offline_code(o, b.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(T0 + 2)
    );
    keyed
        .insert_offline_code(
            NewOfflineCode {
                issued_by: acc,
                ..code(o, l.id, 2, 7)
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        keyed
            .offline_code_by_lock_id(l.id, 7)
            .await
            .unwrap()
            .unwrap()
            .epoch,
        2,
        "the newest epoch's"
    );
}
