//! The keypad and console parsers: each input is one console line. The device's console
//! parser reads it; the simulated keypad takes its characters; and the lock's keypad state
//! machine (PIN entry, `adminPIN*NN#` menu, program-button enrolment, `PIN*999#` reset,
//! lockout, timeouts) takes it as a stream of key presses and other stimuli, on a claimed
//! lock with an admin and a user (restored per input from the genuine claimed image).
//!
//! Byte → stimulus: `0-9` digit, `*`, `#`; `P` program button; `R`/`r` reset button
//! down/up; `M`/`J` motor done/jammed; `D`/`d` door open/closed; `T` then a byte: that many
//! seconds pass and the lock ticks; any other byte is a key the keypad does not have
//! (`Key::Digit(b)` with `b > 9`, which the lock ignores). 50 ms pass between stimuli.

use crate::image::{claimed_image, key_of, ADMIN_PIN, USER_PIN};
use crate::mutate::{self, Origin};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::path::Path;
use std::time::Duration;
use tumbler_device::console;
use tumbler_device::hw::keypad::{KeyOutcome, Keypad as HwKeypad};
use tumbler_device::image as dimage;
use tumbler_device::persist::{self, StoredState};
use tumbler_device::sim::{DEVICE_CLAIM_KEY, DEVICE_COUNTERS_KEY};
use tumbler_lock as l;
use tumbler_store::SimFlash;

/// Longest console line tried.
const MAX_LINE: usize = 256;

/// The keypad target: the claimed lock's stored state, and genuine console lines.
#[derive(Debug)]
pub struct Keypad {
    factory: Option<l::FactoryData>,
    stored: StoredState,
    lines: Vec<Vec<u8>>,
}

impl Keypad {
    /// Reads the claimed image's state once; builds the genuine lines.
    pub fn new() -> Self {
        let (factory, stored) = match claimed_image(1).ok().and_then(|(_, img)| {
            let flash = SimFlash::from_image(&img);
            let (mut store, _, factory) =
                dimage::mount_memory(Path::new("fuzz.img"), flash).ok()?;
            let st = persist::read(&mut store, |k| {
                k == DEVICE_COUNTERS_KEY || k == DEVICE_CLAIM_KEY
            })
            .ok()?;
            Some((factory, st))
        }) {
            Some((f, st)) => (Some(f), st),
            None => (None, StoredState::default()),
        };
        let a = ADMIN_PIN;
        let u = USER_PIN;
        let mut lines: Vec<String> = vec![
            format!("{u}#"),
            format!("{a}#"),
            "9999#".into(),
            "#".into(),
            "*#".into(),
            format!("{a}*80#"),
            format!("{a}*81#"),
            format!("{a}*90#"),
            format!("{a}*91#"),
            format!("{a}*70#"),
            format!("{a}*71#"),
            format!("{a}*999#"),
            format!("{u}*999#"),
            format!("P{a}*91#"),
            "P4826#".into(),
            "P#".into(),
            "RT\x0cr".into(),
            "RT\x3cr".into(),
            "9999#9999#9999#9999#9999#9999#T\x78{u}#".into(),
            format!("{u}#MDdM{u}#J"),
            format!("1 2 3 4 {u} #"),
            "1234567890123456789012345678901234567890#".into(),
        ];
        for c in [
            "hold-reset 12s",
            "hold-reset 1500ms",
            "press-reset",
            "program-button",
            "card 04a1b2c3",
            "card 04A1B2C3D4E5F607",
            "finger 2",
            "enrol-finger 3",
            "enroll-finger 0",
            "pull-battery",
            "insert-battery",
            "put-back-battery",
            "battery 4%",
            "battery 100",
            "jam",
            "open-door",
            "close-door",
            "thumb-turn",
            "wait 61s",
            "wait 2m",
            "wait 1h",
            "fail-update",
            "status",
            "log",
            "cut-power-after 120",
            "flash-units",
            "help",
            "?",
        ] {
            lines.push(c.to_string());
        }
        Keypad {
            factory,
            stored,
            lines: lines.into_iter().map(String::into_bytes).collect(),
        }
    }
}

impl Default for Keypad {
    fn default() -> Self {
        Self::new()
    }
}

/// The variant name of a `Debug` rendering (`Keys("12")` → `Keys`).
fn variant(debug: &str) -> &str {
    debug.split(['(', ' ', '{']).next().unwrap_or(debug)
}

impl crate::Target for Keypad {
    fn name(&self) -> &'static str {
        "keypad"
    }

    fn input(&self, rng: &mut ChaCha20Rng) -> (Vec<u8>, Origin) {
        mutate::make(rng, &self.lines, MAX_LINE)
    }

    fn run(&self, input: &[u8]) -> String {
        let line = String::from_utf8_lossy(input);
        let parsed = match console::parse(&line) {
            Ok(c) => format!("{c:?}"),
            Err(e) => format!("Err:{}", variant(&format!("{e:?}"))),
        };
        let parsed = variant(&parsed).to_string();
        // The simulated keypad (device side) takes every character.
        let mut hw = HwKeypad::new(Duration::from_secs(10));
        let mut hw_entries = 0u32;
        for (i, c) in line.chars().enumerate() {
            if let Ok(KeyOutcome::Entry(_)) = hw.press(c, Duration::from_millis(i as u64 * 50)) {
                hw_entries += 1;
            }
        }
        // The lock (pure core) takes the bytes as stimuli.
        let Some(factory) = self.factory.clone() else {
            return format!("parse:{parsed} lock:none");
        };
        let mut now = l::Now::new(1_000_000, 1_767_225_600);
        let Ok(mut lock) = persist::restore(factory, &self.stored, now) else {
            return format!("parse:{parsed} lock:unrestorable");
        };
        let mut rng = ChaCha20Rng::seed_from_u64(input.len() as u64);
        for boot in [l::Input::PowerOn, l::Input::Battery(100)] {
            lock.handle(now, boot, &mut rng);
        }
        now = now.later(l::config::BOOT_MS + 100);
        lock.handle(now, l::Input::Tick, &mut rng);
        let mut last = None;
        let mut grants = 0u32;
        let mut bytes = input.iter();
        while let Some(&b) = bytes.next() {
            now = now.later(50);
            let stimulus = match b {
                b' ' => continue,
                b'P' => l::Input::ProgramButton,
                b'R' => l::Input::ResetButtonDown,
                b'r' => l::Input::ResetButtonUp,
                b'M' => l::Input::Motor(l::MotorFeedback::Done),
                b'J' => l::Input::Motor(l::MotorFeedback::Jammed),
                b'D' => l::Input::Door { open: true },
                b'd' => l::Input::Door { open: false },
                b'T' => {
                    let s = bytes.next().copied().unwrap_or(1);
                    now = now.later(u64::from(s) * 1000);
                    l::Input::Tick
                }
                other => l::Input::Key(key_of(other)),
            };
            let out = lock.handle(now, stimulus, &mut rng);
            if out.signal == Some(l::Signal::Granted) {
                grants += 1;
            }
            if out.signal.is_some() {
                last = out.signal;
            }
        }
        let last = last.map(|s| format!("{s:?}")).unwrap_or_else(|| "-".into());
        format!(
            "parse:{parsed} hw-entries:{} lock:{} grants:{}",
            hw_entries.min(2),
            variant(&last),
            grants.min(2)
        )
    }
}
