//! Journey: someone factory resets lock 1 by holding its reset button; the
//! lock's page shows it reset (binding stale) as it happens, and the
//! recovery wizard takes the owner back to a lock the hub trusts: re-claim
//! with the setup code, bring the person back (a new PIN, shown once, that
//! opens the door), and a verification whose verdict is `passed`.

use fantoccini::Locator;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::driver::Browser;
use super::hub::{Up, ADMIN_EMAIL};

/// True when every door of the person (`GET /people/{id}`) is `set`.
fn all_set(person: &Value) -> bool {
    person["doors"]
        .as_array()
        .is_some_and(|d| !d.is_empty() && d.iter().all(|d| d["state"] == "set"))
}

#[tokio::test]
async fn factory_reset_at_the_door_then_recover_to_a_passing_report() {
    let Some(tools) = super::tools().await else {
        return;
    };
    let started = Instant::now();
    let up = Up::start();
    let lock = up.locks[0].clone();

    // Set-up through the API: Bo has a PIN on lock 1.
    let token = up.api_login(ADMIN_EMAIL, &up.password).await;
    let bo = up
        .api(Some(&token), "POST", "/people", json!({"name": "Bo"}))
        .await;
    let bo = bo["id"].as_i64().unwrap();
    let grant = json!({
        "lock_ids": [1],
        "schedule": {"kind": "permanent"},
        "credentials": [{"kind": "pin", "generate": true}],
    });
    up.api(Some(&token), "POST", &format!("/people/{bo}/access"), grant)
        .await;
    up.api_until(&token, &format!("/people/{bo}"), all_set)
        .await;

    let b = Browser::open(&tools, &up.url).await;
    b.sign_in(ADMIN_EMAIL, &up.password).await;
    b.goto("/locks/1").await;
    b.wait_text(Locator::Css("#lock-state"), &lock.serial).await;
    b.mark_page().await;

    // At the door: hold the reset button past the hold time.
    let mut door = up.console(&lock.serial).await;
    let answer = door.send("hold-reset 12s").await;
    assert!(answer.contains("factory reset done"), "{answer}");

    // The open page shows it without a reload.
    b.wait_text(Locator::Css("#lock-state"), "reset_binding_stale")
        .await;
    b.wait_text(Locator::Css("#lock-state"), "Recover after the reset")
        .await;
    b.assert_not_reloaded().await;
    b.axe("lock (reset)").await;
    b.shot("12-lock-reset").await;

    // Step 1: re-claim with the setup code from the lock's label.
    b.click("Recover after the reset").await;
    b.wait_path("/locks/1/recover").await;
    b.wait_text(Locator::Css("#step-reclaim"), "setup code")
        .await;
    b.axe("recover (step 1)").await;
    b.shot("13-recover-reclaim").await;
    b.fill("Setup code", &lock.setup_code).await;
    b.click("Re-claim").await;

    // Step 2: Bo is ticked; bring him back with a new PIN.
    b.wait_text(Locator::Css("[role=status]"), "Re-claimed")
        .await;
    b.wait_text(Locator::Css("#step-reenrol"), "Bo").await;
    b.axe("recover (step 2)").await;
    b.shot("14-recover-choose").await;
    let ticked = b
        .client()
        .find_all(Locator::Css("#step-reenrol input[name=person]:checked"))
        .await
        .unwrap();
    assert_eq!(ticked.len(), 1, "Bo is ticked by default");
    b.click("Bring them back").await;
    let pin = b
        .wait_text(Locator::Css("main table .secret"), "")
        .await
        .trim()
        .to_owned();
    assert!(
        pin.len() >= 4 && pin.chars().all(|c| c.is_ascii_digit()),
        "{pin:?}"
    );
    b.axe("recover (new PINs)").await;
    b.shot("15-recover-new-pin").await;

    // Step 3: once the lock has Bo back, the verification passes.
    up.api_until(&token, &format!("/people/{bo}"), |p| {
        p["doors"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["lock_id"] == 1 && d["state"] == "set"))
    })
    .await;
    b.click("Next: verify the lock").await;
    b.click("Start the verification").await;
    b.wait_path("/verifications/").await;
    b.wait_text(Locator::Css("#verdict"), "passed").await;
    b.axe("verification report").await;
    b.shot("16-verification-passed").await;

    // The new PIN opens the door.
    let answer = door.send(&format!("{pin}#")).await;
    assert!(answer.contains("access granted"), "{answer}");

    b.close().await;
    eprintln!("browser reset_recover: {:?}", started.elapsed());
}
