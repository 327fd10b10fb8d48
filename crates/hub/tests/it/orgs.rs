//! Organisations created by a hub operator (the first run's admin): through
//! the API, with the new owner's password shown once; non-operators are
//! refused; the new organisation sees nothing of the others. A site's new
//! time zone is pushed to its locks.

use serde_json::json;
use tumbler_hub::model::{OpName, Role};
use tumbler_testkit::fixtures::{org, principal};
use tumbler_testkit::http::call;
use tumbler_testkit::TestApp;

#[tokio::test]
async fn an_operator_creates_an_organisation_and_its_owner_sees_only_it() {
    let app = TestApp::sqlite().await.unwrap();
    // The hub's first organisation's owner is the operator.
    let a = org(&app, "alpha").await;
    let b = org(&app, "beta").await;
    let operator = a.token(Role::Owner);
    let body = json!({"name": "Gamma flats", "owner_email": "Boss@Gamma.test", "time_zone": "Europe/Paris"});

    // Non-operators: the owner of another organisation, a manager of the
    // operator's own one. Refused, nothing created.
    for token in [b.token(Role::Owner), a.token(Role::Manager)] {
        for (method, body) in [("POST", Some(body.clone())), ("GET", None)] {
            let (st, p) = call(&app, method, "/api/v1/orgs", Some(token), body).await;
            assert_eq!(st, 403, "{method}: {p}");
            assert_eq!(p["code"], "forbidden");
            assert!(p["detail"].as_str().unwrap().contains("operator"), "{p}");
        }
    }
    assert_eq!(app.service().store().count_orgs().await.unwrap(), 2);

    // Bad input names the field; nothing created.
    for (bad, field) in [
        (json!({"name": "X", "owner_email": "nobody"}), "owner_email"),
        (
            json!({"name": "X", "owner_email": "x@x.test", "time_zone": "Mars/Olympus"}),
            "time_zone",
        ),
        (json!({"name": " ", "owner_email": "x@x.test"}), "name"),
    ] {
        let (st, p) = call(&app, "POST", "/api/v1/orgs", Some(operator), Some(bad)).await;
        assert_eq!(st.as_u16() / 100, 4, "{p}");
        assert!(p["detail"].as_str().unwrap().contains(field), "{p}");
    }
    // A login taken in any organisation is a conflict.
    let (st, p) = call(
        &app,
        "POST",
        "/api/v1/orgs",
        Some(operator),
        Some(json!({"name": "Dup", "owner_email": "owner@beta.test"})),
    )
    .await;
    assert_eq!(st, 409, "{p}");
    assert_eq!(app.service().store().count_orgs().await.unwrap(), 2);

    let (st, created) = call(&app, "POST", "/api/v1/orgs", Some(operator), Some(body)).await;
    assert_eq!(st, 201, "{created}");
    assert_eq!(created["org"]["name"], "Gamma flats");
    assert_eq!(created["owner"]["email"], "boss@gamma.test");
    assert_eq!(created["owner"]["role"], "owner");
    assert_eq!(created["site"]["time_zone"], "Europe/Paris");
    let password = created["password"].as_str().unwrap().to_owned();
    assert!(password.len() >= 12, "{created}");
    let (st, list) = call(&app, "GET", "/api/v1/orgs", Some(operator), None).await;
    assert_eq!(st, 200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta", "Gamma flats"]);

    // The new owner logs in with the password shown once, sees their own
    // organisation, its one site and no lock of the others.
    let (st, login) = call(
        &app,
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"email": "boss@gamma.test", "password": password})),
    )
    .await;
    assert_eq!(st, 200, "{login}");
    let token = login["token"].as_str().unwrap();
    let (_, org) = call(&app, "GET", "/api/v1/org", Some(token), None).await;
    assert_eq!(org["name"], "Gamma flats");
    let (_, locks) = call(&app, "GET", "/api/v1/locks", Some(token), None).await;
    assert_eq!(locks, json!([]));
    let (st, _) = call(
        &app,
        "GET",
        &format!("/api/v1/locks/{}", a.lock_id),
        Some(token),
        None,
    )
    .await;
    assert_eq!(st, 404);
    let (_, sites) = call(&app, "GET", "/api/v1/sites", Some(token), None).await;
    assert_eq!(sites.as_array().unwrap().len(), 1, "{sites}");
    // The new owner is not an operator.
    let (st, _) = call(&app, "GET", "/api/v1/orgs", Some(token), None).await;
    assert_eq!(st, 403);
    // The hub's password store holds a hash, never the password.
    let stored: Vec<String> = sqlx::query_scalar("SELECT password_hash FROM accounts")
        .fetch_all(app.service().store().pool())
        .await
        .unwrap();
    assert!(!stored.iter().any(|h| h.contains(&password)));
    app.db.cleanup().await;
}

#[tokio::test]
async fn a_new_site_time_zone_is_pushed_to_its_locks() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "alpha").await;
    let owner = principal(&app, a.token(Role::Owner)).await;
    let s = app.service();
    let set_times = || async {
        s.list_operations(&owner, Some(a.lock_id), None, Some(1000))
            .await
            .unwrap()
            .iter()
            .filter(|o| o.kind == OpName::SetTime)
            .count()
    };
    let before = set_times().await;
    // A bad zone is refused, nothing changed and nothing queued.
    let err = s
        .update_site(&owner, a.site_id, None, Some("Europe/Atlantis"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("time_zone"), "{err}");
    assert_eq!(
        s.get_site(&owner, a.site_id).await.unwrap().time_zone,
        "Europe/Paris"
    );
    assert_eq!(set_times().await, before);
    // A rename alone sends nothing; a new zone sends the rule to the lock.
    s.update_site(&owner, a.site_id, Some("Head office"), None)
        .await
        .unwrap();
    assert_eq!(set_times().await, before);
    let site = s
        .update_site(&owner, a.site_id, None, Some("America/New_York"))
        .await
        .unwrap();
    assert_eq!(site.time_zone, "America/New_York");
    assert_eq!(set_times().await, before + 1);
    // Another organisation's site is named as missing.
    let b = org(&app, "beta").await;
    let err = s
        .update_site(&owner, b.site_id, None, Some("UTC"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("no site {} in your organisation", b.site_id)
    );
    app.db.cleanup().await;
}
