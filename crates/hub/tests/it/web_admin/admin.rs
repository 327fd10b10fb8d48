//! The admin page: sites and time zones, accounts and roles (the last
//! owner rule), the organisation's name, organisations for operators;
//! passwords shown once; forms that must not change anything (no CSRF
//! token, bad input, a weaker role); what users typed coming back escaped.

use axum::http::StatusCode;
use tumbler_hub::model::Role;
use tumbler_testkit::fixtures::{org, principal};
use tumbler_testkit::web::{Browser, Page};
use tumbler_testkit::TestApp;

use super::{ESCAPED, SCRIPT};

/// The password a page shows once.
fn shown_password(page: &Page) -> String {
    const AT: &str = r#"id="new-password">"#;
    let from = page.body.find(AT).expect("a password shown") + AT.len();
    let len = page.body[from..].find('<').unwrap();
    page.body[from..from + len].to_string()
}

#[tokio::test]
async fn sites_are_created_changed_and_deleted_with_their_time_zones() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let owner = Browser::new(a.token(Role::Owner));
    let manager = Browser::new(a.token(Role::Manager));
    let p = principal(&app, a.token(Role::Owner)).await;
    let sites = || async { app.service().list_sites(&p).await.unwrap() };

    let page = owner.get(&app, "/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Europe/Paris") && page.body.contains(r#"<datalist id="tz-names">"#)
    );
    assert!(page.body.contains(r#"<option value="Asia/Tokyo">"#));

    // Bad input and a missing token change nothing.
    for (fields, status) in [
        (
            vec![("name", "Annex"), ("time_zone", "Mars/Olympus")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            vec![("name", " "), ("time_zone", "UTC")],
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![("name", "HQ"), ("time_zone", "UTC")],
            StatusCode::CONFLICT,
        ),
    ] {
        let page = manager.post(&app, "/admin/sites", &fields).await;
        assert_eq!(page.status, status, "{fields:?}: {}", page.body);
        assert!(page.body.contains(r#"role="alert""#));
    }
    let forged = manager
        .post_raw(
            &app,
            "/admin/sites",
            &[("name", "Annex"), ("time_zone", "UTC")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let support = Browser::new(a.token(Role::Support));
    let refused = support
        .post(
            &app,
            "/admin/sites",
            &[("name", "Annex"), ("time_zone", "UTC")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(sites().await.len(), 1);

    let made = manager
        .post(
            &app,
            "/admin/sites",
            &[("name", SCRIPT), ("time_zone", "Asia/Tokyo")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let page = owner.get(&app, made.location().unwrap()).await;
    assert!(page.body.contains("Site created.") && page.body.contains(ESCAPED));
    assert!(!page.body.contains(SCRIPT));
    let id = sites().await.iter().find(|s| s.name == SCRIPT).unwrap().id;

    let path = format!("/admin/sites/{id}");
    let bad = manager
        .post(
            &app,
            &path,
            &[("name", "Annex"), ("time_zone", "Nowhere/Else")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        sites().await.iter().find(|s| s.id == id).unwrap().name,
        SCRIPT
    );
    let saved = manager
        .post(
            &app,
            &path,
            &[("name", "Annex"), ("time_zone", "America/New_York")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let site = app.service().get_site(&p, id).await.unwrap();
    assert_eq!(
        (site.name.as_str(), site.time_zone.as_str()),
        ("Annex", "America/New_York")
    );

    // Deleting: owners only, with the box ticked, only an empty site.
    let delete = format!("{path}/delete");
    assert_eq!(
        manager
            .post(&app, &delete, &[("confirm", "yes")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let unticked = owner.post(&app, &delete, &[]).await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unticked.body.contains("tick the box"));
    let busy = owner
        .post(
            &app,
            &format!("/admin/sites/{}/delete", a.site_id),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "HQ has a lock");
    assert_eq!(sites().await.len(), 2);
    let gone = owner.post(&app, &delete, &[("confirm", "yes")]).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert_eq!(sites().await.len(), 1);
    // Managers see no delete button; support sees the sites, no form.
    assert!(!manager.get(&app, "/admin").await.body.contains("/delete"));
    let read_only = support.get(&app, "/admin").await;
    assert!(read_only.body.contains("Europe/Paris") && !read_only.body.contains("/admin/sites"));
    app.db.cleanup().await;
}

#[tokio::test]
async fn accounts_roles_and_the_last_owner() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let owner = Browser::new(a.token(Role::Owner));
    let manager = Browser::new(a.token(Role::Manager));
    let p = principal(&app, a.token(Role::Owner)).await;
    let count = || async { app.service().list_accounts(&p).await.unwrap().len() };

    // Support and installers see no accounts.
    for role in [Role::Support, Role::Installer] {
        let page = Browser::new(a.token(role)).get(&app, "/admin").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains("manager@acme.test"),
            "{role} saw the accounts"
        );
    }
    // A manager may not make an owner; bad input changes nothing.
    let fields = |role: &'static str| {
        vec![
            ("name", SCRIPT),
            ("email", "pat@acme.test"),
            ("role", role),
            ("password", ""),
        ]
    };
    assert_eq!(
        manager
            .post(&app, "/admin/accounts", &fields("owner"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        owner
            .post(&app, "/admin/accounts", &fields("boss"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let short = owner
        .post(
            &app,
            "/admin/accounts",
            &[
                ("name", "Pat"),
                ("email", "pat@acme.test"),
                ("role", "support"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        owner
            .post_raw(&app, "/admin/accounts", &fields("support"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(count().await, 4);

    // A generated password is shown once, never cached, and works.
    let made = manager
        .post(&app, "/admin/accounts", &fields("support"))
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert_eq!(made.headers.get("cache-control").unwrap(), "no-store");
    assert!(made.body.contains(ESCAPED) && !made.body.contains(SCRIPT));
    let password = shown_password(&made);
    assert!(password.len() >= 12);
    app.service()
        .login("pat@acme.test", &password)
        .await
        .unwrap();
    assert!(!owner.get(&app, "/admin").await.body.contains(&password));
    assert_eq!(count().await, 5);

    // Roles: owners only; the last owner cannot step down or go.
    let pat = app
        .service()
        .list_accounts(&p)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.email == "pat@acme.test")
        .unwrap();
    let role_of = |id: i64| format!("/admin/accounts/{id}/role");
    assert_eq!(
        manager
            .post(&app, &role_of(pat.id), &[("role", "manager")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        owner
            .post(&app, &role_of(pat.id), &[("role", "chief")])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let changed = owner
        .post(&app, &role_of(pat.id), &[("role", "installer")])
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.service().get_account(&p, pat.id).await.unwrap().role,
        Role::Installer
    );
    let me = a.account(Role::Owner);
    let last = owner.post(&app, &role_of(me), &[("role", "manager")]).await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert!(
        last.body.contains(r#"role="alert""#) && last.body.contains("at least one owner"),
        "{}",
        last.body
    );
    let last = owner
        .post(
            &app,
            &format!("/admin/accounts/{me}/delete"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert_eq!(
        app.service().get_account(&p, me).await.unwrap().role,
        Role::Owner
    );

    let delete = format!("/admin/accounts/{}/delete", pat.id);
    assert_eq!(
        manager
            .post(&app, &delete, &[("confirm", "yes")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        owner.post(&app, &delete, &[]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        owner
            .post(&app, &delete, &[("confirm", "yes")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(count().await, 4);
    app.db.cleanup().await;
}

#[tokio::test]
async fn the_organisation_is_renamed_and_operators_create_others() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let other = org(&app, "globex").await;
    let owner = Browser::new(a.token(Role::Owner));
    let name = || async {
        let p = principal(&app, a.token(Role::Owner)).await;
        app.service().my_org(&p).await.unwrap().name
    };

    let manager = Browser::new(a.token(Role::Manager));
    assert_eq!(
        manager
            .post(&app, "/admin/org", &[("name", "Mine")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        owner
            .post(&app, "/admin/org", &[("name", "  ")])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        owner
            .post_raw(&app, "/admin/org", &[("name", "Mine")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(name().await, "acme");
    let renamed = owner.post(&app, "/admin/org", &[("name", SCRIPT)]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    assert_eq!(name().await, SCRIPT);
    let page = owner.get(&app, "/admin").await;
    assert!(page.body.contains(ESCAPED) && !page.body.contains(SCRIPT));

    // The operator sees the hub's organisations; another owner does not,
    // and may not create one.
    assert!(page.body.contains("Organisations of this hub") && page.body.contains("globex"));
    let stranger = Browser::new(other.token(Role::Owner));
    let theirs = stranger.get(&app, "/admin").await;
    assert!(!theirs.body.contains("Organisations of this hub") && !theirs.body.contains(ESCAPED));
    let refused = stranger
        .post(
            &app,
            "/admin/orgs",
            &[("name", "Gamma"), ("owner_email", "boss@gamma.test")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("hub operator"));
    let bad = owner
        .post(
            &app,
            "/admin/orgs",
            &[
                ("name", "Gamma"),
                ("owner_email", "boss@gamma.test"),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.service().store().list_orgs().await.unwrap().len(), 2);

    let made = owner
        .post(
            &app,
            "/admin/orgs",
            &[
                ("name", "Gamma"),
                ("owner_email", "boss@gamma.test"),
                ("time_zone", ""),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert_eq!(made.headers.get("cache-control").unwrap(), "no-store");
    let password = shown_password(&made);
    let (token, _) = app
        .service()
        .login("boss@gamma.test", &password)
        .await
        .unwrap();
    let gamma = Browser::new(&token.token).get(&app, "/admin").await;
    assert!(gamma.body.contains("Gamma") && gamma.body.contains("UTC"));
    assert!(!gamma.body.contains("acme") && !gamma.body.contains("globex"));
    app.db.cleanup().await;
}
