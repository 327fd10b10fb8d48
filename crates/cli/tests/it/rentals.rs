//! `tumbler rentals` against `tumbler up` and a booking calendar served on
//! port 0: a listing on the demo door, a feed, sync (the new PIN shown once),
//! the reservation's code set on the lock and read back, then an emptied
//! feed held until `pending confirm` revokes the code.

use std::process::Child;
use std::sync::{Arc, Mutex};

use crate::{code_out, tumbler};

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cal(events: &[(String, String, String)]) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Vrbo//EN\r\n");
    for (uid, start, end) in events {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART;VALUE=DATE:{start}\r\nDTEND;VALUE=DATE:{end}\r\nSUMMARY:Reserved - Ada\r\nEND:VEVENT\r\n"
        ));
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

// The feed server answers while the test waits for a `tumbler` process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The stays are placed after today's real date (the hub runs on the real clock).
#[allow(clippy::disallowed_methods)]
async fn rentals_from_a_calendar_through_the_cli() {
    let body = Arc::new(Mutex::new(String::new()));
    let served = body.clone();
    let app = axum::Router::new().route(
        "/cal.ics",
        axum::routing::get(move || {
            let b = served.clone();
            async move { b.lock().unwrap().clone() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let feed_url = format!("http://{}/cal.ics", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let today = jiff::Zoned::now().date();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .strftime("%Y%m%d")
            .to_string()
    };
    let stays = vec![
        ("one@vrbo".to_owned(), day(10), day(12)),
        ("two@vrbo".to_owned(), day(20), day(23)),
    ];
    *body.lock().unwrap() = cal(&stays);

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
    let run = |args: &[&str]| code_out(&tumbler(&cfg, args, None));

    let (code, out) = run(&[
        "rentals",
        "listing",
        "add",
        "Lake house",
        "--site",
        "1",
        "--door",
        "1",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Lake house") && out.contains("15:00") && out.contains("11:00"),
        "{out}"
    );
    // A bad address is refused before anything is stored.
    let (code, out) = run(&["rentals", "feed", "add", "1", "file:///etc/passwd"]);
    assert_ne!(code, 0, "{out}");
    let (code, out) = run(&["rentals", "feed", "add", "1", &feed_url]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&["rentals", "sync", "1"]);
    assert_eq!(code, 0, "{out}");

    // Both codes reach the demo door.
    let mut out = String::new();
    for _ in 0..300 {
        let (code, o) = run(&["rentals", "reservations", "1"]);
        assert_eq!(code, 0, "{o}");
        out = o;
        if out.matches(":set").count() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(out.matches(":set").count(), 2, "{out}");
    assert!(out.contains("T15:00 → ") && out.contains("T11:00"), "{out}");
    let (code, out) = run(&["rentals", "code", "1"]);
    assert_eq!(code, 0, "{out}");
    let pin: String = out.rsplit("PIN ").next().unwrap().trim().to_owned();
    assert!(
        pin.len() == 6 && pin.chars().all(|c| c.is_ascii_digit()),
        "{out}"
    );

    // The calendar empties: held, nothing revoked until confirmed.
    *body.lock().unwrap() = cal(&[]);
    let (code, out) = run(&["rentals", "sync", "1"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("held") && out.contains("pending confirm 1"),
        "{out}"
    );
    let (_, out) = run(&["rentals", "listing", "show", "1"]);
    assert!(
        out.contains("HELD CHANGE 1") && out.matches("active").count() == 2,
        "{out}"
    );
    let (code, out) = run(&["rentals", "pending", "confirm", "1"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 revoked"), "{out}");
    let mut out = String::new();
    for _ in 0..300 {
        out = run(&["rentals", "reservations", "1"]).1;
        if out.matches(":removed").count() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(out.matches(":removed").count(), 2, "{out}");
    let (code, out) = run(&["rentals", "code", "1"]);
    assert_ne!(code, 0, "a revoked code is forgotten: {out}");
}
