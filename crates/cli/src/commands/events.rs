//! `tumbler events`: search the history.

use clap::Args;

use tumbler_hub::model::Event;

use super::{api, Global};
use crate::client::query;
use crate::output::{cell, emit, table, time, Column};

/// Arguments of `tumbler events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only this lock.
    #[arg(long)]
    lock: Option<i64>,
    /// Only this kind (unlocked, jammed, …).
    #[arg(long)]
    kind: Option<String>,
    /// At or after (RFC 3339, e.g. 2026-01-31T08:00:00Z).
    #[arg(long)]
    from: Option<String>,
    /// Before (RFC 3339).
    #[arg(long)]
    to: Option<String>,
    /// At most this many (default 100).
    #[arg(long)]
    limit: Option<i64>,
}

const COLUMNS: &[Column<Event>] = &[
    ("AT", |e| time(e.at)),
    ("LOCK", |e| e.lock_id.to_string()),
    ("SEQ", |e| e.seq.to_string()),
    ("KIND", |e| e.kind.clone()),
    ("DATA", |e| cell(&e.data)),
];

/// Runs the search.
pub async fn run(g: &Global, a: EventsArgs) -> anyhow::Result<()> {
    let api = api(g)?;
    let q = query(&[
        ("lock", a.lock.map(|l| l.to_string())),
        ("kind", a.kind),
        ("from", a.from),
        ("to", a.to),
        ("limit", a.limit.map(|l| l.to_string())),
    ]);
    let v = api.get::<Vec<Event>>(&format!("/events{q}")).await?;
    emit(g.json, &v, |v| table(v, COLUMNS));
    Ok(())
}
