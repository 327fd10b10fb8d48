//! Claim flow against the fake lock: success, wrong setup code, stray frames.

use tumbler_control::proto::claim::ClaimMessage;
use tumbler_control::proto::*;
use tumbler_control::{ClaimError, ClaimFlow, ClaimStep};

use crate::fake_lock::{rng, try_claim, FakeLock, CODE, SERIAL};

#[test]
fn claim_with_the_right_code_binds_the_lock() {
    let mut lock = FakeLock::new(1);
    let b = try_claim(&mut lock, CODE, 2).unwrap();
    assert_eq!(b.serial(), SERIAL);
    assert_eq!(b.role(), Role::Admin);
    assert_eq!(b.lock_public(), lock.op.key().public());
    let entry = lock.table.iter().next().unwrap();
    assert_eq!(entry.id, b.controller_id());
    assert_eq!(entry.public_key, b.controller_public());
    assert_eq!(entry.label.as_str(), "hub");
    assert_eq!(b.next_command_id(), CommandId(1));
    assert!(b.stale().is_none());
}

#[test]
fn wrong_setup_code_is_its_own_error_and_pairs_nothing() {
    let mut lock = FakeLock::new(3);
    let err = try_claim(&mut lock, b"00000000", 4).unwrap_err();
    assert_eq!(err, ClaimError::WrongSetupCode);
    assert!(lock.table.is_empty());
}

#[test]
fn stray_frames_are_ignored_and_garbage_does_not_end_the_flow() {
    let mut lock = FakeLock::new(5);
    let (mut flow, first) = ClaimFlow::start(SERIAL, CODE, "hub", &mut rng(6)).unwrap();
    // A retained reset record from an earlier life of the lock, and an envelope.
    let retained = FakeLock::plain(&ClaimMessage::ResetRecord(lock.reset_record(1)));
    assert!(matches!(flow.on_frame(&retained), Ok(ClaimStep::Ignored)));
    assert!(matches!(flow.on_frame(&[0x81; 40]), Ok(ClaimStep::Ignored)));
    assert!(matches!(
        flow.on_frame(&[0x01, 0xff, 0xff]),
        Err(ClaimError::Malformed(_))
    ));
    assert!(!flow.is_over());
    let reply = lock.on_down(&first).remove(0);
    let ClaimStep::Send(finish) = flow.on_frame(&reply).unwrap() else {
        panic!("expected Send");
    };
    // The reply again (duplicate delivery) is out of order now: ignored.
    assert!(matches!(flow.on_frame(&reply), Ok(ClaimStep::Ignored)));
    let done = lock.on_down(&finish).remove(0);
    assert!(matches!(flow.on_frame(&done), Ok(ClaimStep::Done(_))));
    assert!(flow.is_over());
    assert_eq!(flow.on_frame(&done).unwrap_err(), ClaimError::Over);
}

#[test]
fn bad_serial_and_label_are_refused_up_front() {
    let long = "x".repeat(SERIAL_MAX + 1);
    assert_eq!(
        ClaimFlow::start(&long, CODE, "hub", &mut rng(7)).unwrap_err(),
        ClaimError::BadSerial
    );
    assert_eq!(
        ClaimFlow::start("", CODE, "hub", &mut rng(7)).unwrap_err(),
        ClaimError::BadSerial
    );
    let label = "l".repeat(NAME_MAX + 1);
    assert_eq!(
        ClaimFlow::start(SERIAL, CODE, &label, &mut rng(7)).unwrap_err(),
        ClaimError::BadLabel
    );
}

#[test]
fn a_lock_that_is_already_claimed_does_not_finish() {
    let mut lock = FakeLock::new(8);
    try_claim(&mut lock, CODE, 9).unwrap();
    // The fake lock answers Start but refuses Finish (AlreadyClaimed): no Done arrives.
    let (mut flow, first) = ClaimFlow::start(SERIAL, CODE, "hub2", &mut rng(10)).unwrap();
    let reply = lock.on_down(&first).remove(0);
    let ClaimStep::Send(finish) = flow.on_frame(&reply).unwrap() else {
        panic!("expected Send");
    };
    assert!(lock.on_down(&finish).is_empty());
    assert_eq!(lock.table.len(), 1);
}

#[test]
fn a_code_that_is_not_the_label_s_8_digits_makes_no_frame() {
    for bad in [
        &b""[..],
        b"1",
        b"3141592",
        b"314159265",
        b"3141 926",
        b"abcdefgh",
    ] {
        assert_eq!(
            ClaimFlow::start(SERIAL, bad, "hub", &mut rng(8)).unwrap_err(),
            ClaimError::BadSetupCode,
            "{bad:?}"
        );
    }
}

#[test]
fn a_throttling_lock_ends_the_flow_with_its_wait() {
    let (mut flow, _first) = ClaimFlow::start(SERIAL, CODE, "hub", &mut rng(9)).unwrap();
    let mut buf = vec![0u8; MAX_MESSAGE_LEN];
    let n = ClaimMessage::Throttled { retry_after_s: 463 }
        .encode(&mut buf)
        .unwrap();
    assert_eq!(
        flow.on_frame(&buf[..n]).unwrap_err(),
        ClaimError::Throttled { retry_after_s: 463 }
    );
    assert!(flow.is_over());
}
