//! The README's tour, run command by command against a fresh `tumbler up`
//! (the real binary, a free port, a temporary data directory), so the
//! README cannot rot.
//!
//! Which blocks run: every ```` ```sh ```` block of README.md that follows
//! the line `<!-- tour: runs in CI (crates/cli/tests/it/tour.rs) -->`.
//! Each non-empty line is one command, run by `sh -c` with `tumbler` on
//! the `PATH` (this build's binary); a trailing `# comment` is dropped.
//! Placeholders, substituted before running:
//! - `DEMO-…-N`: the serial of the N-th simulated lock `up` printed;
//! - the admin password `up` printed reaches `tumbler login` as
//!   `TUMBLER_PASSWORD` (the environment variable login reads), the hub's
//!   URL as `TUMBLER_URL`, `up`'s data directory as `TUMBLER_DATA_DIR`;
//! - standard input is `status` (what a person at `tumbler sim console`
//!   types), unless the line pipes its own.
//!
//! Every command must exit 0; [`EXPECT`] names what some of them must
//! print, and each of its entries must match a command of the tour.

use std::io::Write;
use std::process::{Command, Stdio};

/// (a command starts with this, its output must contain this).
const EXPECT: &[(&str, &str)] = &[
    ("tumbler login", "owner"),
    ("tumbler locks list", "DEMO-"),
    ("tumbler lock 1 unlock --wait", "applied"),
    ("tumbler sim console", "connected"),
    ("tumbler people add", "Sam Tenant"),
    (
        "echo 482913 | tumbler access grant 1 --locks 1,2,3",
        "3 doors: 3 set",
    ),
    ("tumbler access grant 1 --locks 1 --card", "1 doors: 1 set"),
    ("tumbler access who 1", "Sam Tenant"),
    ("tumbler access replace 2 --card", "1 doors: 1 set"),
    ("tumbler sites set 1 --tz Europe/Paris", "Europe/Paris"),
    ("tumbler accounts add", "manager"),
    ("tumbler orgs create", "Password:"),
    ("tumbler offline-code enable 1 --wait", "applied"),
    ("tumbler offline-code issue 1", "access granted"),
    ("tumbler offline-code list 1", "Cleaner"),
];

/// The marker before a runnable block.
const MARKER: &str = "<!-- tour: runs in CI (crates/cli/tests/it/tour.rs) -->";

/// The commands of the marked blocks, in order, comments dropped.
fn tour_commands(readme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim() != MARKER {
            continue;
        }
        let fence = lines.next().unwrap_or_default();
        assert_eq!(
            fence.trim(),
            "```sh",
            "{MARKER} must be followed by a ```sh block"
        );
        for l in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            let cmd = match l.find("  #") {
                Some(i) => &l[..i],
                None => l,
            };
            let cmd = cmd.trim();
            if !cmd.is_empty() {
                out.push(cmd.to_owned());
            }
        }
    }
    out
}

/// `DEMO-…-N` → the N-th serial.
fn substitute(cmd: &str, serials: &[String]) -> String {
    let mut s = cmd.to_owned();
    for (i, serial) in serials.iter().enumerate() {
        s = s.replace(&format!("DEMO-…-{}", i + 1), serial);
    }
    assert!(!s.contains('…'), "an unknown placeholder in {cmd:?}");
    s
}

#[test]
fn the_readme_tour_runs_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let commands = tour_commands(&readme);
    assert!(
        commands.len() >= 8,
        "the tour lost its commands: {commands:?}"
    );
    for (prefix, _) in EXPECT {
        assert!(
            commands.iter().any(|c| c.starts_with(prefix)),
            "no tour command starts with {prefix:?} any more: update EXPECT"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (child, banner) = crate::start_server(&["up", "--listen", "127.0.0.1:0"], &data);
    let mut up = crate::Server(child);
    let password = banner
        .password
        .clone()
        .expect("a fresh up prints a password");
    let mut serials: Vec<String> = banner
        .lines
        .iter()
        .filter(|l| l.starts_with("DEMO-"))
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect();
    serials.sort_by_key(|s| s.rsplit('-').next().unwrap().parse::<u32>().unwrap());
    assert_eq!(serials.len(), 3, "{:?}", banner.lines);

    // `tumbler` on the PATH is this build's binary.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_tumbler"), bin.join("tumbler")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();

    for cmd in &commands {
        let line = substitute(cmd, &serials);
        let mut child = Command::new("sh")
            .args(["-c", &line])
            .current_dir(&work)
            .env("PATH", &path)
            .env("TUMBLER_CONFIG", dir.path().join("config.json"))
            .env("TUMBLER_URL", &banner.url)
            .env("TUMBLER_PASSWORD", &password)
            .env("TUMBLER_DATA_DIR", &data)
            .env("TUMBLER_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(b"status\n");
        drop(stdin);
        let o = child.wait_with_output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        println!("$ {line}\n{out}{err}");
        assert_eq!(o.status.code(), Some(0), "{line}\n{out}{err}");
        for (prefix, want) in EXPECT {
            if cmd.starts_with(prefix) {
                assert!(
                    out.contains(want),
                    "{line}: expected {want:?} in\n{out}{err}"
                );
            }
        }
    }

    // Beyond the README: what the tour's people see when it goes wrong.
    let run = |args: &[&str], stdin: Option<&str>| {
        let o = crate::tumbler_at(&dir.path().join("config.json"), &banner.url, args, stdin);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.code().unwrap_or(-1), text)
    };
    // `--wait` that stops waiting shows each door's state at the time and
    // says the change goes on (no empty table).
    let (code, text) = run(
        &[
            "access",
            "grant",
            "1",
            "--locks",
            "2,3",
            "--card",
            "0badcafe",
            "--wait",
            "--timeout",
            "0",
        ],
        None,
    );
    assert_eq!(code, 9, "{text}");
    assert!(text.contains("still going on"), "{text}");
    let rows = text
        .lines()
        .filter(|l| l.starts_with("2 ") || l.starts_with("3 "))
        .count();
    assert_eq!(rows, 2, "one row per door: {text}");
    // The new owner of the tour's organisation logs in and sees none of
    // the demo locks; they are no operator.
    let (code, text) = run(&["--json", "orgs", "list"], None);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Rental Co"), "{text}");
    let (code, text) = run(
        &[
            "--json",
            "orgs",
            "create",
            "Annex Ltd",
            "--owner",
            "boss@annex.example",
        ],
        None,
    );
    assert_eq!(code, 0, "{text}");
    let created: serde_json::Value = serde_json::from_str(&text).unwrap();
    let pw = created["password"].as_str().unwrap().to_owned();
    let other = dir.path().join("other.json");
    let as_boss = |args: &[&str], stdin: Option<&str>| {
        let o = crate::tumbler_at(&other, &banner.url, args, stdin);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.code().unwrap_or(-1), text)
    };
    let (code, text) = as_boss(
        &["login", "--email", "boss@annex.example", "--password-stdin"],
        Some(&format!("{pw}\n")),
    );
    assert_eq!(code, 0, "{text}");
    let (code, text) = as_boss(&["--json", "locks", "list"], None);
    assert_eq!((code, text.trim()), (0, "[]"), "none of the demo locks");
    let (code, text) = as_boss(&["locks", "show", "1"], None);
    assert_eq!(code, 5, "{text}");
    let (code, text) = as_boss(&["orgs", "list"], None);
    assert_eq!(code, 4, "not an operator: {text}");
    assert!(text.contains("operator"), "{text}");
    // Accounts: a bad role names the valid ones; a missing account is named.
    let (code, text) = run(&["accounts", "role", "2", "boss"], None);
    assert_eq!(code, 6, "{text}");
    assert!(
        text.contains("owner, manager, installer, support"),
        "{text}"
    );
    let (code, text) = run(&["accounts", "remove", "4242", "--yes"], None);
    assert_eq!(code, 5, "{text}");
    assert!(
        text.contains("no account 4242 in your organisation"),
        "{text}"
    );
    let (code, text) = run(&["accounts", "role", "2", "support"], None);
    assert_eq!(code, 0, "{text}");
    // Sites: a bad zone is a clear error and changes nothing.
    let (code, text) = run(&["sites", "set", "1", "--tz", "Europe/Atlantis"], None);
    assert_eq!(code, 6, "{text}");
    assert!(text.contains("time_zone"), "{text}");
    let (_, text) = run(&["sites", "list"], None);
    assert!(text.contains("Europe/Paris"), "{text}");
    up.stop();
}

#[test]
fn up_help_lists_no_client_flags() {
    let help = Command::new(env!("CARGO_BIN_EXE_tumbler"))
        .args(["up", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(help.status.success(), "{text}");
    assert!(text.contains("--listen"), "{text}");
    assert!(
        !text.contains("--url") && !text.contains("--json"),
        "{text}"
    );
    // A client command still shows and takes them.
    let help = Command::new(env!("CARGO_BIN_EXE_tumbler"))
        .args(["locks", "list", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("--url") && text.contains("--json"), "{text}");
    // Given to `up`, they are a usage error, not silently ignored.
    let o = Command::new(env!("CARGO_BIN_EXE_tumbler"))
        .args(["up", "--json", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("client commands"));
}

#[test]
fn placeholders_and_comments_are_read_as_documented() {
    let readme = format!(
        "text\n{MARKER}\n```sh\ntumbler a   # note\n\n  tumbler sim console DEMO-…-2  # x\n```\n```sh\nnot run\n```\n"
    );
    let cmds = tour_commands(&readme);
    assert_eq!(cmds, ["tumbler a", "tumbler sim console DEMO-…-2"]);
    let serials = ["DEMO-A-1".to_owned(), "DEMO-B-2".to_owned()];
    assert_eq!(
        substitute(&cmds[1], &serials),
        "tumbler sim console DEMO-B-2"
    );
}
