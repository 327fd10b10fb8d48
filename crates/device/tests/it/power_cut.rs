//! Issue 3's central proof: for each kind of lock operation, cut the power at every unit
//! (byte written or page erased) of its flash writes, boot again from the torn flash through
//! the device's real glue (`tumbler_device::persist`), and check that the lock is as it was
//! before the operation or after one of its steps — never a mixture, never a panic — and that
//! an interrupted factory reset is finished at the next boot with the factory partition intact.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tumbler_device::image::{self, DeviceFlash, ImageStore};
use tumbler_device::persist;
use tumbler_lock as l;
use tumbler_lock::config::BOOT_MS;
use tumbler_lock::{Command, ControllerId, Input, Key, Now, UserFields, UserType};
use tumbler_store::SimFlash;

pub(crate) const T0_UTC: i64 = 1_767_225_600;
pub(crate) const ADMIN: ControllerId = ControllerId(1);
const SERIAL: &str = "CUT-0001";

/// One step of an operation.
// An input carries a hotel card image (up to 192 bytes) by value, as the lock takes it;
// steps are few and short-lived, so no box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(crate) enum Step {
    In(Input),
    /// Let time pass (a held button, a timer).
    Wait(u64),
}

/// A lock on a store, as the device runs it.
pub(crate) struct Dev {
    store: ImageStore,
    /// What the boot read, to restore scratch copies of the lock (it is not `Clone`: secrets).
    factory: l::FactoryData,
    stored: persist::StoredState,
    pub(crate) lock: l::Lock,
    rng: ChaCha20Rng,
    pub(crate) now: Now,
}

fn flash_of(store: &mut ImageStore) -> &mut SimFlash {
    match store.flash_mut() {
        DeviceFlash::Memory(m) => m,
        _ => panic!("in-memory flash expected"),
    }
}

/// Boots from `image` exactly as the simulated lock does. Panics on a state that does not
/// restore (that would be the "corrupted" outcome the sweep must never see).
pub(crate) fn boot(image: &[u8], seed: u64) -> Dev {
    let (mut store, _mounted, factory) =
        image::mount_memory(std::path::Path::new(SERIAL), SimFlash::from_image(image))
            .expect("mount after a cut");
    let now = Now::new(1_000_000, T0_UTC);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let st = persist::read(&mut store, |k| {
        k == tumbler_device::sim::DEVICE_COUNTERS_KEY || k == tumbler_device::sim::DEVICE_CLAIM_KEY
    })
    .expect("read");
    let factory_copy = factory.clone();
    let lock = match persist::restore(factory.clone(), &st, now) {
        Ok(lock) => lock,
        Err(l::RestoreError::Empty) => {
            let lock = l::Lock::new_factory(factory, now, &mut rng);
            persist::write_fresh(&mut store, &lock, st.items.iter().map(|(k, _)| *k))
                .expect("fresh state");
            lock
        }
        Err(e) => panic!("state does not restore after a cut: {e:?}"),
    };
    let mut d = Dev {
        store,
        factory: factory_copy,
        stored: st,
        lock,
        rng,
        now,
    };
    d.run(&Step::In(Input::PowerOn)).expect("power on");
    d.run(&Step::In(Input::Battery(100))).expect("battery");
    d.run(&Step::Wait(BOOT_MS + 10)).expect("boot");
    d
}

impl Dev {
    fn image(&mut self) -> Vec<u8> {
        flash_of(&mut self.store).image()
    }

    /// One step through the real glue (motor feedback included, as the device feeds it).
    pub(crate) fn run(&mut self, step: &Step) -> Result<l::Output, persist::PersistError> {
        let input = match step {
            Step::In(i) => i.clone(),
            Step::Wait(ms) => {
                self.now = self.now.later(*ms);
                Input::Tick
            }
        };
        let out = self.lock.handle(self.now, input, &mut self.rng);
        persist::commit(&mut self.store, &self.lock, &out)?;
        if out.motor.is_some() {
            let fb = self.lock.handle(
                self.now,
                Input::Motor(l::MotorFeedback::Done),
                &mut self.rng,
            );
            persist::commit(&mut self.store, &self.lock, &fb)?;
        }
        Ok(out)
    }
}

/// The flash image `d` runs on.
pub(crate) fn image_of(d: &mut Dev) -> Vec<u8> {
    d.image()
}

/// What must be the same for two boots to be "the same lock" (behaviour, not key bytes).
#[derive(Debug, Clone, PartialEq)]
struct Summary {
    setup_mode: bool,
    reset_counter: u32,
    users: Vec<(u16, String)>,
    controllers: Vec<(u8, [u8; 32])>,
    settings: String,
    version: u32,
    wrong_codes: u8,
    locked_out: bool,
    audit_seq: u32,
    opens: Vec<bool>,
}

const PINS: [&str; 3] = ["2580", "4826", "5739"];

/// A scratch copy of the lock as the flash held it when `d` booted (before the summary boot's
/// own records), booted in RAM only.
fn scratch(d: &Dev, rng: &mut ChaCha20Rng) -> (l::Lock, u32, Now) {
    let mut lock = match persist::restore(d.factory.clone(), &d.stored, d.now) {
        Ok(lock) => lock,
        Err(_) => l::Lock::new_factory(d.factory.clone(), d.now, rng),
    };
    let audit_seq = lock.audit_state().0;
    let t = d.now.later(BOOT_MS + 10);
    lock.handle(d.now, Input::PowerOn, rng);
    lock.handle(d.now, Input::Battery(100), rng);
    lock.handle(t, Input::Tick, rng);
    (lock, audit_seq, t)
}

fn summary(d: &Dev) -> Summary {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let (lock, audit_seq, t) = scratch(d, &mut rng);
    let mut opens = Vec::new();
    for p in PINS {
        // Each PIN on its own copy, so one try does not change what the next sees.
        let (mut l2, _, t) = scratch(d, &mut rng);
        let mut opened = false;
        for c in p.chars().chain(['#']) {
            let k = match c {
                '#' => Key::Hash,
                d => Key::Digit(d.to_digit(10).unwrap() as u8),
            };
            let out = l2.handle(t, Input::Key(k), &mut rng);
            opened |= out.motor == Some(l::MotorCommand::Unlock);
        }
        opens.push(opened);
    }
    Summary {
        setup_mode: lock.is_setup_mode(),
        reset_counter: lock.reset_counter(),
        users: lock
            .users()
            .map(|(i, u)| (i, format!("{:?}", u.fields)))
            .collect(),
        controllers: lock.controllers().map(|(i, c)| (i.0, c.pubkey)).collect(),
        settings: format!("{:?}", lock.settings()),
        version: lock.version(),
        wrong_codes: lock.wrong_codes(),
        locked_out: lock.lockout_remaining_ms(t) > 0,
        audit_seq,
        opens,
    }
}

/// After a factory reset the new keys come from whichever RNG ran the reset, so compare what a
/// person and a controller can observe.
fn reset_view(s: &Summary) -> (bool, u32, usize, usize, Vec<bool>) {
    (
        s.setup_mode,
        s.reset_counter,
        s.users.len(),
        s.controllers.len(),
        s.opens.clone(),
    )
}

fn cmd(counter: u64, cmd: Command) -> Step {
    Step::In(Input::Command {
        from: ADMIN,
        id: counter as u32,
        counter,
        cmd,
    })
}

pub(crate) fn keys(s: &str) -> Vec<Step> {
    s.chars()
        .chain(['#'])
        .map(|c| {
            Step::In(Input::Key(match c {
                '*' => Key::Star,
                '#' => Key::Hash,
                d => Key::Digit(d.to_digit(10).unwrap() as u8),
            }))
        })
        .collect()
}

fn pin(s: &str) -> l::Pin {
    l::Pin::new(s.as_bytes()).unwrap()
}

fn label(s: &str) -> heapless::String<16> {
    let mut l = heapless::String::new();
    l.push_str(s).unwrap();
    l
}

/// The starting image: provisioned, an admin controller, an admin user (2580) and a
/// tenant (1234).
pub(crate) fn base_image() -> Vec<u8> {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let (_label, flash) = image::provision_memory(SERIAL, &mut rng).unwrap();
    let DeviceFlash::Memory(m) = flash else {
        panic!()
    };
    let mut d = boot(&m.image(), 2);
    let steps = vec![
        Step::In(Input::PairFirstAdmin {
            pubkey: [0xA1; 32],
            label: label("hub"),
        }),
        cmd(
            1,
            Command::SetUser {
                index: 1,
                fields: UserFields::new("owner", UserType::Admin),
            },
        ),
        cmd(
            2,
            Command::SetCredential {
                user: 1,
                slot: 0,
                credential: l::NewCredential::Pin(pin("2580")),
            },
        ),
        cmd(
            3,
            Command::SetUser {
                index: 2,
                fields: UserFields::new("tenant", UserType::Unrestricted),
            },
        ),
        cmd(
            4,
            Command::SetCredential {
                user: 2,
                slot: 0,
                credential: l::NewCredential::Pin(pin("4826")),
            },
        ),
        Step::In(Input::ManualTurn { locked: true }),
    ];
    for s in &steps {
        d.run(s).unwrap();
    }
    d.image()
}

/// Sweeps one operation; returns the number of cut points tried.
fn sweep(name: &str, base: &[u8], steps: &[Step], is_reset: bool) -> u64 {
    // The uncut run: the state after every prefix of the operation, each seen through a boot.
    let mut d = boot(base, 3);
    let first = d.image();
    let before = summary(&boot(&first, 4));
    let start = flash_of(&mut d.store).stats();
    let mut allowed = vec![before.clone()];
    for s in steps {
        d.run(s)
            .unwrap_or_else(|e| panic!("{name}: uncut step failed: {e}"));
        let img = d.image();
        allowed.push(summary(&boot(&img, 4)));
    }
    let after = allowed.last().cloned().unwrap();
    assert_ne!(before, after, "{name}: the operation must change something");
    if is_reset {
        assert!(after.setup_mode && after.users.is_empty() && after.controllers.is_empty());
        assert_eq!(after.reset_counter, before.reset_counter + 1);
    }
    let units = flash_of(&mut d.store).stats().since(&start).cut_units();
    assert!(units > 0, "{name}: wrote nothing");

    for n in 0..units {
        let mut d = boot(base, 3);
        flash_of(&mut d.store).cut_power_after(n);
        for s in steps {
            if d.run(s).is_err() {
                break;
            }
        }
        let flash = flash_of(&mut d.store);
        assert!(
            flash.power_was_cut(),
            "{name}: cut at {n} of {units} never fired"
        );
        flash.restore_power();
        let torn = flash.image();
        let booted = boot(&torn, 4);
        let got = summary(&booted);
        // A step's audit record is committed with its items (`persist::PENDING_AUDIT_KEY`) and
        // appended to the log at boot if the cut came before the log append: no change is ever
        // kept without its audit record.
        let ok = allowed.contains(&got) || (is_reset && reset_view(&got) == reset_view(&after));
        assert!(
            ok,
            "{name}: cut at unit {n} of {units} left a mixture:\n got {got:?}\n before {before:?}\n after {after:?}"
        );
        if is_reset && got.reset_counter == before.reset_counter + 1 {
            assert_eq!(
                reset_view(&got),
                reset_view(&after),
                "{name}: half reset at {n}"
            );
        }
        // The factory partition is never touched: serial and setup code still read back.
        let label = {
            let (store, _, factory) =
                image::mount_memory(std::path::Path::new(SERIAL), SimFlash::from_image(&torn))
                    .unwrap();
            drop(store);
            factory
        };
        assert_eq!(label.serial.as_str(), SERIAL);
    }
    println!("power-cut sweep: {name}: {units} cut points, each before-or-after");
    units
}

#[test]
fn every_cut_of_every_lock_operation_leaves_before_or_after() {
    let base = base_image();
    let mut total = 0;
    total += sweep(
        "enrol user + PIN",
        &base,
        &[
            cmd(
                10,
                Command::SetUser {
                    index: 3,
                    fields: UserFields::new("guest", UserType::Unrestricted),
                },
            ),
            cmd(
                11,
                Command::SetCredential {
                    user: 3,
                    slot: 0,
                    credential: l::NewCredential::Pin(pin("5739")),
                },
            ),
        ],
        false,
    );
    total += sweep(
        "change a setting",
        &base,
        &[cmd(10, Command::SetSetting(l::Setting::AutoRelockS(45)))],
        false,
    );
    total += sweep(
        "revoke a user",
        &base,
        &[cmd(10, Command::ClearUser { index: 2 })],
        false,
    );
    total += sweep("keypad unlock (log append)", &base, &keys("4826"), false);
    let mut wrong = Vec::new();
    for _ in 0..5 {
        wrong.extend(keys("0000"));
    }
    total += sweep("wrong PINs up to the lockout", &base, &wrong, false);
    total += sweep(
        "pair a controller",
        &base,
        &[cmd(
            10,
            Command::PairController {
                pubkey: [0xB2; 32],
                role: l::Role::User,
                label: label("phone"),
            },
        )],
        false,
    );
    total += sweep(
        "factory reset from the app",
        &base,
        &[cmd(10, Command::FactoryReset)],
        true,
    );
    total += sweep(
        "factory reset by button hold",
        &base,
        &[
            Step::In(Input::ResetButtonDown),
            Step::Wait(11_000),
            Step::In(Input::ResetButtonUp),
        ],
        true,
    );
    total += sweep(
        "factory reset at the keypad",
        &base,
        &keys("2580*999"),
        true,
    );
    // The manufacturer token binds the nonce the lock issues; the replay issues the same one.
    let nonce = {
        let mut d = boot(&base, 3);
        let out = d.run(&cmd(10, Command::IssueResetNonce)).unwrap();
        match out.reply.unwrap().result {
            Ok(l::ReplyData::ResetNonce(n)) => n,
            other => panic!("nonce: {other:?}"),
        }
    };
    let token = tumbler_lock::reset::sign_manufacturer_token(
        &image::sim_manufacturer_key().to_bytes(),
        SERIAL,
        nonce,
        T0_UTC + 3600,
    );
    total += sweep(
        "manufacturer reset",
        &base,
        &[
            cmd(10, Command::IssueResetNonce),
            cmd(11, Command::ManufacturerReset(token)),
        ],
        true,
    );
    println!("power-cut sweep: {total} cut points in all");
}

/// A cut during a factory reset, then a second cut during the boot that finishes it: the
/// third boot still ends fully reset.
#[test]
fn a_cut_while_finishing_an_interrupted_reset_still_ends_reset() {
    let base = base_image();
    let steps = [cmd(10, Command::FactoryReset)];
    let mut d = boot(&base, 3);
    let first = d.image();
    let before = summary(&boot(&first, 4));
    let start = flash_of(&mut d.store).stats();
    d.run(&steps[0]).unwrap();
    let units = flash_of(&mut d.store).stats().since(&start).cut_units();
    let mut pairs = 0u64;
    // Every 7th first cut keeps the debug run short; the store's own sweep does every pair.
    for n in (0..units).step_by(7) {
        let mut d = boot(&base, 3);
        flash_of(&mut d.store).cut_power_after(n);
        let _ = d.run(&steps[0]);
        let flash = flash_of(&mut d.store);
        flash.restore_power();
        let torn = flash.image();
        // Second cut: during the mount that resumes the reset (m units into it).
        for m in [0u64, 1, 5, 50, 200] {
            let mut sim = SimFlash::from_image(&torn);
            sim.cut_power_after(m);
            let mounted = image::mount_memory(std::path::Path::new(SERIAL), sim);
            let img = match mounted {
                Ok((mut store, _, _)) => {
                    let f = flash_of(&mut store);
                    f.restore_power();
                    f.image()
                }
                // The mount itself was cut: the flash image as the cut left it is what the
                // next boot sees; we cannot get it back from the error, so start again from
                // the torn image (a cut before any write).
                Err(_) => torn.clone(),
            };
            let got = summary(&boot(&img, 4));
            assert!(
                got == before
                    || (got.setup_mode
                        && got.users.is_empty()
                        && got.controllers.is_empty()
                        && got.reset_counter == before.reset_counter + 1),
                "double cut ({n}, {m}) left {got:?}"
            );
            pairs += 1;
        }
    }
    println!("power-cut sweep: reset + resume: {pairs} double-cut pairs");
}
