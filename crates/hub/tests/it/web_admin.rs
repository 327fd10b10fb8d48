//! Every page and form of the web app ([`WEB_ROUTES`]), as the API's
//! authorisation test walks the API: (a) no session, (b) a user of another
//! organisation, (c) each role the route does not admit, (d) an admitted
//! role's form without its CSRF token — denied, nothing of org A shown or
//! changed. Then each route once with an admitted role,
//! to prove the denials were about authorisation, not a broken request.
//! The pages' own checks: [`alerts`] (alerts and audit), [`admin`].
//!
//! A new route fails this test until [`case`] says which of org A's ids its
//! `{id}` stands for and, for a form, which fields it sends.

mod admin;
mod alerts;

/// Text a user types that must come back as text.
const SCRIPT: &str = "<script>alert(1)</script>";
/// [`SCRIPT`] escaped.
const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use tumbler_hub::model::{AlertKind, Role};
use tumbler_hub::store::alerts::NewAlert;
use tumbler_hub::web::{WebRoute, SESSION_COOKIE, WEB_ROUTES};
use tumbler_testkit::fixtures::{login, org, principal, OrgFixture, PASSWORD};
use tumbler_testkit::web::{Browser, Page};
use tumbler_testkit::{HasState, TestApp};

use crate::api_authz::snapshot;

/// Org A's things the `{id}` routes point at.
struct Targets {
    lock: i64,
    site: i64,
    account: i64,
    alert: i64,
    token: i64,
}

async fn targets(app: &TestApp, a: &OrgFixture) -> Targets {
    let s = app.service();
    let owner = principal(app, a.token(Role::Owner)).await;
    let site = s
        .create_site(&owner, "Annex alpha", "Europe/Berlin")
        .await
        .unwrap()
        .id;
    let alert = s
        .store()
        .raise_alert(
            NewAlert {
                org_id: a.org_id,
                lock_id: Some(a.lock_id),
                kind: AlertKind::BatteryLow,
                message: Some("alpha battery low"),
            },
            s.now_ms(),
        )
        .await
        .unwrap()
        .id;
    let token = s
        .create_api_token(&owner, "alpha script", None)
        .await
        .unwrap()
        .info
        .id;
    Targets {
        lock: a.lock_id,
        site,
        account: a.account(Role::Support),
        alert,
        token,
    }
}

/// A route made concrete: its path with org A's id, and its form fields
/// (`tag` keeps names made by different callers apart). `None` for a route
/// this table does not know yet.
fn case(spec: &WebRoute, t: &Targets, tag: &str) -> Option<(String, Vec<(String, String)>)> {
    let id = match spec.path {
        p if !p.contains("{id}") => None,
        "/account/tokens/{id}/revoke" => Some(t.token),
        "/locks/{id}" | "/locks/{id}/state" | "/locks/{id}/row" | "/locks/{id}/operate" => {
            Some(t.lock)
        }
        "/alerts/{id}/ack" => Some(t.alert),
        "/admin/sites/{id}" | "/admin/sites/{id}/delete" => Some(t.site),
        "/admin/accounts/{id}/role" | "/admin/accounts/{id}/delete" => Some(t.account),
        _ => return None,
    };
    let path = match id {
        Some(id) => spec.path.replace("{id}", &id.to_string()),
        None => spec.path.to_string(),
    };
    let f = |fields: &[(&str, &str)]| -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.replace("TAG", tag)))
            .collect()
    };
    let fields = match (spec.method, spec.path) {
        ("GET", _) => Vec::new(),
        // Same password again: later sign-ins still work.
        ("POST", "/account/password") => {
            f(&[("current_password", PASSWORD), ("new_password", PASSWORD)])
        }
        ("POST", "/account/tokens") => f(&[("label", "TAG token")]),
        ("POST", "/account/tokens/{id}/revoke") | ("POST", "/logout") => Vec::new(),
        ("POST", "/locks/{id}/operate") => f(&[("kind", "unlock")]),
        ("POST", "/alerts/{id}/ack") => f(&[("show", "all")]),
        ("POST", "/admin/org") => f(&[("name", "Renamed TAG")]),
        ("POST", "/admin/sites") => f(&[("name", "Site TAG"), ("time_zone", "UTC")]),
        ("POST", "/admin/sites/{id}") => f(&[("name", "Annex TAG"), ("time_zone", "Asia/Tokyo")]),
        ("POST", "/admin/sites/{id}/delete") | ("POST", "/admin/accounts/{id}/delete") => {
            f(&[("confirm", "yes")])
        }
        ("POST", "/admin/accounts") => f(&[
            ("name", "New TAG"),
            ("email", "new-TAG@x.test"),
            ("role", "support"),
            ("password", PASSWORD),
        ]),
        ("POST", "/admin/accounts/{id}/role") => f(&[("role", "installer")]),
        ("POST", "/admin/orgs") => f(&[
            ("name", "Gamma TAG"),
            ("owner_email", "owner@gamma-TAG.test"),
        ]),
        _ => return None,
    };
    Some((path, fields))
}

/// Routes that answer a stream that never ends: only the status is read.
const STREAMS: &[&str] = &["/live"];
/// Hub-wide routes: another organisation's owner is not a hub operator.
const OPERATOR_ONLY: &[&str] = &["/admin/orgs"];

/// Sends `spec` as `browser` (none: no cookie); a stream's body is not read.
async fn visit(
    app: &TestApp,
    spec: &WebRoute,
    path: &str,
    fields: &[(String, String)],
    browser: Option<&Browser>,
) -> Page {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let browser = browser.cloned().unwrap_or_else(|| Browser::new(""));
    match (spec.method, STREAMS.contains(&spec.path)) {
        ("GET", true) => {
            let mut req = Request::get(path);
            if !browser.session.is_empty() {
                req = req.header("cookie", format!("{SESSION_COOKIE}={}", browser.session));
            }
            let res = tumbler_hub::app(app.app_state().clone())
                .oneshot(req.body(Body::empty()).unwrap())
                .await
                .unwrap();
            Page {
                status: res.status(),
                headers: res.headers().clone(),
                body: String::new(),
            }
        }
        ("GET", false) => browser.get(app, path).await,
        _ => browser.post(app, path, &fields).await,
    }
}

fn denied(spec: &WebRoute) -> Vec<Role> {
    let ok = spec.roles.unwrap_or_default();
    Role::ALL
        .iter()
        .copied()
        .filter(|r| !ok.contains(r))
        .collect()
}

#[tokio::test]
async fn every_page_and_form_denies_strangers_and_weak_roles() {
    let app = TestApp::sqlite().await.unwrap();
    // The hub's first organisation's owner is its operator.
    let a = org(&app, "alpha").await;
    let b = org(&app, "beta").await;
    let t = targets(&app, &a).await;
    let before = snapshot(&app, a.org_id).await;
    let guarded: Vec<&WebRoute> = WEB_ROUTES.iter().filter(|r| r.roles.is_some()).collect();
    let unknown: Vec<String> = guarded
        .iter()
        .filter(|spec| case(spec, &t, "x").is_none())
        .map(|spec| format!("{} {}", spec.method, spec.path))
        .collect();
    assert!(
        unknown.is_empty(),
        "web_admin.rs does not know these routes: add to `case` which of org A's ids their {{id}} is and which form fields they send: {unknown:?}"
    );

    for spec in &guarded {
        let (path, fields) = case(spec, &t, "b").unwrap();
        let what = format!("{} {}", spec.method, spec.path);

        // (a) no session, and a session the hub does not know.
        for browser in [None, Some(Browser::new("tum_s_0000"))] {
            let page = visit(&app, spec, &path, &fields, browser.as_ref()).await;
            if spec.mutating() {
                assert!(
                    page.status == StatusCode::SEE_OTHER || page.status == StatusCode::FORBIDDEN,
                    "{what} without a session: {}",
                    page.status
                );
            } else {
                assert_eq!(
                    page.status,
                    StatusCode::SEE_OTHER,
                    "{what} without a session"
                );
            }
            if page.status == StatusCode::SEE_OTHER {
                let to = page.location().unwrap_or_default();
                assert!(to.starts_with("/login?next="), "{what} leads to {to}");
            }
        }

        // (b) the owner of another organisation (a fresh session: logout
        // and password changes cannot spoil the next route).
        let stranger = Browser::new(&login(&app, "owner@beta.test").await);
        let page = visit(&app, spec, &path, &fields, Some(&stranger)).await;
        let st = page.status;
        if OPERATOR_ONLY.contains(&spec.path) {
            assert_eq!(st, StatusCode::FORBIDDEN, "{what} as a non-operator");
        } else if st != StatusCode::NOT_FOUND {
            assert!(
                st.is_success() || st.is_redirection(),
                "{what} as another org must look absent or act on its own org: {st} {}",
                page.body
            );
        }
        assert!(
            !page.body.contains("alpha"),
            "{what} showed org A to another org: {}",
            page.body
        );
        let to = page.location().unwrap_or_default();
        assert!(!to.contains("alpha"), "{what} led another org to {to}");

        // (c) every role of org A the route does not admit.
        for role in denied(spec) {
            let page = visit(
                &app,
                spec,
                &path,
                &fields,
                Some(&Browser::new(a.token(role))),
            )
            .await;
            assert_eq!(
                page.status,
                StatusCode::FORBIDDEN,
                "{what} as {role}: {}",
                page.body
            );
            assert!(
                !page.body.contains("alpha battery low"),
                "{what} as {role} showed an alert"
            );
        }

        // (d) an admitted role, but a form without its CSRF token.
        if spec.mutating() {
            let role = spec.roles.unwrap_or_default().first().copied().unwrap();
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let page = Browser::new(a.token(role))
                .post_raw(&app, &path, &fields)
                .await;
            assert_eq!(
                page.status,
                StatusCode::FORBIDDEN,
                "{what} without CSRF token"
            );
        }
    }
    assert_eq!(
        snapshot(&app, a.org_id).await,
        before,
        "a denied request changed org A"
    );
    assert!(
        !app.service()
            .store()
            .list_orgs()
            .await
            .unwrap()
            .iter()
            .any(|o| o.name.starts_with("Gamma")),
        "a non-operator created an organisation"
    );
    let _ = b;

    // Positive control: an admitted role of org A gets through everywhere.
    // The password change ends the account's other sessions: it goes last.
    let mut order = guarded.clone();
    order.sort_by_key(|spec| spec.path == "/account/password");
    for spec in order {
        let (path, fields) = case(spec, &t, "ok").unwrap();
        let role = spec.roles.unwrap()[0];
        let me = Browser::new(&login(&app, &format!("{role}@alpha.test")).await);
        let page = visit(&app, spec, &path, &fields, Some(&me)).await;
        assert!(
            page.status.is_success() || page.status.is_redirection(),
            "{} {} as {role}: {} {}",
            spec.method,
            spec.path,
            page.status,
            page.body
        );
        if let Some(to) = page.location() {
            assert!(
                !to.starts_with("/login?next="),
                "{} {} as {role} was sent to sign in",
                spec.method,
                spec.path
            );
        }
    }
    app.db.cleanup().await;
}
