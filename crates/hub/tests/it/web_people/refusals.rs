//! Weaker roles, other organisations and forged forms are refused with
//! nothing changed; what people typed comes back escaped.

use super::*;

#[tokio::test]
async fn weaker_roles_other_organisations_and_forged_forms_are_refused() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let other = org(&app, "globex").await;
    let owner = Browser::new(a.token(Role::Owner));
    let tenant = add_person(&app, &owner, "Tenant").await;
    let lock = a.lock_id.to_string();
    let granted = owner
        .post(
            &app,
            &format!("/people/{tenant}/grant"),
            &[("lock", lock.as_str()), ("cred", "pin"), ("pin", "482913")],
        )
        .await;
    let batch = batch_of(&granted);
    let owner_p = principal(&app, a.token(Role::Owner)).await;
    let cred = app.service().person_detail(&owner_p, tenant).await.unwrap();
    let cred = cred.credentials[0].id;
    let before = operations(&app, &a).await;
    let grant = format!("/people/{tenant}/grant");
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/people".into(), vec![("name", "Intruder")]),
        (
            grant.clone(),
            vec![("lock", lock.as_str()), ("cred", "generate")],
        ),
        (
            format!("/people/{tenant}/revoke"),
            vec![("everywhere", "1")],
        ),
        (format!("/credentials/{cred}/change-pin"), vec![]),
        (format!("/credentials/{cred}/replace"), vec![]),
    ];

    // Support reads people and batches, changes nothing; installers see no people.
    let support = Browser::new(a.token(Role::Support));
    let page = support.get(&app, &format!("/people/{tenant}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/grant") && !page.body.contains("/revoke"));
    assert!(!support
        .get(&app, "/people")
        .await
        .body
        .contains("Add a person"));
    assert_eq!(
        support.get(&app, &grant).await.status,
        StatusCode::FORBIDDEN
    );
    let installer = Browser::new(a.token(Role::Installer));
    assert_eq!(
        installer.get(&app, "/people").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        installer
            .get(&app, &format!("/batches/{batch}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for who in [&support, &installer] {
        for (path, fields) in &posts {
            let page = who.post(&app, path, fields).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        }
    }

    // Another organisation sees nothing of this one.
    let outsider = Browser::new(other.token(Role::Owner));
    assert!(!outsider.get(&app, "/people").await.body.contains("Tenant"));
    for path in [
        format!("/people/{tenant}"),
        grant.clone(),
        format!("/batches/{batch}"),
        format!("/batches/{batch}/doors"),
    ] {
        let page = outsider.get(&app, &path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.body.contains("Tenant"), "{path}");
    }
    for (path, fields) in posts.iter().skip(1) {
        let page = outsider.post(&app, path, fields).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Their own person onto this organisation's lock: no such lock.
    let theirs = add_person(&app, &outsider, "Theirs").await;
    let page = outsider
        .post(
            &app,
            &format!("/people/{theirs}/grant"),
            &[("lock", lock.as_str()), ("cred", "generate")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // No CSRF token: refused before anything happens.
    let revoke_all = (
        "/access/revoke-all".to_owned(),
        vec![("confirm", "revoke-all")],
    );
    for (path, fields) in posts.iter().chain([&revoke_all]) {
        let page = owner.post_raw(&app, path, fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    // A blank name: refused.
    let blank = owner.post(&app, "/people", &[("name", "  ")]).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST, "{}", blank.body);
    assert_eq!(operations(&app, &a).await, before);
    let people = app.service().list_people(&owner_p).await.unwrap();
    assert_eq!(people.len(), 1, "{people:?}");
}

#[tokio::test]
async fn what_people_typed_comes_back_escaped() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let owner = Browser::new(a.token(Role::Owner));
    let evil = "<script>alert(1)</script>";
    let id = add_person(&app, &owner, evil).await;
    let lock = a.lock_id.to_string();
    let granted = owner
        .post(
            &app,
            &format!("/people/{id}/grant"),
            &[
                ("lock", lock.as_str()),
                ("cred", "card"),
                ("uid", "0a0b"),
                ("label", evil),
            ],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);
    for path in [
        "/people".to_owned(),
        format!("/people/{id}"),
        format!("/people/{id}/grant"),
        granted.location().unwrap().to_owned(),
    ] {
        let page = owner.get(&app, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("&lt;script&gt;alert(1)"), "{path}");
        assert!(!page.body.contains(evil), "{path}: {}", page.body);
    }
}
