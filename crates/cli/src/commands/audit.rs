//! `tumbler audit [--limit N]`: the organisation's audit trail, newest first.

use clap::Args;

use tumbler_hub::model::AuditEntry;

use super::{api, Global};
use crate::output::{cell, emit, opt, table, time, Column};

/// Arguments of `tumbler audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// How many entries (1..=1000, default 100).
    #[arg(long)]
    limit: Option<i64>,
}

const COLUMNS: &[Column<AuditEntry>] = &[
    ("ID", |a| a.id.to_string()),
    ("AT", |a| time(a.at)),
    ("ACTION", |a| a.action.clone()),
    ("LOCK", |a| opt(&a.lock_id)),
    ("ACCOUNT", |a| opt(&a.account_id)),
    ("DETAIL", |a| cell(&a.detail)),
];

/// Runs `tumbler audit` (owners).
pub async fn run(g: &Global, a: AuditArgs) -> anyhow::Result<()> {
    let api = api(g)?;
    let path = match a.limit {
        Some(n) => format!("/audit?limit={n}"),
        None => "/audit".to_owned(),
    };
    let v = api.get::<Vec<AuditEntry>>(&path).await?;
    emit(g.json, &v, |v| table(v, COLUMNS));
    Ok(())
}
