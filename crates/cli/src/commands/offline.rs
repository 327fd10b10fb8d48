//! `tumbler offline-code enable|issue|list|revoke|revoke-all`: codes a lock checks by
//! itself. `issue` needs no contact with the lock and prints the ten digits once; the
//! body is the hub's own type (`IssueOfflineCode`), so the CLI and the API agree.

use clap::{Subcommand, ValueEnum};
use tumbler_hub::api::offline::{
    IssueOfflineCode, IssuedOfflineCode, OfflineCodes, OfflineWindow, RevokedOfflineCode,
};
use tumbler_hub::model::Operation;
use tumbler_hub::store::offline::OfflineCode;

use super::lock::follow;
use super::{api, confirm, Global};
use crate::exit::{self, CliError};
use crate::output::{emit, opt_time, table, time, Column};

/// The kinds of window, as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Opens once within `--hours` from `--from`.
    OneTime,
    /// Opens as often as typed for `--hours` (1-24) from `--from`.
    Hours,
    /// Opens for `--days` (1-31) whole days from `--from`.
    Days,
    /// Opens every day of `--days` (1-28) from `--first-day`, `--from-hour` to `--to-hour` (site local time).
    Daily,
}

/// Offline-code commands.
#[derive(Debug, Subcommand)]
pub enum OfflineCmd {
    /// Turn offline codes on for a lock: the hub makes its secret and sends it when the lock is online.
    Enable {
        /// Lock id.
        lock: i64,
        /// Wait until the lock has it.
        #[arg(long)]
        wait: bool,
    },
    /// Issue a code (no contact with the lock); the digits are printed once.
    Issue {
        /// Lock id.
        lock: i64,
        /// Kind of window.
        #[arg(long, value_enum)]
        kind: Kind,
        /// Who it is for (shown in the lock's history).
        #[arg(long)]
        label: String,
        /// First instant, RFC 3339 (rounded down to the hour): one-time, hours, days.
        #[arg(long)]
        from: Option<String>,
        /// Hours (one-time, hours).
        #[arg(long)]
        hours: Option<u8>,
        /// Days (days, daily).
        #[arg(long)]
        days: Option<u8>,
        /// First local day, YYYY-MM-DD (daily).
        #[arg(long)]
        first_day: Option<String>,
        /// Local hour each day's window opens (daily).
        #[arg(long)]
        from_hour: Option<u8>,
        /// Local hour it closes (daily).
        #[arg(long)]
        to_hour: Option<u8>,
    },
    /// A lock's offline codes (never the digits).
    List {
        /// Lock id.
        lock: i64,
    },
    /// Revoke one code: the lock refuses it once it is next online.
    Revoke {
        /// Offline code id (from `list`).
        code: i64,
        /// Wait until the lock has the deny entry.
        #[arg(long)]
        wait: bool,
    },
    /// Revoke every code of a lock: a new secret and epoch, sent when it is online.
    RevokeAll {
        /// Lock id.
        lock: i64,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        /// Wait until the lock has the new secret.
        #[arg(long)]
        wait: bool,
    },
}

const COLUMNS: &[Column<OfflineCode>] = &[
    ("ID", |c| c.id.to_string()),
    ("KIND", |c| c.kind.clone()),
    ("FROM", |c| time(c.starts_at)),
    ("UNTIL", |c| time(c.ends_at)),
    ("LABEL", |c| c.label.clone()),
    ("EPOCH", |c| c.epoch.to_string()),
    ("REVOKED", |c| opt_time(c.revoked_at)),
];

fn need<T>(v: Option<T>, flag: &str, kind: &str) -> Result<T, CliError> {
    v.ok_or_else(|| CliError::new(exit::USAGE, format!("--kind {kind} needs {flag}")))
}

/// The window from the flags; a usage error names the missing flag.
#[allow(clippy::too_many_arguments)]
pub fn window(
    kind: Kind,
    from: Option<String>,
    hours: Option<u8>,
    days: Option<u8>,
    first_day: Option<String>,
    from_hour: Option<u8>,
    to_hour: Option<u8>,
) -> Result<OfflineWindow, CliError> {
    Ok(match kind {
        Kind::OneTime => OfflineWindow::OneTime {
            starts_at: need(from, "--from", "one-time")?,
            hours: need(hours, "--hours", "one-time")?,
        },
        Kind::Hours => OfflineWindow::Hours {
            starts_at: need(from, "--from", "hours")?,
            hours: need(hours, "--hours", "hours")?,
        },
        Kind::Days => OfflineWindow::Days {
            starts_at: need(from, "--from", "days")?,
            days: need(days, "--days", "days")?,
        },
        Kind::Daily => OfflineWindow::Daily {
            first_day: need(first_day, "--first-day", "daily")?,
            days: need(days, "--days", "daily")?,
            from_hour: need(from_hour, "--from-hour", "daily")?,
            to_hour: need(to_hour, "--to-hour", "daily")?,
        },
    })
}

fn op_line(op: &Operation) -> String {
    format!("operation {} {} ({})\n", op.id, op.kind, op.state)
}

async fn maybe_follow(
    api: &crate::client::Api,
    op: crate::client::Answer<Operation>,
    wait: bool,
) -> anyhow::Result<crate::client::Answer<Operation>> {
    if wait {
        follow(api, op).await
    } else {
        Ok(op)
    }
}

/// Runs an offline-code command.
pub async fn run(g: &Global, c: OfflineCmd) -> anyhow::Result<()> {
    match c {
        OfflineCmd::Enable { lock, wait } => {
            let api = api(g)?;
            let op = api
                .post_empty::<Operation>(&format!("/locks/{lock}/offline-codes/enable"))
                .await?;
            let op = maybe_follow(&api, op, wait).await?;
            emit(g.json, &op, op_line);
        }
        OfflineCmd::Issue {
            lock,
            kind,
            label,
            from,
            hours,
            days,
            first_day,
            from_hour,
            to_hour,
        } => {
            let body = IssueOfflineCode {
                window: window(kind, from, hours, days, first_day, from_hour, to_hour)?,
                label,
            };
            let api = api(g)?;
            let v = api
                .post::<IssuedOfflineCode, _>(&format!("/locks/{lock}/offline-codes"), &body)
                .await?;
            emit(g.json, &v, |v| {
                let c = &v.offline_code;
                format!(
                    "code: {}#  (shown once; type it at the keypad, then #)\n\
                     offline code #{} ({}) {} .. {}\n",
                    v.code,
                    c.id,
                    c.label,
                    time(c.starts_at),
                    time(c.ends_at)
                )
            });
        }
        OfflineCmd::List { lock } => {
            let api = api(g)?;
            let v = api
                .get::<OfflineCodes>(&format!("/locks/{lock}/offline-codes"))
                .await?;
            emit(g.json, &v, |v| {
                let mut out = match v.epoch {
                    Some(e) => format!("offline codes enabled, epoch {e}\n"),
                    None => "offline codes not enabled (tumbler offline-code enable LOCK)\n".into(),
                };
                out.push_str(&table(&v.codes, COLUMNS));
                out
            });
        }
        OfflineCmd::Revoke { code, wait } => {
            let api = api(g)?;
            let v = api
                .post_empty::<RevokedOfflineCode>(&format!("/offline-codes/{code}/revoke"))
                .await?;
            if let (true, Some(op)) = (wait, &v.body.operation) {
                let op = api
                    .get::<Operation>(&format!("/operations/{}", op.id))
                    .await?;
                follow(&api, op).await?;
            }
            emit(g.json, &v, |v| match &v.operation {
                Some(op) => format!(
                    "offline code #{} revoked; {}",
                    v.offline_code.id,
                    op_line(op)
                ),
                None => format!(
                    "offline code #{} revoked (it could not open any more anyway)\n",
                    v.offline_code.id
                ),
            });
        }
        OfflineCmd::RevokeAll { lock, yes, wait } => {
            confirm(
                &format!("Revoke every offline code of lock {lock} (new secret and epoch)?"),
                yes,
            )?;
            let api = api(g)?;
            let op = api
                .post_empty::<Operation>(&format!("/locks/{lock}/offline-codes/revoke-all"))
                .await?;
            let op = maybe_follow(&api, op, wait).await?;
            emit(g.json, &op, op_line);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_names_the_flag_it_misses() {
        let e = window(Kind::Hours, None, Some(2), None, None, None, None).unwrap_err();
        assert_eq!(e.code, exit::USAGE);
        assert!(e.message.contains("--from"), "{}", e.message);
        let e = window(
            Kind::Daily,
            None,
            None,
            Some(3),
            Some("2026-03-28".into()),
            Some(9),
            None,
        )
        .unwrap_err();
        assert!(e.message.contains("--to-hour"), "{}", e.message);
        let w = window(
            Kind::OneTime,
            Some("2026-12-08T09:00:00Z".into()),
            Some(4),
            None,
            None,
            None,
            None,
        )
        .unwrap();
        let body = serde_json::to_value(IssueOfflineCode {
            window: w,
            label: "Parcel".into(),
        })
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"kind": "one_time", "starts_at": "2026-12-08T09:00:00Z", "hours": 4, "label": "Parcel"})
        );
    }
}
