//! Fixtures: an organisation with one account (and session token) per role,
//! a site and a bound lock; logins with the fixtures' password.

use tumbler_hub::model::Role;
use tumbler_hub::service::orgs::AccountInput;
use tumbler_hub::service::{Principal, Service};

use crate::hub::TestApp;

/// The password of every fixture account.
pub const PASSWORD: &str = "correct horse battery";

/// One organisation with an account (and session token) per role, a site
/// and a claimed lock.
pub struct OrgFixture {
    /// The organisation.
    pub org_id: i64,
    /// Its first site ("HQ").
    pub site_id: i64,
    /// The lock bound at that site ("Front door").
    pub lock_id: i64,
    /// That lock's serial: `NAME-lock-1`.
    pub serial: String,
    /// (role, account id, token)
    pub members: Vec<(Role, i64, String)>,
}

impl OrgFixture {
    /// The session token of the account with `role`.
    pub fn token(&self, role: Role) -> &str {
        &self.members.iter().find(|m| m.0 == role).unwrap().2
    }
    /// The id of the account with `role`.
    pub fn account(&self, role: Role) -> i64 {
        self.members.iter().find(|m| m.0 == role).unwrap().1
    }
}

/// Logs `email` in with [`PASSWORD`]; returns the session token.
pub async fn login(app: &TestApp, email: &str) -> String {
    login_in(app.service(), email).await
}

/// [`login`] on any service (e.g. a running hub's).
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
