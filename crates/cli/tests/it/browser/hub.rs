//! The system under test for browser stories: one `tumbler up` (hub, its
//! MQTT broker, three simulated locks) in a temporary data directory, what
//! its banner printed (URL, admin password, each lock's console), the JSON
//! API for set-up steps a story does not click through, and the door
//! console of each simulated lock.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::{sleep, Instant};
use tumbler_device::local::LocalClient;

use super::driver::DEADLINE;

/// The login `tumbler up` creates on its first run (a hub operator and the
/// owner of the demo organisation).
pub const ADMIN_EMAIL: &str = "admin@tumbler.local";

/// A simulated lock `tumbler up` started and claimed.
#[derive(Debug, Clone)]
pub struct DemoLock {
    /// Its serial (`DEMO-…`), shown on the dashboard.
    pub serial: String,
    /// The setup code on its label (re-claims it after a factory reset).
    pub setup_code: String,
    /// Its local-link address (`tumbler sim console ADDR`).
    pub console: SocketAddr,
}

/// A running `tumbler up`, stopped (killed) on drop; its data directory is
/// removed with it.
pub struct Up {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The admin's password, printed on the first run.
    pub password: String,
    /// The three simulated locks, in banner order (lock ids 1, 2, 3).
    pub locks: Vec<DemoLock>,
    // Declared before `_dir` so the process ends before its files go.
    _server: crate::Server,
    _dir: tempfile::TempDir,
}

impl Up {
    /// Starts `tumbler up --listen 127.0.0.1:0` in a fresh data directory
    /// and reads its banner (returns once it says "Stop with Ctrl-C", i.e.
    /// the hub serves and the locks are claimed).
    pub fn start() -> Up {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (child, banner) = crate::start_server(&["up", "--listen", "127.0.0.1:0"], &data);
        let server = crate::Server(child);
        let locks: Vec<DemoLock> = banner
            .lines
            .iter()
            .filter(|l| l.starts_with("DEMO-"))
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                // SERIAL SETUP-CODE STATE … CONSOLE-ADDRESS
                DemoLock {
                    serial: f[0].to_owned(),
                    setup_code: f[1].to_owned(),
                    console: f.last().unwrap().parse().unwrap(),
                }
            })
            .collect();
        assert_eq!(locks.len(), 3, "{:?}", banner.lines);
        Up {
            url: banner.url,
            password: banner.password.expect("a first run prints the password"),
            locks,
            _server: server,
            _dir: dir,
        }
    }

    /// `POST /api/v1/login`: an API token for `email`.
    pub async fn api_login(&self, email: &str, password: &str) -> String {
        let v = self
            .api(
                None,
                "POST",
                "/login",
                json!({"email": email, "password": password}),
            )
            .await;
        v["token"].as_str().unwrap().to_owned()
    }

    /// Calls the JSON API (`/api/v1{path}`) as `token`; a non-2xx answer
    /// fails the test with the problem document.
    pub async fn api(&self, token: Option<&str>, method: &str, path: &str, body: Value) -> Value {
        let http = reqwest::Client::new();
        let url = format!("{}/api/v1{path}", self.url);
        let mut req = match method {
            "GET" => http.get(&url),
            "POST" => http.post(&url).json(&body),
            "PUT" => http.put(&url).json(&body),
            "PATCH" => http.patch(&url).json(&body),
            "DELETE" => http.delete(&url),
            other => panic!("method {other}"),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    /// Polls `GET /api/v1{path}` as `token` until `ok` holds for the
    /// answer (a set-up step that must reach a lock first), and returns it;
    /// after [`DEADLINE`] the test fails with the last answer.
    pub async fn api_until(&self, token: &str, path: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let v = self.api(Some(token), "GET", path, Value::Null).await;
            if ok(&v) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "waited {DEADLINE:?} on {path}: {v}"
            );
            sleep(Duration::from_millis(100)).await;
        }
    }

    /// A second organisation with owner `email`, created by the admin (a hub
    /// operator); returns the owner's initial password.
    pub async fn create_org(&self, name: &str, email: &str) -> String {
        let admin = self.api_login(ADMIN_EMAIL, &self.password).await;
        let v = self
            .api(
                Some(&admin),
                "POST",
                "/orgs",
                json!({"name": name, "owner_email": email}),
            )
            .await;
        v["password"].as_str().unwrap().to_owned()
    }

    /// The door console of lock `serial` (one of [`Up::locks`]).
    pub async fn console(&self, serial: &str) -> Console {
        let lock = self
            .locks
            .iter()
            .find(|l| l.serial == serial)
            .unwrap_or_else(|| panic!("no demo lock {serial}: {:?}", self.locks));
        Console {
            serial: serial.to_owned(),
            link: LocalClient::connect(lock.console).await.unwrap(),
        }
    }
}

/// A person at a simulated lock's door: the lines of `tumbler sim console`
/// (`1234#`, `thumb-turn`, `open-door`, `hold-reset 12s`, `status`, `help`).
pub struct Console {
    serial: String,
    link: LocalClient,
}

impl Console {
    /// Sends one console line and returns the lock's answer; a refused line
    /// fails the test (use [`Console::try_send`] to see the refusal).
    pub async fn send(&mut self, line: &str) -> String {
        let answer = self.try_send(line).await;
        assert!(
            !answer.starts_with("error:"),
            "{}: `{line}` → {answer}",
            self.serial
        );
        answer
    }

    /// Sends one console line; the answer, `error: …` if the lock refused it.
    pub async fn try_send(&mut self, line: &str) -> String {
        self.link.console_line(line).await.unwrap()
    }
}
