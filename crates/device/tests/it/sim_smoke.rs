//! The driver alone (no broker), on a virtual clock: deterministic, and persistent across
//! power cycles because every power-up re-reads the image file.

use std::sync::Arc;
use std::time::Duration;
use tumbler_device::clock::VirtualClock;
use tumbler_device::image::provision;
use tumbler_device::sim::{SimLock, SimOptions};

fn boot(path: &std::path::Path) -> SimLock {
    let clock = Arc::new(VirtualClock::new(Duration::from_secs(1_800_000_000)));
    SimLock::boot(
        path,
        clock,
        &SimOptions {
            seed: Some(1),
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn keypad_admin_relock_lockout_and_persistence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.img");
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed([1; 32]);
    provision(&path, "SMOKE-1", &mut rng).unwrap();
    let mut sim = boot(&path);
    let say = |sim: &mut SimLock, line: &str| {
        let out = sim.console_line(line);
        println!("> {line}\n{out}");
        out
    };
    assert!(say(&mut sim, "status").contains("setup mode: yes"));
    // Trivial PINs are refused even for the first admin.
    say(&mut sim, "program-button");
    assert!(say(&mut sim, "123456#").contains("access denied"));
    assert!(say(&mut sim, "program-button").contains("programming mode"));
    assert!(say(&mut sim, "2580#").contains("code enrolled"));
    assert!(say(&mut sim, "2580#").contains("access granted"));
    // Auto-relock fires on the virtual clock.
    assert!(say(&mut sim, "wait 60s").contains("locked"));
    // Five wrong codes lock the keypad out; the lockout expires with time.
    for _ in 0..5 {
        say(&mut sim, "1111#");
    }
    let first = say(&mut sim, "2580#");
    assert!(first.contains("keypad disabled"), "{first}");
    // Each further key press during the lockout says it briefly, with the
    // time left, not the full message again.
    let again = say(&mut sim, "2");
    let again = format!("{again}{}", say(&mut sim, "580#"));
    assert!(again.contains("keypad disabled,"), "{again}");
    assert!(again.contains("s left"), "{again}");
    assert!(!again.contains("too many wrong codes"), "{again}");
    say(&mut sim, "wait 30m");
    assert!(say(&mut sim, "2580#").contains("access granted"));
    // Drop the lock without any shutdown (a power cut): the admin is on flash.
    drop(sim);
    let mut sim = boot(&path);
    assert!(say(&mut sim, "status").contains("users: 1"));
    assert!(say(&mut sim, "2580#").contains("access granted"));
    // The log shows what the lock signalled, with simulated times.
    let log = say(&mut sim, "log");
    assert!(log.contains("access granted"), "{log}");
}

#[test]
fn battery_drains_with_use_until_the_lock_warns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.img");
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed([2; 32]);
    provision(&path, "BAT-1", &mut rng).unwrap();
    let mut sim = boot(&path);
    sim.console_line("program-button");
    assert!(sim.console_line("2580#").contains("code enrolled"));
    assert!(sim.console_line("battery 25%").contains("battery now 25%"));
    let mut warned = false;
    for _ in 0..60 {
        let out = sim.console_line("2580#") + &sim.console_line("wait 31s");
        if out.contains("battery low") {
            warned = true;
            break;
        }
    }
    assert!(warned, "{}", sim.console_line("status"));
    assert!(sim.console_line("status").contains("battery 24%"));
}

/// Reset evidence (issue 12): the lock states its reset counter and setup mode, signed with
/// its factory key, at every boot and on a challenge; a power cut in the middle of a factory
/// reset (`cut-power-after`) leaves a lock whose next statement shows the reset.
#[test]
fn signed_statement_at_boot_on_challenge_and_after_a_cut_reset() {
    use tumbler_proto::claim::ClaimMessage;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.img");
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed([2; 32]);
    let label = provision(&path, "STATE-1", &mut rng).unwrap();
    let key_bytes: [u8; 32] = hex::decode(&label.identity_public_key)
        .unwrap()
        .try_into()
        .unwrap();
    let factory = tumbler_proto::VerifyingKey::from_bytes(&key_bytes).unwrap();
    let statements = |frames: Vec<Vec<u8>>| -> Vec<tumbler_proto::LockStatement> {
        frames
            .iter()
            .filter_map(|f| match tumbler_proto::decode::<ClaimMessage>(f) {
                Ok(ClaimMessage::Statement(s)) => {
                    s.verify(&factory).expect("signed with the factory key");
                    Some(s.statement)
                }
                _ => None,
            })
            .collect()
    };
    let mut sim = boot(&path);
    let at_boot = statements(sim.take_up());
    assert_eq!(at_boot.len(), 1, "{at_boot:?}");
    assert_eq!(
        at_boot[0].challenge,
        tumbler_proto::LockStatement::UNSOLICITED
    );
    assert!(at_boot[0].setup_mode);
    let before = at_boot[0].reset_counter;
    // Asked in clear, it answers with the challenge.
    let mut buf = vec![0u8; tumbler_proto::MAX_MESSAGE_LEN];
    let n = ClaimMessage::StatementRequest { challenge: [9; 16] }
        .encode(&mut buf)
        .unwrap();
    let answer = statements(sim.on_frame(&buf[..n]));
    assert_eq!(answer.len(), 1);
    assert_eq!(answer[0].challenge, [9; 16]);
    // Leave setup mode (an admin code), then a factory reset cut half-way.
    sim.console_line("program-button");
    assert!(sim.console_line("2580#").contains("code enrolled"));
    sim.take_up();
    let u0 = sim.flash_units();
    sim.console_line("hold-reset 12s");
    let units = sim.flash_units() - u0;
    assert!(units > 10, "{units}");
    sim.console_line("pull-battery");
    sim.console_line("insert-battery");
    let mut sim = boot(&path);
    let rebooted = statements(sim.take_up());
    assert_eq!(rebooted[0].reset_counter, before + 1, "{rebooted:?}");
    let before = rebooted[0].reset_counter;
    sim.console_line("program-button");
    assert!(sim.console_line("2580#").contains("code enrolled"));
    sim.take_up();
    sim.console_line(&format!("cut-power-after {}", units / 2));
    let out = sim.console_line("hold-reset 12s");
    assert!(out.contains("power cut"), "{out}");
    assert!(!sim.powered());
    assert!(
        sim.take_up().is_empty(),
        "unsent frames are lost with the power"
    );
    sim.console_line("insert-battery");
    let after = statements(sim.take_up());
    assert_eq!(after.len(), 1, "{after:?}");
    // Half-way through the wipe is past the reset's commit point: reset, and it says so.
    assert_eq!(after[0].reset_counter, before + 1, "{after:?}");
    assert!(after[0].setup_mode);
}
