//! [`SimLock`]: one simulated lock — the pure `tumbler-lock` state machine, its flash image, its
//! hardware models and its link endpoints — driven step by step with the time passed in.
//!
//! The driver obeys the lock ↔ store contract: for every step it commits the changed items (and
//! a factory reset, and the audit record) to flash **before** it moves the motor, shows a signal,
//! sends an event or answers a command. If the flash write fails the change is dropped and the
//! lock reboots from what the flash holds, as a real lock's watchdog would.
//!
//! Everything here is synchronous and deterministic for a given clock and seed; the async edge
//! (`run`) only moves bytes between this and the sockets.
//!
//! # Layout
//! - this file: the state, power (boot from flash, power down), one step (commit, then effects),
//!   timers;
//! - `radio`: sealing events to controllers, the claim, opening and answering envelopes;
//! - `person`: console commands acted out on the hardware, `status` and `log`.

use crate::bridge;
use crate::clock::Clock;
use crate::console::{self, Command as Console};
use crate::hw::battery::{Battery, Drain};
use crate::hw::button::{ProgramButton, ResetButton};
use crate::hw::door::DoorSensor;
use crate::hw::fingerprint::{FingerprintSensor, Touch};
use crate::hw::keypad::Keypad;
use crate::hw::motor::{Bolt, Motor};
use crate::hw::rfid::RfidReader;
use crate::hw::signal::Panel;
use crate::image::{self, BootError, DeviceFlash, ImageStore};
use crate::persist;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tumbler_lock as l;
use tumbler_lock::config::{BOOT_MS, KEYPAD_TIMEOUT_MS, MAX_CONTROLLERS};
use tumbler_proto as p;
use tumbler_proto::claim::{ClaimLock, ClaimMessage};
use tumbler_proto::envelope::{frame_kind, FrameKind};
use tumbler_store::{ItemOp, MountOutcome, SimFlash};

mod at_most_once;
mod person;
mod radio;

pub use at_most_once::DEVICE_DEDUP_KEY;

/// Whether a store key belongs to the device rather than the lock (see the `DEVICE_*_KEY`s).
pub fn is_device_key(k: u32) -> bool {
    k == DEVICE_COUNTERS_KEY || k == DEVICE_CLAIM_KEY || k == DEVICE_DEDUP_KEY
}

/// Store key of the device's own item: the reserved send counters per controller. Outside the
/// lock's key ranges; erased with the lock's items by a factory reset.
pub const DEVICE_COUNTERS_KEY: u32 = 0x00D0_0001;

/// Send counters are reserved on flash in blocks this large, so sealing an event does not cost a
/// flash write; after a power cut the counter jumps to the next block and never repeats.
const COUNTER_BLOCK: u64 = 1000;

/// Store key of the device's claim-attempt counter: the PAKE guess budget survives a battery
/// pull, like the keypad's wrong-code counter.
pub const DEVICE_CLAIM_KEY: u32 = 0x00D0_0002;

/// Unanswered claim starts allowed before the lock backs off (the PAKE tests one guess each).
const CLAIM_FREE_ATTEMPTS: u32 = 5;

/// The proto controller table sized like the lock's.
type Table = p::ControllerTable<MAX_CONTROLLERS>;

/// Knobs of one simulated lock.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Seed of the lock's RNG (keys, nonces) and of the sensor models; `None` draws one from the OS.
    pub seed: Option<u64>,
    /// Probability that the fingerprint sensor fails to match an enrolled finger.
    pub false_reject_rate: f64,
    /// Battery level at start, in percent.
    pub battery_percent: u8,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            seed: None,
            false_reject_rate: 0.0,
            battery_percent: 100,
        }
    }
}

/// The hardware around the lock's brain.
#[derive(Debug)]
struct Hardware {
    keypad: Keypad,
    reset: ResetButton,
    program: ProgramButton,
    rfid: RfidReader,
    finger: FingerprintSensor,
    motor: Motor,
    door: DoorSensor,
    battery: Battery,
    panel: Panel,
}

/// What one lock step produced that its caller may need.
#[derive(Debug, Default)]
struct Stepped {
    /// The command reply, if the input was a command.
    reply: Option<l::Reply>,
}

/// How long unacknowledged audit records wait before going up again.
pub const LOG_RESEND_MS: u64 = 10_000;

/// One simulated lock.
pub struct SimLock {
    /// The flash image file (or, for an in-memory lock, just its name).
    path: PathBuf,
    /// An in-memory lock's flash while it is powered down (`None` for image files, which are
    /// re-read from disk at every boot).
    parked: Option<SimFlash>,
    /// Whether the flash lives in memory.
    in_memory: bool,
    /// The time source.
    clock: Arc<dyn Clock>,
    /// How far simulated time runs ahead of the clock (holds and waits fast-forward it).
    skew: Duration,
    /// The lock's RNG (keys at reset, nonces, PAKE).
    rng: ChaCha20Rng,
    /// Mounted store; `None` while the lock has no power.
    store: Option<ImageStore>,
    /// The lock's RAM state; `None` while the lock has no power.
    lock: Option<l::Lock>,
    /// Serial (from the factory partition).
    serial: String,
    /// Factory identity key seed (signs the wire's reset notice).
    identity_seed: [u8; 32],
    /// Hardware models.
    hw: Hardware,
    /// Lines said (signals, notes) since the last [`SimLock::take_said`].
    said: Vec<String>,
    /// Frames for the MQTT `up` topic, oldest first.
    up: VecDeque<Vec<u8>>,
    /// A claim in progress (after `ClaimStart`).
    claim: Option<ClaimLock>,
    /// Claim starts since the last successful claim.
    claim_attempts: u32,
    /// Claims are refused until this monotonic ms.
    claim_blocked_until: u64,
    /// Next send counter per controller slot.
    send_next: BTreeMap<u8, u64>,
    /// Send counters reserved on flash per controller slot.
    send_reserved: BTreeMap<u8, u64>,
    /// The last status pushed up (push only on change).
    last_status: Option<p::Status>,
    /// The MQTT link's state in words, for `status`.
    link_status: String,
    /// The hub link's counters, as `status` shows them (empty: none yet).
    link_counters: String,
    /// A failed update froze the firmware: inputs are ignored until a reboot.
    frozen: bool,
    /// Monotonic ms when audit records last went up (see [`SimLock::resend_unacknowledged`]).
    log_sent_ms: u64,
    /// The battery level last reported to the lock (it is told when the whole percent changes).
    battery_reported: u8,
    /// Recent command ids per controller and their answers: a retried command is answered
    /// again, not applied twice. The answers to commands that change the lock are on flash
    /// too, written with the change (`at_most_once.rs`), and restored at boot.
    dedup: at_most_once::Window,
    /// The command the next step runs for a controller, whose answer the step's group commit
    /// must remember (set by the radio right before it steps the lock).
    remember: Option<(p::ControllerId, p::CommandId)>,
    /// An armed power cut: the battery falls out after this many more flash units (bytes
    /// written + pages erased), across reboots (console `cut-power-after`).
    cut_budget: Option<u64>,
    /// The mounted flash's unit count when it was mounted (or the cut armed).
    flash_mark: u64,
    /// Flash units written by this lock since it was started, over every boot.
    units_total: u64,
    /// Reboots nested inside a boot (a boot whose own writes fail reboots again); bounded
    /// by [`BOOT_LOOP_LIMIT`], after which the lock stays off instead of recursing.
    nested_boots: u8,
}

/// Reboots a boot may start from inside itself (its first writes failing) before the lock
/// gives up and stays off: a real lock's watchdog would boot-loop; the simulator must not
/// recurse until its stack overflows (found by the fuzzer on damaged images).
const BOOT_LOOP_LIMIT: u8 = 3;

impl std::fmt::Debug for SimLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimLock")
            .field("path", &self.path)
            .field("serial", &self.serial)
            .field("powered", &self.lock.is_some())
            .finish_non_exhaustive()
    }
}

/// The lock RNG's seed: from `seed` (reproducible runs), else from the OS. `None` if the OS
/// has no entropy to give.
fn seed_bytes(seed: Option<u64>) -> Option<[u8; 32]> {
    let mut s = [0u8; 32];
    match seed {
        Some(n) => {
            for (i, b) in s.iter_mut().enumerate() {
                let shift = (i % 8) * 8;
                *b = ((n >> shift) & 0xff) as u8 ^ (i as u8).wrapping_mul(37);
            }
        }
        None => getrandom::fill(&mut s).ok()?,
    }
    Some(s)
}

impl SimLock {
    /// Boots the lock from the image at `path` (which `provision` created).
    pub fn boot(path: &Path, clock: Arc<dyn Clock>, opts: &SimOptions) -> Result<Self, BootError> {
        Self::boot_inner(path, None, clock, opts)
    }

    /// Boots a lock whose flash lives in memory (see [`image::provision_memory`]).
    pub fn boot_memory(
        name: &str,
        flash: DeviceFlash,
        clock: Arc<dyn Clock>,
        opts: &SimOptions,
    ) -> Result<Self, BootError> {
        match flash {
            DeviceFlash::Memory(m) => Self::boot_inner(Path::new(name), Some(m), clock, opts),
            DeviceFlash::File(_) => Err(BootError::Store(
                "boot_memory needs an in-memory flash".into(),
            )),
        }
    }

    fn boot_inner(
        path: &Path,
        memory: Option<SimFlash>,
        clock: Arc<dyn Clock>,
        opts: &SimOptions,
    ) -> Result<Self, BootError> {
        // Without OS entropy the keys a factory reset makes would be guessable: refuse to boot.
        let seed = seed_bytes(opts.seed).ok_or(BootError::NoEntropy)?;
        let sensor_seed = u64::from_le_bytes([
            seed[0], seed[1], seed[2], seed[3], seed[4], seed[5], seed[6], seed[7],
        ]);
        let mut sim = SimLock {
            path: path.to_path_buf(),
            in_memory: memory.is_some(),
            parked: memory,
            clock,
            skew: Duration::ZERO,
            rng: ChaCha20Rng::from_seed(seed),
            store: None,
            lock: None,
            serial: String::new(),
            identity_seed: [0; 32],
            hw: Hardware {
                keypad: Keypad::new(Duration::from_millis(KEYPAD_TIMEOUT_MS)),
                reset: ResetButton::new(),
                program: ProgramButton::default(),
                rfid: RfidReader::default(),
                finger: FingerprintSensor::new(opts.false_reject_rate, sensor_seed),
                motor: Motor::new(Bolt::Locked),
                door: DoorSensor::new(Duration::from_secs(60)),
                battery: Battery::new(opts.battery_percent),
                panel: Panel::new(64),
            },
            said: Vec::new(),
            up: VecDeque::new(),
            claim: None,
            claim_attempts: 0,
            claim_blocked_until: 0,
            send_next: BTreeMap::new(),
            send_reserved: BTreeMap::new(),
            last_status: None,
            link_status: "not connected".into(),
            link_counters: String::new(),
            frozen: false,
            log_sent_ms: 0,
            dedup: p::Dedup::new(),
            remember: None,
            battery_reported: opts.battery_percent,
            cut_budget: None,
            flash_mark: 0,
            units_total: 0,
            nested_boots: 0,
        };
        sim.power_up()?;
        Ok(sim)
    }

    /// The lock's serial.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The flash image path.
    pub fn image(&self) -> &Path {
        &self.path
    }

    /// Whether the lock has power (battery in).
    pub fn powered(&self) -> bool {
        self.lock.is_some()
    }

    /// The lock's state machine (read-only), while powered.
    pub fn lock(&self) -> Option<&l::Lock> {
        self.lock.as_ref()
    }

    /// Records the MQTT link's counters in words (shown by `status`).
    pub fn set_link_counters(&mut self, s: impl Into<String>) {
        self.link_counters = s.into();
    }

    /// Records the MQTT link's state in words (shown by `status`).
    pub fn set_link_status(&mut self, s: impl Into<String>) {
        self.link_status = s.into();
    }

    /// The simulated time as the lock sees it.
    pub fn now(&self) -> l::Now {
        let t = self.clock.now() + self.skew;
        l::Now::new(
            u64::try_from(t.as_millis()).unwrap_or(u64::MAX),
            i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
        )
    }

    fn now_d(&self) -> Duration {
        self.clock.now() + self.skew
    }

    fn unix(&self) -> u64 {
        self.now_d().as_secs()
    }

    /// Takes the lines said since the last call.
    pub fn take_said(&mut self) -> Vec<String> {
        std::mem::take(&mut self.said)
    }

    /// Takes the frames queued for the MQTT `up` topic.
    pub fn take_up(&mut self) -> Vec<Vec<u8>> {
        self.up.drain(..).collect()
    }

    fn say(&mut self, line: impl Into<String>) {
        let line = line.into();
        let now = self.now_d();
        let line = self.hw.panel.show_words(now, line);
        self.said.push(line);
    }

    // ---- power -----------------------------------------------------------------------------

    fn power_up(&mut self) -> Result<(), BootError> {
        let (mut store, mounted, factory) = if self.in_memory {
            let flash = self
                .parked
                .take()
                .ok_or_else(|| BootError::Store("in-memory flash missing".into()))?;
            image::mount_memory(&self.path, flash)?
        } else {
            image::mount(&self.path)?
        };
        self.serial = factory.serial.as_str().to_string();
        self.identity_seed = factory.identity_seed;
        // The mount's own writes (finishing an interrupted commit or reset) are not counted.
        self.flash_mark = store.flash().cut_units();
        if let Some(budget) = self.cut_budget {
            store.flash_mut().cut_power_after(budget);
        }
        if let Some(region) = &mounted.recovered_from {
            let (count, _) = store.recoveries();
            self.say(format!(
                "flash damaged: the {region} region was unreadable; operational state wiped, the lock is in setup mode (flash recovery {count}, not a factory reset)"
            ));
        }
        match mounted.report.outcome {
            MountOutcome::ResumedFactoryReset => {
                self.say("flash: finished a factory reset that a power cut interrupted")
            }
            MountOutcome::ResumedCommit => {
                self.say("flash: finished an update that a power cut interrupted")
            }
            _ => {}
        }
        let now = self.now();
        let stored = persist::read(&mut store, is_device_key);
        let device_item = |key: u32| {
            stored.as_ref().ok().and_then(|st| {
                st.device_items
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.clone())
            })
        };
        let counters = device_item(DEVICE_COUNTERS_KEY);
        let window = device_item(DEVICE_DEDUP_KEY);
        let claims: Option<u32> =
            device_item(DEVICE_CLAIM_KEY).and_then(|v| postcard::from_bytes(&v).ok());
        let items: Vec<u32> = stored
            .as_ref()
            .map(|st| st.items.iter().map(|(k, _)| *k).collect())
            .unwrap_or_default();
        let restored = match &stored {
            Ok(st) => persist::restore(factory.clone(), st, now),
            Err(_) => Err(l::RestoreError::LogicBug),
        };
        self.send_next.clear();
        self.send_reserved.clear();
        self.dedup.clear();
        let lock = match restored {
            Ok(lock) => {
                if let Some(w) = window {
                    at_most_once::restore(&mut self.dedup, &w);
                }
                if let Some(c) =
                    counters.and_then(|b| postcard::from_bytes::<Vec<(u8, u64)>>(&b).ok())
                {
                    for (slot, reserved) in c {
                        // Everything below the reservation may have been used before the cut.
                        self.send_next.insert(slot, reserved);
                        self.send_reserved.insert(slot, reserved);
                    }
                }
                lock
            }
            Err(e) => {
                // No items at all is normal right after provisioning or a factory reset (the
                // reset erases the log too). No items while the log still holds the lock's
                // audit records means they vanished: a damaged page's items fail their CRC
                // and read as absent. Either way the wipe is counted as a flash recovery.
                let vanished = e == l::RestoreError::Empty
                    && stored.as_ref().is_ok_and(|st| !st.log.is_empty());
                if e != l::RestoreError::Empty || vanished {
                    self.say_damage(&mut store, e, vanished);
                }
                let lock = l::Lock::new_factory(factory, now, &mut self.rng);
                let stale = items.iter().copied().chain([
                    DEVICE_COUNTERS_KEY,
                    DEVICE_CLAIM_KEY,
                    DEVICE_DEDUP_KEY,
                ]);
                persist::write_fresh(&mut store, &lock, stale)
                    .map_err(|e| BootError::Store(format!("writing the fresh state: {e}")))?;
                lock
            }
        };
        self.store = Some(store);
        self.lock = Some(lock);
        self.hw.keypad.clear();
        self.claim = None;
        self.remember = None;
        self.claim_attempts = claims.unwrap_or(0);
        // A back-off in force is re-armed in full at boot (a battery pull never shortens it).
        self.claim_blocked_until = 0;
        self.arm_claim_backoff();
        let battery = self.hw.battery.percent();
        self.step(l::Input::PowerOn);
        self.battery_reported = battery;
        self.step(l::Input::Battery(battery));
        let open = self.hw.door.is_open();
        self.step(l::Input::Door { open });
        // The person waits for the boot to finish (the lock ignores keys and the reset button
        // for BOOT_MS); simulated time skips ahead so every console command finds it ready.
        self.advance(Duration::from_millis(BOOT_MS + 100));
        self.push_status();
        self.announce();
        Ok(())
    }

    /// Counts and says a wipe of damaged flash (kept out of `power_up`, whose frame is large).
    #[inline(never)]
    fn say_damage(&mut self, store: &mut ImageStore, e: l::RestoreError, vanished: bool) {
        let reason = if vanished {
            "recovered: state items lost (damaged flash)".to_string()
        } else {
            format!("recovered: stored state unreadable ({e:?})")
        };
        if store.count_recovery(reason.as_bytes()).is_err() {
            self.say("flash: could not record the flash recovery");
        }
        let (count, _) = store.recoveries();
        self.say(format!(
            "flash damaged: {}; erasing it, the lock starts in setup mode (flash recovery {count}, not a factory reset)",
            reason.trim_start_matches("recovered: ")
        ));
    }

    fn power_down(&mut self) {
        self.frozen = false;
        // RAM: the next boot reports its status afresh (the hub learns a
        // reboot's state even when nothing else changed).
        self.last_status = None;
        self.lock = None;
        self.count_units();
        if let Some(store) = self.store.take() {
            if let DeviceFlash::Memory(m) = store.into_flash() {
                self.parked = Some(m);
            }
        }
        self.claim = None;
        self.hw.keypad.clear();
        let now = self.now_d();
        let _ = self.hw.reset.release(now);
    }

    /// Adds the mounted flash's units since the mark to the total and the armed cut's budget.
    fn count_units(&mut self) {
        let Some(store) = self.store.as_ref() else {
            return;
        };
        let now = store.flash().cut_units();
        let used = now.saturating_sub(self.flash_mark);
        self.flash_mark = now;
        self.units_total += used;
        if store.flash().power_was_cut() {
            self.cut_budget = None;
        } else if let Some(b) = self.cut_budget.as_mut() {
            *b = b.saturating_sub(used);
        }
    }

    /// Arms a power cut after `units` more flash units (see [`SimLock::flash_units`]).
    pub fn cut_power_after(&mut self, units: u64) {
        self.count_units();
        self.cut_budget = Some(units);
        if let Some(store) = self.store.as_mut() {
            store.flash_mut().cut_power_after(units);
        }
    }

    /// Disarms a power cut that has not happened yet.
    pub fn disarm_cut(&mut self) {
        self.count_units();
        self.cut_budget = None;
        if let Some(store) = self.store.as_mut() {
            store.flash_mut().cut_power_after(u64::MAX);
        }
    }

    /// Flash units (bytes written + pages erased) this lock has written since it was started,
    /// over every boot: the cut points an operation passes are the difference of two reads.
    pub fn flash_units(&mut self) -> u64 {
        self.count_units();
        self.units_total
    }

    /// If an armed power cut has happened, the battery is out: RAM (and every frame not yet
    /// sent) is lost. Returns whether it happened.
    fn power_cut_now(&mut self) -> bool {
        let cut = self
            .store
            .as_ref()
            .is_some_and(|s| s.flash().power_was_cut());
        if cut {
            self.hw.battery.pull();
            self.power_down();
            self.up.clear();
            self.said
                .push("power cut: the battery fell out mid-write (`insert-battery`)".into());
        }
        cut
    }

    /// Reboots: RAM is lost, the lock comes back from its flash image.
    fn reboot(&mut self) {
        self.power_down();
        if self.nested_boots >= BOOT_LOOP_LIMIT {
            self.say(format!(
                "the lock does not come back: its flash writes failed at {BOOT_LOOP_LIMIT} boots in a row (boot loop); it stays off"
            ));
            return;
        }
        self.nested_boots += 1;
        let booted = self.power_up();
        self.nested_boots -= 1;
        if let Err(e) = booted {
            self.say(format!("the lock does not come back: {e}"));
        }
    }

    // ---- one step --------------------------------------------------------------------------

    /// Commits what `out` changed: factory reset, items, audit record — before any effect —
    /// with the command window in the same group when the step changed it.
    fn commit(
        &mut self,
        out: &l::Output,
        remember: Option<(p::ControllerId, p::CommandId)>,
    ) -> Result<(), String> {
        let change = self.window_after(out, remember);
        let extra: Vec<(u32, Option<Vec<u8>>)> = change
            .as_ref()
            .map(|c| (DEVICE_DEDUP_KEY, Some(c.bytes.clone())))
            .into_iter()
            .collect();
        let (Some(store), Some(lock)) = (self.store.as_mut(), self.lock.as_ref()) else {
            return Err("no power".into());
        };
        persist::commit_with(store, lock, out, &extra).map_err(|e| e.to_string())?;
        if let Some(c) = change {
            c.apply(&mut self.dedup);
        }
        if out.persist.reset.is_some() {
            self.send_next.clear();
            self.send_reserved.clear();
            self.claim_attempts = 0;
            self.claim_blocked_until = 0;
        }
        Ok(())
    }

    /// Runs one input through the lock, commits, then acts on the effects.
    fn step(&mut self, input: l::Input) -> Stepped {
        self.step_depth(input, 0)
    }

    fn step_depth(&mut self, input: l::Input, depth: u8) -> Stepped {
        let now = self.now();
        // The link as it is before the step: a factory reset's notice and the reply to the
        // command that caused it are sealed to the controllers that were paired.
        let before = self.link();
        let Some(lock) = self.lock.as_mut() else {
            return Stepped::default();
        };
        // A lockout already running: each key press says it briefly, not in full again.
        let locked_out_before = lock.status(now).lockout_remaining_ms > 0;
        // Only the command step itself carries the answer to remember.
        let remember = match (&input, depth) {
            (l::Input::Command { .. }, 0) => self.remember.take(),
            _ => None,
        };
        let out = lock.handle(now, input, &mut self.rng);
        if let Err(e) = self.commit(&out, remember) {
            if self.power_cut_now() {
                return Stepped::default();
            }
            self.say(format!(
                "flash write failed ({e}); the change was not kept, rebooting"
            ));
            self.reboot();
            return Stepped::default();
        }
        if out.persist.reset.is_some() {
            // The sensor's templates belong to users that no longer exist.
            self.hw.finger.clear();
        }
        if let Some(sig) = out.signal {
            if sig == l::Signal::LockedOut && locked_out_before {
                let left = self
                    .lock
                    .as_ref()
                    .map_or(0, |l| l.status(now).lockout_remaining_ms);
                self.say(format!(
                    "red blink: keypad disabled, {} s left",
                    left.div_ceil(1000)
                ));
            } else if sig != l::Signal::KeyClick {
                self.say(sig.describe());
            }
        }
        let time = self.unix();
        for ev in out.events.iter() {
            if let l::Event::ResetNotice { .. } = ev {
                if let Some(rec) = &out.persist.reset {
                    if let Some(n) = bridge::reset_notice(&self.serial, rec, &self.identity_seed) {
                        self.seal_up_with(&before, &p::Up::ResetNotice(n));
                    }
                }
                continue;
            }
            if let Some(e) = bridge::event(ev, time) {
                self.seal_up(&p::Up::Event(e));
            }
        }
        if let Some(rec) = &out.audit {
            // The audit record travels to the controllers as soon as it is on flash; they
            // acknowledge with `LogAck`, and the lock counts what it had to drop.
            let mut records = heapless::Vec::new();
            let _ = records.push(bridge::log_record(rec));
            let overflow = self.lock.as_ref().map_or(0, |l| l.status(now).log_lost);
            let batch = p::LogBatch { records, overflow };
            if out.persist.reset.is_some() {
                self.seal_up_with(&before, &p::Up::Log(batch));
            } else {
                self.seal_up(&p::Up::Log(batch));
            }
        }
        if let Some(utc) = out.set_clock {
            self.say(format!("clock set to {utc} (UTC seconds)"));
        }
        if let Some(m) = out.motor {
            self.hw.battery.drain(Drain::Motor);
            let to = match m {
                l::MotorCommand::Lock => Bolt::Locked,
                l::MotorCommand::Unlock => Bolt::Unlocked,
            };
            let fb = match self.hw.motor.drive(to) {
                Ok(_) => l::MotorFeedback::Done,
                Err(_) => l::MotorFeedback::Jammed,
            };
            if depth < 4 {
                self.step_depth(l::Input::Motor(fb), depth + 1);
            }
        }
        if out.reboot {
            self.say("rebooting: RAM cleared, restarting from flash");
            self.reboot();
        }
        if depth == 0 {
            self.push_status();
            if self.power_cut_now() {
                return Stepped::default();
            }
        }
        Stepped { reply: out.reply }
    }

    /// Feeds the lock every timer that is due by now.
    pub fn tick(&mut self) {
        if self.frozen {
            return;
        }
        for _ in 0..16 {
            let Some(lock) = self.lock.as_ref() else {
                return;
            };
            let now = self.now();
            match lock.next_deadline() {
                Some(d) if d <= now.mono_ms => {
                    self.step(l::Input::Tick);
                }
                _ => return,
            }
        }
    }

    /// Audit records the hub has not acknowledged go up again once
    /// [`LOG_RESEND_MS`] passed without records going up: a record whose
    /// frame was lost (a hub that died between reading and storing it, a
    /// broker that dropped it) reaches the hub even if the lock stays idle.
    /// Call it while connected; returns whether anything was queued.
    pub fn resend_unacknowledged(&mut self) -> bool {
        if self.frozen {
            return false;
        }
        let now = self.now();
        if now.mono_ms.saturating_sub(self.log_sent_ms) < LOG_RESEND_MS {
            return false;
        }
        let batches = self.lock.as_ref().map_or_else(Vec::new, |lock| {
            bridge::log_batches(lock, 0, lock.status(now).log_lost)
        });
        if batches.is_empty() {
            return false;
        }
        for b in batches {
            self.seal_up(&p::Up::Log(b));
        }
        true
    }

    /// The monotonic ms of the lock's next timer, if any.
    pub fn next_deadline(&self) -> Option<u64> {
        self.lock.as_ref().and_then(l::Lock::next_deadline)
    }

    /// Moves simulated time forward by `by`, firing every timer on the way at its due time.
    pub fn advance(&mut self, by: Duration) {
        if self.frozen {
            self.skew += by;
            return;
        }
        let target = self.now_d() + by;
        for _ in 0..10_000 {
            let due = self.next_deadline().map(Duration::from_millis);
            match due {
                Some(d) if d <= target && d >= self.now_d() => {
                    self.skew += d - self.now_d();
                    self.step(l::Input::Tick);
                }
                Some(d) if d < self.now_d() => {
                    self.step(l::Input::Tick);
                    if self.next_deadline().map(Duration::from_millis) == Some(d) {
                        break;
                    }
                }
                _ => break,
            }
        }
        let now = self.now_d();
        if target > now {
            self.skew += target - now;
        }
        self.tick();
    }

    /// Tells the lock the battery level when operations drained it by a whole percent (the
    /// battery gauge is read after each operation, not polled).
    fn report_battery(&mut self) {
        let now = self.hw.battery.percent();
        if self.powered() && !self.frozen && now != self.battery_reported {
            self.battery_reported = now;
            self.step(l::Input::Battery(now));
        }
    }
}
