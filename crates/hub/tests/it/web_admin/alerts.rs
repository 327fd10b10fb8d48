//! The alerts and audit pages: what each role sees, filters, acknowledging
//! (plain form and htmx), forms that must not change anything (no CSRF
//! token, bad input, a weaker role, another organisation), and what users
//! typed coming back escaped.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tumbler_hub::model::{AlertKind, Role};
use tumbler_hub::store::alerts::NewAlert;
use tumbler_hub::web::SESSION_COOKIE;
use tumbler_testkit::fixtures::{org, principal, OrgFixture};
use tumbler_testkit::web::{send, Browser};
use tumbler_testkit::TestApp;

use super::{ESCAPED, SCRIPT};

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
    // From htmx (the CSRF token in a header): the list comes back alone.
    let forced = app
        .service()
        .list_alerts(&principal(&app, a.token(Role::Owner)).await, true, None)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.id != low)
        .unwrap();
    let req = Request::post(format!("/alerts/{}/ack", forced.id))
        .header("cookie", format!("{SESSION_COOKIE}={}", owner.session))
        .header("hx-request", "true")
        .header("x-csrf-token", owner.csrf())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("show=open"))
        .unwrap();
    let fragment = send(&app, req).await;
    assert_eq!(fragment.status, StatusCode::OK, "{}", fragment.body);
    assert!(
        fragment.body.starts_with(r#"<section id="alert-list""#),
        "{}",
        fragment.body
    );
    assert!(fragment.body.contains(ESCAPED) && !fragment.body.contains("forced at night"));
    assert_eq!(open().await, 1);
    let done = owner
        .post(&app, &ack, &[("show", "all"), ("severity", "warning")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done
        .location()
        .unwrap()
        .starts_with("/alerts?show=all&severity=warning&msg="));
    assert_eq!(open().await, 0);
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
