//! Hub configuration, chosen from URLs: `sqlite://path` or `postgres://…`
//! for the database, `builtin`, `mqtt://[user:password@]host:port` or
//! `mqtts://[user:password@]host:port[?ca=PATH]` for the broker.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the hub keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatabaseConfig {
    /// An SQLite file (created if missing).
    Sqlite {
        /// Path of the database file.
        path: PathBuf,
    },
    /// A PostgreSQL server; the URL is passed to the driver unchanged.
    Postgres {
        /// `postgres://` or `postgresql://` URL.
        url: String,
    },
}

/// Which MQTT broker the hub talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MqttConfig {
    /// Start the embedded broker on loopback with a port chosen at run time.
    Builtin,
    /// Connect to an external broker.
    External {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
        /// The hub's login (`None`: anonymous).
        login: Option<MqttLogin>,
        /// TLS (`mqtts://`); `None`: plain TCP.
        tls: Option<MqttTls>,
    },
}

/// A username and password for the broker. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct MqttLogin {
    /// MQTT username.
    pub username: String,
    /// MQTT password.
    pub password: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for MqttLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttLogin")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// TLS to the broker (rustls).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MqttTls {
    /// PEM file of the CA that signed the broker's certificate (`?ca=PATH`);
    /// `None`: the platform's trusted roots.
    pub ca_file: Option<PathBuf>,
}

/// Why a configuration URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The database URL's scheme is neither `sqlite:` nor `postgres(ql):`.
    #[error("unsupported database URL (use sqlite://PATH or postgres://...)")]
    UnsupportedDatabase,
    /// The MQTT setting is neither `builtin` nor `mqtt(s)://[user:password@]host:port`.
    #[error(
        "unsupported MQTT setting (use builtin, mqtt://[USER:PASSWORD@]HOST:PORT or mqtts://[USER:PASSWORD@]HOST:PORT[?ca=PATH])"
    )]
    UnsupportedMqtt,
    /// An `sqlite://` URL without a path.
    #[error("sqlite URL has no path")]
    EmptyPath,
}

impl DatabaseConfig {
    /// Parses `sqlite://path`, `sqlite:path` or `postgres://…`.
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres {
                url: url.to_owned(),
            });
        }
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or(ConfigError::UnsupportedDatabase)?;
        // Options such as `?mode=rwc` are ours to set; drop any given.
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(ConfigError::EmptyPath);
        }
        Ok(Self::Sqlite {
            path: PathBuf::from(path),
        })
    }
}

impl MqttConfig {
    /// Parses `builtin`, `mqtt://[user:password@]host[:port]` (port 1883;
    /// also `tcp://`) or `mqtts://[user:password@]host[:port][?ca=PATH]`
    /// (port 8883; also `ssl://`); an IPv6 host in brackets,
    /// `mqtt://[::1]:1883`. Parsed by the `url` crate; user and password are
    /// percent-decoded. Anything else (a path, another query, a fragment) is
    /// refused rather than ignored.
    pub fn parse(s: &str) -> Result<Self, ConfigError> {
        if s == "builtin" {
            return Ok(Self::Builtin);
        }
        let u = url::Url::parse(s).map_err(|_| ConfigError::UnsupportedMqtt)?;
        let tls = match u.scheme() {
            "mqtt" | "tcp" => false,
            "mqtts" | "ssl" => true,
            _ => return Err(ConfigError::UnsupportedMqtt),
        };
        if !matches!(u.path(), "" | "/") || u.fragment().is_some() {
            return Err(ConfigError::UnsupportedMqtt);
        }
        let ca_file = match u.query() {
            None => None,
            Some(_) if !tls => return Err(ConfigError::UnsupportedMqtt),
            Some(_) => {
                let mut ca = None;
                for (k, v) in u.query_pairs() {
                    if k != "ca" || v.is_empty() || ca.is_some() {
                        return Err(ConfigError::UnsupportedMqtt);
                    }
                    ca = Some(PathBuf::from(v.into_owned()));
                }
                ca
            }
        };
        let decode = |t: &str| {
            url::form_urlencoded::parse(format!("x={}", t.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let login = match (u.username(), u.password()) {
            ("", None) => None,
            (user, Some(pass)) if !user.is_empty() && !pass.is_empty() => Some(MqttLogin {
                username: decode(user),
                password: zeroize::Zeroizing::new(decode(pass)),
            }),
            _ => return Err(ConfigError::UnsupportedMqtt),
        };
        let host = match u.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            _ => return Err(ConfigError::UnsupportedMqtt),
        };
        let port = u.port().unwrap_or(if tls { 8883 } else { 1883 });
        Ok(Self::External {
            host,
            port,
            login,
            tls: tls.then_some(MqttTls { ca_file }),
        })
    }
}

/// Shows the broker without its password: `mqtts://user:***@host:port`.
impl std::fmt::Display for MqttConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Builtin => f.write_str("builtin"),
            Self::External {
                host,
                port,
                login,
                tls,
            } => {
                let scheme = if tls.is_some() { "mqtts" } else { "mqtt" };
                write!(f, "{scheme}://")?;
                if let Some(l) = login {
                    write!(f, "{}:***@", l.username)?;
                }
                write!(f, "{host}:{port}")
            }
        }
    }
}

pub use crate::secrets::{BindingKey, PasswordParams};

/// Everything needed to start a hub process.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// Database choice.
    pub database: DatabaseConfig,
    /// Broker choice.
    pub mqtt: MqttConfig,
    /// Password hashing cost.
    pub password: PasswordParams,
    /// Name of this process among several hubs (used to mark claimed jobs).
    pub worker_id: String,
    /// PostgreSQL only: keep every table in this schema (created if missing).
    pub pg_schema: Option<String>,
    /// The manufacturer's Ed25519 signing key seed, for manufacturer reset
    /// tokens (`None`: manufacturer reset is refused with 503).
    pub manufacturer_key: Option<ManufacturerKey>,
    /// Encrypts lock bindings (controller secret keys) at rest; every hub
    /// on one database needs the same key. `None`: stored in clear.
    pub binding_key: Option<BindingKey>,
    /// An operation sent without an answer for this long is sent again
    /// (also how another hub takes over the operations of one that died).
    pub resend_after: std::time::Duration,
    /// A bearer token `/metrics` asks for (`None`: only clients on loopback
    /// may read it).
    pub metrics_token: Option<MetricsToken>,
    /// How webhooks are delivered.
    pub webhooks: WebhookOptions,
}

/// How webhooks are delivered (by the webhook worker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookOptions {
    /// Endpoints may be on loopback, private, link-local or other special
    /// addresses (off by default: a tenant could otherwise make the hub
    /// call into its own network; see `hooks::target`).
    pub allow_private: bool,
    /// How long one attempt may take (connect, send, answer).
    pub timeout: std::time::Duration,
    /// The wait after each failed attempt; once used up the delivery is
    /// given up. The default spans a day (Standard Webhooks' schedule).
    pub retry_delays: Vec<std::time::Duration>,
    /// An endpoint is disabled after this many failed attempts in a row …
    pub disable_after_failures: i64,
    /// … that span at least this long.
    pub disable_after: std::time::Duration,
    /// How often the worker looks for due deliveries.
    pub poll: std::time::Duration,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        use std::time::Duration as D;
        Self {
            allow_private: false,
            timeout: D::from_secs(10),
            // 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 6 h: the last attempt ~23.6 h after the first.
            retry_delays: [5, 300, 1_800, 7_200, 18_000, 36_000, 21_600]
                .into_iter()
                .map(D::from_secs)
                .collect(),
            disable_after_failures: 20,
            disable_after: D::from_secs(24 * 3600),
            poll: D::from_secs(1),
        }
    }
}

/// The bearer token that reads `/metrics`. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(pub String);

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

/// A manufacturer signing key seed (32 bytes). `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct ManufacturerKey(pub [u8; 32]);

impl std::fmt::Debug for ManufacturerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManufacturerKey(<redacted>)")
    }
}

/// Default of [`HubConfig::resend_after`].
pub const DEFAULT_RESEND_AFTER: std::time::Duration = std::time::Duration::from_secs(30);
