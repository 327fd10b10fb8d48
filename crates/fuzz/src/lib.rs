//! Fuzzing volume for the parsers an attacker (or a damaged flash) can feed: millions of
//! random and mutated inputs, each run under `catch_unwind`, deterministic from one seed.
//!
//! Every input is rebuilt from `(seed, target, index)` alone ([`mutate::input_rng`]), so a
//! panic report names the three numbers and the input in hex, and `--index` replays it.
//! The genuine inputs that mutations start from are made with the real encoders (proto's
//! test fixtures hold one of every message; the flash images come from a real lock
//! committed through the device's persistence glue).
//!
//! # Layout
//! - [`mutate`]: the per-input RNG, mutations (bit flips, truncation, splices, …), random inputs.
//! - [`wire`]: the wire decoders (`Down`, `Up`, `ClaimMessage`, envelope header, frame kind).
//! - [`envelope`]: opening mutated genuine envelopes with the right keys on both ends, and
//!   verifying mutated factory-signed frames.
//! - [`image`]: mounting damaged flash images (sector-level damage, bit flips, random images)
//!   through the device's mount, recovery, state read and lock restore.
//! - [`keypad`]: the console parser and the lock's keypad state machine (PIN entry, admin
//!   menu, program button, keypad reset) on a claimed lock with users.
//! - this file: the [`Target`] trait and [`run`], which counts outcomes and catches panics.
//! - `main.rs`: the `tumbler-fuzz` command.

pub mod envelope;
pub mod image;
pub mod keypad;
pub mod mutate;
pub mod wire;

#[allow(
    dead_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    unused_imports
)]
#[path = "../../proto/tests/it/fixtures.rs"]
pub(crate) mod fixtures;

use mutate::Origin;
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::Duration;

/// One thing to fuzz.
pub trait Target {
    /// Stable short name (`wire`, `envelope`, `image`, `keypad`).
    fn name(&self) -> &'static str;
    /// Makes input number `index` from its RNG.
    fn input(&self, rng: &mut ChaCha20Rng) -> (Vec<u8>, Origin);
    /// Feeds one input; returns a short label of what happened (counted per label).
    fn run(&self, input: &[u8]) -> String;
}

/// The targets by name, in report order.
pub const TARGETS: [&str; 4] = ["wire", "envelope", "image", "keypad"];

/// Builds a target by name (its genuine seeds are made here, once).
pub fn target(name: &str) -> Option<Box<dyn Target>> {
    Some(match name {
        "wire" => Box::new(wire::Wire::new()),
        "envelope" => Box::new(envelope::Envelope::new()),
        "image" => Box::new(image::Image::new()),
        "keypad" => Box::new(keypad::Keypad::new()),
        _ => return None,
    })
}

/// The number a target mixes into every input's RNG.
fn target_id(name: &str) -> u8 {
    TARGETS
        .iter()
        .position(|t| *t == name)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(u8::MAX)
}

/// A panic caught on one input.
#[derive(Debug, Clone)]
pub struct Panic {
    /// Index of the input (replay with `--index`).
    pub index: u64,
    /// The panic message and location.
    pub message: String,
    /// The input.
    pub input: Vec<u8>,
}

/// What a run of one target found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Target name.
    pub target: &'static str,
    /// The seed.
    pub seed: u64,
    /// Inputs run.
    pub count: u64,
    /// Inputs that were mutated genuine inputs / pure random.
    pub mutated: u64,
    /// Pure random inputs.
    pub random: u64,
    /// Wall time of the inputs (generation included).
    pub elapsed: Duration,
    /// Inputs per outcome label.
    pub outcomes: BTreeMap<String, u64>,
    /// The first panic, if any (the run stops there).
    pub panic: Option<Panic>,
    /// The first inputs (at most [`SHOWN`]) whose label matched `show`: index, label, input.
    pub shown: Vec<(u64, String, Vec<u8>)>,
}

/// How many matching inputs [`run_showing`] keeps.
pub const SHOWN: usize = 5;

impl Report {
    /// Inputs per second.
    pub fn rate(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.count as f64 / s
        } else {
            0.0
        }
    }
}

/// The message of the last panic on this process (filled by the hook [`run`] installs).
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Runs inputs `first..first + count` of `t` under `seed`, one `catch_unwind` each; stops at
/// the first panic. The default panic hook is replaced for the run (a caught panic is
/// reported once, by the caller, with its input).
pub fn run(t: &dyn Target, seed: u64, first: u64, count: u64) -> Report {
    run_showing(t, seed, first, count, None)
}

/// [`run`], also keeping the first few inputs whose outcome label contains `show` (to look
/// at a rare outcome: `tumbler-fuzz --show 'hub:decode'`).
pub fn run_showing(
    t: &dyn Target,
    seed: u64,
    first: u64,
    count: u64,
    show: Option<&str>,
) -> Report {
    let id = target_id(t.name());
    let previous = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "(non-string payload)".to_string()
        };
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut g) = LAST_PANIC.lock() {
            *g = Some(format!("{msg}{at}"));
        }
    }));
    let mut report = Report {
        target: t.name(),
        seed,
        count: 0,
        mutated: 0,
        random: 0,
        elapsed: Duration::ZERO,
        outcomes: BTreeMap::new(),
        panic: None,
        shown: Vec::new(),
    };
    // The one clock read of the fuzzer: inputs per second is the figure it reports.
    #[allow(clippy::disallowed_methods)]
    let start = std::time::Instant::now();
    // A stack overflow aborts the process before any hook runs: with this set, every
    // input's index is written first, so the last one printed is the culprit.
    let trace = std::env::var_os("TUMBLER_FUZZ_TRACE").is_some();
    for index in first..first.saturating_add(count) {
        if trace {
            eprintln!("{} input {index}", t.name());
        }
        let mut rng = mutate::input_rng(seed, id, index);
        let (input, origin) = t.input(&mut rng);
        match origin {
            Origin::Mutated => report.mutated += 1,
            Origin::Random => report.random += 1,
        }
        report.count += 1;
        match panic::catch_unwind(AssertUnwindSafe(|| t.run(&input))) {
            Ok(label) => {
                if show.is_some_and(|s| label.contains(s)) && report.shown.len() < SHOWN {
                    report.shown.push((index, label.clone(), input));
                }
                *report.outcomes.entry(label).or_insert(0) += 1;
            }
            Err(_) => {
                let message = LAST_PANIC
                    .lock()
                    .ok()
                    .and_then(|mut g| g.take())
                    .unwrap_or_else(|| "(no message)".into());
                report.panic = Some(Panic {
                    index,
                    message,
                    input,
                });
                break;
            }
        }
    }
    report.elapsed = start.elapsed();
    panic::set_hook(previous);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smoke version (well under 2 s in debug): a few hundred inputs per target, no
    /// panic, and each target reaches more than one outcome (its genuine inputs still pass).
    #[test]
    fn smoke_every_target() {
        for name in TARGETS {
            let t = target(name).unwrap();
            let n = if name == "image" { 60 } else { 300 };
            let r = run(t.as_ref(), 7, 0, n);
            assert!(r.panic.is_none(), "{name}: {:?}", r.panic);
            assert_eq!(r.count, n);
            assert!(r.outcomes.len() > 1, "{name}: {:?}", r.outcomes);
        }
    }

    /// Image input 101,559 of seed 1 (found by `scripts/fuzz-volume.sh`): a damaged image
    /// that mounts but where every write fails. The simulated lock rebooted from inside its
    /// own boot without end until the stack overflowed, aborting the process (no
    /// `catch_unwind` can catch that). Now it boots a bounded number of times and stays off.
    #[test]
    fn image_boot_loop_regression() {
        let t = target("image").unwrap();
        let r = run(t.as_ref(), 1, 101_559, 1);
        assert!(r.panic.is_none(), "{:?}", r.panic);
        let label = r.outcomes.keys().next().unwrap();
        assert!(label.contains("boot:"), "not a whole-lock boot: {label}");
    }

    /// A panicking target is caught, reported with its input, and the run stops there.
    #[test]
    fn a_panic_is_caught_with_its_input() {
        struct Boom;
        impl Target for Boom {
            fn name(&self) -> &'static str {
                "wire"
            }
            fn input(&self, rng: &mut ChaCha20Rng) -> (Vec<u8>, Origin) {
                (vec![mutate::below(rng, 4) as u8], Origin::Random)
            }
            fn run(&self, input: &[u8]) -> String {
                assert!(input != [3], "boom on {input:?}");
                "ok".into()
            }
        }
        let r = run(&Boom, 1, 0, 1000);
        let p = r.panic.unwrap();
        assert_eq!(p.input, vec![3]);
        assert!(p.message.contains("boom on [3]"), "{}", p.message);
        assert_eq!(r.count, p.index + 1);
    }
}
