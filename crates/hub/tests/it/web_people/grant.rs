//! A grant on several doors by form: every door listed `pending` on the
//! batch page, the generated PIN shown once; bad schedules refused with
//! nothing queued; on live simulated locks the doors reach `set`.

use std::time::Duration;

use super::*;

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
    assert!(answer.body.contains("PIN for Tenant: "), "{}", answer.body);
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
