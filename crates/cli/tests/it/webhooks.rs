//! `tumbler webhooks` against `tumbler up --webhooks-allow-private
//! --log-format json`: add an endpoint (the secret printed once), a remote
//! unlock delivered to a local receiver signed with it, the delivery log,
//! redelivery, disable and remove (the hub running with JSON logs).

use std::process::Child;

use crate::{code_out, tumbler};
use tumbler_testkit::webhook::Receiver;

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_deliver_redeliver_remove() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    let (child, banner) = crate::start_server(
        &[
            "up",
            "--listen",
            "127.0.0.1:0",
            "--webhooks-allow-private",
            "--log-format",
            "json",
        ],
        &dir.path().join("data"),
    );
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

    let rx = Receiver::start().await.unwrap();
    let o = tumbler(
        &cfg,
        &[
            "webhooks",
            "add",
            &rx.url(),
            "-e",
            "lock.unlocked,lock.locked",
        ],
        None,
    );
    let (code, out) = code_out(&o);
    assert_eq!(code, 0, "{out} {}", String::from_utf8_lossy(&o.stderr));
    let secret = out
        .split_whitespace()
        .find(|w| w.starts_with("whsec_"))
        .expect("the secret is printed")
        .to_owned();
    let (code, out) = code_out(&tumbler(&cfg, &["webhooks", "list"], None));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&rx.url()) && !out.contains(&secret), "{out}");

    let (code, out) = code_out(&tumbler(&cfg, &["lock", "1", "unlock", "--wait"], None));
    assert_eq!(code, 0, "{out}");
    let mut got = Vec::new();
    for _ in 0..300 {
        got = rx.accepted();
        if got.iter().any(|r| r.json()["type"] == "lock.unlocked") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let unlocked = got
        .iter()
        .find(|r| r.json()["type"] == "lock.unlocked")
        .expect("lock.unlocked delivered");
    let key = tumbler_hub::hooks::sign::parse(&secret).unwrap();
    assert!(tumbler_hub::hooks::sign::verify(
        &key,
        &unlocked.id,
        unlocked.timestamp,
        &unlocked.body,
        &unlocked.signature
    ));
    assert_eq!(unlocked.json()["data"]["how"], "remote");

    let (code, out) = code_out(&tumbler(&cfg, &["--json", "webhooks", "deliveries"], None));
    assert_eq!(code, 0, "{out}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["msg_id"] == unlocked.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(d["state"], "delivered", "{d}");
    let id = d["id"].to_string();
    let (code, out) = code_out(&tumbler(&cfg, &["webhooks", "delivery", &id], None));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("STATUS") && out.contains("204"), "{out}");
    let (code, out) = code_out(&tumbler(&cfg, &["webhooks", "redeliver", &id], None));
    assert_eq!(code, 0, "{out}");
    for _ in 0..300 {
        if rx.accepted().iter().filter(|r| r.id == unlocked.id).count() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        rx.accepted().iter().filter(|r| r.id == unlocked.id).count(),
        2
    );

    let (code, out) = code_out(&tumbler(&cfg, &["webhooks", "disable", "1"], None));
    assert_eq!((code, out.contains("no")), (0, true), "{out}");
    let (code, out) = code_out(&tumbler(&cfg, &["webhooks", "remove", "1", "--yes"], None));
    assert_eq!(code, 0, "{out}");
    let (code, out) = code_out(&tumbler(&cfg, &["webhooks", "list"], None));
    assert!(code == 0 && !out.contains(&rx.url()), "{out}");
    // A webhook that is not there: a clear error, not a crash.
    let o = tumbler(&cfg, &["webhooks", "enable", "1"], None);
    assert_ne!(o.status.code(), Some(0));
}
