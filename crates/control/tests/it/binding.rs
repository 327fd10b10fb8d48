//! Binding: sealing commands, persistence round trip, retries, redaction.

use proptest::prelude::*;
use tumbler_control::proto::*;
use tumbler_control::{Binding, BindingError, SealCommandError, Uplink, UplinkError};

use crate::fake_lock::{claimed, exchange};

const NOW: u64 = 1_700_000_000;

#[test]
fn commands_are_sealed_with_increasing_ids_and_acked() {
    let (mut lock, mut b) = claimed(20);
    let first = b.next_command_id();
    let (id1, f1) = b.seal_command(Command::Unlock { pin: None }).unwrap();
    let (id2, f2) = b.seal_command(Command::Lock { pin: None }).unwrap();
    assert_eq!(id1, first);
    assert_eq!(id2, CommandId(first.0 + 1));
    assert_eq!(b.next_command_id(), CommandId(first.0 + 2));
    for (id, f) in [(id1, f1), (id2, f2)] {
        let answers = lock.on_down(&f);
        assert_eq!(answers.len(), 2);
        let ack = b.open_uplink(&answers[0], NOW).unwrap();
        assert_eq!(
            ack,
            Uplink::Ack(Ack {
                id,
                verdict: Verdict::Accepted
            })
        );
        let Uplink::Applied(applied) = b.open_uplink(&answers[1], NOW).unwrap() else {
            panic!("expected Applied");
        };
        assert_eq!(applied.id, id);
        assert_eq!(applied.outcome, Outcome::Ok(CommandResult::Done));
    }
    assert_eq!(
        &lock.executed[1..],
        &[Command::Unlock { pin: None }, Command::Lock { pin: None }]
    );
}

#[test]
fn a_restored_binding_keeps_counters_and_keeps_working() {
    let (mut lock, mut b) = claimed(21);
    let answers = exchange(&mut lock, &mut b, Command::Reboot);
    let replay = answers[0].clone();
    for f in &answers {
        b.open_uplink(f, NOW).unwrap();
    }
    let bytes = b.to_bytes().unwrap();
    let mut restored = Binding::from_bytes(&bytes).unwrap();
    assert_eq!(restored.counters().send_next, b.counters().send_next);
    assert_eq!(
        restored.counters().recv.high_water(),
        b.counters().recv.high_water()
    );
    assert_eq!(restored.next_command_id(), b.next_command_id());
    assert_eq!(restored.reset_counter(), Some(0));
    assert_eq!(restored.factory_public(), Some(lock.factory_public()));
    assert_eq!(restored.to_bytes().unwrap(), bytes);
    // Replay protection survives the restore.
    assert_eq!(
        restored.open_uplink(&replay, NOW).unwrap_err(),
        UplinkError::Envelope(OpenError::Replayed)
    );
    // And the lock accepts the next command sealed by the restored binding.
    let answers = exchange(&mut lock, &mut restored, Command::GetSettings);
    assert_eq!(answers.len(), 2);
    assert!(matches!(
        restored.open_uplink(&answers[1], NOW),
        Ok(Uplink::Applied(_))
    ));
}

#[test]
fn a_retry_reuses_the_id_and_the_lock_executes_once() {
    let (mut lock, mut b) = claimed(22);
    let (id, frame) = b.seal_command(Command::Unlock { pin: None }).unwrap();
    let _lost = lock.on_down(&frame); // answers lost on the way
    let again = b.reseal(id, Command::Unlock { pin: None }).unwrap();
    assert_ne!(again, frame); // new envelope counter
    let answers = lock.on_down(&again);
    let Uplink::Ack(ack) = b.open_uplink(&answers[0], NOW).unwrap() else {
        panic!("expected Ack");
    };
    assert_eq!(ack.id, id);
    let unlocks = lock
        .executed
        .iter()
        .filter(|c| **c == Command::Unlock { pin: None })
        .count();
    assert_eq!(unlocks, 1);
    assert_eq!(
        b.reseal(CommandId(999), Command::Reboot).unwrap_err(),
        SealCommandError::NotIssued
    );
    assert_eq!(
        b.reseal(CommandId(0), Command::Reboot).unwrap_err(),
        SealCommandError::NotIssued
    );
}

#[test]
fn debug_is_redacted_and_factory_key_cannot_be_swapped() {
    let (_lock, mut b) = claimed(23);
    let dbg = format!("{b:?}");
    assert!(dbg.contains("<redacted>"));
    assert!(!dbg.contains("secret:"));
    let before = b.factory_public();
    assert_eq!(
        b.pin_factory_public([1; 32]).unwrap_err(),
        BindingError::FactoryKeyMismatch
    );
    assert_eq!(b.factory_public(), before);
    b.pin_factory_public(before.unwrap()).unwrap();
}

#[test]
fn stored_bytes_errors() {
    let (_lock, b) = claimed(24);
    let bytes = b.to_bytes().unwrap();
    assert_eq!(Binding::from_bytes(&[]).unwrap_err(), BindingError::Empty);
    let mut v = bytes.to_vec();
    v[0] = 9;
    assert_eq!(
        Binding::from_bytes(&v).unwrap_err(),
        BindingError::UnsupportedVersion(9)
    );
    let mut trailing = bytes.to_vec();
    trailing.push(0);
    assert_eq!(
        Binding::from_bytes(&trailing).unwrap_err(),
        BindingError::Malformed
    );
    for cut in 1..bytes.len() {
        assert!(Binding::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}

proptest! {
    #[test]
    fn from_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut v = vec![tumbler_control::BINDING_FORMAT_VERSION];
        v.extend(body);
        let _ = Binding::from_bytes(&v);
    }
}

#[test]
fn a_binding_at_full_capacity_round_trips() {
    let key = ControllerKey::generate(&mut crate::fake_lock::rng(25));
    let endpoint = ControllerEndpoint::new(
        key,
        [7; 32],
        ControllerId(u32::MAX),
        Role::User,
        Counters::restore(u64::MAX - 1, u64::MAX - 1),
    );
    let serial = "S".repeat(SERIAL_MAX);
    let mut b = Binding::new(&serial, endpoint, Some([8; 32])).unwrap();
    b.pin_factory_public([8; 32]).unwrap();
    let bytes = b.to_bytes().unwrap();
    let back = Binding::from_bytes(&bytes).unwrap();
    assert_eq!(back.serial(), serial);
    assert_eq!(back.controller_id(), ControllerId(u32::MAX));
    assert_eq!(back.role(), Role::User);
    assert_eq!(back.counters().send_next, u64::MAX - 1);
    assert_eq!(back.controller_public(), b.controller_public());
    assert_eq!(back.to_bytes().unwrap(), bytes);
    let key = ControllerKey::generate(&mut crate::fake_lock::rng(26));
    let e = ControllerEndpoint::new(key, [7; 32], ControllerId(1), Role::Admin, Counters::new());
    assert_eq!(
        Binding::new("", e.clone(), None).unwrap_err(),
        BindingError::BadSerial
    );
    assert_eq!(
        Binding::new(&"S".repeat(SERIAL_MAX + 1), e, None).unwrap_err(),
        BindingError::BadSerial
    );
}
