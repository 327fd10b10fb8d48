//! Flash-image mount: genuine lock images (freshly provisioned, and claimed with users,
//! credentials and audit records committed through the device's persistence glue), damaged
//! at sector level (pages erased, zeroed, randomised, copied over each other, half-erased
//! as by a torn erase, bit flips) or replaced by random images, then mounted the way the
//! device boots: mount (with recovery of an unreadable state), factory data, state read,
//! lock restore — and, for one input in [`FULL_BOOT_EVERY`], a whole simulated-lock boot
//! on top (fresh state written, status pushed, statement signed). Every input must end in
//! a clean error or a usable lock, never a panic.

use crate::mutate::{self, Origin};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tumbler_device::clock::VirtualClock;
use tumbler_device::image::{self as dimage, BootError, DeviceFlash};
use tumbler_device::persist;
use tumbler_device::sim::{SimLock, SimOptions, DEVICE_CLAIM_KEY, DEVICE_COUNTERS_KEY};
use tumbler_lock as l;
use tumbler_store::sim_flash::PAGE_SIZE;
use tumbler_store::SimFlash;

/// One input in this many also boots a whole simulated lock from the damaged image.
pub const FULL_BOOT_EVERY: usize = 8;

/// The admin's PIN in the claimed image.
pub const ADMIN_PIN: &str = "1357";
/// A user's PIN in the claimed image.
pub const USER_PIN: &str = "2580";

/// The image target: genuine images to damage.
#[derive(Debug)]
pub struct Image {
    /// Freshly provisioned, then claimed with users and history.
    images: Vec<Vec<u8>>,
    /// Per image, the pages that hold anything (damage aims there more often).
    used: Vec<Vec<usize>>,
}

fn now0() -> l::Now {
    l::Now::new(1_000, 1_767_225_600)
}

fn pin(s: &str) -> Option<l::Pin> {
    l::Pin::new(s.as_bytes())
}

/// A claimed lock image: provisioned, booted to a fresh state, an admin controller paired,
/// two PIN users added, PINs typed (right and wrong), a setting changed at the keypad.
/// Every step is committed with `persist::commit`, as the device does.
pub fn claimed_image(seed: u64) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (_label, flash) =
        dimage::provision_memory("FUZZ-0001", &mut rng).map_err(|e| e.to_string())?;
    let DeviceFlash::Memory(m) = flash else {
        return Err("provision_memory gave a file flash".into());
    };
    let fresh = m.image();
    let (mut store, _, factory) =
        dimage::mount_memory(Path::new("fuzz.img"), m).map_err(|e| e.to_string())?;
    let mut now = now0();
    let mut lock = l::Lock::new_factory(factory, now, &mut rng);
    persist::write_fresh(&mut store, &lock, []).map_err(|e| e.to_string())?;
    let mut counter = 0u64;
    let mut cmd = |cmd: l::Command| {
        counter += 1;
        l::Input::Command {
            from: l::ControllerId(1),
            id: counter as u32,
            counter,
            cmd,
        }
    };
    let mut label = heapless::String::new();
    label.push_str("hub").map_err(|_| "label")?;
    let mut inputs = vec![
        l::Input::Battery(100),
        l::Input::Tick,
        l::Input::PairFirstAdmin {
            pubkey: [0xA1; 32],
            label,
        },
        l::Input::ManualTurn { locked: true },
        l::Input::Door { open: false },
    ];
    for (index, kind, p) in [
        (1u16, l::UserType::Admin, ADMIN_PIN),
        (2u16, l::UserType::Unrestricted, USER_PIN),
    ] {
        inputs.push(cmd(l::Command::SetUser {
            index,
            fields: l::UserFields::new("u", kind),
        }));
        let p = pin(p).ok_or("pin")?;
        inputs.push(cmd(l::Command::SetCredential {
            user: index,
            slot: 0,
            credential: l::NewCredential::Pin(p),
        }));
    }
    for keys in [USER_PIN, "9999", ADMIN_PIN, "1357*71"] {
        for c in keys.chars() {
            inputs.push(l::Input::Key(key_of(c as u8)));
        }
        inputs.push(l::Input::Key(l::Key::Hash));
        inputs.push(l::Input::Motor(l::MotorFeedback::Done));
        inputs.push(l::Input::ManualTurn { locked: true });
    }
    for input in inputs {
        now = now.later(l::config::BOOT_MS + 100);
        let out = lock.handle(now, input, &mut rng);
        persist::commit(&mut store, &lock, &out).map_err(|e| e.to_string())?;
    }
    let DeviceFlash::Memory(m) = store.into_flash() else {
        return Err("mount_memory gave a file flash".into());
    };
    Ok((fresh, m.image()))
}

fn used_pages(image: &[u8]) -> Vec<usize> {
    image
        .chunks(PAGE_SIZE)
        .enumerate()
        .filter(|(_, p)| p.iter().any(|b| *b != 0xFF))
        .map(|(i, _)| i)
        .collect()
}

impl Image {
    /// Builds the genuine images (a fresh and a claimed one).
    pub fn new() -> Self {
        let images = match claimed_image(1) {
            Ok((fresh, claimed)) => vec![fresh, claimed],
            Err(_) => Vec::new(),
        };
        let used = images.iter().map(|i| used_pages(i)).collect();
        Image { images, used }
    }

    /// The genuine images (fresh, claimed).
    pub fn images(&self) -> &[Vec<u8>] {
        &self.images
    }
}

impl Default for Image {
    fn default() -> Self {
        Self::new()
    }
}

/// One sector-level (or bit-level) damage to `img`.
#[allow(clippy::indexing_slicing)] // every index is drawn below the image length
fn damage(rng: &mut ChaCha20Rng, img: &mut [u8], used: &[usize]) {
    let pages = img.len() / PAGE_SIZE;
    if pages == 0 {
        return;
    }
    let pick = |rng: &mut ChaCha20Rng| {
        if !used.is_empty() && mutate::below(rng, 4) != 0 {
            used[mutate::below(rng, used.len())].min(pages - 1)
        } else {
            mutate::below(rng, pages)
        }
    };
    let p = pick(rng);
    let page = p * PAGE_SIZE..(p + 1) * PAGE_SIZE;
    match mutate::below(rng, 9) {
        0 => img[page].fill(0xFF),
        1 => img[page].fill(0x00),
        2 => rng.fill_bytes(&mut img[page]),
        3 => {
            for _ in 0..1 + mutate::below(rng, 8) {
                let i = page.start + mutate::below(rng, PAGE_SIZE);
                img[i] ^= 1 << mutate::below(rng, 8);
            }
        }
        4 => {
            let q = pick(rng);
            img.copy_within(q * PAGE_SIZE..(q + 1) * PAGE_SIZE, page.start);
        }
        5 => {
            let at = page.start + mutate::below(rng, PAGE_SIZE);
            let n = (1 + mutate::below(rng, 64)).min(page.end - at);
            rng.fill_bytes(&mut img[at..at + n]);
        }
        // A torn erase: the first half of the page erased, the rest old.
        6 => img[page.start..page.start + PAGE_SIZE / 2].fill(0xFF),
        // A torn write: a word range programmed with random bits (AND into the cell).
        7 => {
            let at = page.start + mutate::below(rng, PAGE_SIZE / 4) * 4;
            let n = (4 * (1 + mutate::below(rng, 16))).min(page.end - at);
            for b in &mut img[at..at + n] {
                *b &= rng.next_u32() as u8;
            }
        }
        _ => {
            let i = mutate::below(rng, img.len());
            img[i] ^= 1 << mutate::below(rng, 8);
        }
    }
}

/// The key a byte stands for (digits, `*`, `#`; anything else an absent key).
pub fn key_of(b: u8) -> l::Key {
    match b {
        b'0'..=b'9' => l::Key::Digit(b - b'0'),
        b'*' => l::Key::Star,
        b'#' => l::Key::Hash,
        other => l::Key::Digit(other),
    }
}

impl crate::Target for Image {
    fn name(&self) -> &'static str {
        "image"
    }

    fn input(&self, rng: &mut ChaCha20Rng) -> (Vec<u8>, Origin) {
        let size = tumbler_store::Layout::standard_size() as usize;
        match mutate::below(rng, 64) {
            // A random image of the right size.
            0..=3 => {
                let mut v = vec![0u8; size];
                rng.fill_bytes(&mut v);
                (v, Origin::Random)
            }
            // Random bytes of a wrong size.
            4 => (mutate::random_bytes(rng, 3 * PAGE_SIZE), Origin::Random),
            n => {
                let i = mutate::below(rng, self.images.len());
                let Some(genuine) = self.images.get(i) else {
                    return (vec![0xFF; size], Origin::Random);
                };
                let mut v = genuine.clone();
                let used = self.used.get(i).map(Vec::as_slice).unwrap_or(&[]);
                for _ in 0..1 + mutate::below(rng, 4) {
                    damage(rng, &mut v, used);
                }
                // Rarely, a genuine image cut short or grown (a wrong-size file).
                if n == 5 {
                    let len = v.len();
                    v.truncate(mutate::below(rng, len));
                } else if n == 6 {
                    v.extend_from_slice(&[0xFF; PAGE_SIZE]);
                }
                (v, Origin::Mutated)
            }
        }
    }

    fn run(&self, input: &[u8]) -> String {
        let mounted = mount_label(input);
        // Deterministic choice from the input itself, so a replay does the same thing: the
        // byte sum over the whole image (any damage, anywhere, moves it).
        let sum = input
            .iter()
            .map(|b| u64::from(*b))
            .sum::<u64>()
            .wrapping_add(input.len() as u64);
        let full = sum % FULL_BOOT_EVERY as u64 == 0;
        if !full {
            return mounted;
        }
        let clock = Arc::new(VirtualClock::new(Duration::from_secs(1_767_225_600)));
        let opts = SimOptions {
            seed: Some(1),
            ..SimOptions::default()
        };
        let flash = DeviceFlash::Memory(SimFlash::from_image(input));
        let booted = match SimLock::boot_memory("fuzz.img", flash, clock, &opts) {
            Ok(sim) => match sim.lock() {
                Some(lock) if lock.is_setup_mode() => "boot:setup-mode",
                Some(_) => "boot:claimed",
                None => "boot:no-lock",
            },
            Err(e) => boot_error_label(&e),
        };
        format!("{mounted} {booted}")
    }
}

fn boot_error_label(e: &BootError) -> &'static str {
    match e {
        BootError::Open { .. } => "boot:open",
        BootError::NotProvisioned(_) => "boot:not-provisioned",
        BootError::FactoryCorrupt(_) => "boot:factory-corrupt",
        BootError::UnsupportedVersion(_) => "boot:unsupported-version",
        BootError::BadFactoryData => "boot:bad-factory-data",
        BootError::Store(_) => "boot:store-error",
        BootError::NoEntropy => "boot:no-entropy",
        _ => "boot:other",
    }
}

/// Mount, read and restore as the device's boot does; a label of how far it got.
fn mount_label(input: &[u8]) -> String {
    let flash = SimFlash::from_image(input);
    let (mut store, mounted, factory) = match dimage::mount_memory(Path::new("fuzz.img"), flash) {
        Ok(m) => m,
        Err(e) => return boot_error_label(&e).replacen("boot:", "mount:", 1),
    };
    let how = if mounted.recovered_from.is_some() {
        "recovered"
    } else {
        match mounted.report.outcome {
            tumbler_store::MountOutcome::Restored => "restored",
            tumbler_store::MountOutcome::Fresh => "fresh",
            tumbler_store::MountOutcome::Recovered => "recovered",
            tumbler_store::MountOutcome::ResumedCommit => "resumed-commit",
            tumbler_store::MountOutcome::ResumedFactoryReset => "resumed-reset",
            _ => "other",
        }
    };
    let st = match persist::read(&mut store, |k| {
        k == DEVICE_COUNTERS_KEY || k == DEVICE_CLAIM_KEY
    }) {
        Ok(st) => st,
        Err(_) => return format!("mount:{how} read:error"),
    };
    let restored = match persist::restore(factory, &st, now0()) {
        Ok(lock) if lock.is_setup_mode() => "setup-mode".to_string(),
        Ok(lock) => format!("claimed users:{}", lock.users().count()),
        Err(e) => format!("{e:?}")
            .split('(')
            .next()
            .unwrap_or("error")
            .to_string(),
    };
    format!("mount:{how} restore:{restored}")
}
