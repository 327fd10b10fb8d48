//! Journey: a person opens the hub, is sent to sign in, mistypes the
//! password, signs in with the one `tumbler up` printed, and sees the three
//! simulated locks on the dashboard, on a desktop and on a phone.

use fantoccini::Locator;
use tokio::time::Instant;

use super::driver::{Browser, PHONE};
use super::hub::{Up, ADMIN_EMAIL};

#[tokio::test]
async fn sign_in_and_see_the_demo_locks() {
    let Some(tools) = super::tools().await else {
        return;
    };
    let started = Instant::now();
    let up = Up::start();
    let b = Browser::open(&tools, &up.url).await;

    // Not signed in: the dashboard sends the browser to the sign-in form.
    b.goto("/").await;
    b.wait_path("/login").await;
    b.axe("sign in").await;
    b.shot("01-sign-in").await;

    // A wrong password is refused, with the reason announced.
    b.fill("E-mail", ADMIN_EMAIL).await;
    b.fill("Password", "not the password").await;
    b.click("Sign in").await;
    b.wait_text(Locator::Css("[role=alert]"), "Wrong e-mail or password.")
        .await;

    b.sign_in(ADMIN_EMAIL, &up.password).await;
    assert_eq!(b.path().await, "/");
    for lock in &up.locks {
        b.wait_text(Locator::Css("main"), &lock.serial).await;
    }
    let rows = b
        .client()
        .find_all(Locator::Css("table.locks tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    b.wait_text(Locator::Css("main"), "3 locks").await;
    b.axe("dashboard").await;
    b.shot("02-dashboard").await;

    // The same page on a phone: the table becomes cards.
    b.size(PHONE).await;
    b.axe("dashboard (phone)").await;
    b.shot("03-dashboard-phone").await;

    b.close().await;
    eprintln!("browser sign_in: {:?}", started.elapsed());
}
