//! `tumbler up` end to end: first run prints the URL, a login and three
//! simulated locks it claimed; the client commands work against it (remote
//! unlock, factory reset with its confirmation, re-claim with the printed
//! setup code), Ctrl-C stops it cleanly, and a second run keeps the data,
//! the login and the locks.

use std::process::{Child, Command};

use crate::{code_out, tumbler};

struct Up {
    child: Child,
    url: String,
    password: Option<String>,
    /// (serial, setup code, state) of the simulated locks printed.
    locks: Vec<(String, String, String)>,
}

fn start_up(data_dir: &std::path::Path) -> Up {
    start(&["up", "--listen", "127.0.0.1:0"], data_dir)
}

fn start(args: &[&str], data_dir: &std::path::Path) -> Up {
    let (child, b) = crate::start_server(args, data_dir);
    let locks = b
        .lines
        .iter()
        .filter(|l| l.starts_with("DEMO-"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
        })
        .collect();
    Up {
        child,
        url: b.url,
        password: b.password,
        locks,
    }
}

impl Drop for Up {
    /// A failing test must not leave the hub and its locks running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn ctrl_c(mut up: Up) {
    let status = Command::new("kill")
        .args(["-INT", &up.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = up.child.wait().unwrap();
    assert!(exit.success(), "Ctrl-C is a clean stop: {exit:?}");
}

#[test]
fn up_login_commands_ctrl_c_and_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg = dir.path().join("config.json");

    let up = start_up(&data);
    let password = up.password.clone().expect("first run prints a password");
    assert!(data.join("hub.db").exists());
    let url = up.url.clone();

    // Not logged in yet: exit code 3.
    let (code, _) = code_out(&tumbler(&cfg, &["--url", &url, "sites", "list"], None));
    assert_eq!(code, 3);
    // Wrong password: 3; right one: 0 and the token is saved (not printed).
    let (code, _) = code_out(&tumbler(
        &cfg,
        &[
            "login",
            "--url",
            &url,
            "--email",
            "admin@tumbler.local",
            "--password-stdin",
        ],
        Some("wrong password\n"),
    ));
    assert_eq!(code, 3);
    let (code, out) = code_out(&tumbler(
        &cfg,
        &[
            "login",
            "--url",
            &url,
            "--email",
            "admin@tumbler.local",
            "--password-stdin",
        ],
        Some(&format!("{password}\n")),
    ));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("owner"));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    let token = saved["token"].as_str().unwrap();
    assert!(!out.contains(token), "the token is never printed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    // Tables and JSON.
    let (code, out) = code_out(&tumbler(&cfg, &["sites", "list"], None));
    assert_eq!(code, 0);
    assert!(
        out.contains("Demo site") && out.contains("TIME ZONE"),
        "{out}"
    );
    let (code, out) = code_out(&tumbler(
        &cfg,
        &["sites", "create", "Beach house", "--tz", "Europe/Lisbon"],
        None,
    ));
    assert_eq!(code, 0, "{out}");
    let (code, out) = code_out(&tumbler(&cfg, &["--json", "sites", "list"], None));
    assert_eq!(code, 0);
    let sites: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sites.as_array().unwrap().len(), 2);
    let beach = sites
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Beach house")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    // Exit codes: invalid input 6, not found 5, declined confirmation 10.
    assert_eq!(
        code_out(&tumbler(
            &cfg,
            &["sites", "create", "Mars", "--tz", "Mars/Olympus"],
            None
        ))
        .0,
        6
    );
    // A missing thing is named in the error (exit 5).
    let missing = tumbler(&cfg, &["locks", "show", "4242"], None);
    assert_eq!(code_out(&missing).0, 5);
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("no lock 4242 in your organisation"), "{err}");
    assert_eq!(
        code_out(&tumbler(&cfg, &["events", "--from", "yesterday"], None)).0,
        6
    );
    assert_eq!(
        code_out(&tumbler(
            &cfg,
            &["sites", "delete", &beach.to_string()],
            None
        ))
        .0,
        10
    );
    let (code, out) = code_out(&tumbler(&cfg, &["--json", "sites", "list"], None));
    assert_eq!(code, 0);
    assert!(
        out.contains("Beach house"),
        "a declined delete deletes nothing"
    );
    assert_eq!(
        code_out(&tumbler(
            &cfg,
            &["sites", "delete", &beach.to_string(), "--yes"],
            None
        ))
        .0,
        0
    );

    for args in [
        &["locks", "list"][..],
        &["ops", "list"],
        &["events"],
        &["alerts"],
        &["alerts", "list", "--all"],
    ] {
        let (code, out) = code_out(&tumbler(&cfg, args, None));
        assert_eq!(code, 0, "{args:?}: {out}");
    }

    // The three simulated locks `up` claimed into the demo site.
    assert_eq!(up.locks.len(), 3, "{:?}", up.locks);
    assert!(up.locks.iter().all(|l| l.2 == "claimed"), "{:?}", up.locks);
    let (code, out) = code_out(&tumbler(&cfg, &["--json", "locks", "list"], None));
    assert_eq!(code, 0);
    let locks: serde_json::Value = serde_json::from_str(&out).unwrap();
    // `tumbler --json locks list | head`: the reader goes away; the CLI ends
    // quietly instead of panicking on the broken pipe.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tumbler"))
        .args(["--json", "locks", "list"])
        .env("TUMBLER_CONFIG", &cfg)
        .env_remove("TUMBLER_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let gone = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&gone.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(gone.status.code(), Some(0), "{err}");
    // `tumbler sim console SERIAL` finds `up`'s locks by serial (their
    // images are in the data directory's `locks`, not `tumbler sim`'s).
    let console = {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tumbler"))
            .args(["sim", "console", up.locks[1].0.as_str()])
            .env("TUMBLER_DATA_DIR", &data)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"status\n").unwrap();
        child.wait_with_output().unwrap()
    };
    let said = String::from_utf8_lossy(&console.stdout);
    assert_eq!(
        console.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&console.stderr)
    );
    assert!(said.contains("connected"), "{said}");
    // A fresh `up` gives locks 1, 2, 3, as the README's tour assumes.
    let mut ids: Vec<i64> = locks
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2, 3], "{locks}");
    let first = locks
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["serial"] == up.locks[0].0.as_str())
        .unwrap();
    let id = first["id"].as_i64().unwrap().to_string();
    let setup_code = up.locks[0].1.clone();

    // Remote unlock, followed to the lock's answer.
    let (code, out) = code_out(&tumbler(&cfg, &["lock", &id, "unlock", "--wait"], None));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("applied"), "{out}");
    assert_eq!(
        code_out(&tumbler(&cfg, &["lock", "4242", "unlock"], None)).0,
        5
    );
    // People and access: a generated PIN on the three doors, followed with
    // a progress bar to a per-door table; who can open; moving out.
    let all: Vec<String> = locks
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].to_string())
        .collect();
    let (code, out) = code_out(&tumbler(
        &cfg,
        &["--json", "people", "add", "Sam Tenant"],
        None,
    ));
    assert_eq!(code, 0, "{out}");
    let person: serde_json::Value = serde_json::from_str(&out).unwrap();
    let pid = person["id"].to_string();
    let o = tumbler(
        &cfg,
        &[
            "access",
            "grant",
            &pid,
            "--locks",
            &all.join(","),
            "--generate-pin",
            "--wait",
        ],
        None,
    );
    let (code, out) = code_out(&o);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 doors: 3 set"), "{out}");
    assert!(err.contains("shown once"), "{err}");
    // A trivial PIN is refused with nothing changed (exit 6).
    let (code, _) = code_out(&tumbler(
        &cfg,
        &["access", "grant", &pid, "--locks", &id, "--pin-stdin"],
        Some("1234\n"),
    ));
    assert_eq!(code, 6);
    let (code, out) = code_out(&tumbler(&cfg, &["access", "who", &id], None));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Sam Tenant") && out.contains("confirmed"),
        "{out}"
    );
    let (code, out) = code_out(&tumbler(&cfg, &["access", "revoke", &pid, "--wait"], None));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 removed"), "{out}");

    // `tumbler doctor`: at 5 % battery a factory reset is not queued (the
    // lock would refuse it) and the plan says batteries first; after new
    // cells at the door the check sees them.
    let at_door = |line: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tumbler"))
            .args(["sim", "console", up.locks[0].0.as_str()])
            .env("TUMBLER_DATA_DIR", &data)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(format!("{line}\n").as_bytes()).unwrap();
        drop(input);
        assert!(child.wait_with_output().unwrap().status.success());
    };
    at_door("battery 5");
    let mut seen = String::new();
    for _ in 0..200 {
        seen = code_out(&tumbler(&cfg, &["--json", "locks", "show", &id], None)).1;
        if seen.contains("\"battery_pct\": 5") {
            break;
        }
        crate::poll_pause();
    }
    assert!(seen.contains("\"battery_pct\": 5"), "{seen}");
    let o = tumbler(&cfg, &["lock", &id, "factory-reset", "--yes"], None);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(10), "{err}");
    assert!(
        err.contains("will refuse it (low_battery)") && err.contains("--force"),
        "{err}"
    );
    // Forced anyway: the lock refuses it, and the CLI says what to do.
    let o = tumbler(
        &cfg,
        &["lock", &id, "factory-reset", "--yes", "--force", "--wait"],
        None,
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(11), "{err}");
    assert!(
        err.contains("refused: low_battery — the battery is too low: change all the batteries"),
        "{err}"
    );
    let (code, out) = code_out(&tumbler(
        &cfg,
        &["doctor", &id, "--symptom", "does_not_respond"],
        None,
    ));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("  - battery ") && out.contains("the lock refused an operation: low_battery"),
        "{out}"
    );
    assert!(
        out.contains(" 1. replace all four AA cells")
            && out.contains(" 2. press the reset button briefly"),
        "{out}"
    );
    assert!(out.contains("not advised yet"), "{out}");
    let (code, out) = code_out(&tumbler(
        &cfg,
        &["doctor", &id, "--check", "batteries"],
        None,
    ));
    assert_eq!(code, 11, "{out}");
    assert!(out.contains("not yet — still"), "{out}");
    at_door("battery 90");
    let mut out = String::new();
    for _ in 0..200 {
        let (code, o) = code_out(&tumbler(
            &cfg,
            &["doctor", &id, "--check", "batteries"],
            None,
        ));
        out = o;
        if code == 0 {
            break;
        }
        crate::poll_pause();
    }
    assert!(
        out.contains("Check batteries: fixed — battery now 9"),
        "{out}"
    );
    let (code, _) = code_out(&tumbler(&cfg, &["doctor", &id, "--symptom", "smoke"], None));
    assert_eq!(code, 2, "an unknown symptom is a usage error");

    // A factory reset asks first (no terminal here: refused, exit 10) …
    let o = tumbler(&cfg, &["lock", &id, "factory-reset"], None);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(10), "{err}");
    assert!(
        err.contains("erases users"),
        "the prompt names what is erased: {err}"
    );
    let (_, out) = code_out(&tumbler(&cfg, &["--json", "locks", "show", &id], None));
    assert!(out.contains("\"claimed\""), "{out}");
    // … and with --yes it happens: the hub shows the binding stale.
    let (code, out) = code_out(&tumbler(
        &cfg,
        &["lock", &id, "factory-reset", "--yes", "--wait"],
        None,
    ));
    assert_eq!(code, 0, "{out}");
    let (_, out) = code_out(&tumbler(&cfg, &["--json", "locks", "show", &id], None));
    assert!(out.contains("reset_binding_stale"), "{out}");
    let (_, out) = code_out(&tumbler(&cfg, &["alerts"], None));
    assert!(out.contains("reset_detected"), "{out}");
    // The audit trail says who did what, and when.
    let (code, out) = code_out(&tumbler(&cfg, &["audit", "--limit", "50"], None));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ID  AT"), "{out}");
    let claimed = out
        .lines()
        .find(|l| l.contains("lock_claimed"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(claimed.contains("20"), "an RFC 3339 time: {claimed}");
    // Operations are refused until it is claimed again (exit 6).
    assert_eq!(
        code_out(&tumbler(&cfg, &["lock", &id, "unlock"], None)).0,
        6
    );
    // Re-claim with the setup code `up` printed; the lock answers again.
    let (code, out) = code_out(&tumbler(
        &cfg,
        &["locks", "reclaim", &id, "--setup-code-stdin"],
        Some(&format!("{setup_code}\n")),
    ));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("claimed"), "{out}");
    let (code, out) = code_out(&tumbler(&cfg, &["lock", &id, "lock", "--wait"], None));
    assert_eq!(code, 0, "{out}");
    // Claiming a lock that is claimed already is refused (exit 6).
    let (code, out) = code_out(&tumbler(
        &cfg,
        &[
            "locks",
            "claim",
            &up.locks[1].0,
            "--setup-code",
            "00000000",
            "--site",
            "1",
        ],
        None,
    ));
    assert_eq!(code, 6, "{out}");
    // Releasing asks first too.
    assert_eq!(
        code_out(&tumbler(&cfg, &["locks", "release", &id], None)).0,
        10
    );

    // Password change through the CLI: wrong current password is exit 6.
    let (code, _) = code_out(&tumbler(
        &cfg,
        &["password", "--stdin"],
        Some("not it\nnew password 42\n"),
    ));
    assert_eq!(code, 6);
    let (code, out) = code_out(&tumbler(
        &cfg,
        &["password", "--stdin"],
        Some(&format!("{password}\nnew password 42\n")),
    ));
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        code_out(&tumbler(&cfg, &["sites", "list"], None)).0,
        0,
        "this session stays"
    );
    let (code, _) = code_out(&tumbler(
        &cfg,
        &["password", "--stdin"],
        Some(&format!("new password 42\n{password}\n")),
    ));
    assert_eq!(code, 0, "and back");

    ctrl_c(up);

    // Second run: same data, same login.
    let up = start_up(&data);
    assert_eq!(up.password.as_deref(), Some(password.as_str()));
    let (code, _) = code_out(&tumbler(
        &cfg,
        &[
            "login",
            "--url",
            &up.url,
            "--email",
            "admin@tumbler.local",
            "--password-stdin",
        ],
        Some(&format!("{password}\n")),
    ));
    assert_eq!(code, 0);
    let (_, out) = code_out(&tumbler(&cfg, &["--json", "sites", "list"], None));
    let sites: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        sites.as_array().unwrap().len(),
        1,
        "kept: the demo site; the deleted one stays deleted"
    );
    assert_eq!(up.locks.len(), 3, "the same locks run again");
    assert!(up.locks.iter().all(|l| l.2 == "claimed"), "{:?}", up.locks);
    let (code, _) = code_out(&tumbler(&cfg, &["logout"], None));
    assert_eq!(code, 0);
    assert_eq!(code_out(&tumbler(&cfg, &["sites", "list"], None)).0, 3);
    ctrl_c(up);
}

/// `tumbler hub` on the machine's PostgreSQL (fresh schema) and Mosquitto.
#[test]
fn hub_on_postgres_and_external_broker() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (Ok(pg), Ok(mqtt)) = (
        std::env::var("TUMBLER_TEST_POSTGRES"),
        std::env::var("TUMBLER_TEST_MQTT"),
    ) else {
        assert!(
            !ci,
            "CI=true requires TUMBLER_TEST_POSTGRES and TUMBLER_TEST_MQTT"
        );
        eprintln!("skipped: no PostgreSQL/MQTT configured");
        return;
    };
    let schema = tumbler_testkit::random_schema_name().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    let up = start(
        &[
            "hub",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &pg,
            "--mqtt",
            &mqtt,
            "--pg-schema",
            &schema,
        ],
        &dir.path().join("data"),
    );
    let password = up.password.clone().expect("first run prints a password");
    let (code, out) = code_out(&tumbler(
        &cfg,
        &[
            "login",
            "--url",
            &up.url,
            "--email",
            "admin@tumbler.local",
            "--password-stdin",
        ],
        Some(&format!("{password}\n")),
    ));
    assert_eq!(code, 0, "{out}");
    let (code, out) = code_out(&tumbler(&cfg, &["sites", "list"], None));
    assert_eq!(code, 0);
    assert!(out.contains("Main site"), "{out}");
    ctrl_c(up);
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(tumbler_testkit::drop_pg_schema(&pg, &schema));
}
