//! `tumbler people …` and `tumbler access …`: people, their access to
//! doors, PIN changes, revocation (one person, or everyone but the owners),
//! who can open a door, re-enrolment after a reset and the verification
//! report. Bulk changes show a progress bar with `--wait` and end with a
//! per-door result (exit 11 if a door failed, 9 if one is still waiting).

// `serde_json::Value`'s `[]` never panics (a missing key reads as null).
#![allow(clippy::indexing_slicing)]

use std::io::BufRead;
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use tumbler_hub::api::access::{
    ChangePinBody, CredentialBody, GrantBody, HolidayBody, PersonBody, ReenrolBody, ReenrolEntry,
    RevokeAllBody, RevokeBody,
};

use super::{api, confirm, Global};
use crate::client::Api;
use crate::exit::{self, CliError};
use crate::output::{emit, record, table};

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
            let v = api.get("/people").await?;
            emit(g.json, &v, |v| {
                table(v, &[("ID", "id"), ("NAME", "name"), ("OWNER", "owner")])
            });
        }
        PeopleCmd::Add { name, owner } => {
            let v = api.post("/people", &PersonBody { name, owner }).await?;
            emit(g.json, &v, record);
        }
        PeopleCmd::Show { id } => {
            let v = api.get(&format!("/people/{id}")).await?;
            emit(g.json, &v, |v| {
                let mut out = record(v.get("person").unwrap_or(&Value::Null));
                out.push_str("\ncredentials:\n");
                out.push_str(&table(
                    v.get("credentials").unwrap_or(&Value::Null),
                    &[
                        ("ID", "id"),
                        ("KIND", "kind"),
                        ("LABEL", "label"),
                        ("REVOKED", "revoked_at"),
                    ],
                ));
                out.push_str("\ndoors:\n");
                let doors: Vec<Value> = v
                    .get("doors")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| {
                        let creds: Vec<String> = d
                            .get("credentials")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default()
                            .iter()
                            .map(|c| {
                                format!(
                                    "{}#{}={}",
                                    c["kind"].as_str().unwrap_or(""),
                                    c["credential_id"],
                                    c["state"].as_str().unwrap_or("")
                                )
                            })
                            .collect();
                        json!({
                            "lock": format!("{} {}", d["lock_id"], d["lock_name"].as_str().unwrap_or("")),
                            "state": d["state"], "error": d["error"],
                            "schedule": d["schedule_text"], "credentials": creds.join(" "),
                        })
                    })
                    .collect();
                out.push_str(&table(
                    &Value::Array(doors),
                    &[
                        ("LOCK", "lock"),
                        ("STATE", "state"),
                        ("ERROR", "error"),
                        ("SCHEDULE", "schedule"),
                        ("CREDENTIALS", "credentials"),
                    ],
                ));
                out
            });
        }
    }
    Ok(())
}

fn door_table(batch: &Value) -> String {
    let mut out = format!(
        "batch {} ({}): {}\n",
        batch["id"],
        batch["kind"].as_str().unwrap_or(""),
        counts_line(batch)
    );
    out.push_str(&table(
        batch.get("doors").unwrap_or(&Value::Null),
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

fn counts_line(batch: &Value) -> String {
    let c = &batch["counts"];
    let n = |k: &str| c.get(k).and_then(Value::as_u64).unwrap_or(0);
    format!(
        "{} doors: {} set, {} removed, {} failed, {} in progress",
        batch["total"],
        n("set"),
        n("removed"),
        n("failed"),
        n("pending") + n("setting") + n("removing")
    )
}

fn settled(batch: &Value) -> u64 {
    let c = &batch["counts"];
    ["set", "removed", "failed"]
        .iter()
        .map(|k| c.get(*k).and_then(Value::as_u64).unwrap_or(0))
        .sum()
}

/// Follows a batch to its end with a progress bar on stderr.
async fn follow_batch(api: &Api, batch: Value, w: WaitArgs) -> anyhow::Result<Value> {
    let id = batch["id"].as_i64().unwrap_or_default();
    let total = batch["total"].as_u64().unwrap_or(0);
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Polls every 250 ms: the timeout is counted in polls (no clock read).
    let mut polls: u64 = 0;
    let mut last = batch;
    loop {
        bar.set_position(settled(&last));
        bar.set_message(counts_line(&last));
        if last["done"].as_bool() == Some(true) {
            break;
        }
        polls += 1;
        if polls > w.timeout.saturating_mul(4) {
            bar.abandon();
            return Err(CliError::new(
                exit::LOCK_UNREACHABLE,
                format!(
                    "batch {id} still in progress after {} s ({}); offline doors catch up when they reconnect — see `tumbler access batch {id}`\n{}",
                    w.timeout,
                    counts_line(&last),
                    door_table(&last)
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
async fn outcome(g: &Global, api: &Api, v: Value, w: WaitArgs) -> anyhow::Result<()> {
    let pins = v.get("pins").cloned().unwrap_or(Value::Null);
    if !g.json {
        for p in pins.as_array().into_iter().flatten() {
            eprintln!(
                "PIN for person {} (credential {}): {}  — shown once, the hub does not keep it",
                p["person_id"],
                p["credential_id"],
                p["pin"].as_str().unwrap_or("")
            );
        }
    }
    let batch = v.get("batch").cloned().unwrap_or(Value::Null);
    let batch = if w.wait {
        follow_batch(api, batch, w).await?
    } else {
        batch
    };
    if g.json {
        emit(true, &json!({"batch": batch, "pins": pins}), |_| {
            String::new()
        });
    } else {
        print!("{}", door_table(&batch));
    }
    if w.wait && batch["counts"]["failed"].as_u64().unwrap_or(0) > 0 {
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
                api.get(&format!("/locks?claim_state=claimed{q}"))
                    .await?
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l["id"].as_i64())
                    .collect()
            } else {
                locks
            };
            let v = api
                .post(
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
                .post(&format!("/credentials/{credential}/change-pin"), &body)
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
            let v = api.post(&format!("/people/{person}/revoke"), &body).await?;
            outcome(g, &api, v, wait).await
        }
        AccessCmd::RevokeAllExceptOwners { yes, wait } => {
            confirm(
                "Revoke everyone except the owners on every door? Their codes, cards and app keys stop working",
                yes,
            )?;
            let v = api
                .post(
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
            let op = api.post(&format!("/locks/{lock}/holidays"), &body).await?;
            let op = if wait {
                super::lock::follow(&api, &op).await?
            } else {
                op
            };
            emit(g.json, &op, record);
            Ok(())
        }
        AccessCmd::Who { lock } => {
            let v = api.get(&format!("/locks/{lock}/who-can-open")).await?;
            emit(g.json, &v, |v| {
                table(
                    v,
                    &[
                        ("PERSON", "person_id"),
                        ("NAME", "name"),
                        ("NOW", "now"),
                        ("STATE", "state"),
                        ("WHY", "why"),
                    ],
                )
            });
            Ok(())
        }
        AccessCmd::Batch { id, wait } => {
            let v = api.get(&format!("/batches/{id}")).await?;
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
                .post(
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
        .post_empty(&format!("/locks/{lock}/verifications"))
        .await?;
    let id = v["id"].as_i64().unwrap_or_default();
    let bar = ProgressBar::new_spinner();
    bar.set_message(format!("verifying lock {lock} (self-check, slot digests)…"));
    let mut polls: u64 = 0;
    let mut last = v;
    while last["state"].as_str() == Some("running") {
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
        last = api.get(&format!("/verifications/{id}")).await?;
    }
    bar.finish_and_clear();
    if last["state"].as_str() != Some("done") {
        return Err(CliError::new(
            exit::OP_FAILED,
            format!(
                "verification {id} failed: {}",
                last["error"].as_str().unwrap_or("")
            ),
        )
        .into());
    }
    let report = last.get("report").cloned().unwrap_or(Value::Null);
    if let Some(path) = out {
        std::fs::write(&path, serde_json::to_vec_pretty(&report)?)
            .map_err(|e| CliError::new(exit::FAILURE, format!("{}: {e}", path.display())))?;
    }
    if let Some(path) = html {
        let page: tumbler_hub::control::access::VerificationReport =
            serde_json::from_value(report.clone())?;
        std::fs::write(
            &path,
            tumbler_hub::api::report_html::verification_html(&page),
        )
        .map_err(|e| CliError::new(exit::FAILURE, format!("{}: {e}", path.display())))?;
    }
    emit(g.json, &report, |r| {
        let mut s = format!(
            "lock {} ({}): {}\n",
            r["serial"].as_str().unwrap_or(""),
            r["lock_label"].as_str().unwrap_or(""),
            if r["passed"].as_bool() == Some(true) {
                "PASSED"
            } else {
                "FAILED"
            }
        );
        s.push_str(&table(
            r.get("checks").unwrap_or(&Value::Null),
            &[("CHECK", "id"), ("OK", "passed"), ("DETAIL", "detail")],
        ));
        s
    });
    if report["passed"].as_bool() != Some(true) {
        return Err(CliError::new(exit::OP_FAILED, "the verification did not pass").into());
    }
    Ok(())
}
