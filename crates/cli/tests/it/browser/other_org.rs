//! Journey: the owner of another organisation on the same hub signs in and
//! finds none of the first organisation's locks, not even by typing a
//! lock's address.

use fantoccini::Locator;
use tokio::time::Instant;

use super::driver::Browser;
use super::hub::Up;

#[tokio::test]
async fn another_organisation_sees_none_of_the_locks() {
    let Some(tools) = super::tools().await else {
        return;
    };
    let started = Instant::now();
    let up = Up::start();
    let email = "owner@other.example";
    let password = up.create_org("Other Co", email).await;
    let b = Browser::open(&tools, &up.url).await;
    b.sign_in(email, &password).await;

    assert_eq!(b.path().await, "/");
    let main = b.wait_text(Locator::Css("main"), "0 locks").await;
    for lock in &up.locks {
        assert!(!main.contains(&lock.serial), "{main}");
    }
    b.shot("06-other-org-dashboard").await;

    // Lock 1 is the first organisation's: not found, nothing shown of it.
    b.goto("/locks/1").await;
    b.wait_text(Locator::Css("h1"), "Not found").await;
    let body = b.text(Locator::Css("body")).await.unwrap();
    for lock in &up.locks {
        assert!(!body.contains(&lock.serial), "{body}");
    }
    b.axe("not found").await;
    b.shot("07-not-found").await;

    b.close().await;
    eprintln!("browser other_org: {:?}", started.elapsed());
}
