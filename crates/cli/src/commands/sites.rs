//! `tumbler sites list|add|set|delete`: sites and their time zones.

use clap::Subcommand;
use tumbler_hub::api::sites::{CreateBody, UpdateBody};
use tumbler_hub::model::Site;

use super::{api, confirm, Global};
use crate::exit::{self, CliError};
use crate::output::{emit, record, table, time, Column};

/// Site commands.
#[derive(Debug, Subcommand)]
pub enum SitesCmd {
    /// List sites.
    List,
    /// Create a site.
    #[command(alias = "add")]
    Create {
        /// Name.
        name: String,
        /// IANA time zone, e.g. Europe/Paris.
        #[arg(long = "tz", default_value = "UTC")]
        time_zone: String,
    },
    /// Rename a site or change its time zone (the new zone's rule is sent to
    /// each of its locks; schedules stay in site local time).
    Set {
        /// Site id.
        id: i64,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New IANA time zone, e.g. Europe/Paris.
        #[arg(long = "tz")]
        time_zone: Option<String>,
    },
    /// Delete an empty site.
    Delete {
        /// Site id.
        id: i64,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

const COLUMNS: &[Column<Site>] = &[
    ("ID", |s| s.id.to_string()),
    ("NAME", |s| s.name.clone()),
    ("TIME ZONE", |s| s.time_zone.clone()),
    ("CREATED", |s| time(s.created_at)),
];

/// Runs a site command.
pub async fn run(g: &Global, c: SitesCmd) -> anyhow::Result<()> {
    let api = api(g)?;
    match c {
        SitesCmd::List => {
            let v = api.get::<Vec<Site>>("/sites").await?;
            emit(g.json, &v, |v| table(v, COLUMNS));
        }
        SitesCmd::Create { name, time_zone } => {
            let v = api
                .post::<Site, _>("/sites", &CreateBody { name, time_zone })
                .await?;
            emit(g.json, &v, record);
        }
        SitesCmd::Set {
            id,
            name,
            time_zone,
        } => {
            if name.is_none() && time_zone.is_none() {
                return Err(CliError::new(
                    exit::INVALID,
                    "nothing to change: give --name and/or --tz",
                )
                .into());
            }
            let v = api
                .patch::<Site, _>(&format!("/sites/{id}"), &UpdateBody { name, time_zone })
                .await?;
            emit(g.json, &v, record);
        }
        SitesCmd::Delete { id, yes } => {
            confirm(&format!("Delete site {id}?"), yes)?;
            api.delete(&format!("/sites/{id}")).await?;
            if !g.json {
                println!("Deleted site {id}.");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::records::samples::{read, site};

    #[test]
    fn the_table_prints_as_before() {
        let mut other = site();
        other["id"] = 2.into();
        other["time_zone"] = "UTC".into();
        crate::output::old::same_table(
            &[read(site()), read(other)],
            super::COLUMNS,
            &[
                ("ID", "id"),
                ("NAME", "name"),
                ("TIME ZONE", "time_zone"),
                ("CREATED", "created_at"),
            ],
        );
    }
}
