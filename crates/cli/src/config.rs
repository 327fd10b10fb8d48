//! The client's saved login: hub URL and bearer token, in a JSON file at
//! `$TUMBLER_CONFIG` or `<config dir>/tumbler/config.json` (mode 0600).

use std::path::PathBuf;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// What `tumbler login` saves.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ClientConfig {
    /// Hub base URL, e.g. `http://127.0.0.1:8080`.
    pub url: Option<String>,
    /// Bearer token (secret: never printed).
    pub token: Option<String>,
}

/// Where the config lives.
pub fn path() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("TUMBLER_CONFIG") {
        return Ok(PathBuf::from(p));
    }
    let dir = dirs::config_dir().context("no config directory; set TUMBLER_CONFIG")?;
    Ok(dir.join("tumbler").join("config.json"))
}

/// Loads it (empty if missing).
pub fn load() -> anyhow::Result<ClientConfig> {
    let p = path()?;
    match std::fs::read_to_string(&p) {
        Ok(s) => serde_json::from_str(&s).with_context(|| format!("reading {}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ClientConfig::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

/// Saves it, readable by the user only.
pub fn save(c: &ClientConfig) -> anyhow::Result<()> {
    let p = path()?;
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_private(&p, serde_json::to_string_pretty(c)?.as_bytes())
        .with_context(|| format!("writing {}", p.display()))
}

/// Writes a file only the user can read.
pub fn write_private(p: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(p)?;
    f.write_all(bytes)
}
