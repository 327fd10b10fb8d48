//! The rentals pages through the router: a listing added by form (its name
//! escaped), a booking calendar added and synced from a server on port 0,
//! the reservations with their codes' door states, an emptied calendar held
//! and confirmed on the page; support reads but finds no form.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use tumbler_hub::model::Role;
use tumbler_testkit::fixtures::org;
use tumbler_testkit::web::Browser;
use tumbler_testkit::TestApp;

use crate::web_admin::{ESCAPED, SCRIPT};

fn cal(stays: &[(&str, String, String)]) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
    for (uid, a, b) in stays {
        s.push_str(&format!("BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART;VALUE=DATE:{a}\r\nDTEND;VALUE=DATE:{b}\r\nSUMMARY:Reserved\r\nEND:VEVENT\r\n"));
    }
    s + "END:VCALENDAR\r\n"
}

fn id_after(text: &str, prefix: &str) -> i64 {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
        + prefix.len();
    text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_listing_by_form_its_calendar_and_a_held_change_confirmed() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "alpha").await;
    let owner = Browser::new(a.token(Role::Owner));

    let body = Arc::new(Mutex::new(String::new()));
    let served = body.clone();
    let server = axum::Router::new().route(
        "/c.ics",
        axum::routing::get(move || {
            let b = served.clone();
            async move { b.lock().unwrap().clone() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/c.ics", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, server).await;
    });
    let today = jiff::Timestamp::from_millisecond(app.service().now_ms())
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .strftime("%Y%m%d")
            .to_string()
    };
    *body.lock().unwrap() = cal(&[("s1", day(5), day(7)), ("s2", day(9), day(12))]);

    let site = a.site_id.to_string();
    let door = a.lock_id.to_string();
    let page = owner
        .post(
            &app,
            "/rentals",
            &[
                ("name", SCRIPT),
                ("site_id", &site),
                ("door", &door),
                ("check_in", "16:00"),
                ("check_out", "10:00"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let listing = id_after(page.location().unwrap(), "/rentals/");
    let list = owner.get(&app, "/rentals").await;
    assert!(
        list.body.contains(ESCAPED) && !list.body.contains(SCRIPT),
        "{}",
        list.body
    );

    let page = owner
        .post(&app, &format!("/rentals/{listing}/feeds"), &[("url", &url)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = owner
        .post(
            &app,
            &format!("/rentals/{listing}/feeds"),
            &[("url", "javascript:alert(1)")],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let page = owner
        .post(&app, &format!("/rentals/{listing}/sync"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        page.location().unwrap().contains("2+new"),
        "{:?}",
        page.location()
    );
    let shown = owner.get(&app, &format!("/rentals/{listing}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    // No lock answers in this test: each code waits on the door.
    assert_eq!(shown.body.matches("T16:00 → ").count(), 2, "{}", shown.body);
    assert_eq!(shown.body.matches(">pending<").count(), 2, "{}", shown.body);
    assert!(!shown.body.contains("Held change"));

    // The calendar empties: held on the page, then confirmed there.
    *body.lock().unwrap() = cal(&[]);
    let page = owner
        .post(&app, &format!("/rentals/{listing}/sync"), &[])
        .await;
    assert!(
        page.location().unwrap().contains("held"),
        "{:?}",
        page.location()
    );
    let shown = owner.get(&app, &format!("/rentals/{listing}")).await;
    assert!(
        shown.body.contains("Held change") && shown.body.contains("Nothing was revoked"),
        "{}",
        shown.body
    );
    let pending = id_after(&shown.body, "/rental-changes/");

    // Support sees the page but no form, and cannot confirm.
    let support = Browser::new(a.token(Role::Support));
    let seen = support.get(&app, &format!("/rentals/{listing}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(
        !seen.body.contains("/confirm") && !seen.body.contains("Sync now"),
        "{}",
        seen.body
    );
    let page = support
        .post(&app, &format!("/rental-changes/{pending}/confirm"), &[])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    let page = owner
        .post(&app, &format!("/rental-changes/{pending}/confirm"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        page.location().unwrap().split('?').next(),
        Some(format!("/rentals/{listing}").as_str())
    );
    let shown = owner.get(&app, &format!("/rentals/{listing}")).await;
    assert!(!shown.body.contains("Held change"), "{}", shown.body);
    assert_eq!(
        shown.body.matches(">cancelled<").count(),
        2,
        "{}",
        shown.body
    );
    app.db.cleanup().await;
}
