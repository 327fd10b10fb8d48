//! The web app's shell through the router: sign in by form, the session
//! cookie's flags, CSRF on every form, organisation scope and roles, and
//! escaping of what users typed.

use tumbler_hub::model::Role;
use tumbler_testkit::fixtures::{org, principal, PASSWORD};
use tumbler_testkit::web::{encode, send, Browser};
use tumbler_testkit::TestApp;

use axum::body::Body;
use axum::http::{Request, StatusCode};

async fn sign_in(app: &TestApp, email: &str, password: &str) -> tumbler_testkit::web::Page {
    let req = Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(encode(&[
            ("email", email),
            ("password", password),
            ("next", "/locks/1"),
        ])))
        .unwrap();
    send(app, req).await
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_and_goes_back() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let page = sign_in(&app, "owner@acme.test", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), Some("/locks/1"));
    let cookie = page.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.starts_with("tumbler_session=tum_s_"), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag");
    let token = cookie
        .trim_start_matches("tumbler_session=")
        .split(';')
        .next()
        .unwrap();
    let home = Browser::new(token).get(&app, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Front door"), "{}", home.body);
    let _ = a;

    let wrong = sign_in(&app, "owner@acme.test", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong e-mail or password"));
    assert!(wrong.headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn behind_tls_the_cookie_is_secure() {
    let app = TestApp::sqlite().await.unwrap();
    org(&app, "acme").await;
    let req = Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-proto", "https")
        .body(Body::from(encode(&[
            ("email", "owner@acme.test"),
            ("password", PASSWORD),
        ])))
        .unwrap();
    let page = send(&app, req).await;
    let cookie = page.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn a_page_without_a_session_sends_the_browser_to_sign_in() {
    let app = TestApp::sqlite().await.unwrap();
    let page = Browser::new("tum_s_nothing")
        .get(&app, "/locks/1?x=1")
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/login?next=%2Flocks%2F1%3Fx%3D1"));
    // An open redirect is refused: `next` must be a local path.
    let login = send(
        &app,
        Request::get("/login?next=//evil.example/")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        login.body.contains(r#"name="next" value="/""#),
        "{}",
        login.body
    );
}

#[tokio::test]
async fn a_form_without_its_csrf_token_changes_nothing() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let b = Browser::new(a.token(Role::Owner));
    let path = format!("/locks/{}/operate", a.lock_id);
    let owner = principal(&app, a.token(Role::Owner)).await;
    let ops = || async {
        app.service()
            .list_operations(&owner, None, None, None)
            .await
            .unwrap()
            .len()
    };
    let before = ops().await;
    for fields in [
        vec![("kind", "unlock")],
        vec![
            ("kind", "unlock"),
            ("_csrf", "0123456789abcdef0123456789abcdef"),
        ],
    ] {
        let page = b.post_raw(&app, &path, &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    }
    // Another site's form: refused even with a valid token.
    let req = Request::post(&path)
        .header("cookie", format!("tumbler_session={}", b.session))
        .header("origin", "https://evil.example")
        .header("host", "hub.local")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(encode(&[
            ("kind", "unlock"),
            ("_csrf", &b.csrf()),
        ])))
        .unwrap();
    assert_eq!(send(&app, req).await.status, StatusCode::FORBIDDEN);
    assert_eq!(ops().await, before);
    // With it, the unlock is queued.
    let ok = b.post(&app, &path, &[("kind", "unlock")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ops().await, before + 1);
}

#[tokio::test]
async fn another_organisation_and_a_weaker_role_are_refused() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let other = org(&app, "globex").await;
    let outsider = Browser::new(other.token(Role::Owner));
    let page = outsider.get(&app, &format!("/locks/{}", a.lock_id)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("Front door"));
    let home = outsider.get(&app, "/").await;
    assert!(!home.body.contains(&a.serial), "{}", home.body);
    let unlock = outsider
        .post(
            &app,
            &format!("/locks/{}/operate", a.lock_id),
            &[("kind", "unlock")],
        )
        .await;
    assert_eq!(unlock.status, StatusCode::NOT_FOUND);
    let support = Browser::new(a.token(Role::Support));
    let unlock = support
        .post(
            &app,
            &format!("/locks/{}/operate", a.lock_id),
            &[("kind", "unlock")],
        )
        .await;
    assert_eq!(unlock.status, StatusCode::FORBIDDEN);
    let page = support.get(&app, &format!("/locks/{}", a.lock_id)).await;
    assert!(
        !page.body.contains("/operate"),
        "support sees no unlock button"
    );
}

#[tokio::test]
async fn a_browser_gets_a_page_for_an_unknown_path_and_a_program_a_problem() {
    let app = TestApp::sqlite().await.unwrap();
    let page = send(
        &app,
        Request::get("/no/such/page")
            .header("accept", "text/html,application/xhtml+xml")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("<h1>Not found</h1>"), "{}", page.body);
    let api = send(
        &app,
        Request::get("/api/v1/no/such")
            .header("accept", "text/html")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.body.contains("\"code\""), "{}", api.body);
}
