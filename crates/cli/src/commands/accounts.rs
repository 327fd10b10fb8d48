//! `tumbler accounts list|add EMAIL --role R|role ID R|remove ID`.

use std::io::BufRead;

use clap::Subcommand;
use tumbler_hub::api::accounts::{CreateBody, UpdateBody};
use tumbler_hub::model::{Account, Role};

use super::{api, confirm, Global};
use crate::exit::{self, CliError};
use crate::output::{emit, record, table, time, Column};

/// Account commands (owners; managers list and add installers and support).
#[derive(Debug, Subcommand)]
pub enum AccountsCmd {
    /// The organisation's accounts.
    List,
    /// Add an account; prints a one-time password unless `--password-stdin`.
    Add {
        /// Login e-mail.
        email: String,
        /// Role: owner, manager, installer or support.
        #[arg(long)]
        role: String,
        /// Display name (default: the e-mail's local part).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role (owners).
    Role {
        /// Account id.
        id: i64,
        /// New role: owner, manager, installer or support.
        role: String,
    },
    /// Remove an account and its tokens (owners).
    Remove {
        /// Account id.
        id: i64,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

const COLUMNS: &[Column<Account>] = &[
    ("ID", |a| a.id.to_string()),
    ("EMAIL", |a| a.email.clone()),
    ("NAME", |a| a.name.clone()),
    ("ROLE", |a| a.role.to_string()),
    ("CREATED", |a| time(a.created_at)),
];

/// A role by name; a bad one is named with the list of valid roles.
pub fn parse_role(s: &str) -> Result<Role, CliError> {
    Role::parse(s.trim()).ok_or_else(|| {
        let valid: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        CliError::new(
            exit::INVALID,
            format!("unknown role {s:?}: one of {}", valid.join(", ")),
        )
    })
}

impl crate::output::Record for Account {
    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("id", self.id.to_string()),
            ("org_id", self.org_id.to_string()),
            ("email", self.email.clone()),
            ("name", self.name.clone()),
            ("role", self.role.to_string()),
            ("created_at", time(self.created_at)),
        ]
    }
}

/// Runs an account command.
pub async fn run(g: &Global, c: AccountsCmd) -> anyhow::Result<()> {
    match c {
        AccountsCmd::List => {
            let v = api(g)?.get::<Vec<Account>>("/accounts").await?;
            emit(g.json, &v, |v| table(v, COLUMNS));
        }
        AccountsCmd::Add {
            email,
            role,
            name,
            password_stdin,
        } => {
            let role = parse_role(&role)?;
            let api = api(g)?;
            let (password, shown) = if password_stdin {
                let mut s = String::new();
                std::io::stdin().lock().read_line(&mut s)?;
                (s.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (tumbler_hub::secrets::new_password()?, true)
            };
            let name = name.unwrap_or_else(|| {
                email
                    .split_once('@')
                    .map_or(email.as_str(), |(l, _)| l)
                    .to_owned()
            });
            let body = CreateBody {
                email,
                name,
                role,
                password: password.clone(),
            };
            let v = api.post::<Account, _>("/accounts", &body).await?;
            emit(g.json, &v, record);
            if shown {
                // On stderr, so `--json` output stays the API's JSON.
                eprintln!(
                    "Password: {password}\n(shown once: give it to them; they change it with `tumbler password`)"
                );
            }
        }
        AccountsCmd::Role { id, role } => {
            let role = parse_role(&role)?;
            let v = api(g)?
                .patch::<Account, _>(&format!("/accounts/{id}"), &UpdateBody { role })
                .await?;
            emit(g.json, &v, record);
        }
        AccountsCmd::Remove { id, yes } => {
            let api = api(g)?;
            confirm(&format!("Remove account {id} and its tokens?"), yes)?;
            api.delete(&format!("/accounts/{id}")).await?;
            if !g.json {
                println!("Removed account {id}.");
            }
        }
    }
    Ok(())
}
