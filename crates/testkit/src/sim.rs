//! A simulated lock for tests: a fresh flash image provisioned in a
//! directory the test owns, booted (and rebooted) against a broker address,
//! with a person typing at its console.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tokio::sync::watch;
use tumbler_device::mqtt::BrokerAddr;
use tumbler_device::{Label, RunConfig, RunningLock};

use crate::mqtt::wait_online;

/// Provisions a lock image `DIR/SERIAL.img` (a fixed seed: the same serial
/// gives the same setup code); returns its label and the image path.
pub fn provision(dir: &Path, serial: &str) -> (Label, PathBuf) {
    let image = dir.join(format!("{serial}.img"));
    let mut rng = ChaCha20Rng::from_seed([7u8; 32]);
    let label = tumbler_device::provision(&image, serial, &mut rng).unwrap();
    (label, image)
}

/// A simulated lock: its image, label, and the running task (if booted).
pub struct SimLock {
    /// What is printed on the lock (serial, setup code).
    pub label: Label,
    /// The flash image (survives shutdown and reboot).
    image: PathBuf,
    /// The running lock, between [`SimLock::boot`] and [`SimLock::shutdown`].
    running: Option<RunningLock>,
    /// Stops the running lock.
    stop: watch::Sender<bool>,
    /// The lock's clock (`None`: the real one).
    pub clock: Option<Arc<dyn tumbler_device::clock::Clock>>,
}

impl SimLock {
    /// Provisions `serial` in `dir` and boots it against `broker`; returns
    /// once the lock says it is online.
    pub async fn start(dir: &Path, serial: &str, broker: BrokerAddr) -> SimLock {
        Self::start_with_clock(dir, serial, broker, None).await
    }

    /// [`SimLock::start`] with the lock's clock (`None`: the real one).
    pub async fn start_with_clock(
        dir: &Path,
        serial: &str,
        broker: BrokerAddr,
        clock: Option<Arc<dyn tumbler_device::clock::Clock>>,
    ) -> SimLock {
        let (label, image) = provision(dir, serial);
        let mut sim = SimLock {
            label,
            image,
            running: None,
            stop: watch::channel(false).0,
            clock,
        };
        sim.boot(broker).await;
        sim
    }

    /// Boots the image against `broker` (after [`SimLock::shutdown`]: a
    /// reboot, possibly on another broker); returns once it is online.
    pub async fn boot(&mut self, broker: BrokerAddr) {
        let (stop, rx) = watch::channel(false);
        let mut cfg = RunConfig::new(&self.image);
        cfg.broker = Some(broker.clone());
        cfg.write_link_file = false;
        if let Some(c) = &self.clock {
            cfg.clock = c.clone();
        }
        // On the heap: a test's own future stays small (debug builds run
        // tests on 2 MiB threads).
        let running = Box::pin(tumbler_device::start_lock(cfg, rx)).await.unwrap();
        self.running = Some(running);
        self.stop = stop;
        Box::pin(wait_online(&broker, &self.label.serial)).await;
    }

    /// Its flash image.
    pub fn image(&self) -> &Path {
        &self.image
    }

    /// Types console lines at the lock (the person at the door); returns
    /// everything it answered.
    ///
    /// A lock without power has no hub link; after a line that powers it
    /// up again (`insert-battery`, a fresh `battery N%`) this returns once
    /// its link is back (subscribed and `online`), as [`SimLock::boot`] does,
    /// or the power is gone again (an armed cut fired during the boot).
    pub async fn console(&self, lines: &[&str]) -> String {
        let said = self.console_once(lines).await;
        if said.contains("booting") {
            crate::eventually("the lock's hub link back after power-up", || async {
                let s = self.console_once(&["status"]).await;
                s.contains("hub link: online")
                    || s.contains("hub link: none")
                    || s.contains("hub link: offline (no power")
            })
            .await;
        }
        said
    }

    async fn console_once(&self, lines: &[&str]) -> String {
        let addr = self.running.as_ref().unwrap().local_addr;
        let input = lines.join("\n") + "\n";
        let mut out = Vec::new();
        tumbler_device::console(addr, input.as_bytes(), &mut out)
            .await
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Stops the lock and waits for its task (a power-off; the image stays).
    pub async fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(r) = self.running.take() {
            let _ = r.task.await;
        }
    }
}
