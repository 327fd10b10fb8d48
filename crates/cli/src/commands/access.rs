//! `tumbler people …` and `tumbler access …`: people, their access to
//! doors, PIN changes, revocation (one person, or everyone but the owners),
//! who can open a door, re-enrolment after a reset and the verification
//! report. Bulk changes show a progress bar with `--wait` and end with a
//! per-door result (exit 11 if a door failed, 9 if one is still waiting).

use std::io::BufRead;
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use tumbler_hub::api::access::{
    ChangePinBody, CredentialBody, GrantBody, HolidayBody, PersonBody, ReenrolBody, ReenrolEntry,
    ReplaceBody, RevokeAllBody, RevokeBody,
};
use tumbler_hub::control::access::VerificationReport;
use tumbler_hub::model::{Lock, Operation, VerificationState};
use tumbler_hub::service::access::{
    AccessOutcome, BatchStatus, DoorResult, PersonDetail, PersonDoor, WhoCanOpen,
};
use tumbler_hub::store::access::{CredentialRow, Person, VerificationRow};

use super::{api, confirm, Global};
use crate::client::{Answer, Api};
use crate::exit::{self, CliError};
use crate::output::{emit, opt, opt_time, record, table, yes_no, Column};

/// `tumbler people`.
#[derive(Debug, Subcommand)]
pub enum PeopleCmd {
    /// List people.
    List,
    /// Add a person.
    Add {
        /// Name.
        name: String,
        /// An owner (keeps access through `access revoke-all-except-owners`).
        #[arg(long)]
        owner: bool,
    },
    /// A person: credentials and the state on each door.
    Show {
        /// Person id.
        id: i64,
    },
}

/// How to follow a bulk change.
#[derive(Debug, Args, Clone, Copy)]
pub struct WaitArgs {
    /// Wait until every door has settled, with a progress bar.
    #[arg(long)]
    wait: bool,
    /// Stop waiting after this many seconds (doors still waiting: exit 9).
    #[arg(long, default_value_t = 120)]
    timeout: u64,
}

/// `tumbler access`.
#[derive(Debug, Subcommand)]
pub enum AccessCmd {
    /// Give a person access to doors with a new credential and a schedule.
    Grant {
        /// Person id.
        person: i64,
        /// Lock ids, comma separated.
        #[arg(long, value_delimiter = ',', required_unless_present = "all_locks")]
        locks: Vec<i64>,
        /// Every claimed lock of the organisation (or of `--site`).
        #[arg(long)]
        all_locks: bool,
        /// With `--all-locks`: only this site's locks.
        #[arg(long)]
        site: Option<i64>,
        /// Read the PIN from stdin (never from the command line).
        #[arg(long)]
        pin_stdin: bool,
        /// Generate a PIN; it is printed once.
        #[arg(long)]
        generate_pin: bool,
        /// A card UID (hex).
        #[arg(long)]
        card: Option<String>,
        /// A phone's public key (hex).
        #[arg(long)]
        app_key: Option<String>,
        /// A fingerprint template slot in the sensor.
        #[arg(long)]
        fingerprint: Option<u16>,
        /// Label of the credential.
        #[arg(long)]
        label: Option<String>,
        /// "permanent", "one-time", "until 2026-12-24T12:00",
        /// "2026-12-01T15:00..2026-12-08T11:00", "weekly mon-fri 09:00-17:00; sat 10:00-14:00"
        /// (site local time).
        #[arg(long, default_value = "permanent")]
        schedule: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Change a PIN on every door it is on (forgotten PIN).
    ChangePin {
        /// Credential id (see `tumbler people show`).
        credential: i64,
        /// Read the new PIN from stdin; otherwise one is generated and printed once.
        #[arg(long)]
        pin_stdin: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Replace one lost card or PIN on every door it is on, keeping the
    /// person and the schedule (the old one is gone once each lock's slot
    /// digest confirms the change).
    #[command(group(clap::ArgGroup::new("with").required(true).args(["card", "pin_stdin", "generate_pin"])))]
    Replace {
        /// Credential id (see `tumbler people show`).
        credential: i64,
        /// The new card's UID (hex), for a lost card.
        #[arg(long)]
        card: Option<String>,
        /// Read the new PIN from stdin, for a lost PIN.
        #[arg(long)]
        pin_stdin: bool,
        /// Generate the new PIN (printed once), for a lost PIN.
        #[arg(long)]
        generate_pin: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Revoke a person on some doors, or everywhere (moving out).
    Revoke {
        /// Person id.
        person: i64,
        /// Only these lock ids (default: every door).
        #[arg(long, value_delimiter = ',')]
        locks: Vec<i64>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Security scare: revoke everyone but the owners on every door.
    RevokeAllExceptOwners {
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// A lock-wide holiday: between two site-local times the lock runs in another mode.
    Holiday {
        /// Lock id.
        lock: i64,
        /// Start, site local time (2026-12-24T00:00).
        #[arg(long, required_unless_present = "clear")]
        from: Option<String>,
        /// End, site local time.
        #[arg(long, required_unless_present = "clear")]
        to: Option<String>,
        /// vacation (keypad and cards off but for admins), privacy, passage, normal.
        #[arg(long, default_value = "vacation")]
        mode: String,
        /// Holiday slot on the lock (0..=3).
        #[arg(long, default_value_t = 0)]
        slot: u8,
        /// Remove the holiday in this slot instead.
        #[arg(long)]
        clear: bool,
        /// Wait until the lock has answered.
        #[arg(long)]
        wait: bool,
    },
    /// Who can open a door right now, and why.
    Who {
        /// Lock id.
        lock: i64,
    },
    /// A bulk change's progress and per-door results.
    Batch {
        /// Batch id.
        id: i64,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// After a reset and re-claim: bring back chosen people (nobody else).
    Reenrol {
        /// Lock id.
        lock: i64,
        /// Person to bring back: `ID` (cards, app keys, fingerprints as before),
        /// `ID:generate` (also a new generated PIN) or `ID:stdin` (new PIN, one
        /// line per such person on stdin, in order).
        #[arg(long = "person", required = true)]
        people: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Verify a lock (after a reset): self-check, old credentials gone, chosen present.
    Verify {
        /// Lock id.
        lock: i64,
        /// Write the JSON report here.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Write the printable page here.
        #[arg(long)]
        html: Option<std::path::PathBuf>,
        /// Stop waiting after this many seconds.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
}

fn read_line() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::new(exit::FAILURE, format!("reading stdin: {e}")))?;
    let s = line.trim().to_owned();
    if s.is_empty() {
        return Err(CliError::new(exit::USAGE, "no PIN on stdin"));
    }
    Ok(s)
}

/// Runs `tumbler people`.
pub async fn people(g: &Global, c: PeopleCmd) -> anyhow::Result<()> {
    let api = api(g)?;
    match c {
        PeopleCmd::List => {
            let v = api.get::<Vec<Person>>("/people").await?;
            emit(g.json, &v, |v| {
                table(
                    v,
                    &[
                        ("ID", |p: &Person| p.id.to_string()),
                        ("NAME", |p| p.name.clone()),
                        ("OWNER", |p| yes_no(p.owner)),
                    ],
                )
            });
        }
        PeopleCmd::Add { name, owner } => {
            let v = api
                .post::<Person, _>("/people", &PersonBody { name, owner })
                .await?;
            emit(g.json, &v, record);
        }
        PeopleCmd::Show { id } => {
            let v = api.get::<PersonDetail>(&format!("/people/{id}")).await?;
            emit(g.json, &v, person_detail);
        }
    }
    Ok(())
}

/// A person: the record, their credentials, and their state on each door.
fn person_detail(v: &PersonDetail) -> String {
    const CREDENTIALS: &[Column<CredentialRow>] = &[
        ("ID", |c| c.id.to_string()),
        ("KIND", |c| c.kind.name().to_owned()),
        ("LABEL", |c| opt(&c.label)),
        ("REVOKED", |c| opt_time(c.revoked_at)),
    ];
    const DOORS: &[Column<PersonDoor>] = &[
        ("LOCK", |d| format!("{} {}", d.lock_id, d.lock_name)),
        ("STATE", |d| d.state.as_str().to_owned()),
        ("ERROR", |d| opt(&d.error)),
        ("SCHEDULE", |d| d.schedule_text.clone()),
        ("CREDENTIALS", |d| {
            d.credentials
                .iter()
                .map(|c| format!("{}#{}={}", c.kind.name(), c.credential_id, c.state.as_str()))
                .collect::<Vec<_>>()
                .join(" ")
        }),
    ];
    let mut out = record(&v.person);
    out.push_str("\ncredentials:\n");
    out.push_str(&table(&v.credentials, CREDENTIALS));
    out.push_str("\ndoors:\n");
    out.push_str(&table(&v.doors, DOORS));
    out
}

fn door_table(batch: &BatchStatus) -> String {
    const DOORS: &[Column<DoorResult>] = &[
        ("LOCK", |d| d.lock_id.to_string()),
        ("NAME", |d| d.lock_name.clone()),
        ("ONLINE", |d| yes_no(d.online)),
        ("PERSON", |d| d.person_name.clone()),
        ("STATE", |d| d.state.as_str().to_owned()),
        ("ERROR", |d| opt(&d.error)),
    ];
    let mut out = format!(
        "batch {} ({}): {}\n",
        batch.id,
        batch.kind,
        counts_line(batch)
    );
    out.push_str(&table(&batch.doors, DOORS));
    out
}

/// Doors of a batch in one state (states with none may be absent).
fn count(batch: &BatchStatus, state: &str) -> usize {
    batch.counts.get(state).copied().unwrap_or(0)
}

fn counts_line(batch: &BatchStatus) -> String {
    let n = |k: &str| count(batch, k);
    format!(
        "{} doors: {} set, {} removed, {} failed, {} in progress",
        batch.total,
        n("set"),
        n("removed"),
        n("failed"),
        n("pending") + n("setting") + n("removing")
    )
}

fn settled(batch: &BatchStatus) -> u64 {
    ["set", "removed", "failed"]
        .iter()
        .map(|k| count(batch, k) as u64)
        .sum()
}

/// Follows a batch to its end with a progress bar on stderr.
async fn follow_batch(
    api: &Api,
    batch: Answer<BatchStatus>,
    w: WaitArgs,
) -> anyhow::Result<Answer<BatchStatus>> {
    let id = batch.body.id;
    let total = batch.body.total as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Polls every 250 ms: the timeout is counted in polls (no clock read).
    let mut polls: u64 = 0;
    let mut last = batch;
    loop {
        bar.set_position(settled(&last.body));
        bar.set_message(counts_line(&last.body));
        if last.body.done {
            break;
        }
        polls += 1;
        if polls > w.timeout.saturating_mul(4) {
            bar.abandon();
            // The polls skip the per-door rows; the table needs them: each
            // door's state (pending, setting…) and whether it is online now.
            let now: Answer<BatchStatus> = api.get(&format!("/batches/{id}")).await?;
            return Err(CliError::new(
                exit::LOCK_UNREACHABLE,
                format!(
                    "stopped waiting after {} s; batch {id} is still going on in the hub ({}): offline doors catch up when they reconnect — follow it with `tumbler access batch {id} --wait`\n{}",
                    w.timeout,
                    counts_line(&now.body),
                    door_table(&now.body)
                ),
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        last = api.get(&format!("/batches/{id}?doors=false")).await?;
    }
    bar.finish_and_clear();
    // The per-door result, once.
    Ok(api.get(&format!("/batches/{id}")).await?)
}

/// Prints an access outcome (PINs once), follows it with `--wait`.
async fn outcome(
    g: &Global,
    api: &Api,
    v: Answer<AccessOutcome>,
    w: WaitArgs,
) -> anyhow::Result<()> {
    if !g.json {
        for p in &v.body.pins {
            eprintln!(
                "PIN for person {} (credential {}): {}  — shown once, the hub does not keep it",
                p.person_id, p.credential_id, p.pin
            );
        }
    }
    // `--json` prints the hub's own JSON: keep it beside the typed batch.
    let pins = v.json.get("pins").cloned().unwrap_or(Value::Null);
    let batch = Answer {
        json: v.json.get("batch").cloned().unwrap_or(Value::Null),
        body: v.body.batch,
    };
    let batch = if w.wait {
        follow_batch(api, batch, w).await?
    } else {
        batch
    };
    if g.json {
        let both = Answer {
            json: json!({"batch": batch.json, "pins": pins}),
            body: (),
        };
        emit(true, &both, |_| String::new());
    } else {
        crate::output::out(&door_table(&batch.body));
    }
    if w.wait && count(&batch.body, "failed") > 0 {
        return Err(CliError::new(exit::OP_FAILED, "some doors failed (see the table)").into());
    }
    Ok(())
}

/// Runs `tumbler access`.
pub async fn run(g: &Global, c: AccessCmd) -> anyhow::Result<()> {
    let api = api(g)?;
    match c {
        AccessCmd::Grant {
            person,
            locks,
            all_locks,
            site,
            pin_stdin,
            generate_pin,
            card,
            app_key,
            fingerprint,
            label,
            schedule,
            wait,
        } => {
            let schedule = tumbler_hub::control::access::AccessSchedule::parse_spec(&schedule)
                .map_err(|e| CliError::new(exit::USAGE, format!("--schedule: {e}")))?;
            let cred = |kind: &str| CredentialBody {
                kind: kind.to_owned(),
                label: label.clone(),
                ..Default::default()
            };
            let mut creds = Vec::new();
            if pin_stdin {
                creds.push(CredentialBody {
                    pin: Some(read_line()?),
                    ..cred("pin")
                });
            }
            if generate_pin {
                creds.push(CredentialBody {
                    generate: true,
                    ..cred("pin")
                });
            }
            if let Some(uid) = card {
                creds.push(CredentialBody {
                    uid: Some(uid),
                    ..cred("card")
                });
            }
            if let Some(k) = app_key {
                creds.push(CredentialBody {
                    key: Some(k),
                    ..cred("app_key")
                });
            }
            if let Some(t) = fingerprint {
                creds.push(CredentialBody {
                    template: Some(t),
                    ..cred("fingerprint")
                });
            }
            if creds.is_empty() {
                return Err(CliError::new(
                    exit::USAGE,
                    "give a credential: --pin-stdin, --generate-pin, --card, --app-key or --fingerprint",
                )
                .into());
            }
            let lock_ids: Vec<i64> = if all_locks {
                let q = site.map(|s| format!("&site={s}")).unwrap_or_default();
                api.get::<Vec<Lock>>(&format!("/locks?claim_state=claimed{q}"))
                    .await?
                    .body
                    .iter()
                    .map(|l| l.id)
                    .collect()
            } else {
                locks
            };
            let v = api
                .post::<AccessOutcome, _>(
                    &format!("/people/{person}/access"),
                    &GrantBody {
                        lock_ids,
                        schedule: Some(schedule),
                        credential: None,
                        credentials: creds,
                    },
                )
                .await?;
            outcome(g, &api, v, wait).await
        }
        AccessCmd::ChangePin {
            credential,
            pin_stdin,
            wait,
        } => {
            let body = ChangePinBody {
                pin: if pin_stdin { Some(read_line()?) } else { None },
            };
            let v = api
                .post::<AccessOutcome, _>(&format!("/credentials/{credential}/change-pin"), &body)
                .await?;
            outcome(g, &api, v, wait).await
        }
        AccessCmd::Replace {
            credential,
            card,
            pin_stdin,
            generate_pin: _,
            wait,
        } => {
            let body = ReplaceBody {
                uid: card,
                pin: if pin_stdin { Some(read_line()?) } else { None },
            };
            let v = api
                .post::<AccessOutcome, _>(&format!("/credentials/{credential}/replace"), &body)
                .await?;
            outcome(g, &api, v, wait).await
        }
        AccessCmd::Revoke {
            person,
            locks,
            wait,
        } => {
            let body = RevokeBody {
                lock_ids: (!locks.is_empty()).then_some(locks),
            };
            let v = api
                .post::<AccessOutcome, _>(&format!("/people/{person}/revoke"), &body)
                .await?;
            outcome(g, &api, v, wait).await
        }
        AccessCmd::RevokeAllExceptOwners { yes, wait } => {
            confirm(
                "Revoke everyone except the owners on every door? Their codes, cards and app keys stop working",
                yes,
            )?;
            let v = api
                .post::<AccessOutcome, _>(
                    "/access/revoke-all-except-owners",
                    &RevokeAllBody {
                        confirm: "revoke-all".to_owned(),
                    },
                )
                .await?;
            outcome(g, &api, v, wait).await
        }
        AccessCmd::Holiday {
            lock,
            from,
            to,
            mode,
            slot,
            clear,
            wait,
        } => {
            let body = if clear {
                HolidayBody {
                    slot,
                    clear: true,
                    ..Default::default()
                }
            } else {
                HolidayBody {
                    slot,
                    from,
                    to,
                    mode: Some(mode),
                    clear: false,
                }
            };
            let op = api
                .post::<Operation, _>(&format!("/locks/{lock}/holidays"), &body)
                .await?;
            let op = if wait {
                super::lock::follow(&api, op).await?
            } else {
                op
            };
            emit(g.json, &op, record);
            Ok(())
        }
        AccessCmd::Who { lock } => {
            let v = api
                .get::<Vec<WhoCanOpen>>(&format!("/locks/{lock}/who-can-open"))
                .await?;
            emit(g.json, &v, |v| {
                table(
                    v,
                    &[
                        ("PERSON", |w: &WhoCanOpen| w.person_id.to_string()),
                        ("NAME", |w| w.name.clone()),
                        ("NOW", |w| yes_no(w.now)),
                        ("STATE", |w| w.state.as_str().to_owned()),
                        ("WHY", |w| w.why.clone()),
                    ],
                )
            });
            Ok(())
        }
        AccessCmd::Batch { id, wait } => {
            let v = api.get::<BatchStatus>(&format!("/batches/{id}")).await?;
            let v = if wait.wait {
                follow_batch(&api, v, wait).await?
            } else {
                v
            };
            emit(g.json, &v, door_table);
            Ok(())
        }
        AccessCmd::Reenrol { lock, people, wait } => {
            let mut entries = Vec::new();
            for p in &people {
                let (id, how) = p.split_once(':').unwrap_or((p.as_str(), ""));
                let id: i64 = id
                    .parse()
                    .map_err(|_| CliError::new(exit::USAGE, format!("--person {p}: not an id")))?;
                let (pin, generate_pin) = match how {
                    "" => (None, false),
                    "generate" => (None, true),
                    "stdin" => (Some(read_line()?), false),
                    _ => {
                        return Err(CliError::new(
                            exit::USAGE,
                            format!("--person {p}: ID, ID:generate or ID:stdin"),
                        )
                        .into())
                    }
                };
                entries.push(ReenrolEntry {
                    person_id: id,
                    pin,
                    generate_pin,
                });
            }
            let v = api
                .post::<AccessOutcome, _>(
                    &format!("/locks/{lock}/reenrol"),
                    &ReenrolBody { people: entries },
                )
                .await?;
            outcome(g, &api, v, wait).await
        }
        AccessCmd::Verify {
            lock,
            out,
            html,
            timeout,
        } => verify(g, &api, lock, out, html, timeout).await,
    }
}

async fn verify(
    g: &Global,
    api: &Api,
    lock: i64,
    out: Option<std::path::PathBuf>,
    html: Option<std::path::PathBuf>,
    timeout: u64,
) -> anyhow::Result<()> {
    let v = api
        .post_empty::<VerificationRow>(&format!("/locks/{lock}/verifications"))
        .await?;
    let id = v.body.id;
    let bar = ProgressBar::new_spinner();
    bar.set_message(format!("verifying lock {lock} (self-check, slot digests)…"));
    let mut polls: u64 = 0;
    let mut last = v.body;
    while last.state == VerificationState::Running {
        polls += 1;
        if polls > timeout.saturating_mul(4) {
            bar.abandon();
            return Err(CliError::new(
                exit::LOCK_UNREACHABLE,
                format!("verification {id} still running after {timeout} s (is the lock online?)"),
            )
            .into());
        }
        bar.tick();
        tokio::time::sleep(Duration::from_millis(250)).await;
        last = api
            .get::<VerificationRow>(&format!("/verifications/{id}"))
            .await?
            .body;
    }
    bar.finish_and_clear();
    if last.state != VerificationState::Done {
        return Err(CliError::new(
            exit::OP_FAILED,
            format!(
                "verification {id} failed: {}",
                last.error.as_deref().unwrap_or("")
            ),
        )
        .into());
    }
    // The report as the hub sent it (for `--out` and `--json`), read once
    // into the report type (for the page and the table).
    let report = Answer::<VerificationReport>::read(last.report.unwrap_or(Value::Null))?;
    if let Some(path) = out {
        std::fs::write(&path, serde_json::to_vec_pretty(&report.json)?)
            .map_err(|e| CliError::new(exit::FAILURE, format!("{}: {e}", path.display())))?;
    }
    if let Some(path) = html {
        std::fs::write(
            &path,
            tumbler_hub::api::report_html::verification_html(&report.body),
        )
        .map_err(|e| CliError::new(exit::FAILURE, format!("{}: {e}", path.display())))?;
    }
    emit(g.json, &report, |r| {
        let mut s = format!(
            "lock {} ({}): {}\n",
            r.serial,
            r.lock_label,
            if r.passed { "PASSED" } else { "FAILED" }
        );
        s.push_str(&table(
            &r.checks,
            &[
                ("CHECK", |c: &tumbler_hub::control::access::Check| {
                    c.id.clone()
                }),
                ("OK", |c| yes_no(c.passed)),
                ("DETAIL", |c| c.detail.clone()),
            ],
        ));
        s
    });
    if !report.body.passed {
        return Err(CliError::new(exit::OP_FAILED, "the verification did not pass").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::output::old;
    use crate::records::samples::{person, read};

    fn batch() -> Value {
        let door = |lock: i64, online: bool, state: &str, error: Value| {
            json!({"door_access_id": lock * 10, "lock_id": lock, "lock_name": format!("Door {lock}"),
                "online": online, "person_id": 1, "person_name": "Ann", "state": state,
                "error": error})
        };
        json!({
            "id": 4, "kind": "revoke_all_except_owners", "total": 3,
            "counts": {"failed": 1, "pending": 0, "removed": 1, "removing": 1, "set": 0, "setting": 0},
            "done": false,
            "doors": [door(1, true, "removed", Value::Null), door(2, false, "removing", Value::Null),
                door(3, true, "failed", json!("refused: busy"))]
        })
    }

    /// The old batch printing, on the JSON.
    fn old_door_table(b: &Value) -> String {
        let c = &b["counts"];
        let n = |k: &str| c.get(k).and_then(Value::as_u64).unwrap_or(0);
        let mut out = format!(
            "batch {} ({}): {} doors: {} set, {} removed, {} failed, {} in progress\n",
            b["id"],
            b["kind"].as_str().unwrap_or(""),
            b["total"],
            n("set"),
            n("removed"),
            n("failed"),
            n("pending") + n("setting") + n("removing")
        );
        out.push_str(&old::table(
            b.get("doors").unwrap_or(&Value::Null),
            &[
                ("LOCK", "lock_id"),
                ("NAME", "lock_name"),
                ("ONLINE", "online"),
                ("PERSON", "person_name"),
                ("STATE", "state"),
                ("ERROR", "error"),
            ],
        ));
        out
    }

    #[test]
    fn a_batch_prints_as_before() {
        let typed: BatchStatus = read(batch());
        assert_eq!(door_table(&typed), old_door_table(&batch()));
        assert_eq!(settled(&typed), 2);
        let mut empty = batch();
        empty["doors"] = json!([]);
        assert_eq!(door_table(&read(empty.clone())), old_door_table(&empty));
    }

    #[test]
    fn who_can_open_prints_as_before() {
        let w = |id: i64, now: bool| {
            json!({"person_id": id, "name": format!("P{id}"), "owner": false, "now": now,
                "why": "weekly mon-fri 09:00-17:00; pin", "state": "set", "credentials": ["pin"]})
        };
        let items: Vec<WhoCanOpen> = vec![read(w(1, true)), read(w(22, false))];
        let json = serde_json::to_value(&items).unwrap();
        assert_eq!(
            table(
                &items,
                &[
                    ("PERSON", |w: &WhoCanOpen| w.person_id.to_string()),
                    ("NAME", |w| w.name.clone()),
                    ("NOW", |w| yes_no(w.now)),
                    ("STATE", |w| w.state.as_str().to_owned()),
                    ("WHY", |w| w.why.clone()),
                ],
            ),
            old::table(
                &json,
                &[
                    ("PERSON", "person_id"),
                    ("NAME", "name"),
                    ("NOW", "now"),
                    ("STATE", "state"),
                    ("WHY", "why"),
                ],
            )
        );
    }

    #[test]
    fn a_person_prints_as_before() {
        let v = json!({
            "person": person(),
            "credentials": [
                {"id": 5, "person_id": 1, "kind": "pin", "label": null, "data": null, "revoked_at": null},
                {"id": 6, "person_id": 1, "kind": "app_key", "label": "phone", "data": "ab",
                    "revoked_at": "2026-01-03T00:00:00Z"}
            ],
            "doors": [{
                "door_access_id": 9, "lock_id": 7, "lock_name": "Front door", "slot": 2,
                "schedule": {"kind": "permanent"}, "schedule_text": "always", "state": "set",
                "error": null,
                "credentials": [
                    {"credential_id": 5, "kind": "pin", "label": null, "state": "set", "error": null},
                    {"credential_id": 6, "kind": "app_key", "label": "phone", "state": "failed",
                        "error": "full"}
                ]
            }]
        });
        let typed: PersonDetail = read(v.clone());
        // The old printing, on the JSON.
        let obj = v["person"].as_object().unwrap();
        let w = obj.keys().map(|k| k.len()).max().unwrap();
        let mut want: String = obj
            .iter()
            .map(|(k, x)| format!("{k:<w$}  {}\n", crate::output::cell(x)))
            .collect();
        want.push_str("\ncredentials:\n");
        want.push_str(&old::table(
            &v["credentials"],
            &[
                ("ID", "id"),
                ("KIND", "kind"),
                ("LABEL", "label"),
                ("REVOKED", "revoked_at"),
            ],
        ));
        want.push_str("\ndoors:\n");
        want.push_str(&old::table(
            &json!([{"lock": "7 Front door", "state": "set", "error": null, "schedule": "always",
                "credentials": "pin#5=set app_key#6=failed"}]),
            &[
                ("LOCK", "lock"),
                ("STATE", "state"),
                ("ERROR", "error"),
                ("SCHEDULE", "schedule"),
                ("CREDENTIALS", "credentials"),
            ],
        ));
        assert_eq!(person_detail(&typed), want);
    }
}
