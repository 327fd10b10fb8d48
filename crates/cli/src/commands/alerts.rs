//! `tumbler alerts [list|ack ID]`.

use clap::{Args, Subcommand};

use super::{api, Global};
use crate::output::{emit, record, table};

/// Arguments of `tumbler alerts`.
#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    cmd: Option<AlertsCmd>,
}

/// Alert commands.
#[derive(Debug, Subcommand)]
pub enum AlertsCmd {
    /// List alerts (open ones unless --all).
    List {
        /// Include acknowledged alerts.
        #[arg(long)]
        all: bool,
    },
    /// Acknowledge an alert.
    Ack {
        /// Alert id.
        id: i64,
    },
}

const COLUMNS: &[(&str, &str)] = &[
    ("ID", "id"),
    ("LOCK", "lock_id"),
    ("KIND", "kind"),
    ("SEVERITY", "severity"),
    ("MESSAGE", "message"),
    ("TIMES", "times"),
    ("CREATED", "created_at"),
    ("LAST", "last_at"),
    ("ACKED", "acked_at"),
];

/// Runs an alert command.
pub async fn run(g: &Global, a: AlertsArgs) -> anyhow::Result<()> {
    let api = api(g)?;
    match a.cmd.unwrap_or(AlertsCmd::List { all: false }) {
        AlertsCmd::List { all } => {
            let v = api.get(&format!("/alerts?open={}", !all)).await?;
            emit(g.json, &v, |v| table(v, COLUMNS));
        }
        AlertsCmd::Ack { id } => {
            let v = api.post_empty(&format!("/alerts/{id}/ack")).await?;
            emit(g.json, &v, record);
        }
    }
    Ok(())
}
