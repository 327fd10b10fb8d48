//! At most once across power cuts (issue 13): a command resent under the same id in a fresh
//! envelope after the lock lost power is applied exactly once — whatever flash unit the cut
//! hit while the lock ran it the first time.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tumbler_device::clock::VirtualClock;
use tumbler_device::image::provision;
use tumbler_device::sim::{SimLock, SimOptions};
use tumbler_proto as p;
use tumbler_proto::claim::{ClaimController, ClaimMessage};

fn boot(path: &Path) -> SimLock {
    let clock = Arc::new(VirtualClock::new(Duration::from_secs(1_800_000_000)));
    SimLock::boot(
        path,
        clock,
        &SimOptions {
            seed: Some(5),
            ..Default::default()
        },
    )
    .unwrap()
}

fn claim_frame(m: &ClaimMessage) -> Vec<u8> {
    let mut buf = vec![0u8; p::MAX_MESSAGE_LEN];
    let n = p::encode(m, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn claim_answer(frames: Vec<Vec<u8>>) -> ClaimMessage {
    frames
        .iter()
        .filter_map(|f| p::decode::<ClaimMessage>(f).ok())
        .find(|m| !matches!(m, ClaimMessage::Statement(_)))
        .expect("a claim answer")
}

/// Claims the lock over its radio with `code`; returns the admin's endpoint.
fn claim(sim: &mut SimLock, serial: &str, code: &str) -> p::ControllerEndpoint {
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed([3; 32]);
    let key = p::StaticKey::generate(&mut rng);
    let (state, start) = ClaimController::start(code.as_bytes(), serial, &mut rng).unwrap();
    let ClaimMessage::Reply(reply) =
        claim_answer(sim.on_frame(&claim_frame(&ClaimMessage::Start(start))))
    else {
        panic!("no claim reply")
    };
    let mut label = p::Name::new();
    label.push_str("sweep hub").unwrap();
    let (finishing, finish) = state.handle_reply(&reply, &key, label).unwrap();
    let ClaimMessage::Done(done) =
        claim_answer(sim.on_frame(&claim_frame(&ClaimMessage::Finish(finish))))
    else {
        panic!("no claim done")
    };
    finishing.handle_done(&done, key).unwrap().endpoint
}

/// Seals `cmd` under `id` in a fresh envelope, hands it to the lock and returns the `Applied`
/// outcome among its answers (none if the power went before it answered).
fn send(
    sim: &mut SimLock,
    admin: &mut p::ControllerEndpoint,
    id: u64,
    cmd: &p::Command,
) -> Option<p::Outcome> {
    let msg = p::Down::Request(p::Request {
        id: p::CommandId(id),
        command: cmd.clone(),
    });
    let mut buf = vec![0u8; p::MAX_ENVELOPE_LEN];
    let n = admin.seal(&msg, &mut buf).unwrap();
    let answers = sim.on_frame(&buf[..n]);
    if !sim.powered() {
        // The battery fell out mid-command: whatever it sealed never left the lock.
        return None;
    }
    answers.iter().find_map(|f| match admin.open(f) {
        Ok(p::Up::Applied(a)) if a.id == p::CommandId(id) => Some(a.outcome),
        _ => None,
    })
}

/// Battery out and in again: RAM is lost, the lock boots from its flash.
fn reboot(sim: &mut SimLock) {
    sim.console_line("pull-battery");
    sim.console_line("insert-battery");
    assert!(sim.powered());
}

fn controllers(sim: &SimLock) -> usize {
    sim.lock().unwrap().controllers().count()
}

/// Pairing a controller is not idempotent (a second run pairs a second controller with a new
/// id), so it shows a double application plainly. For every cut point of the first run: the
/// lock reboots from the torn flash, the hub resends the command under the same id, and the
/// lock ends with exactly one more controller, the resend answered with the same id.
#[test]
fn a_resent_command_is_applied_once_whatever_the_power_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("amo.img");
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed([4; 32]);
    let label = provision(&path, "AMO-1", &mut rng).unwrap();
    let mut sim = boot(&path);
    let admin = claim(&mut sim, &label.serial, &label.setup_code);
    drop(sim);
    let base = std::fs::read(&path).unwrap();
    let mut name = p::Name::new();
    name.push_str("phone").unwrap();
    let cmd = p::Command::PairController {
        public_key: [7; 32],
        role: p::Role::User,
        label: name,
    };
    let paired = |o: &Option<p::Outcome>| match o {
        Some(p::Outcome::Ok(p::CommandResult::ControllerPaired(c))) => *c,
        other => panic!("pairing answered {other:?}"),
    };

    // Uncut: how many flash units the command costs, and its answer.
    let mut sim = boot(&path);
    let before = controllers(&sim);
    let mut a = admin.clone();
    let u0 = sim.flash_units();
    let first = paired(&send(&mut sim, &mut a, 77, &cmd));
    let units = sim.flash_units() - u0;
    assert!(units > 20, "{units}");
    assert_eq!(controllers(&sim), before + 1);
    // An unlock resent after a reboot does not drive the motor again (no second record).
    let unlock = p::Command::Unlock { pin: None };
    let done = send(&mut sim, &mut a, 78, &unlock);
    assert!(matches!(done, Some(p::Outcome::Ok(_))), "{done:?}");
    reboot(&mut sim);
    let seq = sim.lock().unwrap().audit_state().0;
    assert_eq!(send(&mut sim, &mut a, 78, &unlock), done);
    assert_eq!(
        sim.lock().unwrap().audit_state().0,
        seq,
        "the resent unlock ran again"
    );
    // A plain reboot (no cut) forgets RAM: the resend is still answered, not run again.
    reboot(&mut sim);
    assert_eq!(paired(&send(&mut sim, &mut a, 77, &cmd)), first);
    assert_eq!(controllers(&sim), before + 1);
    drop(sim);

    let (mut applied_before_cut, mut not_applied) = (0, 0);
    for n in 0..=units {
        std::fs::write(&path, &base).unwrap();
        let mut sim = boot(&path);
        let mut a = admin.clone();
        sim.cut_power_after(n);
        let got = send(&mut sim, &mut a, 77, &cmd);
        if sim.powered() {
            sim.disarm_cut();
        } else {
            sim.console_line("insert-battery");
            assert!(sim.powered(), "cut at {n}: the lock does not come back");
        }
        let after_cut = controllers(&sim);
        assert!(
            after_cut == before || after_cut == before + 1,
            "cut at {n}: {after_cut} controllers"
        );
        if after_cut == before + 1 {
            applied_before_cut += 1;
        } else {
            not_applied += 1;
        }
        // The hub heard nothing (or did not trust it) and resends under the same id.
        let again = paired(&send(&mut sim, &mut a, 77, &cmd));
        assert_eq!(
            controllers(&sim),
            before + 1,
            "cut at {n}: the resend ran the command again"
        );
        if let Some(o) = got {
            assert_eq!(again, paired(&Some(o)), "cut at {n}: a different answer");
        }
        // And once more after a clean reboot.
        reboot(&mut sim);
        assert_eq!(paired(&send(&mut sim, &mut a, 77, &cmd)), again);
        assert_eq!(controllers(&sim), before + 1, "cut at {n}, rebooted");
    }
    assert!(applied_before_cut > 0 && not_applied > 0);
    println!(
        "at-most-once sweep: {} cut points ({not_applied} before the commit point, \
         {applied_before_cut} after)",
        units + 1
    );
}
