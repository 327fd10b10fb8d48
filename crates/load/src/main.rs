//! `tumbler-load`: measures the hub with simulated locks and writes the
//! figures to a JSON file (see `docs/benchmarks.md`).

// A command-line tool's job is to print to stdout.
#![allow(clippy::print_stdout, clippy::indexing_slicing)]

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::Parser;
use tumbler_load::{run, Options, Scenario};

/// Load figures: the floor (raw broker round trip, one fsync, one loopback
/// HTTP exchange), remote-unlock round trip, one code
/// confirmed on every lock, lock events ingested per second.
#[derive(Debug, Parser)]
#[command(name = "tumbler-load", version, about)]
struct Args {
    /// Simulated locks.
    #[arg(long, default_value_t = 1000)]
    locks: usize,
    /// `builtin` or `mqtt://HOST:PORT`.
    #[arg(long, default_value = "builtin")]
    broker: String,
    /// Comma-separated: raw, unlock, code, events.
    #[arg(long, default_value = "raw,unlock,code,events", value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Remote unlocks measured.
    #[arg(long, default_value_t = 200)]
    unlock_samples: usize,
    /// Raw broker round trips measured.
    #[arg(long, default_value_t = 1000)]
    raw_samples: usize,
    /// Thumb-turns per lock in the events burst (e.g. 100 on 10,000 locks:
    /// a burst of 1,000,000 events).
    #[arg(long, alias = "event-rounds", default_value_t = 3)]
    events_per_lock: usize,
    /// `sqlite` (a temporary file) or `postgres://…` (a fresh schema,
    /// dropped after the run).
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// Lock connections started per 100 ms.
    #[arg(long, default_value_t = 50)]
    connect_per_100ms: usize,
    /// Hub processes on one database (above 1: needs `--database
    /// postgres://…` and `--broker mqtt://…`); API calls go to them in turn.
    #[arg(long, default_value_t = 1)]
    hubs: usize,
    /// Write the figures here (JSON).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TUMBLER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let a = Args::parse();
    if a.broker == "builtin" {
        // The built-in broker and every simulated lock live in this process:
        // two descriptors per lock.
        tumbler_hub::broker::raise_open_file_limit();
    }
    let mut o = Options::new(a.locks);
    o.scenarios = a
        .scenarios
        .iter()
        .map(|s| Scenario::parse(s.trim()).ok_or_else(|| anyhow!("unknown scenario {s:?}")))
        .collect::<anyhow::Result<_>>()?;
    o.unlock_samples = a.unlock_samples;
    o.raw_samples = a.raw_samples;
    o.events_per_lock = a.events_per_lock;
    o.database = match a.database.as_str() {
        "sqlite" => None,
        url if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Some(url.to_owned())
        }
        other => return Err(anyhow!("--database: sqlite or postgres://…, not {other:?}")),
    };
    o.connect_per_100ms = a.connect_per_100ms;
    o.hubs = a.hubs;
    let broker =
        tumbler_hub::config::MqttConfig::parse(&a.broker).map_err(|e| anyhow!("--broker: {e}"))?;
    if let tumbler_hub::config::MqttConfig::External { host, port, .. } = broker {
        o.broker = Some((host, port));
    }
    let progress = |s: &str| eprintln!("[tumbler-load] {s}");
    let mut report = run(&o, &progress).await?;
    report["date"] = serde_json::json!(jiff_now());
    let text = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &a.out {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("[tumbler-load] figures written to {}", path.display());
    }
    println!("{text}");
    Ok(())
}

// The one clock read of the tool's entry point: the report's date.
#[allow(clippy::disallowed_methods)]
fn jiff_now() -> String {
    jiff::Timestamp::now().to_string()
}
