//! The alerts, audit and admin pages one by one: what each role sees,
//! filters, forms that change things and forms that must not (no CSRF
//! token, bad input, the last-owner rule), passwords shown once, and what
//! users typed coming back escaped.

use axum::http::StatusCode;
use tumbler_hub::model::{AlertKind, Role};
use tumbler_hub::store::alerts::NewAlert;
use tumbler_testkit::fixtures::{org, principal, OrgFixture};
use tumbler_testkit::web::{Browser, Page};
use tumbler_testkit::TestApp;

const SCRIPT: &str = "<script>alert(1)</script>";
const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

async fn raise(app: &TestApp, a: &OrgFixture, kind: AlertKind, message: &str) -> i64 {
    let s = app.service();
    s.store()
        .raise_alert(
            NewAlert {
                org_id: a.org_id,
                lock_id: Some(a.lock_id),
                kind,
                message: Some(message),
            },
            s.now_ms(),
        )
        .await
        .unwrap()
        .id
}

/// The password a page shows once.
fn shown_password(page: &Page) -> String {
    const AT: &str = r#"id="new-password">"#;
    let from = page.body.find(AT).expect("a password shown") + AT.len();
    let len = page.body[from..].find('<').unwrap();
    page.body[from..from + len].to_string()
}

#[tokio::test]
async fn alerts_are_listed_filtered_and_acknowledged() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let other = org(&app, "globex").await;
    let low = raise(&app, &a, AlertKind::BatteryLow, SCRIPT).await;
    raise(&app, &a, AlertKind::DoorForced, "forced at night").await;
    let owner = Browser::new(a.token(Role::Owner));

    let page = owner.get(&app, "/alerts").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(ESCAPED), "{}", page.body);
    assert!(!page.body.contains(SCRIPT));
    // Severity in words, not colour only.
    assert!(page.body.contains(">warning<") && page.body.contains(">critical<"));
    assert!(page.body.contains(r#"hx-trigger="sse:alerts""#));

    let critical = owner.get(&app, "/alerts?severity=critical").await;
    assert!(critical.body.contains("forced at night") && !critical.body.contains(ESCAPED));
    let kind = owner.get(&app, "/alerts?kind=battery_low&show=all").await;
    assert!(kind.body.contains(ESCAPED) && !kind.body.contains("forced at night"));
    let of_lock = owner
        .get(&app, &format!("/alerts?lock={}", a.lock_id))
        .await;
    assert!(
        of_lock.body.contains("Alerts of Front door"),
        "{}",
        of_lock.body
    );
    let fragment = owner.get(&app, "/alerts/list?severity=warning").await;
    assert!(fragment.body.starts_with("<section") && fragment.body.contains(ESCAPED));
    for bad in [
        "/alerts?kind=nope",
        "/alerts?lock=abc",
        "/alerts?show=some",
        "/alerts?severity=loud",
    ] {
        assert_eq!(
            owner.get(&app, bad).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }

    // Installers see no alert content; support does.
    let installer = Browser::new(a.token(Role::Installer));
    for path in ["/alerts", "/alerts/list"] {
        let page = installer.get(&app, path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(!page.body.contains("forced at night"));
    }
    let support = Browser::new(a.token(Role::Support));
    assert!(support
        .get(&app, "/alerts")
        .await
        .body
        .contains("forced at night"));
    // Another organisation: nothing of acme, and its lock looks absent.
    let stranger = Browser::new(other.token(Role::Owner));
    assert!(!stranger
        .get(&app, "/alerts")
        .await
        .body
        .contains("forced at night"));
    let foreign = stranger
        .get(&app, &format!("/alerts?lock={}", a.lock_id))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    // Acknowledging: not without the CSRF token, not as an installer or a
    // stranger; then by the owner, back to the same filters.
    let ack = format!("/alerts/{low}/ack");
    let open = || async {
        let p = principal(&app, a.token(Role::Owner)).await;
        app.service()
            .list_alerts(&p, true, None)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(
        owner.post_raw(&app, &ack, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        installer.post(&app, &ack, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        stranger.post(&app, &ack, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        owner.post(&app, &ack, &[("kind", "nope")]).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(open().await, 2);
    let done = owner
        .post(&app, &ack, &[("show", "all"), ("severity", "warning")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done
        .location()
        .unwrap()
        .starts_with("/alerts?show=all&severity=warning&msg="));
    assert_eq!(open().await, 1);
    let all = owner.get(&app, "/alerts?show=all").await;
    assert!(all.body.contains("acknowledged"), "{}", all.body);
    assert!(!owner.get(&app, "/alerts").await.body.contains(ESCAPED));
    app.db.cleanup().await;
}

#[tokio::test]
async fn only_owners_read_the_audit_trail() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let other = org(&app, "globex").await;
    let owner = Browser::new(a.token(Role::Owner));
    // The operator creates an organisation: an audit entry with its name.
    let made = owner
        .post(
            &app,
            "/admin/orgs",
            &[("name", SCRIPT), ("owner_email", "boss@new.test")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let page = owner.get(&app, "/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("org created"), "{}", page.body);
    assert!(page.body.contains(ESCAPED) && !page.body.contains(SCRIPT));
    assert!(page.body.contains(">Owner<"), "who did it: {}", page.body);
    assert_eq!(
        owner.get(&app, "/audit?limit=0").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        owner.get(&app, "/audit?limit=x").await.status,
        StatusCode::BAD_REQUEST
    );
    for role in [Role::Manager, Role::Installer, Role::Support] {
        let page = Browser::new(a.token(role)).get(&app, "/audit").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{role}");
        assert!(!page.body.contains("org created"));
        assert!(
            !page.body.contains(r#"href="/audit""#),
            "{role} has no audit link"
        );
    }
    let stranger = Browser::new(other.token(Role::Owner))
        .get(&app, "/audit")
        .await;
    assert_eq!(stranger.status, StatusCode::OK);
    assert!(!stranger.body.contains("org created") && !stranger.body.contains("acme"));
    app.db.cleanup().await;
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
