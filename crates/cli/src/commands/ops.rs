//! `tumbler ops list|show|request`.

use clap::Subcommand;
use tumbler_hub::api::operations::RequestBody;
use tumbler_hub::model::Operation;

use super::{api, Global};
use crate::client::query;
use crate::output::{emit, opt, record, table, time, Column};

/// Operation commands.
#[derive(Debug, Subcommand)]
pub enum OpsCmd {
    /// List operations, newest first.
    List {
        /// Only this lock.
        #[arg(long)]
        lock: Option<i64>,
        /// Only this state (pending, sent, applied, refused, failed).
        #[arg(long)]
        state: Option<String>,
        /// At most this many.
        #[arg(long)]
        limit: Option<i64>,
    },
    /// Show one operation.
    Show {
        /// Operation id.
        id: i64,
    },
    /// Queue an operation on a lock: lock, unlock, reboot, self_check.
    Request {
        /// Lock id.
        lock: i64,
        /// What to do.
        kind: String,
    },
}

const COLUMNS: &[Column<Operation>] = &[
    ("ID", |o| o.id.to_string()),
    ("LOCK", |o| o.lock_id.to_string()),
    ("KIND", |o| o.kind.as_str().to_owned()),
    ("STATE", |o| o.state.to_string()),
    ("ATTEMPTS", |o| o.attempts.to_string()),
    ("ERROR", |o| opt(&o.error)),
    ("UPDATED", |o| time(o.updated_at)),
];

/// Runs an operation command.
pub async fn run(g: &Global, c: OpsCmd) -> anyhow::Result<()> {
    let api = api(g)?;
    match c {
        OpsCmd::List { lock, state, limit } => {
            let q = query(&[
                ("lock", lock.map(|l| l.to_string())),
                ("state", state),
                ("limit", limit.map(|l| l.to_string())),
            ]);
            let v = api
                .get::<Vec<Operation>>(&format!("/operations{q}"))
                .await?;
            emit(g.json, &v, |v| table(v, COLUMNS));
        }
        OpsCmd::Show { id } => {
            let v = api.get::<Operation>(&format!("/operations/{id}")).await?;
            emit(g.json, &v, record);
        }
        OpsCmd::Request { lock, kind } => {
            let v = api
                .post::<Operation, _>(
                    &format!("/locks/{lock}/operations"),
                    &RequestBody {
                        kind,
                        pin: None,
                        timeout_s: None,
                        confirm: None,
                    },
                )
                .await?;
            emit(g.json, &v, record);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::records::samples::{operation, read};

    #[test]
    fn the_table_prints_as_before() {
        let mut other = operation();
        other["error"] = serde_json::Value::Null;
        other["state"] = "applied".into();
        crate::output::old::same_table(
            &[read(operation()), read(other)],
            super::COLUMNS,
            &[
                ("ID", "id"),
                ("LOCK", "lock_id"),
                ("KIND", "kind"),
                ("STATE", "state"),
                ("ATTEMPTS", "attempts"),
                ("ERROR", "error"),
                ("UPDATED", "updated_at"),
            ],
        );
    }
}
