//! Integration tests for the `tumbler` binary: one binary, one module per area.
// Test helpers outside #[test] fns may unwrap and index: a failure is a test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod browser;
mod client_errors;
mod hotel;
mod kill_under_load;
mod rentals;
mod settings;
mod sim;
mod tour;
mod two_hubs;
mod up;
mod webhooks;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `tumbler ARGS` with a private config file; `stdin` is fed if given.
pub fn tumbler(config: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tumbler"))
        .args(args)
        .env("TUMBLER_CONFIG", config)
        .env_remove("TUMBLER_URL")
        .env_remove("TUMBLER_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// [`tumbler`] against the hub at `url` (`TUMBLER_URL`).
pub fn tumbler_at(config: &Path, url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tumbler"))
        .args(args)
        .env("TUMBLER_CONFIG", config)
        .env("TUMBLER_URL", url)
        .env_remove("TUMBLER_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Exit code and stdout.
pub fn code_out(o: &Output) -> (i32, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// What `tumbler up` / `tumbler hub` print before "Stop with Ctrl-C": the
/// URL, the admin password (first run), and every line (for the lock table).
pub struct Banner {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The admin password, when printed.
    pub password: Option<String>,
    /// Every line, trimmed.
    pub lines: Vec<String>,
}

/// Spawns `tumbler ARGS --data-dir DIR` (quiet logs) and reads its banner.
pub fn start_server(args: &[&str], data_dir: &Path) -> (std::process::Child, Banner) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tumbler"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("TUMBLER_LOG", "warn,rumqttd=off")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (mut url, mut password, mut lines) = (None, None, Vec::new());
    for line in BufReader::new(out).lines() {
        let line = line.unwrap().trim().to_owned();
        if let Some(u) = line.strip_prefix("URL:") {
            url = Some(u.trim().to_owned());
        }
        if let Some(p) = line.strip_prefix("Password:") {
            password = Some(p.trim().to_owned());
        }
        let stop = line.starts_with("Stop with Ctrl-C");
        lines.push(line);
        if stop {
            break;
        }
    }
    let url = url.expect("the server printed its URL");
    (
        child,
        Banner {
            url,
            password,
            lines,
        },
    )
}

/// A server process that is killed if a test fails before stopping it.
pub struct Server(pub std::process::Child);

impl Server {
    /// Ctrl-C (SIGINT), then waits: a clean stop exits 0.
    pub fn stop(&mut self) {
        let status = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.0.wait().unwrap();
        assert!(exit.success(), "Ctrl-C is a clean stop: {exit:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A short pause between two polls of another process (a synchronous test
/// waiting for the hub to see what a simulated lock did; the poll, not the
/// pause, decides).
#[allow(clippy::disallowed_methods)]
pub fn poll_pause() {
    std::thread::sleep(std::time::Duration::from_millis(50));
}
