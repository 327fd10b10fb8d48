//! `tumbler sites list|create|delete`.

use clap::Subcommand;
use tumbler_hub::api::sites::CreateBody;
use tumbler_hub::model::Site;

use super::{api, confirm, Global};
use crate::output::{emit, record, table, time, Column};

/// Site commands.
#[derive(Debug, Subcommand)]
pub enum SitesCmd {
    /// List sites.
    List,
    /// Create a site.
    Create {
        /// Name.
        name: String,
        /// IANA time zone, e.g. Europe/Paris.
        #[arg(long = "tz", default_value = "UTC")]
        time_zone: String,
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
