//! Running a simulated lock: the async edge around [`SimLock`] — timers, the MQTT link, the
//! local link (console and BLE stand-in) — until shutdown.
//!
//! The driver task is the single owner of the lock; the links hand it bytes through channels.

use crate::clock::{Clock, SystemClock};
use crate::console::client::link_file;
use crate::image::BootError;
use crate::local::{self, FrameKind, LocalRequest};
use crate::mqtt::{self, BrokerAddr, LinkState, MqttConfig, Up};
use crate::sim::{SimLock, SimOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How to run one lock.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The lock's flash image (made by [`crate::image::provision`]).
    pub image: PathBuf,
    /// The broker to connect to; `None` runs the lock without a hub link.
    pub broker: Option<BrokerAddr>,
    /// Where the local link listens (`127.0.0.1:0` picks a free port).
    pub local_addr: SocketAddr,
    /// Write the local link's address to `<image>.link` so `console <image>` finds the lock.
    pub write_link_file: bool,
    /// Seed, sensor noise, battery.
    pub options: SimOptions,
    /// MQTT keep-alive (the broker declares the lock offline after 1.5 × this of silence).
    pub keep_alive: Duration,
    /// The clock; the real one unless a test says otherwise.
    pub clock: Arc<dyn Clock>,
}

impl RunConfig {
    /// Defaults for the lock at `image`: no broker, local link on a free loopback port, link file
    /// written, real clock.
    pub fn new(image: impl Into<PathBuf>) -> Self {
        Self {
            image: image.into(),
            broker: None,
            local_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            write_link_file: true,
            options: SimOptions::default(),
            keep_alive: Duration::from_secs(30),
            clock: Arc::new(SystemClock),
        }
    }
}

/// Why a lock could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The image could not be booted.
    #[error("{0}")]
    Boot(BootError),
    /// The local link could not listen.
    #[error("cannot open the local link: {0}")]
    Listen(std::io::Error),
    /// The link file could not be written.
    #[error("cannot write the link file: {0}")]
    LinkFile(std::io::Error),
}

/// A lock running in the background.
#[derive(Debug)]
pub struct RunningLock {
    /// The lock's serial.
    pub serial: String,
    /// Where its local link listens (console and BLE stand-in).
    pub local_addr: SocketAddr,
    /// The driver task; it ends when shutdown is signalled.
    pub task: JoinHandle<()>,
    /// The broker link's state (`None` without a broker): `Online` once
    /// the lock listens on its `down` topic and has said `online`.
    pub link: Option<watch::Receiver<LinkState>>,
}

/// Boots the lock, opens its links and spawns its driver; returns once it is listening.
pub async fn start_lock(
    config: RunConfig,
    shutdown: watch::Receiver<bool>,
) -> Result<RunningLock, RunError> {
    // Booting mounts the flash and rebuilds the lock: deep, large stack frames in debug
    // builds. On a blocking-pool thread it does not add to the caller's (a test's) stack.
    let (image, clock, options) = (
        config.image.clone(),
        config.clock.clone(),
        config.options.clone(),
    );
    let sim = tokio::task::spawn_blocking(move || SimLock::boot(&image, clock, &options))
        .await
        .map_err(|e| RunError::Boot(BootError::Store(format!("boot task failed: {e}"))))?
        .map_err(RunError::Boot)?;
    let listener = TcpListener::bind(config.local_addr)
        .await
        .map_err(RunError::Listen)?;
    let local_addr = listener.local_addr().map_err(RunError::Listen)?;
    if config.write_link_file {
        std::fs::write(link_file(&config.image), format!("{local_addr}\n"))
            .map_err(RunError::LinkFile)?;
    }
    let serial = sim.serial().to_string();
    let (local_tx, local_rx) = mpsc::channel(16);
    tokio::spawn(local::serve(listener, local_tx, shutdown.clone()));
    let link = config.broker.clone().map(|b| {
        let mut mc = MqttConfig::new(b, serial.clone());
        mc.keep_alive = config.keep_alive;
        mqtt::spawn(mc, shutdown.clone())
    });
    let link_file_path = config.write_link_file.then(|| link_file(&config.image));
    let link_state = link.as_ref().map(|l| l.state.clone());
    let task = tokio::spawn(drive(sim, Some(local_rx), link, shutdown, link_file_path));
    Ok(RunningLock {
        serial,
        local_addr,
        task,
        link: link_state,
    })
}

/// Runs the lock until `shutdown` turns `true` or its sender is dropped (the `tumbler sim run`
/// entry point).
pub async fn run_lock(config: RunConfig, shutdown: watch::Receiver<bool>) -> Result<(), RunError> {
    let running = start_lock(config, shutdown).await?;
    let _ = running.task.await;
    Ok(())
}

async fn flush_up(sim: &mut SimLock, link: &Option<mqtt::MqttLink>) {
    let frames = sim.take_up();
    if let Some(link) = link {
        for f in frames {
            let _ = link.up.send(Up::Event(f)).await;
        }
    }
}

/// The driver loop of one lock: local-link requests, downlink frames, link state, timers.
pub(crate) async fn drive(
    mut sim: SimLock,
    mut local_rx: Option<mpsc::Receiver<LocalRequest>>,
    mut link: Option<mqtt::MqttLink>,
    mut shutdown: watch::Receiver<bool>,
    link_file_path: Option<PathBuf>,
) {
    let mut state_rx = link.as_ref().map(|l| l.state.clone());
    let mut stats_rx = link.as_ref().map(|l| l.stats.clone());
    let mut down_open = link.is_some();
    if link.is_none() {
        sim.set_link_status("none (running without a hub)");
    }
    // The radio has power only while the lock has: the link drops when the battery is pulled
    // (the broker's last will marks the lock offline) and reconnects when it is back.
    let mut power = mqtt::Power {
        on: sim.powered(),
        epoch: 0,
    };
    loop {
        let wait = match sim.next_deadline() {
            Some(d) => Duration::from_millis(d.saturating_sub(sim.now().mono_ms))
                .min(Duration::from_secs(1)),
            None => Duration::from_secs(1),
        };
        tokio::select! {
            // A dropped sender means nobody can stop us any more: stop now.
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() { break; }
            }
            req = async {
                match local_rx.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                let Some(req) = req else { break };
                let reply = match req.kind {
                    FrameKind::Console => {
                        let line = String::from_utf8_lossy(&req.payload).into_owned();
                        (FrameKind::ConsoleReply, sim.console_line(&line).into_bytes())
                    }
                    _ => {
                        let frames = sim.on_frame(&req.payload);
                        (FrameKind::Proto, local::pack_frames(&frames))
                    }
                };
                let _ = req.reply.send(reply);
            }
            down = async {
                match link.as_mut() {
                    Some(l) => l.down.recv().await,
                    None => std::future::pending().await,
                }
            }, if down_open => {
                if down.is_none() {
                    // The link task has ended (shutdown); stop polling it.
                    down_open = false;
                }
                if let Some(frame) = down {
                    let replies = sim.on_frame(&frame);
                    // Events of the step were sealed before the replies: send them first, so
                    // the controller sees strictly increasing counters.
                    flush_up(&mut sim, &link).await;
                    if let Some(l) = &link {
                        for f in replies {
                            let _ = l.up.send(Up::Event(f)).await;
                        }
                    }
                }
            }
            changed = async {
                match state_rx.as_mut() {
                    Some(rx) => rx.changed().await.map(|_| rx.borrow().clone()),
                    None => std::future::pending().await,
                }
            } => {
                match changed {
                    Ok(s) => {
                        if s == LinkState::Online {
                            // Every (re)connect states the reset state afresh.
                            sim.announce();
                        }
                        sim.set_link_status(s.to_string());
                    }
                    Err(_) => state_rx = None,
                }
            }
            changed = async {
                match stats_rx.as_mut() {
                    Some(rx) => rx.changed().await.map(|_| *rx.borrow()),
                    None => std::future::pending().await,
                }
            } => {
                match changed {
                    Ok(st) => sim.set_link_counters(format!(
                        "connects {}, oversized dropped {}",
                        st.connects, st.oversized
                    )),
                    Err(_) => stats_rx = None,
                }
            }
            _ = tokio::time::sleep(wait) => {
                sim.tick();
                let online = state_rx.as_ref().is_some_and(|rx| *rx.borrow() == LinkState::Online);
                if online {
                    sim.resend_unacknowledged();
                }
            }
        }
        flush_up(&mut sim, &link).await;
        let on = sim.powered();
        if on != power.on {
            power.epoch += u64::from(on);
            power.on = on;
            if let Some(l) = &link {
                let _ = l.power.send(power);
                // Until the link task reports again, `status` must not show the old state.
                sim.set_link_status(
                    if on {
                        LinkState::Connecting
                    } else {
                        LinkState::NoPower
                    }
                    .to_string(),
                );
            }
        }
    }
    if let Some(p) = link_file_path {
        let _ = std::fs::remove_file(p);
    }
    // Let the link publish `offline` and disconnect.
    if let Some(l) = link.as_mut() {
        let mut st = l.state.clone();
        let _ = tokio::time::timeout(Duration::from_secs(3), async {
            while *st.borrow() != LinkState::Stopped {
                if st.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
    }
}

/// Starts `count` demo locks `<prefix>-1..=count` with images in `dir` (provisioned on first
/// use, reused afterwards), connected to `broker` — what `tumbler up` needs. Returns each lock's
/// label and handle.
pub async fn start_demo_locks(
    dir: &std::path::Path,
    prefix: &str,
    count: usize,
    broker: BrokerAddr,
    shutdown: watch::Receiver<bool>,
) -> Result<Vec<(crate::image::Label, RunningLock)>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut out = Vec::with_capacity(count);
    for i in 1..=count {
        let serial = format!("{prefix}-{i}");
        let image = crate::console::client::image_path(dir, &serial);
        let label = if image.exists() {
            crate::image::read_label(&image).map_err(|e| e.to_string())?
        } else {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| format!("no OS entropy: {e}"))?;
            let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed(seed);
            crate::image::provision(&image, &serial, &mut rng).map_err(|e| e.to_string())?
        };
        let mut cfg = RunConfig::new(&image);
        cfg.broker = Some(broker.clone());
        let running = start_lock(cfg, shutdown.clone())
            .await
            .map_err(|e| e.to_string())?;
        out.push((label, running));
    }
    Ok(out)
}
