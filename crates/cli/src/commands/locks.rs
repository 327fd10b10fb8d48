//! `tumbler locks list|show`.

use clap::Subcommand;

use super::{api, Global};
use crate::client::query;
use crate::output::{emit, record, table};

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
    /// Show one lock.
    Show {
        /// Lock id.
        id: i64,
    },
}

const COLUMNS: &[(&str, &str)] = &[
    ("ID", "id"),
    ("SERIAL", "serial"),
    ("NAME", "name"),
    ("SITE", "site_id"),
    ("STATE", "claim_state"),
    ("ONLINE", "online"),
    ("BATTERY%", "battery_pct"),
    ("LAST SEEN", "last_seen_at"),
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
            let v = api.get(&format!("/locks{q}")).await?;
            emit(g.json, &v, |v| table(v, COLUMNS));
        }
        LocksCmd::Show { id } => {
            let v = api.get(&format!("/locks/{id}")).await?;
            emit(g.json, &v, record);
        }
    }
    Ok(())
}
