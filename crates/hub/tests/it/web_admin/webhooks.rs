//! The webhooks page: an endpoint added with ticked events shows its
//! signing secret once (never again on the page), a bad URL or event is
//! refused with the API's status and nothing added, disable and delete.

use axum::http::StatusCode;
use tumbler_hub::model::Role;
use tumbler_testkit::fixtures::{org, principal};
use tumbler_testkit::web::Browser;
use tumbler_testkit::TestApp;

#[tokio::test]
async fn endpoints_are_added_with_their_secret_shown_once() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "hooks").await;
    let owner = Browser::new(a.token(Role::Owner));
    let p = principal(&app, a.token(Role::Owner)).await;

    for (fields, status) in [
        (
            vec![("url", "ftp://example.com/x"), ("event", "lock.unlocked")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            vec![("url", "https://example.com/x")],
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![("url", "https://example.com/x"), ("event", "lock.exploded")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let page = owner.post(&app, "/webhooks", &fields).await;
        assert_eq!(page.status, status, "{fields:?}: {}", page.body);
        assert!(page.body.contains(r#"role="alert""#));
    }
    assert!(app.service().list_webhooks(&p).await.unwrap().is_empty());

    let page = owner
        .post(
            &app,
            "/webhooks",
            &[
                ("url", "https://example.com/in"),
                ("event", "lock.unlocked"),
                ("event", "lock.offline"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    const AT: &str = r#"id="webhook-secret">"#;
    let from = page.body.find(AT).expect("the secret shown") + AT.len();
    let secret = &page.body[from..from + page.body[from..].find('<').unwrap()];
    assert!(secret.starts_with("whsec_"), "{secret}");
    let hooks = app.service().list_webhooks(&p).await.unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].events, ["lock.offline", "lock.unlocked"]);
    let page = owner.get(&app, "/webhooks").await;
    assert!(page.body.contains("https://example.com/in") && !page.body.contains(secret));

    let id = hooks[0].id;
    let page = owner
        .post(
            &app,
            &format!("/webhooks/{id}/enabled"),
            &[("enabled", "no")],
        )
        .await;
    assert!(page.status.is_redirection(), "{}", page.body);
    assert!(!app.service().get_webhook(&p, id).await.unwrap().enabled);
    // Delete needs the tick box.
    let page = owner
        .post(&app, &format!("/webhooks/{id}/delete"), &[])
        .await;
    assert!(!page.status.is_redirection());
    let page = owner
        .post(
            &app,
            &format!("/webhooks/{id}/delete"),
            &[("confirm", "yes")],
        )
        .await;
    assert!(page.status.is_redirection(), "{}", page.body);
    assert!(app.service().list_webhooks(&p).await.unwrap().is_empty());
    app.db.cleanup().await;
}
