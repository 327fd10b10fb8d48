//! Journey: a person opens a lock from the dashboard and unlocks and locks
//! it; the page follows the lock's real state without reloading (htmx +
//! server-sent events), also when someone turns the knob at the door.

use fantoccini::Locator;
use serde_json::Value;
use tokio::time::Instant;

use super::driver::{Browser, PHONE};
use super::hub::{Up, ADMIN_EMAIL};

/// The bolt badge of the lock page's state card.
const BOLT: Locator<'static> = Locator::XPath(
    "//*[@id='lock-state']//span[starts-with(normalize-space(.), 'Bolt')]/span[contains(@class, 'badge')]",
);

/// A mark set on the page's `window`: still there means no reload happened.
async fn still_same_page(b: &Browser) {
    let same = b
        .client()
        .execute("return window.__tumblerNoReload === 42;", vec![])
        .await
        .unwrap();
    assert_eq!(same, Value::Bool(true), "the page was reloaded");
}

#[tokio::test]
async fn unlock_and_lock_update_the_page_live() {
    let Some(tools) = super::tools().await else {
        return;
    };
    let started = Instant::now();
    let up = Up::start();
    let b = Browser::open(&tools, &up.url).await;
    b.sign_in(ADMIN_EMAIL, &up.password).await;

    // Open the first demo lock from its dashboard row.
    let serial = up.locks[0].serial.clone();
    let row = format!("//tr[contains(., '{serial}')]//a");
    b.client()
        .find(Locator::XPath(&row))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_path("/locks/").await;
    b.wait_text(Locator::Css("#lock-state"), &serial).await;
    b.client()
        .execute("window.__tumblerNoReload = 42;", vec![])
        .await
        .unwrap();
    b.axe("lock").await;

    b.click("Unlock").await;
    b.wait_text_is(BOLT, "unlocked").await;
    still_same_page(&b).await;
    b.shot("04-lock-unlocked").await;

    b.click("Lock").await;
    b.wait_text_is(BOLT, "locked").await;
    still_same_page(&b).await;

    // Someone inside turns the knob: the page shows it too.
    let mut door = up.console(&serial).await;
    door.send("thumb-turn").await;
    b.wait_text_is(BOLT, "unlocked").await;
    still_same_page(&b).await;

    b.size(PHONE).await;
    b.axe("lock (phone)").await;
    b.shot("05-lock-phone").await;

    b.close().await;
    eprintln!("browser live_lock: {:?}", started.elapsed());
}
