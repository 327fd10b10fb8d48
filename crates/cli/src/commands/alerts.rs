//! `tumbler alerts [list|ack ID]`.

use clap::{Args, Subcommand};

use tumbler_hub::model::Alert;

use super::{api, Global};
use crate::output::{emit, opt, opt_time, record, table, time, Column};

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

const COLUMNS: &[Column<Alert>] = &[
    ("ID", |a| a.id.to_string()),
    ("LOCK", |a| opt(&a.lock_id)),
    ("KIND", |a| a.kind.to_string()),
    ("SEVERITY", |a| a.severity.to_string()),
    ("MESSAGE", |a| a.message.clone()),
    ("TIMES", |a| a.times.to_string()),
    ("CREATED", |a| time(a.created_at)),
    ("LAST", |a| time(a.last_at)),
    ("CLEARED", |a| opt_time(a.cleared_at)),
    ("ACKED", |a| opt_time(a.acked_at)),
];

/// Runs an alert command.
pub async fn run(g: &Global, a: AlertsArgs) -> anyhow::Result<()> {
    let api = api(g)?;
    match a.cmd.unwrap_or(AlertsCmd::List { all: false }) {
        AlertsCmd::List { all } => {
            let v = api
                .get::<Vec<Alert>>(&format!("/alerts?open={}", !all))
                .await?;
            emit(g.json, &v, |v| table(v, COLUMNS));
        }
        AlertsCmd::Ack { id } => {
            let v = api
                .post_empty::<Alert>(&format!("/alerts/{id}/ack"))
                .await?;
            emit(g.json, &v, record);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::records::samples::{alert, alert2, read};

    #[test]
    fn the_table_prints_as_before() {
        crate::output::old::same_table(
            &[read(alert()), read(alert2())],
            super::COLUMNS,
            &[
                ("ID", "id"),
                ("LOCK", "lock_id"),
                ("KIND", "kind"),
                ("SEVERITY", "severity"),
                ("MESSAGE", "message"),
                ("TIMES", "times"),
                ("CREATED", "created_at"),
                ("LAST", "last_at"),
                ("CLEARED", "cleared_at"),
                ("ACKED", "acked_at"),
            ],
        );
    }
}
