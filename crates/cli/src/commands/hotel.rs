//! `tumbler hotel …`: the hotel front desk. `room set|clear|history` (a
//! lock as a hotel door), `desk` (a site's rooms and stays), `checkin`,
//! `extend`, `checkout`, `lost-card`, `staff-card`, `stay`. Commands that
//! encode cards write one file per card (`room101-a.card`, `-b`, …) into
//! `--out` (default: the current directory), never over an existing file (a
//! taken name gets the card number: `room101-a-1003.card`); the simulated door
//! reads them with `card @room101-a.card`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::Value;
use tumbler_hub::api::hotel::{CheckInBody, ExtendBody, LostBody, RoomBody, StaffBody};

use super::{api, confirm, Global};
use crate::exit::{self, CliError};
use crate::output::{emit, table, Column};

/// Hotel commands.
#[derive(Debug, Subcommand)]
pub enum HotelCmd {
    /// A lock as a hotel room: set, clear, history.
    #[command(subcommand)]
    Room(RoomCmd),
    /// The front desk: a site's rooms with their newest stays.
    Desk {
        /// Site (property) id.
        site: i64,
    },
    /// Check a guest in: a new stay and its cards (files in --out).
    Checkin {
        /// The room's lock id.
        lock: i64,
        /// The guest's name.
        #[arg(long)]
        guest: String,
        /// How many cards (joiners).
        #[arg(long, default_value_t = 1)]
        cards: usize,
        /// Check-out date, site local YYYY-MM-DD.
        #[arg(long)]
        checkout: String,
        /// Check-out time HH:MM (default the property's, 11:00).
        #[arg(long)]
        time: Option<String>,
        #[command(flatten)]
        out: OutDir,
    },
    /// Extend a stay: its cards re-encoded with the later check-out.
    Extend {
        /// Stay id.
        stay: i64,
        /// New check-out date, site local YYYY-MM-DD.
        #[arg(long)]
        checkout: String,
        /// Check-out time HH:MM.
        #[arg(long)]
        time: Option<String>,
        #[command(flatten)]
        out: OutDir,
    },
    /// Check a guest out now.
    Checkout {
        /// Stay id.
        stay: i64,
    },
    /// A lost card: replacement cards, and the lost number denied at the door.
    LostCard {
        /// Stay id.
        stay: i64,
        /// The lost card's number.
        #[arg(long)]
        number: i64,
        /// How many replacements.
        #[arg(long, default_value_t = 1)]
        cards: usize,
        #[command(flatten)]
        out: OutDir,
    },
    /// A staff card: master, floor N, zone N, building N or emergency.
    StaffCard {
        /// Site (property) id.
        site: i64,
        /// master, floor, zone, building or emergency.
        #[arg(long)]
        kind: String,
        /// The floor, zone or building number.
        #[arg(long)]
        scope: Option<i64>,
        /// Who holds it.
        #[arg(long)]
        holder: String,
        /// First day, YYYY-MM-DD (default today).
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        until: String,
        /// Days: daily, weekdays, mon-fri, sat,sun, …
        #[arg(long)]
        days: Option<String>,
        /// Hours HH:MM-HH:MM (may run past midnight).
        #[arg(long)]
        hours: Option<String>,
        #[command(flatten)]
        out: OutDir,
    },
    /// A stay and every card issued for it.
    Stay {
        /// Stay id.
        stay: i64,
    },
}

/// Room commands.
#[derive(Debug, Subcommand)]
pub enum RoomCmd {
    /// Make a lock a hotel door (sent to the lock only when it changes).
    Set {
        /// Lock id.
        lock: i64,
        /// Room (door) number.
        #[arg(long)]
        door: u32,
        /// A common door (lobby, gym): building and emergency cards only.
        #[arg(long)]
        common: bool,
        /// Floor.
        #[arg(long, default_value_t = 0)]
        floor: u16,
        /// Zone.
        #[arg(long, default_value_t = 0)]
        zone: u16,
        /// Building.
        #[arg(long, default_value_t = 0)]
        building: u16,
    },
    /// Make a room an ordinary lock again.
    Clear {
        /// Lock id.
        lock: i64,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Who entered with which card (refusals too), newest first.
    History {
        /// Lock id.
        lock: i64,
        /// Events of the lock looked at.
        #[arg(long)]
        limit: Option<i64>,
    },
}

/// Where card files go.
#[derive(Debug, Args)]
pub struct OutDir {
    /// Directory for the card files (created if missing).
    #[arg(long = "out", default_value = ".")]
    dir: PathBuf,
}

/// The value at a JSON pointer (`null` when absent).
fn at<'a>(v: &'a Value, pointer: &str) -> &'a Value {
    v.pointer(pointer).unwrap_or(&Value::Null)
}

fn s(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

const DESK: &[Column<Value>] = &[
    ("LOCK", |r| s(&r["lock_id"])),
    ("ROOM", |r| s(&r["door"])),
    ("FLOOR", |r| s(&r["floor"])),
    ("ONLINE", |r| s(&r["online"])),
    ("STAY", |r| s(at(r, "/stay/id"))),
    ("GUEST", |r| s(at(r, "/stay/guest"))),
    ("CHECK-OUT", |r| s(at(r, "/stay/until_s"))),
    ("CHECKED OUT", |r| s(at(r, "/stay/checked_out_at"))),
];

const CARDS: &[Column<Value>] = &[
    ("NUMBER", |c| s(&c["number"])),
    ("KIND", |c| s(&c["kind"])),
    ("GEN", |c| s(&c["generation"])),
    ("HOLDER", |c| s(&c["holder"])),
    ("FROM", |c| s(&c["from_s"])),
    ("UNTIL", |c| s(&c["until_s"])),
    ("LOST", |c| s(&c["lost_at"])),
];

const HISTORY: &[Column<Value>] = &[
    ("AT", |e| s(&e["at"])),
    ("CARD", |e| s(&e["number"])),
    ("HOLDER", |e| s(at(e, "/card/holder"))),
    ("KIND", |e| s(at(e, "/card/kind"))),
    ("OPENED", |e| s(&e["opened"])),
    ("RESULT", |e| s(&e["result"])),
];

/// Writes each card image of an answer into `dir`; returns the lines to print.
pub fn write_cards(dir: &Path, issued: &Value) -> Result<Vec<String>, CliError> {
    let io = |what: String| CliError::new(exit::INVALID, what);
    std::fs::create_dir_all(dir).map_err(|e| io(format!("{}: {e}", dir.display())))?;
    let mut lines = Vec::new();
    for c in issued["cards"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let (Some(file), Some(image)) = (c["file"].as_str(), c["image"].as_str()) else {
            return Err(io("the hub's answer has no card image".into()));
        };
        // The hub names the files; never let a name leave the directory.
        if file.contains(['/', '\\']) || file.starts_with('.') {
            return Err(io(format!("unexpected card file name {file:?}")));
        }
        let bytes = hex_decode(image).ok_or_else(|| io("card image is not hex".into()))?;
        // Never overwrite a card file (an earlier guest's card of the same room
        // has the same name): a taken name gets the card number added.
        let mut path = dir.join(file);
        let written = write_new(&path, &bytes);
        let written = match written {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let stem = file.strip_suffix(".card").unwrap_or(file);
                path = dir.join(format!("{stem}-{}.card", s(&c["number"])));
                write_new(&path, &bytes)
            }
            other => other,
        };
        written.map_err(|e| io(format!("{}: {e}", path.display())))?;
        lines.push(format!(
            "wrote {} (card {}, {}, until {})",
            path.display(),
            s(&c["number"]),
            s(&c["kind"]),
            s(&c["until_s"])
        ));
    }
    Ok(lines)
}

/// Writes a file that must not exist yet.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

fn issued_text(v: &Value, lines: &[String]) -> String {
    let mut out = String::new();
    if let Some(stay) = v.get("stay").filter(|s| !s.is_null()) {
        out.push_str(&format!(
            "stay {} for {}: check-out {}\n",
            s(&stay["id"]),
            s(&stay["guest"]),
            s(&stay["until_s"])
        ));
    }
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Runs a hotel command.
pub async fn run(g: &Global, c: HotelCmd) -> anyhow::Result<()> {
    let api = api(g)?;
    let cards = |v: &crate::client::Answer<Value>, out: &OutDir| -> anyhow::Result<()> {
        let lines = write_cards(&out.dir, &v.body)?;
        emit(g.json, v, |b| issued_text(b, &lines));
        Ok(())
    };
    match c {
        HotelCmd::Room(RoomCmd::Set {
            lock,
            door,
            common,
            floor,
            zone,
            building,
        }) => {
            let body = RoomBody {
                door,
                guest_room: !common,
                floor,
                zone,
                building,
            };
            let v = api
                .put::<Value, _>(&format!("/locks/{lock}/room"), &body)
                .await?;
            emit(g.json, &v, |r| {
                format!(
                    "lock {lock} is room {} (floor {})\n",
                    s(&r["door"]),
                    s(&r["floor"])
                )
            });
        }
        HotelCmd::Room(RoomCmd::Clear { lock, yes }) => {
            confirm(&format!("Make lock {lock} an ordinary lock again?"), yes)?;
            api.delete(&format!("/locks/{lock}/room")).await?;
            if !g.json {
                println!("Lock {lock} is no longer a room.");
            }
        }
        HotelCmd::Room(RoomCmd::History { lock, limit }) => {
            let q = limit.map(|l| format!("?limit={l}")).unwrap_or_default();
            let v = api
                .get::<Vec<Value>>(&format!("/locks/{lock}/room-history{q}"))
                .await?;
            emit(g.json, &v, |v| table(v, HISTORY));
        }
        HotelCmd::Desk { site } => {
            let v = api
                .get::<Vec<Value>>(&format!("/sites/{site}/front-desk"))
                .await?;
            emit(g.json, &v, |v| table(v, DESK));
        }
        HotelCmd::Checkin {
            lock,
            guest,
            cards: n,
            checkout,
            time,
            out,
        } => {
            let body = CheckInBody {
                guest,
                cards: Some(n),
                checkout,
                checkout_time: time,
            };
            let v = api
                .post::<Value, _>(&format!("/locks/{lock}/check-in"), &body)
                .await?;
            cards(&v, &out)?;
        }
        HotelCmd::Extend {
            stay,
            checkout,
            time,
            out,
        } => {
            let body = ExtendBody {
                checkout,
                checkout_time: time,
            };
            let v = api
                .post::<Value, _>(&format!("/stays/{stay}/extend"), &body)
                .await?;
            cards(&v, &out)?;
        }
        HotelCmd::Checkout { stay } => {
            let v = api
                .post_empty::<Value>(&format!("/stays/{stay}/check-out"))
                .await?;
            emit(g.json, &v, |b| {
                format!("stay {stay} checked out at {}\n", s(&b["checked_out_at"]))
            });
        }
        HotelCmd::LostCard {
            stay,
            number,
            cards: n,
            out,
        } => {
            let body = LostBody {
                number,
                cards: Some(n),
            };
            let v = api
                .post::<Value, _>(&format!("/stays/{stay}/lost-card"), &body)
                .await?;
            cards(&v, &out)?;
        }
        HotelCmd::StaffCard {
            site,
            kind,
            scope,
            holder,
            from,
            until,
            days,
            hours,
            out,
        } => {
            let body = StaffBody {
                kind,
                scope,
                holder,
                from,
                until,
                days,
                hours,
            };
            let v = api
                .post::<Value, _>(&format!("/sites/{site}/staff-cards"), &body)
                .await?;
            cards(&v, &out)?;
        }
        HotelCmd::Stay { stay } => {
            let v = api.get::<Value>(&format!("/stays/{stay}")).await?;
            emit(g.json, &v, |b| {
                let st = &b["stay"];
                let head = format!(
                    "stay {} room lock {} guest {}: check-in {}, check-out {}, checked out {}\n",
                    s(&st["id"]),
                    s(&st["lock_id"]),
                    s(&st["guest"]),
                    s(&st["stay"]),
                    s(&st["until_s"]),
                    s(&st["checked_out_at"])
                );
                let list: Vec<Value> = b["cards"].as_array().cloned().unwrap_or_default();
                head + &table(&list, CARDS)
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_files_are_written_from_the_answer_and_stay_in_their_directory() {
        let dir = tempfile::tempdir().unwrap();
        let answer = serde_json::json!({"stay": null, "cards": [
            {"file": "room101-a.card", "image": "0a0bff", "number": 1001, "kind": "guest", "until_s": "x"},
        ]});
        let lines = write_cards(dir.path(), &answer).unwrap();
        assert_eq!(lines.len(), 1);
        // The next guest of the room: the first guest's file is kept.
        let next = serde_json::json!({"stay": null, "cards": [
            {"file": "room101-a.card", "image": "0c", "number": 1003, "kind": "guest", "until_s": "y"},
        ]});
        let lines2 = write_cards(dir.path(), &next).unwrap();
        assert!(lines2[0].contains("room101-a-1003.card"), "{lines2:?}");
        assert_eq!(
            std::fs::read(dir.path().join("room101-a-1003.card")).unwrap(),
            vec![0x0c]
        );
        assert_eq!(
            std::fs::read(dir.path().join("room101-a.card")).unwrap(),
            vec![0x0a, 0x0b, 0xff]
        );
        assert_eq!(
            std::fs::read(dir.path().join("room101-a.card")).unwrap(),
            [0x0a, 0x0b, 0xff]
        );
        for bad in ["../x.card", "a/b.card", ".hidden"] {
            let answer = serde_json::json!({"cards": [{"file": bad, "image": "00"}]});
            assert!(write_cards(dir.path(), &answer).is_err(), "{bad}");
        }
        let answer = serde_json::json!({"cards": [{"file": "ok.card", "image": "zz"}]});
        assert!(write_cards(dir.path(), &answer).is_err());
    }
}
