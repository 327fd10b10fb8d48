//! `tumbler locks list|show|claim|reclaim|release|transfer|settings`.

use clap::Subcommand;
use tumbler_hub::api::locks::{ClaimBody, ConfirmBody, ReclaimBody, TransferBody};
use tumbler_hub::model::Lock;
use tumbler_hub::service::lifecycle::LifecycleOutcome;

use super::{api, confirm, Global};
use crate::client::query;
use crate::exit::{self, CliError};
use crate::output::{emit, opt, opt_time, record, table, Column};

/// Lock commands.
#[derive(Debug, Subcommand)]
pub enum LocksCmd {
    /// List locks.
    List {
        /// Only this site.
        #[arg(long)]
        site: Option<i64>,
        /// Only this claim state (claimed, reset_binding_stale, …).
        #[arg(long)]
        state: Option<String>,
    },
    /// Show one lock (with its telemetry).
    Show {
        /// Lock id.
        id: i64,
    },
    /// Claim a lock in setup mode into a site, with the setup code from its label.
    Claim {
        /// The lock's serial.
        serial: String,
        /// The setup code (or use --setup-code-stdin to keep it out of the shell history).
        #[arg(long, env = "TUMBLER_SETUP_CODE", hide_env_values = true)]
        setup_code: Option<String>,
        /// Read the setup code from stdin.
        #[arg(long)]
        setup_code_stdin: bool,
        /// Site id.
        #[arg(long)]
        site: i64,
        /// Display name (default: the serial).
        #[arg(long)]
        label: Option<String>,
        /// The lock's factory identity key (hex, from its label).
        #[arg(long)]
        factory_key: Option<String>,
    },
    /// Claim a lock again after it was factory reset (state reset_binding_stale).
    Reclaim {
        /// Lock id.
        id: i64,
        /// The setup code.
        #[arg(long, env = "TUMBLER_SETUP_CODE", hide_env_values = true)]
        setup_code: Option<String>,
        /// Read the setup code from stdin.
        #[arg(long)]
        setup_code_stdin: bool,
        /// The lock's factory identity key (hex).
        #[arg(long)]
        factory_key: Option<String>,
    },
    /// Show a lock's settings, or change them: `--set auto_relock_time=60 --set
    /// sound_volume=low` (one operation the lock confirms; `--wait` follows it).
    Settings {
        /// Lock id.
        id: i64,
        /// NAME=VALUE; repeat for several (names: auto_relock_time, sound_volume, …).
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// Wait until the lock applied or refused the change.
        #[arg(long)]
        wait: bool,
    },
    /// Give a lock up: it is factory reset first if online; the binding is deleted.
    Release {
        /// Lock id.
        id: i64,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
    /// Transfer a lock to another organisation: factory reset, then only that
    /// organisation can claim it (with the setup code).
    Transfer {
        /// Lock id.
        id: i64,
        /// Target organisation id.
        #[arg(long)]
        to_org: i64,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
}

/// The `message` of a lifecycle answer, one line.
fn message(o: &LifecycleOutcome) -> String {
    format!("{}\n", o.message)
}

fn setup_code(arg: Option<String>, stdin: bool) -> Result<String, CliError> {
    if stdin {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line)
            .map_err(|e| CliError::new(exit::FAILURE, format!("reading the setup code: {e}")))?;
        let code = line.trim().to_owned();
        if !code.is_empty() {
            return Ok(code);
        }
    }
    arg.ok_or_else(|| CliError::new(exit::USAGE, "give --setup-code or --setup-code-stdin"))
}

const COLUMNS: &[Column<Lock>] = &[
    ("ID", |l| l.id.to_string()),
    ("SERIAL", |l| l.serial.clone()),
    ("NAME", |l| l.name.clone()),
    ("SITE", |l| opt(&l.site_id)),
    ("STATE", |l| l.claim_state.to_string()),
    ("PRESENCE", |l| l.presence.to_string()),
    ("BATTERY%", |l| opt(&l.battery_pct)),
    ("LAST SEEN", |l| opt_time(l.last_seen_at)),
];

/// Runs a lock command.
pub async fn run(g: &Global, c: LocksCmd) -> anyhow::Result<()> {
    let api = api(g)?;
    match c {
        LocksCmd::List { site, state } => {
            let q = query(&[
                ("site", site.map(|s| s.to_string())),
                ("claim_state", state),
            ]);
            let v = api.get::<Vec<Lock>>(&format!("/locks{q}")).await?;
            emit(g.json, &v, |v| table(v, COLUMNS));
        }
        LocksCmd::Show { id } => {
            let v = api.get::<Lock>(&format!("/locks/{id}")).await?;
            emit(g.json, &v, record);
        }
        LocksCmd::Claim {
            serial,
            setup_code: code,
            setup_code_stdin,
            site,
            label,
            factory_key,
        } => {
            let code = setup_code(code, setup_code_stdin)?;
            let body = ClaimBody {
                serial,
                setup_code: code,
                site_id: site,
                label,
                factory_key,
            };
            let v = api.post::<Lock, _>("/locks/claim", &body).await?;
            emit(g.json, &v, record);
        }
        LocksCmd::Reclaim {
            id,
            setup_code: code,
            setup_code_stdin,
            factory_key,
        } => {
            let code = setup_code(code, setup_code_stdin)?;
            let body = ReclaimBody {
                setup_code: code,
                factory_key,
            };
            let v = api
                .post::<Lock, _>(&format!("/locks/{id}/reclaim"), &body)
                .await?;
            emit(g.json, &v, record);
        }
        LocksCmd::Settings { id, set, wait } => {
            return super::lock_settings::run(g, id, set, wait).await;
        }
        LocksCmd::Release { id, yes } => {
            let serial = api.get::<Lock>(&format!("/locks/{id}")).await?.body.serial;
            confirm(
                &format!(
                    "Release lock {id} ({serial})? If it is online it is factory reset first. {}",
                    tumbler_hub::control::factory_reset_summary()
                ),
                yes,
            )?;
            let v = api
                .post::<LifecycleOutcome, _>(
                    &format!("/locks/{id}/release"),
                    &ConfirmBody {
                        confirm: Some(serial),
                    },
                )
                .await?;
            emit(g.json, &v, message);
        }
        LocksCmd::Transfer { id, to_org, yes } => {
            let serial = api.get::<Lock>(&format!("/locks/{id}")).await?.body.serial;
            confirm(
                &format!(
                    "Transfer lock {id} ({serial}) to organisation {to_org}? It is factory reset and \
                     leaves your organisation. {}",
                    tumbler_hub::control::factory_reset_summary()
                ),
                yes,
            )?;
            let v = api
                .post::<LifecycleOutcome, _>(
                    &format!("/locks/{id}/transfer"),
                    &TransferBody {
                        to_org,
                        confirm: Some(serial),
                    },
                )
                .await?;
            emit(g.json, &v, message);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::records::samples::{lock, lock2, read};

    #[test]
    fn the_table_prints_as_before() {
        crate::output::old::same_table(
            &[read(lock()), read(lock2())],
            super::COLUMNS,
            &[
                ("ID", "id"),
                ("SERIAL", "serial"),
                ("NAME", "name"),
                ("SITE", "site_id"),
                ("STATE", "claim_state"),
                ("PRESENCE", "presence"),
                ("BATTERY%", "battery_pct"),
                ("LAST SEEN", "last_seen_at"),
            ],
        );
    }
}
