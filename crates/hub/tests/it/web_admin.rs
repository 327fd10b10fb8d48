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
mod webhooks;

/// Text a user types that must come back as text.
pub(crate) const SCRIPT: &str = "<script>alert(1)</script>";
/// [`SCRIPT`] escaped.
pub(crate) const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

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
    serial: String,
    site: i64,
    account: i64,
    alert: i64,
    token: i64,
    /// Locks the positive control releases and transfers.
    release_lock: i64,
    release_serial: String,
    transfer_lock: i64,
    transfer_serial: String,
    /// The other organisation (a transfer's destination).
    other_org: i64,
    /// Org A's first site (the property with room `lock`).
    home_site: i64,
    person: i64,
    credential: i64,
    batch: i64,
    verification: i64,
    /// A stay in room `lock` and one of its cards.
    stay: i64,
    card: i64,
    /// A webhook endpoint (the positive control deletes it).
    webhook: i64,
    /// A delivery to another endpoint (kept).
    delivery: i64,
    /// An offline code issued for `lock`.
    offline_code: i64,
    /// A rental listing on `lock`, one reservation, two held changes.
    listing: i64,
    reservation: i64,
    pending_confirm: i64,
    pending_discard: i64,
}

async fn targets(app: &TestApp, a: &OrgFixture, b: &OrgFixture) -> Targets {
    let s = app.service();
    let owner = principal(app, a.token(Role::Owner)).await;
    let site = s
        .create_site(&owner, "Annex alpha", "Europe/Berlin")
        .await
        .unwrap()
        .id;
    // Endpoints before the alert below, so it queues a delivery to each.
    let webhook = s
        .create_webhook(&owner, "https://example.com/alpha", &["*".into()])
        .await
        .unwrap()
        .webhook
        .id;
    s.create_webhook(&owner, "https://example.com/alpha-2", &["*".into()])
        .await
        .unwrap();
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
    let spare = |suffix: &'static str, name: &'static str| {
        let serial = format!("{}-{suffix}", a.serial);
        async move {
            let id = s
                .bind_lock(a.org_id, a.site_id, &serial, name)
                .await
                .unwrap()
                .id;
            (id, serial)
        }
    };
    let (release_lock, release_serial) = spare("rel", "Release me").await;
    let (transfer_lock, transfer_serial) = spare("tra", "Transfer me").await;
    let person = s.create_person(&owner, "Pat", false).await.unwrap().id;
    let batch = s
        .grant(
            &owner,
            person,
            tumbler_hub::service::access::GrantRequest {
                lock_ids: vec![a.lock_id],
                schedule: tumbler_hub::control::access::AccessSchedule::Permanent,
                credentials: vec![tumbler_hub::service::access::CredentialInput {
                    kind: "pin".into(),
                    pin: Some(tumbler_hub::control::SecretPin::new("583920")),
                    ..Default::default()
                }],
            },
        )
        .await
        .unwrap()
        .batch
        .id;
    let credential = s.person_detail(&owner, person).await.unwrap().credentials[0].id;
    let verification = s.start_verification(&owner, a.lock_id).await.unwrap().id;
    let room = tumbler_hub::hotel::RoomConfig {
        door: 101,
        guest_room: true,
        floor: 1,
        zone: 1,
        building: 1,
    };
    s.set_hotel_room(&owner, a.lock_id, room).await.unwrap();
    let issued = s
        .check_in(
            &owner,
            a.lock_id,
            tumbler_hub::service::hotel::desk::CheckIn {
                guest: "Gia alpha".into(),
                cards: 2,
                checkout: "2026-01-20".into(),
                checkout_time: None,
            },
        )
        .await
        .unwrap();
    let delivery = s
        .list_deliveries(&owner, None, None)
        .await
        .unwrap()
        .iter()
        .find(|d| d.webhook_id != webhook)
        .expect("the alert queued a delivery")
        .id;
    // Recorded directly: this app has no binding key to seal a secret with.
    let offline_code = s
        .store()
        .insert_offline_code(
            tumbler_hub::store::offline::NewOfflineCode {
                org_id: a.org_id,
                lock_id: a.lock_id,
                epoch: 1,
                code_id: (101 << 32) | 490_000,
                kind: "hours",
                window: serde_json::json!({"shape": {"Hours": {"hours": 1}}, "start": 490_000}),
                starts_at: s.now_ms(),
                ends_at: s.now_ms() + 3_600_000,
                label: "alpha cleaner",
                issued_by: a.account(Role::Owner),
            },
            s.now_ms(),
        )
        .await
        .unwrap()
        .id;
    let listing = s
        .create_listing(
            &owner,
            tumbler_hub::service::rentals::ListingInput {
                name: "Flat alpha".into(),
                site_id: a.site_id,
                time_zone: None,
                check_in: None,
                check_out: None,
                lock_ids: vec![a.lock_id],
                pin_source: None,
                poll_minutes: None,
                cleaner_codes: None,
            },
        )
        .await
        .unwrap()
        .id;
    let st = s.store();
    let now = s.now_ms();
    let feed1 = st
        .add_feed(listing, "http://127.0.0.1:9/a.ics", now)
        .await
        .unwrap()
        .id;
    let feed2 = st
        .add_feed(listing, "http://127.0.0.1:9/b.ics", now)
        .await
        .unwrap()
        .id;
    let reservation = st
        .upsert_reservation(
            listing,
            feed1,
            "uid-alpha",
            "Reserved",
            "2030-01-01",
            "2030-01-03",
            now,
        )
        .await
        .unwrap();
    let pending_confirm = st
        .hold_change(listing, feed1, "alpha held", &serde_json::json!([]), now)
        .await
        .unwrap()
        .id;
    let pending_discard = st
        .hold_change(listing, feed2, "alpha held", &serde_json::json!([]), now)
        .await
        .unwrap()
        .id;
    Targets {
        stay: issued.stay.unwrap().id,
        card: issued.cards[0].card.number,
        webhook,
        delivery,
        offline_code,
        listing,
        reservation,
        pending_confirm,
        pending_discard,
        lock: a.lock_id,
        serial: a.serial.clone(),
        site,
        account: a.account(Role::Support),
        alert,
        token,
        release_lock,
        release_serial,
        transfer_lock,
        transfer_serial,
        other_org: b.org_id,
        home_site: a.site_id,
        person,
        credential,
        batch,
        verification,
    }
}

/// A route made concrete: its path with org A's id, and its form fields
/// (`tag` keeps names made by different callers apart). `None` for a route
/// this table does not know yet.
fn case(spec: &WebRoute, t: &Targets, tag: &str) -> Option<(String, Vec<(String, String)>)> {
    let id = match spec.path {
        p if !p.contains("{id}") => None,
        "/account/tokens/{id}/revoke" => Some(t.token),
        "/locks/{id}"
        | "/locks/{id}/state"
        | "/locks/{id}/row"
        | "/locks/{id}/ops"
        | "/locks/{id}/operate" => Some(t.lock),
        "/alerts/{id}/ack" => Some(t.alert),
        "/locks/{id}/history"
        | "/locks/{id}/access"
        | "/locks/{id}/settings"
        | "/locks/{id}/offline-codes"
        | "/locks/{id}/offline-codes/enable"
        | "/locks/{id}/offline-codes/issue"
        | "/locks/{id}/offline-codes/revoke"
        | "/locks/{id}/offline-codes/revoke-all"
        | "/locks/{id}/doctor"
        | "/locks/{id}/reset"
        | "/locks/{id}/reset/confirm"
        | "/locks/{id}/reset/factory"
        | "/locks/{id}/reset/manufacturer"
        | "/locks/{id}/recover"
        | "/locks/{id}/recover/reclaim"
        | "/locks/{id}/recover/reenrol"
        | "/locks/{id}/recover/verify" => Some(t.lock),
        "/locks/{id}/reset/release" => Some(t.release_lock),
        "/locks/{id}/reset/transfer" => Some(t.transfer_lock),
        "/verifications/{id}" | "/verifications/{id}/report" | "/verifications/{id}/print" => {
            Some(t.verification)
        }
        "/people/{id}" | "/people/{id}/grant" | "/people/{id}/revoke" => Some(t.person),
        "/credentials/{id}/change-pin" | "/credentials/{id}/replace" => Some(t.credential),
        "/batches/{id}" | "/batches/{id}/doors" => Some(t.batch),
        "/admin/sites/{id}" | "/admin/sites/{id}/delete" => Some(t.site),
        "/sites/{id}/front-desk" | "/sites/{id}/staff-cards" => Some(t.home_site),
        "/locks/{id}/check-in" | "/locks/{id}/room-history" => Some(t.lock),
        "/stays/{id}/extend" | "/stays/{id}/lost-card" | "/stays/{id}/check-out" => Some(t.stay),
        "/admin/accounts/{id}/role" | "/admin/accounts/{id}/delete" => Some(t.account),
        "/webhooks/{id}/enabled" | "/webhooks/{id}/delete" => Some(t.webhook),
        "/webhook-deliveries/{id}/redeliver" => Some(t.delivery),
        "/rentals/{id}" | "/rentals/{id}/feeds" | "/rentals/{id}/sync" => Some(t.listing),
        "/reservations/{id}/code" => Some(t.reservation),
        "/rental-changes/{id}/confirm" => Some(t.pending_confirm),
        "/rental-changes/{id}/discard" => Some(t.pending_discard),
        _ => return None,
    };
    let mut path = match id {
        Some(id) => spec.path.replace("{id}", &id.to_string()),
        None => spec.path.to_string(),
    };
    if spec.path == "/locks/{id}/reset/confirm" {
        path.push_str("?action=factory");
    }
    let f = |fields: &[(&str, &str)]| -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.replace("TAG", tag)))
            .collect()
    };
    let lock = t.lock.to_string();
    let site = t.home_site.to_string();
    let other_org = t.other_org.to_string();
    let card = t.card.to_string();
    let fields = match (spec.method, spec.path) {
        ("GET", _) => Vec::new(),
        ("POST", "/locks/{id}/settings") => f(&[("auto_relock_time", "45")]),
        ("POST", "/locks/{id}/offline-codes/enable")
        | ("POST", "/locks/{id}/offline-codes/revoke-all") => Vec::new(),
        ("POST", "/locks/{id}/offline-codes/issue") => f(&[
            ("kind", "hours"),
            ("label", "Cleaner TAG"),
            ("from", "2026-01-15T13:00"),
            ("hours", "2"),
        ]),
        ("POST", "/locks/{id}/offline-codes/revoke") => {
            vec![("code".to_string(), t.offline_code.to_string())]
        }
        ("POST", "/locks/{id}/reset/factory") => f(&[("confirm", &t.serial)]),
        ("POST", "/locks/{id}/reset/release") => f(&[("confirm", &t.release_serial)]),
        ("POST", "/locks/{id}/reset/transfer") => {
            f(&[("confirm", &t.transfer_serial), ("to_org", &other_org)])
        }
        ("POST", "/locks/{id}/reset/manufacturer") => f(&[("confirm", &t.serial)]),
        ("POST", "/locks/{id}/recover/reclaim") => f(&[("setup_code", "12345678")]),
        ("POST", "/locks/{id}/recover/reenrol") => f(&[("person", "1")]),
        ("POST", "/locks/{id}/recover/verify") => Vec::new(),
        ("POST", "/people") => f(&[("name", "Sam TAG")]),
        ("POST", "/people/{id}/grant") => f(&[
            ("lock", &lock),
            ("cred", "pin"),
            ("pin", "739154"),
            ("when", "always"),
        ]),
        ("POST", "/people/{id}/revoke") => f(&[("lock", &lock)]),
        ("POST", "/credentials/{id}/change-pin") => f(&[("pin", "615283")]),
        ("POST", "/credentials/{id}/replace") => f(&[("pin", "817362")]),
        ("POST", "/access/revoke-all") => f(&[("confirm", "revoke-all")]),
        ("POST", "/locks/{id}/check-in") => f(&[
            ("guest", "Guest TAG"),
            ("cards", "2"),
            ("checkout", "2026-01-20"),
        ]),
        ("POST", "/stays/{id}/extend") => f(&[("checkout", "2026-01-22")]),
        ("POST", "/stays/{id}/lost-card") => f(&[("number", &card)]),
        ("POST", "/stays/{id}/check-out") => Vec::new(),
        ("POST", "/sites/{id}/staff-cards") => f(&[
            ("kind", "floor"),
            ("scope", "1"),
            ("holder", "Cleaner TAG"),
            ("until", "2026-01-31"),
            ("days", "mon-fri"),
            ("hours", "08:00-17:00"),
        ]),
        ("POST", "/holidays") => f(&[
            ("lock", &lock),
            ("slot", "0"),
            ("from", "2030-01-01T00:00"),
            ("to", "2030-01-02T00:00"),
            ("mode", "vacation"),
        ]),
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
        ("POST", "/admin/sites/{id}/delete")
        | ("POST", "/admin/accounts/{id}/delete")
        | ("POST", "/webhooks/{id}/delete") => f(&[("confirm", "yes")]),
        ("POST", "/webhooks") => f(&[
            ("url", "https://example.com/TAG"),
            ("event", "lock.unlocked"),
            ("event", "lock.offline"),
        ]),
        ("POST", "/webhooks/{id}/enabled") => f(&[("enabled", "no")]),
        ("POST", "/webhook-deliveries/{id}/redeliver") => Vec::new(),
        ("POST", "/admin/accounts") => f(&[
            ("name", "New TAG"),
            ("email", "new-TAG@x.test"),
            ("role", "support"),
            ("password", PASSWORD),
        ]),
        ("POST", "/admin/accounts/{id}/role") => f(&[("role", "installer")]),
        ("POST", "/rentals") => f(&[
            ("name", "Flat TAG"),
            ("site_id", &site),
            ("door", &lock),
            ("check_in", "15:00"),
            ("check_out", "11:00"),
        ]),
        // Nothing listens on port 9: a sync records a failed fetch.
        ("POST", "/rentals/{id}/feeds") => f(&[("url", "http://127.0.0.1:9/TAG.ics")]),
        ("POST", "/rentals/{id}/sync")
        | ("POST", "/rental-changes/{id}/confirm")
        | ("POST", "/rental-changes/{id}/discard") => Vec::new(),
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
/// Forms the positive control may see refused on the state of org A's
/// things (a claimed lock is not re-claimed
/// is refused, a test hub has no manufacturer key): a 409, 422 or 503
/// there still shows the caller was let in.
const REFUSED_ON_STATE: &[&str] = &[
    // The test's lock has not reported its settings (no simulated lock).
    "/locks/{id}/settings",
    "/locks/{id}/reset/manufacturer",
    // No binding key in this app: offline codes cannot be turned on, so a lock
    // without a secret takes no issue or revoke-all.
    "/locks/{id}/offline-codes/enable",
    "/locks/{id}/offline-codes/issue",
    "/locks/{id}/offline-codes/revoke-all",
    "/locks/{id}/recover/reclaim",
    "/locks/{id}/recover/reenrol",
    // The verification is still running (nothing answers in this test).
    "/verifications/{id}/print",
    // This test hub has no binding key: it keeps no guest PIN to show.
    "/reservations/{id}/code",
];
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
    let t = targets(&app, &a, &b).await;
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
    // Revocations take the credential the PIN forms change: they go late too.
    order.sort_by_key(|spec| match spec.path {
        "/people/{id}/revoke" | "/access/revoke-all" => 1,
        // A checked-out stay takes no lost card.
        "/stays/{id}/check-out" => 1,
        "/account/password" => 2,
        _ => 0,
    });
    for spec in order {
        let (path, fields) = case(spec, &t, "ok").unwrap();
        let role = spec.roles.unwrap()[0];
        let me = Browser::new(&login(&app, &format!("{role}@alpha.test")).await);
        let page = visit(&app, spec, &path, &fields, Some(&me)).await;
        let refused_on_state = REFUSED_ON_STATE.contains(&spec.path)
            && matches!(
                page.status,
                StatusCode::CONFLICT
                    | StatusCode::UNPROCESSABLE_ENTITY
                    | StatusCode::SERVICE_UNAVAILABLE
            );
        assert!(
            page.status.is_success() || page.status.is_redirection() || refused_on_state,
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
