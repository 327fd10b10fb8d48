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

#[cfg(test)]
mod tests {
    use crate::records::samples::read;
    use serde_json::json;

    #[test]
    fn the_table_prints_as_before() {
        let e = |id: i64, data: serde_json::Value| {
            json!({"id": id, "org_id": null, "lock_id": 7, "seq": 4294967298_i64 + id,
                "kind": "unlocked", "at": "2026-01-01T00:00:00.001Z",
                "received_at": "2026-01-01T00:00:01Z", "data": data})
        };
        crate::output::old::same_table(
            &[
                read(e(1, json!({"by": "pin", "user": 3}))),
                read(e(2, json!(null))),
                read(e(3, json!("text"))),
            ],
            super::COLUMNS,
            &[
                ("AT", "at"),
                ("LOCK", "lock_id"),
                ("SEQ", "seq"),
                ("KIND", "kind"),
                ("DATA", "data"),
            ],
        );
    }
}
