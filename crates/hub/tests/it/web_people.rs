//! The people-and-access pages through the router: a grant on several
//! doors by form (every door listed `pending`, a generated PIN shown once
//! and never again), the schedule builder's bad ranges refused with
//! nothing queued, PIN changes, card replacement, revocations, the
//! owners-only "revoke everyone", holidays; roles, organisation scope,
//! CSRF and escaping. One flow on a live hub with simulated locks follows
//! the batch page until both doors are `set`.
//!
//! Files: [`grant`] (grants, the batch page, bad schedules, live locks),
//! [`changes`] (a person's page, revoke everyone, holidays), [`refusals`]
//! (roles, other organisations, CSRF, escaping).

mod changes;
mod grant;
mod refusals;

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
