//! Integration tests for the `tumbler` binary: one binary, one module per area.
// Test helpers outside #[test] fns may unwrap and index: a failure is a test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod client_errors;
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
