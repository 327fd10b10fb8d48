//! axe-core on every kind of page the journeys do not already check, each
//! with something on it (a person with access on lock 1, a low-battery
//! alert, an audit trail): alerts, audit, admin, people, a person,
//! holidays, revoking everyone, a lock's history, who can open it, its
//! reset page with the factory-reset dialog open, the reset confirmation
//! page, the account page, the hotel front desk, a room's history, offline
//! codes, rentals and webhooks; on a desktop, and the busiest on a phone.

use fantoccini::Locator;
use serde_json::json;
use tokio::time::Instant;

use super::driver::{Browser, DESKTOP, PHONE};
use super::hub::{Up, ADMIN_EMAIL};

#[tokio::test]
async fn axe_finds_nothing_serious_on_any_page() {
    let Some(tools) = super::tools().await else {
        return;
    };
    let started = Instant::now();
    let up = Up::start();

    // Something on every page: Cy can open lock 1 on weekdays, lock 3's
    // battery is low (an alert).
    let token = up.api_login(ADMIN_EMAIL, &up.password).await;
    let cy = up
        .api(Some(&token), "POST", "/people", json!({"name": "Cy"}))
        .await;
    let cy = cy["id"].as_i64().unwrap();
    let grant = json!({
        "lock_ids": [1],
        "schedule": {"kind": "weekly", "windows": [{"days": "mon,tue,wed,thu,fri", "start": "08:00", "end": "18:00"}]},
        "credentials": [{"kind": "pin", "generate": true}, {"kind": "card", "uid": "04a1b2c3"}],
    });
    up.api(Some(&token), "POST", &format!("/people/{cy}/access"), grant)
        .await;
    // Lock 1 is also hotel room 101 (its room history page exists).
    up.api(Some(&token), "PUT", "/locks/1/room", json!({"door": 101}))
        .await;
    let mut door = up.console(&up.locks[2].serial).await;
    door.send("battery 15%").await;

    let b = Browser::open(&tools, &up.url).await;
    b.sign_in(ADMIN_EMAIL, &up.password).await;

    b.goto("/alerts").await;
    b.wait_text(Locator::Css("#alert-list"), "battery").await;
    b.axe("alerts").await;
    b.size(PHONE).await;
    b.axe("alerts (phone)").await;
    b.shot("19-alerts-phone").await;
    b.size(DESKTOP).await;

    let person = format!("/people/{cy}");
    let pages = [
        ("/audit", "Audit trail", "audit"),
        ("/admin", "Admin", "admin"),
        ("/people", "People", "people"),
        (person.as_str(), "Cy", "a person"),
        ("/holidays", "Holidays", "holidays"),
        (
            "/access/revoke-all",
            "Revoke everyone",
            "revoke everyone: confirmation",
        ),
        ("/locks/1/history", "History", "lock history"),
        ("/locks/1/access", "Who can open", "who can open"),
        (
            "/locks/1/reset/confirm?action=factory",
            "Factory reset",
            "reset confirmation page",
        ),
        ("/account", "Your account", "account"),
        ("/sites/1/front-desk", "Front desk", "hotel front desk"),
        ("/locks/1/room-history", "Room history", "room history"),
        ("/locks/1/offline-codes", "Offline codes", "offline codes"),
        ("/rentals", "Rentals", "rentals"),
        ("/webhooks", "Webhooks", "webhooks"),
    ];
    for (path, h1, name) in pages {
        b.goto(path).await;
        b.wait_text(Locator::Css("h1"), h1).await;
        b.axe(name).await;
    }

    // The reset page, with the factory-reset dialog open.
    b.goto("/locks/1/reset").await;
    b.wait_text(Locator::Css("h1"), "Reset").await;
    b.axe("reset").await;
    b.click("Factory reset from the app…").await;
    b.wait_text(
        Locator::Css("dialog#dialog-factory[open]"),
        "The lock erases",
    )
    .await;
    b.axe("reset (factory-reset dialog open)").await;
    b.shot("20-reset-dialog").await;

    b.close().await;
    eprintln!("browser every_page: {:?}", started.elapsed());
}
