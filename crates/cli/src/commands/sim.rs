//! `tumbler sim provision|run|console|fleet`: the simulated lock from
//! tumbler-device, and the demo locks `tumbler up` runs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tokio::sync::watch;
use tumbler_device::mqtt::BrokerAddr;
use tumbler_device::{FleetConfig, Label, RunConfig};

use crate::exit::{self, CliError};

/// Simulated lock commands.
#[derive(Debug, Subcommand)]
pub enum SimCmd {
    /// Make a new lock: a flash image with a factory identity; prints its label.
    Provision {
        /// Serial (A-Z a-z 0-9 - _, at most 32).
        serial: String,
        /// Image path (default: .tumbler/sim/<serial>.img).
        #[arg(long)]
        image: Option<PathBuf>,
    },
    /// Run a lock until Ctrl-C.
    Run {
        /// Its flash image.
        image: PathBuf,
        /// Broker, `mqtt://[SERIAL:PASSWORD@]HOST:PORT` or
        /// `mqtts://SERIAL:PASSWORD@HOST:PORT[?ca=CA.pem]` (none: the lock
        /// runs without a hub). Also `TUMBLER_BROKER`, which keeps the
        /// password out of `ps`.
        #[arg(long, env = "TUMBLER_BROKER", hide_env_values = true)]
        broker: Option<String>,
    },
    /// Stand in front of a running lock: `<lock>` is 127.0.0.1:PORT, an image path or a serial.
    Console {
        /// Which lock.
        lock: String,
    },
    /// Run many locks in one process until Ctrl-C.
    Fleet {
        /// How many.
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// Broker, `mqtt://HOST:PORT` (or `mqtts://…[?ca=CA.pem]`).
        #[arg(long)]
        broker: String,
    },
}

fn broker(url: &str) -> Result<BrokerAddr, CliError> {
    let b =
        BrokerAddr::parse(url).map_err(|e| CliError::new(exit::USAGE, format!("--broker: {e}")))?;
    if let Some(ca) = b.tls.as_ref().and_then(|t| t.ca_file.as_ref()) {
        if !ca.is_file() {
            return Err(CliError::new(
                exit::USAGE,
                format!("--broker: CA file {} not found", ca.display()),
            ));
        }
    }
    Ok(b)
}

/// A CSPRNG seeded from the OS.
fn rng() -> anyhow::Result<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no OS randomness: {e}"))?;
    Ok(ChaCha20Rng::from_seed(seed))
}

/// Provisions a lock image at `path`.
pub fn provision(path: &Path, serial: &str) -> anyhow::Result<Label> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let label = tumbler_device::provision(path, serial, &mut rng()?)
        .map_err(|e| CliError::new(exit::INVALID, e.to_string()))?;
    Ok(label)
}

fn stop_on_ctrl_c() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        super::up::wait_for_stop().await;
        let _ = tx.send(true);
    });
    rx
}

/// Runs `tumbler sim`.
pub async fn run(c: SimCmd) -> anyhow::Result<()> {
    match c {
        SimCmd::Provision { serial, image } => {
            let path = image.unwrap_or_else(|| {
                tumbler_device::console::client::image_path(
                    Path::new(tumbler_device::console::client::DEFAULT_SIM_DIR),
                    &serial,
                )
            });
            let label = provision(&path, &serial)?;
            println!("{label}");
            println!("image:        {}", path.display());
        }
        SimCmd::Run { image, broker: b } => {
            let mut cfg = RunConfig::new(&image);
            cfg.broker = b.as_deref().map(broker).transpose()?;
            let stop = stop_on_ctrl_c();
            let running = tumbler_device::start_lock(cfg, stop)
                .await
                .map_err(|e| CliError::new(exit::FAILURE, e.to_string()))?;
            println!(
                "lock {} running; console: tumbler sim console {}",
                running.serial, running.local_addr
            );
            let _ = running.task.await;
        }
        SimCmd::Console { lock } => {
            // A serial is looked up among `tumbler sim`'s images, then among
            // those of `tumbler up` (its data directory, as `up` takes it).
            let up_dir = std::env::var_os("TUMBLER_DATA_DIR")
                .map_or_else(|| PathBuf::from(".tumbler"), PathBuf::from)
                .join("locks");
            let dirs = [
                PathBuf::from(tumbler_device::console::client::DEFAULT_SIM_DIR),
                up_dir,
            ];
            tumbler_device::console::client::console_stdio_in(&lock, &dirs)
                .await
                .map_err(|e| CliError::new(exit::FAILURE, e.to_string()))?;
        }
        SimCmd::Fleet { count, broker: b } => {
            let stop = stop_on_ctrl_c();
            let (report, task) = tumbler_device::fleet(FleetConfig::new(count, broker(&b)?), stop)
                .await
                .map_err(|e| CliError::new(exit::FAILURE, e.to_string()))?;
            println!("{report}");
            let _ = task.await;
        }
    }
    Ok(())
}
