//! Helpers: requests without a socket, and fixtures (two organisations with
//! one account per role).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use tumbler_hub::model::Role;
use tumbler_hub::service::orgs::AccountInput;
use tumbler_hub::service::{Principal, Service};
use tumbler_hub::testkit::TestApp;

pub const PASSWORD: &str = "correct horse battery";

/// Sends one request through the app (no socket).
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    raw(app, req).await
}

/// Sends a prepared request.
pub async fn raw(app: &TestApp, req: Request<Body>) -> (StatusCode, Value) {
    let res = tumbler_hub::app(app.state.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    if !status.is_success() {
        assert_eq!(
            ct.as_deref(),
            Some("application/problem+json"),
            "{status} {json}"
        );
        assert!(json["code"].is_string(), "problem has a code: {json}");
        assert_eq!(json["status"], status.as_u16());
    }
    (status, json)
}

/// One organisation with an account (and session token) per role, a site
/// and a claimed lock.
pub struct OrgFixture {
    pub org_id: i64,
    pub site_id: i64,
    pub lock_id: i64,
    pub serial: String,
    /// (role, account id, token)
    pub members: Vec<(Role, i64, String)>,
}

impl OrgFixture {
    pub fn token(&self, role: Role) -> &str {
        &self.members.iter().find(|m| m.0 == role).unwrap().2
    }
    pub fn account(&self, role: Role) -> i64 {
        self.members.iter().find(|m| m.0 == role).unwrap().1
    }
}

pub async fn login(app: &TestApp, email: &str) -> String {
    login_in(app.service(), email).await
}

pub async fn login_in(s: &Service, email: &str) -> String {
    let (token, _) = s.login(email, PASSWORD).await.unwrap();
    token.token
}

/// Creates an organisation named `name` with one account per role.
pub async fn org(app: &TestApp, name: &str) -> OrgFixture {
    org_in(app.service(), name).await
}

/// [`org`] on any service (e.g. a running hub's).
pub async fn org_in(s: &Service, name: &str) -> OrgFixture {
    let owner_email = format!("owner@{name}.test");
    let b = s
        .bootstrap_org(name, "HQ", "Europe/Paris", &owner_email, PASSWORD)
        .await
        .unwrap();
    let owner_token = login_in(s, &owner_email).await;
    let owner = s.authenticate(&owner_token).await.unwrap();
    let mut members = vec![(Role::Owner, b.owner.id, owner_token)];
    for role in [Role::Manager, Role::Installer, Role::Support] {
        let email = format!("{role}@{name}.test");
        let a = s
            .create_account(
                &owner,
                AccountInput {
                    email: &email,
                    name: role.as_str(),
                    role,
                    password: PASSWORD,
                },
            )
            .await
            .unwrap();
        members.push((role, a.id, login_in(s, &email).await));
    }
    let serial = format!("{name}-lock-1");
    let lock = s
        .bind_lock(b.org.id, b.site.id, &serial, "Front door")
        .await
        .unwrap();
    OrgFixture {
        org_id: b.org.id,
        site_id: b.site.id,
        lock_id: lock.id,
        serial,
        members,
    }
}

/// The owner's principal.
pub async fn principal(app: &TestApp, token: &str) -> Principal {
    app.service().authenticate(token).await.unwrap()
}
