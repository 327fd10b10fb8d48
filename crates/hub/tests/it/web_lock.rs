//! A lock's pages beyond its overview through the router: history, who can
//! open, settings, troubleshooting, resets, the recovery wizard and the
//! verification report — roles, organisation scope, CSRF, bad input that
//! changes nothing, and escaping of what users typed.

use axum::http::StatusCode;
use serde_json::json;
use tumbler_hub::control::proto::Settings;
use tumbler_hub::model::{OpName, Role};
use tumbler_hub::settings::to_named;
use tumbler_testkit::fixtures::{org, principal, OrgFixture};
use tumbler_testkit::web::Browser;
use tumbler_testkit::TestApp;

const XSS: &str = "<script>alert(1)</script>";
const XSS_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

/// Every page of lock `id` (path, roles that may see it).
fn pages(id: i64) -> Vec<String> {
    [
        "/history",
        "/access",
        "/settings",
        "/doctor",
        "/doctor?symptom=code_refused",
        "/reset",
        "/reset/confirm?action=factory",
        "/reset/confirm?action=transfer",
        "/recover",
    ]
    .iter()
    .map(|s| format!("/locks/{id}{s}"))
    .collect()
}

async fn ops(app: &TestApp, a: &OrgFixture) -> Vec<tumbler_hub::model::Operation> {
    let owner = principal(app, a.token(Role::Owner)).await;
    app.service()
        .list_operations(&owner, Some(a.lock_id), None, None)
        .await
        .unwrap()
}

/// The fixture lock, as if it had reported its settings.
async fn reported(app: &TestApp, a: &OrgFixture) {
    let now = app.service().now_ms();
    app.service()
        .store()
        .set_lock_settings(a.lock_id, &to_named(&Settings::default()), now)
        .await
        .unwrap();
}

#[tokio::test]
async fn every_page_renders_for_an_owner_and_escapes_the_lock_name() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let evil = app
        .service()
        .bind_lock(a.org_id, a.site_id, "acme-lock-2", XSS)
        .await
        .unwrap();
    app.service()
        .ingest_event(
            "acme-lock-2",
            1,
            "unlock",
            app.service().now_ms(),
            &json!({"who": {"User": 3}, "how": "Keypad", "result": "Ok"}),
        )
        .await
        .unwrap();
    let owner = Browser::new(a.token(Role::Owner));
    for path in pages(evil.id) {
        let page = owner.get(&app, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(page.body.contains(XSS_ESCAPED), "{path}: {}", page.body);
        assert!(!page.body.contains(XSS), "{path} runs the name");
    }
    let history = owner
        .get(&app, &format!("/locks/{}/history", evil.id))
        .await;
    assert!(history.body.contains("user slot 3"), "{}", history.body);
    assert!(history.body.contains("keypad"), "{}", history.body);
    let settings = owner
        .get(&app, &format!("/locks/{}/settings", evil.id))
        .await;
    assert!(settings.body.contains(r#"id="settings""#));
    for name in ["auto_relock_time", "sound_volume", "operating_mode"] {
        assert!(
            settings.body.contains(&format!(r#"name="{name}""#)),
            "{name}: {}",
            settings.body
        );
    }
    let bad = owner
        .get(
            &app,
            &format!("/locks/{}/reset/confirm?action=explode", evil.id),
        )
        .await;
    assert!(bad.status.is_client_error(), "{}", bad.status);
    let reset = owner.get(&app, &format!("/locks/{}/reset", evil.id)).await;
    for what in [
        "<dialog",
        "credentials (PINs, cards, fingerprints, app keys)",
        "acme-lock-2",
        "name=\"confirm\"",
    ] {
        assert!(reset.body.contains(what), "{what}: {}", reset.body);
    }
}

#[tokio::test]
async fn weaker_roles_are_refused_and_another_organisation_sees_nothing() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let other = org(&app, "globex").await;
    let id = a.lock_id;
    let outsider = Browser::new(other.token(Role::Owner));
    for path in pages(id) {
        let page = outsider.get(&app, &path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
        assert!(!page.body.contains("Front door"), "{path}");
        assert!(!page.body.contains(&a.serial), "{path}");
    }
    let before = ops(&app, &a).await.len();
    for (path, fields) in [
        (
            format!("/locks/{id}/settings"),
            vec![("auto_relock_time", "90")],
        ),
        (
            format!("/locks/{id}/reset/factory"),
            vec![("confirm", a.serial.as_str())],
        ),
        (
            format!("/locks/{id}/reset/release"),
            vec![("confirm", a.serial.as_str())],
        ),
        (format!("/locks/{id}/recover/verify"), vec![]),
    ] {
        let page = outsider.post(&app, &path, &fields).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
    }

    let installer = Browser::new(a.token(Role::Installer));
    for suffix in ["/history", "/access", "/doctor", "/reset", "/recover"] {
        let page = installer.get(&app, &format!("/locks/{id}{suffix}")).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{suffix}: {}",
            page.body
        );
    }
    let page = installer.get(&app, &format!("/locks/{id}/settings")).await;
    assert_eq!(page.status, StatusCode::OK, "installers read settings");
    assert!(!page.body.contains("Save changes"), "{}", page.body);
    let support = Browser::new(a.token(Role::Support));
    let page = support.get(&app, &format!("/locks/{id}/history")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for (b, path, fields) in [
        (
            &installer,
            format!("/locks/{id}/settings"),
            vec![("auto_relock_time", "90")],
        ),
        (
            &support,
            format!("/locks/{id}/reset/factory"),
            vec![("confirm", a.serial.as_str())],
        ),
        (
            &support,
            format!("/locks/{id}/recover/reenrol"),
            vec![("person", "1")],
        ),
    ] {
        let page = b.post(&app, &path, &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
    }
    // Managers do not transfer or reset with a manufacturer token.
    let manager = Browser::new(a.token(Role::Manager));
    for action in ["transfer", "manufacturer"] {
        let page = manager
            .post(
                &app,
                &format!("/locks/{id}/reset/{action}"),
                &[("confirm", a.serial.as_str()), ("to_org", "2")],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{action}: {}",
            page.body
        );
    }
    let page = manager.get(&app, &format!("/locks/{id}/reset")).await;
    assert!(!page.body.contains("/reset/transfer"), "{}", page.body);
    assert_eq!(ops(&app, &a).await.len(), before, "nothing queued");
}

#[tokio::test]
async fn a_form_without_its_csrf_token_changes_nothing() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    reported(&app, &a).await;
    let owner = Browser::new(a.token(Role::Owner));
    let id = a.lock_id;
    let before = ops(&app, &a).await.len();
    for (path, fields) in [
        (
            format!("/locks/{id}/settings"),
            vec![("auto_relock_time", "90")],
        ),
        (
            format!("/locks/{id}/reset/factory"),
            vec![("confirm", a.serial.as_str())],
        ),
        (format!("/locks/{id}/recover/verify"), vec![]),
    ] {
        let page = owner.post_raw(&app, &path, &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
    }
    assert_eq!(ops(&app, &a).await.len(), before);
}

#[tokio::test]
async fn a_settings_change_queues_one_operation_and_a_bad_value_none() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    reported(&app, &a).await;
    let owner = Browser::new(a.token(Role::Owner));
    let path = format!("/locks/{}/settings", a.lock_id);
    let before = ops(&app, &a).await.len();
    // The whole form, as a browser sends it: only auto_relock_time differs.
    let form = [
        ("auto_relock_time", "90"),
        ("sound_volume", "low"),
        ("wrong_code_entry_limit", "5"),
        ("enable_one_touch_locking", "true"),
        ("operating_mode", ""),
    ];
    for bad in [
        vec![("auto_relock_time", "999999")],
        vec![("auto_relock_time", "soon")],
        vec![("sound_volume", "deafening")],
        vec![("no_such_setting", "1")],
    ] {
        let page = owner.post(&app, &path, &bad).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}: {}",
            page.body
        );
    }
    assert_eq!(
        ops(&app, &a).await.len(),
        before,
        "a bad value queues nothing"
    );
    let page = owner.post(&app, &path, &form).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let after = ops(&app, &a).await;
    assert_eq!(after.len(), before + 1, "one operation");
    let op = after
        .iter()
        .find(|o| o.kind == OpName::SetSettings)
        .unwrap();
    assert_eq!(
        op.params["changes"],
        json!({"auto_relock_time": 90}),
        "only what changed"
    );
    // The page shows the change on its way; the same form again changes nothing.
    let shown = owner.get(&app, &path).await;
    assert!(shown.body.contains("On its way: 90"), "{}", shown.body);
    let again = owner.post(&app, &path, &form).await;
    assert!(
        again.location().unwrap().contains("Nothing+changed"),
        "{:?}",
        again.location()
    );
    assert_eq!(ops(&app, &a).await.len(), before + 1);
}

#[tokio::test]
async fn a_factory_reset_without_the_right_serial_changes_nothing_and_says_so() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let owner = Browser::new(a.token(Role::Owner));
    let path = format!("/locks/{}/reset/factory", a.lock_id);
    let before = ops(&app, &a).await.len();
    for wrong in ["", "acme-lock-9", "Front door"] {
        let page = owner.post(&app, &path, &[("confirm", wrong)]).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{wrong}: {}",
            page.body
        );
        assert!(page.body.contains("Nothing was changed"), "{}", page.body);
        assert!(page.body.contains(&a.serial), "names the serial to type");
        assert!(page.body.contains("role=\"alert\""));
    }
    assert_eq!(ops(&app, &a).await.len(), before);
    let page = owner
        .post(&app, &path, &[("confirm", a.serial.as_str())])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(
        page.location()
            .unwrap()
            .starts_with(&format!("/locks/{}/recover", a.lock_id)),
        "{:?}",
        page.location()
    );
    let after = ops(&app, &a).await;
    assert_eq!(after.len(), before + 1);
    assert!(after.iter().any(|o| o.kind == OpName::FactoryReset));
}

#[tokio::test]
async fn the_doctor_puts_the_batteries_in_the_plan_of_a_lock_with_a_low_battery() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    app.service()
        .lock_telemetry(&a.serial, Some(5), 0)
        .await
        .unwrap();
    let support = Browser::new(a.token(Role::Support));
    let page = support
        .get(
            &app,
            &format!("/locks/{}/doctor?symptom=does_not_respond", a.lock_id),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let plan = page
        .body
        .split(r#"<ol id="plan">"#)
        .nth(1)
        .expect("ol#plan");
    let plan = plan.split("</ol>").next().unwrap();
    assert!(plan.contains(r#"data-step="batteries""#), "{plan}");
    assert!(plan.contains("Replace the batteries"), "{plan}");
    let checked = support
        .get(
            &app,
            &format!("/locks/{}/doctor?check=batteries", a.lock_id),
        )
        .await;
    assert!(checked.body.contains("still 5 %"), "{}", checked.body);
    let bad = support
        .get(
            &app,
            &format!("/locks/{}/doctor?symptom=on_fire", a.lock_id),
        )
        .await;
    assert!(bad.status.is_client_error(), "{}", bad.status);
}

#[tokio::test]
async fn history_pages_back_through_every_event_once() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let t0 = app.service().now_ms() - 3_600_000;
    // 70 events, the lock logging whole seconds: several share one.
    for seq in 1..=70i64 {
        app.service()
            .ingest_event(
                &a.serial,
                seq,
                "unlock",
                t0 + (seq / 3) * 1000,
                &json!({"who": {"User": seq}, "how": "Card", "result": {"Denied": 2}}),
            )
            .await
            .unwrap();
    }
    let support = Browser::new(a.token(Role::Support));
    let mut path = format!("/locks/{}/history", a.lock_id);
    let mut seen = Vec::new();
    for _ in 0..5 {
        let page = support.get(&app, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("refused (2)"), "{}", page.body);
        for part in page.body.split("user slot ").skip(1) {
            let n: i64 = part.split('<').next().unwrap().parse().unwrap();
            seen.push(n);
        }
        match page
            .body
            .split(r#"rel="next""#)
            .next()
            .and_then(|b| b.rsplit("href=\"").next())
        {
            Some(href) if page.body.contains(r#"rel="next""#) => {
                path = href.split('"').next().unwrap().replace("&amp;", "&");
            }
            _ => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no event twice: {seen:?}");
    assert_eq!(sorted, (1..=70).collect::<Vec<_>>(), "every event once");
    assert_eq!(seen.first(), Some(&70), "newest first");
    let bad = support
        .get(
            &app,
            &format!("/locks/{}/history?before=yesterday", a.lock_id),
        )
        .await;
    assert!(bad.status.is_client_error(), "{}", bad.status);
}

#[tokio::test]
async fn a_lock_that_asks_for_a_pin_gets_one_with_unlock_and_restart_keeps_everything() {
    let app = TestApp::sqlite().await.unwrap();
    let a = org(&app, "acme").await;
    let b = Browser::new(a.token(Role::Owner));
    let page = b.get(&app, &format!("/locks/{}", a.lock_id)).await;
    assert!(
        !page.body.contains(r#"name="pin""#),
        "no PIN asked by default"
    );
    let settings = Settings {
        require_pin_for_remote: true,
        ..Settings::default()
    };
    let now = app.service().now_ms();
    app.service()
        .store()
        .set_lock_settings(a.lock_id, &to_named(&settings), now)
        .await
        .unwrap();
    let page = b.get(&app, &format!("/locks/{}", a.lock_id)).await;
    assert!(page.body.contains(r#"name="pin""#), "{}", page.body);
    let path = format!("/locks/{}/operate", a.lock_id);
    let sent = b
        .post(&app, &path, &[("kind", "unlock"), ("pin", "4826")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let queued = ops(&app, &a).await;
    assert_eq!(queued.first().map(|o| o.kind), Some(OpName::Unlock));
    assert!(
        !format!("{queued:?}").contains("4826"),
        "the PIN is not stored in the clear"
    );
    // The reset page offers a restart first; it queues a reboot.
    let reset = b.get(&app, &format!("/locks/{}/reset", a.lock_id)).await;
    assert!(reset.body.contains("Restart the lock"), "{}", reset.body);
    let restart = b.post(&app, &path, &[("kind", "reboot")]).await;
    assert_eq!(restart.status, StatusCode::SEE_OTHER);
    assert_eq!(
        ops(&app, &a).await.first().map(|o| o.kind),
        Some(OpName::Reboot)
    );
    let bad = b.post(&app, &path, &[("kind", "factory_reset")]).await;
    assert_eq!(
        bad.status,
        StatusCode::BAD_REQUEST,
        "no reset through the quick form"
    );
}
