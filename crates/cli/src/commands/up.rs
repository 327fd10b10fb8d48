//! `tumbler up` (everything on this machine, with a demo organisation) and
//! `tumbler hub` (one hub process, any database and broker).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tumbler_hub::config::{DatabaseConfig, HubConfig, MqttConfig, PasswordParams};
use tumbler_hub::{Hub, SystemClock};

use crate::config::write_private;

/// The first account `up` and `hub` create on an empty database.
pub const ADMIN_EMAIL: &str = "admin@tumbler.local";

/// Arguments of `tumbler up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// HTTP address (API and, later, web UI).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Where the database and the first admin password live.
    #[arg(long, default_value = ".tumbler", env = "TUMBLER_DATA_DIR")]
    data_dir: PathBuf,
}

/// Arguments of `tumbler hub`.
#[derive(Debug, Args)]
pub struct HubArgs {
    /// HTTP address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://…` (default: sqlite in the data dir).
    #[arg(long, env = "TUMBLER_DATABASE")]
    database: Option<String>,
    /// `builtin` (embedded broker on loopback) or `mqtt://HOST:PORT`.
    #[arg(long, default_value = "builtin", env = "TUMBLER_MQTT")]
    mqtt: String,
    /// PostgreSQL only: keep the hub's tables in this schema (created if missing).
    #[arg(long, env = "TUMBLER_PG_SCHEMA")]
    pg_schema: Option<String>,
    /// Data directory (SQLite file, first admin password).
    #[arg(long, default_value = ".tumbler", env = "TUMBLER_DATA_DIR")]
    data_dir: PathBuf,
}

/// `tumbler up`.
pub async fn up(a: UpArgs) -> anyhow::Result<()> {
    let database = DatabaseConfig::Sqlite {
        path: a.data_dir.join("hub.db"),
    };
    run_hub(
        a.listen,
        database,
        MqttConfig::Builtin,
        None,
        &a.data_dir,
        true,
    )
    .await
}

/// `tumbler hub`.
pub async fn hub(a: HubArgs) -> anyhow::Result<()> {
    let database = match &a.database {
        Some(url) => DatabaseConfig::parse(url).map_err(|e| {
            crate::exit::CliError::new(crate::exit::USAGE, format!("--database: {e}"))
        })?,
        None => DatabaseConfig::Sqlite {
            path: a.data_dir.join("hub.db"),
        },
    };
    let mqtt = MqttConfig::parse(&a.mqtt)
        .map_err(|e| crate::exit::CliError::new(crate::exit::USAGE, format!("--mqtt: {e}")))?;
    run_hub(a.listen, database, mqtt, a.pg_schema, &a.data_dir, false).await
}

fn worker_id() -> String {
    let mut raw = [0u8; 4];
    let _ = getrandom::fill(&mut raw);
    format!("{}-{:08x}", std::process::id(), u32::from_le_bytes(raw))
}

async fn run_hub(
    listen: SocketAddr,
    database: DatabaseConfig,
    mqtt: MqttConfig,
    pg_schema: Option<String>,
    data_dir: &Path,
    demo: bool,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let config = HubConfig {
        listen,
        database,
        mqtt,
        password: PasswordParams::default(),
        worker_id: worker_id(),
        pg_schema,
    };
    let hub = Hub::start(config, Arc::new(SystemClock))
        .await
        .context("starting the hub")?;
    let login = first_run(&hub, data_dir, demo).await;
    let login = match login {
        Ok(l) => l,
        Err(e) => {
            hub.shutdown().await;
            return Err(e);
        }
    };
    let url = format!("http://{}", hub.http_addr);
    println!("Tumbler hub is up.");
    println!("  URL:      {url}");
    println!("  API:      {url}/api/v1  (OpenAPI: {url}/api/v1/openapi.json)");
    println!("  MQTT:     mqtt://{}:{}", hub.mqtt_addr.0, hub.mqtt_addr.1);
    match login {
        Login::Known(pw) => {
            println!("  Login:    {ADMIN_EMAIL}");
            println!("  Password: {pw}");
            println!("  Try:      tumbler login --url {url} --email {ADMIN_EMAIL}");
        }
        Login::Existing => println!("  Login:    use an existing account (data kept)"),
    }
    println!("Stop with Ctrl-C.");
    use std::io::Write;
    let _ = std::io::stdout().flush();

    wait_for_stop().await;
    eprintln!("stopping…");
    hub.shutdown().await;
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

enum Login {
    Known(String),
    Existing,
}

/// On an empty database, creates an organisation, a site and the admin
/// (owner) account with a random password, kept in `<data-dir>/admin-password`
/// (mode 0600) so that later runs can show it again.
async fn first_run(hub: &Hub, data_dir: &Path, demo: bool) -> anyhow::Result<Login> {
    let service = &hub.state.service;
    let pw_file = data_dir.join("admin-password");
    if service.store().count_orgs().await? > 0 {
        return Ok(match std::fs::read_to_string(&pw_file) {
            Ok(pw) if !pw.trim().is_empty() => Login::Known(pw.trim().to_owned()),
            _ => Login::Existing,
        });
    }
    let password = tumbler_hub::secrets::new_password()?;
    let (org, site) = if demo {
        ("Demo", "Demo site")
    } else {
        ("Default", "Main site")
    };
    write_private(&pw_file, password.as_bytes())
        .with_context(|| format!("writing {}", pw_file.display()))?;
    service
        .bootstrap_org(org, site, "UTC", ADMIN_EMAIL, &password)
        .await
        .context("creating the first organisation")?;
    tracing::info!(
        org,
        site,
        "first run: organisation and admin account created"
    );
    Ok(Login::Known(password))
}
