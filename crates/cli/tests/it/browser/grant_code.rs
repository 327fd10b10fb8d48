//! Journey: a manager adds a person, gives them a generated PIN on all
//! three doors for always, reads the PIN once on the answer page, and
//! watches every door turn `set` without reloading — lock 3, without
//! power when the access is given, once its battery is back; the PIN then
//! opens lock 2 at its keypad, and the person's page lists every door as
//! set.

use fantoccini::Locator;
use tokio::time::Instant;

use super::driver::{Browser, DESKTOP, PHONE};
use super::hub::{Up, ADMIN_EMAIL};

/// The state cell of every door of a batch page (DOM contract of
/// `web/access_batch.rs`).
const DOOR_STATES: Locator<'static> = Locator::Css("table#doors tr[data-lock] td.door-state");

/// A name that would run if the page did not escape it.
const NAME: &str = "Ada <script>alert(1)</script>";

#[tokio::test]
async fn grant_a_code_on_three_doors_and_watch_them_turn_set() {
    let Some(tools) = super::tools().await else {
        return;
    };
    let started = Instant::now();
    let up = Up::start();
    let b = Browser::open(&tools, &up.url).await;
    b.sign_in(ADMIN_EMAIL, &up.password).await;

    b.click("People").await;
    b.wait_path("/people").await;
    b.axe("people").await;
    b.fill("Name", NAME).await;
    b.click("Add").await;
    // The name comes back as text (an executed script would open an
    // alert, and every WebDriver call after it would fail).
    b.wait_text(Locator::Css("h1"), NAME).await;
    let person = b.path().await;
    assert!(person.starts_with("/people/"), "{person}");
    b.axe("a person").await;

    b.click("Give access on doors").await;
    b.wait_text(Locator::Css("h1"), "Give access").await;
    b.axe("grant form").await;
    b.size(PHONE).await;
    b.axe("grant form (phone)").await;
    b.shot("09-grant-form-phone").await;
    b.size(DESKTOP).await;

    // Lock 3 has had no power for a while (the hub knows it is offline)
    // when the access is given: its door waits.
    let mut lock3 = up.console(&up.locks[2].serial).await;
    lock3.send("pull-battery").await;
    let token = up.api_login(ADMIN_EMAIL, &up.password).await;
    up.api_until(&token, "/locks/3", |l| l["presence"] == "offline")
        .await;

    b.check("All locks").await;
    b.check("Generate a PIN").await;
    b.check("Always").await;
    b.click("Give access").await;

    // The answer page shows the generated PIN, once.
    let pin = b
        .wait_text(Locator::Css("section.once .secret"), "")
        .await
        .trim()
        .to_owned();
    assert!(
        pin.len() >= 4 && pin.chars().all(|c| c.is_ascii_digit()),
        "{pin:?}"
    );
    b.mark_page().await;
    b.axe("batch").await;
    for lock in [1, 2] {
        let cell = format!("table#doors tr[data-lock='{lock}'] td.door-state");
        b.wait_text_is(Locator::Css(&cell), "set").await;
    }
    let waiting = b
        .text(Locator::Css("table#doors tr[data-lock='3']"))
        .await
        .unwrap_or_default();
    assert!(
        waiting.contains("pending") && waiting.contains("offline: waits"),
        "{waiting:?}"
    );

    // Its battery back, lock 3 takes the change, and the page shows it.
    lock3.send("insert-battery").await;
    let states = b
        .wait_texts(DOOR_STATES, "three doors `set`", |s| {
            s.len() == 3 && s.iter().all(|t| t == "set")
        })
        .await;
    assert_eq!(states.len(), 3);
    b.wait_text(Locator::Css("#batch-doors [role=status]"), "Done")
        .await;
    b.assert_not_reloaded().await;
    b.shot("10-batch-set").await;

    // The PIN opens lock 2 at its keypad.
    let mut door = up.console(&up.locks[1].serial).await;
    let answer = door.send(&format!("{pin}#")).await;
    assert!(answer.contains("access granted"), "{answer}");

    // The person's page lists the three doors as set.
    b.goto(&person).await;
    let here = b
        .wait_texts(
            Locator::Css("table#person-doors tr[data-lock] td.door-state"),
            "three doors `set`",
            |s| s.len() == 3 && s.iter().all(|t| t == "set"),
        )
        .await;
    assert_eq!(here.len(), 3);
    // Shown once: the person's page does not show the PIN again.
    let main = b.text(Locator::Css("main")).await.unwrap();
    assert!(!main.contains(&pin), "{main}");
    b.shot("11-person-doors-set").await;

    b.close().await;
    eprintln!("browser grant_code: {:?}", started.elapsed());
}
