//! `tumbler locks settings` against `tumbler up`: the table with Matter names, a change of
//! two settings with `--wait` read back from the lock, `--json`, bad names and values
//! refused before anything is sent, a loosening refused by the lock (only at the door).

use std::process::Child;

use crate::{code_out, tumbler};

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn locks_settings_show_change_and_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    let (child, banner) =
        crate::start_server(&["up", "--listen", "127.0.0.1:0"], &dir.path().join("data"));
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

    // The claim reads the lock's settings; wait until they are there.
    let mut out = String::new();
    for _ in 0..300 {
        let (code, o) = code_out(&tumbler(&cfg, &["locks", "settings", "1"], None));
        assert_eq!(code, 0, "{o}");
        out = o;
        if out.contains("auto_relock_time") && !out.contains("reported: -") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        out.contains("SETTING") && out.contains("MATTER") && out.contains("PENDING"),
        "{out}"
    );
    assert!(
        out.contains("AutoRelockTime") && out.contains("RequirePINforRemoteOperation"),
        "{out}"
    );
    assert!(out.contains("only at the door"), "{out}");

    // Bad names and values: usage errors (exit 2) before anything is sent.
    let o = tumbler(
        &cfg,
        &["locks", "settings", "1", "--set", "volume=low"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("settings are: auto_relock_time, sound_volume"),
        "{}",
        stderr(&o)
    );
    let o = tumbler(
        &cfg,
        &["locks", "settings", "1", "--set", "auto_relock_time=100000"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("0..=86400 seconds"), "{}", stderr(&o));
    let (_, ops) = code_out(&tumbler(
        &cfg,
        &["--json", "ops", "list", "--lock", "1"],
        None,
    ));
    assert!(!ops.contains("set_settings"), "nothing was sent: {ops}");

    // Two settings, one operation, followed to the end; then read back.
    let set = [
        "locks",
        "settings",
        "1",
        "--set",
        "auto_relock_time=60",
        "--set",
        "sound_volume=low",
        "--wait",
    ];
    let o = tumbler(&cfg, &set, None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(code_out(&o).1.contains("applied"), "{}", code_out(&o).1);
    let mut json = serde_json::Value::Null;
    for _ in 0..300 {
        let (code, o) = code_out(&tumbler(&cfg, &["--json", "locks", "settings", "1"], None));
        assert_eq!(code, 0);
        json = serde_json::from_str(&o).unwrap();
        let v = |n: &str| {
            json["settings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == n)
                .unwrap()["value"]
                .clone()
        };
        if v("auto_relock_time") == 60 && v("sound_volume") == "low" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(json["settings"][0]["value"], 60, "{json}");

    // Turning app reset off is fine; on again from here, the lock refuses (exit 11).
    let off = [
        "locks",
        "settings",
        "1",
        "--set",
        "app_reset_allowed=false",
        "--wait",
    ];
    assert_eq!(tumbler(&cfg, &off, None).status.code(), Some(0));
    let on = [
        "locks",
        "settings",
        "1",
        "--set",
        "app_reset_allowed=true",
        "--wait",
    ];
    let o = tumbler(&cfg, &on, None);
    assert_eq!(o.status.code(), Some(11), "{}", stderr(&o));
    assert!(stderr(&o).contains("only at the door"), "{}", stderr(&o));
}
