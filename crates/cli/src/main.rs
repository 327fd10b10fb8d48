//! The `tumbler` binary: `tumbler up`, `tumbler hub` and the client
//! commands that speak the hub's HTTP API. Exit codes: see [`exit`].

// A command-line tool's job is to print to stdout.
#![allow(clippy::print_stdout)]

mod client;
mod commands;
mod config;
mod exit;
mod output;
mod records;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use commands::{
    access, accounts, alerts, audit, doctor, events, hotel, lock, locks, login, offline, ops, orgs,
    rentals, sim, sites, up, webhooks,
};

/// Tumbler: an open smart-lock platform.
#[derive(Debug, Parser)]
#[command(name = "tumbler", version, about)]
struct Cli {
    /// Hub URL for client commands (default: the one saved by `login`, else http://127.0.0.1:8080).
    #[arg(long, global = true, env = "TUMBLER_URL")]
    url: Option<String>,
    /// Print the API's JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start everything on this machine: SQLite, built-in broker, HTTP API on one port.
    Up(up::UpArgs),
    /// Run a hub process (SQLite or PostgreSQL; built-in or external broker).
    Hub(up::HubArgs),
    /// Print `mosquitto_passwd` lines for the hub and locks (an external broker's logins).
    BrokerLogin(up::BrokerLoginArgs),
    /// Log in with e-mail and password; saves a token.
    Login(login::LoginArgs),
    /// Log out (revokes the saved token).
    Logout,
    /// Change your password.
    Password(login::PasswordArgs),
    /// Organisations of the hub (hub operators: the first run's admin).
    #[command(subcommand)]
    Orgs(orgs::OrgsCmd),
    /// Accounts of your organisation: list, add, role, remove.
    #[command(subcommand)]
    Accounts(accounts::AccountsCmd),
    /// Sites and their time zones.
    #[command(subcommand)]
    Sites(sites::SitesCmd),
    /// Locks.
    #[command(subcommand)]
    Locks(locks::LocksCmd),
    /// Operate one lock: lock, unlock, reboot, self-check, factory reset, …
    Lock(lock::LockArgs),
    /// Troubleshoot a lock: an ordered plan, least destructive first; `--check STEP` after a step.
    Doctor(doctor::DoctorArgs),
    /// Remote operations.
    #[command(subcommand)]
    Ops(ops::OpsCmd),
    /// Search the event history.
    Events(events::EventsArgs),
    /// Alerts: list (default) or acknowledge.
    Alerts(alerts::AlertsArgs),
    /// The organisation's audit trail (who did what, when), newest first.
    Audit(audit::AuditArgs),
    /// People: list, add, show (credentials and per-door state).
    #[command(subcommand)]
    People(access::PeopleCmd),
    /// Access: grant, change a PIN, revoke, who can open, re-enrol, verify.
    #[command(subcommand)]
    Access(access::AccessCmd),
    /// The hotel front desk: rooms, check-in, extend, check-out, lost and staff cards (card files).
    #[command(subcommand)]
    Hotel(hotel::HotelCmd),
    /// Codes that work offline: enable, issue (no lock contact), list, revoke, revoke-all.
    #[command(subcommand, name = "offline-code")]
    OfflineCode(offline::OfflineCmd),
    /// Rentals: listings, booking-calendar feeds, sync, reservations and their codes, held changes.
    #[command(subcommand)]
    Rentals(rentals::RentalsCmd),
    /// Simulated locks: provision, run, console, fleet.
    #[command(subcommand)]
    Sim(sim::SimCmd),
    /// Webhooks: endpoints (add, list, enable, disable, remove) and deliveries (log, redeliver).
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCmd),
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let g = commands::Global {
        url: cli.url,
        json: cli.json,
    };
    match cli.command {
        Command::Up(a) => up::up(a).await,
        Command::Hub(a) => up::hub(a).await,
        Command::BrokerLogin(a) => up::broker_login(a),
        Command::Login(a) => login::login(&g, a).await,
        Command::Logout => login::logout(&g).await,
        Command::Password(a) => login::password(&g, a).await,
        Command::Orgs(c) => orgs::run(&g, c).await,
        Command::Accounts(c) => accounts::run(&g, c).await,
        Command::Sites(c) => sites::run(&g, c).await,
        Command::Locks(c) => locks::run(&g, c).await,
        Command::Lock(a) => lock::run(&g, a).await,
        Command::Doctor(a) => doctor::run(&g, a).await,
        Command::Ops(c) => ops::run(&g, c).await,
        Command::Events(a) => events::run(&g, a).await,
        Command::Alerts(a) => alerts::run(&g, a).await,
        Command::Audit(a) => audit::run(&g, a).await,
        Command::People(c) => access::people(&g, c).await,
        Command::Access(c) => access::run(&g, c).await,
        Command::Hotel(c) => hotel::run(&g, c).await,
        Command::OfflineCode(c) => offline::run(&g, c).await,
        Command::Rentals(c) => rentals::run(&g, c).await,
        Command::Sim(c) => sim::run(c).await,
        Command::Webhooks(c) => webhooks::run(&g, c).await,
    }
}

/// The command line, with the client-only flags (`--url`, `--json`) hidden
/// from `up`, `hub` and `sim` (they are global so that every client command
/// takes them wherever they are written).
fn command() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    for name in SERVER_COMMANDS {
        cmd = cmd.mut_subcommand(name, hide_client_flags);
    }
    cmd
}

/// The commands that are not clients of a hub.
const SERVER_COMMANDS: [&str; 4] = ["up", "hub", "sim", "broker-login"];

fn hide_client_flags(c: clap::Command) -> clap::Command {
    let subs: Vec<String> = c
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    // `mut_args`, not `mut_arg`: a nested subcommand may not have the
    // global copies yet (it gets them, hidden, when it is built).
    let mut c = c.mut_args(|a| match a.get_id().as_str() {
        "url" | "json" => a.hide(true),
        _ => a,
    });
    for s in subs {
        c = c.mut_subcommand(s, hide_client_flags);
    }
    c
}

/// Parses the command line; `--url`/`--json` given to `up`, `hub` or `sim`
/// is a usage error rather than silently ignored.
fn parse() -> Cli {
    let mut cmd = command();
    let matches = cmd.clone().get_matches();
    if let Some((name, sub)) = matches.subcommand() {
        if SERVER_COMMANDS.contains(&name) {
            let given = |id: &str| {
                sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
                    || matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
            };
            for flag in ["url", "json"] {
                if given(flag) {
                    cmd.error(
                        clap::error::ErrorKind::ArgumentConflict,
                        format!(
                            "--{flag} is for client commands; `tumbler {name}` does not take it"
                        ),
                    )
                    .exit();
                }
            }
        }
    }
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn main() -> ExitCode {
    let cli = parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("TUMBLER_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,rumqttd=off,tumbler=info,tumbler_hub=info")
    });
    let format = match &cli.command {
        Command::Up(a) => a.log_format,
        Command::Hub(a) => a.log_format,
        _ => up::LogFormat::Text,
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        // Span fields (the request id) go on every line inside the span.
        up::LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        up::LogFormat::Text => logs.init(),
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::code_of(&e))
        }
    }
}
