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

use clap::{Parser, Subcommand};

use commands::{access, alerts, audit, doctor, events, lock, locks, login, ops, sim, sites, up};

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
    /// Log in with e-mail and password; saves a token.
    Login(login::LoginArgs),
    /// Log out (revokes the saved token).
    Logout,
    /// Change your password.
    Password(login::PasswordArgs),
    /// Sites.
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
    /// Simulated locks: provision, run, console, fleet.
    #[command(subcommand)]
    Sim(sim::SimCmd),
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let g = commands::Global {
        url: cli.url,
        json: cli.json,
    };
    match cli.command {
        Command::Up(a) => up::up(a).await,
        Command::Hub(a) => up::hub(a).await,
        Command::Login(a) => login::login(&g, a).await,
        Command::Logout => login::logout(&g).await,
        Command::Password(a) => login::password(&g, a).await,
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
        Command::Sim(c) => sim::run(c).await,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("TUMBLER_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,rumqttd=off,tumbler=info,tumbler_hub=info")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
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
