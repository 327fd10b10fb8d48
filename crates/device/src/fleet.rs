//! Many simulated locks in one process: `tumbler sim fleet --count N`.
//!
//! One tokio runtime; per lock one driver task and one MQTT link task; flash in memory (one open
//! image file per lock would exhaust file descriptors long before 10,000 locks). The fleet's
//! locks are driven over MQTT by the hub; a console attaches to locks started with `sim run`.

use crate::clock::{Clock, SystemClock};
use crate::image::{provision_memory, Label};
use crate::mqtt::{self, BrokerAddr, LinkState, MqttConfig};
use crate::run::drive;
use crate::sim::{SimLock, SimOptions};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

use crate::local::{FrameKind, LocalRequest};

/// How to run a fleet.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// How many locks.
    pub count: usize,
    /// The broker they all connect to.
    pub broker: BrokerAddr,
    /// Serial prefix: lock `i` is `<prefix>-<i, 6 digits>`.
    pub prefix: String,
    /// Seed of the whole fleet (identities, setup codes, lock RNGs).
    pub seed: u64,
    /// MQTT keep-alive of each lock.
    pub keep_alive: Duration,
    /// Locks started per batch, and the pause between batches (to spread the connects).
    pub batch: usize,
    /// Pause between batches.
    pub batch_pause: Duration,
    /// Give up waiting for everyone to be online after this long (the fleet keeps running).
    pub online_timeout: Duration,
    /// How many labels to return in [`FleetReport::sample_labels`] (a load tool claiming
    /// every lock asks for all of them).
    pub keep_labels: usize,
}

impl FleetConfig {
    /// `count` locks on `broker` with defaults (prefix `FLEET`, batches of 500 every 50 ms).
    pub fn new(count: usize, broker: BrokerAddr) -> Self {
        Self {
            count,
            broker,
            prefix: "FLEET".into(),
            seed: 1,
            keep_alive: Duration::from_secs(60),
            batch: 500,
            batch_pause: Duration::from_millis(50),
            online_timeout: Duration::from_secs(120),
            keep_labels: 5,
        }
    }
}

/// Figures of a fleet run.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetReport {
    /// Locks started.
    pub count: usize,
    /// Locks online when the report was taken.
    pub online: usize,
    /// Time to provision and boot every lock (in memory).
    pub boot_time: Duration,
    /// Time from the first connect until every lock was online (or the timeout).
    pub connect_time: Duration,
    /// Resident memory of the process after connecting, in bytes (Linux), if known.
    pub rss_bytes: Option<u64>,
    /// The labels of the first [`FleetConfig::keep_labels`] locks (to claim them).
    pub sample_labels: Vec<Label>,
}

impl std::fmt::Display for FleetReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "locks: {}, online: {}, boot: {:.2} s, connect: {:.2} s, RSS: {}",
            self.count,
            self.online,
            self.boot_time.as_secs_f64(),
            self.connect_time.as_secs_f64(),
            self.rss_bytes
                .map(|b| format!(
                    "{:.0} MiB ({:.1} KiB per lock)",
                    b as f64 / 1048576.0,
                    b as f64 / 1024.0 / self.count.max(1) as f64
                ))
                .unwrap_or_else(|| "unknown".into())
        )
    }
}

/// Why a fleet could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// A lock could not be provisioned or booted.
    #[error("fleet lock {index}: {error}")]
    Lock {
        /// Its index.
        index: usize,
        /// Why.
        error: String,
    },
}

/// The resident set size of this process (Linux `/proc/self/status`), in bytes.
pub fn rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Starts `config.count` locks, waits until they are all online (or the timeout), and returns
/// the figures. The locks keep running until `shutdown` turns `true`; `done` resolves when they
/// have all stopped.
pub async fn fleet(
    config: FleetConfig,
    shutdown: watch::Receiver<bool>,
) -> Result<(FleetReport, tokio::task::JoinHandle<()>), FleetError> {
    let (report, done, _) = start(config, shutdown, false).await?;
    Ok((report, done))
}

/// A person's console at each lock of a fleet (index = lock index).
pub type Consoles = Vec<mpsc::Sender<LocalRequest>>;

/// [`fleet`], plus a console handle per lock: [`console_line`] acts at the door (a load tool
/// makes every lock produce events this way). Dropping a lock's handle stops that lock.
pub async fn fleet_with_consoles(
    config: FleetConfig,
    shutdown: watch::Receiver<bool>,
) -> Result<(FleetReport, tokio::task::JoinHandle<()>, Consoles), FleetError> {
    start(config, shutdown, true).await
}

/// Types one console line at a fleet lock; its answer in words (`None`: the lock stopped).
pub async fn console_line(console: &mpsc::Sender<LocalRequest>, line: &str) -> Option<String> {
    let (reply, rx) = oneshot::channel();
    console
        .send(LocalRequest {
            kind: FrameKind::Console,
            payload: line.as_bytes().to_vec(),
            reply,
        })
        .await
        .ok()?;
    rx.await
        .ok()
        .map(|(_, bytes)| String::from_utf8_lossy(&bytes).into_owned())
}

async fn start(
    config: FleetConfig,
    shutdown: watch::Receiver<bool>,
    with_consoles: bool,
) -> Result<(FleetReport, tokio::task::JoinHandle<()>, Consoles), FleetError> {
    let mut consoles = Vec::new();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
    let boot_start = tokio::time::Instant::now();
    let mut sims = Vec::with_capacity(config.count);
    let mut labels = Vec::new();
    for i in 0..config.count {
        let serial = format!("{}-{i:06}", config.prefix);
        let (label, flash) = provision_memory(&serial, &mut rng).map_err(|e| FleetError::Lock {
            index: i,
            error: e.to_string(),
        })?;
        let opts = SimOptions {
            seed: Some(config.seed.wrapping_mul(1_000_003).wrapping_add(i as u64)),
            ..SimOptions::default()
        };
        let sim = SimLock::boot_memory(&serial, flash, clock.clone(), &opts).map_err(|e| {
            FleetError::Lock {
                index: i,
                error: e.to_string(),
            }
        })?;
        if labels.len() < config.keep_labels {
            labels.push(label);
        }
        sims.push(sim);
        if i % 256 == 255 {
            tokio::task::yield_now().await;
        }
    }
    let boot_time = boot_start.elapsed();
    let connect_start = tokio::time::Instant::now();
    let mut states = Vec::with_capacity(config.count);
    let mut tasks = Vec::with_capacity(config.count);
    let mut started = 0usize;
    for sim in sims {
        let mut mc = MqttConfig::new(config.broker.clone(), sim.serial().to_string());
        mc.keep_alive = config.keep_alive;
        mc.backoff_min = Duration::from_millis(500);
        mc.backoff_max = Duration::from_secs(15);
        let link = mqtt::spawn(mc, shutdown.clone());
        states.push(link.state.clone());
        let local = if with_consoles {
            let (tx, rx) = mpsc::channel(4);
            consoles.push(tx);
            Some(rx)
        } else {
            None
        };
        tasks.push(tokio::spawn(drive(
            sim,
            local,
            Some(link),
            shutdown.clone(),
            None,
        )));
        started += 1;
        if started.is_multiple_of(config.batch.max(1)) {
            tokio::time::sleep(config.batch_pause).await;
        }
    }
    let deadline = connect_start + config.online_timeout;
    let online = loop {
        let n = states
            .iter()
            .filter(|s| *s.borrow() == LinkState::Online)
            .count();
        if n == config.count || tokio::time::Instant::now() >= deadline {
            break n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let connect_time = connect_start.elapsed();
    let report = FleetReport {
        count: config.count,
        online,
        boot_time,
        connect_time,
        rss_bytes: rss_bytes(),
        sample_labels: labels,
    };
    let done = tokio::spawn(async move {
        for t in tasks {
            let _ = t.await;
        }
    });
    Ok((report, done, consoles))
}
