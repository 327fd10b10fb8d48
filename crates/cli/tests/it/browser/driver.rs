//! One headless Chromium per test, driven through its own chromedriver, and
//! the helpers stories are written with: find a field by its label and a
//! button by its text (as a person or a screen reader would), wait for text
//! by polling with a deadline, check the page with axe-core, save
//! screenshots. The chromedriver runs in its own process group; dropping
//! the [`Browser`] kills that group (driver and every Chromium process).

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::error::NewSessionError;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::time::{sleep, Instant};

use super::axe::Violation;
use super::Tools;

/// How long a wait polls before the test fails (generous: two cores shared
/// with other builds).
pub const DEADLINE: Duration = Duration::from_secs(15);
/// The pause between two polls (the poll, not the pause, decides).
const POLL: Duration = Duration::from_millis(100);
/// The desktop viewport every browser starts with.
pub const DESKTOP: (u32, u32) = (1280, 900);
/// A phone-sized window (an iPhone 12–15's CSS pixels).
pub const PHONE: (u32, u32) = (390, 844);

/// A headless Chromium showing the hub at `base`.
pub struct Browser {
    client: Client,
    base: String,
    axe_js: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// A port that was free a moment ago (chromedriver cannot take port 0).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Kills the process group led by `child` (chromedriver and the Chromium
/// it started), then reaps the child.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// An XPath string literal for `s`.
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(r#", "'", "#))
    }
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium as it
    /// ships (back/forward cache on; a [`DESKTOP`] viewport, a fresh
    /// profile) for the hub at `base`.
    pub async fn open(tools: &Tools, base: &str) -> Browser {
        Self::launch(tools, base, &[]).await
    }

    async fn launch(tools: &Tools, base: &str, extra: &[&str]) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--lang=en",
        ]
        .iter()
        .chain(extra)
        .map(|a| (*a).to_owned())
        .collect();
        args.push(format!("--window-size={},{}", DESKTOP.0, DESKTOP.1));
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let caps = json!({
            "goog:chromeOptions": { "binary": tools.chromium, "args": args }
        });
        let caps: Capabilities = serde_json::from_value(caps).unwrap();
        let mut last = String::new();
        // A port can be taken between finding it and chromedriver binding
        // it: then the driver exits and another port is tried.
        for _ in 0..3 {
            let port = free_port();
            let mut driver = Command::new(&tools.chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap();
            let deadline = Instant::now() + DEADLINE;
            loop {
                let tried = ClientBuilder::new(HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&format!("http://127.0.0.1:{port}"))
                    .await;
                match tried {
                    Ok(client) => {
                        let b = Browser {
                            client,
                            base: base.trim_end_matches('/').to_owned(),
                            axe_js: tools.axe_js.clone(),
                            driver,
                            _profile: profile,
                        };
                        b.size(DESKTOP).await;
                        return b;
                    }
                    Err(
                        e @ (NewSessionError::Failed(_)
                        | NewSessionError::FailedC(_)
                        | NewSessionError::Lost(_)),
                    ) => last = e.to_string(),
                    Err(e) => {
                        kill_group(&mut driver);
                        panic!("Chromium did not start: {e}");
                    }
                }
                if matches!(driver.try_wait(), Ok(Some(_))) || Instant::now() > deadline {
                    break;
                }
                sleep(POLL).await;
            }
            kill_group(&mut driver);
        }
        panic!("chromedriver did not answer: {last}");
    }

    /// The WebDriver client, for what the helpers below do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `path` of the hub (`/`, `/locks/1`).
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The current path and query (`/login?next=%2F`).
    pub async fn path(&self) -> String {
        let u = self.client.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    /// Resizes the page's viewport (`PHONE`, `DESKTOP`): the window is set,
    /// then grown by what the browser's own frame takes.
    pub async fn size(&self, (w, h): (u32, u32)) {
        self.client.set_window_size(w, h).await.unwrap();
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .unwrap();
        let dim = |i: usize| {
            inner[i]
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0)
        };
        let (extra_w, extra_h) = (w.saturating_sub(dim(0)), h.saturating_sub(dim(1)));
        if extra_w > 0 || extra_h > 0 {
            self.client
                .set_window_size(w + extra_w, h + extra_h)
                .await
                .unwrap();
        }
    }

    /// Types `value` into the field whose label starts with `label` (the
    /// label wraps the field, or names it with `for`), replacing its text.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// The field labelled `label` (see [`Browser::fill`]).
    async fn field(&self, label: &str) -> fantoccini::elements::Element {
        let l = xpath_literal(label);
        let lab = format!("//label[starts-with(normalize-space(.), {l})]");
        let xpath = format!(
            "{lab}//*[self::input or self::select or self::textarea] | //*[@id = {lab}/@for]"
        );
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no field labelled `{label}`: {e}"))
    }

    /// Ticks the checkbox or radio button whose label starts with `label`
    /// (left ticked if it already is).
    pub async fn check(&self, label: &str) {
        let field = self.field(label).await;
        if !field.is_selected().await.unwrap() {
            field.click().await.unwrap();
        }
    }

    /// Picks the option shown as `option` in the list labelled `label`.
    pub async fn choose(&self, label: &str, option: &str) {
        self.field(label)
            .await
            .select_by_label(option)
            .await
            .unwrap_or_else(|e| panic!("no option `{option}` in `{label}`: {e}"));
    }

    /// Clicks the (first) button or link whose text is `text`. A live page
    /// may swap the element out between finding and clicking it; then it
    /// is found again, until [`DEADLINE`].
    pub async fn click(&self, text: &str) {
        let t = xpath_literal(text);
        let xpath = format!(
            "//button[normalize-space(.) = {t}] | //a[normalize-space(.) = {t}] | //input[@type='submit' and @value = {t}]"
        );
        let deadline = Instant::now() + DEADLINE;
        loop {
            let tried = match self.client.find(Locator::XPath(&xpath)).await {
                Ok(el) => el.click().await,
                Err(e) => Err(e),
            };
            match tried {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => {
                    self.failure_shot(text).await;
                    panic!("cannot click `{text}` at {}: {e}", self.path().await);
                }
                Err(_) => sleep(POLL).await,
            }
        }
    }

    /// The visible text of the first element at `at`, if there is one.
    pub async fn text(&self, at: Locator<'_>) -> Option<String> {
        let el = self.client.find(at).await.ok()?;
        el.text().await.ok()
    }

    /// Waits until the first element at `at` shows text containing
    /// `needle`, and returns that text; after [`DEADLINE`] the test fails
    /// with what was there (and a `failure-…` screenshot).
    pub async fn wait_text(&self, at: Locator<'_>, needle: &str) -> String {
        self.wait_for_text(at, &format!("text containing `{needle}`"), |t| {
            t.contains(needle)
        })
        .await
    }

    /// [`Browser::wait_text`] for exactly `text` (trimmed): `locked` is not
    /// `unlocked`.
    pub async fn wait_text_is(&self, at: Locator<'_>, text: &str) -> String {
        self.wait_for_text(at, &format!("`{text}`"), |t| t.trim() == text)
            .await
    }

    async fn wait_for_text(
        &self,
        at: Locator<'_>,
        want: &str,
        ok: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let seen = self.text(at).await;
            if let Some(t) = seen.as_deref().filter(|t| ok(t)) {
                return t.to_owned();
            }
            if Instant::now() > deadline {
                self.failure_shot(want).await;
                panic!(
                    "waited {DEADLINE:?} for {at:?} to show {want}; it shows {seen:?} (at {})",
                    self.path().await
                );
            }
            sleep(POLL).await;
        }
    }

    /// The visible text of every element at `at`, in page order.
    pub async fn texts(&self, at: Locator<'_>) -> Vec<String> {
        let mut out = Vec::new();
        for el in self.client.find_all(at).await.unwrap_or_default() {
            if let Ok(t) = el.text().await {
                out.push(t.trim().to_owned());
            }
        }
        out
    }

    /// Waits until the texts of the elements at `at` satisfy `ok` (`want`
    /// says what in a failure), and returns them.
    pub async fn wait_texts(
        &self,
        at: Locator<'_>,
        want: &str,
        ok: impl Fn(&[String]) -> bool,
    ) -> Vec<String> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let seen = self.texts(at).await;
            if ok(&seen) {
                return seen;
            }
            if Instant::now() > deadline {
                self.failure_shot(want).await;
                panic!(
                    "waited {DEADLINE:?} for {at:?} to be {want}; they are {seen:?} (at {})",
                    self.path().await
                );
            }
            sleep(POLL).await;
        }
    }

    /// For a page that does not update by itself: reloads it until the
    /// first element at `at` shows text containing `needle`, and returns
    /// that text.
    pub async fn reload_until_text(&self, at: Locator<'_>, needle: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let seen = self.text(at).await;
            if let Some(t) = seen.as_deref().filter(|t| t.contains(needle)) {
                return t.to_owned();
            }
            if Instant::now() > deadline {
                self.failure_shot(needle).await;
                panic!(
                    "reloaded for {DEADLINE:?} until {at:?} showed `{needle}`; it shows {seen:?} (at {})",
                    self.path().await
                );
            }
            sleep(POLL).await;
            self.client.refresh().await.unwrap();
        }
    }

    /// Marks the page in the browser's memory; [`Browser::assert_not_reloaded`]
    /// later proves it was updated in place, not loaded again.
    pub async fn mark_page(&self) {
        self.client
            .execute("window.__tumblerNoReload = 42;", vec![])
            .await
            .unwrap();
    }

    /// Fails the test if the page was (re)loaded since [`Browser::mark_page`].
    pub async fn assert_not_reloaded(&self) {
        let same = self
            .client
            .execute("return window.__tumblerNoReload === 42;", vec![])
            .await
            .unwrap();
        assert_eq!(same, serde_json::Value::Bool(true), "the page was reloaded");
    }

    /// Waits until the current path starts with `prefix`.
    pub async fn wait_path(&self, prefix: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let p = self.path().await;
            if p.starts_with(prefix) {
                return p;
            }
            if Instant::now() > deadline {
                self.failure_shot(prefix).await;
                panic!("waited {DEADLINE:?} to reach `{prefix}`; still at `{p}`");
            }
            sleep(POLL).await;
        }
    }

    /// Signs in through the form at `/login` and waits to leave it.
    pub async fn sign_in(&self, email: &str, password: &str) {
        if !self.path().await.starts_with("/login") {
            self.goto("/login").await;
        }
        self.fill("E-mail", email).await;
        self.fill("Password", password).await;
        self.click("Sign in").await;
        let deadline = Instant::now() + DEADLINE;
        while self.path().await.starts_with("/login") {
            if Instant::now() > deadline {
                let why = self.text(Locator::Css("[role=alert]")).await;
                self.failure_shot("sign-in").await;
                panic!("{email} could not sign in: {why:?}");
            }
            sleep(POLL).await;
        }
    }

    /// Runs axe-core on the page (named `page` in messages): prints every
    /// violation, and fails the test if any is `serious` or `critical`.
    pub async fn axe(&self, page: &str) {
        let found = self.axe_violations().await;
        for v in &found {
            eprintln!("axe `{page}`: {v}");
        }
        eprintln!("axe `{page}`: {}", super::axe::summary(&found));
        let bad: Vec<String> = found
            .iter()
            .filter(|v| v.fails())
            .map(ToString::to_string)
            .collect();
        assert!(
            bad.is_empty(),
            "axe: serious or critical violations on `{page}`:\n{}",
            bad.join("\n")
        );
    }

    /// axe-core's violations on the page as it is now.
    pub async fn axe_violations(&self) -> Vec<Violation> {
        super::axe::run(&self.client, &self.axe_js).await
    }

    /// Saves a screenshot of the window as `NAME.png` (`NN-what`) in every
    /// [`super::screenshot_dirs`].
    pub async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        for dir in super::screenshot_dirs() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
        }
    }

    /// A screenshot for a failed wait, in `target/screenshots` only.
    async fn failure_shot(&self, what: &str) {
        let Ok(png) = self.client.screenshot().await else {
            return;
        };
        let slug: String = what
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(40)
            .collect();
        if let Some(dir) = super::screenshot_dirs().first() {
            let _ = std::fs::create_dir_all(dir);
            let _ = std::fs::write(dir.join(format!("failure-{slug}.png")), png);
        }
    }

    /// Ends the WebDriver session, then the browser and its driver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    /// A failing test must not leave Chromium running.
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}
