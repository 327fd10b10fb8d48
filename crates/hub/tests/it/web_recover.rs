//! The recovery wizard end to end with a simulated lock: a factory reset
//! from the reset page, re-claim with the setup code, only the chosen
//! person back (with a new PIN, shown once), the verification report live
//! until its verdict, and the printable report — through the web app only.

use axum::http::StatusCode;
use serde_json::json;
use tumbler_testkit::fixtures::org_in;
use tumbler_testkit::web::{Browser, Page};
use tumbler_testkit::{eventually, unique};

use crate::access_e2e::{all_in, opens, world};

const XSS: &str = "<script>alert(1)</script>";
const XSS_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

/// The text of the element `#verdict`.
fn verdict(page: &Page) -> String {
    page.body
        .split(r#"id="verdict""#)
        .nth(1)
        .and_then(|r| r.split("</p>").next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn reset_reclaim_choose_who_comes_back_and_verify() {
    let w = world(None).await;
    let (sim, lock) = w.lock(w.hub.broker(), None).await;
    let alice = w.person("Alice", true).await;
    let bob = w.person(XSS, false).await;
    let carol = w.person("Carol", false).await;
    for (p, pin) in [(alice, "271828"), (bob, "314159"), (carol, "161803")] {
        let out = w
            .grant(
                p,
                &[lock],
                json!({"kind": "permanent"}),
                json!({"kind": "pin", "pin": pin}),
            )
            .await;
        all_in(&w.batch_done(&out).await, "set");
    }
    // Carol moved out before the reset: she is not offered back.
    let (st, out) = w
        .post(&format!("/api/v1/people/{carol}/revoke"), json!({}))
        .await;
    assert_eq!(st, 202, "{out}");
    all_in(&w.batch_done(&out).await, "removed");

    let b = Browser::new(&w.owner);
    let serial = w.get(&format!("/api/v1/locks/{lock}")).await["serial"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = b
        .post(
            &w.state,
            &format!("/locks/{lock}/reset/factory"),
            &[("confirm", serial.as_str())],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    eventually("binding stale", || async {
        w.get(&format!("/api/v1/locks/{lock}")).await["claim_state"] == "reset_binding_stale"
    })
    .await;
    let overview = b.get(&w.state, &format!("/locks/{lock}")).await;
    assert!(
        overview.body.contains(&format!("/locks/{lock}/recover")),
        "{}",
        overview.body
    );

    // Step 1: re-claim. Step 2 waits for it.
    let wizard = b.get(&w.state, &format!("/locks/{lock}/recover")).await;
    assert_eq!(wizard.status, StatusCode::OK, "{}", wizard.body);
    assert!(
        wizard.body.contains(r#"name="setup_code""#),
        "{}",
        wizard.body
    );
    for id in [alice, bob] {
        let tick = format!(r#"name="person" value="{id}" checked"#);
        assert!(wizard.body.contains(&tick), "{tick}: {}", wizard.body);
    }
    assert!(wizard.body.contains(XSS_ESCAPED) && !wizard.body.contains(XSS));
    assert!(
        !wizard.body.contains("Carol"),
        "Carol had no access at the reset"
    );
    let page = b
        .post(
            &w.state,
            &format!("/locks/{lock}/recover/reclaim"),
            &[("setup_code", sim.label.setup_code.as_str())],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    w.settle_ops(lock).await;

    // Step 2: only Alice comes back, with a new PIN shown once.
    let page = b
        .post(
            &w.state,
            &format!("/locks/{lock}/recover/reenrol"),
            &[("person", &alice.to_string())],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let pin = page
        .body
        .split(r#"<span class="secret">"#)
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(pin.len(), 6, "{pin}");
    let keys = format!("{pin}#");
    eventually("Alice's new PIN opens", || opens(&sim, &keys)).await;
    // The history names her, not her slot, and the hub's own changes as the hub's.
    eventually("the history names Alice", || async {
        b.get(&w.state, &format!("/locks/{lock}/history"))
            .await
            .body
            .contains(r#"<td data-label="Who">Alice</td>"#)
    })
    .await;
    let history = b.get(&w.state, &format!("/locks/{lock}/history")).await;
    assert!(
        history
            .body
            .contains(r#"<td data-label="Who">the hub (app, API or CLI)</td>"#),
        "{}",
        history.body
    );
    assert!(!opens(&sim, "271828#").await, "Alice's pre-reset PIN");
    assert!(!opens(&sim, "314159#").await, "Bob was not chosen");
    let wizard = b.get(&w.state, &format!("/locks/{lock}/recover")).await;
    assert!(
        !wizard.body.contains(&format!(r#"value="{alice}""#)),
        "Alice is back"
    );
    assert!(
        wizard.body.contains(&format!(r#"value="{bob}""#)),
        "Bob may still come back"
    );

    // Step 3: the verification, live until its verdict.
    let page = b
        .post(&w.state, &format!("/locks/{lock}/recover/verify"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let report = page.location().unwrap().to_owned();
    assert!(report.starts_with("/verifications/"), "{report}");
    eventually("a verdict", || async {
        let v = verdict(&b.get(&w.state, &report).await);
        v.contains("passed") || v.contains("failed")
    })
    .await;
    let done = b.get(&w.state, &report).await;
    assert!(verdict(&done).contains("passed"), "{}", done.body);
    assert!(
        done.body.contains(XSS_ESCAPED) && !done.body.contains(XSS),
        "Bob, removed, escaped"
    );
    let print = b.get(&w.state, &format!("{report}/print")).await;
    assert_eq!(print.status, StatusCode::OK);
    assert!(print.body.contains("PASSED"), "{}", print.body);
    assert!(!print.body.contains(XSS));

    // Another organisation sees none of it.
    let other = org_in(&w.state.service, &unique("other")).await;
    let outsider = Browser::new(other.token(tumbler_hub::model::Role::Owner));
    for path in [
        report.clone(),
        format!("{report}/print"),
        format!("/locks/{lock}/recover"),
    ] {
        let page = outsider.get(&w.state, &path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
    }
}
