//! `tumbler up` (everything on this machine, with a demo organisation) and
//! `tumbler hub` (one hub process, any database and broker).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tumbler_hub::config::{
    DatabaseConfig, HubConfig, ManufacturerKey, MetricsToken, MqttConfig, PasswordParams,
};
use tumbler_hub::store::plane::BindingKey;
use tumbler_hub::{Hub, SystemClock};

use crate::config::write_private;
use crate::exit::{self, CliError};

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
    /// Log lines as `text` or `json` (one object a line, with request ids).
    #[arg(long, default_value = "text", env = "TUMBLER_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// Let webhook endpoints be on loopback or private addresses (a receiver on this machine).
    #[arg(long, env = "TUMBLER_WEBHOOKS_ALLOW_PRIVATE")]
    webhooks_allow_private: bool,
}

/// How the hub writes its log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line (fields, span fields such as `request_id`).
    Json,
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
    /// `builtin` (embedded broker on loopback, logins required),
    /// `mqtt://[USER:PASSWORD@]HOST:PORT` or
    /// `mqtts://[USER:PASSWORD@]HOST:PORT[?ca=CA.pem]` (prefer the env
    /// variable: it keeps the password out of `ps`).
    #[arg(
        long,
        default_value = "builtin",
        env = "TUMBLER_MQTT",
        hide_env_values = true
    )]
    mqtt: String,
    /// PostgreSQL only: keep the hub's tables in this schema (created if missing).
    #[arg(long, env = "TUMBLER_PG_SCHEMA")]
    pg_schema: Option<String>,
    /// Data directory (SQLite file, first admin password).
    #[arg(long, default_value = ".tumbler", env = "TUMBLER_DATA_DIR")]
    data_dir: PathBuf,
    /// File with the manufacturer's Ed25519 signing key seed (64 hex digits),
    /// for manufacturer resets. Use `sim` for the simulated locks' manufacturer.
    #[arg(long, env = "TUMBLER_MANUFACTURER_KEY")]
    manufacturer_key: Option<String>,
    /// Seconds without an answer before an operation is sent again (also how
    /// long before another hub takes over the operations of one that died).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    resend_after: u64,
    /// Name of this process among several hubs on one database (default: pid + random).
    #[arg(long)]
    worker_id: Option<String>,
    /// Log lines as `text` or `json` (one object a line, with request ids).
    #[arg(long, default_value = "text", env = "TUMBLER_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// A bearer token `/metrics` asks for; without one only clients on
    /// loopback may read `/metrics` (prefer the env variable).
    #[arg(long, env = "TUMBLER_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Let webhook endpoints be on loopback, private or link-local addresses
    /// (off: a tenant could make the hub call into its own network).
    #[arg(long, env = "TUMBLER_WEBHOOKS_ALLOW_PRIVATE")]
    webhooks_allow_private: bool,
}

/// Arguments of `tumbler broker-login`.
#[derive(Debug, Args)]
pub struct BrokerLoginArgs {
    /// The hub's data directory (its `binding.key`, from which every broker
    /// login is derived; created if missing, as `tumbler hub` would).
    #[arg(long, default_value = ".tumbler", env = "TUMBLER_DATA_DIR")]
    data_dir: PathBuf,
    /// The Mosquitto password file the printed lines add to.
    #[arg(long, default_value = "/etc/mosquitto/tumbler.passwd")]
    passwd_file: PathBuf,
    /// `hub` (the hub's login, user `tumbler-hub`) and/or lock serials.
    #[arg(required = true)]
    names: Vec<String>,
}

/// `tumbler broker-login`: one `mosquitto_passwd -b FILE USER PASSWORD`
/// line per name, for an external broker. The passwords are secrets: the
/// output is meant for a shell on the broker host, not for a log.
pub fn broker_login(a: BrokerLoginArgs) -> anyhow::Result<()> {
    use tumbler_hub::control::proto::broker_login::HUB_USERNAME;
    let secret = tumbler_hub::secrets::BrokerSecret::from_binding_key(&binding_key(&a.data_dir)?);
    let file = a.passwd_file.display().to_string();
    if file.contains(|c: char| c.is_whitespace() || "'\"$`\\;&|<>".contains(c)) {
        return Err(CliError::new(
            exit::USAGE,
            "--passwd-file: use a path without spaces or shell characters",
        )
        .into());
    }
    for name in &a.names {
        let (user, password) = if name == "hub" {
            (HUB_USERNAME.to_owned(), secret.hub_password())
        } else if tumbler_hub::model::is_valid_serial(name) {
            (name.clone(), secret.lock_password(name))
        } else {
            return Err(CliError::new(
                exit::USAGE,
                format!(
                    "`{name}` is neither `hub` nor a serial ({})",
                    tumbler_hub::model::SERIAL_RULE
                ),
            )
            .into());
        };
        println!("mosquitto_passwd -b {file} {user} {password}");
    }
    Ok(())
}

/// Reads `--manufacturer-key`: `sim`, or a file holding 64 hex digits.
fn manufacturer_key(arg: Option<&str>) -> anyhow::Result<Option<ManufacturerKey>> {
    let Some(arg) = arg else { return Ok(None) };
    if arg == "sim" {
        return Ok(Some(ManufacturerKey(
            tumbler_device::image::SIM_MANUFACTURER_SEED,
        )));
    }
    let text = std::fs::read_to_string(arg)
        .map_err(|e| CliError::new(exit::USAGE, format!("--manufacturer-key {arg}: {e}")))?;
    let hex = text.trim();
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let key = bytes
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| {
            CliError::new(
                exit::USAGE,
                "--manufacturer-key: the file must hold 64 hex digits",
            )
        })?;
    Ok(Some(ManufacturerKey(key)))
}

/// `tumbler up`.
pub async fn up(a: UpArgs) -> anyhow::Result<()> {
    let database = DatabaseConfig::Sqlite {
        path: a.data_dir.join("hub.db"),
    };
    // The simulated locks trust the simulation's manufacturer key.
    let key = Some(ManufacturerKey(
        tumbler_device::image::SIM_MANUFACTURER_SEED,
    ));
    run_hub(
        HubRun {
            listen: a.listen,
            database,
            mqtt: MqttConfig::Builtin,
            pg_schema: None,
            demo: true,
            manufacturer_key: key,
            resend_after: tumbler_hub::config::DEFAULT_RESEND_AFTER,
            worker_id: None,
            metrics_token: None,
            webhooks_allow_private: a.webhooks_allow_private,
        },
        &a.data_dir,
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
    let key = manufacturer_key(a.manufacturer_key.as_deref())?;
    run_hub(
        HubRun {
            listen: a.listen,
            database,
            mqtt,
            pg_schema: a.pg_schema,
            demo: false,
            manufacturer_key: key,
            resend_after: std::time::Duration::from_secs(a.resend_after),
            worker_id: a.worker_id,
            metrics_token: a.metrics_token.filter(|t| !t.is_empty()).map(MetricsToken),
            webhooks_allow_private: a.webhooks_allow_private,
        },
        &a.data_dir,
    )
    .await
}

/// The key that encrypts lock bindings at rest: `<data-dir>/binding.key`
/// (64 hex digits, mode 0600), created on the first run. Every hub process
/// sharing one database needs the same file.
fn binding_key(data_dir: &Path) -> anyhow::Result<BindingKey> {
    let path = data_dir.join("binding.key");
    let parse = |text: &str| -> Option<[u8; 32]> {
        let t = text.trim();
        let bytes: Option<Vec<u8>> = (0..t.len())
            .step_by(2)
            .map(|i| t.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect();
        bytes.and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text)
            .map(BindingKey::new)
            .ok_or_else(|| anyhow::anyhow!("{} must hold 64 hex digits", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut k = [0u8; 32];
            getrandom::fill(&mut k).map_err(|e| anyhow::anyhow!("no OS randomness: {e}"))?;
            let hex: String = k.iter().map(|b| format!("{b:02x}")).collect();
            write_private(&path, hex.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(BindingKey::new(k))
        }
        Err(e) => Err(anyhow::anyhow!("reading {}: {e}", path.display())),
    }
}

fn worker_id() -> String {
    let mut raw = [0u8; 4];
    let _ = getrandom::fill(&mut raw);
    format!("{}-{:08x}", std::process::id(), u32::from_le_bytes(raw))
}

/// What one hub process runs with.
struct HubRun {
    listen: SocketAddr,
    database: DatabaseConfig,
    mqtt: MqttConfig,
    pg_schema: Option<String>,
    demo: bool,
    manufacturer_key: Option<ManufacturerKey>,
    resend_after: std::time::Duration,
    worker_id: Option<String>,
    metrics_token: Option<MetricsToken>,
    webhooks_allow_private: bool,
}

async fn run_hub(r: HubRun, data_dir: &Path) -> anyhow::Result<()> {
    let HubRun {
        listen,
        database,
        mqtt,
        pg_schema,
        demo,
        manufacturer_key,
        resend_after,
        worker_id: wid,
        metrics_token,
        webhooks_allow_private,
    } = r;
    if matches!(mqtt, MqttConfig::Builtin) {
        // One socket per lock on the built-in broker (and, for `up`, the demo
        // locks' ends in this same process).
        tumbler_hub::broker::raise_open_file_limit();
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let config = HubConfig {
        listen,
        database,
        mqtt,
        password: PasswordParams::default(),
        worker_id: wid.unwrap_or_else(worker_id),
        pg_schema,
        manufacturer_key,
        binding_key: Some(binding_key(data_dir)?),
        resend_after,
        metrics_token,
        webhooks: tumbler_hub::config::WebhookOptions {
            allow_private: webhooks_allow_private,
            ..Default::default()
        },
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
    let (locks_stop, locks_rx) = tokio::sync::watch::channel(false);
    let demo_locks = if demo {
        match super::demo::start(&hub, data_dir, locks_rx).await {
            Ok(l) => l,
            Err(e) => {
                hub.shutdown().await;
                return Err(e);
            }
        }
    } else {
        Vec::new()
    };
    let url = format!("http://{}", hub.http_addr);
    println!("Tumbler hub is up.");
    println!("  URL:      {url}");
    println!("  Web app:  open {url}/ in a browser and sign in with the login below");
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
    if !demo_locks.is_empty() {
        println!(
            "  Simulated locks (images in {}):",
            data_dir.join("locks").display()
        );
        println!(
            "    {:<20} {:<12} {:<22} CONSOLE",
            "SERIAL", "SETUP CODE", "STATE"
        );
        for l in &demo_locks {
            println!(
                "    {:<20} {:<12} {:<22} tumbler sim console {}",
                l.serial, l.setup_code, l.state, l.console
            );
        }
    }
    println!("Stop with Ctrl-C.");
    use std::io::Write;
    let _ = std::io::stdout().flush();

    wait_for_stop().await;
    eprintln!("stopping…");
    let _ = locks_stop.send(true);
    for l in demo_locks {
        let _ = l.task.await;
    }
    hub.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn wait_for_stop() {
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
