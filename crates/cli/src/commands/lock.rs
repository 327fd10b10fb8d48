//! `tumbler lock <id> <action>`: remote operations on one lock — lock,
//! unlock (optionally with a PIN read from stdin), unlock for a while,
//! reboot, self-check, status, factory reset (warns when the lock will
//! refuse it or a softer step would do, then asks, naming what is erased), manufacturer reset. `--wait` follows the operation to its end.

use std::io::{BufRead, IsTerminal};

use clap::{Args, Subcommand};
use tumbler_hub::api::operations::RequestBody;
use tumbler_hub::model::{Lock, OpState, Operation};

use super::{api, confirm, Global};
use crate::client::{Answer, Api};
use crate::exit::{self, CliError};
use crate::output::{emit, record};

/// Arguments of `tumbler lock`.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// Lock id (see `tumbler locks list`).
    id: i64,
    #[command(subcommand)]
    action: LockAction,
    /// Wait until the lock has answered (exit 11 if it refused or failed).
    #[arg(long, global = true)]
    wait: bool,
}

/// What to do to the lock.
#[derive(Debug, Subcommand)]
pub enum LockAction {
    /// Lock the door.
    Lock {
        /// Read the PIN the lock requires for remote operation from stdin.
        #[arg(long)]
        pin_stdin: bool,
    },
    /// Unlock the door.
    Unlock {
        /// Read the PIN the lock requires for remote operation from stdin.
        #[arg(long)]
        pin_stdin: bool,
        /// Relock after this many seconds.
        #[arg(long, value_name = "SECONDS")]
        relock_after: Option<u16>,
    },
    /// Restart the lock (keeps everything).
    Reboot,
    /// Ask for a factory-signed self-check report (verified by the hub).
    SelfCheck,
    /// Ask the lock for its status now.
    Status,
    /// Factory reset from the hub: erases users, codes, controllers, settings, log.
    /// Warns first when the lock will refuse it or a softer step would do
    /// (`tumbler doctor`).
    FactoryReset {
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        /// Queue it even when the hub warns against it (a low battery, no
        /// reboot tried, …).
        #[arg(long)]
        force: bool,
    },
    /// Factory reset authorised by a manufacturer token (owners only).
    ManufacturerReset {
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
}

fn read_pin() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::new(exit::FAILURE, format!("reading the PIN: {e}")))?;
    let pin = line.trim().to_owned();
    if pin.is_empty() {
        return Err(CliError::new(exit::USAGE, "no PIN on stdin"));
    }
    Ok(pin)
}

/// An operation request of `kind` (no PIN, timeout or confirmation).
fn request(kind: &str) -> RequestBody {
    RequestBody {
        kind: kind.to_owned(),
        pin: None,
        timeout_s: None,
        confirm: None,
    }
}

/// What to do about a refusal or failure, where the hub's words are terse.
fn refusal_hint(why: &str, lock: i64) -> String {
    match why {
        "low_battery" => format!(
            " — the battery is too low: change all the batteries, then try again (`tumbler doctor {lock} --check batteries`)"
        ),
        "no answer from the lock" => format!(
            " — see `tumbler doctor {lock} --symptom does_not_respond` (a reboot keeps everything)"
        ),
        _ => String::new(),
    }
}

/// How long one long-poll of [`follow`] waits (the hub allows up to 60 s;
/// 5 s keeps the "waiting: …" line current).
const FOLLOW_WAIT_MS: u32 = 5_000;

/// Follows an operation until it is final; exit 11 unless applied.
pub async fn follow(api: &Api, op: Answer<Operation>) -> anyhow::Result<Answer<Operation>> {
    let id = op.body.id;
    let mut last = op;
    let mut said: Option<String> = None;
    // Bounded (24 long-polls of 5 s: 2 min): an offline lock keeps the
    // operation pending; say so. The hub holds each GET until the operation
    // is final (`wait_ms`), so an answer shows at once, without polling.
    for _ in 0..24 {
        let state = last.body.state;
        // Say at once why it waits (and again when that changes), on stderr.
        if let Some(w) = &last.body.waiting {
            if said.as_ref() != Some(w) {
                eprintln!("waiting: {w} (Ctrl-C stops waiting; operation {id} stays queued)");
                said = Some(w.clone());
            }
        }
        match state {
            OpState::Applied => return Ok(last),
            OpState::Refused | OpState::Failed => {
                let why = last.body.error.as_deref().unwrap_or("");
                let hint = refusal_hint(why, last.body.lock_id);
                return Err(CliError::new(
                    exit::OP_FAILED,
                    format!("operation {id} {state}: {why}{hint}"),
                )
                .into());
            }
            _ => {}
        }
        last = api
            .get(&format!("/operations/{id}?wait_ms={FOLLOW_WAIT_MS}"))
            .await?;
    }
    // The hub says why it waits (offline, or connected but not answering).
    let why = match &last.body.waiting {
        Some(w) => w.clone(),
        None => "no answer from the lock yet".to_owned(),
    };
    Err(CliError::new(
        exit::LOCK_UNREACHABLE,
        format!("operation {id} is still {}: {why}", last.body.state),
    )
    .into())
}

/// Says what the hub knows against a factory reset (the lock will refuse
/// it, or a softer step would fix the problem) and goes on only with
/// `--force` or a "yes" at the terminal.
async fn warn_before_reset(api: &Api, id: i64, force: bool) -> Result<(), CliError> {
    let warnings = super::doctor::report(api, id, None, None)
        .await?
        .body
        .factory_reset_warnings;
    if warnings.is_empty() {
        return Ok(());
    }
    eprintln!("Before a factory reset of lock {id}:");
    for w in &warnings {
        eprintln!("  - {w}");
    }
    if force {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            exit::ABORTED,
            format!(
                "not queued: {} warning(s) above; see `tumbler doctor {id}`, or pass --force",
                warnings.len()
            ),
        ));
    }
    confirm("Queue the factory reset anyway?", false)
}

/// Runs `tumbler lock`.
pub async fn run(g: &Global, a: LockArgs) -> anyhow::Result<()> {
    let api = api(g)?;
    let id = a.id;
    let body = match a.action {
        LockAction::Lock { pin_stdin } => {
            let pin = if pin_stdin { Some(read_pin()?) } else { None };
            RequestBody {
                pin,
                ..request("lock")
            }
        }
        LockAction::Unlock {
            pin_stdin,
            relock_after,
        } => {
            let pin = if pin_stdin { Some(read_pin()?) } else { None };
            match relock_after {
                Some(t) => RequestBody {
                    pin,
                    timeout_s: Some(t),
                    ..request("unlock_with_timeout")
                },
                None => RequestBody {
                    pin,
                    ..request("unlock")
                },
            }
        }
        LockAction::Reboot => request("reboot"),
        LockAction::SelfCheck => request("self_check"),
        LockAction::Status => request("get_status"),
        LockAction::FactoryReset { yes, force } => {
            let lock = api.get::<Lock>(&format!("/locks/{id}")).await?.body;
            warn_before_reset(&api, id, force).await?;
            let serial = lock.serial;
            let what = tumbler_hub::control::factory_reset_summary();
            confirm(
                &format!("Factory reset lock {id} ({serial}, {})? {what}", lock.name),
                yes,
            )?;
            RequestBody {
                confirm: Some(serial),
                ..request("factory_reset")
            }
        }
        LockAction::ManufacturerReset { yes } => {
            let lock = api.get::<Lock>(&format!("/locks/{id}")).await?.body;
            let what = tumbler_hub::control::factory_reset_summary();
            confirm(
                &format!("Manufacturer reset of lock {id} ({})? {what}", lock.serial),
                yes,
            )?;
            let op = api
                .post::<Operation, _>(
                    &format!("/locks/{id}/manufacturer-reset"),
                    &tumbler_hub::api::locks::ConfirmBody {
                        confirm: Some(lock.serial),
                    },
                )
                .await?;
            let op = if a.wait { follow(&api, op).await? } else { op };
            emit(g.json, &op, record);
            return Ok(());
        }
    };
    let op = api
        .post::<Operation, _>(&format!("/locks/{id}/operations"), &body)
        .await?;
    let op = if a.wait { follow(&api, op).await? } else { op };
    emit(g.json, &op, record);
    Ok(())
}
