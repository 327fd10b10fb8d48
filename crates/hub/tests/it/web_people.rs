//! The people-and-access pages through the router: a grant on several
//! doors by form (every door listed `pending`, a generated PIN shown once
//! and never again), the schedule builder's bad ranges refused with
//! nothing queued, PIN changes, card replacement, revocations, the
//! owners-only "revoke everyone", holidays; roles, organisation scope,
//! CSRF and escaping. One flow on a live hub with simulated locks follows
//! the batch page until both doors are `set`.

use std::time::Duration;

use axum::http::StatusCode;
use tumbler_hub::model::Role;
use tumbler_testkit::fixtures::{org, principal, OrgFixture};
use tumbler_testkit::web::{Browser, Page};
use tumbler_testkit::TestApp;

/// An organisation with a second claimed lock ("Back door") at its site.
async fn two_doors(app: &TestApp, name: &str) -> (OrgFixture, i64) {
    let a = org(app, name).await;
    let back = app
        .service()
        .bind_lock(a.org_id, a.site_id, &format!("{name}-lock-2"), "Back door")
        .await
        .unwrap();
    (a, back.id)
}

/// Adds a person by form; returns their id.
async fn add_person(app: &TestApp, b: &Browser, name: &str) -> i64 {
    let page = b.post(app, "/people", &[("name", name)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let to = page.location().unwrap();
    to.trim_start_matches("/people/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The batch a page shows or leads to.
fn batch_of(page: &Page) -> i64 {
    let text = page.location().unwrap_or(&page.body);
    let at = text.find("/batches/").expect("a batch") + "/batches/".len();
    text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

/// `(lock id, state word)` of every row of the doors table.
fn door_states(body: &str) -> Vec<(i64, String)> {
    let table = &body[body.find(r#"id="doors""#).expect("the doors table")..];
    table
        .split(r#"<tr data-lock=""#)
        .skip(1)
        .map(|row| {
            let id = row[..row.find('"').unwrap()].parse().unwrap();
            let cell = &row[row.find(r#"class="door-state""#).expect("a state cell")..];
            let text = &cell[cell.find('>').unwrap() + 1..];
            (id, text[..text.find('<').unwrap()].to_owned())
        })
        .collect()
}

/// The PIN shown on an answer page.
fn shown_pin(body: &str) -> String {
    let at = body.find(r#"class="secret">"#).expect("a PIN shown") + r#"class="secret">"#.len();
    body[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

async fn operations(app: &TestApp, a: &OrgFixture) -> usize {
    let owner = principal(app, a.token(Role::Owner)).await;
    app.service()
        .list_operations(&owner, None, None, None)
        .await
        .unwrap()
        .len()
}

fn weekly(locks: &[String]) -> Vec<(&'static str, String)> {
    let mut f: Vec<(&str, String)> = locks.iter().map(|l| ("lock", l.clone())).collect();
    for (k, v) in [
        ("cred", "generate"),
        ("when", "weekly"),
        ("day", "mon"),
        ("day", "fri"),
        ("start", "09:00"),
        ("end", "17:00"),
    ] {
        f.push((k, v.to_owned()));
    }
    f
}

fn refs<'a>(f: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    f.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn a_grant_on_two_doors_lists_each_pending_and_shows_its_pin_once() {
    let app = TestApp::sqlite().await.unwrap();
    let (a, back) = two_doors(&app, "acme").await;
    let owner = Browser::new(a.token(Role::Owner));
    let tenant = add_person(&app, &owner, "Tenant").await;

    let form = owner.get(&app, &format!("/people/{tenant}/grant")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    for text in [
        "Front door",
        "Back door",
        "Times are in Europe/Paris, the site's time zone.",
        r#"name="all""#,
        r#"name="day" value="mon""#,
    ] {
        assert!(form.body.contains(text), "grant form lacks {text}");
    }

    let locks = [a.lock_id.to_string(), back.to_string()];
    let answer = owner
        .post(
            &app,
            &format!("/people/{tenant}/grant"),
            &refs(&weekly(&locks)),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.headers["cache-control"], "no-store");
    let pin = shown_pin(&answer.body);
    assert_eq!(pin.len(), 6, "{}", answer.body);
    assert!(answer.body.contains("Shown once, not stored in the clear"));
    let batch = batch_of(&answer);
    assert!(answer
        .body
        .contains(&format!(r#"sse-connect="/live?batch={batch}""#)));
    let mut want = vec![
        (a.lock_id, "pending".to_owned()),
        (back, "pending".to_owned()),
    ];
    want.sort();
    let mut got = door_states(&answer.body);
    got.sort();
    assert_eq!(got, want);

    // Never again: not on the batch page, its fragment, or the person's page.
    let page = owner.get(&app, &format!("/batches/{batch}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let mut got = door_states(&page.body);
    got.sort();
    assert_eq!(got, want);
    let fragment = owner.get(&app, &format!("/batches/{batch}/doors")).await;
    assert!(fragment
        .body
        .contains(&format!(r#"hx-trigger="sse:batch-{batch}""#)));
    assert_eq!(door_states(&fragment.body).len(), 2);
    let person = owner.get(&app, &format!("/people/{tenant}")).await;
    assert!(
        person.body.contains("Mon, Fri 09:00–17:00"),
        "{}",
        person.body
    );
    for p in [&page, &fragment, &person] {
        assert!(!p.body.contains(&pin), "the PIN was shown again");
    }

    // A chosen PIN on "all locks" is not echoed: the answer is a redirect.
    let other = add_person(&app, &owner, "Cleaner").await;
    let chosen = owner
        .post(
            &app,
            &format!("/people/{other}/grant"),
            &[("all", "1"), ("cred", "pin"), ("pin", "482913")],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    let page = owner
        .get(&app, &format!("/batches/{}", batch_of(&chosen)))
        .await;
    assert_eq!(door_states(&page.body).len(), 2);
    assert!(!page.body.contains("482913"));
}

#[tokio::test]
async fn a_bad_schedule_or_credential_answers_4xx_and_queues_nothing() {
    let app = TestApp::sqlite().await.unwrap();
    let (a, back) = two_doors(&app, "acme").await;
    let owner = Browser::new(a.token(Role::Owner));
    let tenant = add_person(&app, &owner, "Tenant").await;
    let before = operations(&app, &a).await;
    let locks = [a.lock_id.to_string(), back.to_string()];
    let base: Vec<(&str, &str)> = vec![
        ("lock", locks[0].as_str()),
        ("lock", locks[1].as_str()),
        ("cred", "generate"),
    ];
    let bad: [&[(&str, &str)]; 7] = [
        // The end date before the start.
        &[
            ("when", "dates"),
            ("from", "2026-03-08T11:00"),
            ("to", "2026-03-01T15:00"),
        ],
        // The end hour before the start.
        &[
            ("when", "weekly"),
            ("day", "mon"),
            ("start", "17:00"),
            ("end", "09:00"),
        ],
        // No day.
        &[("when", "weekly"), ("start", "09:00"), ("end", "17:00")],
        // No date.
        &[("when", "dates"), ("to", "2026-03-01T15:00")],
        &[("when", "sometimes")],
        &[("cred", "pin"), ("pin", "1234")],
        &[("cred", "fingerprint"), ("template", "many")],
    ];
    for extra in bad {
        let mut fields = base.clone();
        if extra.iter().any(|(k, _)| *k == "cred") {
            fields.retain(|(k, _)| *k != "cred");
        }
        fields.extend_from_slice(extra);
        let page = owner
            .post(&app, &format!("/people/{tenant}/grant"), &fields)
            .await;
        assert!(
            page.status.is_client_error(),
            "{extra:?}: {} {}",
            page.status,
            page.body
        );
        assert!(page.body.contains(r#"role="alert""#), "{}", page.body);
    }
    // No door chosen.
    let page = owner
        .post(
            &app,
            &format!("/people/{tenant}/grant"),
            &[("cred", "generate")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(operations(&app, &a).await, before);
    let owner_p = principal(&app, a.token(Role::Owner)).await;
    let d = app.service().person_detail(&owner_p, tenant).await.unwrap();
    assert!(d.doors.is_empty() && d.credentials.is_empty());
}

#[tokio::test]
async fn pins_cards_and_doors_change_through_the_person_page() {
    let app = TestApp::sqlite().await.unwrap();
    let (a, back) = two_doors(&app, "acme").await;
    let owner = Browser::new(a.token(Role::Owner));
    let tenant = add_person(&app, &owner, "Tenant").await;
    let locks = [a.lock_id.to_string(), back.to_string()];
    for (cred, value) in [("card", "0a0b0c0d"), ("pin", "482913")] {
        let key = if cred == "card" { "uid" } else { "pin" };
        let page = owner
            .post(
                &app,
                &format!("/people/{tenant}/grant"),
                &[
                    ("lock", locks[0].as_str()),
                    ("lock", locks[1].as_str()),
                    ("cred", cred),
                    (key, value),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    let owner_p = principal(&app, a.token(Role::Owner)).await;
    let d = app.service().person_detail(&owner_p, tenant).await.unwrap();
    let id_of = |kind: &str| {
        d.credentials
            .iter()
            .find(|c| c.kind.name() == kind)
            .unwrap()
            .id
    };
    let (card, pin) = (id_of("card"), id_of("pin"));
    let page = owner.get(&app, &format!("/people/{tenant}")).await;
    for form in [
        format!("/credentials/{card}/replace"),
        format!("/credentials/{pin}/change-pin"),
        format!("/people/{tenant}/revoke"),
    ] {
        assert!(page.body.contains(&form), "person page lacks {form}");
    }
    assert!(!page.body.contains("482913"));

    // A lost card: the same card again is refused, a new one queued.
    let same = owner
        .post(
            &app,
            &format!("/credentials/{card}/replace"),
            &[("uid", "0a0b0c0d")],
        )
        .await;
    assert_eq!(same.status, StatusCode::BAD_REQUEST, "{}", same.body);
    let new = owner
        .post(
            &app,
            &format!("/credentials/{card}/replace"),
            &[("uid", "0a0b0c0e")],
        )
        .await;
    assert_eq!(new.status, StatusCode::SEE_OTHER, "{}", new.body);
    assert!(new.location().unwrap().starts_with("/batches/"));

    // A forgotten PIN: blank generates one, shown once.
    let changed = owner
        .post(
            &app,
            &format!("/credentials/{pin}/change-pin"),
            &[("pin", "")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let new_pin = shown_pin(&changed.body);
    assert_eq!(new_pin.len(), 6);
    let page = owner.get(&app, &format!("/people/{tenant}")).await;
    assert!(!page.body.contains(&new_pin));

    // Revoke on the back door, then everywhere.
    let none = owner
        .post(&app, &format!("/people/{tenant}/revoke"), &[])
        .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    let one = owner
        .post(
            &app,
            &format!("/people/{tenant}/revoke"),
            &[("lock", locks[1].as_str())],
        )
        .await;
    assert_eq!(one.status, StatusCode::SEE_OTHER, "{}", one.body);
    let page = owner.get(&app, one.location().unwrap()).await;
    assert_eq!(door_states(&page.body), vec![(back, "removing".to_owned())]);
    let all = owner
        .post(
            &app,
            &format!("/people/{tenant}/revoke"),
            &[("everywhere", "1")],
        )
        .await;
    assert_eq!(all.status, StatusCode::SEE_OTHER, "{}", all.body);
    let d = app.service().person_detail(&owner_p, tenant).await.unwrap();
    assert!(d.credentials.iter().all(|c| c.revoked_at.is_some()));
}

#[tokio::test]
async fn revoking_everyone_but_the_owners_needs_an_owner_and_the_box_ticked() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let owner = Browser::new(a.token(Role::Owner));
    let boss = owner
        .post(&app, "/people", &[("name", "Boss"), ("owner", "1")])
        .await;
    assert_eq!(boss.status, StatusCode::SEE_OTHER);
    let tenant = add_person(&app, &owner, "Tenant").await;
    let lock = a.lock_id.to_string();
    let granted = owner
        .post(
            &app,
            &format!("/people/{tenant}/grant"),
            &[("lock", lock.as_str()), ("cred", "card"), ("uid", "0a0b")],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);

    let page = owner.get(&app, "/access/revoke-all").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Owners keep their access: Boss."));
    assert!(page.body.contains("<li>Tenant</li>"), "{}", page.body);
    assert!(page
        .body
        .contains(r#"name="confirm" value="revoke-all" required"#));

    let manager = Browser::new(a.token(Role::Manager));
    assert_eq!(
        manager.get(&app, "/access/revoke-all").await.status,
        StatusCode::FORBIDDEN
    );
    let before = operations(&app, &a).await;
    let refused = manager
        .post(&app, "/access/revoke-all", &[("confirm", "revoke-all")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unticked = owner.post(&app, "/access/revoke-all", &[]).await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(operations(&app, &a).await, before);

    let done = owner
        .post(&app, "/access/revoke-all", &[("confirm", "revoke-all")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = owner.get(&app, done.location().unwrap()).await;
    assert_eq!(
        door_states(&page.body),
        vec![(a.lock_id, "removing".to_owned())]
    );
}

#[tokio::test]
async fn holidays_are_queued_on_every_chosen_door_or_on_none() {
    let app = TestApp::sqlite().await.unwrap();
    let (a, back) = two_doors(&app, "acme").await;
    let other = org(&app, "globex").await;
    let owner = Browser::new(a.token(Role::Owner));
    let page = owner.get(&app, "/holidays").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("Times are in Europe/Paris, the site's time zone."));
    assert!(page.body.contains("Europe/Paris, now 2026-01-15 13:00 CET"));
    let locks = [a.lock_id.to_string(), back.to_string()];
    let foreign = other.lock_id.to_string();
    let before = operations(&app, &a).await;
    let window = [("from", "2026-03-01T00:00"), ("to", "2026-03-08T00:00")];
    for (lock, to, status) in [
        (
            locks[1].as_str(),
            "2026-02-01T00:00",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (foreign.as_str(), window[1].1, StatusCode::NOT_FOUND),
    ] {
        let page = owner
            .post(
                &app,
                "/holidays",
                &[
                    ("lock", locks[0].as_str()),
                    ("lock", lock),
                    window[0],
                    ("to", to),
                    ("mode", "vacation"),
                ],
            )
            .await;
        assert_eq!(page.status, status, "{}", page.body);
    }
    assert_eq!(operations(&app, &a).await, before);
    let support = Browser::new(a.token(Role::Support));
    let page = support
        .post(&app, "/holidays", &[("all", "1"), window[0], window[1]])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        support.get(&app, "/holidays").await.status,
        StatusCode::FORBIDDEN
    );

    let page = owner
        .post(
            &app,
            "/holidays",
            &[("all", "1"), window[0], window[1], ("mode", "passage")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(operations(&app, &a).await, before + 2);
}

#[tokio::test]
async fn weaker_roles_other_organisations_and_forged_forms_are_refused() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let other = org(&app, "globex").await;
    let owner = Browser::new(a.token(Role::Owner));
    let tenant = add_person(&app, &owner, "Tenant").await;
    let lock = a.lock_id.to_string();
    let granted = owner
        .post(
            &app,
            &format!("/people/{tenant}/grant"),
            &[("lock", lock.as_str()), ("cred", "pin"), ("pin", "482913")],
        )
        .await;
    let batch = batch_of(&granted);
    let owner_p = principal(&app, a.token(Role::Owner)).await;
    let cred = app.service().person_detail(&owner_p, tenant).await.unwrap();
    let cred = cred.credentials[0].id;
    let before = operations(&app, &a).await;
    let grant = format!("/people/{tenant}/grant");
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/people".into(), vec![("name", "Intruder")]),
        (
            grant.clone(),
            vec![("lock", lock.as_str()), ("cred", "generate")],
        ),
        (
            format!("/people/{tenant}/revoke"),
            vec![("everywhere", "1")],
        ),
        (format!("/credentials/{cred}/change-pin"), vec![]),
        (format!("/credentials/{cred}/replace"), vec![]),
    ];

    // Support reads people and batches, changes nothing; installers see no people.
    let support = Browser::new(a.token(Role::Support));
    let page = support.get(&app, &format!("/people/{tenant}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/grant") && !page.body.contains("/revoke"));
    assert!(!support
        .get(&app, "/people")
        .await
        .body
        .contains("Add a person"));
    assert_eq!(
        support.get(&app, &grant).await.status,
        StatusCode::FORBIDDEN
    );
    let installer = Browser::new(a.token(Role::Installer));
    assert_eq!(
        installer.get(&app, "/people").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        installer
            .get(&app, &format!("/batches/{batch}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for who in [&support, &installer] {
        for (path, fields) in &posts {
            let page = who.post(&app, path, fields).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        }
    }

    // Another organisation sees nothing of this one.
    let outsider = Browser::new(other.token(Role::Owner));
    assert!(!outsider.get(&app, "/people").await.body.contains("Tenant"));
    for path in [
        format!("/people/{tenant}"),
        grant.clone(),
        format!("/batches/{batch}"),
        format!("/batches/{batch}/doors"),
    ] {
        let page = outsider.get(&app, &path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.body.contains("Tenant"), "{path}");
    }
    for (path, fields) in posts.iter().skip(1) {
        let page = outsider.post(&app, path, fields).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Their own person onto this organisation's lock: no such lock.
    let theirs = add_person(&app, &outsider, "Theirs").await;
    let page = outsider
        .post(
            &app,
            &format!("/people/{theirs}/grant"),
            &[("lock", lock.as_str()), ("cred", "generate")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // No CSRF token: refused before anything happens.
    let revoke_all = (
        "/access/revoke-all".to_owned(),
        vec![("confirm", "revoke-all")],
    );
    for (path, fields) in posts.iter().chain([&revoke_all]) {
        let page = owner.post_raw(&app, path, fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(operations(&app, &a).await, before);
    let people = app.service().list_people(&owner_p).await.unwrap();
    assert_eq!(people.len(), 1, "{people:?}");
}

#[tokio::test]
async fn what_people_typed_comes_back_escaped() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let owner = Browser::new(a.token(Role::Owner));
    let evil = "<script>alert(1)</script>";
    let id = add_person(&app, &owner, evil).await;
    let lock = a.lock_id.to_string();
    let granted = owner
        .post(
            &app,
            &format!("/people/{id}/grant"),
            &[
                ("lock", lock.as_str()),
                ("cred", "card"),
                ("uid", "0a0b"),
                ("label", evil),
            ],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);
    for path in [
        "/people".to_owned(),
        format!("/people/{id}"),
        format!("/people/{id}/grant"),
        granted.location().unwrap().to_owned(),
    ] {
        let page = owner.get(&app, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("&lt;script&gt;alert(1)"), "{path}");
        assert!(!page.body.contains(evil), "{path}: {}", page.body);
    }
}

/// A live hub with two simulated locks: the batch page's doors reach `set`.
#[tokio::test]
async fn on_live_locks_the_batch_page_reaches_set() {
    let w = crate::access_e2e::world(None).await;
    let broker = w.hub.broker();
    let (_front, l1) = w.lock(broker.clone(), None).await;
    let (_back, l2) = w.lock(broker, None).await;
    let tenant = w.person("Tenant", false).await;
    let owner = Browser::new(&w.owner);
    let (s1, s2) = (l1.to_string(), l2.to_string());
    let answer = owner
        .post(
            &w.state,
            &format!("/people/{tenant}/grant"),
            &[
                ("lock", s1.as_str()),
                ("lock", s2.as_str()),
                ("cred", "pin"),
                ("pin", "482913"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let doors = format!("/batches/{}/doors", batch_of(&answer));
    let mut last = Vec::new();
    for _ in 0..600 {
        last = door_states(&owner.get(&w.state, &doors).await.body);
        if last.len() == 2 && last.iter().all(|(_, s)| s == "set") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the doors never reached set: {last:?}");
}
