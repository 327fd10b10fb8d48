//! `tumbler hotel` against `tumbler up`: a demo lock made room 101, a
//! check-in writing two card files, each presented at the simulated door
//! with `tumbler sim console` (`card @FILE`); a staff card's file; bad input
//! refused with its exit code.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::{code_out, tumbler};

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Types `line` at the console of `up`'s lock `serial`; returns what it said.
fn console(data: &Path, serial: &str, line: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tumbler"))
        .args(["sim", "console", serial])
        .env("TUMBLER_DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{line}\n").as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
// The check-out date is a few days after the real today (`up` runs on the real clock).
#[allow(clippy::disallowed_methods)]
async fn checkin_writes_card_files_that_open_the_door() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    let data = dir.path().join("data");
    let (child, banner) = crate::start_server(&["up", "--listen", "127.0.0.1:0"], &data);
    let _hub = Kill(child);
    let password = banner.password.expect("first run prints a password");
    let login = [
        "login",
        "--url",
        &banner.url,
        "--email",
        "admin@tumbler.local",
        "--password-stdin",
    ];
    assert_eq!(
        code_out(&tumbler(&cfg, &login, Some(&format!("{password}\n")))).0,
        0
    );
    let (code, out) = code_out(&tumbler(&cfg, &["--json", "locks", "show", "1"], None));
    assert_eq!(code, 0, "{out}");
    let lock: serde_json::Value = serde_json::from_str(&out).unwrap();
    let serial = lock["serial"].as_str().unwrap().to_owned();
    let site = lock["site_id"].as_i64().unwrap().to_string();

    let (code, out) = code_out(&tumbler(
        &cfg,
        &["hotel", "room", "set", "1", "--door", "101", "--floor", "1"],
        None,
    ));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("room 101"), "{out}");

    let checkout = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(3))
        .unwrap()
        .to_string();
    let cards = dir.path().join("cards");
    let cards_s = cards.to_str().unwrap();
    let (code, out) = code_out(&tumbler(
        &cfg,
        &[
            "hotel",
            "checkin",
            "1",
            "--guest",
            "Ann Guest",
            "--cards",
            "2",
            "--checkout",
            &checkout,
            "--out",
            cards_s,
        ],
        None,
    ));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("stay ") && out.contains("Ann Guest"), "{out}");
    for f in ["room101-a.card", "room101-b.card"] {
        let image = std::fs::read(cards.join(f)).unwrap();
        assert!(
            (80..=192).contains(&image.len()),
            "{f}: {} bytes",
            image.len()
        );
    }
    // The lock learns it is room 101 through the queue; then both cards open.
    for f in ["room101-a.card", "room101-b.card"] {
        let line = format!("card @{}", cards.join(f).display());
        let mut said = String::new();
        for _ in 0..100 {
            said = console(&data, &serial, &line);
            if said.contains("access granted") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(said.contains("access granted"), "{f}: {said}");
    }

    // The desk lists the stay; a staff card is written as its own file.
    let (code, out) = code_out(&tumbler(&cfg, &["hotel", "desk", &site], None));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Ann Guest") && out.contains("101"), "{out}");
    let (code, out) = code_out(&tumbler(
        &cfg,
        &[
            "hotel",
            "staff-card",
            &site,
            "--kind",
            "master",
            "--holder",
            "Housekeeping",
            "--until",
            &checkout,
            "--hours",
            "08:00-17:00",
            "--days",
            "mon-fri",
            "--out",
            cards_s,
        ],
        None,
    ));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("master-"), "{out}");

    // Bad input: refused (exit code of a 4xx), nothing written.
    let o = tumbler(
        &cfg,
        &[
            "hotel",
            "checkin",
            "1",
            "--guest",
            "Bo",
            "--cards",
            "0",
            "--checkout",
            &checkout,
            "--out",
            cards_s,
        ],
        None,
    );
    assert_ne!(o.status.code(), Some(0));
    let o = tumbler(
        &cfg,
        &[
            "hotel",
            "checkin",
            "2",
            "--guest",
            "Bo",
            "--checkout",
            &checkout,
            "--out",
            cards_s,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(5), "lock 2 is not a room");
    assert_eq!(std::fs::read_dir(&cards).unwrap().count(), 3);
}
