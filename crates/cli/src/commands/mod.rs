//! One file per command family: [`up`] (`up` and `hub`), [`login`],
//! [`orgs`] (hub operators), [`accounts`], [`sites`], [`locks`] ([`lock_settings`]: a lock's settings), [`access`] (people and access), [`hotel`] (the hotel front desk), [`lock`] (operations on one lock), [`offline`] (codes that work offline), [`rentals`] (listings and booking calendars), [`doctor`] (troubleshooting), [`ops`], [`events`], [`alerts`], [`sim`] (simulated locks), [`webhooks`].

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod demo;
pub mod doctor;
pub mod events;
pub mod hotel;
pub mod lock;
pub mod lock_settings;
pub mod locks;
pub mod login;
pub mod offline;
pub mod ops;
pub mod orgs;
pub mod rentals;
pub mod sim;
pub mod sites;
pub mod up;
pub mod webhooks;

use std::io::{BufRead, IsTerminal, Write};

use crate::client::Api;
use crate::exit::{self, CliError};

/// Options shared by client commands.
#[derive(Debug, Clone)]
pub struct Global {
    /// URL override.
    pub url: Option<String>,
    /// JSON output.
    pub json: bool,
}

/// A client from the saved login, which must exist.
pub fn api(g: &Global) -> anyhow::Result<Api> {
    let cfg = crate::config::load()?;
    let api = Api::new(&cfg, g.url.as_deref());
    api.require_login()?;
    Ok(api)
}

/// Asks before a destructive action. `--yes` skips; without a terminal
/// the answer is no (exit code 10).
pub fn confirm(question: &str, yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::new(
            exit::ABORTED,
            format!("{question} — refusing without a terminal; pass --yes"),
        ));
    }
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = stdin.lock().read_line(&mut line);
    if matches!(line.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(CliError::new(exit::ABORTED, "aborted"))
    }
}
