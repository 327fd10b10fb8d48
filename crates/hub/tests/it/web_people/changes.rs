//! Changes from a person's page (a lost card, a forgotten PIN, revoking on
//! some or every door), "revoke everyone but the owners", holidays.

use super::*;

#[tokio::test]
async fn pins_cards_and_doors_change_through_the_person_page() {
    let app = TestApp::sqlite().await.unwrap();
    let (a, back) = two_doors(&app, "acme").await;
    let owner = Browser::new(a.token(Role::Owner));
    let tenant = add_person(&app, &owner, "Tenant").await;
    let locks = [a.lock_id.to_string(), back.to_string()];
    for (cred, value) in [("card", "0a0b0c0d"), ("pin", "482913")] {
        let key = if cred == "card" { "uid" } else { "pin" };
        let page = owner
            .post(
                &app,
                &format!("/people/{tenant}/grant"),
                &[
                    ("lock", locks[0].as_str()),
                    ("lock", locks[1].as_str()),
                    ("cred", cred),
                    (key, value),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    let owner_p = principal(&app, a.token(Role::Owner)).await;
    let d = app.service().person_detail(&owner_p, tenant).await.unwrap();
    let id_of = |kind: &str| {
        d.credentials
            .iter()
            .find(|c| c.kind.name() == kind)
            .unwrap()
            .id
    };
    let (card, pin) = (id_of("card"), id_of("pin"));
    let page = owner.get(&app, &format!("/people/{tenant}")).await;
    for form in [
        format!("/credentials/{card}/replace"),
        format!("/credentials/{pin}/change-pin"),
        format!("/people/{tenant}/revoke"),
    ] {
        assert!(page.body.contains(&form), "person page lacks {form}");
    }
    assert!(!page.body.contains("482913"));

    // A lost card: the same card again is refused, a new one queued.
    let same = owner
        .post(
            &app,
            &format!("/credentials/{card}/replace"),
            &[("uid", "0a0b0c0d")],
        )
        .await;
    assert_eq!(same.status, StatusCode::BAD_REQUEST, "{}", same.body);
    let new = owner
        .post(
            &app,
            &format!("/credentials/{card}/replace"),
            &[("uid", "0a0b0c0e")],
        )
        .await;
    assert_eq!(new.status, StatusCode::SEE_OTHER, "{}", new.body);
    assert!(new.location().unwrap().starts_with("/batches/"));

    // A forgotten PIN: blank generates one, shown once.
    let changed = owner
        .post(
            &app,
            &format!("/credentials/{pin}/change-pin"),
            &[("pin", "")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let new_pin = shown_pin(&changed.body);
    assert_eq!(new_pin.len(), 6);
    let page = owner.get(&app, &format!("/people/{tenant}")).await;
    assert!(!page.body.contains(&new_pin));

    // Revoke on the back door, then everywhere.
    let none = owner
        .post(&app, &format!("/people/{tenant}/revoke"), &[])
        .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    let one = owner
        .post(
            &app,
            &format!("/people/{tenant}/revoke"),
            &[("lock", locks[1].as_str())],
        )
        .await;
    assert_eq!(one.status, StatusCode::SEE_OTHER, "{}", one.body);
    let page = owner.get(&app, one.location().unwrap()).await;
    assert_eq!(door_states(&page.body), vec![(back, "removing".to_owned())]);
    let all = owner
        .post(
            &app,
            &format!("/people/{tenant}/revoke"),
            &[("everywhere", "1")],
        )
        .await;
    assert_eq!(all.status, StatusCode::SEE_OTHER, "{}", all.body);
    let d = app.service().person_detail(&owner_p, tenant).await.unwrap();
    assert!(d.credentials.iter().all(|c| c.revoked_at.is_some()));
}

#[tokio::test]
async fn revoking_everyone_but_the_owners_needs_an_owner_and_the_box_ticked() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let owner = Browser::new(a.token(Role::Owner));
    let boss = owner
        .post(&app, "/people", &[("name", "Boss"), ("owner", "1")])
        .await;
    assert_eq!(boss.status, StatusCode::SEE_OTHER);
    let tenant = add_person(&app, &owner, "Tenant").await;
    let lock = a.lock_id.to_string();
    let granted = owner
        .post(
            &app,
            &format!("/people/{tenant}/grant"),
            &[("lock", lock.as_str()), ("cred", "card"), ("uid", "0a0b")],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);

    let page = owner.get(&app, "/access/revoke-all").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Owners keep their access: Boss."));
    assert!(page.body.contains("<li>Tenant</li>"), "{}", page.body);
    assert!(page
        .body
        .contains(r#"name="confirm" value="revoke-all" required"#));

    let manager = Browser::new(a.token(Role::Manager));
    assert_eq!(
        manager.get(&app, "/access/revoke-all").await.status,
        StatusCode::FORBIDDEN
    );
    let before = operations(&app, &a).await;
    let refused = manager
        .post(&app, "/access/revoke-all", &[("confirm", "revoke-all")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unticked = owner.post(&app, "/access/revoke-all", &[]).await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(operations(&app, &a).await, before);

    let done = owner
        .post(&app, "/access/revoke-all", &[("confirm", "revoke-all")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = owner.get(&app, done.location().unwrap()).await;
    assert_eq!(
        door_states(&page.body),
        vec![(a.lock_id, "removing".to_owned())]
    );
}

#[tokio::test]
async fn holidays_are_queued_on_every_chosen_door_or_on_none() {
    let app = TestApp::sqlite().await.unwrap();
    let (a, back) = two_doors(&app, "acme").await;
    let other = org(&app, "globex").await;
    let owner = Browser::new(a.token(Role::Owner));
    let page = owner.get(&app, "/holidays").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("Times are in Europe/Paris, the site's time zone."));
    assert!(page.body.contains("Europe/Paris, now 2026-01-15 13:00 CET"));
    let locks = [a.lock_id.to_string(), back.to_string()];
    let foreign = other.lock_id.to_string();
    let before = operations(&app, &a).await;
    let window = [("from", "2026-03-01T00:00"), ("to", "2026-03-08T00:00")];
    for (lock, to, status) in [
        (
            locks[1].as_str(),
            "2026-02-01T00:00",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (foreign.as_str(), window[1].1, StatusCode::NOT_FOUND),
    ] {
        let page = owner
            .post(
                &app,
                "/holidays",
                &[
                    ("lock", locks[0].as_str()),
                    ("lock", lock),
                    window[0],
                    ("to", to),
                    ("mode", "vacation"),
                ],
            )
            .await;
        assert_eq!(page.status, status, "{}", page.body);
    }
    assert_eq!(operations(&app, &a).await, before);
    let support = Browser::new(a.token(Role::Support));
    let page = support
        .post(&app, "/holidays", &[("all", "1"), window[0], window[1]])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        support.get(&app, "/holidays").await.status,
        StatusCode::FORBIDDEN
    );

    let page = owner
        .post(
            &app,
            "/holidays",
            &[("all", "1"), window[0], window[1], ("mode", "passage")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(operations(&app, &a).await, before + 2);
    // Removed again from slot 0 of the front door.
    let page = owner
        .post(
            &app,
            "/holidays",
            &[("lock", locks[0].as_str()), ("slot", "0"), ("clear", "1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(page.location().unwrap().contains("removal"));
    assert_eq!(operations(&app, &a).await, before + 3);
    let bad_slot = owner
        .post(
            &app,
            "/holidays",
            &[("lock", locks[0].as_str()), ("slot", "4"), ("clear", "1")],
        )
        .await;
    assert_eq!(bad_slot.status, StatusCode::BAD_REQUEST);
    assert_eq!(operations(&app, &a).await, before + 3);
}
