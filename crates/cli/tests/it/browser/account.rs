//! Journey: a person changes their password on their account page, signs
//! out, finds the old password refused and signs in with the new one.

use fantoccini::Locator;
use tokio::time::Instant;

use super::driver::Browser;
use super::hub::{Up, ADMIN_EMAIL};

#[tokio::test]
async fn change_password_sign_out_and_back_in() {
    let Some(tools) = super::tools().await else {
        return;
    };
    let started = Instant::now();
    let up = Up::start();
    let b = Browser::open(&tools, &up.url).await;
    b.sign_in(ADMIN_EMAIL, &up.password).await;

    b.click("Account").await;
    b.wait_path("/account").await;
    b.wait_text(Locator::Css("h1"), "Your account").await;
    b.axe("account").await;

    let new = "a much longer passphrase 42";
    b.fill("Current password", &up.password).await;
    b.fill("New password", new).await;
    b.click("Change password").await;
    b.wait_text(Locator::Css("[role=status]"), "Password changed")
        .await;
    b.shot("08-account").await;

    b.click("Sign out").await;
    b.wait_path("/login").await;
    b.wait_text(Locator::Css("[role=status]"), "Signed out.")
        .await;

    // The old password no longer works; the new one does.
    b.fill("E-mail", ADMIN_EMAIL).await;
    b.fill("Password", &up.password).await;
    b.click("Sign in").await;
    b.wait_text(Locator::Css("[role=alert]"), "Wrong e-mail or password.")
        .await;
    b.sign_in(ADMIN_EMAIL, new).await;
    assert_eq!(b.path().await, "/");

    b.close().await;
    eprintln!("browser account: {:?}", started.elapsed());
}
