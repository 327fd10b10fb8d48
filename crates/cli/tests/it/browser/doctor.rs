//! Journey: lock 3's battery runs low at the door; its page shows the
//! level as it arrives, and Troubleshoot, asked about a lock that does not
//! respond, puts replacing the batteries at the top of its plan.

use fantoccini::Locator;
use tokio::time::Instant;

use super::driver::Browser;
use super::hub::{Up, ADMIN_EMAIL};

/// The steps of the plan, in order (DOM contract of `web/doctor.rs`).
const STEPS: Locator<'static> = Locator::Css("ol#plan > li");

#[tokio::test]
async fn a_low_battery_puts_the_batteries_first_in_the_plan() {
    let Some(tools) = super::tools().await else {
        return;
    };
    let started = Instant::now();
    let up = Up::start();
    let b = Browser::open(&tools, &up.url).await;
    b.sign_in(ADMIN_EMAIL, &up.password).await;
    b.goto("/locks/3").await;
    b.wait_text(Locator::Css("#lock-state"), &up.locks[2].serial)
        .await;

    let mut door = up.console(&up.locks[2].serial).await;
    door.send("battery 4%").await;
    // The state card follows the lock: the level arrives without a reload.
    b.wait_text(Locator::Css("#lock-state"), "4 %").await;

    b.click("Troubleshoot").await;
    b.wait_path("/locks/3/doctor").await;
    b.axe("troubleshoot").await;
    b.choose(
        "What is wrong?",
        "Nothing happens at the door or from the app",
    )
    .await;
    b.click("Show the plan").await;
    b.wait_path("/locks/3/doctor?symptom=does_not_respond")
        .await;
    let steps = b.wait_texts(STEPS, "a plan", |s| !s.is_empty()).await;
    let first = steps.first().unwrap();
    assert!(first.contains("Replace the batteries"), "{steps:#?}");
    let step = b
        .client()
        .find(Locator::Css("ol#plan > li:first-child"))
        .await
        .unwrap()
        .attr("data-step")
        .await
        .unwrap();
    assert_eq!(step.as_deref(), Some("batteries"));
    b.wait_text(Locator::Css("#findings"), "4").await;
    b.axe("troubleshoot (plan)").await;
    b.shot("18-doctor-plan").await;

    b.close().await;
    eprintln!("browser doctor: {:?}", started.elapsed());
}
