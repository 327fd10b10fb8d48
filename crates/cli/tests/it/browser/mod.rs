//! Browser tests: user stories of the web app in a real headless Chromium,
//! driven over WebDriver ([`fantoccini`] → `chromedriver`), against the real
//! `tumbler up` binary, with [axe-core](https://github.com/dequelabs/axe-core)
//! run inside the page and screenshots saved on the way.
//!
//! # Layout
//! - this file: finding the tools (Chromium, chromedriver, axe-core) and
//!   where screenshots go;
//! - [`hub`]: [`hub::Up`], one `tumbler up` (hub, broker, three simulated
//!   locks) in a temporary data directory, its admin login, the API for
//!   set-up steps, and [`hub::Console`] to act at a lock's door (keypad,
//!   thumb-turn, reset button: the lines of `tumbler sim console`);
//! - [`driver`]: [`driver::Browser`], one chromedriver + Chromium per test
//!   (own process group, killed on drop), with helpers that find things the
//!   way a person does (a field by its label, a button by its text), wait by
//!   polling with a deadline (never a fixed sleep), check the page with axe
//!   and take screenshots;
//! - [`axe`]: running axe-core in the page and reading its violations;
//! - one file per journey: [`sign_in`], [`live_lock`], [`other_org`],
//!   [`account`], [`grant_code`] (a PIN on three doors), [`reset_recover`]
//!   (factory reset at the door, then the recovery wizard),
//!   [`change_setting`], [`doctor`] (a low battery), [`live_stream`]
//!   (many pages in a row, back/forward cache on); [`every_page`], axe on
//!   every page the journeys do not visit; and [`harness`], which checks
//!   that axe does catch a broken page.
//!
//! # Adding a scenario
//! Add `browser/<journey>.rs` with a `mod` line below, and write:
//! ```ignore
//! #[tokio::test]
//! async fn a_manager_grants_access() {
//!     let Some(tools) = super::tools().await else { return }; // skip (or fail on CI)
//!     let up = Up::start();                                 // fresh hub per test
//!     let b = Browser::open(&tools, &up.url).await;
//!     b.sign_in(ADMIN_EMAIL, &up.password).await;
//!     b.goto("/people").await;
//!     b.fill("Name", "Sam <script>").await;
//!     b.click("Add person").await;
//!     b.wait_text(Locator::Css("main"), "Sam <script>").await;
//!     b.axe("people").await;                                // serious/critical fail
//!     b.shot("20-people").await;                            // NN-what.png
//!     let mut door = up.console(&up.locks[0].serial).await;  // at the door
//!     door.send("1234#").await;                             // keypad entry
//!     b.close().await;
//! }
//! ```
//! Each story starts its own hub (about 1 s) and browser (about 2 s): the
//! stories change what they find (passwords, bolts), so they share
//! nothing, and run one at a time ([`tools`] waits for the turn). A story
//! takes 4–7 s on two cores.
//! Screenshot numbers are global (01–20 are taken here); pick the next
//! free numbers for a new journey so `docs/screenshots/` reads in order.
//!
//! # Tools and environment
//! - `TUMBLER_CHROMIUM` (default `/usr/bin/chromium`), `TUMBLER_CHROMEDRIVER`
//!   (default `/usr/bin/chromedriver`): Debian's `chromium` and
//!   `chromium-driver`.
//! - `TUMBLER_AXE_JS` (default [`DEFAULT_AXE_JS`]): `axe.min.js`, installed
//!   by `.ci/run` from npm at a pinned version.
//! - A missing tool skips the tests with a message, except with `CI=true`,
//!   where it fails them.
//! - Screenshots go to `target/screenshots/`, and also to
//!   `$TUMBLER_SCREENSHOTS` when set (relative to the workspace root):
//!   `scripts/browser-screenshots.sh` refreshes the committed set this way.

mod account;
pub mod axe;
mod change_setting;
mod doctor;
pub mod driver;
mod every_page;
mod grant_code;
mod harness;
pub mod hub;
mod live_lock;
mod live_stream;
mod other_org;
mod reset_recover;
mod sign_in;

use std::path::{Path, PathBuf};

/// Where `.ci/run` installs axe-core's browser bundle.
pub const DEFAULT_AXE_JS: &str = "/opt/tumbler-ci/node_modules/axe-core/axe.min.js";

/// Browser stories run one at a time (other tests still run beside them):
/// on a loaded two-core machine, four hubs and four Chromiums at once make
/// every wait slower and no run faster.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The browser, its driver and axe-core's source, found on this machine;
/// holding it is this test's turn to use them.
pub struct Tools {
    /// The Chromium binary.
    pub chromium: PathBuf,
    /// The matching chromedriver.
    pub chromedriver: PathBuf,
    /// `axe.min.js`, injected into each page checked.
    pub axe_js: String,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

fn path_from(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// The tools, once it is this test's turn; or `None` (after saying why)
/// when one is missing and this is not CI; on CI a missing tool fails the
/// test.
pub async fn tools() -> Option<Tools> {
    let chromium = path_from("TUMBLER_CHROMIUM", "/usr/bin/chromium");
    let chromedriver = path_from("TUMBLER_CHROMEDRIVER", "/usr/bin/chromedriver");
    let axe = path_from("TUMBLER_AXE_JS", DEFAULT_AXE_JS);
    let mut missing = Vec::new();
    for (what, p, how) in [
        ("Chromium", &chromium, "apt-get install chromium"),
        (
            "chromedriver",
            &chromedriver,
            "apt-get install chromium-driver",
        ),
    ] {
        if !p.is_file() {
            missing.push(format!("{what} ({}; {how})", p.display()));
        }
    }
    let axe_js = std::fs::read_to_string(&axe).ok();
    if axe_js.is_none() {
        missing.push(format!(
            "axe-core ({}; set TUMBLER_AXE_JS, or run `npm install --no-save --prefix /opt/tumbler-ci axe-core`)",
            axe.display()
        ));
    }
    match axe_js {
        Some(axe_js) if missing.is_empty() => Some(Tools {
            chromium,
            chromedriver,
            axe_js,
            _turn: ONE_AT_A_TIME.lock().await,
        }),
        _ => {
            let why = format!("browser test needs {}", missing.join(", "));
            assert!(!tumbler_testkit::ci(), "CI=true: {why}");
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// The workspace root (screenshot paths are relative to it).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every directory a screenshot is written to: `target/screenshots` (next
/// to this test binary's `debug` folder) and `$TUMBLER_SCREENSHOTS`.
pub fn screenshot_dirs() -> Vec<PathBuf> {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/it-HASH → target
    let target = exe
        .ancestors()
        .nth(3)
        .map_or_else(|| workspace().join("target"), Path::to_path_buf);
    let mut dirs = vec![target.join("screenshots")];
    if let Some(extra) = std::env::var_os("TUMBLER_SCREENSHOTS").filter(|v| !v.is_empty()) {
        dirs.push(workspace().join(extra));
    }
    dirs
}
