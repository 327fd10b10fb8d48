//! Journey: a manager changes lock 2's auto-relock time on its Settings
//! tab; the page says the change is on its way, and once the lock confirms
//! it shows the lock's reported value (the page does not update by
//! itself: the story reloads it), which the lock's own `status` agrees
//! with at the door.

use fantoccini::Locator;
use tokio::time::Instant;

use super::driver::Browser;
use super::hub::{Up, ADMIN_EMAIL};

/// The help line under the auto-relock time input.
const AUTO_RELOCK: Locator<'static> =
    Locator::XPath("//form[@id='settings']//div[.//input[@name='auto_relock_time']]/p");

#[tokio::test]
async fn change_a_setting_and_see_the_lock_confirm_it() {
    let Some(tools) = super::tools().await else {
        return;
    };
    let started = Instant::now();
    let up = Up::start();
    let b = Browser::open(&tools, &up.url).await;
    b.sign_in(ADMIN_EMAIL, &up.password).await;

    b.goto("/locks/2").await;
    b.click("Settings").await;
    b.wait_path("/locks/2/settings").await;
    // The lock has reported its settings: 30 s out of the box.
    b.reload_until_text(AUTO_RELOCK, "Reported: 30.").await;
    b.axe("settings").await;

    b.fill("auto relock time", "75").await;
    b.click("Save changes").await;
    b.wait_text(
        Locator::Css("[role=status]"),
        "Sent to the lock: auto_relock_time",
    )
    .await;
    // Until the lock confirms, the page shows the change on its way (the
    // simulated lock may confirm before the page is drawn).
    let first = b.text(AUTO_RELOCK).await.unwrap_or_default();
    assert!(
        first.contains("On its way: 75.") || first.contains("Reported: 75."),
        "{first}"
    );
    let confirmed = b.reload_until_text(AUTO_RELOCK, "Reported: 75.").await;
    assert!(!confirmed.contains("On its way"), "{confirmed}");
    let value = b
        .client()
        .find(Locator::Css("input[name=auto_relock_time]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(value.as_deref(), Some("75"));
    b.shot("17-settings-confirmed").await;

    let mut door = up.console(&up.locks[1].serial).await;
    let status = door.send("status").await;
    assert!(status.contains("auto_relock_time 75s"), "{status}");

    b.close().await;
    eprintln!(
        "browser settings: {:?} (first seen after saving: {first:?})",
        started.elapsed()
    );
}
