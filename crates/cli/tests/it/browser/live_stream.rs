//! Journey: a person goes from page to page in Chromium as it ships (back/
//! forward cache on). Each page opens the live stream; a page left behind
//! must not keep it, or after six pages (Chromium's connections per host)
//! the next one waits for a connection to free up (about 60 s).
//!
//! The pages close their stream on `pagehide` (`crates/hub/assets/app.js`);
//! without that this test waits about 60 s on the seventh page and fails.

use std::time::Duration;

use fantoccini::Locator;
use tokio::time::Instant;

use super::driver::Browser;
use super::hub::{Up, ADMIN_EMAIL};

#[tokio::test]
async fn ten_pages_in_a_row_each_load_at_once() {
    let Some(tools) = super::tools().await else {
        return;
    };
    let up = Up::start();
    let b = Browser::open(&tools, &up.url).await;
    b.sign_in(ADMIN_EMAIL, &up.password).await;
    for i in 0..10 {
        let (path, h1) = if i % 2 == 0 {
            ("/people", "People")
        } else {
            ("/alerts", "Alerts")
        };
        let t = Instant::now();
        b.goto(path).await;
        b.wait_text(Locator::Css("h1"), h1).await;
        let took = t.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "page {} ({path}) took {took:?}",
            i + 1
        );
    }
    b.close().await;
}
