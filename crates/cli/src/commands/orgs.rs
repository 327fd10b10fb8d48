//! `tumbler orgs list|create NAME --owner EMAIL` (hub operators only: the
//! admin the first run created is one).

use clap::Subcommand;
use tumbler_hub::api::org::CreateOrgBody;
use tumbler_hub::model::Org;
use tumbler_hub::service::orgs::CreatedOrg;

use super::{api, Global};
use crate::output::{emit, table, time, Column};

/// Organisation commands (hub operators).
#[derive(Debug, Subcommand)]
pub enum OrgsCmd {
    /// Every organisation of the hub.
    List,
    /// Create an organisation with a first site and its owner; the owner's
    /// initial password is printed once.
    #[command(alias = "add")]
    Create {
        /// Name.
        name: String,
        /// The first owner's login e-mail.
        #[arg(long)]
        owner: String,
        /// Time zone of its first site.
        #[arg(long = "tz", default_value = "UTC")]
        time_zone: String,
    },
}

const COLUMNS: &[Column<Org>] = &[
    ("ID", |o| o.id.to_string()),
    ("NAME", |o| o.name.clone()),
    ("CREATED", |o| time(o.created_at)),
];

/// Runs an organisation command.
pub async fn run(g: &Global, c: OrgsCmd) -> anyhow::Result<()> {
    let api = api(g)?;
    match c {
        OrgsCmd::List => {
            let v = api.get::<Vec<Org>>("/orgs").await?;
            emit(g.json, &v, |v| table(v, COLUMNS));
        }
        OrgsCmd::Create {
            name,
            owner,
            time_zone,
        } => {
            let body = CreateOrgBody {
                name,
                owner_email: owner,
                time_zone: Some(time_zone),
            };
            let v = api.post::<CreatedOrg, _>("/orgs", &body).await?;
            emit(g.json, &v, |c| {
                format!(
                    "Organisation {} \"{}\" created, with site {} \"{}\" ({}).\n\
                     Owner: {} (account {})\nPassword: {}\n\
                     (shown once: give it to the owner, who logs in and changes it with `tumbler password`)\n",
                    c.org.id,
                    c.org.name,
                    c.site.id,
                    c.site.name,
                    c.site.time_zone,
                    c.owner.email,
                    c.owner.id,
                    c.password
                )
            });
        }
    }
    Ok(())
}
