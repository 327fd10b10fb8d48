//! Integration tests for the `tumbler` binary: one binary, one module per area.
// Test helpers outside #[test] fns may unwrap and index: a failure is a test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod client_errors;
mod settings;
mod sim;
mod two_hubs;
mod up;

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
